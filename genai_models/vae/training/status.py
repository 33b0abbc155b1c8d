"""The training job's status file: rewritten atomically every epoch, read by /train-status.

No TensorFlow here: the bot reads status on every /train-status without loading models.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from genai_models.vae.files import write_json_atomic
from genai_models.vae.training.liveness import is_running, process_token

STATUS_FILE = "status.json"
State = Literal["running", "finished", "failed", "interrupted"]
LOSS_NAMES = ("loss", "reconstruction_loss", "kl_loss")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class TrainingStatus:
    """Where a training run stands. Losses are nats per digit; None means not measured yet."""

    state: State
    epoch: int
    total_epochs: int
    started_at: str
    updated_at: str
    loss: float | None = None
    reconstruction_loss: float | None = None
    kl_loss: float | None = None
    val_loss: float | None = None
    val_reconstruction_loss: float | None = None
    val_kl_loss: float | None = None
    eta_seconds: float | None = None
    seconds_per_epoch: float | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    message: str | None = None
    model_version: str | None = None
    data_source: str | None = None
    # The training process, so readers can tell a live run from one whose process died.
    pid: int | None = None
    process_token: str | None = None

    def record_epoch(self, epoch: int, logs: dict[str, float], seconds_per_epoch: float) -> None:
        """Take one finished epoch's Keras logs; the ETA assumes the remaining epochs cost the same."""
        self.epoch = epoch
        for name in LOSS_NAMES:
            for key in (name, f"val_{name}"):
                if key in logs:
                    value = float(logs[key])
                    setattr(self, key, value)
                    self.history.setdefault(key, []).append(value)
        self.seconds_per_epoch = seconds_per_epoch
        self.eta_seconds = max(0, self.total_epochs - epoch) * seconds_per_epoch
        self.updated_at = now_iso()

    def finish(self, state: State, message: str | None = None) -> None:
        self.state = state
        self.message = message
        if state == "finished":
            self.eta_seconds = 0.0
        else:
            self.eta_seconds = None
        self.updated_at = now_iso()

    def claim(self) -> None:
        """Record the current process as the one running this training."""
        self.pid, self.process_token = os.getpid(), process_token(os.getpid())

    def observed(self) -> TrainingStatus:
        """This status as the process shows it: a "running" run whose process is gone is
        interrupted, whatever the file last said (a kill -9 leaves no chance to write it)."""
        if self.state != "running" or self.pid is None or is_running(self.pid, self.process_token):
            return self
        return replace(
            self,
            state="interrupted",
            eta_seconds=None,
            message=f"the training process stopped without finishing (last saved epoch {self.epoch})",
        )

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, payload: dict) -> TrainingStatus:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in payload.items() if k in known})


def write_status(training_dir: Path, status: TrainingStatus) -> None:
    write_json_atomic(Path(training_dir) / STATUS_FILE, status.to_json())


STATUS_UNREADABLE = "status file unreadable"  # a status read from a damaged file says this


def read_status(training_dir: Path, *, observed: bool = True) -> TrainingStatus | None:
    """The last status written under `training_dir`, or None when no training ever ran there;
    a run whose process died reads as interrupted (see `TrainingStatus.observed`) unless
    `observed` is False: then it is the file's word."""
    path = Path(training_dir) / STATUS_FILE
    try:
        payload = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return TrainingStatus(
            state="failed",
            epoch=0,
            total_epochs=0,
            started_at="",
            updated_at="",
            message=f"{STATUS_UNREADABLE}: {type(exc).__name__}",
        )
    status = TrainingStatus.from_json(payload)
    return status.observed() if observed else status
