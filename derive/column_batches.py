"""The notes' own batch matrices: per-example notes that go on to stack the examples in columns.

Notes written for one example (Nielsen's column vectors) often add a batch section in their own letters:
J = (1/N) sum_n L_n, the error matrix Delta^(l) = (delta_1^(l) delta_2^(l) ... delta_N^(l)), Z^(l) in R^{d_l x N}.
Its claims (Delta^(l) = ((W^(l+1))^T Delta^(l+1)) * sigma'(Z^(l)), dJ/dW^(l) = (1/N) Delta^(l) (A^(l-1))^T) are
about a batch: they are judged in the convention's column-batch companion (the layout of deeplearning.ai's
notes: each column one example, delta per example, the parameter gradients of the mean cost) under the notes'
letters. Only what the notes define is read, each from its line: the cost as the mean of the examples' losses,
the batch delta as the columns of the examples' deltas, and the pre-activations and activations as matrices of
N columns. Nothing here evaluates the notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# per-example letters of a column-vector convention, and the notation field their batch matrix takes
PER_EXAMPLE = {r"\delta": "delta", "z": "pre", "a": "act", "x": "input", "y": "target", "y^*": "target",
               r"\hat{y}": "output"}
REQUIRED = ("delta", "pre", "act")  # without these a batch claim cannot be read in the notes' letters

_WRAPPERS = re.compile(r"\\(?:boldsymbol|mathbf|vec|bm|matr|mathord|mathrm|mathit)\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_WRAPPER_TOKEN = re.compile(r"\\(?:boldsymbol|mathbf|vec|bm|matr|mathord)\s*(?=\\?[A-Za-z])")
_SPACING = re.compile(r"\\(?:big|Big|bigg|Bigg|left|right)(?![A-Za-z])|\\[;,!: ]|\\(?:quad|qquad)(?![A-Za-z])|&|"
                      r"\\label\s*\{[^{}]*\}")
_STACK = re.compile(r"^(?P<m>\\[A-Za-z]+|\\hat\{[A-Za-z]\}|[A-Za-z])(?P<sup>\^\{[^{}]*\}|\^\*)?\s*=\s*"
                    r"(?:\(|\\begin\{pmatrix\})(?P<items>.*?)(?:\)|\\end\{pmatrix\})\s*(?:\\in\b.*)?[,.]?$")
_DOTS = {r"\ldots", r"\cdots", r"\dots"}
_SHAPE = re.compile(r"^(?P<m>[A-Z])\^\{\((?P<layer>\\ell|l|L|\d)\)\}\s*\\in\s*\\mathbb\{R\}\^\{.*\\times\s*"
                    r"(?P<n>[A-Za-z])\s*\}[,.]?$")
_COST = re.compile(r"^(?P<j>[A-Z]|\\mathcal\{[A-Z]\})(?:\([^()]*\))?\s*=\s*\\frac\{1\}\{(?P<n>[A-Za-z])\}\s*"
                   r"\\sum_\{(?P<i>[a-z])\s*=\s*1\}\^\{?(?P=n)\}?\s*(?P<loss>\\mathcal\{[A-Z]\}|[A-Za-z])_\{?(?P=i)\}?"
                   r"(?:\([^()]*\))?[,.]?$")


def plain(formula: str) -> str:
    """A formula without its typography: bold and vector marks, sized delimiters, spacing, alignment, labels."""
    previous = None
    while previous != formula:
        previous = formula
        formula = _WRAPPERS.sub(lambda m: m.group(1), formula)
    formula = _WRAPPER_TOKEN.sub("", _SPACING.sub(" ", formula))
    return re.sub(r"\s+", " ", formula).strip()


@dataclass(frozen=True)
class Batches:
    """The notes' batch letters: ``letters`` is ((notation field, letter), ...) for conventions.Notation."""

    letters: tuple
    line: int          # from this line on (where the last definition needed is)
    lines: tuple       # the lines that define them, for the reader

    def mentions(self, formula: str) -> bool:
        """Whether ``formula`` names one of the batch matrices (a claim about the batch)."""
        text = plain(formula)
        names = [v.replace("^@", "") for k, v in self.letters if k in ("delta", "pre", "act", "output")]
        return any(re.search(rf"(?<![A-Za-z\\]){re.escape(n)}(?![A-Za-z])", text) for n in names)

    def reading(self) -> str:
        named = {k: v.replace("^@", "") for k, v in self.letters}
        return (f"a claim about the batch: {named['delta']}, {named['pre']} and {named['act']} hold the "
                f"{named['batch']} examples in columns, as lines {', '.join(map(str, self.lines))} define them, "
                "judged in the column-batch layout")


def _stacked(items: str) -> tuple[str, str] | None:
    """(base, batch letter) of ``v_1 v_2 ... v_N``: the same quantity for examples 1, 2, ..., N."""
    parts = [p for p in items.split() if p]
    if len(parts) < 3 or not any(p in _DOTS for p in parts):
        return None
    bases, indices = set(), []
    for p in parts:
        if p in _DOTS:
            continue
        m = re.search(r"_\{?\s*(\w)\s*\}?", p)
        if not m:
            return None
        indices.append(m.group(1))
        bases.add(p[:m.start()] + p[m.end():])
    if len(bases) != 1 or indices[0] != "1" or not indices[-1].isalpha() or \
            any(i != str(n) for n, i in enumerate(indices[:-1], 1)):
        return None
    return bases.pop(), indices[-1]


def _layerless(symbol: str) -> tuple[str, str]:
    """(letter, layer superscript) of ``\\delta^{(\\ell)}`` or ``y^*``."""
    m = re.match(r"^(\\hat\{[A-Za-z]\}|\\[A-Za-z]+|[A-Za-z])(\^\{\([^{}]*\)\})?(\^\*)?$", symbol)
    if not m:
        return symbol, ""
    return m.group(1) + (m.group(3) or ""), m.group(2) or ""


def column_batches(formulas: list[tuple[int, str]]) -> Batches | None:
    """The notes' batch letters from their definitions (line, formula text with macros expanded), or None when
    the notes do not define a batch cost, a batch delta, pre-activations and activations."""
    cost = None
    found: dict[str, tuple[str, int]] = {}
    for line, text in formulas:
        t = plain(text)
        if cost is None and (m := _COST.match(t)):
            cost = (m.group("j"), m.group("loss"), m.group("n"), line)
            continue
        if cost is None:
            continue
        if (m := _STACK.match(t)) and (stack := _stacked(m.group("items"))):
            base, n = stack
            letter, layer = _layerless(base)
            field = PER_EXAMPLE.get(letter)
            if field and n == cost[2] and (m.group("sup") or "") in (layer, "^*" if letter == "y^*" else layer):
                found.setdefault(field, (m.group("m") + ("^@" if field == "delta" else ""), line))
        elif (m := _SHAPE.match(t)) and m.group("n") == cost[2]:
            field = PER_EXAMPLE.get(m.group("m").lower())
            if field in ("pre", "act", "input"):
                found.setdefault(field, (m.group("m"), line))
    if cost is None or any(f not in found for f in REQUIRED):
        return None
    j, loss, n, cost_line = cost
    letters = tuple((f, found[f][0]) for f in sorted(found)) + (("batch", n), ("cost", j), ("loss", loss))
    lines = tuple(sorted({cost_line} | {line for _, line in found.values()}))
    return Batches(letters, max(found[f][1] for f in REQUIRED), lines)
