"""A fraction written as a derivative whose numerator lost its differential: \\frac{C}{\\partial w}, \\frac{Co}{dw_L}.

The denominator is a differential (∂w, dw) but the numerator is not (C, not ∂C or dC): as written it is a
quotient by the differential, not a derivative, so the formula does not state what its author meant. A checker
that read it as the derivative would be guessing; one that refused it would leave the mistake unnamed. It
fails, with the mistake named and the fraction written as the derivative it was meant to be.
"""

from __future__ import annotations

import re

_FRAC = re.compile(r"\\[dt]?frac\s*\{")
# a differential: \partial x, \mathrm{d}x, {\rm d}x, or d followed at once by a quantity's letter (dw_L, dz, d\theta)
_DIFFERENTIAL = re.compile(r"^\s*(?:\\partial(?![A-Za-z])|\\mathrm\s*\{\s*d\s*\}|\{\\rm\s+d\}|d(?=\s*(?:\\[A-Za-z]+|"
                           r"[A-Za-z])))")
_OPERATOR = re.compile(r"^\s*(?:d|\\mathrm\s*\{\s*d\s*\}|\{\\rm\s+d\})\s*$")  # \frac{d}{dx}: the operator
_OPERAND = re.compile(r"^\s*(?:\{\s*)?(?:\\[A-Za-z]+|[A-Za-z])")  # the numerator names something (not 1 or 2)


def _group(text: str, start: int) -> int | None:
    """The index just past the brace group that opens at ``start`` (text[start] == '{'), or None."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    return None


def quotient_as_derivative(text: str) -> tuple[str, str] | None:
    """(the fraction as written, as the derivative it was meant to be) for the first fraction whose denominator
    is a differential and whose numerator is not; None if there is none, or for a text longer than the parser
    reads (each fraction's groups are scanned from its start: bounded, as every formula derive reads is)."""
    from .parse import MAX_CHARS
    if len(text) > MAX_CHARS:
        return None
    for m in _FRAC.finditer(text):
        num_end = _group(text, m.end() - 1)
        if num_end is None or num_end >= len(text) or text[num_end:].lstrip()[:1] != "{":
            continue
        den_start = num_end + len(text[num_end:]) - len(text[num_end:].lstrip())
        den_end = _group(text, den_start)
        if den_end is None:
            continue
        num, den = text[m.end():num_end - 1], text[den_start + 1:den_end - 1]
        d = _DIFFERENTIAL.match(den)
        if not d or _DIFFERENTIAL.match(num) or _OPERATOR.match(num) or not _OPERAND.match(num):
            continue
        mark = d.group().strip()
        sep = " " if mark[-1].isalpha() and num.strip()[:1].isalpha() and mark.startswith("\\") else ""
        meant = f"{text[m.start():m.end() - 1]}{{{mark}{sep}{num.strip()}}}{{{den}}}"
        return text[m.start():den_end], meant
    return None


def meant(text: str) -> str:
    """``text`` with every such fraction written as the derivative it was meant to be."""
    for _ in range(32):  # the parser's bound on a formula's parts
        found = quotient_as_derivative(text)
        if found is None:
            break
        text = text.replace(found[0], found[1], 1)
    return text
