"""`check --layer` on the kinds that read at computed indices (convolution, pooling, the recurrent layers).

The reader takes an index written as arithmetic of index letters, sizes, the kind's constants and numbers
(s(k - 1) + m - p, t + 1, j + 2H), Iverson brackets of such indices, a condition on a constant after the formula
(\\text{if } s = 1), and judges entry by entry against truth_kinds; the known mistakes of these kinds are named.
Each table row can fail: a wrong verdict, a wrong or missing diagnosis, a refusal that no longer comes.
"""

import pytest

from derive import check
from derive.formula.parse import parse_expr

# formulas as the sources write them (in derive's letters for each source), each true
HOLDS = [
    # Goodfellow et al. eq. 9.11 with derive's padding p: dK as a correlation of the input with G
    ("conv1d", "goodfellow", r"\frac{\partial J}{\partial K_{ilm}} = \sum_{k} \sum_{r} "
     r"\frac{\partial J}{\partial Z^{(r)}_{ik}} V^{(r)}_{l,(k-1)\times s+m-p}"),
    # the scatter-sum written with an Iverson bracket
    ("conv1d", "cs231n", r"dx_{nct} = \sum_{f=1}^{F} \sum_{i=1}^{W'} \sum_{u=1}^{\mathit{WW}} "
     r"\left[t = \mathrm{stride}\,(i-1) + u - \mathrm{pad}\right] w_{fcu}\, \mathrm{dout}_{nfi}"),
    # the full convolution with the flipped kernel, claimed for stride 1 only
    ("conv1d", "cs231n", r"dx_{nct} = \sum_{f=1}^{F} \sum_{u=1}^{\mathit{WW}} w_{fcu} "
     r"\mathrm{dout}_{n,f,t-u+\mathrm{pad}+1} \quad \text{if } \mathrm{stride} = 1"),
    ("conv2d", "goodfellow", r"\frac{\partial J}{\partial b_{i}} = \sum_{j} \sum_{k} \sum_{r} "
     r"\frac{\partial J}{\partial Z^{(r)}_{ijk}}"),
    # one sum over several indices, as eq. 9.11 writes it
    ("conv2d", "goodfellow", r"\frac{\partial J}{\partial K_{ilmn}} = \sum_{j,\,k,\,r} "
     r"\frac{\partial J}{\partial Z^{(r)}_{ijk}} V^{(r)}_{l,s(j-1)+m-p,s(k-1)+n-p}"),
    ("avgpool1d", "cs231n", r"dx_{nct} = \sum_{i=1}^{W'} \sum_{u=1}^{\mathit{PW}} "
     r"\left[t = \mathrm{stride}(i-1) + u\right] \frac{\mathrm{dout}_{nci}}{\mathit{PW}}"),
    # Goodfellow eq. 10.21 with the upstream gradient of each state in place of V^T grad_o L
    ("rnn", "goodfellow", r"\frac{\partial L}{\partial h_{tj}} = \frac{\partial L}{\partial y_{tj}} + "
     r"\sum_{i} W_{ji} (1 - h_{t+1,i}^2) \frac{\partial L}{\partial h_{t+1,i}}"),
    ("rnn", "cs231n", r"{dW_{x}}_{kj} = \sum_{n} \sum_{t} x_{ntk}\, da_{ntj}"),
    ("rnn", "cs231n", r"{dh_{0}}_{ni} = \sum_{j} {W_{h}}_{ij}\, da_{n1j}"),
    ("lstm", "cs231n", r"dc_{ntj} = dh_{ntj}\, o_{ntj} (1 - \tanh^2(c_{ntj})) + dc_{n,t+1,j} f_{n,t+1,j}"),
    # max pooling's forward, a max over the window's taps
    ("maxpool1d", "cs231n", r"\mathrm{out}_{nci} = \max_{u=1}^{\mathit{PW}} x_{n,c,\mathrm{stride}(i-1)+u}"),
    # max pooling routes each window's gradient to its largest entry: a bracket of two values
    ("maxpool1d", "cs231n", r"dx_{nct} = \sum_{i=1}^{W'} \sum_{u=1}^{\mathit{PW}} "
     r"\left[t = \mathrm{stride}(i-1)+u\right] \left[x_{nct} = \mathrm{out}_{nci}\right] \mathrm{dout}_{nci}"),
    ("lstm", "cs231n", r"di_{ntj} = dc_{ntj}\, g_{ntj}"),
    ("gru", "pytorch", r"\frac{\partial L}{\partial n_{stj}} = (1 - z_{stj}) \frac{\partial L}{\partial h_{stj}}"),
]

# real mistakes (issue 13's list), each failing with its name
MISTAKES = [
    ("conv1d", "cs231n", r"dx_{nct} = \sum_{f=1}^{F} \sum_{u=1}^{\mathit{WW}} w_{fcu} "
     r"\mathrm{dout}_{n,f,t+u-\mathrm{pad}-1}", "the kernel not flipped"),
    ("conv1d", "cs231n", r"dx_{nct} = \sum_{f=1}^{F} \sum_{i=1}^{W'} \sum_{u=1}^{\mathit{WW}} "
     r"\left[t = i - 1 + u - \mathrm{pad}\right] w_{fcu}\, \mathrm{dout}_{nfi}", "the stride ignored"),
    ("conv1d", "goodfellow", r"\frac{\partial J}{\partial K_{ilm}} = \sum_{k} \sum_{r} "
     r"\frac{\partial J}{\partial Z^{(r)}_{ik}} V^{(r)}_{l,k+m-p-1}", "the stride ignored"),
    ("rnn", "cs231n", r"dh_{ntj} = \mathrm{dout}_{ntj}", "the next step's path forgotten"),
    ("rnn", "cs231n", r"dh_{ntj} = \mathrm{dout}_{ntj} + \sum_{i} {W_{h}}_{ij}\, da_{n,t+1,i}",
     "a weight untransposed"),
    ("rnn", "cs231n", r"da_{ntj} = dh_{ntj}", "an activation's derivative missing"),
    ("rnn", "cs231n", r"{dW_{h}}_{ij} = \sum_{t} \sum_{n} da_{ntj}\, h_{n,t-1,i}", "the initial state left out"),
    ("lstm", "cs231n", r"dc_{ntj} = dh_{ntj}\, o_{ntj} (1 - \tanh^2(c_{ntj}))", "the cell state not carried back"),
    ("lstm", "cs231n", r"da_{ntq} = di_{ntq} + df_{n,t,q-H} + do_{n,t,q-2H} + dg_{n,t,q-3H}",
     "an activation's derivative missing"),
    ("maxpool1d", "cs231n", r"dx_{nct} = \sum_{i=1}^{W'} \sum_{u=1}^{\mathit{PW}} "
     r"\left[t = \mathrm{stride}(i-1)+u\right] \mathrm{dout}_{nci}", "the gradient sent to every entry of the window"),
]

# what cannot be given a meaning is refused, with the reason
REFUSED = [
    ("conv1d", "cs231n", r"dx_{n,c,t+1} = \mathrm{dout}_{nct}", "on the left side an index is a letter"),
    ("conv1d", "goodfellow", r"\frac{\partial J}{\partial V_{lu}} = \sum_{m} K_{1lm} "
     r"\frac{\partial J}{\partial Z_{1,u-m}} \cdot V_{l,u+z}", "appears only inside computed indices"),
    ("conv1d", "goodfellow", r"\frac{\partial J}{\partial V_{lu}} = V_{l,u+b}", "is a quantity of the layer"),
    ("conv1d", "cs231n", r"dx_{nct} = x_{nct} \quad \text{if } t = 2", "condition on a constant only"),
    ("conv1d", "cs231n", r"dx_{nct} = x_{nct} \quad \text{if } \mathrm{stride} = 0",
     "no drawn input has stride = 0"),
    ("rnn", "cs231n", r"dh_{ntj} = da_{n,t+r,j}", "appears only inside computed indices or brackets"),
]


@pytest.mark.parametrize("layer, convention, formula", HOLDS)
def test_formulas_as_sources_write_them_hold(layer, convention, formula):
    r = check(formula, convention, layer=layer)
    assert r.verdict == "holds", r.text()


@pytest.mark.parametrize("layer, convention, formula, mistake", MISTAKES)
def test_the_known_mistakes_fail_named(layer, convention, formula, mistake):
    r = check(formula, convention, layer=layer)
    assert r.verdict == "fails", r.text()
    assert r.diagnosis["mistake"] == mistake, r.text()


@pytest.mark.parametrize("layer, convention, formula, reason", REFUSED)
def test_what_has_no_meaning_is_refused(layer, convention, formula, reason):
    r = check(formula, convention, layer=layer)
    assert r.verdict == "invalid", r.text()
    assert reason in r.reason, r.reason


def test_the_flipped_form_without_its_condition_fails_named():
    """The stride-1 closed form claimed with no condition is judged on every drawn stride: it fails there."""
    r = check(r"dx_{nct} = \sum_{f=1}^{F} \sum_{u=1}^{\mathit{WW}} w_{fcu} \mathrm{dout}_{n,f,t-u+\mathrm{pad}+1}",
              "cs231n", layer="conv1d")
    assert r.verdict == "fails" and r.diagnosis["mistake"] in ("the stride ignored",
                                                               "the stride-1 form for every stride"), r.text()


@pytest.mark.parametrize("text, indices", [
    ("V_{l,s(k-1)+m-p}", ("l", "s(k-1)+m-p")),
    (r"V_{l,s \left(k - 1\right) + m - p}", ("l", "s(k-1)+m-p")),
    (r"V_{j,(m-1)\times s+k}", ("j", r"(m-1)\cdot s+k")),
    ("a_{n,t,j + 2 H}", ("n", "t", "j+2H")),
    ("w_{24}", ("2", "4")),              # a run of digits: two indices, as before
    ("w_{jk+1}", ("j", "k+1")),          # a run of letters with an offset at its end, as before
    ("x_{j(i)}", ("j", "(i)")),          # an example index after a letter, as before
    ("{W_{h}}_{j,j'}", ("j", "j'")),     # a name with a subscript, and a primed index letter
])
def test_subscripts_read_as_before_and_as_arithmetic(text, indices):
    assert parse_expr(text).indices == indices


@pytest.mark.parametrize("text, message", [(r"\sum_{m,m} x_m", "repeat one"),
                                           (r"\sum_{m,n}^{N} x_m", "with an upper limit")])
def test_a_sum_over_several_indices_is_refused_where_ambiguous(text, message):
    with pytest.raises(Exception, match=message):
        parse_expr(text)


def test_juxtaposed_letters_inside_a_computed_index_need_commas():
    with pytest.raises(Exception, match="separate indices with commas"):
        parse_expr("x_{jk-m}")


def test_a_max_over_the_wrong_taps_fails():
    r = check(r"\mathrm{out}_{nci} = \max_{u=1}^{\mathit{PW}} x_{n,c,i-1+u}", "cs231n", layer="maxpool1d")
    assert r.verdict == "fails", r.text()


@pytest.mark.parametrize("formula", [r"\delta^L = \max_{j} a^L_j", r"\delta^L_j = \max(0, z^L_j)"])
def test_a_networks_formula_refuses_a_max(formula):
    r = check(formula)
    assert r.verdict == "invalid", r.text()


def test_a_networks_formula_refuses_a_bracket_of_values():
    r = check(r"\delta^L_j = [a^L_j = y_j]")
    assert r.verdict == "invalid" and "layer's formula only" in r.reason, r.text()


def test_a_networks_formula_refuses_a_computed_index():
    """The MLP checker reads a letter plus or minus a number only: j + m is refused, never read as j."""
    r = check(r"\delta^l_{j+m} = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)")
    assert r.verdict == "invalid" and "computed" in r.reason, r.text()


# formulas written without indices, as matrices (FlashAttention's and CS231n's vector forms)
MATRICES = [
    ("attention", "dao", r"dV = P^T dO", "holds", None),
    ("attention", "dao", r"dP = dO V^T", "holds", None),
    ("attention", "dao", r"dQ = dS K / \sqrt{d}", "holds", None),
    ("attention", "dao", r"dK = dS^T Q / \sqrt{d}", "holds", None),
    ("dense", "cs231n", r"dx = dout\, w^T", "holds", None),
    ("dense", "cs231n", r"dw = x^T dout", "holds", None),
    ("dropout", "cs231n", r"dx = dout \odot r / p", "holds", None),
    ("attention", "dao", r"dQ = dS K", "fails", "the 1/sqrt(d) missing"),
    ("attention", "dao", r"dK = dS^T Q", "fails", "the 1/sqrt(d) missing"),
    ("attention", "dao", r"dV = P\, dO", "fails", "the inner sizes differ"),        # the transpose forgotten
    ("dense", "cs231n", r"dw = dout^T x", "fails", "a transpose is missing or extra"),
]


@pytest.mark.parametrize("layer, convention, formula, verdict, why", MATRICES)
def test_formulas_written_as_matrices(layer, convention, formula, verdict, why):
    r = check(formula, convention, layer=layer)
    assert r.verdict == verdict, r.text()
    if why:
        assert why in (r.diagnosis or {}).get("mistake", "") + r.reason, r.text()


def test_a_side_by_side_product_of_one_shape_is_entrywise_and_said_so():
    r = check(r"dx = dout\, r / p", "cs231n", layer="dropout")
    assert r.verdict == "holds" and any("entry by entry" in n for n in r.notes), r.text()


@pytest.mark.parametrize("formula, verdict", [
    (r"dV = P^T dO \in \mathbb{R}^{M \times d}", "holds"),
    (r"dV = P^T dO \in \mathbb{R}^{N \times d}", "fails"),      # dV is keys by features
    (r"dV_{jk} = \sum_i P_{ij} dO_{ik} \in \mathbb{R}", "holds"),  # an entry is a number
])
def test_a_stated_shape_is_checked(formula, verdict):
    r = check(formula, "dao", layer="attention")
    assert r.verdict == verdict, r.text()
