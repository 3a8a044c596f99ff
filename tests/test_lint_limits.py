"""derive lint and check on hostile or careless input: bounded work, no blocking read, no file outside the notes.

Every bad input is one line on stderr and exit 2 (issue 8): a FIFO, a directory or a device is refused
without being opened, a notes file that is not UTF-8 or is too large is refused, a directive may name only
a .toml in the notes' folder or below, a formula too large to check is refused before any SymPy work, and
the scanner does linear work on unclosed math.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import derive
import derive.conventions
from derive import lint as lint_module
from derive.cli import main
from derive.formula.parse import MAX_PARTS, MAX_TERMS, FormulaError, parse
from derive.lint import MAX_NOTES_BYTES, LintError, lint, scan

TOML = 'base = "nielsen"\n[notation]\nweight = "W"\n'
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def _one_error_line(capsys, argv) -> str:
    """The single stderr line of a derive command that must exit 2 without a traceback."""
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


# ---------------------------------------------------------------- what lint refuses to read
@needs_fifo
def test_a_named_pipe_is_refused_at_once(tmp_path):
    fifo = tmp_path / "notes.md"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-m", "derive.cli", "lint", str(fifo)], capture_output=True, text=True,
                            timeout=30)  # opening the pipe would block forever: no writer ever comes
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"derive: error: cannot read {fifo}: not a regular file"]


@needs_fifo
def test_a_named_pipe_as_a_directive_convention_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "pipe.toml")
    notes = tmp_path / "notes.md"
    notes.write_text("<!-- derive: convention=pipe.toml -->\n$x$\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "derive.cli", "lint", str(notes)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"derive: error: {notes}:1: cannot read convention file {tmp_path / 'pipe.toml'}: not a regular file"]


def _directory(tmp_path: Path) -> Path:
    (tmp_path / "folder.md").mkdir()
    return tmp_path / "folder.md"


def _device(tmp_path: Path) -> Path:
    if not Path(os.devnull).exists() or Path(os.devnull).is_file():
        pytest.skip("no character device here")
    return Path(os.devnull)


def _symlink_to_directory(tmp_path: Path) -> Path:
    (tmp_path / "real").mkdir()
    (tmp_path / "link.md").symlink_to(tmp_path / "real")
    return tmp_path / "link.md"


@pytest.mark.parametrize("make", [_directory, _device, _symlink_to_directory], ids=lambda f: f.__name__[1:])
def test_what_is_not_a_regular_file_is_refused(tmp_path, capsys, make):
    path = make(tmp_path)
    if path.is_dir():  # a folder means the notes under it (derive/notes_paths.py); this one has none
        expected = (f"derive: error: {path}: no notes files (.md, .markdown, .tex, .ltx, .latex) in this folder "
                    "or below it")
    else:
        expected = f"derive: error: cannot read {path}: not a regular file"
    assert _one_error_line(capsys, ["lint", str(path)]) == expected


def test_notes_that_are_not_utf8_name_the_file_and_line(tmp_path, capsys):
    path = tmp_path / "latin1.md"
    path.write_bytes(b"# Notes\ncaf\xe9 $x = 1$\n")
    line = _one_error_line(capsys, ["lint", str(path)])
    assert line == f"derive: error: {path}:2: not UTF-8 text (byte 0xe9 at offset 11)"


def test_a_huge_notes_file_is_refused_before_it_is_read(tmp_path, capsys, monkeypatch):
    path = tmp_path / "huge.md"
    with path.open("wb") as handle:
        handle.truncate(MAX_NOTES_BYTES + 1)  # sparse: nothing is written
    monkeypatch.setattr(os, "open", lambda *a, **k: pytest.fail("a file over the limit was opened"))
    line = _one_error_line(capsys, ["lint", str(path)])
    assert line == f"derive: error: {path} is too large to lint: {MAX_NOTES_BYTES + 1:,} bytes (at most 20 MB)"


@pytest.mark.parametrize("paths,message", [(None, "not NoneType"), (5, "not int"), ([None], "not NoneType"),
                                           ([b"notes.md"], "a notes file is a path, not bytes")])
def test_a_notes_path_of_the_wrong_type_is_an_error(paths, message):
    with pytest.raises(LintError, match=message):
        lint(paths)


# ---------------------------------------------------------------- what a directive may name
def _layout(tmp_path: Path) -> Path:
    """tmp/outside.toml, and tmp/notes with convention files, a folder and symlinks in and out; returns tmp/notes."""
    (tmp_path / "outside.toml").write_text(TOML, encoding="utf-8")
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "mine.toml").write_text(TOML, encoding="utf-8")
    (folder / "sub" / "deep.toml").write_text(TOML, encoding="utf-8")
    (folder / "dir.toml").mkdir()
    (folder / "inner.toml").symlink_to(folder / "mine.toml")
    (folder / "outer.toml").symlink_to(tmp_path / "outside.toml")
    (folder / "sub" / "up.toml").symlink_to(Path("..") / ".." / "outside.toml")
    (folder / "loop.toml").symlink_to(folder / "loop.toml")
    return folder


ACCEPTED = [
    # (what the directive names, the file it reads, relative to the notes' folder)
    ("mine.toml", "mine.toml"),
    ("sub/deep.toml", "sub/deep.toml"),
    ("./sub/../mine.toml", "mine.toml"),      # .. that stays inside is fine
    ("inner.toml", "mine.toml"),              # a symlink to a file inside: the file it points to
]


@pytest.mark.parametrize("name,reads", ACCEPTED)
def test_a_directive_may_name_a_toml_in_the_notes_folder_or_below(tmp_path, monkeypatch, name, reads):
    folder = _layout(tmp_path)
    notes = folder / "notes.md"
    notes.write_text(f"text\n<!-- derive: convention={name} -->\n$x$\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert scan(notes)[0].setting.convention == str(folder / reads)


REFUSED = [
    # (what the directive names, what the one-line error says after "notes.md:2: ")
    ("../outside.toml", "convention file ../outside.toml is outside the notes' folder"),
    ("sub/../../outside.toml", "convention file sub/../../outside.toml is outside the notes' folder"),
    ("outer.toml", "convention file outer.toml is outside the notes' folder"),      # a symlink leading out
    ("sub/up.toml", "convention file sub/up.toml is outside the notes' folder"),    # a relative one
    ("{outside}", "convention file {outside} is an absolute path"),
    ("{inside}", "convention file {inside} is an absolute path"),                    # even one inside
    ("dir.toml", "cannot read convention file {folder}/dir.toml: not a regular file"),
    ("missing.toml", "cannot read convention file {folder}/missing.toml: No such file or directory"),
    ("loop.toml", "cannot read convention file "),
]


@pytest.mark.parametrize("name,message", REFUSED)
def test_a_directive_cannot_name_a_file_elsewhere(tmp_path, capsys, monkeypatch, name, message):
    folder = _layout(tmp_path)
    fill = {"outside": tmp_path / "outside.toml", "inside": folder / "mine.toml", "folder": folder}
    notes = folder / "notes.md"
    notes.write_text(f"text\n<!-- derive: convention={name.format(**fill)} -->\n$x$\n", encoding="utf-8")
    read = []
    monkeypatch.setattr(derive.conventions, "load_toml", lambda path, *a: read.append(path))
    line = _one_error_line(capsys, ["lint", str(notes)])
    assert line.startswith(f"derive: error: {notes}:2: {message.format(**fill)}"), line
    assert read == []  # refused before anything was read


# ---------------------------------------------------------------- formulas too large to check
def _terms(n: int) -> str:
    return r"\delta^L = a^L - y" + " + 0" * (n - 2)


LARGE = [
    # (formula, what the error says)
    (_terms(190), f"the formula has 190 terms; derive checks formulas of at most {MAX_TERMS} terms"),
    (r"\delta^L = a^L" + " + a^L - a^L" * 94, "the formula has 189 terms"),
    (_terms(MAX_TERMS + 1), f"the formula has {MAX_TERMS + 1} terms"),
    (r"\delta^L = (a^L - y)" + r" \odot \sigma'(z^L)" * 60, f"derive checks formulas of at most {MAX_PARTS}"),
]


@pytest.mark.parametrize("formula,message", LARGE, ids=lambda x: x[:12] + "..." if len(x) > 60 else x)
def test_a_formula_too_large_is_refused_before_any_sympy_work(monkeypatch, formula, message):
    with pytest.raises(FormulaError, match="^the formula has") as err:
        parse(formula)
    assert message in str(err.value) and "\n" not in str(err.value)
    from derive.formula import read
    monkeypatch.setattr(read, "compile_claim", lambda *a, **k: pytest.fail("a refused formula was compiled"))
    result = derive.check(formula, "nielsen", "bce", "sigmoid", "sigmoid")
    assert result.verdict == "invalid" and message in result.reason


def test_a_formula_at_the_limit_is_read():
    assert parse(_terms(MAX_TERMS))


def test_a_huge_sum_in_notes_is_skipped_with_the_reason(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(f"$${_terms(190)}$$\n", encoding="utf-8")
    (finding,) = lint([path])
    assert finding.verdict == "skipped"
    assert finding.reason == ("not a formula derive reads: the formula has 190 terms; derive checks formulas of at "
                              f"most {MAX_TERMS} terms")


# ---------------------------------------------------------------- the scanner does linear work
UNCLOSED = [
    # (name, suffix, head, a unit repeated after it to fill the file: every opener is left unclosed)
    ("dollar", "md", "", "costs $5 and "),                   # one paragraph: took 137 s for 200 KB
    ("paren", "md", "", "costs \\(5 and "),
    ("paren-tex", "tex", "", "costs \\(5 and "),
    ("bracket", "tex", "", "costs \\[5 and "),
    ("double-dollar", "md", "$$ ", "costs $5 and "),
    ("equation", "tex", "", "costs \\begin{equation} and "),
    ("alignat", "tex", "", "\\begin{alignat}{2} x "),
]


def _notes(tmp_path: Path, suffix: str, head: str, unit: str, size: int, name: str = "notes") -> Path:
    path = tmp_path / f"{name}-{size}.{suffix}"
    path.write_text(head + unit * (size // len(unit)), encoding="utf-8")
    return path


@pytest.mark.parametrize("name,suffix,head,unit", UNCLOSED, ids=[u[0] for u in UNCLOSED])
def test_unclosed_math_costs_one_pass(tmp_path, monkeypatch, name, suffix, head, unit):
    """Every search for a closer, summed, covers the text about once per kind of closer (it was once per opener):
    $$, and in Markdown the $ of Pandoc's rules and MathJax's next $, each over its own stretch."""
    searched = []
    find, inline = lint_module._find, lint_module._inline_scan

    def counted_find(text, token, i):
        found = find(text, token, i)
        searched.append((len(text) if found is None else found) - i)
        return found

    def counted_inline(text, j, latex):
        stop, found = inline(text, j, latex)
        searched.append(stop - j)
        return stop, found

    monkeypatch.setattr(lint_module, "_find", counted_find)
    monkeypatch.setattr(lint_module, "_inline_scan", counted_inline)
    # 256 KB (it was 2 MB): the bound is a multiple of the text's size, and a search per opener covers this text
    # 5,000-10,000 times (it has 10,000-20,000 openers); the old bug's 200 KB took 137 s
    path = _notes(tmp_path, suffix, head, unit, 2**18)
    assert scan(path) == []
    assert sum(searched) <= 3 * path.stat().st_size, f"{len(searched)} searches, {sum(searched)} characters"


def test_scan_time_grows_linearly(tmp_path):
    """A loose guard on the whole scanner, instrumented or not: 8 times the text takes well under 64 times as long."""
    def seconds(path: Path) -> float:  # CPU time: other jobs on the machine's cores do not inflate it
        start = time.process_time()
        scan(path)
        return time.process_time() - start

    # a file per kind (one name per suffix and size wrote every kind over the last of its suffix: two were timed)
    small = [_notes(tmp_path, suffix, head, unit, 2**18, name) for name, suffix, head, unit in UNCLOSED]
    large = [_notes(tmp_path, suffix, head, unit, 2**21, name) for name, suffix, head, unit in UNCLOSED]
    base = min(sum(seconds(p) for p in small) for _ in range(3))
    assert sum(seconds(p) for p in large) < 20 * max(base, 0.01)
