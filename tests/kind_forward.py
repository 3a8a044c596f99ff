"""Each layer kind's forward pass written again in plain mpmath (no tape, no registry), for the truth tests.

``FORWARD[kind](q, unbiased)`` gives a step's output y from ``q``: what it reads ("x", and "skip" for add), its
parameters by name (W, b, gamma, beta, epsilon, mask, p, K, V, an embedding's tokens, a convolution's stride
and pad, a pooling's window and window2), and any of its intermediates (mu, var, xhat, e, s; attention's S, e,
s, P) or y itself given as a cut node: a quantity found in ``q`` is used as is, the others are computed from
what they read. A central difference of the loss with one such entry moved is the derivative by that node cut
into a leaf, the meaning truth_kinds' adjoints have. The activations are written from their textbook
definitions (tests check the list is the registry's), not read from derive.activations; the embedding's lookup
as the one-hot sum over the words, not an index; the convolutions (1-D and 2-D) over a zero-padded copy of x,
where truth_kinds leaves a padded term out, and the 2-D kinds as plain loops over rows and columns, where
truth_kinds nests one rule for any number of axes.
"""

from __future__ import annotations

import mpmath

ACTIVATION = {
    "identity": lambda v: v,
    "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)),
    "tanh": mpmath.tanh,
    "relu": lambda v: v if v > 0 else 0 * v,
    "leaky_relu": lambda v: v if v > 0 else v / 100,
    "softplus": lambda v: mpmath.log(1 + mpmath.exp(v)),
    "elu": lambda v: v if v > 0 else mpmath.exp(v) - 1,
    "silu": lambda v: v / (1 + mpmath.exp(-v)),
    "gelu": lambda v: v * (1 + mpmath.erf(v / mpmath.sqrt(2))) / 2,
    "exp": mpmath.exp,
}


def _given(q: dict, name: str, compute):
    return q[name] if name in q else compute()


def _shape(x):
    return range(len(x)), range(len(x[0]))


def _normalisation(axis: int):
    """Statistics over the examples (axis 0, batch norm: one per column) or the features (1, layer norm: rows)."""
    def forward(q: dict, unbiased: bool):
        def xhat():
            x = q["x"]
            rows, cols = _shape(x)
            groups = [[(r, k) for r in rows] for k in cols] if axis == 0 else [[(r, k) for k in cols] for r in rows]
            n = len(groups[0])
            mu = _given(q, "mu", lambda: [mpmath.fsum(x[r][k] for r, k in g) / n for g in groups])
            var = _given(q, "var", lambda: [mpmath.fsum((x[r][k] - mu[i]) ** 2 for r, k in g) /
                                            (n - 1 if unbiased else n) for i, g in enumerate(groups)])
            out = [[mpmath.mpf(0)] * len(cols) for _ in rows]
            for i, g in enumerate(groups):
                for r, k in g:
                    out[r][k] = (x[r][k] - mu[i]) / mpmath.sqrt(var[i] + q["epsilon"])
            return out
        xh = _given(q, "xhat", xhat)
        rows, cols = _shape(xh)
        return _given(q, "y", lambda: [[q["gamma"][k] * xh[r][k] + q["beta"][k] for k in cols] for r in rows])
    return forward


def _affine(q: dict, unbiased: bool):
    x, W = q["x"], q["W"]
    b = q.get("b") or [0] * len(W[0])
    return _given(q, "y", lambda: [[mpmath.fdot((xr[k], W[k][j]) for k in range(len(W))) + b[j]
                                    for j in range(len(W[0]))] for xr in x])


def _softmaxes(log: bool):
    def forward(q: dict, unbiased: bool):
        def y():
            e = _given(q, "e", lambda: [[mpmath.exp(v) for v in row] for row in q["x"]])
            s = _given(q, "s", lambda: [mpmath.fsum(row) for row in e])
            if log:
                return [[v - mpmath.log(s[n]) for v in row] for n, row in enumerate(q["x"])]
            return [[v / s[n] for v in row] for n, row in enumerate(e)]
        return _given(q, "y", y)
    return forward


def _attention(masked: bool):
    """softmax(x Kᵀ / √D) V over the keys, row by row: the softmax's numerators e zeroed where the mask is 0."""
    def forward(q: dict, unbiased: bool):
        def y():
            x, K, V = q["x"], q["K"], q["V"]
            D = len(x[0])
            S = _given(q, "S", lambda: [[mpmath.fdot(xr, kr) / mpmath.sqrt(D) for kr in K]
                                        for xr in x])
            e = _given(q, "e", lambda: [[(q["mask"][n][j] if masked else 1) * mpmath.exp(v) for j, v in enumerate(row)]
                                        for n, row in enumerate(S)])
            s = _given(q, "s", lambda: [mpmath.fsum(row) for row in e])
            P = _given(q, "P", lambda: [[v / s[n] for v in row] for n, row in enumerate(e)])
            return [[mpmath.fdot((P[n][j], V[j][k]) for j in range(len(V))) for k in range(len(V[0]))]
                    for n in range(len(P))]
        return _given(q, "y", y)
    return forward


def _embedding(q: dict, unbiased: bool):
    """The lookup written as the one-hot product: y_nk = sum_j [tokens_n = j] W_jk over the H words."""
    W, tokens = q["W"], q["tokens"]
    return _given(q, "y", lambda: [[mpmath.fsum((1 if t == j else 0) * W[j][k] for j in range(len(W)))
                                    for k in range(len(W[0]))] for t in tokens])


def _conv1d(q: dict, unbiased: bool):
    """Each input channel padded with ``pad`` zeros at both ends, then each kernel slid over it ``stride`` at a
    time: y_nfo = b_f + sum_c sum_u W_fcu xpad_nc(stride o + u), as PyTorch's conv1d (no kernel flip)."""
    def y():
        x, W, b, stride, pad = q["x"], q["W"], q["b"], q["stride"], q["pad"]
        zeros = [mpmath.mpf(0)] * pad
        xpad = [[zeros + list(channel) + zeros for channel in example] for example in x]
        U, width = len(W[0][0]), len(xpad[0][0])
        starts = range(0, width - U + 1, stride)
        return [[[b[f] + mpmath.fdot((kernel[c][u], example[c][start + u]) for c in range(len(kernel))
                                     for u in range(U)) for start in starts]
                 for f, kernel in enumerate(W)] for example in xpad]
    return _given(q, "y", y)


def _pooling(largest: bool):
    """Each channel cut into windows of ``window`` positions every ``stride`` (no padding): y the largest entry of
    a window, or its mean, as PyTorch's max_pool1d and avg_pool1d."""
    def forward(q: dict, unbiased: bool):
        def y():
            x, stride, U = q["x"], q["stride"], q["window"]
            starts = range(0, len(x[0][0]) - U + 1, stride)
            pool = max if largest else (lambda w: mpmath.fsum(w) / len(w))
            return [[[pool(list(channel[start:start + U])) for start in starts] for channel in example]
                    for example in x]
        return _given(q, "y", y)
    return forward


def _conv2d(q: dict, unbiased: bool):
    """Each input channel padded with a border of ``pad`` zeros (rows above and below, columns left and right),
    then each kernel slid over it ``stride`` at a time along both axes, as PyTorch's conv2d and CS231n's
    conv_forward_naive: y[n][f][i][j] = b[f] + sum_c sum_u sum_v W[f][c][u][v] xpad[n][c][stride i + u][stride j
    + v] (no kernel flip)."""
    def y():
        x, W, b, stride, pad = q["x"], q["W"], q["b"], q["stride"], q["pad"]

        def padded(channel):
            width = len(channel[0]) + 2 * pad
            border = [[mpmath.mpf(0)] * width for _ in range(pad)]
            side = [mpmath.mpf(0)] * pad
            return border + [side + list(row) + side for row in channel] + border
        xpad = [[padded(channel) for channel in example] for example in x]
        U, U2 = len(W[0][0]), len(W[0][0][0])
        rows, cols = len(xpad[0][0]), len(xpad[0][0][0])
        out = []
        for example in xpad:
            maps = []
            for f, kernel in enumerate(W):
                plane = []
                for i in range(0, rows - U + 1, stride):
                    line = []
                    for j in range(0, cols - U2 + 1, stride):
                        terms = [(kernel[c][u][v], example[c][i + u][j + v])
                                 for c in range(len(kernel)) for u in range(U) for v in range(U2)]
                        line.append(b[f] + mpmath.fdot(terms))
                    plane.append(line)
                maps.append(plane)
            out.append(maps)
        return out
    return _given(q, "y", y)


def _pooling2d(largest: bool):
    """Each channel cut into windows of ``window`` rows by ``window2`` columns every ``stride`` along both axes
    (no padding): y the largest entry of a window, or its mean, as PyTorch's max_pool2d and avg_pool2d."""
    def forward(q: dict, unbiased: bool):
        def y():
            x, stride, U, U2 = q["x"], q["stride"], q["window"], q["window2"]
            rows, cols = len(x[0][0]), len(x[0][0][0])
            pool = max if largest else (lambda w: mpmath.fsum(w) / len(w))

            def window(channel, i, j):
                return [channel[i + u][j + v] for u in range(U) for v in range(U2)]
            return [[[[pool(window(channel, i, j)) for j in range(0, cols - U2 + 1, stride)]
                      for i in range(0, rows - U + 1, stride)] for channel in example] for example in x]
        return _given(q, "y", y)
    return forward


def _rnn(q: dict, unbiased: bool):
    """a_t = x_t Wx + h_(t-1) Wh + b, h_t = tanh(a_t) from h0, in plain loops; every state is the output. A cut
    node of a recursion is moved where it is computed, the steps after it recomputed: ``q["bump"]`` = (name, index,
    step) adds step to that entry of a or h as the forward reaches it."""
    def y():
        x, Wx, Wh, b, h0 = q["x"], q["Wx"], q["Wh"], q["b"], q["h0"]
        name, where, step = q.get("bump", ("", (), 0))
        H, D = len(b), len(Wx)
        out = []
        for n, example in enumerate(x):
            before, states = list(h0[n]), []
            for t, inputs in enumerate(example):
                a = [b[j] + mpmath.fdot((inputs[k], Wx[k][j]) for k in range(D))
                     + mpmath.fdot((before[i], Wh[i][j]) for i in range(H)) for j in range(H)]
                a = [v + (step if name == "a" and where == (n, t, j) else 0) for j, v in enumerate(a)]
                before = [mpmath.tanh(v) + (step if name == "h" and where == (n, t, j) else 0)
                          for j, v in enumerate(a)]
                states.append(before)
            out.append(states)
        return out
    return _given(q, "y", y)


def _lstm(q: dict, unbiased: bool):
    """CS231n's LSTM in plain loops: a = x Wx + h Wh + b (4H), i, f, o = sigmoid, g = tanh of its quarters,
    c = f c_prev + i g from c = 0, h = o tanh(c), from h0; ``q["bump"]`` moves a cut node (a, ig, fg, og, gg, c, h)
    where it is computed, as ``_rnn``'s."""
    def y():
        x, Wx, Wh, b, h0 = q["x"], q["Wx"], q["Wh"], q["b"], q["h0"]
        name, where, step = q.get("bump", ("", (), 0))
        G, H, D = len(b), len(h0[0]), len(Wx)
        out = []

        def bump(kind, n, t, values):
            return [v + (step if name == kind and where == (n, t, j) else 0) for j, v in enumerate(values)]
        for n, example in enumerate(x):
            before, cell, states = list(h0[n]), [mpmath.mpf(0)] * H, []
            for t, inputs in enumerate(example):
                a = bump("a", n, t, [b[r] + mpmath.fdot((inputs[k], Wx[k][r]) for k in range(D))
                                     + mpmath.fdot((before[i], Wh[i][r]) for i in range(H)) for r in range(G)])
                sig = [1 / (1 + mpmath.exp(-v)) for v in a]
                ig, fg = bump("ig", n, t, sig[:H]), bump("fg", n, t, sig[H:2 * H])
                og = bump("og", n, t, sig[2 * H:3 * H])
                gg = bump("gg", n, t, [mpmath.tanh(v) for v in a[3 * H:]])
                cell = bump("c", n, t, [fg[j] * cell[j] + ig[j] * gg[j] for j in range(H)])
                before = bump("h", n, t, [og[j] * mpmath.tanh(cell[j]) for j in range(H)])
                states.append(before)
            out.append(states)
        return out
    return _given(q, "y", y)


def _gru(q: dict, unbiased: bool):
    """torch.nn.GRU's step in plain loops: ax = x Wx + bx, ah = h Wh + bh (3H), r, z = sigmoid(ax + ah) of the first
    two thirds, n = tanh(ax + r ah) of the last, h = (1 - z) n + z h_prev from h0; ``q["bump"]`` moves a cut node
    (ax, ah, rg, zg, ng, h) where it is computed."""
    def y():
        x, Wx, Wh, bx, bh, h0 = q["x"], q["Wx"], q["Wh"], q["bx"], q["bh"], q["h0"]
        name, where, step = q.get("bump", ("", (), 0))
        G, H, D = len(bx), len(h0[0]), len(Wx)
        out = []

        def bump(kind, n, t, values):
            return [v + (step if name == kind and where == (n, t, j) else 0) for j, v in enumerate(values)]
        for n, example in enumerate(x):
            before, states = list(h0[n]), []
            for t, inputs in enumerate(example):
                ax = bump("ax", n, t, [bx[r] + mpmath.fdot((inputs[k], Wx[k][r]) for k in range(D)) for r in range(G)])
                ah = bump("ah", n, t, [bh[r] + mpmath.fdot((before[i], Wh[i][r]) for i in range(H)) for r in range(G)])
                rg = bump("rg", n, t, [1 / (1 + mpmath.exp(-(ax[j] + ah[j]))) for j in range(H)])
                zg = bump("zg", n, t, [1 / (1 + mpmath.exp(-(ax[H + j] + ah[H + j]))) for j in range(H)])
                ng = bump("ng", n, t, [mpmath.tanh(ax[2 * H + j] + rg[j] * ah[2 * H + j]) for j in range(H)])
                before = bump("h", n, t, [(1 - zg[j]) * ng[j] + zg[j] * before[j] for j in range(H)])
                states.append(before)
            out.append(states)
        return out
    return _given(q, "y", y)


def _elementwise(f):
    return lambda q, unbiased: _given(q, "y", lambda: [[f(v) for v in row] for row in q["x"]])


FORWARD = {
    "batchnorm": _normalisation(0),
    "layernorm": _normalisation(1),
    "dropout": lambda q, unbiased: _given(q, "y", lambda: [[v * keep / q["p"] for v, keep in zip(row, mask)]
                                                            for row, mask in zip(q["x"], q["mask"])]),
    "dense": _affine,
    "projection": _affine,
    "softmax": _softmaxes(log=False),
    "logsoftmax": _softmaxes(log=True),
    "add": lambda q, unbiased: _given(q, "y", lambda: [[a + b for a, b in zip(ra, rb)]
                                                        for ra, rb in zip(q["x"], q["skip"])]),
    **{name: _elementwise(f) for name, f in ACTIVATION.items()},
    "attention": _attention(masked=False),
    "masked_attention": _attention(masked=True),
    "embedding": _embedding,
    "conv1d": _conv1d,
    "maxpool1d": _pooling(largest=True),
    "avgpool1d": _pooling(largest=False),
    "conv2d": _conv2d,
    "maxpool2d": _pooling2d(largest=True),
    "avgpool2d": _pooling2d(largest=False),
    "rnn": _rnn,
    "lstm": _lstm,
    "gru": _gru,
}
READS = {"add": ("x", "skip")}  # every other kind reads one step, its "x"


def loss(c, d, y):
    """Σ (c y + ½ d y²) over every entry of y."""
    return mpmath.fsum(c[n][k] * y[n][k] + d[n][k] * y[n][k] ** 2 / 2 for n, k in
                       ((n, k) for n in range(len(y)) for k in range(len(y[0]))))


# ---------------------------------------------------------------- central differences, entry by entry

FD_DPS, STEP = 80, mpmath.mpf("1e-25")  # truncation ~ STEP^2 = 1e-50, rounding ~ 10^-80 / STEP = 1e-55


def _lists(values):
    return [_lists(v) for v in values] if isinstance(values, tuple | list) else values


def moved(values, index, step):
    """``values`` (a vector, a matrix or a convolution's three or four levels of tuples) as lists, with the entry at
    ``index`` (an int for a vector, a tuple of ints otherwise) moved by ``step``."""
    out = _lists(values)
    *path, last = index if isinstance(index, tuple) else (index,)
    inner = out
    for i in path:
        inner = inner[i]
    inner[last] += step
    return out


def indices(values):
    """Every entry's index: ints for a vector, tuples (r, k) for a matrix, (n, c, t) a level deeper."""
    if not isinstance(values[0], tuple | list):
        return list(range(len(values)))
    return [(r, *(i if isinstance(i, tuple) else (i,))) for r, row in enumerate(values) for i in indices(row)]


def at(values, index):
    for i in index if isinstance(index, tuple) else (index,):
        values = values[i]
    return values


def central(f, values, index):
    """d f / d values[index] by a central difference at FD_DPS digits."""
    with mpmath.workdps(FD_DPS):
        return (f(moved(values, index, STEP)) - f(moved(values, index, -STEP))) / (2 * STEP)


def worst(got: dict, want: dict) -> mpmath.mpf:
    """The largest |got - want| over every entry of every name in ``want``, relative to max(1, |want|)."""
    return max((abs(at(got[name], i) - value) / max(1, abs(value))
                for name, entries in want.items() for i, value in entries.items()), default=mpmath.mpf(0))
