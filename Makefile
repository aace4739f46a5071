# customer_abc: the commands of the README.  ODOO_SRC (default /opt/odoo) names
# an Odoo 18.0 or 19.0 Community source tree; the series found there picks the
# virtualenv (.venv for 18.0, .venv19 for 19.0).  PostgreSQL must accept the
# current user.  ODOO=19 is short for ODOO_SRC=$(ODOO19_SRC) (default /opt/odoo19).
ODOO19_SRC ?= /opt/odoo19
ifeq ($(ODOO),19)
ODOO_SRC := $(ODOO19_SRC)
endif
ODOO_SRC ?= /opt/odoo
export ODOO_SRC

.PHONY: help setup demo test lint engine-test pot bench prod-check replica-check clean

help:
	@echo "make demo   build the virtualenv, create the demo database, classify, serve on http://localhost:8069"
	@echo "make test   everything CI runs for one Odoo series: linters, engine tests, Odoo tests, i18n, packaging"
	@echo "make bench  the daily job on 10k, 100k and 1M generated orders (SIZES=...)"
	@echo "make prod-check    the classification under --workers=2 and default limits (SIZE=10000000)"
	@echo "make replica-check every screen and the nightly read on a real streaming standby (root)"
	@echo "make lint | engine-test | pot | setup | clean"
	@echo "Odoo 19.0: add ODOO=19 (or ODOO_SRC=/path/to/19.0); CI runs both: bash .ci/run"

setup:
	@tools/setup.sh

demo: setup
	@tools/demo.sh

test: setup
	@tools/test.sh

lint: setup
	@tools/lint.sh

engine-test: setup
	@tools/engine_test.sh

pot: setup
	@tools/pot.sh

clean:
	rm -rf .venv .venv19

bench: setup
	@tools/bench.sh

prod-check: setup
	@tools/prod_check.sh

replica-check: setup
	@tools/replica_check.sh
