"""Diagnosis: the nearest formula that holds, searched over the mistakes people actually make.

Each candidate is the user's own syntax tree with one change: a layer index shifted on one symbol, a
transpose added or removed, the activation's derivative taken at the wrong layer or at a instead of z,
an extra or a missing sigma' factor (also written out with the activations, a(1 - a)), delta with respect
to a used as delta with respect to z, the 1/m missing or doubled, a product meant elementwise, the opposite
sign, a product in the other order; then two changes together. A candidate is reported only if it holds
against the forward pass like any claim.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

from ..errors import DeriveError
from . import ast
from .unparse import latex

MAX_CANDIDATES = 90
MAX_PAIRS = 150
# the changes tried two at a time when no single one (with or without a 1/m fix) makes the formula hold
PAIRED = {"layer index", "sigma' layer", "sigma' argument", "transpose", "swapped indices", "product order",
          "matrix product"}
DERIVATIVE_NAMES = {"sigmoidGradient"}  # Octave names that are derivatives without a prime


def scale_fixes(batch: str):
    """Multiply the right side by 1/m, or by m (undoing a 1/m applied twice); m is the convention's letter."""
    one_over = ast.Bin("div", ast.Num("1"), ast.Sym(batch))
    return ((lambda rhs: ast.Bin("matmul", one_over, rhs), f"the factor $1/{batch}$ is missing"),
            (lambda rhs: ast.Bin("matmul", ast.Sym(batch), rhs), f"the $1/{batch}$ is applied twice"))


def _is_scale(node, batch: str) -> bool:
    """1/m, \\frac{1}{m}, m: a batch factor."""
    if isinstance(node, ast.Sym):
        return node.base == batch and node.layer is None and node.indices is None
    return isinstance(node, ast.Bin) and node.op == "div" and isinstance(node.left, ast.Num) \
        and _is_scale(node.right, batch)


def _replace(node, path: tuple, new):
    """The tree with the node at ``path`` (a sequence of field names) replaced."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    return dataclasses.replace(node, **{head: _replace(getattr(node, head), rest, new)})


def candidates(claim: ast.Claim, acts: tuple[str, str], batch: str = "m", hadamard: str = "\\odot",
               weights: tuple[str, str] | None = None, sigma: str = "\\sigma") -> Iterator[tuple[str, str, ast.Claim]]:
    """(mistake, message, corrected claim) for every single change worth trying, most common first.
    ``weights`` is (the weight's letter, its gradient's letter) where the convention names the gradient by a
    symbol of its own (dW for W), so that a gradient written where the weight belongs can be found."""
    pre, act = acts
    rhs_sites = [(("rhs",) + p, n) for p, n in ast.walk(claim.rhs)]
    for path, node in rhs_sites:  # da^l/dz^l (a Jacobian, a matrix) joined entry by entry: its diagonal is meant
        if isinstance(node, ast.Bin) and node.op in ("hadamard", "star"):
            for side in ("left", "right"):
                d = getattr(node, side)
                if isinstance(d, ast.Partial) and isinstance(d.of, ast.Sym) and isinstance(d.wrt, ast.Sym) and \
                        d.of.base == act and d.wrt.base == pre and d.of.layer == d.wrt.layer and not d.of.indices:
                    diagonal = ast.Call(sigma, d.wrt, prime=1)
                    yield ("Jacobian for sigma'", f"holds if ${latex(d)}$, a Jacobian (a matrix), is read as its "
                           f"diagonal ${latex(diagonal)}$, the derivative entry by entry",
                           _replace(claim, path + (side,), diagonal))
    if weights is not None:
        for path, node in rhs_sites:  # the weight's gradient where the weight belongs (dW^T dZ for W^T dZ)
            if isinstance(node, ast.Sym) and node.base == weights[1] and node.layer is not None:
                new = dataclasses.replace(node, base=weights[0])
                yield ("gradient for weight", f"holds with the weight ${latex(new)}$ in place of its gradient "
                       f"${latex(node)}$", _replace(claim, path, new))
    for path, node in rhs_sites:  # layer index shifted on one symbol
        if isinstance(node, ast.Sym) and node.layer is not None and node.layer.symbol is not None:
            for shift in (1, -1):
                new = dataclasses.replace(node, layer=dataclasses.replace(node.layer, offset=node.layer.offset + shift))
                yield ("layer index", f"holds if ${latex(node)}$ is replaced by ${latex(new)}$",
                       _replace(claim, path, new))
    for path, node in rhs_sites:  # transpose missing or extra
        if isinstance(node, ast.Transpose):
            yield ("transpose", f"holds without the transpose on ${latex(node.arg)}$", _replace(claim, path, node.arg))
        elif isinstance(node, ast.Sym) and node.layer is not None:
            yield ("transpose", f"holds if ${latex(node)}$ is transposed", _replace(claim, path, ast.Transpose(node)))
    for path, node in rhs_sites:  # component indices swapped on a matrix
        if isinstance(node, ast.Sym) and node.indices and len(node.indices) == 2:
            new = dataclasses.replace(node, indices=node.indices[::-1])
            yield ("swapped indices", f"holds with ${latex(new)}$ instead of ${latex(node)}$",
                   _replace(claim, path, new))
    for path, node in rhs_sites:  # sigma' at the wrong place
        derivative = isinstance(node, ast.Call) and (node.prime or node.fn in DERIVATIVE_NAMES)
        if derivative and isinstance(node.arg, ast.Sym):
            arg = node.arg
            if arg.base == act:
                new = dataclasses.replace(arg, base=pre)
                yield ("sigma' argument", f"holds with the derivative at ${latex(new)}$, not at ${latex(arg)}$",
                       _replace(claim, path + ("arg",), new))
            if arg.layer is None or arg.layer.symbol is None:
                continue
            for shift in (1, -1):
                new = dataclasses.replace(arg, layer=dataclasses.replace(arg.layer, offset=arg.layer.offset + shift))
                yield ("sigma' layer", f"holds with the derivative at ${latex(new)}$, not at ${latex(arg)}$",
                       _replace(claim, path + ("arg",), new))
    for path, node in rhs_sites:  # an extra sigma' factor
        if isinstance(node, ast.Bin) and node.op in ("hadamard", "star", "matmul"):
            for keep, drop in (("left", "right"), ("right", "left")):
                dropped = getattr(node, drop)
                if isinstance(dropped, ast.Call) and dropped.prime:
                    yield ("extra sigma'", f"holds without the factor ${latex(dropped)}$",
                           _replace(claim, path, getattr(node, keep)))
    lhs_sym = claim.lhs if isinstance(claim.lhs, ast.Sym) else getattr(claim.lhs, "wrt", None)
    if isinstance(lhs_sym, ast.Sym) and lhs_sym.layer is not None and lhs_sym.layer.symbol is not None:
        for shift in (1, -1):  # the left side names the wrong layer (dA^[l] for dA^[l-1])
            new = dataclasses.replace(lhs_sym, layer=dataclasses.replace(lhs_sym.layer,
                                                                         offset=lhs_sym.layer.offset + shift))
            if claim.lhs is lhs_sym:
                fixed = dataclasses.replace(claim, lhs=new)
            else:
                assert isinstance(claim.lhs, ast.Partial | ast.Nabla)
                fixed = dataclasses.replace(claim, lhs=dataclasses.replace(claim.lhs, wrt=new))
            yield ("layer index", f"holds for ${latex(fixed.lhs)}$: the left side names the wrong layer", fixed)
    for path, node in rhs_sites:  # a missing sigma' on a gradient with respect to activations
        wrt = node.wrt if isinstance(node, ast.Partial | ast.Nabla) else None
        if isinstance(wrt, ast.Sym) and wrt.base == act and wrt.layer is not None:
            factor = ast.Call("\\sigma", ast.Sym(pre, wrt.layer), 1)
            yield ("missing sigma'", f"holds with the factor ${latex(factor)}$ on ${latex(node)}$",
                   _replace(claim, path, ast.Bin("hadamard", node, factor)))
    lhs = claim.lhs
    if isinstance(lhs, ast.Sym) and lhs.layer is not None:  # a missing sigma' factor at the left side's layer
        factor = ast.Call("\\sigma", ast.Sym(pre, lhs.layer), 1)
        yield ("missing sigma'", f"holds with the factor ${latex(factor)}$",
               dataclasses.replace(claim, rhs=ast.Bin("hadamard", claim.rhs, factor)))
        grad_a = ast.Partial(ast.Sym("C"), ast.Sym(act, lhs.layer))
        yield ("delta wrt a", f"this is the recursion for ${latex(grad_a)}$, not for the gradient with respect "
               "to the pre-activation", dataclasses.replace(claim, lhs=grad_a))
    for path, node in rhs_sites:  # a batch factor that does not belong
        if isinstance(node, ast.Bin) and node.op in ("matmul", "star", "div"):
            for keep, drop in (("left", "right"), ("right", "left")):
                if _is_scale(getattr(node, drop), batch) and not (node.op == "div" and drop == "left"):
                    yield ("1/m", f"holds without the factor ${latex(getattr(node, drop))}$",
                           _replace(claim, path, getattr(node, keep)))
    for scale, message in scale_fixes(batch):
        yield ("1/m", message, dataclasses.replace(claim, rhs=scale(claim.rhs)))
    parents = parents_of(rhs_sites)
    for path, node in rhs_sites:  # the penalty's gradient without the cost's 1/m (Ng's slides: lambda Theta), or with
        if node == LAMBDA and getattr(parents.get(path[:-1]), "op", None) != "div":
            over = ast.Bin("div", LAMBDA, ast.Sym(batch))
            yield ("L2 penalty 1/m", f"holds with ${latex(over)}$: the penalty's gradient carries the cost's "
                   f"1/{batch} too", _replace(claim, path, over))
        elif isinstance(node, ast.Bin) and node.op == "div" and node.left == LAMBDA and _is_scale(node.right, batch):
            yield ("L2 penalty 1/m", f"holds with $\\lambda$ in place of ${latex(node)}$: this cost's penalty has "
                   f"no 1/{batch}", _replace(claim, path, LAMBDA))
    yield from _more(claim, rhs_sites, pre, act, hadamard)


LAMBDA = ast.Sym("\\lambda")


def parents_of(sites: list) -> dict:
    """Each node of a walk by its path, so that a node's parent is ``parents[path[:-1]]``."""
    return {path: node for path, node in sites}


def _more(claim: ast.Claim, rhs_sites: list, pre: str, act: str, hadamard: str):
    """The rarer mistakes: products, signs, orders, and sigma' written out with the activations."""
    for path, node in rhs_sites:  # juxtaposition or x meant as the elementwise product
        if isinstance(node, ast.Bin) and node.op in ("matmul", "star"):
            op = "star" if hadamard == "*" else "hadamard"  # written as the source writes it: dls's *
            if op != node.op:
                yield ("elementwise product", f"holds if the product is elementwise (${hadamard}$)",
                       _replace(claim, path, dataclasses.replace(node, op=op)))
    elementwise = ("hadamard", "star") if hadamard == "*" else ("hadamard",)
    for path, node in rhs_sites:  # the elementwise product where a matrix product belongs (dls's * for np.dot)
        if isinstance(node, ast.Bin) and node.op in elementwise:
            yield ("matrix product", f"holds if the product is a matrix product, not elementwise (${hadamard}$)",
                   _replace(claim, path, dataclasses.replace(node, op="matmul")))
    yield ("sign", "holds with the opposite sign", dataclasses.replace(claim, rhs=ast.Neg(claim.rhs)))
    yield ("transpose", "holds transposed: the factors of the product are in the other order",
           dataclasses.replace(claim, rhs=ast.Transpose(claim.rhs)))
    for path, node in rhs_sites:  # a product in the wrong order (row layout written in column order)
        if isinstance(node, ast.Bin) and node.op == "matmul":
            swapped = ast.Bin("matmul", node.right, node.left)
            yield ("product order", f"holds with the product in the other order, ${latex(swapped)}$",
                   _replace(claim, path, swapped))
    parents = parents_of(rhs_sites)
    for path, node in rhs_sites:  # sigma' written with the activations: an extra one, or with z for a
        if isinstance(node, ast.Bin) and node.op in ("hadamard", "star") and \
                getattr(parents.get(path[:-1]), "op", None) != node.op:  # a whole chain a ⊙ b ⊙ c, once
            factors = _factors(node, node.op)
            extra = [f for f in factors if _activation_only(f, pre, act)]
            kept = [f for f in factors if f not in extra]
            if kept and extra and any(isinstance(n, ast.Num) for f in extra for _, n in ast.walk(f)):
                written, rest = _product(extra, node.op), _product(kept, node.op)
                yield ("extra sigma'", f"holds without the factor ${latex(written)}$ (the activation's derivative, "
                       "written with its values)", _replace(claim, path, rest))
        if _written_out(node, pre, act) and _has(node, pre):
            fixed = _rename(node, pre, act)
            yield ("sigma' argument", f"holds with ${latex(fixed)}$ in place of ${latex(node)}$: the derivative "
                   "written with the activation's values takes a, not z", _replace(claim, path, fixed))


def _symbols(node) -> list:
    return [n for _, n in ast.walk(node) if isinstance(n, ast.Sym)]


def _has(node, base: str) -> bool:
    return any(s.base == base for s in _symbols(node))


def _factors(node, op: str) -> list:
    """The factors of a chain a op b op c (any nesting of the same op)."""
    if isinstance(node, ast.Bin) and node.op == op:
        return _factors(node.left, op) + _factors(node.right, op)
    return [node]


def _product(factors: list, op: str):
    out = factors[0]
    for f in factors[1:]:
        out = ast.Bin(op, out, f)
    return out


def _activation_only(node, pre: str, act: str) -> bool:
    """A factor made of activations (or pre-activations) and numbers only: a^l, (1 - a^l), 1 - (z^l)^2."""
    return isinstance(node, ast.Sym) and node.base in (pre, act) or _written_out(node, pre, act)


def _written_out(node, pre: str, act: str) -> bool:
    """a (1 - a), 1 - a^2, (1 - z^2): a product or difference of activations and numbers, no gradient."""
    if not isinstance(node, ast.Bin | ast.Pow):
        return False
    syms = _symbols(node)
    parts = [n for _, n in ast.walk(node) if isinstance(n, ast.Partial | ast.Nabla | ast.Call | ast.Sum)]
    return bool(syms) and not parts and all(s.base in (pre, act) for s in syms) and \
        any(isinstance(n, ast.Num) for _, n in ast.walk(node))


def _rename(node, old: str, new: str):
    """``node`` with every symbol ``old`` renamed ``new`` (z^l for a^l), layers and indices kept."""
    return ast.map_symbols(node, lambda s: dataclasses.replace(s, base=new) if s.base == old else s)


def diagnose(claim: ast.Claim, problem, holds, wrap=None) -> dict | None:
    """The first candidate for which ``holds(candidate)`` is true, as {mistake, message, corrected}.

    Single changes first; then each single change together with a 1/m fix (a per-example formula copied
    into a batch convention is often off in both); then two of the common changes together (a weight's layer
    shifted and sigma' at the wrong layer), at most MAX_PAIRS of them. An accumulation (Delta := Delta + X) is
    diagnosed in what it adds, X: the changes of the whole right side (its sign, a transpose, 1/m) are X's.
    ``wrap`` puts a candidate back into the claim it came from (the accumulation around X).
    """
    if wrap is None:
        rhs = claim.rhs
        if claim.op != "+=" and isinstance(rhs, ast.Bin) and rhs.op == "+" and claim.lhs in (rhs.left, rhs.right):
            before = rhs.left == claim.lhs  # Delta + X, or X + Delta
            back = lambda c: dataclasses.replace(  # noqa: E731
                c, rhs=ast.Bin("+", c.lhs, c.rhs) if before else ast.Bin("+", c.rhs, c.lhs))
            return diagnose(dataclasses.replace(claim, rhs=rhs.right if before else rhs.left), problem, holds, back)
        wrap = lambda c: c  # noqa: E731
    nt = problem.convention.notation
    gradient = nt.grad_weight.replace("^@", "")  # dls's dW, CS231n's dW: a symbol of its own
    weights = (nt.weight, gradient) if gradient.isalpha() and gradient != nt.weight else None
    more = lambda c: candidates(c, (nt.pre, nt.act), nt.batch, nt.hadamard, weights, nt.sigma)  # noqa: E731
    singles = list(more(claim))[:MAX_CANDIDATES]
    seen = set()

    def first(pairs):
        for mistake, message, fixed in pairs:
            if fixed in seen:
                continue
            seen.add(fixed)
            try:
                if holds(wrap(fixed)):
                    return {"mistake": mistake, "message": message, "corrected": latex(wrap(fixed))}
            except DeriveError:
                continue
        return None

    found = first(singles) or first(
        (f"{mistake} + 1/m", f"{message}, and {scale_message}", dataclasses.replace(fixed, rhs=scale(fixed.rhs)))
        for mistake, message, fixed in singles if mistake != "1/m" for scale, scale_message in scale_fixes(nt.batch))
    if found:
        return found
    pairs = ((f"{m1} + {m2}", f"{msg1}, and {msg2}", twice) for m1, msg1, once in singles if m1 in PAIRED
             for m2, msg2, twice in more(once) if m2 in PAIRED)
    return first(itertools.islice(pairs, MAX_PAIRS))
