# The few commands everyone uses. `make demo` and `make test` install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
export PANORAMA_HOME ?= $(CURDIR)/.panorama
export DAGSTER_HOME ?= $(PANORAMA_HOME)/dagster
# Nothing may wait on the network: dbt, Dagster and great-expectations telemetry off.
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := False
export DAGSTER_DISABLE_TELEMETRY := 1

# Extra arguments for `panorama demo`, e.g. make demo ARGS="--members 50000 --days 180"
ARGS ?=

.PHONY: install browser prepare demo test dev lint bench clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(MAKE) --no-print-directory browser
	touch $(STAMP)

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here),
# with a CJK font so that Chinese names render in the portal's screenshots.
browser:
	@test -x $(CHROMIUM) -a -d /usr/share/fonts/truetype/wqy || { \
		command -v apt-get >/dev/null || { echo "install Chromium at $(CHROMIUM) for the browser tests" >&2; exit 1; }; \
		echo "installing chromium and a CJK font (apt-get) for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# The dbt manifest (dagster-dbt reads it when definitions load) and the Dagster instance config.
prepare: install
	$(BIN)/panorama --home $(PANORAMA_HOME) prepare

demo: prepare
	$(BIN)/panorama --home $(PANORAMA_HOME) demo $(ARGS)

test: prepare
	$(BIN)/python -m pytest -q -n 2

dev: prepare
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint: install
	$(BIN)/ruff check dagster_project models_ml data_quality tests bench
	$(BIN)/ruff format --check dagster_project models_ml data_quality tests bench
	$(BIN)/sqlfluff lint dbt/models

# Measured figures go to docs/performance.md; see the docstring of each bench module.
bench: prepare
	$(BIN)/python -m bench.simulator_speed
	$(BIN)/python -m bench.warehouse

clean:
	rm -rf $(VENV) .panorama
