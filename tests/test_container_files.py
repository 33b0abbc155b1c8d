"""The container recipe keeps secrets and clutter out of the build and runs as it should."""

from __future__ import annotations

import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _sent_to_the_build(path: str) -> bool:
    """Whether .dockerignore lets `path` into the build context (Docker's last match wins)."""
    sent = True
    for line in (REPO / ".dockerignore").read_text().splitlines():
        rule = line.strip()
        if not rule or rule.startswith("#"):
            continue
        negate = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern + "/*") or (
            pattern.startswith("**/") and fnmatch.fnmatch(Path(path).name, pattern[3:])
        ):
            sent = negate
    return sent


def test_the_build_context_holds_no_secret_and_no_clutter():
    for path in (".env", ".git/config", ".venv/bin/python", "runs/vae/status.json", "out/digits.png",
                 "build/lib/bot/client.py", "tests/conftest.py", "bot/__pycache__/client.cpython-311.pyc"):
        assert not _sent_to_the_build(path), path
    for path in ("pyproject.toml", "README.md", "bot/client.py", "genai_models/vae/pretrained/vae.keras"):
        assert _sent_to_the_build(path), path


def test_the_dockerfile_runs_unprivileged_with_a_health_check_and_a_stop_signal():
    dockerfile = (REPO / "Dockerfile").read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "USER genai" in final_stage and "chown genai:genai /data" in final_stage
    assert 'HEALTHCHECK' in final_stage and '"genai-bot", "health"' in final_stage
    assert "STOPSIGNAL SIGTERM" in final_stage
    assert "COPY --from=deps /opt/venv /opt/venv" in final_stage and "from=build,source=/wheel" in final_stage
    assert "COPY bot" not in final_stage  # the code is in the venv's wheel install, once
