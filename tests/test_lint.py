"""derive lint: the math found in Markdown and LaTeX notes, directives, verdicts by line, exit codes, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from derive.cli import main
from derive.lint import LintError, Setting, lint, scan
from derive.testing import assert_notes_hold

NOTES = Path(__file__).parent / "notes"
MD, TEX, GOOD = NOTES / "ng_then_nielsen.md", NOTES / "nielsen.tex", NOTES / "good.md"

# (line, verdict) of every reported formula in the sample notes; the comments say what each line holds
EXPECTED = {
    MD: [(8, "holds"), (8, "holds"),       # the forward pass, judged against itself (a^(l) with its bias unit)
         (10, "holds"),                    # ng, bce + sigmoid: delta^(L) = a^(L) - y (the code spans are not math)
         (13, "holds"),                    # the recursion with Theta^T and .* g'
         (18, "fails"),                    # an extra g'(z^(L)): bce + sigmoid cancel
         (27, "holds"),                    # nielsen, mse from the comment on line 22: the sigma' stays
         (30, "fails"),                    # ... so delta^L = a^L - y fails
         (38, "holds"), (39, "holds")],    # BP3 and BP4, one per line of an aligned block
    TEX: [(7, "holds"), (8, "holds"), (9, "holds"), (10, "holds"),  # align*: the four equations, bce
          (15, "fails"),                   # equation: (w^l)^T instead of (w^{l+1})^T
          (18, "holds"),                   # \(...\) after "% derive: loss=mse" on line 17
          (19, "holds"),                   # the forward pass; $x$ has no relation sign and is not reported
          (21, "holds"), (22, "holds")],   # align: the second line "&= ..." continues delta^L
    GOOD: [(4, "holds"), (6, "holds"), (9, "holds")],
}


@pytest.fixture(scope="module")
def linted() -> dict:
    """Each sample file linted once (a check takes a fraction of a second)."""
    return {path: lint([path]) for path in EXPECTED}


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_verdicts_by_line(linted, path):
    assert sorted((f.line, f.verdict) for f in linted[path]) == EXPECTED[path]


def test_failures_carry_the_diagnosis(linted):
    fails = {f.line: f for f in linted[MD] if f.verdict == "fails"}
    assert fails[18].diagnosis["corrected"] == r"\delta^{(L)} = a^{(L)} - y"
    assert "without the factor" in fails[18].diagnosis["message"]
    assert "with the factor" in fails[30].diagnosis["message"]
    line = fails[18].text()
    assert line.startswith(f"{MD}:18: fails: differs from the forward pass")
    assert " — holds without the factor" in line and line.endswith(r"; corrected: \delta^{(L)} = a^{(L)} - y")
    skipped = [f for f in linted[MD] if f.verdict == "skipped"]
    assert all(f.reason.startswith("not a backprop claim: the left-hand side") for f in skipped)
    condition = [f for f in linted[GOOD] if f.line == 9][0]
    assert condition.text().endswith(r"holds: \delta^L = a^L - y (if \sum_k y_k = 1)")


def test_directives_apply_from_their_line(linted):
    by_line = {f.line: f.convention for f in linted[MD]}
    assert by_line[10] == "ng" and by_line[27] == "nielsen"
    settings = {f.line: f.setting for f in scan(TEX)}
    assert settings[15] == Setting("nielsen", "bce", "sigmoid", "sigmoid")
    assert settings[18] == Setting("nielsen", "mse", "sigmoid", "sigmoid")


# ---------------------------------------------------------------- finding the math (no checking)
SCAN = [
    # (suffix, text, [(line, formula as checked)])
    ("md", "a `$x = 1$` and ``$`$`` b $y = 2$\n", [(1, "y = 2")]),
    ("md", "```\n$x = 1$\n```\n$y = 2$\n", [(4, "y = 2")]),
    ("md", "~~~~ python\n$x = 1$\n~~~\n$y$\n~~~~\n", []),
    ("md", "costs $3 or \\$4, not $5.\n", []),                        # Pandoc's rules for a $ that is money
    ("md", "$x = 1\n\ny = 2$\n", []),                                 # inline math does not cross a blank line
    ("md", "$a =\n b$\n", [(1, "a = b")]),
    ("md", "<!-- $x = 1$ -->\n$$\n\\delta = 1\n$$\n", [(3, "\\delta = 1")]),
    ("md", "---\ntitle: $x = 1$\n---\n$a = 1$, \\(b = 2\\) and \\[c = 3\\]\n",
     [(4, "a = 1"), (4, "b = 2"), (4, "c = 3")]),
    ("md", "---\n\n$a = 1$\n", [(3, "a = 1")]),                        # no closing ---: a thematic break
    ("md", "$$\\begin{aligned} a &= b \\\\\n &= c \\end{aligned}$$\n", [(1, "a = b"), (2, "a = c")]),
    ("tex", "\\begin{align*}\n a &= b \\label{x} \\\\[2pt]\n c &= d \\nonumber\n\\end{align*}\n",
     [(2, "a = b"), (3, "c = d")]),
    ("tex", "\\begin{align}\n a &= b \\\\\n [c]_{2:end} &= d\n\\end{align}\n", [(2, "a = b"), (3, "[c]_{2:end} = d")]),
    ("tex", "\\begin{multline}\n a = b \\\\\n + c\n\\end{multline}\n", [(2, "a = b + c")]),
    ("tex", "\\begin{equation}\n M = \\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}\n\\end{equation}\n",
     [(2, "M = \\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}")]),
    ("tex", "\\begin{equation}\\begin{split}\n a &= b \\\\\n &= c\n\\end{split}\\end{equation}\n",
     [(2, "a = b"), (3, "a = c")]),
    ("tex", "% $x = 1$\n50\\% of \\(y = 2\\) \\verb|$z = 3$| $$w$$\n", [(2, "y = 2"), (2, "w")]),
    ("tex", "\\begin{verbatim}\n$x = 1$ % no\n\\end{verbatim}\n$v = 1$\n", [(4, "v = 1")]),
    ("tex", "\\[ a = b % c = d \\\\\n\\]\n", [(1, "a = b")]),
    ("md", "---\r\nderive: loss=bce\r\n---\r\n```\r\n$x = 1$\r\n```\r\n$a =\r\n \r\nb$ $c = 1$\r\n", [(9, "c = 1")]),
    ("tex", "\\begin{alignat*}{2}\n a &= b \\\\\n c &= d\n\\end{alignat*}\n", [(2, "a = b"), (3, "c = d")]),
    # MathJax's pairs where Pandoc's rules find none, or one that encloses a $ (Q&A sites and blogs)
    ("md", "$ \\delta_j = h'(a_j) $ and $x = 1$\n", [(1, "\\delta_j = h'(a_j)"), (1, "x = 1")]),
    ("md", "$\\frac{a}{b} = c   $\n\n$d = e$\n", [(1, "\\frac{a}{b} = c"), (3, "d = e")]),
    ("md", "$z_j = h(a_j) $, we get\nthat $ \\delta_j = 1$\n", [(1, "z_j = h(a_j)"), (2, "\\delta_j = 1")]),
    ("md", "$a = b $, then $c = d$\n", [(1, "a = b"), (1, "c = d")]),
    ("md", "costs $ 5 and $ 10, or $5 and $10\n", []),               # money, whichever rule
    ("md", "a `$ x = 1 $` span\n", []),
    # a row that continues a := definition restores the left side without the colon
    ("tex", "\\begin{align}\n d &:= e \\\\\n &= f\n\\end{align}\n", [(2, "d := e"), (3, "d = f")]),
    ("tex", "\\[ d \\equiv e \\\\ = f \\]\n", [(1, "d \\equiv e"), (1, "d = f")]),
]


# ---------------------------------------------------------------- operators the notes declare
DECLARED = [
    # (notes, [(line, formula as checked, readings)])
    ("$$\\delta^L = (a^L - y) \\otimes \\sigma'(z^L)$$\nwhere $\\otimes$ denotes the Hadamard product.\n",
     [(1, "\\delta^L = (a^L - y) \\odot \\sigma'(z^L)", ("\\otimes read as the elementwise product \\odot, as line 2 "
                                                       "declares",))]),
    ("$$\\delta^L = (a^L - y) \\otimes \\sigma'(z^L)$$\nwhere $\\otimes$ is the Kronecker product.\n",
     [(1, "\\delta^L = (a^L - y) \\otimes \\sigma'(z^L)", ())]),            # not declared elementwise: as written
    ("⊗ means element-wise multiplication: $u = v \\otimes w$\n",
     [(1, "u = v \\odot w", ("\\otimes read as the elementwise product \\odot, as line 1 declares",))]),
]


@pytest.mark.parametrize("text,expected", DECLARED)
def test_an_operator_the_notes_declare_is_read_as_declared(tmp_path, text, expected):
    path = tmp_path / "notes.md"
    path.write_text(text, encoding="utf-8")
    assert [(f.line, f.text, f.readings) for f in scan(path) if "=" in f.text] == expected


def test_a_declared_operator_is_judged_and_said(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("$$\\delta^L = (a^L - y) \\otimes \\sigma'(z^L)$$\n$$\\delta^L = (a^L - y) \\otimes a^L$$\n"
                    "where $\\otimes$ denotes the Hadamard (element-wise) product.\n", encoding="utf-8")
    holds, fails = lint([path], "nielsen", "mse", "sigmoid", "sigmoid")
    assert (holds.verdict, fails.verdict) == ("holds", "fails")
    assert holds.reason.endswith("(\\otimes read as the elementwise product \\odot, as line 3 declares)")


@pytest.mark.parametrize("suffix,text,expected", SCAN)
def test_math_is_found_and_split(tmp_path, suffix, text, expected):
    path = tmp_path / f"notes.{suffix}"
    path.write_text(text, encoding="utf-8")
    assert [(f.line, f.text) for f in scan(path)] == expected


DIRECTIVES = [
    # (suffix, text, setting of the formula on the last line)
    ("md", "---\nderive: convention=ng loss=bce output=softmax hidden=tanh\n---\n$x$\n",
     Setting("ng", "bce", "softmax", "tanh")),
    ("md", '---\nderive: "convention=ng loss=bce"\n---\n$x$\n', Setting("ng", "bce", "sigmoid", "sigmoid")),
    ("md", "<!-- derive: activation=softmax\n     loss=cce -->\n$x$\n",
     Setting("nielsen", "cce", "softmax", "sigmoid")),
    ("md", "% derive: loss=bce\n$x$\n", Setting()),                      # % is no comment in Markdown
    ("tex", "<!-- derive: loss=bce -->\n$x$\n", Setting()),              # nor <!-- in LaTeX
    ("tex", "% derive: loss=bce\n%derive: hidden=relu\n$x$\n", Setting("nielsen", "bce", "sigmoid", "relu")),
    ("md", "`<!-- derive: loss=bce -->`\n$x$\n", Setting()),             # a directive in a code span is an example
    ("md", "---\r\nderive: loss=bce\r\n---\r\n$x$\r\n", Setting(loss="bce")),       # CRLF line ends
]


@pytest.mark.parametrize("suffix,text,setting", DIRECTIVES)
def test_directives(tmp_path, suffix, text, setting):
    path = tmp_path / f"notes.{suffix}"
    path.write_text(text, encoding="utf-8")
    assert scan(path)[-1].setting == setting


def test_a_convention_file_is_found_beside_the_notes(tmp_path, monkeypatch):
    (tmp_path / "mine.toml").write_text('base = "nielsen"\n[notation]\nweight = "W"\n', encoding="utf-8")
    (tmp_path / "notes.md").write_text("<!-- derive: convention=mine.toml -->\n$x$\n", encoding="utf-8")
    monkeypatch.chdir(NOTES)  # elsewhere: the path is the notes' folder, not the working directory
    assert scan(tmp_path / "notes.md")[0].setting.convention == str(tmp_path / "mine.toml")


BAD = [
    # (suffix, text, line named, what the message says)
    ("md", "text\n<!-- derive: colour=red -->\n", 2, "unknown derive directive key 'colour'"),
    ("md", "---\nderive: convention=ngg\n---\n", 2, "did you mean 'ng'"),
    ("tex", "\n% derive: loss=bse\n", 2, "unknown loss 'bse'"),
    ("md", "<!-- derive: hidden=sigmod -->", 1, "did you mean 'sigmoid'"),
    ("md", "<!-- derive: convention -->", 1, "expected key=value in the derive directive, got 'convention'"),
    ("md", "<!-- derive: -->", 1, "empty derive directive"),
    ("md", "<!-- derive: convention='ng -->", 1, "cannot read the derive directive"),
    ("md", "<!-- derive: convention=missing.toml -->", 1, "cannot read convention file"),
    ("tex", "% derive: hidden=softmax\n$x$\n", 1, "output activation only"),
    ("md", "<!-- derive: loss=cce output=relu -->\n\n$x$\n", 1, "not defined for relu"),
]


@pytest.mark.parametrize("suffix,text,line,needle", BAD)
def test_bad_directive_is_one_line_naming_file_and_line(tmp_path, capsys, suffix, text, line, needle):
    path = tmp_path / f"notes.{suffix}"
    path.write_text(text, encoding="utf-8")
    assert main(["lint", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"derive: error: {path}:{line}: ") and needle in err, err
    assert len(err.strip().splitlines()) == 1


def test_bad_input_exits_2_before_checking_anything(tmp_path, capsys):
    bad = tmp_path / "bad.md"
    bad.write_text("<!-- derive: loss=nope -->\n", encoding="utf-8")
    assert main(["lint", str(GOOD), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "unknown loss 'nope'" in err
    assert main(["lint", str(tmp_path / "missing.md")]) == 2
    assert capsys.readouterr().err.strip() == f"derive: error: cannot read {tmp_path / 'missing.md'}: " \
                                              "No such file or directory"
    (tmp_path / "latin1.md").write_bytes(b"caf\xe9 $x = 1$\n")
    assert main(["lint", str(tmp_path / "latin1.md")]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err
    with pytest.raises(LintError, match="cannot read"):
        lint([tmp_path])


def test_the_real_command_line(tmp_path):
    bad = tmp_path / "bad.tex"
    bad.write_text("% derive: convention=ng colour=red\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "derive.cli", "lint", str(bad)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"derive: error: {bad}:1: unknown derive directive key 'colour' "
                                                  "(known: convention, loss, output, activation, hidden, weights, "
                                                  "grad_of, l2, layer, unbiased)"]


# ---------------------------------------------------------------- the command
def _stamp(path: Path) -> tuple:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_exit_1_when_a_formula_fails_and_the_notes_are_untouched(capsys):
    before = {p: _stamp(p) for p in (MD, TEX)}
    assert main(["lint", str(MD), str(TEX)]) == 1
    out = capsys.readouterr().out.splitlines()
    findings = [line for line in out[:-1] if line.split(":")[1].isdigit() and ": section " not in line
                and line.split(": ")[1] in ("holds", "fails", "skipped")]  # not the notes on what was inferred
    reported = sorted((line.split(":")[0], int(line.split(":")[1]), line.split(": ")[1]) for line in findings)
    assert reported == sorted([(str(MD), n, v) for n, v in EXPECTED[MD]] + [(str(TEX), n, v) for n, v in EXPECTED[TEX]])
    assert out[-1] == "15 hold, 3 fail, 0 skipped"
    assert {p: _stamp(p) for p in (MD, TEX)} == before


def test_exit_0_when_nothing_fails(capsys):
    assert main(["lint", "--no-diagnosis", str(GOOD)]) == 0
    assert capsys.readouterr().out.endswith("3 hold, 0 fail, 0 skipped\n")


def test_json(capsys):
    assert main(["lint", "--json", str(TEX)]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list) and len(rows) == len(EXPECTED[TEX])
    assert all(set(r) >= {"file", "line", "verdict", "formula", "reason", "diagnosis", "convention",
                          "convention_source", "evidence"} for r in rows)
    assert {r["file"] for r in rows} == {str(TEX)} and {r["convention"] for r in rows} == {"nielsen"}
    wrong = [r for r in rows if r["verdict"] == "fails"][0]
    assert wrong["line"] == 15 and wrong["diagnosis"]["mistake"] == "layer index"
    assert wrong["formula"] == r"\delta^l = ((w^l)^T \delta^{l+1}) \odot \sigma'(z^l)"


def test_verbose_also_lists_math_without_a_relation(tmp_path, capsys):
    path = tmp_path / "notes.md"
    path.write_text("Here $x$ is the input and $0 < a < 1$; `$y$` is code.\n", encoding="utf-8")
    assert main(["lint", str(path)]) == 0
    assert capsys.readouterr().out == "0 hold, 0 fail, 0 skipped\n"
    assert main(["lint", "-v", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [f"{path}:1: skipped: not an equation (no relation sign)"] * 2


def test_each_file_keeps_its_own_directives(tmp_path):
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text("<!-- derive: convention=ng loss=mse -->\n$\\delta^{(L)} = a^{(L)} - y$\n", encoding="utf-8")
    second.write_text("$\\delta^L = a^L - y$\n", encoding="utf-8")
    findings = lint([first, second], convention="nielsen", loss="bce")
    assert [(f.file, f.convention, f.verdict) for f in findings] == [(str(first), "ng", "fails"),
                                                                     (str(second), "nielsen", "holds")]


def test_identical_formulas_are_checked_once(tmp_path, monkeypatch):
    module = sys.modules["derive.check"]
    calls = []
    real = module.check
    monkeypatch.setattr(module, "check", lambda formula, *a, **k: calls.append(formula) or real(formula, *a, **k))
    path = tmp_path / "notes.md"
    path.write_text("$\\delta^L = a^L - y$ and $\\delta^L   = a^L - y$\n\n$$\n\\delta^L =\na^L - y\n$$\n"
                    "<!-- derive: loss=mse -->\n$\\delta^L = a^L - y$\n", encoding="utf-8")
    findings = lint([path], loss="bce", diagnose=False)
    assert [(f.line, f.verdict) for f in findings] == [(1, "holds"), (1, "holds"), (4, "holds"), (8, "fails")]
    assert calls == [r"\delta^L = a^L - y"] * 2  # once for bce, once for mse


# ---------------------------------------------------------------- derive.testing
def test_assert_notes_hold():
    findings = assert_notes_hold(GOOD)
    assert [f.verdict for f in findings] == ["holds"] * 3
    with pytest.raises(AssertionError) as info:
        assert_notes_hold(MD, convention="nielsen")
    message = str(info.value)
    assert message.splitlines()[0] == f"2 formula(s) in {MD} fail:"
    assert f"{MD}:18: fails:" in message and f"{MD}:30: fails:" in message
    assert message.count("corrected:") == 2 and f"{MD}:10:" not in message


# ---------------------------------------------------------------- a layer's width under the notes' own letter
WIDTH_SUM = r"\delta_i^{(\ell)} = \sigma'(z_i^{(\ell)}) \sum_{k=1}^{%s} w^{(\ell+1)}_{k,i} \delta_k^{(\ell+1)}"
WIDTHS = [
    # (declaration in the notes, the sum's upper limit, verdict, part of the reason)
    (r"$\delta^{(\ell)} \in \mathbb{R}^{d_\ell}$", r"d_{\ell+1}", "holds",
     "(d_l read as the width of layer l, as line 1 declares)"),
    (r"$W^{(l)} \in \mathbb{R}^{d_l \times d_{l-1}}$", r"d_{l+1}", "holds", "as line 1 declares"),
    (r"$\delta^{(\ell)} \in \mathbb{R}^{d_\ell}$", r"d_{\ell}", "skipped", "are not the layer's units"),
    (r"$\delta^{(\ell)} \in \mathbb{R}^{d_\ell}$", r"d_{\ell+2}", "skipped", "are not the layer's units"),
    (r"$\delta^{(\ell)} \in \mathbb{R}^{d_\ell}$", r"n_{\ell+1}", "skipped", "1..n_{l+1}"),  # the notes' letter only
    ("no declaration", r"d_{\ell+1}", "skipped", "are not the layer's units"),
    (r"$x \in \mathbb{R}^{d}$", r"d_{\ell+1}", "skipped", "are not the layer's units"),
]


@pytest.mark.parametrize("declaration,limit,verdict,reason", WIDTHS)
def test_a_width_letter_the_notes_declare_bounds_a_sum(tmp_path, declaration, limit, verdict, reason):
    path = tmp_path / "notes.md"
    path.write_text(f"{declaration}\n\n$$\n{WIDTH_SUM % limit}\n$$\n", encoding="utf-8")
    (finding,) = [f for f in lint([path], "nielsen", "mse", "sigmoid", "sigmoid") if f.line == 4]
    assert finding.verdict == verdict and reason in finding.reason, finding.text()
