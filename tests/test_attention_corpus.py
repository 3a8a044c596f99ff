"""The attention corpus (tests/corpora/attention): every claim's recorded truth is the numeric one.

truth.py decides each claim by finite differences of the forward pass its own source defines (the scale, the
mask, the reordering or the projections it has); it imports nothing of derive. This test only runs it, so a
manifest edit that contradicts the numbers fails here.
"""

from loading import ROOT, load

TRUTH = ROOT / "tests" / "corpora" / "attention" / "truth.py"


def test_every_recorded_truth_is_the_numeric_one(capsys):
    assert load("attention_truth", TRUTH).main() == 0, capsys.readouterr().out
