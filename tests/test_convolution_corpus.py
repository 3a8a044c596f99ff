"""The convolution corpus (tests/corpora/convolution): every claim's recorded truth is the numeric one.

truth.py decides each claim by finite differences of the forward pass its own source defines (a
cross-correlation or a true convolution); it imports nothing of derive. This test only runs it, so a manifest
edit that contradicts the numbers fails here.
"""

import importlib.util
from pathlib import Path

TRUTH = Path(__file__).parent / "corpora" / "convolution" / "truth.py"


def test_every_recorded_truth_is_the_numeric_one(capsys):
    spec = importlib.util.spec_from_file_location("convolution_truth", TRUTH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main() == 0, capsys.readouterr().out
