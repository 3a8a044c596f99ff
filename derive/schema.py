"""Field types for records read from users' files: each value is checked before anything uses it.

A convention file is data. Its values end up as SymPy symbol names, in LaTeX documents, in the checker's
symbol table and in arithmetic, so each field declares what it may hold and anything else is refused with one
line naming the field. Nothing here (or anywhere in derive) hands user text to ``sympify``, ``eval`` or
``exec``: strings stay strings, numbers are checked to be numbers, LaTeX is checked against a short list of
the math commands notation needs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import DeriveError

# The LaTeX commands a symbol in a convention's notation may use: letters, accents, fonts and the operators
# sources write. Anything else (\input, \write, \def, \catcode, ...) could do more than print a symbol.
GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho "
         "sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi "
         "Psi Omega").split()
MATH_COMMANDS = frozenset(GREEK + (
    "hat widehat bar overline tilde widetilde vec dot ddot check breve acute grave "
    "mathcal mathbf mathrm mathit mathsf textsf mathtt mathbb mathfrak boldsymbol bm text textrm operatorname "
    "frac dfrac tfrac partial nabla ell imath jmath odot circ otimes oplus cdot ast star times bullet "
    "top intercal prime dagger mathbin mathrel mathop nolimits limits").split())
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_SPACING = {",", ";", ":", "!", " "}  # \, \; \: \! and "\ " are thin spaces, harmless
_PRINTABLE = re.compile(r"[ -~]*")  # ASCII without control characters: what pdflatex and KaTeX both read
_FORBIDDEN_CHARS = "%#&$~\\"  # comments, parameters, alignment, math shift, ties; backslash is checked apart


class FieldError(DeriveError):
    """A value of the wrong type or outside its allowed values; ``field`` names it (e.g. notation.width)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def kind_of(value) -> str:
    """How a user would call the type of a value read from TOML."""
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            tuple: "an array", dict: "a table", type(None): "None"}.get(type(value), f"a {type(value).__name__}")


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of names."""

    allowed: tuple

    def check(self, field: str, value):
        if not isinstance(value, str):
            raise FieldError(field, f"expected one of {', '.join(self.allowed)}, got {kind_of(value)}")
        if value not in self.allowed:
            raise FieldError(field, f"must be one of {', '.join(self.allowed)}, not {value!r}")
        return value


@dataclass(frozen=True)
class Integer:
    """A whole number in [low, high] (booleans are not numbers here)."""

    low: int
    high: int

    def check(self, field: str, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(field, f"expected an integer, got {kind_of(value)}")
        if not self.low <= value <= self.high:
            raise FieldError(field, f"must be between {self.low} and {self.high}, not {value}")
        return value


@dataclass(frozen=True)
class Number:
    """A finite real number in [low, high]; stored as a float."""

    low: float
    high: float

    def check(self, field: str, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FieldError(field, f"expected a number, got {kind_of(value)}")
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise FieldError(field, f"must be a finite number between {self.low:g} and {self.high:g}, not {value}")
        return float(value)


@dataclass(frozen=True)
class Text:
    """A one-line string of at most ``limit`` characters (names, sources)."""

    limit: int = 200

    def check(self, field: str, value):
        if not isinstance(value, str):
            raise FieldError(field, f"expected a string, got {kind_of(value)}")
        if not value.strip() or len(value) > self.limit or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise FieldError(field, f"expected one line of 1 to {self.limit} printable characters, got {value!r}")
        return value


@dataclass(frozen=True)
class Latex:
    """A short LaTeX symbol: printable ASCII, balanced braces, only the commands in MATH_COMMANDS."""

    limit: int = 80
    optional: bool = False  # None allowed (e.g. notation.output)

    def check(self, field: str, value):
        if value is None and self.optional:
            return value
        if not isinstance(value, str):
            raise FieldError(field, f"expected a LaTeX string such as '\\Theta', got {kind_of(value)}")
        if not value.strip() or len(value) > self.limit or not _PRINTABLE.fullmatch(value):
            raise FieldError(field, f"expected a LaTeX symbol of 1 to {self.limit} ASCII characters, got {value!r}")
        bad = sorted({c for c in value if c in _FORBIDDEN_CHARS[:-1]})
        if bad:
            raise FieldError(field, f"{' '.join(bad)} cannot appear in a symbol (got {value!r})")
        for m in _COMMAND.finditer(value):
            name = m.group(1)
            if name not in MATH_COMMANDS and name not in _SPACING:
                raise FieldError(field, f"\\{name} is not a math command derive prints (got {value!r}; allowed: "
                                        "Greek letters, accents such as \\hat, fonts such as \\mathbf, \\frac, "
                                        "\\partial, \\nabla, \\odot, \\circ, \\top ...)")
        depth = 0
        for c in _COMMAND.sub("", value):
            depth += {"{": 1, "}": -1}.get(c, 0)
            if depth < 0:
                break
        if depth:
            raise FieldError(field, f"unbalanced braces in {value!r}")
        return value


@dataclass(frozen=True)
class Letters:
    """A short list of distinct single index letters (Bishop's i, j, k)."""

    limit: int = 8

    def check(self, field: str, value):
        if not isinstance(value, list | tuple):
            raise FieldError(field, f"expected an array of letters such as [\"i\", \"j\", \"k\"], got {kind_of(value)}")
        if len(value) > self.limit or not all(isinstance(x, str) and len(x) == 1 and x.isascii() and x.isalpha()
                                              for x in value) or len(set(value)) != len(value):
            raise FieldError(field, f"expected at most {self.limit} distinct single letters, got {list(value)!r}")
        return tuple(value)


def check_record(record, types: dict, prefix: str = "") -> None:
    """Check every field of a frozen dataclass ``record`` against ``types``, normalising in place."""
    for name, kind in types.items():
        value = kind.check(prefix + name, getattr(record, name))
        if value is not getattr(record, name):
            object.__setattr__(record, name, value)  # e.g. an int l2 becomes a float, a list a tuple
