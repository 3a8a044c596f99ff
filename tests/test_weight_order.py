"""The order of a weight's two subscripts (issue 9, settings the presets do not cover): Nielsen's w_{jk} runs to
unit j from unit k (to_from); many course notes write w_{ij} from unit i to unit j (from_to). The setting is a
convention field (`weight_indices`), a lint directive (`weights=from_to`) and is read from the notes' own
forward equation from its line on."""

from __future__ import annotations

import dataclasses

import pytest

from derive.check import check
from derive.conventions import PRESETS, from_dict
from derive.infer import weight_definitions
from derive.lint import LintError, lint

FROM_TO = dataclasses.replace(PRESETS["nielsen"], name="nielsen-from-to", weight_indices="from_to")

# (formula, verdict with Nielsen's to_from order, verdict with from_to): each claim holds in exactly one order
CLAIMS = [
    (r"\frac{\partial z_j^l}{\partial w_{ij}^l} = a_i^{l-1}", "fails", "holds"),
    (r"\frac{\partial z_j^l}{\partial w_{jk}^l} = a_k^{l-1}", "holds", "fails"),
    (r"\frac{\partial z_j^l}{\partial a_i^{l-1}} = w_{ji}^l", "holds", "fails"),
    (r"\frac{\partial z_j^l}{\partial a_i^{l-1}} = w_{ij}^l", "fails", "holds"),
    (r"\delta_j^l = \sum_k \delta_k^{l+1} w_{kj}^{l+1} \sigma'(z_j^l)", "holds", "fails"),
    (r"\delta_j^l = \sum_k \delta_k^{l+1} w_{jk}^{l+1} \sigma'(z_j^l)", "fails", "holds"),
    (r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j", "holds", "fails"),
    (r"\frac{\partial C}{\partial w^l_{kj}} = a^{l-1}_k \delta^l_j", "fails", "holds"),
]


@pytest.mark.parametrize("formula,to_from,from_to", CLAIMS)
def test_a_component_formula_is_read_in_the_conventions_weight_order(formula, to_from, from_to):
    assert check(formula, "nielsen").verdict == to_from
    assert check(formula, FROM_TO).verdict == from_to


def test_vector_formulas_do_not_depend_on_the_subscript_order():
    formula = r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)"
    assert check(formula, "nielsen").verdict == check(formula, FROM_TO).verdict == "holds"


def test_bishop_letters_name_the_layer_a_weight_feeds_in_either_order():
    bishop = PRESETS["bishop"]
    swapped = dataclasses.replace(bishop, name="bishop-from-to", weight_indices="from_to")
    assert check(r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k", bishop).verdict == "holds"
    assert check(r"\delta_j = h'(a_j) \sum_k w_{jk} \delta_k", swapped).verdict == "holds"
    assert check(r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k", swapped).verdict != "holds"


def test_a_convention_file_may_set_the_order_and_a_bad_value_is_refused():
    conv = from_dict({"name": "course", "source": "notes", "weight_indices": "from_to"})
    assert conv.weight_indices == "from_to"
    with pytest.raises(Exception, match="weight_indices"):
        from_dict({"name": "course", "source": "notes", "weight_indices": "ij"})


@pytest.mark.parametrize("text,order", [
    (r"z_j^{l+1} = \sum_{i=1}^{M_{l}}w_{ij}^{l+1}a_i^{l}+b_j^{l+1}", "from_to"),
    (r"z^l_j = \sum_k w^l_{jk} a^{l-1}_k + b^l_j", "to_from"),
    (r"z^{(l)}_j = \sum_{k} \mathbf{w}^{(l)}_{jk} \, a^{(l-1)}_k", "to_from"),
    (r"a_j = \sum_i w_{ji} z_i", "to_from"),          # Bishop: a is the pre-activation, z the unit's output
    (r"z_j = \sum_i w_{ij} x_i + b_j", "from_to"),
    (r"\delta_j = \sum_k w_{kj} \delta_k", None),    # a backward sum says nothing about the definition
    (r"\frac{\partial z_j}{\partial w_{ij}} = a_i", None),  # nor does a claim about a derivative
    (r"z_j = \sum_k w_{jj} a_k", None),              # not one index per unit
])
def test_the_order_is_read_from_a_forward_equation_only(text, order):
    found = weight_definitions([(0, text)])
    assert [o for _, o, _ in found] == ([order] if order else [])


NOTES = """# Notes

$$ \\frac{\\partial C}{\\partial w^l_{jk}} = a^{l-1}_k \\delta^l_j $$

We now write the forward pass as

$$ z_j^{l} = \\sum_i w_{ij}^{l} a_i^{l-1} + b_j^l $$

$$ \\frac{\\partial C}{\\partial w^l_{ij}} = a^{l-1}_i \\delta^l_j $$

$$ \\frac{\\partial C}{\\partial w^l_{jk}} = a^{l-1}_k \\delta^l_j $$
"""


def test_lint_takes_the_order_from_the_notes_forward_equation_from_its_line_on(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(NOTES, encoding="utf-8")
    found = {f.line: f for f in lint(str(path), convention="nielsen", loss="mse", output="sigmoid",
                                     hidden="sigmoid")}
    assert found[3].verdict == "holds"   # before the definition: Nielsen's own order
    assert found[9].verdict == "holds"   # after it: w_{ij} from unit i to unit j
    assert found[11].verdict == "fails"
    assert "weights from_to (from z_j^{l} = \\sum_i w_{ij}^{l} a_i on line 7)" in found[9].basis.text()
    assert "weights" not in found[3].basis.text()  # the assumed order is not announced


def test_a_directive_or_the_caller_overrides_the_notes(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("<!-- derive: weights=to_from -->\n" + NOTES, encoding="utf-8")
    found = {f.line: f for f in lint(str(path), convention="nielsen", loss="mse", output="sigmoid",
                                     hidden="sigmoid")}
    assert found[12].verdict == "holds" and found[10].verdict == "fails"
    plain = tmp_path / "plain.md"
    plain.write_text(NOTES, encoding="utf-8")
    found = {f.line: f for f in lint(str(plain), convention="nielsen", loss="mse", output="sigmoid",
                                     hidden="sigmoid", weights="to_from")}
    assert found[11].verdict == "holds" and found[9].verdict == "fails"


@pytest.mark.parametrize("value", ["ij", "from-to-ish", "1"])
def test_a_bad_weights_directive_is_one_line_naming_the_file(tmp_path, value):
    path = tmp_path / "notes.md"
    path.write_text(f"<!-- derive: weights={value} -->\n$$ \\delta^L = a^L - y $$\n", encoding="utf-8")
    with pytest.raises(LintError) as info:
        lint(str(path))
    message = str(info.value)
    assert "notes.md:1" in message and "\n" not in message and "from_to" in message


def test_the_command_line_takes_the_order(tmp_path):
    import subprocess
    import sys
    path = tmp_path / "notes.md"
    path.write_text("$$ \\frac{\\partial z_j^l}{\\partial w_{ij}^l} = a_i^{l-1} $$\n", encoding="utf-8")
    run = lambda *flags: subprocess.run([sys.executable, "-m", "derive", "lint", "--convention", "nielsen", *flags,
                                         str(path)], capture_output=True, text=True, timeout=300)
    assert run().returncode == 1
    given = run("--weights", "from_to")
    assert given.returncode == 0 and "weights from_to (--weights)" in given.stdout
    bad = run("--weights", "ij")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
