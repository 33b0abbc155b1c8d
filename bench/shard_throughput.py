"""`python -m bench.shard_throughput`: does a second shard process buy throughput?

Real `genai-bot run` processes (tests/shard_processes.py) against the loopback Discord, whose
two guilds sit on two gateway shards, sharing one PostgreSQL server that this bench starts in
a temporary folder (tests/postgres_server.py). Measured in the same run:

- baseline: ONE process holding both shards (SHARD_IDS=0-1);
- ours: TWO processes, one shard each (SHARD_IDS=0 and SHARD_IDS=1), as on two machines.

The load is the same for both: `--requests` /digit interactions, half in each guild, with
`--concurrency` in flight at once; throughput is requests / wall time until the last reply.
Then, with the two processes still up, a one-epoch job trained from chat in one of them: the
time from its model passing its check (its registry row becoming the serving one) until a
/digit in the OTHER process's guild is drawn by it (the follower's poll plus a model load).

Both processes share this machine's cores with each other, PostgreSQL and the stand-in (which
serves the load from this process): a second process on the same cores can only win what one
process leaves idle (its event loop, the GIL), never a full 2×.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.arguments import bench_parser
from tests.fakes.discord_server import DiscordStandIn
from tests.postgres_server import PostgresServer
from tests.shard_processes import start_shard_process, until_serving

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mnist-600.npz"
QUICK_ARGV = ["--requests", "120", "--concurrency", "8"]


async def load(server: DiscordStandIn, guilds, *, requests: int, concurrency: int) -> float:
    """Requests per second for `requests` /digit interactions spread over `guilds`."""
    gate = asyncio.Semaphore(concurrency)

    async def one(k: int) -> None:
        async with gate:
            ix = await server.inject_command(
                "digit", {"digit": k % 10, "seed": k}, guild=guilds[k % len(guilds)]
            )
            await server.wait_for_reply(ix, lambda r: r.files, timeout=120)

    started = time.monotonic()
    await asyncio.gather(*(one(k) for k in range(requests)))
    return requests / (time.monotonic() - started)


async def phase(
    postgres: PostgresServer,
    layout: tuple[str, ...],
    *,
    workdir: Path,
    requests: int,
    concurrency: int,
    swap_too: bool = False,
):
    database = f"bench_{len(layout)}_{int(time.time())}"
    await _create_database(postgres, database)
    env = {
        "GENAI_DATABASE_URL": postgres.url(database),
        "GENAI_DATA_DIR": str(workdir / "data"),
        "LOG_LEVEL": "WARNING",
        "GENAI_WORKERS": "1",
        "GENAI_TRAINING_DATA": str(FIXTURE),
        # A one-epoch model swaps whatever its scores: the bench times the swap, not the rule.
        "GENAI_SWAP_MAX_ELBO_INCREASE": "1000",
        "GENAI_SWAP_MIN_FIDELITY": "0",
        "GENAI_SWAP_MAX_DIGIT_DROP": "1",
    }
    async with DiscordStandIn(shard_count=2) as server:
        first = server.world.move_guild_to_shard(server.world.guild, 0, 2)
        second = server.add_guild("Second", on_shard=(1, 2))
        env["GENAI_OWNER_IDS"] = str(server.alice.id)
        processes = [
            await start_shard_process(
                server, shard_ids=ids, shard_count=2, workdir=workdir / f"run-{len(layout)}", env=env
            )
            for ids in layout
        ]
        try:
            await until_serving(server, processes)
            # Warm-up: each process traces its model calls on its first requests.
            await load(server, [first, second], requests=20, concurrency=concurrency)
            throughput = await load(server, [first, second], requests=requests, concurrency=concurrency)
            swap_s = (
                await time_to_serve_everywhere(server, postgres, database, first, second)
                if swap_too
                else None
            )
        finally:
            for process in processes:
                await process.stop()
    return throughput, swap_s


async def time_to_serve_everywhere(server, postgres, database, first, second) -> float:
    """Train one epoch from chat in the first guild's process; seconds from its model's
    promotion in the registry until the second guild's process draws with it."""
    import asyncpg

    ix = await server.inject_command("train start", {"epochs": 1}, guild=first)
    reply = await server.wait_for_reply(ix, lambda r: r.content, timeout=30)
    assert reply.content.startswith("Training job #1 started"), reply.content
    connection = await asyncpg.connect(postgres.dsn(database))
    try:
        while True:
            row = await connection.fetchrow(
                "SELECT j.state, j.outcome, m.version, m.state_changed_at FROM training_jobs j "
                "LEFT JOIN model_versions m ON m.created_by_job = j.id WHERE j.id = 1"
            )
            if row["state"] != "running":
                break
            await asyncio.sleep(0.2)
    finally:
        await connection.close()
    assert (row["state"], row["outcome"]) == ("finished", "swapped"), dict(row)
    while True:
        ix = await server.inject_command("digit", {"digit": 1, "count": 1}, guild=second)
        drawn = await server.wait_for_reply(ix, lambda r: r.files, timeout=60)
        if row["version"] in drawn.embeds[0]["footer"]["text"]:
            return (datetime.now(UTC) - row["state_changed_at"]).total_seconds() - drawn.elapsed
        await asyncio.sleep(0.1)


async def _create_database(postgres: PostgresServer, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(postgres.dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def run(*, requests: int, concurrency: int) -> None:
    with PostgresServer() as postgres, tempfile.TemporaryDirectory() as scratch:
        one, _ = await phase(
            postgres, ("0-1",), workdir=Path(scratch) / "one", requests=requests, concurrency=concurrency
        )
        two, swap_s = await phase(
            postgres,
            ("0", "1"),
            workdir=Path(scratch) / "two",
            requests=requests,
            concurrency=concurrency,
            swap_too=True,
        )
    print(f"{'/digit throughput (requests/s)':40} {'one process':>12} {'two processes':>14} {'ratio':>7}")
    print(f"{'two guilds, two shards':40} {one:>12.2f} {two:>14.2f} {two / one:>6.2f}×")
    print(
        f"(ideal on separate machines: 2.00×; here {two / one / 2:.0%} of it, on "
        f"{os.cpu_count()} shared cores)"
    )
    print(
        f"hot swap: model passed its check → the other process draws with it: {swap_s:.1f} s "
        "(bound: the 2 s follower poll plus one model load)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = bench_parser("bench.shard_throughput", __doc__)
    parser.add_argument("--requests", type=int, default=200, help="/digit requests per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    args = parser.parse_args(argv)
    print(
        f"{args.requests} /digit requests, {args.concurrency} in flight, each phase; {os.cpu_count()} cores\n"
    )
    asyncio.run(run(requests=args.requests, concurrency=args.concurrency))


if __name__ == "__main__":
    main()
