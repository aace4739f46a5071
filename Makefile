# customer_abc: the commands of the README.  ODOO_SRC (default /opt/odoo) must
# hold an Odoo 18.0 Community source tree; PostgreSQL must accept the current user.
ODOO_SRC ?= /opt/odoo
export ODOO_SRC

.PHONY: help setup demo test lint engine-test pot bench clean

help:
	@echo "make demo   build the virtualenv, create the demo database, classify, serve on http://localhost:8069"
	@echo "make test   everything CI runs: linters, engine tests, Odoo tests on a fresh database, i18n check"
	@echo "make bench  the daily job on 10k, 100k and 1M generated orders (SIZES=...)"
	@echo "make lint | engine-test | pot | setup | clean"

setup:
	@tools/setup.sh

demo: setup
	@tools/demo.sh

test: setup
	@tools/test.sh

lint: setup
	@tools/lint.sh

engine-test: setup
	@PYTHONPATH=$(ODOO_SRC) .venv/bin/python tools/run_engine_tests.py

pot: setup
	@tools/pot.sh

clean:
	rm -rf .venv

bench: setup
	@tools/bench.sh
