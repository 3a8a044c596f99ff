"""`derive lint` over folders and quoted globs, as pre-commit and CI call it on a notes folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from derive.cli import main
from derive.errors import DeriveError
from derive.notes_paths import expand, folder_notes

# one claim each, with the directive that fixes the problem: fast to judge, and the verdict is known
HOLDS = "<!-- derive: convention=nielsen loss=cce output=softmax -->\n$$\\delta^L = a^L - y$$\n"
FAILS = "<!-- derive: convention=nielsen loss=cce output=softmax -->\n$$\\delta^L = a^L + y$$\n"
TEX = "% derive: convention=nielsen loss=cce output=softmax\n\\[ \\delta^L = a^L - y \\]\n"


def notes(root: Path, files: dict) -> Path:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return root


@pytest.fixture
def folder(tmp_path) -> Path:
    return notes(tmp_path / "notes", {
        "b.md": HOLDS, "a.markdown": HOLDS, "ch1/intro.tex": TEX, "ch1/sub/deep.MD": HOLDS,
        "ch2/x.md": HOLDS, "image.png": "not notes", "readme.txt": "not notes",
        ".hidden.md": FAILS, ".git/HEAD.md": FAILS, "ch2/.drafts/draft.md": FAILS,
    })


def rel(paths, root: Path) -> list[str]:
    return [str(Path(p).relative_to(root)) for p in paths]


def test_a_folder_is_every_notes_file_under_it_sorted(folder):
    assert rel(folder_notes(folder), folder) == ["a.markdown", "b.md", "ch1/intro.tex", "ch1/sub/deep.MD",
                                                 "ch2/x.md"]


def test_links_leading_outside_are_skipped(folder, tmp_path):
    outside = notes(tmp_path / "elsewhere", {"secret.md": FAILS, "dir/more.md": FAILS})
    os.symlink(outside / "secret.md", folder / "link.md")
    os.symlink(outside / "dir", folder / "linkdir")
    os.symlink("../../elsewhere/secret.md", folder / "ch1" / "relative.md")
    os.symlink("b.md", folder / "alias.md")           # inside, but the same file: listed once
    os.symlink("ch2", folder / "ch2link")              # a folder inside: its files are listed once
    os.symlink(".", folder / "ch1" / "loop")           # a loop: searched once
    os.symlink("missing.md", folder / "dangling.md")   # leads nowhere: not a file
    os.symlink("loop2.md", folder / "loop1.md")        # a loop of links: no file
    os.symlink("loop1.md", folder / "loop2.md")
    found = rel(folder_notes(folder), folder)
    assert found == ["a.markdown", "b.md", "ch1/intro.tex", "ch1/sub/deep.MD", "ch2/x.md"], found


def test_inside_links_are_followed_when_they_are_the_only_way(tmp_path):
    root = notes(tmp_path / "notes", {"real/.store/kept.md": HOLDS})
    os.symlink("real/.store", root / "visible")
    assert rel(folder_notes(root), root) == ["visible/kept.md"]


def test_expand_globs_files_and_folders(folder, monkeypatch):
    monkeypatch.chdir(folder)
    assert expand(["**/*.md"]) == ["b.md", "ch2/x.md"]  # ** at any depth; hidden entries skipped, as a shell does
    assert expand(["ch1"]) == ["ch1/intro.tex", "ch1/sub/deep.MD"]
    assert expand(["ch*"]) == ["ch1/intro.tex", "ch1/sub/deep.MD", "ch2/x.md"]  # a matched folder is searched
    assert expand(["b.md", ".", "b.md"]) == ["b.md", "a.markdown", "ch1/intro.tex", "ch1/sub/deep.MD",
                                             "ch2/x.md"]  # each file once, first mention first
    assert expand(["readme.txt"]) == ["readme.txt"]  # named directly: lint's to read
    assert expand(["missing.md"]) == ["missing.md"]  # lint says it cannot read it


def test_a_file_whose_name_looks_like_a_glob_is_that_file(tmp_path, monkeypatch):
    notes(tmp_path, {"week[1].md": HOLDS, "week1.md": FAILS})
    monkeypatch.chdir(tmp_path)
    assert expand(["week[1].md"]) == ["week[1].md"]


@pytest.mark.parametrize("argument,message", [
    ("empty", "empty: no notes files (.md, .markdown, .tex"),
    ("only_images", "only_images: no notes files"),
    ("nothing/**/*.md", "no file matches 'nothing/**/*.md'"),
    ("*.rst", "no file matches '*.rst'"),
])
def test_nothing_to_lint_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, argument, message):
    (tmp_path / "empty").mkdir()
    notes(tmp_path, {"only_images/a.png": "x", "only_images/.hidden.md": FAILS})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DeriveError, match="no "):
        expand([argument])
    assert main(["lint", argument]) == 2
    err = capsys.readouterr().err
    assert err.startswith("derive: error: ") and message in err and err.count("\n") == 1, err


def test_lint_a_folder(folder, capsys):
    assert main(["lint", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.count(": holds: ") == 5 and "5 hold, 0 fail" in out
    assert ".hidden" not in out and ".git" not in out and "draft" not in out


def test_lint_a_quoted_glob_fails_on_a_failing_file(tmp_path):
    root = notes(tmp_path / "notes", {"ok.md": HOLDS, "sub/bad.md": FAILS, "sub/skip.tex": TEX})
    result = subprocess.run([sys.executable, "-m", "derive", "lint", "notes/**/*.md"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "notes/ok.md:2: holds" in result.stdout and "notes/sub/bad.md:2: fails" in result.stdout
    assert "skip.tex" not in result.stdout
    assert root.exists()


def test_help_names_folders_and_globs():
    result = subprocess.run([sys.executable, "-m", "derive", "lint", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    assert "a folder means every notes file under it" in " ".join(result.stdout.split())
    assert "'notes/**/*.md'" in result.stdout
