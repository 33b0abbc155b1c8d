"""Requested-class fidelity by the model's own checker, on freshly drawn digits.

The share of `sampler.digits(k)` images that the model's self-check classifier reads as k:
what a user asking for k would get. Seeded from fresh entropy unless told, so a swap check
looks at digits no earlier check has seen.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from genai_models.vae.serving.limits import MAX_COUNT


@dataclass(frozen=True)
class Fidelity:
    overall: float  # over every class, each weighted the same
    per_class: dict[int, float]
    samples_per_class: int
    seed: int

    @property
    def worst_class(self) -> int:
        return min(self.per_class, key=self.per_class.get)


def self_check_fidelity(sampler, *, samples_per_class: int = 50, seed: int | None = None) -> Fidelity:
    seed = secrets.randbelow(2**31) if seed is None else seed
    rng = np.random.default_rng(seed)
    per_class = {}
    for k in range(10):
        hits = 0
        for start in range(0, samples_per_class, MAX_COUNT):
            count = min(MAX_COUNT, samples_per_class - start)
            images = sampler.digits(k, count=count, seed=int(rng.integers(2**31)))
            hits += sum(int(np.argmax(sampler.classify_mnist(image)) == k) for image in images)
        per_class[k] = hits / samples_per_class
    return Fidelity(float(np.mean(list(per_class.values()))), per_class, samples_per_class, seed)
