"""`--precision auto` picks bfloat16 only on CPUs that compute it natively."""

from __future__ import annotations

import pytest

from genai_models.vae.training.precision import cpu_computes_bfloat16, resolve_precision

ZEN4_FLAGS = "fpu vme avx avx2 avx512f avx512bw avx512_bf16 avx512_vnni"
OLDER_FLAGS = "fpu vme avx avx2 fma avx512f"  # AVX-512 but no bfloat16 instructions


def _cpuinfo(tmp_path, flags: str):
    path = tmp_path / "cpuinfo"
    path.write_text(
        f"processor\t: 0\nmodel name\t: test cpu\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n"
    )
    return path


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (ZEN4_FLAGS, "bfloat16"),
        ("fpu sse2 avx512f amx_bf16 amx_tile", "bfloat16"),
        (OLDER_FLAGS, "float32"),
        ("", "float32"),
    ],
    ids=["avx512_bf16", "amx_bf16", "no-bf16", "no-flags"],
)
def test_auto_follows_the_cpu_flags(tmp_path, flags, expected):
    assert resolve_precision("auto", _cpuinfo(tmp_path, flags)) == expected


def test_without_a_cpuinfo_file_auto_is_float32(tmp_path):
    assert not cpu_computes_bfloat16(tmp_path / "missing")
    assert resolve_precision("auto", tmp_path / "missing") == "float32"


@pytest.mark.parametrize("choice", ["bfloat16", "float32"])
def test_an_explicit_choice_is_kept_whatever_the_cpu(tmp_path, choice):
    assert resolve_precision(choice, _cpuinfo(tmp_path, OLDER_FLAGS)) == choice


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="auto, bfloat16, float32"):
        resolve_precision("float16")
