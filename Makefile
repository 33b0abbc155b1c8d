# Two commands on a fresh machine: `make run` (the bot, or the offline demo without a token)
# and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint bench train clean wrong-venv

# A .venv built by another interpreter (an earlier `make run PYTHON=python3.13`, or one whose
# Python was removed) is rebuilt rather than reused: pip would fail in it, or install for the
# wrong version. Without PYTHON given, any working .venv is kept.
VERSION_OF = -c 'import sys; print("%d.%d" % sys.version_info[:2])'
VENV_VERSION := $(shell test -d $(VENV) && { $(BIN)/python $(VERSION_OF) 2>/dev/null || echo none; })
ifeq ($(VENV_VERSION),none)
WRONG_VENV := .venv has no working Python: rebuilding it
else ifneq ($(and $(VENV_VERSION),$(filter-out file,$(origin PYTHON))),)
WANTED_VERSION := $(shell $(PYTHON) $(VERSION_OF) 2>/dev/null)
ifneq ($(VENV_VERSION),$(WANTED_VERSION))
WRONG_VENV := .venv is Python $(VENV_VERSION), not $(or $(WANTED_VERSION),$(PYTHON)): rebuilding it
endif
endif

# PYTHONWARNINGS: setuptools' editable-install notice is for packaging authors, not users.
$(STAMP): pyproject.toml $(if $(WRONG_VENV),wrong-venv)
	$(if $(WRONG_VENV),@echo '$(WRONG_VENV)' && rm -rf $(VENV))
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	PYTHONWARNINGS='ignore:::setuptools.command.editable_wheel' $(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/genai-bot start

demo: $(STAMP)
	$(BIN)/genai-bot demo

# The tests start their own PostgreSQL server (tests/postgres_server.py): its binaries first.
test: $(STAMP)
	bash .ci/install-postgresql
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench --write-docs docs/benchmarks.md

# The shipped recipe; /train-status reads runs/vae (GENAI_TRAINING_DIR) while it runs.
train: $(STAMP)
	$(BIN)/genai-bot train --data ../shared/data/mnist-digits-8k.npz --epochs 75 --seed 0 --precision float32 --out runs/vae

clean:
	rm -rf $(VENV) out .pytest_cache
