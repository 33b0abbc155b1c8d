"""Users' images refused from Discord's metadata alone, before the command defers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.interactions.attachments import check_attachment
from genai_models.errors import InvalidInputError
from genai_models.vae.serving.preprocess import MAX_SIDE, MAX_UPLOAD_BYTES


def _attachment(**overrides):
    import discord

    data = {
        "id": "1", "filename": "seven.png", "size": 2048, "url": "http://127.0.0.1/a",
        "proxy_url": "http://127.0.0.1/a", "content_type": "image/png", "width": 300,
        "height": 300,
    }  # fmt: skip
    data.update(overrides)
    # Only the metadata is read here, so the state needs no real HTTP client.
    return discord.Attachment(data=data, state=SimpleNamespace(http=None))


def test_an_ordinary_png_passes():
    check_attachment(_attachment())


def test_a_missing_content_type_is_left_to_the_decoder():
    check_attachment(_attachment(content_type=None, width=None, height=None))


@pytest.mark.parametrize("content_type", ["application/pdf", "text/plain", "image/svg+xml"])
def test_a_declared_non_raster_type_is_refused(content_type):
    with pytest.raises(InvalidInputError) as caught:
        check_attachment(_attachment(filename="notes.pdf", content_type=content_type))
    assert caught.value.code == "attachment_not_image"
    assert caught.value.params["name"] == "notes.pdf"


def test_a_file_over_the_upload_limit_is_refused_with_its_size():
    with pytest.raises(InvalidInputError) as caught:
        check_attachment(_attachment(size=MAX_UPLOAD_BYTES + 1))
    assert caught.value.code == "attachment_too_large"
    assert caught.value.params["limit_mb"] == 8


def test_an_image_over_the_side_limit_is_refused_with_its_pixels():
    with pytest.raises(InvalidInputError) as caught:
        check_attachment(_attachment(width=MAX_SIDE + 1, height=10))
    assert caught.value.code == "attachment_too_many_pixels"
    assert caught.value.params["width"] == MAX_SIDE + 1


def test_backticks_in_a_file_name_cannot_break_out_of_the_reply_markup():
    with pytest.raises(InvalidInputError) as caught:
        check_attachment(_attachment(filename="a`b.txt", content_type="text/plain"))
    assert "`" not in caught.value.params["name"]
