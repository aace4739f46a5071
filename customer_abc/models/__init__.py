from . import res_company
from . import res_config_settings
from . import customer_abc_history
from . import customer_abc_profile
from . import res_partner
from . import customer_abc_cockpit
from . import customer_abc_demo
