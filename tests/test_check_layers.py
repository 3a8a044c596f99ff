"""``derive check --layer KIND``: backward formulas of one layer kind judged in their sources' letters.

Table-driven: the published forms hold (Ioffe & Szegedy 2015, Section 3: the six chain-rule equations, and the
compact one-line dx; CS231n's assignment-2 forms; layer norm in Ba, Kiros & Hinton's and CS231n's letters; inverted
dropout), each known mistake fails with its name, single edits of a holding formula change its verdict, what
cannot be read is refused with a reason, and the command line's exit codes are 0 / 1 / 2.
"""

from __future__ import annotations

import json
import re

import pytest

from derive import check
from derive.backward import derive_kind
from derive.cli import main
from derive.kind_printing import latex
from derive.layers import KINDS
from derive.layers import kind as kind_graph

# Ioffe & Szegedy (2015), Section 3, as printed (ioffe letters: x_i, \mu_{\mathcal{B}}, \sigma^2_{\mathcal{B}}, m)
IOFFE = [
    r"\frac{\partial \ell}{\partial \widehat{x}_i} = \frac{\partial \ell}{\partial y_i} \cdot \gamma",
    r"\frac{\partial \ell}{\partial \sigma^2_{\mathcal{B}}} = \sum_{i=1}^{m} "
    r"\frac{\partial \ell}{\partial \widehat{x}_i} \cdot (x_i - \mu_{\mathcal{B}}) \cdot \frac{-1}{2} "
    r"(\sigma^2_{\mathcal{B}} + \epsilon)^{-3/2}",
    r"\frac{\partial \ell}{\partial \mu_{\mathcal{B}}} = \left(\sum_{i=1}^{m} "
    r"\frac{\partial \ell}{\partial \widehat{x}_i} \cdot \frac{-1}{\sqrt{\sigma^2_{\mathcal{B}} + \epsilon}}\right) "
    r"+ \frac{\partial \ell}{\partial "
    r"\sigma^2_{\mathcal{B}}} \cdot \frac{\sum_{i=1}^{m} -2(x_i - \mu_{\mathcal{B}})}{m}",
    r"\frac{\partial \ell}{\partial x_i} = \frac{\partial \ell}{\partial \widehat{x}_i} \cdot \frac{1}{\sqrt{"
    r"\sigma^2_{\mathcal{B}} + \epsilon}} + \frac{\partial \ell}{\partial \sigma^2_{\mathcal{B}}} \cdot "
    r"\frac{2(x_i - \mu_{\mathcal{B}})}{m} + \frac{\partial \ell}{\partial \mu_{\mathcal{B}}} \cdot \frac{1}{m}",
    r"\frac{\partial \ell}{\partial \gamma} = \sum_{i=1}^{m} \frac{\partial \ell}{\partial y_i} \cdot \widehat{x}_i",
    r"\frac{\partial \ell}{\partial \beta} = \sum_{i=1}^{m} \frac{\partial \ell}{\partial y_i}",
]
IOFFE_COMPACT = (r"\frac{\partial \ell}{\partial x_i} = \frac{\gamma}{m\sqrt{\sigma_B^2+\varepsilon}} \left(m "
                 r"\frac{\partial \ell}{\partial y_i} - \sum_{j=1}^{m} \frac{\partial \ell}{\partial y_j} - \hat{x}_i "
                 r"\sum_{j=1}^{m} \frac{\partial \ell}{\partial y_j} \hat{x}_j\right)")
CS231N_BN = [
    r"dx_{ij} = \frac{\gamma_j}{N\sqrt{\sigma_j^2+\epsilon}}\left(N\,\mathrm{dout}_{ij} - \sum_k \mathrm{dout}_{kj}"
    r" - \hat{x}_{ij}\sum_k \mathrm{dout}_{kj}\hat{x}_{kj}\right)",
    r"d\gamma_j = \sum_i \mathrm{dout}_{ij} \hat{x}_{ij}",
    r"dbeta_j = \sum_{i=1}^{N} dout_{ij}",
    r"dxhat_{ij} = dout_{ij} \gamma_j",
    r"d\sigma^2_j = -\frac{1}{2} \sum_i d\hat{x}_{ij} (x_{ij} - \mu_j) (\sigma^2_j + \epsilon)^{-3/2}",
    r"d\mu_j = -\sum_i \frac{d\hat{x}_{ij}}{\sqrt{\sigma^2_j + \epsilon}} "
    r"- 2 d\sigma^2_j \frac{1}{N} \sum_i (x_{ij} - \mu_j)",
    r"dx_{ij} = \frac{d\hat{x}_{ij}}{\sqrt{\sigma^2_j+\epsilon}} + "
    r"\frac{2 d\sigma^2_j (x_{ij}-\mu_j)}{N} + \frac{d\mu_j}{N}",
]
BA_LN = [
    r"\frac{\partial \ell}{\partial \widehat{a}_i} = \frac{\partial \ell}{\partial h_i} g_i",
    r"\frac{\partial \ell}{\partial a_i} = \frac{1}{H\sqrt{\sigma^2+\epsilon}} \left(H \frac{\partial \ell}{\partial "
    r"h_i} g_i - \sum_{j=1}^{H} \frac{\partial \ell}{\partial h_j} g_j - \widehat{a}_i \sum_{j=1}^{H} "
    r"\frac{\partial \ell}{\partial h_j} g_j \widehat{a}_j\right)",
    r"\frac{\partial \ell}{\partial g_i} = \sum_{t=1}^{m} \frac{\partial \ell}{\partial h^{(t)}_i} \widehat{a}^{(t)}_i",
]
CS231N_LN = [
    r"dx_{ij} = \frac{1}{D\sqrt{\sigma_i^2+\epsilon}}\left(D\, dout_{ij}\gamma_j - \sum_k dout_{ik}\gamma_k - "
    r"\hat{x}_{ij}\sum_k dout_{ik}\gamma_k\hat{x}_{ik}\right)",
    r"d\gamma_j = \sum_i dout_{ij} \hat{x}_{ij}",
]
DROPOUT = [r"dx_{ij} = \frac{\mathrm{dout}_{ij} r_{ij}}{p}", r"dx = dout \odot r / p"]

# the kinds an architecture is made of, as CS231n's affine_backward and a textbook write them
OTHERS = [
    ("dense", "cs231n", r"dx_{ik} = \sum_j dout_{ij} w_{kj}"),
    ("dense", "cs231n", r"dw_{kj} = \sum_{i=1}^{N} x_{ik} \mathrm{dout}_{ij}"),
    ("dense", "cs231n", r"db_j = \sum_i dout_{ij}"),
    ("softmax", "goodfellow", r"\frac{\partial L}{\partial z_i} = \hat{y}_i \left(\frac{\partial L}{\partial \hat{y}_i}"
     r" - \sum_j \frac{\partial L}{\partial \hat{y}_j} \hat{y}_j\right)"),
    ("softmax", "bishop", r"\frac{\partial E}{\partial a_k} = y_k \left(\frac{\partial E}{\partial y_k} - "
     r"\sum_j y_j \frac{\partial E}{\partial y_j}\right)"),
    ("logsoftmax", "cs231n", r"dx_{ij} = dout_{ij} - \exp(y_{ij}) \sum_k dout_{ik}"),
    ("tanh", "cs231n", r"dx_{ij} = dout_{ij} (1 - y_{ij}^2)"),
    ("sigmoid", "cs231n", r"dx = dout \odot y \odot (1 - y)"),
    # FlashAttention's standard backward pass (Dao et al. 2022, section 2.2) and Vaswani's letters
    ("attention", "dao", r"dV_{jk} = \sum_i P_{ij} dO_{ik}"),
    ("attention", "dao", r"dS_{ij} = P_{ij} (dP_{ij} - \sum_t P_{it} dP_{it})"),
    ("masked_attention", "dao", r"dQ_{ik} = \frac{1}{\sqrt{d}} \sum_j dS_{ij} K_{jk}"),
    ("attention", "vaswani", r"\frac{\partial L}{\partial K_{jk}} = \frac{1}{\sqrt{d_k}} \sum_i "
     r"\frac{\partial L}{\partial S_{ij}} Q_{ik}"),
    ("embedding", "cs231n", r"dW_{jk} = \sum_i X_{ij} dout_{ik}"),              # every token of word j adds its dout
]
HOLDS = ([("batchnorm", "ioffe", f) for f in IOFFE + [IOFFE_COMPACT]]
         + [("batchnorm", "cs231n", f) for f in CS231N_BN]
         + [("layernorm", "ba", f) for f in BA_LN]
         + [("layernorm", "cs231n", f) for f in CS231N_LN]
         + [("dropout", "cs231n", f) for f in DROPOUT] + OTHERS)
FAILS = [
    ("dense", "cs231n", r"db_j = \frac{1}{N} \sum_i dout_{ij}"),                  # a mean where the loss sums
    ("dense", "cs231n", r"dw_{kj} = \sum_i x_{ik} \mathrm{dout}_{ij} w_{kj}"),
    ("softmax", "goodfellow", r"\frac{\partial L}{\partial z_i} = \hat{y}_i (1 - \hat{y}_i) "
     r"\frac{\partial L}{\partial \hat{y}_i}"),                                    # the elementwise shortcut
    ("logsoftmax", "cs231n", r"dx_{ij} = dout_{ij}"),                               # the normaliser's path
    ("tanh", "cs231n", r"dx_{ij} = dout_{ij} (1 - x_{ij}^2)"),                      # the input for the output
    ("attention", "dao", r"dQ_{ik} = \sum_j dS_{ij} K_{jk}"),                        # the 1/sqrt(d) forgotten
    ("attention", "dao", r"dS_{ij} = P_{ij} (1 - P_{ij}) dP_{ij}"),                   # the elementwise shortcut
    ("masked_attention", "dao", r"dV_{jk} = \frac{1}{N} \sum_i dO_{ik}"),          # uniform weights
    ("embedding", "cs231n", r"dW_{jk} = \sum_i dout_{ik}"),                         # every token into every word
]
# what the printer writes and the grammar cannot read yet: refused with the reason, never judged
UNREAD = {# deeplearning.ai's letters carry a name's subscript and then the indices, {W_{f}}_{jp}: not in the grammar
          "lstm_concat": "component indices on an expression|a second subscript|unexpected '_'|unknown symbol d "}


@pytest.mark.parametrize("layer, convention, formula", FAILS)
def test_wrong_forms_of_the_other_kinds_fail(layer, convention, formula):
    r = check(formula, convention, layer=layer)
    assert r.verdict == "fails", r.text()
    assert r.counterexample["relative_error"] > 1e-3


@pytest.mark.parametrize("layer, convention, formula", HOLDS)
def test_published_forms_hold(layer, convention, formula):
    r = check(formula, convention, layer=layer)
    assert r.verdict == "holds", r.text()


@pytest.mark.parametrize("layer", KINDS)
def test_the_engines_own_equations_printed_in_every_notation_hold(layer):
    """The reverse pass's equations and closed forms, printed in each source's letters, read back and hold: the
    printer and the reader agree on every notation (and the corrected formulas the diagnosis prints hold). A
    kind whose printed form the grammar cannot read yet (a comparison, cases, π) is refused, not judged."""
    kind = kind_graph(layer)
    d = derive_kind(kind)
    pairs = [(e.lhs, e.rhs, {}) for e in d.equations] + [(c.lhs, c.form.rhs, c.form.when) for c in d.closed]
    for letters in kind.letters:
        for lhs, rhs, when in pairs:
            # a closed form shown equal only where a constant has a value (stride 1) is claimed with that condition
            condition = "".join(rf" \quad \text{{if }} {letters.symbols[c.name]} = {v}" for c, v in when.items())
            text = f"{latex(lhs, letters, rhs)} = {latex(rhs, letters, lhs)}{condition}"
            r = check(text, letters.source, layer=layer)
            if layer in UNREAD:
                assert r.verdict == "invalid" and re.search(UNREAD[layer], r.reason), (text, r.reason)
            else:
                assert r.verdict == "holds", (letters.source, text, r.text())


MISTAKES = [
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial x_i} = \frac{\partial \ell}{\partial \widehat{x}_i} "
     r"\frac{1}{\sqrt{\sigma^2_{\mathcal{B}} + \epsilon}}", "mu and var treated as constants"),
    ("batchnorm", "cs231n", r"dx_{ij} = \frac{\gamma_j\, dout_{ij}}{\sqrt{\sigma^2_j + \epsilon}}",
     "mu and var treated as constants"),
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial x_i} = \frac{\partial \ell}{\partial \widehat{x}_i} "
     r"\frac{1}{\sqrt{\sigma^2_{\mathcal{B}} + \epsilon}} + \frac{\partial \ell}{\partial \sigma^2_{\mathcal{B}}} "
     r"\frac{2(x_i - \mu_{\mathcal{B}})}{m-1} + \frac{\partial \ell}{\partial \mu_{\mathcal{B}}} \frac{1}{m}",
     "the other variance"),
    ("batchnorm", "cs231n", r"dx_{ij} = \frac{1}{N\sqrt{\sigma_j^2+\epsilon}}\left(N\,dout_{ij} - \sum_k dout_{kj}"
     r" - \hat{x}_{ij}\sum_k dout_{kj}\hat{x}_{kj}\right)", "a missing gamma"),
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial \widehat{x}_i} = \frac{\partial \ell}{\partial y_i}",
     "a missing gamma"),
    ("batchnorm", "cs231n", r"dx_{ij} = \frac{\gamma_j}{N\sqrt{\sigma_j^2+\epsilon}}\left(N\,dout_{ij} - "
     r"\sum_k dout_{ik} - \hat{x}_{ij}\sum_k dout_{ik}\hat{x}_{ik}\right)", "a sum over the wrong axis"),
    ("batchnorm", "cs231n", r"d\beta_j = \sum_k dout_{ik}", "a sum over the wrong axis"),
    ("layernorm", "cs231n", r"dx_{ij} = \frac{dout_{ij}\gamma_j}{\sqrt{\sigma_i^2+\epsilon}}",
     "mu and var treated as constants"),
    ("dropout", "cs231n", r"dx_{ij} = dout_{ij} r_{ij}", "the keep probability missing"),
]


@pytest.mark.parametrize("layer, convention, formula, mistake", MISTAKES)
def test_known_mistakes_fail_by_name(layer, convention, formula, mistake):
    r = check(formula, convention, layer=layer)
    assert r.verdict == "fails", r.text()
    assert r.diagnosis["mistake"] == mistake, r.text()
    assert r.counterexample["relative_error"] > 1e-3
    corrected = r.diagnosis["corrected"]
    assert check(corrected, convention, layer=layer).verdict == "holds", corrected


def test_the_means_path_through_the_variance_is_exactly_zero_so_its_omission_holds_with_a_note():
    dmu = (r"\frac{\partial \ell}{\partial \mu_{\mathcal{B}}} = \sum_{i=1}^{m} \frac{\partial \ell}{\partial "
           r"\widehat{x}_i} \cdot \frac{-1}{\sqrt{\sigma^2_{\mathcal{B}} + \epsilon}}")
    r = check(dmu, "ioffe", layer="batchnorm")
    assert r.verdict == "holds"
    assert any("the mean's path through the variance missing" in n for n in r.notes), r.notes
    assert not any("mean's path" in n for n in check(IOFFE[2], "ioffe", layer="batchnorm").notes)


def test_the_unbiased_variant_is_judged_against_its_own_truth():
    n_minus_1 = (r"\frac{\partial \ell}{\partial x_i} = \frac{\partial \ell}{\partial \widehat{x}_i} \frac{1}{\sqrt{"
                 r"\sigma^2_{\mathcal{B}} + \epsilon}} + \frac{\partial \ell}{\partial \sigma^2_{\mathcal{B}}} "
                 r"\frac{2(x_i - \mu_{\mathcal{B}})}{m-1} + \frac{\partial \ell}{\partial \mu_{\mathcal{B}}} "
                 r"\frac{1}{m}")
    assert check(n_minus_1, "ioffe", layer="batchnorm", unbiased=True).verdict == "holds"
    r = check(IOFFE[3], "ioffe", layer="batchnorm", unbiased=True)
    assert r.verdict == "fails" and r.diagnosis["mistake"] == "the other variance"


# single edits of a holding formula: each must change the verdict
EDITS = [
    ("drop a factor", IOFFE[0], r"\frac{\partial \ell}{\partial \widehat{x}_i} = \frac{\partial \ell}{\partial y_i}"),
    ("drop a sum", IOFFE[5], r"\frac{\partial \ell}{\partial \beta} = \frac{\partial \ell}{\partial y_i}"),
    ("drop epsilon", IOFFE_COMPACT, IOFFE_COMPACT.replace(r"+\varepsilon", "")),
    ("drop gamma", IOFFE_COMPACT, IOFFE_COMPACT.replace(r"\gamma", "1")),
    ("drop a subscript", IOFFE[4], IOFFE[4].replace(r"\widehat{x}_i", r"\widehat{x}")),
    ("m to m-1", IOFFE[3], IOFFE[3].replace(r"{m} + \frac", r"{m-1} + \frac")),
    ("drop the 1/2", IOFFE[1], IOFFE[1].replace(r"\frac{-1}{2}", "-1")),
    ("the power", IOFFE[1], IOFFE[1].replace("-3/2", "-1/2")),
    ("drop a term", CS231N_BN[0], CS231N_BN[0].replace(r" - \sum_k \mathrm{dout}_{kj}", "")),
    ("a sign", CS231N_BN[1], CS231N_BN[1].replace(r"= \sum", r"= -\sum")),
    ("drop 1/p", DROPOUT[0], r"dx_{ij} = \mathrm{dout}_{ij} r_{ij}"),
]


@pytest.mark.parametrize("what, holding, edited", EDITS, ids=[e[0] for e in EDITS])
def test_single_edits_change_the_verdict(what, holding, edited):
    assert holding != edited, "the edit must change the text"
    layer = "dropout" if holding in DROPOUT else "batchnorm"
    convention = "ioffe" if holding in IOFFE + [IOFFE_COMPACT] else "cs231n"
    assert check(holding, convention, layer=layer).verdict == "holds"
    assert check(edited, convention, layer=layer).verdict != "holds", edited


REFUSED = [
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial x_i} = \alpha x_i", "unknown symbol"),
    ("batchnorm", "cs231n", r"dx_{i} = dout_{ij}", "has 1 index"),
    ("batchnorm", "cs231n", r"dx_{ij} = dout_{ij} + \gamma_i", "index i is the example elsewhere"),
    ("batchnorm", "cs231n", r"d\beta_j = \sum_k dout_{jk}", "index j is the feature elsewhere"),
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial \gamma} = \sum_{i=1}^{m} \gamma", "no index i"),
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial \beta} = \sum_{i=1}^{d} \frac{\partial \ell}{\partial y_i}",
     "ends at d"),
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial x_i} = \sigma(x_i)", "function call"),
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial x_{i+1}} = x_i", "is a letter"),
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial x_i} = x_B", "batch's mark"),
    ("batchnorm", "ioffe", r"\frac{\partial y_i}{\partial x_i} = \gamma", "only the loss"),
    ("batchnorm", "ioffe", r"\gamma + \beta = x_i", "names no quantity"),
    ("batchnorm", "cs231n", r"dx_{ij} = d", "d is read only before a quantity"),
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial x_i} = x_i^{m}", "a single layer has no layers"),
    ("batchnorm", "ba", r"x = y", "notations: ioffe, cs231n"),
    ("residual", None, r"x = y", "unknown layer kind"),
    ("batchnorm", "ioffe", r"\frac{\partial \ell}{\partial x_i} = \sqrt{", "never closed"),
]


@pytest.mark.parametrize("layer, convention, formula, reason", REFUSED)
def test_unreadable_input_is_refused_with_a_reason(layer, convention, formula, reason):
    r = check(formula, convention, layer=layer)
    assert r.verdict == "invalid", r.text()
    assert reason in r.reason, r.reason


def test_mlp_readings_are_unchanged_without_layer():
    """σ is the activation when no layer is named: the MLP reading, as before."""
    r = check(r"\delta^L = (a^L - y) \odot \sigma'(z^L)", "nielsen")
    assert r.verdict == "holds", r.text()
    assert check(r"\delta^L = (a^L - y) \odot \sigma'(z^L)").convention == "nielsen"


def test_cli_exit_codes_and_json(capsys):
    assert main(["check", "--layer", "batchnorm", IOFFE[5]]) == 0
    assert main(["check", "--layer", "batchnorm", "--convention", "cs231n", "--json",
                 r"dx_{ij} = \frac{\gamma_j dout_{ij}}{\sqrt{\sigma^2_j + \epsilon}}"]) == 1
    out = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert out["verdict"] == "fails" and out["diagnosis"]["mistake"] == "mu and var treated as constants"
    assert main(["check", "--layer", "layernorm", "--convention", "ioffe", "x = y"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ba, cs231n" in err
    assert main(["check", "--layer", "dropout", r"dx = \alpha"]) == 2


def test_the_normalisation_corpus_is_judged_without_a_false_hold(capsys):
    """tests/corpora/normalisation: each LaTeX claim read in the first of its kind's notations that gives it a
    meaning and judged; the judged share, the accuracy and the false holds are reported. A false hold (the corpus's
    numeric truth says it fails) is never allowed; a judged claim must agree with the recorded truth."""
    from pathlib import Path

    import tomllib
    path = Path(__file__).parent / "corpora" / "normalisation" / "claims.toml"
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["claim"]
    judged, right, false_holds = 0, 0, []
    for row in rows:
        if "latex" not in row:
            continue
        unbiased = row.get("variance") == "unbiased"
        for letters in kind_graph(row["kind"], unbiased).letters:
            r = check(row["latex"], letters.source, layer=row["kind"], unbiased=unbiased, diagnose=False)
            if r.verdict != "invalid":
                break
        if r.verdict == "invalid":
            continue
        judged += 1
        right += r.verdict == row["truth"]
        if r.verdict == "holds" and row["truth"] == "fails":
            false_holds.append(row["id"])
    latex_rows = sum("latex" in row for row in rows)
    with capsys.disabled():
        print(f"\nnormalisation corpus: {judged} of {latex_rows} LaTeX claims judged ({len(rows)} claims in all), "
              f"{right} of {judged} right, false holds: {false_holds or 'none'}")
    assert not false_holds
    assert judged >= 6 and right == judged


def test_mangled_formulas_get_a_verdict_or_a_reason_never_a_crash():
    # each holding formula with one token dropped, doubled or swapped for an index letter of another axis: the
    # checker answers holds, fails or invalid with a reason; no other exception escapes
    import random
    rng = random.Random(7)
    tokens = re.compile(r"\\[A-Za-z]+|[A-Za-z]|\d+|\S")
    for layer, convention, formula in rng.sample(HOLDS, 20):
        parts = tokens.findall(formula)
        for _ in range(6):
            edited = list(parts)
            at = rng.randrange(len(edited))
            action = rng.choice(("drop", "double", "letter"))
            if action == "drop":
                del edited[at]
            elif action == "double":
                edited.insert(at, edited[at])
            else:
                edited[at] = rng.choice("ijknpqDMN")
            r = check(" ".join(edited), convention, layer=layer)
            assert r.verdict in ("holds", "fails", "invalid")
            assert r.verdict != "invalid" or r.reason


TWO_CASES = r"\begin{cases} %s & \text{for}\: %s \\ %s & \text{otherwise} \end{cases}"
COMPARED = [  # ReLU's step [y > 0], the two cases of leaky ReLU's and ELU's, GELU's pi, as the kinds' documents
    # print them, and edits of them
    ("relu", r"dx_{ij} = \mathrm{dout}_{ij} \cdot \left[y_{ij} > 0\right]", "holds"),
    ("relu", r"dx_{ij} = \mathrm{dout}_{ij} [x_{ij} \geq 0]", "holds"),   # no input is exactly 0 on random draws
    ("relu", r"dx_{ij} = \mathrm{dout}_{ij} [y_{ij} < 0]", "fails"),
    ("relu", r"dx_{ij} = \mathrm{dout}_{ij} [x_{ij} > 1]", "fails"),
    ("relu", r"dx_{ij} = [y_{ij} > 0]", "fails"),
    ("leaky_relu", r"dx_{ij} = \mathrm{dout}_{ij} \cdot " + TWO_CASES % ("1", "y_{ij} > 0", r"\frac{1}{100}"), "holds"),
    ("leaky_relu", r"dx_{ij} = \mathrm{dout}_{ij} \cdot " + TWO_CASES % ("1", "y_{ij} > 0", "0"), "fails"),
    ("leaky_relu", r"dx_{ij} = \mathrm{dout}_{ij} \cdot " + TWO_CASES % ("1", "y_{ij} < 0", r"\frac{1}{100}"), "fails"),
    ("leaky_relu", r"y_{ij} = " + TWO_CASES % ("x_{ij}", "x_{ij} > 0", r"\frac{x_{ij}}{100}"), "holds"),
    ("elu", r"dx_{ij} = \mathrm{dout}_{ij} \cdot " + TWO_CASES % ("1", "y_{ij} > 0", "y_{ij} + 1"), "holds"),
    ("elu", r"dx_{ij} = \mathrm{dout}_{ij} \cdot " + TWO_CASES % ("1", "x_{ij} > 0", "y_{ij}"), "fails"),
    ("gelu", r"dx_{ij} = \mathrm{dout}_{ij} \left(\frac{x_{ij} \exp(-\frac{x_{ij}^2}{2})}{\sqrt{2 \pi}} "
     r"+ \frac{1}{2} + \frac{1}{2} \operatorname{erf}\left(\frac{x_{ij}}{\sqrt{2}}\right)\right)", "holds"),
    ("gelu", r"dx_{ij} = \mathrm{dout}_{ij} \left(\frac{x_{ij} \exp(-\frac{x_{ij}^2}{2})}{\sqrt{2}} + \frac{1}{2} + "
     r"\frac{1}{2} \operatorname{erf}\left(\frac{x_{ij}}{\sqrt{2}}\right)\right)", "fails"),  # pi dropped
]


@pytest.mark.parametrize("layer, formula, verdict", COMPARED)
def test_comparisons_cases_and_pi_are_read(layer, formula, verdict):
    r = check(formula, "cs231n", layer=layer)
    assert r.verdict == verdict, r.text()
