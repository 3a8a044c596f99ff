"""The verification section of a document, written for a reader (issue 12): the quantities in the convention's
own notation, counts as a sentence says them, no internal quantity names; and the CLI's report likewise."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.doc import listed, power_of_ten
from derive.verification import counted, label

OUTPUT = Path(__file__).resolve().parent.parent / "output"
INTERNAL = ["delta_from", "grad_act", "grad_weight", "grad_bias", "dE/", "(s)", "[index]", "fd ground", "example(s)"]
# (document, what its table must name, in the convention's notation)
NAMED = [
    ("nielsen/mse-sigmoid.md", [r"$\delta^{l}$, every layer", r"$\delta^{l}$ from $\partial C/\partial a^{l}$",
                                r"$\frac{\partial C}{\partial w^{l}}$", "one example per batch"]),
    ("ng/bce-sigmoid.md", [r"$\delta^{(l)}$, every layer", r"$\partial J/\partial a^{(l)}$ by its own recursion",
                           "| $D^{(l)}$ |", "3 examples per batch", "2 random networks"]),
    ("bishop/mse-identity.md", [r"$\delta^{(l)}$ from $\partial E_n/\partial z^{(l)}$"]),  # Bishop: z = h(a)
    ("dls/cce-softmax.md", [r"$dZ^{[l]}$, every layer", r"$dW^{[l]}$, entry by entry"]),
]


def _section(path: str) -> str:
    text = (OUTPUT / path).read_text()
    return text[text.index("## Verification"):] if path.endswith(".md") else text[text.index(r"\section{Verif"):]


@pytest.mark.parametrize("path", sorted(str(p.relative_to(OUTPUT)) for p in OUTPUT.glob("*/*.*")
                                        if p.suffix in (".md", ".tex")))
def test_no_internal_names_in_any_gallery_verification_section(path):
    section = _section(path)
    assert not [w for w in INTERNAL if w in section], section


@pytest.mark.parametrize("path,needles", NAMED)
def test_the_quantities_are_named_in_the_documents_notation(path, needles):
    section = _section(path)
    assert [n for n in needles if n not in section] == []


@pytest.mark.parametrize("call,want", [
    ((1, "example"), "one example"), ((3, "example"), "3 examples"), ((2, "random network"), "2 random networks"),
    ((0, "seed"), "0 seeds"),
])
def test_counted(call, want):
    assert counted(*call) == want


@pytest.mark.parametrize("items,want", [([], ""), (["a"], "a"), (["a", "b"], "a and b"),
                                        (["a", "b", "c"], "a, b and c")])
def test_listed(items, want):
    assert listed(items) == want


@pytest.mark.parametrize("x,want", [(1e-9, "10^{-9}"), (2.5e-7, r"2.5 \times 10^{-7}"), (0.01, "10^{-2}")])
def test_power_of_ten(x, want):
    assert power_of_ten(x) == want


@pytest.mark.parametrize("key,want", [
    ("delta", "δ^l = ∂E/∂z^l, every layer"), ("grad_act [index]", "∂E/∂a^l by its own recursion, every layer, "
                                                                 "entry by entry"),
    ("grad_weight [index] (torch)", "∂E/∂W^l, entry by entry, against PyTorch"),
    ("delta_from_grad_act (torch)", "δ^l from ∂E/∂a^l, against PyTorch"),
])
def test_the_cli_report_names_quantities_for_a_reader(key, want):
    assert label(key) == want


def test_a_convention_names_replace_the_generic_ones():
    assert label("delta [index]", {"delta": "$dZ^{[l]}$"}) == "$dZ^{[l]}$, entry by entry"
