"""derive translate: the same result in another source's notation, and both checked against truth."""

from __future__ import annotations

import pytest

from derive.translate import Untranslatable, translate

BP2 = r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)"

CASES = [
    # Nielsen's w^{l+1} is Ng's Theta^(l), without the bias row (ex4: delta(2:end))
    ("nielsen", "ng", BP2, r"\delta^{(l)} = \left[(\Theta^{(l)})^{T} \delta^{(l+1)}\right]_{2:\mathrm{end}} "
                          r"\mathbin{.*} g'(z^{(l)})"),
    ("ng", "nielsen", r"\delta^{(l)} = (\Theta^{(l)})^T \delta^{(l+1)} .* g'(z^{(l)})",
     r"\delta^{l} = ((w^{l+1})^{T} \delta^{l+1}) \odot \sigma'(z^{l})"),
    # Goodfellow's a^(k) is Nielsen's z^k (the pre-activation), his gradients are nablas
    ("nielsen", "goodfellow", BP2,
     r"\nabla_{a^{(l)}} J = ((W^{(l+1)})^{T} \nabla_{a^{(l+1)}} J) \odot f'(a^{(l)})"),
    # deeplearning.ai's columns become CS231n's rows: transposed, and CS231n's dZ carries the 1/N
    ("dls", "cs231n", r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}", r"dW^{(l)} = (A^{(l-1)})^{T} dZ^{(l)}"),
    ("dls", "cs231n", r"dZ^{[l]} = W^{[l+1]T} dZ^{[l+1]} * g'(Z^{[l]})",
     r"dZ^{(l)} = (dZ^{(l+1)} (W^{(l+1)})^{T}) \odot \sigma'(Z^{(l)})"),
    ("cs231n", "dls", r"dZ^{(L)} = \frac{1}{N}(P - Y)", r"dZ^{[L]} = A^{[L]} - Y"),
]


@pytest.mark.parametrize("src,dst,formula,expected", CASES)
def test_translation_reads_and_holds_in_both(src, dst, formula, expected):
    loss, out = ("cce", "softmax") if "P - Y" in formula else ("bce", "sigmoid")
    t = translate(formula, src, dst, loss, out, "tanh")
    assert t.latex == expected
    assert t.source_verdict == t.target_verdict == "holds"


def test_a_wrong_formula_stays_wrong():
    t = translate(r"\delta^l = (w^{l+1})^T \delta^{l+1}", "nielsen", "dls", "bce", "sigmoid", "tanh")
    assert t.source_verdict == t.target_verdict == "fails"


@pytest.mark.parametrize("src,dst,formula,reason", [
    ("nielsen", "dls", r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T", "different quantities"),
    ("ng", "nielsen", r"D^{(l)} = \frac{1}{m} \delta^{(l+1)} (a^{(l)})^T", "different quantities"),
    ("nielsen", "wikipedia", r"\frac{\partial C}{\partial b^l} = \delta^l", "bias"),
    ("nielsen", "ng", r"\delta^l = ((w^{l})^T \delta^{l+1}) \odot \sigma'(z^l)", "does not conform"),
])
def test_refusals_say_why(src, dst, formula, reason):
    with pytest.raises(Untranslatable, match=reason):
        translate(formula, src, dst, "bce", "sigmoid", "tanh")


def test_translate_command(capsys):
    from derive.cli import main
    assert main(["translate", "--from", "dls", "--to", "cs231n", "--loss", "bce", "--activation", "sigmoid",
                 r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == r"dW^{(l)} = (A^{(l-1)})^{T} dZ^{(l)}" and out[1] == "holds in dls and in cs231n"
    per_example = r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T"
    assert main(["translate", "--from", "nielsen", "--to", "dls", per_example]) == 2
    err = capsys.readouterr().err
    assert "different quantities" in err and len(err.strip().splitlines()) == 1
