"""`python -m bench --write-docs` writes what each bench printed, under the command that ran it."""

from __future__ import annotations

import sys
import types

from bench import __main__ as bench_main


def test_written_docs_hold_each_bench_output_and_its_command(tmp_path, monkeypatch, capsys):
    fake = types.ModuleType("bench.fake_speed")
    fake.QUICK_ARGV = ["--rounds", "3"]

    def main(argv):
        print(f"ours 2.0 ms, baseline 8.0 ms: 4.0x ({' '.join(argv)})")
        return 0

    fake.main = main
    monkeypatch.setitem(sys.modules, "bench.fake_speed", fake)
    monkeypatch.setattr(bench_main, "BENCHES", ("fake_speed",))
    doc = tmp_path / "docs" / "benchmarks.md"

    assert bench_main.main(["--write-docs", str(doc)]) == 0

    text = doc.read_text()
    assert "`python -m bench.fake_speed --rounds 3` — ok" in text
    assert "ours 2.0 ms, baseline 8.0 ms: 4.0x (--rounds 3)" in text
    assert "ours 2.0 ms" in capsys.readouterr().out  # still shown while it runs


def test_a_failing_bench_is_recorded_as_failed_and_fails_the_run(tmp_path, monkeypatch):
    fake = types.ModuleType("bench.fake_broken")
    fake.main = lambda argv: 1
    monkeypatch.setitem(sys.modules, "bench.fake_broken", fake)
    monkeypatch.setattr(bench_main, "BENCHES", ("fake_broken",))
    doc = tmp_path / "benchmarks.md"

    assert bench_main.main(["--write-docs", str(doc)]) == 1
    assert "`python -m bench.fake_broken` — failed" in doc.read_text()


def test_running_one_bench_replaces_its_section_and_keeps_the_others(tmp_path, monkeypatch):
    printed = {"fake_a": "a: first run", "fake_b": "b: first run"}
    for name in printed:
        fake = types.ModuleType(f"bench.{name}")
        fake.main = lambda argv, name=name: print(printed[name]) or 0
        monkeypatch.setitem(sys.modules, f"bench.{name}", fake)
    monkeypatch.setattr(bench_main, "BENCHES", ("fake_a", "fake_b"))
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nan older page, written by hand\n")
    assert bench_main.main(["--write-docs", str(doc)]) == 0
    assert "written by hand" not in doc.read_text()

    printed["fake_a"], printed["fake_b"] = "a: second run", "b: never shown"
    assert bench_main.main(["fake_a", "--write-docs", str(doc)]) == 0

    text = doc.read_text()
    assert "a: second run" in text and "a: first run" not in text
    assert "b: first run" in text and "b: never shown" not in text
    assert text.index("## fake_a") < text.index("## fake_b") and text.count("# Benchmarks") == 1
