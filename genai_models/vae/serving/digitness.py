"""Is an upload one handwritten digit at all? The digit-ness model's answer, run by ONNX Runtime.

The self-check classifier was trained on digits only, so it names some digit for anything (a
"T" as a 7, a "+" as a 4). The digit-ness model (DIGITNESS_ONNX, trained and exported by
genai_models.vae.training.digitness) has an eleventh class, "not a digit", learnt from real
digits against pictures that are no digit (strokes, scribbles, blobs, cut-up and turned
digits; never a font). Its digit-ness is one minus that class's probability.

The file carries the bar it was exported with (ONNX metadata `refuse_below`): the digit-ness
below which an upload is refused, chosen on digits that model never trained on so that few
real digits fall under it. The card vouches for the file like any other; a model folder
without it still serves, with /handwriting's other checks only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_models.errors import ModelFileError

DIGITNESS_ONNX = "digitness.onnx"
NOT_A_DIGIT = 10  # the index of the model's "not a digit" class
OUTPUTS = 11
BAR_KEY = "refuse_below"


@dataclass(frozen=True)
class DigitnessCheck:
    """`digitness` of MNIST-like images, and the bar below which an upload is no digit."""

    session: object  # onnxruntime.InferenceSession
    refuse_below: float

    @classmethod
    def load(cls, path: Path) -> DigitnessCheck:
        from genai_models.vae.serving.runtime import IMAGE_SHAPE, session

        loaded = session(path)
        inputs = [
            tuple(d if isinstance(d, int) else None for d in node.shape) for node in loaded.get_inputs()
        ]
        output = tuple(d if isinstance(d, int) else None for d in loaded.get_outputs()[0].shape)
        if inputs != [(None, *IMAGE_SHAPE)] or output != (None, OUTPUTS):
            raise ModelFileError(
                f"Model file {path} maps {inputs} to {output}, not 28x28 pictures to "
                f"{OUTPUTS} values: the folder's files are mixed up"
            )
        metadata = loaded.get_modelmeta().custom_metadata_map
        try:
            refuse_below = float(metadata[BAR_KEY])
        except (KeyError, ValueError):
            raise ModelFileError(
                f"Model file {path} does not say below which digit-ness to refuse an upload: export it again"
            ) from None
        return cls(loaded, refuse_below)

    def digitness(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) images in [0, 1] → (N,) how sure the model is that each is one digit."""
        from genai_models.vae.serving.runtime import _run

        probabilities = _run(self.session, np.asarray(images, "float32")[..., None])
        return 1.0 - probabilities[:, NOT_A_DIGIT]

    def refuses(self, image: np.ndarray) -> bool:
        """An MNIST-like (28, 28) image in [0, 1] is no single digit."""
        return bool(self.digitness(np.asarray(image)[None])[0] < self.refuse_below)
