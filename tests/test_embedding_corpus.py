"""The embedding corpus (tests/corpora/embedding): every claim's recorded truth is the numeric one.

truth.py decides each claim by finite differences of the lookup y = W[x] its own source defines, on ids that
repeat; it imports nothing of derive. This test only runs it, so a manifest edit that contradicts the numbers
fails here.
"""

from loading import ROOT, load

TRUTH = ROOT / "tests" / "corpora" / "embedding" / "truth.py"


def test_every_recorded_truth_is_the_numeric_one(capsys):
    assert load("embedding_truth", TRUTH).main() == 0, capsys.readouterr().out
