"""/handwriting's digit-ness model: letters refused, real digits read, and model folders with
and without its file."""

from __future__ import annotations

import io
import json
import logging

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from genai_models.errors import ModelFileError
from genai_models.vae.files import sha256_of
from genai_models.vae.serving.card import CARD_FILE, PRETRAINED_DIR
from genai_models.vae.serving.digitness import DIGITNESS_ONNX
from genai_models.vae.serving.sampler import DigitSampler
from tests.helpers import FIXTURES, copy_model, refused_as_not_a_digit

pytestmark = pytest.mark.slow

# Letters and symbols people might send, none written like a digit.
GLYPHS = "AEFHKMNRTWXY#+"


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _typed(char: str, stroke: int) -> bytes:
    """`char` in Pillow's bundled font (not one of the fixture's DejaVu fonts), dark on white."""
    image = Image.new("L", (64, 64), 255)
    font = ImageFont.load_default(size=44)
    ImageDraw.Draw(image).text(
        (32, 32), char, font=font, fill=0, anchor="mm", stroke_width=stroke, stroke_fill=0
    )
    return _png(image)


def _held_out_uploads(count: int | None = None) -> tuple[list[bytes], np.ndarray]:
    held_out = np.load(FIXTURES / "mnist-heldout-400.npz")
    x, y = held_out["x"][:count], held_out["y"][:count]
    return [_png(Image.fromarray(255 - d).resize((112, 112), Image.Resampling.BILINEAR)) for d in x], y


def test_the_shipped_model_carries_a_digitness_model_with_its_bar(sampler):
    assert sampler.digitness is not None
    assert 0.0 < sampler.digitness.refuse_below < 1.0


def test_letters_typed_at_test_time_are_refused_by_the_digitness_check(sampler):
    uploads = [_typed(char, stroke) for char in GLYPHS for stroke in (0, 3)]
    from genai_models.vae.serving.preprocess import to_mnist

    assert all(sampler.digitness.refuses(to_mnist(upload)) for upload in uploads)
    assert all(refused_as_not_a_digit(sampler, upload) for upload in uploads)


def test_held_out_real_digits_pass_the_digitness_check(sampler):
    from genai_models.vae.serving.preprocess import to_mnist

    uploads, _ = _held_out_uploads()
    scores = sampler.digitness.digitness(np.stack([to_mnist(upload) for upload in uploads]))
    assert np.mean(scores < sampler.digitness.refuse_below) <= 0.01


def test_a_model_folder_without_the_file_still_serves_with_the_older_checks(tmp_path, caplog):
    folder = copy_model(PRETRAINED_DIR, tmp_path)
    card = json.loads((folder / CARD_FILE).read_text())
    del card["files"][DIGITNESS_ONNX]
    (folder / CARD_FILE).write_text(json.dumps(card))
    (folder / DIGITNESS_ONNX).unlink()
    with caplog.at_level(logging.INFO, logger="genai_models.vae.serving.serving_files"):
        older = DigitSampler.load(folder)
    assert older.digitness is None
    said = [record.getMessage() for record in caplog.records if DIGITNESS_ONNX in record.getMessage()]
    assert len(said) == 1 and "older checks only" in said[0]
    uploads, labels = _held_out_uploads(10)
    assert older.handwriting(uploads[0]).digit == labels[0]
    square = Image.new("L", (64, 64), 255)
    ImageDraw.Draw(square).rectangle((12, 12, 52, 52), fill=0)
    assert refused_as_not_a_digit(older, _png(square))


def test_a_digitness_file_that_does_not_match_the_card_isrefused_as_not_a_digit(tmp_path):
    folder = copy_model(PRETRAINED_DIR, tmp_path)
    data = bytearray((folder / DIGITNESS_ONNX).read_bytes())
    data[-10:] = b"\x00" * 10
    (folder / DIGITNESS_ONNX).write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=DIGITNESS_ONNX):
        DigitSampler.load(folder)


def test_a_digitness_file_without_its_bar_isrefused_as_not_a_digit(tmp_path):
    import onnx

    folder = copy_model(PRETRAINED_DIR, tmp_path)
    graph = onnx.load(str(folder / DIGITNESS_ONNX))
    del graph.metadata_props[:]
    onnx.save(graph, str(folder / DIGITNESS_ONNX))
    card = json.loads((folder / CARD_FILE).read_text())
    card["files"][DIGITNESS_ONNX]["sha256"] = sha256_of(folder / DIGITNESS_ONNX)
    (folder / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match="below which digit-ness"):
        DigitSampler.load(folder)


def test_the_digitness_check_runs_without_tensorflow():
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import sys
        from genai_models.vae.serving.sampler import DigitSampler
        from genai_models.errors import InvalidInputError
        sampler = DigitSampler.load()
        try:
            sampler.handwriting({_typed("K", 0)!r})
        except InvalidInputError:
            print("refused")
        print("tensorflow" in sys.modules, "keras" in sys.modules)
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.split() == ["refused", "False", "False"]
