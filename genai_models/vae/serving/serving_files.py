"""Where a sampler's serving files come from: beside the weights, or made once and cached.

A model exported from card schema 4 on carries its networks as ONNX and its vetted pools
(SERVING_FILES, vouched for by its card): loading reads them, with no TensorFlow and no decoding.
An older model (or a hand-copied folder) has only its Keras files: its first load converts them
to ONNX (this one imports TensorFlow, once) and vets its pools, and keeps both in the cache
folder under a key made of its files' hashes, so every later load, in this process or another,
reads them from there. A cache that cannot be written only costs the next load the same work.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from genai_models.errors import ModelFileError
from genai_models.vae.serving.card import OPTIONAL_FILES, SERVING_FILES, has_serving_files
from genai_models.vae.serving.digitness import DIGITNESS_ONNX, DigitnessCheck
from genai_models.vae.serving.runtime import ONNX_FILES, OnnxNetworks
from genai_models.vae.serving.vetting import (
    ACCEPT_FIELD,
    SERVING_STATE_FILE,
    ServingState,
    accept_bars,
    pool_candidates,
    read_serving_state,
    vet,
    write_serving_state,
)

log = logging.getLogger(__name__)

CACHE_FOLDER = "model-cache"


def default_cache_dir() -> Path:
    """GENAI_DATA_DIR/model-cache: the bot's data folder (./data unless set)."""
    return Path(os.environ.get("GENAI_DATA_DIR") or "data") / CACHE_FOLDER


def cache_key(card: dict) -> str:
    """Names the model by the hashes of the files that determine its serving files, and by
    the card's acceptance bars when it sets them."""
    files = {
        name: entry.get("sha256")
        for name, entry in card.get("files", {}).items()
        if name not in SERVING_FILES and name not in OPTIONAL_FILES
    }
    bars = (card.get("serving") or {}).get(ACCEPT_FIELD)
    if bars is not None:
        files[ACCEPT_FIELD] = bars
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:24]


def load_sampler(
    cls, model_dir: Path, card: dict, cache_dir: Path | str | None, *, refuse_undertrained: bool = True
):
    """A `cls` (DigitSampler) serving the verified `card`'s model in `model_dir`."""
    sampler = _load_sampler(cls, model_dir, card, cache_dir, refuse_undertrained=refuse_undertrained)
    sampler.digitness = digitness_check(model_dir, card)
    return sampler


def digitness_check(model_dir: Path, card: dict) -> DigitnessCheck | None:
    """The model's digit-ness check for /handwriting, when its card vouches for one."""
    if DIGITNESS_ONNX in card.get("files", {}):
        return DigitnessCheck.load(model_dir / DIGITNESS_ONNX)
    log.info(
        "the model in %s has no %s: /handwriting refuses what is not a digit with its older "
        "checks only (python -m genai_models.vae.training.digitness adds it)",
        model_dir,
        DIGITNESS_ONNX,
    )
    return None


def _load_sampler(cls, model_dir: Path, card: dict, cache_dir, *, refuse_undertrained: bool):
    if has_serving_files(card):
        sampler = cls(OnnxNetworks.load(model_dir), card)
        state = read_serving_state(model_dir / SERVING_STATE_FILE)
        if state is None:
            raise ModelFileError(
                f"Model file {model_dir / SERVING_STATE_FILE} is from another "
                "version of genai-bot: export the model again"
            )
        sampler.serve(state, model_dir, refuse_undertrained=refuse_undertrained)
        return sampler
    key = cache_key(card)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = folder / key
    if not all((folder / name).is_file() for name in ONNX_FILES):
        log.info("converting the model in %s for serving (once; kept in %s)", model_dir, folder)
        _publish_networks(model_dir, folder)
    sampler = cls(OnnxNetworks.load(folder), card)
    state = read_serving_state(folder / SERVING_STATE_FILE, key=key)
    if state is None:
        log.info("vetting the model's digits (once; kept in %s)", folder)
        state = vet_sampler(sampler)
        try:
            write_serving_state(folder / SERVING_STATE_FILE, state, key=key)
        except OSError as exc:
            log.warning(
                "could not keep the vetted digits in %s (%s): the next start vets them again",
                folder,
                exc.strerror or exc,
            )
    sampler.serve(state, model_dir, refuse_undertrained=refuse_undertrained)
    return sampler


def vet_sampler(sampler, bars=None) -> ServingState:
    """Vet a sampler's pools from its card (vetting.py), at `bars` (default: the card's)."""
    card = sampler.card
    scatter = card.get("validation_latents", {})
    codes = np.asarray(scatter.get("points", []), "float32").reshape(-1, sampler.latent_dim)
    labels = np.asarray(scatter.get("labels", []), "int32")
    bars = accept_bars(card) if bars is None else bars
    return vet(sampler, pool_candidates(card, sampler.latent_dim), codes, labels, bars)


def _publish_networks(model_dir: Path, folder: Path) -> None:
    """Convert the Keras files to ONNX into `folder`, all three appearing at once."""
    from genai_models.vae.training.onnx_export import export_onnx_from_files

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        export_onnx_from_files(model_dir, staging)
        folder.mkdir(exist_ok=True)
        for name in ONNX_FILES:
            os.replace(staging / name, folder / name)
    except OSError as exc:
        raise ModelFileError(
            f"cannot convert the model in {model_dir} for serving into "
            f"{folder}: {exc.strerror or exc}; set GENAI_DATA_DIR to a "
            "writable folder"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
