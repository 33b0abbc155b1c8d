"""`python -m bench.NAME --help` shows each bench's settings and runs nothing (the benchmarks page
tells readers to start there)."""

import contextlib
import io
import sys

import pytest

from bench.__main__ import BENCHES, _call_main


@pytest.mark.parametrize("name", BENCHES)
def test_every_bench_answers_help_without_running(name, monkeypatch):
    module = __import__(f"bench.{name}", fromlist=["main"])
    out = io.StringIO()
    monkeypatch.setattr(sys, "argv", ["pytest"])
    with contextlib.redirect_stdout(out):
        assert _call_main(module, ["--help"]) == "ok"
    assert out.getvalue().startswith(f"usage: python -m bench.{name}"), out.getvalue()[:300]
