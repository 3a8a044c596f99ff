"""One layer kind's document as strings: set-up, forward pass, the chain rule path by path, the closed form,
verification. The templates (``layer.md.j2``, ``layer.tex.j2``) hold the prose; every formula comes from here,
printed in the source's letters by ``kind_printing``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

import sympy as sp

from .backward import KindDerivation, Term
from .doc import shown_error
from .errors import DeriveError
from .kind_printing import KindPrinter, adjoint_latex, free_indices, latex
from .kind_verification import KindReport
from .layers.graph import AXES, BOUND, Letters


@dataclass(frozen=True)
class Path:
    """One term of an adjoint's chain rule: the quantity it passes through, and the term."""

    via: str          # the quantity's symbol (an entry)
    term: str
    summed: str       # "" or the sum's range in words


@dataclass(frozen=True)
class BackLine:
    of: str           # the quantity's meaning in words
    lhs: str
    rhs: str
    paths: tuple[Path, ...]

    @property
    def tex_rhs(self) -> str:
        """The right side for an align environment: a long one broken before each path after the first, the
        continuation lines unnumbered (an LSTM's stacked gates' four paths do not fit a page's width)."""
        if len(_VISIBLE.sub("", self.rhs)) <= WIDE or len(self.paths) < 2:
            return self.rhs
        return r" \nonumber \\ &\quad + ".join(p.term for p in self.paths)


WIDE = 80  # the letters and signs (commands and braces left out) beyond which a line of several paths is broken
_VISIBLE = re.compile(r"\\[A-Za-z]+|[{}_^ ]")


@dataclass(frozen=True)
class KindDocument:
    title: str
    kind: str
    description: str
    source: str
    notation: tuple            # (symbol, meaning, shape)
    forward: tuple             # (lhs, rhs)
    backward: tuple[BackLine, ...]
    closed: tuple              # (lhs, rhs, why, equal, identity)
    verification: tuple        # (check, quantity, error shown, ok)
    verified: bool
    sizes: str
    command: str


def _size_word(letters: Letters, axes: str) -> str:
    sizes = [letters.sizes[a] for a in axes]  # a sum of sizes in a product, (n_a + n_x), in parentheses
    return r" \times ".join(f"({s})" if "+" in s and len(sizes) > 1 else s for s in sizes) if axes else "1"


def term_latex(term: Term, letters: Letters, lhs) -> str:
    """∂ℓ/∂c · ∂c/∂v, under Σ where c has axes v lacks, as a source writes it (the factors kept apart)."""
    if term.own or term.pick:  # a read elsewhere on the axis or a delta summed away: the term as the source writes it
        return latex(term.expr, letters, lhs)
    adjoint, partial = term.adjoint, term.partial
    for axis in term.summed:
        swap = {AXES[axis][0]: BOUND[axis]}
        adjoint, partial = adjoint.xreplace(swap), partial.xreplace(swap)
    free = free_indices(lhs)
    p = KindPrinter(letters, free)
    factor = p.doprint(partial)
    if partial == 1:
        body = p.doprint(adjoint)
    else:
        factor = rf"\left({factor}\right)" if isinstance(partial, sp.Add) or factor.startswith("-") else factor
        body = p.doprint(adjoint) + r" \cdot " + factor
    for axis in term.summed:
        body = rf"\sum_{{{p.index_letter(BOUND[axis])}=1}}^{{{letters.sizes[axis]}}} " + body
    return body


def notation(d: KindDerivation) -> list:
    """(symbol, meaning, size) of every quantity, constant and the upstream gradient."""
    kind, letters = d.kind, d.letters
    out = [(latex(n.entry, letters), n.why, _size_word(letters, n.axes)) for n in kind.nodes + kind.given]
    out += [(latex(c, letters), kind.meanings.get(c.name, "a constant"), "1") for c in kind.constants]
    out.append((adjoint_latex(kind.output, kind.node(kind.output).axes, letters),
                "the upstream gradient, from any scalar loss", _size_word(letters, kind.node(kind.output).axes)))
    return out


def forward_lines(d: KindDerivation) -> tuple:
    """(lhs, rhs) of each computed quantity's forward formula."""
    return tuple((latex(n.entry, d.letters, n.forward), latex(n.forward, d.letters, n.entry))
                 for n in d.kind.nodes if n.forward is not None)


def backward_lines(d: KindDerivation) -> tuple[BackLine, ...]:
    """Each adjoint's chain rule, path by path."""
    sym = {n.name: latex(n.entry, d.letters) for n in d.kind.nodes}
    out = []
    for eq in d.equations:
        terms = tuple(Path(sym[t.via], term_latex(t, d.letters, eq.lhs), t.summed) for t in eq.terms)
        out.append(BackLine(d.kind.node(eq.of).why, latex(eq.lhs, d.letters, eq.rhs),
                            " + ".join(t.term for t in terms), terms))
    return tuple(out)


def closed_lines(d: KindDerivation) -> tuple:
    """(lhs, rhs, why, shown equal, the identities used, where it holds) of each closed form."""
    letters = d.letters
    return tuple((latex(c.lhs, letters, c.form.rhs), latex(c.form.rhs, letters, c.lhs), c.form.source, c.equal,
                  "; ".join(f"${latex(i.lhs, letters, i.rhs)} = {latex(i.rhs, letters, i.lhs)}$ ({i.why})"
                            for i in c.form.identities),
                  ", ".join(f"{latex(k, letters)} = {latex(v, letters)}" for k, v in c.form.when.items()))
                 for c in d.closed)


def sizes_words(d: KindDerivation, report: KindReport) -> str:
    """The inputs' sizes in words: (m, D) pairs, and a convolution's or a pooling's positions, kernel or window
    and (stride, pad)."""
    from .layer_inputs import DRAWS, RECURRENT, STEPS, spatial_shape
    pairs = ", ".join(f"({m}, {n})" for m, n in report.sizes)
    if d.kind.name in RECURRENT:  # H = D + 1 hidden units (D + 2 for deeplearning.ai's LSTM)
        hidden = DRAWS[d.kind.name].axis(3, 0)  # type: ignore[misc]  # the draws' H less D
        return pairs + f" (examples, features), {STEPS} steps and H = D + {hidden} hidden units"
    if not report.geometry:
        return pairs + " (examples, features)"
    positions, taps = (" by ".join(map(str, sizes)) for sizes in spatial_shape(d.kind.name))
    kernel = "a kernel of" if "W" in d.kind.inputs else "windows of"
    where = "; ".join("the closed form on the inputs where " + ", ".join(f"{k} = {v}" for k, v in c.form.when.items())
                      for c in d.closed if c.form.when)
    return (f"{pairs} (examples, channels), {positions} positions and {kernel} {taps} taps, "
            + report.geometry_text() + (f" ({where})" if where else ""))


def build(d: KindDerivation, report: KindReport, command: str) -> KindDocument:
    kind, letters = d.kind, d.letters
    rows = tuple((check, adjoint_latex(q, kind.node(q).axes, letters), shown_error(e), e <= report.tolerance)
                 for (check, q), e in report.errors.items())
    return KindDocument(
        f"Backpropagation through {kind.description}" + (" with the n - 1 variance" if d.unbiased else ""),
        kind.name, kind.description, letters.cite,
        tuple(notation(d)), forward_lines(d), backward_lines(d), closed_lines(d), rows, report.ok,
        sizes_words(d, report), command)


def document(d, fmt: str = "md", trials: int = 3, regenerate: str = "", report: KindReport | None = None) -> str:
    """The verified document of one layer's derivation; nothing is returned if verification fails. ``report``: its
    verification, when the caller has it already (the gallery writes each derivation in two formats)."""
    from .kind_verification import verify_kind
    from .render import LAYER_FORMATS, render
    report = verify_kind(d, trials=trials) if report is None else report
    if not report.ok:
        raise DeriveError(f"verification failed, no document written:\n{report.text()}")
    regenerate = regenerate or command(d)
    return render(build(d, report, regenerate), fmt, regenerate, LAYER_FORMATS)


def command(d, fmt: str | None = None, out: str | None = None, notation: str | None = None) -> str:
    """How to regenerate a layer's document: its kind, letters (``notation``: the notation file it was read from),
    variance, format and file."""
    words = ["doc", "--layer", d.kind.name, "--convention", notation or d.letters.source] + \
        (["--unbiased"] if d.unbiased else [])
    words += (["--format", fmt] if fmt else []) + (["-o", out] if out else [])
    return " ".join(shlex.quote(w) for w in words)
