"""`derive table` writes each row as the convention writes its output-layer delta, and says so: the header names
the convention's quantity and canonical form, and every row the checker can read is one it accepts (the table and
`derive check` never disagree, as they did on CS231n's 1/N)."""

from __future__ import annotations

import re

import pytest

from derive.check import check
from derive.conventions import PRESETS
from derive.table import header, render, rows

CANONICAL_PAIRS = [("mse", "identity"), ("bce", "sigmoid"), ("cce", "softmax"), ("poisson", "exp"), ("kl", "softmax")]
# the rows the checker can read (huber's and the hinge's cases compare values, which it does not read; log-softmax's
# e^{a} and focal's \ln are read in other spellings, tests/test_losses_more.py)
NON_CANONICAL = [("mse", "sigmoid"), ("sse", "identity"), ("cce", "sigmoid"), ("cce_smoothed", "softmax")]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_row_the_checker_reads_holds_in_its_convention(name):
    conv = PRESETS[name]
    by_pair = {(r["loss"], r["activation"]): r for r in rows(conv)}
    quantity = header(conv)["quantity"]
    for loss, out in CANONICAL_PAIRS + NON_CANONICAL:
        row = by_pair[(loss, out)]
        result = check(f"{quantity} = {row['latex']}", name, loss, out, "sigmoid", diagnose=False)
        assert result.holds, f"{name} {loss}+{out}: {quantity} = {row['latex']}: {result.reason}"
    for loss, out in CANONICAL_PAIRS:
        assert by_pair[(loss, out)]["canonical"], (loss, out)


@pytest.mark.parametrize("name,quantity,canonical,absent", [
    ("bishop", r"\delta", "y - t", r"\hat y"),
    ("cs231n", "dZ^{(L)}", r"\frac{1}{N} (P - Y)", r"\hat y"),
    ("nielsen", r"\delta^{L}", "a^{L} - y", r"\partial E"),
])
def test_the_header_speaks_the_convention(name, quantity, canonical, absent):
    md = render(PRESETS[name], "md")
    head = md.splitlines()[0]
    assert quantity in head and f"equals ${canonical}$" in head and absent not in md


def test_latex_keeps_the_canonical_column_and_uses_booktabs():
    tex = render(PRESETS["nielsen"], "tex")
    assert r"\toprule" in tex and r"\bottomrule" in tex and "booktabs" in tex.splitlines()[0]
    body = [line for line in tex.splitlines() if line.startswith("mse & identity")]
    assert body and body[0].split(" & ")[3] == "yes"


SIGN = r"(?:\\odot|\\mathbin\{[^{}]*\}|⊙)"
SCALAR_JOINED = re.compile(rf"{SIGN}\s*(?:\\sqrt|\\pi|\d)|(?:\\sqrt\{{\d\}}|\\pi)\s*{SIGN}")


@pytest.mark.parametrize("name", ["nielsen", "dls", "ng"])
def test_a_number_multiplies_a_vector_as_a_scalar_does(name):
    """sqrt(2) z^L, never z^L ⊙ sqrt(2): the elementwise sign joins entries of vectors, not a constant."""
    for fmt in ("md", "text"):
        out = render(PRESETS[name], fmt)
        assert "gelu" in out and not SCALAR_JOINED.search(out), SCALAR_JOINED.search(out)
