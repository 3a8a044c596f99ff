"""derive lint without a directive: the convention, loss and activations inferred from the notes, and said so; and
issue 9's acceptance figures on the real notes (tests/real_notes) as a user gets them, the convention inferred."""

from __future__ import annotations

import ast
import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
import tomllib
from loading import ROOT, load

import derive
from derive import infer
from derive.infer import CLUES, Notes, sections
from derive.lint import EXAMPLES, NOT_AN_EQUATION, PRESET_NAMES, Setting, lint, render, scan

HERE = Path(__file__).parent
REAL = HERE / "real_notes"
INFER = Setting(None, None, None, None)  # nothing stated: every field is inferred


def _notes(tmp_path: Path, text: str, suffix: str = "md") -> Path:
    path = tmp_path / f"notes.{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


def _claims(findings):
    return [f for f in findings if f.reason != NOT_AN_EQUATION]


# ---------------------------------------------------------------- the convention, from each source's notation
NOTATION = [
    # (name, suffix, notes, convention, a clue the note names, verdicts of the claims in order)
    ("ng", "md", "# Ng's course\n\n$$\\delta^{(l)} = (\\Theta^{(l)})^T \\delta^{(l+1)} .* g'(z^{(l)})$$\n",
     "ng", r"\Theta^{(l)}", ["holds"]),
    ("ufldl", "md", "$$z^{(l+1)} = W^{(l)} a^{(l)} + b^{(l)}$$\n\n"
     "$$\\nabla_{b^{(l)}} J(W,b;x,y) = \\delta^{(l+1)}$$\n", "ufldl", "z^{(l+1)} = ... + b^{(l)}", ["holds", "holds"]),
    ("dls", "md", "$$dZ^{[l]} = dA^{[l]} * g'(Z^{[l]})$$\n\n$$dW^{[l]} = \\frac{1}{m} dZ^{[l]} A^{[l-1]T}$$\n",
     "dls", "dZ^{[l]} ×4", ["holds", "holds"]),
    ("cs231n", "md", "X is (N, D), one example per row.\n\n```python\ndX = dout.dot(W.T)\n```\n\n"
     "$$dW^{(l)} = (A^{(l-1)})^T dZ^{(l)}$$\n", "cs231n", "dout", ["holds"]),
    ("bishop", "md", "With $E_n$ the error on pattern $n$ and targets $t_k$:\n\n"
     "$$\\delta_j = h'(a_j) \\sum_k w_{kj} \\delta_k$$\n", "bishop", "h'(a_j)", ["holds"]),
    ("goodfellow", "md", "$$\\nabla_{a^{(k)}} J = ((W^{(k+1)})^T \\nabla_{a^{(k+1)}} J) \\odot f'(a^{(k)})$$\n",
     "goodfellow", r"\nabla_{a^{(k)}} J", ["holds"]),
    ("nielsen", "md", "$$\\delta^l = ((w^{l+1})^T \\delta^{l+1}) \\odot \\sigma'(z^l)$$\n\n"
     "$$\\frac{\\partial C_x}{\\partial w^l_{jk}} = a^{l-1}_k \\delta^l_j$$\n", "nielsen", "C_x", ["holds", "holds"]),
    ("wikipedia", "md", "$$\\delta^l = ((W^{l+1})^T \\delta^{l+1}) \\circ f'(z^l)$$\n\n"
     "$$\\nabla_{W^l} C = \\delta^l (a^{l-1})^T$$\n", "wikipedia", r"\nabla_{W^l}", ["holds", "holds"]),
    ("nielsen-tex", "tex", "\\section{Backpropagation}\n\\begin{align}\n"
     "  \\delta^l &= ((w^{l+1})^T \\delta^{l+1}) \\odot \\sigma'(z^l) \\\\\n"
     "  \\frac{\\partial C}{\\partial w^l_{jk}} &= a^{l-1}_k \\delta^l_j\n\\end{align}\n",
     "nielsen", "w^l_{jk}", ["holds", "holds"]),
    ("one-claim", "md", "$\\delta^L = (a^L - y) \\odot \\sigma'(z^L)$\n", "nielsen", r"\delta^l", ["holds"]),
]


@pytest.mark.parametrize("name,suffix,text,convention,clue,verdicts", NOTATION, ids=[row[0] for row in NOTATION])
def test_the_convention_is_inferred_from_the_notation(tmp_path, name, suffix, text, convention, clue, verdicts):
    path = _notes(tmp_path, text, suffix)
    findings = [f for f in _claims(lint([path], diagnose=False)) if f.verdict != "skipped"]
    assert [f.verdict for f in findings] == verdicts
    assert {(f.convention, f.basis.convention.source) for f in findings} == {(convention, "inferred")}
    note = render(findings).splitlines()[0]
    assert note.startswith(f"{path}: convention {convention} (inferred: ") and clue in note, note


AMBIGUOUS = [
    # (name, suffix, notes, what the reason names, the directive it suggests)
    ("two notations", "md", "$$\\delta^{(l)} = (\\Theta^{(l)})^T \\delta^{(l+1)} .* g'(z^{(l)})$$\n\n"
     "$$\\delta^l = ((w^{l+1})^T \\delta^{l+1}) \\odot \\sigma'(z^l)$$\n",
     "the notation does not say which convention", "<!-- derive: convention=ng --> above it (or convention=nielsen"),
    ("no notation", "md", "$$\\frac{\\partial C}{\\partial w} = x$$\n",
     "nothing in the notation says which convention", "<!-- derive: convention=nielsen --> above it"),
    ("no notation, LaTeX", "tex", "\\[ \\frac{\\partial C}{\\partial w} = x \\]\n",
     "nothing in the notation says which convention", "% derive: convention=nielsen above it"),
]


@pytest.mark.parametrize("name,suffix,text,reason,advice", AMBIGUOUS, ids=[row[0] for row in AMBIGUOUS])
def test_ambiguous_notation_is_skipped_saying_what_to_write(tmp_path, name, suffix, text, reason, advice):
    path = _notes(tmp_path, text, suffix)
    findings = _claims(lint([path], diagnose=False))
    assert findings and all(f.verdict == "skipped" and f.convention is None for f in findings)
    assert all(reason in f.reason and advice in f.reason for f in findings), findings[0].reason
    assert {f.basis.convention.source for f in findings} == {"ambiguous"}
    assert render(findings).splitlines()[0].startswith(f"{path}: convention unclear (")


def test_an_unreadable_formula_says_why_before_the_ambiguity(tmp_path):
    (finding,) = lint([_notes(tmp_path, "$$a = \\frac{1}{$$\n")], diagnose=False)
    assert finding.reason.startswith("not a formula derive reads")


def test_each_section_has_its_notation(tmp_path):
    text = ("# Ng's notation\n\n$$\\delta^{(l)} = (\\Theta^{(l)})^T \\delta^{(l+1)} .* g'(z^{(l)})$$\n\n"
            "$$D^{(l)} = \\frac{1}{m} \\Delta^{(l)}$$\n\n"
            "# Nielsen's notation\n\n$$\\delta^l = ((w^{l+1})^T \\delta^{l+1}) \\odot \\sigma'(z^l)$$\n\n"
            "$$\\frac{\\partial C}{\\partial w^l_{jk}} = a^{l-1}_k \\delta^l_j$$\n")
    path = _notes(tmp_path, text)
    findings = _claims(lint([path], diagnose=False))
    assert [(f.line, f.convention) for f in findings] == [(3, "ng"), (5, "ng"), (9, "nielsen"), (11, "nielsen")]
    assert all(f.basis.convention.local for f in findings)
    notes = [line for line in render(findings).splitlines() if ": convention " in line]
    assert [n.split(": convention ")[0] for n in notes] == [f'{path}:1: section "Ng\'s notation"',
                                                            f'{path}:7: section "Nielsen\'s notation"']


SECTIONS = [
    # (suffix, text, [(line, title)] of the headings)
    ("md", "intro\n# One\ntext\n## Two ##\n```\n# not a heading\n```\n#nor this\n", [(2, "One"), (4, "Two")]),
    ("md", "<!-- # commented -->\n   ### Three\n", [(2, "Three")]),
    ("tex", "\\chapter{A}\n% \\section{no}\n\\section*[short]{B $x$}\n\\subsection{C}\n", [(1, "A"), (3, "B x")]),
]


@pytest.mark.parametrize("suffix,text,expected", SECTIONS)
def test_sections_start_at_headings(suffix, text, expected):
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    line_of = lambda offset: sum(1 for s in starts if s <= offset)
    found = [(s.line, s.title) for s in sections(text, suffix == "tex", line_of)]
    assert found == [(1, "")] + expected


def test_a_section_too_mixed_to_tell_is_skipped_though_the_file_has_a_convention(tmp_path):
    ng = "$$\\delta^{(l)} = (\\Theta^{(l)})^T \\delta^{(l+1)} .* g'(z^{(l)})$$\n\n"
    nielsen = "$$\\delta^l = ((w^{l+1})^T \\delta^{l+1}) \\odot \\sigma'(z^l)$$\n\n"
    path = _notes(tmp_path, f"# Ng\n\n{ng * 3}# Both\n\n{ng}{nielsen}")
    findings = _claims(lint([path], diagnose=False))
    assert [(f.line, f.convention) for f in findings] == [(3, "ng"), (5, "ng"), (7, "ng"), (11, None), (13, None)]
    assert "the notation does not say which convention" in findings[-1].reason


def test_a_directive_overrides_the_inference_from_its_line_on(tmp_path):
    ng = "$$\\delta^{(l)} = (\\Theta^{(l)})^T \\delta^{(l+1)} .* g'(z^{(l)})$$\n\n"
    path = _notes(tmp_path, f"{ng}<!-- derive: convention=dls loss=bce -->\n\n{ng}")
    first, second = _claims(lint([path], diagnose=False))
    assert (first.convention, first.basis.convention.source, first.basis.loss.source) == ("ng", "inferred", "assumed")
    assert (second.convention, second.basis.convention.source) == ("dls", "directive")
    assert second.basis.loss.value == "bce" and second.basis.loss.why == "directive on line 3"
    notes = [line for line in render([first, second]).splitlines() if ": convention " in line]
    assert notes[1] == (f"{path}:3: convention dls, loss bce (directive on line 3), output sigmoid "
                        "(assumed: the usual output for bce), hidden sigmoid (assumed)")


# ---------------------------------------------------------------- the loss and the activations
NIELSEN_CLAIM = "\n\n$$\\delta^L = a^L - y$$\n"
PROBLEMS = [
    # (name, what the notes say, {field: (value, source)}, a reason the note gives)
    ("cross-entropy and sigmoid, in words", "We use the cross-entropy cost and sigmoid output neurons.",
     {"loss": ("bce", "inferred"), "output": ("sigmoid", "inferred")}, 'loss bce (from "cross-entropy" on line 1)'),
    ("cross-entropy and softmax, in words", "A softmax output layer with cross-entropy; hidden layers use ReLU.",
     {"loss": ("cce", "inferred"), "output": ("softmax", "inferred"), "hidden": ("relu", "inferred")},
     "hidden relu (from"),
    ("the quadratic cost and tanh, in words", "The quadratic cost, and tanh hidden units.",
     {"loss": ("mse", "inferred"), "hidden": ("tanh", "inferred"), "output": ("sigmoid", "assumed")},
     "output sigmoid (assumed)"),
    ("a binary cross-entropy formula", "$$C = -\\sum_k [y_k \\ln a^L_k + (1 - y_k) \\ln(1 - a^L_k)]$$",
     {"loss": ("bce", "inferred"), "output": ("sigmoid", "assumed")},
     r"loss bce (from (1 - y) \log(1 - a)), output sigmoid (assumed: the usual output for bce)"),
    ("a categorical cross-entropy formula", "$$C = -\\sum_k y_k \\log a^L_k$$",
     {"loss": ("cce", "inferred"), "output": ("softmax", "assumed")}, r"loss cce (from y \log a)"),
    ("a squared norm", "$$C = \\frac{1}{2}\\|a^L - y\\|^2$$", {"loss": ("mse", "inferred")}, r"\|a - y\|^2"),
    ("a squared difference", "$$C_0 = (a^{(L)} - y)^2$$", {"loss": ("sse", "inferred")}, "(a - y)^2 without a 1/2"),
    ("half a squared difference", "$$C = \\frac{1}{2}\\sum_j (y_j - a^L_j)^2$$", {"loss": ("mse", "inferred")},
     r"\frac{1}{2} (a - y)^2"),
    ("the sigmoid's derivative", "$$\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$$",
     {"hidden": ("sigmoid", "inferred"), "output": ("sigmoid", "inferred")}, r"\sigma(z)(1 - \sigma(z))"),
    ("nothing said", "Some notes.",
     {"loss": ("mse", "assumed"), "output": ("sigmoid", "assumed"), "hidden": ("sigmoid", "assumed")},
     "loss mse, output sigmoid, hidden sigmoid (assumed)"),
    ("a loss that does not fit the output said", "Cross-entropy with ReLU outputs.",
     {"loss": ("bce", "inferred"), "output": ("sigmoid", "assumed")}, "the usual output for bce"),
]


@pytest.mark.parametrize("name,words,expected,reason", PROBLEMS, ids=[row[0] for row in PROBLEMS])
def test_the_loss_and_activations_are_inferred_where_the_notes_say_them(tmp_path, name, words, expected, reason):
    findings = _claims(lint([_notes(tmp_path, words + NIELSEN_CLAIM)], diagnose=False))
    claim = findings[-1]
    basis = {d.field: (d.value, d.source) for d in claim.basis.fields()}
    assert {field: basis[field] for field in expected} == expected
    assert reason in render([claim]).splitlines()[0]


def test_the_inferred_loss_decides_the_verdict(tmp_path):
    claim = "$$\\delta^L = a^L - y$$\n"
    assert lint([_notes(tmp_path, "With the cross-entropy cost:\n\n" + claim)])[0].verdict == "holds"
    assert lint([_notes(tmp_path, "With the quadratic cost:\n\n" + claim)])[0].verdict == "fails"


# ---------------------------------------------------------------- what is stated beats what is inferred
NG_CLAIM = "$$\\delta^{(l)} = (\\Theta^{(l)})^T \\delta^{(l+1)} .* g'(z^{(l)})$$\n"


def test_the_flag_beats_the_inference(tmp_path):
    path = _notes(tmp_path, "The quadratic cost.\n\n" + NG_CLAIM)
    (inferred,) = lint([path], diagnose=False)
    (flagged,) = lint([path], convention="nielsen", loss="bce", diagnose=False)
    assert (inferred.convention, inferred.basis.loss.value) == ("ng", "mse")
    assert (flagged.convention, flagged.basis.convention.source) == ("nielsen", "flag")
    assert (flagged.basis.loss.value, flagged.basis.loss.source, flagged.basis.loss.why) == ("bce", "flag", "--loss")
    assert render([flagged]).splitlines()[0] == (f"{path}: convention nielsen (--convention), loss bce (--loss), "
                                                 "output sigmoid (assumed: the usual output for bce), "
                                                 "hidden sigmoid (assumed)")


def test_nothing_is_inferred_or_printed_when_everything_is_stated(tmp_path):
    path = _notes(tmp_path, "Cross-entropy.\n\n$$\\delta^{(L)} = a^{(L)} - y$$\n")
    findings = lint([path], "ng", "mse", "sigmoid", "sigmoid")
    assert [d.source for d in findings[0].basis.fields()] == ["flag"] * 4
    assert render(findings).splitlines()[0].startswith(f"{path}:3: fails")
    assert scan(path)[0].setting == Setting()  # scan's default states the old defaults: nothing inferred


def test_json_says_where_each_field_came_from(tmp_path):
    path = _notes(tmp_path, "Binary cross-entropy.\n\n" + NG_CLAIM)
    (row,) = json.loads(render(lint([path], hidden="tanh", diagnose=False), as_json=True))
    assert {k: row[k] for k in ("convention", "convention_source", "loss", "loss_source", "output", "output_source",
                                "hidden", "hidden_source")} == {
        "convention": "ng", "convention_source": "inferred", "loss": "bce", "loss_source": "inferred",
        "output": "sigmoid", "output_source": "assumed", "hidden": "tanh", "hidden_source": "flag"}
    clues = {c["clue"]: c for c in row["evidence"]["convention"]}
    assert clues[r"\Theta^{(l)}"] == {"clue": r"\Theta^{(l)}", "values": ["ng"], "count": 1, "line": 3, "weight": 3}
    assert row["evidence"]["loss"][0]["clue"] == '"Binary cross-entropy"' and row["evidence"]["hidden"] == []
    assert row["basis"].startswith("convention ng (inferred: ") and row["section"] is None


# ---------------------------------------------------------------- the evidence table
PRESETS_AND_NAMES = set(PRESET_NAMES) | {"xent", "mse", "mse_mean", "sse", "bce", "cce"} | set(infer.ACTIVATION_WORDS)
# a labelled clue's label is an instance of it, so what is printed is what was found; these labels abbreviate
LABEL_EXAMPLES = {".*": "a .* b", "(a - y)^2 without a 1/2": "= (a - y)^2",
                  "X W (a batch in rows)": "X W", r"1/(1 + e^{-z})": r"\frac{1}{1 + e^{-z}}",
                  r"e^{z_i} / \sum_j e^{z_j}": r"\frac{e^{z_i}}{\sum_j e^{z_j}}",
                  r"\Delta^{(l)} := \Delta^{(l)} + ...": r"\Delta^{(l)} := \Delta^{(l)} + x",
                  r"z^{(l+1)} = ... + b^{(l)}": r"z^{(l+1)} = W^{(l)} a^{(l)} + b^{(l)}",
                  r"\bullet": r"a^{(l)} \bullet (1 - a^{(l)})"}


@pytest.mark.parametrize("clue", [c for c in CLUES if c.label], ids=lambda c: f"{c.value}:{c.label}")
def test_a_clue_matches_what_it_prints(clue):
    assert clue.pattern.search(LABEL_EXAMPLES.get(clue.label, clue.label))


def test_the_clue_table_is_data():
    assert {c.field for c in CLUES} == {"convention", "loss", "output", "hidden", "activation"}
    assert all(set(c.values) <= PRESETS_AND_NAMES and c.weight > 0 and c.scope in ("math", "text") for c in CLUES)
    assert {v for c in CLUES if c.field == "convention" for v in c.values} == set(PRESET_NAMES)


@pytest.mark.parametrize("convention", PRESET_NAMES)
def test_the_suggested_example_holds_in_its_convention(convention):
    assert derive.check(EXAMPLES[convention], convention, "mse", "sigmoid", "sigmoid").verdict == "holds"


def test_inference_costs_linear_time_on_spaces_and_openers(tmp_path):
    units = ["w^{l", "\\delta^{l+1", "((a - y", "\\| -", "w_{a", "a^{l-1}_k", "sigmoid ", "hidden ", "(1 - "]
    def seconds(size: int) -> float:
        path = _notes(tmp_path, "$$" + "".join(u + " " * 40 for u in units) * (size // 400) + "$$\n")
        start = time.perf_counter()
        notes = Notes(path.read_text(), False, [(2, path.read_text()[2:-3])], lambda offset: 1)
        notes.evidence(None)
        return time.perf_counter() - start
    small = min(seconds(2**15) for _ in range(3))
    assert seconds(2**18) < 40 * max(small, 0.005)


# ---------------------------------------------------------------- the notes in this repository
def _real_files() -> list[Path]:
    return sorted(p for p in REAL.iterdir() if p.suffix in (".md", ".tex")) if REAL.is_dir() else []


@pytest.fixture(scope="module")
def every_note() -> list:
    """tests/notes and tests/real_notes linted once, as a user would with no option (diagnosis on)."""
    return lint(sorted((HERE / "notes").iterdir()) + _real_files())


# ---------------------------------------------------------------- issue 9's figures, as a user gets them
# `derive lint` with no flags, the convention inferred: zero false holds; accuracy at least 97%; and the judged share
# may not fall below what derive reaches today (raise FLOOR when a reading judges more, never lower it).
# BENCHMARKS.md records the figures; `python -m benchmarks.real_notes --claims` shows every claim's outcome.
FLOOR = 182  # claims judged (holds or fails) in the default mode, of 212


@pytest.fixture(scope="module")
def figures(every_note):
    """The benchmark's default mode (benchmarks/real_notes.py: `lint(path)` of each file, no option), its lint of
    each file served from every_note's: a lint run reads, infers and judges each of its files on its own (the run
    shares only a cache of verdicts by formula and problem), so a file's findings are those of linting it alone,
    and the real notes are linted once in this module, not once more for the figures."""
    bench = load("real_notes_benchmark_figures", ROOT / "benchmarks" / "real_notes.py")
    real = {path.resolve() for path in _real_files()}
    linted: dict = {}
    for f in every_note:
        linted.setdefault(Path(f.file).resolve(), []).append(f)

    def lint_alone(path, **problem):
        assert not problem and Path(path).resolve() in real, (path, problem)  # the default mode, a real notes file
        return linted.get(Path(path).resolve(), []), None

    manifest = bench.load_truth().load_manifest()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bench, "_lint", lint_alone)
        derived = bench.run_mode(manifest, "default")
    wrong = [f"{c['id']}: truth {c['verdict']}, derive {derived[c['id']][0]}: {derived[c['id']][1][:160]}"
             for c in manifest["claim"] if c["verdict"] != "not-a-claim"
             and derived[c["id"]][0] in ("holds", "fails") and derived[c["id"]][0] != c["verdict"]]
    return bench.score(manifest, derived), wrong


def test_no_false_holds_when_lint_infers_the_convention(figures):
    score, wrong = figures
    assert score["false holds"] == 0, "\n".join(w for w in wrong if "derive holds" in w)


def test_accuracy_is_at_least_97_percent(figures):
    score, wrong = figures
    assert score["right"] >= 0.97 * score["judged"], "\n".join(wrong)


def test_judged_share_does_not_fall(figures):
    score, _ = figures
    assert score["judged"] >= FLOOR, f"judged {score['judged']} of {score['claims']} claims, was {FLOOR}"


def _internal_names() -> set[str]:
    names = set()
    for path in Path(derive.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named = isinstance(node, ast.FunctionDef | ast.ClassDef)
            if named and re.search(r"\w_\w|[a-z][A-Z]", node.name.strip("_")):  # snake_case or CamelCase
                names.add(node.name)
    return names


def test_no_message_names_derives_own_functions(every_note):
    pattern = re.compile(r"(?<![\w\\])(?:" + "|".join(map(re.escape, sorted(_internal_names()))) + r")(?!\w)")
    messages = {f.reason for f in every_note} | {(f.diagnosis or {}).get("message", "") for f in every_note}
    assert [m for m in messages if pattern.search(m)] == []


def test_every_skipped_claim_says_what_to_write(every_note):
    advice = re.compile(r"\bwrite\b|\be\.g\.|check one claim|at most \d|must name one quantity")
    skipped = [f for f in every_note if f.verdict == "skipped" and f.reason != NOT_AN_EQUATION]
    assert skipped and [f.reason for f in skipped if not advice.search(f.reason)] == []


def test_real_notes_get_the_convention_their_manifest_records():
    """Each file's inferred convention (for its claims that hold or fail) is the manifest's, or none at all."""
    manifest = REAL / "claims.toml"
    if not manifest.is_file():
        pytest.skip("no manifest in tests/real_notes")
    claims = [c for c in tomllib.loads(manifest.read_text(encoding="utf-8"))["claim"] if c["verdict"] != "not-a-claim"]
    for path in _real_files():
        recorded = Counter(c["lint"]["convention"] for c in claims if c["file"] == path.name)
        inferred = Counter(f.setting.convention for f in scan(path, INFER))
        if recorded:
            majority = inferred.most_common(1)[0][0]
            assert majority in (recorded.most_common(1)[0][0], None), (path.name, inferred, recorded)
