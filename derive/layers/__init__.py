"""Layer kinds, the extension point: one module each, its forward equations beside its local derivatives.

``dense`` is the fully connected layer of every convention (``Layer`` gives its symbols under a convention,
``SingleNeurons`` the same with every width 1). The single-layer kinds (``batchnorm``, ``layernorm``,
``dropout``) are small graphs of named quantities, each with its forward formula and its local partial
derivatives side by side (``graph.Node``); ``KINDS`` names them and ``kind(name)`` builds one.
"""

from .dense import Layer, SingleNeurons

__all__ = ["Layer", "SingleNeurons"]
