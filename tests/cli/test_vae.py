"""`genai-bot train | digit | morph | handwriting | latent-map` as a user runs them: real
subprocesses.

One model is trained once through `genai-bot train` on the 600-digit fixture: one epoch is too
few to draw every digit, so serving refuses it; the drawing commands serve the shipped model
through GENAI_MODEL_DIR (the setting the bot reads too).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genai_models.imaging.credential_report import read_credentials
from genai_models.vae.serving.card import PRETRAINED_DIR as PRETRAINED
from genai_models.vae.training.data import load_digits
from tests.helpers import MNIST_SLICE, assert_labelled_ai

GENAI_BOT = Path(sys.executable).with_name("genai-bot")  # the installed console script
TIMEOUT_S = 300
CELL, MARGIN = 84, 8  # the PNG grid's layout, as the issue specifies it (ceil(√count) columns)


def genai_bot(*args: str, cwd: Path, model_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GENAI_", "DISCORD_", "OPENAI_"))
    }
    env["LOG_LEVEL"] = "ERROR"  # stderr then holds only what a user must read
    if model_dir is not None:
        env["GENAI_MODEL_DIR"] = str(model_dir)
    # cwd is a temporary folder: no .env from the repository leaks settings in.
    return subprocess.run(
        [str(GENAI_BOT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Non-zero exit, no traceback, and the message on the last stderr line naming `fragments`."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines, "no message on stderr"
    message = lines[-1]
    assert message.startswith("genai-bot"), result.stderr
    assert len(message) < 300, f"message too long for one line: {message[:400]}..."
    for fragment in fragments:
        assert fragment in message, result.stderr
    return message


# TensorFlow's C++ runtime writes these to fd 2 at start-up whatever TF_CPP_MIN_LOG_LEVEL says
# (TF 2.21 logs through absl before InitializeLog). They are TF's chatter, not our messages.
TF_STARTUP_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\])"
)


def messages(result: subprocess.CompletedProcess) -> list[str]:
    """What the user is told on stderr: without argparse's usage block or TF's start-up chatter."""
    lines = result.stderr.strip().splitlines()
    return [
        line for line in lines if not line.startswith(("usage:", " ")) and not TF_STARTUP_NOISE.match(line)
    ]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`genai-bot train` for one epoch on the fixture: (output folder, the finished process)."""
    out = tmp_path_factory.mktemp("cli-model")
    result = genai_bot(
        "train",
        "--data",
        str(MNIST_SLICE),
        "--epochs",
        "1",
        "--seed",
        "5",
        "--learning-rate",
        "0.0025",
        "--out",
        str(out),
        cwd=out,
    )
    return out, result


@pytest.fixture(scope="module")
def model_dir(trained) -> Path:
    out, result = trained
    assert result.returncode == 0, result.stderr
    return out


# -- the commands -------------------------------------------------------------------------


HELP_THEN_LIST_MODULES = """
import contextlib, io, json, sys
from bot.__main__ import main
sys.argv = ["genai-bot", "--help"]
with contextlib.redirect_stdout(io.StringIO()) as shown, contextlib.suppress(SystemExit):
    main()
print(json.dumps({"help": shown.getvalue(), "modules": sorted(sys.modules)}))
"""


def test_help_does_not_import_tensorflow(tmp_path):
    # sys.modules, not `-X importtime`: importtime misses importlib.import_module, which the CLI
    # uses to load its subcommand modules.
    result = subprocess.run(
        [sys.executable, "-c", HELP_THEN_LIST_MODULES],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    for command in ("train", "digit", "morph", "latent-map"):
        assert command in shown["help"]
    assert "bot.cli.vae" in shown["modules"]  # the subcommands were really registered
    heavy = [name for name in shown["modules"] if name.split(".")[0] in ("tensorflow", "keras")]
    assert heavy == []


def test_train_one_epoch_writes_status_checkpoint_and_a_verified_model(trained):
    out, result = trained
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "validation loss" in result.stdout
    status = json.loads((out / "status.json").read_text())
    assert status["state"] == "finished"
    assert (status["epoch"], status["total_epochs"]) == (1, 1)
    assert math.isfinite(status["val_loss"]) and status["val_loss"] > 0
    assert (out / "checkpoint" / "state-epoch0001.weights.h5").stat().st_size > 0
    card = json.loads((out / "model_card.json").read_text())
    assert card["data"]["source"].endswith("mnist-600.npz")
    assert card["training"]["seed"] == 5
    assert card["training"]["learning_rate"] == 0.0025  # --learning-rate reached the optimizer's config
    for name in ("vae.keras", "checker.keras"):  # the hashes loading will check
        digest = hashlib.sha256((out / name).read_bytes()).hexdigest()
        assert card["files"][name]["sha256"] == digest


def test_a_new_run_trains_the_same_recipe_from_the_command_line_and_from_chat(trained):
    from bot.cli.vae import NEW_RUN
    from bot.training.supervisor import DEFAULT_EPOCHS
    from genai_models.catalogue import CATALOGUE
    from genai_models.vae.training.trainer import TrainingConfig

    defaults = TrainingConfig()
    assert NEW_RUN == {key: getattr(defaults, key) for key in NEW_RUN}
    assert DEFAULT_EPOCHS == defaults.epochs
    for language in ("en", "es"):  # what /train start's epochs option says of its default
        assert f": {DEFAULT_EPOCHS})" in CATALOGUE.render("train-start.epochs", language, {})
    card = json.loads((trained[0] / "model_card.json").read_text())
    assert card["training"]["batch_size"] == defaults.batch_size  # not given: the default reached the run


@pytest.mark.parametrize(("count", "columns", "rows"), [(5, 3, 2)])
def test_digit_writes_a_grid_png_the_same_for_the_same_seed(tmp_path, count, columns, rows):
    paths = [tmp_path / "first.png", tmp_path / "second.png"]
    for path in paths:
        result = genai_bot(
            "digit",
            "7",
            "--count",
            str(count),
            "--seed",
            "11",
            "--out",
            str(path),
            cwd=tmp_path,
            model_dir=PRETRAINED,
        )
        assert result.returncode == 0, result.stderr
        assert str(path) in result.stdout
    with Image.open(paths[0]) as image:
        assert image.format == "PNG"
        assert image.size == (columns * CELL + (columns + 1) * MARGIN, rows * CELL + (rows + 1) * MARGIN)
        pixels = np.asarray(image.convert("L"))
    assert pixels.min() == 0 and pixels.max() >= 200  # ink on a black background
    with Image.open(paths[1]) as again:
        assert np.array_equal(np.asarray(again.convert("L")), pixels)
    # The file says a model made it, which one, and how (its time differs from run to run).
    version = json.loads((PRETRAINED / "model_card.json").read_text())["version"]
    for path in paths:
        assert_labelled_ai(path.read_bytes(), version=version, digit=7, count=count, seed=11)


def test_digit_without_a_class_uses_the_default_count(tmp_path):
    out = tmp_path / "any.png"
    result = genai_bot("digit", "--seed", "2", "--out", str(out), cwd=tmp_path, model_dir=PRETRAINED)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.size == (3 * CELL + 4 * MARGIN,) * 2  # 9 digits: 3 × 3


def test_morph_writes_a_looping_boomerang_gif(tmp_path):
    out = tmp_path / "morph.gif"
    result = genai_bot(
        "morph",
        "3",
        "8",
        "--frames",
        "12",
        "--seed",
        "4",
        "--out",
        str(out),
        cwd=tmp_path,
        model_dir=PRETRAINED,
    )
    assert result.returncode == 0, result.stderr
    with Image.open(out) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 2 * 12 - 2  # forward, then back without repeating either end
        assert gif.info.get("loop") == 0  # loop forever
        assert gif.size == (224, 224)
    assert out.stat().st_size <= 512 * 1024
    version = json.loads((PRETRAINED / "model_card.json").read_text())["version"]
    assert_labelled_ai(out.read_bytes(), version=version, start=3, end=8, frames=12, seed=4)


def test_morph_starts_from_a_users_image(tmp_path):
    # A user's photo: a real MNIST 4, dark ink on white, RGB, 3× larger, off-centre.
    digits = load_digits(MNIST_SLICE)
    digit = np.round(digits.images[digits.labels == 4][0, :, :, 0] * 255).astype(np.uint8)
    canvas = np.full((120, 120), 255, np.uint8)
    canvas[10:94, 30:114] = 255 - np.kron(digit, np.ones((3, 3), np.uint8))
    photo = tmp_path / "four.jpg"
    Image.fromarray(canvas).convert("RGB").save(photo, quality=90)
    out = tmp_path / "from-photo.gif"
    result = genai_bot(
        "morph",
        "3",
        "8",
        "--frames",
        "6",
        "--start-image",
        str(photo),
        "--out",
        str(out),
        cwd=tmp_path,
        model_dir=PRETRAINED,
    )
    assert result.returncode == 0, result.stderr
    with Image.open(out) as gif:
        assert gif.n_frames == 2 * 6 - 2
    # Its credentials name the photo as it is on disk: its format and the hash of its bytes.
    (ingredient,) = read_credentials(out.read_bytes()).ingredients
    assert ingredient["format"] == "image/jpeg"
    assert ingredient["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()


def test_latent_map_writes_the_overview_or_one_digits_plane(tmp_path):
    overview, seven = tmp_path / "maps" / "latent.png", tmp_path / "seven.png"
    for args in (("--size", "3", "--out", str(overview)), ("--digit", "7", "--out", str(seven))):
        result = genai_bot("latent-map", *args, cwd=tmp_path, model_dir=PRETRAINED)
        assert result.returncode == 0, result.stderr
    with Image.open(overview) as image, Image.open(seven) as one:
        assert image.format == one.format == "PNG"
        assert image.size[0] > 2 * one.size[0] * 0.8  # ten small multiples against one panel
        assert one.size[0] >= 400
    version = json.loads((PRETRAINED / "model_card.json").read_text())["version"]
    assert_labelled_ai(overview.read_bytes(), version=version, digit="all", cells=3)
    assert_labelled_ai(seven.read_bytes(), version=version, digit=7)


def test_handwriting_writes_the_ten_digits_in_the_uploads_hand(tmp_path):
    digits = load_digits(MNIST_SLICE)
    upload = tmp_path / "my-six.png"
    six = digits.images[digits.labels == 6][0, ..., 0]
    Image.fromarray((255 - six * 255).astype(np.uint8)).resize((140, 140)).save(upload)
    out = tmp_path / "hand.png"
    result = genai_bot(
        "handwriting",
        "--image",
        str(upload),
        "--digit",
        "6",
        "--out",
        str(out),
        cwd=tmp_path,
        model_dir=PRETRAINED,
    )
    assert result.returncode == 0, result.stderr
    assert "shows a 6 (as given)" in result.stdout
    with Image.open(out) as image:
        assert image.size == (4 * CELL + 5 * MARGIN, 3 * CELL + 4 * MARGIN)  # 10 cells, 4 a row
    version = json.loads((PRETRAINED / "model_card.json").read_text())["version"]
    assert_labelled_ai(out.read_bytes(), version=version, feature="handwriting", upload_read_as=6)


# -- bad arguments and files: a one-line message, never a traceback ------------------------


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("digit", "12"), ("digit 0-9", "12")),
        (("digit", "--count", "0"), ("--count", "between 1 and 100", "got 0")),
        (("digit", "--count", "101"), ("--count", "between 1 and 100", "got 101")),
        (("morph", "3", "8", "--frames", "1"), ("--frames", "between 2 and 240", "got 1")),
        (("morph", "3", "8", "--frames", "241"), ("--frames", "between 2 and 240", "got 241")),
        (("latent-map", "--size", "41"), ("--size", "between 2 and 40", "got 41")),
        (("latent-map", "--digit", "x"), ("digit 0-9", "'x'")),
        (("handwriting",), ("--image",)),
        (("handwriting", "--image", "a.png", "--digit", "12"), ("digit 0-9", "12")),
        (("morph", "3", "x"), ("digit 0-9", "'x'")),
        (("train", "--epochs", "many"), ("whole number", "many")),
        (("train", "--precision", "float16"), ("--precision", "float16", "bfloat16")),
        (("train", "--learning-rate", "0"), ("--learning-rate", "above 0", "got 0")),
        (("train", "--learning-rate", "fast"), ("--learning-rate", "expected a number", "fast")),
        (("train", "--decoder-width", "0"), ("--decoder-width", "above 0", "got 0")),
        (("train", "--seed", "-1"), ("--seed", "between 0 and 2147483647", "got -1")),
        (("digit", "3", "--seed", "-5"), ("--seed", "between 0 and 2147483647", "got -5")),
        (("morph", "3", "8", "--seed", str(2**40)), ("--seed", "between 0 and 2147483647")),
    ],
)
def test_bad_arguments_are_refused_before_loading_anything(tmp_path, args, fragments):
    # No model where GENAI_MODEL_DIR points: loading it first would fail with another message.
    result = genai_bot(*args, cwd=tmp_path, model_dir=tmp_path / "no-model")
    assert result.returncode == 2
    assert_one_line_error(result, *fragments)
    assert len(messages(result)) == 1


def test_a_missing_data_file_is_refused(tmp_path):
    missing = tmp_path / "nowhere.npz"
    result = genai_bot(
        "train", "--data", str(missing), "--epochs", "1", "--out", str(tmp_path / "run"), cwd=tmp_path
    )
    assert_one_line_error(result, "nowhere.npz")
    assert messages(result) == [result.stderr.strip().splitlines()[-1]]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(None, "cannot read"), (b"this is not a picture", "not an image")],
    ids=["missing", "not-an-image"],
)
def test_handwriting_refuses_an_unreadable_image_before_the_model_loads(tmp_path, content, fragment):
    image = tmp_path / "mine.png"
    if content is not None:
        image.write_bytes(content)
    result = genai_bot(
        "handwriting",
        "--image",
        str(image),
        "--out",
        str(tmp_path / "h.png"),
        cwd=tmp_path,
        model_dir=tmp_path / "no-model",
    )
    message = assert_one_line_error(result, "mine.png", fragment)
    assert result.stderr.strip().splitlines() == [message]
    assert not (tmp_path / "h.png").exists()


def test_handwriting_names_the_size_of_a_file_too_large_to_read(tmp_path):
    image = tmp_path / "huge.png"
    with image.open("wb") as file:
        file.truncate(20 * 2**20)  # 20 MiB, sparse: nothing to read until it is refused
    result = genai_bot(
        "handwriting", "--image", str(image), "--out", str(tmp_path / "h.png"),
        cwd=tmp_path, model_dir=tmp_path / "no-model",
    )  # fmt: skip
    assert_one_line_error(result, "huge.png", "is 20 MB", "up to 8 MB")


def test_handwriting_refuses_an_image_that_is_no_digit(tmp_path):
    square = Image.new("L", (200, 200), 255)
    square.paste(0, (40, 40, 160, 160))
    path = tmp_path / "square.png"
    square.save(path)
    result = genai_bot(
        "handwriting",
        "--image",
        str(path),
        "--out",
        str(tmp_path / "h.png"),
        cwd=tmp_path,
        model_dir=PRETRAINED,
    )
    assert_one_line_error(result, "square.png", "handwritten digit")
    assert not (tmp_path / "h.png").exists()


@pytest.mark.parametrize("option", ["--start-image", "--end-image"])
@pytest.mark.parametrize(
    ("content", "fragment"),
    [(None, "cannot read"), (b"this is not a picture", "not an image")],
    ids=["missing", "not-an-image"],
)
def test_an_unreadable_image_is_refused_before_the_model_loads(tmp_path, option, content, fragment):
    image = tmp_path / "digit.png"
    if content is not None:
        image.write_bytes(content)
    # No model where GENAI_MODEL_DIR points: had it been loaded first, the message would say so.
    result = genai_bot(
        "morph",
        "3",
        "8",
        option,
        str(image),
        "--out",
        str(tmp_path / "m.gif"),
        cwd=tmp_path,
        model_dir=tmp_path / "no-model",
    )
    message = assert_one_line_error(result, "digit.png", fragment)
    assert "model_card" not in message and "GENAI_MODEL_DIR" not in message
    assert result.stderr.strip().splitlines() == [message]  # not even TensorFlow's start-up lines
    assert not (tmp_path / "m.gif").exists()


def test_an_undertrained_model_is_refused_instead_of_drawing_blanks(model_dir, tmp_path):
    result = genai_bot("digit", "7", "--out", str(tmp_path / "d.png"), cwd=tmp_path, model_dir=model_dir)
    message = assert_one_line_error(result, str(model_dir), "undertrained", "more epochs")
    assert messages(result) == [message] and result.returncode == 1
    assert not (tmp_path / "d.png").exists()


def test_corrupt_weights_are_refused_naming_the_file(model_dir, tmp_path):
    broken = tmp_path / "broken-model"
    shutil.copytree(model_dir, broken, ignore=shutil.ignore_patterns("checkpoint"))
    weights = broken / "vae.keras"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])  # a truncated download
    result = genai_bot("digit", "1", "--out", str(tmp_path / "d.png"), cwd=tmp_path, model_dir=broken)
    message = assert_one_line_error(result, "vae.keras")
    assert messages(result) == [message]
    assert not (tmp_path / "d.png").exists()


# -- a training folder holds one run at a time -----------------------------------------------


def _train_into(out: Path, *extra: str, cwd: Path) -> subprocess.CompletedProcess:
    return genai_bot(
        "train", "--data", str(MNIST_SLICE), "--epochs", "1", "--out", str(out), *extra, cwd=cwd
    )  # fmt: skip


def test_a_new_run_never_replaces_a_finished_model_unless_forced(model_dir, tmp_path):
    card = (model_dir / "model_card.json").read_bytes()
    result = _train_into(model_dir, cwd=tmp_path)
    assert result.returncode == 2
    version = json.loads(card)["version"]
    assert_one_line_error(result, f"holds model {version}", "--force")
    assert (model_dir / "model_card.json").read_bytes() == card


def test_a_new_run_never_replaces_an_interrupted_one_unless_forced(model_dir, tmp_path):
    stopped = tmp_path / "stopped"
    shutil.copytree(model_dir / "checkpoint", stopped / "checkpoint")
    status = json.loads((model_dir / "status.json").read_text()) | {"state": "interrupted"}
    (stopped / "status.json").write_text(json.dumps(status))
    result = _train_into(stopped, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_line_error(result, "stopped after epoch 1 of 1", "--resume", "--force")
    assert sorted(p.name for p in stopped.iterdir()) == ["checkpoint", "status.json"]


def test_a_second_training_into_the_same_folder_is_refused_while_the_first_runs(tmp_path):
    import fcntl

    busy = tmp_path / "busy"
    busy.mkdir()
    held = os.open(busy, os.O_RDONLY)  # as a running `genai-bot train` holds it
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = _train_into(busy, cwd=tmp_path)
    finally:
        os.close(held)
    assert result.returncode == 2
    assert_one_line_error(result, "another genai-bot train is writing into", "busy")
    assert list(busy.iterdir()) == []


def test_a_run_into_a_file_or_on_too_few_digits_is_refused_in_one_line(tmp_path):
    a_file = tmp_path / "model.txt"
    a_file.write_text("notes")
    result = _train_into(a_file, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_line_error(result, "model.txt", "is a file")
    digits = load_digits(MNIST_SLICE)
    no_fives = tmp_path / "no-fives.npz"
    np.savez(no_fives, x=(digits.images[digits.labels != 5, ..., 0] * 255).astype(np.uint8),
             y=digits.labels[digits.labels != 5])  # fmt: skip
    result = genai_bot("train", "--data", str(no_fives), "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert_one_line_error(result, "no-fives.npz", "5: 0", "at least 40 of each digit")
    assert not (tmp_path / "run").exists()  # no empty run folder left behind


def test_a_run_that_diverges_stops_in_one_line_and_exports_nothing(tmp_path):
    result = _train_into(tmp_path / "run", "--learning-rate", "1e10", cwd=tmp_path)
    assert result.returncode == 1
    assert_one_line_error(result, "the training diverged", "nan", "lower learning rate")
    assert not (tmp_path / "run" / "model_card.json").exists()
    assert json.loads((tmp_path / "run" / "status.json").read_text())["state"] == "failed"


def test_an_image_is_never_written_over_the_users_own_picture(tmp_path):
    # Each command's default --out, named like the user's picture.
    pictures = {"handwriting.png": "PNG", "morph.gif": "GIF"}
    for name, kind in pictures.items():
        Image.new("L", (64, 64), 255).save(tmp_path / name, format=kind)
    before = {name: (tmp_path / name).read_bytes() for name in pictures}
    for args in (
        ("handwriting", "--image", "handwriting.png"),
        ("morph", "3", "--start-image", "./morph.gif"),
    ):
        result = genai_bot(*args, cwd=tmp_path, model_dir=tmp_path / "no-model")
        assert result.returncode == 2
        assert_one_line_error(result, "is the picture given with --")
    assert {name: (tmp_path / name).read_bytes() for name in pictures} == before
