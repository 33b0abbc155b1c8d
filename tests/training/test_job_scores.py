"""The job's swap check computes nothing twice: the new model's -ELBO comes from its export; the
serving model's -ELBO, the per-digit judge and the serving model's per-digit report from the
jobs folder, where the first job on these digits kept them."""

from __future__ import annotations

import json

import pytest

from bot.training.job_process import SCORES_FILE, ServingSide, evaluate
from bot.training.kept_checks import JUDGES_DIR, REPORTS_FILE
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

    assert len(list((jobs / JUDGES_DIR).glob("*.keras"))) == 1
    reports = json.loads((jobs / REPORTS_FILE).read_text())
    (kept_report,) = reports[serving_version].values()
    assert kept_report["digits"] == json.loads(json.dumps(first.serving_fairness))["digits"]

    # The next job reads the serving model's score and report instead of computing them again,
    kept[serving_version][fingerprint] = 123.456
    (jobs / SCORES_FILE).write_text(json.dumps(kept))
    kept_report["digits"][0]["fidelity"] = 0.123
    (jobs / REPORTS_FILE).write_text(json.dumps(reports))
    second = run_checks(job_folder(tiny_model_dir, jobs, 2), spec, data_split)
    assert second.serving_negative_elbo == 123.456
    assert second.serving_fairness["digits"][0]["fidelity"] == 0.123
    assert second.negative_elbo == first.negative_elbo
    # and scores the new model with the kept judge, as the first job's judge scored it.
    assert second.fairness["digits"] == first.fairness["digits"]
    assert second.fairness["judge_accuracy"] == first.fairness["judge_accuracy"]
