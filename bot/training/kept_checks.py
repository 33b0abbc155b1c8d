"""What a training job's swap check computes once and keeps in the jobs folder for later jobs.

The per-digit judge depends only on the digits it is trained on and its recipe, and the serving
model's per-digit report only on that model, that judge and how many drawings it scored: a later
job on the same digits reads both instead of training and scoring again (the serving model's
-ELBO is kept alike, in job_process.ValidationScores). A kept file that cannot be read is
computed again; one that cannot be written is only a saving lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from genai_models.vae.files import require_free_space, write_json_atomic

if TYPE_CHECKING:
    from genai_models.vae.training.data import Split
    from genai_models.vae.training.fairness import FairnessReport
    from genai_models.vae.training.judge import Judge

log = logging.getLogger(__name__)

JUDGES_DIR = "judges"  # in the jobs folder: <key>.keras and <key>.json per judge
REPORTS_FILE = "serving-reports.json"  # {model version: {report key: report}}
JUDGE_RECIPE = "plain"
ROOM_LEFT = 64 << 20  # bytes a job's checkpoints and export need besides a kept judge


def judge_key(split: Split, epochs: int) -> str:
    """What the judge is a function of: its recipe, epochs and seed, and its digits."""
    from genai_models.vae.training.judge import JUDGE_SEED

    digits = f"{split.train.fingerprint()}:{split.validation.fingerprint()}"
    return hashlib.sha256(f"{JUDGE_RECIPE}:{epochs}:{JUDGE_SEED}:{digits}".encode()).hexdigest()[:16]


def kept_judge(jobs_dir: Path, split: Split, epochs: int) -> tuple[Judge, str]:
    """The judge for `split` (trained on its training digits) and its key: the one kept in
    `jobs_dir`, else trained now and kept."""
    from genai_models.vae.backend import keras
    from genai_models.vae.training.checkpoint import weights_bytes
    from genai_models.vae.training.judge import Judge, train_judge

    key = judge_key(split, epochs)
    folder = jobs_dir / JUDGES_DIR
    model_path, meta_path = folder / f"{key}.keras", folder / f"{key}.json"
    try:
        meta = json.loads(meta_path.read_text())
        model = keras.saving.load_model(model_path, compile=False)
        return Judge(meta["name"], model, float(meta["accuracy"]), list(meta["per_class"])), key
    except FileNotFoundError:
        pass
    except Exception as exc:  # a damaged file (any of Keras's or JSON's errors): train it again
        log.warning("the kept judge %s cannot be read (%s): training it again", key, exc)
    log.info("training the per-digit judge on %d digits", len(split.train))
    judge = train_judge(split, JUDGE_RECIPE, epochs=epochs)
    partial = folder / f".{key}.partial.keras"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Keras writes weights through HDF5, which crashes the process when the disk fills
        # under it; and a kept judge is only a saving: it is kept only where the job's own
        # files (checkpoints, the export) still have room.
        require_free_space(folder, weights_bytes(judge.model, optimizer=True) + ROOM_LEFT, "the judge")
        judge.model.save(partial)
        os.replace(partial, model_path)
        meta = {"name": judge.name, "accuracy": judge.accuracy, "per_class": judge.per_class}
        write_json_atomic(meta_path, meta)  # last: it vouches for the model file
    except OSError as exc:
        partial.unlink(missing_ok=True)
        log.warning("could not keep the judge in %s: %s", folder, exc.strerror or exc)
    return judge, key


class ServingReports:
    """Serving models' per-digit reports, by model version and what scored them."""

    def __init__(self, jobs_dir: Path, judge: str, samples: int, seeds: tuple[int, ...]) -> None:
        self.path = jobs_dir / REPORTS_FILE
        self.key = f"{judge}:{samples}:{','.join(map(str, seeds))}"

    def _all(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def get(self, version: str) -> FairnessReport | None:
        from genai_models.vae.training.fairness import FairnessReport

        raw = self._all().get(version, {}).get(self.key)
        try:
            return FairnessReport.from_dict(raw) if isinstance(raw, dict) else None
        except (KeyError, TypeError, ValueError):
            return None

    def remember(self, version: str, report: FairnessReport) -> None:
        reports = self._all()
        reports.setdefault(version, {})[self.key] = report.to_dict()
        try:
            write_json_atomic(self.path, reports)
        except OSError as exc:
            log.warning("could not keep the serving model's report in %s: %s", self.path, exc.strerror or exc)
