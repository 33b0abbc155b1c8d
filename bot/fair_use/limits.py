"""The fair-use limits, as configured. Plain data: no discord.py, cheap to import."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# What each rate-limited command costs: "model" work shares the CPU's worker threads, "text" work
# waits on the text service. Each resource has one queue, so slow poems never hold up digits.
COMMAND_RESOURCES: Mapping[str, str] = {
    "digit": "model",
    "morph": "model",
    "latent-map": "model",
    "handwriting": "model",
    "poem": "text",
}

# Seconds between two uses of a command by one user: enough to stop a flood, short enough that
# pressing "Again" a few times in a row still feels responsive.
DEFAULT_COOLDOWNS_S: Mapping[str, float] = {
    "digit": 3.0,
    "morph": 10.0,
    "latent-map": 10.0,
    "handwriting": 10.0,
    "poem": 15.0,
}


@dataclass(frozen=True, kw_only=True)
class AccessLists:
    """Where the bot answers. An empty allow list allows all; a deny list always wins."""

    allowed_guilds: frozenset[int] = frozenset()
    denied_guilds: frozenset[int] = frozenset()
    allowed_channels: frozenset[int] = frozenset()
    denied_channels: frozenset[int] = frozenset()
    allowed_roles: frozenset[int] = frozenset()
    denied_roles: frozenset[int] = frozenset()


@dataclass(frozen=True, kw_only=True)
class FairUseLimits:
    """How much of the bot one user, one guild and everyone together may use at once.

    `model_concurrency` None means one job per worker thread (the pool's size). How many poems
    run at once is the text endpoint's own concurrency (PoetConfig.concurrency), not a limit here.
    """

    cooldowns_s: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_COOLDOWNS_S))
    jobs_per_user: int = 2  # running or queued, per user
    jobs_per_guild: int = 4  # running at once, per guild and resource
    model_concurrency: int | None = None
    queue_size: int = 20  # waiting jobs per resource; beyond it users are asked to come back
    owner_ids: frozenset[int] = frozenset()  # exempt from cooldowns and the per-user limit
    access: AccessLists = field(default_factory=AccessLists)

    def cooldown_s(self, command: str) -> float:
        return float(self.cooldowns_s.get(command, 0.0))
