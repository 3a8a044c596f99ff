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
    reads: str = ""        # each example in words: "3 features", "2 channels of 8 positions" ...
    sizes: str = "features"  # the step table's column of sizes
    ties: str = ""         # what the verification left out at a max pool's ties, in words
    joins: bool = True     # whether a residual block joins two paths (the fan-out paragraph)


# the input's form in words, from its sizes after the example axis
EXAMPLE_WORDS = {"features": "{0} features", "signal": "{0} channels of {1} positions",
                 "image": "{0} channels of {1} by {2} positions", "sequence": "{0} time steps of {1} features"}


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _read(index: int) -> str:
    return "the input" if index == 0 else f"step {index}"


def _sizes(shape: tuple[int, ...]) -> str:
    return " × ".join(map(str, shape))


def _kind_cell(step) -> str:
    """A step's kind, with a convolution's kernel, stride and padding or a pooling's window and stride."""
    return step.kind + (f" ({', '.join(f'{k} {v}' for k, v in step.options)})" if step.options else "")


def _holds(closed, steps) -> bool:
    """Whether a closed form holds at some step of its kind (a convolution's flipped kernel: stride 1)."""
    return any(all(dict(s.step.options).get(str(k)) == v for k, v in closed.form.when.items()) for s in steps)


def build(ad: ArchDerivation, report: ArchReport, command: str) -> ArchDocument:
    arch = ad.architecture
    rows = []
    for s in ad.steps:
        d = s.derivation
        upstream = (["the loss"] if not s.readers else
                    [f"${adjoint_latex(name, '', ad.steps[r - 1].derivation.letters)}$ of step {r}"
                     for r, name in s.readers])
        rows.append(StepRow(s.step.index, _kind_cell(s.step), _words([_read(r) for r in s.step.reads]),
                            f"{_sizes(arch.shape_of(s.step.reads[0]))} → {_sizes(s.step.dims)}",
                            " + ".join(upstream), s.step.block))
    sections = []
    for name, d in ad.kinds().items():
        steps = [s for s in ad.steps if s.kind.name == name]
        used = [f"{s.step.index}" for s in steps]
        closed = tuple(line for line, c in zip(closed_lines(d), d.closed) if _holds(c, steps))
        sections.append(KindSection(name, d.kind.description, ("step " if len(used) == 1 else "steps ") + _words(used),
                                    d.letters.cite, forward_lines(d), backward_lines(d), closed))
    kinds = ad.kinds()
    def written(check: str, kind: str, q: str) -> str:
        d = kinds[kind]
        node = d.kind.node(q)
        return latex(node.entry, d.letters) if check == "forward" else adjoint_latex(q, node.axes, d.letters)
    checks = tuple((check, kind, written(check, kind, q), step, shown_error(e), e <= report.tolerance)
                   for (check, kind, q), (e, step) in report.errors.items())
    plain = arch.form == "features"
    return ArchDocument(f"Backpropagation through {arch.spec}", arch.spec, arch.inputs, tuple(rows),
                        tuple(sections), checks, report.ok, ", ".join(map(str, report.batches)), command,
                        EXAMPLE_WORDS[arch.form].format(*arch.input_shape),
                        "features" if plain and all(s.form == "features" for s in arch.steps) else "sizes",
                        report.tie_words(), any(s.step.kind == "add" for s in ad.steps))


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
