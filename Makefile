# Two commands matter: `make demo` (whole workflow against the local emulation) and `make test`.
# Each installs what it needs; `make install` creates .venv with pinned dependencies.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
STACK ?= dev

.PHONY: install compile test lint typecheck unit demo plan bench clean docs robustness

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode --no-deps --config-setting editable_mode=compat -e .
	touch $(STAMP)

# This machine sets PYTHONDONTWRITEBYTECODE=1: compile the project's own modules once, so that
# startup does not pay for parsing them on every command.
compile: $(STAMP)
	@$(BIN)/python -m compileall -q core catalog ops

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP) compile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy core catalog infra ops policy benchmarks tests

# pytest exits 5 when it collects nothing: for this project that is a broken test tree, not a pass.
unit: install
	@$(BIN)/python -m pytest -n 2; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: the test tree is broken" >&2; exit 1; fi; \
	exit $$status

test: lint typecheck unit

docs: $(STAMP)
	$(BIN)/python -m ops.docgen --write

# Rewrite the README's robustness tables from a real run of every case (tests/robustness/).
robustness: install
	FOUNDRY_WRITE_MATRIX=1 $(BIN)/python -m pytest -q -p no:xdist tests/robustness

plan: $(STAMP)
	$(BIN)/python -m infra.plan --stack $(STACK)

demo: install
	$(BIN)/python -m demo

bench: install compile
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) node_modules build *.egg-info
