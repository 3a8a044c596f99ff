"""Writing files atomically: a temporary file in the same folder, then a rename, so no file is half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import DeriveError


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    path = Path(path)
    if not path.parent.exists():
        raise DeriveError(f"cannot write {path}: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DeriveError(f"cannot write {path}: {exc.strerror}") from None
