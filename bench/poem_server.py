"""`python -m bench.poem_server --base-url URL`: /poem at once against a real local chat server.

The real bot (GenAIBot, the /poem cog, the real openai and discord.py clients) runs against the
loopback Discord, with its poet talking to the server at URL: made for llama-cpp-python's server
with Gemma 3 270M (`../shared/tools/llama-server start`, see its header), the server issue #14 was
found on. Without `--base-url` the bench runs against FakeOpenAI playing that server (it ends a
running stream when a new request arrives, ignores max_completion_tokens, sends no usage), paced
like it, so the bench runs anywhere, but its figures are the fake's.

Measured in one run, each /poem from its interaction to its message's final state:
- one /poem alone: the baseline for time to first visible text (TTFV) and edits per second;
- 2 and 4 /poem at once with the endpoint's default limit (one request at a time: the others
  wait in line, shown their place): all complete? TTFV of the queued ones against the baseline;
- the same 2 at once with the limit lifted (`OPENAI_MAX_CONCURRENCY=4`): what the server does
  to the first stream when the second request arrives (the issue's "one always fails");
- the runaway case: `OPENAI_TOKEN_LIMIT_PARAM=max_completion_tokens`, which this server ignores:
  each poem must still end within `OPENAI_DEADLINE` (a few samples: whether one runs away is up
  to the model's sampling).
`--write-docs PATH` also writes the output to PATH (docs/benchmarks-poem-server.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import math
import statistics
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.arguments import bench_parser
from bench.report import Tee, machine
from bot.client import GenAIBot
from bot.settings import Settings
from bot.worker_pool import WorkerPool
from genai_models.text import Poet, PoetConfig
from tests.fakes.discord_server import GUILD_READY_TIMEOUT_S, DiscordStandIn, run_bot
from tests.fakes.openai_server import FakeOpenAI

TOPICS = ("the moon over the sea", "a cat asleep in the sun", "autumn rain", "an old lighthouse")
CUT_MARK = "\n\n*✂"
FAKE_REPLY = "".join(f"the moon is singing over the sea, line {i}\n" for i in range(12))


@dataclass
class PoemRun:
    outcome: str  # "complete", "cut (length)", "cut (deadline)", or the error the user read
    first_text_s: float | None  # first edit showing poem text (not a status line)
    final_s: float
    edits: int
    chars: int
    waited: bool  # the message showed a place in line

    @property
    def edits_per_s(self) -> float:
        span = self.final_s - (self.first_text_s or self.final_s)
        return (self.edits - 1) / span if span > 0 and self.edits > 1 else math.nan


def _description(reply) -> str:
    return reply.embeds[0]["description"] if reply.embeds else ""


def _is_status(reply) -> bool:
    text = _description(reply)
    return text.startswith("*") and text.endswith("*") and CUT_MARK not in text


def _is_final(reply) -> bool:
    if reply.kind == "followup":
        return True  # an error, told privately
    text = _description(reply)
    return reply.kind == "edit" and bool(text) and not text.endswith("▌") and not _is_status(reply)


async def watch(server: DiscordStandIn, ix, timeout_s: float) -> PoemRun:
    final = await server.wait_for_reply(ix, _is_final, timeout=timeout_s)
    replies = server.messages_for(ix)
    edits = [r for r in replies if r.kind == "edit" and r.at <= final.at]
    texts = [r for r in edits if not _is_status(r)]
    if final.kind == "followup":
        outcome = final.content
    elif "title" not in final.embeds[0]:  # a notice replaced the poem
        outcome = "withheld: " + _description(final)
    else:
        text = _description(final)
        outcome = "complete"
        if CUT_MARK in text:
            outcome = "cut (deadline)" if "too long" in text else "cut (length)"
    return PoemRun(
        outcome=outcome,
        first_text_s=texts[0].elapsed if texts else None,
        final_s=final.elapsed,
        edits=len(texts),
        chars=len(_description(final).split(CUT_MARK)[0]) if final.kind == "edit" else 0,
        waited=any(_is_status(r) and "in line" in _description(r) for r in edits),
    )


async def at_once(server: DiscordStandIn, count: int, timeout_s: float) -> list[PoemRun]:
    users = [server.add_user(f"poet-fan-{count}-{i}") for i in range(count)]
    interactions = []
    for user, topic in zip(users, TOPICS * 2, strict=False):
        interactions.append(
            await server.inject_command("poem", {"topic": topic, "language": "en"}, user=user)
        )
    return list(await asyncio.gather(*(watch(server, ix, timeout_s) for ix in interactions)))


@contextlib.asynccontextmanager
async def poem_bot(server: DiscordStandIn, config: PoetConfig):
    settings = Settings(dev_guild_id=server.guild_id, workers=1)
    with WorkerPool(workers=1, timeout_s=60) as pool:
        async with Poet(config=config) as poet:
            bot = GenAIBot(settings=settings, pool=pool, poet=poet, load_sampler=None,
                           guild_ready_timeout=GUILD_READY_TIMEOUT_S)  # fmt: skip
            async with run_bot(bot, server):
                yield


def _s(value: float | None) -> str:
    return "   -  " if value is None or math.isnan(value) else f"{value:6.1f}"


def report(name: str, runs: list[PoemRun]) -> None:
    complete = sum(r.outcome == "complete" or r.outcome.startswith("cut") for r in runs)
    print(f"{name}: {complete}/{len(runs)} poems delivered")
    for rank, run in enumerate(sorted(runs, key=lambda r: r.final_s), start=1):
        print(
            f"  #{rank}  TTFV {_s(run.first_text_s)} s  final {_s(run.final_s)} s  "
            f"{run.edits:3d} edits  {_s(run.edits_per_s)} edits/s  {run.chars:5d} chars  "
            f"{'waited in line  ' if run.waited else ''}{run.outcome}"
        )


async def run(args: argparse.Namespace) -> None:
    fake = None
    if args.base_url is None:
        fake = FakeOpenAI(reply=FAKE_REPLY, chunk_delay_s=0.03, llama_cpp=True,
                          interrupt_requests=True)  # fmt: skip
        await fake.start()
    base_url = args.base_url or fake.base_url
    config = PoetConfig(
        base_url=base_url, api_key="any", model=args.model, moderation="off",
        deadline_s=args.deadline, max_tokens=args.max_tokens,
        system_prompt_role=args.system_prompt,
    )  # fmt: skip
    print(
        f"/poem through the loopback Discord against {'FakeOpenAI (llama-like)' if fake else base_url}"
        f" (model {args.model}), max_tokens {args.max_tokens}, deadline {args.deadline:g} s, "
        f"{machine()}"
    )
    print("TTFV: interaction sent -> first edit showing poem text; edits/s while the poem grew\n")
    timeout_s = args.deadline * 6 + 30
    try:
        async with DiscordStandIn() as server:
            async with poem_bot(server, config):
                alone = await at_once(server, 1, timeout_s)
                two = await at_once(server, 2, timeout_s)
                four = await at_once(server, 4, timeout_s)
            async with poem_bot(server, dataclasses.replace(config, max_concurrency=4)):
                unlimited = await at_once(server, 2, timeout_s)
            runaway_config = dataclasses.replace(config, token_limit_param="max_completion_tokens")
            if fake:
                fake.reply = FAKE_REPLY * 40
            async with poem_bot(server, runaway_config):
                # Whether a sample runs away is up to the model's sampling: take a few.
                runaway = [
                    run for _ in range(args.runaway_samples)
                    for run in await at_once(server, 1, timeout_s)
                ]  # fmt: skip
    finally:
        if fake:
            await fake.close()

    report("1 /poem alone (baseline)", alone)
    report("2 /poem at once, one request at a time (default limit)", two)
    report("4 /poem at once, one request at a time (default limit)", four)
    report("2 /poem at once, limit lifted (OPENAI_MAX_CONCURRENCY=4)", unlimited)
    report("runaway: OPENAI_TOKEN_LIMIT_PARAM=max_completion_tokens (ignored by the server)", runaway)
    base = alone[0].first_text_s
    queued = [r.first_text_s for r in two + four if r.waited and r.first_text_s]
    if base and queued:
        print(f"\nqueued poems' TTFV / alone: median {statistics.median(queued) / base:.2f}x, "
              f"worst {max(queued) / base:.2f}x (they wait for the poems ahead)")  # fmt: skip
    longest = max(runaway, key=lambda r: r.final_s)
    print(f"longest runaway sample ended after {longest.final_s:.1f} s (deadline "
          f"{args.deadline:g} s): {longest.outcome}, {longest.chars} chars")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = bench_parser("bench.poem_server", __doc__)
    parser.add_argument("--base-url", default=None, help="the server's /v1 URL (default: a fake)")
    parser.add_argument("--model", default="gemma-3-270m", help="model name (default gemma-3-270m)")
    parser.add_argument("--deadline", type=float, default=20.0, help="OPENAI_DEADLINE (default 20)")
    parser.add_argument("--max-tokens", type=int, default=400, help="OPENAI_MAX_TOKENS (default 400)")
    parser.add_argument(
        "--runaway-samples", type=int, default=3, help="runaway-case poems, one after another (default 3)"
    )
    parser.add_argument(
        "--system-prompt",
        choices=("system", "user"),
        default="system",
        help="OPENAI_SYSTEM_PROMPT (default system; with user, the base Gemma "
        "3 270M echoes the rules and every poem is withheld)",
    )
    parser.add_argument(
        "--write-docs", type=Path, default=None, metavar="PATH", help="also write the output to PATH"
    )
    args = parser.parse_args(argv)
    tee = Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        asyncio.run(run(args))
    if args.write_docs is not None:
        command = "python -m bench.poem_server " + " ".join(argv if argv is not None else sys.argv[1:])
        date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        args.write_docs.write_text(
            f"# /poem against a real local server\n\nWritten by `{command.strip()}` on {date}.\n"
            "The server, started before the bench: llama-cpp-python's, serving "
            "Gemma 3 270M (see bench/poem_server.py).\n\n```\n" + tee.copy.getvalue().strip() + "\n```\n"
        )


if __name__ == "__main__":
    main()
