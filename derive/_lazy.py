"""A module proxy that imports on first attribute access.

The registries are tables of one-line records whose lambdas call SymPy; binding ``sp`` to this proxy
keeps ``derive --help`` and ``derive list`` free of the SymPy import (about 0.5 s).
"""

from __future__ import annotations

import importlib
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
