"""Pure helpers of customer_abc (no Odoo import)."""

from . import xlsx_export
