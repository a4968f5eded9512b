# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=75"
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# A run with failed units (exit 1) still has results worth reading: go on to the next one, and
# exit 1 at the end; bad input (exit 2) or an interrupt stops at once.
demo: $(STAMP)
	@status=0; for exp in critique debate summarize; do \
	  echo "$(BIN)/oversight run protocols/$$exp.yaml"; \
	  $(BIN)/oversight run protocols/$$exp.yaml; rc=$$?; \
	  if [ $$rc -eq 1 ]; then status=1; elif [ $$rc -ne 0 ]; then exit $$rc; fi; \
	done; exit $$status

test: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/model_layer_overhead.py

clean:
	rm -rf $(VENV)
