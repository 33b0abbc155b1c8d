"""Turn a model folder back into what exports wrote before the serving files (card schema 3)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from genai_models.vae.files import sha256_of
from genai_models.vae.serving.card import (
    CARD_FILE,
    CLASS_LATENTS_FILE,
    HISTORY_FILE,
    SCHEMA_3_FILES,
    SERVING_FILES,
)
from genai_models.vae.serving.vetting import ACCEPT_FIELD


def make_older_export(folder: Path) -> Path:
    """Remove the serving files, put the class statistics and history back into the card."""
    card = json.loads((folder / CARD_FILE).read_text())
    with np.load(io.BytesIO((folder / CLASS_LATENTS_FILE).read_bytes())) as stats:
        card["class_latents"] = {
            str(k): {
                "count": int(stats["counts"][k]),
                "mean": stats["means"][k].tolist(),
                "covariance": stats["covariances"][k].tolist(),
            }
            for k in range(10)
        }
    card["history"] = json.loads((folder / HISTORY_FILE).read_text())
    for name in (*SERVING_FILES, CLASS_LATENTS_FILE, HISTORY_FILE):
        (folder / name).unlink()
    serving = card.pop("serving", {})
    if ACCEPT_FIELD in serving:  # the per-digit acceptance bars are the card's, not a serving file's
        card["serving"] = {ACCEPT_FIELD: serving[ACCEPT_FIELD]}
    card["schema"] = 3
    card["files"] = {name: {"sha256": sha256_of(folder / name)} for name in SCHEMA_3_FILES}
    (folder / CARD_FILE).write_text(json.dumps(card))
    return folder
