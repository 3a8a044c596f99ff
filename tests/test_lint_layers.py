"""``derive lint`` with a layer directive (issue 11): ``<!-- derive: layer=batchnorm convention=ioffe -->`` makes the
claims after it about that kind on its own, judged by ``check(..., layer=)`` in its source's letters, until
``layer=none``; a malformed layer directive is a one-line error, never dropped."""

from __future__ import annotations

import pytest

from derive.lint import LintError, lint

NOTES = r"""# Batch norm backward

<!-- derive: layer=batchnorm convention=ioffe -->

$$\frac{\partial \ell}{\partial \widehat{x}_i} = \frac{\partial \ell}{\partial y_i} \cdot \gamma$$

$$\frac{\partial \ell}{\partial x_i} =
  \frac{\partial \ell}{\partial \widehat{x}_i} \frac{1}{\sqrt{\sigma^2_{\mathcal{B}} + \epsilon}}$$

<!-- derive: layer=layernorm convention=cs231n unbiased=true -->

$$d\gamma_j = \sum_i dout_{ij} \hat{x}_{ij}$$

<!-- derive: layer=dense -->

$$dx_{ik} = \sum_j dout_{ij} w_{kj}$$

$$dw_{kj} = \sum_i dout_{ij}$$

<!-- derive: layer=none -->
<!-- derive: convention=nielsen loss=mse activation=sigmoid hidden=sigmoid -->

$$\delta^L = (a^L - y) \odot \sigma'(z^L)$$
"""


def test_claims_under_a_layer_directive_are_judged_as_that_layer(tmp_path):
    path = tmp_path / "bn.md"
    path.write_text(NOTES)
    found = [(f.line, f.verdict, f.convention) for f in lint([str(path)])]
    assert found == [
        (5, "holds", "batchnorm layer in ioffe's letters"),
        (7, "fails", "batchnorm layer in ioffe's letters"),
        (12, "holds", "layernorm layer in cs231n's letters (n - 1 variance)"),
        (16, "holds", "dense layer"),
        (18, "fails", "dense layer"),
        (23, "holds", "nielsen"),
    ]
    failing = next(f for f in lint([str(path)]) if f.line == 7)
    assert failing.diagnosis["mistake"] == "mu and var treated as constants"


REFUSED = [
    ("layer=conv", "unknown layer kind 'conv'"),
    ("layer=batchnorm loss=mse", "loss apply to a network"),
    ("layer=batchnorm convention=nielsen", "its notations: ioffe, cs231n"),
    ("layer=dropout unbiased=true", "dropout has no variance"),
    ("unbiased=true", "unbiased= is for a layer directive"),
    ("layer=batchnorm unbiased=maybe", "unbiased (true or false)"),
    ("layer=none unbiased=true", "layer=none takes no other key"),
]


def test_a_network_directive_under_a_layer_directive_is_refused(tmp_path):
    # the layer directive stays in force until layer=none: a network's directive in its scope is ambiguous
    path = tmp_path / "notes.md"
    path.write_text("<!-- derive: layer=batchnorm -->\n\n$$dx = dout$$\n\n<!-- derive: convention=nielsen -->\n")
    with pytest.raises(LintError, match="a layer directive is in force .batchnorm layer.; end it with layer=none"):
        lint([str(path)])
    path.write_text("<!-- derive: layer=batchnorm -->\n<!-- derive: unbiased=true -->\n\n"
                    "$$\\frac{\\partial \\ell}{\\partial \\beta} = \\sum_i \\frac{\\partial \\ell}{\\partial y_i}$$\n")
    (finding,) = lint([str(path)])
    assert finding.verdict == "holds" and finding.convention == "batchnorm layer (n - 1 variance)"


@pytest.mark.parametrize("directive, message", REFUSED)
def test_a_malformed_layer_directive_is_refused(tmp_path, directive, message):
    path = tmp_path / "notes.md"
    path.write_text(f"<!-- derive: {directive} -->\n\n$$dx = dout$$\n")
    with pytest.raises(LintError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        lint([str(path)])
    assert "\n" not in str(e.value) and "notes.md:1" in str(e.value)
