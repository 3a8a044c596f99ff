"""Optional PyTorch cross-check of the ground truth: the same network and objectives under torch.autograd.

Like truth.py this never imports the engine. It rebuilds the forward pass from PyTorch's own float64
functions (not from the registries' SymPy definitions), so it checks truth.py independently; ``kind_torch``
does the same for one layer on its own and ``network_torch`` for a whole architecture (truth_kinds.py), with
torch's batch_norm, layer_norm, linear, softmax, log_softmax, scaled_dot_product_attention, embedding, conv1d,
conv2d, max and average pooling in 1-D and 2-D, and activations, each step reading a clone of what it reads
(so its gradient is that step's share of a fan-out). Install with ``pip install 'derive[torch]'``; torch is
imported only when ``torch_gradients`` is called.
"""

from __future__ import annotations

import mpmath

from .activations import ACTIVATIONS
from .architectures import NetworkInput
from .errors import DeriveError
from .layer_inputs import LayerInput
from .network import ConcreteNet
from .truth import scales
from .truth_kinds import KIND_TRUTH  # only the names of what each kind reads and learns


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
        "logsoftmax": lambda: torch.log_softmax(z, dim=dim),
    }
    if name not in table:
        raise DeriveError(f"no PyTorch equivalent for activation {name!r}")
    return table[name]()


def _by_rows(x, dim: int):
    """A layer's outputs with the examples as rows and the classes as columns, as torch's losses take them."""
    return x if dim == 1 else x.T


def _loss_terms(torch, name: str, yh, y, outputs: int, dim: int = 0):
    """Each example's loss, or each component's term (summed by the caller), from torch's own loss functions where
    it has one (reduction='none'); ``dim`` is the class axis."""
    F = torch.nn.functional
    rows = lambda x: _by_rows(x, dim)  # noqa: E731
    table = {
        "mse": lambda: (yh - y) ** 2 / 2,
        "mse_mean": lambda: (yh - y) ** 2 / (2 * outputs),  # the mean over the K outputs
        "sse": lambda: (yh - y) ** 2,
        "bce": lambda: -(y * torch.log(yh) + (1 - y) * torch.log(1 - yh)),
        "cce": lambda: -y * torch.log(yh),
        "poisson": lambda: yh - y * torch.log(yh),
        "huber": lambda: F.huber_loss(yh, y, reduction="none", delta=1.0),
        # F.kl_div takes the log-probabilities ln yhat and the target distribution: y (ln y - ln yhat)
        "kl": lambda: F.kl_div(torch.log(yh), y, reduction="none"),
        # torchvision's sigmoid_focal_loss form (alpha off): BCE (1 - p_t)^2, p_t = p y + (1 - p)(1 - y)
        "focal": lambda: F.binary_cross_entropy(yh, y, reduction="none")
        * (1 - (yh * y + (1 - yh) * (1 - y))) ** 2,
        # log-probabilities and the one-hot target's class index
        "nll": lambda: F.nll_loss(rows(yh), rows(y).argmax(dim=1), reduction="none"),
        # torch's cross-entropy with its label smoothing, on the logits ln yhat: -sum_k y'_k (ln yhat_k - ln sum_j
        # yhat_j) = -sum_k y'_k ln yhat_k + ln sum_j yhat_j (sum_k y'_k = 1); less ln sum_j yhat_j (0 on a softmax
        # output, but not its gradient) it is -sum_k y'_k ln yhat_k off the simplex too, so dE/da^L compares as well
        "cce_smoothed": lambda: F.cross_entropy(rows(torch.log(yh)), rows(y).argmax(dim=1), reduction="none",
                                                label_smoothing=0.1) - torch.log(rows(yh).sum(dim=1)),
        # the binary hinge as torch's multi_margin_loss (p = 1, margin 1, a mean over the C = 2 classes) of the
        # scores (-yhat/2, yhat/2), class (y + 1)/2: 2 max(0, 1 - y yhat)
        "hinge": lambda: 2 * F.multi_margin_loss(torch.stack([-yh / 2, yh / 2], dim=-1).reshape(-1, 2),
                                                 ((y + 1) / 2).long().reshape(-1), reduction="none"),
        # CS231n's multiclass SVM as torch's multi_margin_loss (p = 1, margin = 1) of the scores, class the one-hot
        # target's index: torch divides each example's sum over j != y of max(0, 1 - s_y + s_j) by the number of
        # classes C (x.size(0)), so C times it is CS231n's L_i
        "svm": lambda: outputs * F.multi_margin_loss(rows(yh), rows(y).argmax(dim=1), p=1, margin=1.0,
                                                     reduction="none"),
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
    E = _loss_terms(torch, prob.loss.name, A, tensor(net.Y), net.widths[-1], dim).sum()  # sum_t E_t
    c_delta, c_g = (float(c) for c in scales(net))
    penalty = sum((W[:, 1:] if unit else W).pow(2).sum() for W in Ws.values())
    O_delta, O_g = c_delta * E, c_g * E + conv.l2 / 2 * c_g * penalty
    labels = net.layer_labels
    dZA = torch.autograd.grad(O_delta, [Zs[l] for l in labels] + [As[l] for l in labels], retain_graph=True)
    dWb = torch.autograd.grad(O_g, [Ws[l] for l in labels] + [bs[l] for l in bs])
    names = [("delta", l) for l in labels] + [("grad_act", l) for l in labels]
    names += [("grad_weight", l) for l in labels] + [("grad_bias", l) for l in bs]
    return {key: mpmath.matrix(g.tolist()) for key, g in zip(names, list(dZA) + list(dWb))}


# ---------------------------------------------------------------- layer kinds (truth_kinds' second opinion)
# forward(torch, given, params, unbiased) -> y: ``given`` the tensors a step reads ("x", and "skip" for add),
# ``params`` its parameters (tensors for the learned ones, floats for epsilon and p, a tensor for the mask)

def _unbiased(torch, x, eps: float, axis: int):
    """(x - mu) / sqrt(var + eps) over ``axis``, with torch's own mean and its n - 1 variance (correction=1)."""
    mu = x.mean(dim=axis, keepdim=True)
    return (x - mu) / torch.sqrt(x.var(dim=axis, correction=1, keepdim=True) + eps)


def _batchnorm(torch, given: dict, params: dict, unbiased: bool):
    x, gamma, beta, eps = given["x"], params["gamma"], params["beta"], params["epsilon"]
    if unbiased:  # F.batch_norm normalises by the 1/m variance in training mode
        return gamma * _unbiased(torch, x, eps, 0) + beta
    return torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def _layernorm(torch, given: dict, params: dict, unbiased: bool):
    x, gamma, beta, eps = given["x"], params["gamma"], params["beta"], params["epsilon"]
    if unbiased:  # F.layer_norm uses the 1/D variance
        return gamma * _unbiased(torch, x, eps, 1) + beta
    return torch.nn.functional.layer_norm(x, (x.shape[1],), gamma, beta, eps=eps)


def _dropout(torch, given: dict, params: dict, unbiased: bool):
    # F.dropout draws its own mask: inverted dropout with the given one is written out
    return given["x"] * params["mask"] / params["p"]


def _elementwise(name: str):
    return lambda torch, given, params, unbiased: _activation(torch, name, given["x"], 1)


def _attention(masked: bool):
    """torch's own scaled_dot_product_attention (scale 1/sqrt(D) by default; a boolean attn_mask: True where a
    query attends to a key, the others -inf before its softmax) of the queries x over the keys K and values V."""
    def forward(torch, given: dict, params: dict, unbiased: bool):
        q, k, v = (t.unsqueeze(0) for t in (given["x"], params["K"], params["V"]))  # a batch of one
        mask = params["mask"].unsqueeze(0) != 0 if masked else None
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask).squeeze(0)
    return forward


def _embedding(torch, given: dict, params: dict, unbiased: bool):
    """torch's own embedding lookup (its backward accumulates the rows of dy of a repeated token)."""
    return torch.nn.functional.embedding(params["tokens"], params["W"])


def _convolution(name: str):
    """torch's own conv1d or conv2d (a cross-correlation, zero padding at both ends of every axis, the same stride
    along each) of x (m by D by T, or T by T2) with W (H by D by U, or U by U2)."""
    def forward(torch, given: dict, params: dict, unbiased: bool):
        conv = getattr(torch.nn.functional, name)
        return conv(given["x"], params["W"], params["b"], stride=params["stride"], padding=params["pad"])
    return forward


def _pool(name: str):
    """torch's own max_pool1d, avg_pool1d, max_pool2d or avg_pool2d over windows of U (by U2) positions every s,
    no padding."""
    def forward(torch, given: dict, params: dict, unbiased: bool):
        pool = getattr(torch.nn.functional, name)
        window = (params["window"], params["window2"]) if name.endswith("2d") else params["window"]
        return pool(given["x"], kernel_size=window, stride=params["stride"])
    return forward


def _rnn(torch, given: dict, params: dict, unbiased: bool):
    """A vanilla recurrent layer by torch's own tanh and matmul, step by step from h0: every state, m by T by H."""
    h, states = params["h0"], []
    for t in range(given["x"].shape[1]):
        h = torch.tanh(given["x"][:, t] @ params["Wx"] + h @ params["Wh"] + params["b"])
        states.append(h)
    return torch.stack(states, dim=1)


def _lstm(torch, given: dict, params: dict, unbiased: bool):
    """An LSTM (CS231n's form) by torch's own sigmoid, tanh and matmul, step by step from h0 and a zero cell state."""
    h, c, states = params["h0"], 0, []
    H = h.shape[1]
    for t in range(given["x"].shape[1]):
        a = given["x"][:, t] @ params["Wx"] + h @ params["Wh"] + params["b"]
        i, f, o, g = (torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H]), torch.sigmoid(a[:, 2 * H:3 * H]),
                      torch.tanh(a[:, 3 * H:]))
        c = f * c + i * g
        h = o * torch.tanh(c)
        states.append(h)
    return torch.stack(states, dim=1)


def _gru(torch, given: dict, params: dict, unbiased: bool):
    """torch's own GRUCell, its weight_ih, weight_hh, bias_ih, bias_hh the layer's Wxᵀ, Whᵀ, bx, bh (r, z, n
    stacked, as torch stacks them), step by step from h0."""
    cell = torch.nn.GRUCell(params["Wx"].shape[0], params["h0"].shape[1]).double()
    weights = {"weight_ih": params["Wx"].T, "weight_hh": params["Wh"].T, "bias_ih": params["bx"],
               "bias_hh": params["bh"]}
    h, states = params["h0"], []
    for t in range(given["x"].shape[1]):
        h = torch.func.functional_call(cell, weights, (given["x"][:, t], h))
        states.append(h)
    return torch.stack(states, dim=1)


def _lstm_concat(torch, given: dict, params: dict, unbiased: bool):
    """deeplearning.ai's LSTM by torch's own cat, sigmoid, tanh and matmul (torch has no cell with a weight matrix
    per gate over [a_prev; x_t]: its nn.LSTM stacks them), the examples as columns, step by step from a0 and a zero
    cell state: every state, H by m by T."""
    x, a, c, states = given["x"], params["a0"], 0, []
    act = {"f": torch.sigmoid, "u": torch.sigmoid, "c": torch.tanh, "o": torch.sigmoid}
    for t in range(x.shape[2]):
        concat = torch.cat([a, x[:, :, t]], dim=0)
        f, u, cc, o = (act[g](params["W" + g] @ concat + params["b" + g][:, None]) for g in "fuco")
        c = f * c + u * cc
        a = o * torch.tanh(c)
        states.append(a)
    return torch.stack(states, dim=2)


KIND_FORWARD = {
    "batchnorm": _batchnorm, "layernorm": _layernorm, "dropout": _dropout,
    "dense": lambda torch, given, params, unbiased: torch.nn.functional.linear(given["x"], params["W"].T, params["b"]),
    "projection": lambda torch, given, params, unbiased: given["x"] @ params["W"],
    "softmax": lambda torch, given, params, unbiased: torch.softmax(given["x"], dim=1),
    "logsoftmax": lambda torch, given, params, unbiased: torch.log_softmax(given["x"], dim=1),
    "add": lambda torch, given, params, unbiased: given["x"] + given["skip"],
    **{name: _elementwise(name) for name, a in ACTIVATIONS.items() if a.elementwise},
    "attention": _attention(masked=False),
    "masked_attention": _attention(masked=True),
    "embedding": _embedding,
    "conv1d": _convolution("conv1d"),
    "maxpool1d": _pool("max_pool1d"),
    "avgpool1d": _pool("avg_pool1d"),
    "conv2d": _convolution("conv2d"),
    "maxpool2d": _pool("max_pool2d"),
    "avgpool2d": _pool("avg_pool2d"),
    "rnn": _rnn,
    "lstm": _lstm,
    "gru": _gru,
    "lstm_concat": _lstm_concat,
}


def _floats(values):
    return [_floats(v) for v in values] if isinstance(values, tuple | list) else float(values)


def _tensor(torch, values, grad=False):
    """A vector, a matrix (tuple of rows) or a convolution's three (four in 2-D) levels of tuples of numbers as a
    float64 tensor."""
    return torch.tensor(_floats(values), dtype=torch.float64, requires_grad=grad)


def _params(torch, kind: str, params: dict) -> tuple[dict, dict]:
    """(every parameter as KIND_FORWARD takes it, the learned ones' tensors)."""
    learned = {name: _tensor(torch, params[name], True) for name in KIND_TRUTH[kind].learned}
    given = {name: float(params[name]) for name in ("epsilon", "p") if name in params}
    if "mask" in params:
        given["mask"] = _tensor(torch, params["mask"])
    if params.get("tokens"):
        given["tokens"] = torch.tensor(params["tokens"], dtype=torch.long)
    given |= {name: params[name] for name in ("stride", "pad", "window", "window2") if name in params}
    return {**given, **learned}, learned


def _as_mpf(values):
    return tuple(_as_mpf(v) if isinstance(v, list) else mpmath.mpf(v) for v in values)


def _loss(torch, c, d, y):
    c, d = _tensor(torch, c), _tensor(torch, d)
    return (c * y + d * y * y / 2).sum()  # architectures.loss, layer_inputs.loss


def _forward_of(kind: str):
    if kind not in KIND_FORWARD:
        raise DeriveError(f"no PyTorch forward for layer kind {kind!r}; known: {', '.join(KIND_FORWARD)}")
    return KIND_FORWARD[kind]


def kind_torch(inp: LayerInput) -> dict[str, tuple]:
    """``truth_kinds.kind_truth``'s adjoints of one layer by torch float64 autograd: "dy", "dx", and the learned
    parameters' ("dgamma", "dbeta"; "dW", "db"; attention's "dK", "dV"; the embedding's "dW", and no "dx": it
    reads no x; a convolution's "dW", "db") (matrices as tuples of rows, vectors as tuples, of mpf; a
    convolution's or pooling's x, y and W a level deeper, two in 2-D).

    Raises:
        DeriveError: torch is missing, or the kind has no PyTorch forward here.
    """
    forward = _forward_of(inp.kind)
    torch = _torch()
    given = {"x": _tensor(torch, inp.x, True)} if "x" in KIND_TRUTH[inp.kind].reads else {}
    numbers = {"gamma": inp.gamma, "beta": inp.beta, "epsilon": inp.eps, "mask": inp.mask, "p": inp.keep,
               "W": inp.W, "b": inp.b, "K": inp.K, "V": inp.V, "tokens": inp.tokens, "stride": inp.stride,
               "pad": inp.pad, "window": inp.window, "window2": inp.window2, "Wx": inp.W, "Wh": inp.Wh, "h0": inp.h0,
               "bx": inp.b, "bh": inp.bh} | dict(inp.named)
    params, learned = _params(torch, inp.kind, numbers)
    y = forward(torch, given, params, inp.unbiased)
    names = ["dy"] + ["d" + name for name in given] + ["d" + name for name in learned]
    wrt = [y, *given.values(), *learned.values()]
    grads = torch.autograd.grad(_loss(torch, inp.c, inp.d, y), wrt)
    return {name: _as_mpf(g.tolist()) for name, g in zip(names, grads)}


def _dense_over_entries(torch, given: dict, params: dict, unbiased: bool):
    """torch's own flatten and linear: each example's entries (a signal's channels by positions ...) in a row, W's
    leading axes flattened the same way."""
    W = params["W"]
    return torch.nn.functional.linear(torch.flatten(given["x"], 1), W.reshape(-1, W.shape[-1]).T, params["b"])


# an architecture's kinds beyond the single layers': the dense layer over a signal or an image (flattened) and at
# every step of a sequence (torch's linear acts on the last axis), each activation over any tensor
NETWORK_FORWARD = {
    "dense1d": _dense_over_entries, "dense2d": _dense_over_entries,
    "temporal_dense": lambda torch, given, params, unbiased: torch.nn.functional.linear(given["x"], params["W"].T,
                                                                                        params["b"]),
    **{f"{name}{form}": _elementwise(name) for name, a in ACTIVATIONS.items() if a.elementwise
       for form in ("1d", "2d")},
    **{f"temporal_{name}": _elementwise(name) for name, a in ACTIVATIONS.items() if a.elementwise},
}


def network_torch(inp: NetworkInput) -> tuple[dict, ...]:
    """``truth_kinds.network_truth``'s adjoints by torch float64 autograd, per step: "dy" (the total, over every
    step that reads it), "dx" (and an add's "dskip": the share through this step, each step reading a clone of
    what it reads) and the learned parameters' ("dW", "db", "dgamma", "dbeta"; a convolution's "dW", "db", a
    recurrent layer's "dWx", "dWh", "db" (a GRU's "dbx", "dbh") and "dh0"), each in the step's own shape.

    Raises:
        DeriveError: torch is missing, or a step's kind has no PyTorch forward here.
    """
    arch = inp.architecture
    forwards = [NETWORK_FORWARD.get(step.kind) or _forward_of(step.kind) for step in arch.steps]
    torch = _torch()
    outputs = [_tensor(torch, inp.x, True)]
    wanted = []
    for step, forward, numbers in zip(arch.steps, forwards, inp.params):
        given = {name: outputs[r].clone() for name, r in zip(KIND_TRUTH[step.kind].reads, step.reads)}
        params, learned = _params(torch, step.kind, numbers)
        y = forward(torch, given, params, arch.unbiased)
        outputs.append(y)
        wanted.append({"dy": y, **{"d" + name: t for name, t in given.items()},
                       **{"d" + name: t for name, t in learned.items()}})
    for tensors in wanted:
        for t in tensors.values():
            if not t.is_leaf:
                t.retain_grad()
    _loss(torch, inp.c, inp.d, outputs[-1]).backward()
    return tuple({name: _as_mpf(t.grad.tolist()) for name, t in tensors.items()} for tensors in wanted)
