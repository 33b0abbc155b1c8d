"""Which arithmetic training uses: bfloat16 where the CPU computes it natively, else float32.

Keras's `mixed_bfloat16` policy keeps every weight in float32 and runs the convolutions in
bfloat16. On a CPU with bfloat16 dot-product instructions (AVX512_BF16, AMX) a training step
then takes about 85% of its float32 time (measured here; bench.vae_speed). Without those
instructions oneDNN must convert in software, which cannot be measured on these machines and is
not expected to pay, so "auto" picks bfloat16 only where the CPU says it has them.
The served model always computes in float32 (training.export_model).
"""

from __future__ import annotations

from pathlib import Path

PRECISIONS = ("auto", "bfloat16", "float32")
# Keras dtype policies for the heavy layers; the small ones stay float32 (see model.py).
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
    """"auto" → "bfloat16" or "float32" for this machine; explicit choices pass through."""
    if requested not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {requested!r}")
    if requested != "auto":
        return requested
    return "bfloat16" if cpu_computes_bfloat16(cpuinfo) else "float32"
