"""Training the digit-ness model that lets /handwriting refuse what is not a digit, and its export.

A small convolutional network with eleven outputs: the ten digits and "not a digit". It learns
from real training digits, as an upload of each would arrive (plainly, and twice more slanted,
tilted, or with a thicker, thinner or crisper pen), against pictures that are no digit and were
drawn without any font (non_digits.py). Every picture goes through the uploads' own
preprocessing first (serving/preprocess.py), so the model sees exactly what serving will give it.

The bar (the digit-ness below which serving refuses an upload) is chosen here, on digits and
negatives kept out of its training: the TUNING_SHARE of the training digits this model never
sees, the bar set so that at most BAR_REFUSES of them fall under it. It is written into the
ONNX file's metadata, so the file carries its own bar and its hash in the card vouches for both.

Run as `python -m genai_models.vae.training.digitness MODEL_DIR --data DIGITS.npz`, it adds
the file to an existing model folder (the shipped one got its own that way): the card gains the
file's hash and nothing else changes. The data must be the digits the model was trained on
(its card's `data.source`), so that the bar is chosen on digits from the same split.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genai_models.errors import InvalidInputError
from genai_models.vae.files import sha256_of, write_atomic, write_json_atomic
from genai_models.vae.serving.card import CARD_FILE, read_verified_card
from genai_models.vae.serving.digitness import BAR_KEY, DIGITNESS_ONNX, NOT_A_DIGIT, OUTPUTS
from genai_models.vae.serving.preprocess import to_mnist
from genai_models.vae.training.data import Digits, load_digits, split
from genai_models.vae.training.non_digits import non_digit_pictures, upload_of

log = logging.getLogger(__name__)

TUNING_SHARE = 0.15  # of the training digits, kept out of this model's training to choose its bar
BAR_REFUSES = 0.005  # the share of those tuning digits the bar may refuse
VARIED_COPIES = 2  # of each training digit, with a varied pen, slant and tilt, beside it plainly
NEGATIVES_PER_DIGIT = 2.0  # non-digit pictures made per training digit
EPOCHS = 10
TRAINING_INPUTS = ("training_digits", "seed", "epochs", "precision")  # see training_inputs


@dataclass(frozen=True)
class DigitnessReport:
    """What the bar was chosen on, and what it does there (the card and the log show it)."""

    refuse_below: float
    tuning_digits: int
    tuning_digits_refused: float
    tuning_negatives: int
    tuning_negatives_accepted: float

    def as_metadata(self) -> dict[str, str]:
        return {
            BAR_KEY: f"{self.refuse_below:.6f}",
            "tuning_digits": str(self.tuning_digits),
            "tuning_digits_refused": f"{self.tuning_digits_refused:.4f}",
            "tuning_negatives": str(self.tuning_negatives),
            "tuning_negatives_accepted": f"{self.tuning_negatives_accepted:.4f}",
        }


def build_digitness():
    from genai_models.vae.backend import keras, layers

    images = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(images)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)
    x = layers.Dense(96, activation="relu")(x)
    # float32 whatever Keras's global policy (a bfloat16 run trains the layers above in
    # bfloat16): the cross-entropy and the bar read these probabilities.
    probabilities = layers.Dense(OUTPUTS, activation="softmax", name="digit_or_not", dtype="float32")(x)
    return keras.Model(images, probabilities, name="digitness")


def as_uploads(pictures) -> np.ndarray:
    """Pictures (dark ink on white) through the uploads' preprocessing: (N, 28, 28) in [0, 1].
    One that preprocessing refuses (blank) is left out, as an upload of it would be refused."""
    out = []
    for picture in pictures:
        try:
            out.append(to_mnist(picture))
        except InvalidInputError:
            continue
    return np.stack(out).astype("float32") if out else np.zeros((0, 28, 28), "float32")


def training_pictures(digits: Digits, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 28, 28), labels 0–10) for `digits`: each digit plain and VARIED_COPIES times
    with a varied pen, and NEGATIVES_PER_DIGIT non-digit pictures per digit, labelled NOT_A_DIGIT."""
    rng = np.random.default_rng(seed)
    images = digits.images[..., 0]
    plain = as_uploads(upload_of(image) for image in images)
    varied = [as_uploads(upload_of(image, rng) for image in images) for _ in range(VARIED_COPIES)]
    negatives = as_uploads(
        non_digit_pictures(round(NEGATIVES_PER_DIGIT * len(images)), images, digits.labels, seed=seed + 1)
    )
    x = np.concatenate([plain, *varied, negatives])
    y = np.concatenate(
        [np.tile(digits.labels, 1 + VARIED_COPIES), np.full(len(negatives), NOT_A_DIGIT)]
    ).astype("int32")
    return x, y


def train_digitness(
    digits: Digits, *, epochs: int = EPOCHS, seed: int = 0, verbose: int = 0, precision: str = "float32"
):
    """The digit-ness model trained on most of `digits` (training digits) and its report, with
    the bar chosen on the rest. `precision` is the VAE run's (precision.py): a bfloat16 run
    trains this model in bfloat16 too; the model returned computes in float32 either way, so
    the bar is chosen on what serving runs."""
    from genai_models.vae.backend import keras
    from genai_models.vae.training.classifier import fit_classifier
    from genai_models.vae.training.precision import training_precision

    order = np.random.default_rng(seed).permutation(len(digits))
    tuning_count = max(1, round(TUNING_SHARE * len(digits)))
    tuning, learning = digits.subset(order[:tuning_count]), digits.subset(order[tuning_count:])
    x, y = training_pictures(learning, seed)
    keras.utils.set_random_seed(seed)
    with training_precision(precision):
        trained = build_digitness()
        fit_classifier(trained, x, y, learning_rate=2e-3, epochs=epochs, verbose=verbose)
    model = build_digitness()  # float32 (the global policy is back), the trained weights
    model.set_weights(trained.get_weights())
    return model, choose_bar(model, tuning, seed)


def digitness_of(model, images: np.ndarray) -> np.ndarray:
    probabilities = np.asarray(model.predict(images[..., None], batch_size=256, verbose=0))
    return 1.0 - probabilities[:, NOT_A_DIGIT]


def choose_bar(model, tuning: Digits, seed: int) -> DigitnessReport:
    """The bar that refuses at most BAR_REFUSES of the tuning digits (uploaded plainly), and
    what it does to fresh non-digit pictures of the tuning digits."""
    images = tuning.images[..., 0]
    digit_scores = digitness_of(model, as_uploads(upload_of(image) for image in images))
    negatives = as_uploads(non_digit_pictures(max(200, len(images)), images, tuning.labels, seed=seed + 2))
    negative_scores = digitness_of(model, negatives)
    # The largest bar that refuses no more than the allowed count: just at or below that score.
    allowed = int(np.floor(BAR_REFUSES * len(digit_scores)))
    refuse_below = float(np.sort(digit_scores)[allowed])
    return DigitnessReport(
        refuse_below=refuse_below,
        tuning_digits=len(digit_scores),
        tuning_digits_refused=float(np.mean(digit_scores < refuse_below)),
        tuning_negatives=len(negative_scores),
        tuning_negatives_accepted=float(np.mean(negative_scores >= refuse_below)),
    )


def export_digitness(
    model, report: DigitnessReport, folder: Path, made_of: dict[str, str] | None = None
) -> Path:
    """Write the model as DIGITNESS_ONNX into `folder`, its bar and tuning figures as metadata,
    and `made_of` (see `training_inputs`) beside them."""
    import onnx

    # tf2onnx reports each graph rewrite at INFO: noise in a training log.
    logging.getLogger("tf2onnx").setLevel(max(logging.WARNING, logging.getLogger().level))
    model(np.zeros((1, 28, 28, 1), "float32"))
    with tempfile.TemporaryDirectory() as staging:
        path = Path(staging) / DIGITNESS_ONNX
        with warnings.catch_warnings():
            # tf2onnx probes NumPy for aliases NumPy 2 deprecates; nothing of ours to act on.
            warnings.simplefilter("ignore")
            model.export(str(path), format="onnx", verbose=False)
        graph = onnx.load(str(path))
    for key, value in (report.as_metadata() | (made_of or {})).items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value
    target = folder / DIGITNESS_ONNX
    write_atomic(target, graph.SerializeToString())
    log.info(
        "digit-ness model: refuses below %.3f; on its tuning split %.1f%% of %d digits refused, "
        "%.1f%% of %d non-digits accepted",
        report.refuse_below,
        100 * report.tuning_digits_refused,
        report.tuning_digits,
        100 * report.tuning_negatives_accepted,
        report.tuning_negatives,
    )
    return target


def write_digitness(
    folder: Path, training_digits: Digits, *, seed: int = 0, epochs: int = EPOCHS, precision: str = "float32"
) -> DigitnessReport:
    """Train the digit-ness model on a model's training digits and write its file into `folder`."""
    model, report = train_digitness(training_digits, seed=seed, epochs=epochs, precision=precision)
    export_digitness(model, report, folder, training_inputs(training_digits, seed, epochs, precision))
    return report


def training_inputs(digits: Digits, seed: int, epochs: int, precision: str) -> dict[str, str]:
    """What a digit-ness file was trained from, as its metadata records it: a run that finds a
    file made from the same (an earlier attempt stopped before its first epoch) keeps it."""
    values = (digits.fingerprint(), str(seed), str(epochs), precision)
    return dict(zip(TRAINING_INPUTS, values, strict=True))


def trained_from(path: Path) -> dict[str, str]:
    """The `training_inputs` recorded in a digit-ness file (none in one made before they were)."""
    import onnx

    metadata = {entry.key: entry.value for entry in onnx.load(str(path)).metadata_props}
    return {key: metadata[key] for key in TRAINING_INPUTS if key in metadata}


def add_to_model_folder(
    model_dir: Path, data: Path, *, seed: int = 0, epochs: int = EPOCHS
) -> DigitnessReport:
    """Give an existing model folder its digit-ness file; its card gains that file's hash only."""
    read_verified_card(model_dir)  # refuse a damaged folder before adding to it
    card = json.loads((model_dir / CARD_FILE).read_text())
    training = split(load_digits(data)).train  # the model's own split (trainer.py uses the same)
    report = write_digitness(model_dir, training, seed=seed, epochs=epochs)
    card.setdefault("files", {})[DIGITNESS_ONNX] = {"sha256": sha256_of(model_dir / DIGITNESS_ONNX)}
    write_json_atomic(model_dir / CARD_FILE, card)
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m genai_models.vae.training.digitness", description=__doc__.splitlines()[0]
    )
    parser.add_argument("model_dir", type=Path, help="a model folder with a verified card")
    parser.add_argument("--data", type=Path, required=True, help="the digits the model was trained on (.npz)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = add_to_model_folder(args.model_dir, args.data, seed=args.seed, epochs=args.epochs)
    print(f"{args.model_dir}: {DIGITNESS_ONNX} written, refusing below digit-ness {report.refuse_below:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
