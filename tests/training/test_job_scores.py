"""The job's swap check computes no validation -ELBO twice: the new model's comes from its
export, the serving model's from the scores kept in the jobs folder once computed."""

from __future__ import annotations

import json

import pytest

from bot.training.job_process import SCORES_FILE, ServingSide, evaluate
from bot.training.spec import JobSpec
from genai_models.vae.serving.card import PRETRAINED_DIR, VAE_FILE, read_verified_card
from tests.helpers import copy_model

pytestmark = pytest.mark.slow


def job_folder(tiny_model_dir, jobs, number: int):
    folder = jobs / str(number)
    folder.mkdir(parents=True)
    return copy_model(tiny_model_dir, folder)


def run_checks(job_dir, spec, data_split):
    """As the job does: the serving side before training, the new model's after."""
    return evaluate(job_dir, spec, data_split, ServingSide.prepare(job_dir, spec, data_split))


def test_scores_are_the_same_and_each_is_computed_once(tiny_model_dir, tmp_path, mnist_slice):
    from genai_models.vae.backend import keras
    from genai_models.vae.training.data import split
    from genai_models.vae.training.evaluation import vae_negative_elbo

    data_split = split(mnist_slice)  # as the tiny model was trained (tests/conftest.py)
    # Enough drawings per digit for the per-digit report's k-NN variety; a quick judge.
    spec = JobSpec(epochs=2, seed=3, data=None, fidelity_samples=8, judge_epochs=1)
    jobs = tmp_path / "jobs"
    first = run_checks(job_folder(tiny_model_dir, jobs, 1), spec, data_split)

    images = data_split.validation.images
    trained = keras.saving.load_model(tiny_model_dir / VAE_FILE, compile=False)
    shipped = keras.saving.load_model(PRETRAINED_DIR / VAE_FILE, compile=False)
    assert first.negative_elbo == round(vae_negative_elbo(trained, images).negative_elbo, 3)
    assert first.serving_negative_elbo == round(vae_negative_elbo(shipped, images).negative_elbo, 3)

    kept = json.loads((jobs / SCORES_FILE).read_text())
    fingerprint = data_split.validation.fingerprint()
    serving_version = read_verified_card(PRETRAINED_DIR)["version"]
    assert kept == {
        first.version: {fingerprint: first.negative_elbo},
        serving_version: {fingerprint: first.serving_negative_elbo},
    }

    # The next job reads the serving model's score instead of computing it again.
    kept[serving_version][fingerprint] = 123.456
    (jobs / SCORES_FILE).write_text(json.dumps(kept))
    second = run_checks(job_folder(tiny_model_dir, jobs, 2), spec, data_split)
    assert second.serving_negative_elbo == 123.456
    assert second.negative_elbo == first.negative_elbo
