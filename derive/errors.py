"""The project's exceptions: every user-facing failure is a DeriveError with a one-line message."""

from __future__ import annotations

import difflib


class DeriveError(Exception):
    """Bad input or an impossible request; the CLI prints it on one line and exits 2."""


class UnknownName(DeriveError):
    """A name that is not in a registry; the message suggests the closest names."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(f"unknown {kind} {name!r}{hint} (known: {', '.join(known)})")


def lookup(table: dict, kind: str, name: str):
    """Return ``table[name]`` or raise UnknownName with suggestions; a name that is not a string is refused."""
    if not isinstance(name, str):
        raise DeriveError(f"expected a {kind} name (a string), not {name!r}")
    try:
        return table[name]
    except KeyError:
        raise UnknownName(kind, name, sorted(table)) from None
