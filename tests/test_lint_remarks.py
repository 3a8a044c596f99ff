"""A quoted remark (a Markdown blockquote) that names its own loss is about that loss: its claims are judged under
it, and lint says so; everything outside the remark, and a remark that names nothing, keep the notes' problem."""

from __future__ import annotations

import pytest

from derive.lint import lint

NOTES = """# Output layer

The cost is the quadratic cost $C = \\frac{1}{2} \\sum_j (a^L_j - y_j)^2$, with sigmoid outputs.

$$\\delta^L = (a^L - y) \\odot \\sigma'(z^L)$$

{remark}

$$\\delta^L_j = (a^L_j - y_j) \\sigma'(z^L_j)$$
"""
BCE = """> **Remark.** For the binary cross-entropy loss (the log loss) with a sigmoid output the sigma' cancels:
> $\\delta^L_j = a^L_j - y_j$."""
PLAIN = """> **Remark.** This is the first of the four equations:
> $\\delta^L_j = a^L_j - y_j$."""
FENCED = """```
> For the binary cross-entropy loss with a sigmoid output:
```
$\\delta^L_j = a^L_j - y_j$"""


def _verdicts(tmp_path, remark: str) -> list[tuple[str, str, str]]:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES.replace("{remark}", remark), encoding="utf-8")
    return [(f.formula, f.verdict, f.basis.loss.value if f.basis else "") for f in lint(str(notes))
            if f.formula.startswith("\\delta")]


@pytest.mark.parametrize("remark,inside", [(BCE, ("holds", "bce")), (PLAIN, ("fails", "mse")),
                                           (FENCED, ("fails", "mse"))])
def test_a_remark_is_judged_under_the_loss_it_names(tmp_path, remark, inside):
    found = _verdicts(tmp_path, remark)
    assert [v[1:] for v in found] == [("holds", "mse"), inside, ("holds", "mse")], found


def test_lint_names_the_remark_where_it_decides(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES.replace("{remark}", BCE), encoding="utf-8")
    findings = lint(str(notes))
    remark = next(f for f in findings if f.formula == "\\delta^L_j = a^L_j - y_j")
    assert remark.basis.section == "the quoted remark" and "binary cross-entropy" in remark.basis.loss.why


def test_a_clue_that_names_a_family_counts_once_against_the_winner():
    """'mean squared error' votes for mse, sse and mse_mean: one piece of evidence, not three rivals."""
    from derive.infer import TEXT, choose, gather
    text = "binary cross-entropy, the binary cross-entropy, a binary cross-entropy, not the mean squared error"
    votes = gather([(0, text, TEXT)], lambda offset: 1).votes("loss")
    assert {h.clue.values for h in votes} == {("bce",), ("mse", "sse", "mse_mean")}
    assert choose(votes, 4).value == "bce"
    assert choose(votes + votes[-1:] * 2, 4).value is None  # three such clues are three pieces of evidence


@pytest.mark.parametrize("sentence,order", [
    (r"where $w_{jk}^{L}$ is the weight from the $k$th neuron in layer $L-1$ to the $j$th neuron in layer $L$",
     "to_from"),
    (r"$w_{ij}^l$ is the weight from the $i$th neuron in layer $l-1$ to the $j$th neuron", "from_to"),
    (r"$w_{qj}^{l+1}$ is the weight from neuron $j$ to $q$", "to_from"),
    (r"$w_{jk}$ denotes the weight of the connection from unit $k$ to unit $j$", "to_from"),
    (r"$w_{jk}$ is the weight from the $q$th neuron to $j$", None),   # other units than the subscripts'
    (r"$w_{jk}$ is a weight, from $k$ to $j$ we go", None),            # not the sentence that defines it
])
def test_the_notes_words_say_a_weights_subscript_order(sentence, order):
    from derive.infer import weight_sentences
    found = weight_sentences(sentence)
    assert [f[1] for f in found] == ([order] if order else [])


@pytest.mark.parametrize("math,votes", [(r"\bullet", False), (r"\bullet\ n_L \text{ is the width}", False),
                                        (r"a^{(l)} \bullet (1 - a^{(l)})", True), ("a • b", True)])
def test_a_lists_bullet_is_not_ufldls_product(math, votes):
    from derive.infer import MATH, gather
    found = gather([(0, math, MATH)], lambda offset: 1).votes("convention")
    assert any("ufldl" in h.clue.values for h in found) == votes


def test_the_weight_offsets_copy_the_presets():
    from derive.conventions import PRESETS
    from derive.infer import _WEIGHT_OFFSETS
    assert _WEIGHT_OFFSETS == {name: conv.weight_offset for name, conv in PRESETS.items()}


STRUCTURED = r"""# Forward pass

$$z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}, \qquad a^{(l)} = \sigma(z^{(l)})$$

# Backward pass

$$\delta^{(L)} = (a^{(L)} - y) \odot \sigma'(z^{(L)})$$

$$\delta^{(l)} = ((W^{(l+1)})^T \delta^{(l+1)}) \odot \sigma'(z^{(l)})$$

$$\frac{\partial L}{\partial W^{(l)}} = \delta^{(l+1)} (a^{(l)})^T$$
"""


@pytest.mark.parametrize("forward,convention,last", [
    ("", None, "skipped"),  # no definition: (l) and Ng's delta^{(l+1)} (a^{(l)})^T against Nielsen's recursion
    (r"$$z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}, \qquad a^{(l)} = \sigma(z^{(l)})$$", "nielsen", "fails"),
])
def test_the_notes_forward_equation_rules_out_the_other_weight_naming(tmp_path, forward, convention, last):
    """W^{(l)} feeds layer l by the notes' own definition: a gradient written in Ng's structure is a mistake to
    judge (it fails, one layer off), not evidence that the notes are Ng's."""
    notes = tmp_path / "notes.md"
    notes.write_text(STRUCTURED.replace(r"$$z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}, \qquad a^{(l)} = \sigma(z^{(l)})$$",
                                        forward), encoding="utf-8")
    found = [f for f in lint(str(notes)) if f.formula.startswith(("\\delta", "\\frac"))]
    assert [f.verdict for f in found][-1] == last, [(f.verdict, f.reason[:80]) for f in found]
    if convention:
        assert all(f.convention == convention for f in found)
