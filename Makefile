# make install: build .venv once.  make demo: run the embedded DAG end to end.
# make test: the test suite (includes a real run of the demo DAG). make test-fast: no slow tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install lock demo test test-fast lint bench clean

install: $(STAMP)

# requirements.lock pins every package but torch with its sha256 hashes (pip-compile of
# pyproject.toml with the test extra, for CPython 3.11 on Linux; `make lock` remakes it).
# torch has its own hashed lock per build because one version number names different
# wheels: on Linux x86_64, torch==$(TORCH_VERSION) from PyPI is the CUDA build (it pulls the
# nvidia-* libraries: requirements-torch-cuda.lock), and the CPU-only build is
# $(TORCH_VERSION)+cpu on the PyTorch CPU index (requirements-torch-cpu.lock). TORCH=cpu (the
# default where nvidia-smi is absent) installs from that index, TORCH=cuda from PyPI; the
# dependencies they share with the main lock have its pins. A machine whose pip config names
# a local wheel folder (find-links) also takes a matching torch wheel from there (its hash
# must be the lock's).
TORCH_VERSION := 2.13.0
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
TORCH ?= $(if $(shell command -v nvidia-smi 2>/dev/null),cuda,cpu)
ifeq ($(filter cpu cuda,$(TORCH)),)
$(error TORCH=$(TORCH): use TORCH=cpu (CPU-only wheel) or TORCH=cuda (PyPI's CUDA build))
endif
TORCH_FROM := $(if $(filter cpu,$(TORCH)),--index-url $(TORCH_CPU_INDEX) --extra-index-url https://pypi.org/simple)

$(STAMP): pyproject.toml requirements.lock requirements-torch-$(TORCH).lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --require-hashes $(TORCH_FROM) -r requirements-torch-$(TORCH).lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

# remake the lock after a change of pins in pyproject.toml (needs the network)
lock:
	test -x $(VENV)-lock/bin/pip-compile || \
		($(PY) -m venv $(VENV)-lock && $(VENV)-lock/bin/pip install --quiet pip-tools==7.7.0)
	$(VENV)-lock/bin/pip-compile --quiet --generate-hashes --extra test --strip-extras \
		--unsafe-package torch --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml
	for build in cpu cuda; do \
		$(VENV)-lock/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
			--no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
			$$(test $$build = cpu && echo --extra-index-url $(TORCH_CPU_INDEX)) \
			--output-file requirements-torch-$$build.lock requirements-torch-$$build.in; \
	done

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
