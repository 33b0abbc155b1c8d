"""Provenance inside the files: PNG iTXt chunks and XMP, GIF comment and XMP, the corner mark."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from genai_models.imaging import grid_png, loss_curve_png, morph_gif
from genai_models.imaging.provenance import MARK_GREY, Provenance, add_mark
from tests.helpers import TRAINED_ALGORITHMIC_MEDIA, image_of, provenance_in

WHEN = datetime(2026, 12, 2, 15, 30, 5, tzinfo=UTC)


def _provenance(**changes) -> Provenance:
    fields = {
        "model": "VAE vae2d-0123456789",
        "parameters": {"digit": 3, "seed": 11},
        "created": WHEN,
        "mark": True,
    } | changes
    return Provenance(**fields)


def _digits(count: int = 4) -> np.ndarray:
    images = np.zeros((count, 28, 28), np.uint8)
    images[:, 6:22, 12:16] = 255  # a bar of ink in each, like a 1
    return images


def test_a_png_carries_every_field_as_itxt_and_the_iptc_source_type_in_xmp():
    data = grid_png(_digits(), provenance=_provenance())
    found = provenance_in(data)
    assert found["xmp:DigitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert found["DigitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert found["Source"] == "VAE vae2d-0123456789"
    assert found["Software"].startswith("genai-bot")
    assert found["Creation Time"] == "2026-12-02T15:30:05Z"
    assert json.loads(found["Comment"]) == {"digit": 3, "seed": 11}
    assert found["Description"] == (
        f"AI-generated image, made by {found['Software']} with the model VAE vae2d-0123456789 "
        "(digit 3, seed 11), 2026-12-02T15:30:05Z."
    )
    assert b"iTXt" in data and b"tEXt" not in data  # international text, UTF-8 throughout


def test_a_gif_carries_a_comment_and_xmp_and_keeps_every_frame():
    frames = np.linspace(0, 255, 6 * 28 * 28).astype(np.uint8).reshape(6, 28, 28)
    plain = image_of(morph_gif(frames, size=56))
    data = morph_gif(frames, size=56, provenance=_provenance(mark=False))
    found = provenance_in(data)
    assert found["Comment"].startswith("AI-generated image, made by genai-bot")
    assert "VAE vae2d-0123456789 (digit 3, seed 11)" in found["Comment"]
    assert found["xmp:DigitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    labelled = image_of(data)
    assert labelled.n_frames == plain.n_frames == 6
    assert labelled.info["loop"] == 0
    for index in range(6):  # the extensions change no pixel
        plain.seek(index)
        labelled.seek(index)
        assert np.array_equal(np.asarray(plain.convert("L")), np.asarray(labelled.convert("L")))


def test_the_corner_mark_is_drawn_bottom_right_only_when_asked():
    digits = _digits(9)
    marked = np.asarray(image_of(grid_png(digits, provenance=_provenance())))
    unmarked = np.asarray(image_of(grid_png(digits, provenance=_provenance(mark=False))))
    changed = np.argwhere(marked != unmarked)
    height, width = marked.shape
    assert len(changed) > 10  # a few glyph pixels…
    assert changed[:, 0].min() > height - 16 and changed[:, 1].min() > width - 24  # …in the corner
    assert set(np.unique(marked[marked != unmarked])) == {MARK_GREY}
    # Switched off, the pixels are the encoder's own; the metadata is still there.
    assert np.array_equal(unmarked, np.asarray(image_of(grid_png(digits))))
    assert provenance_in(grid_png(digits, provenance=_provenance(mark=False)))["Source"]


def test_the_mark_is_on_every_frame_of_a_gif():
    frames = np.zeros((4, 28, 28), np.uint8)
    frames[:, 10:18, 10:18] = np.arange(4, dtype=np.uint8)[:, None, None] * 60
    gif = image_of(morph_gif(frames, size=112, provenance=_provenance()))
    for index in range(4):
        gif.seek(index)
        corner = np.asarray(gif.convert("L"))[-16:, -24:]
        assert (corner == MARK_GREY).sum() > 10, index


def test_the_training_chart_claims_no_model_drew_it():
    # The loss curve plots numbers logged while training: no model drew it, so it claims nothing.
    assert provenance_in(loss_curve_png({"loss": [3.0, 2.0, 1.5]})) == {}


def test_a_tiny_image_gets_the_metadata_but_no_mark():
    tiny = np.full((20, 20), 7, np.uint8)
    assert add_mark(tiny) is tiny


@pytest.mark.parametrize("value", ["la luna — ñ", 'quote " and <tag>'])
def test_parameters_with_any_text_still_make_valid_xmp_and_an_ascii_gif_comment(value):
    provenance = _provenance(parameters={"label": value})
    assert provenance_in(grid_png(_digits(), provenance=provenance))["xmp:DigitalSourceType"]
    gif = morph_gif(np.zeros((2, 28, 28), np.uint8), size=56, provenance=provenance)
    assert provenance_in(gif)["Comment"].isascii()
