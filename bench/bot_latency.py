"""`python -m bench.bot_latency`: slash-command latency through the loopback Discord.

The real discord.py client runs the real bot (GenAIBot, its cogs, its worker pool) against the
Discord stand-in on 127.0.0.1; latency is interaction sent (INTERACTION_CREATE on the gateway)
→ the reply carrying the file recorded by the stand-in. Measured in the same run:

- `/digit` and `/morph` at concurrency 1 and 20 (20 users each keeping one request in flight);
- `/noop-file`, `/digit` and `/digit-unsigned` interleaved at concurrency 20 (each user
  sends them in turn), so all three meet the same load: on a machine
  others share, a series measured after another can meet a different one;
- for each series of the sequential table, the CPU time the bot's process and this process (the
  stand-in and the load) spent per request: less sensitive to the machine's other work than
  latency, and at concurrency 20 the bot's process, whose Python runs one thread at a time,
  is what saturates first;
- baselines, added to the same bot by this bench only:
  `/noop-file`  answers at once with a fixed PNG: the transport floor (gateway, discord.py,
                multipart upload, stand-in) that no command can beat;
  `/digit-seed` the seed's way: `decoder.predict()` on a random latent, inline on the event
                loop (same weights, copied into the seed's decoder);
  `/digit-inline`, `/morph-inline`  our sampler and image code, but called on the event loop
                instead of the worker pool: what the pool costs when idle and saves under load;
  `/digit-unsigned`  the real /digit with its PNG left unsigned: what Content Credentials cost
                (every other image here is signed, as `genai-bot run` signs them);
- heartbeat answer latency (server asks with op 1, client answers; from the request's send to
  the answer's arrival) while idle, while 50 `/morph` run at once, and while 50 `/morph-inline`
  run at once.

The bot runs in a process of its own (bench/bot_process.py), as it does in production; this
process serves the stand-in and the load. Both share this machine's cores, so the stand-in's work
is still in every figure, baselines included: the ratios are what to read.
Goals: `/digit` at concurrency 20, p50 ≤ 30 ms and p99 ≤ 100 ms; heartbeat p99 ≤ 50 ms while
50 `/morph` run.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.arguments import bench_parser
from bench.running_bot import running_bot
from tests.fakes.discord_server import DiscordStandIn, percentile

DIGIT_GOAL_P50_MS, DIGIT_GOAL_P99_MS, HEARTBEAT_GOAL_P99_MS = 30.0, 100.0, 50.0
SIGNING_GOAL_RATIO = 1.10  # signed /digit's p50 within +10% of the same /digit unsigned
PROBE_PERIOD_S = 0.6  # discord.py answers heartbeat requests through a ~2/s rate limiter
LOST_AFTER_S = 10.0  # no file by then: Discord's 3 s window passed and the interaction is lost
QUICK_ARGV = ["--requests", "60", "--heartbeat-seconds", "6"]


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Series:
    name: str
    concurrency: int
    latencies_s: list[float]  # inf for an interaction that got no file (lost)

    def p(self, q: float) -> float:
        return percentile(self.latencies_s, q) * 1000

    @property
    def lost(self) -> int:
        return self.latencies_s.count(math.inf)


async def one(server: DiscordStandIn, command: str, options: dict, *, timeout: float = 120.0) -> float | None:  # noqa: ASYNC109
    """Seconds from interaction sent to file received; None if no file came within `timeout`
    (with a blocked loop the 3 s window passes and Discord drops the interaction)."""
    ix = await server.inject_command(command, options)
    try:
        reply = await server.wait_for_reply(ix, lambda r: r.files, timeout=timeout)
    except TimeoutError:
        return None
    return reply.elapsed


async def measure(
    server: DiscordStandIn,
    command: str,
    make_options: Callable[[int], dict],
    *,
    requests: int,
    concurrency: int,
) -> Series:
    """`requests` commands, `concurrency` users each keeping one in flight."""
    latencies: list[float] = []
    counter = iter(range(requests))

    async def user() -> None:
        for k in counter:
            took = await one(server, command, make_options(k), timeout=LOST_AFTER_S)
            latencies.append(math.inf if took is None else took)

    await asyncio.gather(*(user() for _ in range(concurrency)))
    return Series(command, concurrency, latencies)


async def measure_interleaved(
    server: DiscordStandIn, command: str, baseline: str, make_options: Callable[[int], dict], *, requests: int
) -> tuple[Series, Series]:
    """One user sending `command` and `baseline` in turn, so both meet the same machine load
    (this machine's other work moves a sequential comparison by more than signing costs)."""
    ours: list[float] = []
    theirs: list[float] = []
    for k in range(requests):
        for name, latencies in ((command, ours), (baseline, theirs)):
            took = await one(server, name, make_options(k), timeout=LOST_AFTER_S)
            latencies.append(math.inf if took is None else took)
    return Series(command, 1, ours), Series(baseline, 1, theirs)


async def measure_mixed(
    server: DiscordStandIn, plan: list[tuple[str, Callable[[int], dict]]], *, requests: int, concurrency: int
) -> dict[str, Series]:
    """`concurrency` users, each sending the commands of `plan` in turn (`requests` of each in
    all): every command meets the same load at the same moments, which a series run after
    another on this shared machine does not."""
    latencies: dict[str, list[float]] = {name: [] for name, _ in plan}
    counter = iter(range(requests * len(plan)))

    async def user() -> None:
        for k in counter:
            name, options = plan[k % len(plan)]
            took = await one(server, name, options(k // len(plan)), timeout=LOST_AFTER_S)
            latencies[name].append(math.inf if took is None else took)

    await asyncio.gather(*(user() for _ in range(concurrency)))
    return {name: Series(name, concurrency, values) for name, values in latencies.items()}


@dataclass
class Load:
    heartbeats_s: list[float]  # answer latency of each heartbeat requested during the load
    stand_in_late_s: list[float]  # how late the stand-in's busy loop sent each request
    answered: int = 0
    lost: int = 0  # interactions that got no file (the 3 s window passed)


async def heartbeats_under(
    server: DiscordStandIn, command: str | None, *, users: int, seconds: float
) -> Load:
    """Heartbeat answer latencies for requests due while `users` keep `command` in flight."""

    def due_between(start: float, end: float):
        return [r for s in server.sessions for r in s.heartbeats.requests if start <= r.due_at <= end]

    started = time.monotonic()
    stop_at = started + seconds

    outcomes: list[float | None] = []

    async def user(k: int) -> None:
        while time.monotonic() < stop_at:
            outcomes.append(await one(server, command, _morph_options(k), timeout=LOST_AFTER_S))

    if command is None:
        await asyncio.sleep(seconds)
    else:
        await asyncio.gather(*(user(k) for k in range(users)))
    ended = time.monotonic()
    await asyncio.sleep(PROBE_PERIOD_S)  # let the last requests' answers arrive
    beats = due_between(started, ended)
    lost = outcomes.count(None)
    # From the request's send: the bot's own answer time. The stand-in's lateness in sending
    # (its loop is busy receiving the uploads) is its own, reported beside it.
    return Load(
        [inf_if_none(r.answer_latency) for r in beats],
        [r.sent_at - r.due_at for r in beats],
        len(outcomes) - lost,
        lost,
    )


def inf_if_none(value: float | None) -> float:
    return math.inf if value is None else value


def _ratio(ours: float, baseline: float) -> str:
    if math.isinf(baseline):
        return "— (baseline lost interactions)"
    return f"{ours / baseline:.2f}×"


def _digit_options(k: int) -> dict:
    return {"seed": k}


def _morph_options(k: int) -> dict:
    return {"start": k % 10, "end": (k + 3) % 10}


async def run(*, model_dir: Path | None, requests: int, heartbeat_seconds: float, workers: int) -> bool:
    async with DiscordStandIn() as server:
        args = ["--workers", str(workers)] + (["--model-dir", str(model_dir)] if model_dir else [])
        async with running_bot(server, args) as bot:
            return await _run_all(server, bot.pid, requests, heartbeat_seconds)


def cpu_seconds(pid: int) -> float:
    """CPU seconds the threads of process `pid` have run, to the nanosecond (Linux's
    /proc/PID/task/*/schedstat: /proc/PID/stat counts in ticks too coarse for a series of
    cheap requests; the bot's threads live as long as it does). NaN elsewhere."""
    nanoseconds = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return math.nan
    for task in tasks:
        try:
            nanoseconds += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):  # a thread that ended meanwhile
            continue
    return nanoseconds / 1e9


async def _run_all(server: DiscordStandIn, bot_pid: int, requests: int, heartbeat_seconds: float) -> bool:
    plan = [
        ("noop-file", lambda k: {}),
        ("digit", _digit_options),
        ("digit-unsigned", _digit_options),
        ("digit-inline", lambda k: {}),
        ("digit-seed", lambda k: {}),
        ("morph", _morph_options),
        ("morph-inline", _morph_options),
    ]
    for command, options in plan:  # warm every path once (first uploads, first traces)
        await measure(server, command, options, requests=3, concurrency=1)

    results: dict[tuple[str, int], Series] = {}
    cpu_ms: dict[tuple[str, int], tuple[float, float]] = {}  # bot's, this process's, per request
    for concurrency in (1, 20):
        for command, options in plan:
            n = requests if command.startswith(("noop", "digit")) else max(20, requests // 3)
            bot_before, ours_before = cpu_seconds(bot_pid), time.process_time()
            results[command, concurrency] = await measure(
                server, command, options, requests=n, concurrency=concurrency
            )
            cpu_ms[command, concurrency] = (
                (cpu_seconds(bot_pid) - bot_before) * 1000 / n,
                (time.process_time() - ours_before) * 1000 / n,
            )

    floor = {c: results["noop-file", c] for c in (1, 20)}
    print(
        f"{'command':21s} {'conc':>4s} {'n':>4s} {'lost':>4s} {'p50 ms':>8s} {'p99 ms':>8s} "
        f"{'p50 vs noop':>11s} {'p99 vs noop':>11s} {'bot CPU':>8s} {'stand-in':>8s}"
    )
    for (command, concurrency), series in results.items():
        base = floor[concurrency]
        print(
            f"/{command:20s} {concurrency:4d} {len(series.latencies_s):4d} {series.lost:4d} "
            f"{series.p(50):8.1f} {series.p(99):8.1f} "
            f"{series.p(50) / base.p(50):10.2f}× {series.p(99) / base.p(99):10.2f}× "
            f"{cpu_ms[command, concurrency][0]:8.2f} {cpu_ms[command, concurrency][1]:8.2f}"
        )
    print("(lost: no file within the 3 s Discord allows; p99 is inf when over 1% are lost)")
    print("(bot CPU, stand-in: ms of CPU per request in the bot's process and in this one)")

    print("\nratios at concurrency 20 (p50, p99): lower than 1 means ours is faster")
    for ours, baseline in (
        ("digit", "digit-inline"),
        ("digit", "digit-seed"),
        ("morph", "morph-inline"),
        ("digit", "digit-unsigned"),
    ):
        a, b = results[ours, 20], results[baseline, 20]
        print(
            f"  /{ours} vs /{baseline}: {_ratio(a.p(50), b.p(50))}, {_ratio(a.p(99), b.p(99))}"
            + (f" (/{baseline} lost {b.lost} of {len(b.latencies_s)})" if b.lost else "")
        )

    mixed_plan = [
        ("noop-file", lambda k: {}),
        ("digit", _digit_options),
        ("digit-unsigned", _digit_options),
    ]
    mixed = await measure_mixed(server, mixed_plan, requests=requests, concurrency=20)
    floor20 = mixed["noop-file"]
    print(
        f"\nat concurrency 20, each user sending {', '.join('/' + name for name, _ in mixed_plan)} "
        f"in turn ({requests} each; all meet the same load):"
    )
    for name, series in mixed.items():
        print(
            f"  /{name:21s} p50 {series.p(50):7.1f} ms ({series.p(50) / floor20.p(50):.2f}× /noop-file)  "
            f"p99 {series.p(99):7.1f} ms ({series.p(99) / floor20.p(99):.2f}×)  lost {series.lost}"
        )

    async with server.heartbeat_probe(period=PROBE_PERIOD_S):
        idle = await heartbeats_under(server, None, users=0, seconds=heartbeat_seconds / 2)
        pooled = await heartbeats_under(server, "morph", users=50, seconds=heartbeat_seconds)
        inline = await heartbeats_under(server, "morph-inline", users=50, seconds=heartbeat_seconds)
    print(f"\nheartbeat answer latency (requests every {PROBE_PERIOD_S} s):")
    for name, load in (("idle", idle), ("50 × /morph", pooled), ("50 × /morph-inline", inline)):
        values = load.heartbeats_s
        worst = max(values, default=float("inf"))
        print(
            f"  {name:20s} n={len(values):3d}  p50 {percentile(values, 50) * 1000:8.1f} ms  "
            f"p99 {percentile(values, 99) * 1000:8.1f} ms  max {worst * 1000:8.1f} ms  "
            f"morphs answered {load.answered}, lost {load.lost}; stand-in sent requests "
            f"{percentile(load.stand_in_late_s, 50) * 1000:.1f} ms late (p50), "
            f"{max(load.stand_in_late_s, default=0) * 1000:.1f} ms (max)"
        )
    p99_pooled = percentile(pooled.heartbeats_s, 99) * 1000
    print(
        f"  p99 50 × /morph-inline vs 50 × /morph: "
        f"{percentile(inline.heartbeats_s, 99) * 1000 / p99_pooled:.1f}×"
    )

    digit20 = results["digit", 20]
    signed, unsigned = await measure_interleaved(
        server, "digit", "digit-unsigned", _digit_options, requests=requests
    )
    signing = {1: signed.p(50) / unsigned.p(50)}
    print(
        f"\nContent Credentials at concurrency 1, /digit and /digit-unsigned alternating "
        f"({requests} each): p50 {signed.p(50):.1f} vs {unsigned.p(50):.1f} ms "
        f"({signing[1]:.2f}×), p99 {signed.p(99):.1f} vs {unsigned.p(99):.1f} ms"
    )
    checks = [
        (f"/digit p50 at concurrency 20 ≤ {DIGIT_GOAL_P50_MS:.0f} ms", digit20.p(50), DIGIT_GOAL_P50_MS),
        (f"/digit p99 at concurrency 20 ≤ {DIGIT_GOAL_P99_MS:.0f} ms", digit20.p(99), DIGIT_GOAL_P99_MS),
        (
            f"heartbeat p99 while 50 /morph run ≤ {HEARTBEAT_GOAL_P99_MS:.0f} ms",
            p99_pooled,
            HEARTBEAT_GOAL_P99_MS,
        ),
    ]
    checks.append(
        (
            f"/digit p50 signed ÷ unsigned, alternating, ≤ {SIGNING_GOAL_RATIO:.2f}",
            signing[1],
            SIGNING_GOAL_RATIO,
        )
    )
    print("\ngoals:")
    for name, value, goal in checks:
        shown = f"{value:.2f}×" if name.startswith("/digit p50 signed") else f"{value:.1f} ms"
        print(f"  {name}: {shown} — {'met' if value <= goal else 'MISSED'}")
    return all(value <= goal for _, value, goal in checks)


def main(argv: list[str] | None = None) -> None:
    parser = bench_parser("bench.bot_latency", __doc__)
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="trained model folder (default: the weights shipped in the package)",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=200,
        help="requests per /digit series (morph series: a third, at least 20)",
    )
    parser.add_argument(
        "--heartbeat-seconds", type=float, default=15.0, help="how long each heartbeat load runs"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=max(1, os.cpu_count() or 1),
        help="worker pool size (default: the cores, as the bot does)",
    )
    args = parser.parse_args(argv)

    from genai_models.vae.serving.card import PRETRAINED_DIR, read_verified_card

    card = read_verified_card(args.model_dir or PRETRAINED_DIR)
    print(
        f"model {card['version']} from {args.model_dir or PRETRAINED_DIR}; bot in its own "
        f"process with {args.workers} workers; {os.cpu_count()} cores\n"
    )
    started = time.perf_counter()
    met = asyncio.run(
        run(
            model_dir=args.model_dir,
            requests=args.requests,
            heartbeat_seconds=args.heartbeat_seconds,
            workers=args.workers,
        )
    )
    print(f"\n{'all goals met' if met else 'some goals MISSED'} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
