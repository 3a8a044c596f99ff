"""Claims stated under a condition on their indices (issue 9): \\forall i \\neq k, ... ; ... \\text{ if } i = j; a cases
block, one claim per case, the last case's "otherwise" (sinon, else) being where no earlier condition holds.

Each is judged only at the components where its condition holds, and says so. The condition counts: an edit of it
(i = k for i \\neq k, the cases swapped) changes the verdict. A condition derive cannot evaluate is refused with the
reason, never dropped.
"""

from __future__ import annotations

import pytest

import derive
from derive.formula.conditions import ConditionError, read
from derive.formula.parse import cases, parse
from derive.infer import weight_products

SOFTMAX = dict(convention="nielsen", loss="cce", output="softmax", hidden="tanh")
NIELSEN = dict(convention="nielsen", loss="mse", output="sigmoid", hidden="sigmoid")
NG = dict(convention="ng", loss="bce", output="sigmoid", hidden="sigmoid")
SETTINGS = {"softmax": SOFTMAX, "nielsen": NIELSEN, "ng": NG}

DZ_DW = r"\frac{\partial z^{(3)}_k}{\partial W^{(3)}_{ij}} = 0"
DA_DZ = r"\frac{\partial a^{(3)}_i}{\partial z^{(3)}_j} = "
DIAGONAL, OFF = r"a^{(3)}_i (1 - a^{(3)}_i)", r"-a^{(3)}_i a^{(3)}_j"


def softmax_cases(first: str, second: str, condition: str = r"\text{ si } i = j", last: str = r"\text{ sinon.}"):
    return DA_DZ + rf"\begin{{cases}} {first} {condition} \\ {second} {last} \end{{cases}}"


# (setting, formula, the words the reason must hold): each judged where its condition holds, and holding there
HOLDS = [
    # rugessnome_retropropagation.tex: dz_k/dW_ij vanishes off row k (a quantifier before the formula)
    ("softmax", rf"\forall i \neq k, \quad {DZ_DW}.", "judged where i ≠ k"),
    ("softmax", rf"{DZ_DW} \quad \text{{for }} i \neq k", "judged where i ≠ k"),
    ("softmax", rf"{DZ_DW} \quad \text{{if }} i \neq k \text{{ and }} j \neq k", "judged where i ≠ k and j ≠ k"),
    # softmax's Jacobian, a case at a time (French si / sinon, English if / otherwise, a case's & before its condition)
    ("softmax", DA_DZ + DIAGONAL + r" \text{ si } i = j", "judged where i = j"),
    ("softmax", softmax_cases(DIAGONAL, OFF), "all 2 cases hold"),
    ("softmax", softmax_cases(DIAGONAL, OFF, r"& \text{if } i = j", r"& \text{otherwise}"), "all 2 cases hold"),
    ("softmax", softmax_cases(DIAGONAL, OFF, r"& i = j", r"& \text{else}"), "all 2 cases hold"),
    ("softmax", softmax_cases(OFF, DIAGONAL, r"\text{ if } i \neq j", r"\text{ otherwise}"), "all 2 cases hold"),
    # a gradient's components, and an identity of the forward pass
    ("nielsen", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j \quad\text{if } j = k",
     "judged where j = k"),
    ("nielsen", r"w^l_{jk} = w^l_{kj} \quad\text{if } j = k", "judged where j = k"),
    # a number where the convention fixes the counting: Ng's column 0 is the bias unit's (a_0 = 1)
    ("ng", r"\frac{\partial J(\Theta)}{\partial \Theta^{(l)}_{ij}} = \frac{1}{m} \sum_{t=1}^{m} \delta^{(l+1)}_i "
           r"\quad\text{if } j = 0", "judged where j = 0"),
    ("ng", r"\frac{\partial J(\Theta)}{\partial \Theta^{(l)}_{ij}} = \frac{1}{m} \sum_{t=1}^{m} a^{(l)}_j "
           r"\delta^{(l+1)}_i \quad\text{if } j \neq 0", "judged where j ≠ 0"),
]

# each an edit of a formula above: the condition (or a case) changed, which must change the verdict
FAILS = [
    ("softmax", rf"\forall i = k, \quad {DZ_DW}."),
    ("softmax", rf"{DZ_DW} \quad \text{{for }} i = k"),
    ("softmax", DA_DZ + DIAGONAL + r" \text{ si } i \neq j"),
    ("softmax", softmax_cases(DIAGONAL, OFF, r"\text{ si } i \neq j")),
    ("softmax", softmax_cases(OFF, DIAGONAL)),
    ("softmax", softmax_cases(DIAGONAL, r"a^{(3)}_i a^{(3)}_j")),
    ("softmax", softmax_cases(DIAGONAL, OFF, r"\text{ si } i = j", r"\text{ si } i = j")),
    ("nielsen", r"w^l_{jk} = w^l_{kj} \quad\text{if } j \neq k"),
    ("ng", r"\frac{\partial J(\Theta)}{\partial \Theta^{(l)}_{ij}} = \frac{1}{m} \sum_{t=1}^{m} \delta^{(l+1)}_i "
           r"\quad\text{if } j = 1"),
    ("ng", r"\frac{\partial J(\Theta)}{\partial \Theta^{(l)}_{ij}} = \frac{1}{m} \sum_{t=1}^{m} \delta^{(l+1)}_i "
           r"\quad\text{if } j \neq 0"),
]

# refused, with the reason: what derive cannot restrict the check to
REFUSED = [
    ("nielsen", r"\delta^L_j = a^L_j - y_j \quad\text{if } j \neq 0", "count units from 0 or from 1"),
    ("nielsen", r"\delta^L = a^L - y \quad\text{if } y = 1", "y is not a component index written on the left"),
    ("softmax", rf"{DZ_DW} \quad \text{{unless }} i = k", "the word 'unless'"),
    ("softmax", rf"{DZ_DW} \quad \text{{for }} i < k", "i < k is not a relation derive reads"),
    ("softmax", rf"{DZ_DW} \quad \text{{if }} i \neq i", "holds at no component"),
    ("softmax", rf"{DZ_DW} \quad \text{{otherwise}}", "the last case of a cases block"),
    ("softmax", softmax_cases(DIAGONAL, OFF, ""), "case 1 of 2 cannot be checked: the case states no condition"),
    # rugessnome's d l / d z_i with the class index y: a condition on the target, not on an index of the left side
    ("softmax", r"\frac{\partial C}{\partial z^{(3)}_i} = \begin{cases} a^{(3)}_y - 1 \text{ si } i = y \\ a^{(3)}_i "
                r"\text{ sinon.} \end{cases}", "cannot be checked"),
]


@pytest.mark.parametrize("setting,formula,words", HOLDS)
def test_a_claim_under_a_condition_is_judged_where_it_holds(setting, formula, words):
    result = derive.check(formula, **SETTINGS[setting], diagnose=False)
    assert result.verdict == "holds", result.text()
    assert words in result.text(), result.text()


@pytest.mark.parametrize("setting,formula", FAILS)
def test_an_edit_of_the_condition_changes_the_verdict(setting, formula):
    result = derive.check(formula, **SETTINGS[setting], diagnose=False)
    assert result.verdict == "fails", result.text()


@pytest.mark.parametrize("setting,formula,words", REFUSED)
def test_a_condition_derive_cannot_evaluate_is_refused(setting, formula, words):
    result = derive.check(formula, **SETTINGS[setting], diagnose=False)
    assert result.verdict == "invalid", result.text()
    assert words in result.reason, result.text()


def test_without_its_condition_the_claim_fails():
    # so that the condition is what makes the claims above hold, not a formula true everywhere
    for formula in (DZ_DW, DA_DZ + DIAGONAL, DA_DZ + OFF):
        assert derive.check(formula, **SOFTMAX, diagnose=False).verdict == "fails", formula


def test_a_quantifier_before_the_formula_is_its_condition():
    claim = parse(rf"\forall i \neq k, \quad {DZ_DW}.")
    assert claim.condition == r"\forall i \neq k" and claim.lhs == parse(DZ_DW).lhs
    assert parse(r"\forall l, \delta^l = 0").condition is None  # a quantifier over the layer: prose, as "for l < L"
    assert parse(r"\forall i, j: z_i = 0").condition is None


def test_a_cases_block_is_one_formula_per_case():
    split = cases(softmax_cases(DIAGONAL, OFF, r"& \text{if } i = j", r"& \text{otherwise}"))
    assert [parse(case).condition for case in split] == ["if i = j", "otherwise"]
    assert cases(DA_DZ + DIAGONAL) is None
    assert cases(DA_DZ + r"\begin{cases} a \\ b \end{cases} + 1") is None  # the block is not the whole right side


@pytest.mark.parametrize("text,shown,values,holds", [
    (r"\forall i \neq k", "i ≠ k", {"i": 1, "k": 2}, True),
    (r"si i = j", "i = j", {"i": 1, "j": 2}, False),
    (r"if j \neq 0", "j ≠ 0", {"j": 0}, False),
    (r"if i = j, j \ne 2", "i = j and j ≠ 2", {"i": 1, "j": 1}, True),
])
def test_a_condition_reads_as_its_relations(text, shown, values, holds):
    where = read(text)
    assert where.text() == shown and where.holds(values) == holds


def test_otherwise_is_where_no_earlier_case_holds():
    where = read("sinon.", ("si i = j",))
    assert where.text() == "i ≠ j" and where.holds({"i": 1, "j": 2}) and not where.holds({"i": 2, "j": 2})
    with pytest.raises(ConditionError):
        read("otherwise")


@pytest.mark.parametrize("text,order", [
    (r"z^{(O)} = W^{(O)} a^{(H)} + b^{(O)}", "to_from"),      # rugessnome: W a, a column: W_{ij} is row i, unit i of z
    (r"z^l = w^l a^{l-1} + b^l", "to_from"),
    (r"z^{[l]} = a^{[l-1]} W^{[l]} + b^{[l]}", "from_to"),    # a row times W: W_{ij} is column j, unit j of z
    (r"z = W^T a + b", None),                                 # transposed: not read
    (r"z = W^{\top} a + b", None),
    (r"z^{(l)} = W'^{(l)} a^{(l-1)}", None),
])
def test_a_matrix_forward_equation_says_a_weights_subscript_order(text, order):
    found = weight_products([(0, text)])
    assert [o for _, o, _ in found] == ([order] if order else [])
