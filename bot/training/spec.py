"""What the bot asks of a job process, and what it answers: files in the job's folder.

job.json (written by the bot before the process starts), status.json (the trainer's, rewritten
every epoch), evaluation.json (written by the job once the new model is checked), job.log.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from genai_models.vae.files import write_json_atomic

SPEC_FILE = "job.json"
EVALUATION_FILE = "evaluation.json"
LOG_FILE = "job.log"
FIDELITY_SAMPLES = 50  # digits drawn per class for the swap check
# The per-digit check's judge (genai_models.vae.training.judge, plain recipe) is trained in the
# job on at most this many of its training digits, for this many epochs: both models are scored
# by the same judge, so a brief one compares them fairly without costing a second training.
JUDGE_DIGITS = 6000
JUDGE_EPOCHS = 12

# The job process's exit codes the bot tells apart (others: it crashed).
EXIT_DONE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


@dataclass(frozen=True)
class JobSpec:
    epochs: int
    seed: int
    data: str | None  # an .npz or IDX path; None: MNIST through keras.datasets
    resume: bool = False
    serving_model_dir: str | None = None  # None: the weights shipped with the package
    fidelity_samples: int = FIDELITY_SAMPLES
    judge_epochs: int = JUDGE_EPOCHS

    def write(self, job_dir: Path) -> None:
        write_json_atomic(job_dir / SPEC_FILE, asdict(self))

    @classmethod
    def read(cls, job_dir: Path) -> JobSpec:
        return cls(**json.loads((job_dir / SPEC_FILE).read_text()))


@dataclass(frozen=True)
class Evaluation:
    version: str
    negative_elbo: float  # the new model's, on the job's validation digits
    serving_version: str
    serving_negative_elbo: float  # the serving model's, on the same digits
    fidelity: float
    worst_class: int
    worst_class_fidelity: float
    fidelity_samples: int
    # Per-digit reports (genai_models.vae.training.fairness) of both models by one judge.
    fairness: dict | None = None
    serving_fairness: dict | None = None

    def write(self, job_dir: Path) -> None:
        write_json_atomic(job_dir / EVALUATION_FILE, asdict(self))

    @classmethod
    def read(cls, job_dir: Path) -> Evaluation | None:
        try:
            return cls(**json.loads((job_dir / EVALUATION_FILE).read_text()))
        except (OSError, ValueError, TypeError):
            return None
