"""`python -m bench.text_overhead`: what the Poet adds over the raw openai client.

Both stream the same scripted poem, with byte-identical request bodies, from FakeOpenAI on
127.0.0.1, interleaved round by round in one run (so machine load hits both alike):

- total: request sent -> last piece read (Poet: -> `final()` returned, the Poem assembled)
- time to first token (TTFT): request sent -> first non-empty text piece
- CPU: process time spent per poem (client and server together); less sensitive than wall
  time to other processes competing for the machine

Moderation is off for the comparison (it is extra round trips, not overhead); one more line
shows what turning it on costs against the same server. The server shares the event loop with
the clients, so absolute numbers include its work; the ratio is what to watch.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import platform
import statistics
import time

import openai

from genai_models.text import PoemRequest, Poet, PoetConfig
from tests.fakes.openai_server import FakeOpenAI

API_KEY = "sk-bench"
REQUEST = PoemRequest(topic="la inteligencia artificial", language="es", form="sonnet")


@dataclasses.dataclass
class Timing:
    first_token_s: float
    total_s: float
    cpu_s: float


async def raw_poem(client: openai.AsyncOpenAI, arguments: dict) -> Timing:
    """The baseline: the openai client's stream, read the way any caller would."""
    started, cpu_started = time.perf_counter(), time.process_time()
    first = None
    parts = []
    stream = await client.chat.completions.create(**arguments)
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            first = first or time.perf_counter()
            parts.append(chunk.choices[0].delta.content)
    "".join(parts)
    return Timing(first - started, time.perf_counter() - started, time.process_time() - cpu_started)


async def our_poem(poet: Poet) -> Timing:
    started, cpu_started = time.perf_counter(), time.process_time()
    first = None
    stream = poet.write(REQUEST)
    async for _ in stream:
        first = first or time.perf_counter()
    await stream.final()
    return Timing(first - started, time.perf_counter() - started, time.process_time() - cpu_started)


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def run(rounds: int, words: int) -> None:
    reply = "\n".join(" ".join(f"palabra{line}_{i}" for i in range(10)) for line in range(words // 10))
    async with FakeOpenAI(reply=reply, api_key=API_KEY) as server:
        config = PoetConfig(api_key=API_KEY, base_url=server.base_url, moderation="off", max_retries=0)
        async with (
            Poet(config=config) as poet,
            Poet(config=dataclasses.replace(config, moderation="on")) as moderated,
            openai.AsyncOpenAI(
                api_key=API_KEY, base_url=server.base_url, timeout=config.timeout_s, max_retries=0
            ) as client,
        ):
            arguments = poet.chat_arguments(REQUEST)  # the very body the Poet sends
            for _ in range(max(5, rounds // 10)):  # warm up connections and code paths
                await raw_poem(client, arguments)
                await our_poem(poet)
                await our_poem(moderated)
            raw: list[Timing] = []
            ours: list[Timing] = []
            with_moderation: list[Timing] = []
            for round_number in range(rounds):
                # Alternate who goes first so neither always meets a warmer cache.
                if round_number % 2:
                    ours.append(await our_poem(poet))
                    raw.append(await raw_poem(client, arguments))
                else:
                    raw.append(await raw_poem(client, arguments))
                    ours.append(await our_poem(poet))
                with_moderation.append(await our_poem(moderated))

    raw_total = _median_ms([t.total_s for t in raw])
    our_total = _median_ms([t.total_s for t in ours])
    raw_ttft = _median_ms([t.first_token_s for t in raw])
    our_ttft = _median_ms([t.first_token_s for t in ours])
    raw_cpu = _median_ms([t.cpu_s for t in raw])
    our_cpu = _median_ms([t.cpu_s for t in ours])
    paired = _median_ms([o.total_s - r.total_s for o, r in zip(ours, raw, strict=True)])
    paired_cpu = _median_ms([o.cpu_s - r.cpu_s for o, r in zip(ours, raw, strict=True)])
    moderated_total = _median_ms([t.total_s for t in with_moderation])

    print(
        f"text overhead: {rounds} rounds, {len(reply.split())}-word poem streamed from "
        f"FakeOpenAI on 127.0.0.1 ({platform.python_implementation()} "
        f"{platform.python_version()}, openai {openai.__version__})"
    )
    print(f"{'':24}{'median total':>14}{'median TTFT':>14}{'median CPU':>14}")
    for name, total, ttft, cpu in (
        ("raw AsyncOpenAI stream", raw_total, raw_ttft, raw_cpu),
        ("Poet (ours)", our_total, our_ttft, our_cpu),
    ):
        print(f"{name:24}{total:>11.2f} ms{ttft:>11.2f} ms{cpu:>11.2f} ms")
    ratios = (our_total / raw_total, our_ttft / raw_ttft, our_cpu / raw_cpu)
    print(f"{'ratio ours/raw':24}" + "".join(f"{r:>14.3f}" for r in ratios))
    print(f"median paired difference (ours - raw): {paired:+.2f} ms wall, {paired_cpu:+.2f} ms CPU per poem")
    print(
        f"Poet with moderation on: {moderated_total:.2f} ms median total "
        f"({moderated_total / our_total:.2f}x: the topic, growing prefixes and the poem checked)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.text_overhead", description=__doc__)
    parser.add_argument("--rounds", type=int, default=200, help="poems per variant (default 200)")
    parser.add_argument("--words", type=int, default=100, help="words in the poem (default 100)")
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.words))


if __name__ == "__main__":
    main()
