"""The container recipe keeps secrets and clutter out of the build and runs as it should."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
# What requirements.lock is resolved for (`make lock`): the image's python:3.11-slim on x86_64.
IMAGE_PLATFORM = {
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "python_version": "3.11",
    "python_full_version": "3.11.0",
}


def _sent_to_the_build(path: str) -> bool:
    """Whether .dockerignore lets `path` into the build context (Docker's last match wins)."""
    sent = True
    for line in (REPO / ".dockerignore").read_text().splitlines():
        rule = line.strip()
        if not rule or rule.startswith("#"):
            continue
        negate = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        if (
            fnmatch.fnmatch(path, pattern)
            or fnmatch.fnmatch(path, pattern + "/*")
            or (pattern.startswith("**/") and fnmatch.fnmatch(Path(path).name, pattern[3:]))
        ):
            sent = negate
    return sent


def test_the_build_context_holds_no_secret_and_no_clutter():
    for path in (
        ".env",
        ".git/config",
        ".venv/bin/python",
        "runs/vae/status.json",
        "out/digits.png",
        "build/lib/bot/client.py",
        "tests/conftest.py",
        "bot/__pycache__/client.cpython-311.pyc",
    ):
        assert not _sent_to_the_build(path), path
    for path in ("pyproject.toml", "README.md", "bot/client.py", "genai_models/vae/pretrained/vae.keras"):
        assert _sent_to_the_build(path), path


def test_the_dockerfile_runs_unprivileged_with_a_health_check_and_a_stop_signal():
    dockerfile = (REPO / "Dockerfile").read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "USER genai" in final_stage and "chown genai:genai /data" in final_stage
    assert "HEALTHCHECK" in final_stage and '"genai-bot", "health"]' in final_stage
    assert "STOPSIGNAL SIGTERM" in final_stage
    assert "COPY --from=deps /opt/venv /opt/venv" in final_stage and "from=build,source=/wheel" in final_stage
    assert "COPY bot" not in final_stage  # the code is in the venv's wheel install, once


def test_the_image_can_be_scraped_and_says_what_it_is():
    final_stage = (REPO / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1]
    assert "EXPOSE 8080" in final_stage
    assert "GENAI_METRICS_HOST=0.0.0.0" in final_stage and "GENAI_METRICS_PORT=8080" in final_stage
    for label in ("title", "description", "version", "licenses"):
        assert f"org.opencontainers.image.{label}=" in final_stage, label


def test_the_image_installs_exactly_the_locked_dependencies():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r /src/requirements.lock" in dockerfile
    assert _sent_to_the_build("requirements.lock") and _sent_to_the_build("deploy/container/entrypoint.sh")
    locked = _locked_versions()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate(IMAGE_PLATFORM):
            continue  # another platform's alternative (tensorflow beside tensorflow-cpu)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock: run `make lock`"
        assert any(requirement.specifier.contains(v) for v in locked[name]), (
            f"requirements.lock pins {name} {locked[name]}, outside {requirement.specifier}: run `make lock`"
        )


def _locked_versions() -> dict[str, list[str]]:
    versions: dict[str, list[str]] = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            pin = line.split(";")[0].rstrip(" \\")
            name, version = pin.split("==")
            versions.setdefault(canonicalize_name(name), []).append(version)
    return versions


@pytest.mark.parametrize("empty", [True, False])
def test_the_entrypoint_gives_empty_settings_the_images_defaults(empty):
    """An env file copied from .env.example passes `GENAI_METRICS_PORT=`: that means 8080 here,
    as an unset variable does, while a value the operator set is kept."""
    names = (
        "GENAI_METRICS_PORT",
        "GENAI_METRICS_HOST",
        "GENAI_SHUTDOWN_GRACE",
        "GENAI_DATA_DIR",
        "GENAI_TRAINING_DIR",
        "GENAI_TRAINING_DATA",
    )
    environment = {"PATH": os.environ["PATH"], **dict.fromkeys(names, "")}
    if not empty:
        environment.pop("GENAI_DATA_DIR")
        environment["GENAI_METRICS_PORT"] = "9100"
    shown = subprocess.run(
        ["sh", str(REPO / "deploy/container/entrypoint.sh"), "env"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert ("GENAI_METRICS_PORT=8080" if empty else "GENAI_METRICS_PORT=9100") in shown
    assert "GENAI_METRICS_HOST=0.0.0.0" in shown and "GENAI_SHUTDOWN_GRACE=8" in shown
    assert "GENAI_DATA_DIR=/data" in shown and "GENAI_TRAINING_DIR=/data/runs/vae" in shown
    assert "GENAI_TRAINING_DATA=/opt/genai-bot/datasets/mnist-digits-8k.npz" in shown  # offline /train
