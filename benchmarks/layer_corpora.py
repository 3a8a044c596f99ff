"""How `derive check --layer` does on the real formulas of the layer corpora (tests/corpora/*/claims.toml).

Each claim written in LaTeX is given to ``derive.check`` in the notation its source declares in the corpus's
``notations.toml`` (as a notes file would), else under every shipped notation of its kind (the corpora record the
sources' own letters, which are rarely derive's); the first notation that reads it judges it. A claim counts as
judged when some notation reads it, right when the verdict is the corpus's numeric truth (decided by each
corpus's own truth.py, outside derive), and a false hold is a "holds" on a claim whose truth is "fails". Claims
whose own source defines another forward pass than derive's kind (a true convolution) are counted apart: derive
judges them against its own forward.

Run: ``python -m benchmarks.layer_corpora [--claims]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ("normalisation", "convolution", "recurrent", "attention", "pooling", "embedding")


def kind_of(corpus: str, claim: dict) -> str:
    if corpus == "convolution":
        return f"conv{claim['dims']}d"
    return claim["kind"]


def foreign(corpus: str, claim: dict) -> bool:
    """The claim's own source defines a forward pass other than derive's kind (a true convolution; attention's scores
    without the 1/sqrt(d))."""
    if corpus == "convolution":
        return claim.get("forward") == "convolution"
    if corpus == "attention":
        return str(claim.get("conventions", {}).get("scale", "")).startswith("none")
    return False


def notations(corpus: str) -> dict:
    """{claim id: (kind, notation table)} from the corpus's notations.toml: the letters its source writes, as a
    notes file would declare them (derive.layers.notation)."""
    path = ROOT / "tests" / "corpora" / corpus / "notations.toml"
    if not path.exists():
        return {}
    out = {}
    for entry in tomllib.loads(path.read_text(encoding="utf-8"))["notation"]:
        for claim in entry["claims"]:
            out[claim] = (entry["kind"], entry["letters"])
    return out


def judge(corpus: str, claim: dict, declared: dict | None = None) -> tuple[str, str]:
    """(verdict, notation) of derive on the claim: in the notation its source declares (``declared``), else the
    first shipped notation of its kind that reads it, or invalid."""
    from derive import check
    from derive.layers import kind
    if declared and claim["id"] in declared:
        layer, letters = declared[claim["id"]]
        r = check(claim["latex"], letters, layer=layer, diagnose=False)
        return r.verdict, "declared" if r.verdict != "invalid" else r.reason
    reason = ""
    for shipped in kind(kind_of(corpus, claim)).letters:
        r = check(claim["latex"], shipped.source, layer=kind_of(corpus, claim), diagnose=False)
        if r.verdict != "invalid":
            return r.verdict, shipped.source
        reason = reason or r.reason
    return "invalid", reason


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", action="store_true", help="print every claim's verdict")
    args = ap.parse_args(argv)
    rows = []
    for corpus in CORPORA:
        data = tomllib.loads((ROOT / "tests" / "corpora" / corpus / "claims.toml").read_text())
        claims = [c for c in data["claim"] if "latex" in c]
        judged = right = false_holds = false_fails = apart = 0
        declared = notations(corpus)
        for claim in claims:
            verdict, how = judge(corpus, claim, declared)
            if args.claims:
                print(f"{corpus:13} {claim['id']:8} truth {claim['truth']:5}  derive {verdict:7} {how[:90]}")
            if verdict == "invalid":
                continue
            if foreign(corpus, claim):
                apart += 1
                continue
            judged += 1
            right += verdict == claim["truth"]
            false_holds += verdict == "holds" and claim["truth"] == "fails"
            false_fails += verdict == "fails" and claim["truth"] == "holds"
        rows.append((corpus, len(data["claim"]), len(claims), judged, right, false_holds, false_fails, apart))
    print("| corpus | claims | LaTeX | judged | right | false holds | false fails | judged, other forward |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for corpus, total, latex, judged, right, fh, ff, apart in rows:
        print(f"| {corpus} | {total} | {latex} | {judged} | {right} | {fh} | {ff} | {apart} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
