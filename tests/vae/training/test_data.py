"""Loading and validating training data: every malformed file is refused with its reason."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from genai_models.errors import DataError
from genai_models.vae.training.data import load_digits, split


def _npz(tmp_path, name="d.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def _good(n=20):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def test_npz_with_train_keys_loads_as_floats_in_unit_range(mnist_slice_path):
    digits = load_digits(mnist_slice_path)
    assert digits.images.shape == (600, 28, 28, 1)
    assert digits.images.dtype == np.float32
    assert 0.0 == digits.images.min() and digits.images.max() == 1.0
    assert digits.labels.dtype == np.int32 and set(digits.labels) == set(range(10))


def test_npz_with_x_y_keys_and_unit_floats_loads(tmp_path):
    images, labels = _good()
    digits = load_digits(_npz(tmp_path, x=images / 255.0, y=labels))
    np.testing.assert_allclose(digits.images[..., 0], images / 255.0, atol=1e-6)


def test_idx_folder_with_gzipped_files_loads(tmp_path):
    images, labels = _good(7)
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">HBB3I", 0, 8, 3, 7, 28, 28) + images.tobytes())
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">HBBI", 0, 8, 1, 7) + labels.tobytes())
    digits = load_digits(tmp_path)
    assert len(digits) == 7
    np.testing.assert_array_equal(digits.labels, labels)


def test_truncated_idx_file_is_refused(tmp_path):
    images, labels = _good(7)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(
        struct.pack(">HBB3I", 0, 8, 3, 7, 28, 28) + images.tobytes()[:-10]
    )
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(struct.pack(">HBBI", 0, 8, 1, 7) + labels.tobytes())
    with pytest.raises(DataError, match="truncated"):
        load_digits(tmp_path)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x_train": np.zeros((5, 32, 32), np.uint8), "y_train": np.zeros(5, np.uint8)}, "shape"),
        ({"x_train": np.zeros((0, 28, 28), np.uint8), "y_train": np.zeros(0, np.uint8)}, "no images"),
        ({"x_train": np.full((3, 28, 28), 300.0), "y_train": np.zeros(3, np.uint8)}, "0–255"),
        ({"x_train": np.full((3, 28, 28), -1.0), "y_train": np.zeros(3, np.uint8)}, "0–255"),
        ({"x_train": np.zeros((3, 28, 28), np.uint8)}, "labels are missing"),
        ({"x_train": np.zeros((3, 28, 28), np.uint8), "y_train": np.array([1, 2, 10])}, "0–9"),
        ({"x_train": np.zeros((3, 28, 28), np.uint8), "y_train": np.array([1, 2])}, "one label per image"),
        ({"x_train": np.array([["a"] * 28] * 28)[None], "y_train": np.zeros(1)}, "numbers"),
        ({"images": np.zeros((3, 28, 28), np.uint8)}, "expected arrays"),
    ],
    ids=[
        "shape",
        "empty",
        "too-bright",
        "negative",
        "no-labels",
        "label-range",
        "label-count",
        "strings",
        "wrong-keys",
    ],
)
def test_malformed_npz_is_refused_with_its_reason(tmp_path, arrays, message):
    with pytest.raises(DataError, match=message):
        load_digits(_npz(tmp_path, **arrays))


def test_missing_file_and_unknown_format_are_refused(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_digits(tmp_path / "nope.npz")
    other = tmp_path / "digits.csv"
    other.write_text("1,2,3")
    with pytest.raises(DataError, match="Unsupported"):
        load_digits(other)


def test_corrupt_npz_is_refused(tmp_path):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="not a readable"):
        load_digits(path)


def test_split_is_seeded_disjoint_and_sized(mnist_slice):
    first, again, other = split(mnist_slice, seed=1), split(mnist_slice, seed=1), split(mnist_slice, seed=2)
    assert (len(first.train), len(first.validation)) == (450, 150)
    np.testing.assert_array_equal(first.validation.labels, again.validation.labels)
    np.testing.assert_array_equal(first.validation.images, again.validation.images)
    assert not np.array_equal(first.validation.images, other.validation.images)
    train_rows = {row.tobytes() for row in first.train.images}
    assert not any(row.tobytes() in train_rows for row in first.validation.images)


def test_mnist_that_cannot_be_downloaded_says_why_and_which_local_file_to_pass(monkeypatch):
    from genai_models.vae.backend import keras

    def offline():  # keras's download, on a machine without internet (as here)
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError) as refused:
        load_digits(None)
    message = str(refused.value)
    assert message.startswith("Could not download MNIST ([Errno -3] Temporary failure in name resolution).")
    assert "--data PATH" in message and "datasets/mnist-digits-8k.npz" in message
    assert "GENAI_TRAINING_DATA" in message
