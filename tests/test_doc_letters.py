"""How documents write functions and losses (issue 12). One letter per function: with a tanh hidden layer
and a sigmoid output, sigma must not write both sigma'(z^l) = 1 - (a^l)^2 and sigma'(z^L) = a^L (1 - a^L).
Losses as sources write them: -sum_k [y ln yhat + (1 - y) ln(1 - yhat)]."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from derive.cli import main
from derive.conventions import PRESETS

CASES = [
    # (convention, output, hidden, the hidden's derivative as printed, the output's as printed)
    ("nielsen", "sigmoid", "tanh", r"\sigma'", r"\operatorname{sigmoid}'"),
    ("nielsen", "identity", "sigmoid", r"\sigma'", r"\operatorname{id}'"),
    ("ng", "sigmoid", "relu", r"g'", r"\sigma'"),
    ("ng", "sigmoid", "sigmoid", r"g'", r"g'"),  # one function: the convention's letter throughout
]


@pytest.mark.parametrize("conv,output,hidden,hidden_d,output_d", CASES)
def test_each_activation_has_its_own_letter(capsys, conv, output, hidden, hidden_d, output_d):
    loss = "bce" if output == "sigmoid" else "mse"
    assert main(["doc", "--convention", conv, "--loss", loss, "--activation", output, "--hidden", hidden]) == 0
    text = capsys.readouterr().out.split("in other conventions")[0]  # the other conventions use their letters
    at = lambda layer: {m.group(1) for m in re.finditer(r"(\\[A-Za-z]+(?:\{[a-z]+\})?'|\b[gfh]')(?:\\left)?\(z\^\{?\(?"
                                                         + layer + r"\)?\}?", text)}  # noqa: E731
    assert at("L") == {output_d}, at("L")
    assert at("l") == {hidden_d}, at("l")
    if hidden_d != output_d:
        assert f"(hidden layers: {hidden})" in text or hidden == "sigmoid"
    # a letter that is not the function's own name is stated: Ng's sigma beside g for a relu
    stated = f"(output layer: {output})" in text
    assert stated == (hidden_d != output_d and output_d != rf"\operatorname{{{output}}}'"), text[:2000]


def test_a_loss_written_with_its_minus_in_front_is_the_same_loss():
    import sympy as sp

    from derive.losses import LOSSES
    yh, y = sp.symbols("yhat y", positive=True)
    written = [loss for loss in LOSSES.values() if loss.negated]
    assert {loss.name for loss in written} == {"bce", "cce", "focal", "nll", "cce_smoothed"}
    for loss in written:
        assert sp.simplify(loss.term(yh, y) + loss.negated(yh, y)) == 0, loss.name


OUTPUT = Path(__file__).resolve().parent.parent / "output"
MLP_DOCUMENTS = sorted(str(p.relative_to(OUTPUT)) for name in PRESETS for p in (OUTPUT / name).glob("*.*")
                       if p.suffix in (".md", ".tex"))


def _own(path: str) -> str:
    """A gallery document without its section 7, whose rows are in the other conventions' letters."""
    text = (OUTPUT / path).read_text()
    return re.sub(r"(?ms)^(## 7\.|\\section\{The same result).*?(?=^(## |\\section\{)Verification)", "", text)


def _after_example_sums(text: str, batch: str):
    """(the example's letter, each formula's text after a \\sum_{t=1}^{m} over the examples), words blanked."""
    for m in re.finditer(r"\\sum_\{([a-z])=1\}\^\{" + re.escape(batch) + r"\}", text):
        ends = (text.find(stop, m.end()) for stop in ("$", r"\]", r" \\", "\n"))  # the formula's end: one line
        end = min(i for i in (*ends, len(text)) if i >= 0)
        yield m.group(1), re.sub(r"\\(?:text|begin|end|mathbin|quad)\{[^{}]*\}", " ", text[m.end():end])


def _script_end(text: str, start: int) -> int:
    """Where the script starting at ``start`` (one brace group or one character) ends."""
    if text[start:start + 1] != "{":
        return start + 1
    depth = 0
    for end, ch in enumerate(text[start:], start):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return end + 1
    return len(text)


def _symbols(after: str):
    """(symbol, the superscript after it) for each letter or command outside any script: in a^{(l)(t)}_{k}, a."""
    token, pos = re.compile(r"[_^]|\\hat\{y\}|\\[A-Za-z]+|[A-Za-z]"), 0
    while (m := token.search(after, pos)) is not None:
        pos = _script_end(after, m.end()) if m.group() in "_^" else m.end()
        if m.group() not in "_^":
            sup = re.match(r"\^\{([^{}]*)\}", after[pos:])
            yield m.group(), sup.group(1) if sup else None


@pytest.mark.parametrize("path", MLP_DOCUMENTS)
def test_every_term_of_a_sum_over_the_examples_names_its_example(path):
    # (1/m) sum_t delta^{(l+1)(t)} (a^{(l)(t)})^T, and Ng's cost: sum_t sum_k y^{(t)}_k ln a^{(L)(t)}_k: a term
    # without the example's index is the same for every t, and the sum would be m times one example's
    nt = PRESETS[path.split("/")[0]].notation
    per_example = {nt.pre, nt.act, nt.target, nt.input, nt.output} - {None}
    text = _own(path)
    unmarked = [(name, sup) for t, after in _after_example_sums(text, nt.batch) for name, sup in _symbols(after)
                if name in per_example and f"({t})" not in (sup or "")]
    assert not unmarked, unmarked


@pytest.mark.parametrize("path", MLP_DOCUMENTS)
def test_the_examples_letter_is_none_of_the_conventions_symbols(path):
    # Bishop's targets are t_k: a sum over t = 1..m of the examples would read as one over the targets
    nt = PRESETS[path.split("/")[0]].notation
    symbols = {nt.pre, nt.act, nt.target, nt.input, nt.output, nt.weight, nt.bias, nt.cost, nt.batch, nt.width}
    taken = {c for s in symbols - {None} for c in re.sub(r"\\[A-Za-z]+", "", s) if c.isalpha()}
    letters = {t for t, _ in _after_example_sums(_own(path), nt.batch)}
    assert not letters & taken, letters & taken
