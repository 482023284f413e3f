# The two commands of the README: `make run` (the service, embedded default) and `make test`
# (everything CI checks). Both create the virtual environment on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test system-deps lint typecheck imports client-lint unit integration bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/concord serve

test: lint typecheck imports client-lint unit integration

# Debian packages some integration tests run (nginx, the PostgreSQL client tools): installed
# when missing if we are root, else a clear message (scripts/system-deps.sh).
system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

client-lint: $(STAMP)
	$(BIN)/gdparse $$(find client -name '*.gd') > /dev/null
	$(BIN)/gdlint client
	$(BIN)/gdformat --check client

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

integration: $(STAMP) system-deps
	$(BIN)/pytest tests/integration -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
