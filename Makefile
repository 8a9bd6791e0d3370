# The two commands of the README's quickstart: `make demo` and `make test`.
# Each creates its own virtual environment in .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/afteraction demo

test: $(BIN)/.installed
	scripts/test-services
	scripts/test-browser
	scripts/mcp-servers
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) afteraction-demo .pytest_cache
