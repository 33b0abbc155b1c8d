"""Serving from the files the export writes: ONNX Runtime draws what Keras draws, loading reads
the vetted pools instead of recomputing them, an older export is converted and vetted once,
an undertrained model is refused, and nothing on the serving path imports TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from genai_models.errors import ModelFileError
from genai_models.vae.serving.card import PRETRAINED_DIR, read_verified_card
from genai_models.vae.serving.sampler import DigitSampler
from genai_models.vae.serving.serving_files import cache_key, vet_sampler
from tests.helpers import copy_model, png_of
from tests.vae.serving.older_export import make_older_export

pytestmark = pytest.mark.slow

MAX_DRAWING_DIFFERENCE = 1e-4  # on drawings in [0, 1]


def keras_twin(sampler: DigitSampler) -> DigitSampler:
    """The same model served through its Keras files instead of its ONNX ones."""
    from genai_models.vae.training.onnx_export import KerasNetworks

    return DigitSampler(KerasNetworks.load(sampler.model_dir), sampler.card)


def assert_same_networks(onnx: DigitSampler, keras: DigitSampler, images: np.ndarray) -> None:
    """Same latents → drawings within MAX_DRAWING_DIFFERENCE; same images → the same class
    from the self-check and the same code from the encoder (to float32's precision)."""
    rng = np.random.default_rng(0)
    z = np.concatenate(
        [
            onnx.sample_latents(None, count=64, seed=1),
            rng.normal(0, 2, (64, onnx.latent_dim)).astype("float32"),
        ]
    )
    classes = np.arange(len(z)) % 10
    difference = np.abs(onnx.decode(z, classes) - keras.decode(z, classes)).max()
    assert difference <= MAX_DRAWING_DIFFERENCE
    mixed = np.abs(onnx.decode(z) - keras.decode(z)).max()  # classes from the plane
    assert mixed <= MAX_DRAWING_DIFFERENCE
    drawn = onnx.draw(z, classes)
    for batch in (images, drawn):
        np.testing.assert_array_equal(
            np.argmax(onnx.classify_images(batch), axis=1), np.argmax(keras.classify_images(batch), axis=1)
        )
        np.testing.assert_allclose(onnx.classify_images(batch), keras.classify_images(batch), atol=1e-4)
    codes = np.stack([onnx.encode_mnist(image) for image in images[:32]])
    np.testing.assert_allclose(
        codes, np.stack([keras.encode_mnist(image) for image in images[:32]]), atol=1e-4
    )


def test_onnx_runtime_draws_what_keras_draws_for_the_shipped_model(sampler, mnist_slice):
    assert_same_networks(sampler, keras_twin(sampler), mnist_slice.images[:200, :, :, 0])


def test_onnx_runtime_draws_what_keras_draws_for_a_model_trained_here(tiny_model_dir, mnist_slice):
    trained = DigitSampler.load(tiny_model_dir, refuse_undertrained=False)
    assert_same_networks(trained, keras_twin(trained), mnist_slice.images[:200, :, :, 0])


def test_the_stored_pools_are_what_vetting_the_model_gives(sampler):
    """Loading reads the export's vetting; doing it again here finds the same pools and plane."""
    again = vet_sampler(sampler)
    for k in range(10):
        np.testing.assert_array_equal(sampler._pools[k], again_pool(sampler, again, k))
    # The plane is fitted again with this CPU's float32 kernels: equal to rounding on another CPU.
    np.testing.assert_allclose(sampler.plane.basis, again.plane.basis, rtol=0, atol=1e-6)
    assert (sampler.style_axes, sampler.style_extent) == (again.axes, again.extent)


def again_pool(sampler, state, k):
    from genai_models.vae.serving.vetting import pool_candidates

    return pool_candidates(sampler.card, sampler.latent_dim)[k][state.served[k]]


def test_an_older_export_is_converted_and_vetted_once_then_read_from_the_cache(sampler, tmp_path):
    (tmp_path / "model").mkdir()
    older = make_older_export(copy_model(PRETRAINED_DIR, tmp_path / "model"))
    cache = tmp_path / "cache"
    first = DigitSampler.load(older, cache_dir=cache)
    np.testing.assert_array_equal(
        first.digits(None, count=16, seed=5), sampler.digits(None, count=16, seed=5)
    )
    key = cache_key(read_verified_card(older))
    assert sorted(path.name for path in (cache / key).iterdir()) == [
        "checker.onnx",
        "decoder.onnx",
        "encoder.onnx",
        "serving_state.npz",
    ]
    # A second process reads the cache: no TensorFlow, no vetting, the same digits.
    script = textwrap.dedent(f"""
        import sys, hashlib
        from genai_models.vae.serving import vetting
        vetting.vet = None  # vetting again would fail loudly
        from genai_models.vae.serving.sampler import DigitSampler
        s = DigitSampler.load({str(older)!r}, cache_dir={str(cache)!r})
        print(hashlib.sha256(s.digits(None, count=16, seed=5).tobytes()).hexdigest())
        print("tensorflow" in sys.modules, "keras" in sys.modules)
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    import hashlib

    assert out == [
        hashlib.sha256(sampler.digits(None, count=16, seed=5).tobytes()).hexdigest(),
        "False",
        "False",
    ]


def test_an_undertrained_model_is_refused_naming_the_digits(tiny_model_dir):
    with pytest.raises(ModelFileError) as caught:
        DigitSampler.load(tiny_model_dir)
    message = str(caught.value)
    assert "\n" not in message and str(tiny_model_dir) in message
    assert "undertrained" in message and "train it for more epochs" in message


def test_serving_every_feature_leaves_tensorflow_and_keras_unimported(tmp_path, mnist_slice):
    """The CLI's four drawing commands, in one process, as the bot's cogs call the same
    functions: neither TensorFlow nor Keras is ever imported."""
    upload = tmp_path / "seven.png"
    upload.write_bytes(png_of(mnist_slice.images[mnist_slice.labels == 7][0, :, :, 0]))
    script = textwrap.dedent(f"""
        import sys
        from bot.cli import main
        for argv in (["digit", "3", "--seed", "1", "--out", "d.png"],
                     ["morph", "2", "5", "--frames", "8", "--out", "m.gif"],
                     ["handwriting", "--image", {str(upload)!r}, "--out", "h.png"],
                     ["latent-map", "--digit", "4", "--out", "l.png"],
                     ["latent-map", "--out", "all.png"]):
            assert main(argv) == 0, argv
        print(sorted(name for name in ("tensorflow", "keras") if name in sys.modules))
    """)
    env = {**os.environ, "GENAI_DATA_DIR": str(tmp_path / "data")}
    env.pop("GENAI_MODEL_DIR", None)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180, cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert {path.name for path in tmp_path.iterdir()} >= {"d.png", "m.gif", "h.png", "l.png"}


def test_digits_are_drawn_once_then_looked_up_and_drawing_ahead_can_stop():
    import threading

    fresh = DigitSampler.load()
    assert fresh.drawn_digits(3, count=4, seed=1) is None  # nothing drawn at load
    served = fresh.digits(3, count=4, seed=1)
    np.testing.assert_array_equal(fresh.drawn_digits(3, count=4, seed=1), served)
    stop = threading.Event()
    stop.set()
    fresh.draw_pools(stop)
    assert fresh.drawn_digits(5, count=9, seed=2) is None  # told to stop: drew nothing
    fresh.draw_pools()
    np.testing.assert_array_equal(
        fresh.drawn_digits(5, count=9, seed=2),
        fresh.draw(fresh.sample_latents(5, count=9, seed=2), np.full(9, 5)),
    )


def test_the_cards_per_digit_bars_serve_more_of_a_digit_and_leave_its_legible_digits_alone(sampler):
    """The shipped card sets laxer acceptance bars for some digits (chosen by the fairness
    bench): their pools hold every candidate the default bar keeps and more, every served
    drawing still reads as its digit to the self-check, and what /handwriting and the latent
    map use (the legible digits and the plane fitted on them) is what the default bar gives."""
    from genai_models.vae.serving.vetting import ACCEPT_CONFIDENCE

    lax = sampler.accept_bars < ACCEPT_CONFIDENCE
    assert lax.any()
    strict = vet_sampler(sampler, np.full(10, ACCEPT_CONFIDENCE))
    for k in range(10):
        served = again_pool(sampler, strict, k)
        if lax[k]:
            assert len(sampler._pools[k]) > len(served)
            assert {row.tobytes() for row in served} <= {row.tobytes() for row in sampler._pools[k]}
        else:
            np.testing.assert_array_equal(sampler._pools[k], served)
        np.testing.assert_array_equal(sampler._legible[k], served)
        drawn = sampler.digits(k, count=100, seed=k)
        assert (np.argmax(sampler.classify_images(drawn), axis=1) == k).all(), k
    # Fitted here on the same legible digits (compared exactly above) as at export, but with
    # this CPU's float32 kernels: equal to rounding, not to the bit, on another CPU.
    np.testing.assert_allclose(sampler.plane.basis, strict.plane.basis, rtol=0, atol=1e-6)
    assert (sampler.style_axes, sampler.style_extent) == (strict.axes, strict.extent)


def test_the_export_vets_a_model_again_at_the_bars_it_is_given(tiny_model_dir, tmp_path):
    """`python -m genai_models.vae.training.serving_export DIR --accept-confidence …` records the
    bars in the card, vets the pools at them, keeps the networks, and refuses bars under the
    least at which the self-check still reads a drawing as its digit."""
    import json

    from genai_models.vae.serving.card import CARD_FILE
    from genai_models.vae.serving.vetting import ACCEPT_FIELD, MIN_ACCEPT_CONFIDENCE
    from genai_models.vae.training.serving_export import main

    model_dir = copy_model(tiny_model_dir, tmp_path)
    before = read_verified_card(model_dir)
    bars = [0.5] * 5 + [0.999] * 5
    assert main([str(model_dir), "--accept-confidence", *map(str, bars)]) == 0
    card = read_verified_card(model_dir)
    assert card["serving"][ACCEPT_FIELD] == bars
    assert card["version"] == before["version"]
    for name in ("encoder.onnx", "decoder.onnx", "checker.onnx"):
        assert card["files"][name] == before["files"][name]
    served = DigitSampler.load(model_dir, refuse_undertrained=False)
    np.testing.assert_array_equal(served.accept_bars, bars)
    # Vetting it again without bars keeps the card's.
    assert main([str(model_dir)]) == 0
    assert json.loads((model_dir / CARD_FILE).read_text())["serving"][ACCEPT_FIELD] == bars
    with pytest.raises(SystemExit):
        main([str(model_dir), "--accept-confidence", *map(str, [MIN_ACCEPT_CONFIDENCE / 2] * 10)])
    assert read_verified_card(model_dir)["serving"][ACCEPT_FIELD] == bars
