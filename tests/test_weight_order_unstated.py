"""A local derivative by a weight's component says which order the notes give the weight's subscripts: where the
notes state no order (no forward equation, no directive) and no convention, its verdict under an assumed order
would be circular, so lint skips it with the reason (issue 9: a slide wrote dz_j/dw_{ij} = a_i and
dz_j/da_i = w_{ji} with no forward equation, and the second "held" under Nielsen's assumed order)."""

from __future__ import annotations

import pytest

from derive.lint import lint

DZ_DW = r"$$\frac{\partial z_j^l}{\partial w_{ij}^l} = a_i^{l-1}$$"
DZ_DA = r"$$\frac{\partial z_j^l}{\partial a_i^{l-1}} = w_{ji}^l$$"
FORWARD = r"$$z_j^l = \sum_i w_{ij}^l a_i^{l-1} + b_j^l$$"

CASES = [
    # (notes, the verdicts of the claims after the first line that is not a claim, reason fragment)
    (f"Derivatives.\n\n{DZ_DW}\n\nand\n\n{DZ_DA}\n", ["skipped", "skipped"], "the notes state none"),
    (f"{FORWARD}\n\n{DZ_DW}\n\n{DZ_DA}\n", ["holds", "holds", "fails"], ""),  # the forward equation says from_to
    (f"<!-- derive: weights=from_to -->\n\n{DZ_DW}\n\n{DZ_DA}\n", ["holds", "fails"], ""),
    (f"<!-- derive: convention=nielsen -->\n\n{DZ_DW}\n\n{DZ_DA}\n", ["fails", "holds"], ""),  # Nielsen's order
]


@pytest.mark.parametrize("notes,verdicts,reason", CASES)
def test_an_unstated_order_is_not_assumed_for_the_claims_that_state_it(tmp_path, notes, verdicts, reason):
    path = tmp_path / "notes.md"
    path.write_text("# Backpropagation with sigmoid units\n\n" + notes, encoding="utf-8")
    findings = [f for f in lint([str(path)], diagnose=False) if f.verdict != "skipped" or "order" in f.reason]
    assert [f.verdict for f in findings] == verdicts, [(f.verdict, f.reason) for f in findings]
    assert all(reason in f.reason for f in findings if f.verdict == "skipped")


def test_a_gradient_in_components_is_still_judged_under_the_assumed_order(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("$$\\frac{\\partial C}{\\partial w^l_{jk}} = a^{l-1}_k \\delta^l_j$$\n", encoding="utf-8")
    assert [f.verdict for f in lint([str(path)], diagnose=False)] == ["holds"]
