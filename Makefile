# Fresh clone → `make demo` / `make test`. Each creates .venv when missing.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
export UTFALL_HOME ?= $(CURDIR)/data
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# Some machines' global pip config names local mirrors that are absent: pip warns once per
# package. Hide only that line; every other message, and pip's exit code, stay.
PIP_QUIET_FILTER := grep -v "is ignored: it is neither a file nor a directory" || true

.PHONY: demo test venv clean-data contracts bench docs dbt-rules

$(BIN)/utfall: pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip 2>&1 | { $(PIP_QUIET_FILTER); }
	# constraints.txt pins every transitive package: the install is reproducible.
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]' 2>&1 | { $(PIP_QUIET_FILTER); }
	touch $(BIN)/utfall

venv: $(BIN)/utfall

demo: venv
	$(BIN)/python -m utfall.synthetic.demo

# --no-loadscope-reorder: the workers take the slowest tests first (tests/conftest.py SLOWEST_FIRST);
# --durations: the slowest tests are printed at the end.
test: venv
	bash scripts/install-test-deps.sh
	$(BIN)/python -m pytest -q -n auto --dist loadgroup --no-loadscope-reorder --durations=15

# The whole pipeline timed at a scale (small: a few minutes; national: 80 förbund, 300,000
# participants, 11 years). Results: bench/results/<date>-<scale>.json and .md.
# WAREHOUSE=postgres: the same stages on a PostgreSQL server of the bench's own
# (bench/results/<date>-<scale>-postgresql.*, beside DuckDB's of that date).
SCALE ?= small
WAREHOUSE ?= duckdb
bench: venv
	$(BIN)/python -m bench.run --scale $(SCALE) --warehouse $(WAREHOUSE)

# The documentation site (docs/, mkdocs.yml) into site/; --strict: a broken link or anchor fails.
# While editing: .venv/bin/mkdocs serve.
docs: venv
	$(BIN)/mkdocs build --strict

contracts: venv
	$(BIN)/utfall contracts export

# The dbt layout rules (dbt-project-evaluator's, on manifest.json; tests/support/dbt_rules.py) with the
# deliberate exceptions of dbt/layout_exceptions.yml; the dbt unit tests run in tests/warehouse/test_build.py.
dbt-rules: venv
	$(BIN)/python -m pytest -q tests/warehouse/test_dbt_rules.py

clean-data:
	rm -rf $(UTFALL_HOME)
