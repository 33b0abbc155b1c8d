"""The per-digit fairness report by the independent judge, and the swap rule's per-digit check
against a model that is worse at one digit."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from bot.interactions.i18n import text
from bot.training.spec import Evaluation
from bot.training.swap import judge as swap_judge
from genai_models.vae.serving.card import CARD_FILE
from genai_models.vae.training.data import split
from genai_models.vae.training.fairness import (
    CARD_FIELD,
    REPORT_FILE,
    FairnessReport,
    fails_margin,
    measure_fairness,
    read_report,
    write_report,
)
from genai_models.vae.training.judge import train_judge
from tests.helpers import copy_model

SAMPLES = 30  # per digit: enough for k-NN balls (k = 5), quick on two cores


@pytest.fixture(scope="module")
def data(mnist_slice):
    return split(mnist_slice)


@pytest.fixture(scope="module")
def judge(data):
    """The bench's plain judge, trained briefly on the 450 training digits of the slice."""
    return train_judge(data, "plain", epochs=4)


@dataclass
class OneDigitWorse:
    """The shipped model, except that asked for `bad` it draws `instead`: a model worse at
    one digit, as a retrain that lost a class would be."""

    sampler: object
    bad: int = 7
    instead: int = 1

    @property
    def version(self) -> str:
        return f"{self.sampler.version}-worse{self.bad}"

    def digits(self, k, *, count, seed):
        return self.sampler.digits(self.instead if k == self.bad else k, count=count, seed=seed)


def _report(model, judge, data) -> FairnessReport:
    return measure_fairness(
        model,
        judge,
        data.train.images,
        data.train.labels,
        samples=SAMPLES,
        seeds=(0,),
        validation=(data.validation.images, data.validation.labels),
    )


@pytest.fixture(scope="module")
def shipped_report(sampler, judge, data) -> FairnessReport:
    return _report(sampler, judge, data)


@pytest.fixture(scope="module")
def worse_report(sampler, judge, data) -> FairnessReport:
    return _report(OneDigitWorse(sampler), judge, data)


def test_the_report_scores_every_digit_and_the_worst_to_best_ratios(shipped_report, sampler):
    assert [d.digit for d in shipped_report.digits] == list(range(10))
    assert shipped_report.model_version == sampler.version
    for measure in ("fidelity", "precision", "recall"):
        ratio = shipped_report.worst_to_best(measure)
        worst, best = shipped_report.worst(measure), shipped_report.best(measure)
        assert 0 < ratio <= 1
        assert ratio == pytest.approx(getattr(worst, measure) / getattr(best, measure))
    assert len(shipped_report.real_recall) == 10  # the real-vs-real ceiling beside it


def test_a_model_worse_at_one_digit_shows_it_as_its_worst(shipped_report, worse_report):
    assert worse_report.worst("fidelity").digit == 7
    assert worse_report.scores("fidelity")[7] < 0.2  # its sevens are ones to the judge
    assert worse_report.worst_to_best("fidelity") < shipped_report.worst_to_best("fidelity")
    failing = fails_margin(worse_report, shipped_report, margin=0.05)
    assert failing is not None and failing[:2] == ("fidelity", 7)
    assert fails_margin(shipped_report, shipped_report, margin=0.05) is None


def _evaluation(new: FairnessReport, serving: FairnessReport) -> Evaluation:
    return Evaluation(
        version=new.model_version,
        negative_elbo=100.0,
        serving_version=serving.model_version,
        serving_negative_elbo=100.0,
        fidelity=0.99,
        worst_class=3,
        worst_class_fidelity=0.98,
        fidelity_samples=50,
        fairness=new.to_dict(),
        serving_fairness=serving.to_dict(),
    )


def test_the_swap_rule_rejects_the_model_worse_at_one_digit_and_names_it(shipped_report, worse_report):
    verdict = swap_judge(
        _evaluation(worse_report, shipped_report),
        max_elbo_increase=2.0,
        min_fidelity=0.9,
        max_digit_drop=0.05,
    )
    assert (verdict.passed, verdict.reason) == (False, "train_reject_digit_fidelity")
    assert verdict.params["digit"] == 7
    assert text(verdict.reason, "en", **verdict.params).startswith("its digit 7 is read as")
    assert text(verdict.reason, "es", **verdict.params).startswith("su dígito 7 se reconoce")
    passed = swap_judge(
        _evaluation(shipped_report, shipped_report),
        max_elbo_increase=2.0,
        min_fidelity=0.9,
        max_digit_drop=0.05,
    )
    assert passed.passed


def test_a_wide_margin_lets_it_serve_and_old_evaluations_without_reports_still_judge(
    shipped_report, worse_report
):
    assert swap_judge(
        _evaluation(worse_report, shipped_report), max_elbo_increase=2.0, min_fidelity=0.9, max_digit_drop=1.0
    ).passed
    old = Evaluation(
        version="a",
        negative_elbo=100.0,
        serving_version="b",
        serving_negative_elbo=100.0,
        fidelity=0.99,
        worst_class=3,
        worst_class_fidelity=0.98,
        fidelity_samples=50,
    )
    assert swap_judge(old, max_elbo_increase=2.0, min_fidelity=0.9, max_digit_drop=0.05).passed


def test_the_report_is_written_beside_the_card_and_referenced_from_it(shipped_report, tmp_path):
    from genai_models.vae.serving.card import PRETRAINED_DIR, read_verified_card

    model_dir = copy_model(PRETRAINED_DIR, tmp_path)
    write_report(model_dir, shipped_report)
    card = json.loads((model_dir / CARD_FILE).read_text())
    assert card[CARD_FIELD]["file"] == REPORT_FILE
    assert card[CARD_FIELD]["model_version"] == shipped_report.model_version
    assert read_verified_card(model_dir)["version"] == shipped_report.model_version  # still serves
    again = read_report(model_dir, card)
    assert again == shipped_report
    saved = json.loads((model_dir / REPORT_FILE).read_text())
    assert saved["worst_to_best"]["recall"] == round(shipped_report.worst_to_best("recall"), 4)
    card["version"] = "another-model"
    assert read_report(model_dir, card) is None  # a report of other weights is not shown


def test_per_seed_recall_is_kept(sampler, judge, data):
    report = measure_fairness(
        sampler, judge, data.train.images, data.train.labels, samples=SAMPLES, seeds=(0, 1)
    )
    assert all(len(d.recall_per_seed) == 2 for d in report.digits)
    assert all(d.recall == pytest.approx(np.mean(d.recall_per_seed), abs=1e-3) for d in report.digits)


def test_the_bar_sweep_suggests_a_bar_per_digit_and_the_command_to_export_them(judge, data, capsys):
    from bench.fairness import SWEEP_BARS, sweep_bars
    from genai_models.vae.serving.sampler import DigitSampler

    own = DigitSampler.load()  # the sweep re-vets the sampler it is given
    bars = sweep_bars(own, judge, data, SAMPLES, (2,))
    assert len(bars) == 10 and set(bars) <= set(SWEEP_BARS)
    out = capsys.readouterr().out
    assert f"--accept-confidence {' '.join(map(str, bars))}" in out
    assert len([line for line in out.splitlines() if line.startswith("  ")]) == 10  # a row per digit


def test_the_judge_gives_keras_predicts_numbers_for_any_number_of_digits(judge, data):
    """Its calls skip predict's set-up, not its numbers: the same labels and the same features,
    bit for bit, in one batch and across batches."""
    from genai_models.vae.backend import keras
    from genai_models.vae.training.judge import FEATURES_LAYER, unit_images

    extractor = keras.Model(judge.model.inputs, judge.model.get_layer(FEATURES_LAYER).output)
    digits = np.concatenate([data.train.images, data.validation.images])  # 600
    greys = (digits[..., 0] * 255).astype("uint8")  # as served: uint8 greys
    for images in (greys[:7], greys[:520]):
        as_keras = unit_images(images)
        expected_labels = np.argmax(judge.model.predict(as_keras, batch_size=500, verbose=0), axis=1)
        assert np.array_equal(judge.classify(images), expected_labels)
        assert np.array_equal(judge.features(images), extractor.predict(as_keras, batch_size=500, verbose=0))
