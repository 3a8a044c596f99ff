"""The notes files a ``derive lint`` argument names: a file, a folder (every notes file under it) or a glob.

A folder means every Markdown or LaTeX file under it, recursively, in sorted order. Hidden files and folders
are skipped (editors' swap and lock files, ``.git``), and so is a symbolic link that leads outside the folder,
so linting someone's notes folder reads nothing elsewhere. A quoted glob (``'notes/**/*.md'``) is expanded
here as the shell would expand it unquoted (``**`` matches any depth); each match counts as if named. A file
named directly is kept whatever it is: reading it is ``lint``'s business, and its error names it.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from .errors import DeriveError

MARKDOWN_SUFFIXES = (".md", ".markdown")
GLOB_CHARS = frozenset("*?[")


def notes_suffixes() -> tuple:
    """The file name endings a folder is searched for: Markdown and every LaTeX ending lint reads as LaTeX."""
    from .lint import LATEX_SUFFIXES
    return MARKDOWN_SUFFIXES + tuple(LATEX_SUFFIXES)


def expand(arguments) -> list[str]:
    """The notes files that ``arguments`` (files, folders, glob patterns) name, each once, in order.

    Raises:
        DeriveError: a folder holds no notes file, or a pattern matches nothing (one line naming it).
    """
    out, seen = [], set()
    for argument in arguments:
        for path in _one(str(argument)):
            key = os.path.realpath(path)
            if key not in seen:
                seen.add(key)
                out.append(path)
    return out


def _one(argument: str) -> list[str]:
    if os.path.isdir(argument):
        found = folder_notes(Path(argument))
        if not found:
            endings = ", ".join(notes_suffixes())
            raise DeriveError(f"{argument}: no notes files ({endings}) in this folder or below it")
        return found
    if os.path.lexists(argument) or not GLOB_CHARS & set(argument):
        return [argument]  # a file, or a name lint will say it cannot read
    matches = sorted(glob.glob(argument, recursive=True))
    if not matches:
        raise DeriveError(f"no file matches {argument!r}")
    out = []
    for match in matches:
        out += folder_notes(Path(match)) if os.path.isdir(match) else [match]
    return out


def folder_notes(top: Path) -> list[str]:
    """Every notes file under ``top``, sorted by path; hidden entries and links leading outside ``top`` skipped.

    A file or folder is listed under its own path; a link inside ``top`` is followed only to what no other
    path reaches (so each file is listed once, and a link back up is no loop).
    """
    root = Path(os.path.realpath(top))
    suffixes = notes_suffixes()
    found, visited, files, links = [], {root}, set(), []

    def add(path: Path, real: Path, is_dir: bool) -> None:
        if is_dir and real not in visited:
            visited.add(real)
            walk(path)
        elif not is_dir and path.name.lower().endswith(suffixes) and real not in files:
            files.add(real)
            found.append(path)

    def walk(folder: Path) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return  # unreadable: nothing found there (a folder with nothing else is reported empty)
        for entry in entries:
            path = folder / entry.name
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                links.append(path)  # after every real path, so that a file is listed where it is
            elif entry.is_dir() or entry.is_file():
                add(path, Path(os.path.realpath(path)), entry.is_dir())

    walk(top)
    while links:
        path = links.pop(0)
        real = Path(os.path.realpath(path))  # a loop of links resolves to where it loops, which is no file
        if real.is_relative_to(root) and (real.is_dir() or real.is_file()):  # inside, and leads somewhere
            add(path, real, real.is_dir())
    return [str(p) for p in sorted(found, key=lambda p: p.relative_to(top).parts)]
