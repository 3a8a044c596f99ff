"""A syntax tree back to LaTeX, for the corrected formula a diagnosis reports."""

from __future__ import annotations

import re
from functools import singledispatch

from . import ast
from .relations import WRITTEN, WRITTEN_COMPARISON

STYLE = {"plain": "{%s}", "paren": "{(%s)}", "bracket": "{[%s]}", "suffix": "{(%s)}"}
OPS = {"+": " + ", "-": " - ", "matmul": " ", "hadamard": r" \odot ", "star": " * "}
PREC = {"+": 1, "-": 1, "hadamard": 2, "star": 2, "matmul": 3, "div": 3}


def layer(lay: ast.Layer) -> str:
    if lay.symbol is None:
        text = str(lay.offset)
    else:
        text = lay.symbol + (f"+{lay.offset}" if lay.offset > 0 else (f"{lay.offset}" if lay.offset else ""))
    return STYLE[lay.style] % text


def _prec(node) -> int:
    if isinstance(node, ast.Neg):
        return 1  # -b binds like a subtraction: a (-b), never a -b
    return PREC.get(node.op, 4) if isinstance(node, ast.Bin) else 5


@singledispatch
def latex(node) -> str:
    raise TypeError(f"cannot write {type(node).__name__}")


@latex.register
def _(node: ast.Sym) -> str:
    out = f"{{{node.base}}}" if "_" in node.base and (node.layer is not None or node.indices) else node.base
    if node.layer is not None:
        out += "^" + layer(node.layer)
    if node.indices:
        sep = "" if all(len(i) == 1 for i in node.indices) else ","
        out += "_{" + sep.join(node.indices) + "}"
    return out


@latex.register
def _(node: ast.Num) -> str:
    return node.value


@latex.register
def _(node: ast.Neg) -> str:
    return "-" + (latex(node.arg) if _prec(node.arg) > 1 else rf"\left({latex(node.arg)}\right)")


@latex.register
def _(node: ast.Bin) -> str:
    if node.op == "div":
        return rf"\frac{{{latex(node.left)}}}{{{latex(node.right)}}}"
    p = PREC[node.op]
    # a sum runs to the end of its term: (\sum_j a_j) b must keep its parentheses, or b moves inside the sum
    bare = _prec(node.left) >= p and not isinstance(node.left, ast.Sum)
    left = latex(node.left) if bare else rf"\left({latex(node.left)}\right)"
    right = latex(node.right) if _prec(node.right) > p or (_prec(node.right) == p and node.op != "-") \
        else rf"\left({latex(node.right)}\right)"
    return left + OPS[node.op] + right


@latex.register
def _(node: ast.Transpose) -> str:
    inner = latex(node.arg)
    return (f"({inner})" if not isinstance(node.arg, ast.Sym) or node.arg.layer else inner) + "^{T}"


@latex.register
def _(node: ast.Pow) -> str:
    return rf"\left({latex(node.base)}\right)^{{{latex(node.exp)}}}"


# LaTeX's own function names: the parser reads \\tanh as tanh, and a corrected formula must write it back as \\tanh
NAMED_FUNCTIONS = {"ln", "log", "exp", "tanh", "sinh", "cosh", "sin", "cos", "max", "min"}


@latex.register
def _(node: ast.Call) -> str:
    name = "\\" + node.fn if node.fn in NAMED_FUNCTIONS else node.fn
    fn = name + ("^" + layer(node.layer) if node.layer else "")
    primes = "'" * node.prime
    if node.arg is None:
        return f"({fn}){primes}"
    return rf"{fn}{primes}\left({latex(node.arg)}\right)"


@latex.register
def _(node: ast.Sum) -> str:
    return _over(r"\sum", node)


def _over(operator: str, node) -> str:
    """\\sum or \\max over an index, with the limits as written."""
    lower = "" if node.lower is None else f"={latex(node.lower)}"
    upper = "" if node.upper is None else f"^{{{latex(node.upper)}}}"
    return rf"{operator}_{{{node.index}{lower}}}{upper} {latex(node.body)}"


@latex.register
def _(node: ast.Slice) -> str:
    return rf"\left[{latex(node.arg)}\right]_{{{node.start}:\mathrm{{end}}}}"


@latex.register
def _(node: ast.Entry) -> str:
    sep = "" if all(len(i) == 1 for i in node.indices) else ","
    return rf"\left[{latex(node.arg)}\right]_{{{sep.join(node.indices)}}}"


@latex.register
def _(node: ast.Kronecker) -> str:
    return f"[{node.left} = {node.right}]"


@latex.register
def _(node: ast.Max) -> str:
    return _over(r"\max", node)


@latex.register
def _(node: ast.Indicator) -> str:
    return f"[{latex(node.left)} {WRITTEN_COMPARISON[node.op]} {latex(node.right)}]"


@latex.register
def _(node: ast.BiasUnit) -> str:
    return rf"\begin{{bmatrix}} 1 \\ {latex(node.arg)} \end{{bmatrix}}"


@latex.register
def _(node: ast.ZeroBiasColumn) -> str:
    return rf"\left[{latex(node.arg)}\right]_{{\text{{bias column}} = 0}}"


def _given(node) -> str:
    """The cost's argument list as written, J(W, b, x, y), or nothing."""
    return f"({', '.join(latex(a) for a in node.given)})" if node.given else ""


@latex.register
def _(node: ast.Partial) -> str:
    return rf"\frac{{\partial {latex(node.of)}{_given(node)}}}{{\partial {latex(node.wrt)}}}"


@latex.register
def _(node: ast.Derivative) -> str:
    return rf"\frac{{\partial}}{{\partial {latex(node.wrt)}}} \left[{latex(node.body)}\right]"


@latex.register
def _(node: ast.Nabla) -> str:
    # always with the cost's letter, so that a following factor is not read as the cost
    return rf"\nabla_{{{latex(node.wrt)}}} {latex(node.of) if node.of else 'C'}{_given(node)}"




@latex.register
def _(node: ast.Claim) -> str:
    shape = "" if node.shape is None else r" \in \mathbb{R}" + (
        "^{" + r" \times ".join(latex(d) for d in node.shape) + "}" if node.shape else "")
    return f"{latex(node.lhs)} {WRITTEN.get(node.op, '=')} {latex(node.rhs)}{shape}{_condition(node.condition)}"


def _condition(text: str | None) -> str:
    """A claim's condition after it, its words as text: if j \\neq 0 is written \\quad \\text{if } j \\neq 0."""
    if not text:
        return ""
    words = [rf"\text{{{w} }}" if re.fullmatch(r"[A-Za-z]{2,}", w) else w for w in text.split()]
    return r" \quad " + " ".join(words).replace("} \\text{", "")
