"""Layer kinds, the extension point: one module each, its forward equations beside its local derivatives.

``dense`` is the fully connected layer of every convention (``Layer`` gives its symbols under a convention,
``SingleNeurons`` the same with every width 1), for the network engine of ``chain``. The kinds of an
architecture are small graphs of named quantities, each with its forward formula and its local partial
derivatives side by side (``graph.Node``); ``kind(name)`` builds one from the table below: one line per kind.
``layer_inputs.KINDS`` names those a user can take on their own (``--layer``); ``projection`` and ``add`` exist
inside residual blocks only, and ``FORMED`` (the dense layer and the activations over a convolution's, pooling's
or recurrent layer's tensors: dense1d, relu1d, temporal_dense ...) inside architectures only.
"""

import functools

from ..activations import ACTIVATIONS
from ..errors import DeriveError, did_you_mean
from ..layer_inputs import KIND_ALIASES, KINDS
from .dense import Layer, SingleNeurons
from .elementwise import FORMS, formed
from .graph import KindGraph

__all__ = ["FORMED", "GRAPHS", "KINDS", "Layer", "SingleNeurons", "kind"]


def _table() -> dict:
    from . import (
        affine,
        attention,
        batchnorm,
        conv,
        dropout,
        embedding,
        layernorm,
        pooling,
        recurrent,
        residual,
        softmax,
    )
    table = {"dense": affine.kind, "projection": affine.projection, "batchnorm": batchnorm.kind,
             "layernorm": layernorm.kind, "dropout": dropout.kind, "softmax": softmax.softmax,
             "logsoftmax": softmax.logsoftmax, "add": residual.kind, "attention": attention.attention,
             "masked_attention": attention.masked_attention, "embedding": embedding.kind, "conv1d": conv.kind,
             "maxpool1d": pooling.maxpool, "avgpool1d": pooling.avgpool, "conv2d": conv.kind2d,
             "maxpool2d": pooling.maxpool2d, "avgpool2d": pooling.avgpool2d, "rnn": recurrent.kind,
             "lstm": recurrent.lstm, "gru": recurrent.gru, "lstm_concat": recurrent.lstm_concat,
             # an architecture's dense layer reading a signal, an image, a sequence (at every step)
             "dense1d": affine.dense1d, "dense2d": affine.dense2d, "temporal_dense": affine.temporal}
    for name, act in ACTIVATIONS.items():
        if act.elementwise:
            for form in FORMS:  # relu, relu1d, relu2d, temporal_relu: one graph per tensor form
                table[formed(name, form)] = functools.partial(_activation, name, form)
    return table


def _activation(name: str, form: str, unbiased: bool = False) -> KindGraph:
    from . import elementwise
    return elementwise.kind(name, form)


GRAPHS = ("dense", "projection", "batchnorm", "layernorm", "dropout", "softmax", "logsoftmax", "add", "attention",
          "masked_attention", "embedding", "conv1d", "maxpool1d", "avgpool1d", "conv2d", "maxpool2d",
          "avgpool2d", "rnn", "lstm", "gru", "lstm_concat") + tuple(
              name for name, act in ACTIVATIONS.items() if act.elementwise)
# the graphs an architecture uses for the tensors of a convolution, a pooling or a recurrent layer: the dense layer
# over a signal, an image or every step of a sequence, and each activation over each of those tensors
FORMED = ("dense1d", "dense2d", "temporal_dense") + tuple(
    formed(name, form) for name, act in ACTIVATIONS.items() if act.elementwise for form in FORMS
    if form != "features")
STATISTICS = ("batchnorm", "layernorm")  # the kinds with a variance (the n - 1 option)


def kind(name: str, unbiased: bool = False, within: tuple[str, ...] = KINDS) -> KindGraph:
    """The graph of the layer kind ``name`` (``unbiased``: the n - 1 variance, for the normalisations);
    ``within`` the names allowed (by default the single-layer kinds; ``GRAPHS`` inside an architecture)."""
    table = _table()
    assert set(KINDS) <= set(table) and set(GRAPHS) | set(FORMED) == set(table)
    name = KIND_ALIASES.get(name, name) if isinstance(name, str) else name
    if not isinstance(name, str) or name not in within:
        raise DeriveError(f"unknown layer kind {name!r} (known: {', '.join(within)}){did_you_mean(str(name), within)}")
    if not isinstance(unbiased, bool):
        raise DeriveError(f"unbiased must be True or False, not {type(unbiased).__name__}")
    if unbiased and name not in STATISTICS:
        raise DeriveError(f"{name} has no variance: the n - 1 option is for batchnorm and layernorm")
    return table[name](unbiased)
