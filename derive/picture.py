"""The computational graph of one layer, drawn by derive: what feeds z^l, what the weight gradient needs.

One layout (``Picture``: nodes at grid positions, edges, labels) rendered two ways: TikZ for the LaTeX document,
SVG for the Markdown (GitHub shows an ``![...](name.svg)`` image; SVG cannot typeset LaTeX, so each label is the
same LaTeX read into Unicode runs with <tspan> sub- and superscripts). Every label is the LaTeX the document's own
``NotationPrinter`` writes, and every edge is read from a verified formula: a node's incoming edges are the layer
quantities its formula reads (``z^l = W^l a^{l-1} + b^l``, ``δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ′(z^l)``,
``∂C/∂W^l = δ^l (a^{l-1})ᵀ``), an edge's label the transpose or derivative through which the quantity enters.
A quantity read that has no place in the layout is an error, never dropped.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape

import sympy as sp

from .algebra import Elementwise, LayerSymbol, WithBiasUnit
from .errors import DeriveError
from .printing import ACCENTS, FRACTIONS, SYMBOL_TEXT, WRAPPERS, _tokens
from .symbols import l

# ---------------------------------------------------------------- the layout, as data
# role -> (column, row, style): columns left to right, rows top to bottom; the generic layer's quantities where
# their edges are short and cross nothing (W^{l+1} between the passes: both z^{l+1} and delta^l read it)
PLACES = {
    "W": (0.6, 0, "param"), "b": (1.4, 0, "param"), "b_next": (3.0, 0, "param"),
    "a_in": (0, 1, "value"), "z": (1, 1, "value"), "a": (2, 1, "value"), "z_next": (3, 1, "value"),
    "ahead": (4, 1, "gap"), "cost": (5, 2, "cost"), "W_next": (3, 2, "param"),
    "grad_weight": (0, 3, "grad"), "delta": (1, 3, "grad"), "delta_next": (3, 3, "grad"), "behind": (4, 3, "gap"),
    "grad_bias": (1, 4, "grad"),
}
# where an edge's label sits, where its direction's default (right of a vertical edge, above a horizontal one,
# above a slanted one, on the side away from which the edge runs) would crowd a neighbour
LABEL_SIDE = {("a_in", "grad_weight"): "left"}
ALONE = {"W": ("b", 1.0)}  # a node's column where its neighbour is not drawn (no bias vector: W^l above z^l)
GAP = r"\cdots"  # the layers between z^{l+1} and the cost, forward and backward


@dataclass(frozen=True)
class Node:
    """A quantity at a grid place: its LaTeX, and for a column with the bias unit its rows ([1; a^{(l)}])."""

    role: str
    tex: str
    x: float
    y: float
    style: str  # value, param, grad, cost, gap
    rows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edge:
    """``tail`` feeds ``head`` (forward) or is read by the formula of ``head`` (backward); ``label``: the LaTeX of
    how it enters there (σ, (W^{l+1})ᵀ, σ′(z^l)), or None."""

    tail: str
    head: str
    backward: bool
    label: str | None = None


@dataclass(frozen=True)
class Picture:
    """The graph of one generic layer in one convention's letters; ``title`` in words, for the SVG's <title>."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    title: str

    def node(self, role: str) -> Node:
        return next(n for n in self.nodes if n.role == role)


def _enters(expr, atom, tex) -> str | None:
    """How ``atom`` enters ``expr``: the smallest transpose or activation derivative around it, printed; None if
    it enters bare (or in ways that differ between its occurrences)."""
    found: set[str] = set()

    def walk(e, around):
        if e == atom:
            found.add("" if around is None else tex(around))
            return
        if isinstance(e, LayerSymbol):
            return
        wraps = isinstance(e, sp.Transpose) and isinstance(e.arg, LayerSymbol) or \
            isinstance(e, Elementwise) and e.order > 0
        for arg in e.args:
            if isinstance(arg, sp.Basic):
                walk(arg, e if wraps else around)

    walk(expr, None)
    return (found.pop() or None) if len(found) == 1 else None


def layer_picture(d, tex, cost: str) -> Picture:
    """The picture of the generic layer whose weight the convention names with l (Ng's Θ^{(l)} feeds z^{(l+1)}),
    so that each quantity is named as the document names it; ``tex`` the document's printer, ``cost`` the LaTeX
    of what the gradients are of. The bias gradient drawn is that of the bias feeding the same layer, whatever
    the bias is named there (a convention may offset the bias's name from the weight's)."""
    conv, lay, prob = d.problem.convention, d.layer, d.problem
    c = l - conv.weight_offset  # the layer the named weight feeds
    symbols = {"a_in": lay.a(c - 1), "W": lay.W(c), "z": lay.z(c), "a": lay.a(c), "W_next": lay.W(c + 1),
               "z_next": lay.z(c + 1), "delta_next": lay.delta(c + 1), "delta": lay.delta(c),
               "grad_weight": LayerSymbol("grad_weight", l, *d.grad_weight.shape)}  # of the weight feeding c
    formulas = {"z": lay.pre_activation(c), "a": Elementwise(prob.hidden.name, lay.z(c)),
                "z_next": lay.pre_activation(c + 1), "delta": d.delta.xreplace({l: c}), "grad_weight": d.grad_weight}
    if lay.bias_rule.has_vector:
        symbols |= {"b": lay.b(c), "b_next": lay.b(c + 1)}
    if d.grad_bias is not None:  # d's formulas are of the layer l they feed: the bias's, moved to c
        formulas["grad_bias"] = d.grad_bias.xreplace({l: c})
        symbols["grad_bias"] = LayerSymbol("grad_bias", c, *[n.xreplace({l: c}) for n in d.grad_bias.shape])
    role_of = {s: role for role, s in symbols.items()}
    united = {role_of[w.arg] for f in formulas.values() for w in f.atoms(WithBiasUnit) if w.arg in role_of}

    edges = [Edge("z_next", "ahead", False), Edge("ahead", "cost", False), Edge("cost", "behind", True),
             Edge("behind", "delta_next", True)]
    for head, formula in formulas.items():
        backward = PLACES[head][2] == "grad"  # read by a gradient's formula: the backward pass
        for atom in sorted(formula.atoms(LayerSymbol), key=lambda s: (s.kind, str(s.layer))):
            if atom not in role_of:
                raise DeriveError(f"internal error: the picture has no place for {tex(atom)}, which "
                                  f"{tex(symbols[head])} reads")
            tail = role_of[atom]
            # into the activation: the function's letter (the hidden layers keep the convention's); else how it enters
            label = conv.notation.sigma if head == "a" else _enters(formula, atom, tex)
            edges.append(Edge(tail, head, backward, label))
    nodes = []
    for role, (x, y, style) in PLACES.items():
        if role in ALONE and ALONE[role][0] not in symbols:
            x = ALONE[role][1]
        if role in ("ahead", "behind"):
            nodes.append(Node(role, GAP, x, y, style))
        elif role == "cost":
            nodes.append(Node(role, cost, x, y, style))
        elif role in symbols:
            s = symbols[role]
            if role in united:  # read with the bias unit: Ng's [1; a^{(l)}]
                nodes.append(Node(role, tex(WithBiasUnit(s)), x, y, style, rows=("1", tex(s))))
            else:
                nodes.append(Node(role, tex(s), x, y, style))
    drawn = {n.role for n in nodes}
    edges = [e for e in edges if e.tail in drawn and e.head in drawn]
    return Picture(tuple(nodes), tuple(edges), "the computational graph of one layer")


# ---------------------------------------------------------------- TikZ
TIKZ_X, TIKZ_Y = 2.3, 1.25  # cm per column, per row
TIKZ_LABEL = r"font=\footnotesize, inner sep=1pt, minimum height=0pt"
TIKZ_STYLES = {"value": "draw, rounded corners=2pt", "param": "draw, fill=black!6",
               "grad": "draw=red!60!black, rounded corners=2pt", "cost": "draw, circle", "gap": ""}


SLANT_AT = 0.3  # a slanted edge's label sits this far along from its tail (clear of the labels at the head)


def _at(p: Picture, e: Edge) -> float:
    """How far along its edge a label sits."""
    a, b = p.node(e.tail), p.node(e.head)
    return 0.5 if a.x == b.x or a.y == b.y else SLANT_AT


def _side(p: Picture, e: Edge) -> str:
    """Where an edge's label sits, from its direction (or LABEL_SIDE)."""
    if (e.tail, e.head) in LABEL_SIDE:
        return LABEL_SIDE[(e.tail, e.head)]
    a, b = p.node(e.tail), p.node(e.head)
    if a.x == b.x:
        return "right"
    if a.y == b.y:
        return "above"
    return "above left" if (b.x < a.x) == (b.y > a.y) else "above right"  # the side the text runs away from it


def tikz(p: Picture) -> str:
    """The picture as a tikzpicture (needs only \\usepackage{tikz})."""
    out = [r"\begin{tikzpicture}[>=stealth, every node/.style={inner sep=3pt, minimum height=1.5em},",
           r"    fwd/.style={->, thick}, bwd/.style={->, thick, red!60!black}]"]
    for n in p.nodes:
        out.append(rf"\node[{TIKZ_STYLES[n.style]}] ({n.role}) at ({n.x * TIKZ_X:.2f}, {-n.y * TIKZ_Y:.2f}) "
                   rf"{{${n.tex}$}};")
    for e in p.edges:
        label = "" if e.label is None else \
            rf" node[pos={_at(p, e)}, {_side(p, e)}, {TIKZ_LABEL}] {{${e.label}$}}"
        out.append(rf"\draw[{'bwd' if e.backward else 'fwd'}] ({e.tail}) --{label} ({e.head});")
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)


# ---------------------------------------------------------------- LaTeX symbols as SVG text runs
@dataclass(frozen=True)
class Run:
    """Text at one script depth: ``marks`` the ^ and _ above it, outermost first."""

    text: str
    marks: tuple[str, ...] = ()
    italic: bool = False
    bold: bool = False


UPRIGHT = {"mathrm", "text", "textrm", "operatorname", "mathsf", "textsf", "mathtt", "mathbf"}
BOLD = {"mathbf", "boldsymbol", "bm"}
SCRIPT_CAPITALS = {"B": "ℬ", "E": "ℰ", "F": "ℱ", "H": "ℋ", "I": "ℐ", "L": "ℒ", "M": "ℳ", "R": "ℛ"}
CHARS = {"'": "′", "-": "−"}
COMMANDS = {"cdots": "⋯", "ldots": "…"}  # the layout's own, beside the notation's (printing.SYMBOL_TEXT)


def _script_letter(c: str) -> str:
    """\\mathcal{L} -> ℒ: Unicode's script capitals (the letterlike ones where Unicode has them)."""
    if c in SCRIPT_CAPITALS:
        return SCRIPT_CAPITALS[c]
    return chr(0x1D49C + ord(c) - ord("A")) if "A" <= c <= "Z" else c


class _Runs:
    """Reads a label's LaTeX (what NotationPrinter writes for a symbol) into runs; an unknown command is an error."""

    def __init__(self, tex: str):
        self.tokens, self.pos, self.out = _tokens(tex), 0, list[Run]()
        self.tex = tex

    def emit(self, text: str, marks, upright: bool, bold: bool, script: bool = False) -> None:
        for c in text:
            if script:
                c = _script_letter(c)
            c = CHARS.get(c, c)
            italic = not upright and (c.isascii() and c.isalpha() or "α" <= c <= "ω")
            last = self.out[-1] if self.out else None
            if last and (last.marks, last.italic, last.bold) == (marks, italic, bold):
                self.out[-1] = Run(last.text + c, marks, italic, bold)
            elif c != " " or self.out:
                self.out.append(Run(c, marks, italic, bold))

    def group(self, marks, upright=False, bold=False, script=False, close=False) -> None:
        while self.pos < len(self.tokens):
            kind, value = self.tokens[self.pos]
            self.pos += 1
            if kind == "chr" and value == "}":
                if close:
                    return
                continue
            if kind == "chr" and value in "^_":
                self.argument((*marks, value), upright, bold, script)
            elif kind == "chr" and value == "{":
                self.group(marks, upright, bold, script, close=True)
            elif kind == "cmd":
                self.command(value, marks, upright, bold, script)
            else:
                self.emit(value, marks, upright, bold, script)
        if close:
            raise DeriveError(f"internal error: unbalanced braces in the picture's label {self.tex!r}")

    def argument(self, marks, upright, bold, script) -> None:
        while self.pos < len(self.tokens) and self.tokens[self.pos] == ("chr", " "):
            self.pos += 1
        if self.pos >= len(self.tokens):
            return
        kind, value = self.tokens[self.pos]
        self.pos += 1
        if (kind, value) == ("chr", "{"):
            self.group(marks, upright, bold, script, close=True)
        elif kind == "cmd":
            self.command(value, marks, upright, bold, script)
        else:
            self.emit(value, marks, upright, bold, script)

    def command(self, name: str, marks, upright, bold, script) -> None:
        if name in ACCENTS:
            start = len(self.out)
            self.argument(marks, upright, bold, script)
            if len(self.out) > start:  # the mark on the argument's last character: ŷ
                last = self.out[-1]
                self.out[-1] = Run(last.text + ACCENTS[name], last.marks, last.italic, last.bold)
        elif name in WRAPPERS:
            self.argument(marks, upright or name in UPRIGHT, bold or name in BOLD, script or name == "mathcal")
        elif name in FRACTIONS:  # inline, as a reader writes it: ∂C/∂w^l
            self.argument(marks, upright, bold, script)
            self.emit("/", marks, True, bold)
            self.argument(marks, upright, bold, script)
        elif name in SYMBOL_TEXT or name in COMMANDS:
            self.emit(SYMBOL_TEXT[name] if name in SYMBOL_TEXT else COMMANDS[name], marks, upright, bold)
        else:
            raise DeriveError(f"internal error: the picture cannot write \\{name} (in {self.tex!r}) as text")


def runs(tex: str) -> list[Run]:
    r"""A label's LaTeX as Unicode runs: ``\delta^{l+1}`` -> δ, then l+1 as a superscript."""
    reader = _Runs(tex)
    reader.group(())
    while reader.out and reader.out[-1].text.endswith(" "):
        last = reader.out.pop()
        if last.text.rstrip():
            reader.out.append(Run(last.text.rstrip(), last.marks, last.italic, last.bold))
    return [Run(unicodedata.normalize("NFC", r.text), r.marks, r.italic, r.bold) for r in reader.out]  # ŷ as one


# ---------------------------------------------------------------- SVG
SVG_X, SVG_Y, MARGIN = 96, 64, 14  # px per column, per row; the margin around everything
FONT, LABEL_FONT, SCRIPT = 18, 14, 0.7  # px; a script's size relative to its base
RAISE, LOWER = 0.36, 0.2  # a superscript's baseline above its base's, a subscript's below, in the base's size
NARROW = set("il1.,;:′'()[]|!ıȷ ") | {"ᵀ"}
WIDE = set("WMmw∇∂ΘΩ⊙∘⊗⊕ℒ")
FONT_FAMILY = "'Latin Modern Math', 'STIX Two Math', 'Cambria Math', 'Times New Roman', serif"
COLOURS = {False: "#222222", True: "#9b2226"}  # forward, backward
FILLS = {"value": "#ffffff", "param": "#f0f0f0", "grad": "#fff5f5", "cost": "#ffffff", "gap": "none"}


def char_width(c: str) -> float:
    """A character's advance, in em, for a serif font (a generous estimate: boxes are sized from it)."""
    if c in NARROW:
        return 0.34
    return 0.82 if c in WIDE or c.isupper() else 0.58


def run_size(run: Run, size: float) -> float:
    return size * SCRIPT ** len(run.marks)


def text_width(rs: list[Run], size: float) -> float:
    """The width of a label's runs, in px (combining marks take no room)."""
    return sum(run_size(r, size) * char_width(c) for r in rs for c in r.text if not unicodedata.combining(c))


def bound_width(rs: list[Run], size: float) -> float:
    """A bound on a label's width, in px, whatever the font (0.7 em a character): the view box holds it."""
    return sum(0.7 * run_size(r, size) * len(r.text) for r in rs)


def _offset(marks, size: float) -> float:
    """A script's baseline below the label's (negative: above), in px."""
    shift = 0.0
    for mark in marks:
        shift += (-RAISE if mark == "^" else LOWER) * size
        size *= SCRIPT
    return shift


def _tspans(rs: list[Run], size: float) -> str:
    """Runs as <tspan>s: each at its size, moved by dy from the one before (dy, not baseline-shift: every viewer
    honours it); the last returns to the baseline."""
    out, at = [], 0.0
    for r in rs:
        shift = _offset(r.marks, size)
        attrs = [f'font-size="{run_size(r, size):.1f}"']
        if shift != at:
            attrs.append(f'dy="{shift - at:.1f}"')
        if r.italic:
            attrs.append('font-style="italic"')
        if r.bold:
            attrs.append('font-weight="bold"')
        out.append(f"<tspan {' '.join(attrs)}>{escape(r.text)}</tspan>")
        at = shift
    return "".join(out)


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float


def _boxes(p: Picture) -> dict[str, _Box]:
    boxes = {}
    for n in p.nodes:
        lines = n.rows or (n.tex,)
        w = max(text_width(runs(t), FONT) for t in lines) + (22 if n.rows else 14)
        h = FONT * (1.25 * len(lines) + 0.45)
        if n.style == "cost":
            w = h = max(w, h)
        boxes[n.role] = _Box(n.x * SVG_X, n.y * SVG_Y, w, h)
    return boxes


def _clip(frm: _Box, to: _Box) -> tuple[float, float]:
    """Where the segment from ``frm``'s centre to ``to``'s centre leaves ``frm``'s box (or circle)."""
    dx, dy = to.x - frm.x, to.y - frm.y
    length = math.hypot(dx, dy)
    if frm.w == frm.h and frm.w > 0:  # the cost's circle
        t = frm.w / 2 / length
    else:
        t = min(frm.w / 2 / abs(dx) if dx else math.inf, frm.h / 2 / abs(dy) if dy else math.inf)
    return frm.x + dx * t, frm.y + dy * t


def _label_at(side: str, x: float, y: float) -> tuple[float, float, str]:
    """An edge label's anchor point near the edge's midpoint, and its text-anchor."""
    return {"right": (x + 6, y + 4, "start"), "left": (x - 6, y + 4, "end"), "above": (x, y - 6, "middle"),
            "above right": (x + 4, y - 6, "start"), "above left": (x - 4, y - 6, "end")}[side]


def svg(p: Picture, marker: str) -> str:
    """The picture as a standalone SVG document; ``marker`` (derive's "generated by" line, by which it knows its
    own files) is its first line, an XML comment."""
    if "--" in marker:
        raise DeriveError(f"internal error: an XML comment cannot hold '--': {marker!r}")
    boxes = _boxes(p)
    items: list[str] = []
    extent: list[tuple[float, float, float, float]] = []  # every drawn thing's (left, top, right, bottom)
    for e in p.edges:
        a, b = boxes[e.tail], boxes[e.head]
        (x1, y1), (x2, y2) = _clip(a, b), _clip(b, a)
        colour = COLOURS[e.backward]
        items.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
                     f'stroke-width="1.4" marker-end="url(#{"bwd" if e.backward else "fwd"})"/>')
        if e.label is not None:
            rs = runs(e.label)
            t = _at(p, e)
            lx, ly, anchor = _label_at(_side(p, e), x1 + t * (x2 - x1), y1 + t * (y2 - y1))
            w = bound_width(rs, LABEL_FONT)
            left = {"start": lx, "end": lx - w, "middle": lx - w / 2}[anchor]
            extent.append((left, ly - LABEL_FONT, left + w, ly + LABEL_FONT * 0.4))
            items.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" fill="{colour}">'
                         f'{_tspans(rs, LABEL_FONT)}</text>')
    for n in p.nodes:
        box = boxes[n.role]
        extent.append((box.x - box.w / 2, box.y - box.h / 2, box.x + box.w / 2, box.y + box.h / 2))
        stroke = COLOURS[n.style == "grad"]
        if n.style == "cost":
            items.append(f'<circle cx="{box.x:.1f}" cy="{box.y:.1f}" r="{box.w / 2:.1f}" fill="{FILLS[n.style]}" '
                         f'stroke="{stroke}" stroke-width="1.2"/>')
        elif n.style != "gap":
            radius = 0 if n.style == "param" else 4
            items.append(f'<rect x="{box.x - box.w / 2:.1f}" y="{box.y - box.h / 2:.1f}" width="{box.w:.1f}" '
                         f'height="{box.h:.1f}" rx="{radius}" fill="{FILLS[n.style]}" stroke="{stroke}" '
                         f'stroke-width="1.2"/>')
        lines = n.rows or (n.tex,)
        first = box.y - FONT * 1.25 * (len(lines) - 1) / 2 + FONT * 0.35
        for k, line in enumerate(lines):
            items.append(f'<text x="{box.x:.1f}" y="{first + k * FONT * 1.25:.1f}" text-anchor="middle">'
                         f"{_tspans(runs(line), FONT)}</text>")
        if n.rows:  # the column's brackets
            half, top, bottom = box.w / 2 - 5, box.y - box.h / 2 + 4, box.y + box.h / 2 - 4
            for sign in (-1, 1):
                x = box.x + sign * half
                items.append(f'<path d="M{x - sign * 4:.1f},{top:.1f} H{x:.1f} V{bottom:.1f} H{x - sign * 4:.1f}" '
                             f'fill="none" stroke="#222222" stroke-width="1"/>')
    left, top = min(e[0] for e in extent) - MARGIN, min(e[1] for e in extent) - MARGIN
    width, height = max(e[2] for e in extent) + MARGIN - left, max(e[3] for e in extent) + MARGIN - top
    arrows = "".join(
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{COLOURS[back]}"/></marker>'
        for name, back in (("fwd", False), ("bwd", True)))
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{left:.1f} {top:.1f} {width:.1f} {height:.1f}" '
            f'width="{width:.0f}" height="{height:.0f}" font-family="{FONT_FAMILY}" font-size="{FONT}" '
            f'fill="#222222">')
    return "\n".join([f"<!-- {marker} -->", head,
                      f"<title>{escape(p.title)}</title>", f"<defs>{arrows}</defs>",
                      f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" fill="#ffffff"/>',
                      *items, "</svg>"]) + "\n"
