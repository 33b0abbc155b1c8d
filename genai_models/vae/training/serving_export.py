"""The serving files of a model (card schema 4): its networks as ONNX and its vetted pools.

`write_serving_files` is the export's last step before the card. Run as
`python -m genai_models.vae.training.serving_export MODEL_DIR`, it upgrades a folder exported
before them (same weights, same version; the card gains the files' hashes and keeps everything
else), which is how the shipped model got its own without being retrained.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from genai_models.vae.serving.card import CARD_FILE, read_verified_card, with_card_data, write_card
from genai_models.vae.serving.runtime import OnnxNetworks
from genai_models.vae.serving.vetting import SERVING_STATE_FILE, write_serving_state
from genai_models.vae.training.onnx_export import export_onnx, load_keras_models

log = logging.getLogger(__name__)

# What the card says of a folder that write_card recomputes.
_DERIVED = ("schema", "files", "version")


def write_serving_files(
    folder: Path, vae, checker, fields: dict[str, Any], *, onnx_written: bool = False
) -> dict[str, Any]:
    """Write the ONNX files (unless `onnx_written` already) and the vetted pools of `vae` and
    `checker` into `folder`, where its latents files already are; returns the card's `fields`
    with what vetting found."""
    from genai_models.vae.serving.sampler import DigitSampler
    from genai_models.vae.serving.serving_files import vet_sampler

    if not onnx_written:
        export_onnx(vae, checker, folder)
    # The card as the sampler will read it, from the files written so far.
    provisional = with_card_data(folder, {**fields, "schema": 3, "version": "unexported"})
    sampler = DigitSampler(OnnxNetworks.load(folder), provisional)
    state = vet_sampler(sampler)
    write_serving_state(folder / SERVING_STATE_FILE, state)
    counts = state.accepted_counts()
    if min(counts) == 0:
        log.warning(
            "the model draws no acceptable %s yet: serving refuses it until it is trained longer",
            ", ".join(str(k) for k, count in enumerate(counts) if not count),
        )
    return {**fields, "serving": {"runtime": "onnxruntime", "accepted_per_digit": counts}}


def upgrade(model_dir: Path) -> dict[str, Any]:
    """Give an older export its serving files; returns the new card."""
    read_verified_card(model_dir)  # refuse a damaged folder before rewriting its card
    fields = {
        key: value
        for key, value in json.loads((model_dir / CARD_FILE).read_text()).items()
        if key not in _DERIVED
    }
    vae, checker = load_keras_models(model_dir)
    return write_card(model_dir, write_serving_files(model_dir, vae, checker, fields))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for folder in argv:
        card = upgrade(Path(folder))
        print(
            f"{folder}: model {card['version']} now carries its serving files "
            f"(accepted per digit: {card['serving']['accepted_per_digit']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
