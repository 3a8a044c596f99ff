"""A layer kind's letters as the user's notes write them: one of the kind's notations with some letters changed.

A notation is data, a TOML file (``--layer conv2d --convention notes.toml``) or a dict (``check(..., layer=KIND,
convention={...})``); every field is checked before use and nothing of it is evaluated:

    kind = "conv2d"              # optional: the kind it is written for (must match the layer)
    from = "cs231n"              # the notation it changes (default: the kind's first)
    name = "my notes"            # what messages call it (default: the file's name, or "notes")
    index_base = 0               # the notes count indices from 0 (default: 1, as every notation of derive)
    adjoint = "d"                # dx (CS231n's d-names) or "partial" (\\frac{\\partial L}{\\partial x})
    prefix = "\\delta"          # the mark before a quantity for its adjoint, \\delta V (d, \\delta, \\Delta, \\bar)
    implicit = ["n", "c"]        # index letters of the base the notes leave out (one example, one channel): their
                                 # axes are the formula's own, and a formula without the example index is of one example
    [symbols]                    # a symbol as the base notation writes it = as the notes write it
    x = "I"
    w = "K"
    "\\mathrm{dout}" = "dO"      # a d-name (the base's dout)
    [gradients]                  # a quantity as the base writes it = the notes' letter for the loss's gradient by it
    Z = "G"                      # (Goodfellow's G for the gradient of J by Z; Nielsen's \\delta for dC/dz)
    [indices]                    # an index letter of the base = the notes' letter
    n = "b"
    [sizes]                      # a size of the base = the notes' letter
    N = "B"
    [constants]                  # a constant the notes hold fixed: judged only on inputs where it has that value
    pad = 0

Each key must be one of the base notation's own letters (the ones its document prints); the message lists them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..errors import DeriveError
from ..schema import Choice, FieldError, Integer, Latex, Text, kind_of
from .graph import KindGraph, Letters

MAX_FILE_BYTES = 16 * 1024
TABLES = ("symbols", "indices", "sizes", "constants", "gradients")
FIELDS = ("kind", "from", "name", "index_base", "adjoint", "prefix", "implicit") + TABLES
PREFIXES = ("d", "\\delta", "\\Delta")  # the marks notes write before a quantity for its adjoint (dV, \\delta V)


def _index_letter(field: str, value) -> str:
    if not isinstance(value, str) or not (len(value) == 1 and value.isascii() and value.isalpha()):
        raise FieldError(field, f"expected one index letter such as \"i\", got {value!r}")
    return value


def _table(data: dict, name: str) -> dict:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise FieldError(name, f"expected a table, got {kind_of(table)}")
    return table


def _unknown(field: str, key: str, known: list[str], base: Letters) -> FieldError:
    return FieldError(field, f"{key!r} is not one of the {base.source} notation's {field} (they are: "
                             f"{', '.join(known)})")


def notation(kind: KindGraph, data: dict, default_name: str = "notes") -> Letters:
    """The Letters a user's notation names: the base notation with the given letters replaced."""
    if not isinstance(data, dict):
        raise DeriveError(f"a layer's notation is a table of fields, not {kind_of(data)}")
    for key in data:
        if key not in FIELDS:
            raise FieldError(str(key), f"not a field of a layer notation (fields: {', '.join(FIELDS)})")
    if "kind" in data:
        Text(40).check("kind", data["kind"])
        if data["kind"] != kind.name:
            raise FieldError("kind", f"the notation is for {data['kind']}, the layer is {kind.name}")
    sources = tuple(L.source for L in kind.letters)
    base = kind.notation(Choice(sources).check("from", data["from"])) if "from" in data else kind.letters[0]
    name = Text(60).check("name", data.get("name", default_name))
    index_base = Integer(0, 1).check("index_base", data.get("index_base", base.base))
    adjoint = Choice(("d", "partial")).check("adjoint", data.get("adjoint", base.adjoint))
    prefix = Choice(PREFIXES).check("prefix", data.get("prefix", base.prefix))
    if "prefix" in data:
        adjoint = "d"

    symbols, names = dict(base.symbols), dict(base.names)
    written = {text: q for q, text in base.symbols.items()}
    named = {text: q for q, text in base.names.items()}
    for key, value in _table(data, "symbols").items():
        new = Latex(60).check(f"symbols.{key}", value)
        if key in written:
            symbols[written[key]] = new
        elif key in named:
            names[named[key]] = new
        else:
            raise _unknown("symbols", key, sorted(written) + sorted(named), base)
    for key, value in _table(data, "gradients").items():
        new = Latex(60).check(f"gradients.{key}", value)
        if key not in written or written[key] == "loss":
            raise _unknown("gradients", key, sorted(k for k, q in written.items() if q != "loss"), base)
        names[written[key]] = new
    index = dict(base.index)
    free = {letters[0]: axis for axis, letters in base.index.items()}
    shown = base.shown
    implicit = data.get("implicit", [])
    if not isinstance(implicit, list):
        raise FieldError("implicit", f"expected a list of index letters such as [\"n\"], got {kind_of(implicit)}")
    for value in implicit:
        letter = _index_letter("implicit", value)
        if letter not in free or free[letter] not in base.shown:
            raise _unknown("implicit", letter, sorted(k for k, a in free.items() if a in base.shown), base)
        shown = shown.replace(free[letter], "")
    for key, value in _table(data, "indices").items():
        letter = _index_letter(f"indices.{key}", value)
        if key not in free:
            raise _unknown("indices", key, sorted(free), base)
        index[free[key]] = (letter, letter + "'")
    sizes = dict(base.sizes)
    by_size = {text: axis for axis, text in base.sizes.items()}
    for key, value in _table(data, "sizes").items():
        new = Latex(40).check(f"sizes.{key}", value)
        if key not in by_size:
            raise _unknown("sizes", key, sorted(by_size), base)
        for axis, text in base.sizes.items():
            if text == key:
                sizes[axis] = new
    fixed = []
    constants = {c.name: c for c in kind.constants}
    for key, value in _table(data, "constants").items():
        if key not in constants:
            raise FieldError(f"constants.{key}", f"{kind.name} has no constant {key!r} (its constants: "
                                                 f"{', '.join(constants) or 'none'})")
        fixed.append((constants[key], Integer(0, 16).check(f"constants.{key}", value)))
    letters_used = [pair[0] for pair in index.values()]
    if len(set(letters_used)) != len(letters_used):
        raise FieldError("indices", "two axes would share one index letter")
    return dataclasses.replace(
        base, source=name, cite=f"{name}: the {base.source} notation with the notes' own letters ({base.cite})",
        symbols=symbols, index=index, sizes=sizes, adjoint=adjoint, names=names, base=index_base, prefix=prefix,
        fixed=tuple(fixed), shown=shown)


def notation_of(kind: KindGraph, convention) -> Letters:
    """The letters ``convention`` names for ``kind``: one of its notations by name, a notation file (.toml) or a
    dict (the notes' own letters); None: the kind's first."""
    if convention is None:
        return kind.letters[0]
    if isinstance(convention, Letters):
        return convention
    if isinstance(convention, dict):
        return notation(kind, convention)
    if isinstance(convention, str) and convention.endswith(".toml"):
        return load(kind, convention)
    if not isinstance(convention, str):
        raise DeriveError(f"a layer's convention is the name of one of its notations, a .toml file or a dict, not "
                          f"{type(convention).__name__}")
    return kind.notation(convention)


def load(kind: KindGraph, path: str | Path) -> Letters:
    """A notation from a small TOML file; a wrong field is one line naming the file and the field."""
    from ..files import read_toml
    path = Path(path)
    _, data = read_toml(path, MAX_FILE_BYTES, purpose="read as a layer notation", what="notation file ")
    try:
        return notation(kind, data, path.stem)
    except DeriveError as exc:
        raise DeriveError(f"{path}: {exc}") from None
