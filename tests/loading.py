"""Loading a script of the project that is not a package module (tests/real_notes/truth.py, benchmarks/*.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load(name: str, path: Path):
    """The module at ``path`` under ``name`` (registered in sys.modules, so dataclasses and pickling work)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
