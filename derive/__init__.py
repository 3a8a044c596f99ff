"""derive: backpropagation formulas derived symbolically and checked against the forward pass.

Public API: ``derive(convention, loss, output, hidden)`` returns a Derivation (a record of formulas);
``verify(d)`` checks it against the forward pass and ``document(d)`` writes its derivation; ``check(formula, ...)``
judges a pasted formula; ``Convention`` and the
registries describe what can be derived. SymPy is imported on first use, not on ``import derive``.
"""

from .api import architecture, derive, document, layer, verify
from .check import CheckResult, check
from .conventions import PRESETS, Convention, Notation
from .errors import DeriveError

__all__ = ["derive", "layer", "architecture", "verify", "document", "check", "CheckResult", "Convention", "Notation",
           "PRESETS", "DeriveError"]
__version__ = "0.1.0"
