"""`python -m bench.fair_use_flood`: does one user's flood slow another user's /digit?

The real bot in its own process (bench/bot_process.py) against the loopback Discord. In each of
`--rounds` rounds a new user sends `--flood` 60-frame /morph at once, and 0.3 s later another
user sends one /digit; that /digit's latency (sent → file received) is compared with the same
user's /digit on the same, idle bot, measured first in the same run. Three bots, one after the other:

- off:      no fair use: every morph goes straight to the worker pool, first come first served
            (how the bot behaved before fair use);
- queue:    the fair queue alone (no cooldowns, no per-user cap): the flood is queued and the
            other user's request joins the current round, ahead of the flood's backlog;
- defaults: `genai-bot run`'s limits (but no /digit cooldown, so the other user can send
            back to back): the cooldown and per-user cap refuse most of the flood at once.

The flooder's refusals and results are counted too. Ratios are against the idle baseline.
"""

from __future__ import annotations

import asyncio
import math
import os
import time

from bench.arguments import bench_parser
from bench.bot_latency import one
from bench.running_bot import running_bot
from tests.fakes.discord_server import DiscordStandIn, percentile

QUICK_ARGV = ["--flood", "30", "--rounds", "5"]
MODES = ("off", "queue", "defaults")


def _ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


async def _digits(server: DiscordStandIn, user, count: int) -> list[float]:
    """`count` /digit one after the other."""
    latencies = []
    for k in range(count):
        ix = await server.inject_command("digit", {"seed": k}, user=user)
        try:
            reply = await server.wait_for_reply(ix, lambda r: r.files or r.ephemeral, timeout=60)
            latencies.append(reply.elapsed if reply.files else math.inf)  # refused: a failure
        except TimeoutError:
            latencies.append(math.inf)
    return latencies


async def _flood(server: DiscordStandIn, user, count: int) -> tuple[int, int, float]:
    """(results, refusals, seconds until the last answer) of `count` /morph sent at once."""
    started = time.monotonic()
    options = [{"start": k % 10, "end": (k + 5) % 10, "frames": 60} for k in range(count)]
    sent = [await server.inject_command("morph", o, user=user) for o in options]
    results = refusals = 0
    for ix in sent:
        reply = await server.wait_for_reply(ix, lambda r: r.files or (r.ephemeral and r.content), timeout=180)
        if reply.files:
            results += 1
        else:
            refusals += 1
    return results, refusals, time.monotonic() - started


async def run_mode(mode: str, *, flood: int, rounds: int, workers: int) -> dict:
    async with DiscordStandIn() as server:
        other = server.add_user("other")
        idle, loaded, results, refusals, flood_s = [], [], 0, 0, []
        async with running_bot(server, ["--workers", str(workers), "--fair-use", mode]):
            await one(server, "morph", {"start": 0, "end": 1})  # warm both paths once
            idle = await _digits(server, other, rounds * 3)
            for k in range(rounds):
                flooder = server.add_user(f"flooder{k}")  # a fresh one: no cooldown carried over
                flood_task = asyncio.create_task(_flood(server, flooder, flood))
                await asyncio.sleep(0.3)  # the flood has arrived and is being worked on
                loaded += await _digits(server, other, 1)
                done, refused, seconds = await flood_task
                results, refusals = results + done, refusals + refused
                flood_s.append(seconds)
    return {
        "idle": idle,
        "loaded": loaded,
        "results": results,
        "refusals": refusals,
        "flood_s": sum(flood_s) / max(1, len(flood_s)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = bench_parser("bench.fair_use_flood", __doc__)
    parser.add_argument("--flood", type=int, default=30, help="/morph the flooder sends at once")
    parser.add_argument(
        "--rounds",
        type=int,
        default=10,
        help="floods (by a new user each), each with one /digit of the other user",
    )
    parser.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1))
    parser.add_argument("--modes", nargs="*", choices=MODES, default=list(MODES))
    args = parser.parse_args(argv)
    print(
        f"{args.rounds} rounds: one user sends {args.flood} /morph at once, 0.3 s later another "
        f"sends one /digit; {args.workers} workers, {os.cpu_count()} cores\n"
    )
    print(
        f"{'fair use':9s} {'idle p50':>9s} {'p99':>7s} {'flood p50':>10s} {'p99':>7s} "
        f"{'p50 ratio':>10s} {'p99 ratio':>10s} {'morphs run':>11s} {'refused':>8s} {'flood s':>8s}"
    )
    for mode in args.modes:
        r = asyncio.run(run_mode(mode, flood=args.flood, rounds=args.rounds, workers=args.workers))
        idle50, idle99 = _ms(r["idle"], 50), _ms(r["idle"], 99)
        load50, load99 = _ms(r["loaded"], 50), _ms(r["loaded"], 99)
        print(
            f"{mode:9s} {idle50:7.0f}ms {idle99:5.0f}ms {load50:8.0f}ms {load99:5.0f}ms "
            f"{load50 / idle50:9.2f}× {load99 / idle99:9.2f}× {r['results']:11d} {r['refusals']:8d} "
            f"{r['flood_s']:8.1f}",
            flush=True,
        )
    print(
        "\nratio: the other user's /digit latency during a flood ÷ the same bot idle; flood s: "
        "from the first /morph sent to the last answer, per round."
    )


if __name__ == "__main__":
    main()
