"""/digit, its buttons, /morph and /latent-map through the real discord.py client."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import ImageSequence

from genai_models.imaging import grid_size
from tests.helpers import image_of

EPHEMERAL = 1 << 6
DISCORD_WINDOW_S = 3.0


def _fields(reply) -> dict[str, str]:
    return {f["name"]: f["value"] for f in reply.embeds[0].get("fields", [])}


def _button(reply, label: str) -> dict:
    return next(b for b in reply.buttons() if b["label"] == label)


async def _final(server, ix, *, with_files: bool = True):
    """The reply that carries the result (a direct callback, or the edit after a deferral)."""
    return await server.wait_for_reply(ix, lambda r: r.files if with_files else r.embeds)


async def _digit_then_press(server, options: dict, label: str, *, user=None):
    """Run /digit with `options`, then press the button `label` on its reply (as `user`, by
    default the requester): (the command's interaction, its reply, the press)."""
    ix = await server.inject_command("digit", options)
    first = await _final(server, ix)
    press = await server.inject_component(first, _button(first, label)["custom_id"], user=user)
    return ix, first, press


@pytest.mark.asyncio
async def test_digit_answers_with_a_png_grid_laid_out_in_square_root_columns(
    discord_server, start_bot
):
    async with start_bot():
        ix = await discord_server.inject_command("digit", {"digit": 3, "count": 7, "seed": 11})
        reply = await _final(discord_server, ix)
    png = reply.files[0]
    assert png.filename == "digits.png"
    assert image_of(png.data).format == "PNG"
    assert image_of(png.data).size == grid_size(7)  # the CLI's layout...
    assert image_of(png.data).size == (3 * 84 + 4 * 8,) * 2  # ...ceil(sqrt(7)) = 3 columns, 3 rows
    assert reply.elapsed < DISCORD_WINDOW_S
    assert not reply.ephemeral


@pytest.mark.asyncio
async def test_digit_embed_shows_seed_model_version_and_ai_label(
    discord_server, start_bot, sampler
):
    async with start_bot():
        ix = await discord_server.inject_command("digit", {"digit": 5, "seed": 1234})
        reply = await _final(discord_server, ix)
    embed = reply.embeds[0]
    assert _fields(reply)["Seed"] == "`1234`"
    assert sampler.version in _fields(reply)["Model"]
    assert embed["footer"]["text"] == f"AI-generated · VAE {sampler.version}"
    assert embed["image"]["url"] == "attachment://digits.png"


@pytest.mark.asyncio
async def test_the_same_seed_gives_the_same_image(discord_server, start_bot):
    async with start_bot():
        first = await discord_server.inject_command("digit", {"digit": 2, "count": 4, "seed": 9})
        second = await discord_server.inject_command("digit", {"digit": 2, "count": 4, "seed": 9})
        a, b = await _final(discord_server, first), await _final(discord_server, second)
    # The pixels; the bytes also hold when each was made (genai_models.imaging.provenance).
    assert np.array_equal(np.asarray(image_of(a.files[0].data)), np.asarray(image_of(b.files[0].data)))


@pytest.mark.asyncio
async def test_spanish_users_get_spanish_embeds_and_buttons(discord_server, start_bot):
    async with start_bot():
        ix = await discord_server.inject_command("digit", {"digit": 4}, locale="es-ES")
        reply = await _final(discord_server, ix)
    assert reply.embeds[0]["title"] == "Dígito 4"
    assert "Semilla" in _fields(reply)
    assert [b["label"] for b in reply.buttons()] == ["Otra vez", "Transformar en…"]


@pytest.mark.asyncio
async def test_again_redraws_the_same_message_with_a_new_seed(discord_server, start_bot):
    async with start_bot():
        _, first, press = await _digit_then_press(
            discord_server, {"digit": 7, "count": 4, "seed": 5}, "Again"
        )
        again = await discord_server.wait_for_reply(press, lambda r: r.files)
    assert [b["label"] for b in first.buttons()] == ["Again", "Morph to…"]
    assert again.message_id == first.message_id  # edited in place, not a new message
    assert _fields(again)["Seed"] != "`5`"
    assert again.files[0].data != first.files[0].data
    assert again.elapsed < DISCORD_WINDOW_S


@pytest.mark.asyncio
async def test_someone_elses_button_press_is_refused_privately(discord_server, start_bot):
    async with start_bot():
        ix, first, press = await _digit_then_press(
            discord_server, {"seed": 3}, "Again", user=discord_server.bob
        )
        refusal = await press.wait_for_callback()
        await discord_server.wait_until_quiet(ix, quiet=0.3)
    assert refusal.ephemeral
    assert refusal.callback_type == 4
    assert "Estos botones son de" in refusal.content  # bob's client is Spanish
    assert str(discord_server.alice.id) in refusal.content
    assert discord_server.message(first.message_id)["attachments"] == first.attachments


@pytest.mark.asyncio
async def test_morph_to_asks_for_a_target_then_posts_a_gif(discord_server, start_bot):
    async with start_bot():
        _, _, press = await _digit_then_press(discord_server, {"digit": 1}, "Morph to…")
        picker = await press.wait_for_callback()
        assert picker.ephemeral
        select = picker.components[0]["components"][0]
        assert [o["value"] for o in select["options"]] == [str(k) for k in range(10)]
        pick = await discord_server.inject_component(picker, select["custom_id"], values=["8"])
        morph = await discord_server.wait_for_reply(pick, lambda r: r.files)
        await discord_server.wait_for_reply(press, kind="delete")  # the picker goes away
    gif = image_of(morph.files[0].data)
    assert gif.format == "GIF"
    assert gif.n_frames == 2 * 24 - 2  # a boomerang of the default 24 frames
    assert not morph.ephemeral
    assert morph.embeds[0]["title"] == "1 → 8"


@pytest.mark.asyncio
async def test_buttons_are_disabled_when_the_view_times_out(discord_server, start_bot):
    async with start_bot(view_timeout_s=0.5):
        ix = await discord_server.inject_command("digit", {"digit": 0})
        first = await _final(discord_server, ix)
        edit = await discord_server.wait_for_edit(
            ix, lambda r: r.buttons() and all(b.get("disabled") for b in r.buttons())
        )
    assert edit.message_id == first.message_id
    assert len(edit.buttons()) == 2


@pytest.mark.asyncio
async def test_morph_answers_with_a_looping_gif_of_the_requested_frames(
    discord_server, start_bot, sampler
):
    async with start_bot():
        ix = await discord_server.inject_command("morph", {"start": 1, "end": 7, "frames": 10})
        reply = await _final(discord_server, ix)
    gif = image_of(reply.files[0].data)
    assert gif.format == "GIF"
    assert gif.size == (224, 224)
    assert gif.n_frames == 2 * 10 - 2
    assert gif.info["loop"] == 0  # loops forever
    assert len(list(ImageSequence.Iterator(gif))) == 18
    assert _fields(reply)["Frames"] == "10"
    assert reply.embeds[0]["footer"]["text"] == f"AI-generated · VAE {sampler.version}"


@pytest.mark.asyncio
async def test_latent_map_sends_the_manifold_and_the_labelled_scatter(discord_server, start_bot):
    async with start_bot():
        ix = await discord_server.inject_command("latent-map")
        reply = await _final(discord_server, ix)
        again = await discord_server.inject_command("latent-map")
        cached = await _final(discord_server, again)
    names = [f.filename for f in reply.files]
    assert names == ["latent-map.png", "latent-scatter.png"]
    assert all(image_of(f.data).format == "PNG" for f in reply.files)
    assert [e["image"]["url"] for e in reply.embeds] == [
        "attachment://latent-map.png",
        "attachment://latent-scatter.png",
    ]
    assert [f.data for f in cached.files] == [f.data for f in reply.files]
