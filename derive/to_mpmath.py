"""SymPy's functions and comparisons as mpmath's, one table each, for every evaluator of SymPy expressions in
derive: the compiled closures of ``components`` and ``backward.evaluate`` (a layer kind's formulas)."""

from __future__ import annotations

import mpmath
import sympy as sp


def _step(x):
    """Heaviside's H(x) = [x > 0], the derivative of max(0, x) (the SVM's margins): refused at 0, where max(0, x) has
    no derivative (SymPy's H(0) = 1/2 is a convention, not a derivative)."""
    from .errors import DeriveError
    if not x:
        raise DeriveError("a margin of the loss is exactly 0 here, where max(0, m) has no derivative")
    return mpmath.mpf(1) if x > 0 else mpmath.mpf(0)


MPMATH_FUNCTIONS = {sp.exp: mpmath.exp, sp.log: mpmath.log, sp.tanh: mpmath.tanh, sp.sinh: mpmath.sinh,
                    sp.cosh: mpmath.cosh, sp.erf: mpmath.erf, sp.Abs: mpmath.fabs, sp.Heaviside: _step}
COMPARISONS = {sp.Eq: lambda a, b: a == b, sp.Ne: lambda a, b: a != b, sp.Lt: lambda a, b: a < b,
               sp.Le: lambda a, b: a <= b, sp.Gt: lambda a, b: a > b, sp.Ge: lambda a, b: a >= b}
