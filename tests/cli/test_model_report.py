"""`genai-bot model-report` as a user runs it: the shipped model's per-digit table in English
and Spanish, JSON, and one clear line for a model without a report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genai_models.vae.serving.card import CARD_FILE, PRETRAINED_DIR
from tests.helpers import MNIST_SLICE, copy_model

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED = json.loads((PRETRAINED_DIR / "fairness.json").read_text())


def genai_bot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GENAI_", "DISCORD_", "OPENAI_"))
    }
    env |= {"PYTHONPATH": str(REPO_ROOT), "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-c", "from bot.__main__ import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_shipped_models_report_shows_every_digit_and_the_worst_to_best_ratios(tmp_path):
    run = genai_bot("model-report", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"VAE {SHIPPED['model_version']}"
    assert lines[1].split() == ["digit", "fidelity", "precision", "variety", "(recall)"]
    for digit in range(10):
        row = SHIPPED["digits"][digit]
        assert lines[2 + digit].split() == [
            str(digit),
            f"{row['fidelity']:.1%}",
            f"{row['precision']:.2f}",
            f"{row['recall']:.2f}",
        ]
    ratios = SHIPPED["worst_to_best"]
    assert lines[12].split() == [
        "worst/best",
        f"{ratios['fidelity']:.2f}",
        f"{ratios['precision']:.2f}",
        f"{ratios['recall']:.2f}",
    ]
    assert "independent judge (recipe: augmented;" in lines[13]


def test_in_spanish_and_as_json(tmp_path):
    spanish = genai_bot("model-report", "--lang", "es", cwd=tmp_path)
    assert "peor/mejor" in spanish.stdout and "Peor dígito" in spanish.stdout
    # Spanish decimals, and the columns still line up under their headers.
    spanish_rows = spanish.stdout.splitlines()[1:13]
    first = SHIPPED["digits"][0]
    assert spanish_rows[1].split()[-2] == f"{first['precision']:.2f}".replace(".", ",")
    assert len({len(row) for row in spanish_rows}) == 1, spanish.stdout
    as_json = json.loads(genai_bot("model-report", "--json", cwd=tmp_path).stdout)
    assert as_json["worst_digit"]["recall"] == SHIPPED["worst_digit"]["recall"]


def _model_without_a_report(tmp_path) -> Path:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    copy_model(PRETRAINED_DIR, model_dir)
    (model_dir / "fairness.json").unlink()
    card = json.loads((model_dir / CARD_FILE).read_text())
    card.pop("fairness_report")
    (model_dir / CARD_FILE).write_text(json.dumps(card))
    return model_dir


def test_a_model_without_a_report_gets_one_line_saying_how_to_make_it(tmp_path):
    model_dir = _model_without_a_report(tmp_path)
    run = genai_bot("model-report", "--model-dir", str(model_dir), cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    (message,) = run.stderr.strip().splitlines()
    assert "has no per-digit report" in message
    assert f"genai-bot model-report --model-dir {model_dir} --measure" in message


def test_measure_makes_the_missing_report_writes_it_and_shows_it(tmp_path):
    model_dir = _model_without_a_report(tmp_path)
    measured = genai_bot(
        "model-report", "--model-dir", str(model_dir), "--measure", "--json",
        "--data", str(MNIST_SLICE), "--samples", "8", "--judge-epochs", "1",
        cwd=tmp_path,
    )  # fmt: skip
    assert measured.returncode == 0, measured.stderr[-2000:]
    shown = json.loads(measured.stdout)  # the progress lines went to stderr
    card = json.loads((model_dir / CARD_FILE).read_text())
    assert shown["model_version"] == card["version"] and "fairness_report" in card
    assert shown["samples_per_digit"] == 8 and [d["digit"] for d in shown["digits"]] == list(range(10))
    assert len(shown["real_recall"]) == 10 and shown["data"].startswith(f"{MNIST_SLICE.name}: ")
    read_back = genai_bot("model-report", "--model-dir", str(model_dir), "--json", cwd=tmp_path)
    assert json.loads(read_back.stdout) == shown


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((), "its card says moved-away/digits.npz, which is not there; give them with --data DIGITS.npz"),
        (("--data", "missing.npz"), "--data missing.npz: no such file"),
        (("--samples", "5"), "--samples must be more than 5"),
        (("--judge-epochs", "0"), "--judge-epochs must be at least 1"),
    ],
)
def test_measure_refuses_what_it_cannot_use_before_loading_anything(tmp_path, args, fragment):
    model_dir = _model_without_a_report(tmp_path)
    card = json.loads((model_dir / CARD_FILE).read_text())
    card["data"]["source"] = "moved-away/digits.npz"  # where the model was trained, not here
    (model_dir / CARD_FILE).write_text(json.dumps(card))
    run = genai_bot("model-report", "--model-dir", str(model_dir), "--measure", *args, cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    (message,) = run.stderr.strip().splitlines()
    assert fragment in message
    assert "fairness_report" not in json.loads((model_dir / CARD_FILE).read_text())


def test_a_report_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path):
    model_dir = _model_without_a_report(tmp_path)
    (model_dir / "fairness.json").mkdir()  # in the way of the file (even root cannot write it)
    run = genai_bot(
        "model-report", "--model-dir", str(model_dir), "--measure",
        "--data", str(MNIST_SLICE), "--samples", "8", "--judge-epochs", "1",
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == (
        f"genai-bot: the report was measured but cannot be written into {model_dir}: Is a directory"
    )


def test_a_reader_that_stops_early_ends_the_report_without_a_traceback(tmp_path):
    # `genai-bot model-report | head -3`: the pipe closes before the report is written out.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GENAI_")}
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.__main__ import main; main()", "model-report"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(REPO_ROOT), "LOG_LEVEL": "WARNING"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 141  # what a shell reports for a command cut off by its reader
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_measure_keeps_an_existing_report_unless_forced(tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    copy_model(PRETRAINED_DIR, model_dir)
    card = (model_dir / CARD_FILE).read_bytes()
    run = genai_bot("model-report", "--model-dir", str(model_dir), "--measure", cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    (message,) = run.stderr.strip().splitlines()
    assert "already has a per-digit report (judge 98.2% accurate" in message and "--force" in message
    assert (model_dir / CARD_FILE).read_bytes() == card


def test_a_card_that_is_no_json_object_is_one_line(tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    copy_model(PRETRAINED_DIR, model_dir)
    (model_dir / CARD_FILE).write_text("[]")
    run = genai_bot("model-report", "--model-dir", str(model_dir), cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"genai-bot: Model card {model_dir / CARD_FILE} is not a model card (a JSON object)"
    ]


def test_the_shipped_cards_digits_are_found_from_any_folder(tmp_path, monkeypatch):
    """--measure reads the digits a card names: the shipped card names the clone's own file,
    relative to the clone, so a command run elsewhere still finds it (no --data needed)."""
    from bot.cli.model_report import _found

    monkeypatch.chdir(tmp_path)
    source = Path(json.loads((PRETRAINED_DIR / CARD_FILE).read_text())["data"]["source"])
    assert not source.is_absolute() and not source.exists()  # not here...
    assert _found(source) == REPO_ROOT / "datasets" / "mnist-digits-8k.npz"  # ...but in the clone
