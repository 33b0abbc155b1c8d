"""`python -m bench.training_heartbeat`: does the bot keep its latency while a model trains?

The real bot (GenAIBot, its cogs, its worker pool, its database) runs against the loopback
Discord in this process; an admin's `/train start` runs a real training job in its own process,
as in production. Measured in the same run, first with no job (the baseline), then while the
job trains (after its first epoch, so TensorFlow's start-up is behind it):

- heartbeat answer latency (the stand-in asks with op 1, the bot answers);
- `/digit` latency, one request at a time, spread evenly over the phase (interaction sent ->
  reply with its file).

Goal: heartbeat p99 under 50 ms while training. The stand-in shares this process's event loop
and the machine's cores, so its own work is in both phases alike: read the ratios.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench.arguments import bench_parser
from tests.fakes.discord_server import GUILD_READY_TIMEOUT_S, DiscordStandIn, percentile, run_bot

HEARTBEAT_GOAL_P99_MS = 50.0
PROBE_PERIOD_S = 0.6  # discord.py answers heartbeat requests through a ~2/s rate limiter
FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mnist-600.npz"
QUICK_ARGV = ["--seconds", "12", "--digits", "30"]


async def measure(server: DiscordStandIn, *, seconds: float, digits: int) -> tuple[list[float], list[float]]:
    """(heartbeat answer latencies, /digit latencies) in seconds over one phase. The /digit
    requests are spread evenly over it: sent back to back they would all fall in its first
    fraction of a second, which while training is just after the job's first epoch."""
    started = time.monotonic()
    latencies = []
    async with server.heartbeat_probe(period=PROBE_PERIOD_S):
        for k in range(digits):
            await asyncio.sleep(max(0.0, started + k * seconds / digits - time.monotonic()))
            ix = await server.inject_command("digit", {"digit": k % 10, "seed": k})
            reply = await server.wait_for_reply(ix, lambda r: r.files, timeout=30)
            latencies.append(reply.elapsed)
        await asyncio.sleep(max(0.0, started + seconds - time.monotonic()))
    beats = [
        r.answer_latency
        for s in server.sessions
        for r in s.heartbeats.requests
        if r.due_at >= started and r.answer_latency is not None
    ]
    return beats, latencies


async def run(*, seconds: float, digits: int, data: Path, workers: int) -> bool:
    from bench.bot_process import fair_use_limits
    from bot.app import build_bot
    from bot.settings import Settings
    from bot.storage import Database, settings_url
    from bot.worker_pool import WorkerPool
    from genai_models.vae.serving.sampler import DigitSampler

    sampler = DigitSampler.load()
    with tempfile.TemporaryDirectory() as scratch:
        async with DiscordStandIn() as server:
            settings = Settings(
                dev_guild_id=server.guild_id,
                workers=workers,
                data_dir=Path(scratch),
                owner_ids=frozenset({server.alice.id}),
                training_data=data,
                # One user asks /digit back to back: measure latency, not cooldowns.
                fair_use=fair_use_limits("off"),
            )
            database = await Database.open(settings_url(settings))
            with WorkerPool(workers=workers, timeout_s=60) as pool:
                bot = build_bot(
                    settings,
                    pool=pool,
                    database=database,
                    load_sampler=lambda: sampler,
                    guild_ready_timeout=GUILD_READY_TIMEOUT_S,
                )
                async with run_bot(bot, server):
                    await measure(server, seconds=0, digits=10)  # warm-up: first calls trace
                    idle = await measure(server, seconds=seconds, digits=digits)
                    await server.inject_command("train start", {"epochs": 500})
                    jobs = bot.get_cog("Training").supervisor.jobs
                    while (job := await jobs.latest()) is None or job.epoch < 1:
                        assert job is None or job.state == "running", job and job.reason
                        await asyncio.sleep(0.5)
                    training = await measure(server, seconds=seconds, digits=digits)
                    still = await jobs.latest()
                    ix = await server.inject_command("train cancel")
                    await server.wait_for_reply(ix)
            await database.close()  # the composition root's to close, not the bot's
    return report(idle, training, job_epochs=(job.epoch, still.epoch))


def report(idle, training, *, job_epochs) -> bool:
    def ms(values, q):
        return percentile(values, q) * 1000

    print(f"{'':26} {'no job (baseline)':>18} {'while training':>16} {'ratio':>7}")
    for label, index in (("heartbeat", 0), ("/digit", 1)):
        for q in (50, 99):
            a, b = ms(idle[index], q), ms(training[index], q)
            print(f"{label + f' p{q} (ms)':26} {a:>18.1f} {b:>16.1f} {b / a:>6.2f}×")
    print(
        f"(heartbeats: {len(idle[0])} and {len(training[0])}; /digit: {len(idle[1])} each; "
        f"the job trained epochs {job_epochs[0]} to {job_epochs[1]} meanwhile)"
    )
    p99 = ms(training[0], 99)
    met = p99 <= HEARTBEAT_GOAL_P99_MS
    print(
        f"goal: heartbeat p99 while training ≤ {HEARTBEAT_GOAL_P99_MS:.0f} ms: {p99:.1f} ms, "
        f"{'met' if met else 'MISSED'}"
    )
    return met


def main(argv: list[str] | None = None) -> None:
    parser = bench_parser("bench.training_heartbeat", __doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--digits", type=int, default=60, help="/digit requests in each phase")
    parser.add_argument("--data", type=Path, default=FIXTURE, help="what the job trains on")
    parser.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    print(f"training on {args.data.name}; bot with {args.workers} workers; {os.cpu_count()} cores\n")
    asyncio.run(run(seconds=args.seconds, digits=args.digits, data=args.data, workers=args.workers))


if __name__ == "__main__":
    main()
