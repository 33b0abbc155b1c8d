"""Training job: fit the VAE with a status file and a checkpoint every epoch, resumable.

Layout of the output folder:
    status.json                  where the run stands (rewritten atomically every epoch)
    checkpoint/state-epochN.weights.h5  weights + AdamW state after epoch N, to resume (not served)
    checkpoint/state.json        epoch, its weights file, config (seed, precision), data fingerprint
    vae.keras, checker.keras     the served models (no optimizer state), written at the end
    validation_latents.npz       the validation digits' latent points (the latent map's scatter)
    training_latents.npz         the training digits' latent codes (what /digit samples from)
    class_latents.npz, history.json   each class's code statistics; the loss per epoch
    decoder.onnx, encoder.onnx, checker.onnx, serving_state.npz   what serving runs and reads
    digitness.onnx               /handwriting's digit-or-not model, with its bar (see digitness.py)
    model_card.json              what they are, with the files' SHA-256 (see card.py)

`train` trains the self-check classifier and the digit-ness model (they depend on the digits
only, so they are not left for after the last epoch), then runs three steps: `prepare` (seed,
build, restore), `fit` (Keras's fit with a checkpoint and status every epoch) and `finish`
(the export).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import tensorflow as tf

from genai_models.errors import TrainingError
from genai_models.vae.backend import keras
from genai_models.vae.files import require_free_space, signals_deferred
from genai_models.vae.model import DEFAULT_LATENT_DIM, DEFAULT_PRIOR_RADIUS, VAE, build_vae
from genai_models.vae.serving.card import (
    CARD_FILE,
    CHECKER_FILE,
    VAE_FILE,
    files_of,
    write_card,
    write_training_latents,
    write_validation_latents,
)
from genai_models.vae.serving.digitness import DIGITNESS_ONNX
from genai_models.vae.serving.runtime import CHECKER_ONNX, DECODER_ONNX, ENCODER_ONNX
from genai_models.vae.training.checkpoint import (
    checkpoint_meta,
    commit_checkpoint,
    interruption_message,
    load_checkpoint_weights,
    read_checkpoint_meta,
    weights_bytes,
    weights_checkpoint,
)
from genai_models.vae.training.classifier import CHECKER_EPOCHS, build_checker, train_checker
from genai_models.vae.training.data import Split
from genai_models.vae.training.digitness import EPOCHS as DIGITNESS_EPOCHS
from genai_models.vae.training.digitness import trained_from, training_inputs, write_digitness
from genai_models.vae.training.evaluation import BackgroundElbo, onnx_decoder
from genai_models.vae.training.kept_models import KeptModels
from genai_models.vae.training.latents import class_latent_statistics
from genai_models.vae.training.onnx_export import export_onnx
from genai_models.vae.training.precision import resolve_precision, training_precision
from genai_models.vae.training.serving_export import write_serving_files
from genai_models.vae.training.status import TrainingStatus, now_iso, write_status

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class TrainingConfig:
    # A new run's recipe (`genai-bot train`, `/train start`): it keeps the shipped recipe's
    # quality (75 epochs of 128 at 1e-3, `make train`) for about half its CPU time, which the
    # defaults before it (30 epochs of 128 at 1e-3) did not (docs/training.md, "A new run's
    # defaults").
    epochs: int = 31
    batch_size: int = 64
    seed: int = 0
    latent_dim: int = DEFAULT_LATENT_DIM
    learning_rate: float = 3e-3
    # Cosine decay to this fraction of the rate by the last epoch: a calmer end, lower loss.
    final_learning_rate_fraction: float = 0.05
    # AdamW's decoupled weight decay: with only thousands of digits the decoder overfits in a
    # long run; decay keeps the held-out -ELBO lower (docs/model.md, "Why it differs").
    weight_decay: float = 0.01
    prior_radius: float = DEFAULT_PRIOR_RADIUS
    learn_prior_means: bool = False  # see build_vae
    # The KL term's weight in the loss (a β-VAE's β; 1 is the ELBO): see VAE and docs/fairness.md.
    kl_weight: float = 1.0
    # The decoder's hidden channels, times the default (build_decoder's `width`).
    decoder_width: float = 1.0
    # Validation losses every epoch come from this many held-out digits: scoring all of them
    # each epoch is a sizeable share of the epoch (bench.vae_speed --diagnose). The model card
    # scores all of them, once.
    validation_digits_per_epoch: int = 500
    # "auto": bfloat16 convolutions where the CPU computes them natively, else float32
    # (precision.py). train() records the resolved choice; a resume must match it.
    precision: str = "auto"

    @classmethod
    def from_fields(cls, fields: dict) -> TrainingConfig:
        """A config from `fields` (a checkpoint's or a plan's), leaving out keys it has no field
        for, such as the CLI's own or those of another version's checkpoint."""
        return cls(**{key: value for key, value in fields.items() if key in cls.__dataclass_fields__})


@dataclass
class TrainingRun:
    """One training job between its steps: the model, where it stands, and where it writes."""

    out_dir: Path
    config: TrainingConfig  # precision resolved ("auto" never appears here)
    vae: VAE
    status: TrainingStatus
    fingerprint: str
    start_epoch: int


def train(
    split: Split,
    out_dir: Path,
    config: TrainingConfig,
    *,
    resume: bool = False,
    verbose: int = 1,
    while_scoring=None,
    kept: KeptModels | None = None,
) -> TrainingStatus:
    """Train, checkpointing every epoch; returns the final status (finished or interrupted).

    Ctrl-C (KeyboardInterrupt) stops after the last finished epoch's checkpoint, marks the run
    `interrupted` and re-raises, so the caller can exit non-zero; `resume=True` continues it.
    `while_scoring`: see `export_model`. `kept`: where the self-check classifier and the
    digit-ness model made from the same digits by an earlier run are read, and this run's kept.
    """
    config = replace(config, precision=resolve_precision(config.precision))
    run = None
    try:
        # The self-check classifier depends on the digits alone, not on the VAE: trained first
        # (in float32, seeded on its own, before `prepare` seeds the VAE), it is not part of the
        # wait between the last epoch and a model that serves.
        checker = _checker(split, Path(out_dir), config, kept)
        _digitness(split, Path(out_dir), config, kept)
        with training_precision(config.precision):  # the served model is built after, in float32
            run = prepare(split, Path(out_dir), config, resume=resume)
            fit(run, split, verbose=verbose)
        return finish(run, split, checker, while_scoring=while_scoring)
    except KeyboardInterrupt:
        if run is not None:
            _stop(run, "interrupted", interruption_message(run.out_dir, run.status.epoch))
        raise
    except Exception as exc:
        shutil.rmtree(Path(out_dir) / PREPARED_DIR, ignore_errors=True)  # kept only to resume
        if run is not None:
            _stop(run, "failed", f"{type(exc).__name__}: {exc}")
        raise


def prepare(split: Split, out_dir: Path, config: TrainingConfig, *, resume: bool) -> TrainingRun:
    """Seed everything, build and compile the model, restore the checkpoint when resuming."""
    out_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()  # same seed + same data -> same weights
    vae = _compiled_vae(config, steps_per_epoch=_steps(len(split.train), config.batch_size))
    fingerprint = split.train.fingerprint()
    start_epoch, status = 0, None
    if resume:
        start_epoch, status = _restore(vae, out_dir, config, fingerprint)
    if status is None:
        status = TrainingStatus(
            state="running",
            epoch=0,
            total_epochs=config.epochs,
            started_at=now_iso(),
            updated_at=now_iso(),
            data_source=split.train.source,
        )
    status.state, status.message, status.total_epochs = "running", None, config.epochs
    status.claim()  # readers check this process, not the file's word, to see that it runs
    write_status(out_dir, status)
    return TrainingRun(out_dir, config, vae, status, fingerprint, start_epoch)


def fit(run: TrainingRun, split: Split, *, verbose: int) -> None:
    """Keras's fit from the run's epoch to the last, with a checkpoint and status every epoch."""
    if run.start_epoch >= run.config.epochs:
        return
    # The split is already shuffled (seeded), so its first digits are a fair sample of it.
    monitored = split.validation.subset(
        np.arange(min(len(split.validation), run.config.validation_digits_per_epoch))
    )
    run.vae.fit(
        {"image": split.train.images, "label": split.train.labels},
        validation_data=({"image": monitored.images, "label": monitored.labels},),
        batch_size=run.config.batch_size,
        epochs=run.config.epochs,
        initial_epoch=run.start_epoch,
        shuffle=True,
        verbose=verbose,
        # In this order: the weights are saved before the reporter commits them with the meta.
        callbacks=[
            StopIfDiverged(),  # first: a diverged epoch is never checkpointed
            weights_checkpoint(run.out_dir),
            EpochReporter(run.out_dir, run.status, run.config, run.fingerprint),
        ],
    )


def _checker(split: Split, out_dir: Path, config: TrainingConfig, kept: KeptModels | None) -> keras.Model:
    """The self-check classifier for this run's digits, said in the log (the status file is
    the run's own, written by `prepare`): the one an earlier run on the same digits and seed
    kept, else trained now (and kept)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    made_of = {"training_digits": split.train.fingerprint(), "seed": str(config.seed)}
    made_of["epochs"] = str(CHECKER_EPOCHS)
    path = kept.path("checker", made_of, ".weights.h5") if kept is not None else None
    if path is not None and path.is_file():
        checker = build_checker()
        try:
            checker.load_weights(path)
        except Exception as exc:  # any of HDF5's or Keras's errors: a damaged file, trained again
            log.warning("the kept self-check classifier %s cannot be read (%s): training it again", path, exc)
        else:
            log.info("reusing the self-check classifier an earlier run trained on these digits")
            return checker
    log.info("training the self-check classifier")
    tf.config.experimental.enable_op_determinism()  # same seed + same digits -> same checker
    checker = train_checker(split.train.images, split.train.labels, epochs=CHECKER_EPOCHS, seed=config.seed)
    if path is not None:
        kept.keep(path, checker.save_weights, weights_bytes(checker, optimizer=False))
    return checker


def _digitness(split: Split, out_dir: Path, config: TrainingConfig, kept: KeptModels | None) -> None:
    """/handwriting's digit-or-not model (digitness.py), kept in PREPARED_DIR until the export
    moves it in with the others: it too depends on the digits alone, so it is made before the
    first epoch, once: a resumed run, or one started again after a stop before its first
    epoch, keeps the file there if it was made from the same digits, seed, epochs and precision
    (never one another run in this folder left); `kept` may hold one an earlier run made from
    the same. A short VAE run (a try-out, a test) gets a short digit-ness training; its bar is
    still chosen on digits it never saw, so it refuses no more real digits, only fewer
    non-digits."""
    prepared = out_dir / PREPARED_DIR
    target = prepared / DIGITNESS_ONNX
    epochs = min(DIGITNESS_EPOCHS, config.epochs)
    wanted = training_inputs(split.train, config.seed, epochs, config.precision)
    if _made_of(target) == wanted:
        log.info("keeping the digit-ness model an earlier attempt of this run trained")
        return
    prepared.mkdir(parents=True, exist_ok=True)
    path = kept.path("digitness", wanted, ".onnx") if kept is not None else None
    if path is not None and _made_of(path) == wanted:
        shutil.copyfile(path, target.with_name(f".{target.name}.partial"))
        os.replace(target.with_name(f".{target.name}.partial"), target)
        log.info("reusing the digit-ness model an earlier run trained on these digits")
        return
    log.info("training the digit-ness model that /handwriting refuses non-digits with")
    write_digitness(prepared, split.train, seed=config.seed, epochs=epochs, precision=config.precision)
    if path is not None:
        kept.keep(path, lambda partial: shutil.copyfile(target, partial), target.stat().st_size)


def _made_of(path: Path) -> dict[str, str] | None:
    """What the digit-ness file at `path` was made from; None when there is none to read."""
    if not path.is_file():
        return None
    try:
        return trained_from(path)
    except Exception as exc:  # any of ONNX's parse errors: a damaged file, made again
        log.warning("the digit-ness file %s cannot be read (%s): training it again", path, exc)
        return None


def finish(run: TrainingRun, split: Split, checker: keras.Model, *, while_scoring=None) -> TrainingStatus:
    """Export the served files with the self-check classifier, and mark the run finished.

    Each step says what it does in the status and the log: together they take a while.
    """
    progress = ExportProgress(run.out_dir, run.status)
    card = export_model(
        run.vae,
        checker,
        split,
        run.out_dir,
        run.config,
        run.status,
        progress=progress,
        while_scoring=while_scoring,
    )
    run.status.model_version = card["version"]
    run.status.finish("finished", f"model {card['version']} saved to {run.out_dir}")
    write_status(run.out_dir, run.status)
    return run.status


class ExportProgress:
    """Reports one step of the export: a log line, and the status message /train-status shows."""

    STEPS = 3  # the served models (Keras and ONNX), vetting the serving pools, the scoring

    def __init__(self, out_dir: Path, status: TrainingStatus) -> None:
        self.out_dir, self.status, self.step = out_dir, status, 0

    def __call__(self, what: str) -> None:
        self.step += 1
        self.status.message = f"exporting the model ({self.step}/{self.STEPS}): {what}"
        self.status.updated_at = now_iso()
        log.info("%s", self.status.message)
        write_status(self.out_dir, self.status)


def _stop(run: TrainingRun, state, message: str) -> None:
    run.status.finish(state, message)
    write_status(run.out_dir, run.status)


class StopIfDiverged(keras.callbacks.Callback):
    """Stop at the first loss that is no number (a learning rate too high), before its epoch is
    checkpointed: the run fails with a sentence, its last checkpoint is its last good epoch, and
    no model is exported from weights that draw nothing."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise TrainingError(
                f"the training diverged: its loss became {float(loss)} in epoch {self.epoch + 1}; "
                "a lower learning rate trains steadier"
            )


class EpochReporter(keras.callbacks.Callback):
    """After every epoch: commit the checkpoint just saved, then rewrite the status with an ETA."""

    def __init__(
        self, out_dir: Path, status: TrainingStatus, config: TrainingConfig, fingerprint: str
    ) -> None:
        super().__init__()
        self.out_dir, self.status = out_dir, status
        self.config, self.fingerprint = config, fingerprint
        self._epoch_started = time.monotonic()
        self._durations: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        self._durations.append(time.monotonic() - self._epoch_started)
        recent = self._durations[-5:]  # the first epoch includes tracing; recent ones predict best
        self.status.record_epoch(epoch + 1, logs or {}, sum(recent) / len(recent))
        commit_checkpoint(
            self.out_dir, checkpoint_meta(epoch + 1, self.config, self.fingerprint, self.status)
        )
        write_status(self.out_dir, self.status)


def _restore(vae: VAE, out_dir: Path, config: TrainingConfig, fingerprint: str):
    meta = read_checkpoint_meta(out_dir)
    # Checkpoints from before the precision and decoder width settings were trained in float32,
    # with the default decoder.
    saved = {"precision": "float32", "decoder_width": 1.0, **meta.get("config", {})}
    for key in ("seed", "latent_dim", "batch_size", "precision", "decoder_width"):
        if saved.get(key) != getattr(config, key):
            raise TrainingError(
                f"Cannot resume: the checkpoint used {key}={saved.get(key)}, this run asks "
                f"{key}={getattr(config, key)}"
            )
    if meta.get("data_fingerprint") != fingerprint:
        raise TrainingError("Cannot resume: the checkpoint was trained on different data")
    load_checkpoint_weights(vae, out_dir, meta)
    epoch = int(meta["epoch"])
    log.info("checkpoint of epoch %d restored; training on to epoch %d", epoch, config.epochs)
    return epoch, TrainingStatus.from_json(meta["status"])


# Training steps run per call into TensorFlow: fewer round trips through Python for each batch,
# the same weights (docs/training.md, "Recipe").
STEPS_PER_EXECUTION = 16


def _compiled_vae(config: TrainingConfig, *, steps_per_epoch: int) -> VAE:
    """The training model; its layers take the global dtype policy (`training_precision`)."""
    vae = _vae_of(config)
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate,
        decay_steps=max(1, config.epochs * steps_per_epoch),
        alpha=config.final_learning_rate_fraction,
    )
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay)
    # jit_compile=False: Keras turns XLA off under op determinism anyway (`prepare` enables it),
    # and without determinism XLA made an epoch cost more CPU here, not less (docs/training.md,
    # "Recipe").
    vae.compile(optimizer=optimizer, jit_compile=False, steps_per_execution=STEPS_PER_EXECUTION)
    # Build weights and optimizer slots now, so a checkpoint can be loaded into them.
    vae(_example_batch())
    vae.optimizer.build(vae.trainable_variables)
    return vae


def _vae_of(config: TrainingConfig) -> VAE:
    """A new, uncompiled VAE of `config`'s architecture and loss: the one trained, and the
    served copy its weights are moved into, are built alike."""
    return build_vae(
        config.latent_dim,
        seed=config.seed,
        prior_radius=config.prior_radius,
        learn_prior_means=config.learn_prior_means,
        kl_weight=config.kl_weight,
        decoder_width=config.decoder_width,
    )


def _steps(count: int, batch_size: int) -> int:
    return -(-count // batch_size)


EXPORT_DIR = ".export"  # the served files are written here, then moved in together
PREPARED_DIR = ".prepared"  # served files made before the first epoch, until the export


def export_model(
    vae: VAE,
    checker: keras.Model,
    split: Split,
    out_dir: Path,
    config: TrainingConfig,
    status: TrainingStatus,
    *,
    progress=None,
    while_scoring=None,
) -> dict:
    """Save the served models without optimizer state, the validation latents, and the card.

    The validation -ELBO (nearly all of the export's work: every digit decoded for every class
    and sample) is computed in a thread of its own while the rest goes on: the latents, vetting
    the digits it serves, and `while_scoring(sampler)` when given, the caller's own checks of
    the new model (the chat job's fidelity and per-digit report) on a sampler that serves it as
    loading will, from the files written so far (its card is not written yet: its version
    reads "unexported"). On two cores the scoring's decodes and the rest share them.

    The files are written beside `out_dir` first and moved in together, card last, with
    Ctrl-C held meanwhile: a stop or a failure (a full disk) at any point leaves the previous
    served files, or none, never weights without their card; the unfinished export is removed.
    The served VAE computes in float32 whatever precision trained it (its weights are float32
    either way), so what it draws does not depend on the CPU that serves it.
    """
    progress = progress or (lambda what: log.info("%s", what))
    staging = out_dir / EXPORT_DIR
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        made_before = out_dir / PREPARED_DIR / DIGITNESS_ONNX
        if made_before.is_file():
            shutil.copy2(made_before, staging / DIGITNESS_ONNX)
        card = _export_into(staging, vae, checker, split, config, status, progress, while_scoring)
        with signals_deferred():
            for name in (*files_of(staging), CARD_FILE):  # the card last: it vouches for the others
                os.replace(staging / name, out_dir / name)
        shutil.rmtree(out_dir / PREPARED_DIR, ignore_errors=True)  # moved in with the others
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return card


def _export_into(
    out_dir: Path,
    vae: VAE,
    checker: keras.Model,
    split: Split,
    config: TrainingConfig,
    status: TrainingStatus,
    progress,
    while_scoring,
) -> dict:
    progress("saving the served models")
    require_free_space(
        out_dir,
        weights_bytes(vae, optimizer=False) + weights_bytes(checker, optimizer=False),
        "the trained model",
    )
    served = _without_optimizer(vae, lambda: _vae_of(config), example=_example_batch())
    checker = _without_optimizer(checker, build_checker, example=_example_batch()["image"])
    # The scoring decodes with the served decoder's file: it is written first, and the scoring
    # begins while the rest is saved.
    export_onnx(served, checker, out_dir, names=(DECODER_ONNX,))
    scoring = BackgroundElbo(served, split.validation.images, decode=onnx_decoder(out_dir / DECODER_ONNX))
    try:
        served.save(out_dir / VAE_FILE)
        checker.save(out_dir / CHECKER_FILE)
        export_onnx(served, checker, out_dir, names=(ENCODER_ONNX, CHECKER_ONNX))
        progress("vetting the digits it serves")
        fields = _card_fields(out_dir, served, checker, split, config, status)
        fields = write_serving_files(out_dir, served, checker, fields, onnx_written=True, then=while_scoring)
        progress(f"scoring the {len(split.validation)} validation digits")
        elbo = scoring.result()
    finally:
        scoring.stop()  # only where something above failed: it has ended otherwise
    # In its place among the card's fields, before what the rest measured.
    fields["validation"] = {
        "negative_elbo_nats": round(elbo.negative_elbo, 3),
        "reconstruction_nats": round(elbo.reconstruction, 3),
        "kl_nats": round(elbo.kl, 3),
        **fields["validation"],
    }
    return write_card(out_dir, fields)


def _card_fields(
    out_dir: Path, served: VAE, checker, split: Split, config: TrainingConfig, status: TrainingStatus
) -> dict:
    """The card's fields but the -ELBO, with the latents files they describe written."""
    encode = lambda images: served.encoder(images, training=False)[:2]  # noqa: E731
    prior_means = np.asarray(served.prior.means)
    train_codes, train_spreads = _latent_codes(encode, split.train.images)
    validation_codes, _ = _latent_codes(encode, split.validation.images)
    write_validation_latents(out_dir, validation_codes, split.validation.labels)
    write_training_latents(out_dir, train_codes, train_spreads, split.train.labels)
    checker_accuracy = float(
        np.mean(
            np.argmax(checker(split.validation.images, training=False), axis=1) == split.validation.labels
        )
    )
    return {
        "name": f"genai-bot MNIST VAE ({config.latent_dim}-D latent, class prior)",
        "created_at": now_iso(),
        "data": {
            "source": split.train.source,
            "train_size": len(split.train),
            "validation_size": len(split.validation),
        },
        "training": {
            **asdict(config),
            "epochs_run": status.epoch,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
        "validation": {
            "keras_val_loss": status.val_loss,
            "checker_accuracy": round(checker_accuracy, 4),
        },
        "history": status.history,
        "class_latents": class_latent_statistics(train_codes, split.train.labels),
        "prior_means": prior_means.round(5).tolist(),
    }


def _without_optimizer(trained, build, *, example):
    """A fresh, uncompiled copy of `trained`: served files carry no optimizer state, which
    only resuming needs and which would make them several times bigger."""
    copy = build()
    copy(example)  # build the weights before copying them in
    copy.set_weights(trained.get_weights())
    return copy


def _example_batch() -> dict:
    return {"image": np.zeros((1, 28, 28, 1), "float32"), "label": np.zeros((1,), "int32")}


def _latent_codes(encode, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and standard deviations of `images`, in one pass of the encoder: the
    codes, and how far each training code may be jittered when sampled."""
    means, log_vars = [], []
    for start in range(0, len(images), 1000):
        mean, log_var = encode(images[start : start + 1000])
        means.append(np.asarray(mean))
        log_vars.append(np.asarray(log_var))
    return np.concatenate(means), np.exp(0.5 * np.concatenate(log_vars))
