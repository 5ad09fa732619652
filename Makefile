# make install: build .venv once.  make demo: run the embedded DAG end to end.
# make test: the test suite (includes a real run of the demo DAG). make test-fast: no slow tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install demo test test-fast lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel; a bare "torch" would pull a CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: install
	$(BIN)/snakemake --cores $(CORES) --configfile config/demo.yaml
	@echo "Reports: results/reports/*.html   Scores: results/scores.csv   Audit: results/audit.csv"

test: install
	$(BIN)/python -m pytest -q -ra --durations=15

# the inner loop: every module, no real-data, demo or Slurm runs (about 3 minutes on 2 cores)
test-fast: install
	$(BIN)/python -m pytest -q -ra -m "not slow"

lint: install
	$(BIN)/ruff check workflow tests bench notebooks
	$(BIN)/snakemake --lint --configfile config/demo.yaml

bench: install
	$(BIN)/python bench/preprocess_speed.py
	$(BIN)/python bench/window_features.py
	$(BIN)/python bench/wu2024_features.py

clean:
	rm -rf results logs .snakemake resources/synthetic
