"""Hot swap across processes: each process serves the model the shared registry says serves.

The process whose job passed its checks (or that ran `/model rollback`) swaps at once; every
other process of the cluster notices the registry's serving row change within `every_s`
seconds (polling, so it needs nothing but the database all processes share) and loads that
model from the models folder, which the processes must share too (docs/scaling.md). A model that
fails to load is logged once and not retried until the registry names another; the process
keeps serving the one it has.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bot.storage.errors import DatabaseUnavailableError
from genai_models.errors import GenAIError

if TYPE_CHECKING:
    from bot.training.supervisor import Supervisor

log = logging.getLogger(__name__)

FOLLOW_EVERY_S = 2.0  # the bound: another process's swap serves here within this, plus a load


class ServingFollower:
    def __init__(self, supervisor: Supervisor, *, every_s: float = FOLLOW_EVERY_S) -> None:
        self.supervisor = supervisor
        self.every_s = every_s
        self._task: asyncio.Task | None = None
        self._unloadable: str | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="serving-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await self.check()
            except DatabaseUnavailableError:
                pass  # keep serving what we have; the pool reconnects when it is back
            except Exception:
                log.exception("following the model registry failed; trying again")

    async def check(self) -> bool:
        """Serve the registry's serving model if this process serves another; True if swapped."""
        supervisor = self.supervisor
        async with supervisor.swap_lock:
            serving = await supervisor.registry.serving()
            current = supervisor.serving.sampler
            if serving is None or current is None or serving.version == current.version:
                return False
            if serving.version == self._unloadable:
                return False
            path = Path(serving.path) if serving.path else supervisor.settings.model_dir
            try:
                sampler = await supervisor.pool.run(supervisor.load_sampler, path, timeout_s=float("inf"))
            except (OSError, GenAIError) as exc:
                self._unloadable = serving.version
                log.warning(
                    "model %s serves elsewhere in the cluster but cannot be loaded here "
                    "from %s (%s): is the models folder shared?",
                    serving.version,
                    path,
                    exc,
                )
                return False
            supervisor.swap(sampler)
            log.info("model %s serves here too: swapped in from the shared registry", serving.version)
            return True
