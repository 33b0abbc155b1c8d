"""Resume as the hint suggests it, a stop before anything can be resumed, an export that is
never half-published, and a status that tells a dead trainer from a live one."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from genai_models.vae.files import signals_deferred
from genai_models.vae.serving.card import CARD_FILE, VAE_FILE, read_verified_card
from genai_models.vae.training.status import TrainingStatus, now_iso, read_status, write_status
from tests.cli.test_vae import assert_one_line_error, genai_bot
from tests.helpers import MNIST_SLICE


def copy_run(tiny_model_dir, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(tiny_model_dir, target)
    return target


def test_resuming_a_finished_run_says_it_is_finished_without_touching_data(tiny_model_dir, tmp_path):
    run = copy_run(tiny_model_dir, tmp_path)
    result = genai_bot("train", "--resume", "--out", str(run), cwd=tmp_path)  # no --data
    assert_one_line_error(result, "already finished all 2 epochs", "ask for more epochs")
    fewer = genai_bot("train", "--resume", "--epochs", "1", "--out", str(run), cwd=tmp_path)
    assert_one_line_error(fewer, "already trained 2 epochs; ask for 2 or more")


@pytest.mark.slow
def test_resume_takes_the_runs_data_and_seed_and_trains_to_the_epochs_asked(tiny_model_dir, tmp_path):
    run = copy_run(tiny_model_dir, tmp_path)
    result = genai_bot("train", "--resume", "--epochs", "3", "--out", str(run), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    status = read_status(run)
    assert (status.state, status.epoch, len(status.history["loss"])) == ("finished", 3, 3)
    card = read_verified_card(run)
    assert (card["training"]["epochs"], card["training"]["seed"]) == (3, 3)  # the run's seed
    assert card["data"]["source"] == str(MNIST_SLICE)  # the run's data, not a download


@pytest.mark.slow
def test_a_stop_before_the_first_epoch_ends_says_there_is_nothing_to_resume(tmp_path):
    command = [
        sys.executable,
        "-m",
        "bot",
        "train",
        "--data",
        str(MNIST_SLICE),
        "--epochs",
        "5",
        "--out",
        str(tmp_path),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while (status := read_status(tmp_path)) is None or status.state != "running":
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)  # the model is built; its first epoch has not ended
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert stderr.decode().strip().splitlines()[-1] == (
        "genai-bot: training stopped before its first epoch ended: nothing to resume yet; run "
        "the same command again to start over"
    )
    status = read_status(tmp_path)
    assert status.state == "interrupted"
    assert status.message == "stopped before the first epoch ended: nothing to resume yet"
    again = genai_bot("train", "--resume", "--out", str(tmp_path), cwd=tmp_path)
    assert_one_line_error(again, "Nothing to resume in", "no epoch finished there")


def test_ctrl_c_inside_signals_deferred_waits_for_the_block_to_end():
    # Under Python's own Ctrl-C handler, as a CLI process has it: an earlier test in this
    # process may have left another one installed (an event loop's), which raises nothing.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    done = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # where Python would have raised it
                done.append("the whole block ran")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert done == ["the whole block ran"]


@pytest.mark.slow
def test_an_export_stopped_midway_leaves_the_previous_model_whole(tiny_model_dir, tmp_path, mnist_slice):
    from genai_models.vae.backend import keras
    from genai_models.vae.training.data import split
    from genai_models.vae.training.trainer import TrainingConfig, export_model

    run = copy_run(tiny_model_dir, tmp_path)
    before = json.loads((run / CARD_FILE).read_text())["version"]
    vae = keras.saving.load_model(run / VAE_FILE, compile=False)
    checker = keras.saving.load_model(run / "checker.keras", compile=False)
    for layer in vae.decoder.layers[-1:]:  # other weights: the new export would differ
        layer.set_weights([w * 0.5 for w in layer.get_weights()])
    steps = []

    def progress(what):
        steps.append(what)
        if what == "vetting the digits it serves":
            raise KeyboardInterrupt  # Ctrl-C with every other file already written aside

    with pytest.raises(KeyboardInterrupt):
        export_model(
            vae,
            checker,
            split(mnist_slice),
            run,
            TrainingConfig(epochs=2, seed=3),
            read_status(run),
            progress=progress,
        )
    assert steps[0] == "saving the served models"
    assert read_verified_card(run)["version"] == before  # files and card still agree
    assert not (run / ".export").exists()


@pytest.mark.asyncio
async def test_a_running_status_whose_process_died_reads_as_interrupted(tmp_path):
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()
    status = TrainingStatus(
        state="running",
        epoch=3,
        total_epochs=9,
        started_at=now_iso(),
        updated_at=now_iso(),
        eta_seconds=29.0,
        pid=gone.pid,
    )
    write_status(tmp_path / "dead", status)
    alive = TrainingStatus(
        state="running", epoch=3, total_epochs=9, started_at=now_iso(), updated_at=now_iso(), eta_seconds=29.0
    )
    alive.claim()  # this very process
    write_status(tmp_path / "alive", alive)
    dead = read_status(tmp_path / "dead")
    assert (dead.state, dead.eta_seconds) == ("interrupted", None)
    assert dead.message == "the training process stopped without finishing (last saved epoch 3)"
    assert read_status(tmp_path / "alive").state == "running"
