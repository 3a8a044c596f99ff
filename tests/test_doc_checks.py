"""The document checks in tools/: KaTeX renders every formula of a .md, pdflatex compiles every .tex.

These skip only where the tool itself is missing; .ci/run installs both, so in CI they run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"

needs_katex = pytest.mark.skipif(
    shutil.which("node") is None or not (TOOLS / "node_modules" / "katex").is_dir(),
    reason="node or tools/node_modules/katex missing (run `npm ci --prefix tools`)",
)
needs_pdflatex = pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="pdflatex missing (apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures)",
)
needs_tikz = pytest.mark.skipif(
    shutil.which("kpsewhich") is None or subprocess.run(["kpsewhich", "tikz.sty"], capture_output=True).returncode,
    reason="TikZ missing (apt-get install texlive-pictures)",
)
OUTPUT = TOOLS.parent / "output"


def katex_check(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(TOOLS / "katex_check.mjs"), *map(str, files)],
                          capture_output=True, text=True, timeout=60)


def check_latex(*files: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/bash", str(TOOLS / "check_latex.sh"), *map(str, files)],
                          capture_output=True, text=True, timeout=120, env=env)


GOOD_MD = r"""# Output layer

The error is $\delta^{[L]} = \nabla_a C \odot \sigma'(z^{[L]})$, for every $j$.
In code it is `delta = (a - y) * s(z)`, and `$` there is a dollar sign, as is \$5 here.

$$
\frac{\partial C}{\partial w^{[l]}_{jk}}
  = a^{[l-1]}_k \delta^{[l]}_j
$$
"""


@needs_katex
def test_katex_good_markdown_passes(tmp_path):
    md = tmp_path / "good.md"
    md.write_text(GOOD_MD, encoding="utf-8")
    result = katex_check(md)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "katex: 3 formulas in 1 files, 0 failed"


@needs_katex
def test_katex_bad_markdown_fails_with_file_and_line(tmp_path):
    md = tmp_path / "bad.md"
    # line 3 opens the display block, line 4 holds the broken \frac, line 7 the unknown macro
    md.write_text("# Bad\n\n$$\n\\frac{1}{\n$$\n\nthen $\\foo{x}$ here\n", encoding="utf-8")
    result = katex_check(md)
    assert result.returncode == 1
    assert f"{md}:4: KaTeX parse error" in result.stdout
    assert f"{md}:7: KaTeX parse error: Undefined control sequence: \\foo" in result.stdout
    assert result.stdout.splitlines()[-1] == "katex: 2 formulas in 1 files, 2 failed"


@needs_katex
@pytest.mark.parametrize("markdown,formulas,failed", [
    ("`$x$` and ``a ` $ b``", 0, 0),                 # code spans are never math
    ("```\n$\\foo$\n$$\n```", 0, 0),                   # nor is a fenced block
    ("\\$5 and \\$6", 0, 0),                          # escaped dollars
    ("$$a+b$$ inline, and $c$", 2, 0),               # one-line display math beside inline
    ("$\\text{für alle}$ and $\\sigma = σ$", 2, 0),  # strict "error" still takes unicode text and Greek
    ("$ä$", 1, 1),                                   # ...but not an accented letter outside \text
    ("costs $5 in all", 0, 1),                       # a stray $ is reported, not skipped
    ("$$\nx\n", 0, 1),                                # unclosed display block
])
def test_katex_what_counts_as_math(tmp_path, markdown, formulas, failed):
    md = tmp_path / "case.md"
    md.write_text(markdown + "\n", encoding="utf-8")
    result = katex_check(md)
    assert result.stdout.splitlines()[-1] == f"katex: {formulas} formulas in 1 files, {failed} failed", result.stdout
    assert result.returncode == (1 if failed else 0)


GOOD_TEX = r"""\documentclass{article}
\usepackage{amsmath,amssymb}
\begin{document}
\begin{align}
  \delta^{[l]} &= \bigl(W^{[l+1]\top} \delta^{[l+1]}\bigr) \odot \sigma'(z^{[l]}),
  \quad \delta^{[l]} \in \mathbb{R}^{n_l}
\end{align}
\end{document}
"""


@needs_pdflatex
def test_latex_good_document_compiles_and_leaves_nothing_behind(tmp_path):
    tex = tmp_path / "good.tex"
    tex.write_text(GOOD_TEX, encoding="utf-8")
    result = check_latex(tex)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "latex: 1 files, 0 failed"
    assert [p.name for p in tmp_path.iterdir()] == ["good.tex"]  # aux, log and pdf went to a temp dir


@needs_pdflatex
def test_latex_bad_document_fails_with_the_error(tmp_path):
    good, bad = tmp_path / "good.tex", tmp_path / "bad.tex"
    good.write_text(GOOD_TEX, encoding="utf-8")
    bad.write_text(GOOD_TEX.replace(r"\end{document}", "$\\foo$\n\\end{document}"), encoding="utf-8")
    result = check_latex(good, bad)
    assert result.returncode == 1
    assert f"{bad}: ! Undefined control sequence. l.8 $\\foo" in result.stdout  # TeX's "l.<line>"
    assert str(good) not in result.stdout
    assert result.stdout.splitlines()[-1] == "latex: 2 files, 1 failed"


def test_latex_without_pdflatex_fails_loudly(tmp_path):
    tex = tmp_path / "good.tex"
    tex.write_text(GOOD_TEX, encoding="utf-8")
    result = check_latex(tex, env={"PATH": str(tmp_path)})  # a PATH with no pdflatex on it
    assert result.returncode == 2
    assert result.stderr.strip().startswith("check_latex: pdflatex not found")


@needs_pdflatex
@needs_tikz
def test_a_gallery_document_with_its_picture_compiles(tmp_path):
    # Ng's: the widest picture, its bias-unit columns as bmatrix nodes (CI compiles every .tex of output/ the same way)
    tex = OUTPUT / "ng" / "cce-softmax.tex"
    assert r"\usepackage{tikz}" in tex.read_text() and r"\begin{tikzpicture}" in tex.read_text()
    result = check_latex(tex)
    assert result.returncode == 0, result.stdout + result.stderr
