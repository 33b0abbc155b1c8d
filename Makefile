# Two commands on a fresh machine: `make run` (the bot, or the offline demo without a token)
# and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint bench train lock image clean wrong-venv

# A .venv built by another interpreter (an earlier `make run PYTHON=python3.13`, or one whose
# Python was removed) is rebuilt rather than reused: pip would fail in it, or install for the
# wrong version. Without PYTHON given, any working .venv is kept.
VERSION_OF = -c 'import sys; print("%d.%d" % sys.version_info[:2])'
VENV_VERSION := $(shell test -d $(VENV) && { $(BIN)/python $(VERSION_OF) 2>/dev/null || echo none; })
ifeq ($(VENV_VERSION),none)
WRONG_VENV := .venv has no working Python: rebuilding it
else ifneq ($(and $(VENV_VERSION),$(filter-out file,$(origin PYTHON))),)
WANTED_VERSION := $(shell $(PYTHON) $(VERSION_OF) 2>/dev/null)
ifeq ($(WANTED_VERSION),)
# A mistyped PYTHON must not cost a working .venv: stop before anything is removed.
$(error PYTHON=$(PYTHON) does not run here; .venv is left as it is (Python $(VENV_VERSION)))
endif
ifneq ($(VENV_VERSION),$(WANTED_VERSION))
WRONG_VENV := .venv is Python $(VENV_VERSION), not $(or $(WANTED_VERSION),$(PYTHON)): rebuilding it
endif
endif

# PYTHONWARNINGS: setuptools' editable-install notice is for packaging authors, not users.
$(STAMP): pyproject.toml $(if $(WRONG_VENV),wrong-venv)
	$(if $(WRONG_VENV),@echo '$(WRONG_VENV)' && rm -rf $(VENV))
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@echo 'Installing genai-bot and what it needs into $(VENV): about 2 GB (TensorFlow trains the digit model), a few minutes the first time'
	$(BIN)/pip install --quiet --upgrade pip
	PYTHONWARNINGS='ignore:::setuptools.command.editable_wheel' $(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/genai-bot start

demo: $(STAMP)
	$(BIN)/genai-bot demo

# The tests start their own PostgreSQL server (tests/postgres_server.py) and check the alert
# rules with promtool (tests/deploy): their binaries first.
test: $(STAMP)
	bash .ci/install-postgresql
	bash .ci/install-promtool
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench --write-docs docs/benchmarks.md

# The shipped model's recipe, offline, on the 8,000 MNIST digits in datasets/ (its README says
# where they come from); /train-status reads runs/vae (GENAI_TRAINING_DIR) while it runs.
# Pass DATA= (empty) to download MNIST's 70,000 digits instead, or another .npz / IDX folder;
# FORCE=1 replaces what an earlier run left in runs/vae.
DATA ?= datasets/mnist-digits-8k.npz
train: $(STAMP)
	$(BIN)/genai-bot train $(if $(DATA),--data $(DATA)) --epochs 75 --batch-size 128 --learning-rate 0.001 --seed 0 --precision float32 --out runs/vae $(if $(FORCE),--force)

# requirements.lock: every package the image installs, pinned with its hashes, resolved for the
# image (Linux x86_64, Python 3.11: python:3.11-slim); the Dockerfile installs it with
# --require-hashes. Run after changing pyproject.toml's dependencies; setuptools and wheel build
# the image's wheel. (Elsewhere, pip installs from pyproject.toml's ranges.)
lock: $(STAMP)
	$(BIN)/pip install --quiet 'uv>=0.5,<1'
	printf 'setuptools>=68\nwheel\n' | $(BIN)/uv pip compile pyproject.toml - \
		--python-platform x86_64-manylinux_2_28 --python-version 3.11 --generate-hashes --quiet \
		--custom-compile-command 'make lock' --output-file requirements.lock

image:
	docker build -t genai-bot .

clean:
	rm -rf $(VENV) out .pytest_cache
