# griddispatch: `make run` serves the console, `make test` runs every test tier.
# Both install what is missing first (Debian packages, the .venv), so they work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get
POSTGIS := /usr/share/postgresql/15/extension/postgis.control
PG_CTL := /usr/lib/postgresql/15/bin/pg_ctl
PYTEST_ARGS ?=

.PHONY: run test bench faults load soak lint sysdeps browserdeps jobdeps benchdeps venv demo clean

# The city simulator runs beside the console (started once it answers, stopped with it);
# SIMULATE=0 serves the console alone.
run: sysdeps venv
	$(BIN)/python -m console run $(if $(filter 0,$(SIMULATE)),,--simulate)

test: sysdeps browserdeps jobdeps venv lint
	$(BIN)/python -m pytest -m "not bench" $(PYTEST_ARGS)

# Every benchmark module on a fresh copy of the bench city; each run is stamped and kept in
# .var/bench/runs/, a complete one becomes .var/bench/results.json. QUICK=1: the subset.
bench: sysdeps browserdeps benchdeps venv
	$(BIN)/python -m tests.bench $(if $(QUICK),--quick)

# One module alone: the console under failure (kill -9 during intake, PostgreSQL restarted
# under a desk), and under load (50 operators, 5,000 positions/s; LOAD_S seconds).
faults: sysdeps browserdeps venv
	$(BIN)/python -m tests.bench faults

load: sysdeps venv
	GD_LOAD_S=$(or $(LOAD_S),300) $(BIN)/python -m tests.bench load

# A week of position history (about 74 million fixes), then 10 minutes at 5,000 fixes/s
# through the API: ingest rate kept, replay of an hour, dropping a day, disk per fix.
soak: sysdeps venv
	$(BIN)/python -m tests.bench.soak

lint: venv
	$(BIN)/ruff check console geo layers data tests
	$(BIN)/mypy geo layers

# (Re)load the demo city into the configured database: make demo SIZE=city
demo: sysdeps venv
	$(BIN)/python -m console demo --size $(or $(SIZE),city) --replace

sysdeps:
	@if [ ! -f $(POSTGIS) ] || [ ! -x $(PG_CTL) ]; then \
	  if [ -n "$$DATABASE_URL" ]; then echo "DATABASE_URL is set: not installing a local PostGIS"; \
	  else echo ">> installing PostgreSQL 15 + PostGIS 3 (Debian)"; \
	    $(APT) update -qq && $(APT) install -y -qq postgresql-15 postgresql-15-postgis-3 >/dev/null; fi; \
	fi

# Redis, for the test of background jobs on Celery (GD_JOBS=redis://…)
jobdeps:
	@if [ ! -x /usr/bin/redis-server ]; then \
	  echo ">> installing Redis (Debian) for the Celery jobs test"; \
	  $(APT) update -qq && $(APT) install -y -qq redis-server >/dev/null; \
	fi

# pgRouting, the routing bench's peer: the same nearest-unit queries on the same road graph
benchdeps:
	@if [ ! -f /usr/share/postgresql/15/extension/pgrouting.control ]; then \
	  echo ">> installing pgRouting (Debian) for the routing benchmark"; \
	  $(APT) update -qq && $(APT) install -y -qq postgresql-15-pgrouting >/dev/null; \
	fi

browserdeps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ]; then \
	  echo ">> installing Chromium (Debian) for the browser tests"; \
	  $(APT) update -qq && $(APT) install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $@

clean:
	-$(BIN)/python -m console stop-db
	rm -rf .var
