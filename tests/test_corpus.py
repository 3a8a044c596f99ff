"""The checker against the corpus of real formulas (tests/corpus.py): every textbook formula holds, every
mistake people actually made fails, and the diagnosis names the mistake where the row says which."""

from __future__ import annotations

from collections import Counter

import pytest
from corpus import CORPUS

import derive


@pytest.mark.parametrize("row", CORPUS, ids=[row.id for row in CORPUS])
def test_corpus_formula(row):
    result = derive.check(row.formula, convention=row.convention, loss=row.loss, output=row.output,
                          hidden=row.hidden)
    context = (f"{row.id}: {row.formula}\n  {row.convention} {row.loss}+{row.output}, hidden {row.hidden}; "
               f"source: {row.source}\n{result.text() if hasattr(result, 'text') else result}")
    assert result.verdict == row.verdict, f"expected {row.verdict}, got {result.verdict}\n{context}"
    if row.mistake is not None:
        diagnosis = result.diagnosis or {}
        named = f"{diagnosis.get('mistake', '')} {diagnosis.get('message', '')}"
        assert row.mistake.lower() in named.lower(), f"expected the diagnosis to name {row.mistake!r}\n{context}"


def test_corpus_is_real_and_balanced():
    """At least 30 rows, both verdicts well represented, every preset used, every row cited."""
    assert len(CORPUS) >= 30
    verdicts = Counter(row.verdict for row in CORPUS)
    assert verdicts["holds"] >= 10 and verdicts["fails"] >= 10, verdicts
    assert {row.convention for row in CORPUS} == set(derive.PRESETS)
    assert len({row.id for row in CORPUS}) == len(CORPUS)
    for row in CORPUS:
        assert row.verdict in ("holds", "fails"), row.id
        assert len(row.source) > 20, f"{row.id} needs a real citation"


def test_most_failing_formulas_get_their_mistake_named():
    """Issue 9's acceptance: a named mistake for at least 90% of the corpus's failing formulas (today: all)."""
    failing = [row for row in CORPUS if row.verdict == "fails"]
    named = [row for row in failing if row.mistake is not None]
    assert len(named) >= 0.9 * len(failing), [row.id for row in failing if row.mistake is None]
