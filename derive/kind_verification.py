"""A layer kind's derived formulas evaluated on concrete inputs and compared with ground truth.

Each equation of the reverse pass is checked twice: *locally*, its right side evaluated with the true values
of every quantity it names (the adjoints of the nodes after it included), against the true adjoint of its
left side; and *end to end*, the equations evaluated from ∂ℓ/∂y alone, each using the values the ones before it
computed. The closed form is checked from ∂ℓ/∂y alone too. The truth is ``truth_kinds``: the forward
definition on a tape, which shares nothing with the graph the formulas came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath

from .backward import KindDerivation, Lazy, array, flat
from .layer_inputs import LayerInput, draw, trial_sizes
from .layers.graph import AXES, adjoint_name
from .limits import SEED, TRIALS
from .truth_kinds import DPS, kind_truth  # formulas evaluated at the truth's precision: an error is theirs

TOLERANCE = 1e-9
CHECKS = ("chain rule", "end to end", "closed form")


@dataclass(frozen=True)
class KindReport:
    """Worst relative error per (check, quantity) over every entry of every trial."""

    kind: str
    unbiased: bool
    sizes: tuple[tuple[int, int], ...]
    errors: dict = field(default_factory=dict)
    tolerance: float = TOLERANCE
    geometry: tuple[tuple[int, int], ...] = ()  # a convolution's (stride, pad) per input; () for the other kinds

    @property
    def ok(self) -> bool:
        return all(e <= self.tolerance for e in self.errors.values())

    def text(self, name=lambda q: "d" + q) -> str:
        """The table for a terminal; ``name`` writes a quantity's adjoint (default: dx, dgamma ...)."""
        lines = [f"{self.kind}{' (n-1 variance)' if self.unbiased else ''}; truth: reverse-mode differentiation "
                 f"of the forward definition at 50 digits; {len(self.sizes)} random inputs, (m, D) = "
                 + ", ".join(f"({m}, {d})" for m, d in self.sizes)
                 + (f"; {self.geometry_text()}" if self.geometry else "")]
        width = max((len(f"{c}: {name(q)}") for c, q in self.errors), default=0)
        for (check, q), e in self.errors.items():
            lines.append(f"  {f'{check}: {name(q)}':{width}}  max rel. error {e:.2e}  "
                         f"{'ok' if e <= self.tolerance else 'FAIL'}")
        lines.append("verified" if self.ok else f"FAILED: some error exceeds {self.tolerance:g}")
        return "\n".join(lines)

    def geometry_text(self) -> str:
        """"(stride, pad) = (1, 1), (2, 1), (2, 0)": a convolution's or pooling's inputs, in order."""
        return "(stride, pad) = " + ", ".join(f"({s}, {p})" for s, p in self.geometry)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "unbiased": self.unbiased, "sizes": [list(s) for s in self.sizes],
                **({"geometry": [list(g) for g in self.geometry]} if self.geometry else {}),
                "tolerance": self.tolerance, "ok": self.ok,
                "max_relative_error": {f"{c}: d{q}": e for (c, q), e in self.errors.items()}}


def values_of(inp: LayerInput, truth: dict) -> dict:
    """Every number a formula may name: the truth's forward values and adjoints, the parameters, the constants."""
    return inp.given() | truth


def counts_of(inp: LayerInput) -> dict[str, int]:
    """Each axis's size on this input: m examples, D features, H outputs or keys or words or hidden units (i too);
    a convolution's or pooling's T input positions, O output positions and U taps (rows; in 2-D also the columns
    T2, O2, U2); a recurrent layer's T steps (and an LSTM's 4H stacked gates, q; deeplearning.ai's H + D rows of
    [a_prev; x_t], p)."""
    return {"n": inp.m, "k": inp.D, "j": inp.H, "i": inp.H, "q": 4 * inp.H, "g": 3 * inp.H, "p": inp.H + inp.D} | (
        {"t": inp.T, "o": inp.O, "u": inp.U} if inp.U else {"t": inp.steps} if inp.steps else {}) | (
        {"T": inp.T2, "O": inp.O2, "U": inp.U2} if inp.U2 else {})


def sizes_of(inp: LayerInput) -> dict:
    """The sizes' symbols bound to ``counts_of``'s numbers."""
    return {AXES[a][1]: count for a, count in counts_of(inp).items()}


def relative_error(got: list, want: list) -> float:
    """The largest difference over the largest true value (the difference itself where the truth is ~0)."""
    diff = max(abs(g - w) for g, w in zip(got, want))
    scale = max(abs(w) for w in want)
    return float(diff / scale) if scale > mpmath.mpf(10) ** -30 else float(diff)


def check_trial(d: KindDerivation, inp: LayerInput) -> dict:
    """{(check, quantity): relative error} on one input."""
    with mpmath.workdps(DPS):
        return _check_trial(d, inp)


def _check_trial(d: KindDerivation, inp: LayerInput) -> dict:
    kind, truth = d.kind, kind_truth(inp)
    values, sizes = values_of(inp, truth), sizes_of(inp)
    own = dict(values) | {adjoint_name(n.name): None for n in kind.nodes if n.name != kind.output}

    def error(got, of: str) -> float:
        return relative_error(flat(got), flat(truth[adjoint_name(of)]))
    out = {}
    for eq in d.equations:  # every adjoint computed on demand, entry by entry: a recursion through time reads the
        axes = kind.node(eq.of).axes  # next step's adjoint, which a later equation gives
        if axes:
            own[adjoint_name(eq.of)] = Lazy(eq.rhs, axes, own, sizes)
    for eq in d.equations:
        axes = kind.node(eq.of).axes
        out[("chain rule", eq.of)] = error(array(eq.rhs, axes, values, sizes), eq.of)
        lazy = own[adjoint_name(eq.of)]
        own[adjoint_name(eq.of)] = lazy.array() if isinstance(lazy, Lazy) else array(eq.rhs, axes, own, sizes)
        out[("end to end", eq.of)] = error(own[adjoint_name(eq.of)], eq.of)
    for closed in d.closed:
        if any(values[str(constant)] != value for constant, value in closed.form.when.items()):
            continue  # the form holds only where its constants have these values (a convolution's stride 1)
        out[("closed form", closed.form.of)] = error(array(closed.form.rhs, kind.node(closed.form.of).axes, values,
                                                           sizes), closed.form.of)
    return out


def verify_kind(d: KindDerivation, trials: int = 3, seed: int = 0) -> KindReport:
    """Every formula of ``d`` on ``trials`` random inputs of unequal sizes (m != D), γ != 1, β != 0, ε ~ 0.1."""
    TRIALS.check(trials)
    SEED.check(seed)
    errors: dict = {}
    sizes, geometry = [], []
    table = trial_sizes(d.kind.name)
    for t in range(trials):
        m, D = table[t % len(table)]
        sizes.append((m, D))
        inp = draw(d.kind.name, m, D, seed + t, d.unbiased)
        if inp.U:
            geometry.append((inp.stride, inp.pad))
        for key, e in check_trial(d, inp).items():
            errors[key] = max(e, errors.get(key, 0.0))
    order = {c: i for i, c in enumerate(CHECKS)}
    return KindReport(d.kind.name, d.unbiased, tuple(sizes),
                      dict(sorted(errors.items(), key=lambda kv: order[kv[0][0]])), geometry=tuple(geometry))
