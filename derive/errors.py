"""The project's exceptions: every user-facing failure is a DeriveError with a one-line message."""

from __future__ import annotations


class DeriveError(Exception):
    """Bad input or an impossible request; the CLI prints it on one line and exits 2."""


class UnknownName(DeriveError):
    """A name that is not in a registry; the message suggests the closest names."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        super().__init__(f"unknown {kind} {name!r}{did_you_mean(name, known)} (known: {', '.join(known)})")


def did_you_mean(name: str, known, n: int = 3, cutoff: float = 0.5) -> str:
    """"; did you mean 'sigmoid'?" with the closest of ``known`` to ``name`` (as typed, any case), or ""."""
    import difflib  # only for a name that is not known: every derive command imports this module
    close = difflib.get_close_matches(normal(name), list(known), n=n, cutoff=cutoff)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def lookup(table: dict, kind: str, name: str, aliases: dict | None = None):
    """Return ``table[name]``, read the way people type names: any case, ``-`` or a space for ``_``, and the
    registry's ``aliases`` (``crossentropy`` for ``cce``); otherwise raise UnknownName with suggestions.
    A name that is not a string is refused."""
    if not isinstance(name, str):
        raise DeriveError(f"expected a {kind} name (a string), not {name!r}")
    if name in table:
        return table[name]
    key = normal(name)
    for known in table:
        if normal(known) == key:
            return table[known]
    for alias, known in (aliases or {}).items():
        if normal(alias) == key:
            return table[known]
    raise UnknownName(kind, name, sorted(table))


def normal(name: str) -> str:
    """A name as compared: lower case, with - and spaces as _."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")
