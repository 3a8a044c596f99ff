"""Documents for one problem and the committed gallery in output/.

Each problem is derived and verified once (``Verified`` caches it); a document's "other conventions"
section reuses the verified derivations of the same problem in every preset.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .conventions import PRESETS, Convention
from .errors import DeriveError

PAIRS = [("bce", "sigmoid"), ("cce", "softmax"), ("mse", "identity"), ("mse", "sigmoid")]
HIDDEN = "sigmoid"
# documents with another hidden activation, as their source's network has it: (convention, loss, output, hidden);
# deeplearning.ai course 1 week 4: [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID
OTHER_HIDDEN = (("dls", "bce", "sigmoid", "relu"),)
FORMATS = ("md", "tex")
# the single-layer documents: (kind, whose letters)
LAYER_DOCS = (("batchnorm", "ioffe"), ("batchnorm", "cs231n"), ("layernorm", "ba"), ("layernorm", "cs231n"),
              ("dropout", "cs231n"), ("dense", "cs231n"), ("softmax", "goodfellow"), ("logsoftmax", "goodfellow"),
              ("attention", "vaswani"), ("masked_attention", "dao"), ("embedding", "cs231n"),
              ("conv1d", "cs231n"), ("conv1d", "goodfellow"), ("maxpool1d", "cs231n"), ("avgpool1d", "cs231n"),
              ("conv2d", "cs231n"), ("conv2d", "goodfellow"), ("maxpool2d", "cs231n"), ("avgpool2d", "cs231n"),
              ("rnn", "cs231n"), ("rnn", "goodfellow"), ("lstm", "cs231n"), ("gru", "pytorch"),
              ("lstm_concat", "dls"))
# (file name, spec, input features): the architectures' documents
ARCH_DOCS = (("residual-batchnorm", "dense(4), batchnorm, relu, residual(dense(4), batchnorm, relu), "
              "projected(dense(3), layernorm, tanh), dropout, dense(2), logsoftmax", 3),
             ("conv1d-relu-maxpool", "signal(8), conv1d(4, 3, stride=2, pad=1), relu, maxpool1d(2), flatten, "
              "dense(3), softmax", 2),
             ("rnn-temporal-dense", "sequence(8), rnn(4), dense(3)", 3))


class Verified:
    """Derivations verified once per (convention, loss, output, hidden) and reused."""

    def __init__(self, layers: int = 3, trials: int = 2, seed: int = 0, full: bool = False):
        """``full``: every problem verified with its index form, also where only its vectorized formulas are
        printed (the gallery, where each problem is also a document's own)."""
        self.layers, self.trials, self.seed, self.full = layers, trials, seed, full
        self._done: dict = {}
        self._translated: dict = {}

    def translated(self, formula: str, source, target: str, problem):
        """``derive translate`` of a verified formula, once per (formula, source, target, activations)."""
        from .translate import translate
        key = (formula, source, target, problem.hidden.name)
        if key not in self._translated:
            t = translate(formula, source, target, problem.loss.name, problem.output.name, problem.hidden.name)
            if not (t.source_verdict == t.target_verdict == "holds"):
                raise DeriveError(f"the translation into {target} does not hold: {t.latex}")
            self._translated[key] = t
        return self._translated[key]

    def get(self, conv: str | Convention, loss: str, output: str, hidden: str, components: bool = True):
        """The derivation and its report, verified on the same networks either way; with ``components`` its index
        form too (what a document prints of its own convention). Without, only the vectorized formulas are
        verified: what another convention's row in a document prints. A full verification serves both."""
        from .chain import derive
        from .problem import Problem
        from .verification import verify
        components = components or self.full
        key = (conv, loss, output, hidden)
        done = self._done.get(key)
        if done is None or (components and not done[2]):
            d = derive(Problem.make(conv, loss, output, hidden)) if done is None else done[0]
            report = verify(d, layers=self.layers, trials=self.trials, seed=self.seed, components=components)
            if not report.ok:
                raise DeriveError(f"verification failed, no document written:\n{report.text()}")
            self._done[key] = done = (d, report, components)
        return done[:2]


def document(conv: str | Convention, loss: str, output: str, hidden: str, cache: Verified):
    """The Document for one problem, with the same result in every shipped convention."""
    from .doc import build
    from .printing import NotationPrinter
    from .symbols import l
    d, report = cache.get(conv, loss, output, hidden)
    # the other conventions' rows print their vectorized weight gradient: verified, without their index form
    others = {name: cache.get(name, loss, output, hidden, components=False)[0] for name in PRESETS}
    if d.problem.convention.name not in others:
        others[d.problem.convention.name] = d
    # the recursion as this document prints it, translated into every other convention and checked there
    tex = NotationPrinter(d.problem.convention).doprint
    recursion = f"{tex(d.layer.delta(l))} = {tex(d.delta)}"
    translations = {name: (recursion if name == d.problem.convention.name else
                           cache.translated(recursion, d.problem.convention, name, d.problem).latex)
                    for name in others}
    return build(d, report, others, translations)


def picture_svg(doc) -> str:
    """A document's picture as the SVG file its Markdown shows (``![...](NAME.svg)``), carrying derive's mark."""
    from .picture import svg
    from .render import MARK
    return svg(doc.picture, f"{MARK}: edits here are overwritten; written with the Markdown document of the same name")


def picture_path(markdown: Path) -> Path:
    """Where a Markdown document's picture goes: beside it, with the same name (notes.md: notes.svg)."""
    return markdown.with_suffix(".svg")


def write_gallery(out: Path, progress=None, force: bool = False) -> list[Path]:
    """Write every preset x PAIRS document in md and tex, and output/README.md; returns the paths.

    The gallery is written whole into a hidden sibling folder, then swapped in (``files.write_folder``): a run
    that fails or is interrupted leaves ``out`` as it was. An existing ``out`` may hold only files derive
    generated (with ``force``, also foreign files at the gallery's own paths); anything else is refused before
    any work. Killed by a signal inside the swap itself (two renames, microseconds apart), ``out`` is missing
    and the previous gallery is complete in ``.NAME.PID-XXXXXXXX.old`` beside it; the next ``write_gallery``
    renames it back first. Any other kill leaves ``out`` either untouched or wholly new, and maybe a hidden
    sibling folder that the next run removes.
    """
    from .files import write_folder
    from .render import MARK, environment, render, write
    from .table import render as table
    jobs = [(name, loss, act, HIDDEN, f"{loss}-{act}") for name in PRESETS for loss, act in PAIRS]
    jobs += [(name, loss, act, hidden, f"{loss}-{act}-{hidden}") for name, loss, act, hidden in OTHER_HIDDEN]
    planned = [f"{job[0]}/{job[4]}.{fmt}" for job in jobs for fmt in (*FORMATS, "svg")] + ["README.md"]
    planned += [f"layers/{kind}-{letters}.{fmt}" for kind, letters in LAYER_DOCS for fmt in FORMATS]
    planned += [f"architectures/{name}.{fmt}" for name, _, _ in ARCH_DOCS for fmt in FORMATS]

    def fill(folder: Path) -> None:
        cache = Verified(full=True)
        for n, (name, loss, act, hidden, stem) in enumerate(jobs, start=1):
            if progress:
                progress(f"[{n}/{len(jobs)}] {name}: {loss} + {act}" + ("" if hidden == HIDDEN else f", {hidden}"))
            doc = document(name, loss, act, hidden, cache)
            (folder / name).mkdir(exist_ok=True)
            write(folder / name / f"{stem}.svg", picture_svg(doc))  # the Markdown's picture, beside it
            for fmt in FORMATS:
                write(folder / name / f"{stem}.{fmt}",
                      render(doc, fmt, "gallery", picture=f"{stem}.svg" if fmt == "md" else None))
        cites = write_layers(folder, progress)
        architectures = write_architectures(folder, progress)
        index = environment().get_template("gallery.md.j2").render(
            presets=PRESETS, pairs=PAIRS, hidden=HIDDEN, other_hidden=OTHER_HIDDEN, layers=cache.layers,
            trials=cache.trials,
            layer_docs=cites, architectures=architectures,
            table=table(PRESETS["nielsen"], "md"),
            marker="<!-- generated by derive: regenerate with `derive gallery` -->")
        write(folder / "README.md", index.rstrip("\n") + "\n")

    write_folder(out, fill, mark=MARK, planned=planned, force=force)
    return [Path(out) / rel for rel in planned]


def write_architectures(folder: Path, progress=None) -> list[tuple[str, str]]:
    """The architectures' documents into ``folder/architectures``; returns (name, spec) for the index."""
    from .arch_backward import derive_architecture
    from .arch_doc import command, document
    from .arch_verification import verify_architecture
    from .architectures import parse
    from .render import write
    (folder / "architectures").mkdir(exist_ok=True)
    for name, spec, inputs in ARCH_DOCS:
        if progress:
            progress(f"[architectures] {name}")
        d = derive_architecture(parse(spec, inputs))
        report = verify_architecture(d)  # once for both formats
        for fmt in FORMATS:
            write(folder / "architectures" / f"{name}.{fmt}",
                  document(d, fmt, regenerate=command(d, out=f"output/architectures/{name}.{fmt}"), report=report))
    return [(name, spec) for name, spec, _ in ARCH_DOCS]


def write_layers(folder: Path, progress=None) -> list[tuple[str, str, str]]:
    """The single-layer documents, each kind in each of its sources' letters, into ``folder/layers``; returns
    (kind, letters, citation) for the index."""
    from .backward import derive_kind
    from .kind_doc import command, document
    from .kind_verification import verify_kind
    from .layers import kind as graph
    from .render import write
    (folder / "layers").mkdir(exist_ok=True)
    out = []
    done: dict = {}  # kind -> (its derivation, its report): the letters change the printing, not the equations
    for kind, letters in LAYER_DOCS:
        if progress:
            progress(f"[layers] {kind} in {letters}'s letters")
        if kind not in done:
            first = derive_kind(graph(kind))
            done[kind] = (first, verify_kind(first))  # once for every notation and format
        first, report = done[kind]
        d = dataclasses.replace(first, letters=first.kind.notation(letters))
        for fmt in FORMATS:
            write(folder / "layers" / f"{kind}-{letters}.{fmt}",
                  document(d, fmt, regenerate=command(d, out=f"output/layers/{kind}-{letters}.{fmt}"), report=report))
        out.append((kind, letters, d.letters.cite))
    return out
