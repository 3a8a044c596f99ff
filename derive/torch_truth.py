"""Optional PyTorch cross-check of the ground truth: the same network and objectives under torch.autograd.

Like truth.py this never imports the engine. It rebuilds the forward pass from PyTorch's own float64
functions (not from the registries' SymPy definitions), so it checks truth.py independently. Install with
``pip install 'derive[torch]'``; torch is imported only when ``torch_gradients`` is called.
"""

from __future__ import annotations

import mpmath

from .errors import DeriveError
from .network import ConcreteNet
from .truth import scales


def _torch():
    try:
        import torch
    except ModuleNotFoundError:
        raise DeriveError("PyTorch is not installed: pip install 'derive[torch]' (or torch==2.13.0)") from None
    return torch


def _activation(torch, name: str, z, dim: int):
    F = torch.nn.functional
    table = {
        "identity": lambda: z,
        "sigmoid": lambda: torch.sigmoid(z),
        "tanh": lambda: torch.tanh(z),
        "relu": lambda: torch.relu(z),
        "leaky_relu": lambda: F.leaky_relu(z, 0.01),
        "softplus": lambda: torch.log1p(torch.exp(z)),  # F.softplus switches to z above 20
        "elu": lambda: F.elu(z),
        "silu": lambda: F.silu(z),
        "gelu": lambda: F.gelu(z),  # exact erf form
        "exp": lambda: torch.exp(z),
        "softmax": lambda: torch.softmax(z, dim=dim),
    }
    if name not in table:
        raise DeriveError(f"no PyTorch equivalent for activation {name!r}")
    return table[name]()


def _loss_terms(torch, name: str, yh, y, outputs: int):
    table = {
        "mse": lambda: (yh - y) ** 2 / 2,
        "mse_mean": lambda: (yh - y) ** 2 / (2 * outputs),  # the mean over the K outputs
        "sse": lambda: (yh - y) ** 2,
        "bce": lambda: -(y * torch.log(yh) + (1 - y) * torch.log(1 - yh)),
        "cce": lambda: -y * torch.log(yh),
        "poisson": lambda: yh - y * torch.log(yh),
    }
    if name not in table:
        raise DeriveError(f"no PyTorch equivalent for loss {name!r}")
    return table[name]()


def torch_gradients(net: ConcreteNet) -> dict[tuple[str, int], mpmath.matrix]:
    """The ``ground_truth`` dictionary computed with torch float64 and torch.autograd.

    Raises:
        DeriveError: torch is missing, or an activation or loss has no PyTorch equivalent here.
    """
    torch = _torch()
    conv, prob = net.conv, net.problem
    row, unit = conv.layout == "row_batch", conv.bias == "unit"
    dim = 1 if row else 0  # the class axis: rows of a column, columns of a row-major batch

    def tensor(M, grad=False):
        return torch.tensor(M.tolist(), dtype=torch.float64, requires_grad=grad)

    Ws = {l: tensor(net.weight(l), True) for l in net.layer_labels}
    bs = {l: tensor(net.bias(l), True) for l in net.layer_labels if net.bias(l) is not None}
    A = tensor(net.X)
    Zs, As = {}, {}
    for l in net.layer_labels:
        W, b = Ws[l], bs.get(l)
        if unit:  # z = Theta [1; a]: a bias unit prepended to a
            Z = W @ torch.cat([torch.ones(1, net.m, dtype=torch.float64), A], dim=0)
        else:
            Z = A @ W if row else W @ A  # row_batch: Z = A W + 1 b; columns: Z = W A + b 1^T
        if b is not None:
            Z = Z + b
        rec = prob.output if l == net.output_label else prob.hidden
        A = _activation(torch, rec.name, Z, dim)
        Zs[l], As[l] = Z, A
    E = _loss_terms(torch, prob.loss.name, A, tensor(net.Y), net.widths[-1]).sum()  # sum_t E_t
    c_delta, c_g = (float(c) for c in scales(net))
    penalty = sum((W[:, 1:] if unit else W).pow(2).sum() for W in Ws.values())
    O_delta, O_g = c_delta * E, c_g * E + conv.l2 / 2 * c_g * penalty
    labels = net.layer_labels
    dZA = torch.autograd.grad(O_delta, [Zs[l] for l in labels] + [As[l] for l in labels], retain_graph=True)
    dWb = torch.autograd.grad(O_g, [Ws[l] for l in labels] + [bs[l] for l in bs])
    names = [("delta", l) for l in labels] + [("grad_act", l) for l in labels]
    names += [("grad_weight", l) for l in labels] + [("grad_bias", l) for l in bs]
    return {key: mpmath.matrix(g.tolist()) for key, g in zip(names, list(dZA) + list(dWb))}
