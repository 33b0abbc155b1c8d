"""`genai-bot verify` on the files `genai-bot demo` writes, as real processes: valid, signed by
the local authority the CLI created, made by a trained algorithm with the shipped model; one
flipped byte is reported as changed after signing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genai_models.vae.serving.card import PRETRAINED_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_VERSION = json.loads((PRETRAINED_DIR / "model_card.json").read_text())["version"]
DEMO_FILES = ("digits.png", "morph.gif", "latent-map.png")


def genai_bot(*args: str, cwd: Path, log_level: str = "WARNING") -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GENAI_", "DISCORD_", "OPENAI_"))
    }
    env |= {"PYTHONPATH": str(REPO_ROOT), "LOG_LEVEL": log_level}
    return subprocess.run(
        [sys.executable, "-c", "from bot.__main__ import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo's files, drawn once by a real `genai-bot demo` in a fresh folder."""
    folder = tmp_path_factory.mktemp("demo")
    run = genai_bot("demo", "--out", "out", cwd=folder, log_level="INFO")
    assert run.returncode == 0, run.stderr
    # No certificate configured: the CLI said it made its own local signing certificate.
    assert "created a local Content Credentials signing certificate" in run.stderr
    assert "not from a trusted issuer" in run.stderr
    return folder


def test_verify_reads_the_demos_files_as_valid_and_made_by_the_shipped_model(demo):
    run = genai_bot("verify", *(f"out/{name}" for name in DEMO_FILES), cwd=demo)
    assert run.returncode == 0, run.stdout + run.stderr
    blocks = run.stdout.split("out/")[1:]
    assert len(blocks) == 3
    for block in blocks:
        assert "valid Content Credentials (signer not on a trust list)" in block
        assert "signed by: genai-bot (local, untrusted)" in block
        assert "made by: a trained algorithm (AI-generated), with genai-bot" in block
        assert f"model VAE {SHIPPED_VERSION}" in block
        assert "changed after signing: no" in block


def test_verify_reports_one_flipped_byte_as_changed(demo):
    data = bytearray((demo / "out/digits.png").read_bytes())
    data[data.index(b"IDAT") + 20] ^= 0x01
    (demo / "changed.png").write_bytes(bytes(data))
    run = genai_bot("verify", "--json", "changed.png", "out/morph.gif", cwd=demo)
    assert run.returncode == 1  # not every file is valid
    changed, morph = (json.loads(line) for line in run.stdout.splitlines())
    assert changed["changed_after_signing"] and not changed["valid"]
    assert changed["model"] == f"VAE {SHIPPED_VERSION}"  # still readable, no longer vouched for
    assert morph["valid"] and morph["trained_algorithm"]
    assert morph["parameters"]["start"] == 7 and morph["parameters"]["end"] == 1


def test_verify_trusts_the_local_authority_only_when_told_to_and_names_unsigned_files(demo):
    (demo / "plain.txt").write_text("not an image")
    run = genai_bot("verify", "--trust", "data/c2pa/ca.pem", "out/digits.png", "plain.txt", cwd=demo)
    assert "valid Content Credentials (issuer trusted with --trust)" in run.stdout
    assert "plain.txt:" in run.stdout and "no Content Credentials" in run.stdout
    assert run.returncode == 1 and "Traceback" not in run.stderr


def test_with_trust_a_file_another_authority_signed_does_not_pass(demo, tmp_path):
    """Every genai-bot's own authority signs as "genai-bot (local, untrusted)": --trust is how a
    script tells its own bot's images from another install's, so the exit status must."""
    from genai_models.imaging.local_authority import local_identity

    local_identity(tmp_path / "elsewhere")  # another install's authority
    run = genai_bot("verify", "--trust", str(tmp_path / "elsewhere" / "ca.pem"), "out/digits.png", cwd=demo)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "valid Content Credentials (but NOT signed by an issuer --trust names)" in run.stdout
    mine = genai_bot("verify", "--trust", "data/c2pa/ca.pem", "out/digits.png", cwd=demo)
    assert mine.returncode == 0, mine.stdout + mine.stderr


@pytest.mark.parametrize("trusted", ["data/c2pa/ca.key", "out/digits.png"])
def test_a_trust_file_that_holds_no_certificate_is_refused_in_one_line(demo, trusted):
    run = genai_bot("verify", "--trust", trusted, "out/digits.png", cwd=demo)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    (message,) = run.stderr.strip().splitlines()
    assert f"--trust {trusted}: no PEM certificate in it" in message


def test_unreadable_files_are_json_too_and_nothing_is_read_that_is_no_regular_file(demo):
    (demo / "a-folder.png").mkdir(exist_ok=True)
    run = genai_bot("verify", "--json", "a-folder.png", "/dev/zero", "out/digits.png", cwd=demo)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    folder, endless, good = (json.loads(line) for line in run.stdout.splitlines())
    assert folder["file"] == "a-folder.png" and "cannot read" in folder["error"]
    assert endless["error"] == "cannot read: not a regular file"
    assert good["valid"] is True
