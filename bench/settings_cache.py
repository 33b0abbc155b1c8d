"""`python -m bench.settings_cache`: what reading a server's rules costs each command.

Every interaction's admission reads its server's rules and its user's preferences
(bot.guild_rules.ServerRules). Measured in the same run, on a real SQLite database migrated by
the bot's own code:

- a cache hit (what almost every command pays): both reads from memory;
- a cache miss (the first command of a server or user after a change): two small queries;
- the baseline: drawing one /digit image with the shipped model, the work the command does.

The ratio hit / digit is what must stay negligible; the miss is paid once per server and user
after each change, not per command.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

QUICK_ARGV = ["--rounds", "2000", "--digits", "20"]


async def _measure(rounds: int, data_dir: Path) -> tuple[float, float]:
    from bot.guild_rules import OperatorBounds, ServerRules, SettingsStore
    from bot.storage import Database, default_url

    database = await Database.open(default_url(data_dir))
    try:
        store = SettingsStore(database, retention_days=90)
        rules = ServerRules(OperatorBounds(cooldowns_s={"digit": 3.0}), store)
        await rules.set_guild(1, "cooldown.digit", 10.0, actor_id=7)
        await rules.set_preference(7, "language", "es")
        await rules.rules(1)
        await rules.preferences(7)
        started = time.perf_counter()
        for _ in range(rounds):
            await rules.rules(1)
            await rules.preferences(7)
        hit = (time.perf_counter() - started) / rounds
        misses = []
        for _ in range(max(1, rounds // 20)):
            rules.clear()
            started = time.perf_counter()
            await rules.rules(1)
            await rules.preferences(7)
            misses.append(time.perf_counter() - started)
        return hit, statistics.median(misses)
    finally:
        await database.close()


def _digit_seconds(count: int) -> float:
    from genai_models.vae.serving.drawing import draw_digits
    from genai_models.vae.serving.sampler import DigitSampler

    sampler = DigitSampler.load()
    draw_digits(sampler, 3, count=1, seed=0, offset=None, mark=True)  # warm-up
    times = []
    for seed in range(count):
        started = time.perf_counter()
        draw_digits(sampler, 3, count=1, seed=seed, offset=None, mark=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--digits", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        hit, miss = asyncio.run(_measure(args.rounds, Path(scratch)))
    digit = _digit_seconds(args.digits)
    print(f"server rules + preferences, cache hit : {hit * 1e6:8.1f} µs per command ({args.rounds} rounds)")
    print(f"server rules + preferences, cache miss: {miss * 1e3:8.2f} ms (SQLite, median)")
    print(f"baseline: one /digit image drawn       : {digit * 1e3:8.2f} ms (median of {args.digits})")
    print(f"ratio hit / digit: {hit / digit:.5f}   ratio miss / digit: {miss / digit:.3f}")


if __name__ == "__main__":
    main()
