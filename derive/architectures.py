"""An architecture as data: a network written as a list of layer kinds, with skips, and its concrete numbers.

A spec names the layers in order, separated by commas (or spaces, or ``->``), after what the input is:

    spec      = [ input [","] ] item { [","|"->"] item }
    input     = "signal" "(" T ")"                      each example: D channels of T positions (a 1-D signal)
              | "image" "(" T "," T2 ")"                D channels of T rows by T2 columns
              | "sequence" "(" T ")"                    T time steps of D features
    item      = name [ "(" width ")" ]                  dense(8), batchnorm, relu, softmax ...
              | "conv1d" "(" H "," U [ "," s [ "," p ] ] ")"      H output channels, U taps, stride s, padding p
              | "conv2d" "(" H "," U [ "," s [ "," p ] ] ")"      a U by U kernel, the same s and p on both axes
              | pool "(" U [ "," s ] ")"                maxpool1d, avgpool1d, maxpool2d (U by U), avgpool2d;
                                                        s defaults to U (windows side by side, as PyTorch's)
              | "rnn" "(" H ")" | "lstm" "(" H ")" | "gru" "(" H ")"      H hidden units, over every step
              | "flatten"                               (then dense(H)) a signal's or image's entries as features
              | "residual" "(" spec ")"                 y = F(x) + x        (He et al. 2016, eq. 1)
              | "projected" "(" spec ")"                y = F(x) + x W_s    (He et al. 2016, eq. 2)

An argument after the first may be written by name: ``conv1d(4, 3, stride=2, pad=1)``, ``maxpool1d(2, stride=1)``.
D is the ``inputs`` of ``parse`` (``--inputs``): the input's features, or its channels. Without an input item
the input is a batch of D features.

``dense(H)`` is a fully connected layer with H outputs (x W + b, CS231n's affine layer); every other kind of
a batch of features keeps its input's width. ``residual(...)`` adds the block's input to the block's output, so
its inner layers must end at the width they start from; ``projected(...)`` adds the input mapped by a learned
matrix W_s (no bias) instead. A convolution maps a signal (an image) to H channels of (T + 2p - U) // s + 1
positions along each axis, a pooling keeps the channels and gives (T - U) // s + 1; ``flatten, dense(H)`` is
one step, a dense layer whose weights have a row per channel and position (``layers.affine``'s dense1d,
dense2d: the flattening is a reshape, so its numbers are the dense layer's own); on a sequence ``dense(H)``
acts at every step with one W (temporal_dense), a recurrent layer maps T steps of D features to T states of
H. An activation applies entry by entry to whatever tensor it is given (relu, relu1d, relu2d, temporal_relu);
the normalisations, dropout, the softmaxes and the residual blocks take a batch of features only.
The parser is written here by hand after the grammar above; a spec is data: nothing of it is evaluated.

``Architecture.steps`` is the spec flattened to a small DAG: step i reads earlier steps (0 is the network's
input), an ``add`` step reads the block's output and its skip. ``draw`` gives a concrete batch, every step's
parameters and the loss the output feeds (``layer_inputs.loss``' Σ c y + ½ d y²). Ground truth reads this
module; it imports nothing of the engine.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from .activations import ACTIVATIONS
from .errors import DeriveError, did_you_mean
from .layer_inputs import dense_parameters, dropout_parameters, grid, normalisation_parameters, tensor
from .limits import INPUTS, WIDTH

# kinds that keep their input's width; "dense" sets it, "projection" and "add" are written by residual blocks
SHAPED = ("batchnorm", "layernorm", "dropout", "softmax", "logsoftmax")
ELEMENTWISE = tuple(name for name, a in ACTIVATIONS.items() if a.elementwise)
BLOCKS = ("residual", "projected")
CONVOLUTIONS = ("conv1d", "conv2d")
POOLINGS = ("maxpool1d", "avgpool1d", "maxpool2d", "avgpool2d")
RECURRENT = ("rnn", "lstm", "gru")
NAMES = ("dense",) + SHAPED + ELEMENTWISE + CONVOLUTIONS + POOLINGS + RECURRENT + ("flatten",)
MAX_STEPS = 400           # a spec longer than this is refused (the benchmark's 24 blocks are 121 steps)
MAX_WIDTH = WIDTH.high
MAX_POSITIONS = 32        # a signal's positions or a sequence's steps (an image's rows and columns: MAX_WIDTH)
DEFAULT_INPUTS = 3        # the network input's features when no width is given

# what an input item makes of the input, by its name: (the form, the largest of its sizes), and its sizes' words
INPUT_ITEMS = {"signal": ("signal", MAX_POSITIONS), "image": ("image", MAX_WIDTH),
               "sequence": ("sequence", MAX_POSITIONS)}
INPUT_WORDS = {"signal": ("positions",), "image": ("rows", "columns"), "sequence": ("steps",)}
START = {"signal": "signal(T)", "image": "image(T, T2)", "sequence": "sequence(T)"}
# each form in words, and the name the graphs of an activation over it get (``layers.elementwise.FORMS``)
FORM_WORDS = {"features": "a batch of features", "signal": "a signal (channels by positions)",
              "image": "an image (channels by rows by columns)", "sequence": "a sequence (time steps by features)"}
ACTIVATION_OVER = {"features": "{}", "signal": "{}1d", "image": "{}2d", "sequence": "temporal_{}"}
# the form a kind reads (spatial kinds: the number of axes in their name), and the dense layer's graph per form
READS_FORM = {"conv1d": "signal", "maxpool1d": "signal", "avgpool1d": "signal", "conv2d": "image",
              "maxpool2d": "image", "avgpool2d": "image", "rnn": "sequence", "lstm": "sequence",
              "gru": "sequence"}
DENSE_OVER = {"features": "dense", "signal": "dense1d", "image": "dense2d", "sequence": "temporal_dense"}
# each kind with arguments: the arguments' names in order, how many are required
ARGUMENTS = {"dense": (("width",), 1), "conv1d": (("channels", "kernel", "stride", "pad"), 2),
             "conv2d": (("channels", "kernel", "stride", "pad"), 2), "rnn": (("width",), 1),
             "lstm": (("width",), 1), "gru": (("width",), 1)} | {p: (("window", "stride"), 1) for p in POOLINGS}


@dataclass(frozen=True)
class Step:
    """One layer of the flattened architecture: its kind (the graph's name: dense, conv1d, relu1d ...), the steps
    it reads (0: the input), its output's width (features, or channels; a sequence's features per step)."""

    index: int
    kind: str
    reads: tuple[int, ...]
    width: int
    block: int = 0        # the residual block it belongs to (0: none), for documents
    shape: tuple[int, ...] = ()   # its output's sizes after the example axis; () for a batch of features
    form: str = "features"        # its output's form: features, signal, image or sequence
    options: tuple[tuple[str, int], ...] = ()  # a convolution's kernel, stride, pad; a pooling's window, stride

    @property
    def dims(self) -> tuple[int, ...]:
        """The output's sizes after the example axis: (width,) for features, (C, O) for a signal ..."""
        return self.shape or (self.width,)

    @property
    def taps(self) -> tuple[int, ...]:
        """A convolution's kernel or a pooling's window, a size per spatial axis; () for the other kinds."""
        given = dict(self.options)
        size = given.get("kernel", given.get("window"))
        return () if size is None else (size,) * (2 if self.form == "image" else 1)


@dataclass(frozen=True)
class Architecture:
    spec: str
    inputs: int
    steps: tuple[Step, ...]
    unbiased: bool = False   # the normalisations' n - 1 variance
    form: str = "features"   # the input's form
    positions: tuple[int, ...] = ()  # a signal's T, an image's (T, T2), a sequence's T steps

    @property
    def outputs(self) -> int:
        return self.steps[-1].width

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The input's sizes after the example axis: (D,), (D, T), (D, T, T2) or (T, D) for a sequence."""
        if self.form == "sequence":
            return (*self.positions, self.inputs)
        return (self.inputs, *self.positions)

    def width_of(self, index: int) -> int:
        return self.inputs if index == 0 else self.steps[index - 1].width

    def shape_of(self, index: int) -> tuple[int, ...]:
        """The sizes after the example axis of step ``index``'s output (0: the input)."""
        return self.input_shape if index == 0 else self.steps[index - 1].dims

    def form_of(self, index: int) -> str:
        return self.form if index == 0 else self.steps[index - 1].form

    def readers(self, index: int) -> list[tuple[Step, int]]:
        """Every step that reads step ``index``, with the position it reads it at: the fan-out."""
        return [(s, p) for s in self.steps for p, r in enumerate(s.reads) if r == index]


_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<int>\d+)|(?P<arrow>->)|(?P<sym>[(),=]))")


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


def _out(size: int, taps: int, stride: int, pad: int = 0) -> int:
    """Output positions along one axis: (T + 2p - U) // s + 1 (a remainder no window covers is dropped)."""
    return (size + 2 * pad - taps) // stride + 1


class _Parser:
    def __init__(self, text: str, inputs: int):
        self.text, self.toks, self.at = text, _tokens(text), 0
        self.steps: list[Step] = []
        self.inputs, self.blocks, self.current = inputs, 0, 0
        self.form = "features"
        self.positions: tuple[int, ...] = ()

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

    def shape(self, index: int) -> tuple[int, ...]:
        if index == 0:
            return (*self.positions, self.inputs) if self.form == "sequence" else (self.inputs, *self.positions)
        return self.steps[index - 1].dims

    def form_of(self, index: int) -> str:
        return self.form if index == 0 else self.steps[index - 1].form

    def add(self, kind: str, reads: tuple[int, ...], width: int, shape: tuple[int, ...] = (),
            form: str = "features", options: tuple = ()) -> int:
        if len(self.steps) >= MAX_STEPS:
            raise DeriveError(f"architecture: more than {MAX_STEPS} layers")
        self.steps.append(Step(len(self.steps) + 1, kind, reads, width, self.current,
                               shape if form != "features" else (), form, options))
        return len(self.steps)

    def start(self) -> None:
        """The input item, if the spec begins with one: the input's form and its positions or steps."""
        tok = self.peek()
        if tok[0] != "name" or tok[1].lower() not in INPUT_ITEMS:
            return
        self.at += 1
        name = tok[1].lower()
        form, high = INPUT_ITEMS[name]
        self.take("(", f"'(' after {name}")
        sizes = []
        for i, what in enumerate(INPUT_WORDS[form]):
            if i:
                self.take(",", f"',' and the {name}'s {what}")
            _, digits, col = self.take("int", f"the {name}'s {what}")
            if not 1 <= int(digits) <= high:
                raise DeriveError(f"architecture: {name}'s {what} {digits} at column {col}: they are 1 to {high}")
            sizes.append(int(digits))
        self.take(")", "')'")
        self.form, self.positions = form, tuple(sizes)
        if self.peek()[1] in (",", "->"):
            self.at += 1

    def sequence(self, last: int, closing: str) -> int:
        last = self.item(last)
        while self.peek()[0] != "end" and self.peek()[1] != closing:
            if self.peek()[1] == ")":
                raise DeriveError(f"architecture: unexpected ')' at column {self.peek()[2]} (no block is open)")
            if self.peek()[1] in (",", "->"):
                self.at += 1
            last = self.item(last)
        return last

    def arguments(self, name: str, col: int) -> dict[str, tuple[int, int]]:
        """The arguments of ``name`` by name, each (value, column): positional first, then any by name."""
        names, required = ARGUMENTS[name]
        got: dict[str, tuple[int, int]] = {}
        if self.peek()[1] != "(":
            raise DeriveError(f"architecture: {name} needs its {' and '.join(names[:required])}, as "
                              f"{_EXAMPLES[name]} (column {col})")
        self.at += 1
        positional, named = 0, False
        while True:
            tok = self.peek()
            if tok[0] == "name" and self.at + 1 < len(self.toks) and self.toks[self.at + 1][1] == "=":
                key, named = tok[1].lower(), True
                if key not in names:
                    raise DeriveError(f"architecture: {name} has no argument {tok[1]!r} (column {tok[2]}; its "
                                      f"arguments: {', '.join(names)})")
                if key in got:
                    raise DeriveError(f"architecture: {name}'s {key} is given twice (column {tok[2]})")
                self.at += 2
            elif named and tok[0] == "int":
                raise DeriveError(f"architecture: a positional argument after one by name at column {tok[2]}")
            elif positional >= len(names) and tok[0] == "int":
                raise DeriveError(f"architecture: too many arguments for {name} at column {tok[2]} (its "
                                  f"arguments: {', '.join(names)})")
            else:
                key, positional = names[min(positional, len(names) - 1)], positional + 1
            what = "the width of dense" if name == "dense" else f"{name}'s {key}"
            _, digits, at = self.take("int", what)
            got[key] = (int(digits), at)
            if self.peek()[1] != ",":
                break
            self.at += 1
        self.take(")", "')'")
        missing = [k for k in names[:required] if k not in got]
        if missing:
            raise DeriveError(f"architecture: {name} at column {col} needs its {' and '.join(missing)}, as "
                              f"{_EXAMPLES[name]}")
        return got

    def item(self, last: int) -> int:
        _, name, col = self.take("name", "a layer kind")
        low = name.lower()
        if low in BLOCKS:
            return self.block(low, last, col)
        if low in INPUT_ITEMS:
            raise DeriveError(f"architecture: {low}(...) at column {col} says what the input is: write it first")
        if low not in NAMES:
            raise DeriveError(f"architecture: unknown layer kind {name!r} at column {col} (known: "
                              f"{', '.join(NAMES + BLOCKS)}){did_you_mean(low, NAMES + BLOCKS)}")
        form, shape = self.form_of(last), self.shape(last)
        if low == "flatten":
            return self.flatten(last, col)
        if low in ARGUMENTS:
            if low in READS_FORM and form != READS_FORM[low]:
                raise self.misread(low, col, READS_FORM[low], form)
            args = self.arguments(low, col)
            if low == "dense":
                if form in ("signal", "image"):
                    raise DeriveError(f"architecture: dense at column {col} reads {FORM_WORDS[form]}: write "
                                      f"flatten, dense(H) to read all of its entries")
                width = self.size(args, "width", "dense", MAX_WIDTH)
                if form == "sequence":  # the same dense layer at every step
                    return self.add("temporal_dense", (last,), width, (shape[0], width), form)
                return self.add("dense", (last,), width)
            if low in RECURRENT:
                width = self.size(args, "width", low, MAX_WIDTH)
                return self.add(low, (last,), width, (shape[0], width), form)
            if low in CONVOLUTIONS:
                return self.convolution(low, last, col, args)
            return self.pooling(low, last, col, args)
        if self.peek()[1] == "(":
            self.at += 1
            _, digits, wcol = self.take("int", f"the width of {low}")
            self.take(")", "')'")
            raise DeriveError(f"architecture: {low} keeps its input's width; only dense takes one (column {wcol})")
        if low in ELEMENTWISE:
            return self.add(ACTIVATION_OVER[form].format(low), (last,), self.width(last), shape, form)
        if form != "features":
            raise self.misread(low, col, "features", form)
        return self.add(low, (last,), self.width(last))

    @staticmethod
    def misread(name: str, col: int, wants: str, form: str) -> DeriveError:
        """The error of a kind given a tensor of another form, with the way out where there is one."""
        hint = ""
        if form == "features" and wants in START:
            hint = f" (start the spec with {START[wants]})"
        elif wants == "features" and form in ("signal", "image"):
            hint = " (write flatten, dense(H) before it)"
        return DeriveError(f"architecture: {name} at column {col} reads {FORM_WORDS[wants]}, but its input is "
                           f"{FORM_WORDS[form]}{hint}")

    @staticmethod
    def size(args: dict, key: str, name: str, high: int, low: int = 1) -> int:
        value, col = args[key]
        if not low <= value <= high:
            if key == "width":
                raise DeriveError(f"architecture: {name}({value}) at column {col}: widths are {low} to {high}")
            raise DeriveError(f"architecture: {name}'s {key} {value} at column {col}: it is {low} to {high}")
        return value

    def flatten(self, last: int, col: int) -> int:
        form = self.form_of(last)
        if form not in ("signal", "image"):
            raise DeriveError(f"architecture: flatten at column {col} reads a signal or an image, but its input is "
                              f"{FORM_WORDS[form]}")
        if self.peek()[1] in (",", "->"):
            self.at += 1
        tok = self.peek()
        if tok[0] != "name" or tok[1].lower() != "dense":
            found = "the end" if tok[0] == "end" else repr(tok[1])
            raise DeriveError(f"architecture: flatten at column {col} is followed by dense(H), found {found} at "
                              f"column {tok[2]}")
        self.at += 1
        width = self.size(self.arguments("dense", tok[2]), "width", "dense", MAX_WIDTH)
        return self.add(DENSE_OVER[form], (last,), width)

    def convolution(self, name: str, last: int, col: int, args: dict) -> int:
        shape = self.shape(last)
        channels = self.size(args, "channels", name, MAX_WIDTH)
        kernel = self.size(args, "kernel", name, MAX_POSITIONS)
        stride = self.size(args, "stride", name, MAX_POSITIONS) if "stride" in args else 1
        pad = self.size(args, "pad", name, kernel // 2, 0) if "pad" in args else 0
        positions = tuple(_out(t, kernel, stride, pad) for t in shape[1:])
        if min(positions) < 1:
            raise DeriveError(f"architecture: {name} at column {col}: a kernel of {kernel} does not fit "
                              f"{' by '.join(map(str, shape[1:]))} positions with pad {pad}")
        return self.add(name, (last,), channels, (channels, *positions), self.form_of(last),
                        (("kernel", kernel), ("stride", stride), ("pad", pad)))

    def pooling(self, name: str, last: int, col: int, args: dict) -> int:
        shape = self.shape(last)
        window = self.size(args, "window", name, MAX_POSITIONS)
        stride = self.size(args, "stride", name, MAX_POSITIONS) if "stride" in args else window
        if window > min(shape[1:]):
            raise DeriveError(f"architecture: {name} at column {col}: a window of {window} does not fit "
                              f"{' by '.join(map(str, shape[1:]))} positions")
        positions = tuple(_out(t, window, stride) for t in shape[1:])
        options = (("window", window), ("stride", stride))
        return self.add(name, (last,), shape[0], (shape[0], *positions), self.form_of(last), options)

    def block(self, name: str, start: int, col: int) -> int:
        if self.form_of(start) != "features":
            raise DeriveError(f"architecture: {name}(...) at column {col} reads a batch of features, but its input "
                              f"is {FORM_WORDS[self.form_of(start)]}")
        self.take("(", f"'(' after {name}")
        self.blocks += 1
        outer, self.current = self.current, self.blocks
        inner = self.sequence(start, ")")
        self.take(")", f"')' closing {name} (opened at column {col})")
        if self.form_of(inner) != "features":
            raise DeriveError(f"architecture: {name}(...) at column {col} ends in {FORM_WORDS[self.form_of(inner)]}: "
                              "a skip joins batches of features")
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


_EXAMPLES = {"dense": "dense(4)", "conv1d": "conv1d(4, 3) (4 channels, 3 taps)", "conv2d": "conv2d(4, 3)",
             "rnn": "rnn(4)", "lstm": "lstm(4)", "gru": "gru(4)"} | {p: f"{p}(2)" for p in POOLINGS}


def parse(spec: str, inputs: int = DEFAULT_INPUTS, unbiased: bool = False) -> Architecture:
    """The architecture a spec names, on inputs of ``inputs`` features or channels (one-line ``DeriveError`` if
    malformed)."""
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
    p.start()
    if p.peek()[0] == "end":
        raise DeriveError(f"architecture: {spec.strip()} names the input only; write its layers after it")
    p.sequence(0, "")
    if p.peek()[0] != "end":
        tok = p.peek()
        raise DeriveError(f"architecture: unexpected {tok[1]!r} at column {tok[2]}")
    return Architecture(spec.strip(), inputs, tuple(p.steps), unbiased, p.form, p.positions)


# ---------------------------------------------------------------- numbers

@dataclass(frozen=True)
class NetworkInput:
    """A batch for an architecture, every step's parameters, and the loss coefficients of its output."""

    architecture: Architecture
    x: tuple[tuple, ...]            # m examples by the input's shape (`inputs` features; channels by positions ...)
    params: tuple[dict, ...]        # per step (step.index - 1): name -> numbers (W, b, gamma, beta, epsilon, mask, p;
                                    # a convolution's stride and pad, a pooling's window, a recurrent layer's Wx ...)
    c: tuple[tuple, ...]            # the loss Σ c y + ½ d y² over the last step's output (m by its shape)
    d: tuple[tuple, ...]

    @property
    def m(self) -> int:
        return len(self.x)


def _weights(rng: random.Random, shape: tuple[int, ...], fan_in: int) -> tuple:
    """Uniform weights scaled by 1.5/√(fan in), as ``dense_parameters``' (a deep stack's entries stay moderate)."""
    scale = 1.5 / fan_in ** 0.5
    return tensor(rng, shape, -scale, scale)


def _recurrent(rng: random.Random, step: Step, D: int, m: int) -> dict:
    """A recurrent layer's Wx (D by gates H), Wh (H by gates H, 0.9/√H: the states stay off tanh's flat ends), its
    biases (gates H; a GRU's two) and h0 (m by H), in the ranges ``layer_inputs`` draws one layer's."""
    H = step.width
    G = {"rnn": 1, "lstm": 4, "gru": 3}[step.kind] * H
    out = {"Wx": tensor(rng, (D, G), -1 / D ** 0.5, 1 / D ** 0.5),
           "Wh": tensor(rng, (H, G), -0.9 / H ** 0.5, 0.9 / H ** 0.5)}
    biases = ("bx", "bh") if step.kind == "gru" else ("b",)
    out |= {name: tensor(rng, (G,), -0.5, 0.5) for name in biases}
    return out | {"h0": tensor(rng, (m, H), -1, 1)}


def _params(rng: random.Random, step: Step, shape: tuple[int, ...], m: int) -> dict:
    """A step's parameters, drawn as one layer's are (``layer_inputs``): the same ranges, the same order. ``shape``:
    the sizes of what it reads, after the example axis."""
    options = dict(step.options)
    if step.kind in ("dense", "projection"):
        return dense_parameters(rng, shape[0], step.width, bias=step.kind == "dense")
    if step.kind == "temporal_dense":
        return dense_parameters(rng, shape[-1], step.width)
    if step.kind in ("dense1d", "dense2d"):  # a row of W per channel and position
        return {"W": _weights(rng, (*shape, step.width), math.prod(shape)), "b": tensor(rng, (step.width,), -0.5, 0.5)}
    if step.kind in CONVOLUTIONS:
        taps = step.taps
        return {"W": _weights(rng, (step.width, shape[0], *taps), shape[0] * math.prod(taps)),
                "b": tensor(rng, (step.width,), -0.5, 0.5), "stride": options["stride"], "pad": options["pad"]}
    if step.kind in POOLINGS:
        return {"window": options["window"], "stride": options["stride"]} | (
            {"window2": options["window"]} if step.form == "image" else {})
    if step.kind in RECURRENT:
        return _recurrent(rng, step, shape[-1], m)
    if step.kind in ("batchnorm", "layernorm"):
        return normalisation_parameters(rng, step.width)
    if step.kind == "dropout":
        return dropout_parameters(rng, m, step.width)
    return {}


def _batch(rng: random.Random, m: int, shape: tuple[int, ...], low: float, high: float) -> tuple:
    """m examples of ``shape`` (a matrix for a batch of features, as ``grid`` draws it)."""
    return grid(rng, m, shape[0], low, high) if len(shape) == 1 else tensor(rng, (m, *shape), low, high)


def draw(arch: Architecture, m: int = 4, seed: int = 0) -> NetworkInput:
    """A deterministic random batch of m examples (``random.Random(seed)``) and parameters for ``arch``."""
    if not isinstance(m, int) or not 2 <= m <= MAX_WIDTH:
        raise DeriveError(f"a network's batch needs 2 to {MAX_WIDTH} examples, got {m!r}")
    rng = random.Random(seed)
    x = _batch(rng, m, arch.input_shape, -2, 2)
    params = tuple(_params(rng, s, arch.shape_of(s.reads[0]), m) for s in arch.steps)
    out = arch.steps[-1].dims
    c, d = _batch(rng, m, out, -1, 1), _batch(rng, m, out, 0.2, 1)
    return NetworkInput(arch, x, params, c, d)


def _entries(values) -> list:
    """The entries of nested tuples (or lists), in order."""
    return [e for v in values for e in _entries(v)] if isinstance(values, list | tuple) else [values]


def loss(c, d, y):
    """ℓ(y) = Σ (c y + ½ d y²) over every entry of an output y (m by its shape), on numbers or a tape's nodes."""
    terms = [cv * v + dv * v * v / 2 for cv, dv, v in zip(_entries(c), _entries(d), _entries(y))]
    return sum(terms[1:], terms[0])
