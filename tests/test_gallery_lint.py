"""Issue 9, section 5 (self-consistency): every formula derive prints in a gallery document is read by
`derive lint` under that document's convention and holds.

Each document names its problem in a `derive:` directive; its "other conventions" section names each row's
convention, and the regularised batch gradient names that variant (grad_of=cost, l2=...). Linting the whole
committed gallery (Markdown and LaTeX, and the index) must then give no failure and no skipped claim: a failure
would be derive printing a wrong formula or misreading its own notation, a skip a formula it prints but cannot
read. Math that claims nothing (an expression, a shape) is not a claim and is not listed.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from derive.conventions import PRESETS
from derive.gallery import PAIRS
from derive.lint import lint

OUTPUT = Path(__file__).resolve().parent.parent / "output"
DOCUMENTS = sorted(p for p in OUTPUT.rglob("*") if p.is_file() and p.suffix in (".md", ".tex"))


@pytest.fixture(scope="module")
def findings():
    # one lint run: a formula the Markdown and the LaTeX version share is judged once
    return lint([str(p) for p in DOCUMENTS], diagnose=False)


def test_the_whole_gallery_is_linted():
    assert len(DOCUMENTS) == len(PRESETS) * len(PAIRS) * 2 + 1  # every document, and the index


def test_every_document_names_its_problem():
    for path in DOCUMENTS:
        if path.name == "README.md":
            continue
        loss, output = path.stem.split("-")
        want = f"derive: convention={path.parent.name} loss={loss} output={output} hidden=sigmoid"
        head = path.read_text(encoding="utf-8").splitlines()[:3]
        assert any(want in line for line in head), f"{path.relative_to(OUTPUT)}: no directive {want!r} at the top"


def test_every_formula_derive_prints_holds_and_none_is_skipped(findings):
    bad = [f"{Path(f.file).relative_to(OUTPUT)}:{f.line}: {f.verdict}: {f.formula}\n    {f.reason}"
           for f in findings if f.verdict != "holds"]
    assert not bad, f"{len(bad)} formulas in the gallery do not hold as derive reads them:\n" + "\n".join(bad)


def test_each_document_is_judged_in_its_own_convention_and_in_every_other(findings):
    by_file = {}
    for f in findings:
        by_file.setdefault(Path(f.file), Counter())[re.sub(r" \(.*", "", f.convention or "")] += 1
    for path in DOCUMENTS:
        if path.name == "README.md":
            continue
        seen = by_file.get(path, Counter())
        own = seen.pop(path.parent.name, 0)
        assert own >= 30, f"{path.relative_to(OUTPUT)}: only {own} claims judged in its own convention"
        # the other-conventions section: the recursion and the weight gradient, in each other preset
        assert set(seen) == set(PRESETS) - {path.parent.name}, f"{path.relative_to(OUTPUT)}: {dict(seen)}"
        assert all(n >= 2 for n in seen.values()), f"{path.relative_to(OUTPUT)}: {dict(seen)}"
