"""derive's `check --layer` on the layer corpora's real formulas (tests/corpora/*/claims.toml), whose truth each
corpus's own numeric script decides outside derive (tests/test_*_corpus.py keep those manifests honest).

Sound before complete: no claim the numbers call wrong may be reported as holding, whatever notation reads it. And
every claim a corpus's notations.toml declares the letters of is judged, and judged right.
"""

import pytest
from loading import ROOT, load

BENCH = load("layer_corpora", ROOT / "benchmarks" / "layer_corpora.py")


def _claims(corpus):
    import tomllib
    data = tomllib.loads((ROOT / "tests" / "corpora" / corpus / "claims.toml").read_text(encoding="utf-8"))
    return [c for c in data["claim"] if "latex" in c]


@pytest.mark.parametrize("corpus", BENCH.CORPORA)
def test_no_wrong_formula_of_a_corpus_holds(corpus):
    declared = BENCH.notations(corpus)
    for claim in _claims(corpus):
        verdict, _ = BENCH.judge(corpus, claim, declared)
        if not BENCH.foreign(corpus, claim):
            assert not (verdict == "holds" and claim["truth"] == "fails"), claim["id"]


@pytest.mark.parametrize("corpus", [c for c in BENCH.CORPORA if BENCH.notations(c)])
def test_claims_in_a_declared_notation_are_judged_right(corpus):
    declared = BENCH.notations(corpus)
    claims = {c["id"]: c for c in _claims(corpus)}
    assert set(declared) <= set(claims)
    for cid in declared:
        verdict, how = BENCH.judge(corpus, claims[cid], declared)
        assert verdict == claims[cid]["truth"], (cid, verdict, how)
