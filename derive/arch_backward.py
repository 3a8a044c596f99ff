"""The reverse pass of an architecture: each layer's kind derived once, the layers chained by summing fan-out.

An architecture (``derive.architectures``) is a DAG of steps, each a layer kind. Inside a step the kind's own
reverse pass (``backward.derive_kind``) gives ∂ℓ/∂(input) and ∂ℓ/∂(parameter) from ∂ℓ/∂(output). Between steps
the chain rule is the same sum over fan-out one level up: the gradient of a step's output is the sum, over
every step that reads it, of that step's gradient with respect to what it read,

    ∂ℓ/∂a^(i) = Σ over the readers r of step i of  ∂ℓ/∂x^(r)      (∂ℓ/∂skip^(r) where r is a residual join),

and ∂ℓ/∂a^(last) comes from the loss. A residual block's input has two readers (the block's first layer and
the join), so its gradient is the sum of both paths. Each kind is derived once however often it occurs, so the
cost of a derivation is the number of distinct kinds, and of its numbers linear in the number of steps.

``forward`` and ``backward`` give the formulas numbers: the kinds' own forward formulas, then their equations
from ∂ℓ/∂y alone, step by step from the last (``arch_verification`` compares both with ground truth).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import mpmath
import sympy as sp

from .architectures import Architecture, NetworkInput, Step
from .backward import KindDerivation, Lazy, array, derive_kind
from .layers import FORMED, GRAPHS, STATISTICS
from .layers import kind as layer_kind
from .layers.graph import AXES, adjoint_name

NOTATION = "cs231n"  # the letters an architecture's document uses for every kind that has them


@dataclass(frozen=True)
class StepDerivation:
    """One step: its kind's derivation, and where its output's gradient comes from (the fan-out)."""

    step: Step
    derivation: KindDerivation
    readers: tuple[tuple[int, str], ...]   # (reader step, the reader's input it feeds): dy = Σ their gradients

    @property
    def kind(self):
        return self.derivation.kind


@dataclass(frozen=True)
class ArchDerivation:
    """Every step of an architecture with its derivation (``api.architecture``)."""

    architecture: Architecture
    steps: tuple[StepDerivation, ...]

    def __repr__(self) -> str:
        return f"<ArchDerivation of {self.architecture.spec!r}: {len(self.steps)} steps>"

    def kinds(self) -> dict[str, KindDerivation]:
        """Each distinct kind's derivation, in order of first use."""
        return {s.kind.name: s.derivation for s in self.steps}


@functools.lru_cache(maxsize=64)
def kind_derivation(name: str, unbiased: bool) -> KindDerivation:
    """The derivation of kind ``name`` (the n - 1 variance where ``unbiased`` and the kind has one)."""
    unbiased = unbiased and name in STATISTICS
    graph = layer_kind(name, unbiased, within=GRAPHS + FORMED)
    sources = [letters.source for letters in graph.letters]
    return derive_kind(graph, NOTATION if NOTATION in sources else None, unbiased)


def derive_architecture(arch: Architecture) -> ArchDerivation:
    derivations = [kind_derivation(step.kind, arch.unbiased) for step in arch.steps]
    steps = []
    for step, d in zip(arch.steps, derivations):
        # each reader's input that this step's output feeds: x, or a join's skip (its kind's inputs, in order)
        readers = tuple((r.index, derivations[r.index - 1].kind.inputs[p]) for r, p in arch.readers(step.index))
        steps.append(StepDerivation(step, d, readers))
    return ArchDerivation(arch, tuple(steps))


# ---------------------------------------------------------------- numbers

def sizes_of(arch: Architecture, step: Step, m: int) -> dict:
    """The sizes a step's formulas range over: m examples, its input's axes (D features, or channels by positions,
    steps by features ...) and its output's (H outputs, channels by positions ...), a kernel's or window's taps,
    and a recurrent layer's second hidden index and stacked gates (i: H, q: 4H, g: 3H)."""
    graph = kind_derivation(step.kind, arch.unbiased).kind
    counts = {"n": m} | dict(zip(graph.node(graph.inputs[0]).axes[1:], arch.shape_of(step.reads[0])))
    counts |= dict(zip(graph.node(graph.output).axes[1:], step.dims)) | dict(zip("uU", step.taps))
    if "j" in counts:
        counts |= {"i": counts["j"], "q": 4 * counts["j"], "g": 3 * counts["j"]}
    return {AXES[a][1]: count for a, count in counts.items()}


def forward(ad: ArchDerivation, inp: NetworkInput) -> list[dict]:
    """Every quantity of every step from the kinds' forward formulas: per step, name -> numbers."""
    out: list[dict] = []
    for s in ad.steps:
        reads = [inp.x if r == 0 else out[r - 1]["y"] for r in s.step.reads]
        values = dict(inp.params[s.step.index - 1]) | dict(zip(("x", "skip"), reads))
        sizes = sizes_of(ad.architecture, s.step, inp.m)
        computed = [node for node in s.kind.nodes if node.forward is not None]
        if recursive(s.kind):  # a[t] reads h[t - 1]: each entry on demand, in the order the entries need
            values |= {node.name: Lazy(node.forward, node.axes, values, sizes) for node in computed}
        for node in computed:
            lazy = values.get(node.name)
            values[node.name] = (lazy.array() if isinstance(lazy, Lazy) else
                                 array(node.forward, node.axes, values, sizes))
        out.append(values)
    return out


def upstream(inp: NetworkInput, y) -> tuple:
    """∂ℓ/∂y of the network's output for the loss Σ c y + ½ d y²: c + d y, entry by entry, in y's shape."""
    def each(c, d, v):
        return tuple(each(*parts) for parts in zip(c, d, v)) if isinstance(v, tuple) else c + d * v
    return each(inp.c, inp.d, y)


def _sum(arrays: list):
    if isinstance(arrays[0], tuple):
        return tuple(_sum(list(parts)) for parts in zip(*arrays))
    return mpmath.fsum(arrays)


def recursive(kind) -> bool:
    """Whether a kind's forward formulas read a quantity at or after their own (a recurrence: a[t] reads h[t - 1]):
    its quantities and adjoints are then computed entry by entry on demand (``backward.Lazy``), in the order the
    entries need (∂ℓ/∂h at t reads ∂ℓ/∂a at t + 1, which a later equation gives)."""
    order = {n.name: i for i, n in enumerate(kind.nodes)}
    return any(order.get(e.base.label.name, -1) >= order[n.name]
               for n in kind.nodes if n.forward is not None for e in n.forward.atoms(sp.Indexed))


def backward(ad: ArchDerivation, inp: NetworkInput, values: list[dict]) -> list[dict]:
    """Every adjoint of every step from ∂ℓ/∂y alone: the steps from the last, each step's equations in the
    order derived, each output's gradient the sum over its readers. ``values`` (from ``forward``) gets them."""
    last = len(ad.steps)
    for s in reversed(ad.steps):
        i = s.step.index
        own = values[i - 1]
        if i == last:
            own["dy"] = upstream(inp, own["y"])
        else:
            own["dy"] = _sum([values[r - 1][adjoint_name(name)] for r, name in s.readers])
        sizes = sizes_of(ad.architecture, s.step, inp.m)
        if recursive(s.kind):
            for eq in s.derivation.equations:
                axes = s.kind.node(eq.of).axes
                own[adjoint_name(eq.of)] = Lazy(eq.rhs, axes, own, sizes) if axes else None
        for eq in s.derivation.equations:
            lazy = own.get(adjoint_name(eq.of))
            own[adjoint_name(eq.of)] = (lazy.array() if isinstance(lazy, Lazy) else
                                        array(eq.rhs, s.kind.node(eq.of).axes, own, sizes))
    return values
