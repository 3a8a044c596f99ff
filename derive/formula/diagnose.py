"""Diagnosis: the nearest formula that holds, searched over the mistakes people actually make.

Each candidate is the user's own syntax tree with one change: a layer index shifted on one symbol, a
transpose added or removed, the activation's derivative taken at the wrong layer or at a instead of z,
an extra or a missing sigma' factor, delta with respect to a used as delta with respect to z, the 1/m
missing or doubled. A candidate is reported only if it holds against the forward pass like any claim.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from ..errors import DeriveError
from . import ast
from .unparse import latex

MAX_CANDIDATES = 60
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


def _walk(node, path=()) -> Iterator[tuple[tuple, object]]:
    yield path, node
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            child = getattr(node, f.name)
            if dataclasses.is_dataclass(child):
                yield from _walk(child, path + (f.name,))


def candidates(claim: ast.Claim, acts: tuple[str, str], batch: str = "m") -> Iterator[tuple[str, str, ast.Claim]]:
    """(mistake, message, corrected claim) for every single change worth trying, most common first."""
    pre, act = acts
    rhs_sites = [(("rhs",) + p, n) for p, n in _walk(claim.rhs)]
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
            fixed = (dataclasses.replace(claim, lhs=new) if claim.lhs is lhs_sym
                     else dataclasses.replace(claim, lhs=dataclasses.replace(claim.lhs, wrt=new)))
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


def diagnose(claim: ast.Claim, problem, holds) -> dict | None:
    """The first candidate for which ``holds(candidate)`` is true, as {mistake, message, corrected}.

    Single changes first; then each single change together with a 1/m fix (a per-example formula copied
    into a batch convention is often off in both).
    """
    nt = problem.convention.notation
    singles = list(candidates(claim, (nt.pre, nt.act), nt.batch))[:MAX_CANDIDATES]

    def first(pairs):
        for mistake, message, fixed in pairs:
            try:
                if holds(fixed):
                    return {"mistake": mistake, "message": message, "corrected": latex(fixed)}
            except DeriveError:
                continue
        return None

    found = first(singles)
    if found:
        return found
    return first((f"{mistake} + 1/m", f"{message}, and {scale_message}", dataclasses.replace(
        fixed, rhs=scale(fixed.rhs))) for mistake, message, fixed in singles if mistake != "1/m"
        for scale, scale_message in scale_fixes(nt.batch))
