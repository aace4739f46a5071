"""Plain-Python parts of the classification that take an ``env``: the run
settings, the SQL written once for every screen and job, the reader that
stages the per-customer figures and the writer that publishes them.

They are not models on purpose (as ``sms/tools/sms_api.py``): other addons
extend the steps through the ``customer.abc.classifier`` model instead.
"""

from . import settings, sql, reader, writer
