"""``derive.check(formula, layer=KIND)``: a backward formula for one layer kind judged in its source's letters.

parse (the one grammar) -> ``formula.layer_meaning.read`` under the kind's ``Letters`` (refusing what it cannot
give a meaning) -> ``formula.layer_judge.judge`` against ``truth_kinds`` on drawn inputs -> when it fails, the
known mistake (graph edits re-derived by the reverse pass) and the corrected formula in the same letters.
Invalid input is a verdict, not an exception, as for the MLP checker. The verdict's fields come back as a dict,
which ``check.check`` makes its ``CheckResult`` (this module sits below ``check``).
"""

from __future__ import annotations

import dataclasses

from .errors import DeriveError


def check_layer(formula: str, layer: str, convention=None, diagnose: bool = True,
                unbiased: bool = False) -> dict:
    """The verdict on ``formula`` about the layer kind ``layer`` in the letters of ``convention`` (a notation of
    the kind: ioffe, cs231n, ba; default its first), as ``CheckResult``'s fields."""
    from .formula.layer_judge import diagnose as find_mistake
    from .formula.layer_judge import harmless_notes, judge
    from .formula.layer_meaning import ShapeFailure, read
    from .formula.parse import parse_chain
    from .layer_inputs import kind_for
    from .layers import kind as layer_kind
    from .layers.notation import notation_of

    name = convention if isinstance(convention, str) or convention is None else repr(convention)
    try:
        if not isinstance(formula, str):
            raise DeriveError(f"the formula must be a string, not {type(formula).__name__}")
        kind = layer_kind(kind_for(layer, convention), unbiased)
        letters = notation_of(kind, convention)
        name = letters.source
        links = parse_chain(formula)
        # a chain q = b = c claims q = b and q = c: each side after the first judged against it
        meanings = [read(dataclasses.replace(link, lhs=links[0].lhs), kind, letters) for link in links]
    except ShapeFailure as exc:  # matrices whose shapes do not fit: a meaning, and a wrong one
        return {"verdict": "fails", "formula": formula, "convention": name or "",
                "reason": f"the shapes do not fit: {exc}", "notes": []}
    except DeriveError as exc:
        return {"verdict": "invalid", "formula": formula, "convention": name or "", "reason": str(exc)}
    try:
        verdicts = [judge(m, unbiased) for m in meanings]
    except DeriveError as exc:  # a condition no drawn input meets
        return {"verdict": "invalid", "formula": formula, "convention": name or "", "reason": str(exc)}
    failing = next((n for n, v in enumerate(verdicts) if not v.holds), None)
    meaning, verdict = meanings[failing or 0], verdicts[failing or 0]
    if len(links) > 1:
        part = f"side {failing + 2} of {len(links) + 1} " if failing is not None else f"all {len(links)} sides "
        verdict = dataclasses.replace(verdict, reason=part + verdict.reason)
    notes = list(dict.fromkeys(n for m in meanings for n in m.notes))
    if unbiased:
        notes.append("judged with the n - 1 variance")
    if verdict.holds:
        notes += harmless_notes(meaning, unbiased)
    result: dict = {"verdict": "holds" if verdict.holds else "fails", "formula": formula, "convention": name,
                    "quantity": meaning.name, "reason": verdict.reason, "counterexample": verdict.counterexample,
                    "notes": notes}
    if not verdict.holds and diagnose:
        result["diagnosis"] = find_mistake(meaning, unbiased)
    return result
