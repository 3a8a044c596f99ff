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


# The README's command runs the tests on every core (pytest-xdist: `-n auto --dist loadgroup` in pyproject.toml).
# A module-scoped fixture or a module's own cache is computed by every worker that runs a test needing it, so
# those tests go to one worker together. Module -> the expensive module-scoped fixture, or None for the whole
# module (test_real_notes.py caches each notes file's lint per problem in a functools.cache). test_gallery_lint.py
# groups its tests by folder itself.
ONE_WORKER = {"test_lint_infer.py": "every_note", "test_real_notes.py": None}


def pytest_collection_modifyitems(items):
    for item in items:
        name = item.path.name
        if name in ONE_WORKER and (ONE_WORKER[name] is None or ONE_WORKER[name] in item.fixturenames):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
