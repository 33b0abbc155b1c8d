"""`make train` is the shipped model's recipe: every choice its card records that `genai-bot
train` takes as an option is passed explicitly, so that new defaults for a new run never change
what `make train` makes."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHIPPED_CARD = ROOT / "genai_models" / "vae" / "pretrained" / "model_card.json"
NUMBERS = {
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate": "--learning-rate",
    "seed": "--seed",
}


def make_train_options() -> dict[str, str]:
    recipe = re.search(r"^train:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    return dict(re.findall(r"(--[\w-]+) (\S+)", recipe))


def test_make_train_passes_every_choice_of_the_shipped_recipe():
    training = json.loads(SHIPPED_CARD.read_text())["training"]
    passed = make_train_options()
    for field, option in NUMBERS.items():
        assert option in passed, f"make train leaves {option} to genai-bot train's default"
        assert float(passed[option]) == float(training[field]), option
    assert passed.get("--precision") == training["precision"]
