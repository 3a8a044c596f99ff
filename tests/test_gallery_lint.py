"""Issue 9, section 5 (self-consistency): every formula derive prints in a gallery document is read by
`derive lint` under that document's convention and holds.

Each document names its problem in a `derive:` directive; its "other conventions" section names each row's
convention, and the regularised batch gradient names that variant (grad_of=cost, l2=...). Linting the whole
committed gallery (Markdown and LaTeX, and the index) must then give no failure and no skipped claim: a failure
would be derive printing a wrong formula or misreading its own notation, a skip a formula it prints but cannot
read. Math that claims nothing (an expression, a shape) is not a claim and is not listed. This file lints half
of the folders and the index, test_gallery_lint_rest.py the other half (one pytest worker each).
"""

from __future__ import annotations

import pytest
from gallery_lint import (
    FIRST,
    OUTPUT,
    REST,
    documents,
    every_formula_holds,
    judged_in_its_own_convention_and_every_other,
)

from derive.conventions import PRESETS
from derive.gallery import OTHER_HIDDEN, PAIRS
from derive.lint import lint

DOCUMENTS = documents(FIRST, index=True)


KINDS_FOLDERS = ("layers", "architectures")


@pytest.fixture(scope="module")
def findings():
    # one lint run: a formula the Markdown and the LaTeX version share is judged once
    return lint([str(p) for p in DOCUMENTS], diagnose=False)


def test_the_whole_gallery_is_linted():
    assert sorted(FIRST + REST) == sorted(PRESETS)
    # the single-layer and the architectures' documents (output/layers, output/architectures) are verified as
    # they are written; lint reads a dense network's notes
    every = sorted(p for p in OUTPUT.rglob("*") if p.is_file() and p.suffix in (".md", ".tex")
                   and p.parent.name not in KINDS_FOLDERS)
    assert sorted(DOCUMENTS + documents(REST)) == every
    assert len(every) == (len(PRESETS) * len(PAIRS) + len(OTHER_HIDDEN)) * 2 + 1  # every document, and the index


def test_every_document_names_its_problem():
    for path in sorted(OUTPUT.rglob("*")):
        if not path.is_file() or path.suffix not in (".md", ".tex") or path.name == "README.md" or \
                path.parent.name in KINDS_FOLDERS:
            continue
        loss, output, hidden = (path.stem.split("-") + ["sigmoid"])[:3]  # bce-sigmoid, bce-sigmoid-relu
        want = f"derive: convention={path.parent.name} loss={loss} output={output} hidden={hidden}"
        head = path.read_text(encoding="utf-8").splitlines()[:3]
        assert any(want in line for line in head), f"{path.relative_to(OUTPUT)}: no directive {want!r} at the top"


def test_every_formula_derive_prints_holds_and_none_is_skipped(findings):
    every_formula_holds(findings)


def test_each_document_is_judged_in_its_own_convention_and_in_every_other(findings):
    judged_in_its_own_convention_and_every_other(findings, DOCUMENTS)
