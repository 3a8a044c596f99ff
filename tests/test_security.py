"""Data is never code: hostile conventions, notes and formulas run nothing, create nothing, fail in one line.

The audit-hook test runs every command in a fresh interpreter (tests/audit_probe.py) on TOML files whose
every field has the wrong type or Python-looking text, on notes whose directives name those files, and on
formulas written as Python; SymPy's sympify of a string would show up as a compile/exec event of that text.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.check import check
from derive.cli import main
from derive.conventions import CONVENTION_TYPES, NOTATION_TYPES, Convention, from_dict, load_toml
from derive.errors import DeriveError

MARK = "PWNED_7f3a"
PYTHON = f"__import__('os').system('touch {MARK}')"


def toml(value) -> str:
    """A TOML literal for the few kinds of value these tests write."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


# Each field given values of every wrong kind; the Python-looking string is wrong for every non-text field.
WRONG = [[PYTHON], {MARK: PYTHON}, [[PYTHON]], True, 1e400, -7, 0.5]
FIELDS = [(name, None) for name in CONVENTION_TYPES] + [(name, "notation") for name in NOTATION_TYPES]


def hostile_files(folder: Path) -> list[Path]:
    """One TOML file per (field, wrong value) that the field must refuse."""
    files = []
    for name, table in FIELDS:
        for n, value in enumerate([*WRONG, PYTHON]):
            if _accepts(name, table, value):
                continue
            path = folder / f"{table or 'top'}-{name}-{n}.toml"
            line = f"{name} = {toml(value)}\n"
            path.write_text('base = "nielsen"\n' + (f"[{table}]\n{line}" if table else line), encoding="utf-8")
            files.append(path)
    return files


def _accepts(name, table, value) -> bool:
    types = NOTATION_TYPES if table else CONVENTION_TYPES
    try:
        types[name].check(name, value)
    except DeriveError:
        return False
    return True


def all_symbols_python(folder: Path) -> Path:
    """A convention whose every LaTeX symbol is Python code: accepted as text, and must stay text."""
    lines = ['base = "nielsen"', f'source = "{MARK}"', "[notation]"]
    lines += [f"{name} = {json.dumps(PYTHON.replace('os', name))}" for name, kind in NOTATION_TYPES.items()
              if _accepts(name, "notation", PYTHON)]
    path = folder / "python_symbols.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


FORMULAS = [PYTHON, rf"\delta^L = {PYTHON}", rf"\delta^L = a^L - y + {MARK}",
            rf"\frac{{\partial {MARK}}}{{\partial w}} = 1", "\\delta^L = eval('1')",
            "\\delta^{__import__('os')} = a^L - y", "lambda: 0", "\\delta^L = a^L_{" + MARK + "}"]


def run_probe(tmp_path: Path, cases: list[list[str]]) -> dict:
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps(cases), encoding="utf-8")
    probe = Path(__file__).with_name("audit_probe.py")
    result = subprocess.run([sys.executable, str(probe), str(tmp_path), str(spec)], capture_output=True, text=True,
                            timeout=900, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_no_command_runs_user_text(tmp_path):
    bad = hostile_files(tmp_path)
    python_symbols = all_symbols_python(tmp_path)
    cases = []
    for path in bad:
        notes = path.with_suffix(".md")
        notes.write_text(f"<!-- derive: convention={path.name} -->\n$$\\delta^L = a^L - y$$\n", encoding="utf-8")
        cases += [["table", "--convention", str(path)], ["lint", str(notes)],
                  ["check", "--convention", str(path), r"\delta^L = a^L - y"],
                  ["verify", "--convention", str(path), "--layers", "2", "--trials", "1"],
                  ["translate", "--from", str(path), "--to", "ng", r"\delta^L = a^L - y"]]
    cases += [["check", formula] for formula in FORMULAS]
    cases += [["translate", "--from", "nielsen", "--to", "ng", formula] for formula in FORMULAS]
    notes = tmp_path / "python.md"
    notes.write_text(f"<!-- derive: convention={python_symbols.name} -->\n"
                     + "".join(f"$$ {f} $$\n\n" for f in FORMULAS), encoding="utf-8")
    cases += [["table", "--convention", str(python_symbols)], ["lint", str(notes)],
              ["check", "--convention", str(python_symbols), PYTHON],
              ["verify", "--convention", str(python_symbols), "--layers", "2", "--trials", "1"],
              ["doc", "--convention", str(python_symbols), "--layers", "2"]]
    before = sorted(p.name for p in tmp_path.iterdir())

    seen = run_probe(tmp_path, cases)

    assert seen["violations"] == []
    assert seen["runs"] == len(cases)
    refused = [s for s in seen["statuses"] if any(str(p) in s[0] for p in bad)]
    assert refused and all(status == 2 for _, status, _ in refused), [s for s in refused if s[1] != 2][:3]
    assert all(len(err.strip().splitlines()) == 1 and "Traceback" not in err for _, _, err in refused)
    assert all(isinstance(status, int) for _, status, _ in seen["statuses"]), seen["statuses"]
    assert not any(MARK in p.name for p in Path("/tmp").iterdir()) and not (tmp_path / MARK).exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cases.json") == before  # nothing created


# ---------------------------------------------------------------- one-line errors for bad convention files

BAD_TOML = [
    (b'base = "nielsen"\nname = "\xff\xfe"\n', "not UTF-8"),
    (b"notation = []\n", "notation: expected a table"),
    (b'base = "self.toml"\n', "cycle"),
    (b'input_layer = "abc"\n', "input_layer: expected an integer"),
    (b'weight_offset = "x"\n', "weight_offset: expected an integer"),
    (b'l2 = "big"\n', "l2: expected a number"),
    (b"l2 = nan\n", "l2: must be a finite number"),
    (b"l2 = -1\n", "l2: must be a finite number"),
    (b'[notation]\ngrad_bias = ["x"]\n', "self.toml:2: notation.grad_bias"),
    (b'[notation]\nwidth = ["' + PYTHON.encode() + b'"]\n', "notation.width: expected a LaTeX string"),
    (b"[notation]\nweight = '\\input{/etc/passwd}'\n", r"\input is not a math command"),
    (b"[notation]\nweight = 'W%'\n", "cannot appear"),
    (b"[notation]\nweight = 'W_{l'\n", "unbalanced braces"),
    (b"[notation]\nunit_letters = 'ijk'\n", "notation.unit_letters"),
    (b'base = "../elsewhere.toml"\n', "in the folder of the file naming it"),
    (b'base = "/etc/x.toml"\n', "in the folder of the file naming it"),
    (b"input_layer = 100000000000000000000\n", "input_layer: must be between"),
]


@pytest.mark.parametrize("content,needle", BAD_TOML)
@pytest.mark.parametrize("command", ["table", "check", "lint"])
def test_bad_convention_file_is_one_line_exit_2(tmp_path, capsys, content, needle, command):
    path = tmp_path / "self.toml"
    path.write_bytes(content)
    if command == "lint":
        notes = tmp_path / "notes.md"
        notes.write_text("<!-- derive: convention=self.toml -->\n$$\\delta^L = a^L - y$$\n", encoding="utf-8")
        argv = ["lint", str(notes)]
    else:
        argv = [command, "--convention", str(path)] + ([r"\delta^L = a^L - y"] if command == "check" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_base_chain_is_bounded(tmp_path):
    for n in range(12):
        (tmp_path / f"c{n}.toml").write_text(f'base = "c{n + 1}.toml"\n', encoding="utf-8")
    (tmp_path / "c12.toml").write_text('base = "nielsen"\n', encoding="utf-8")
    with pytest.raises(DeriveError, match="more than 8 conventions chained"):
        load_toml(tmp_path / "c0.toml")
    assert load_toml(tmp_path / "c6.toml").layout == "column"  # a short chain is fine


def test_a_fifo_convention_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.toml"
    import os
    os.mkfifo(fifo)
    code = f"from derive.conventions import load_toml; load_toml(__import__('pathlib').Path({str(fifo)!r}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "not a regular file" in result.stderr


# ---------------------------------------------------------------- fuzzing from_dict and the API

KEYS = sorted(CONVENTION_TYPES) + ["base", "notation", "colour", ""]
NKEYS = sorted(NOTATION_TYPES) + ["hat"]
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                   st.text(max_size=30), st.sampled_from([PYTHON, "nielsen", "ng.toml", "column", "z", "\\Theta",
                                                          "bracket", "sum", "x" * 500]))
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                          max_size=3), max_leaves=6)
NOTATION = st.dictionaries(st.sampled_from(NKEYS), VALUE, max_size=4)
DATA = st.dictionaries(st.sampled_from(KEYS), VALUE | NOTATION, max_size=5)


@given(DATA)
def test_from_dict_builds_a_checked_convention_or_refuses_in_one_line(data):
    try:
        conv = from_dict(data)
    except DeriveError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(conv, Convention)
    assert isinstance(conv.l2, float) and math.isfinite(conv.l2)
    optional = {f for f, t in NOTATION_TYPES.items() if getattr(t, "optional", False)}  # output, accumulator
    assert all(isinstance(getattr(conv.notation, f), str) for f in NOTATION_TYPES if f not in optional | {
        "unit_letters"})
    assert all(isinstance(getattr(conv.notation, f), str | None) for f in optional)
    assert isinstance(conv.notation.unit_letters, tuple)


ARG = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=12), st.lists(st.integers(), max_size=2),
                st.sampled_from(["nielsen", "ng", "mse", "bce", "sigmoid", "softmax", "tanh"]))


@given(formula=ARG | st.just(r"\delta^L = a^L - y"), convention=ARG, loss=ARG, output=ARG, hidden=ARG)
def test_check_api_gives_a_verdict_for_any_argument_types(formula, convention, loss, output, hidden):
    result = check(formula, convention, loss, output, hidden, diagnose=False)
    assert result.verdict in ("holds", "fails", "invalid")
    assert "\n" not in result.reason


SMALL = st.one_of(st.none(), st.booleans(), st.integers(-3, 4), st.just(10**9), st.floats(), st.text(max_size=3),
                  st.lists(st.integers(0, 3), max_size=2))


@settings(max_examples=40)
@given(layers=SMALL, trials=SMALL, seed=SMALL)
def test_verify_api_refuses_what_it_cannot_do(layers, trials, seed):
    import derive
    d = derive.derive("nielsen", "mse", "identity", "tanh")
    try:
        report = derive.verify(d, layers=layers, trials=trials, seed=seed, components=False)
    except DeriveError as exc:
        assert "\n" not in str(exc)
    else:
        assert report.ok and len(report.trials) == trials >= 1
