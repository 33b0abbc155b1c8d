"""The three networks serving needs, run by ONNX Runtime: no TensorFlow, no Keras.

Training exports the decoder, the encoder (its `z_mean` output) and the self-check classifier
to ONNX beside the Keras files (genai_models.vae.training.onnx_export); this module runs them.
ONNX Runtime starts in a fraction of TensorFlow's import and memory; docs/serving.md says why
it was chosen over LiteRT.

Its defaults suit a machine of its own, not a bot sharing a few cores: a pool of threads that
spin while they wait for work, and a memory arena that keeps the largest batch's buffers. So
each session computes on the calling thread (one intra-op thread, no spinning; the bot's
worker pool already runs requests side by side), and batches go through in chunks of at most
DECODE_CHUNK rows, which also bounds what the arena keeps.
Sessions are safe to call from several threads at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_models.errors import ModelFileError

DECODER_ONNX = "decoder.onnx"
ENCODER_ONNX = "encoder.onnx"
CHECKER_ONNX = "checker.onnx"
ONNX_FILES = (DECODER_ONNX, ENCODER_ONNX, CHECKER_ONNX)
DECODE_CHUNK = 64  # rows per session call
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


@dataclass(frozen=True)
class OnnxNetworks:
    """`logits`, `encode` and `classify`, each taking and returning float32 NumPy arrays."""

    decoder: object  # onnxruntime.InferenceSession
    encoder: object
    checker: object
    latent_dim: int

    @classmethod
    def load(cls, folder: Path) -> OnnxNetworks:
        """The three sessions from `folder`, checked to take and give the shapes serving uses."""
        decoder, encoder, checker = (session(folder / name) for name in ONNX_FILES)
        latent_dim = _check_shapes(folder, decoder, encoder, checker)
        return cls(decoder, encoder, checker, latent_dim)

    def logits(self, z: np.ndarray, class_weights: np.ndarray) -> np.ndarray:
        """Latent points (N, D) and class weights (N, 10) → the decoder's logits (N, 28, 28)."""
        z = np.ascontiguousarray(z, "float32")
        weights = np.ascontiguousarray(class_weights, "float32")
        if not len(z):
            return np.zeros((0, 28, 28), "float32")
        names = [node.name for node in self.decoder.get_inputs()]
        return np.concatenate(
            [
                self.decoder.run(
                    None, {names[0]: z[i : i + DECODE_CHUNK], names[1]: weights[i : i + DECODE_CHUNK]}
                )[0][..., 0]
                for i in range(0, len(z), DECODE_CHUNK)
            ]
        )

    def encode(self, images: np.ndarray) -> np.ndarray:
        """Images (N, 28, 28, 1) in [0, 1] → latent means (N, D)."""
        return _run(self.encoder, images)

    def classify(self, images: np.ndarray) -> np.ndarray:
        """Images (N, 28, 28, 1) in [0, 1] → the self-check's class probabilities (N, 10)."""
        return _run(self.checker, images)


def _run(session, images: np.ndarray) -> np.ndarray:
    images = np.ascontiguousarray(images, "float32")
    name = session.get_inputs()[0].name
    return np.concatenate(
        [
            session.run(None, {name: images[i : i + DECODE_CHUNK]})[0]
            for i in range(0, max(len(images), 1), DECODE_CHUNK)
        ]
    )


def session_options():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: its warnings are about graph rewrites
    return options


def session(path: Path):
    """One network's session, with serving's options; a clear ModelFileError for a bad file."""
    import onnxruntime

    if not path.is_file():
        raise ModelFileError(f"Model file missing: {path}")
    try:
        return onnxruntime.InferenceSession(str(path), session_options(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # ONNX Runtime raises its own exception types for a bad file
        raise ModelFileError(
            f"Model file {path} is not a loadable ONNX model ({type(exc).__name__}): copy it again or retrain"
        ) from None


def _check_shapes(folder: Path, decoder, encoder, checker) -> int:
    """The latent width; a ModelFileError naming the file whose inputs or outputs do not fit."""

    def shape(node) -> tuple:
        return tuple(dim if isinstance(dim, int) else None for dim in node.shape)

    decoder_inputs = [shape(node) for node in decoder.get_inputs()]
    if (
        len(decoder_inputs) != 2
        or len(decoder_inputs[0]) != 2
        or decoder_inputs[1] != (None, 10)
        or shape(decoder.get_outputs()[0]) != (None, *IMAGE_SHAPE)
    ):
        raise ModelFileError(
            f"Model file {folder / DECODER_ONNX} maps {decoder_inputs} to "
            f"{shape(decoder.get_outputs()[0])}, not latent codes and classes "
            "to 28x28 digits: the folder's files are mixed up"
        )
    latent_dim = decoder_inputs[0][1]
    for name, session, output in (
        (ENCODER_ONNX, encoder, (None, latent_dim)),
        (CHECKER_ONNX, checker, (None, NUM_CLASSES)),
    ):
        inputs = [shape(node) for node in session.get_inputs()]
        if inputs != [(None, *IMAGE_SHAPE)] or shape(session.get_outputs()[0]) != output:
            raise ModelFileError(
                f"Model file {folder / name} maps {inputs} to "
                f"{shape(session.get_outputs()[0])}, not 28x28 digits to "
                f"{output[1]} values: the folder's files are mixed up"
            )
    return int(latent_dim)
