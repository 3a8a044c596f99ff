"""Layer kinds, the extension point: one module each, its forward equations beside its local derivatives.

``dense`` is the fully connected layer of every convention (``Layer`` gives its symbols under a convention,
``SingleNeurons`` the same with every width 1). The single-layer kinds (``batchnorm``, ``layernorm``,
``dropout``) are small graphs of named quantities, each with its forward formula and its local partial
derivatives side by side (``graph.Node``); ``KINDS`` names them and ``kind(name)`` builds one.
"""

from ..errors import DeriveError, did_you_mean
from ..layer_inputs import KINDS as DRAWN
from .dense import Layer, SingleNeurons
from .graph import KindGraph

__all__ = ["KINDS", "Layer", "SingleNeurons", "kind"]

# the kinds with a graph here; layer_inputs (and the truth) know more (dense, the softmaxes, the activations)
KINDS = ("batchnorm", "layernorm", "dropout")
assert set(KINDS) <= set(DRAWN)


def kind(name: str, unbiased: bool = False) -> KindGraph:
    """The graph of the layer kind ``name`` (``unbiased``: the n - 1 variance, for the normalisations)."""
    from . import batchnorm, dropout, layernorm
    table = {"batchnorm": batchnorm.kind, "layernorm": layernorm.kind, "dropout": dropout.kind}
    assert set(table) == set(KINDS)
    if not isinstance(name, str) or name not in table:
        raise DeriveError(f"unknown layer kind {name!r} (known: {', '.join(KINDS)}){did_you_mean(str(name), KINDS)}")
    if not isinstance(unbiased, bool):
        raise DeriveError(f"unbiased must be True or False, not {type(unbiased).__name__}")
    if unbiased and name == "dropout":
        raise DeriveError("dropout has no variance: the n - 1 option is for batchnorm and layernorm")
    return table[name](unbiased)
