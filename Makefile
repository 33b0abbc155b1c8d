# Two commands on a fresh machine: `make run` (the bot, or the offline demo without a token)
# and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint bench train clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/genai-bot start

demo: $(STAMP)
	$(BIN)/genai-bot demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench

# The shipped recipe; /train-status reads runs/vae (GENAI_TRAINING_DIR) while it runs.
train: $(STAMP)
	$(BIN)/genai-bot train --data ../shared/data/mnist-digits-8k.npz --epochs 75 --seed 0 --precision float32 --out runs/vae

clean:
	rm -rf $(VENV) out .pytest_cache
