"""An architecture as data: a network written as a list of layer kinds, with skips, and its concrete numbers.

A spec names the layers in order, separated by commas (or spaces, or ``->``):

    spec      = item { [","|"->"] item }
    item      = name [ "(" width ")" ]                  dense(8), batchnorm, relu, softmax ...
              | "residual" "(" spec ")"                 y = F(x) + x        (He et al. 2016, eq. 1)
              | "projected" "(" spec ")"                y = F(x) + x W_s    (He et al. 2016, eq. 2)

``dense(H)`` is a fully connected layer with H outputs (x W + b, CS231n's affine layer); every other kind keeps
its input's width. ``residual(...)`` adds the block's input to the block's output, so its inner layers must end at
the width they start from; ``projected(...)`` adds the input mapped by a learned matrix W_s (no bias) instead.
The parser is written here by hand after the grammar above; a spec is data: nothing of it is evaluated.

``Architecture.steps`` is the spec flattened to a small DAG: step i reads earlier steps (0 is the network's
input), an ``add`` step reads the block's output and its skip. ``draw`` gives a concrete batch, every step's
parameters and the loss the output feeds (``layer_inputs.loss``' Σ c y + ½ d y²). Ground truth reads this
module; it imports nothing of the engine.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .activations import ACTIVATIONS
from .errors import DeriveError, did_you_mean
from .layer_inputs import dense_parameters, dropout_parameters, grid, normalisation_parameters
from .limits import INPUTS, WIDTH

# kinds that keep their input's width; "dense" sets it, "projection" and "add" are written by residual blocks
SHAPED = ("batchnorm", "layernorm", "dropout", "softmax", "logsoftmax")
ELEMENTWISE = tuple(name for name, a in ACTIVATIONS.items() if a.elementwise)
BLOCKS = ("residual", "projected")
NAMES = ("dense",) + SHAPED + ELEMENTWISE
MAX_STEPS = 400           # a spec longer than this is refused (the benchmark's 24 blocks are 121 steps)
MAX_WIDTH = WIDTH.high
DEFAULT_INPUTS = 3        # the network input's features when no width is given


@dataclass(frozen=True)
class Step:
    """One layer of the flattened architecture: its kind, the steps it reads (0: the input), its output width."""

    index: int
    kind: str
    reads: tuple[int, ...]
    width: int
    block: int = 0        # the residual block it belongs to (0: none), for documents


@dataclass(frozen=True)
class Architecture:
    spec: str
    inputs: int
    steps: tuple[Step, ...]
    unbiased: bool = False   # the normalisations' n - 1 variance

    @property
    def outputs(self) -> int:
        return self.steps[-1].width

    def width_of(self, index: int) -> int:
        return self.inputs if index == 0 else self.steps[index - 1].width

    def readers(self, index: int) -> list[tuple[Step, int]]:
        """Every step that reads step ``index``, with the position it reads it at: the fan-out."""
        return [(s, p) for s in self.steps for p, r in enumerate(s.reads) if r == index]


_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<int>\d+)|(?P<arrow>->)|(?P<sym>[(),]))")


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, at = [], 0
    while at < len(text):
        m = _TOKEN.match(text, at)
        if m is None or m.end() == at:
            if text[at:].strip() == "":
                break
            col = len(text) - len(text[at:].lstrip()) + 1
            raise DeriveError(f"architecture: unexpected {text[at:].strip()[0]!r} at column {col}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind), m.start(kind) + 1))
        at = m.end()
    return out


class _Parser:
    def __init__(self, text: str, inputs: int):
        self.text, self.toks, self.at = text, _tokens(text), 0
        self.steps: list[Step] = []
        self.inputs, self.blocks, self.current = inputs, 0, 0

    def peek(self):
        return self.toks[self.at] if self.at < len(self.toks) else ("end", "", len(self.text) + 1)

    def take(self, kind: str, what: str):
        tok = self.peek()
        if tok[0] != kind and tok[1] != kind:
            found = "the end" if tok[0] == "end" else repr(tok[1])
            raise DeriveError(f"architecture: expected {what} at column {tok[2]}, found {found}")
        self.at += 1
        return tok

    def width(self, index: int) -> int:
        return self.inputs if index == 0 else self.steps[index - 1].width

    def add(self, kind: str, reads: tuple[int, ...], width: int) -> int:
        if len(self.steps) >= MAX_STEPS:
            raise DeriveError(f"architecture: more than {MAX_STEPS} layers")
        self.steps.append(Step(len(self.steps) + 1, kind, reads, width, self.current))
        return len(self.steps)

    def sequence(self, last: int, closing: str) -> int:
        last = self.item(last)
        while self.peek()[0] != "end" and self.peek()[1] != closing:
            if self.peek()[1] == ")":
                raise DeriveError(f"architecture: unexpected ')' at column {self.peek()[2]} (no block is open)")
            if self.peek()[1] in (",", "->"):
                self.at += 1
            last = self.item(last)
        return last

    def item(self, last: int) -> int:
        _, name, col = self.take("name", "a layer kind")
        low = name.lower()
        if low in BLOCKS:
            return self.block(low, last, col)
        if low not in NAMES:
            raise DeriveError(f"architecture: unknown layer kind {name!r} at column {col} (known: "
                              f"{', '.join(NAMES + BLOCKS)}){did_you_mean(low, NAMES + BLOCKS)}")
        width = self.width(last)
        if self.peek()[1] == "(":
            self.at += 1
            _, digits, wcol = self.take("int", f"the width of {low}")
            self.take(")", "')'")
            if low != "dense":
                raise DeriveError(f"architecture: {low} keeps its input's width; only dense takes one "
                                  f"(column {wcol})")
            width = int(digits)
            if not 1 <= width <= MAX_WIDTH:
                raise DeriveError(f"architecture: dense({width}) at column {wcol}: widths are 1 to {MAX_WIDTH}")
        elif low == "dense":
            raise DeriveError(f"architecture: dense needs its width, as dense(4) (column {col})")
        return self.add(low, (last,), width)

    def block(self, name: str, start: int, col: int) -> int:
        self.take("(", f"'(' after {name}")
        self.blocks += 1
        outer, self.current = self.current, self.blocks
        inner = self.sequence(start, ")")
        self.take(")", f"')' closing {name} (opened at column {col})")
        w_in, w_out = self.width(start), self.width(inner)
        if name == "residual":
            if w_in != w_out:
                raise DeriveError(f"architecture: residual(...) at column {col} maps {w_in} features to {w_out}: "
                                  "an identity skip needs equal widths; write projected(...) for a learned skip")
            skip = start
        else:
            skip = self.add("projection", (start,), w_out)
        index = self.add("add", (inner, skip), w_out)
        self.current = outer
        return index


def parse(spec: str, inputs: int = DEFAULT_INPUTS, unbiased: bool = False) -> Architecture:
    """The architecture a spec names, on inputs of ``inputs`` features (one-line ``DeriveError`` if malformed)."""
    if not isinstance(spec, str):
        raise DeriveError(f"an architecture is a string, as 'dense(4), relu, dense(2)', not {type(spec).__name__}")
    INPUTS.check(inputs)
    if not isinstance(unbiased, bool):
        raise DeriveError(f"unbiased must be True or False, not {type(unbiased).__name__}")
    if not spec.strip():
        raise DeriveError("architecture: the spec is empty; write the layers in order, as 'dense(4), relu, dense(2)'")
    if len(spec) > 20_000:
        raise DeriveError("architecture: the spec is longer than 20000 characters")
    p = _Parser(spec, inputs)
    p.sequence(0, "")
    if p.peek()[0] != "end":
        tok = p.peek()
        raise DeriveError(f"architecture: unexpected {tok[1]!r} at column {tok[2]}")
    return Architecture(spec.strip(), inputs, tuple(p.steps), unbiased)


# ---------------------------------------------------------------- numbers

@dataclass(frozen=True)
class NetworkInput:
    """A batch for an architecture, every step's parameters, and the loss coefficients of its output."""

    architecture: Architecture
    x: tuple[tuple, ...]            # m rows (examples) by `inputs` columns
    params: tuple[dict, ...]        # per step (step.index - 1): name -> numbers (W, b, gamma, beta, epsilon, mask, p)
    c: tuple[tuple, ...]            # the loss Σ c y + ½ d y² over the last step's output (m by outputs)
    d: tuple[tuple, ...]

    @property
    def m(self) -> int:
        return len(self.x)


def _params(rng: random.Random, step: Step, w_in: int, m: int) -> dict:
    """A step's parameters, drawn as one layer's are (``layer_inputs``): the same ranges, the same order."""
    if step.kind in ("dense", "projection"):
        return dense_parameters(rng, w_in, step.width, bias=step.kind == "dense")
    if step.kind in ("batchnorm", "layernorm"):
        return normalisation_parameters(rng, step.width)
    if step.kind == "dropout":
        return dropout_parameters(rng, m, step.width)
    return {}


def draw(arch: Architecture, m: int = 4, seed: int = 0) -> NetworkInput:
    """A deterministic random batch of m examples (``random.Random(seed)``) and parameters for ``arch``."""
    if not isinstance(m, int) or not 2 <= m <= MAX_WIDTH:
        raise DeriveError(f"a network's batch needs 2 to {MAX_WIDTH} examples, got {m!r}")
    rng = random.Random(seed)
    x = grid(rng, m, arch.inputs, -2, 2)
    params = tuple(_params(rng, s, arch.width_of(s.reads[0]), m) for s in arch.steps)
    c, d = grid(rng, m, arch.outputs, -1, 1), grid(rng, m, arch.outputs, 0.2, 1)
    return NetworkInput(arch, x, params, c, d)


def loss(c, d, y):
    """ℓ(y) = Σ (c y + ½ d y²) over every entry of an output y (rows by columns), on numbers or a tape's nodes."""
    terms = [c[n][k] * y[n][k] + d[n][k] * y[n][k] * y[n][k] / 2 for n in range(len(y)) for k in range(len(y[0]))]
    return sum(terms[1:], terms[0])
