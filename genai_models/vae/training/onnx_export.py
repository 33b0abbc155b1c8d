"""The Keras models → the ONNX files serving runs (serving/runtime.py), and the Keras models
behind the same interface, to check that the two draw the same digits.

Keras's own exporter (`export(format="onnx")`, through tf2onnx) converts the decoder as it is.
The encoder is exported as its submodel that outputs `z_mean` (serving never samples a code),
and a model loaded from a file has to be called once before it can be exported.
"""

from __future__ import annotations

import logging
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_models.errors import ModelFileError
from genai_models.vae.backend import keras
from genai_models.vae.serving.card import CHECKER_FILE, VAE_FILE
from genai_models.vae.serving.runtime import CHECKER_ONNX, DECODER_ONNX, ENCODER_ONNX, ONNX_FILES

log = logging.getLogger(__name__)


def export_onnx(vae, checker, folder: Path, names: tuple[str, ...] = ONNX_FILES) -> None:
    """Write DECODER_ONNX, ENCODER_ONNX and CHECKER_ONNX of these Keras models into `folder`
    (those of them in `names`)."""
    example = np.zeros((1, 28, 28, 1), "float32")
    encoder = keras.Model(vae.encoder.input, vae.encoder.outputs[0], name="encoder_mean")
    encoder(example)
    checker(example)
    # tf2onnx reports each graph rewrite at INFO: noise in a training log.
    logging.getLogger("tf2onnx").setLevel(max(logging.WARNING, logging.getLogger().level))
    with warnings.catch_warnings():
        # tf2onnx probes NumPy for aliases NumPy 2 deprecates; nothing of ours to act on.
        warnings.simplefilter("ignore")
        for model, name in ((vae.decoder, DECODER_ONNX), (encoder, ENCODER_ONNX), (checker, CHECKER_ONNX)):
            if name in names:
                model.export(str(folder / name), format="onnx", verbose=False)


def export_onnx_from_files(model_dir: Path, folder: Path) -> None:
    """The same, for the Keras files in `model_dir` (an older export without ONNX files)."""
    vae, checker = load_keras_models(model_dir)
    export_onnx(vae, checker, folder)


def load_keras_models(model_dir: Path):
    """The VAE and the self-check of `model_dir`, checked to be what serving needs."""
    from genai_models.vae.model import VAE  # registers the VAE's classes with Keras

    vae = _load_model_file(model_dir / VAE_FILE)
    checker = _load_model_file(model_dir / CHECKER_FILE)
    if not isinstance(vae, VAE):
        raise ModelFileError(
            f"Model file {model_dir / VAE_FILE} holds a {type(vae).__name__}, "
            "not the digit VAE: the folder's files are mixed up"
        )
    if tuple(checker.input_shape) != (None, 28, 28, 1) or tuple(checker.output_shape) != (None, 10):
        raise ModelFileError(
            f"Model file {model_dir / CHECKER_FILE} maps {checker.input_shape} to "
            f"{checker.output_shape}, not 28x28 digits to 10 classes: wrong file"
        )
    return vae, checker


@dataclass(frozen=True)
class KerasNetworks:
    """runtime.OnnxNetworks' interface over the Keras models themselves."""

    vae: object
    checker: object

    @classmethod
    def load(cls, model_dir: Path) -> KerasNetworks:
        return cls(*load_keras_models(model_dir))

    @property
    def latent_dim(self) -> int:
        return int(self.vae.decoder.inputs[0].shape[-1])

    def logits(self, z: np.ndarray, class_weights: np.ndarray) -> np.ndarray:
        return np.asarray(
            self.vae.decoder([np.asarray(z, "float32"), np.asarray(class_weights, "float32")], training=False)
        )[..., 0]

    def encode(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self.vae.encoder(np.asarray(images, "float32"), training=False)[0])

    def classify(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self.checker(np.asarray(images, "float32"), training=False))


def _load_model_file(path: Path):
    """One Keras file, or a ModelFileError naming it: a file can match its card's hash and still
    be no model (a card rewritten over the wrong file, an archive from elsewhere)."""
    try:
        return keras.saving.load_model(path, compile=False)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, zipfile.BadZipFile) as exc:
        # Keras's message can hold the whole model config: log it, keep the user's line short.
        log.error("loading %s failed: %s", path, exc)
        raise ModelFileError(
            f"Model file {path} is not a loadable Keras model ({type(exc).__name__}): it is "
            "damaged or from an incompatible version; copy it again or retrain"
        ) from None
