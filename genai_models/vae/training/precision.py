"""Which arithmetic training uses: bfloat16 where the CPU computes it natively, else float32.

Keras's `mixed_bfloat16` global policy keeps every weight in float32 and runs the heavy layers
in bfloat16 (the layers that must stay float32 say so where model.py builds them). A CPU with
bfloat16 dot-product instructions (AVX512_BF16, AMX) runs those layers faster that way
(bench.vae_speed --diagnose, docs/benchmarks.md). Without them oneDNN would convert in
software, which is not expected to pay, so "auto" picks bfloat16 only where the CPU lists them.

The policy is Keras's process-wide setting: `training_precision` sets it for one training run
and puts the previous one back, so the served model (built after) always computes in float32.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRECISIONS = ("auto", "bfloat16", "float32")
KERAS_POLICY = {"bfloat16": "mixed_bfloat16", "float32": "float32"}
_BF16_CPU_FLAGS = {"avx512_bf16", "amx_bf16"}


def cpu_computes_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU lists native bfloat16 instructions (Linux; elsewhere False)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool(_BF16_CPU_FLAGS & set(line.partition(":")[2].split()))
    return False


def resolve_precision(requested: str, cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """ "auto" → "bfloat16" or "float32" for this machine; explicit choices pass through."""
    if requested not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {requested!r}")
    if requested != "auto":
        return requested
    return "bfloat16" if cpu_computes_bfloat16(cpuinfo) else "float32"


@contextmanager
def training_precision(precision: str) -> Iterator[None]:
    """Keras's global dtype policy for `precision` ("auto" resolved) inside the block only."""
    from genai_models.vae.backend import keras  # here: importing this module stays cheap (CLI)

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(KERAS_POLICY[resolve_precision(precision)])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
