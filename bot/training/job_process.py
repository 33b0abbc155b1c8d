"""`python -m bot.training.job_process JOB_DIR`: one training job, in its own process.

Reads job.json, trains through the engine's trainer (status.json and a checkpoint every epoch,
in JOB_DIR), then checks the new model the way the bot's swap rule needs (validation -ELBO of
it and of the serving model on the same digits, fidelity by its own checker) and writes
evaluation.json. Every failure ends as a "failed" status with a one-line reason, and exit code
1; SIGTERM (the bot's /train cancel or shutdown) stops like Ctrl-C: after the last finished
epoch's checkpoint, exit code 130. It runs at a lower CPU priority, so the bot's own event loop
keeps its latency while it trains.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.training.spec import EXIT_DONE, EXIT_FAILED, EXIT_INTERRUPTED, Evaluation, JobSpec
from genai_models.errors import GenAIError
from genai_models.vae.files import write_json_atomic
from genai_models.vae.training.drivers import load_split, sigterm_interrupts
from genai_models.vae.training.status import TrainingStatus, now_iso, read_status, write_status

if TYPE_CHECKING:
    from genai_models.vae.training.fairness import FairnessReport
    from genai_models.vae.training.fidelity import Fidelity
    from genai_models.vae.training.judge import Judge
    from genai_models.vae.training.trainer import TrainingConfig

log = logging.getLogger("genai_bot.training.job")

NICENESS = 10  # below the bot, which shares the machine's cores
REPORT_SEEDS = (0, 1)  # the request seeds of both models' per-digit reports


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    job_dir = Path(argv[0])
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    try:
        with sigterm_interrupts():  # the bot's /train cancel and shutdown stop it like Ctrl-C
            run(job_dir, JobSpec.read(job_dir))
        return EXIT_DONE
    except KeyboardInterrupt:
        _finish(job_dir, "interrupted", None)  # the trainer said so already, once it had begun
        return EXIT_INTERRUPTED
    except GenAIError as exc:
        return _fail(job_dir, str(exc))
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return _fail(job_dir, f"{exc.strerror or exc}{where}")
    except Exception as exc:  # a bug: its traceback goes to job.log, its line to the status
        log.exception("the training job failed")
        return _fail(job_dir, f"{type(exc).__name__}: {exc}")


def run(job_dir: Path, spec: JobSpec) -> None:
    _announce(job_dir, spec, "loading the training data")
    data_split = load_split(spec.data)
    # What the checks need of the digits and of the serving model, before the first epoch:
    # none of it depends on the new model, so none of it is left for after the last.
    _say(job_dir, "preparing the checks of the new model")
    serving = ServingSide.prepare(job_dir, spec, data_split)

    from genai_models.vae.training.kept_models import KeptModels
    from genai_models.vae.training.trainer import train

    # The new model's own checks run during its export, beside its -ELBO (see export_model).
    checks = NewModelChecks(spec, serving)
    status = train(
        data_split,
        job_dir,
        training_config(job_dir, spec),
        resume=spec.resume,
        verbose=0,
        while_scoring=checks,
        kept=KeptModels(job_dir.parent / CLASSIFIERS_DIR),
    )
    status.message = "checking the new model before it serves"
    write_status(job_dir, status)
    evaluation = evaluate(job_dir, spec, data_split, serving, checks)
    evaluation.write(job_dir)
    status.message = f"model {evaluation.version} trained and checked"
    status.updated_at = now_iso()
    write_status(job_dir, status)


def training_config(job_dir: Path, spec: JobSpec) -> TrainingConfig:
    """The job's recipe: TrainingConfig's defaults with the job's epochs and seed; a resumed job
    keeps the recipe its checkpoint was trained with (batch size, learning rate, precision…),
    so a job interrupted before an upgrade that changed the defaults still resumes."""
    from genai_models.vae.training.checkpoint import plan_resume
    from genai_models.vae.training.trainer import TrainingConfig

    if not spec.resume:
        return TrainingConfig(epochs=spec.epochs, seed=spec.seed)
    recipe = plan_resume(job_dir, epochs=spec.epochs, seed=spec.seed).config
    return TrainingConfig.from_fields(recipe)


@dataclass
class ServingSide:
    """What the swap check compares the new model with, ready before training starts: the
    serving model's -ELBO on the job's validation digits and its per-digit report by the judge
    (trained on the job's digits only), and the judge with the training digits' features. Each
    is kept in the jobs folder (kept_checks, SCORES_FILE): a later job on the same digits reads
    them instead of computing them again."""

    version: str
    negative_elbo: float
    fairness: FairnessReport
    judge: Judge
    train_images: np.ndarray
    train_labels: np.ndarray
    train_features: np.ndarray

    @classmethod
    def prepare(cls, job_dir: Path, spec: JobSpec, data_split) -> ServingSide:
        """Each -ELBO takes a while (every class tried for every digit), so none is computed
        twice: a model's score on a set of digits is kept in the jobs folder (SCORES_FILE), so
        the serving model is scored once per data set, and a model swapped in never again."""
        from bot.training.kept_checks import ServingReports, kept_judge
        from bot.training.spec import JUDGE_DIGITS
        from genai_models.vae.serving.card import PRETRAINED_DIR, read_verified_card
        from genai_models.vae.serving.sampler import DigitSampler
        from genai_models.vae.training.data import Split
        from genai_models.vae.training.fairness import measure_fairness

        serving_dir = Path(spec.serving_model_dir) if spec.serving_model_dir else PRETRAINED_DIR
        version = read_verified_card(serving_dir)["version"]
        digits = data_split.validation
        scores = ValidationScores(job_dir.parent / SCORES_FILE, digits.fingerprint())
        negative_elbo = scores.get(version)
        if negative_elbo is None:
            log.info("scoring the serving model %s on the %d validation digits", version, len(digits))
            negative_elbo = _negative_elbo(serving_dir, digits.images)
            scores.remember(version, negative_elbo)
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()  # the same judge for the same digits
        train = data_split.train
        if len(train) > JUDGE_DIGITS:
            chosen = np.random.default_rng(spec.seed).choice(len(train), JUDGE_DIGITS, replace=False)
            train = train.subset(chosen)
        jobs_dir = job_dir.parent
        judge, key = kept_judge(jobs_dir, Split(train, data_split.validation), spec.judge_epochs)
        train_features = judge.features(train.images)
        reports = ServingReports(jobs_dir, key, spec.fidelity_samples, REPORT_SEEDS)
        fairness = reports.get(version)
        if fairness is None:
            log.info("scoring the serving model %s digit by digit", version)
            fairness = measure_fairness(
                DigitSampler.load(serving_dir), judge, train.images, train.labels,
                samples=spec.fidelity_samples, seeds=REPORT_SEEDS, train_features=train_features,
            )  # fmt: skip
            reports.remember(version, fairness)
        return cls(version, negative_elbo, fairness, judge, train.images, train.labels, train_features)


class NewModelChecks:
    """The new model's fidelity by its own self-check and its per-digit report by the judge
    that scored the serving model: what the swap rule reads besides the -ELBO. Called by the
    export with the new model's sampler while its -ELBO is computed (export_model's
    `while_scoring`); neither depends on the card, whose version is not known yet then."""

    def __init__(self, spec: JobSpec, serving: ServingSide) -> None:
        self.spec, self.serving = spec, serving
        self.fidelity: Fidelity | None = None
        self.report: FairnessReport | None = None

    def __call__(self, sampler) -> None:
        from genai_models.vae.training.fairness import measure_fairness
        from genai_models.vae.training.fidelity import self_check_fidelity

        log.info("checking the new model: its fidelity, then its per-digit report")
        self.fidelity = self_check_fidelity(sampler, samples_per_class=self.spec.fidelity_samples)
        serving = self.serving
        self.report = measure_fairness(
            sampler, serving.judge, serving.train_images, serving.train_labels,
            samples=self.spec.fidelity_samples, seeds=REPORT_SEEDS, train_features=serving.train_features,
        )  # fmt: skip


def evaluate(
    job_dir: Path, spec: JobSpec, data_split, serving: ServingSide, checks: NewModelChecks | None = None
) -> Evaluation:
    """Score the new model against the serving one (`serving`, ready since before training),
    on the same held-out digits, and its fidelity (`checks`, where the export ran them, else
    here); loading it through the sampler also proves its files are sound. The export scored
    the new model on these very digits, the same way (its card holds it)."""
    from genai_models.vae.serving.sampler import DigitSampler
    from genai_models.vae.training.fairness import write_report

    # As the bot will serve it (its ONNX files); an undertrained model is judged by its
    # fidelity (the swap rule), not refused here.
    sampler = DigitSampler.load(job_dir, refuse_undertrained=False)
    checks = checks or NewModelChecks(spec, serving)
    if checks.fidelity is None or checks.report is None:
        checks(sampler)
    fidelity = checks.fidelity
    # Measured before the card named the model: the report is this model's, under its name.
    fairness = replace(checks.report, model_version=sampler.version)
    write_report(job_dir, fairness)  # beside its card: it travels into the registry with it
    digits = data_split.validation
    scores = ValidationScores(job_dir.parent / SCORES_FILE, digits.fingerprint())
    negative_elbo = sampler.card["validation"]["negative_elbo_nats"]  # rounded as below
    scores.remember(sampler.version, negative_elbo)
    serving_fairness = serving.fairness
    return Evaluation(
        version=sampler.version,
        negative_elbo=negative_elbo,
        serving_version=serving.version,
        serving_negative_elbo=serving.negative_elbo,
        fidelity=round(fidelity.overall, 4),
        worst_class=fidelity.worst_class,
        worst_class_fidelity=round(fidelity.per_class[fidelity.worst_class], 4),
        fidelity_samples=fidelity.samples_per_class,
        fairness=fairness.to_dict(),
        serving_fairness=serving_fairness.to_dict(),
    )


SCORES_FILE = "validation-scores.json"
# In the jobs folder: the self-check classifiers and digit-ness models that jobs made, for later
# jobs on the same digits and seed (kept_models.py).
CLASSIFIERS_DIR = "classifiers"


class ValidationScores:
    """Validation -ELBOs already computed: {model version: {digits' fingerprint: nats}}."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path, self.fingerprint = path, fingerprint

    def _all(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def get(self, version: str) -> float | None:
        value = self._all().get(version, {}).get(self.fingerprint)
        return float(value) if isinstance(value, int | float) else None

    def remember(self, version: str, negative_elbo: float) -> None:
        scores = self._all()
        scores.setdefault(version, {})[self.fingerprint] = negative_elbo
        try:
            write_json_atomic(self.path, scores)
        except OSError as exc:  # only a saving: the next job scores it again
            log.warning("could not keep the validation scores in %s: %s", self.path, exc.strerror or exc)


def _negative_elbo(model_dir: Path, images) -> float:
    """The label-free validation -ELBO of the VAE in `model_dir`, as the export computes it
    (decoding with its ONNX file, where the folder has one)."""
    from genai_models.vae.backend import keras
    from genai_models.vae.model import VAE  # noqa: F401  (registers the VAE's classes with Keras)
    from genai_models.vae.serving.card import VAE_FILE
    from genai_models.vae.serving.runtime import DECODER_ONNX
    from genai_models.vae.training.evaluation import onnx_decoder, vae_negative_elbo

    vae = keras.saving.load_model(model_dir / VAE_FILE, compile=False)
    decode = onnx_decoder(model_dir / DECODER_ONNX) if (model_dir / DECODER_ONNX).is_file() else None
    return round(vae_negative_elbo(vae, images, decode=decode).negative_elbo, 3)


def _say(job_dir: Path, message: str) -> None:
    """What the job is doing now, in the status it announced."""
    status = read_status(job_dir)
    if status is not None:
        status.message, status.updated_at = message, now_iso()
        write_status(job_dir, status)


def _announce(job_dir: Path, spec: JobSpec, message: str) -> None:
    """A status from the first moment, before the trainer writes its own."""
    previous = read_status(job_dir) if spec.resume else None
    status = previous or TrainingStatus(
        state="running", epoch=0, total_epochs=spec.epochs, started_at=now_iso(), updated_at=now_iso()
    )
    status.state, status.message, status.total_epochs = "running", message, spec.epochs
    status.updated_at = now_iso()
    status.claim()
    write_status(job_dir, status)


def _fail(job_dir: Path, reason: str) -> int:
    log.error("training job failed: %s", reason)
    _finish(job_dir, "failed", reason)
    return EXIT_FAILED


def _finish(job_dir: Path, state: str, reason: str | None) -> None:
    """Mark the status `state` (with `reason`, else the trainer's message) unless the trainer
    recorded the end already; a disk too full even for that leaves the bot to tell from the
    exit code."""
    from genai_models.vae.training.checkpoint import interruption_message

    try:
        status = read_status(job_dir)
        if status is None or (reason is None and status.state != "running"):
            return
        if reason is None:
            reason = interruption_message(job_dir, status.epoch)
        status.finish(state, reason)
        write_status(job_dir, status)
    except OSError as exc:
        log.error("could not record the job's end in %s: %s", job_dir, exc.strerror or exc)


def exit_now(code: int) -> None:
    """End the process with `code` once its output is flushed, without the interpreter's
    teardown: everything the bot reads (status, evaluation, model files) is written and
    closed, and unwinding TensorFlow, ONNX Runtime and their thread pools took seconds, all
    of them between the new model's check and its swap (the bot swaps when the process ends)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
