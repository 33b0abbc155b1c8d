"""Models a run makes from its digits alone, kept for later runs on the same digits.

The self-check classifier and the digit-ness model do not depend on the VAE: they are functions
of the training digits, the seed, their epochs and (the digit-ness model) the precision. A chat
training job makes both before its first epoch, which takes minutes on two cores; a later job on
the same digits with the same seed (more epochs, say, after a rejected model) reads them from
the jobs folder instead. Each file is named by a hash of what it was made from, so a job with
other digits, another seed or another precision never finds one.

A kept file that cannot be read is made again; one that cannot be written is only a saving lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from genai_models.vae.files import require_free_space

log = logging.getLogger(__name__)

ROOM_LEFT = 64 << 20  # bytes a job's checkpoints and export need besides a kept model


class KeptModels:
    """A folder of models by kind and by what they were made from."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, kind: str, made_of: dict[str, str], suffix: str) -> Path:
        key = hashlib.sha256(json.dumps({"kind": kind, **made_of}, sort_keys=True).encode()).hexdigest()[:16]
        return self.folder / f"{kind}-{key}{suffix}"

    def keep(self, target: Path, write: Callable[[Path], None], size: int) -> None:
        """Write a model of about `size` bytes to `target` through `write(partial path)`, whole or
        not at all; a folder that cannot take it is logged and left."""
        partial = target.with_name(f".partial-{target.name}")  # keeps the suffix Keras asks for
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Keras writes weights through HDF5, which crashes the process when the disk fills
            # under it: keep only where the job's own files still have room.
            require_free_space(self.folder, size + ROOM_LEFT, f"a kept {target.name}")
            write(partial)
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            log.warning("could not keep %s in %s: %s", target.name, self.folder, exc.strerror or exc)
