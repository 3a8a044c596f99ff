"""The pooling corpus (tests/corpora/pooling): every claim's recorded truth is the numeric one.

truth.py decides each claim by finite differences of the max or average pooling its own source defines (its
layout, windows and stride), on inputs without ties; it imports nothing of derive. This test only runs it, so a
manifest edit that contradicts the numbers fails here.
"""

from loading import ROOT, load

TRUTH = ROOT / "tests" / "corpora" / "pooling" / "truth.py"


def test_every_recorded_truth_is_the_numeric_one(capsys):
    assert load("pooling_truth", TRUTH).main() == 0, capsys.readouterr().out
