"""The second half of the gallery's self-consistency test (issue 9, section 5): see test_gallery_lint.py."""

from __future__ import annotations

import pytest
from gallery_lint import REST, documents, every_formula_holds, judged_in_its_own_convention_and_every_other

from derive.lint import lint

DOCUMENTS = documents(REST)


@pytest.fixture(scope="module")
def findings():
    return lint([str(p) for p in DOCUMENTS], diagnose=False)


def test_every_formula_derive_prints_holds_and_none_is_skipped(findings):
    every_formula_holds(findings)


def test_each_document_is_judged_in_its_own_convention_and_in_every_other(findings):
    judged_in_its_own_convention_and_every_other(findings, DOCUMENTS)
