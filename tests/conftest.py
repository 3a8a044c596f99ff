"""Fixed seeds: every test sees the same random numbers whatever order the tests run in; and the order in which
pytest-xdist's workers take the test files: the slowest first."""

from __future__ import annotations

import random

import pytest
from hypothesis import settings

SEED = 20240601

# The slowest test files, slowest first: about 8 s or more of CPU each in one process (BENCHMARKS.md, "Test suite
# (issue 10)"; per-file totals of a two-worker run, 2026-12-02). Add a file that grows past that; a name no longer
# here is ignored. Largest first is the greedy schedule that ends the two workers closest together.
SLOWEST_FIRST = ("test_truth.py", "test_truth_kinds.py", "test_layer_kinds.py", "test_truth_reverse.py",
                 "test_chain.py", "test_gallery_lint_rest.py", "test_gallery_lint.py", "test_documents.py",
                 "test_check_layers.py", "test_table.py", "test_lint_infer.py", "test_cli.py", "test_losses_more.py",
                 "test_security.py", "test_startup.py", "test_truth_conv.py", "test_real_notes.py",
                 "test_lint_limits.py", "test_truth_network.py")


def pytest_collection_modifyitems(config, items):
    """A pytest-xdist worker's collection, in the order the workers take its files (pyproject's addopts:
    --dist loadfile, each file on one worker, and --no-loadscope-reorder, the files in this order): the slowest
    first, then the others by their number of tests, most first (xdist's own order, which put the two gallery
    lints, with 2 and 4 tests, at the very end, where one of them kept one worker busy 20-30 s after the other
    had finished). A file's tests keep their order; in one process (-n 0) nothing is reordered."""
    if not hasattr(config, "workerinput"):
        return
    count: dict = {}
    for item in items:
        count[item.path] = count.get(item.path, 0) + 1
    first = {name: rank for rank, name in enumerate(SLOWEST_FIRST)}

    def order(pair):
        index, item = pair
        rank = first.get(item.path.name)
        return (0, rank, 0) if rank is not None else (1, -count[item.path], index)

    items[:] = [item for _, item in sorted(enumerate(items), key=order)]

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
