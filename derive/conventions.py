"""Conventions as data: the Convention record, the shipped presets with their sources, user conventions.

A convention fixes everything a source's backprop formulas depend on besides the math: which layer a weight
matrix is named after, how the bias enters, what delta is the gradient of, the layout of a batch, where the
1/m sits, and the symbols. Nothing downstream branches on a convention's name: it reads these fields.

Layer numbering. Layers are numbered from ``input_layer`` (the input x) up to L (the output). The weight
matrix that produces layer l's pre-activation is named with index ``l + weight_offset``: Nielsen's w^l
(offset 0) is Ng's Theta^(l-1) (offset -1).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DeriveError, lookup
from .files import read_toml
from .schema import Choice, FieldError, Integer, Latex, Letters, Number, Text, check_record, kind_of

LAYOUTS = {
    "column": "one example as a column vector; batch gradients sum per-example ones",
    "column_batch": "examples are the m columns of A (n_l x m)",
    "row_batch": "examples are the N rows of A (N x n_l); W is n_{l-1} x n_l",
}
BIASES = {"vector": "a separate vector b added to z", "unit": "a bias unit a_0 = 1 prepended to a",
          "none": "no bias"}
LAYER_STYLES = {"plain": "{%s}", "paren": "{(%s)}", "bracket": "{[%s]}"}
# the order of a weight's two subscripts in component formulas (read in column layouts, where W is n_l x n_{l-1})
WEIGHT_INDICES = {"to_from": "w_{jk} connects unit k of the layer below to unit j (the matrix's row, column)",
                  "from_to": "w_{ij} connects unit i of the layer below to unit j (the matrix's column, row)"}
SCALES = {"example": "of one example's loss", "cost": "of the reduced cost (with the 1/m)"}


@dataclass(frozen=True)
class Notation:
    """How a source writes things, as LaTeX. ``@`` in a name stands for the layer superscript."""

    weight: str = "W"
    bias: str = "b"
    pre: str = "z"            # pre-activation
    act: str = "a"            # post-activation (a^L is the output)
    input: str = "x"
    output: str | None = None  # how the network's output a^L is written, if not as the activation at L
    target: str = "y"
    sigma: str = r"\sigma"    # the activation function's letter
    cost: str = "C"
    loss: str = r"\mathcal{L}"  # in a batch layout: the examples' losses summed, without the cost's 1/m
    delta: str = r"\delta^@"  # the gradient with respect to the pre-activation
    grad_act: str = r"\frac{\partial C}{\partial a^@}"
    grad_weight: str = r"\frac{\partial C}{\partial W^@}"
    grad_bias: str = r"\frac{\partial C}{\partial b^@}"
    layer: str = "plain"      # plain l, paren (l), bracket [l]
    hadamard: str = r"\odot"
    transpose: str = "T"      # T, \top or \mathsf{T}
    prime: str = "'"          # how f' is written
    batch: str = "m"          # the number of examples
    width: str = "n"          # layer widths n_l
    # the examples' weight gradients summed, without the L2 penalty, where a source names it (Ng's Delta^(l),
    # built as Delta := Delta + delta^(l+1) (a^(l))^T over the examples); None where the source has none
    accumulator: str | None = None
    unit_letters: tuple = ()  # Bishop: the index letter names the layer (i input, j hidden, k output)

    def __post_init__(self) -> None:
        check_record(self, NOTATION_TYPES, "notation.")


@dataclass(frozen=True)
class Convention:
    """One source's conventions for writing a fully connected network and its gradients."""

    name: str
    source: str
    layout: str = "column"
    input_layer: int = 1      # index of the input layer x
    weight_offset: int = 0    # z at layer l uses the weight named l + weight_offset
    bias: str = "vector"
    bias_offset: int = 0      # ... and the bias vector named l + bias_offset (UFLDL: b^(l) feeds layer l+1)
    delta_of: str = "example"  # delta is the gradient of one example's loss, or of the reduced cost
    grad_of: str = "example"   # the weight gradients are of one example's loss, or of the reduced cost
    reduction: str = "mean"    # how examples combine into the cost (see losses.REDUCTIONS)
    l2: float = 0.0            # lambda: cost += (lambda/2) * scale * sum of squared weights, biases excluded
    delta_wrt: str = "z"       # what delta differentiates with respect to: z (pre-activation) or a
    # 1: delta is dE/dz; -1: delta is -dE/dz (Haykin's local gradient, Mitchell's and the delta rule's delta, whose
    # output delta is (t - o) sigma'); read by the checker, while derivations are written with 1
    delta_sign: int = 1
    weight_indices: str = "to_from"  # w_{jk} in components: to unit j from unit k (Nielsen), or from_to
    notation: Notation = field(default_factory=Notation)

    def __post_init__(self) -> None:
        check_fields(self)
        from .losses import reduction
        reduction(self.reduction)
        if self.delta_sign == 0:
            raise FieldError("delta_sign", "must be 1 (delta is dE/dz) or -1 (delta is -dE/dz), not 0")
        if self.delta_sign == -1 and self.delta_wrt != "z":
            raise FieldError("delta_sign", "-1 (delta is -dE/dz) is for delta_wrt = 'z'")
        if self.bias == "unit" and self.layout != "column":
            raise DeriveError(f"convention {self.name!r}: a bias unit is supported with layout 'column' only")

    def weight_index(self, layer):
        """The index a source writes on the weight matrix that feeds ``layer``."""
        return layer + self.weight_offset

    def objective(self, scale: str) -> str:
        """What a derivative's numerator writes for a quantity of ``scale`` (SCALES): the cost, or, in a batch
        layout, the examples' losses summed (dls: dZ = dL/dZ, dW = dJ/dW, J = L/m). Where every formula is
        about one example (layout column) the cost's letter names that example's cost, as Nielsen's C does."""
        return self.notation.loss if scale == "example" and self.layout != "column" else self.notation.cost

    def bias_index(self, layer):
        """The index a source writes on the bias vector that feeds ``layer``."""
        return layer + self.bias_offset

    def offset(self, kind: str) -> int:
        """How far the index a source writes on a quantity of ``kind`` is from the layer it feeds: the weight's
        offset for a weight or its gradient, the bias's for a bias or its gradient, else 0."""
        return {"W": self.weight_offset, "grad_weight": self.weight_offset, "accumulated": self.weight_offset,
                "b": self.bias_offset,
                "grad_bias": self.bias_offset}.get(kind, 0)

    def sup(self, layer) -> str:
        """The layer superscript as the source writes it: l, (l) or [l]."""
        return LAYER_STYLES[self.notation.layer] % layer


# What each field may hold (derive/schema.py). A value read from a file is checked here before any use: symbol
# names become SymPy Symbol names and LaTeX, never expressions to parse.
_SYMBOL = Latex()
_SYMBOLS = ("weight", "bias", "pre", "act", "input", "target", "sigma", "cost", "loss", "delta", "grad_act",
            "grad_weight", "grad_bias", "hadamard", "transpose", "prime", "batch", "width")
NOTATION_TYPES: dict[str, Latex | Choice | Letters] = {f: _SYMBOL for f in _SYMBOLS}
NOTATION_TYPES |= {"output": Latex(optional=True), "accumulator": Latex(optional=True),
                   "layer": Choice(tuple(LAYER_STYLES)), "unit_letters": Letters()}
CONVENTION_TYPES = {
    "name": Text(80), "source": Text(300),
    "layout": Choice(tuple(LAYOUTS)), "bias": Choice(tuple(BIASES)),
    "input_layer": Integer(0, 9), "weight_offset": Integer(-9, 9), "bias_offset": Integer(-9, 9),
    "delta_of": Choice(tuple(SCALES)), "grad_of": Choice(tuple(SCALES)),
    "reduction": Text(40),  # checked against losses.REDUCTIONS, with a suggestion, in __post_init__
    "l2": Number(0.0, 1e6), "delta_wrt": Choice(("z", "a")),
    "delta_sign": Integer(-1, 1), "weight_indices": Choice(tuple(WEIGHT_INDICES)),
}
MAX_BASE_DEPTH = 8  # base = "other.toml" chains; a cycle or a longer chain is refused


def check_fields(conv: Convention) -> None:
    """Check every field's type and value; the notation must be a Notation record (checked when built)."""
    check_record(conv, CONVENTION_TYPES)
    if not isinstance(conv.notation, Notation):
        raise FieldError("notation", f"expected a table of symbols, got {type(conv.notation).__name__}")



_N = Notation
# Each preset is defined as its source defines it; section numbers cite where.
PRESETS: dict[str, Convention] = {c.name: c for c in [
    # Nielsen, Neural Networks and Deep Learning, ch. 2: z^l = w^l a^{l-1} + b^l, a^l = sigma(z^l),
    # w^l_{jk} from neuron k in layer l-1 to neuron j in layer l; delta^l = dC/dz^l; C per example x.
    Convention("nielsen", "Nielsen, Neural Networks and Deep Learning, ch. 2 (eqs. BP1-BP4)",
               notation=_N(weight="w", grad_weight=r"\frac{\partial C}{\partial w^@}")),
    # Wikipedia, "Backpropagation", matrix multiplication section: input a^0 = x, W^l from layer l-1 to l,
    # no biases, f^l the activation, (f^l)' at z^l, o Hadamard; delta^l the gradient at layer l's inputs.
    Convention("wikipedia", "Wikipedia, \"Backpropagation\", section Matrix multiplication",
               input_layer=0, bias="none",
               notation=_N(sigma="f", hadamard=r"\circ",
                           grad_act=r"\nabla_{a^@} C", grad_weight=r"\nabla_{W^@} C",
                           grad_bias=r"\nabla_{b^@} C")),
    # Ng, Coursera Machine Learning, lecture 9 and ex4: a^(1) = x; Theta^(l) is s_{l+1} x (s_l + 1) and maps
    # layer l to l+1; a^(l) gets a bias unit a_0 = 1; z^(l+1) = Theta^(l) a^(l); g the activation;
    # delta^(l) = dJ/dz^(l) per example (l >= 2), the bias component dropped (delta(2:end));
    # Delta^(l) += delta^(l+1) (a^(l))^T, D^(l) = Delta^(l)/m + (lambda/m) Theta^(l) for j >= 1.
    Convention("ng", "Ng, Coursera Machine Learning, lecture 9 and ex4 (backpropagation algorithm)",
               weight_offset=-1, bias="unit", grad_of="cost",
               notation=_N(weight=r"\Theta", sigma="g", cost="J", layer="paren", hadamard=".*",
                           grad_act=r"\frac{\partial J}{\partial a^@}", grad_weight=r"D^@",
                           grad_bias=r"D^@_{:,0}", width="s", accumulator=r"\Delta^@")),
    # Ng et al., UFLDL tutorial "Multi-Layer Neural Network" and "Backpropagation Algorithm" (the CS294A sparse
    # autoencoder notes): a^(1) = x; z^(l+1) = W^(l) a^(l) + b^(l), so W^(l) and b^(l) both feed layer l+1;
    # a^(l+1) = f(z^(l+1)); J(W,b;x,y) = 1/2 ||h - y||^2 per example; delta^(l) = dJ/dz^(l);
    # grad_{W^(l)} J = delta^(l+1) (a^(l))^T, grad_{b^(l)} J = delta^(l+1); "•" the elementwise product.
    Convention("ufldl", "Ng et al., UFLDL tutorial, \"Backpropagation Algorithm\" (CS294A sparse autoencoder notes)",
               weight_offset=-1, bias_offset=-1,
               notation=_N(sigma="f", cost="J", layer="paren", hadamard=r"\bullet",
                           grad_act=r"\frac{\partial J}{\partial a^@}", grad_weight=r"\nabla_{W^@} J",
                           grad_bias=r"\nabla_{b^@} J", width="s")),
    # Goodfellow, Bengio, Courville, Deep Learning, section 6.5.4, algorithm 6.4: h^(0) = x,
    # a^(k) = b^(k) + W^(k) h^(k-1) is the PRE-activation, h^(k) = f(a^(k)); gradients written nabla.
    Convention("goodfellow", "Goodfellow, Bengio, Courville, Deep Learning, sec. 6.5.4, alg. 6.4",
               input_layer=0,
               notation=_N(pre="a", act="h", output=r"\hat{y}", sigma="f", cost="J", layer="paren",
                           delta=r"\nabla_{a^@} J",
                           grad_act=r"\nabla_{h^@} J", grad_weight=r"\nabla_{W^@} J",
                           grad_bias=r"\nabla_{b^@} J")),
    # Bishop, Pattern Recognition and Machine Learning, sec. 5.3.1: a_j = sum_i w_ji z_i is the
    # pre-activation, z_j = h(a_j); w_ji into unit j from unit i; delta_j = dE_n/da_j; biases as z_0 = 1
    # (we keep them as a separate vector b, which is the same parameter); outputs y_k, targets t_k.
    Convention("bishop", "Bishop, Pattern Recognition and Machine Learning, sec. 5.3.1 (eqs. 5.48-5.56)",
               input_layer=0,
               notation=_N(weight="w", pre="a", act="z", output="y", target="t", sigma="h", cost="E_n",
                           unit_letters=("i", "j", "k"),
                           layer="paren", grad_act=r"\frac{\partial E_n}{\partial z^@}",
                           grad_weight=r"\frac{\partial E_n}{\partial w^@}",
                           grad_bias=r"\frac{\partial E_n}{\partial b^@}")),
    # CS231n (Stanford) row-major batch: A^(0) = X is N x D, rows are examples; Z = A W + b, W is
    # n_{l-1} x n_l; L = (1/N) sum_i L_i; softmax probabilities P; dZ includes the 1/N.
    Convention("cs231n", "Stanford CS231n notes (backprop, neural-networks case study), row-major batches",
               layout="row_batch", input_layer=0, delta_of="cost", grad_of="cost",
               notation=_N(pre="Z", act="A", input="X", output="P", target="Y", cost="L", layer="paren",
                           delta=r"dZ^@", grad_act=r"dA^@", grad_weight=r"dW^@", grad_bias=r"db^@",
                           batch="N")),
    # deeplearning.ai Deep Learning Specialization, course 1 week 4: Z^[l] = W^[l] A^[l-1] + b^[l],
    # W^[l] is n^[l] x n^[l-1], the m examples are columns; J = (1/m) sum L; dZ, dA per example stacked
    # (no 1/m); dW = (1/m) dZ A^[l-1]T, db = (1/m) sum over columns of dZ; * elementwise.
    Convention("dls", "deeplearning.ai Deep Learning Specialization, course 1 week 4",
               layout="column_batch", input_layer=0, grad_of="cost",
               notation=_N(pre="Z", act="A", input="X", target="Y", sigma="g", cost="J",
                           layer="bracket", hadamard="*", delta=r"dZ^@", grad_act=r"dA^@",
                           grad_weight=r"dW^@", grad_bias=r"db^@")),
]}


def convention(name: str) -> Convention:
    """A shipped preset by name, or a user convention from a ``.toml`` file path."""
    if not isinstance(name, str):
        raise DeriveError(f"a convention is a preset name or a .toml path, not {kind_of(name)}")
    if name.endswith(".toml"):
        return load_toml(Path(name))
    return lookup(PRESETS, "convention", name)


def from_dict(data: dict, base: Convention | None = None) -> Convention:
    """Build a convention from plain data (e.g. parsed TOML); unknown keys and ill-typed values are an error.

    ``base = "nielsen"`` in the data starts from that preset (or a ``.toml`` path); ``[notation]`` overrides
    symbols. Every value is checked against its field's type (``CONVENTION_TYPES``, ``NOTATION_TYPES``).
    """
    return _build(data, base, None, ())


def _build(data, base: Convention | None, folder: Path | None, chain: tuple) -> Convention:
    if not isinstance(data, dict):
        raise DeriveError(f"a convention is a table of fields, not {kind_of(data)}")
    data = dict(data)
    if "base" in data:
        name = data.pop("base")
        if not isinstance(name, str):
            raise FieldError("base", f"expected a preset name or a .toml path, got {kind_of(name)}")
        base = _base(name, folder, chain) if name.endswith(".toml") else lookup(PRESETS, "convention", name)
    base = base or Convention("custom", "user-defined")
    fields = {f.name for f in dataclasses.fields(Convention)} - {"notation"}
    nfields = {f.name for f in dataclasses.fields(Notation)}
    notation = data.pop("notation", {})
    if not isinstance(notation, dict):
        raise FieldError("notation", f"expected a table ([notation]), got {kind_of(notation)}")
    unknown = sorted(set(data) - fields) + sorted(f"notation.{k}" for k in set(notation) - nfields)
    if unknown:
        raise DeriveError(f"unknown convention field(s): {', '.join(map(str, unknown))}")
    return dataclasses.replace(base, **data, notation=dataclasses.replace(base.notation,
                                                                          **_derived(base.notation, notation)))


# a gradient's symbol that names a quantity's letter (∂C/∂w^@, dW^@): it follows the letter when a file changes only it
DERIVED = (("weight", "grad_weight"), ("bias", "grad_bias"), ("act", "grad_act"))


def _derived(base: Notation, fields: dict) -> dict:
    """``fields`` with each gradient symbol the file leaves as the base's rewritten with the file's letter: a
    convention that writes W where its base writes w also writes ∂C/∂W^@ (the letter as a symbol before ^@ only)."""
    out = dict(fields)
    for letter, gradient in DERIVED:
        new = fields.get(letter)
        if gradient in fields or not isinstance(new, str):
            continue  # stated by the file, or a wrong type that the record's check reports
        old = getattr(base, letter)
        pattern = re.compile(r"(?<![A-Za-z\\])" + re.escape(old) + r"(?=\^@)|(?<=\bd)" + re.escape(old) + r"(?=\^@)")
        out[gradient] = pattern.sub(new.replace("\\", "\\\\"), getattr(base, gradient))  # the letter as written
    return out


def _base(name: str, folder: Path | None, chain: tuple) -> Convention:
    """The convention a ``base = "x.toml"`` names: inside the naming file's folder, no cycles, bounded depth."""
    path = Path(name)
    if folder is not None:  # named by a file: a sibling or below it, so a file cannot reach elsewhere
        if path.is_absolute() or not (folder / path).resolve().is_relative_to(folder.resolve()):
            raise FieldError("base", f"{name!r} must be a .toml file in the folder of the file naming it (or below it)")
        path = folder / path
    if path.resolve() in chain:
        raise FieldError("base", f"{name!r} is a cycle: {' -> '.join(p.name for p in chain)} -> {path.name}")
    if len(chain) >= MAX_BASE_DEPTH:
        raise FieldError("base", f"more than {MAX_BASE_DEPTH} conventions chained by base")
    return load_toml(path, chain)


MAX_FILE_BYTES = 64 * 1024  # a convention is a few lines of TOML


def load_toml(path: Path, _chain: tuple = ()) -> Convention:
    """Read a user convention from a small TOML file (see README); every field is checked before use."""
    path = Path(path)
    text, data = read_toml(path, MAX_FILE_BYTES, purpose="read as a convention", what="convention file ")
    data.setdefault("name", path.stem)
    data.setdefault("source", str(path))
    try:
        return _build(data, None, path.parent, (*_chain, path.resolve()))
    except FieldError as exc:
        where = _line_of(text, exc.field)
        raise DeriveError(f"{path}{f':{where}' if where else ''}: {exc}") from None
    except DeriveError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise DeriveError(f"{path}: {exc}") from None


def _line_of(text: str, field: str) -> int | None:
    """The line where ``field`` (``l2`` or ``notation.width``) is set in a TOML text, for the error message."""
    table, _, key = field.rpartition(".")
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([A-Za-z_]+)\s*\]\s*(#.*)?", stripped)
        if header:
            current = header.group(1)
        elif current == table and re.match(rf"['\"]?{re.escape(key)}['\"]?\s*=", stripped):
            return number
    return None
