from . import test_engine_grading
from . import test_engine_periods
from . import test_engine_lifecycle
from . import test_classify
from . import test_lifecycle
from . import test_export
from . import test_settings
from . import test_access
