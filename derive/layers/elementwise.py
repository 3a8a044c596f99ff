"""An activation applied entry by entry, y = f(x), its derivative from the activation registry beside it.

    y[n, k] = f(x[n, k])        ∂y/∂x = f'(x), written with the output y where the registry can (tanh: 1 - y²)

One graph for every elementwise activation of ``activations.ACTIVATIONS`` (the registry's definition and
derivative are the engine's; ground truth differentiates the definition on its own tape). Written as CS231n's
``relu_forward``/``relu_backward`` name the gradients: dout, dx (the output y, as its batch norm writes it).
Inside an architecture the same graph runs over any tensor a layer gives (``FORMS``): a batch of features
(n, k), a 1-D signal's channels and positions (n, k, t: a convolution's output), an image's channels, rows and
columns (n, k, t, T), or a sequence's steps and features (n, t, k: a recurrent layer's states); the graph of
form F is named by ``formed(name, F)`` (relu, relu1d, relu2d, temporal_relu).
"""

from __future__ import annotations

from ..activations import ACTIVATIONS, Activation
from ..errors import DeriveError
from .graph import KindGraph, Letters, Local, Node, entry

CITE = "CS231n (Stanford), assignment 2: relu_forward and relu_backward (dout, dx)"
CS231N = Letters(
    "cs231n", CITE, {"x": "x", "y": "y", "loss": "L"},
    {"n": ("i", "n"), "k": ("j", "k")}, {"n": "N", "k": "D"}, adjoint="d", names={"y": r"\mathrm{dout}"})


def _letters(axes: str, index: dict, sizes: dict, what: str) -> Letters:
    return Letters("cs231n", f"{CITE}, entry by entry over {what}", CS231N.symbols, index, sizes, shown=axes,
                   adjoint="d", names=CS231N.names)


# form -> (the input's axes, its letters, the graph's name from the activation's, the tensor in words); the
# letters are those of the layer that gives such a tensor (conv_forward_naive's n, c, t; rnn_forward's n, t)
FORMS = {
    "features": ("nk", CS231N, "{}", "the features"),
    "signal": ("nkt", _letters("nkt", {"n": ("n", "r"), "k": ("c", "e"), "t": ("t", "v")},
                               {"n": "N", "k": "C", "t": "W"}, "channels and positions"),
               "{}1d", "channels and positions"),
    "image": ("nktT", _letters("nktT", {"n": ("n", "n'"), "k": ("c", "c'"), "t": ("h", "h'"), "T": ("w", "w'")},
                               {"n": "N", "k": "C", "t": "H", "T": "W"}, "channels, rows and columns"),
              "{}2d", "channels, rows and columns"),
    "sequence": ("ntk", _letters("ntk", {"n": ("n", "n'"), "t": ("t", "t'"), "k": ("k", "k'")},
                                 {"n": "N", "t": "T", "k": "D"}, "time steps and features"),
                 "temporal_{}", "time steps and features"),
}


def formed(name: str, form: str) -> str:
    """The graph's name of activation ``name`` over a tensor of ``form`` (relu over a signal: relu1d)."""
    return FORMS[form][2].format(name)


def kind(name: str, form: str = "features") -> KindGraph:
    act = ACTIVATIONS[name]
    if not isinstance(act, Activation):
        raise DeriveError(f"{name} is not elementwise: it is a layer kind of its own")
    axes, letters, _, what = FORMS[form]
    x, y = entry("x", axes), entry("y", axes)
    partial = act.df(x) if act.df_out is None else act.df_out(y)
    nodes = (Node("x", axes, why="the layer's input"),
             Node("y", axes, act.f(x), (Local("x", partial),), why=f"the output, {act.summary}"))
    description = f"the {name} activation, entry by entry" + ("" if form == "features" else f" over {what}")
    return KindGraph(formed(name, form), nodes, "y", ("x",), (), (), description, (letters,))
