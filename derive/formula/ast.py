"""The syntax tree a pasted formula parses into: what was written, before any convention gives it meaning.

The parser (``parse.py``) produces these nodes; ``meaning.py`` maps them to shaped expressions under a
convention. Nodes are frozen dataclasses so that trees compare and hash by value (diagnosis rewrites them).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

ONES = "\\mathbf{1}"  # a vector of ones, as a symbol (\\mathbf{1}, \\boldsymbol{1}): never the number 1


class IndexExpr(str):
    """A component index written as arithmetic (t+1, j+2H, s(k-1)+m-p): its text, as a plain index is text, and
    ``tree`` (Sym, Num, Neg, Bin of "+", "-", "matmul") for the readers that give it a meaning. Readers that take
    only letters see text they do not know and refuse it."""

    tree: object

    def __new__(cls, text: str, tree: object) -> IndexExpr:
        out = super().__new__(cls, text)
        out.tree = tree
        return out

    def __reduce__(self):  # pickled (the cache of parsed formulas) with its tree
        return IndexExpr, (str(self), self.tree)


def index_text(tree) -> str:
    """The text of an index tree: s(k-1)+m-p, j+2H, 2(i-1), s\\cdot k."""
    if isinstance(tree, Sym):
        return tree.base
    if isinstance(tree, Num):
        return tree.value
    if isinstance(tree, Neg):
        return "-" + _index_operand(tree.arg, ("+", "-"))
    if tree.op in ("+", "-"):
        return index_text(tree.left) + tree.op + _index_operand(tree.right, ("+", "-") if tree.op == "-" else ())
    left, right = _index_operand(tree.left, ("+", "-")), _index_operand(tree.right, ("+", "-"))
    glue = "" if right.startswith("(") or (isinstance(tree.left, Num) and not right[:1].isdigit()) else "\\cdot "
    return left + glue + right


def _index_operand(tree, loose: tuple) -> str:
    text = index_text(tree)
    return f"({text})" if isinstance(tree, (Bin, Neg)) and (isinstance(tree, Neg) or tree.op in loose) else text


@dataclass(frozen=True)
class Layer:
    """A layer superscript as written: ``l``, ``l+1``, ``L-1``, ``3``; style is how it was bracketed."""

    symbol: str | None     # "l", "L", "k" ... or None for a concrete number
    offset: int            # l+1 -> ("l", 1); 3 -> (None, 3)
    style: str = "plain"   # plain ^l / ^{l}, paren ^{(l)}, bracket ^{[l]}, suffix (Octave: Theta2)


@dataclass(frozen=True)
class Sym:
    """A symbol: base letter (LaTeX as normalised: "W", "\\Theta", "\\delta", "dZ", "\\hat{y}" ...),
    optional layer, optional component indices (("j",), ("k", "j"), or ("j+1",) with offsets as text)."""

    base: str
    layer: Layer | None = None
    indices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Num:
    value: str             # "1", "2", "0.5": kept as text, made exact later


@dataclass(frozen=True)
class Call:
    """f(arg): an activation or its derivative. ``fn`` is the letter ("\\sigma", "g", "f", "h", "\\phi")
    or a name ("sigmoid", "tanh", "relu", "sigmoidGradient"); ``prime`` counts primes; ``layer`` is a
    superscript on the function itself, as in (f^l)' or g^{[l]\\prime}."""

    fn: str
    arg: object
    prime: int = 0
    layer: Layer | None = None


@dataclass(frozen=True)
class Bin:
    """A binary operation. op: "+", "-", "matmul" (juxtaposition or \\cdot), "hadamard" (\\odot, \\circ,
    .*), "star" (a bare *, whose meaning depends on the convention), "div" (\\frac or /)."""

    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Neg:
    arg: object


@dataclass(frozen=True)
class Transpose:
    arg: object


@dataclass(frozen=True)
class Pow:
    base: object
    exp: object


@dataclass(frozen=True)
class Sum:
    """\\sum_k body, or \\sum_{k=1}^{n_{l+1}} body: ``lower`` and ``upper`` are the written limits (ast nodes,
    None when not written). ``meaning.py`` accepts only limits that denote every unit (or every example) the
    index runs over and refuses the others; they are left out of comparisons so that a sum compares equal to
    the same sum written without limits (a tree's meaning, not its equality, is what reads them)."""

    index: str
    body: object
    lower: object = field(default=None, compare=False)
    upper: object = field(default=None, compare=False)


@dataclass(frozen=True)
class Slice:
    """Octave's delta(2:end) or [v]_{2:end}: drop the first (bias) row. ``start`` is 1-based as written."""

    arg: object
    start: int


@dataclass(frozen=True)
class Entry:
    """[v]_i, \\left[A\\right]_{i,j}, (A)_{jk}: the component of an expression ``arg`` (a vector or matrix) that its
    subscripts name, as a symbol's are kept ("i", "j+1")."""

    arg: object
    indices: tuple[str, ...]


@dataclass(frozen=True)
class Max:
    """\\max_{u=1}^{U} body: the largest value of ``body`` over the index's range (a max pool's window), limits as a
    sum's."""

    index: str
    body: object
    lower: object = field(default=None, compare=False)
    upper: object = field(default=None, compare=False)


@dataclass(frozen=True)
class Indicator:
    """[x_t = y_i] of two values, not indices (max pooling's routing to the largest entry): 1 where they are
    equal, else 0; ``op`` another comparison ([y > 0], ReLU's step: 1 where y is positive)."""

    left: object
    right: object
    op: str = "="   # =, >, <, ≥ or ≤ (relations.COMPARISONS' meanings)


@dataclass(frozen=True)
class Kronecker:
    """[i = j], the Iverson bracket of two component indices (a Kronecker delta): 1 where they are equal, else 0.
    The indices are kept as written ("i", "j+1"), as a symbol's are."""

    left: str
    right: str


@dataclass(frozen=True)
class BiasUnit:
    """\\begin{bmatrix} 1 \\\\ a \\end{bmatrix}: ``arg`` with the bias unit 1 stacked on top (Ng's a_0 = 1)."""

    arg: object


@dataclass(frozen=True)
class ZeroBiasColumn:
    """[Theta]_{\\text{bias column} = 0}: ``arg`` with its column 0 (the bias unit's weights) set to zero, as Ng's
    regularisation leaves the bias out."""

    arg: object


@dataclass(frozen=True)
class Partial:
    """\\frac{\\partial C}{\\partial w^l_{jk}}: the derivative of ``of`` (the cost) by ``wrt``. ``given`` is the
    cost's argument list as written (J(W, b; x, y): a tuple of symbols), () when none is written."""

    of: Sym
    wrt: object
    given: tuple = ()


@dataclass(frozen=True)
class Derivative:
    """\\frac{\\partial}{\\partial z_i} \\left[ \\frac{1}{2} (y_i - a_i)^2 \\right]: the derivative operator applied
    to a written expression ``body`` (in brackets), by the variable ``wrt``."""

    body: object
    wrt: object


@dataclass(frozen=True)
class Nabla:
    """\\nabla_{W^l} C, or \\nabla_a C: the gradient of ``of`` with respect to ``wrt``; ``of`` is None when no
    cost is written (\\nabla_{W^l}, \\nabla W^l: the cost's gradient). ``given`` as for Partial."""

    wrt: object
    of: Sym | None
    given: tuple = ()


@dataclass(frozen=True)
class Claim:
    """lhs = rhs (also :=, \\leftarrow, <-, +=): the formula as a claim about a backprop quantity.

    ``condition`` is a condition written after the formula (\\mbox{ if } j \\neq 0) or as a quantifier before it
    (\\forall i \\neq k,), as text: the claim is only about the cases it names, so a checker judges it there
    (``conditions.py``) or refuses it. ``excluded`` are the conditions of a cases block's earlier cases, for a case
    written "otherwise" (where none of them holds).
    ``annotation`` is prose after the formula that claims nothing (\\quad\\text{for } l = L-1, ..., 2),
    kept so that a checker can say it read it. Both are left out of comparisons: two claims compare by their
    sides and relation.

    ``shape`` is a shape stated after the formula (\\in \\mathbb{R}^{d_l \\times 1}): the dimensions as written
    (ast nodes; () for \\mathbb{R}, a number), or None when none is stated. It is part of the claim and compares."""

    lhs: object
    rhs: object
    op: str = "="
    condition: str | None = field(default=None, compare=False)
    annotation: str | None = field(default=None, compare=False)
    shape: tuple | None = None
    excluded: tuple[str, ...] = field(default=(), compare=False)


def walk(node, path: tuple = ()):
    """(path, node) for ``node`` and every node below it, a path being the field names from the top; a field
    that is not a node (text, a tuple of a cost's arguments) is not entered."""
    yield path, node
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            child = getattr(node, f.name)
            if dataclasses.is_dataclass(child):
                yield from walk(child, path + (f.name,))


def map_symbols(node, fn):
    """``node`` with every symbol ``s`` in it replaced by ``fn(s)`` (the rest of the tree rebuilt as it was)."""
    if isinstance(node, Sym):
        return fn(node)
    if dataclasses.is_dataclass(node):
        return dataclasses.replace(node, **{f.name: map_symbols(getattr(node, f.name), fn)
                                            for f in dataclasses.fields(node) if f.init})
    return node


def limit_parts(node) -> tuple[str | None, Layer | None, int] | None:
    """A sum's written limit, as (name, layer, offset): 3 -> (None, None, 3); n_{l+1} and n^{[l+1]} ->
    ("n", Layer("l", 1), 0); n_l - 1 -> ("n", Layer("l", 0), -1); K -> ("K", None, 0). None for any other form.

    Only the syntax is read here; ``meaning.py`` decides which names and layers denote every unit.
    """
    offset = 0
    if isinstance(node, Bin) and node.op in "+-" and isinstance(node.right, Num) and node.right.value.isdigit():
        offset = int(node.right.value) * (1 if node.op == "+" else -1)
        node = node.left
    if isinstance(node, Num) and node.value.isdigit():
        return None, None, int(node.value) + offset
    if not isinstance(node, Sym):
        return None
    if node.indices is None:
        return node.base, node.layer, offset
    if node.layer is not None or len(node.indices) != 1:
        return None
    index = node.indices[0]  # n_{l+1}: the width's layer written as a subscript
    m = re.fullmatch(r"([A-Za-z])([+-][0-9]+)?|([0-9]+)", index)
    if m is None:
        return None
    if m.group(3):
        return node.base, Layer(None, int(m.group(3))), offset
    return node.base, Layer(m.group(1), int(m.group(2) or 0)), offset


def index_used_plainly(node, letter: str) -> bool:
    """Whether every component index of ``node`` that mentions ``letter`` is ``letter`` itself (w_{jk}, a_k; not
    a_{k+1}): then counting the index from 0 or from 1 names the same components."""
    import dataclasses
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, Kronecker) and any(letter in re.findall(r"[A-Za-z]+", side) and side != letter
                                            for side in (x.left, x.right)):
            return False  # [j = i - 1]: the index shifted, so counting from 0 or 1 differs
        if isinstance(x, Sym) and x.indices:
            for index in x.indices:
                if index != letter and letter in re.findall(r"[A-Za-z]+|\\[A-Za-z]+", index.strip("()")):
                    return False
                if index.strip("()") != index and index.strip("()") == letter:
                    return False  # an example index (i) is not a unit's
        if isinstance(x, tuple):
            stack.extend(x)
        elif dataclasses.is_dataclass(x):
            stack.extend(getattr(x, f.name) for f in dataclasses.fields(x))
    return True
