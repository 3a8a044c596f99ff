"""An activation applied entry by entry, y = f(x), its derivative from the activation registry beside it.

    y[n, k] = f(x[n, k])        ∂y/∂x = f'(x), written with the output y where the registry can (tanh: 1 - y²)

One graph for every elementwise activation of ``activations.ACTIVATIONS`` (the registry's definition and
derivative are the engine's; ground truth differentiates the definition on its own tape). Written as CS231n's
``relu_forward``/``relu_backward`` name the gradients: dout, dx (the output y, as its batch norm writes it).
"""

from __future__ import annotations

from ..activations import ACTIVATIONS, Activation
from ..errors import DeriveError
from .graph import KindGraph, Letters, Local, Node, entry

CS231N = Letters(
    "cs231n", "CS231n (Stanford), assignment 2: relu_forward and relu_backward (dout, dx)",
    {"x": "x", "y": "y", "loss": "L"},
    {"n": ("i", "n"), "k": ("j", "k")}, {"n": "N", "k": "D"}, adjoint="d", names={"y": r"\mathrm{dout}"})


def kind(name: str) -> KindGraph:
    act = ACTIVATIONS[name]
    if not isinstance(act, Activation):
        raise DeriveError(f"{name} is not elementwise: it is a layer kind of its own")
    x, y = entry("x", "nk"), entry("y", "nk")
    partial = act.df(x) if act.df_out is None else act.df_out(y)
    nodes = (Node("x", "nk", why="the layer's input"),
             Node("y", "nk", act.f(x), (Local("x", partial),), why=f"the output, {act.summary}"))
    return KindGraph(name, nodes, "y", ("x",), (), (), f"the {name} activation, entry by entry", (CS231N,))
