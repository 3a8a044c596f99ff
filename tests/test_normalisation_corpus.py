"""The normalisation corpus (tests/corpora/normalisation): every claim's recorded truth is the numeric one.

truth.py decides each claim by finite differences of the batch-norm / layer-norm forward pass; it imports
nothing of derive. This test only runs it, so a manifest edit that contradicts the numbers fails here.
"""

from loading import ROOT, load

TRUTH = ROOT / "tests" / "corpora" / "normalisation" / "truth.py"


def test_every_recorded_truth_is_the_numeric_one(capsys):
    assert load("normalisation_truth", TRUTH).main() == 0, capsys.readouterr().out
