"""`python -m bot.training.job JOB_DIR`: one training job, in its own process.

Reads job.json, trains through the engine's trainer (status.json and a checkpoint every epoch,
in JOB_DIR), then checks the new model the way the bot's swap rule needs (validation -ELBO of
it and of the serving model on the same digits, fidelity by its own checker) and writes
evaluation.json. Every failure ends as a "failed" status with a one-line reason, and exit code
1; SIGTERM (the bot's /train cancel or shutdown) stops like Ctrl-C: after the last finished
epoch's checkpoint, exit code 130. It runs at a lower CPU priority, so the bot's own event loop
keeps its latency while it trains.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

from bot.training.spec import EXIT_DONE, EXIT_FAILED, EXIT_INTERRUPTED, Evaluation, JobSpec
from genai_models.errors import GenAIError
from genai_models.vae.training.status import TrainingStatus, now_iso, read_status, write_status

log = logging.getLogger("genai_bot.training.job")

NICENESS = 10  # below the bot, which shares the machine's cores


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    job_dir = Path(argv[0])
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    try:
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
    from genai_models.vae.training.data import load_digits, split

    digits = load_digits(spec.data)
    data_split = split(digits)
    log.info("training on %d digits, validating on %d (%s)", len(data_split.train),
             len(data_split.validation), digits.source)

    from genai_models.vae.training.trainer import TrainingConfig, train

    status = train(data_split, job_dir, TrainingConfig(epochs=spec.epochs, seed=spec.seed),
                   resume=spec.resume, verbose=0)
    status.message = "checking the new model before it serves"
    write_status(job_dir, status)
    evaluation = evaluate(job_dir, spec, data_split)
    evaluation.write(job_dir)
    status.message = f"model {evaluation.version} trained and checked"
    status.updated_at = now_iso()
    write_status(job_dir, status)


def evaluate(job_dir: Path, spec: JobSpec, data_split) -> Evaluation:
    """Score the new model and the serving one on the same held-out digits, and the new
    model's fidelity; loading it through the sampler also proves its files are sound."""
    from genai_models.vae.backend import keras
    from genai_models.vae.serving.card import PRETRAINED_DIR, VAE_FILE, read_verified_card
    from genai_models.vae.serving.sampler import DigitSampler
    from genai_models.vae.training.evaluation import vae_negative_elbo
    from genai_models.vae.training.fidelity import self_check_fidelity

    # As the bot will serve it (its ONNX files); an undertrained model is judged by its
    # fidelity (the swap rule), not refused here.
    sampler = DigitSampler.load(job_dir, refuse_undertrained=False)
    fidelity = self_check_fidelity(sampler, samples_per_class=spec.fidelity_samples)
    serving_dir = Path(spec.serving_model_dir) if spec.serving_model_dir else PRETRAINED_DIR
    serving_card = read_verified_card(serving_dir)
    serving = keras.saving.load_model(serving_dir / VAE_FILE, compile=False)
    trained = keras.saving.load_model(job_dir / VAE_FILE, compile=False)
    images = data_split.validation.images
    return Evaluation(
        version=sampler.version,
        negative_elbo=round(vae_negative_elbo(trained, images).negative_elbo, 3),
        serving_version=serving_card["version"],
        serving_negative_elbo=round(vae_negative_elbo(serving, images).negative_elbo, 3),
        fidelity=round(fidelity.overall, 4),
        worst_class=fidelity.worst_class,
        worst_class_fidelity=round(fidelity.per_class[fidelity.worst_class], 4),
        fidelity_samples=fidelity.samples_per_class,
    )


def _announce(job_dir: Path, spec: JobSpec, message: str) -> None:
    """A status from the first moment, before the trainer writes its own."""
    previous = read_status(job_dir) if spec.resume else None
    status = previous or TrainingStatus(state="running", epoch=0, total_epochs=spec.epochs,
                                        started_at=now_iso(), updated_at=now_iso())
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


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
