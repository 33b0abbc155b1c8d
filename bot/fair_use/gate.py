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
    processes share), caps and queues per resource (in memory: each process has its own CPU)."""

    def __init__(
        self,
        limits: FairUseLimits,
        *,
        workers: int,
        store: UsageStore | None = None,
        on_refusal: Callable[[str, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.store = store or InMemoryUsageStore(clock)
        self._clock = clock
        self._on_refusal = on_refusal or (lambda command, reason: None)
        model = limits.model_concurrency or workers
        self.schedulers = {
            "model": FairScheduler(
                concurrency=model, per_guild=limits.jobs_per_guild, queue_size=limits.queue_size
            ),
            "text": FairScheduler(
                concurrency=limits.text_concurrency,
                per_guild=limits.jobs_per_guild,
                queue_size=limits.queue_size,
            ),
        }
        self._job_s = dict.fromkeys(self.schedulers, FIRST_JOB_ESTIMATE_S)

    def queue_depth(self, resource: str) -> int:
        return self.schedulers[resource].waiting

    def is_exempt(self, interaction: discord.Interaction) -> bool:
        """Bot owners, and members who may manage the server, skip cooldowns and user limits."""
        if interaction.user.id in self.limits.owner_ids:
            return True
        # The member's permissions as Discord resolved them for this interaction (none in DMs).
        # Only in a server that installed the bot: a server's admin using their own install of
        # the app in it is one more user there.
        return interaction.is_guild_integration() and interaction.permissions.manage_guild

    async def take_turn(
        self,
        interaction: discord.Interaction,
        command: str,
        *,
        wait_for_turn: Callable[[Ticket], Awaitable[None]],
    ) -> Admission:
        """Let the job in now, or after its turn in the queue; raise FairUseError if not at all.

        A job that must wait is handed to `wait_for_turn`, which returns once the ticket is
        granted (the Discord layer shows the user their place meanwhile).
        """
        resource = COMMAND_RESOURCES[command]
        user_id = interaction.user.id
        exempt = self.is_exempt(interaction)
        now = self._clock()
        cooldown = 0.0 if exempt else self.limits.cooldown_s(command)
        try:
            taken = await self.store.take(
                user_id, command, cooldown_s=cooldown,
                jobs_limit=None if exempt else self.limits.jobs_per_user,
            )
        except UsageLimited as limited:
            self._on_refusal(command, limited.code)
            if limited.code == "cooldown":
                raise FairUseError(
                    code="cooldown", command=command, retry=_discord_time(limited.wait_s)
                ) from None
            raise FairUseError(code="too_many_jobs", limit=self.limits.jobs_per_user) from None
        scheduler = self.schedulers[resource]
        try:
            ticket = scheduler.enter(user_id, community(interaction))
        except QueueFullError:
            await self.store.undo(taken)
            self._on_refusal(command, "queue_full")
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
