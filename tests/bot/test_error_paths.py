"""Every failure gets a short, private answer inside Discord's 3 s window, and a log line.

Bad images and text-service faults have their own files (test_morph_uploads, test_poem_command);
here: a model that is too slow, a model not loaded, a bug in our code, a command whose service
is not configured. The slow and broken models are thin wrappers around the real sampler: no
loopback server can stand in for inference, and the point is what the bot does around it.
"""

from __future__ import annotations

import logging
import threading

import pytest

from bot.ops.logs import user_hash

DISCORD_WINDOW_S = 3.0


class StuckSampler:
    """The real sampler, except that drawing digits hangs until released (or 10 s pass)."""

    def __init__(self, sampler) -> None:
        self._sampler = sampler
        self.version = sampler.version
        self.style_axes = sampler.style_axes  # what /digit's Explore buttons are labelled with
        self.release = threading.Event()
        self.calls = 0

    def digits(self, *args, **kwargs):
        self.calls += 1
        self.release.wait(10)
        return self._sampler.digits(*args, **kwargs)

    def drawn_digits(self, *args, **kwargs):
        return None  # nothing drawn ahead: every request goes to `digits`, in the pool

    def draw_pools(self, stop=None):
        pass


class BrokenSampler:
    """A sampler with a bug: what users see must not be its traceback."""

    def __init__(self, sampler) -> None:
        self.version = sampler.version
        self.style_axes = sampler.style_axes

    def digits(self, *args, **kwargs):
        raise ZeroDivisionError("secret internal detail")

    def drawn_digits(self, *args, **kwargs):
        return None

    def draw_pools(self, stop=None):
        pass


async def _private_answer(server, ix):
    answer = await server.wait_for_reply(ix, lambda r: r.ephemeral and r.content)
    assert answer.elapsed < DISCORD_WINDOW_S, answer
    assert "Traceback" not in answer.content and len(answer.content) < 200
    return answer


@pytest.mark.asyncio
async def test_a_model_call_past_the_timeout_is_answered_privately_in_time(
    discord_server, start_bot, sampler
):
    stuck = StuckSampler(sampler)
    try:
        async with start_bot(load_sampler=lambda: stuck, command_timeout_s=1.5):
            ix = await discord_server.inject_command("digit", {"digit": 3})
            callback = await ix.wait_for_callback()
            answer = await _private_answer(discord_server, ix)
            await discord_server.wait_for_reply(ix, kind="delete")  # no "thinking…" left behind
    finally:
        stuck.release.set()
    assert callback.callback_type == 5  # slow work: deferred, well inside the window
    assert callback.elapsed < 1.5
    assert answer.kind == "followup"
    assert answer.content == ("That took longer than 1.5 s, so I stopped waiting. Please try again.")
    assert 1.4 < answer.elapsed


@pytest.mark.asyncio
async def test_a_model_not_loaded_is_refused_at_once_in_spanish(discord_server, start_bot):
    async with start_bot(load_sampler=None):
        ix = await discord_server.inject_command("morph", {"start": 1, "end": 2}, locale="es-ES")
        answer = await _private_answer(discord_server, ix)
    assert answer.callback_type == 4
    assert answer.content == "El modelo de dígitos aún no está cargado. Inténtalo en unos segundos."


@pytest.mark.asyncio
async def test_a_bug_is_logged_with_context_and_users_get_one_polite_line(
    discord_server, start_bot, sampler, caplog
):
    with caplog.at_level(logging.INFO, logger="bot"):
        async with start_bot(load_sampler=lambda: BrokenSampler(sampler)):
            ix = await discord_server.inject_command("digit", {"seed": 1})
            answer = await _private_answer(discord_server, ix)
    assert answer.content == ("Sorry, something went wrong on my side. It has been logged; please try again.")
    assert "secret internal detail" not in answer.content
    [record] = [
        r for r in caplog.records if r.levelno == logging.ERROR and r.name == "bot.interactions.errors"
    ]
    # The user appears as the hash logs and the audit use, never as the raw id.
    assert "/digit" in record.getMessage() and user_hash(discord_server.alice.id) in record.getMessage()
    assert str(discord_server.alice.id) not in record.getMessage()
    assert record.exc_info is not None  # the traceback goes to the log, not to the user


@pytest.mark.asyncio
async def test_poem_without_a_text_service_is_not_offered_and_explains_itself(discord_server, start_bot):
    async with start_bot(poet=None):
        synced = {c["name"] for c in await discord_server.wait_for_sync(discord_server.guild_id)}
        # A client with a stale command list can still send /poem.
        ix = await discord_server.inject_command("poem", {"topic": "la luna"}, check=False)
        answer = await _private_answer(discord_server, ix)
        stale = await discord_server.inject_command("haiku", {}, check=False, locale="es-ES")
        other = await _private_answer(discord_server, stale)
    assert "poem" not in synced and "digit" in synced
    assert answer.callback_type == 4
    assert answer.content == (
        "Poems aren't set up on this bot: its operator hasn't configured a text service."
    )
    assert other.content.startswith("/haiku no está disponible")
