"""The relations a claim is written with, defined once: the grammar's REL token, the parser's scan before lark
and ``lint``'s search for a claim are all built from ``RELATIONS``.

``\\equiv`` and ≡ (identical by definition: δ_j ≡ ∂E_n/∂a_j) claim the equality a = b; := and ← are
assignments (Ng's Δ := Δ + δ aᵀ); += an accumulation, also written ``\\mathrel{+}=``.
"""

from __future__ import annotations

import re

RELATIONS = {"=": "=", "\\equiv": "=", "≡": "=", ":=": ":=", "\\coloneqq": ":=", "≔": ":=", "<-": "<-",
             "\\leftarrow": "<-", "\\gets": "<-", "←": "<-", "+=": "+="}
MATHREL_PLUS = r"\\mathrel\s*\{\s*\+\s*\}\s*="   # \mathrel{+}=, read as +=
WRITTEN = {"=": "=", ":=": ":=", "<-": r"\leftarrow", "+=": r"\mathrel{+}="}  # each meaning as derive writes it


def _pattern(text: str) -> str:
    """One relation as a regular expression; a command ends where its letters do (\\gets, not \\getsome)."""
    return re.escape(text) + ("(?![A-Za-z])" if re.fullmatch(r"\\[A-Za-z]+", text) else "")


# longest first, so that := and += are not read as = (an alternation takes the first that matches)
PATTERN = "|".join([_pattern(t) for t in sorted(RELATIONS, key=len, reverse=True)] + [MATHREL_PLUS])
RELATION = re.compile(PATTERN)


# comparisons of values (a condition's a^l > 0, a bracket's [y > 0]), each spelling and what it means, defined once:
# the grammar's COMP token, the parser's inline cases and the conditions' values are all built from it
COMPARISONS = {">": ">", "<": "<", "≥": "≥", "≤": "≤", "\\gt": ">", "\\lt": "<", "\\geq": "≥", "\\ge": "≥",
               "\\leq": "≤", "\\le": "≤"}
WRITTEN_COMPARISON = {"=": "=", ">": ">", "<": "<", "≥": "\\geq", "≤": "\\leq"}  # each meaning as derive writes it
COMPARISON = "|".join(_pattern(t) for t in sorted(COMPARISONS, key=len, reverse=True))


def written_as(claim: str) -> str:
    """Every spelling of one relation's meaning as an alternation: written_as("<-") for ←, \\gets, <- ..."""
    return "|".join(_pattern(t) for t in sorted(RELATIONS, key=len, reverse=True) if RELATIONS[t] == claim)


def meaning(text: str) -> str:
    """What a relation token claims: "=", ":=", "<-" or "+="."""
    return "+=" if re.fullmatch(MATHREL_PLUS, text) else RELATIONS[text]
