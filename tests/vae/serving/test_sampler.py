"""Serving: shapes, ranges, seeds, morphs, encoding, the latent map, and verified loading."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from genai_models.errors import InvalidInputError, ModelFileError
from genai_models.imaging import to_uint8
from genai_models.vae.serving.preprocess import to_mnist
from genai_models.vae.serving.sampler import DigitSampler
from tests.helpers import copy_model, digit_image


def _unit(images: np.ndarray) -> np.ndarray:
    """Served uint8 greys as floats in [0, 1], to compare with the decoder's own output."""
    assert images.dtype == np.uint8
    return images.astype(np.float64) / 255


def test_digits_are_uint8_images_with_ink_on_black(sampler):
    images = sampler.digits(4, count=6, seed=1)
    assert images.shape == (6, 28, 28) and images.dtype == np.uint8
    assert images.max() > 128  # there is ink
    assert np.median(images) < 32  # on a black background


def test_same_seed_gives_the_same_digits_and_another_seed_differs(sampler):
    first = sampler.digits(7, count=4, seed=42)
    np.testing.assert_array_equal(first, sampler.digits(7, count=4, seed=42))
    assert not np.array_equal(first, sampler.digits(7, count=4, seed=43))


@pytest.mark.parametrize(("k", "seed"), [(8, 0), (None, 11)])
def test_digits_serve_exactly_what_the_decoder_draws_for_the_picked_points(sampler, k, seed):
    # digits() serves drawings cached when the pools were vetted: they must be the sampler's
    # drawings of the very points (and classes) sample_latents picks.
    z = sampler.sample_latents(k, count=6, seed=seed)
    classes = sampler._pick(k, 6, seed)[0]
    served = sampler.digits(k, count=6, seed=seed)
    assert served.shape == (6, 28, 28)
    np.testing.assert_array_equal(served, sampler.draw(z, classes))


def test_drawn_digits_are_the_decoders_mean_image_with_sharper_ink(sampler):
    z = sampler.sample_latents(3, count=8, seed=2)
    mean, drawn = sampler.decode(z, np.full(8, 3)), _unit(sampler.draw(z, np.full(8, 3)))
    # The same strokes (ink where the mean has ink) with fewer half-tones between ink and paper.
    assert _correlation(mean, drawn) > 0.9
    assert np.mean((drawn > 0.1) & (drawn < 0.9)) < np.mean((mean > 0.1) & (mean < 0.9))


def test_any_class_mixes_classes(sampler):
    z = sampler.sample_latents(None, count=25, seed=3)
    codes = sampler.class_means
    nearest = np.argmin(((z[:, None, :] - codes[None]) ** 2).sum(-1), axis=1)
    assert len(set(nearest.tolist())) >= 5


@pytest.mark.parametrize(("k", "count"), [(10, 1), (-1, 1), (3, 0), (3, 1000)])
def test_bad_digit_or_count_is_refused(sampler, k, count):
    with pytest.raises(InvalidInputError):
        sampler.digits(k, count=count, seed=0)


def test_morph_has_the_requested_frames_and_runs_end_to_end(sampler):
    served = sampler.morph(1, 8, frames=30, seed=5)
    assert served.shape == (30, 28, 28)
    frames = _unit(served)
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))
    assert steps.max() < 0.1  # smooth: no frame jumps
    ends = sampler.digits(1, 1, seed=0)[0], sampler.digits(8, 1, seed=0)[0]
    assert np.abs(frames[0] - frames[-1]).mean() > np.abs(frames[0] - frames[1]).mean()
    assert ends[0].shape == frames[0].shape


def test_morph_eases_so_a_boomerang_loops_smoothly(sampler):
    frames = _unit(sampler.morph(0, 6, frames=40, seed=2))
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))
    assert steps[0] < steps[len(steps) // 2] and steps[-1] < steps[len(steps) // 2]


def test_morph_from_a_user_image_starts_near_it(sampler, mnist_slice):
    user_two = digit_image(mnist_slice, 2)
    frames = _unit(sampler.morph(user_two, 5, frames=10, seed=0))
    reconstruction = _unit(
        sampler.draw(sampler.encode_mnist(user_two)[None], sampler.classify_mnist(user_two)[None])[0]
    )
    np.testing.assert_allclose(frames[0], reconstruction, atol=1e-6)
    assert np.corrcoef(frames[0].ravel(), user_two.ravel())[0, 1] > 0.6


def _png(image: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def test_morph_takes_a_users_image_bytes_as_they_were_uploaded(sampler, mnist_slice):
    # Dark ink on white paper, 4x the size, as a PNG: what a user would upload.
    seven = to_uint8(digit_image(mnist_slice, 7))
    upload = _png(np.kron(255 - seven, np.ones((4, 4), dtype=np.uint8)))
    from_bytes = sampler.morph(upload, 3, frames=6, seed=1)
    np.testing.assert_array_equal(from_bytes, sampler.morph(to_mnist(upload), 3, frames=6, seed=1))
    assert from_bytes.dtype == np.uint8 and from_bytes.shape == (6, 28, 28)


def test_morph_refuses_bytes_that_are_not_an_image(sampler):
    with pytest.raises(InvalidInputError) as refused:
        sampler.morph(b"not an image at all", 3, frames=6, seed=1)
    assert refused.value.code == "not_an_image"


def test_a_served_digit_can_start_a_morph(sampler):
    # The "any digit" Morph button starts from the very uint8 image the user is looking at.
    shown = sampler.digits(None, count=1, seed=4)[0]
    first = _unit(sampler.morph(shown, 1, frames=8, seed=0))[0]
    assert _correlation(first, _unit(shown)) > 0.8
    np.testing.assert_allclose(sampler.encode_mnist(shown), sampler.encode_mnist(_unit(shown)), atol=1e-5)


def _reconstruct(sampler, image):
    return sampler.decode(sampler.encode_mnist(image)[None], sampler.classify_mnist(image)[None])[0]


def _correlation(a, b):
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_encode_keeps_what_makes_each_digit_itself(sampler, mnist_slice):
    # A digit's code (with its class) decodes back to that digit, more than to another digit
    # of the same class: the plane holds each one's handwriting style.
    own, other = [], []
    for label in range(10):
        first, second = digit_image(mnist_slice, label, 0), digit_image(mnist_slice, label, 1)
        reconstruction = _reconstruct(sampler, first)
        own.append(_correlation(reconstruction, first))
        other.append(_correlation(reconstruction, second))
    assert np.mean(own) > 0.7
    assert np.mean(own) > np.mean(other) + 0.1


def test_encode_accepts_a_photo_like_inverted_rgb_image(sampler, mnist_slice):
    from PIL import Image

    from genai_models.vae.serving.preprocess import to_mnist

    seven = digit_image(mnist_slice, 7)
    photo = Image.fromarray((255 - seven * 255).astype(np.uint8)).resize((200, 200)).convert("RGB")
    mnist_like = to_mnist(photo)
    # The photo reads as the digit it was made from (this seven's curl looks like a 0 to some).
    assert np.argmax(sampler.classify_mnist(mnist_like)) == np.argmax(sampler.classify_mnist(seven))
    z_photo = sampler.encode(photo)
    np.testing.assert_allclose(z_photo, sampler.encode_mnist(mnist_like), atol=1e-5)
    # ...and is drawn back as the clean digit is: the photo path loses nothing that matters.
    assert _correlation(_reconstruct(sampler, mnist_like), _reconstruct(sampler, seven)) > 0.8


def test_style_map_writes_one_digit_across_the_plane_with_its_real_digits(sampler):
    plane = sampler.style_map(7, 6)
    assert plane.digits == [7] and plane.grids[0].shape == (6, 6, 28, 28)
    assert plane.grids[0].dtype == np.uint8
    assert len(plane.points[0]) > 100 and plane.extent >= np.abs(plane.points[0]).mean()
    grid = _unit(plane.grids[0])
    # Every cell is a seven in some style: ink everywhere, yet opposite corners differ.
    assert np.mean(grid.reshape(36, -1).max(axis=1) > 0.5) > 0.9
    assert np.abs(grid[0, 0] - grid[-1, -1]).mean() > 0.05
    # The top-left cell is the plane's (-extent, +extent) for a seven, drawn as served.
    corner = sampler.plane.point(np.array([[-plane.extent, plane.extent]]), np.array([7]))
    np.testing.assert_array_equal(plane.grids[0][0, 0], sampler.draw(corner, [7])[0])


def test_style_map_without_a_digit_writes_all_ten_on_the_same_plane(sampler):
    plane = sampler.style_map(None, 3)
    assert plane.digits == list(range(10)) and len(plane.grids) == len(plane.points) == 10
    # Same point, different digit: the class, not the plane, says which digit is drawn.
    assert np.abs(_unit(plane.grids[0][1, 1]) - _unit(plane.grids[1][1, 1])).mean() > 0.05


def test_the_style_axes_are_named_after_what_they_change(sampler):
    from genai_models.vae.serving.style import MEASURES

    for names in (sampler.style_axes.x, sampler.style_axes.y):
        assert names and {measure for measure, _ in names} <= set(MEASURES)
        assert {sign for _, sign in names} <= {-1, 1}


def test_an_offset_moves_the_same_digits_across_the_style_plane(sampler):
    still = sampler.digits(4, count=5, seed=8)
    np.testing.assert_array_equal(still, sampler.digits(4, count=5, seed=8, offset=(0.0, 0.0)))
    moved = sampler.digits(4, count=5, seed=8, offset=(1.0, -0.5))
    z = sampler.sample_latents(4, count=5, seed=8)
    np.testing.assert_array_equal(moved, sampler.draw(z + sampler.plane.shift((1.0, -0.5)), np.full(5, 4)))
    assert not np.array_equal(moved, still)
    # The move is along the plane: the same offset in plane coordinates for every digit.
    np.testing.assert_allclose(
        sampler.plane.coordinates(z + sampler.plane.shift((1.0, -0.5)), np.full(5, 4))
        - sampler.plane.coordinates(z, np.full(5, 4)),
        [[1.0, -0.5]] * 5,
        atol=1e-5,
    )


def test_moving_right_slants_the_digits_and_moving_up_widens_them(sampler):
    from genai_models.vae.serving.style import stroke_measures

    # The measured meaning of the axes holds on any digit: one batched decode of a cross.
    steps = np.array([[-1.5, 0], [1.5, 0], [0, -1.5], [0, 1.5]])
    for k in (0, 4, 7):
        drawn = sampler.draw(sampler.plane.point(steps, np.full(4, k)), np.full(4, k))
        slant, width = stroke_measures(drawn)[:, :2].T
        assert slant[1] > slant[0] and width[3] > width[2], k


def test_pools_sample_each_classs_training_codes(sampler):
    latents = sampler.card["training_latents"]
    for k in (1, 8):
        codes = latents["points"][latents["labels"] == k]
        pool = sampler._pools[k]
        # Every pool point lies within a few posterior spreads of one of its class's codes...
        nearest = np.sqrt(((pool[:, None] - codes[None]) ** 2).sum(-1)).min(axis=1)
        assert np.percentile(nearest, 95) < 5 * latents["spreads"].max()
        # ...and the pool spreads over the plane as those codes do, not round their mean.
        assert pool.std(axis=0).min() > 0.6 * codes.std(axis=0).min()


def test_handwriting_writes_all_ten_digits_in_the_uploads_style(sampler, mnist_slice):
    upload = digit_image(mnist_slice, 3, 2)
    written = sampler.handwriting(_png(to_uint8(1 - upload)))
    assert written.images.shape == (10, 28, 28) and written.images.dtype == np.uint8
    assert written.digit == 3 and not written.given and written.confidence > 0.5
    # The self-check reads each cell as its own digit.
    read = [int(np.argmax(sampler.classify_mnist(image))) for image in written.images]
    assert np.mean(np.array(read) == np.arange(10)) >= 0.9
    # The cell of the upload's own digit redraws the upload, more than another writer's three.
    own = _unit(written.images[3])
    assert _correlation(own, upload) > 0.7
    assert _correlation(own, upload) > _correlation(own, digit_image(mnist_slice, 3, 5))


def test_handwriting_takes_the_users_word_for_the_digit(sampler, mnist_slice):
    upload = digit_image(mnist_slice, 5, 1)
    written = sampler.handwriting(upload, digit=5)
    assert written.given and written.digit == 5
    assert 0 <= written.confidence <= 1


def test_handwriting_refuses_an_upload_that_is_no_digit(sampler):
    from PIL import Image, ImageDraw

    square = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(square).rectangle([40, 40, 160, 160], fill=0)
    buffer = __import__("io").BytesIO()
    square.save(buffer, format="PNG")
    with pytest.raises(InvalidInputError) as refused:
        sampler.handwriting(buffer.getvalue())
    assert refused.value.code == "image_not_a_digit"


@pytest.mark.parametrize("digit", [None, 4])
def test_handwriting_refuses_a_bar_the_decoder_could_redraw_but_no_one_writes(sampler, digit):
    from PIL import Image, ImageDraw

    from genai_models.vae.serving.sampler import READ_LOSS_LIMIT

    bar = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(bar).rectangle([20, 90, 180, 110], fill=0)
    buffer = __import__("io").BytesIO()
    bar.save(buffer, format="PNG")
    mnist = to_mnist(buffer.getvalue())
    read = 4 if digit is None else digit
    # The 16-D decoder redraws it closely: only its code, far from any real 4's, gives it away.
    assert sampler._fit_style(mnist, sampler.encode_mnist(mnist), read)[1] < READ_LOSS_LIMIT
    with pytest.raises(InvalidInputError) as refused:
        sampler.handwriting(buffer.getvalue(), digit=digit)
    assert refused.value.code == "image_not_a_digit"


def test_handwriting_refuses_a_digit_outside_0_to_9(sampler, mnist_slice):
    with pytest.raises(InvalidInputError):
        sampler.handwriting(digit_image(mnist_slice, 5), digit=12)


def test_reloading_in_a_fresh_process_gives_identical_digits(tiny_model_dir):
    # The tiny model is undertrained (see test_serving_files): loaded for its mechanics only.
    here = DigitSampler.load(tiny_model_dir, refuse_undertrained=False).digits(3, count=4, seed=9)
    script = (
        "import hashlib, sys; from genai_models.vae.serving.sampler import DigitSampler; "
        "images = DigitSampler.load(sys.argv[1], refuse_undertrained=False)"
        ".digits(3, count=4, seed=9); "
        "print(hashlib.sha256(images.tobytes()).hexdigest())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tiny_model_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == hashlib.sha256(here.tobytes()).hexdigest()


def test_corrupted_weights_are_refused_naming_the_file(tiny_model_dir, tmp_path):
    model_dir = copy_model(tiny_model_dir, tmp_path)
    data = bytearray((model_dir / "vae.keras").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_dir / "vae.keras").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"vae\.keras.*corrupted or truncated"):
        DigitSampler.load(model_dir)


def test_truncated_checker_is_refused(tiny_model_dir, tmp_path):
    model_dir = copy_model(tiny_model_dir, tmp_path)
    data = (model_dir / "checker.keras").read_bytes()
    (model_dir / "checker.keras").write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelFileError, match=r"checker\.keras"):
        DigitSampler.load(model_dir)


def test_missing_model_card_says_what_to_do(tmp_path):
    with pytest.raises(ModelFileError, match="genai-bot train"):
        DigitSampler.load(tmp_path)


def test_every_class_is_served_as_what_was_asked(sampler):
    # The self-check's own view (fidelity is measured by a separate classifier in bench/).
    for k in range(10):
        images = sampler.digits(k, count=20, seed=k)
        predicted = [np.argmax(sampler.classify_mnist(image)) for image in images]
        assert np.mean(np.array(predicted) == k) >= 0.95, f"digit {k}"


def test_decoding_without_classes_lets_the_plane_choose(sampler):
    points = sampler._prior_means.astype("float32")  # each class's sector centre
    weights = sampler.class_weights(points)
    assert (np.argmax(weights, axis=1) == np.arange(10)).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(sampler.decode(points), sampler.decode(points, weights), atol=1e-6)


def test_pools_hold_varied_points_for_every_class(sampler):
    for k, pool in enumerate(sampler._pools):
        assert len(pool) >= 32, f"digit {k}"
        assert pool.std(axis=0).min() > 0.05, f"digit {k}: all samples alike"
