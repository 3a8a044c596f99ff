"""The command line: ``derive list``, ``derive table``, ``derive verify``.

SymPy is imported inside the commands that need it, so ``derive --help`` and ``derive list`` start
instantly. Every user error is one line on stderr and exit status 2; a failed verification is exit 1.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping

from .architectures import DEFAULT_INPUTS, ELEMENTWISE
from .errors import DeriveError
from .limits import INPUTS, LAYERS, SEED, TRIALS

# Each command's examples, shown by `derive COMMAND --help`; `derive --help` shows them all.
COMMAND_EXAMPLES = {
    "list": [r"derive list"],
    "table": [r"derive table --convention ng --format md",
              r"derive table --convention bishop -o table.tex          # the format follows the extension"],
    "verify": [r"derive verify --convention nielsen --loss bce --activation sigmoid --hidden tanh --layers 6",
               r"derive verify --convention cs231n --loss cce --activation softmax --hidden relu --layers 24 --json",
               r"derive verify --convention my_notes.toml --loss mse --activation identity --hidden tanh",
               r"derive verify --layer batchnorm --convention ioffe --unbiased",
               'derive verify --architecture "dense(4), batchnorm, relu, residual(dense(4), batchnorm, relu), '
               'dense(2), logsoftmax"'],
    "doc": [r"derive doc --convention ng --loss cce --activation softmax --hidden relu -o ng.tex",
            r"derive doc --convention nielsen --loss mse --activation sigmoid --format tex-snippet",
            r"derive doc --layer attention --convention dao -o attention.md",
            'derive doc --architecture "dense(6), projected(dense(4), layernorm, tanh), softmax" --inputs 5'],
    "gallery": [r"derive gallery -o output/"],
    "check": [r'derive check --convention nielsen --loss bce --activation sigmoid "\delta^L = a^L - y"',
              r"""echo "\delta^{(l)} = (\Theta^{(l)})^T \delta^{(l+1)} .* g'(z^{(l)})" """
              r"""| derive check --convention ng -"""],
    "lint": [r"derive lint notes.md lecture.tex",
             r"derive lint notes/                      # every .md, .markdown and .tex file under notes/",
             r"derive lint --json 'notes/**/*.md'      # a quoted glob: derive expands it, ** at any depth"],
    "translate": [r"""derive translate --from nielsen --to ng """
                  r'''"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)"''',
                  r'derive translate --from dls --to cs231n --loss bce "dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}"'],
    "help": [r"derive help check"],
}
NOTES = """
--activation is the output layer's activation (the one paired with the loss);
--hidden is the activation of every hidden layer. A convention is a preset name
or a .toml file (see README: "Defining your own convention"). Names may be typed
in any case, and common aliases work (crossentropy, logistic, ...).
"""
DOC_LAYERS = 3  # the depth a document is verified at unless --layers says otherwise
PROBLEM_COMMANDS = {"verify", "doc", "check", "lint", "translate"}
COMMAND_ALIASES = {"docs": "doc", "document": "doc", "tables": "table", "verification": "verify", "test": "verify",
                   "checks": "check", "linter": "lint", "translation": "translate", "ls": "list"}


def _examples(command: str | None = None) -> str:
    names = [command] if command else list(COMMAND_EXAMPLES)
    lines = [f"  {line}" for name in names for line in COMMAND_EXAMPLES[name]]
    notes = NOTES if command is None or command in PROBLEM_COMMANDS else ""
    return "examples:\n" + "\n".join(lines) + "\n" + notes


class _Formatter(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal; the examples epilog kept line for line."""

    def _fill_text(self, text, width, indent):
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) that point at --help."""

    commands: Mapping[str, argparse.ArgumentParser]  # the top-level parser's subcommands, by name (derive help)

    def error(self, message: str):
        m = re.match(r"argument COMMAND: invalid choice: '(.*?)'", message)
        if m:
            message = f"unknown command {m.group(1)!r}{_suggest(m.group(1))}"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _suggest(typed: str) -> str:
    """"; did you mean 'verify'?" for a misspelt command, or ""."""
    from .errors import did_you_mean
    alias = COMMAND_ALIASES.get(typed.lower())
    return f"; did you mean {alias!r}?" if alias else did_you_mean(typed, COMMAND_EXAMPLES, n=2, cutoff=0.6)


class _Given(argparse.Action):
    """Store the value and remember the flag was typed (``args.given``): with --layer the network's flags do not
    apply, and a typed one is refused rather than ignored."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.given = getattr(namespace, "given", set()) | {self.dest}


class _GivenTrue(_Given):
    """``store_true`` that remembers it was typed."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=False, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, True, option_string)


# whose letters each layer kind is written in (its first is the default); tests check it against the kinds' own
SHAPED_LETTERS = {"batchnorm": "ioffe, cs231n", "layernorm": "ba, cs231n", "dropout": "cs231n", "dense": "cs231n",
                  "softmax": "goodfellow, bishop, cs231n", "logsoftmax": "goodfellow, bishop, cs231n",
                  "attention": "vaswani, dao", "masked_attention": "vaswani, dao", "embedding": "cs231n",
                  "conv1d": "cs231n, goodfellow", "maxpool1d": "cs231n", "avgpool1d": "cs231n",
                  "conv2d": "cs231n, goodfellow", "maxpool2d": "cs231n", "avgpool2d": "cs231n",
                  "rnn": "cs231n, goodfellow", "lstm": "cs231n", "gru": "pytorch",
                  "lstm_concat": "dls"}
ACTIVATION_LETTERS = "cs231n"  # every elementwise activation's
LAYER_LETTERS = SHAPED_LETTERS | {name: ACTIVATION_LETTERS for name in ELEMENTWISE}


def _letters_words() -> list[str]:
    """Whose letters each kind is written in, the activations together; a kind another source parameterises
    otherwise (``layer_inputs.BY_NOTATION``) with the kind that convention gives it."""
    from .layer_inputs import BY_NOTATION
    also = {k: "".join(f", {c} (that is {graph})" for (name, c), graph in BY_NOTATION.items() if name == k)
            for k in SHAPED_LETTERS}
    return [f"{k}: {v}{also[k]}" for k, v in SHAPED_LETTERS.items()] + [
        f"the activations ({', '.join(ELEMENTWISE)}): {ACTIVATION_LETTERS}"]


def _layer_flags(p: argparse.ArgumentParser, architecture: bool = False) -> None:
    from .layer_inputs import KIND_ALIASES, KINDS
    if architecture:
        p.add_argument("--architecture", metavar="SPEC",
                       help="a network written as layer kinds in order instead of a dense stack, e.g. "
                            "'dense(4), batchnorm, relu, residual(dense(4), batchnorm, relu), dense(2), logsoftmax'; "
                            "dense(H) sets the width, residual(...) adds the block's input to its output, "
                            "projected(...) adds it through a learned matrix (see README: \"Architectures\")")
        p.add_argument("--inputs", type=_bounded(INPUTS), default=DEFAULT_INPUTS, metavar="D", action=_Given,
                       help=f"with --architecture: the input's features (after signal(T) or image(T, T2): its "
                            f"channels), {INPUTS.low} to {INPUTS.high} (default: {DEFAULT_INPUTS})")
    aliases = ", ".join(f"{a} for {k}" for a, k in KIND_ALIASES.items())
    p.add_argument("--layer", choices=KINDS + tuple(KIND_ALIASES), metavar="KIND",
                   help=f"one layer on its own instead of a network: {', '.join(KINDS)} ({aliases}); --convention "
                        "then names "
                        "whose letters (" + "; ".join(_letters_words()) + ")")
    p.add_argument("--unbiased", action="store_true",
                   help="with --layer batchnorm or layernorm: normalise by the n - 1 variance (default: 1/n, as "
                        "Ioffe & Szegedy and PyTorch in training)")


def _problem_flags(p: argparse.ArgumentParser, loss=True, convention=True, infer=False) -> None:
    """The problem flags; with ``infer`` (lint) an absent flag means "read it from the notes"."""
    default = (lambda name: None) if infer else (lambda name: name)
    shown = (lambda name: f"default: inferred from the notes, else {name}") if infer else \
        (lambda name: f"default: {name}")
    if convention:
        p.add_argument("--convention", default=default("nielsen"), metavar="C", action=_Given,
                       help=f"preset name (see `derive list`) or a .toml file ({shown('nielsen')})")
    if loss:
        p.add_argument("--loss", default=default("mse"), metavar="L", action=_Given,
                       help=f"per-example loss ({shown('mse')})")
        p.add_argument("--activation", default=default("sigmoid"), metavar="A", action=_Given,
                       help=f"output-layer activation, paired with the loss ({shown('sigmoid')})")
        p.add_argument("--hidden", default=default("sigmoid"), metavar="H", action=_Given,
                       help=f"activation of the hidden layers ({shown('sigmoid')})")
    p.add_argument("-o", "--out", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    p.add_argument("--force", action="store_true",
                   help="let -o replace an existing FILE (without it, derive replaces only the documents it "
                        "generated, which carry a marker)")


def build_parser() -> _Parser:
    parser = _Parser(prog="derive", formatter_class=_Formatter,
                     description="Derive backpropagation formulas symbolically, in the notation of a textbook or "
                                 "course, and check every one numerically against the forward pass.",
                     epilog=_examples())
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    sub.add_parser("list", help="list conventions, activations, losses and reductions",
                   description="List the shipped conventions (with sources), activations, losses and reductions.")

    p = sub.add_parser("table", help="the loss x output-activation table of dE/dz at the output",
                       description="For every loss and output activation: dE/dz^L in textbook form, whether it "
                                   "equals yhat - y (decided by exact symbolic comparison), and under which "
                                   "condition (cross-entropy + softmax needs sum_k y_k = 1).")
    _problem_flags(p, loss=False)
    p.add_argument("--format", choices=["text", "md", "tex"],
                   help="output format (default: from the -o file's extension, .md or .tex, else text)")

    p = sub.add_parser("verify", help="check every derived formula against forward-pass ground truth",
                       description="Derive delta at the output, the delta and dE/da recursions and the weight and "
                                   "bias gradients, then evaluate them on random networks with unequal widths and "
                                   "compare with gradients of the forward pass (reverse-mode differentiation at 50 "
                                   "digits; central differences with --truth fd, exact SymPy with --truth sympy). "
                                   "Exit 0 if every relative error is within tolerance, 1 otherwise.")
    _problem_flags(p)
    p.add_argument("--layers", type=_bounded(LAYERS), default=3, metavar="N", action=_Given,
                   help=f"number of weight layers, {LAYERS.low} to {LAYERS.high} (default: 3)")
    p.add_argument("--trials", type=_bounded(TRIALS), default=3, metavar="T",
                   help=f"random networks to try, {TRIALS.low} to {TRIALS.high} (default: 3)")
    p.add_argument("--seed", type=_bounded(SEED), default=0, metavar="S", help="first random seed (default: 0)")
    p.add_argument("--truth", choices=["reverse", "fd", "sympy"], default="reverse", action=_Given,
                   help="ground truth: reverse = reverse-mode differentiation of the forward pass at 50 digits "
                        "(default); fd = central differences at 50 digits; sympy = exact, depth <= 3")
    p.add_argument("--torch", action=_GivenTrue, help="also compare with torch.autograd (needs PyTorch)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _layer_flags(p, architecture=True)

    p = sub.add_parser("doc", help="a step-by-step derivation document (Markdown, LaTeX, or a LaTeX snippet)",
                       description="Derive, verify, and write up: set-up and notation, the output layer step by "
                                   "step, the hidden-layer recursion in index and vector form, the activation-"
                                   "gradient variant, weight and bias gradients, the algorithm, the same result "
                                   "in every other convention, and the verification figures. Nothing is written "
                                   "if verification fails. Markdown written with -o NAME.md shows the layer's "
                                   "computational graph from NAME.svg, written beside it; LaTeX draws it with "
                                   "TikZ.")
    _problem_flags(p)
    p.add_argument("--layers", type=_bounded(LAYERS), default=DOC_LAYERS, metavar="N", action=_Given,
                   help=f"depth verified, {LAYERS.low} to {LAYERS.high} (default: {DOC_LAYERS})")
    p.add_argument("--format", choices=["md", "tex", "tex-snippet"],
                   help="md (GitHub, Jupyter, KaTeX), tex (standalone article), tex-snippet (just the equations); "
                        "default: from the -o file's extension, else md")
    _layer_flags(p, architecture=True)

    p = sub.add_parser("check", help="does a formula from a book or your notes hold? exit 0 holds, 1 fails, 2 invalid",
                       description="Parse a backprop formula (LaTeX or Octave-style), read it in a convention's "
                                   "notation, check shapes, then compare it with gradients of the forward pass on "
                                   "random networks at every layer where it applies. A failing formula gets a "
                                   "counterexample and, where one single common mistake explains it, the "
                                   "corrected formula. Exit 0: holds; 1: fails; 2: invalid input.")
    _problem_flags(p)
    p.add_argument("formula", metavar="FORMULA", help="the formula, quoted; - reads it from standard input")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-diagnosis", action="store_true", help="skip the search for the likely mistake")
    p.add_argument("--single-neurons", action=_GivenTrue,
                   help="judge on networks of one neuron per layer, where every quantity is a number (for notes "
                        "that say so; it hides transposes)")
    _layer_flags(p)

    p = sub.add_parser("lint", help="check every backprop formula in Markdown or LaTeX notes; exit 1 if one fails",
                       description="Find the math in Markdown or LaTeX notes ($...$, $$...$$, \\[...\\], \\(...\\), "
                                   "equation and align environments, one formula per align line), check every "
                                   "equation whose left side names a backprop quantity, and print file:line: holds, "
                                   "fails (with the likely mistake and the corrected formula) or skipped (with the "
                                   "reason). Without flags or directives the convention, loss and activations are "
                                   "inferred from the notes' notation and words, and each file says what was "
                                   "inferred and why; where the notation is ambiguous, its claims are skipped with "
                                   "the directive to write. "
                                   "A file can set its own in front matter "
                                   "(derive: convention=ng loss=bce output=sigmoid) or in a comment, "
                                   "<!-- derive: ... --> or % derive: ..., from that line on. The notes are never "
                                   "modified. Exit 0: nothing fails; 1: a formula fails; 2: bad input.")
    _problem_flags(p, infer=True)
    p.add_argument("notes", nargs="+", metavar="NOTES",
                   help="Markdown or LaTeX (.tex) files; a folder means every notes file under it (.md, .markdown, "
                        ".tex, .ltx, .latex; hidden files and folders, and links leading out of the folder, "
                        "skipped); a quoted glob pattern ('notes/**/*.md') is expanded by derive")
    p.add_argument("--json", action="store_true",
                   help="print one JSON list of {file, line, verdict, formula, reason, diagnosis, convention}")
    p.add_argument("-v", "--verbose", action="store_true", help="also list math that is not an equation")
    p.add_argument("--no-diagnosis", action="store_true", help="skip the search for the likely mistake")
    p.add_argument("--weights", choices=("to_from", "from_to"), default=None,
                   help="the order of a weight's subscripts in component formulas: to_from (Nielsen's w_{jk}, to "
                        "unit j from unit k) or from_to (w_{ij} from unit i to unit j); default: read from the "
                        "notes' forward equation z_j = \\sum_i w_{ij} a_i, else the convention's own")

    p = sub.add_parser("translate", help="rewrite a formula in another convention's notation, checked in both",
                       description="Rewrite a formula from one convention's notation into another's (weights named "
                                   "by the layer they feed, layouts transposed, the 1/m moved, Ng's bias unit), "
                                   "then judge both against each convention's own forward pass. Refuses, with the "
                                   "reason, what the target cannot express. Exit 0 when the two verdicts agree.")
    p.add_argument("--from", dest="source", required=True, metavar="C1", help="the formula's convention")
    p.add_argument("--to", dest="target", required=True, metavar="C2", help="the convention to write it in")
    _problem_flags(p, convention=False)
    p.add_argument("formula", metavar="FORMULA", help="the formula, quoted; - reads it from standard input")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("gallery", help="write every shipped convention's documents into a folder",
                       description="Every shipped convention's documents, one per output pair the gallery "
                                   "ships (md, tex and the network's picture in svg), the single-layer "
                                   "documents (layers/), the architectures' documents (architectures/) and an "
                                   "index README.md that lists them all, each verified before it is written. "
                                   "Deterministic: the same code writes the same bytes.")
    p.add_argument("-o", "--out", default="output", metavar="DIR",
                   help="folder to write, replaced whole once every document is verified (default: output)")
    p.add_argument("--force", action="store_true", help="replace gallery files in DIR that derive did not generate")

    p = sub.add_parser("help", help="show the help of derive or of one command", description="Show the help of "
                       "derive, or of one command with its examples.")
    p.add_argument("topic", nargs="?", metavar="COMMAND", help="the command to explain")
    for name, command in sub.choices.items():  # each command's --help shows its own examples
        command.formatter_class, command.epilog = _Formatter, _examples(name)
    parser.commands = sub.choices
    return parser


class _Version(argparse._VersionAction):
    """--version, with the version looked up (importlib.metadata, about 15 ms) only when it is asked for."""

    def __call__(self, parser, namespace, values, option_string=None):
        self.version = f"derive {_version()}"
        super().__call__(parser, namespace, values, option_string)


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("derive")
    except Exception:  # noqa: BLE001 - run from a checkout without installing: any failure means "unknown"
        return "(not installed)"


def _bounded(bound):
    """An argparse type for a whole number within one of derive.limits' bounds (the API checks the same)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        try:
            return bound.check(value)
        except DeriveError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def cmd_list(args) -> tuple[str, int]:
    from .activations import ACTIVATIONS
    from .conventions import PRESETS
    from .losses import LOSSES, REDUCTIONS
    out = ["conventions:"] + [f"  {c.name:12} {c.layout:13} {c.source}" for c in PRESETS.values()]
    out += ["activations:"] + [f"  {a.name:12} {a.summary}" + ("" if a.elementwise else "  (output only)")
                               for a in ACTIVATIONS.values()]
    out += ["losses:"] + [f"  {x.name:12} {x.summary}" for x in LOSSES.values()]
    out += ["layer kinds (derive doc/verify --layer KIND, with --convention naming whose letters):"]
    out += [f"  {words}" for words in _letters_words()]
    out += ["architectures (derive doc/verify --architecture SPEC): the layers in order, comma-separated:",
            "  dense(H), batchnorm, layernorm, dropout, softmax, logsoftmax, any activation above,",
            "  residual(...) (y = F(x) + x) and projected(...) (y = F(x) + x W_s);",
            "  after an input item signal(T), image(T, T2) or sequence(T) (--inputs: its channels or features):",
            "  conv1d(H, U[, stride[, pad]]), conv2d(H, U, ...), maxpool1d(U[, stride]), avgpool1d, maxpool2d,",
            "  avgpool2d, flatten (then dense(H)), rnn(H), lstm(H), gru(H)",
            "  e.g. 'signal(8), conv1d(4, 3, stride=2, pad=1), relu, maxpool1d(2), flatten, dense(3), softmax'"]
    out += ["reductions (a convention field):"] + [f"  {r.name:17} {r.summary}" for r in REDUCTIONS.values()]
    return "\n".join(out) + "\n", 0


def cmd_table(args) -> tuple[str, int]:
    from .conventions import convention
    from .table import render
    return render(convention(args.convention), args.format or _format_of(args.out, "text")), 0


def _layer_convention(args) -> str | None:
    """With --layer, the notation --convention typed (None: the kind's first); a network flag typed with it is
    refused, not ignored, and so is --unbiased without it."""
    given: set[str] = getattr(args, "given", set())
    if getattr(args, "architecture", None) is not None:
        if args.layer:
            raise DeriveError("--layer and --architecture: give one (an architecture is a list of layer kinds)")
        _refuse_typed(given - {"inputs"}, "an architecture", "--architecture takes --inputs")
        return None
    if "inputs" in given:
        raise DeriveError("--inputs is for --architecture")
    if not args.layer:
        if args.unbiased:
            raise DeriveError("--unbiased is for --layer batchnorm or layernorm, or an --architecture")
        return None
    _refuse_typed(given - {"convention"}, "one layer", "--layer takes --convention")
    return args.convention if "convention" in given else None


def _refuse_typed(typed: set[str], what: str, takes: str) -> None:
    """A network flag typed where it has no meaning is refused, not ignored."""
    if typed:
        raise DeriveError(f"{', '.join('--' + t.replace('_', '-') for t in sorted(typed))} does not apply to {what} "
                          f"({takes}, --unbiased and the command's own options)")


def _layer(args):
    """The derivation ``--layer`` or ``--architecture`` asks for, or None."""
    convention = _layer_convention(args)
    if getattr(args, "architecture", None) is not None:
        from .api import architecture
        return architecture(args.architecture, args.inputs, args.unbiased)
    if not args.layer:
        return None
    from .api import layer
    return layer(args.layer, convention, args.unbiased)


def cmd_verify(args) -> tuple[str, int]:
    from .api import derive, verify
    single = _layer(args)
    if single is not None:
        report = verify(single, trials=args.trials, seed=args.seed)
        import json
        text = json.dumps(report.to_dict(), indent=2) if args.json else report.text()
        return text + "\n", (0 if report.ok else 1)
    if args.truth == "sympy" and args.layers > 3:
        raise DeriveError("--truth sympy differentiates exactly and is for --layers 3 or fewer; use --truth fd")
    deriv = derive(args.convention, args.loss, args.activation, args.hidden)
    report = verify(deriv, layers=args.layers, trials=args.trials, seed=args.seed, truth=args.truth,
                    torch=args.torch)
    return (report.to_json() + "\n" if args.json else report.text() + "\n"), (0 if report.ok else 1)


def cmd_doc(args) -> tuple[str, int]:
    from .gallery import Verified, document
    from .render import render
    single = _layer(args)
    if single is not None:
        from .arch_backward import ArchDerivation
        if isinstance(single, ArchDerivation):
            from .arch_doc import command as arch_command
            from .arch_doc import document as layer_document
            regenerate = arch_command(single, args.format, args.out)
        else:
            from .kind_doc import command as kind_command
            from .kind_doc import document as layer_document  # type: ignore[assignment]
            typed = args.convention if str(args.convention).endswith(".toml") else None  # a notation file
            regenerate = kind_command(single, args.format, args.out, typed)
        fmt = args.format or _format_of(args.out, "md")
        if fmt == "tex-snippet":
            raise DeriveError("a layer's or an architecture's document is md or tex")
        return layer_document(single, fmt, regenerate=regenerate), 0
    fmt = args.format or _format_of(args.out, "md")
    svg = _picture_target(args) if fmt == "md" else None  # refused before the work, as -o is
    cache = Verified(layers=args.layers)
    doc = document(args.convention, args.loss, args.activation, args.hidden, cache)
    if svg is not None:
        from .files import write
        from .gallery import picture_svg
        from .render import MARK
        write(svg, picture_svg(doc), force=args.force, mark=MARK)
    return render(doc, fmt, _doc_command(args), picture=None if svg is None else svg.name), 0  # main writes -o


def _picture_target(args):
    """Where a Markdown document written to -o puts its picture (notes.md: notes.svg beside it); None on stdout,
    where there is no folder for it (the document then shows the dependencies as one line of arrows)."""
    if not args.out:
        return None
    from pathlib import Path

    from .files import check_target
    from .gallery import picture_path
    from .render import MARK
    svg = picture_path(Path(args.out))
    if svg.name == Path(args.out).name:
        raise DeriveError(f"{args.out}: a Markdown document's picture goes to NAME.svg beside it; name the "
                          "document otherwise")
    check_target(svg, force=args.force, mark=MARK)
    return svg


def _doc_command(args) -> str:
    """How to regenerate a document, for its header: every problem option as parsed (so that a default that
    changes later cannot change the document), the depth and format where given, and -o where it went to a
    file; shell-quoted."""
    import shlex
    words = ["doc", "--convention", args.convention, "--loss", args.loss, "--activation", args.activation,
             "--hidden", args.hidden]
    words += ["--layers", str(args.layers)] if args.layers != DOC_LAYERS else []
    words += ["--format", args.format] if args.format else []
    words += ["-o", args.out] if args.out else []
    return " ".join(shlex.quote(w) for w in words)


def _format_of(path: str | None, default: str) -> str:
    """The format a file name asks for: .tex is LaTeX, .md Markdown, anything else ``default``."""
    suffix = path.rsplit(".", 1)[-1].lower() if path and "." in path else ""
    return {"tex": "tex", "md": "md", "markdown": "md"}.get(suffix, default)


def cmd_check(args) -> tuple[str, int]:
    from .check import check
    formula = sys.stdin.read(100_001) if args.formula == "-" else args.formula
    layer_convention = _layer_convention(args)
    convention = layer_convention if args.layer else args.convention
    result = check(formula, convention, args.loss, args.activation, args.hidden,
                   diagnose=not args.no_diagnosis, single_neurons=args.single_neurons, layer=args.layer,
                   unbiased=args.unbiased)
    status = {"holds": 0, "fails": 1, "invalid": 2}[result.verdict]
    if result.verdict == "invalid" and not args.json:
        raise DeriveError(result.reason)
    return (result.to_json() if args.json else result.text()) + "\n", status


def cmd_lint(args) -> tuple[str, int]:
    from .lint import lint, render
    from .notes_paths import expand
    findings = lint(expand(args.notes), args.convention, args.loss, args.activation, args.hidden,
                    weights=args.weights, verbose=args.verbose, diagnose=not args.no_diagnosis)
    text = render(findings, as_json=args.json)
    status = 1 if any(f.verdict == "fails" for f in findings) else 0
    return text, status


def cmd_gallery(args) -> tuple[str, int]:
    from pathlib import Path

    from .gallery import write_gallery
    from .render import progress
    paths = write_gallery(Path(args.out), progress, force=args.force)
    return f"wrote {len(paths)} files to {args.out}\n", 0


def cmd_translate(args) -> tuple[str, int]:
    import json

    from .translate import SourceFails, translate
    formula = sys.stdin.read(100_001) if args.formula == "-" else args.formula
    try:
        t = translate(formula, args.source, args.target, args.loss, args.activation, args.hidden)
    except SourceFails as exc:  # it fails where it was written: a verdict (exit 1), not bad input
        if args.json:
            return json.dumps({"formula": formula, "translated": None, "source_verdict": "fails",
                               "target_verdict": None, "reason": str(exc), "notes": []}, indent=2) + "\n", 1
        return f"fails in {args.source}, so it is not translated: {exc}\n", 1
    status = 0 if t.agree and t.source_verdict == "holds" else 1
    if args.json:
        return json.dumps({"formula": formula, "translated": t.latex, "source_verdict": t.source_verdict,
                           "target_verdict": t.target_verdict, "agree": t.agree, "notes": t.notes},
                          indent=2) + "\n", status
    lines = [t.latex]
    if t.agree:
        lines.append(f"{t.source_verdict} in {args.source} and in {args.target}")
    else:
        lines.append(f"DISAGREE: {t.source_verdict} in {args.source} but {t.target_verdict} in {args.target}")
    lines += [f"note: {n}" for n in t.notes]
    return "\n".join(lines) + "\n", status


def cmd_help(args) -> tuple[str, int]:
    parser = build_parser()
    if args.topic is None:
        return parser.format_help(), 0
    command = parser.commands.get(args.topic) or parser.commands.get(COMMAND_ALIASES.get(args.topic.lower(), ""))
    if command is None:
        raise DeriveError(f"no command {args.topic!r}{_suggest(args.topic)}")
    return command.format_help(), 0


def run() -> int:
    """The ``derive`` script: ``main`` as the whole process."""
    return main(process=True)


SYMPY_COMMANDS = PROBLEM_COMMANDS | {"gallery", "table"}  # the commands that compute (list and help do not)
COMMANDS = {"list": cmd_list, "table": cmd_table, "verify": cmd_verify, "doc": cmd_doc, "gallery": cmd_gallery,
            "check": cmd_check, "lint": cmd_lint, "translate": cmd_translate, "help": cmd_help}


def main(argv: list[str] | None = None, process: bool = False) -> int:
    """Run one command; the exit status. ``process``: this call is the whole process (the ``derive`` script,
    ``python -m derive``), so SymPy may be imported out of the garbage collector's way (``_lazy.import_settled``)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:  # --help went to stdout: flush it here, where a closed pipe or a full disk is handled
        failed = _flush_stdout()
        if failed:
            return failed
        raise
    if process and args.command in SYMPY_COMMANDS:
        from ._lazy import import_settled
        import_settled("sympy")
    out = args.__dict__.get("out") if args.command != "gallery" else None  # gallery -o is a folder
    try:
        if out:  # refuse a bad target before the work, not after it
            from .files import check_target
            check_target(out, force=args.force, mark=_mark(args.command))
        text, status = COMMANDS[args.command](args)
        if out:
            from .files import write
            write(out, text, force=args.force, mark=_mark(args.command))
            text = ""
    except DeriveError as exc:
        _error(str(exc))
        return 2
    except KeyboardInterrupt:
        _error("interrupted", prefix="derive: ")
        return 130
    return _write_stdout(text) or status


def _mark(command: str) -> str | None:
    """The marker a command's output carries, by which derive knows its own files; None: no marker."""
    if command == "doc":
        from .render import MARK
        return MARK
    return None


def _write_stdout(text: str) -> int | None:
    """Write and flush stdout; None if it worked, else the exit status (see ``_stdout_failed``)."""
    try:
        sys.stdout.write(text)
    except OSError as exc:
        return _stdout_failed(exc)
    return _flush_stdout()


def _flush_stdout() -> int | None:
    # flush inside a handler: at shutdown the interpreter flushes again and would print a traceback
    try:
        sys.stdout.flush()
    except OSError as exc:
        return _stdout_failed(exc)
    return None


def _stdout_failed(exc: OSError) -> int:
    """A reader that went away (``| head``): exit quietly with 141, as a tool killed by SIGPIPE does (1 would
    mean "fails" here); any other failure (``> /dev/full``): one line and exit 2."""
    _detach_stdout()
    if isinstance(exc, BrokenPipeError):
        return 141
    _error(f"cannot write to standard output: {exc.strerror or exc}")
    return 2


def _detach_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of what is still buffered succeeds."""
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (captured, or closed): nothing to do
        pass


def _error(message: str, prefix: str = "derive: error: ") -> None:
    try:
        print(prefix + message, file=sys.stderr, flush=True)
    except OSError:  # stderr is gone too: the exit status is all that is left
        pass


if __name__ == "__main__":
    sys.exit(main(process=True))
