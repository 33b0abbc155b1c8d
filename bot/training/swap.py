"""The rule a newly trained model must pass before it serves.

Its validation -ELBO (on the job's held-out digits) may be worse than the serving model's on
the same digits by at most GENAI_SWAP_MAX_ELBO_INCREASE nats, and its requested-class fidelity
by its own checker must reach GENAI_SWAP_MIN_FIDELITY. Scored per digit by one independent
judge (genai_models.vae.training.fairness), its worst digit's fidelity and variety (recall) may
fall at most GENAI_SWAP_MAX_DIGIT_DROP below the serving model's worst digit's. A failed check
names a catalogue text and its parameters (the failing digit among them), so /train-status can
say why in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.training.spec import Evaluation

# The catalogue text naming the failing digit, per measure the per-digit check compares.
DIGIT_REASONS = {"fidelity": "train_reject_digit_fidelity", "recall": "train_reject_digit_recall"}


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str | None = None  # a catalogue key
    params: dict[str, Any] | None = None


def judge(
    evaluation: Evaluation,
    *,
    max_elbo_increase: float,
    min_fidelity: float,
    max_digit_drop: float | None = None,
) -> Verdict:
    if evaluation.fidelity < min_fidelity:
        return Verdict(
            False,
            "train_reject_fidelity",
            {
                "fidelity": f"{evaluation.fidelity:.1%}",
                "minimum": f"{min_fidelity:.1%}",
                "worst": evaluation.worst_class,
                "worst_fidelity": f"{evaluation.worst_class_fidelity:.0%}",
            },
        )
    increase = evaluation.negative_elbo - evaluation.serving_negative_elbo
    if increase > max_elbo_increase:
        return Verdict(
            False,
            "train_reject_elbo",
            {
                "elbo": f"{evaluation.negative_elbo:.1f}",
                "serving": f"{evaluation.serving_negative_elbo:.1f}",
                "increase": f"{increase:.1f}",
                "maximum": f"{max_elbo_increase:g}",
            },
        )
    if max_digit_drop is not None and evaluation.fairness and evaluation.serving_fairness:
        from genai_models.vae.training.fairness import FairnessReport, fails_margin

        failing = fails_margin(
            FairnessReport.from_dict(evaluation.fairness),
            FairnessReport.from_dict(evaluation.serving_fairness),
            max_digit_drop,
        )
        if failing is not None:
            measure, digit, score, serving = failing
            return Verdict(
                False,
                DIGIT_REASONS[measure],
                {
                    "digit": digit,
                    "score": f"{score:.2f}",
                    "serving": f"{serving:.2f}",
                    "margin": f"{max_digit_drop:g}",
                },
            )
    return Verdict(True)
