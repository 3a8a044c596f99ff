"""Concrete inputs for one layer on its own: a batch, the layer's parameters, and a scalar loss of its output.

A layer kind (``derive/layers/``) is verified, and a user's backward formula for it judged, on numbers drawn
here: a batch x of m examples (rows) by D features (columns), the parameters γ, β (one per feature), the
normalisation's ε, a dropout mask with its keep probability p, a dense layer's W (D by H) and b (H outputs,
H ≠ D), attention's keys K and values V (H = m + 1 rows of D: the queries are x's m rows, so the scores x Kᵀ
are m by H, never square; masked attention's mask is m by H, query n seeing the first n + 2 keys), an
embedding's table W (H = m - 1 words by D features) and its m token ids (in 0 .. H - 1: with fewer words than
tokens some token repeats, so a weight gradient that overwrites instead of accumulating fails; the embedding
reads no x), a 1-D convolution's x of m by D channels by T = 6 positions, its kernels W (H = D + 1 output
channels by D by U = 3 taps) and biases b, a pooling's x likewise with windows of U = 3, each with the (stride,
pad) of its seed (a convolution: (1, 1), (2, 1), (2, 0); a pooling: stride 2, 1, 3, so windows overlap by one,
by two, or not, and with stride 2 the last position is in no window), and the loss the layer's output y (m by D,
or m by H for dense, or of the convolution's or pooling's output shape) feeds,

    ℓ = Σ_{n,k} (c_{nk} y_{nk} + ½ d_{nk} y_{nk}²),

so the upstream gradient ∂ℓ/∂y = c + d ⊙ y differs from entry to entry and depends on y (a formula that
assumes ∂ℓ/∂y = 1, or the same for every example, fails). The widths are unequal (m ≠ D), γ ≠ 1, β ≠ 0 and
ε is not negligible, so a formula that confuses the axes, drops γ or drops ε fails too. This is the model
that ground truth (``truth_kinds``) differentiates: it imports no engine module.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .activations import ACTIVATIONS
from .errors import DeriveError

if TYPE_CHECKING:  # mpmath is imported where numbers are drawn: the CLI reads KINDS for its --help
    import mpmath

# the single-layer kinds with concrete inputs here: the first three, then dense, the softmaxes over the features,
# every elementwise activation of the registry, scaled dot-product attention (without and with a mask), the
# embedding (a lookup of token ids in a table), the 1-D convolution, max and average pooling
ATTENTION = ("attention", "masked_attention")
KINDS = ("batchnorm", "layernorm", "dropout", "dense", "softmax", "logsoftmax") + tuple(
    name for name, a in ACTIVATIONS.items() if a.elementwise) + ATTENTION + ("embedding",) + (
    "conv1d", "maxpool1d", "avgpool1d", "conv2d", "maxpool2d", "avgpool2d", "rnn", "lstm", "gru", "lstm_concat")
# the and CS231n's names for the 2-D poolings (max_pool_forward_naive pools images)
KIND_ALIASES = {"maxpool": "maxpool2d", "avgpool": "avgpool2d"}
# a kind whose source parameterises it otherwise is its own graph, reached by the kind's name and the source's:
# deeplearning.ai's LSTM has a weight matrix per gate over [a_prev; x_t] where CS231n's stacks the gates
BY_NOTATION = {("lstm", "dls"): "lstm_concat"}


def kind_for(kind, convention):
    """The kind ``kind`` names in ``convention``'s letters (``BY_NOTATION``), else ``kind`` itself."""
    if isinstance(kind, str) and isinstance(convention, str):
        return BY_NOTATION.get((KIND_ALIASES.get(kind, kind), convention), kind)
    return kind
SIZES = ((4, 3), (3, 5), (5, 2))               # (m, D) of the default draws: never square


@dataclass(frozen=True)
class LayerInput:
    """One layer's concrete input, parameters and loss coefficients (all mpmath numbers)."""

    kind: str
    x: tuple[tuple, ...]       # m rows (examples) by D columns (features)
    gamma: tuple               # D scales
    beta: tuple                # D shifts
    eps: mpmath.mpf            # added to the variance
    mask: tuple[tuple, ...]    # dropout: 1 keeps the entry, 0 drops it (m by D); masked attention: 1 where query n
                               # sees key j (m by H); plain attention: the dropout draw's, never read
    keep: mpmath.mpf           # dropout: the keep probability p (inverted dropout divides by it)
    c: tuple[tuple, ...]       # the loss's linear coefficients (m by the output's width: D, or H for dense)
    d: tuple[tuple, ...]       # the loss's quadratic coefficients (likewise)
    unbiased: bool = False     # normalise by the n - 1 variance instead of Ioffe & Szegedy's and PyTorch's 1/n
    W: tuple[tuple, ...] = ()  # dense: D rows (input features) by H columns (outputs); empty for the other kinds
    b: tuple = ()              # dense: H biases
    K: tuple[tuple, ...] = ()  # attention: the keys, H rows by D columns; empty for the other kinds
    V: tuple[tuple, ...] = ()  # attention: the values, H rows by D columns (d_v = d_k = D)
    H: int = 0                 # the j axis's size: a dense layer's outputs, attention's keys, the embedding's
                               # words; D for the others
    tokens: tuple = ()         # embedding: m token ids in 0 .. H - 1 (W is then its H by D table); empty otherwise
    stride: int = 1            # conv1d, pooling: the step between windows
    pad: int = 0               # conv1d: the zeros added at each end of every input channel (pooling: none)
    window: int = 0            # pooling: the window's width U (its rows in 2-D; a convolution's is its kernel's)
    window2: int = 0           # 2-D pooling: the window's columns U2
    Wh: tuple[tuple, ...] = ()  # rnn: the recurrent weights, H by H (its x is m by T steps by D, its W the D by H
                               # input weights Wx)
    h0: tuple[tuple, ...] = ()  # rnn: the initial state, m by H
    bh: tuple = ()             # gru: the hidden side's biases (3H; its b is the input side's)
    named: tuple = ()          # (name, value) of a kind's own parameters (lstm_concat's W_f ... b_o, a0)

    @property
    def m(self) -> int:
        return len(self.x[0]) if self.kind in COLUMNS else len(self.x)

    @property
    def D(self) -> int:
        if self.kind in COLUMNS:
            return len(self.x)
        return len(self.x[0][0]) if self.kind in RECURRENT else len(self.x[0])

    @property
    def steps(self) -> int:
        """A recurrent layer's time steps (x is m by T by D, or D by m by T with the examples as columns); 0 for the
        other kinds."""
        if self.kind in COLUMNS:
            return len(self.x[0][0])
        return len(self.x[0]) if self.kind in RECURRENT else 0

    @property
    def T(self) -> int:
        """A convolution's or pooling's positions of an input channel (x is m by D channels by T, or by T rows by
        T2 columns in 2-D); 0 for the other kinds (a recurrent layer's steps are ``steps``)."""
        return len(self.x[0][0]) if isinstance(self.x[0][0], tuple) and self.kind not in RECURRENT else 0

    @property
    def T2(self) -> int:
        """A 2-D convolution's or pooling's columns; 0 otherwise."""
        return len(self.x[0][0][0]) if self.T and isinstance(self.x[0][0][0], tuple) else 0

    @property
    def U(self) -> int:
        """A convolution's kernel width (W is H output channels by D input channels by U, or by U rows by U2
        columns); a pooling's window; 0 for the other kinds."""
        return self.window or (len(self.W[0][0]) if self.W and isinstance(self.W[0][0], tuple) else 0)

    @property
    def U2(self) -> int:
        """A 2-D kernel's or window's columns; 0 otherwise."""
        if self.window2:
            return self.window2
        return len(self.W[0][0][0]) if self.T2 and self.W and isinstance(self.W[0][0][0], tuple) else 0

    @property
    def O(self) -> int:  # noqa: E743 (the output positions' letter, as T and U)
        """The output positions (rows in 2-D), (T + 2 pad - U) // stride + 1 (a remainder of the padded input that
        no window covers is dropped, as PyTorch and CS231n do); 0 for the other kinds."""
        return (self.T + 2 * self.pad - self.U) // self.stride + 1 if self.U else 0

    @property
    def O2(self) -> int:
        """A 2-D output's columns, (T2 + 2 pad - U2) // stride + 1; 0 otherwise."""
        return (self.T2 + 2 * self.pad - self.U2) // self.stride + 1 if self.U2 else 0

    @property
    def onehot(self) -> tuple[tuple[int, ...], ...]:
        """The embedding's tokens as an m by H matrix of 0 and 1 (row n has its 1 at column tokens[n], so that
        y = onehot W); () for a kind without tokens."""
        return tuple(tuple(int(t == j) for j in range(self.H)) for t in self.tokens)

    def given(self) -> dict:
        """The layer's parameters and constants by the names the kinds' formulas give them (ε is "epsilon", the
        keep probability "p"): what ground truth's forward and the derived formulas read alike."""
        return {"gamma": self.gamma, "beta": self.beta, "epsilon": self.eps, "mask": self.mask, "p": self.keep,
                "W": self.W, "b": self.b, "K": self.K, "V": self.V, "tokens": self.tokens, "onehot": self.onehot,
                "stride": self.stride, "pad": self.pad, "window": self.window, "window2": self.window2,
                "Wx": self.W, "Wh": self.Wh, "h0": self.h0, "bx": self.b, "bh": self.bh} | dict(self.named)


def grid(rng: random.Random, m: int, D: int, low: float, high: float) -> tuple[tuple, ...]:
    """m rows of D uniform numbers in [low, high]."""
    import mpmath
    return tuple(tuple(mpmath.mpf(rng.uniform(low, high)) for _ in range(D)) for _ in range(m))


# each kind's parameters, drawn the same way for one layer and for a step of an architecture (architectures.draw)
def dense_parameters(rng: random.Random, D: int, H: int, bias: bool = True) -> dict:
    """W (D by H, scaled by 1/√D so a deep stack's activations stay moderate) and, with ``bias``, b (H)."""
    import mpmath
    scale = 1.5 / D ** 0.5
    W = grid(rng, D, H, -scale, scale)
    return {"W": W, "b": tuple(mpmath.mpf(rng.uniform(-0.5, 0.5)) for _ in range(H))} if bias else {"W": W}


def normalisation_parameters(rng: random.Random, D: int) -> dict:
    """γ (D, magnitude 0.5 to 2, either sign: never 1), β (D) and ε (0.05 to 0.2: not negligible)."""
    import mpmath
    gamma = tuple(mpmath.mpf(rng.uniform(0.5, 2)) * rng.choice((-1, 1)) for _ in range(D))
    beta = tuple(mpmath.mpf(rng.uniform(-1, 1)) for _ in range(D))
    return {"gamma": gamma, "beta": beta, "epsilon": mpmath.mpf(rng.uniform(0.05, 0.2))}


def dropout_parameters(rng: random.Random, m: int, D: int) -> dict:
    """An m by D mask (each entry kept with probability 0.6) and the keep probability p the output divides by."""
    import mpmath
    mask = tuple(tuple(int(rng.random() < 0.6) for _ in range(D)) for _ in range(m))
    return {"mask": mask, "p": mpmath.mpf(rng.choice((0.5, 0.6, 0.75, 0.8)))}


def outputs(D: int) -> int:
    """A dense layer's outputs by default, for D inputs: never D."""
    return D + 2


def keys(m: int) -> int:
    """Attention's keys by default, for m queries: never m."""
    return m + 1


def causal_mask(m: int, H: int) -> tuple[tuple, ...]:
    """Masked attention's mask: query n (from 0) sees keys 0 .. n + 1, so every row sees a key and only the last
    of m queries, with H = m + 1 keys, sees them all."""
    return tuple(tuple(int(j <= n + 1) for j in range(H)) for n in range(m))


@dataclass(frozen=True)
class Draws:
    """What a kind draws beyond the shared fields, after them in the random stream, so that adding a kind changes
    no other kind's numbers: the j axis's default size from (m, D) (None: the kind has no j axis), the output's
    width from (m, D, H), and its own fields from (rng, m, D, H)."""

    axis: Callable[[int, int], int] | None = None
    out: Callable[[int, int, int], int] = lambda m, D, H: D
    own: Callable[..., dict] = lambda rng, m, D, H: {}
    geometric: bool = False  # own also takes (stride, pad): a convolution
    shape: tuple = ()  # a convolution's (positions, taps) or a pooling's (positions, window), a size per axis
    trials: tuple = SIZES  # the (m, D) of a verification's trials


def _dense(rng: random.Random, m: int, D: int, H: int) -> dict:
    return dense_parameters(rng, D, H)


def _attention(masked: bool) -> Callable[..., dict]:
    def own(rng: random.Random, m: int, D: int, H: int) -> dict:
        fields = {"K": grid(rng, H, D, -1, 1), "V": grid(rng, H, D, -1, 1)}
        return fields | ({"mask": causal_mask(m, H)} if masked else {})
    return own


def words(m: int) -> int:
    """An embedding's vocabulary by default, for m tokens: fewer words than tokens, so some token repeats."""
    return m - 1


def _embedding(rng: random.Random, m: int, D: int, H: int) -> dict:
    return {"W": grid(rng, H, D, -1, 1), "tokens": tuple(rng.randrange(H) for _ in range(m))}


def channels(m: int, D: int) -> int:
    """A convolution's output channels by default, for D input channels: never D."""
    return D + 1


POSITIONS, WIDTH = 6, 3  # a 1-D convolution's (and pooling's) input positions T and kernel (window) width U
# in 2-D: a convolution's 5 by 4 positions and 3 by 2 kernel; a pooling's 6 by 5 and 3 by 2 windows (never square)
CONV1D, CONV2D, POOL2D = ((POSITIONS,), (WIDTH,)), ((5, 4), (3, 2)), ((6, 5), (3, 2))
SIZES2D = ((2, 2), (3, 2), (2, 3))  # (m, D) of a 2-D kind's trials: its dx reads many windows, so fewer channels


def trial_sizes(kind: str) -> tuple:
    """The (m, D) of each trial that verifies ``kind``: ``SIZES``, or smaller for a 2-D convolution or pooling."""
    return DRAWS.get(kind, Draws()).trials


def spatial_shape(kind: str) -> tuple:
    """A convolution's (positions, taps) or a pooling's (positions, window), each a tuple per spatial axis."""
    return DRAWS[kind].shape
# (stride, pad) of the convolution's draws, by seed: stride 1 with padding (the flipped-kernel form holds), stride 2
# with padding (windows overlap, T + 2 pad - U odd), stride 2 without (the last input position is in no window)
GEOMETRY = ((1, 1), (2, 1), (2, 0))


# a pooling's (stride, pad), by seed: windows of 3 overlapping by one (the last position in none), by two, and apart
POOLING = ((2, 0), (1, 0), (3, 0))


def geometry(seed: int, kind: str = "conv1d") -> tuple[int, int]:
    """The (stride, pad) a convolution's (or a pooling's) draw of ``seed`` gets: ``GEOMETRY`` (``POOLING``) in turn,
    so three trials see all three."""
    table = POOLING if kind in POOLINGS else GEOMETRY
    return table[seed % len(table)]


POOLINGS = ("maxpool1d", "avgpool1d", "maxpool2d", "avgpool2d")


def tensor(rng: random.Random, shape: tuple[int, ...], low: float, high: float) -> tuple:
    """Uniform numbers in [low, high] nested to ``shape``, drawn in row-major order (a matrix is ``grid``'s)."""
    import mpmath
    if len(shape) == 1:
        return tuple(mpmath.mpf(rng.uniform(low, high)) for _ in range(shape[0]))
    return tuple(tensor(rng, shape[1:], low, high) for _ in range(shape[0]))


def _out(positions: tuple, taps: tuple, stride: int, pad: int) -> tuple:
    return tuple((T + 2 * pad - U) // stride + 1 for T, U in zip(positions, taps))


def _conv(positions: tuple[int, ...], taps: tuple[int, ...]) -> Callable[..., dict]:
    """A convolution's draw: x (m by D channels by the positions), W (H by D by the taps, scaled by 1/√(D U)), b
    (H), and the loss's c, d at the output's shape (m by H by the output positions): they replace the shared x, c
    and d, drawn before them."""
    def own(rng: random.Random, m: int, D: int, H: int, stride: int = 1, pad: int = 0) -> dict:
        scale = 1.5 / (D * math.prod(taps)) ** 0.5
        out = _out(positions, taps, stride, pad)
        return {"x": tensor(rng, (m, D, *positions), -2, 2), "W": tensor(rng, (H, D, *taps), -scale, scale),
                "b": tensor(rng, (H,), -0.5, 0.5), "c": tensor(rng, (m, H, *out), -1, 1),
                "d": tensor(rng, (m, H, *out), 0.2, 1), "stride": stride, "pad": pad}
    return own


def _pool(positions: tuple[int, ...], window: tuple[int, ...]) -> Callable[..., dict]:
    """A pooling's draw: x (m by D channels by the positions) and the loss's c, d at the output's shape (m by D by
    the output positions); no padding; the window's sizes as ``window`` (and ``window2``)."""
    def own(rng: random.Random, m: int, D: int, H: int, stride: int = 1, pad: int = 0) -> dict:
        if pad:
            raise DeriveError(f"pooling takes no padding here, got pad={pad}")
        out = _out(positions, window, stride, 0)
        return {"x": tensor(rng, (m, D, *positions), -2, 2), "c": tensor(rng, (m, D, *out), -1, 1),
                "d": tensor(rng, (m, D, *out), 0.2, 1), "window": window[0], "stride": stride, "pad": 0,
                **({"window2": window[1]} if len(window) > 1 else {})}
    return own


RNN, STEPS = "rnn", 4  # a recurrent layer's time steps by default: T >= 3, so a state has a step before and after
RECURRENT = (RNN, "lstm", "gru", "lstm_concat")
COLUMNS = ("lstm_concat",)  # the kinds whose arrays have the examples as columns: x is D by m by T, a is H by m by T


def _recurrent(gates: int, biases: int = 1) -> Callable[..., dict]:
    """x (m by T steps by D), Wx (D by gates H, as W), Wh (H by gates H, scaled by 0.9/√H so the states stay off
    tanh's flat ends), b (gates H), h0 (m by H), and the loss's c, d at the states' shape (m by T by H); an LSTM's
    four gates side by side (CS231n's N by 4H), a GRU's three with a second bias bh (PyTorch's b_hh)."""
    def own(rng: random.Random, m: int, D: int, H: int) -> dict:
        G = gates * H
        return {"x": tensor(rng, (m, STEPS, D), -2, 2), "W": tensor(rng, (D, G), -1 / D ** 0.5, 1 / D ** 0.5),
                "Wh": tensor(rng, (H, G), -0.9 / H ** 0.5, 0.9 / H ** 0.5), "b": tensor(rng, (G,), -0.5, 0.5),
                "h0": tensor(rng, (m, H), -1, 1), "c": tensor(rng, (m, STEPS, H), -1, 1),
                "d": tensor(rng, (m, STEPS, H), 0.2, 1)} | (
                    {"bh": tensor(rng, (G,), -0.5, 0.5)} if biases == 2 else {})
    return own


def _concatenated(rng: random.Random, m: int, D: int, H: int) -> dict:
    """deeplearning.ai's LSTM, the examples as columns: x (D by m by T steps), a0 (H by m), each gate's W (H by
    H + D, over [a_prev; x_t], scaled by 1/√(H + D)) and b (H) in the order f, u, c, o, and the loss's c, d at the
    states' shape (H by m by T)."""
    scale = 1 / (H + D) ** 0.5
    x, a0 = tensor(rng, (D, m, STEPS), -2, 2), tensor(rng, (H, m), -1, 1)
    weights = [(f"W{g}", tensor(rng, (H, H + D), -scale, scale)) for g in "fuco"]
    biases = [(f"b{g}", tensor(rng, (H,), -0.5, 0.5)) for g in "fuco"]
    return {"x": x, "named": (("a0", a0), *weights, *biases), "c": tensor(rng, (H, m, STEPS), -1, 1),
            "d": tensor(rng, (H, m, STEPS), 0.2, 1)}


# one line per kind that draws more than the shared fields (a dense layer's H outputs, attention's H keys, the
# embedding's H words, a convolution's H output channels, its own x and its geometry)
DRAWS = {"dense": Draws(lambda m, D: outputs(D), lambda m, D, H: H, _dense),
         "attention": Draws(lambda m, D: keys(m), own=_attention(False)),
         "masked_attention": Draws(lambda m, D: keys(m), own=_attention(True)),
         "embedding": Draws(lambda m, D: words(m), own=_embedding),
         "conv1d": Draws(channels, own=_conv(*CONV1D), geometric=True, shape=CONV1D),
         "maxpool1d": Draws(own=_pool(*CONV1D), geometric=True, shape=CONV1D),
         "avgpool1d": Draws(own=_pool(*CONV1D), geometric=True, shape=CONV1D),
         "conv2d": Draws(channels, own=_conv(*CONV2D), geometric=True, shape=CONV2D, trials=SIZES2D),
         "maxpool2d": Draws(own=_pool(*POOL2D), geometric=True, shape=POOL2D, trials=SIZES2D),
         "avgpool2d": Draws(own=_pool(*POOL2D), geometric=True, shape=POOL2D, trials=SIZES2D),
         RNN: Draws(channels, own=_recurrent(1)), "lstm": Draws(channels, own=_recurrent(4)),
         "gru": Draws(channels, own=_recurrent(3, biases=2)),
         # H = D + 2 hidden units: with the trials' (m, D) never m, never D
         "lstm_concat": Draws(lambda m, D: outputs(D), own=_concatenated)}


def draw(kind: str, m: int = 4, D: int = 3, seed: int = 0, unbiased: bool = False,
         H: int | None = None, stride: int | None = None, pad: int | None = None) -> LayerInput:
    """A deterministic random input (``random.Random(seed)``) for ``kind`` with m examples of D features; a dense
    layer maps them to H outputs (default D + 2), attention's m queries read H keys and values (default m + 1),
    an embedding looks m tokens up in a table of H words (default m - 1: a token repeats) by D features, a
    convolution maps D channels of the positions ``DRAWS[kind].shape`` gives (6, or 5 by 4) to H channels (default
    D + 1), a pooling keeps its D channels, each with the (stride, pad) ``geometry(seed, kind)`` unless given; a
    recurrent layer reads m sequences of ``STEPS`` steps of D features into H = D + 1 hidden units.
    The shared fields are drawn first, in the same order for every kind, then the kind's own (``DRAWS``): each
    seed gives a kind the same numbers whatever kinds are added."""
    if kind not in KINDS:
        raise DeriveError(f"unknown layer kind {kind!r}; known: {', '.join(KINDS)}")
    if m < 2 or D < 2:
        raise DeriveError(f"a layer's batch needs m >= 2 examples of D >= 2 features, got m={m}, D={D}")
    spec = DRAWS.get(kind, Draws())
    if spec.axis is None:
        H = D  # no j axis: the output's width
    elif H is None:
        H = spec.axis(m, D)
    if not isinstance(H, int) or isinstance(H, bool) or H < 1:
        what = ("attention needs H >= 1 keys" if kind in ATTENTION else "an embedding needs H >= 1 words"
                if kind == "embedding" else "a dense layer needs H >= 1 outputs")
        raise DeriveError(f"{what}, got H={H!r}")
    rng = random.Random(seed)
    x = grid(rng, m, D, -2, 2)
    norm, drop = normalisation_parameters(rng, D), dropout_parameters(rng, m, D)
    out = spec.out(m, D, H)
    c, d = grid(rng, m, out, -1, 1), grid(rng, m, out, 0.2, 1)
    if spec.geometric:
        default = geometry(seed, kind)
        stride, pad = default[0] if stride is None else stride, default[1] if pad is None else pad
        for name, value, low in (("stride", stride, 1), ("pad", pad, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise DeriveError(f"{kind}'s {name} must be an integer >= {low}, got {value!r}")
        positions, taps = spec.shape
        if min(_out(positions, taps, stride, pad)) < 1:
            raise DeriveError(f"a kernel of {' by '.join(map(str, taps))} does not fit "
                              f"{' by '.join(map(str, positions))} positions with pad {pad}")
        own = spec.own(rng, m, D, H, stride, pad)
    else:
        if stride is not None or pad is not None:
            raise DeriveError(f"{kind} has no stride or padding: they are a convolution's")
        own = spec.own(rng, m, D, H)
    x, c, d = own.pop("x", x), own.pop("c", c), own.pop("d", d)
    return LayerInput(kind, x, norm["gamma"], norm["beta"], norm["epsilon"], own.pop("mask", drop["mask"]), drop["p"],
                      c, d, unbiased, H=H, **own)


def _entries(values) -> list:
    """The entries of nested lists or tuples (a matrix, a convolution's m by H by O output), in order."""
    return [e for v in values for e in _entries(v)] if isinstance(values, list | tuple) else [values]


def loss(inp: LayerInput, y):
    """ℓ(y) = Σ (c y + ½ d y²) over every entry of the layer's output y (m rows by as many columns as c, or a
    convolution's m by H by O: c and d have y's shape)."""
    ys, cs, ds = _entries(y), _entries(inp.c), _entries(inp.d)
    if not len(ys) == len(cs) == len(ds):
        raise DeriveError(f"the loss's coefficients have {len(cs)} entries, the layer's output {len(ys)}")
    terms = [c * v + dd * v * v / 2 for v, c, dd in zip(ys, cs, ds)]
    return sum(terms[1:], terms[0])  # plain + : the numbers may be a tape's variables (truth_kinds)
