"""`genai-bot run` and `genai-bot demo` as real processes.

For `run`, the process is the real CLI with one change made before it starts: discord.py's REST
base and gateway URL point at the loopback stand-in (which this test's event loop serves).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from genai_models.imaging import grid_size
from genai_models.imaging.credential_report import read_credentials
from tests.fakes.discord_server import DiscordStandIn
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers import HANDWRITING_MENU, POEM_MENU, SLASH_COMMANDS, assert_labelled_ai, image_of

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_VERSION = json.loads((REPO_ROOT / "genai_models/vae/pretrained/model_card.json").read_text())[
    "version"
]
# `python -c`, run in a temporary directory, so a developer's own .env cannot leak in.
ENTRY = "from bot.__main__ import main; main()"
ENTRY_VIA_STAND_IN = """
import os, discord.http, yarl
from discord.gateway import DiscordWebSocket
discord.http.Route.BASE = os.environ["TEST_DISCORD_API"]
DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["TEST_DISCORD_GATEWAY"])
from bot.__main__ import main
main()
"""
POEM = "Dígitos que sueñan\ncon la mano que los traza"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def _env(extra: dict[str, str]) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "DISCORD_", "GENAI_", "DEV_GUILD"))
    }
    return base | {"PYTHONPATH": str(REPO_ROOT), "LOG_LEVEL": "WARNING"} | extra


async def start_cli(
    *args: str, env: dict[str, str], cwd: Path, entry: str = ENTRY
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", entry, *args, env=_env(env), cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def finish(process: asyncio.subprocess.Process, timeout: float = 90) -> Run:  # noqa: ASYNC109
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    return Run(process.returncode, stdout.decode(), stderr.decode())


def stand_in_env(server: DiscordStandIn, token: str) -> dict[str, str]:
    return {
        "TEST_DISCORD_API": server.api_base,
        "TEST_DISCORD_GATEWAY": server.gateway_url,
        "DISCORD_TOKEN": token,
        "DEV_GUILD_ID": str(server.guild_id),
        "GENAI_WORKERS": "1",
    }


@pytest.mark.asyncio
async def test_run_without_a_token_says_how_to_get_one_and_exits_2(tmp_path):
    run = await finish(await start_cli("run", env={"DISCORD_TOKEN": ""}, cwd=tmp_path))
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith("genai-bot: DISCORD_TOKEN is not set.")
    assert f"(Looked in the environment (no .env in {tmp_path.resolve()} or " in run.stderr
    assert "https://discord.com/developers/applications" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.asyncio
@pytest.mark.parametrize("command", ["run", "sync"])
async def test_a_rejected_token_says_so_and_exits_2(discord_server, tmp_path, command):
    wrong = "not-a-real-token.rejected-by-the-stand-in"
    process = await start_cli(
        command, env=stand_in_env(discord_server, wrong), cwd=tmp_path, entry=ENTRY_VIA_STAND_IN
    )
    run = await finish(process)
    assert run.returncode == 2, run.stderr
    assert "genai-bot: Discord rejected DISCORD_TOKEN (401 Unauthorized)." in run.stderr
    assert "Traceback" not in run.stderr
    assert wrong not in run.stderr + run.stdout
    assert [r.status for r in discord_server.requests.items if r.path == "/users/@me"] == [401]
    assert discord_server.commands == {}  # nothing published


@pytest.mark.asyncio
async def test_run_connects_syncs_to_the_dev_guild_answers_and_stops_on_sigterm(discord_server, tmp_path):
    # INFO: the start-up line saying which signature the images get.
    env = stand_in_env(discord_server, discord_server.token) | {"LOG_LEVEL": "INFO"}
    process = await start_cli("run", env=env, cwd=tmp_path, entry=ENTRY_VIA_STAND_IN)
    try:
        synced = await discord_server.wait_for_sync(discord_server.guild_id, timeout=60)
        await discord_server.wait_until_connected(timeout=30)
        ix = await discord_server.inject_command("digit", {"digit": 4, "count": 4, "seed": 1})
        reply = await discord_server.wait_for_reply(ix, lambda r: r.files, timeout=30)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)  # what `docker stop` sends
    run = await finish(process, timeout=30)
    assert {c["name"] for c in synced} == SLASH_COMMANDS | {
        HANDWRITING_MENU
    }  # without a text endpoint: no /poem, no poem menu
    assert reply.files[0].filename == "digits.png"
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    # Signed Content Credentials, by the local authority it created at start-up and said so.
    assert "signed by this bot's local certificate authority" in run.stderr
    assert (tmp_path / "data" / "c2pa" / "signer.pem").is_file()
    credentials = read_credentials(reply.files[0].data)
    assert credentials.valid and credentials.trained_algorithm
    assert credentials.model_parameters["seed"] == 1


@pytest.mark.asyncio
async def test_demo_writes_the_images_prints_a_poem_and_says_what_to_configure(tmp_path):
    async with FakeOpenAI(reply=POEM) as openai_server:
        env = {
            "OPENAI_BASE_URL": openai_server.base_url,
            "OPENAI_API_KEY": "sk-demo-secret",
            "OPENAI_MODEL": "fake-poet-1",
            "OPENAI_MODERATION": "off",
        }
        run = await finish(await start_cli("demo", "--out", "pictures", env=env, cwd=tmp_path))
    assert run.returncode == 0, run.stderr
    out = tmp_path / "pictures"
    digits = image_of((out / "digits.png").read_bytes())
    assert digits.format == "PNG" and digits.size == grid_size(9)
    morph = image_of((out / "morph.gif").read_bytes())
    assert morph.format == "GIF" and morph.n_frames == 2 * 24 - 2
    assert image_of((out / "latent-map.png").read_bytes()).format == "PNG"
    for name in ("digits.png", "morph.gif", "latent-map.png"):
        assert_labelled_ai((out / name).read_bytes(), version=SHIPPED_VERSION)
    assert f"wrote {Path('pictures') / 'morph.gif'}" in run.stdout
    assert POEM in run.stdout
    assert "AI-generated by fake-poet-1" in run.stdout
    assert "DISCORD_TOKEN=" in run.stdout and "DEV_GUILD_ID=" in run.stdout
    assert "sk-demo-secret" not in run.stdout + run.stderr


@pytest.mark.asyncio
async def test_demo_without_a_text_endpoint_still_draws_and_says_how_to_add_poems(tmp_path):
    run = await finish(await start_cli("demo", env={}, cwd=tmp_path))
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "digits.png", "latent-map.png", "morph.gif",
    ]  # fmt: skip
    assert "No text endpoint configured, so no poem" in run.stdout
    assert "OPENAI_API_KEY=" in run.stdout


@pytest.mark.asyncio
async def test_start_without_a_token_is_the_demo(tmp_path):
    """What `make run`, the README's first command, does on a fresh machine."""
    run = await finish(await start_cli("start", env={}, cwd=tmp_path))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("DISCORD_TOKEN is not set, so here is the offline demo")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "digits.png", "latent-map.png", "morph.gif",
    ]  # fmt: skip
    assert "Traceback" not in run.stderr


# `genai-bot sync` must publish the commands without the model: importing TensorFlow at all
# would mean it loads (seconds and hundreds of MiB for nothing), so this process refuses it.
ENTRY_SYNC_WITHOUT_TENSORFLOW = (
    """
import sys
class RefuseTensorFlow:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "tensorflow":
            print("TENSORFLOW IMPORTED", file=sys.stderr, flush=True)
            raise ImportError("genai-bot sync must not load the model")
sys.meta_path.insert(0, RefuseTensorFlow())
"""
    + ENTRY_VIA_STAND_IN
)


def _option_names(command: dict) -> list[str]:
    return [option["name"] for option in command.get("options", [])]


@pytest.mark.asyncio
async def test_sync_publishes_the_commands_to_the_dev_guild_and_exits_without_the_model(
    discord_server, tmp_path
):
    env = stand_in_env(discord_server, discord_server.token) | {
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",  # configured, never called by a sync
        "OPENAI_MODERATION": "off",
    }
    process = await start_cli("sync", env=env, cwd=tmp_path, entry=ENTRY_SYNC_WITHOUT_TENSORFLOW)
    run = await finish(process)
    assert run.returncode == 0, run.stderr
    assert "TENSORFLOW IMPORTED" not in run.stderr
    assert "Traceback" not in run.stderr
    synced = {c["name"]: c for c in discord_server.synced_commands(discord_server.guild_id)}
    assert set(synced) == SLASH_COMMANDS | {"poem", POEM_MENU, HANDWRITING_MENU}
    assert _option_names(synced["poem"]) == ["topic", "form", "language"]
    assert _option_names(synced["digit"]) == ["digit", "count", "seed"]
    assert _option_names(synced["morph"]) == ["start", "end", "frames", "start_image", "end_image"]
    assert _option_names(synced["handwriting"]) == ["image", "digit"]
    assert _option_names(synced["latent-map"]) == ["digit"]
    assert _option_names(synced["train-status"]) == []
    assert _option_names(synced["about"]) == []
    assert discord_server.synced_commands(None) == []  # the dev guild only, not globally
    assert discord_server.sessions == []  # it published over REST and never went online
    assert run.stdout.strip() == f"synced 13 commands to guild {discord_server.guild_id}"


@pytest.mark.asyncio
async def test_sync_without_dev_guild_publishes_globally_and_without_a_text_endpoint_no_poem(
    discord_server, tmp_path
):
    env = stand_in_env(discord_server, discord_server.token)
    del env["DEV_GUILD_ID"]
    process = await start_cli("sync", env=env, cwd=tmp_path, entry=ENTRY_SYNC_WITHOUT_TENSORFLOW)
    run = await finish(process)
    assert run.returncode == 0, run.stderr
    assert "TENSORFLOW IMPORTED" not in run.stderr
    synced = {c["name"]: c for c in discord_server.synced_commands(None)}
    assert set(synced) == SLASH_COMMANDS | {
        HANDWRITING_MENU
    }  # without a text endpoint: no /poem, no poem menu
    assert _option_names(synced["digit"]) == ["digit", "count", "seed"]
    assert _option_names(synced["morph"]) == ["start", "end", "frames", "start_image", "end_image"]
    assert discord_server.synced_commands(discord_server.guild_id) == []
    assert run.stdout.strip() == "synced 11 commands to all guilds (global)"


INSTALLED_CLI = Path(sys.executable).with_name("genai-bot")  # the console script pip installed


async def run_installed_cli(*args: str, cwd: Path) -> Run:
    """`genai-bot ARGS` as a user runs it: the installed command, from `cwd`, with its .env."""
    process = await asyncio.create_subprocess_exec(
        INSTALLED_CLI, *args, env=_env({}), cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    return await finish(process)


@pytest.mark.asyncio
async def test_the_example_env_copied_as_it_is_runs_no_bot_and_says_what_to_set(tmp_path):
    (tmp_path / ".env").write_text((REPO_ROOT / ".env.example").read_text())
    run = await run_installed_cli("run", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith("genai-bot: DISCORD_TOKEN is not set.")
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


@pytest.mark.asyncio
async def test_a_dotenv_with_the_old_placeholder_token_is_refused_in_one_line(tmp_path):
    (tmp_path / ".env").write_text("DISCORD_TOKEN=your-discord-bot-token\n")
    run = await run_installed_cli("run", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith("genai-bot: configuration error: DISCORD_TOKEN is still the example value")
    assert run.stderr.count("\n") == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("command", ["run", "sync"])
async def test_an_unreachable_discord_is_one_clear_line(tmp_path, command):
    env = {
        "TEST_DISCORD_API": "http://127.0.0.1:9/api/v10",  # the discard port: nothing listens
        "TEST_DISCORD_GATEWAY": "ws://127.0.0.1:9/",
        "DISCORD_TOKEN": "a-token.that.never-leaves-this-machine",
        "GENAI_WORKERS": "1",
    }
    process = await start_cli(command, env=env, cwd=tmp_path, entry=ENTRY_VIA_STAND_IN)
    run = await finish(process)
    assert run.returncode == 1
    assert run.stderr.startswith("genai-bot: cannot reach Discord: "), run.stderr
    assert run.stderr.rstrip("\n").endswith("Check the network connection (and any proxy), then try again.")
    assert run.stderr.count("\n") == 1, run.stderr


@pytest.mark.asyncio
async def test_a_metrics_port_already_taken_is_one_clear_line(discord_server, tmp_path):
    with socket.socket() as taken:  # llama.cpp's server on 8080, say
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = stand_in_env(discord_server, discord_server.token) | {"GENAI_METRICS_PORT": str(port)}
        process = await start_cli("run", env=env, cwd=tmp_path, entry=ENTRY_VIA_STAND_IN)
        run = await finish(process)
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"genai-bot: cannot serve /healthz and /metrics on 127.0.0.1:{port}: ")
    assert "Set GENAI_METRICS_PORT to a free port" in run.stderr
    assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr


@pytest.mark.asyncio
async def test_a_dev_guild_the_bot_is_not_in_is_one_clear_line(discord_server, tmp_path):
    env = stand_in_env(discord_server, discord_server.token) | {
        "DEV_GUILD_ID": "42",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",  # configured (no "no /poem" warning), never called
        "OPENAI_MODERATION": "off",
    }
    process = await start_cli("sync", env=env, cwd=tmp_path, entry=ENTRY_VIA_STAND_IN)
    run = await finish(process)
    assert run.returncode == 2
    assert run.stderr.startswith(
        "genai-bot: Discord refused to publish the commands to DEV_GUILD_ID=42 (403 Missing Access)."
    ), run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    assert discord_server.commands == {}


@pytest.mark.asyncio
async def test_demo_exits_0_when_an_optional_poem_fails_and_1_when_poem_was_asked(tmp_path):
    async with FakeOpenAI(api_key="sk-right") as openai_server:
        env = {
            "OPENAI_BASE_URL": openai_server.base_url,
            "OPENAI_API_KEY": "sk-wrong",
            "OPENAI_MODERATION": "off",
        }
        optional = await finish(await start_cli("demo", env=env, cwd=tmp_path))
        asked = await finish(await start_cli("demo", "--poem", "--out", "again", env=env, cwd=tmp_path))
    for run in (optional, asked):
        assert (
            f"genai-bot: no poem: {openai_server.base_url} refused the API key (401): check OPENAI_API_KEY"
        ) in run.stderr
        assert "Traceback" not in run.stderr
    assert optional.returncode == 0, optional.stderr
    assert asked.returncode == 1
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [
        "digits.png", "latent-map.png", "morph.gif",
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_on_a_terminal_the_demos_poem_failure_stands_under_its_heading(tmp_path):
    """stdout and stderr on one terminal: stderr goes through the native-noise filter's thread,
    so the failure line could come after the closing next steps printed on stdout."""
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_MODERATION": "off"}  # nothing listens
    for _ in range(3):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", ENTRY, "demo", env=_env(env), cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), 90)
        shown = out.decode()
        assert process.returncode == 0, shown
        heading, failure, steps = (shown.index(s) for s in ("A poem from", "no poem:", "To run the real"))
        assert heading < failure < steps, shown


@pytest.mark.asyncio
async def test_demo_poem_without_a_text_endpoint_is_a_settings_error(tmp_path):
    run = await finish(await start_cli("demo", "--poem", env={}, cwd=tmp_path))
    assert run.returncode == 2
    assert "--poem: set OPENAI_API_KEY or OPENAI_BASE_URL" in run.stderr
    assert not (tmp_path / "out").exists()  # refused before drawing what it could not finish


@pytest.mark.asyncio
async def test_a_data_folder_the_signing_keys_cannot_live_in_is_a_configuration_error(tmp_path):
    (tmp_path / "data").write_text("a file where the data folder should be")
    env = {
        "TEST_DISCORD_API": "http://127.0.0.1:9/api/v10",  # never reached: the start stops first
        "TEST_DISCORD_GATEWAY": "ws://127.0.0.1:9/",
        "DISCORD_TOKEN": "a-token.that.never-leaves-this-machine",
    }
    run = await finish(await start_cli("run", env=env, cwd=tmp_path, entry=ENTRY_VIA_STAND_IN))
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("genai-bot: cannot create or use the local signing certificate in data/c2pa")
    assert "GENAI_DATA_DIR, here data" in run.stderr and run.stderr.count("\n") == 1, run.stderr


@pytest.mark.asyncio
async def test_a_model_folder_that_holds_no_model_is_said_before_logging_in(tmp_path):
    env = {
        "TEST_DISCORD_API": "http://127.0.0.1:9/api/v10",  # never reached: the start stops first
        "TEST_DISCORD_GATEWAY": "ws://127.0.0.1:9/",
        "DISCORD_TOKEN": "a-token.that.never-leaves-this-machine",
        "GENAI_MODEL_DIR": "runs/no-such-model",
    }
    run = await finish(await start_cli("run", env=env, cwd=tmp_path, entry=ENTRY_VIA_STAND_IN))
    assert run.returncode == 2, run.stderr
    assert run.stderr.endswith(
        "genai-bot: The model folder runs/no-such-model does not exist: point GENAI_MODEL_DIR at a "
        "trained model's folder (genai-bot train --out FOLDER makes one), or unset it to serve the "
        "shipped model\n"
    ), run.stderr
