"""The assertion the table-driven checker tests share: a formula's verdict, and a part of what it says."""

from __future__ import annotations

import derive


def judged(formula: str, settings: dict, verdict: str, said: str = "", notes: bool = False):
    """``derive.check(formula, **settings)`` without diagnosis: its verdict must be ``verdict`` and ``said`` a part of
    its reason (or, with ``notes``, of its reason and its notes). Returns the result for the test's own asserts."""
    result = derive.check(formula, **settings, diagnose=False)
    assert result.verdict == verdict, result.text()
    told = result.reason + (" " + " ".join(result.notes) if notes else "")
    assert said in told, result.text()
    return result
