"""The per-digit fairness report: is any digit drawn worse, or with less variety, than others?

Bias in a digit model is concrete: some digits drawn less faithfully or with less variety than
others. For each digit k, `/digit k` images as the bot serves them (`served_digits`) are scored
by the independent judge (genai_models.vae.training.judge):

- fidelity: the share the judge reads as k (is it the digit asked for?);
- precision and recall (improved k-NN, in the judge's feature space) against the real training
  digits of class k: are the drawings realistic, and do they cover the real variety of k?

Each is averaged over the request seeds, and summarised by its worst-to-best ratio (the worst
digit's score over the best digit's: 1.0 means every digit is served alike). The report is a
data file beside the model card (REPORT_FILE), referenced from the card (CARD_FIELD), and read
by /model info, `genai-bot model-report` and the swap rule for models trained from chat.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPORT_FILE = "fairness.json"
CARD_FIELD = "fairness_report"
MEASURES = ("fidelity", "precision", "recall")
DEFAULT_SAMPLES = 200  # per digit and request seed: k-NN recall needs a few hundred to settle


@dataclass(frozen=True)
class DigitScores:
    digit: int
    fidelity: float
    precision: float
    recall: float
    recall_per_seed: tuple[float, ...] = ()


@dataclass(frozen=True)
class FairnessReport:
    model_version: str
    judge: str  # which judge recipe scored it, and how accurate it is on real held-out digits
    judge_accuracy: float
    samples_per_digit: int
    request_seeds: tuple[int, ...]
    digits: tuple[DigitScores, ...]
    real_recall: tuple[float, ...] = ()  # real validation vs real training digits: the ceiling
    data: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def scores(self, measure: str) -> dict[int, float]:
        return {d.digit: getattr(d, measure) for d in self.digits}

    def worst(self, measure: str) -> DigitScores:
        return min(self.digits, key=lambda d: getattr(d, measure))

    def best(self, measure: str) -> DigitScores:
        return max(self.digits, key=lambda d: getattr(d, measure))

    def worst_to_best(self, measure: str) -> float:
        best = getattr(self.best(measure), measure)
        return getattr(self.worst(measure), measure) / best if best > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "worst_to_best": {m: round(self.worst_to_best(m), 4) for m in MEASURES},
            "worst_digit": {m: self.worst(m).digit for m in MEASURES},
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FairnessReport:
        fields = {key: raw[key] for key in cls.__dataclass_fields__ if key in raw}
        fields["digits"] = tuple(
            DigitScores(**{**d, "recall_per_seed": tuple(d.get("recall_per_seed", ()))})
            for d in raw["digits"]
        )
        fields["request_seeds"] = tuple(raw.get("request_seeds", ()))
        fields["real_recall"] = tuple(raw.get("real_recall", ()))
        return cls(**fields)


def measure_fairness(
    sampler,
    judge,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    *,
    samples: int = DEFAULT_SAMPLES,
    seeds: tuple[int, ...] = (0, 1),
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    data: str = "",
    train_features: np.ndarray | None = None,
) -> FairnessReport:
    """Score every digit of `sampler`'s /digit with `judge` against the real training digits;
    `validation` (images, labels) adds the real-vs-real recall per class, the ceiling.
    `train_features`: `judge.features(train_images)` already computed (one judge scoring two
    models needs them once)."""
    from genai_models.vae.training.generative_metrics import K_NEAREST, precision_recall
    from genai_models.vae.training.judge import served_digits

    if samples <= K_NEAREST:
        raise ValueError(f"need more than {K_NEAREST} samples per digit for k-NN variety")
    if train_features is None:
        train_features = judge.features(train_images)
    per_digit = []
    for k in range(10):
        real = train_features[np.asarray(train_labels) == k]
        fidelity, precision, recall = [], [], []
        for seed in seeds:
            images = served_digits(sampler, k, samples, base_seed=seed)
            fidelity.append(float(np.mean(judge.classify(images) == k)))
            p, r = precision_recall(real, judge.features(images))
            precision.append(p)
            recall.append(r)
        per_digit.append(
            DigitScores(
                digit=k,
                fidelity=round(float(np.mean(fidelity)), 4),
                precision=round(float(np.mean(precision)), 4),
                recall=round(float(np.mean(recall)), 4),
                recall_per_seed=tuple(round(r, 4) for r in recall),
            )
        )
    real_recall: tuple[float, ...] = ()
    if validation is not None:
        features, labels = judge.features(validation[0]), np.asarray(validation[1])
        real_recall = tuple(
            round(
                precision_recall(train_features[np.asarray(train_labels) == k], features[labels == k])[1], 4
            )
            for k in range(10)
        )
    return FairnessReport(
        model_version=sampler.version,
        judge=judge.name,
        judge_accuracy=round(judge.accuracy, 4),
        samples_per_digit=samples,
        request_seeds=tuple(seeds),
        digits=tuple(per_digit),
        real_recall=real_recall,
        data=data,
    )


def measure_against(
    sampler, judge, data, *, samples: int = DEFAULT_SAMPLES, seeds: tuple[int, ...] = (0, 1)
) -> FairnessReport:
    """The report the bench writes: `sampler`'s digits against `data`'s training digits (a
    Split), with the real-vs-real ceiling from its validation digits, and where they came from."""
    return measure_fairness(
        sampler,
        judge,
        data.train.images,
        data.train.labels,
        samples=samples,
        seeds=tuple(seeds),
        validation=(data.validation.images, data.validation.labels),
        data=f"{Path(str(data.train.source)).name}: {len(data.train)} train / "
        f"{len(data.validation)} validation",
    )


def write_report(model_dir: Path, report: FairnessReport) -> None:
    """The report as REPORT_FILE beside the card, and the card's reference to it (file name and
    SHA-256, so a reader knows the report is this one). The card's own hashes of the weights
    are untouched: serving does not depend on the report."""
    from genai_models.vae.files import sha256_of, write_json_atomic
    from genai_models.vae.serving.card import CARD_FILE

    write_json_atomic(model_dir / REPORT_FILE, report.to_dict())
    card_path = model_dir / CARD_FILE
    card = json.loads(card_path.read_text())
    card[CARD_FIELD] = {
        "file": REPORT_FILE,
        "sha256": sha256_of(model_dir / REPORT_FILE),
        "model_version": report.model_version,
    }
    write_json_atomic(card_path, card)


def read_report(model_dir: Path, card: dict | None = None) -> FairnessReport | None:
    """The report the card in `model_dir` references (or REPORT_FILE there); None when there is
    none, or it was measured on another model version."""
    reference = (card or {}).get(CARD_FIELD) or {}
    path = Path(model_dir) / reference.get("file", REPORT_FILE)
    try:
        report = FairnessReport.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if card is not None and card.get("version") not in (None, report.model_version):
        return None
    return report


def fails_margin(
    new: FairnessReport,
    serving: FairnessReport,
    margin: float,
    measures: tuple[str, ...] = ("fidelity", "recall"),
) -> tuple[str, int, float, float] | None:
    """The first measure whose worst digit in `new` is more than `margin` below the worst digit
    in `serving`, as (measure, digit, new score, serving's worst score); None when none is."""
    for measure in measures:
        worst = new.worst(measure)
        ours, theirs = getattr(worst, measure), getattr(serving.worst(measure), measure)
        if ours < theirs - margin:
            return measure, worst.digit, ours, theirs
    return None


def report_table(report: FairnessReport, lang: str = "en") -> str:
    """The report as a fixed-width table in `lang` (for a terminal or a Discord code block):
    one row per digit, then each measure's worst-to-best ratio and the judge that scored it."""
    from genai_models.catalogue import CATALOGUE
    from genai_models.numerals import decimal, percent

    def say(key: str, **params: object) -> str:
        return CATALOGUE.render(key, lang, params)

    headers = [
        say("fairness_digit"),
        say("fairness_fidelity"),
        say("fairness_precision"),
        say("fairness_recall"),
    ]
    rows = [
        [str(d.digit), percent(d.fidelity, lang, 1), *(decimal(v, lang, 2) for v in (d.precision, d.recall))]
        for d in report.digits
    ]
    ratios = [say("fairness_worst_to_best")] + [decimal(report.worst_to_best(m), lang, 2) for m in MEASURES]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, ratios, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    worst = {m: report.worst(m).digit for m in MEASURES}
    footer = say(
        "fairness_footer",
        judge=report.judge,
        accuracy=percent(report.judge_accuracy, lang, 1),
        samples=report.samples_per_digit,
        seeds=", ".join(str(seed) for seed in report.request_seeds),
        worst_fidelity=worst["fidelity"],
        worst_recall=worst["recall"],
    )
    return "\n".join([line(headers), *(line(row) for row in rows), line(ratios), footer])
