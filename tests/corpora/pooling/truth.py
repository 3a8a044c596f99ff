"""Numeric truth of every claim in claims.toml, decided outside derive.

Each claim's formula is written again below as a Python function of the layer's arrays (transcribed by hand
from the source: that transcription is the independent reading). The true value of the gradient it claims is
the central finite difference of the forward pass its own source defines:

    max      y[n, c, i, j] = max of x[n, c, i*s_h : i*s_h + p_h, j*s_w : j*s_w + p_w]
    average  the mean of the same window

with as many windows as fit (floor((H - p_h) / s_h) + 1 rows of them), no padding, fed to the loss
l = sum(c * y + d * y^2 / 2), so the upstream gradient dl/dy = c + d * y differs entry by entry. Arrays are
kept here in one layout, x (N, C, H, W); a transcription converts to its source's layout (channels last,
one image of H x W x C, a flat buffer) and back. Draws: windows 2 x 2 every 2 (no overlap), 2 x 2 every 1,
3 x 3 every 2 and 3 x 3 every 1 or 2 x 3 every 1 (overlapping windows), sizes where the windows tile the
input and sizes that leave a remainder unless the source requires a tiling, and the whole map for a global
pooling; two seeds each. The inputs of max pooling have no ties: every entry of a draw is distinct, at
least 0.07 from every other, so no step of the differences moves a maximum. Two claims are numbers a source
worked out for its own input and upstream gradient; they are judged on exactly those.
A claim holds when it agrees with the finite differences on every draw.
Run: python tests/corpora/pooling/truth.py. It prints a table and exits 1 when a verdict differs from the
manifest's `truth`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import tomllib

HERE = Path(__file__).resolve().parent
SEEDS = (0, 1)
H = 1e-5      # finite-difference step (pooling is piecewise linear and the loss quadratic: the differences
TOL = 1e-6    # are exact up to rounding while no maximum moves); relative to 1 + max |truth|

# window (p_h, p_w), stride (s_h, s_w), and the input sizes (H, W) drawn for it: a tiling one, then one
# with a remainder (None where every size tiles)
CONFIGS = {
    "2x2/2": ((2, 2), (2, 2), (6, 4), (7, 5)),
    "2x2/1": ((2, 2), (1, 1), (5, 4), None),
    "3x3/2": ((3, 3), (2, 2), (7, 5), (8, 6)),
    "3x3/1": ((3, 3), (1, 1), (5, 6), None),
    "2x3/1": ((2, 3), (1, 1), (4, 5), None),
    "global": (None, None, (3, 4), None),
}
# worked examples a source gives: (input, upstream gradient, window, stride), one dimension
EXAMPLES = {
    "se-a": ([3, 0, 1, 2, 0], [0.7, 0.9], 3, 2),
    "se-b": ([3, 0, 4, 2, 0], [0.7, 0.9], 3, 2),
    "oc": ([5, 3, 1, 2, 5], [1, 1, 1, 1], 2, 1),
}


# ----------------------------------------------------------------------------- the forward definition

def pool(xs, window, stride, mode):
    """Max or average pooling of a stack xs (..., H, W) over windows p_h x p_w every s_h, s_w."""
    (ph, pw), (sh, sw) = window, stride
    Hh, Ww = xs.shape[-2:]
    OH, OW = (Hh - ph) // sh + 1, (Ww - pw) // sw + 1
    y = np.zeros(xs.shape[:-2] + (OH, OW))
    reduce = np.max if mode == "max" else np.mean
    for i in range(OH):
        for j in range(OW):
            y[..., i, j] = reduce(xs[..., i * sh:i * sh + ph, j * sw:j * sw + pw], axis=(-2, -1))
    return y


def _loss(p, y):
    return np.sum(p.c * y + 0.5 * p.d * y * y, axis=tuple(range(y.ndim - 4, y.ndim)))


def _fd(losses_of, a):
    """Central finite differences of a scalar function at the array a; losses_of maps a stack (M, *a.shape)
    of perturbed copies to their M losses (one evaluation for all entries)."""
    n = a.size
    eye = np.eye(n).reshape((n,) + a.shape) * H
    up, down = losses_of(a[None] + eye), losses_of(a[None] - eye)
    return ((up - down) / (2 * H)).reshape(a.shape)


def _distinct(rng, shape):
    """Entries all distinct and at least 0.07 apart: a shuffled grid with jitter, centred."""
    n = int(np.prod(shape))
    x = (rng.permutation(n) + rng.uniform(0.0, 0.3, n)) * 0.1
    return (x - x.mean()).reshape(shape)


def _draw(spec, config, size, seed):
    N, C = (2, 3) if spec["batch"] else (1, 3)
    rng = np.random.default_rng([seed, *size, len(config), 1 if spec["mode"] == "max" else 2])
    window, stride = CONFIGS[config][:2]
    if config == "global":
        window, stride = size, (1, 1)
    p = SimpleNamespace(N=N, C=C, H=size[0], W=size[1], window=window, stride=stride, mode=spec["mode"])
    p.x = _distinct(rng, (N, C) + size)
    OH, OW = (size[0] - window[0]) // stride[0] + 1, (size[1] - window[1]) // stride[1] + 1
    p.c = rng.uniform(-1, 1, (N, C, OH, OW))
    p.d = rng.uniform(0.2, 1, (N, C, OH, OW))
    return p


def _example(name, mode):
    a, g, k, s = EXAMPLES[name]
    p = SimpleNamespace(N=1, C=1, H=1, W=len(a), window=(1, k), stride=(1, s), mode=mode)
    p.x = np.array(a, dtype=float).reshape(1, 1, 1, -1)
    p.c = np.array(g, dtype=float).reshape(1, 1, 1, -1)     # J = sum(g * m): the source's upstream gradient
    p.d = np.zeros_like(p.c)
    return p


_CACHE: dict = {}


def _env(spec, config, size, seed):
    key = (spec["mode"], spec["batch"], spec.get("example"), config, size, seed)
    if key not in _CACHE:
        p = _example(spec["example"], spec["mode"]) if spec.get("example") else _draw(spec, config, size, seed)
        t = _fd(lambda xs: _loss(p, pool(xs, p.window, p.stride, p.mode)), p.x)
        e = SimpleNamespace(**vars(p))
        e.y = pool(p.x, p.window, p.stride, p.mode)
        e.dy = p.c + p.d * e.y               # dl/dy: the layer's upstream gradient
        (e.ph, e.pw), (e.sh, e.sw) = p.window, p.stride
        _CACHE[key] = (e, t)
    return _CACHE[key]


def nhwc(a):
    """(N, C, H, W) -> (N, H, W, C): the channels-last layout."""
    return np.moveaxis(a, 1, -1)


def from_nhwc(a):
    return np.moveaxis(a, -1, 1)


# ----------------------------------------------------------------------------- the claims, transcribed
# CS231n max_pool_backward_naive (x (N, C, H, W), pool_param: pool_height, pool_width, stride).

def _clarence(e, accumulate=False):
    """Clarence-G/learngit cs231n/assignment2/max-pool.py (Python 2: xrange and / on integers)."""
    x, dout = e.x, e.dy
    HH, WW = e.ph, e.pw
    s = e.sh
    N, C, Hh, W = x.shape
    H_new = 1 + (Hh - HH) // s
    W_new = 1 + (W - WW) // s
    dx = np.zeros_like(x)
    for i in range(N):
        for j in range(C):
            for k in range(H_new):
                for l in range(W_new):
                    window = x[i, j, k * s:HH + k * s, l * s:WW + l * s]
                    m = np.max(window)
                    if accumulate:
                        dx[i, j, k * s:HH + k * s, l * s:WW + l * s] += (window == m) * dout[i, j, k, l]
                    else:
                        dx[i, j, k * s:HH + k * s, l * s:WW + l * s] = (window == m) * dout[i, j, k, l]
    return dx


def _burton(e, accumulate=False):
    x, dout = e.x, e.dy
    pool_height, pool_width, stride = e.ph, e.pw, e.sh
    N, C, Hh, W = x.shape
    _, _, dout_H, dout_W = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for j in range(dout_H):
                for i in range(dout_W):
                    max_index = np.argmax(x[n, c, j * stride:j * stride + pool_height,
                                            i * stride:i * stride + pool_width])
                    max_coord = np.unravel_index(max_index, [pool_height, pool_width])
                    patch = dx[n, c, j * stride:j * stride + pool_height, i * stride:i * stride + pool_width]
                    if accumulate:
                        patch[max_coord] += dout[n, c, j, i]
                    else:
                        patch[max_coord] = dout[n, c, j, i]
    return dx


def _cescfangs(e, accumulate=False):
    x, dout = e.x, e.dy
    stride, pool_width, pool_height = e.sh, e.pw, e.ph
    N, C, Hh, W = x.shape
    HH = (Hh - pool_height) // stride + 1
    WW = (W - pool_width) // stride + 1
    dx = np.zeros_like(x)
    for i in range(HH):
        for j in range(WW):
            for k in range(N):
                for l in range(C):
                    mask = x[k, l, i * stride: i * stride + pool_height, j * stride: j * stride + pool_width] - \
                        x[k, l, i * stride: i * stride + pool_height, j * stride: j * stride + pool_width].max()
                    mask = np.abs(mask) < 1e-9
                    if accumulate:
                        dx[k, l, i * stride: i * stride + pool_height,
                           j * stride: j * stride + pool_width] += mask * dout[k, l, i, j]
                    else:
                        dx[k, l, i * stride: i * stride + pool_height,
                           j * stride: j * stride + pool_width] = mask * dout[k, l, i, j]
    return dx


def _anderson(e):
    x, dout = e.x, e.dy
    N, C, Hh, W = x.shape
    pool_height, pool_width, stride = e.ph, e.pw, e.sh
    dx = np.zeros_like(x)
    H_ = 1 + (Hh - pool_height) // stride
    W_ = 1 + (W - pool_width) // stride
    for out_i, i_ in enumerate(range(H_)):
        i = i_ * stride
        for out_j, j_ in enumerate(range(W_)):
            j = j_ * stride
            for n in range(N):
                for c in range(C):
                    window = x[n, c, i: i + pool_height, j: j + pool_width]
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i + p, j + q] += 1 * dout[n, c, out_i, out_j]
    return dx


# anshupatna06/CNN-From-Scratch-Project src/maxpool.py: square pool_size, X (N, C, H, W).

def _anshu(e):
    X, dout = e.x, e.dy
    N, C, Hh, W = X.shape
    PH = PW = e.ph
    stride = e.sh
    dX = np.zeros_like(X)
    for n in range(N):
        for c in range(C):
            out_i = 0
            for i in range(0, Hh - PH + 1, stride):
                out_j = 0
                for j in range(0, W - PW + 1, stride):
                    window = X[n, c, i:i + PH, j:j + PW]
                    mask = (window == np.max(window))
                    dX[n, c, i:i + PH, j:j + PW] += mask * dout[n, c, out_i, out_j]
                    out_j += 1
                out_i += 1
    return dX


# a-galvez/Proyecto-IA Capas/maxpool.py: one image x (H, W, C), tamanio K, paso S; forward keeps the argmax.

def _galvez(e):
    x = nhwc(e.x)[0]
    d_salida = nhwc(e.dy)[0]
    Hh, W, C = x.shape
    S, K = e.sh, e.ph
    salida_altura = (Hh - K) // S + 1
    salida_anchura = (W - K) // S + 1
    arg_max = {}
    for c in range(C):                                      # forward: guardar indice del max para backprop
        for i in range(salida_altura):
            for j in range(salida_anchura):
                parche = x[i * S: i * S + K, j * S: j * S + K, c]
                arg_max[(c, i, j)] = np.argmax(parche)
    d_entrada = np.zeros_like(x)
    for c in range(C):
        for i in range(salida_altura):
            for j in range(salida_anchura):
                idx = arg_max[(c, i, j)]
                r = idx // K
                s = idx % K
                d_entrada[i * S + r, j * S + s, c] += d_salida[i, j, c]
    return from_nhwc(d_entrada[None])


# DeepLearning.AI C4W1 pool_backward: A_prev (m, n_H_prev, n_W_prev, n_C), hparameters f, stride.

def create_mask_from_window(x):
    return x == np.max(x)


def distribute_value(dz, shape):
    (n_H, n_W) = shape
    average = dz / (n_H * n_W)
    return np.ones(shape) * average


def _pool_backward(e, with_stride):
    """Kulbear's (with_stride False: vert_start = h) and DmrfCoder's (h * stride) pool_backward, both modes."""
    A_prev, dA, mode = nhwc(e.x), nhwc(e.dy), e.mode
    stride, f = e.sh, e.ph
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride if with_stride else h
                    vert_end = vert_start + f
                    horiz_start = w * stride if with_stride else w
                    horiz_end = horiz_start + f
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += np.multiply(mask, dA[i, h, w, c])
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        shape = (f, f)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, shape)
    return from_nhwc(dA_prev)


# darknet backward_avgpool_layer: a global average, flat buffers indexed b, k, i (N, C, H*W).

def _darknet(e):
    batch, c, h, w = e.x.shape
    l_delta = e.dy.reshape(-1)                               # l.delta: one entry per (b, k)
    net_delta = np.zeros(batch * c * h * w)
    for b in range(batch):
        for k in range(c):
            out_index = k + b * c
            for i in range(h * w):
                in_index = i + h * w * (k + b * c)
                net_delta[in_index] += l_delta[out_index] / (h * w)
    return net_delta.reshape(e.x.shape)


# FluxML/NNlib.jl src/impl/pooling_direct.jl, the gradient's central region (all of it at pad 0): Julia arrays
# (w, h, d, c, batch), counted from 1; alpha = 1, beta = 0 (the defaults), alpha / prod(kernel) for mean.

def _nnlib(e, line, first_only=True):
    """line: 'max=' (before pull request 207), 'max+=' (after it), 'mean+=' (commit d4cbdb3), 'mean=' (before)."""
    x = np.transpose(e.x, (3, 2, 1, 0))[:, :, None]          # (W, H, 1, C, N): x[w, h, d, c, batch]
    dy = np.transpose(e.dy, (3, 2, 1, 0))[:, :, None]
    y = np.transpose(e.y, (3, 2, 1, 0))[:, :, None]
    dx = np.zeros_like(x)
    kernel_w, kernel_h, kernel_d = e.pw, e.ph, 1
    stride_w, stride_h, stride_d = e.sw, e.sh, 1
    pad_w_lo = pad_h_lo = pad_d_lo = 0
    dil_w = dil_h = dil_d = 1
    alpha, beta = 1.0, 0.0
    if line.startswith("mean"):
        alpha = alpha / (kernel_w * kernel_h * kernel_d)

    def project(idx, stride, pad):
        return (idx - 1) * stride - pad + 1

    def at(idxs):                                         # x_idxs... with Julia's 1-based indices
        return tuple(i - 1 for i in idxs)

    out_width, out_height, out_depth = y.shape[:3]
    for batch_idx in range(1, x.shape[4] + 1):
        for c in range(1, x.shape[3] + 1):
            for d in range(1, out_depth + 1):
                for h in range(1, out_height + 1):
                    for w in range(1, out_width + 1):
                        y_idx = y[w - 1, h - 1, d - 1, c - 1, batch_idx - 1]
                        dy_idx = dy[w - 1, h - 1, d - 1, c - 1, batch_idx - 1]
                        maxpool_already_chose = False
                        for kd in range(1, kernel_d + 1):
                            for kh in range(1, kernel_h + 1):
                                for kw in range(1, kernel_w + 1):
                                    input_kd = project(d, stride_d, pad_d_lo) + (kd - 1) * dil_d
                                    input_kh = project(h, stride_h, pad_h_lo) + (kh - 1) * dil_h
                                    input_kw = project(w, stride_w, pad_w_lo) + (kw - 1) * dil_w
                                    i = at((input_kw, input_kh, input_kd, c, batch_idx))
                                    if line.startswith("max"):
                                        if y_idx == x[i] and (not maxpool_already_chose or not first_only):
                                            if line == "max=":
                                                dx[i] = dy_idx * alpha + beta * dx[i]
                                            else:
                                                dx[i] += dy_idx * alpha + beta * dx[i]
                                            maxpool_already_chose = True
                                    elif line == "mean+=":
                                        dx[i] += dy_idx * alpha + dx[i]
                                    else:
                                        dx[i] = dy_idx * alpha + dx[i]
    return np.transpose(dx[:, :, 0], (3, 2, 1, 0))


# AI Stack Exchange 17107: the comment's rule, and the answer's worked numbers.

def _se_rule(e):
    """dL/dx(h,w) = sum dL/dy(h',w') over every output whose window holds (h, w) and whose value is x(h, w)."""
    x, y, dy = e.x, e.y, e.dy
    dx = np.zeros_like(x)
    for n, c, hh, ww in np.ndindex(*x.shape):
        for i in range(y.shape[2]):
            for j in range(y.shape[3]):
                inside = (i * e.sh <= hh < i * e.sh + e.ph) and (j * e.sw <= ww < j * e.sw + e.pw)
                if inside and y[n, c, i, j] == x[n, c, hh, ww]:
                    dx[n, c, hh, ww] += dy[n, c, i, j]
    return dx


CLAIMS = {
    "cl-01": _clarence,
    "bu-01": _burton,
    "cf-01": _cescfangs,
    "az-01": _anderson,
    "an-01": _anshu,
    "ag-01": _galvez,
    "kb-01": lambda e: _pool_backward(e, with_stride=False),
    "kb-02": lambda e: _pool_backward(e, with_stride=False),
    "dc-01": lambda e: _pool_backward(e, with_stride=True),
    "dc-02": lambda e: _pool_backward(e, with_stride=True),
    "dk-01": _darknet,
    "se-01": _se_rule,
    "se-02": lambda e: np.array([0.7, 0, 0, 0.9, 0]),
    "se-03": lambda e: np.array([0, 0, 1.6, 0, 0]),
    "nn-01": lambda e: _nnlib(e, "max="),
    "nn-02": lambda e: _nnlib(e, "max+="),
    "nn-03": lambda e: _nnlib(e, "max+=", first_only=False),
    "nn-04": lambda e: _nnlib(e, "mean="),
    "nn-05": lambda e: _nnlib(e, "mean+="),
    "oc-01": lambda e: np.array([1, 2, 0, 0, 1]),
    "oc-02": lambda e: np.array([1, 1, 0, 1, 1]),
}


# ----------------------------------------------------------------------------- judging

DEFAULTS = {"batch": True, "configs": ["2x2/2", "2x2/1", "3x3/2", "2x3/1"], "fit": "any"}


def _spec(claim):
    spec = dict(DEFAULTS)
    spec.update(claim.get("draw", {}))
    spec["mode"] = "max" if claim["kind"].startswith("max") else "average"
    return spec


def _draws(claim):
    """Every (env, truth) a claim is judged on: each of its windows and strides, a tiling size and (unless the
    source requires a tiling) one with a remainder, two seeds; or the source's own worked example."""
    spec = _spec(claim)
    if spec.get("example"):
        yield _env(spec, None, None, 0)
        return
    for config in spec["configs"]:
        _, _, tiling, remainder = CONFIGS[config]
        for size in [tiling] + ([remainder] if remainder and spec["fit"] == "any" else []):
            for seed in SEEDS:
                yield _env(spec, config, size, seed)


def _agrees(value, truth):
    value = np.asarray(value, dtype=float)
    if value.shape != truth.shape:
        if np.squeeze(value).shape != np.squeeze(truth).shape:
            return False, f"shape {value.shape}, truth {truth.shape}"
        value = value.reshape(truth.shape)
    err = float(np.max(np.abs(value - truth)))
    return err <= TOL * (1 + float(np.max(np.abs(truth)))), f"max error {err:.2g}"


def verdict(claim, fn=None):
    """(holds | fails, why) for one manifest claim over every draw; a transcription that raises fails."""
    fn = CLAIMS[claim["id"]] if fn is None else fn
    for e, t in _draws(claim):
        where = f" ({e.ph} x {e.pw} every {e.sh}, input {e.H} x {e.W})"
        try:
            ok, why = _agrees(fn(e), t)
        except Exception as exc:  # noqa: BLE001 (a transcription that cannot run on a draw fails there)
            ok, why = False, f"raises {type(exc).__name__}"
        if not ok:
            return "fails", why + where
    return "holds", ""


def _scatter(e, weights, accumulate=True, step=None):
    """dx by sending dy[i, j] * weights(window, y[i, j]) into window (i, j), added or written over; the windows
    start step apart (the stride unless given)."""
    sh, sw = step or (e.sh, e.sw)
    dx = np.zeros_like(e.x)
    for i, j in np.ndindex(*e.y.shape[2:]):
        rows, cols = slice(i * sh, i * sh + e.ph), slice(j * sw, j * sw + e.pw)
        part = e.dy[..., i, j][..., None, None] * weights(e.x[..., rows, cols], e.y[..., i, j])
        if accumulate:
            dx[..., rows, cols] += part
        else:
            dx[..., rows, cols] = part
    return dx


def _at_max(window, y):
    return (window == y[..., None, None]).astype(float)


def _everywhere(window, y):
    return np.ones_like(window)


def _self_check() -> None:
    """The finite differences against closed forms they were not built from, and the judge against the classic
    mistakes: overwriting where windows overlap, every entry of a max window, no 1/size, the stride ignored."""
    for mode in ("max", "average"):
        spec = dict(DEFAULTS, mode=mode)
        for config in ("2x2/2", "2x2/1", "3x3/2", "3x3/1", "2x3/1"):
            e, t = _env(spec, config, CONFIGS[config][2], 0)
            assert len(np.unique(e.x)) == e.x.size, "a tie in a max-pooling draw"
            overlap = e.sh < e.ph or e.sw < e.pw
            if mode == "max":
                assert _agrees(_scatter(e, _at_max), t)[0], ("max scatter", config)
                assert not _agrees(_scatter(e, _everywhere), t)[0], "every entry of the window accepted"
                if overlap:
                    assert not _agrees(_scatter(e, _at_max, accumulate=False), t)[0], "overwriting accepted"
                if e.sh > 1:
                    assert not _agrees(_scatter(e, _at_max, step=(1, 1)), t)[0], "stride ignored accepted"
            else:
                size = e.ph * e.pw
                assert _agrees(_scatter(e, _everywhere) / size, t)[0], ("average scatter", config)
                assert not _agrees(_scatter(e, _everywhere), t)[0], "missing 1/size accepted"
                if overlap:
                    assert not _agrees(_scatter(e, _everywhere, accumulate=False) / size, t)[0], "overwriting accepted"
                if e.sh > 1:
                    assert not _agrees(_scatter(e, _everywhere, step=(1, 1)) / size, t)[0], "stride ignored accepted"
    # a global average: every entry gets dy / (H W)
    e, t = _env(dict(DEFAULTS, mode="average"), "global", CONFIGS["global"][2], 1)
    assert _agrees(np.broadcast_to(e.dy / (e.H * e.W), e.x.shape), t)[0]


# Each failing claim, repaired at exactly the mistake its note names, must hold on the same draws.
REPAIRS = {
    "cl-01": lambda e: _clarence(e, accumulate=True),     # '+=' for '='
    "cf-01": lambda e: _cescfangs(e, accumulate=True),
    "bu-01": lambda e: _burton(e, accumulate=True),
    "nn-01": lambda e: _nnlib(e, "max+="),              # pull request 207's '+='
    "nn-05": lambda e: _nnlib(e, "mean="),              # commit 924f472's rollback to '='
    "oc-01": lambda e: np.array([1, 1, 0, 1, 1]),       # the issue's own exact gradient
    "kb-01": lambda e: _pool_backward(e, with_stride=True),
    "kb-02": lambda e: _pool_backward(e, with_stride=True),
}


def _check_repairs(claims) -> list[str]:
    by_id = {c["id"]: c for c in claims}
    for cid, fn in REPAIRS.items():
        assert verdict(by_id[cid], fn)[0] == "holds", f"{cid} repaired still fails"
    return [c["id"] for c in claims if c["truth"] == "fails" and c["id"] not in REPAIRS]


def _stats(claims):
    return {
        "claims": len(claims),
        "hold": sum(c["truth"] == "holds" for c in claims),
        "fail": sum(c["truth"] == "fails" for c in claims),
        "max": sum(c["kind"].startswith("max") for c in claims),
        "avg": sum(c["kind"].startswith("avg") for c in claims),
        "latex": sum("latex" in c for c in claims),
        "code": sum("code" in c for c in claims),
        "sources": len({c["source"] for c in claims}),
        "urls": len({c["url"] for c in claims}),
    }


def main() -> int:
    claims = tomllib.loads((HERE / "claims.toml").read_text(encoding="utf-8"))["claim"]
    ids = [c["id"] for c in claims]
    assert len(ids) == len(set(ids)), "duplicate claim ids"
    assert set(ids) == set(CLAIMS), f"manifest and transcriptions differ: {set(ids) ^ set(CLAIMS)}"
    for c in claims:
        assert ("latex" in c) != ("code" in c), f"{c['id']}: exactly one of latex, code"
        assert c["truth"] in ("holds", "fails"), c["id"]
        assert c["kind"] in ("maxpool1d", "maxpool2d", "avgpool2d"), c["id"]
    _self_check()
    unrepaired = _check_repairs(claims)
    bad = []
    print(f"{'id':7} {'kind':10} {'manifest':9} {'numeric':9} why")
    for c in claims:
        v, why = verdict(c)
        mark = "" if v == c["truth"] else "   <-- DISAGREES"
        if mark:
            bad.append(c["id"])
        print(f"{c['id']:7} {c['kind']:10} {c['truth']:9} {v:9} {why}{mark}")
    s = _stats(claims)
    print(f"\n{s['claims']} claims ({s['max']} max, {s['avg']} average; {s['latex']} LaTeX, {s['code']} code): "
          f"{s['hold']} hold, {s['fail']} fail; {s['sources']} sources, {s['urls']} URLs")
    if unrepaired:
        print("failing claims with no repair in REPAIRS:", ", ".join(unrepaired))
    if bad or unrepaired:
        print("disagreements:", ", ".join(dict.fromkeys(bad + unrepaired)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
