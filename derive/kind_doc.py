"""One layer kind's document as strings: set-up, forward pass, the chain rule path by path, the closed form,
verification. The templates (``layer.md.j2``, ``layer.tex.j2``) hold the prose; every formula comes from here,
printed in the source's letters by ``kind_printing``.
"""

from __future__ import annotations

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
    return r" \times ".join(letters.sizes[a] for a in axes) if axes else "1"


def term_latex(term: Term, letters: Letters, lhs) -> str:
    """∂ℓ/∂c · ∂c/∂v, under Σ where c has axes v lacks, as a source writes it (the factors kept apart)."""
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


def build(d: KindDerivation, report: KindReport, command: str) -> KindDocument:
    kind, letters = d.kind, d.letters
    sym = {n.name: latex(n.entry, letters) for n in kind.nodes}
    notation = [(sym[n.name], n.why, _size_word(letters, n.axes)) for n in kind.nodes]
    notation += [(latex(c, letters), "a constant", "1") for c in kind.constants]
    notation.append((adjoint_latex(kind.output, kind.node(kind.output).axes, letters),
                     "the upstream gradient, from any scalar loss", _size_word(letters, kind.node(kind.output).axes)))
    forward = tuple((latex(n.entry, letters, n.forward), latex(n.forward, letters, n.entry))
                    for n in kind.nodes if n.forward is not None)
    back = []
    for eq in d.equations:
        node = kind.node(eq.of)
        terms = tuple(Path(sym[t.via], term_latex(t, letters, eq.lhs), t.summed) for t in eq.terms)
        back.append(BackLine(node.why, latex(eq.lhs, letters, eq.rhs), " + ".join(t.term for t in terms), terms))
    closed = tuple((latex(c.lhs, letters, c.form.rhs), latex(c.form.rhs, letters, c.lhs), c.form.source, c.equal,
                    "; ".join(f"${latex(i.lhs, letters)} = {latex(i.rhs, letters)}$ ({i.why})"
                              for i in c.form.identities))
                   for c in d.closed)
    rows = tuple((check, adjoint_latex(q, kind.node(q).axes, letters), shown_error(e), e <= report.tolerance)
                 for (check, q), e in report.errors.items())
    return KindDocument(
        f"Backpropagation through {kind.description}" + (" with the n - 1 variance" if d.unbiased else ""),
        kind.name, kind.description, letters.cite,
        tuple(notation), forward, tuple(back), closed, rows, report.ok,
        ", ".join(f"({m}, {n})" for m, n in report.sizes), command)


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


def command(d, fmt: str | None = None, out: str | None = None) -> str:
    """How to regenerate a layer's document: its kind, letters, variance, format and file."""
    words = ["doc", "--layer", d.kind.name, "--convention", d.letters.source] + (["--unbiased"] if d.unbiased else [])
    words += (["--format", fmt] if fmt else []) + (["-o", out] if out else [])
    return " ".join(shlex.quote(w) for w in words)
