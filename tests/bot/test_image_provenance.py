"""The images the bot posts carry their provenance inside the file, read back from the bytes
the loopback Discord received."""

from __future__ import annotations

import numpy as np
import pytest

from genai_models.imaging.provenance import MARK_GREY
from tests.helpers import assert_labelled_ai, image_of


async def _files(server, name: str, options: dict | None = None):
    ix = await server.inject_command(name, options or {})
    reply = await server.wait_for_reply(ix, lambda r: r.files, timeout=20)
    return reply.files


@pytest.mark.asyncio
async def test_digit_morph_and_latent_map_files_say_they_are_ai_made(discord_server, start_bot, sampler):
    async with start_bot():
        digit = await _files(discord_server, "digit", {"digit": 5, "count": 4, "seed": 77})
        morph = await _files(discord_server, "morph", {"start": 2, "end": 6, "frames": 4})
        (plane,) = await _files(discord_server, "latent-map")
        (seven,) = await _files(discord_server, "latent-map", {"digit": 7})
    assert_labelled_ai(digit[0].data, version=sampler.version, digit=5, count=4, seed=77)
    found = assert_labelled_ai(morph[0].data, version=sampler.version, start=2, end=6, frames=4)
    assert "seed " in found["Comment"]  # the seed the bot chose, so the GIF can be redrawn
    assert_labelled_ai(plane.data, version=sampler.version, feature="latent-map")
    assert_labelled_ai(seven.data, version=sampler.version, feature="latent-map", digit=7)


def _corner_has_mark(data: bytes) -> bool:
    pixels = np.asarray(image_of(data).convert("L"))
    return int((pixels[-16:, -24:] == MARK_GREY).sum()) > 10


@pytest.mark.asyncio
async def test_the_operator_can_switch_the_corner_mark_off_and_the_metadata_stays(
    discord_server, start_bot, sampler
):
    async with start_bot():
        marked = await _files(discord_server, "digit", {"digit": 0, "count": 9, "seed": 3})
    async with start_bot(image_mark=False):
        unmarked = await _files(discord_server, "digit", {"digit": 0, "count": 9, "seed": 3})
    assert _corner_has_mark(marked[0].data)
    assert not _corner_has_mark(unmarked[0].data)
    assert_labelled_ai(unmarked[0].data, version=sampler.version, seed=3)
