"""`genai-bot run` as a real process under SIGTERM and SIGINT, against the loopback Discord:
with ten /morph in flight every user gets their GIF or a "restarted, try again" in place (none
is left "thinking…") and the process exits 0; a signal during start-up ends it within seconds,
without a traceback, also 0."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from genai_models.vae.serving.card import PRETRAINED_DIR
from tests.cli.test_run import ENTRY_VIA_STAND_IN, finish, stand_in_env, start_cli
from tests.helpers import copy_model, final_state
from tests.vae.serving.older_export import make_older_export

BUSY_ENV = {
    "GENAI_WORKERS": "1",
    "GENAI_COOLDOWNS": "morph=0",
    "GENAI_JOBS_PER_USER": "20",
    "GENAI_SHUTDOWN_GRACE": "0.3",
    "LOG_LEVEL": "INFO",
}


@pytest.mark.asyncio
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stop_with_ten_morphs_in_flight_answers_all_of_them_and_exits_0(
    discord_server, tmp_path, stop_signal
):
    env = stand_in_env(discord_server, discord_server.token) | BUSY_ENV
    process = await start_cli("run", env=env, cwd=tmp_path, entry=ENTRY_VIA_STAND_IN)
    try:
        await discord_server.wait_for_sync(discord_server.guild_id, timeout=60)
        await discord_server.wait_until_connected(timeout=30)
        jobs = [
            await discord_server.inject_command("morph", {"start": 0, "end": 8, "frames": 60})
            for _ in range(10)
        ]
        process.send_signal(stop_signal)
        signalled = time.monotonic()
        await asyncio.sleep(0.3)
        late = await discord_server.inject_command("digit", {})
        run = await finish(process, timeout=30)
        took = time.monotonic() - signalled
    finally:
        if process.returncode is None:
            process.kill()
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    states = [final_state(discord_server, ix) for ix in jobs]
    assert set(states) <= {"result", "interrupted"}, states
    assert "interrupted" in states  # ten 60-frame morphs on one thread outlast 0.3 s
    assert took < 0.3 + 5
    refused = await discord_server.wait_for_reply(late, lambda r: r.ephemeral and r.content)
    assert refused.content == "I'm restarting. Please try again in a minute."
    assert "shutting down: " in run.stderr and "interrupted and told so" in run.stderr


# The stand-in's entry, saying when genai-bot's main() has begun: the first thing it does is
# note stops (done here just before saying so, or the test's signal could outrun it).
ENTRY_SAYING_WHEN = ENTRY_VIA_STAND_IN.replace(
    "\nmain()",
    "\nimport sys; from bot.ops.signals import note_stops; note_stops()"
    "\nprint('entry: main', file=sys.stderr, flush=True)\nmain()",
)


async def _stop_during_start_up(discord_server, tmp_path, wait_for, extra_env=None) -> tuple[object, float]:
    env = stand_in_env(discord_server, discord_server.token) | {"LOG_LEVEL": "INFO"}
    env |= extra_env or {}
    process = await start_cli("run", env=env, cwd=tmp_path, entry=ENTRY_SAYING_WHEN)
    try:
        await wait_for(process)
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        run = await finish(process, timeout=60)
        return run, time.monotonic() - signalled
    finally:
        if process.returncode is None:
            process.kill()


@pytest.mark.asyncio
async def test_sigterm_while_the_model_loads_ends_the_process_quickly_and_cleanly(discord_server, tmp_path):
    # The login request comes just before the model starts loading (setup_hook). The shipped
    # model loads in a fraction of a second; a model exported before the serving files takes
    # seconds (its first load converts it with TensorFlow), long enough to stop it midway.
    model = tmp_path / "older-model"
    model.mkdir()
    make_older_export(copy_model(PRETRAINED_DIR, model))

    async def logged_in(process):
        await discord_server.wait_for(lambda r: r.path == "/users/@me", timeout=60)
        await asyncio.sleep(0.5)

    run, took = await _stop_during_start_up(
        discord_server,
        tmp_path,
        logged_in,
        {"GENAI_MODEL_DIR": str(model), "GENAI_DATA_DIR": str(tmp_path / "data")},
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "Session is closed" not in run.stderr
    assert "stop requested during start-up" in run.stderr
    assert took < 10
    assert discord_server.commands == {}  # it never got as far as publishing


@pytest.mark.asyncio
async def test_sigterm_in_the_first_moments_of_start_up_ends_the_process_cleanly(discord_server, tmp_path):
    async def main_called(process):  # SIGTERM while genai-bot's own imports still run
        line = await asyncio.wait_for(process.stderr.readline(), 30)
        assert line == b"entry: main\n"

    run, took = await _stop_during_start_up(discord_server, tmp_path, main_called)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert took < 5
