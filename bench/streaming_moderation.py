"""`python -m bench.streaming_moderation`: what checking a poem while it streams costs.

With moderation on, the bot shows only text that passed the output check: growing prefixes of
the poem, ending at line or sentence boundaries, are checked one at a time as it streams
(genai_models.text.prefix_checks), and the finished poem once more. Against the same FakeOpenAI
(a paced stream, a moderation endpoint with a set latency), interleaved round by round:

- baseline: the check as it was before, the topic and the finished poem only, each received
  piece shown at once (flagged text included): a Poet without moderation, with the same two
  moderation requests made around it;
- checked: a moderated Poet, showing what `checked_text` lets the reader see, as the bot does.

Figures per poem: moderation requests; time until the first line is visible; the mean lag
between a character arriving and its being visible; the time to the finished poem.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import time
from dataclasses import dataclass

import openai

from genai_models.text import PoemRequest, Poet, PoetConfig
from genai_models.text.moderation import MODERATION_MODEL
from tests.fakes.openai_server import FakeOpenAI

API_KEY = "sk-bench"
REQUEST = PoemRequest(topic="la luna", language="es")
QUICK_ARGV = ["--rounds", "5"]


@dataclass
class Reading:
    first_visible_s: float
    mean_lag_s: float
    total_s: float
    moderation_requests: int


async def read_poem(
    poet: Poet, server: FakeOpenAI, *, checked: bool, moderate: openai.AsyncOpenAI | None = None
) -> Reading:
    """One poem; `moderate` (the baseline) checks the topic and the poem around it."""
    before = len(server.moderation_requests)
    started = time.perf_counter()
    arrived: list[float] = []  # when each character arrived
    visible_at: list[float] = []  # when each character became visible
    if moderate is not None:
        await moderate.moderations.create(input=REQUEST.topic, model=MODERATION_MODEL)
    stream = poet.write(REQUEST)
    async for _ in stream:
        now = time.perf_counter()
        arrived += [now] * (len(stream.text) - len(arrived))
        shown = stream.checked_text if checked else stream.text
        visible_at += [now] * (len(shown) - len(visible_at))
    poem = await stream.final()
    if moderate is not None:
        await moderate.moderations.create(input=poem.text, model=MODERATION_MODEL)
    done = time.perf_counter()
    arrived += [done] * (len(poem.text) - len(arrived))
    visible_at += [done] * (len(poem.text) - len(visible_at))  # the finished poem is shown whole
    lags = [v - a for a, v in zip(arrived, visible_at, strict=True)]
    return Reading(
        visible_at[0] - started,
        statistics.fmean(lags),
        done - started,
        len(server.moderation_requests) - before,
    )


async def run(rounds: int, lines: int, chunk_delay_s: float, moderation_delay_s: float) -> None:
    reply = "\n".join(f"verso {i} de la luna que canta sobre el mar" for i in range(lines))
    async with FakeOpenAI(
        reply=reply, api_key=API_KEY, chunk_delay_s=chunk_delay_s, moderation_delay_s=moderation_delay_s
    ) as server:
        config = PoetConfig(api_key=API_KEY, base_url=server.base_url, moderation="on", max_retries=0)
        async with (
            Poet(config=config) as poet,
            Poet(config=dataclasses.replace(config, moderation="off")) as unmoderated,
            openai.AsyncOpenAI(api_key=API_KEY, base_url=server.base_url, max_retries=0) as client,
        ):
            variants = {
                "baseline": lambda: read_poem(unmoderated, server, checked=False, moderate=client),
                "checked": lambda: read_poem(poet, server, checked=True),
            }
            for read in variants.values():  # warm up
                await read()
            readings: dict[str, list[Reading]] = {name: [] for name in variants}
            for round_number in range(rounds):
                # Alternate who goes first so neither always meets a warmer server.
                for name in sorted(variants, reverse=bool(round_number % 2)):
                    readings[name].append(await variants[name]())
            baseline, checked = readings["baseline"], readings["checked"]

    def median(readings: list[Reading], name: str) -> float:
        return statistics.median(getattr(r, name) for r in readings)

    print(
        f"streaming moderation: {rounds} rounds, {lines}-line poem, {chunk_delay_s * 1000:.0f} ms "
        f"a piece, moderation answering in {moderation_delay_s * 1000:.0f} ms (FakeOpenAI)"
    )
    print(f"{'':30}{'moderation calls':>18}{'first visible':>15}{'mean lag':>11}{'total':>11}")
    for name, rows in (("baseline (shown unchecked)", baseline), ("checked prefixes", checked)):
        print(
            f"{name:30}{median(rows, 'moderation_requests'):>18.0f}"
            f"{median(rows, 'first_visible_s') * 1000:>12.0f} ms"
            f"{median(rows, 'mean_lag_s') * 1000:>8.0f} ms"
            f"{median(rows, 'total_s') * 1000:>8.0f} ms"
        )
    ratios = [
        median(checked, n) / median(baseline, n)
        for n in ("moderation_requests", "first_visible_s", "total_s")
    ]
    print(
        f"ratio checked/baseline: {ratios[0]:.2f}x moderation calls, {ratios[1]:.2f}x time to "
        f"first visible text, {ratios[2]:.2f}x time to the finished poem"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.streaming_moderation", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rounds", type=int, default=20, help="poems per variant (default 20)")
    parser.add_argument("--lines", type=int, default=12, help="lines in the poem (default 12)")
    parser.add_argument(
        "--chunk-delay-ms", type=float, default=40.0, help="pause before each streamed piece (default 40)"
    )
    parser.add_argument(
        "--moderation-ms", type=float, default=150.0, help="moderation endpoint latency (default 150)"
    )
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.lines, args.chunk_delay_ms / 1000, args.moderation_ms / 1000))


if __name__ == "__main__":
    main()
