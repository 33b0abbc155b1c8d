"""What reaches the user's terminal: the product's own lines, not TensorFlow's native ones."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from genai_models.vae.native_log_filter import is_noise
from tests.helpers import MNIST_SLICE

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALLED_CLI = Path(sys.executable).with_name("genai-bot")
# The product's lines: its log format (bot.* and genai_models.* loggers) or "genai-bot: …".
PRODUCT_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (INFO|WARNING|ERROR) +(bot|genai_models)\.\S+: |genai-bot: )"
)
ONEDNN_NOTICE = "oneDNN custom operations are on"
WRITES_NATIVE_NOISE = """
import os, sys
from genai_models.vae.native_log_filter import native_noise_filtered
lines = [
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n",
    b"I0000 00:00:1796214333.500721   19351 port.cc:153] oneDNN custom operations are on.\\n",
    b"product line one\\n",
    b"E0000 00:00:1796214391.101983   19687 node_def_util.cc:682] NodeDef mentions attribute "
    b"use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset>\\n",
    b"E0000 00:00:1796214391.101983   19687 some_kernel.cc:12] a real native error\\n",
    b"product line two, written in ", b"two pieces\\n",
    b"no newline at the end",
]
with native_noise_filtered(enabled=sys.argv[1] == "on"):
    for line in lines:
        os.write(2, line)
print("after", file=sys.stderr)
"""


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DISCORD_", "GENAI_"))}
    return base | {"PYTHONPATH": str(REPO_ROOT)} | extra


@pytest.mark.parametrize("mode", ["on", "off"])
def test_the_filter_drops_only_tensorflows_native_lines_and_keeps_the_order(mode):
    run = subprocess.run([sys.executable, "-c", WRITES_NATIVE_NOISE, mode], env=_env(),
                         capture_output=True, timeout=60, check=True)  # fmt: skip
    kept = run.stderr.decode().splitlines()
    if mode == "off":
        assert len(kept) == 7 and ONEDNN_NOTICE in kept[1]
        return
    assert kept == [
        "product line one",
        "E0000 00:00:1796214391.101983   19687 some_kernel.cc:12] a real native error",
        "product line two, written in two pieces",
        "no newline at the endafter",
    ]


@pytest.mark.slow
def test_training_shows_only_the_products_lines_on_stderr(tmp_path):
    run = subprocess.run(
        [INSTALLED_CLI, "train", "--data", str(MNIST_SLICE), "--epochs", "1", "--out", "run"],
        cwd=tmp_path, env=_env(LOG_LEVEL="INFO"), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert any("training on 450 digits" in line for line in lines)
    assert [line for line in lines if not PRODUCT_LINE.match(line)] == []
    assert "validation loss" in run.stdout


@pytest.mark.slow
def test_log_level_debug_shows_tensorflows_own_lines(tmp_path):
    # `train`: serving commands no longer import TensorFlow (docs/serving.md).
    run = subprocess.run(
        [INSTALLED_CLI, "train", "--data", str(MNIST_SLICE), "--epochs", "1", "--out", "run"],
        # TF_CPP_MIN_LOG_LEVEL=0: TensorFlow then writes its start-up info lines on any CPU
        # (oneDNN's notice on some, the CPU-feature notice on others); the filter would drop them.
        cwd=tmp_path, env=_env(LOG_LEVEL="DEBUG", TF_CPP_MIN_LOG_LEVEL="0"), capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert any(is_noise(line.encode()) for line in run.stderr.splitlines()), run.stderr[-2000:]
    assert (tmp_path / "run" / "model_card.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(("level", "shows_info"), [("WARNING", False), ("INFO", True)])
def test_log_level_warning_prints_no_info_lines(tmp_path, level, shows_info):
    run = subprocess.run(
        [INSTALLED_CLI, "digit", "--count", "1", "--out", "one.png"],
        cwd=tmp_path, env=_env(LOG_LEVEL=level), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    info_lines = [line for line in run.stderr.splitlines() if " INFO " in line]
    assert bool(info_lines) is shows_info, run.stderr
