"""How much work one request may ask for: bounds shared by the command line and the Python API.

Verification costs grow with depth and trials (truth reruns the layers after each perturbation), so a typo
such as ``--layers 100000`` would run for hours and fill memory with no output. Each bound is one record,
checked in one place, with one message for the CLI and the API alike. Importing this module is instant.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DeriveError


@dataclass(frozen=True)
class Bound:
    """A whole-number setting and its allowed range."""

    name: str
    low: int
    high: int
    why: str

    def check(self, value) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise DeriveError(f"{self.name} must be a whole number, not {type(value).__name__}")
        if not self.low <= value <= self.high:
            raise DeriveError(f"{self.name} must be between {self.low} and {self.high} ({self.why}), got {value}")
        return value


LAYERS = Bound("layers", 2, 64, "weight layers; one hidden layer at least")
TRIALS = Bound("trials", 1, 20, "random networks")
SEED = Bound("seed", 0, 2**32 - 1, "a random seed")
WIDTH = Bound("width", 1, 16, "units per layer")
INPUTS = Bound("inputs", 1, 16, "an architecture's input features")
