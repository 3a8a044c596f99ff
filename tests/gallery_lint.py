"""Shared by test_gallery_lint.py and test_gallery_lint_rest.py, which lint half of the gallery each (so the two
pytest workers share the work): the gallery's documents by folder, and the checks every half makes."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from derive.conventions import PRESETS

OUTPUT = Path(__file__).resolve().parent.parent / "output"
FIRST = ("nielsen", "wikipedia", "ng", "ufldl")   # test_gallery_lint.py, with the index README.md
REST = ("goodfellow", "bishop", "cs231n", "dls")  # test_gallery_lint_rest.py


def documents(folders: tuple, index: bool = False) -> list[Path]:
    """The documents of ``folders`` (and the index, README.md)."""
    found = sorted(p for folder in folders for p in (OUTPUT / folder).rglob("*")
                   if p.is_file() and p.suffix in (".md", ".tex"))
    return found + ([OUTPUT / "README.md"] if index else [])


def every_formula_holds(findings) -> None:
    bad = [f"{Path(f.file).relative_to(OUTPUT)}:{f.line}: {f.verdict}: {f.formula}\n    {f.reason}"
           for f in findings if f.verdict != "holds"]
    assert not bad, f"{len(bad)} formulas in the gallery do not hold as derive reads them:\n" + "\n".join(bad)


def judged_in_its_own_convention_and_every_other(findings, paths: list[Path]) -> None:
    by_file: dict = {}
    for f in findings:
        by_file.setdefault(Path(f.file), Counter())[re.sub(r" \(.*", "", f.convention or "")] += 1
    for path in paths:
        if path.name == "README.md":
            continue
        seen = by_file.get(path, Counter())
        own = seen.pop(path.parent.name, 0)
        assert own >= 30, f"{path.relative_to(OUTPUT)}: only {own} claims judged in its own convention"
        # the other-conventions section: the recursion and the weight gradient, in each other preset
        assert set(seen) == set(PRESETS) - {path.parent.name}, f"{path.relative_to(OUTPUT)}: {dict(seen)}"
        assert all(n >= 2 for n in seen.values()), f"{path.relative_to(OUTPUT)}: {dict(seen)}"
