"""``derive lint``: every backprop claim in Markdown or LaTeX notes, checked against the forward pass.

scan (the math, and the ``derive:`` directives that set the problem from their line on; what neither a
directive nor the caller states is inferred from the notes' notation and words, per section, by
``derive.infer``) -> split into formulas (one per line of an align, ``&`` removed) -> keep those with a
relation sign -> ``derive.check`` each (cached per formula and problem) -> findings, printed like a
compiler's ``file:line: verdict``, with a line saying what was inferred and why. The notes are only read,
never written; a directive is ``key=value`` words, never evaluated.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import json
import os
import re
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from .column_batches import column_batches
from .errors import DeriveError, UnknownName
from .files import read_text
from .formula.quotients import quotient_as_derivative
from .formula.relations import RELATION
from .infer import ASSUMED, Basis, Notes, given, prose

# a directive's keys, and the Setting field each one sets (output's alias is the CLI's --activation)
KEYS = {"convention": "convention", "loss": "loss", "output": "output", "activation": "output", "hidden": "hidden",
        "weights": "weights", "grad_of": "grad_of", "l2": "l2", "layer": "layer", "unbiased": "unbiased"}
# keys that make the claims after them about one layer kind on its own (layer=none goes back to the network)
LAYER_KEYS = ("layer", "unbiased")
# keys that modify the convention in force (a convention= directive restores its own values)
VARIANT = ("grad_of", "l2")
LATEX_SUFFIXES = (".tex", ".ltx", ".latex")
# a whole textbook in one LaTeX file is a few MB; above this a file is refused before it is read
MAX_NOTES_BYTES = 20 * 2**20

# environments whose body is math: each top-level \\ ends a formula, except in multline (one formula)
MATH_ENVS = {"equation", "align", "gather", "flalign", "alignat", "eqnarray", "multline", "displaymath", "math"}
# alignment environments inside math: their lines are formulas of their own, so they are blanked out
TRANSPARENT_ENVS = MATH_ENVS | {"aligned", "alignedat", "split", "gathered"}
SHAPES = "shapes do not conform:"  # how check's reason for a product that is not defined begins
NOT_AN_EQUATION = "not an equation (no relation sign)"  # listed with --verbose only
PRESET_NAMES = ("nielsen", "ng", "ufldl", "dls", "cs231n", "bishop", "goodfellow", "wikipedia")
# a claim that holds in each preset's notation (mse, sigmoid): what a skipped line suggests writing
EXAMPLES = {
    "nielsen": r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)",
    "wikipedia": r"\delta^l = ((W^{l+1})^T \delta^{l+1}) \circ f'(z^l)",
    "ng": r"\delta^{(l)} = (\Theta^{(l)})^T \delta^{(l+1)} .* g'(z^{(l)})",
    "ufldl": r"\delta^{(l)} = ((W^{(l)})^T \delta^{(l+1)}) \bullet f'(z^{(l)})",
    "goodfellow": r"\nabla_{a^{(l)}} J = ((W^{(l+1)})^T \nabla_{a^{(l+1)}} J) \odot f'(a^{(l)})",
    "bishop": r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k",
    "cs231n": r"dZ^{(l)} = (dZ^{(l+1)} (W^{(l+1)})^T) \odot \sigma'(Z^{(l)})",
    "dls": r"dZ^{[l]} = dA^{[l]} * g'(Z^{[l]})",
}
# what a skipped claim could be written as instead, by what its reason says: the first row that matches
ADVICE = [
    # the reason says it already: what to write, or the size a formula may have
    (re.compile(r"\bwrite\b|\be\.g\.|check one claim at a time|must name one quantity|\bat most \d"), ""),
    (re.compile(r"unknown command (\\(?:in|approx|neq?|forall|sim|propto|leq?|geq?|subset|mapsto|colon)"
                r"(?![A-Za-z]))"), "{0} states no value to check; a claim is an equation, e.g. {example}"),
    (re.compile(r"unknown command (\\[A-Za-z]+)"), "write it without {0}, in plain LaTeX, e.g. {example}"),
    (re.compile(r"unknown symbol|superscript is missing"),
     "write it in {convention}'s notation, e.g. {example}, or name the notes' convention: {directive}"),
    (re.compile(r""), "derive reads one equation lhs = rhs in LaTeX, e.g. {example}"),
]
# where % is not a comment and $ is not math, in LaTeX
VERBATIM_ENVS = {"verbatim", "Verbatim", "lstlisting", "minted", "comment"}

_RELATION = RELATION
_ENV = re.compile(r"\\(begin|end)\s*\{([A-Za-z]+\*?)\}")
_NAMES = "|".join(sorted(TRANSPARENT_ENVS))
_TRANSPARENT = re.compile(rf"\\begin\s*\{{(?:{_NAMES})\*?\}}(?:\s*\[[a-z]\])?(?:\s*\{{\d+\}})?"
                          rf"|\\end\s*\{{(?:{_NAMES})\*?\}}")
_NOT_MATH = re.compile(r"\\(?:label|tag\*?|intertext|shortintertext)\s*\{[^{}]*\}|\\(?:nonumber|notag)(?![A-Za-z])")
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_FRONT_END = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)
_DIRECTIVE = re.compile(r"\s*derive:(.*)", re.S)
_BACKTICKS = re.compile(r"`+")
_BLANK_LINE = re.compile(r"[ \t\r]*(?:\n|$)")
_VERB = re.compile(r"\\verb\*?([^A-Za-z\s*])")
_ALIGNAT_ARG = re.compile(r"\s*\{\d+\}")
_INLINE_STOP = re.compile(r"[\\\n$]")  # what can end inline math: an escape, a blank line or a $
# text the scanner steps over one character at a time: nothing in it starts math, code, a comment or a fence
_TEX = re.compile(r"\\[A-Za-z]|[\^_{=]")  # what money has not: a command, a script, a brace, an equation
_PLAIN = re.compile(r"[^\\$`<%\n]*")
_BREAK = re.compile(r"\\\\\*?(?:\s*\[\s*[-+]?[\d.]+\s*[a-z]{2}\s*\])?")  # \\ and \\[2pt], not \\ [W]_{2:end}


class LintError(DeriveError):
    """Bad input to the linter: a file that cannot be read, or a bad directive; one line naming file:line."""


@dataclass(frozen=True)
class Setting:
    """The problem formulas are checked against: names as written (a .toml convention as a resolved path).

    Given to ``lint`` or ``scan``, a field that is None is inferred from the notes; in a Formula's setting a
    None convention is one the notes leave ambiguous (its claims are skipped, saying what to write).
    """

    convention: str | None = "nielsen"
    loss: str | None = "mse"
    output: str | None = "sigmoid"
    hidden: str | None = "sigmoid"
    weights: str | None = None  # the order of a weight's subscripts (conventions.WEIGHT_INDICES); None: inferred
    grad_of: str | None = None  # a directive's grad_of=cost: parameter gradients of the batch cost (None: as defined)
    l2: float | None = None     # a directive's l2=0.1: the cost's L2 penalty lambda (None: as the convention says)
    width: str | None = None    # the letter of a layer's width where the notes declare one (d in R^{d_l}); None: n
    batch: tuple | None = None  # the notes' own batch letters (column_batches.Batches.letters) for a batch claim


@dataclass(frozen=True)
class Formula:
    """One formula found in the notes, with the setting in force where it starts."""

    line: int
    text: str        # on one line, as given to derive.check (& and \label removed, a chained lhs restored)
    setting: Setting
    origin: str      # file:line of the directive in force, or "the command line"
    basis: Basis | None = None  # how each field of the setting was decided: flag, directive, inferred, assumed
    readings: tuple = ()  # how the notes' own declarations were read into the text (\otimes as \odot, line 406)
    scalar: int | None = None  # the line that says the notes' network is a chain of single neurons, if one does
    layer: Layered | None = None  # a layer directive in force: the claim is about that kind on its own


@dataclass(frozen=True)
class Layered:
    """A ``derive: layer=KIND`` directive in force: the kind, whose letters (None: its first), the n - 1 variance."""

    kind: str
    letters: str | None = None
    unbiased: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind} layer" + (f" in {self.letters}'s letters" if self.letters else "") + \
            (" (n - 1 variance)" if self.unbiased else "")


@dataclass
class Finding:
    """The linter's verdict on one formula: holds, fails or skipped (and why)."""

    file: str
    line: int
    verdict: str                  # "holds" | "fails" | "skipped"
    formula: str
    reason: str
    diagnosis: dict | None
    convention: str | None        # None: the notes do not say which (the claim is skipped)
    condition: str | None = None  # holds only if this is true (cce + softmax: sum_k y_k = 1); also in reason
    basis: Basis | None = None    # how the convention, loss and activations were decided

    def to_dict(self) -> dict:
        """{file, line, verdict, formula, reason, diagnosis, convention}, and how the problem was decided:
        {convention_source, loss, loss_source, output, output_source, hidden, hidden_source, evidence, basis,
        section}; a source is flag, directive, inferred, assumed or ambiguous (the convention only)."""
        row = {k: getattr(self, k) for k in ("file", "line", "verdict", "formula", "reason", "diagnosis", "convention")}
        if self.basis is None:
            return row
        for d in self.basis.fields():
            if d.field != "convention":
                row[d.field] = d.value
            row[f"{d.field}_source"] = d.source
        row["evidence"] = {d.field: d.clues() for d in self.basis.fields()}
        row["basis"] = self.basis.text()
        row["section"] = self.basis.section or None
        return row

    def text(self) -> str:
        """``notes.md:14: fails: <reason> — <diagnosis>; corrected: <LaTeX>``."""
        where = f"{self.file}:{self.line}"
        if self.verdict == "holds":
            return f"{where}: holds: {self.formula}" + (f" (if {self.condition})" if self.condition else "")
        if self.verdict == "fails" and self.diagnosis:
            return (f"{where}: fails: {self.reason} — {self.diagnosis['message']}; "
                    f"corrected: {self.diagnosis['corrected']}")
        return f"{where}: {self.verdict}: {self.reason}"


# ---------------------------------------------------------------- the pipeline
def lint(paths, convention: str | None = None, loss: str | None = None, output: str | None = None,
         hidden: str | None = None, *, weights: str | None = None, verbose: bool = False,
         diagnose: bool = True) -> list[Finding]:
    """Check every backprop claim in the notes files ``paths``. A problem argument given is a default that a
    file's directives override; one left None is inferred from each file's notation and words (per section),
    and where the notation is ambiguous the claims are skipped, saying what to write. Every file is read and
    every directive checked before any formula is.

    Raises:
        LintError: a file cannot be read, a directive is malformed, or a problem is impossible.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if not isinstance(paths, list | tuple):
        raise LintError(f"lint takes a notes file's path or a list of them, not {type(paths).__name__}")
    run = _Run()
    defaults = Setting(convention, loss, output, hidden, weights)
    found = [(str(path), scan(path, defaults, run)) for path in paths]
    for _, formulas in found:
        for f in formulas:  # an impossible combination is bad input: say so before checking
            if f.layer is not None:
                continue
            run.problem(dataclasses.replace(f.setting, convention=f.setting.convention or ASSUMED["convention"]),
                        f.origin)
    findings = []
    for name, formulas in found:
        for f in formulas:
            finding = run.judge(name, f, diagnose)
            if verbose or finding.reason != NOT_AN_EQUATION:
                findings.append(finding)
    return findings


def render(findings: list[Finding], as_json: bool = False) -> str:
    """The findings as compiler-style lines and a summary, or as one JSON list. Before the findings of each
    file or section whose problem was inferred or assumed, a line says what and why."""
    if as_json:
        return json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False) + "\n"
    lines, shown, noted = [], None, set()
    for f in findings:
        claim = f.reason != NOT_AN_EQUATION  # math that claims nothing (listed with --verbose) needs no note
        if claim and (f.file, f.basis) != shown and f.basis is not None and f.basis.guessed:
            lines.append(note(f.file, f.basis, first=f.file not in noted))
            noted.add(f.file)
        shown = (f.file, f.basis) if claim else shown
        lines.append(f.text())
    counts = {v: sum(f.verdict == v for f in findings) for v in ("holds", "fails", "skipped")}
    summary = f"{counts['holds']} hold, {counts['fails']} fail, {counts['skipped']} skipped"
    return "".join(line + "\n" for line in lines) + summary + "\n"


def note(file: str, basis: Basis, first: bool = True) -> str:
    """``notes.md: convention ng (inferred: \\Theta ×4, .* ×3), loss bce (from "cross-entropy" on line 12), ...``
    for the file; ``notes.md:14: section "Title": ...`` where a section's own evidence decides otherwise, and for
    what follows such a section."""
    if first and not basis.local:
        return f"{file}: {basis.text()}"
    title = f'section "{basis.section}": ' if basis.section and basis.since == basis.section_line else ""
    return f"{file}:{basis.since}: {title}{basis.text(in_section=True)}"


class _Run:
    """What one lint run looks up once: conventions (a .toml is read once), problems, check results."""

    def __init__(self) -> None:
        self.conventions: dict = {}
        self.problems: dict = {}
        self.results: dict = {}
        self.unreadable: dict = {}

    def convention(self, name: str, weights: str | None = None, grad_of: str | None = None, l2: float | None = None,
                   width: str | None = None, batch: tuple | None = None):
        """The convention named ``name`` (a preset or a .toml's path), with its weights' subscript order, the
        letter of its layer widths, what its parameter gradients are of and its L2 penalty where given (a variant
        named for the last two), and for a claim about the notes' own batch matrices its column-batch companion."""
        from .conventions import convention
        key = (name, weights, grad_of, l2, width, batch)
        if key not in self.conventions:
            conv = convention(name)
            if weights is not None and weights != conv.weight_indices:
                conv = dataclasses.replace(conv, weight_indices=weights)
            if width is not None and width != conv.notation.width:
                conv = dataclasses.replace(conv, notation=dataclasses.replace(conv.notation, width=width))
            if batch is not None and conv.layout in ("column", "column_batch"):
                conv = column_batch(conv, batch)
            # the fields the variant changes, by name (grad_of a str, l2 a float): Any, as replace(**) takes them
            changed: dict[str, Any] = {k: v for k, v in (("grad_of", grad_of), ("l2", l2))
                                       if v is not None and v != getattr(conv, k)}
            if changed:
                label = ", ".join(f"{k}={v}" for k, v in changed.items())
                conv = dataclasses.replace(conv, name=f"{conv.name} ({label})", **changed)
            self.conventions[key] = conv
        return self.conventions[key]

    def setting_convention(self, setting: Setting):
        """The convention a formula's setting names, as modified by the directives in force."""
        assert setting.convention is not None  # every caller asks only where the notes decided it
        return self.convention(setting.convention, setting.weights, setting.grad_of, setting.l2, setting.width,
                               setting.batch)

    def problem(self, setting: Setting, origin: str):
        """Problem.make for the setting; an impossible combination names where it was set."""
        from .problem import Problem
        if setting not in self.problems:
            try:
                conv = self.setting_convention(setting)
                # a formula's setting always names these (inferred, stated or assumed): only its convention may be open
                assert setting.loss is not None and setting.output is not None and setting.hidden is not None
                self.problems[setting] = Problem.make(conv, setting.loss, setting.output, setting.hidden)
            except DeriveError as exc:
                raise LintError(f"{origin}: {exc}") from None
        return self.problems[setting]

    def judge_layer(self, name: str, f: Formula, diagnose: bool) -> Finding:
        """The finding for a claim under a layer directive: ``check(..., layer=KIND)`` in the kind's letters."""
        from .check import check
        assert f.layer is not None
        row = functools.partial(Finding, name, f.line, formula=f.text, convention=f.layer.label, basis=None)
        if not _RELATION.search(f.text) or self.expression(f.text):
            return row("skipped", reason=NOT_AN_EQUATION, diagnosis=None)
        key = (f.text, f.layer, diagnose)
        if key not in self.results:
            r = check(f.text, f.layer.letters, layer=f.layer.kind, unbiased=f.layer.unbiased, diagnose=diagnose)
            self.results[key] = ("skipped", f"not a claim derive reads about the {f.layer.label}: {r.reason}", None) \
                if r.verdict == "invalid" else (r.verdict, r.reason, r.diagnosis)
        verdict, reason, diagnosis = self.results[key]
        if f.readings:
            reason = f"{reason} ({'; '.join(f.readings)})"
        return row(verdict, reason=reason, diagnosis=diagnosis)

    def judge(self, name: str, f: Formula, diagnose: bool) -> Finding:
        """The finding for one formula; identical (formula, problem) pairs are checked once."""
        if f.layer is not None:
            return self.judge_layer(name, f, diagnose)
        latex = Path(name).suffix.lower() in LATEX_SUFFIXES
        conv = self.setting_convention(f.setting) if f.setting.convention is not None else None
        row = functools.partial(Finding, name, f.line, formula=f.text, convention=conv and conv.name, basis=f.basis)
        if not _RELATION.search(f.text) or self.expression(f.text):
            return row("skipped", reason=NOT_AN_EQUATION, diagnosis=None)  # no relation outside brackets
        if conv is None:
            assert f.basis is not None  # scan gives every formula outside a layer directive its basis
            reason = self.read(f.text) or undecided(f.basis, latex)
            return row("skipped", reason=_advised(reason, None, latex), diagnosis=None)
        single = bool(f.scalar) and _one_example(conv)  # judged on a chain of single neurons, as the notes say
        key = (f.text, f.setting, diagnose, single)  # a Markdown and a LaTeX file share their checks, not their advice
        if key not in self.results:
            self.results[key] = self._check(f.text, conv, f.setting, diagnose, single)
        verdict, reason, diagnosis, condition, advise = self.results[key]
        order = self.unstated_order(f, conv, verdict, diagnose, single)
        if order:
            verdict, reason, diagnosis, condition = "skipped", order, None, None
        if single and verdict in ("holds", "fails"):
            said = f"each layer is a single neuron, as line {f.scalar} says"
            reason = f"{reason} (judged on networks of one neuron per layer: {said}, every quantity a number)"
            if verdict == "holds":  # a holding verdict says where it holds
                condition = f"{condition}; {said}" if condition else said
        elif f.scalar and verdict == "fails" and reason.startswith(SHAPES):
            # one neuron per layer: every quantity is a number, so every product conforms there; derive's networks
            # have layers of several units, where this one does not, and that says nothing about the notes' claim
            verdict, diagnosis = "skipped", None
            reason = (f"not judged: line {f.scalar} says each layer is a single neuron, where every quantity is a "
                      "number and any product of them is defined; derive judges layers of several units, where "
                      f"this product is not ({reason[len(SHAPES):].strip()}); write it for layers of any width "
                      "(with transposes and \\odot) to have it judged")
        if advise:
            reason = _advised(reason, conv.name, latex)
        if f.readings:
            reason = f"{reason} ({'; '.join(f.readings)})"
        return row(verdict, reason=reason, diagnosis=diagnosis, condition=condition)

    def unstated_order(self, f: Formula, conv, verdict: str, diagnose: bool, single: bool = False) -> str | None:
        """Why a verdict cannot stand, or None: a claim written with a weight's two subscripts, whose verdict the
        order of those subscripts decides, in notes that state no order (no forward equation, no directive) and
        no convention either (an inferred one brings its order only by assumption: w_{ij} runs to i from j in
        Bishop and from i to j in many course notes)."""
        basis = f.basis
        if basis is None or basis.weights.source != "assumed" or basis.convention.source not in ("inferred",
                                                                                                  "assumed"):
            return None
        if verdict not in ("holds", "fails") or not _weight_components(f.text, conv):
            return None
        from .conventions import WEIGHT_INDICES
        other = next(o for o in WEIGHT_INDICES if o != conv.weight_indices)
        flipped = dataclasses.replace(f.setting, weights=other)
        key = (f.text, flipped, False, single)
        if key not in self.results:
            self.results[key] = self._check(f.text, self.setting_convention(flipped), flipped, False, single)
        if self.results[key][0] not in ("holds", "fails") or self.results[key][0] == verdict:
            return None
        said = {conv.weight_indices: verdict, other: self.results[key][0]}
        return ("not judged: the order of a weight's subscripts decides it, and the notes state none: it "
                f"{said['to_from']} if w_{{jk}} runs to unit j from unit k (as in Nielsen) and {said['from_to']} if "
                "from unit j to unit k; state the order with a derive directive weights=to_from or weights=from_to, "
                "or write the forward equation (z_j = \\sum_k w_{jk} a_k + b_j) before it")

    def expression(self, text: str) -> bool:
        """Whether ``text`` is an expression with no relation of its own: [i = j], \\sum_{t=1}^{m} x_t."""
        from .formula.parse import FormulaError, parse_expr
        if self.read(text) is None:
            return False
        try:
            parse_expr(text)
        except FormulaError:
            return False
        return True

    def read(self, text: str) -> str | None:
        """Why derive cannot read ``text`` as a formula, or None if it can (whatever the convention)."""
        from .formula.parse import FormulaError, cases, formulas
        if text not in self.unreadable:
            try:
                # one claim, a chain a = b = c that check() judges link by link, several side by side, or a cases block
                for each in cases(text) or [text]:
                    formulas(each)
                self.unreadable[text] = None
            except FormulaError as exc:
                self.unreadable[text] = f"not a formula derive reads: {exc}"
        return self.unreadable[text]

    def _check(self, text: str, conv, setting: Setting, diagnose: bool, single: bool = False) -> tuple:
        """(verdict, reason, diagnosis, condition, whether the reason takes advice on what to write); ``single``:
        judged on networks of one neuron per layer."""
        from .check import check
        reason = self.read(text)  # to tell a formula derive cannot read from one that claims nothing
        if reason and not quotient_as_derivative(text):  # a quotient written for a derivative: check names it
            return "skipped", reason, None, None, True
        # a formula's setting always names these (inferred, stated or assumed): only its convention may be open
        assert setting.loss is not None and setting.output is not None and setting.hidden is not None
        result = check(text, conv, setting.loss, setting.output, setting.hidden, diagnose=diagnose,
                       single_neurons=single)
        if result.verdict == "invalid":
            return "skipped", f"not a backprop claim: {result.reason}", None, None, True
        if result.verdict == "holds" and result.condition:
            return "holds", f"{result.reason}; holds only if {result.condition}", None, result.condition, False
        return result.verdict, result.reason, result.diagnosis, None, False


def _one_example(conv) -> bool:
    """Whether a convention's formulas are of one example, where a chain of single neurons makes every quantity a
    number (in a batch each is a row or column of the examples, and the notes' products of numbers are not
    judged: they are skipped, saying so)."""
    from .network import default_m
    return default_m(conv) == 1


def _weight_components(text: str, conv) -> bool:
    """Whether ``text`` is a local derivative (dz/dw, dz/da) that names a weight by its two subscripts
    (\\partial z_j / \\partial w_{ij} = a_i): the claims that say which order the notes use, rather than use it."""
    from .formula import ast
    from .formula.meaning import FAMILY
    from .formula.parse import FormulaError, formulas
    try:
        claims = [claim for _, links in formulas(text) for _, claim in links]
    except FormulaError:
        return False
    weights = {conv.notation.weight} | {k for k, v in FAMILY.items() if v == "W"}
    forward = {conv.notation.pre, conv.notation.act} | {k for k, v in FAMILY.items() if v in ("z", "a")}
    local = [c for c in claims if isinstance(c.lhs, ast.Partial) and isinstance(c.lhs.of, ast.Sym)
             and c.lhs.of.base in forward]
    return any(isinstance(n, ast.Sym) and n.base in weights and n.indices and len(n.indices) == 2
               for c in local for side in (c.lhs, c.rhs) for _, n in ast.walk(side))


def column_batch(conv, letters: tuple):
    """A column convention in the notes' batch letters. One written per example becomes its column-batch companion:
    each column one example, delta (its columns) per example, the parameter gradients of the mean cost
    (deeplearning.ai's layout); a column-batch convention keeps its own structure."""
    notation = dataclasses.replace(conv.notation, **dict(letters))
    if conv.layout == "column_batch":
        return dataclasses.replace(conv, name=f"{conv.name} (in the notes' batch letters)", notation=notation)
    return dataclasses.replace(conv, name=f"{conv.name} (the notes' column batches)", layout="column_batch",
                               delta_of="example", grad_of="cost", reduction="mean", notation=notation)


def _directive_line(latex: bool, body: str) -> str:
    return f"% derive: {body}" if latex else f"<!-- derive: {body} -->"


def undecided(basis: Basis, latex: bool) -> str:
    """Why a claim is skipped when the notes do not say their convention, and the directive that would."""
    decided = basis.convention
    if not decided.rivals:
        return (f"nothing in the notation says which convention these notes use; write "
                f"{_directive_line(latex, 'convention=nielsen')} above it (or convention={', '.join(PRESET_NAMES[1:])})"
                f", or run derive lint --convention NAME")
    others = " or ".join(f"convention={r}" for r in decided.rivals[1:])
    directive = _directive_line(latex, f"convention={decided.rivals[0]}")
    return (f"the notation does not say which convention this is ({decided.why}); write {directive} above it"
            + (f" (or {others})" if others else ""))


def _advised(reason: str, convention: str | None, latex: bool) -> str:
    """``reason`` with what the user could write instead, unless it says so already."""
    for pattern, advice in ADVICE:
        m = pattern.search(reason)
        if m:
            if not advice:
                return reason
            example = EXAMPLES.get(convention or "", EXAMPLES["nielsen"])
            directive = _directive_line(latex, "convention=NAME")
            return f"{reason}; " + advice.format(*m.groups(), example=example, convention=convention or "nielsen",
                                                 directive=directive)
    return reason


# ---------------------------------------------------------------- reading a file
def scan(path, defaults: Setting = Setting(), run: _Run | None = None) -> list[Formula]:
    """The formulas of one notes file in order, each with the setting in force where it starts and how each of
    its fields was decided: a directive's from its line on, else ``defaults``'s, else (a None field) inferred
    from the notes' notation and words.

    Raises:
        LintError: the file cannot be read, or a directive is malformed.
    """
    if not isinstance(path, str | os.PathLike):
        raise LintError(f"a notes file is a path, not {type(path).__name__}")
    path, run = Path(path), run or _Run()
    text = read_text(path, MAX_NOTES_BYTES, purpose="lint", error=LintError)
    latex = path.suffix.lower() in LATEX_SUFFIXES
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    line_of = lambda offset: bisect.bisect_right(starts, offset)  # 1-based

    events = list(_events(text, latex))
    notes = Notes(text, latex, [(offset, body) for kind, offset, body, _ in events if kind == "math"], line_of)
    stated = {name: given(name, value, "flag") for name, value in dataclasses.asdict(defaults).items()
              if value is not None}
    origin, formulas = "the command line", []
    variant: dict = {}  # grad_of, l2: how the directives in force modify the convention
    macros = _macros(text)
    declared = _declared_operators(text, line_of)
    width = _declared_width(events, line_of)
    named = _named_layers(events, line_of)
    words = prose(text, latex)  # the notes' text with their comments blanked: what their sentences say
    scalar = _single_neurons(words, line_of)
    batches = column_batches([(line_of(offset + at), _expanded(formula, macros)) for kind, offset, body, env in events
                              if kind == "math" for at, formula, _ in _formulas(body, env)])
    letters = _declared_letters(words, line_of, named)
    indexed = _declared_indexed(words, line_of)
    marks = _vector_marks(events, line_of)
    jacobians = _declared_jacobians(words, line_of)
    # (the formula as written, as read, its line) of the display before, if it holds one formula
    previous: tuple[str, str, int] | None = None
    layered: Layered | None = None  # a layer directive in force
    for kind, offset, body, env in events:
        if kind == "directive":
            origin = f"{path}:{line_of(offset)}"
            pairs = _directive_words(body, origin)
            keys = {pair.partition("=")[0] for pair in pairs}
            if layered is not None and "layer" not in keys and not keys <= {"unbiased"}:
                raise LintError(f"{origin}: a layer directive is in force ({layered.label}); end it with "
                                "layer=none before a network's directive, or name the layer again (layer=KIND ...)")
            changes = _directive(pairs, origin, path.parent, run)
            if "layer" in changes or "unbiased" in changes:
                layered = _layered(changes, layered, origin)
                continue
            if "convention" in changes:  # a convention as defined, unless this directive modifies it
                variant = {}
            for name, value in changes.items():
                if name in VARIANT:
                    variant[name] = value
                else:
                    stated[name] = given(name, value, "directive", line_of(offset))
            continue
        display = _displayed(text, offset, env)
        before = _left_side(*previous[:2]) if display and previous else None
        rows = list(_formulas(body, env, before))
        if layered is not None:  # one layer's claims: in its source's letters, none of the network's readings
            for at, formula, _ in rows:
                read, readings = _as_declared(_expanded(formula, macros), declared)
                formulas.append(Formula(line_of(offset + at), read, Setting(None), origin, None, readings,
                                        layer=layered))
            previous = None
            continue
        for at, formula, restored in rows:
            basis = _basis(notes, offset + at, stated)
            setting = dataclasses.replace(Setting(**basis.values()), **variant)
            read, readings = _as_declared(_expanded(formula, macros), declared)
            if restored and at == rows[0][0] and before:
                assert previous is not None  # before is read from it
                readings += (f"its left side restored from the display before it (line {previous[2]}), which this "
                             "display continues",)
            read, readings = _as_marked(read, readings, marks)
            if jacobians:
                read, readings = _as_jacobian(read, readings, jacobians, notes.section_at(offset + at), notes)
            if named and setting.convention:
                read, readings = _as_named(read, readings, named, run.setting_convention(setting))
            if letters and setting.convention:
                read, readings = _as_widths(read, readings, letters, offset + at, run.setting_convention(setting))
            if indexed and setting.convention:
                read, readings = _as_indexed(read, readings, indexed, offset + at, run.setting_convention(setting))
            if width and width[0] not in ("n", setting.convention and run.setting_convention(setting).notation.width):
                setting = dataclasses.replace(setting, width=width[0])
                if re.search(rf"\^\s*\{{?\s*{width[0]}_", read):
                    readings += (f"{width[0]}_l read as the width of layer l, as line {width[1]} declares",)
            if batches and line_of(offset + at) >= batches.line and batches.mentions(read):
                setting = dataclasses.replace(setting, batch=batches.letters)
                readings += (batches.reading(),)
            formulas.append(Formula(line_of(offset + at), read, setting, origin, basis, readings, scalar))
        previous = (rows[0][1], formulas[-1].text, formulas[-1].line) if display and len(rows) == 1 else None
    return formulas


def _displayed(text: str, offset: int, env: str | None) -> bool:
    """Whether the math whose content starts at ``offset`` is displayed ($$, \\[, an environment), not inline."""
    return env is not None or text[max(0, offset - 2):offset] in ("$$", "\\[")


def _left_side(written: str, read: str) -> str | None:
    """The left side of a display's formula, as written, when the formula is one claim about a quantity (Q = B):
    what a display after it that starts with its relation (= C) continues. None for anything else (a chain, an
    expression on the left, a formula derive cannot read)."""
    from .check import _names_quantity
    from .formula.parse import FormulaError, parse_chain
    try:
        claims = parse_chain(read)
    except FormulaError:
        return None
    first = _RELATION.search(written)
    if len(claims) != 1 or not _names_quantity(claims[0].lhs) or first is None:
        return None
    return written[:first.start()].strip() or None


# an operator the notes declare to be the elementwise product: "where $\otimes$ denotes the Hadamard product"
_ELEMENTWISE_WORDS = (r"(?:the\s+|an?\s+)?"
                      r"(?:Hadamard|element[- ]?wise|entry[- ]?wise|component[- ]?wise|point[- ]?wise)")
_DECLARED = [  # (the operator, how the notes write it, the operator derive reads, the declaration's pattern)
    ("\\otimes", re.compile(r"\\otimes(?![A-Za-z])|⊗"), r"\odot",
     re.compile(r"(?:\$\s*\\otimes\s*\$|⊗)\s*(?:denotes|is|means|stands\s+for|represents|indicates)\s+"
                + _ELEMENTWISE_WORDS, re.I)),
]


# a layer's width under a letter of the notes' own: \delta^{(\ell)} \in \mathbb{R}^{d_\ell}, W \in \mathbb{R}^{d_l ...}
_WIDTH_DECLARED = re.compile(r"\\in\s*\\mathbb\s*\{?\s*R\s*\}?\s*\^\s*\{?\s*([A-Za-z])_\s*\{?\s*"
                             r"(?:\\ell(?![A-Za-z])|l(?![A-Za-z]))")


def _declared_width(events: list, line_of) -> tuple[str, int] | None:
    """(letter, line) of the first math that declares a layer-l quantity's space as R^{d_l}, or None."""
    for kind, offset, body, _ in events:
        if kind == "math" and (m := _WIDTH_DECLARED.search(body)):
            return m.group(1), line_of(offset + m.start())
    return None


# a letter the notes' words define: "$n$ is the number of neurons in the $(l+1)^{\text{th}}$ layer", "the $n$ weighted
# inputs to the $(l+1)^{\text{th}}$ layer", "la couche cachée est constituée de $H$ neurones". A definition that names
# a layer's units makes the letter that layer's width (as a sum's upper limit, \sum_{i=1}^{n}) until the next
# definition of the letter ("$n$ is the number of training examples" ends it)
_LETTER = r"\$\s*(?P<letter>[A-Za-z])\s*\$"
_ORDINAL = (r"\$\s*\(?\s*(?:l|\\ell)\s*(?:(?P<sign>[+-])\s*1\s*)?\)?\s*\^\s*\{?\s*(?:\\text\s*\{\s*)?(?:th|st|nd|rd)"
            r"\s*\}?\s*\}?\s*\$(?:\s*-?\s*th)?\s+layer")  # the $(l+1)^{\text{th}}$ layer, the $l-1^{th}$ layer
_LAYER_REF = (rf"(?:(?P<output>output\s+layer)|(?P<hidden>hidden\s+layer)|(?P<input>input\s+layer)|{_ORDINAL}|"
              r"layer\s+\$\s*(?:l|\\ell)\s*(?:(?P<offset>[+-])\s*1\s*)?\$)")
_COUCHE = r"couche\s+(?:(?P<hidden>cachée)|(?P<output>de\s+sortie)|(?P<input>d['’]entrée))"
_UNITS = r"(?:neurons|units|nodes)"
_WIDTH_WORDS = [re.compile(pattern, re.I) for pattern in [  # each with the letter and the layer it names
    _LETTER + r"\s+(?:is|denotes|represents)\s+the\s+(?:number|count)\s+of\s+(?:the\s+)?" + _UNITS
    + r"\s+(?:in|of|on)\s+(?:the\s+)?" + _LAYER_REF,
    _LETTER + r"\s+(?:is|denotes|represents)\s+the\s+(?:number\s+of\s+(?P<outputs>output)\s+" + _UNITS
    + r"|size\s+of\s+the\s+" + _LAYER_REF + ")",
    r"\bthe\s+" + _LETTER + r"\s+(?:weighted\s+inputs|" + _UNITS + r")\s+(?:to|of|in)\s+the\s+" + _LAYER_REF,
    r"\b" + _COUCHE + r"(?:\s+[^\s$]+){0,3}?\s+(?:est\s+constituée|se\s+compose|comporte|possède)\s+(?:de\s+)?"
    + _LETTER + r"\s+neurones",
    _LETTER + r"\s+neurones\s+sur\s+(?:sa|la)\s+" + _COUCHE,
]]
# the layer a reference names, by its group: the output L, the input, the one hidden layer of a network whose
# layers the notes name; else layer l, l+1 or l-1
_NAMED_LAYER = {"output": "L", "outputs": "L", "input": "input", "hidden": "hidden"}
# any definition of a letter: "$n$ is ...", "let $m$ be ...", "$n$ est ..."
_DEFINED = re.compile(r"(?:\blet\s+\$\s*([A-Za-z])\s*\$\s+be|\$\s*([A-Za-z])\s*\$\s+(?:is|denotes|represents|est|"
                      r"désigne))\b", re.I)


def _declared_letters(words: str, line_of, named: dict | None) -> list:
    """(offset, letter, layer or None, line) of each definition of a letter in the notes' words, in order: the layer
    ("L", "l+1", "input", "hidden") whose width a width definition names; None for any other definition, or for a
    hidden layer where the notes do not name the one hidden layer of their network (which one would it be?)."""
    found: dict[int, tuple[str, str | None]] = {m.start(): (m.group(1) or m.group(2), None)
                                                for m in _DEFINED.finditer(words)}
    for pattern in _WIDTH_WORDS:
        for m in pattern.finditer(words):
            groups = {name: value for name, value in m.groupdict().items() if value}
            layer = next((_NAMED_LAYER[g] for g in groups if g in _NAMED_LAYER), None)
            if layer is None:
                sign = groups.get("sign") or groups.get("offset")
                layer = "l" + (f"{sign}1" if sign else "")
            if layer == "hidden" and not named:
                layer = None
            found = {k: v for k, v in found.items() if not m.start() <= k <= m.end()}  # the same definition
            found[words.find("$", m.start())] = (groups["letter"], layer)
    return sorted((k, letter, layer, line_of(k)) for k, (letter, layer) in found.items())


def _as_widths(formula: str, readings: tuple, letters: list, at: int, conv) -> tuple[str, tuple]:
    """``formula`` (at offset ``at``) with each sum's upper limit that is a letter the notes last defined as a layer's
    width written as that width in ``conv``'s letter (\\sum_{i=1}^{n} as \\sum_{i=1}^{n_{l+1}})."""
    latest = {letter: (layer, line) for offset, letter, layer, line in letters if offset < at}
    for letter, (layer, line) in latest.items():
        if layer is None:
            continue
        index = {"input": str(conv.input_layer), "hidden": str(conv.input_layer + 1)}.get(layer, layer)
        width = f"{conv.notation.width}_{{{index}}}"
        limit = re.compile(r"(\\sum\s*(?:\\limits\s*)?_\s*(?:\{[^{}]*\}|\w)\s*\^\s*)(?:\{\s*" + letter + r"\s*\}|"
                           + letter + r"(?![A-Za-z_]))")
        def widened(m: re.Match[str], w: str = width) -> str:
            return m.group(1) + "{" + w + "}"
        formula, n = limit.subn(widened, formula)
        if n:
            shown = {"L": "the output layer", "input": "the input layer", "hidden": "the hidden layer"}.get(
                layer, f"layer {layer}")
            readings += (f"{letter} read as {width}, the width of {shown}, as line {line} says",)
    return formula, readings


# a subscripted letter the notes' words define: "$n_l$ ... the number of layers" (UFLDL: layer n_l is the output, where
# the input is layer 1) and "$s_l$ is the number of neurons in the $l$-th layer" (a width, its subscript the layer)
_SUBSCRIPTED = r"\$\s*(?P<letter>[A-Za-z])\s*_\s*(?P<index>\{\s*[A-Za-z]\s*\}|[A-Za-z])\s*\$"
_IS = r"\s*(?:&\s*|\s+(?:is|denotes|to\s+denote|represents)\s+)the\s+"  # "$n_l$ is the", a table's "$n_l$ & The"
_INDEXED_WORDS = [  # (kind, pattern)
    ("layers", re.compile(_SUBSCRIPTED + _IS + r"number\s+of\s+layers\b"
                          r"(?!\s*\(?\s*(?:excluding|not\s+counting|without))", re.I)),
    ("width", re.compile(_SUBSCRIPTED + _IS + r"number\s+of\s+(?:the\s+)?" + _UNITS + r"\s+(?:in|of|on)\s+(?:the\s+)?"
                         r"(?:layer\s+\$\s*(?P=index)\s*\$|\$\s*(?P=index)\s*\$\s*-?\s*th\s+layer)", re.I)),
]


def _declared_indexed(words: str, line_of) -> list:
    """(offset, kind, letter, its subscript, line) of each "number of layers" ("layers") or layer width ("width")
    definition of a subscripted letter in the notes' words, in order."""
    return sorted((m.start(), kind, m.group("letter"), m.group("index").strip("{} "), line_of(m.start()))
                  for kind, pattern in _INDEXED_WORDS for m in pattern.finditer(words))


def _written_layer(m) -> str:
    """The layer a width's subscript names, in a match of ``_as_indexed``'s sum limit (a group after the second)."""
    return next(g for g in m.groups()[2:] if g)


def _as_indexed(formula: str, readings: tuple, found: list, at: int, conv) -> tuple[str, tuple]:
    """``formula`` with the number of layers written as a layer (a^{(n_l)} as a^{(L)}, where the input is layer 1 so
    that the last layer's number is the number of layers) and a width written with its layer in parentheses or under
    another letter (s_{(l+1)}) as ``conv``'s width of that layer (s_{l+1}), as the notes' latest definitions say."""
    width = conv.notation.width
    latest = {(kind, letter): (index, line) for offset, kind, letter, index, line in found if offset < at}
    for (kind, letter), (index, line) in latest.items():
        if kind == "layers" and conv.input_layer == 1:
            name = rf"{letter}\s*_\s*(?:\{{\s*{index}\s*\}}|{index}(?![A-Za-z]))"
            numbered = re.compile(rf"(\^\s*\{{\s*\(?\s*|(?<![A-Za-z\\]){width}\s*_\s*\{{\s*){name}")
            formula, n = numbered.subn(lambda m: m.group(1) + "L", formula)
            if n:
                readings += (f"{letter}_{index} read as L, the output layer: the notes number their {letter}_{index} "
                             f"layers from the input, layer 1 (line {line})",)
        elif kind == "width":
            # s_{(l+1)}; under another letter also d_{l+1}, d_l: its subscript is the layer
            layer = r"\{\s*\(\s*([^{}()]+?)\s*\)\s*\}" if letter == width else \
                r"(?:\{\s*\(?\s*([^{}()]+?)\s*\)?\s*\}|([A-Za-z0-9])(?![A-Za-z]))"
            limit = re.compile(rf"(\\sum\s*(?:\\limits\s*)?_\s*(?:\{{[^{{}}]*\}}|\w)\s*\^\s*\{{\s*)({letter}\s*_\s*"
                               + layer + ")")
            written = {m.group(2): _written_layer(m) for m in limit.finditer(formula)}
            formula = limit.sub(lambda m: f"{m.group(1)}{width}_{{{_written_layer(m)}}}", formula)
            readings += tuple(f"{text} read as {width}_{{{layer}}}, the width of layer {layer}, as line {line} says"
                              for text, layer in written.items())
    return formula, readings


# layers named by letters (H for hidden, O for output) in the notes' own forward equations of a network with one
# hidden layer: z^{(O)} = W^{(O)} a^{(H)} + b^{(O)} and a^{(H)} = g(W^{(H)} x + b^{(H)}) (or z^{(H)} = W^{(H)} x + ...)
_NAME = r"\^\s*(?:\{\s*)?(?:\(\s*)?([A-KM-Z])(?:\s*\))?(?:\s*\})?"  # ^{(H)}, ^{H}, ^(H), ^H: a capital, not L
_FEEDS = re.compile(rf"(?<![A-Za-z\\])(?:z{_NAME}\s*=|a{_NAME}\s*=\s*[A-Za-z\\]+\s*\(|"
                    rf"h{_NAME}\s*=\s*[A-Za-z\\]+\s*\()\s*W{_NAME}\s*(?:(x)(?![A-Za-z])|a{_NAME})\s*\+\s*b{_NAME}")
# a layer's name in a superscript of a quantity (z, a, W, w, b, delta), never of a sum's limit (\sum_{j=1}^{H})
_NAMED_SUP = (r"(?<![A-Za-z\\])((?:[zaWwb]|\\delta)(?:\s*_\s*(?:\{{[^{{}}]*\}}|\w))?\s*)\^\s*"
              r"(?:\{{\s*\(\s*{0}\s*\)\s*\}}|\{{\s*{0}\s*\}}|\(\s*{0}\s*\)|{0}(?![A-Za-z]))")


# a letter the notes' words name the Jacobian of the activation at a layer: "où $J^{(l)}$ est la matrice jacobienne de
# la fonction d'activation à la couche $l$", "where $J^{(l)}$ is the Jacobian (matrix) of the activation at layer l"
_JACOBIAN_WORDS = re.compile(
    r"\$\s*(?P<letter>[A-Z])\s*\^\s*(?:\{\s*)?\(\s*(?P<layer>l|\\ell)\s*\)(?:\s*\})?\s*\$\s+"
    r"(?:est|is|denotes)\s+(?:la|the)\s+(?:matrice\s+jacobienne|jacobian(?:\s+matrix)?)\s+"
    r"(?:de\s+la\s+fonction\s+d'activation|of\s+the\s+activation(?:\s+function)?)", re.I)


def _declared_jacobians(words: str, line_of) -> list:
    """(offset, letter, line) of each sentence that names a letter the activation's Jacobian at layer l."""
    return [(m.start(), m.group("letter"), line_of(m.start())) for m in _JACOBIAN_WORDS.finditer(words)]


def _as_jacobian(formula: str, readings: tuple, found: list, section: int, notes: Notes) -> tuple[str, tuple]:
    """``formula`` with the notes' Jacobian letter (J^{(l)}) written as the derivative it names, da^{(l)}/dz^{(l)},
    where the sentence that names it is in the formula's section (a "where J ... is" after the display counts)."""
    for offset, letter, line in found:
        if notes.section_at(offset) != section:
            continue
        pattern = re.compile(rf"(?<![A-Za-z\\]){letter}\s*\^\s*\{{\s*\(\s*([^(){{}}]+?)\s*\)\s*\}}")
        formula, n = pattern.subn(lambda m: rf"\frac{{\partial a^{{({m.group(1)})}}}}{{\partial z^{{({m.group(1)})}}}}",
                                  formula)
        if n:
            readings += (f"{letter} read as the activation's Jacobian, \\partial a / \\partial z, as line {line} says",)
    return formula, readings


# the notes say each layer is one neuron: "a single neuron layer", "one neuron per layer", "single-neuron chain"
# (never "a single neuron i in layer l", one unit of a wide layer)
_SINGLE_NEURON = re.compile(r"\bsingle[- ]neuron\s+(?:layers?|networks?|chains?)\b|"
                            r"\bone\s+neuron\s+(?:per|in\s+each)\s+layer\b|"
                            r"\beach\s+layer\s+(?:has|is)\s+(?:a\s+single|one)\s+neuron\b", re.I)


def _single_neurons(words: str, line_of) -> int | None:
    """The line where the notes say every layer is a single neuron (every quantity a number), or None."""
    m = _SINGLE_NEURON.search(words)
    return line_of(m.start()) if m else None


def _named_layers(events: list, line_of) -> dict | None:
    """{name: (1 or 2, line)} when the notes' forward equations name the layers of a network with one hidden layer:
    the hidden layer (fed by the input x) is 1 above the input, the output (fed by it) 2; None otherwise (no names,
    more layers, or names the equations do not chain from the input)."""
    fed: dict[str, tuple[str, int]] = {}  # name -> (what feeds it: "x" or a name, line)
    for kind, offset, body, _ in events:
        if kind != "math":
            continue
        for m in _FEEDS.finditer(body):
            target = next(g for g in m.groups()[:3] if g)
            weight, source, bias = m.group(4), m.group(5) or m.group(6), m.group(7)
            if weight != target or bias != target or source == target:
                continue
            if fed.setdefault(target, (source, line_of(offset + m.start())))[0] != source:
                return None  # two definitions that disagree: the names say nothing sure
    hidden = [n for n, (src, _) in fed.items() if src == "x"]
    if len(fed) != 2 or len(hidden) != 1:
        return None
    output = next(n for n in fed if n != hidden[0])
    if fed[output][0] != hidden[0]:
        return None
    return {hidden[0]: (1, fed[hidden[0]][1]), output: (2, fed[output][1])}


def _as_named(formula: str, readings: tuple, named: dict, conv) -> tuple[str, tuple]:
    """``formula`` with the notes' layer names (H, O) written as the layers they are in ``conv``'s numbering (the
    input is layer conv.input_layer; a concrete layer makes the claim one about a network of that depth)."""
    used = []
    for name, (above, _) in named.items():
        layer = conv.input_layer + above
        def numbered(m: re.Match[str], at: int = layer) -> str:
            return f"{m.group(1)}^{{({at})}}"
        formula, n = re.subn(_NAMED_SUP.format(name), numbered, formula)
        if n:
            used.append(name)
    if not used:
        return formula, readings
    (h, (_, h_line)), (o, (_, o_line)) = sorted(named.items(), key=lambda kv: kv[1][0])
    reading = (f"the layers {h} and {o} read as layers {conv.input_layer + 1} and {conv.input_layer + 2} = L of a "
               f"network with one hidden layer, as lines {h_line} and {o_line} define them")
    return formula, readings + (reading,)


def _declared_operators(text: str, line_of) -> list:
    """(operator, its pattern, replacement, the line that declares it) for each operator the notes say is the
    elementwise product; an operator no sentence declares is left as written (and refused if unknown)."""
    out = []
    for name, operator, replacement, declaration in _DECLARED:
        if m := declaration.search(text):
            out.append((name, operator, replacement, line_of(m.start())))
    return out


def _as_declared(formula: str, declared: list) -> tuple[str, tuple]:
    """``formula`` with each declared operator written as derive reads it, and a note for each replaced."""
    readings = []
    for name, operator, replacement, line in declared:
        formula, n = operator.subn(replacement.replace("\\", "\\\\"), formula)  # the replacement as text
        if n:
            readings.append(f"{name} read as the elementwise product {replacement}, as line {line} declares")
    return formula, tuple(readings)


# a hat as the notes' mark of a vector or matrix: lecture slides that write z^L_j for a component write \hat{z}^L
# for the vector (and \hat{W^L} for the matrix). Read so only where the notes' own usage says it: every hatted
# letter is written whole (never with a component subscript), the plain letter only by its components, and at least
# one hatted letter also appears plain; y is never hatted there (\hat{y} is the network's output in every source)
_HATTED = re.compile(r"\\(?:hat|widehat)(?![A-Za-z])\s*(?:\{\s*(\\[A-Za-z]+|[A-Za-z])\s*"
                     r"(\^\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))?\s*\}|(\\[A-Za-z]+|[A-Za-z])(?![A-Za-z]))")
_INDEXED_AFTER = re.compile(r"\s*(?:\^\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+)\s*)?_")  # a subscript, after a superscript


def _plain_letter(letter: str) -> re.Pattern:
    return re.compile(rf"\\{letter[1:]}(?![A-Za-z])" if letter.startswith("\\") else
                      rf"(?<![A-Za-z\\]){letter}(?![A-Za-z])")


def _vector_marks(events: list, line_of) -> tuple[frozenset, int] | None:
    """(the hatted letters, the line of the first) when the notes use a hat as the mark of a vector or matrix (see
    _HATTED), or None."""
    bodies = [(offset, body) for kind, offset, body, _ in events if kind == "math"]
    hatted: dict = {}
    plain_text = []
    for offset, body in bodies:
        for m in _HATTED.finditer(body):
            letter = m.group(1) or m.group(3)
            if letter in ("y", "Y") or _INDEXED_AFTER.match(body, m.end()) or m.group(2) and \
                    body[m.end():].lstrip().startswith("^"):
                return None  # \hat{y}, or a hatted component: the hat means something else here
            hatted.setdefault(letter, line_of(offset + m.start()))
        plain_text.append(_HATTED.sub(lambda m: " " * len(m.group()), body))
    if not hatted:
        return None
    plain = "\n".join(plain_text)
    evidence = False
    for letter in hatted:
        uses = list(_plain_letter(letter).finditer(plain))
        if any(not _INDEXED_AFTER.match(plain, u.end()) for u in uses):
            return None  # the plain letter is also written whole: the hat marks something else
        evidence = evidence or bool(uses)
    return (frozenset(hatted), min(hatted.values())) if evidence else None


def _as_marked(formula: str, readings: tuple, marks: tuple[frozenset, int] | None) -> tuple[str, tuple]:
    """``formula`` with the notes' vector marks (\\hat{z}^L, \\hat{W^L}) written as the plain symbols they mark."""
    if marks is None:
        return formula, readings
    letters, line = marks

    def plain(m):  # a space where the letter would run into a command before it, or a command into a letter after
        letter = m.group(1) or m.group(3)
        if letter not in letters:
            return m.group()
        before = " " if re.search(r"\\[A-Za-z]+$", formula[:m.start()]) else ""
        after = " " if letter[0] == "\\" and not m.group(2) and formula[m.end():m.end() + 1].isalpha() else ""
        return f"{before}{letter}{m.group(2) or ''}{after}"
    formula, n = _HATTED.subn(plain, formula)
    if not n:
        return formula, readings
    return formula, readings + (f"a hat read as the notes' mark of a vector or matrix (\\hat{{z}}^L is z^L), as from "
                                f"line {line} they hat letters only whole and write the plain letters by components",)


def _macros(text: str) -> dict:
    """The macros the notes define (\\newcommand, \\def, \\DeclareMathOperator): text to substitute, never run."""
    from .formula.parse import FormulaError, read_macros
    if "\\newcommand" not in text and "\\def" not in text and "\\DeclareMathOperator" not in text \
            and "\\renewcommand" not in text and "\\providecommand" not in text:
        return {}
    try:
        return read_macros(text)
    except FormulaError:
        return {}  # definitions derive cannot read: the formulas that use them say so when they are checked


def _expanded(formula: str, macros: dict) -> str:
    """A formula with the notes' own macros expanded; as written if it uses none, or expansion is refused."""
    if not macros:
        return formula
    from .formula.parse import FormulaError, expand_macros
    try:
        return expand_macros(formula, macros)
    except FormulaError:
        return formula  # checked as written: the unknown command is named in its finding


def _basis(notes: Notes, offset: int, stated: dict) -> Basis:
    """How each field is decided at ``offset``: as stated, or inferred from the notes where nothing states it."""
    basis = notes.basis(offset, stated)
    return dataclasses.replace(basis, since=max([basis.section_line, basis.weights.line]
                                                + [d.line for d in stated.values()]))


def _directive_words(body: str, where: str) -> list[str]:
    """A directive's ``key=value`` words, as the shell splits them (the whole body may be quoted)."""
    body = body.strip()
    if len(body) >= 2 and body[0] == body[-1] and body[0] in "'\"":  # derive: "convention=ng loss=bce"
        body = body[1:-1]
    try:
        words = shlex.split(body)
    except ValueError as exc:
        raise LintError(f"{where}: cannot read the derive directive: {exc}") from None
    if not words:
        raise LintError(f"{where}: empty derive directive; write key=value pairs, e.g. convention=ng loss=bce")
    return words


def _directive(words: list[str], where: str, folder: Path, run: _Run) -> dict:
    """The fields the ``key=value`` words set, {field: value}; unknown keys and names are refused with ``where``.

    ``grad_of=cost`` and ``l2=0.1`` modify the convention in force (its parameter gradients are of the batch's
    reduced cost; the cost has the L2 penalty lambda/2 times the reduction's factor times the sum of squared
    weights), as a regularised batch gradient needs; a directive that names a convention restores its own.

    ``convention=x.toml`` may name only a regular ``.toml`` file in the notes file's folder or below it, by a
    relative path: an absolute path, or one that leads outside the folder (by ``..`` or through a symlink),
    is refused, so opening a notes folder can make derive read no file outside it. The file is then read by
    ``conventions.convention``, which checks every field; nothing in it is evaluated.
    """
    from .activations import activation
    from .conventions import SCALES, WEIGHT_INDICES
    from .errors import lookup
    from .losses import loss

    layer = next((w.partition("=")[2] for w in words if w.startswith("layer=")), None)
    changes = {}
    value: str | float | bool  # as written; l2's a float, unbiased's a bool
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or not key or not value:
            raise LintError(f"{where}: expected key=value in the derive directive, got {word!r}")
        field = KEYS.get(key)
        try:
            if field is None:
                raise UnknownName("derive directive key", key, list(KEYS))
            if field == "convention" and layer not in (None, "none"):
                pass  # the letters of the layer this directive names: checked by _layered
            elif field == "convention":
                if value.endswith(".toml"):
                    value = _convention_file(value, folder)
                run.convention(value)
            elif field == "loss":
                loss(value)
            elif field == "weights":
                lookup(WEIGHT_INDICES, "weights order", value)
            elif field == "grad_of":
                lookup(SCALES, "grad_of (what the parameter gradients are of)", value)
            elif field == "l2":
                value = _penalty(value)
            elif field == "layer":
                from .layer_inputs import KIND_ALIASES, KINDS
                value = value if value == "none" else lookup({k: k for k in KINDS} | KIND_ALIASES, "layer kind", value)
            elif field == "unbiased":
                value = lookup({"true": True, "false": False}, "unbiased (true or false)", value)
            else:
                activation(value)
        except DeriveError as exc:
            raise LintError(f"{where}: {exc}") from None
        changes[field] = value
    return changes


def _layered(changes: dict, layered: Layered | None, where: str) -> Layered | None:
    """The layer directive in force after ``changes``: layer=KIND [convention=LETTERS] [unbiased=true], or
    layer=none (the network's claims again); network keys in the same directive are refused, not dropped."""
    from .layers import kind
    other = sorted(k for k in changes if k not in LAYER_KEYS + ("convention",))
    if other:
        raise LintError(f"{where}: a layer directive takes layer, convention and unbiased; "
                        f"{', '.join(other)} apply to a network (write them in a directive of their own)")
    name = changes.get("layer", layered.kind if layered else None)
    if name is None:
        raise LintError(f"{where}: unbiased= is for a layer directive (derive: layer=batchnorm unbiased=true)")
    if name == "none":
        if len(changes) > 1:
            raise LintError(f"{where}: layer=none takes no other key")
        return None
    letters = changes.get("convention", layered.letters if layered and "layer" not in changes else None)
    unbiased = changes.get("unbiased", layered.unbiased if layered and "layer" not in changes else False)
    try:
        graph = kind(name, unbiased)
        if letters is not None:
            graph.notation(letters)
    except DeriveError as exc:
        raise LintError(f"{where}: {exc}") from None
    return Layered(name, letters, unbiased)


def _penalty(value: str) -> float:
    """An L2 penalty lambda as a directive writes it: a plain decimal number, 0 or more (read by float alone)."""
    if not re.fullmatch(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", value) or float(value) > 1e6:
        raise DeriveError(f"l2={value}: the L2 penalty is a number from 0 to 1e6, e.g. l2=0.1")
    return float(value)


def _convention_file(value: str, folder: Path) -> str:
    """The path of the ``.toml`` a directive names, under ``folder``; see ``_directive`` for what is allowed."""
    if PurePath(value).is_absolute() or PurePath(value).drive:
        raise LintError(f"convention file {value} is an absolute path; a derive directive names a "
                        "convention file in the notes' folder or a subfolder, by a relative path")
    try:
        root, target = folder.resolve(), (folder / value).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL byte
        raise LintError(f"cannot read convention file {value}: {exc}") from None
    if not target.is_relative_to(root):
        raise LintError(f"convention file {value} is outside the notes' folder; a derive directive "
                        "names a convention file in that folder or a subfolder")
    path = folder / target.relative_to(root)
    try:
        info = path.stat()
    except OSError as exc:
        raise LintError(f"cannot read convention file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise LintError(f"cannot read convention file {path}: not a regular file")
    return str(path)


def _events(text: str, latex: bool):
    """(kind, offset, body, env) in file order: ("directive", where, its key=value text, None) and
    ("math", where its content starts, the content, the environment or None)."""
    i, n = 0, len(text)
    closers = _Closers(text, latex)
    if not latex:
        i = yield from _front_matter(text)
    while i < n:
        ch = text[i]
        if not latex and (i == 0 or text[i - 1] == "\n") and (m := _FENCE.match(text, i)):
            i = _fence_end(text, m)                  # a fenced code block
        elif latex and ch == "%":                   # a comment, to the end of the line
            end = _line_end(text, i)
            if d := _DIRECTIVE.match(text, i + 1, end):
                yield "directive", i, d.group(1), None
            i = end
        elif not latex and text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            end = n if end < 0 else end
            if d := _DIRECTIVE.match(text, i + 4, end):
                yield "directive", d.start(1), d.group(1), None
            i = end + 3
        elif not latex and ch == "`":               # a code span: backticks closed by a run of the same length
            ticks = _BACKTICKS.match(text, i)
            assert ticks is not None  # text[i] is a backtick
            run = len(ticks.group())
            close = closers.backticks(run, i + run)
            i = i + run if close is None else close
        elif latex and (m := _VERB.match(text, i)):
            close = closers.plain(m.group(1), m.end())
            i = m.end() if close < 0 else close + 1
        elif latex and (m := _ENV.match(text, i)) and m.group(1) == "begin" and m.group(2) in VERBATIM_ENVS:
            close = text.find(f"\\end{{{m.group(2)}}}", m.end())
            i = n if close < 0 else close
        elif math := _math_at(text, i, closers):
            start, content, env, i = math
            yield "math", start, content, env
        else:
            i += 2 if ch == "\\" else 1
            if i < n and text[i - 1] != "\n":      # not at a line start, where a fence may open
                plain = _PLAIN.match(text, i)
                assert plain is not None  # the pattern matches the empty string too
                i = plain.end()


def _front_matter(text: str):
    """Yield the directive of a Markdown file's front matter (``---`` ... ``---``); return where it ends."""
    head = 1 if text.startswith("\ufeff") else 0
    if not re.match(r"---[ \t]*\r?\n", text[head:]):
        return 0
    end = _FRONT_END.search(text, text.index("\n", head) + 1)
    if end is None:
        return 0  # a thematic break, not front matter
    for m in re.finditer(r"^derive:(.*?)\r?$", text[:end.start()], re.M):
        yield "directive", m.start(), m.group(1), None
    return end.end()


def _fence_end(text: str, m: re.Match) -> int:
    """The end of a fenced code block opened by ``m`` (the end of the file if it is never closed)."""
    fence = m.group(1)
    close = re.compile(rf"^[ \t]*{fence[0]}{{{len(fence)},}}[ \t]*\r?$", re.M).search(text, _line_end(text, m.end()))
    return close.end() if close else len(text)


def _line_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _math_at(text: str, i: int, closers: _Closers):
    """(content start, content, env, end) of math that opens at ``i``, or None."""
    if text.startswith("$$", i):
        close = closers.unescaped("$$", i + 2)
        return None if close is None else (i + 2, text[i + 2:close], None, close + 2)
    if text[i] == "$":
        close = closers.inline(i)
        return None if close is None else (i + 1, text[i + 1:close], None, close + 1)
    if text.startswith(("\\[", "\\("), i):
        close = closers.unescaped("\\]" if text[i + 1] == "[" else "\\)", i + 2)
        return None if close is None else (i + 2, text[i + 2:close], None, close + 2)
    m = _ENV.match(text, i)
    if m and m.group(1) == "begin" and m.group(2).rstrip("*") in MATH_ENVS:
        start = m.end()
        if m.group(2).startswith("alignat") and (arg := _ALIGNAT_ARG.match(text, start)):
            start = arg.end()
        close = closers.unescaped(f"\\end{{{m.group(2)}}}", start)
        if close is not None:
            return start, text[start:close], m.group(2).rstrip("*"), close + len(m.group(2)) + 6
    return None


class _Closers:
    """The scanner's searches for closers in one text, remembered so that no stretch is searched twice.

    A search from ``start`` that stopped at ``stop`` (its closer, a blank line, the end) gives the same answer
    to a later search for the same closer from anywhere in between, so the openers of an unclosed stretch
    (a paragraph of "costs $5 and ...") cost nothing more and the scan stays linear in the text.
    """

    def __init__(self, text: str, latex: bool) -> None:
        self.text, self.latex = text, latex
        self.known: dict = {}            # what -> (start, stop, result)
        self.runs: dict | None = None    # backtick run length -> starts of the runs of exactly that length

    def _remembered(self, what, i: int, search):
        known = self.known.get(what)
        if known and known[0] <= i <= known[1]:
            return known[2]
        stop, result = search(i)
        self.known[what] = (i, stop, result)
        return result

    def unescaped(self, token: str, i: int) -> int | None:
        """``_find``; a search that starts after a backslash counts escapes from there, so is not shared."""
        if i and self.text[i - 1] == "\\":
            return _find(self.text, token, i)
        return self._remembered(("unescaped", token), i, lambda j: _stopped(_find(self.text, token, j), len(self.text)))

    def plain(self, token: str, i: int) -> int:
        """``str.find``."""
        return self._remembered(("plain", token), i, lambda j: _stopped(self.text.find(token, j), len(self.text)))

    def inline(self, i: int) -> int | None:
        """The $ that closes inline math opened at ``i`` (see ``_inline_scan``), or None.

        In Markdown, Pandoc's rules (no space inside the dollars, no digit after the closer) tell money from
        math; MathJax, which renders most notes on the web (Q&A sites, blogs), closes at the next $ whatever
        the spaces. Where the two disagree, the MathJax pair is taken: always when Pandoc's would enclose a $
        ($a = b $, then $c = d$), and when Pandoc finds no pair ($ \\delta_j = h'(a_j) $) if what it encloses
        is TeX (a command, ^, _, a brace or =), never for "costs $5 and $10".
        """
        text = self.text
        pandoc = None
        if self.latex or not (i + 1 >= len(text) or text[i + 1].isspace()):
            close = self._remembered(("inline",), i + 1, lambda j: _inline_scan(text, j, self.latex))
            pandoc = close if close is not None and close > i + 1 else None
        if self.latex or pandoc is not None and text.find("$", i + 1, pandoc) < 0:
            return pandoc
        _, first = _inline_scan(text, i + 1, True)  # MathJax's closer: the next $ (not across a blank line)
        if pandoc is not None or first is not None and _TEX.search(text, i + 1, first):
            return first
        return None

    def backticks(self, length: int, i: int) -> int | None:
        """The end of the first run of exactly ``length`` backticks that starts at or after ``i``."""
        if self.runs is None:
            self.runs = {}
            for m in _BACKTICKS.finditer(self.text):
                self.runs.setdefault(m.end() - m.start(), []).append(m.start())
        starts = self.runs.get(length, [])
        k = bisect.bisect_left(starts, i)
        return starts[k] + length if k < len(starts) else None


def _stopped(found, end: int) -> tuple:
    """(where a search stopped, its result) for a search that found ``found`` (None or -1: nothing)."""
    return (end if found is None or found < 0 else found), found


def _find(text: str, token: str, i: int) -> int | None:
    """The next ``token`` at or after ``i`` that is not escaped by a backslash (escapes are counted from ``i``)."""
    j = text.find(token, i)
    while j >= 0:
        k = j
        while k > i and text[k - 1] == "\\":
            k -= 1
        if (j - k) % 2 == 0:
            return j
        j = text.find(token, j + 1)
    return None


def _inline_scan(text: str, j: int, latex: bool) -> tuple:
    """(where the search stopped, the closing $ or None) for inline math whose content starts at ``j``; not
    across a blank line. In Markdown (as Pandoc) the closing $ follows a non-space and precedes no digit."""
    while m := _INLINE_STOP.search(text, j):
        j = m.start()
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "\n" and _BLANK_LINE.match(text, j + 1):
            return j, None
        if ch == "$" and (latex or (not text[j - 1].isspace() and not text[j + 1:j + 2].isdigit())):
            return j, j
        j += 1
    return len(text), None


# ---------------------------------------------------------------- one math block to formulas
def _formulas(content: str, env: str | None, lhs: str | None = None):
    """(offset in content, formula on one line, whether its left side was restored) for each formula of a math
    block.

    Each top-level \\\\ ends a formula (one per line of an align or aligned), except in multline; & and
    \\label, \\nonumber, \\intertext are removed; a line that starts with its relation (``&= ...``)
    continues the previous one, so its left side is restored; ``lhs`` is the left side a first line that starts
    with its relation continues (the display before's, ``_left_side``).
    """
    chars = list(content)
    _blank_comments(content, chars)
    for m in _NOT_MATH.finditer("".join(chars)):
        _blank(chars, m.start(), m.end())
    for m in _TRANSPARENT.finditer("".join(chars)):
        _blank(chars, m.start(), m.end())
    text = "".join(chars)
    breaks, amps = _top_level(text)
    for i in amps:
        chars[i] = " "
    if env == "multline":
        for start, end in breaks:
            _blank(chars, start, end)
        breaks = []
    text = "".join(chars)
    bounds = [0] + [end for _, end in breaks]
    stops = [start for start, _ in breaks] + [len(text)]
    for start, stop in zip(bounds, stops):
        piece = text[start:stop]
        if not piece.strip():
            continue
        at = start + len(piece) - len(piece.lstrip())
        formula = " ".join(piece.split())
        relation = _RELATION.match(formula)
        if relation and lhs:
            formula = f"{lhs} {formula}"
        elif (first := _RELATION.search(formula)) is not None:
            lhs = formula[:first.start()].strip() or lhs
        yield at, formula, bool(relation and lhs)


def _top_level(text: str) -> tuple[list, list]:
    """The spans of line breaks \\\\ (with a [2pt] after them) and the positions of & outside braces and
    outside environments such as pmatrix or cases, whose rows are not formulas."""
    breaks, amps, depth, envs, j = [], [], 0, 0, 0
    while j < len(text):
        ch = text[j]
        if ch == "\\":
            if text.startswith("\\\\", j):
                m = _BREAK.match(text, j)
                assert m is not None  # text has \\ at j (a line break), which the pattern matches alone
                if depth == 0 and envs == 0:
                    breaks.append((j, m.end()))
                j = m.end()
                continue
            if m := _ENV.match(text, j):
                envs += 1 if m.group(1) == "begin" else -1
                j = m.end()
                continue
            j += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "&" and depth == 0 and envs == 0:
            amps.append(j)
        j += 1
    return breaks, amps


def _blank_comments(text: str, chars: list) -> None:
    """Blank % comments (not \\%) to the end of their line."""
    j = 0
    while j < len(text):
        if text[j] == "\\":
            j += 2
        elif text[j] == "%":
            end = _line_end(text, j)
            _blank(chars, j, end)
            j = end
        else:
            j += 1


def _blank(chars: list, start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


__all__ = ["Finding", "Formula", "LintError", "Setting", "lint", "render", "scan"]
