"""Run the pure engine tests (customer_abc/tests/test_engine_*.py and the
examples of the analytics docstrings) without a
database or an Odoo registry: the addon package is registered bare, so that
only ``analytics`` (no Odoo models) is imported.

Usage: python tools/run_engine_tests.py  (with $ODOO_SRC on PYTHONPATH)
"""

import doctest
import importlib
import pathlib
import sys
import types
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "customer_abc"


def _bare_package(name, path):
    module = types.ModuleType(name)
    module.__path__ = [str(path)]
    sys.modules[name] = module
    return module


def main():
    from odoo.tools import config

    import odoo.addons  # noqa: F401  (namespace package of the addons)

    config["test_enable"] = True  # odoo.tests refuses to be imported otherwise

    _bare_package("odoo.addons.customer_abc", ROOT)
    _bare_package("odoo.addons.customer_abc.tests", ROOT / "tests")
    suite = unittest.TestSuite()
    for path in sorted((ROOT / "tests").glob("test_engine_*.py")):
        module = importlib.import_module(f"odoo.addons.customer_abc.tests.{path.stem}")
        suite.addTests(unittest.defaultTestLoader.loadTestsFromModule(module))
    # the examples in the analytics docstrings are tests too
    for path in sorted((ROOT / "analytics").glob("*.py")):
        if path.stem != "__init__":
            module = importlib.import_module(f"odoo.addons.customer_abc.analytics.{path.stem}")
            suite.addTests(doctest.DocTestSuite(module))
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    if not result.wasSuccessful() or result.skipped or not result.testsRun:
        sys.exit(1)


if __name__ == "__main__":
    main()
