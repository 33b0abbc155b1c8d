"""The fair-use gate every rate-limited command passes through before its work starts.

`admit` refuses at once (cooldown, too many jobs of this user, queue full) with a FairUseError
the error handler answers ephemerally; otherwise it returns once the job may run. While the job
waits, the Discord layer (bot.interactions.admission) shows the user its place in the queue.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord

from bot.exceptions import FairUseError
from bot.fair_use.access import is_admin
from bot.fair_use.limits import COMMAND_RESOURCES, FairUseLimits
from bot.fair_use.scheduler import FairScheduler, QueueFullError, Ticket
from bot.fair_use.store import InMemoryUsageStore, UsageLimited, UsageStore

log = logging.getLogger(__name__)

FIRST_JOB_ESTIMATE_S = 5.0  # how long a job is assumed to take before any has finished


@dataclass
class Admission:
    """A job let in: `release()` (idempotent) when it is over, however it ended."""

    release: Callable[[], None]
    waited_s: float = 0.0


class FairUseGate:
    """Cooldowns and jobs per user (in `store`: this process's memory, or the database the
    processes share), caps and queues per resource (in memory: each process has its own CPU).

    The bot's only queues: one per resource, "model" as wide as `limits.model_concurrency` (or
    the worker pool), "text" as wide as `text_concurrency`, what the text endpoint serves at
    once (PoetConfig.concurrency), so no poem waits a second time at the endpoint.
    """

    def __init__(
        self,
        limits: FairUseLimits,
        *,
        workers: int,
        text_concurrency: int = 1,
        store: UsageStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.store = store or InMemoryUsageStore(clock)
        self._clock = clock
        model = limits.model_concurrency or workers
        self.schedulers = {
            "model": FairScheduler(
                concurrency=model, per_guild=limits.jobs_per_guild, queue_size=limits.queue_size
            ),
            "text": FairScheduler(
                concurrency=text_concurrency,
                per_guild=limits.jobs_per_guild,
                queue_size=limits.queue_size,
            ),
        }
        self._job_s = dict.fromkeys(self.schedulers, FIRST_JOB_ESTIMATE_S)

    def queue_depth(self, resource: str) -> int:
        return self.schedulers[resource].waiting

    async def take_turn(
        self,
        interaction: discord.Interaction,
        command: str,
        *,
        wait_for_turn: Callable[[Ticket], Awaitable[None]],
        cooldown_s: float | None = None,
        jobs_per_user: int | None = None,
        cooldown_key: str | None = None,
    ) -> Admission:
        """Let the job in now, or after its turn in the queue; raise FairUseError if not at all.

        A job that must wait is handed to `wait_for_turn`, which returns once the ticket is
        granted (the Discord layer shows the user their place meanwhile). `cooldown_s` and
        `jobs_per_user`: the server's own (bot.guild_rules), else the operator's limits;
        `cooldown_key` names the cooldown (default: the command, the same in every server).
        """
        resource = COMMAND_RESOURCES[command]
        user_id = interaction.user.id
        exempt = is_admin(interaction, self.limits.owner_ids)
        now = self._clock()
        if cooldown_s is None:
            cooldown_s = self.limits.cooldown_s(command)
        if jobs_per_user is None:
            jobs_per_user = self.limits.jobs_per_user
        cooldown = 0.0 if exempt else cooldown_s
        try:
            taken = await self.store.take(
                user_id,
                cooldown_key or command,
                cooldown_s=cooldown,
                jobs_limit=None if exempt else jobs_per_user,
            )
        except UsageLimited as limited:
            if limited.code == "cooldown":
                raise FairUseError(
                    code="cooldown", command=command, retry=_discord_time(limited.wait_s)
                ) from None
            raise FairUseError(code="too_many_jobs", limit=jobs_per_user) from None
        scheduler = self.schedulers[resource]
        try:
            ticket = scheduler.enter(user_id, community(interaction))
        except QueueFullError:
            await self.store.undo(taken)
            wait_s = self._job_s[resource] * (scheduler.waiting + 1) / scheduler.concurrency
            raise FairUseError(
                code="queue_full", waiting=scheduler.waiting, retry=_discord_time(wait_s)
            ) from None

        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            if ticket.granted.done() and not ticket.granted.cancelled():
                took = self._clock() - started[0]
                self._job_s[resource] = 0.8 * self._job_s[resource] + 0.2 * took
            scheduler.leave(ticket)
            self.store.finish(taken)

        started = [now]
        try:
            if not ticket.granted.done():
                await wait_for_turn(ticket)
        except BaseException:
            release()  # cancelled while waiting (a shutdown) or the placeholder failed
            raise
        started[0] = self._clock()
        return Admission(release=release, waited_s=started[0] - now)


def _discord_time(seconds_from_now: float) -> str:
    """A Discord timestamp that each reader's client shows as "in 8 seconds", in their language."""
    return f"<t:{math.ceil(time.time() + max(1.0, seconds_from_now))}:R>"


def community(interaction: discord.Interaction) -> int | None:
    """The server whose share of the queue a job counts against: the one the interaction came
    from when that server installed the bot; None (the user alone) for a user's own install
    used in a DM or a server without the bot."""
    return interaction.guild_id if interaction.is_guild_integration() else None
