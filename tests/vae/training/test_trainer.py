"""The training job: learns, reports, checkpoints, resumes, and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from genai_models.errors import TrainingError
from genai_models.vae.model import DEFAULT_LATENT_DIM
from genai_models.vae.training.checkpoint import (
    CHECKPOINT_DIR,
    CHECKPOINT_META,
    checkpoint_weights_path,
    read_checkpoint_meta,
)
from genai_models.vae.training.data import split
from genai_models.vae.training.status import read_status
from genai_models.vae.training.trainer import TrainingConfig, train


def _served_weights(model_dir):
    from genai_models.vae.backend import keras

    return keras.saving.load_model(model_dir / "vae.keras", compile=False).get_weights()


def _negative_elbo(vae, digits):
    from genai_models.vae.training.evaluation import vae_negative_elbo

    return vae_negative_elbo(vae, digits.images, samples=2).negative_elbo


def test_one_epoch_lowers_the_validation_loss(tmp_path, mnist_slice):
    from genai_models.vae.backend import keras
    from genai_models.vae.model import build_vae

    data = split(mnist_slice)
    untrained = build_vae(seed=5)
    before = _negative_elbo(untrained, data.validation)
    # Small batches: 29 steps in the one epoch, enough for a clear drop from ~550 nats.
    train(data, tmp_path, TrainingConfig(epochs=1, batch_size=16, seed=5), verbose=0)
    after = _negative_elbo(keras.saving.load_model(tmp_path / "vae.keras"), data.validation)
    assert after < before - 30


def test_status_file_reports_a_finished_run(tiny_model_dir):
    status = read_status(tiny_model_dir)
    assert status.state == "finished"
    assert (status.epoch, status.total_epochs) == (2, 2)
    assert status.eta_seconds == 0
    assert status.loss > 0 and status.val_loss > 0 and status.kl_loss > 0
    assert len(status.history["loss"]) == 2 and len(status.history["val_loss"]) == 2
    assert status.history["loss"][1] < status.history["loss"][0]
    assert status.model_version.startswith(f"vae{DEFAULT_LATENT_DIM}d-")
    assert status.started_at <= status.updated_at


def test_checkpoint_is_written_every_epoch(tiny_model_dir):
    meta = json.loads((tiny_model_dir / CHECKPOINT_DIR / CHECKPOINT_META).read_text())
    assert meta["epoch"] == 2
    weights = checkpoint_weights_path(tiny_model_dir, meta)
    assert weights.stat().st_size > 0
    # Only the committed epoch's weights are kept.
    assert [p.name for p in (tiny_model_dir / CHECKPOINT_DIR).glob("*.weights.h5")] == [weights.name]


def test_served_files_carry_no_optimizer_state(tiny_model_dir):
    meta = read_checkpoint_meta(tiny_model_dir)
    checkpoint = checkpoint_weights_path(tiny_model_dir, meta).stat().st_size
    assert (tiny_model_dir / "vae.keras").stat().st_size < checkpoint / 2


def test_same_seed_and_data_give_the_same_weights(tmp_path, mnist_slice, tiny_model_dir):
    train(split(mnist_slice), tmp_path, TrainingConfig(epochs=2, seed=3), verbose=0)
    for ours, theirs in zip(_served_weights(tmp_path), _served_weights(tiny_model_dir), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_many_steps_per_call_train_the_same_weights_as_one(
    tmp_path, mnist_slice, tiny_model_dir, monkeypatch
):
    # The trainer runs several steps per call into TensorFlow only because it changes nothing
    # but the time (docs/training.md, "Recipe").
    from genai_models.vae.training import trainer

    assert trainer.STEPS_PER_EXECUTION > 1
    monkeypatch.setattr(trainer, "STEPS_PER_EXECUTION", 1)
    train(split(mnist_slice), tmp_path, TrainingConfig(epochs=2, seed=3), verbose=0)  # as tiny's
    for ours, theirs in zip(_served_weights(tmp_path), _served_weights(tiny_model_dir), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_resume_continues_from_the_checkpoint(tmp_path, mnist_slice):
    data = split(mnist_slice)
    train(data, tmp_path, TrainingConfig(epochs=1, seed=4), verbose=0)
    first_loss = read_status(tmp_path).history["loss"][0]
    status = train(data, tmp_path, TrainingConfig(epochs=2, seed=4), resume=True, verbose=0)
    assert status.epoch == 2 and status.state == "finished"
    assert status.history["loss"][0] == first_loss  # the first epoch was kept, not redone
    assert len(status.history["loss"]) == 2


def test_resume_without_a_checkpoint_is_refused(tmp_path, mnist_slice):
    with pytest.raises(TrainingError, match="Nothing to resume"):
        train(split(mnist_slice), tmp_path, TrainingConfig(epochs=1), resume=True, verbose=0)


def test_resume_on_different_data_is_refused(tmp_path, mnist_slice):
    train(split(mnist_slice), tmp_path, TrainingConfig(epochs=1), verbose=0)
    other = split(mnist_slice.subset(np.arange(300)))
    with pytest.raises(TrainingError, match="different data"):
        train(other, tmp_path, TrainingConfig(epochs=2), resume=True, verbose=0)


def test_ctrl_c_stops_cleanly_and_resume_finishes(tmp_path, mnist_slice_path):
    """A real `genai-bot train` process: SIGINT mid-run, then --resume completes the job."""
    command = [
        sys.executable,
        "-m",
        "bot",
        "train",
        "--data",
        str(mnist_slice_path),
        "--epochs",
        "40",
        "--out",
        str(tmp_path),
    ]
    env = {**os.environ, "GENAI_TRAINING_DIR": str(tmp_path)}
    # A background shell (nohup, `&`) starts children with SIGINT ignored, and Python keeps it
    # so: give the process the default disposition a terminal's Ctrl-C meets.
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = read_status(tmp_path)
        if status is not None and status.epoch >= 1:
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert b"--resume" in stderr and b"Traceback" not in stderr
    status = read_status(tmp_path)
    assert status.state == "interrupted" and 1 <= status.epoch < 40
    stopped_at = status.epoch
    meta = json.loads((tmp_path / CHECKPOINT_DIR / CHECKPOINT_META).read_text())
    assert meta["epoch"] == stopped_at

    resumed = subprocess.run(
        [*command[:-4], "--epochs", str(stopped_at + 1), "--out", str(tmp_path), "--resume"],
        env=env,
        capture_output=True,
        timeout=180,
    )
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    status = read_status(tmp_path)
    assert status.state == "finished" and status.epoch == stopped_at + 1
    assert len(status.history["loss"]) == stopped_at + 1


def test_bfloat16_training_computes_convolutions_in_bfloat16_and_serves_float32(tmp_path, mnist_slice):
    from genai_models.vae.backend import keras
    from genai_models.vae.training.precision import training_precision
    from genai_models.vae.training.trainer import _compiled_vae

    with training_precision("bfloat16"):
        training_model = _compiled_vae(TrainingConfig(precision="bfloat16"), steps_per_epoch=1)
    assert keras.config.dtype_policy().name == "float32"  # set for the block only
    compute = {
        layer.name: layer.dtype_policy.compute_dtype
        for part in (training_model.encoder, training_model.decoder)
        for layer in part.layers
        if layer.weights
    }
    assert compute.pop("z_mean") == compute.pop("z_log_var") == "float32"
    assert compute.pop("pixel_logits") == "float32"  # the loss reads float32 logits
    assert set(compute.values()) == {"bfloat16"} and len(compute) == 7  # 3 conv, 2 dense, 2 deconv
    assert training_model.prior.dtype_policy.compute_dtype == "float32"  # the KL's prior means
    assert all(w.dtype == "float32" for w in training_model.weights)  # float32 master weights

    status = train(
        split(mnist_slice), tmp_path, TrainingConfig(epochs=1, seed=2, precision="bfloat16"), verbose=0
    )
    assert status.state == "finished" and np.isfinite(status.val_loss)
    assert keras.config.dtype_policy().name == "float32"  # train() put the global policy back
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["training"]["precision"] == "bfloat16"
    served = keras.saving.load_model(tmp_path / "vae.keras", compile=False)
    assert {
        layer.dtype_policy.name for part in (served.encoder, served.decoder) for layer in part.layers
    } == {"float32"}
    assert served.prior.dtype_policy.name == "float32"
    # The digit-ness model trained in the run's bfloat16 too, and is served in float32 as well.
    import onnx

    graph = onnx.load(str(tmp_path / "digitness.onnx")).graph
    bfloat16 = onnx.TensorProto.BFLOAT16
    assert onnx.TensorProto.FLOAT in {t.data_type for t in graph.initializer}
    assert bfloat16 not in {t.data_type for t in graph.initializer}
    assert not [a for n in graph.node if n.op_type == "Cast" for a in n.attribute if a.i == bfloat16]


def test_auto_precision_is_recorded_as_what_it_resolved_to(tiny_model_dir):
    from genai_models.vae.training.precision import resolve_precision

    card = json.loads((tiny_model_dir / "model_card.json").read_text())
    meta = json.loads((tiny_model_dir / CHECKPOINT_DIR / CHECKPOINT_META).read_text())
    assert card["training"]["precision"] == meta["config"]["precision"] == resolve_precision("auto")


def test_resume_in_another_precision_is_refused(tmp_path, mnist_slice):
    data = split(mnist_slice)
    train(data, tmp_path, TrainingConfig(epochs=1, seed=4, precision="float32"), verbose=0)
    with pytest.raises(TrainingError, match=r"precision=float32.*precision=bfloat16"):
        train(data, tmp_path, TrainingConfig(epochs=2, seed=4, precision="bfloat16"), resume=True, verbose=0)


def test_the_recipe_reaches_kerass_optimizer_and_compile():
    from genai_models.vae.training.trainer import _compiled_vae

    config = TrainingConfig(
        epochs=7,
        learning_rate=0.0025,
        final_learning_rate_fraction=0.1,
        weight_decay=0.02,
        precision="float32",
    )
    vae = _compiled_vae(config, steps_per_epoch=5)
    optimizer = vae.optimizer.get_config()
    schedule = optimizer["learning_rate"]["config"]
    assert schedule["initial_learning_rate"] == 0.0025
    assert schedule["decay_steps"] == 7 * 5  # the cosine ends at the last epoch's last step
    assert schedule["alpha"] == 0.1
    assert optimizer["weight_decay"] == 0.02
    assert vae.jit_compile is False  # no XLA (see _compiled_vae)


def test_fit_takes_the_recipes_batch_size(tmp_path, mnist_slice):
    from genai_models.vae.training.trainer import fit, prepare

    data = split(mnist_slice)
    run = prepare(
        data, tmp_path, TrainingConfig(epochs=1, batch_size=50, seed=6, precision="float32"), resume=False
    )
    fit(run, data, verbose=0)
    assert int(run.vae.optimizer.iterations) == -(-len(data.train) // 50)  # one step per batch of 50
