"""Pure analytics of customer_abc: pandas in, pandas out, no Odoo import."""

from . import grading, lifecycle, periods, rfm, rhythm, trends, uplift
