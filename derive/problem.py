"""The Problem record: a convention plus the loss, the output activation and the hidden activation.

Everything downstream (forward pass, chain rule, ground truth, documents) takes a Problem. Making one
validates the combination once, from the registries' data: the loss must accept the output activation's
range, and a vector-valued activation (softmax) is allowed at the output only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .activations import VALUES, Activation, VectorActivation, activation
from .conventions import Convention, convention
from .errors import DeriveError
from .losses import Loss, Reduction, VectorLoss, accepts, loss, reduction


@dataclass(frozen=True)
class Problem:
    """What is being differentiated: a network written in ``convention`` trained with ``loss``."""

    convention: Convention
    loss: Loss | VectorLoss
    output: Activation | VectorActivation
    hidden: Activation
    # every layer is one neuron (notes that say so): networks of width 1, where every quantity is a number and every
    # derivative a number; never set otherwise, since width 1 hides transposes and index mistakes
    single_neurons: bool = False

    @property
    def reduction(self) -> Reduction:
        return reduction(self.convention.reduction)

    @classmethod
    def make(cls, convention: str | Convention = "nielsen", loss: str = "mse", output: str = "sigmoid",
             hidden: str = "sigmoid", single_neurons: bool = False) -> Problem:
        """Look the names up and check the combination; raises DeriveError with one line if impossible."""
        conv = convention if isinstance(convention, Convention) else _convention(convention)
        loss_rec, out_rec, hid_rec = _loss(loss), activation(output), activation(hidden)
        if not isinstance(hid_rec, Activation):
            raise DeriveError(f"{hid_rec.name} is vector-valued and supported as the output activation only "
                              f"(--activation), not in hidden layers (--hidden)")
        if single_neurons and not out_rec.elementwise:
            raise DeriveError(f"{out_rec.name} of a single neuron is a constant: a chain of single neurons needs an "
                              "elementwise output activation")
        if not accepts(loss_rec, out_rec.range):
            needs = ", ".join(sorted(loss_rec.accepts or VALUES))
            raise DeriveError(f"loss {loss_rec.name} is not defined for {out_rec.name} outputs "
                              f"(range {out_rec.range}); it needs outputs in {needs}")
        return cls(conv, loss_rec, out_rec, hid_rec, single_neurons)

    def label(self) -> str:
        return f"{self.convention.name}: {self.loss.name} + {self.output.name}, hidden {self.hidden.name}"


_convention, _loss = convention, loss
