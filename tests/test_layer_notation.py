"""A layer notation in the notes' own letters (derive.layers.notation): data, checked field by field, and read so.

Each row can fail: a letter map not applied, an index base not honoured, a fixed constant not restricting the
draws, a wrong field accepted.
"""

import pytest

from derive import check

GOODFELLOW_SANS = {"from": "goodfellow", "symbols": {"V": r"\textsf{V}", "K": r"\textsf{K}", "Z": r"\textsf{Z}"},
                   "constants": {"pad": 0}}
ZERO_BASED = {"from": "cs231n", "index_base": 0}
RENAMED = {"from": "cs231n", "symbols": {"x": "I", "w": "K", r"\mathrm{dout}": "dO"}, "indices": {"n": "b"},
           "sizes": {"N": "B"}, "name": "my notes"}

CASES = [
    # Goodfellow's eq. 9.11 in the book's sans-serif letters, no padding (the notation fixes pad = 0)
    (GOODFELLOW_SANS, "conv2d", r"\frac{\partial J}{\partial \textsf{K}_{i,j,k,l}} = \sum_{m} \sum_{n} \sum_{r} "
     r"\frac{\partial J}{\partial \textsf{Z}^{(r)}_{i,m,n}} \textsf{V}^{(r)}_{j,(m-1)\times s+k,(n-1)\times s+l}",
     "holds"),
    # the same without the notation's pad = 0 is judged at pad 1 too, where it is wrong
    ({"from": "goodfellow", "symbols": GOODFELLOW_SANS["symbols"]}, "conv2d",
     r"\frac{\partial J}{\partial \textsf{K}_{i,j,k,l}} = \sum_{m} \sum_{n} \sum_{r} "
     r"\frac{\partial J}{\partial \textsf{Z}^{(r)}_{i,m,n}} \textsf{V}^{(r)}_{j,(m-1)\times s+k,(n-1)\times s+l}",
     "fails"),
    # CS231n's code counts from 0: the window of output i starts at stride * i - pad
    (ZERO_BASED, "conv1d", r"dw_{fcu} = \sum_{n=0}^{N-1} \sum_{i=0}^{W'-1} \mathrm{dout}_{nfi} "
     r"x_{n,c,\mathrm{stride}\cdot i+u-\mathrm{pad}}", "holds"),
    # the 1-based window read in 0-based notes is off by one stride
    (ZERO_BASED, "conv1d", r"dw_{fcu} = \sum_{n=0}^{N-1} \sum_{i=0}^{W'-1} \mathrm{dout}_{nfi} "
     r"x_{n,c,\mathrm{stride}\cdot (i-1)+u-\mathrm{pad}}", "fails"),
    (ZERO_BASED, "rnn", r"dh_{ntj} = \mathrm{dout}_{ntj} + \sum_{j'=0}^{H-1} {W_{h}}_{j,j'} da_{n,t+1,j'}", "holds"),
    (RENAMED, "conv1d", r"db_{f} = \sum_{b=1}^{B} \sum_{i=1}^{W'} dO_{bfi}", "holds"),
    # a tutorial's letters: the adjoint written \delta X (tests/corpora/attention, ue-03)
    ({"from": "vaswani", "prefix": "\\delta", "symbols": {"S": "A", "P": "\\hat{A}", "O": "Y"}}, "attention",
     r"\delta Q = \delta A\, K / \sqrt{d_k}", "holds"),
    ({"from": "vaswani", "prefix": "\\delta", "symbols": {"S": "A", "P": "\\hat{A}", "O": "Y"}}, "attention",
     r"\delta Q = \delta A\, K", "fails"),
    (RENAMED, "conv1d", r"dK_{fcu} = \sum_{b=1}^{B} \sum_{i=1}^{W'} dO_{bfi} "
     r"I_{b,c,\mathrm{stride}(i-1)+u-\mathrm{pad}}", "holds"),
]


@pytest.mark.parametrize("notation, layer, formula, verdict", CASES)
def test_a_formula_in_the_notes_letters_is_judged_in_them(notation, layer, formula, verdict):
    r = check(formula, notation, layer=layer)
    assert r.verdict == verdict, r.text()


def test_a_zero_based_sum_must_start_at_zero():
    r = check(r"db_{f} = \sum_{n=1}^{N} \sum_{i=1}^{W'} \mathrm{dout}_{nfi}", ZERO_BASED, layer="conv1d")
    assert r.verdict == "invalid" and "counted from 0" in r.reason, r.text()


def test_the_old_letter_is_no_longer_read():
    r = check(r"db_{f} = \sum_{n=1}^{N} \sum_{i=1}^{W'} \mathrm{dout}_{nfi}", RENAMED, layer="conv1d")
    assert r.verdict == "invalid", r.text()


@pytest.mark.parametrize("notation, message", [
    ({"from": "ioffe"}, "must be one of cs231n, goodfellow"),
    ({"symbols": {"q": "Q"}}, "'q' is not one of the cs231n notation's symbols"),
    ({"indices": {"n": "nn"}}, "expected one index letter"),
    ({"indices": {"n": "c"}}, "two axes would share one index letter"),
    ({"index_base": 2}, "must be between 0 and 1"),
    ({"constants": {"gamma": 1}}, "has no constant 'gamma'"),
    ({"symbols": {"x": r"\input{x}"}}, r"\input is not a math command"),
    ({"kind": "rnn"}, "the notation is for rnn"),
    ({"colour": "red"}, "not a field of a layer notation"),
    ({"prefix": "\\nabla"}, "must be one of d, \\delta, \\Delta"),
    ({"symbols": ["x"]}, "expected a table"),
])
def test_a_wrong_field_is_one_line_naming_it(notation, message):
    r = check(r"db_{f} = \sum_{n=1}^{N} \sum_{i=1}^{W'} \mathrm{dout}_{nfi}", notation, layer="conv1d")
    assert r.verdict == "invalid" and message in r.reason, r.reason


def test_a_notation_file_on_the_command_line(tmp_path, capsys):
    from derive.cli import main
    path = tmp_path / "notes.toml"
    path.write_text('from = "cs231n"\nindex_base = 0\n', encoding="utf-8")
    status = main(["check", "--layer", "conv1d", "--convention", str(path),
                   r"db_{f} = \sum_{n=0}^{N-1} \sum_{i=0}^{W'-1} \mathrm{dout}_{nfi}"])
    assert status == 0, capsys.readouterr()
    path.write_text('from = "cs231n"\nindex_base = "zero"\n', encoding="utf-8")
    status = main(["check", "--layer", "conv1d", "--convention", str(path), r"db_{f} = 0"])
    err = capsys.readouterr().err
    assert status == 2 and "index_base" in err and len(err.strip().splitlines()) == 1, err
