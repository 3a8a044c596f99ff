"""SymPy's functions and comparisons as mpmath's, one table each, for every evaluator of SymPy expressions in
derive: the compiled closures of ``components`` and ``backward.evaluate`` (a layer kind's formulas)."""

from __future__ import annotations

import mpmath
import sympy as sp

MPMATH_FUNCTIONS = {sp.exp: mpmath.exp, sp.log: mpmath.log, sp.tanh: mpmath.tanh, sp.sinh: mpmath.sinh,
                    sp.cosh: mpmath.cosh, sp.erf: mpmath.erf, sp.Abs: mpmath.fabs}
COMPARISONS = {sp.Eq: lambda a, b: a == b, sp.Ne: lambda a, b: a != b, sp.Lt: lambda a, b: a < b,
               sp.Le: lambda a, b: a <= b, sp.Gt: lambda a, b: a > b, sp.Ge: lambda a, b: a >= b}
