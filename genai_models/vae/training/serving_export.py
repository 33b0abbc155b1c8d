"""The serving files of a model (card schema 4): its networks as ONNX and its vetted pools.

`write_serving_files` is the export's last step before the card. Run as
`python -m genai_models.vae.training.serving_export MODEL_DIR`, it upgrades a folder exported
before them (same weights, same version; the card gains the files' hashes and keeps everything
else), which is how the shipped model got its own without being retrained; and with
`--accept-confidence B0 … B9` it vets the pools again at those per-digit bars (the ones
`python -m bench.fairness --sweep-bars` suggests) and records them in the card.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from genai_models.vae.serving.card import (
    CARD_FILE,
    has_serving_files,
    read_verified_card,
    with_card_data,
    write_card,
)
from genai_models.vae.serving.runtime import OnnxNetworks
from genai_models.vae.serving.vetting import (
    ACCEPT_FIELD,
    SERVING_STATE_FILE,
    accept_bars,
    read_serving_state,
    write_serving_state,
)
from genai_models.vae.training.onnx_export import export_onnx, load_keras_models

log = logging.getLogger(__name__)

# What the card says of a folder that write_card recomputes.
_DERIVED = ("schema", "files", "version")


def write_serving_files(
    folder: Path, vae, checker, fields: dict[str, Any], *, onnx_written: bool = False, then=None
) -> dict[str, Any]:
    """Write the ONNX files (unless `onnx_written` already) and the vetted pools of `vae` and
    `checker` into `folder`, where its latents files already are; returns the card's `fields`
    with what vetting found. `then(sampler)`, when given, is called with a sampler serving the
    model as loading will (the pools read back from their file), before the card exists."""
    if not onnx_written:
        export_onnx(vae, checker, folder)
    # The card as the sampler will read it, from the files written so far.
    provisional = with_card_data(folder, {**fields, "schema": 3, "version": "unexported"})
    return _write_vetted_pools(folder, provisional, fields, then=then)


def _write_vetted_pools(
    folder: Path, card: dict[str, Any], fields: dict[str, Any], *, then=None
) -> dict[str, Any]:
    """Vet the pools of the networks in `folder` described by `card`, at the bars `fields` sets
    (or the default), and write them; returns `fields` with what vetting found. `then`: see
    `write_serving_files`."""
    from genai_models.vae.serving.sampler import DigitSampler
    from genai_models.vae.serving.serving_files import vet_sampler

    sampler = DigitSampler(OnnxNetworks.load(folder), card)
    state = vet_sampler(sampler)
    write_serving_state(folder / SERVING_STATE_FILE, state)
    if then is not None:  # the same networks' sessions, already open
        sampler.serve(read_serving_state(folder / SERVING_STATE_FILE), folder, refuse_undertrained=False)
        then(sampler)
    counts = state.accepted_counts()
    if min(counts) == 0:
        log.warning(
            "the model draws no acceptable %s yet: serving refuses it until it is trained longer",
            ", ".join(str(k) for k, count in enumerate(counts) if not count),
        )
    serving = {"runtime": "onnxruntime", "accepted_per_digit": counts}
    bars = (fields.get("serving") or {}).get(ACCEPT_FIELD)
    if bars is not None:  # the card's own bars, kept; a model without them is vetted at the default
        serving[ACCEPT_FIELD] = [float(bar) for bar in bars]
    return {**fields, "serving": serving}


def upgrade(model_dir: Path, bars: list[float] | None = None) -> dict[str, Any]:
    """Give an older export its serving files, or vet a current one's pools again (at `bars`,
    default: the card's); returns the new card. Same weights, same version."""
    card = read_verified_card(model_dir)  # refuse a damaged folder before rewriting its card
    fields = {
        key: value
        for key, value in json.loads((model_dir / CARD_FILE).read_text()).items()
        if key not in _DERIVED
    }
    if bars is not None:
        fields["serving"] = {**(fields.get("serving") or {}), ACCEPT_FIELD: [float(bar) for bar in bars]}
        accept_bars(fields)  # refuse bad bars before writing anything
    if has_serving_files(card):  # its networks are ONNX already: only the pools change
        vetted = _write_vetted_pools(model_dir, {**card, "serving": fields.get("serving")}, fields)
        return write_card(model_dir, vetted)
    vae, checker = load_keras_models(model_dir)
    return write_card(model_dir, write_serving_files(model_dir, vae, checker, fields))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m genai_models.vae.training.serving_export",
        description="Write (again) the serving files of exported models.",
    )
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument(
        "--accept-confidence",
        type=float,
        nargs=10,
        metavar="BAR",
        help="the self-check's acceptance bar for digits 0 to 9 (default: the card's, else "
        "the same bar for every digit)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for folder in args.folders:
        try:
            card = upgrade(folder, args.accept_confidence)
        except ValueError as exc:
            parser.error(str(exc))
        print(
            f"{folder}: model {card['version']} now carries its serving files "
            f"(accepted per digit: {card['serving']['accepted_per_digit']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
