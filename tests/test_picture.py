"""The layer's computational graph (derive/picture.py): the gallery's SVGs read as a viewer reads them, the labels
in each source's own letters, the edges the textbook dependencies, the LaTeX labels read into Unicode runs."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from derive.errors import DeriveError
from derive.gallery import OTHER_HIDDEN
from derive.picture import runs
from derive.schema import MATH_COMMANDS

OUTPUT = Path(__file__).resolve().parent.parent / "output"
NS = "{http://www.w3.org/2000/svg}"
PRESETS = ("nielsen", "wikipedia", "ng", "ufldl", "goodfellow", "bishop", "cs231n", "dls")
SVGS = sorted(p for name in PRESETS for p in (OUTPUT / name).glob("*.svg"))

# Each source's letters for one generic layer, as its own pages write them (Nielsen ch. 2 BP1-BP4; Wikipedia's
# "Backpropagation"; Ng's ex4 and UFLDL's tutorial, where Θ^(l) and W^(l) feed layer l+1; Goodfellow's algorithm
# 6.4; Bishop §5.3.1, whose a is the pre-activation; CS231n's and deeplearning.ai's dZ, dW): the nodes, then the
# edge labels (the activation, the transposes, the activation's derivative).
LABELS = {
    "nielsen": ["a^{l-1}", "w^{l}", "b^{l}", "z^{l}", "a^{l}", "w^{l+1}", "b^{l+1}", "z^{l+1}", "C", "δ^{l+1}",
                "δ^{l}", "∂C/∂w^{l}", "∂C/∂b^{l}", "σ", "σ′(z^{l})", "(w^{l+1})^{T}", "(a^{l-1})^{T}"],
    "wikipedia": ["a^{l-1}", "W^{l}", "z^{l}", "a^{l}", "W^{l+1}", "z^{l+1}", "C", "δ^{l+1}", "δ^{l}", "∇_{W^{l}}C",
                  "f", "f′(z^{l})", "(W^{l+1})^{T}", "(a^{l-1})^{T}"],
    "ng": ["1", "a^{(l)}", "Θ^{(l)}", "z^{(l+1)}", "1", "a^{(l+1)}", "Θ^{(l+1)}", "z^{(l+2)}", "J", "δ^{(l+2)}",
           "δ^{(l+1)}", "D^{(l)}", "g", "g′(z^{(l+1)})", "(Θ^{(l+1)})^{T}"],
    "ufldl": ["a^{(l)}", "W^{(l)}", "b^{(l)}", "z^{(l+1)}", "a^{(l+1)}", "W^{(l+1)}", "b^{(l+1)}", "z^{(l+2)}", "J",
              "δ^{(l+2)}", "δ^{(l+1)}", "∇_{W^{(l)}}J", "∇_{b^{(l)}}J", "f", "f′(z^{(l+1)})", "(W^{(l+1)})^{T}",
              "(a^{(l)})^{T}"],
    "goodfellow": ["h^{(l-1)}", "W^{(l)}", "b^{(l)}", "a^{(l)}", "h^{(l)}", "W^{(l+1)}", "b^{(l+1)}", "a^{(l+1)}", "J",
                   "∇_{a^{(l+1)}}J", "∇_{a^{(l)}}J", "∇_{W^{(l)}}J", "∇_{b^{(l)}}J", "f", "f′(a^{(l)})",
                   "(W^{(l+1)})^{T}", "(h^{(l-1)})^{T}"],
    "bishop": ["z^{(l-1)}", "w^{(l)}", "b^{(l)}", "a^{(l)}", "z^{(l)}", "w^{(l+1)}", "b^{(l+1)}", "a^{(l+1)}",
               "E_{n}", "δ^{(l+1)}", "δ^{(l)}", "∂E_{n}/∂w^{(l)}", "∂E_{n}/∂b^{(l)}", "h", "h′(a^{(l)})",
               "(w^{(l+1)})^{T}", "(z^{(l-1)})^{T}"],
    "cs231n": ["A^{(l-1)}", "W^{(l)}", "b^{(l)}", "Z^{(l)}", "A^{(l)}", "W^{(l+1)}", "b^{(l+1)}", "Z^{(l+1)}", "L",
               "dZ^{(l+1)}", "dZ^{(l)}", "dW^{(l)}", "db^{(l)}", "σ", "σ′(Z^{(l)})", "(W^{(l+1)})^{T}",
               "(A^{(l-1)})^{T}"],
    "dls": ["A^{[l-1]}", "W^{[l]}", "b^{[l]}", "Z^{[l]}", "A^{[l]}", "W^{[l+1]}", "b^{[l+1]}", "Z^{[l+1]}", "ℒ",
            "dZ^{[l+1]}", "dZ^{[l]}", "dW^{[l]}", "db^{[l]}", "g", "g′(Z^{[l]})", "(W^{[l+1]})^{T}",
            "(A^{[l-1]})^{T}"],
}
# what each quantity is computed from, the same in every source (the forward pass, then the backward one)
EDGES = {("W", "z"), ("b", "z"), ("a_in", "z"), ("z", "a"), ("W_next", "z_next"), ("b_next", "z_next"),
         ("a", "z_next"), ("z_next", "ahead"), ("ahead", "cost"), ("cost", "behind"), ("behind", "delta_next"),
         ("delta_next", "delta"), ("W_next", "delta"), ("z", "delta"), ("a_in", "grad_weight"),
         ("delta", "grad_weight"), ("delta", "grad_bias")}
NO_BIAS_VECTOR = {"wikipedia", "ng"}  # Wikipedia's layers have none; Ng's is the bias unit, a column of Θ


def markup(pieces) -> str:
    """(text, script marks) pieces as TeX-like markup: δ^{l+1}, ∇_{a^{(l)}}J."""
    out, open_marks = [], ()
    for text, marks in pieces:
        common = 0
        while common < min(len(marks), len(open_marks)) and marks[common] == open_marks[common]:
            common += 1
        out.append("}" * (len(open_marks) - common))
        out += [m + "{" for m in marks[common:]]
        out.append(text)
        open_marks = marks
    out.append("}" * len(open_marks))
    return re.sub(r"\s+", "", "".join(out)).replace("\u2212", "-")


def read_text(element) -> str:
    """An SVG <text> as a viewer draws it: each tspan's depth from its size, raised or lowered from its dy."""
    spans = element.findall(NS + "tspan")
    base = float(spans[0].get("font-size"))
    pieces, offset, stack = [], 0.0, [(0.0, "")]  # (baseline offset, mark) of each open depth
    for span in spans:
        size = float(span.get("font-size"))
        offset += float(span.get("dy", 0))
        depth = round(math.log(size / base) / math.log(0.7))
        del stack[depth + 1:]
        while len(stack) <= depth:
            stack.append((offset, "^" if offset < stack[-1][0] else "_"))
        pieces.append((span.text or "", tuple(m for _, m in stack[1:])))
    return markup(pieces)


def width(element) -> float:
    """A generous width of a <text> in px: 0.62 em a character at each tspan's size."""
    return sum(0.62 * float(s.get("font-size")) * len(s.text or "") for s in element.findall(NS + "tspan"))


def test_every_preset_document_has_its_picture():
    assert len(SVGS) == 4 * len(PRESETS) + len(OTHER_HIDDEN)
    for md in sorted(p for name in PRESETS for p in (OUTPUT / name).glob("*.md")):
        assert f"]({md.stem}.svg)" in md.read_text(encoding="utf-8"), md
        assert md.with_suffix(".svg").is_file(), md
        assert r"\begin{tikzpicture}" in md.with_suffix(".tex").read_text(encoding="utf-8"), md


@pytest.mark.parametrize("path", SVGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_svg_parses_and_every_text_is_inside_its_view_box(path):
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("<!-- generated by derive")  # derive may replace it
    root = ET.fromstring(text)
    assert root.tag == NS + "svg"
    left, top, w, h = map(float, root.get("viewBox").split())
    assert w > 0 and h > 0
    texts = list(root.iter(NS + "text"))
    assert texts
    for t in texts:
        x, y, anchor = float(t.get("x")), float(t.get("y")), t.get("text-anchor", "start")
        start = x - {"start": 0, "middle": 0.5, "end": 1}[anchor] * width(t)
        assert left <= start and start + width(t) <= left + w, (path, read_text(t))
        assert top <= y - 18 and y + 6 <= top + h, (path, read_text(t))


@pytest.mark.parametrize("name", PRESETS)
def test_svg_labels_are_the_conventions_own(name):
    root = ET.parse(OUTPUT / name / "bce-sigmoid.svg").getroot()
    shown = sorted(read_text(t) for t in root.iter(NS + "text"))
    assert shown == sorted(LABELS[name] + ["⋯", "⋯"])


@pytest.mark.parametrize("name", PRESETS)
def test_edges_are_the_textbook_dependencies(name):
    tex = (OUTPUT / name / "bce-sigmoid.tex").read_text(encoding="utf-8")
    edges = set(re.findall(r"\\draw\[\w+\] \((\w+)\) --.*? \((\w+)\);", tex))
    want = EDGES - ({e for e in EDGES if "b" in e or "b_next" in e or "grad_bias" in e}
                    if name in NO_BIAS_VECTOR else set())
    assert edges == want
    backward = set(re.findall(r"\\draw\[bwd\] \((\w+)\) --.*? \((\w+)\);", tex))
    assert backward == {e for e in want if e[1] in ("behind", "delta_next", "delta", "grad_weight", "grad_bias")}


def _markup(tex: str) -> str:
    return markup((r.text, r.marks) for r in runs(tex))


@pytest.mark.parametrize("tex,shown", [
    (r"\delta^{l+1}", "δ^{l+1}"),
    (r"\Theta^{(l)}", "Θ^{(l)}"),
    (r"\frac{\partial E_n}{\partial w^{(l)}}", "∂E_{n}/∂w^{(l)}"),
    (r"\nabla_{a^{(l)}} J", "∇_{a^{(l)}}J"),                # a superscript inside a subscript
    (r"(w^{l+1})^{T}", "(w^{l+1})^{T}"),
    (r"\sigma'(z^{l})", "σ′(z^{l})"),
    (r"\hat{y}", "ŷ"),                                       # the accent as a combining mark
    (r"\mathcal{L}", "ℒ"), (r"\mathcal{A}", "𝒜"),
    (r"dZ^{[l-1]}", "dZ^{[l-1]}"),                           # U+2212 for the minus, read back as -
])
def test_labels_read_into_runs(tex, shown):
    assert _markup(tex) == shown


def test_fonts_follow_tex():
    italic = {c: r.italic for r in runs(r"\operatorname{id}(z) \Theta \delta") for c in r.text}
    assert (italic["i"], italic["("], italic["z"], italic["Θ"], italic["δ"]) == (False, False, True, False, True)
    assert [r.bold for r in runs(r"\mathbf{1}")] == [True]


def test_every_command_a_notation_may_use_reads_and_others_are_refused():
    for command in sorted(MATH_COMMANDS):
        runs(rf"\{command}{{x}}")  # a notation symbol may use any of them: none may stop the picture
    with pytest.raises(DeriveError, match=r"cannot write \\foo"):
        runs(r"\foo")


MINE = r"""base = "nielsen"
[notation]
weight = "V"
pre = "u"
act = "h"
sigma = '\phi'
delta = '\epsilon^@'
grad_weight = '\frac{\partial C}{\partial V^@}'
grad_bias = '\frac{\partial C}{\partial b^@}'
layer = "bracket"
"""


def test_doc_to_a_markdown_file_writes_its_picture_beside_it_in_the_files_letters(tmp_path):
    from derive.cli import main
    conv, notes = tmp_path / "mine.toml", tmp_path / "notes.md"
    conv.write_text(MINE)
    assert main(["doc", "--convention", str(conv), "--loss", "mse", "--activation", "identity", "-o", str(notes)]) == 0
    assert "![The computational graph of one layer: what feeds u^[l] and what ∂C/∂V^[l] needs](notes.svg)" in \
        notes.read_text(encoding="utf-8")
    shown = {read_text(t) for t in ET.parse(tmp_path / "notes.svg").getroot().iter(NS + "text")}
    assert {"h^{[l-1]}", "V^{[l]}", "u^{[l]}", "ϵ^{[l]}", "∂C/∂V^{[l]}", "ϕ", "ϕ′(u^{[l]})", "(V^{[l+1]})^{T}"} <= shown
    assert not {t for t in shown if re.search(r"[zaWδσ]", t)}  # none of Nielsen's letters the file replaced


def test_doc_refuses_a_picture_file_it_did_not_write_before_any_work(tmp_path, capsys):
    from derive.cli import main
    notes, picture = tmp_path / "notes.md", tmp_path / "notes.svg"
    picture.write_text("<svg>my own drawing</svg>\n")
    assert main(["doc", "-o", str(notes)]) == 2
    assert "not generated by derive" in capsys.readouterr().err
    assert picture.read_text() == "<svg>my own drawing</svg>\n" and not notes.exists()
    assert main(["doc", "--format", "md", "-o", str(tmp_path / "a.svg")]) == 2  # the document its own picture
    assert "picture goes to NAME.svg" in capsys.readouterr().err


@pytest.mark.parametrize("fields", [
    {"weight_offset": -1, "bias_offset": 0},                         # the weight's name offset, the bias's not
    {"weight_offset": 1, "bias_offset": -1},
    {"layout": "row_batch", "bias": "none", "weight_offset": -1},
    {"layout": "column_batch", "delta_wrt": "a"},
])
def test_a_users_offsets_name_the_pictured_layers_quantities_consistently(fields):
    # every quantity drawn where its formula reads it (a quantity without a place would be an error), and the bias
    # gradient the one of the bias that feeds the pictured layer, however the file names the two
    from derive.chain import derive
    from derive.conventions import from_dict
    from derive.picture import layer_picture
    from derive.printing import NotationPrinter
    from derive.problem import Problem
    conv = from_dict({"base": "nielsen", "name": "mine", **fields})
    picture = layer_picture(derive(Problem.make(conv, "mse", "identity", "tanh")), NotationPrinter(conv).doprint, "C")
    roles = {n.role: n.tex for n in picture.nodes}
    edges = {(e.tail, e.head) for e in picture.edges}
    assert ("b" in roles) == (conv.bias == "vector")
    want = EDGES if "b" in roles else {e for e in EDGES if not {"b", "b_next", "grad_bias"} & set(e)}
    assert edges == want
    if "b" in roles:
        assert roles["grad_bias"] == rf"\frac{{\partial C}}{{\partial {roles['b']}}}"
