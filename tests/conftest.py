"""Fixed seeds: every test sees the same random numbers whatever order the tests run in."""

from __future__ import annotations

import random

import pytest
from hypothesis import settings

SEED = 20240601

# Hypothesis draws the same examples on every run; SymPy calls are too slow for a per-example deadline.
settings.register_profile("derive", derandomize=True, deadline=None)
settings.load_profile("derive")


@pytest.fixture(autouse=True)
def _seed_random():
    random.seed(SEED)


@pytest.fixture
def rng() -> random.Random:
    """A private generator with the project's fixed seed."""
    return random.Random(SEED)
