"""Issue 9: problem settings the real notes use. The quadratic cost averaged over the outputs (mse_mean,
C = 1/(2 n_L) sum_j (a_j - y_j)^2, XanNotZan's notes) and a layer's width n_L written in a formula; the activation's
derivative written as d sigma / d z^l (XanNotZan) or nabla_{z^l} g (rugessnome); sums whose upper limit is a width
the notes name by a letter of their own. Each reading is a table of formulas that must hold, and edits of them that
must fail or be refused with the reason.
"""

from __future__ import annotations

import dataclasses

import mpmath
import pytest
from verdicts import judged

import derive
from derive.infer import CLUES
from derive.lint import lint
from derive.losses import LOSSES, loss
from derive.network import random_network
from derive.problem import Problem
from derive.truth import ground_truth

MEAN = dict(convention="nielsen", loss="mse_mean", output="sigmoid", hidden="sigmoid")
MSE = dict(convention="nielsen", loss="mse", output="sigmoid", hidden="sigmoid")
TANH = dict(convention="nielsen", loss="mse", output="identity", hidden="tanh")
CCE = dict(convention="nielsen", loss="cce", output="softmax", hidden="tanh")
SETTINGS = {"mean": MEAN, "mse": MSE, "tanh": TANH, "cce": CCE}
DSIG = r"\frac{\partial \sigma}{\partial z^{%s}}"  # the activation letter differentiated by z^l


# ---------------------------------------------------------------- the loss
def test_the_loss_is_the_mse_averaged_over_the_outputs():
    assert loss("mse_per_output") is loss("MSE-mean") is LOSSES["mse_mean"]
    assert LOSSES["mse_mean"].scale(4) == 1 / 4 and LOSSES["mse"].scale(4) == 1


@pytest.mark.parametrize("method", ["reverse", "fd", "sympy"])
def test_its_truth_is_the_mse_s_divided_by_the_number_of_outputs(method):
    """Truth differentiates the definition, 1/(2K) sum_k (a_k - y_k)^2: every gradient is the mse's over K."""
    # widths 2-4-3: a hidden layer, no square W, and K = 3 outputs (a 1/2 written for 1/K would show); depth 2's
    # random widths (5-4-5) cost exact SymPy 3 x as long and test nothing more
    net = random_network(Problem.make("nielsen", "mse", "sigmoid", "tanh"), (2, 4, 3), seed=4)
    mean = dataclasses.replace(net, problem=Problem.make("nielsen", "mse_mean", "sigmoid", "tanh"))
    K = net.widths[-1]
    assert K > 1
    with mpmath.workdps(40):
        summed, averaged = ground_truth(net, method), ground_truth(mean, method)
        for key, value in summed.items():
            for i in range(value.rows):
                for j in range(value.cols):
                    assert abs(averaged[key][i, j] - value[i, j] / K) <= 1e-25 * (1 + abs(value[i, j]))


@pytest.mark.parametrize("convention", ["nielsen", "ng", "cs231n", "dls"])
@pytest.mark.parametrize("output", ["identity", "softmax"])
def test_the_engine_derives_it_in_every_layout(convention, output):
    report = derive.verify(derive.derive(convention, "mse_mean", output, "tanh"), layers=3, trials=1)
    assert report.ok, str(report)


# ---------------------------------------------------------------- claims
VERDICTS = [
    # (setting, formula, verdict, a part of the reason)
    # ---- 1/n_L: the output layer's width, the mean over the outputs (XanNotZan xz-02, xz-20)
    ("mean", r"\frac{dC}{da_{j}^{L}} = \frac{1}{n_{L}}(a_{j}^{L} - y_{j})", "holds", ""),
    ("mean", r"\frac{dC}{da_{j}^{L}} = (a_{j}^{L} - y_{j})", "fails", ""),
    ("mean", r"\frac{dC}{da_{j}^{L}} = \frac{1}{n_{L-1}}(a_{j}^{L} - y_{j})", "fails", ""),
    ("mean", r"\frac{dC}{da_{j}^{L}} = \frac{1}{2 n_{L}}(a_{j}^{L} - y_{j})", "fails", ""),
    ("mse", r"\frac{dC}{da_{j}^{L}} = \frac{1}{n_{L}}(a_{j}^{L} - y_{j})", "fails", ""),
    ("mean", r"\frac{dC}{da_{j}^{L}} = \frac{1}{n_{j}}(a_{j}^{L} - y_{j})", "invalid", "unknown symbol n"),
    ("mean", r"\frac{dC}{da_{j}^{L}} = \frac{1}{n}(a_{j}^{L} - y_{j})", "invalid", "n needs a component index"),
    ("mean", r"\delta^L = \frac{1}{n_{L}}(a^L - y) \odot \sigma'(z^L)", "holds", ""),
    ("mean", r"\delta^L = (a^L - y) \odot \sigma'(z^L)", "fails", ""),
    ("mean", r"\delta^L = \frac{1}{n_{L}}(a^L - y) \odot " + DSIG % "L", "holds", ""),
    ("mean", r"\delta^L = n_{L}(a^L - y) \odot " + DSIG % "L", "fails", ""),
    ("mean", r"\delta^L = \frac{1}{n_{L}}(a^L - y)", "fails", ""),
    ("mean", r"\nabla_a C = \frac{1}{n_{L}}(a^L - y)", "holds", ""),
    ("mean", r"C = \frac{1}{n_{L}}\sum_{j=1}^{n_{L}} \frac{1}{2}(a_{j}^{L} - y_{j})^{2}", "holds", ""),
    ("mean", r"C = \sum_{j=1}^{n_{L}} \frac{1}{2}(a_{j}^{L} - y_{j})^{2}", "fails", ""),
    ("mse", r"C = \frac{1}{n_{L}}\sum_{j=1}^{n_{L}} \frac{1}{2}(a_{j}^{L} - y_{j})^{2}", "fails", ""),
    # ---- d sigma / d z^l: the activation's derivative at the layer's own pre-activation, entrywise (xz-20, xz-21)
    ("mse", r"\delta^L = (a^L - y) \odot " + DSIG % "L", "holds", ""),
    ("mse", r"\delta^l = (W^{l+1})^T \cdot \delta^{l+1} \odot " + DSIG % "l", "holds", "hidden activation"),
    ("mse", r"\delta^l = (W^{l+1})^T \delta^{l+1} \odot " + DSIG % "l+1", "fails", "shapes"),
    ("mse", r"\delta^l = (W^{l+1})^T \delta^{l+1}", "fails", ""),
    ("tanh", r"\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot " + DSIG % "l", "holds", ""),
    ("tanh", r"\delta^L = (a^L - y) \odot " + DSIG % "L", "holds", ""),  # identity output: sigma' = 1
    ("tanh", r"\delta^L = (a^L - y) \odot (1 - (a^L)^2)", "fails", ""),  # ... which tanh's would not be
    ("tanh", r"\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot \nabla_{z^{l}} g", "holds", ""),  # rugessnome's
    ("tanh", r"\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot \nabla_{z^{l}} \phi", "holds", ""),
    ("mse", r"\delta^l = (W^{l+1})^T \delta^{l+1} \odot \frac{\partial \sigma}{\partial a^{l}}", "invalid",
     "its own layer's pre-activation only"),
    ("mse", r"\delta^l = (W^{l+1})^T \delta^{l+1} \odot \frac{\partial \sigma}{\partial W^{l}}", "invalid",
     "its own layer's pre-activation only"),
    ("mse", r"\delta^l = (W^{l+1})^T \delta^{l+1} \odot \frac{\partial \sigma}{\partial z^{l}_j}", "invalid",
     "its own layer's pre-activation only"),
    ("mse", r"\delta^l = (W^{l+1})^T \delta^{l+1} \odot \frac{\partial \sigma^l}{\partial z^{l}}", "invalid",
     "only as the bare letter"),
    ("mse", r"\delta^l = (W^{l+1})^T \delta^{l+1} \odot \frac{\partial \sigma_j}{\partial z^{l}}", "invalid",
     "only as the bare letter"),
    ("mse", r"\delta^l = (W^{l+1})^T \delta^{l+1} \odot \frac{\partial C}{\partial z^{l}}", "fails", ""),
    ("cce", r"\delta^L = (a^L - y) \odot " + DSIG % "L", "invalid", "softmax's derivative is a Jacobian"),
    # a letter the convention names something else is not the activation (h: an activation a): da/dz is a Jacobian,
    # a matrix, which no elementwise product takes (the diagnosis reads its diagonal: tests/test_diagnosis.py)
    ("mse", r"\delta^l = (W^{l+1})^T \delta^{l+1} \odot \frac{\partial h^l}{\partial z^{l}}", "fails",
     "cannot be combined entry by entry"),
]


@pytest.mark.parametrize("setting,formula,verdict,reason", VERDICTS)
def test_verdicts(setting, formula, verdict, reason):
    result = judged(formula, SETTINGS[setting], verdict, reason, notes=True)
    for internal in ("MeaningError", "Sym(", "Partial(", "n_L"):
        assert internal not in result.reason


# ---------------------------------------------------------------- lint infers the loss from the cost formula
def _notes(tmp_path, body: str, name: str = "notes.md"):
    path = tmp_path / name
    path.write_text(body + "\n", encoding="utf-8")
    return path


INFERRED = [
    # (the cost as the notes write it, the loss lint infers)
    (r"C = \frac{1}{n_{L}}\sum \limits_{j=1}^{n_{L}} \frac{1}{2}(a_{j}^{L} - y_{j})^{2}", "mse_mean"),
    (r"C = \frac{1}{2 n_L} \sum_j (a^L_j - y_j)^2", "mse_mean"),
    (r"C = \frac{1}{2} \frac{1}{n_L} \sum_j (a^L_j - y_j)^2", "mse_mean"),
    (r"C = \frac{1}{2} \sum_j (a^L_j - y_j)^2", "mse"),
    (r"C = \frac{1}{2n} \sum_x \|y(x) - a^L(x)\|^2", "mse"),  # Nielsen's n: the number of examples
    (r"C = \sum_j (a^L_j - y_j)^2", "sse"),
]


@pytest.mark.parametrize("cost,inferred", INFERRED)
def test_the_loss_is_read_from_the_cost(tmp_path, cost, inferred):
    path = _notes(tmp_path, f"$$ {cost} $$\n\n$$ \\delta^L = \\nabla_a C \\odot \\sigma'(z^L) $$")
    finding = lint([path], convention="nielsen", output="sigmoid", hidden="sigmoid")[-1]
    assert finding.basis.loss.value == inferred, finding.text()


def test_a_mean_without_the_half_names_no_mean_loss(tmp_path):
    """1/n_L sum (a - y)^2 without the 1/2 is twice mse_mean: not a loss derive has, so not mse_mean."""
    path = _notes(tmp_path, r"$$ C = \frac{1}{n_L} \sum_j (a^L_j - y_j)^2 $$")
    finding = lint([path], convention="nielsen", output="sigmoid", hidden="sigmoid")[-1]
    assert finding.basis.loss.value != "mse_mean"


def test_the_clue_label_is_an_instance_of_its_pattern():
    clue = next(c for c in CLUES if c.value == "mse_mean")
    assert clue.pattern.search(clue.label)


# ---------------------------------------------------------------- a sum's limit: a width the notes name by a letter
NEXT = r"$n$ is the number of neurons in the $(l+1)^{\text{th}}$ layer."
BP2 = r"$$\frac{\partial C}{\partial z^l_k}=\sigma'(z^l_k)\sum_{i=1}^n\delta^{l+1}_i w^{l+1}_{i,k}$$"
BP1 = (r"$$\frac{\partial C}{\partial z^L_k}=\sum_{i=1}^n\frac{\partial C}{\partial a^L_i}"
       r"\frac{\partial a^L_i}{\partial z^L_k}$$")
FORWARD = r"$$z^l_j=\sum_{i=1}^n(w^l_{j,i}a^{l-1}_i)+b^l_j$$"
DECLARED = [
    # (the notes' words before the formula, the formula, the verdict, a part of the reason)
    (NEXT, BP2, "holds", "n read as n_{l+1}, the width of layer l+1, as line 1 says"),
    (r"We treat $C$ as a function of the $n$ weighted inputs to the $(l+1)^{\text{th}}$ layer.", BP2, "holds",
     "n read as n_{l+1}"),
    (r"Here $n$ denotes the number of units in layer $l+1$.", BP2, "holds", "n read as n_{l+1}"),
    (r"(where $n$ is the number of output neurons)", BP1, "holds", "n read as n_{L}, the width of the output layer"),
    (r"where $n$ is the size of the output layer", BP1, "holds", "n read as n_{L}"),
    (r"where $n$ is the number of neurons in the $l-1^{\text{th}}$ layer", FORWARD, "holds", "n read as n_{l-1}"),
    # the width of another layer than the sum runs over: the limits are not its units
    (r"$n$ is the number of neurons in the $l^{\text{th}}$ layer.", BP2, "skipped", "limits 1..n_{l}"),
    (r"(where $n$ is the number of output neurons)", BP2, "skipped", "limits 1..n_{L}"),
    (NEXT, BP1, "skipped", "limits 1..n_{l+1}"),
    (r"$n$ is the number of neurons in the input layer.", BP1, "skipped", "limits 1..n_{1}"),  # Nielsen's input
    # no declaration, another kind of definition, or a redefinition after it: the letter is not a width
    ("", BP2, "skipped", "limits 1..n"),
    (r"$n$ is the number of training examples.", BP2, "skipped", "limits 1..n"),
    (NEXT + "\n\n" + r"Let $n$ be the mini-batch size.", BP2, "skipped", "limits 1..n"),
    (NEXT + "\n\n" + r"Here $n$ is the number of training examples.", BP2, "skipped", "limits 1..n"),
    (r"$n$ is the number of neurons in the previous layer.", BP2, "skipped", "limits 1..n"),
    (r"$n$ is the number of neurons in the hidden layer.", BP2, "skipped", "limits 1..n"),  # which one?
    (r"$m$ is the number of neurons in the $(l+1)^{\text{th}}$ layer.", BP2, "skipped", "limits 1..n"),
    # a wrong formula with a declared width still fails
    (NEXT, BP2.replace("w^{l+1}_{i,k}", "w^{l+1}_{k,i}"), "fails", ""),
    (NEXT, BP2.replace(r"\sigma'(z^l_k)", r"\sigma'(z^{l+1}_k)"), "fails", ""),
]


@pytest.mark.parametrize("words,formula,verdict,reason", DECLARED)
def test_a_width_the_notes_declare_by_a_letter(tmp_path, words, formula, verdict, reason):
    path = _notes(tmp_path, words + "\n\n" + formula)
    finding = lint([path], convention="nielsen", loss="sse", output="sigmoid", hidden="sigmoid", weights="to_from")[-1]
    assert finding.verdict == verdict, finding.text()
    assert reason in finding.reason, finding.text()


def test_a_declaration_after_the_formula_is_not_in_force(tmp_path):
    path = _notes(tmp_path, BP2 + "\n\n" + NEXT)
    finding = lint([path], convention="nielsen", loss="sse", output="sigmoid", hidden="sigmoid", weights="to_from")[-1]
    assert finding.verdict == "skipped" and "limits 1..n" in finding.reason, finding.text()


# rugessnome: a network with one hidden layer named H, which "est constituée de $H$ neurones"
NAMED = r"""\[ z^{(O)} = W^{(O)} a^{(H)} + b^{(O)} \]
\[ a^{(H)} = g(W^{(H)}x + b^{(H)}) \]
"""
RG19 = (r"\[ \frac{\partial l(f(x), y)}{\partial z^{H}_i} = \sum_{j=1}^{H} "
        r"\frac{\partial l(f(x), y)}{\partial a^{(H)}_j} \frac{\partial a^{(H)}_j}{\partial z^{H}_i} \]")
FRENCH = [
    (r"Enfin, la couche cachée est constituée de $H$ neurones.", RG19, "holds", "H read as n_{2}, the width of the "
     "hidden layer, as line 3 says"),
    (r"la couche de sortie est constituée de $H$ neurones", RG19, "skipped", "limits 1..n_{L}"),
    ("", RG19, "skipped", "limits 1..H"),
    (r"la couche cachée est constituée de $H$ neurones", RG19.replace("a^{(H)}_j}{", "a^{(H)}_i}{"), "fails", ""),
]


@pytest.mark.parametrize("words,formula,verdict,reason", FRENCH)
def test_the_hidden_layer_s_width_in_a_network_that_names_its_layers(tmp_path, words, formula, verdict, reason):
    path = _notes(tmp_path, NAMED + words + "\n" + formula, "notes.tex")
    finding = lint([path], convention="nielsen", loss="cce", output="softmax", hidden="tanh")[-1]
    assert finding.verdict == verdict, finding.text()
    assert reason in finding.reason, finding.text()


# steven2358 (UFLDL's notation): n_l the number of layers, so layer n_l is the output; s_{(l+1)} the width of l+1
LAYERS = r"We write $n_l$ to denote the number of layers in the network (including the input and output layers)."
WIDTH = r"$s_l$ is the number of neurons in the $l$-th layer."
SV22 = r"$$\frac{\partial J}{\partial a_i^{(n_l)}} = a_i^{(n_l)} - y_i.$$"
SV23 = r"$$\frac{\partial J}{\partial a_i^{(l)}} = \sum_{j=1}^{s_{(l+1)}} \delta_j^{(l+1)} W_{ji}^{(l)}.$$"
UFLDL = [
    # (convention, the notes' words, the formula, the verdict, a part of the reason)
    ("ufldl", LAYERS, SV22, "holds", "n_l read as L, the output layer: the notes number their n_l layers from the "
     "input, layer 1 (line 1)"),
    ("ufldl", r"$n_l$ & The number of layers in the neural network \\", SV22, "holds", "n_l read as L"),
    ("ufldl", LAYERS, SV22.replace("- y_i", "+ y_i"), "fails", ""),
    ("ufldl", LAYERS, SV22.replace("a_i^{(n_l)} - y_i", "a_i^{(n_l-1)} - y_i"), "fails", ""),
    ("ufldl", "", SV22, "skipped", "not a formula derive reads"),
    ("ufldl", r"$n_l$ is the number of layers (excluding the input layer).", SV22, "skipped", "not a formula"),
    ("ufldl", r"$n_l$ is the number of neurons in the $l$-th layer.", SV22, "skipped", "not a formula"),
    ("dls", LAYERS, r"$$dA^{[n_l]} = A^{[n_l]} - Y$$", "skipped", "not a formula"),  # dls's input: layer 0
    ("ufldl", WIDTH, SV23, "holds", "s_{(l+1)} read as s_{l+1}, the width of layer l+1, as line 1 says"),
    ("ufldl", r"$s_l$ & The number of neurons in the $l$-th layer \\", SV23, "holds", "s_{(l+1)} read as s_{l+1}"),
    ("ufldl", WIDTH, SV23.replace("s_{(l+1)}", "s_{(l)}"), "skipped", "limits 1..s_{l}"),
    ("ufldl", WIDTH, SV23.replace("W_{ji}", "W_{ij}"), "fails", ""),
    ("ufldl", "", SV23, "skipped", "the sum's limits 1..s_{(l+1)}"),   # parsed, the width not declared
    ("ufldl", r"$s_l$ is the number of examples.", SV23, "skipped", "the sum's limits 1..s_{(l+1)}"),
    # another letter for the width: read as the convention's
    ("nielsen", r"$d_l$ is the number of units in layer $l$.",
     r"$$\frac{\partial C}{\partial a^l_k} = \sum_{j=1}^{d_{l+1}} w^{l+1}_{jk}\delta^{l+1}_j$$", "holds",
     "d_{l+1} read as n_{l+1}, the width of layer l+1"),
    ("nielsen", r"$d_l$ is the number of units in layer $l$.",
     r"$$\frac{\partial C}{\partial a^l_k} = \sum_{j=1}^{d_{l}} w^{l+1}_{jk}\delta^{l+1}_j$$", "skipped", "limits"),
]


@pytest.mark.parametrize("convention,words,formula,verdict,reason", UFLDL)
def test_the_number_of_layers_and_a_width_by_its_layer(tmp_path, convention, words, formula, verdict, reason):
    path = _notes(tmp_path, words + "\n\n" + formula)
    finding = lint([path], convention=convention, loss="mse", output="sigmoid", hidden="sigmoid",
                   weights="to_from")[-1]
    assert finding.verdict == verdict, finding.text()
    assert reason in finding.reason, finding.text()
