"""What serving digits costs a process from its start: ONNX Runtime with the stored serving
files, against the TensorFlow path, in the same run.

1. `genai-bot digit 7 --seed 1 --out FILE`, the installed CLI as a user runs it: wall time and
   peak RSS (the child's own, from wait4 in a small launcher: see LAUNCHER).
2. A bot-like process: every import the bot makes (its client, cogs and CLI), then the model
   loaded as the bot loads it ("ready"), then its pools drawn (as the digit cog does after
   start-up) and one round of every feature (/digit, /morph, /handwriting, /latent-map): time
   to ready, RSS after the round ("steady") and peak RSS.

The TensorFlow path is what serving did before the serving files: the same code with the
Keras models as its networks (training's KerasNetworks) and the pools vetted, the plane fitted
and its axes measured at load. Each variant runs `--repeats` times, alternating; medians.

`python -m bench.serving_start [--repeats N] [--model-dir DIR]`
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

QUICK_ARGV = ["--repeats", "2"]

# Loads the model as serving does now (ONNX), or as it did (TensorFlow): prints nothing.
LOAD = {
    "onnx": """
from genai_models.vae.serving.sampler import DigitSampler
sampler = DigitSampler.load(MODEL_DIR)
""",
    # As serving ran before: compiled functions of fixed signature, batches of at most 512.
    "tensorflow": """
import numpy as np
import tensorflow as tf
from genai_models.vae.serving.card import read_verified_card
from genai_models.vae.serving.sampler import DigitSampler
from genai_models.vae.serving.serving_files import vet_sampler
from genai_models.vae.training.onnx_export import KerasNetworks

class CompiledKeras:
    def __init__(self, keras_networks):
        vae, checker = keras_networks.vae, keras_networks.checker
        self.latent_dim = keras_networks.latent_dim
        z = tf.TensorSpec([None, self.latent_dim], tf.float32)
        c = tf.TensorSpec([None, 10], tf.float32)
        x = tf.TensorSpec([None, 28, 28, 1], tf.float32)
        self._decode = tf.function(lambda z, c: vae.decoder([z, c], training=False)[..., 0],
                                   input_signature=[z, c]).get_concrete_function()
        self._encode = tf.function(lambda x: vae.encoder(x, training=False)[0],
                                   input_signature=[x]).get_concrete_function()
        self._classify = tf.function(lambda x: checker(x, training=False),
                                     input_signature=[x]).get_concrete_function()

    def _chunks(self, function, *arrays):
        return np.concatenate([function(*(tf.constant(a[i:i + 512], tf.float32) for a in arrays)).numpy()
                               for i in range(0, len(arrays[0]), 512)])

    def logits(self, z, weights):
        return self._chunks(self._decode, np.asarray(z, "float32"), np.asarray(weights, "float32"))

    def encode(self, images):
        return self._chunks(self._encode, np.asarray(images, "float32"))

    def classify(self, images):
        return self._chunks(self._classify, np.asarray(images, "float32"))

card = read_verified_card(MODEL_DIR)
sampler = DigitSampler(CompiledKeras(KerasNetworks.load(MODEL_DIR)), card)
sampler.serve(vet_sampler(sampler), MODEL_DIR)
""",
}

CLI_TENSORFLOW = """
import sys
from pathlib import Path
MODEL_DIR = Path(sys.argv[1])
from bot.cli.vae import _write
from genai_models.vae.serving.drawing import draw_digits
{load}
_write(Path(sys.argv[2]), draw_digits(sampler, 7, count=9, seed=1))
"""

BOT_ROUND = """
import io, json, sys, time
started = time.perf_counter()
from pathlib import Path
MODEL_DIR = Path(sys.argv[1])
import bot.client, bot.cli.run
import bot.features.digits.cog, bot.features.poems.cog, bot.features.training.cog, bot.features.about.cog
{load}
ready = time.perf_counter() - started
from genai_models.vae.serving.drawing import (
    draw_digits, draw_handwriting, draw_latent_map, draw_morph)
sampler.draw_pools()  # every pool point drawn: a bot that has served many /digit
digits = sampler.digits(4, count=1, seed=0)[0]
draw_digits(sampler, None, count=9, seed=1)
draw_morph(sampler, 3, 8, frames=24, seed=2)
draw_handwriting(sampler, digits, 4)
draw_latent_map(sampler, None)
draw_latent_map(sampler, 7)
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))
print(json.dumps({{"ready_s": ready, "steady_rss_mib": rss / 1024,
                   "tensorflow": "tensorflow" in sys.modules}}))
"""


# Starts argv[2:] and writes its wall time and peak RSS into the file argv[1]. The peak a parent
# reads from wait4 is not the child's alone: Linux carries the high-water RSS of the process a
# child was forked from into the child's own across exec, so a child of a grown process (the
# bench after other benches in the same `python -m bench`) reports the parent's peak when its
# own is lower. Spawned by this small interpreter (no site, no imports of ours), the command's
# figure is its own, or this launcher's few MiB at the least.
LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as result:
    json.dump({"wall_s": wall, "peak_kib": usage.ru_maxrss}, result)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, the child's own peak RSS in MiB, its stdout), through LAUNCHER."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.TemporaryDirectory() as folder,
    ):
        measured = Path(folder) / "measured.json"
        launcher = [sys.executable, "-S", "-c", LAUNCHER, str(measured)]
        code = subprocess.run([*launcher, *argv], env=env, stdout=out, stderr=err).returncode
        out.seek(0), err.seek(0)
        if code != 0:
            raise RuntimeError(f"{' '.join(argv[:3])} failed: {err.read().strip()[-400:]}")
        figures = json.loads(measured.read_text())
        return figures["wall_s"], figures["peak_kib"] / 1024, out.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serving_start")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    from genai_models.vae.serving.card import PRETRAINED_DIR

    model_dir = (args.model_dir or PRETRAINED_DIR).resolve()
    cli = Path(sys.executable).with_name("genai-bot")
    env = {key: value for key, value in os.environ.items() if not key.startswith("GENAI_")}
    env["GENAI_MODEL_DIR"] = str(model_dir)
    env["LOG_LEVEL"] = "ERROR"
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        env["GENAI_DATA_DIR"] = folder
        out = Path(folder) / "digits.png"
        for _ in range(args.repeats):
            for variant in ("onnx", "tensorflow"):
                figures = results.setdefault(variant, {})
                command = (
                    [str(cli), "digit", "7", "--count", "9", "--seed", "1", "--out", str(out)]
                    if variant == "onnx"
                    else [
                        sys.executable,
                        "-c",
                        CLI_TENSORFLOW.format(load=LOAD[variant]),
                        str(model_dir),
                        str(out),
                    ]
                )
                wall, peak, _ = run_measured(command, env)
                figures.setdefault("cli_wall_s", []).append(wall)
                figures.setdefault("cli_peak_mib", []).append(peak)
                wall, peak, stdout = run_measured(
                    [sys.executable, "-c", BOT_ROUND.format(load=LOAD[variant]), str(model_dir)], env
                )
                round_figures = json.loads(stdout.strip().splitlines()[-1])
                figures.setdefault("bot_ready_s", []).append(round_figures["ready_s"])
                figures.setdefault("bot_steady_mib", []).append(round_figures["steady_rss_mib"])
                figures.setdefault("bot_peak_mib", []).append(peak)
                figures.setdefault("tensorflow_imported", []).append(round_figures["tensorflow"])
    report(results, args.repeats, model_dir)
    return 0


LABELS = {
    "cli_wall_s": ("genai-bot digit: wall", "s"),
    "cli_peak_mib": ("genai-bot digit: peak RSS", "MiB"),
    "bot_ready_s": ("bot process: start to model-ready", "s"),
    "bot_steady_mib": ("bot process: RSS after a round of every feature", "MiB"),
    "bot_peak_mib": ("bot process: peak RSS", "MiB"),
}


def report(results: dict, repeats: int, model_dir: Path) -> None:
    print(
        f"serving from a process's start, model in {model_dir}; medians of {repeats} runs "
        "each, alternating (ONNX Runtime + stored serving files vs the TensorFlow path)"
    )
    print(f"  {'':48} {'ONNX':>9} {'TensorFlow':>11} {'ratio':>7}")
    for key, (label, unit) in LABELS.items():
        ours = statistics.median(results["onnx"][key])
        theirs = statistics.median(results["tensorflow"][key])
        print(
            f"  {label:48} {ours:8.2f}{unit[0] if unit == 's' else ''} "
            f"{theirs:10.2f}{unit[0] if unit == 's' else ''} {ours / theirs:7.2f}x"
            + ("" if unit == "s" else f"   ({unit})")
        )
    print(
        f"  TensorFlow imported by the bot-like process: ONNX path "
        f"{any(results['onnx']['tensorflow_imported'])}, TensorFlow path "
        f"{any(results['tensorflow']['tensorflow_imported'])}"
    )


if __name__ == "__main__":
    sys.exit(main())
