"""Work put off until it is needed, or not done again: a module proxy that imports on first attribute access, a
parser that is analysed once and then loaded from a cache, and SymPy imported once out of the collector's way.

The registries are tables of one-line records whose lambdas call SymPy; binding ``sp`` to this proxy
keeps ``derive --help`` and ``derive list`` free of the SymPy import (about 0.5 s). ``cached_lark`` keeps the
checker's LALR tables between processes (building them took 0.2-0.4 s of every ``derive check``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType


class LazyModule:
    """Stands in for a module and imports it when an attribute is first read."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


sp = LazyModule("sympy")


def import_settled(name: str) -> None:
    """Import ``name`` with the cyclic garbage collector paused, then freeze everything alive (``gc.freeze``).

    For the command line's own process only (``derive``, ``python -m derive``), never inside a user's. Importing
    SymPy leaves about 95,000 objects the collector tracks, which live until the process exits and are never
    garbage; each full collection traverses all of them (30-60 ms), during the import and once more at shutdown:
    about 0.1 s of a cold ``derive check``, more than the check's own work. Frozen, they are left out of every
    collection; what the command then creates is collected as usual.
    """
    import gc
    enabled = gc.isenabled()
    gc.disable()
    try:
        importlib.import_module(name)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def cache_folders(beside: Path) -> list[Path]:
    """Where derive may keep what it computed once, in order: ``beside``'s ``__pycache__`` with Python's own bytecode
    (not under ``PYTHONDONTWRITEBYTECODE``), then ``$XDG_CACHE_HOME/derive`` (~/.cache/derive). Only folders the
    package's bytecode or the user's own files could be written to anyway, never the shared temporary folder: what
    is kept there is loaded as code (a pickle, marshalled bytecode)."""
    import os
    import sys
    folders = [] if sys.dont_write_bytecode else [beside / "__pycache__"]
    try:
        folders.append(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "derive")
    except RuntimeError:  # no home folder
        pass
    return folders


def writable_folder(folders: list[Path]) -> Path | None:
    """The first of ``folders`` that exists or can be made, and can be written; None if none can."""
    import os
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK | os.X_OK):
            return folder
    return None


def cached_lark(grammar: Path, folders: list[Path] | None = None, fill: dict[str, str] | None = None, **options):
    """``lark.Lark(grammar's text, **options)`` for an LALR grammar, analysed once and then loaded (15 ms, not 0.3 s);
    ``fill`` replaces each ``<<NAME>>`` in the text with its value first (a token defined in Python).

    The analysed parser (``Lark.save``, the transformer included) is kept in the first of ``folders`` that holds
    it, or written atomically (a temporary file, then a rename) into the first that can be written: by default
    the grammar's own ``__pycache__`` beside Python's bytecode (skipped under ``PYTHONDONTWRITEBYTECODE``), then
    ``$XDG_CACHE_HOME/derive`` (~/.cache/derive). The file starts with a hash of the grammar's text, the options,
    lark's and Python's versions, also in its name (with one of the grammar's path, so that installs do not
    evict each other): an edited grammar is analysed afresh (and this install's stale file removed), and a file
    that does not start with the hash or does not load is ignored and replaced. The file
    is a pickle, so it is kept only where the package's own bytecode or the user's files could be written
    anyway, never in the shared temporary folder that lark's own ``cache=True`` uses (another user could put a
    file there first). With no folder writable the parser is simply built.
    """
    import hashlib
    import os
    import sys

    import lark

    text = grammar.read_text(encoding="utf-8")
    for name, value in (fill or {}).items():  # <<NAME>> in the grammar: a definition kept in Python, once
        assert f"<<{name}>>" in text, name
        text = text.replace(f"<<{name}>>", value)
    hashed = sorted((k, repr(v)) for k, v in options.items() if k != "transformer")
    key = hashlib.sha256(repr((text, hashed, lark.__version__, sys.version)).encode()).hexdigest()
    slot = f"{grammar.name}.{hashlib.sha256(str(grammar.resolve()).encode()).hexdigest()[:8]}"  # one per install
    name = f"{slot}.{key[:24]}.lark-cache"
    if folders is None:
        folders = cache_folders(grammar.parent)
    for folder in folders:
        try:
            with open(folder / name, "rb") as f:
                if f.readline() == key.encode() + b"\n":
                    return lark.Lark.load(f)
        except Exception:  # noqa: BLE001 - missing, unreadable, cut short or from another lark: built below
            continue
    parser = lark.Lark(text, **options)
    for folder in folders:
        temporary = folder / f".{name}.{os.getpid()}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as f:
                f.write(key.encode() + b"\n")
                parser.save(f)
            os.replace(temporary, folder / name)
        except Exception:  # noqa: BLE001 - not writable (or the transformer cannot be saved): try the next
            try:
                temporary.unlink(missing_ok=True)
            except OSError:
                pass
            continue
        for stale in folder.glob(f"{slot}.*.lark-cache"):  # this install's earlier grammar
            if stale.name != name:
                try:
                    stale.unlink(missing_ok=True)
                except OSError:
                    pass
        break
    return parser
