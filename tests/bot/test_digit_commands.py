"""/digit, its buttons (Explore too), /morph, /handwriting and /latent-map through the real
discord.py client."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageSequence

from genai_models.imaging import grid_size
from genai_models.vae.serving.drawing import (
    OVERVIEW_PANEL,
    axis_meaning,
    draw_digits,
    draw_handwriting,
    draw_latent_map,
)
from tests.fakes.discord_server import Upload
from tests.helpers import MNIST_SLICE, assert_labelled_ai, image_of, png_of

EPHEMERAL = 1 << 6


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(image_of(data))


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
async def test_digit_answers_with_a_png_grid_laid_out_in_square_root_columns(discord_server, start_bot):
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
async def test_digit_embed_shows_seed_model_version_and_ai_label(discord_server, start_bot, sampler):
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
    assert [b["label"] for b in reply.buttons()][:2] == ["Otra vez", "Transformar en…"]
    assert [b["label"] for b in reply.buttons()][-1] == "Volver"


@pytest.mark.asyncio
async def test_again_redraws_the_same_message_with_a_new_seed(discord_server, start_bot):
    async with start_bot():
        _, first, press = await _digit_then_press(
            discord_server, {"digit": 7, "count": 4, "seed": 5}, "Again"
        )
        again = await discord_server.wait_for_reply(press, lambda r: r.files)
    assert [b["label"] for b in first.buttons()][:2] == ["Again", "Morph to…"]
    assert again.message_id == first.message_id  # edited in place, not a new message
    assert _fields(again)["Seed"] != "`5`"
    assert not np.array_equal(pixels(again.files[0].data), pixels(first.files[0].data))
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
        await discord_server.wait_for_reply(pick, kind="delete")  # the picker goes away
    gif = image_of(morph.files[0].data)
    assert gif.format == "GIF"
    assert gif.n_frames == 2 * 24 - 2  # a boomerang of the default 24 frames
    assert not morph.ephemeral
    assert morph.embeds[0]["title"] == "1 → 8"


class ThreadRecordingSampler:
    """The real sampler, noting which thread each decode runs on."""

    def __init__(self, sampler) -> None:
        self._sampler = sampler
        self.decoded_on: list[int] = []

    def digits(self, *args, **kwargs):
        self.decoded_on.append(threading.get_ident())
        return self._sampler.digits(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._sampler, name)


@pytest.mark.asyncio
async def test_morph_to_from_any_digit_decodes_the_shown_digit_off_the_event_loop(
    discord_server, start_bot, sampler
):
    recording = ThreadRecordingSampler(sampler)
    async with start_bot(load_sampler=lambda: recording):
        loop_thread = threading.get_ident()
        _, _, press = await _digit_then_press(discord_server, {"seed": 4}, "Morph to…")
        picker = await press.wait_for_callback()
        select = picker.components[0]["components"][0]
        pick = await discord_server.inject_component(picker, select["custom_id"], values=["3"])
        morph = await discord_server.wait_for_reply(pick, lambda r: r.files)
    assert morph.embeds[0]["title"] == "#4 → 3"
    assert len(recording.decoded_on) >= 2  # the /digit grid, then the shown digit again
    assert loop_thread not in recording.decoded_on


@pytest.mark.asyncio
async def test_morph_answers_with_a_looping_gif_of_the_requested_frames(discord_server, start_bot, sampler):
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
async def test_latent_map_without_a_digit_sends_the_overview_once_drawn(discord_server, start_bot):
    async with start_bot():
        ix = await discord_server.inject_command("latent-map")
        reply = await _final(discord_server, ix)
        again = await discord_server.inject_command("latent-map")
        cached = await _final(discord_server, again)
    (png,) = reply.files
    assert png.filename == "latent-map.png"
    assert image_of(png.data).size[0] >= 5 * OVERVIEW_PANEL  # ten small multiples, 5 a row
    assert reply.embeds[0]["image"]["url"] == "attachment://latent-map.png"
    assert "handwriting style" in reply.embeds[0]["description"]
    assert [f.data for f in cached.files] == [png.data]


@pytest.mark.asyncio
async def test_latent_map_of_one_digit_sends_that_digits_plane(discord_server, start_bot, sampler):
    async with start_bot():
        ix = await discord_server.inject_command("latent-map", {"digit": 7}, locale="es-ES")
        reply = await _final(discord_server, ix)
    (png,) = reply.files
    assert np.array_equal(pixels(png.data), pixels(draw_latent_map(sampler, 7, lang="es")))
    assert reply.embeds[0]["title"] == "El dígito 7 sobre el plano de estilo"


# -- Explore -----------------------------------------------------------------------------


def _explore_labels(sampler) -> dict[str, str]:
    axes = sampler.style_axes
    return {
        "right": axis_meaning(axes.x, 1, "en"),
        "left": axis_meaning(axes.x, -1, "en"),
        "up": axis_meaning(axes.y, 1, "en"),
        "down": axis_meaning(axes.y, -1, "en"),
    }


@pytest.mark.asyncio
async def test_explore_buttons_say_what_each_direction_does(discord_server, start_bot, sampler):
    async with start_bot():
        ix = await discord_server.inject_command("digit", {"digit": 2})
        reply = await _final(discord_server, ix)
    labels = [b["label"] for b in reply.buttons()]
    expected = _explore_labels(sampler)
    assert labels[2:] == [expected[d] for d in ("left", "right", "up", "down")] + ["Back"]
    # The shipped model's plane slants digits along x: the buttons say so in words.
    assert {expected["left"], expected["right"]} == {"more upright", "more slanted"}


@pytest.mark.asyncio
async def test_explore_moves_the_digits_across_the_style_plane_in_place(discord_server, start_bot, sampler):
    labels = _explore_labels(sampler)
    async with start_bot():
        _, first, press = await _digit_then_press(
            discord_server, {"digit": 7, "count": 4, "seed": 5}, labels["right"]
        )
        moved = await discord_server.wait_for_reply(press, lambda r: r.files)
        up = await discord_server.inject_component(moved, _button(moved, labels["up"])["custom_id"])
        twice = await discord_server.wait_for_reply(up, lambda r: r.files)
        back = await discord_server.inject_component(twice, _button(twice, "Back")["custom_id"])
        home = await discord_server.wait_for_reply(back, lambda r: r.files)
    assert moved.message_id == twice.message_id == first.message_id  # edited in place
    assert moved.elapsed < DISCORD_WINDOW_S and twice.elapsed < DISCORD_WINDOW_S
    assert _fields(moved)["Seed"] == "`5`"  # the same digits, moved
    assert _fields(moved)["Style moved"] == "x +0.7, y +0.0"
    assert _fields(twice)["Style moved"] == "x +0.7, y +0.7"
    # Pixels, not bytes: each file names the second it was made in.
    expected = pixels(draw_digits(sampler, 7, count=4, seed=5, offset=(0.7, 0.7)))
    assert np.array_equal(pixels(twice.files[0].data), expected)
    assert not np.array_equal(expected, pixels(first.files[0].data))
    assert np.array_equal(pixels(home.files[0].data), pixels(first.files[0].data))
    assert "Style moved" not in _fields(home)


@pytest.mark.asyncio
async def test_explore_presses_by_someone_else_are_refused_and_change_nothing(
    discord_server, start_bot, sampler
):
    async with start_bot():
        ix, first, press = await _digit_then_press(
            discord_server, {"digit": 1, "seed": 2}, _explore_labels(sampler)["up"], user=discord_server.bob
        )
        refusal = await press.wait_for_callback()
        await discord_server.wait_until_quiet(ix, quiet=0.3)
    assert refusal.ephemeral and str(discord_server.alice.id) in refusal.content
    assert discord_server.message(first.message_id)["attachments"] == first.attachments


# -- /handwriting -------------------------------------------------------------------------


def _handwritten(label: int, index: int = 0) -> bytes:
    data = np.load(MNIST_SLICE)
    return png_of(data["x_train"][data["y_train"] == label][index] / 255.0, scale=10)


@pytest.mark.asyncio
async def test_handwriting_answers_with_all_ten_digits_in_the_uploads_hand(
    discord_server, start_bot, sampler
):
    upload = Upload("my-four.png", _handwritten(4))
    async with start_bot():
        ix = await discord_server.inject_command("handwriting", {"image": upload})
        reply = await _final(discord_server, ix)
    (png,) = reply.files
    assert png.filename == "handwriting.png"
    assert image_of(png.data).size == grid_size(10)  # /digit count:10's layout
    drawn, _ = draw_handwriting(sampler, upload.data)  # what the bot should have posted
    assert np.array_equal(np.asarray(image_of(png.data)), np.asarray(image_of(drawn)))
    assert_labelled_ai(png.data, version=sampler.version, feature="handwriting", upload_read_as=4)
    embed = reply.embeds[0]
    assert embed["title"] == "Your handwriting, 0-9"
    assert "**4**" in embed["description"] and "% sure" in embed["description"]
    assert embed["footer"]["text"] == f"AI-generated · VAE {sampler.version}"
    assert not reply.ephemeral and reply.elapsed < DISCORD_WINDOW_S


@pytest.mark.asyncio
async def test_handwriting_in_spanish_with_the_digit_given(discord_server, start_bot):
    async with start_bot():
        ix = await discord_server.inject_command(
            "handwriting", {"image": Upload("cinco.png", _handwritten(5)), "digit": 5}, locale="es-ES"
        )
        reply = await _final(discord_server, ix)
    assert reply.embeds[0]["title"] == "Tu letra, 0-9"
    assert reply.embeds[0]["description"].startswith("Dices que tu imagen muestra el dígito **5**")


@pytest.mark.asyncio
async def test_handwriting_refuses_an_upload_it_cannot_read_as_a_digit(discord_server, start_bot):
    square = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(square).rectangle([40, 40, 160, 160], fill=0)
    buffer = io.BytesIO()
    square.save(buffer, format="PNG")
    async with start_bot():
        ix = await discord_server.inject_command(
            "handwriting", {"image": Upload("square.png", buffer.getvalue())}
        )
        reply = await discord_server.wait_for_reply(ix, lambda r: r.content)
    assert reply.ephemeral and not reply.files
    assert "can't read that image as a handwritten digit" in reply.content


@pytest.mark.asyncio
async def test_handwriting_refuses_a_file_that_is_not_an_image_at_once(discord_server, start_bot):
    async with start_bot():
        ix = await discord_server.inject_command(
            "handwriting", {"image": Upload("notes.txt", b"hello")}, locale="es-ES"
        )
        reply = await discord_server.wait_for_reply(ix, lambda r: r.content)
    assert reply.callback_type == 4 and reply.ephemeral  # refused before any deferral
    assert "`notes.txt`" in reply.content
    assert not [r for r in discord_server.requests.items if "/attachments/" in r.path]


@pytest.mark.asyncio
async def test_handwriting_refuses_a_blank_drawing(discord_server, start_bot):
    buffer = io.BytesIO()
    Image.new("L", (120, 120), 255).save(buffer, format="PNG")
    async with start_bot():
        ix = await discord_server.inject_command(
            "handwriting", {"image": Upload("blank.png", buffer.getvalue())}
        )
        reply = await discord_server.wait_for_reply(ix, lambda r: r.content)
    assert reply.ephemeral and "blank" in reply.content
