"""The bot's side of a training job: start it, follow it, record it, and swap in its model.

One job at a time. The supervisor lives on the bot's event loop and never blocks it: files are
read in threads, the new model loads in the worker pool. It follows the job's process (its exit
code, or, for a job it re-attached to after a restart, whether the pid still runs) and its
status file, and mirrors progress into training_jobs. When the process ends, the outcome comes
from the process (exit code, signal), not from what the status file last said.

Shutdown (the bot closing: SIGTERM, Ctrl-C, `docker stop`) stops a running job cleanly: SIGTERM
to the job, which keeps its last finished epoch's checkpoint and exits; the job is recorded as
interrupted and `/train start` resumes it. A job is never left running unsupervised on purpose:
in a container it would be killed with the bot anyway, mid-write, and nobody would check and
swap in its model. A bot that dies without closing (kill -9, a crash) leaves the job running;
the next bot re-attaches to it (`recover`), or records it interrupted if it died meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.ops.logs import user_hash
from bot.storage.cluster import ClusterLock
from bot.storage.schema import TrainingJob
from bot.training.follower import FOLLOW_EVERY_S
from bot.training.job_store import JobStore
from bot.training.launcher import JOB_COMMAND, launch
from bot.training.registry import ModelRegistry, install_files
from bot.training.spec import (
    EVALUATION_FILE,
    EXIT_DONE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    Evaluation,
    JobSpec,
)
from bot.training.swap import judge
from genai_models.errors import GenAIError
from genai_models.vae.serving.card import CARD_FILE
from genai_models.vae.training.checkpoint import has_checkpoint
from genai_models.vae.training.liveness import is_running, process_token
from genai_models.vae.training.status import TrainingStatus, read_status

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.storage import Database
    from bot.training.serving import ServingModel
    from bot.worker_pool import WorkerPool
    from genai_models.vae.serving.sampler import DigitSampler

log = logging.getLogger(__name__)

DEFAULT_EPOCHS = 31  # TrainingConfig's: its recipe is tuned to this many
DEFAULT_SEED = 0
POLL_S = 1.0
STOP_TIMEOUT_S = 60.0  # a batch finishes and the status is written well within this
# One job cluster-wide: the process whose supervisor runs (or re-attached to) a job holds this
# lock in the database (bot.storage.cluster) until the job ends, or the process does.
TRAINING_LOCK = "training-job"
ELSEWHERE_WAIT_S = 3.0  # how long to wait for the lock holder's job row to appear
UNKNOWN_EXIT = None  # a re-attached job's exit code cannot be known, only that it is gone


@dataclass
class Running:
    job_id: int
    job_dir: Path
    pid: int
    token: str
    process: asyncio.subprocess.Process | None  # None: re-attached after a restart
    cancelled_by: int | None = None
    stopping: bool = False
    # Where and by whom it was started: who may cancel it is decided without a database read,
    # which would give the job time to end between the check and the cancel.
    guild_id: int | None = None
    started_by: int | None = None


@dataclass(frozen=True)
class Cancelling:
    job: TrainingJob
    by: int  # who cancelled it first: later cancels do not change who the job records


@dataclass(frozen=True)
class StartResult:
    job: TrainingJob
    started: bool  # False: another job is running (`job` is that one)
    resumed: bool = False


@dataclass(frozen=True, kw_only=True)
class TrainingOptions:
    """How the supervisor runs jobs; the defaults serve, tests shorten the waits.

    `load_sampler(path)` loads a model for serving (blocking; run in the worker pool);
    `follow_every_s` is how often the follower of other processes' swaps looks (PostgreSQL)."""

    poll_s: float = POLL_S
    command: tuple[str, ...] = JOB_COMMAND
    load_sampler: Callable[[Path | None], DigitSampler] | None = None
    follow_every_s: float = FOLLOW_EVERY_S


class Supervisor:
    """Jobs in `database`, their folders and the registry's models under `settings.data_dir`;
    new models load in `pool` and serve through `serving`."""

    def __init__(
        self,
        database: Database,
        *,
        settings: Settings,
        pool: WorkerPool,
        serving: ServingModel,
        options: TrainingOptions | None = None,
    ) -> None:
        options = options or TrainingOptions()
        self.settings = settings
        self.pool = pool
        self.serving = serving
        self.jobs = JobStore(database)
        self.registry = ModelRegistry(database, settings.data_dir / "models")
        self.jobs_dir = settings.data_dir / "jobs"
        self.poll_s = options.poll_s
        self.command = options.command
        self._load_sampler = options.load_sampler or _load_sampler
        # Told of each model a finished job swapped in (the training cog tells the channel).
        self.on_model_swapped: list[Callable[[TrainingJob, Evaluation], Awaitable[None]]] = []
        self._running: Running | None = None
        # The model a swap replaced, kept loaded: rolling back to it is then instant.
        self._replaced: DigitSampler | None = None
        self._follower: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        self._cluster = ClusterLock(database, TRAINING_LOCK)
        # Held while this process changes what it serves, so the registry follower
        # (bot/training/follower.py) never loads the same model a second time meanwhile.
        self.swap_lock = asyncio.Lock()
        self.concluded = asyncio.Condition()  # notified after each job's end is recorded

    # -- start-up and shutdown ------------------------------------------------------------

    async def recover(self) -> None:
        """Re-attach to a job a previous bot left running, or record it interrupted.

        Only when no live process of the cluster holds the training lock: a job another
        process follows is that process's, wherever it runs."""
        if not await self._cluster.try_acquire():
            log.info("another process of this bot follows the training job")
            return
        try:
            await self._recover()
        finally:
            if self._running is None:
                await self._cluster.release()

    async def _recover(self) -> None:
        for job in await self.jobs.running():
            status = await asyncio.to_thread(_raw_status, Path(job.job_dir))
            pid = (status.pid if status else None) or job.pid
            token = status.process_token if status else None
            if self._running is None and is_running(pid, token):
                log.info("re-attached to training job %d (pid %d)", job.id, pid)
                self._follow(
                    Running(
                        job.id,
                        Path(job.job_dir),
                        pid,
                        token or "",
                        None,
                        guild_id=job.guild_id,
                        started_by=job.started_by,
                    )
                )
                continue
            await self.jobs.end(
                job.id, "interrupted", reason="train_reason_died_unwatched", **_progress(status)
            )
            log.info("training job %d had stopped while the bot was away: interrupted", job.id)

    async def shutdown(self) -> None:
        """Stop the running job cleanly (see the module docstring) and wait for its end."""
        running, follower = self._running, self._follower
        if running is None or follower is None:
            return
        running.stopping = True
        _signal(running.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(follower), STOP_TIMEOUT_S)
        except TimeoutError:
            log.warning("training job %d did not stop in %.0f s: killing it", running.job_id, STOP_TIMEOUT_S)
            _signal(running.pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(follower), 10)

    # -- commands ---------------------------------------------------------------------------

    @property
    def running(self) -> Running | None:
        return self._running

    async def start(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        epochs: int | None,
        seed: int | None,
        data: Path | None,
    ) -> StartResult:
        async with self._lock:
            if self._running is not None:
                return StartResult(await self.jobs.get(self._running.job_id), started=False)
            if not await self._cluster.try_acquire():
                return StartResult(await self._job_elsewhere(), started=False)
            try:
                result = await self._start(
                    user_id=user_id,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    epochs=epochs,
                    seed=seed,
                    data=data,
                )
            except BaseException:
                await self._cluster.release()
                raise
            if self._running is None:  # it failed to start: nothing to hold the lock for
                await self._cluster.release()
            return result

    async def _job_elsewhere(self) -> TrainingJob:
        """The job another process runs (it records its row right after taking the lock)."""
        deadline = asyncio.get_running_loop().time() + ELSEWHERE_WAIT_S
        while True:
            running = await self.jobs.running()
            if running or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
        return running[-1] if running else await self.jobs.latest()

    async def _start(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        epochs: int | None,
        seed: int | None,
        data: Path | None,
    ) -> StartResult:
        resumable = await self.resumable(epochs=epochs, seed=seed)
        if resumable is not None:
            job_dir = Path(resumable.job_dir)
            spec = JobSpec(
                epochs=resumable.total_epochs,
                seed=resumable.parameters["seed"],
                data=resumable.parameters.get("data"),
                resume=True,
            )
        else:
            job_dir = None
            spec = JobSpec(
                epochs=epochs or DEFAULT_EPOCHS,
                seed=DEFAULT_SEED if seed is None else seed,
                data=str(data) if data else None,
            )
        serving = await self.registry.serving()
        spec = JobSpec(
            **{**spec.__dict__, "serving_model_dir": serving.path if serving and serving.path else None}
        )
        job = await self.jobs.create(
            started_by=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            parameters={"epochs": spec.epochs, "seed": spec.seed, "data": spec.data},
            total_epochs=spec.epochs,
            job_dir=str(job_dir or ""),
            resumed_from=resumable.id if resumable else None,
            epoch=resumable.epoch if resumable else 0,
        )
        job_dir = job_dir or self.jobs_dir / f"job-{job.id:04d}"
        try:
            await asyncio.to_thread(_prepare_dir, job_dir, spec)
            process = await launch(job_dir, self.command)
        except OSError as exc:
            log.warning("could not start training job %d in %s: %s", job.id, job_dir, exc)
            job = await self.jobs.end(
                job.id,
                "failed",
                reason="train_reason_failed",
                reason_params={"detail": _os_error(exc)},
                job_dir=str(job_dir),
            )
            return StartResult(job, started=True, resumed=resumable is not None)
        job = await self.jobs.update(job.id, job_dir=str(job_dir), pid=process.pid)
        log.info(
            "training job %d started by user %s (pid %d, %s)",
            job.id,
            user_hash(user_id),
            process.pid,
            "resumed" if resumable else "new",
        )
        self._follow(
            Running(
                job.id,
                job_dir,
                process.pid,
                process_token(process.pid),
                process,
                guild_id=job.guild_id,
                started_by=job.started_by,
            )
        )
        return StartResult(job, started=True, resumed=resumable is not None)

    async def resumable(self, *, epochs: int | None = None, seed: int | None = None) -> TrainingJob | None:
        """The last job, when it was interrupted with a checkpoint and the parameters match."""
        last = await self.jobs.latest()
        if last is None or last.state != "interrupted" or not last.job_dir:
            return None
        if epochs is not None and epochs != last.total_epochs:
            return None
        if seed is not None and seed != last.parameters.get("seed"):
            return None
        return last if await asyncio.to_thread(has_checkpoint, Path(last.job_dir)) else None

    async def cancel(self, *, user_id: int) -> Cancelling | None:
        """Stop the running job (it ends as cancelled); None when none runs. Whoever cancels
        first is who the job records, however many cancel it before it has stopped."""
        running = self._running
        if running is None:
            return None
        if running.cancelled_by is None:
            running.cancelled_by = user_id
            _signal(running.pid, signal.SIGTERM)
        return Cancelling(await self.jobs.get(running.job_id), running.cancelled_by)

    # -- following --------------------------------------------------------------------------

    def _follow(self, running: Running) -> None:
        self._running = running
        self._follower = asyncio.create_task(self._watch(running), name=f"training-job-{running.job_id}")

    async def _watch(self, running: Running) -> None:
        seen_epoch = None
        try:
            while True:
                ended, code = await self._wait_for_exit(running)
                status = await asyncio.to_thread(_raw_status, running.job_dir)
                if status is not None and status.epoch != seen_epoch:
                    seen_epoch = status.epoch
                    await self.jobs.update(running.job_id, **_progress(status))
                if ended:
                    if running.process is None:
                        code = await asyncio.to_thread(_exit_code_from_files, running.job_dir, status)
                    await self._conclude(running, code, status)
                    return
        except Exception:
            log.exception("following training job %d failed", running.job_id)
            with contextlib.suppress(Exception):
                await self.jobs.end(
                    running.job_id,
                    "failed",
                    reason="train_reason_failed",
                    reason_params={"detail": "the bot lost track of the job"},
                )
        finally:
            self._running = None
            with contextlib.suppress(Exception):  # a lost connection has freed it already
                await self._cluster.release()
            async with self.concluded:
                self.concluded.notify_all()

    async def _wait_for_exit(self, running: Running) -> tuple[bool, int | None]:
        if running.process is not None:
            try:
                return True, await asyncio.wait_for(asyncio.shield(running.process.wait()), self.poll_s)
            except TimeoutError:
                return False, None
        await asyncio.sleep(self.poll_s)
        return (not is_running(running.pid, running.token)), UNKNOWN_EXIT

    async def _conclude(self, running: Running, code: int | None, status: TrainingStatus | None) -> None:
        job_id, progress = running.job_id, _progress(status)
        if running.cancelled_by is not None:
            await self.jobs.end(
                job_id,
                "cancelled",
                reason="train_reason_cancelled",
                reason_params={"user": f"<@{running.cancelled_by}>"},
                **progress,
            )
        elif running.stopping:
            await self.jobs.end(job_id, "interrupted", reason="train_reason_bot_stopped", **progress)
        elif code == EXIT_DONE:
            await self._judge(running, progress)
        elif code == EXIT_FAILED:
            detail = status.message if status is not None and status.state == "failed" else None
            if detail is None:  # it could not even write why: most likely, no room to
                free = await asyncio.to_thread(_free_mb, running.job_dir)
                detail = f"it could not record why; {free} MB free in {running.job_dir}"
            await self.jobs.end(
                job_id, "failed", reason="train_reason_failed", reason_params={"detail": detail}, **progress
            )
        elif code in (EXIT_INTERRUPTED, -signal.SIGTERM, -signal.SIGINT):
            await self.jobs.end(job_id, "interrupted", reason="train_reason_stopped", **progress)
        elif code is None or code < 0:
            name = (
                signal.Signals(-code).name if code is not None and -code in signal.valid_signals() else None
            )
            await self.jobs.end(
                job_id,
                "interrupted",
                reason="train_reason_killed",
                reason_params={"signal": name or "?"},
                **progress,
            )
        else:
            await self.jobs.end(
                job_id,
                "failed",
                reason="train_reason_failed",
                reason_params={"detail": f"the training process exited with {code}"},
                **progress,
            )
        job = await self.jobs.get(job_id)
        log.info("training job %d ended: %s%s", job_id, job.state, f" ({job.outcome})" if job.outcome else "")

    async def _judge(self, running: Running, progress: dict[str, Any]) -> None:
        """The swap rule; on a pass, the new model serves from the next request on."""
        settings = self.settings
        job_id, job_dir = running.job_id, running.job_dir
        evaluation = await asyncio.to_thread(Evaluation.read, job_dir)
        card = await asyncio.to_thread(_read_card, job_dir)
        if evaluation is None or card is None:
            await self.jobs.end(
                job_id,
                "failed",
                reason="train_reason_failed",
                reason_params={"detail": "the job left no checked model"},
                **progress,
            )
            return
        scores = {"negative_elbo": evaluation.negative_elbo, "fidelity": evaluation.fidelity}
        progress["metrics"] = {**progress.get("metrics", {}), "evaluation": evaluation.__dict__}
        verdict = judge(
            evaluation,
            max_elbo_increase=settings.swap_max_elbo_increase,
            min_fidelity=settings.swap_min_fidelity,
            max_digit_drop=settings.swap_max_digit_drop,
        )
        path = None
        try:
            path = await asyncio.to_thread(
                install_files, job_dir, self.registry.models_dir, evaluation.version
            )
            if verdict.passed:
                sampler = await self.pool.run(self._load_sampler, path, timeout_s=float("inf"))
        except (OSError, GenAIError) as exc:
            detail = _os_error(exc) if isinstance(exc, OSError) else str(exc)
            verdict = type(verdict)(False, "train_reject_unloadable", {"detail": detail})
        if not verdict.passed:
            await self.registry.reject(
                evaluation.version, path=path, card=card, job_id=job_id, reason=verdict.reason, **scores
            )
            await self.jobs.end(
                job_id,
                "finished",
                outcome="rejected",
                reason=verdict.reason,
                reason_params=verdict.params,
                **progress,
            )
            log.info("model %s rejected: %s %s", evaluation.version, verdict.reason, verdict.params)
            return
        async with self.swap_lock:
            await self.registry.promote(evaluation.version, path=path, card=card, job_id=job_id, **scores)
            self._swap(sampler)
        job = await self.jobs.end(job_id, "finished", outcome="swapped", **progress)
        for listener in self.on_model_swapped:
            await listener(job, evaluation)

    # -- rollback ---------------------------------------------------------------------------

    async def rollback(self):
        """The previous model serves again; returns (now serving, rolled back) rows or None."""
        async with self.swap_lock:
            return await self._rollback()

    async def _rollback(self):
        previous = await self.registry.previous()
        if previous is None:
            return None
        if self._replaced is not None and self._replaced.version == previous.version:
            sampler = self._replaced
        else:
            path = Path(previous.path) if previous.path else self.settings.model_dir
            sampler = await self.pool.run(self._load_sampler, path, timeout_s=float("inf"))
        rows = await self.registry.rollback()
        if rows is not None:
            self._swap(sampler)
            self._replaced = None  # the rolled-back model is archived, not kept loaded
        return rows

    def load_sampler(self, path: Path | None) -> DigitSampler:
        """Load a model for serving (blocking: run it in the worker pool)."""
        return self._load_sampler(path)

    def swap(self, sampler: DigitSampler) -> None:
        """Serve `sampler` (the follower's swaps: another process's job or rollback)."""
        self._swap(sampler)

    def _swap(self, sampler: DigitSampler) -> None:
        self._replaced = self.serving.swap(sampler)


def _load_sampler(path: Path | None) -> DigitSampler:
    from genai_models.vae.serving.sampler import DigitSampler

    # A model here passed the operator's swap rule (or is the configured one, which served
    # before): the rule, not the loader, judges how well it draws.
    return DigitSampler.load(path, refuse_undertrained=False)


def _prepare_dir(job_dir: Path, spec: JobSpec) -> None:
    job_dir.mkdir(parents=True, exist_ok=True)
    spec.write(job_dir)


def _raw_status(job_dir: Path) -> TrainingStatus | None:
    """The status as the job last wrote it: the supervisor judges liveness itself."""
    return read_status(job_dir, observed=False)


def _exit_code_from_files(job_dir: Path, status: TrainingStatus | None) -> int | None:
    """What a re-attached job's exit code must have been (it is no child of this bot), read
    from what it left: None when it ended without a word (killed)."""
    state = status.state if status is not None else None
    if state == "finished" and (job_dir / EVALUATION_FILE).is_file():
        return EXIT_DONE
    return {"failed": EXIT_FAILED, "interrupted": EXIT_INTERRUPTED}.get(state)


def _read_card(job_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((job_dir / CARD_FILE).read_text())
    except (OSError, ValueError):
        return None


def _progress(status: TrainingStatus | None) -> dict[str, Any]:
    if status is None:
        return {}
    metrics = {
        name: getattr(status, name)
        for name in (
            "loss",
            "reconstruction_loss",
            "kl_loss",
            "val_loss",
            "val_reconstruction_loss",
            "val_kl_loss",
            "seconds_per_epoch",
        )
    }
    return {"epoch": status.epoch, "metrics": metrics}


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def _free_mb(folder: Path) -> str:
    try:
        return f"{shutil.disk_usage(folder).free / 1e6:.1f}"
    except OSError:
        return "?"


def _os_error(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"
