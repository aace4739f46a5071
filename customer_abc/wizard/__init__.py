from . import customer_abc_visit_wizard
from . import customer_abc_coupon_wizard
