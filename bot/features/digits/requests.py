"""What a /digit grid is drawn from, and how its buttons change it."""

from __future__ import annotations

from dataclasses import dataclass, replace

# Explore: how far one press moves the shown digits across the style plane, in latent units
# (about a cell of /latent-map digit's grid).
EXPLORE_STEP = 0.7


@dataclass(frozen=True)
class DigitRequest:
    digit: int | None
    count: int
    seed: int
    offset: tuple[float, float] = (0.0, 0.0)  # Explore's move across the style plane

    def explored(self, dx: int, dy: int, *, limit: float) -> DigitRequest:
        """Moved `dx`, `dy` steps across the style plane, kept within ±`limit`."""
        x, y = self.offset
        offset = (
            _clamp(round(x + dx * EXPLORE_STEP, 2), limit),
            _clamp(round(y + dy * EXPLORE_STEP, 2), limit),
        )
        return replace(self, offset=offset)


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))
