"""An architecture's document as strings: the layers, how the gradient passes between them (the fan-out sums),
each kind's backward equations once, verification. The templates (``architecture.md.j2``, ``.tex.j2``) hold the
prose; every formula comes from ``kind_doc``'s lines, printed by ``kind_printing``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from .arch_backward import ArchDerivation
from .arch_verification import ArchReport
from .doc import shown_error
from .errors import DeriveError
from .kind_doc import BackLine, backward_lines, closed_lines, forward_lines
from .kind_printing import adjoint_latex, latex


@dataclass(frozen=True)
class StepRow:
    index: int
    kind: str
    reads: str         # "the input" or "step 3" (and "step 1" for a join's skip)
    widths: str        # "3 → 4"
    upstream: str      # where its output's gradient comes from
    block: int


@dataclass(frozen=True)
class KindSection:
    kind: str
    description: str
    steps: str         # "steps 1, 3 and 7"
    source: str
    forward: tuple
    backward: tuple[BackLine, ...]
    closed: tuple


@dataclass(frozen=True)
class ArchDocument:
    title: str
    spec: str
    inputs: int
    steps: tuple[StepRow, ...]
    kinds: tuple[KindSection, ...]
    verification: tuple    # (check, kind, gradient, step, error shown, ok)
    verified: bool
    batches: str
    command: str


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _read(index: int) -> str:
    return "the input" if index == 0 else f"step {index}"


def build(ad: ArchDerivation, report: ArchReport, command: str) -> ArchDocument:
    arch = ad.architecture
    rows = []
    for s in ad.steps:
        d = s.derivation
        upstream = (["the loss"] if not s.readers else
                    [f"${adjoint_latex(name, '', ad.steps[r - 1].derivation.letters)}$ of step {r}"
                     for r, name in s.readers])
        rows.append(StepRow(s.step.index, d.kind.name, _words([_read(r) for r in s.step.reads]),
                            f"{arch.width_of(s.step.reads[0])} → {s.step.width}", " + ".join(upstream),
                            s.step.block))
    sections = []
    for name, d in ad.kinds().items():
        used = [f"{s.step.index}" for s in ad.steps if s.kind.name == name]
        sections.append(KindSection(name, d.kind.description, ("step " if len(used) == 1 else "steps ") + _words(used),
                                    d.letters.cite, forward_lines(d), backward_lines(d), closed_lines(d)))
    kinds = ad.kinds()
    def written(check: str, kind: str, q: str) -> str:
        d = kinds[kind]
        node = d.kind.node(q)
        return latex(node.entry, d.letters) if check == "forward" else adjoint_latex(q, node.axes, d.letters)
    checks = tuple((check, kind, written(check, kind, q), step, shown_error(e), e <= report.tolerance)
                   for (check, kind, q), (e, step) in report.errors.items())
    return ArchDocument(f"Backpropagation through {arch.spec}", arch.spec, arch.inputs, tuple(rows),
                        tuple(sections), checks, report.ok, ", ".join(map(str, report.batches)), command)


def document(ad: ArchDerivation, fmt: str = "md", trials: int = 3, regenerate: str = "",
             report: ArchReport | None = None) -> str:
    """The verified document of an architecture's derivation; nothing is returned if verification fails."""
    from .arch_verification import verify_architecture
    from .render import ARCH_FORMATS, render
    report = verify_architecture(ad, trials=trials) if report is None else report
    if not report.ok:
        raise DeriveError(f"verification failed, no document written:\n{report.text()}")
    regenerate = regenerate or command(ad)
    return render(build(ad, report, regenerate), fmt, regenerate, ARCH_FORMATS)


def command(ad: ArchDerivation, fmt: str | None = None, out: str | None = None) -> str:
    """How to regenerate an architecture's document."""
    arch = ad.architecture
    words = ["doc", "--architecture", arch.spec, "--inputs", str(arch.inputs)]
    words += ["--unbiased"] if arch.unbiased else []
    words += (["--format", fmt] if fmt else []) + (["-o", out] if out else [])
    return " ".join(shlex.quote(w) for w in words)
