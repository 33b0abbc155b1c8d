"""`genai-bot poem`, run as a real process against the loopback server."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAI, Fault
from tests.helpers import TEST_API_KEY

# Run in a temporary working directory, where settings look for .env: a developer's own .env
# cannot leak in.
ENTRY = "from bot.__main__ import main; main()"
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


async def start_cli(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DISCORD_"))}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        ENTRY,
        *args,
        env=base | {"PYTHONPATH": str(REPO_ROOT), "LOG_LEVEL": "WARNING"} | env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> Run:
    process = await start_cli(*args, env=env, cwd=cwd)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return Run(process.returncode, stdout.decode(), stderr.decode())


def server_env(server: FakeOpenAI) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": TEST_API_KEY,
        "OPENAI_MODERATION": "off",
        "OPENAI_MAX_RETRIES": "0",
    }


@pytest.mark.asyncio
async def test_poem_is_streamed_to_stdout(openai_server, tmp_path):
    run = await run_cli("poem", "la luna", env=server_env(openai_server), cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.stdout == openai_server.reply + "\n"
    assert run.stderr == ""


@pytest.mark.asyncio
async def test_pieces_reach_stdout_as_they_arrive(openai_server, tmp_path):
    openai_server.reply = "uno dos tres cuatro cinco"
    openai_server.chunk_delay_s = 0.3  # the whole poem takes 1.5 s to arrive
    loop = asyncio.get_running_loop()
    process = await start_cli("poem", "la luna", env=server_env(openai_server), cwd=tmp_path)

    first = await asyncio.wait_for(process.stdout.read(1), timeout=60)
    first_at = loop.time()
    rest, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    finished_at = loop.time()

    assert first + rest == b"uno dos tres cuatro cinco\n"
    assert finished_at - first_at > 0.8  # the first piece came well before the end


@pytest.mark.asyncio
async def test_lang_and_form_reach_the_request(openai_server, tmp_path):
    args = ("poem", "the sea", "--lang", "en", "--form", "haiku")
    run = await run_cli(*args, env=server_env(openai_server), cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    user_message = openai_server.chat_requests[0].body["messages"][1]["content"]
    assert "haiku" in user_message
    assert "Language: English." in user_message
    assert '"the sea"' in user_message


@pytest.mark.asyncio
async def test_service_failure_prints_the_user_message_and_exits_non_zero(openai_server, tmp_path):
    openai_server.inject(Fault.RATE_LIMITED, retry_after=20)

    run = await run_cli("poem", "la luna", env=server_env(openai_server), cwd=tmp_path)

    assert run.returncode == 1
    assert "genai-bot: The text service is busy; try again in about 20 s." in run.stderr
    assert run.stdout == "" and not run.stderr.startswith("\n")  # no poem: no blank line
    assert "\n\ngenai-bot:" not in run.stderr
    assert "Traceback" not in run.stderr
    assert TEST_API_KEY not in run.stderr + run.stdout


@pytest.mark.asyncio
async def test_missing_endpoint_says_which_variables_to_set(tmp_path):
    run = await run_cli("poem", "la luna", env={}, cwd=tmp_path)

    assert run.returncode == 2
    assert "OPENAI_API_KEY" in run.stderr
    assert "OPENAI_BASE_URL" in run.stderr
    assert run.stdout == ""


@pytest.mark.asyncio
async def test_empty_topic_is_refused_before_any_request(openai_server, tmp_path):
    run = await run_cli("poem", " \t ", env=server_env(openai_server), cwd=tmp_path)

    assert run.returncode == 2
    assert "Please give the poem a topic." in run.stderr
    assert openai_server.requests == []


@pytest.mark.asyncio
async def test_the_installed_command_reads_the_dotenv_of_the_directory_it_runs_in(openai_server, tmp_path):
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    (elsewhere / ".env").write_text(
        "".join(f"{name}={value}\n" for name, value in server_env(openai_server).items())
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DISCORD_"))}
    installed = Path(sys.executable).with_name("genai-bot")  # the console script pip installed
    process = await asyncio.create_subprocess_exec(
        installed, "poem", "la luna", env=base | {"LOG_LEVEL": "WARNING"}, cwd=elsewhere,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode() == openai_server.reply + "\n"
    assert openai_server.chat_requests[0].api_key == TEST_API_KEY  # the key came from that .env


RUNAWAY = "".join(f"la luna canta sobre el mar {i}\n" for i in range(12)) * 40


@pytest.mark.asyncio
async def test_a_server_ignoring_the_token_limit_is_cut_and_the_cut_is_said(openai_server, tmp_path):
    openai_server.llama_cpp = True  # ignores max_completion_tokens, as in issue 14
    openai_server.reply = RUNAWAY
    env = server_env(openai_server) | {
        "OPENAI_TOKEN_LIMIT_PARAM": "max_completion_tokens",
        "OPENAI_MAX_TOKENS": "70",
    }

    run = await run_cli("poem", "la luna", env=env, cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert len(run.stdout.split()) == 71  # the poet stopped reading one token past the limit
    assert run.stderr == "genai-bot: ✂ Cut short: the poem reached its length limit.\n"


@pytest.mark.asyncio
async def test_a_runaway_poem_ends_at_the_deadline(openai_server, tmp_path):
    openai_server.ignore_token_limit = True
    openai_server.reply = RUNAWAY
    openai_server.chunk_delay_s = 0.01
    env = server_env(openai_server) | {
        "OPENAI_DEADLINE": "5", "OPENAI_MAX_TOKENS": "4096", "LOG_LEVEL": "INFO",
    }  # fmt: skip

    run = await run_cli("poem", "la luna", env=env, cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    # Timed by the poet itself: the interpreter's start-up is no part of the deadline.
    total_s = float(re.search(r"poem written: .* total_s=([0-9.]+)", run.stderr).group(1))
    assert 4.9 <= total_s < 5.5
    assert run.stderr.endswith("genai-bot: ✂ Cut short: the poem was taking too long to write.\n")
    assert 50 < len(run.stdout.split()) < len(RUNAWAY.split())


@pytest.mark.asyncio
async def test_a_retry_is_said_on_stderr(openai_server, tmp_path):
    openai_server.inject(Fault.SERVER_ERROR)
    env = server_env(openai_server) | {"OPENAI_MAX_RETRIES": "1"}

    run = await run_cli("poem", "la luna", env=env, cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.stdout == openai_server.reply + "\n"
    assert run.stderr == "genai-bot: The text service is busy, retrying…\n"


@pytest.mark.asyncio
async def test_a_closed_port_is_one_line_naming_the_url(tmp_path):
    import socket

    with socket.socket() as sock:  # free a moment ago: nobody listens there
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    env = {"OPENAI_BASE_URL": url, "OPENAI_MODERATION": "off", "OPENAI_MAX_RETRIES": "2"}

    run = await run_cli("poem", "la luna", env=env, cwd=tmp_path)

    assert run.returncode == 1
    assert run.stderr == (
        f"genai-bot: nothing answers at {url} (connection refused): check that the text server is "
        "running and that OPENAI_BASE_URL has its host and port\n"
    )


@pytest.mark.asyncio
async def test_a_base_url_without_v1_is_one_line_saying_to_add_it(openai_server, tmp_path):
    env = server_env(openai_server) | {"OPENAI_BASE_URL": openai_server.base_url.removesuffix("/v1")}

    run = await run_cli("poem", "la luna", env=env, cwd=tmp_path)

    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "OPENAI_BASE_URL usually ends in /v1" in run.stderr
