"""The SymPy symbols several modules share, defined once, below everything that uses them.

The layer indices: l (a generic hidden layer) and L (the output layer), and the L2 strength lambda; the output
layer's entrywise variables (yhat, y, z) and the number of outputs n_L a mean over them divides by; the component
indices of the index forms: j a unit of layer l, k of layer l+1, i summed inside the forward equation, t the
example. SymPy symbols are equal by name and assumptions, so one definition keeps every module's formulas
comparable (a second ``Symbol("l")`` without ``integer=True`` would be another symbol).
"""

from __future__ import annotations

import sympy as sp

l, L = sp.symbols("l L", integer=True)
LAMBDA = sp.Symbol("lambda", nonnegative=True)

YHAT, Y, Z = sp.symbols("yhat y z")
# the number of outputs, where a loss is a mean over them (losses.Loss.scale): bound to n_L by Layer.at_output
WIDTH = sp.Symbol("n_L", positive=True, integer=True)

# unit indices: j in layer l, k in layer l+1, i summed inside the forward equation; t the example
i, j, k, t = (sp.Symbol(n, integer=True, nonnegative=True) for n in "ijkt")
