"""Training data: MNIST from keras.datasets (downloads), an .npz, or IDX files — validated.

Everything returned is float32 images (N, 28, 28, 1) in [0, 1] with int32 labels 0–9.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_models.errors import DataError

KERAS_MNIST = "keras.datasets.mnist"
NPZ_KEYS = (("x_train", "y_train"), ("x", "y"))
IDX_IMAGES = ("train-images-idx3-ubyte", "train-images.idx3-ubyte")
IDX_LABELS = ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte")


@dataclass(frozen=True)
class Digits:
    """Images (N,28,28,1) float32 in [0,1] and labels (N,) int32, with where they came from."""

    images: np.ndarray
    labels: np.ndarray
    source: str

    def __len__(self) -> int:
        return len(self.labels)

    def fingerprint(self) -> str:
        """A short content hash, so a checkpoint is never resumed on different data."""
        digest = hashlib.sha256(self.images.tobytes())
        digest.update(self.labels.tobytes())
        return digest.hexdigest()[:16]

    def subset(self, index: np.ndarray) -> Digits:
        return Digits(self.images[index], self.labels[index], self.source)


@dataclass(frozen=True)
class Split:
    train: Digits
    validation: Digits


def load_digits(path: Path | str | None = None) -> Digits:
    """Load and validate digits. `None` downloads MNIST's 60,000 training digits via Keras."""
    if path is None:
        images, labels = _download_mnist()
        return validate(images, labels, source=KERAS_MNIST)
    path = Path(path)
    if not path.exists():
        raise DataError(f"Data file not found: {path}")
    if path.is_dir() or _looks_like_idx(path):
        images, labels = _read_idx(path)
    elif path.suffix == ".npz":
        images, labels = _read_npz(path)
    else:
        raise DataError(
            f"Unsupported data file {path.name}: give an .npz (x_train/y_train or x/y) "
            "or MNIST IDX files (a folder holding train-images-idx3-ubyte[.gz] and "
            "train-labels-idx1-ubyte[.gz])"
        )
    return validate(images, labels, source=str(path))


def validate(images: np.ndarray, labels: np.ndarray | None, *, source: str) -> Digits:
    """Check shape, dtype and ranges; return float images in [0,1] and int32 labels."""
    name = Path(source).name if source != KERAS_MNIST else source
    images = np.asarray(images)
    if images.size == 0:
        raise DataError(f"{name}: no images in the file")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{name}: images must have shape (N, 28, 28), got {images.shape}")
    if images.dtype == np.uint8:
        scaled = images.astype("float32") / 255.0
    elif np.issubdtype(images.dtype, np.floating):
        if not np.isfinite(images).all():
            raise DataError(f"{name}: images contain NaN or infinite values")
        low, high = float(images.min()), float(images.max())
        if low < 0 or high > 255:
            raise DataError(f"{name}: pixel values must lie in 0–255 or 0–1, got {low:g}–{high:g}")
        # Floats above 1 are read as 0–255 greyscale; floats within [0, 1] are already scaled.
        scaled = (images / 255.0 if high > 1.0 else images).astype("float32")
    elif np.issubdtype(images.dtype, np.integer):
        low, high = int(images.min()), int(images.max())
        if low < 0 or high > 255:
            raise DataError(f"{name}: pixel values must lie in 0–255, got {low}–{high}")
        scaled = images.astype("float32") / 255.0
    else:
        raise DataError(f"{name}: images must be numbers, got dtype {images.dtype}")

    if labels is None:
        raise DataError(f"{name}: labels are missing (expected y_train or y beside the images)")
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(scaled):
        raise DataError(
            f"{name}: expected one label per image ({len(scaled)}), got labels of shape {labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        if np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels)):
            labels = labels.astype("int64")
        else:
            raise DataError(f"{name}: labels must be whole numbers 0–9, got dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{name}: labels must lie in 0–9, got {labels.min()}–{labels.max()}")
    return Digits(scaled[..., None], labels.astype("int32"), source)


MIN_PER_DIGIT = 40  # of each digit 0-9: a quarter of them validates, and the checks need a few


def require_enough_of_each_digit(digits: Digits) -> None:
    """Refuse digits too few to train on: every digit 0-9, at least MIN_PER_DIGIT of each (the
    held-out checks compare each digit's drawings with its real digits)."""
    counts = np.bincount(digits.labels, minlength=10)
    short = [digit for digit in range(10) if counts[digit] < MIN_PER_DIGIT]
    if short:
        found = ", ".join(f"{digit}: {counts[digit]}" for digit in short)
        raise DataError(
            f"{Path(digits.source).name}: too few of some digits to train on ({found}); "
            f"training needs at least {MIN_PER_DIGIT} of each digit 0-9"
        )


def split(digits: Digits, *, validation_fraction: float = 0.25, seed: int = 0) -> Split:
    """A fixed, seeded split, identical for the same data and seed.

    The shipped model uses 6,000 training and 2,000 validation digits of the 8k file.
    """
    if not 0 < validation_fraction < 1:
        raise DataError("validation fraction must lie strictly between 0 and 1")
    validation_count = round(len(digits) * validation_fraction)
    if not 0 < validation_count < len(digits):
        raise DataError(f"{len(digits)} digits are too few to split into training and validation")
    order = np.random.default_rng(seed).permutation(len(digits))
    return Split(
        digits.subset(np.sort(order[validation_count:])),
        digits.subset(np.sort(order[:validation_count])),
    )


def _download_mnist():
    from genai_models.vae.backend import keras

    try:
        (images, labels), _ = keras.datasets.mnist.load_data()
    except Exception as exc:  # any network or cache failure; the cause is logged by the caller
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise DataError(
            f"Could not download MNIST ({reason}). Without internet, pass a local file: genai-bot "
            "train --data PATH (.npz or IDX; a checkout has datasets/mnist-digits-8k.npz), and "
            "for /train set GENAI_TRAINING_DATA"
        ) from exc
    return images, labels


def _read_npz(path: Path):
    try:
        # Open the file ourselves: np.load leaks its handle when the archive is corrupt.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            for image_key, label_key in NPZ_KEYS:
                if image_key in archive:
                    labels = archive[label_key] if label_key in archive else None
                    return archive[image_key], labels
            keys = ", ".join(archive.files) or "none"
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path.name}: not a readable .npz file ({exc})") from exc
    raise DataError(f"{path.name}: expected arrays x_train/y_train or x/y, found: {keys}")


def _looks_like_idx(path: Path) -> bool:
    return "idx" in path.name


def _read_idx(path: Path):
    if path.is_dir():
        images_path = _find(path, IDX_IMAGES)
        labels_path = _find(path, IDX_LABELS)
    else:
        images_path = path
        labels_name = path.name.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1")
        labels_path = path.with_name(labels_name)
        if labels_path == images_path or not labels_path.exists():
            raise DataError(f"{path.name}: labels file not found beside it (expected {labels_name})")
    return _read_idx_file(images_path, ndim=3), _read_idx_file(labels_path, ndim=1)


def _find(folder: Path, names: tuple[str, ...]) -> Path:
    for name in names:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.exists():
                return candidate
    raise DataError(f"{folder}: no {names[0]}[.gz] in this folder")


def _read_idx_file(path: Path, *, ndim: int) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path.name}: unreadable ({exc})") from exc
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path.name}: too short to be an IDX file")
    zero, dtype_code, dims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or dims != ndim:
        raise DataError(f"{path.name}: not an IDX file of unsigned bytes with {ndim} dimension(s)")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataError(f"{path.name}: truncated (expected {int(np.prod(shape))} bytes of data)")
    return body.reshape(shape)
