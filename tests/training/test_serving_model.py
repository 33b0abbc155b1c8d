"""The serving model holder: a model loaded at start-up or swapped in is made ready for uploads
in the background, so the first /handwriting does not wait for it."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from bot.training.serving import ServingModel
from genai_models.vae.serving.sampler import DigitSampler, to_mnist

HELD_OUT = Path(__file__).parents[1] / "fixtures" / "mnist-heldout-400.npz"


class ModelBeingPrepared:
    """Stands in for a DigitSampler: records the background preparation's thread."""

    version = "stand-in"

    def __init__(self) -> None:
        self.prepared = threading.Event()
        self.thread: threading.Thread | None = None

    def prepare_uploads(self) -> None:
        self.thread = threading.current_thread()
        self.prepared.set()


def test_a_model_served_at_start_or_swapped_in_is_prepared_off_the_calling_thread():
    serving = ServingModel()
    first, second = ModelBeingPrepared(), ModelBeingPrepared()
    serving.serve(first)
    assert serving.swap(second) is first and serving.sampler is second
    for model in (first, second):
        assert model.prepared.wait(5)
        assert model.thread is not threading.main_thread() and not model.thread.daemon


def test_prepared_uploads_are_judged_as_an_unprepared_model_judges_them():
    prepared, lazy = DigitSampler.load(), DigitSampler.load()
    prepared.prepare_uploads()
    upload = to_mnist(255 - np.load(HELD_OUT)["x"][0])  # dark ink on white, as people upload
    assert np.isclose(prepared.unlikeness(upload), lazy.unlikeness(upload), atol=1e-6)
