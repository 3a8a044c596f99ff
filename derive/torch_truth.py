"""Optional PyTorch cross-check of the ground truth: the same network and objectives under torch.autograd.

Like truth.py this never imports the engine. It rebuilds the forward pass from PyTorch's own float64
functions (not from the registries' SymPy definitions), so it checks truth.py independently; ``kind_torch``
does the same for one layer on its own (truth_kinds.py), with torch's batch_norm and layer_norm. Install with
``pip install 'derive[torch]'``; torch is imported only when ``torch_gradients`` is called.
"""

from __future__ import annotations

import mpmath

from .errors import DeriveError
from .layer_inputs import LayerInput
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


# ---------------------------------------------------------------- one layer on its own (truth_kinds' second opinion)

def _unbiased(torch, x, inp: LayerInput, axis: int):
    """(x - mu) / sqrt(var + eps) over ``axis``, with torch's own mean and its n - 1 variance (correction=1)."""
    mu = x.mean(dim=axis, keepdim=True)
    return (x - mu) / torch.sqrt(x.var(dim=axis, correction=1, keepdim=True) + float(inp.eps))


def _batchnorm(torch, x, gamma, beta, inp: LayerInput):
    if inp.unbiased:  # F.batch_norm normalises by the 1/m variance in training mode
        return gamma * _unbiased(torch, x, inp, 0) + beta
    return torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=float(inp.eps))


def _layernorm(torch, x, gamma, beta, inp: LayerInput):
    if inp.unbiased:  # F.layer_norm uses the 1/D variance
        return gamma * _unbiased(torch, x, inp, 1) + beta
    return torch.nn.functional.layer_norm(x, (inp.D,), gamma, beta, eps=float(inp.eps))


def _dropout(torch, x, gamma, beta, inp: LayerInput):
    # F.dropout draws its own mask: inverted dropout with the given one is written out
    return x * torch.tensor(inp.mask, dtype=torch.float64) / float(inp.keep)


KIND_FORWARD = {"batchnorm": _batchnorm, "layernorm": _layernorm, "dropout": _dropout}


def kind_torch(inp: LayerInput) -> dict[str, tuple]:
    """``truth_kinds.kind_truth``'s adjoints of one layer by torch float64 autograd: "dy", "dx", and for the
    normalisations "dgamma", "dbeta" (matrices as tuples of rows, vectors as tuples, of mpf).

    Raises:
        DeriveError: torch is missing, or the kind has no PyTorch forward here.
    """
    if inp.kind not in KIND_FORWARD:
        raise DeriveError(f"no PyTorch forward for layer kind {inp.kind!r}; known: {', '.join(KIND_FORWARD)}")
    torch = _torch()

    def tensor(values, grad=False):
        return torch.tensor([[float(v) for v in row] for row in values] if isinstance(values[0], tuple)
                            else [float(v) for v in values], dtype=torch.float64, requires_grad=grad)

    x, gamma, beta = tensor(inp.x, True), tensor(inp.gamma, True), tensor(inp.beta, True)
    y = KIND_FORWARD[inp.kind](torch, x, gamma, beta, inp)
    c, d = tensor(inp.c), tensor(inp.d)
    ell = (c * y + d * y * y / 2).sum()  # layer_inputs.loss
    names, wrt = ["dy", "dx"], [y, x]
    if inp.kind != "dropout":
        names, wrt = names + ["dgamma", "dbeta"], wrt + [gamma, beta]
    grads = torch.autograd.grad(ell, wrt)

    def as_mpf(values):
        return tuple(as_mpf(v) if isinstance(v, list) else mpmath.mpf(v) for v in values)
    return {name: as_mpf(g.tolist()) for name, g in zip(names, grads)}
