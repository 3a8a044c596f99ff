"""Numeric truth of every claim in claims.toml, decided outside derive.

Each claim's formula is written again below as a Python function of the layer's arrays (transcribed by hand
from the source: that transcription is the independent reading). The true value of the quantity it claims is
the central finite difference of the forward pass its own source defines:

    cross-correlation  y[n, f, o] = sum_c sum_k xp[n, c, o * s + k] w[f, c, k] + b
    true convolution   the same with the kernel flipped along every spatial axis

(xp is x with `pad` zeros at both ends of every spatial axis, s the stride, o and k run over the output and
kernel positions, one or two spatial axes), fed to the loss l = sum(c * y + d * y^2 / 2), so the upstream
gradient dl/dy = c + d * y differs entry by entry. Arrays are kept here in one layout, x (N, C, *spatial) and
w (F, C, *kernel); a transcription converts to its source's layout (channels last, W as kh x kw x C x F, ...)
and back. Draws have C != F, non-square inputs, a non-square kernel unless the source's kernel is square,
stride 1 and 2 and padding 0 and 1 where the source allows them, and sizes where the windows fit the padded
input exactly and sizes where a remainder is left over, unless the source requires an exact fit.
A claim holds when it agrees with the finite differences on every draw.
Run: python tests/corpora/convolution/truth.py. It prints a table and exits 1 when a verdict differs from the
manifest's `truth`.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import tomllib

HERE = Path(__file__).resolve().parent
SEEDS = (0, 1)
H = 1e-5      # finite-difference step (the loss is quadratic in x, w and b, so central differences are exact
TOL = 1e-6    # up to rounding; with tanh before the layer they are exact to H^2); relative to 1 + max |truth|

# spatial sizes (exact fit for stride 2 and pad 0 or 1, then a size that leaves a remainder), kernel sizes
SHAPES = {
    (1, "rect"): ((7,), (8,), (3,)),
    (1, "square"): ((7,), (8,), (3,)),
    (2, "rect"): ((7, 6), (8, 7), (3, 2)),
    (2, "square"): ((7, 5), (8, 6), (3, 3)),
    (2, "square_input"): ((7, 7), (8, 8), (3, 3)),
}


# ----------------------------------------------------------------------------- the forward definition

def _pads(rule, S, K, s):
    """The padding of every spatial axis: an integer, or a source's own rule computed from the sizes."""
    if isinstance(rule, int):
        return tuple(rule for _ in S)
    if rule == "half":                      # pad = k // 2 (a "same" convolution for odd k)
        return tuple(k // 2 for k in K)
    if rule == "same_ceil":                 # ceil(((h - 1) * s + k - h) / 2)
        return tuple(int(math.ceil(((h - 1) * s + k - h) / 2)) for h, k in zip(S, K))
    if rule == "same_plus1":                # ((h - 1) * s + k - h) // 2 + 1
        return tuple(((h - 1) * s + k - h) // 2 + 1 for h, k in zip(S, K))
    raise ValueError(f"unknown padding rule {rule!r}")


def _outputs(S, K, s, pads):
    return tuple((h + 2 * p - k) // s + 1 for h, k, p in zip(S, K, pads))


def _forward(xs, ws, bs, s, pads, flip):
    """The layer on stacks: xs (M, N, C, *S), ws (M, F, C, *K), bs (M, F) or (M, F, *O) or None."""
    if flip:
        ws = ws[(Ellipsis,) + (slice(None, None, -1),) * (ws.ndim - 3)]
    d = ws.ndim - 3
    xp = np.pad(xs, [(0, 0)] * 3 + [(p, p) for p in pads])
    K = ws.shape[3:]
    O = tuple((xp.shape[3 + a] - K[a]) // s + 1 for a in range(d))
    y = np.zeros(xs.shape[:2] + (ws.shape[1],) + O)
    for k in np.ndindex(*K):
        window = tuple(slice(k[a], k[a] + s * (O[a] - 1) + 1, s) for a in range(d))
        patch = xp[(slice(None),) * 3 + window]                       # M, N, C, *O
        y += np.einsum("mnc...,mfc->mnf...", patch, ws[(slice(None),) * 3 + k])
    if bs is not None:                       # a bias per output channel, or one per output position
        y += (bs.reshape(bs.shape + (1,) * d) if bs.ndim == 2 else bs)[:, None]
    return y


def _loss(p, y):
    """l = sum(c * y + d * y^2 / 2) for every stacked output y (M, N, F, *O)."""
    axes = tuple(range(1, y.ndim))
    return np.sum(p.c * y + 0.5 * p.d * y * y, axis=axes)


def _fd(losses_of, a):
    """Central finite differences of a scalar function at the array a; losses_of maps a stack (M, *a.shape)
    of perturbed copies to their M losses (one evaluation for all entries)."""
    n = a.size
    eye = np.eye(n).reshape((n,) + a.shape) * H
    up, down = losses_of(a[None] + eye), losses_of(a[None] - eye)
    return ((up - down) / (2 * H)).reshape(a.shape)


def _draw(spec, S, K, stride, rule, seed):
    rng = np.random.default_rng([seed, len(S), *S, *K, stride, 0 if isinstance(rule, str) else rule + 1])
    N = 2 if spec["batch"] else 1
    C, F = (3, 2) if spec["channels"] == "multi" else (1, 1)
    pads = _pads(rule, S, K, stride)
    O = _outputs(S, K, stride, pads)
    p = SimpleNamespace(N=N, C=C, F=F, S=S, K=K, O=O, s=stride, pads=pads, rule=rule,
                        flip=spec["forward"] == "convolution")
    if spec["activation"] == "tanh":
        p.z = rng.uniform(-1.5, 1.5, (N, C) + S)
        p.x = np.tanh(p.z)
    else:
        p.z = None
        p.x = rng.uniform(-2, 2, (N, C) + S)
    p.w = rng.uniform(-1, 1, (F, C) + K)
    p.b = {"channel": lambda: rng.uniform(-0.5, 0.5, F),
           "position": lambda: rng.uniform(-0.5, 0.5, (F,) + O),
           "none": lambda: None}[spec["bias"]]()
    p.c = rng.uniform(-1, 1, (N, F) + O)
    p.d = rng.uniform(0.2, 1, (N, F) + O)
    return p


def _truths(p):
    """Every quantity's true value, each by finite differences of the forward definition."""
    def y_of(xs=None, ws=None, bs=None):
        M = len(next(a for a in (xs, ws, bs) if a is not None))
        xs = np.broadcast_to(p.x, (M,) + p.x.shape) if xs is None else xs
        ws = np.broadcast_to(p.w, (M,) + p.w.shape) if ws is None else ws
        if bs is None and p.b is not None:
            bs = np.broadcast_to(p.b, (M,) + p.b.shape)
        return _forward(xs, ws, bs, p.s, p.pads, p.flip)

    t = {"dx": _fd(lambda xs: _loss(p, y_of(xs=xs)), p.x),
         "dw": _fd(lambda ws: _loss(p, y_of(ws=ws)), p.w)}
    if p.b is not None:
        t["db"] = _fd(lambda bs: _loss(p, y_of(bs=bs)), p.b)
    if p.z is not None:
        t["dz"] = _fd(lambda zs: _loss(p, y_of(xs=np.tanh(zs))), p.z)
    y = y_of(xs=p.x[None])[0]
    return t, y


_CACHE: dict = {}


def _env(spec, S, K, stride, rule, seed):
    key = (spec["forward"], spec["batch"], spec["channels"], spec["bias"], spec["activation"], S, K, stride, rule, seed)
    if key not in _CACHE:
        p = _draw(spec, S, K, stride, rule, seed)
        t, y = _truths(p)
        e = SimpleNamespace(**vars(p))
        e.y = y
        e.dy = p.c + p.d * y                 # dl/dy of the loss: the layer's upstream gradient
        e.fprime = None if p.z is None else 1 - np.tanh(p.z) ** 2
        e.p = p.pads[0]                      # the padding, for sources that pad every axis alike
        _CACHE[key] = (e, t)
    return _CACHE[key]


# ----------------------------------------------------------------------------- helpers the transcriptions use

def _full(a, b):
    """Full N-d convolution of a and b (every overlap; b flipped as it slides)."""
    out = np.zeros(tuple(m + n - 1 for m, n in zip(a.shape, b.shape)))
    for idx in np.ndindex(*b.shape):
        out[tuple(slice(i, i + m) for i, m in zip(idx, a.shape))] += b[idx] * a
    return out


def sp_convolve(a, b, mode="full"):
    """scipy.signal.convolve2d / convolve (direct) semantics for 'full' and 'valid' (inputs swapped for 'valid'
    when the second is the larger, as scipy does: convolution commutes)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    full = _full(a, b)
    if mode == "full":
        return full
    if mode != "valid":
        raise ValueError(mode)
    if all(m >= n for m, n in zip(a.shape, b.shape)):
        small, large = b.shape, a.shape
    elif all(n >= m for m, n in zip(a.shape, b.shape)):
        small, large = a.shape, b.shape
    else:
        raise ValueError("valid mode needs one input at least as large as the other in every dimension")
    return full[tuple(slice(m - 1, n) for m, n in zip(small, large))]


def sp_correlate(a, b, mode="full"):
    """scipy.signal.correlate2d semantics: the convolution with the second input flipped on every axis."""
    return sp_convolve(a, np.flip(np.asarray(b, float)), mode)


def convn(a, b, mode):
    """MATLAB convn(A, B, shape) for 'full' and 'valid' (valid: size max(size(A) - size(B) + 1, 0), no swap)."""
    b = np.asarray(b, float).reshape(b.shape + (1,) * (a.ndim - b.ndim))
    full = _full(a, b)
    if mode == "full":
        return full
    return full[tuple(slice(n - 1, m) for m, n in zip(a.shape, b.shape))]


def nhwc(a):
    """(N, C, *S) -> (N, *S, C): the channels-last layout."""
    return np.moveaxis(a, 1, -1)


def from_nhwc(a):
    return np.moveaxis(a, -1, 1)


def khwcf(w):
    """(F, C, kh, kw) -> (kh, kw, C, F): Coursera's, Holberton's and yizt's kernel layout."""
    return np.transpose(w, (2, 3, 1, 0))


def from_khwcf(W):
    return np.transpose(W, (3, 2, 0, 1))


def zero_pad(X, pad):
    """Coursera's zero_pad: zeros around the two spatial axes of an (m, n_H, n_W, n_C) array."""
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=(0, 0))


# ----------------------------------------------------------------------------- the claims, transcribed
# Goodfellow et al. (9.11) and (9.13): one example, V[channel, row, column], K[out, in, row, column], 1-based.

def _gf_g(e):
    V, K, G, s = e.x[0], e.w, e.dy[0], e.s
    nF, nC, KH, KW = K.shape
    OH, OW = G.shape[1:]
    g = np.zeros(K.shape)
    for i in range(1, nF + 1):
        for j in range(1, nC + 1):
            for k in range(1, KH + 1):
                for l in range(1, KW + 1):
                    g[i - 1, j - 1, k - 1, l - 1] = sum(
                        G[i - 1, m - 1, n - 1] * V[j - 1, (m - 1) * s + k - 1, (n - 1) * s + l - 1]
                        for m in range(1, OH + 1) for n in range(1, OW + 1))
    return g


def _gf_h(e):
    V, K, G, s = e.x[0], e.w, e.dy[0], e.s
    nF, nC, KH, KW = K.shape
    OH, OW = G.shape[1:]
    h = np.zeros(V.shape)
    for i in range(1, nC + 1):
        for j in range(1, V.shape[1] + 1):
            for k in range(1, V.shape[2] + 1):
                total = 0.0
                for l in range(1, OH + 1):
                    m = j - (l - 1) * s                      # (l - 1) s + m = j
                    if not 1 <= m <= KH:
                        continue
                    for n in range(1, OW + 1):
                        pp = k - (n - 1) * s                 # (n - 1) s + p = k
                        if not 1 <= pp <= KW:
                            continue
                        total += sum(K[q - 1, i - 1, m - 1, pp - 1] * G[q - 1, l - 1, n - 1] for q in range(1, nF + 1))
                h[i - 1, j - 1, k - 1] = total
    return h[None]


# loliot.net: one channel, one example; a = sigma(z) feeds the convolution; delta^{l+1} its output gradient.

def _lo_xy(e):
    d, w, fp = e.dy[0, 0], e.w[0, 0], e.fprime[0, 0]
    (Hh, Ww), (OH, OW), (M, Nn) = fp.shape, d.shape, w.shape
    out = np.zeros((Hh, Ww))
    for i in range(Hh):
        for j in range(Ww):
            for x in range(OH):
                for y in range(OW):
                    if 0 <= i - x < M and 0 <= j - y < Nn:
                        out[i, j] += d[x, y] * w[i - x, j - y] * fp[i, j]
    return out[None, None]


def _lo_mn(e):
    d, w, fp = e.dy[0, 0], e.w[0, 0], e.fprime[0, 0]
    (Hh, Ww), (OH, OW), (M, Nn) = fp.shape, d.shape, w.shape
    out = np.zeros((Hh, Ww))
    for i in range(Hh):
        for j in range(Ww):
            for m in range(M):
                for n in range(Nn):
                    if 0 <= i - m < OH and 0 <= j - n < OW:
                        out[i, j] += d[i - m, j - n] * w[m, n] * fp[i, j]
    return out[None, None]


def _lo_dw(e):
    d, a = e.dy[0, 0], e.x[0, 0]
    M, Nn = e.K
    dw = np.zeros((M, Nn))
    for m in range(M):
        for n in range(Nn):
            dw[m, n] = sum(d[i, j] * a[i + m, j + n] for i in range(d.shape[0]) for j in range(d.shape[1]))
    return dw[None, None]


# Data Science Stack Exchange 56560: one channel, 1-based, O(i,j) = sum_u sum_v I(i+u-1, j+v-1) K(u,v).

def _ds_sum(e):
    I, dO = e.x[0, 0], e.dy[0, 0]
    (m, n), (p, q) = I.shape, e.K
    dK = np.zeros((p, q))
    for u in range(1, p + 1):
        for v in range(1, q + 1):
            dK[u - 1, v - 1] = sum(dO[i - 1, j - 1] * I[i + u - 2, j + v - 2]
                                   for i in range(1, m - p + 2) for j in range(1, n - q + 2))
    return dK[None, None]


def _ds_star(I, K):
    """(I star K)(i,j) = sum_{u=1}^p sum_{v=1}^q I(i+u-1, j+v-1) K(u,v), the source's valid cross-correlation."""
    (m, n), (p, q) = I.shape, K.shape
    out = np.zeros((m - p + 1, n - q + 1))
    for i in range(1, m - p + 2):
        for j in range(1, n - q + 2):
            out[i - 1, j - 1] = sum(I[i + u - 2, j + v - 2] * K[u - 1, v - 1]
                                    for u in range(1, p + 1) for v in range(1, q + 1))
    return out


# Data Science Stack Exchange 56782: O_{i,j} = sum_x sum_y I_{x+i*s-p, y+j*s-p} F_{x,y} (out of range: zero).

def _dr_dw(e):
    I, dO, s, p = e.x[0, 0], e.dy[0, 0], e.s, e.p
    FS = e.K[0]
    W1, H1 = dO.shape

    def at(r, c):
        return I[r, c] if 0 <= r < I.shape[0] and 0 <= c < I.shape[1] else 0.0

    dF = np.zeros((FS, FS))
    for i in range(FS):
        for j in range(FS):
            dF[i, j] = sum(dO[k, h] * at(i + k * s - p, j + h * s - p) for k in range(W1) for h in range(H1))
    return dF[None, None]


# borundev/DNN_Lectures: l0[I, row, column, channel], W[alpha, beta, k, m], 0-based, padded l~.

def _bd_dw(e):
    g, W = nhwc(e.dy), khwcf(e.w)
    lt = nhwc(np.pad(e.x, [(0, 0), (0, 0)] + [(q, q) for q in e.pads]))
    s, (K, K2, nC, nF) = e.s, W.shape
    dW = np.zeros(W.shape)
    for a in range(K):
        for b in range(K2):
            for k in range(nC):
                for m in range(nF):
                    dW[a, b, k, m] = sum(g[I, i, j, m] * lt[I, s * i + a, s * j + b, k]
                                         for I, i, j in np.ndindex(*g.shape[:3]))
    return from_khwcf(dW)


def _bd_dx(e, first_form, flip_shift=0):
    g, W, s, P = nhwc(e.dy), khwcf(e.w), e.s, e.p
    K, _, nC, nF = W.shape
    N, OH, OW, _ = g.shape
    Hh, Ww = e.S
    dx = np.zeros((N, Hh, Ww, nC))

    def dl1(I, r, c, m):             # (dL/dl^1)_{I, r/s, c/s, m}; a fractional or outside index contributes nothing
        if r % s or c % s or not (0 <= r // s < OH and 0 <= c // s < OW) or r < 0 or c < 0:
            return 0.0
        return g[I, r // s, c // s, m]

    def W_tilde(a, b, m, l):         # W~_{alpha, beta, m, l} = W_{K - alpha, K - beta, l, m} (flip_shift 0, as written)
        r, c = K - flip_shift - a, K - flip_shift - b
        return W[r, c, l, m] if 0 <= r < K and 0 <= c < K else 0.0

    for I in range(N):
        for pp in range(Hh):
            for q in range(Ww):
                for l in range(nC):
                    if first_form:
                        dx[I, pp, q, l] = sum(dl1(I, pp + P - a, q + P - b, m) * W[a, b, l, m]
                                              for a in range(K) for b in range(K) for m in range(nF))
                    else:
                        dx[I, pp, q, l] = sum(dl1(I, pp + P - K + 1 + a, q + P - K + 1 + b, m) * W_tilde(a, b, m, l)
                                              for a in range(K) for b in range(K) for m in range(nF))
    return from_nhwc(dx)


# TheIndependentCode/Neural-Network convolutional.py: one example, input (depth, h, w), kernels (depth, in, k, k).

def _ic_dw(e):
    inp, og = e.x[0], e.dy[0]
    kernels_gradient = np.zeros(e.w.shape)
    for i in range(e.F):
        for j in range(e.C):
            kernels_gradient[i, j] = sp_correlate(inp[j], og[i], "valid")
    return kernels_gradient


def _ic_dx(e):
    og, kernels = e.dy[0], e.w
    input_gradient = np.zeros(e.x.shape[1:])
    for i in range(e.F):
        for j in range(e.C):
            input_gradient[j] += sp_convolve(og[i], kernels[i, j], "full")
    return input_gradient[None]


# Site1997/LeNet-python: a true convolution forward (scipy convolve2d 'valid'), input_map (N, C, W, H).

def _le_dx(e):
    input_map, kernal, front_delta = e.x, e.w, e.dy
    N, C, W, Hh = input_map.shape
    K_NUM, K_C, K_W, K_H = kernal.shape
    back_delta = np.zeros((N, C, W, Hh))
    padded_front_delta = np.pad(front_delta, [(0, 0), (0, 0), (K_W - 1, K_H - 1), (K_W - 1, K_H - 1)],
                                mode="constant", constant_values=0)
    for imgId in range(N):
        for cId in range(C):
            for kId in range(K_NUM):
                back_delta[imgId][cId] += sp_convolve(padded_front_delta[imgId][kId], kernal[kId, cId, ::-1, ::-1],
                                                      mode="valid")
    return back_delta


def _le_dw(e):
    input_map, kernal, front_delta = e.x, e.w, e.dy
    N, C = input_map.shape[:2]
    kernal_gradient = np.zeros(kernal.shape)
    for imgId in range(N):
        for cId in range(C):
            for kId in range(kernal.shape[0]):
                kernal_gradient[kId][cId] += sp_convolve(front_delta[imgId][kId], input_map[imgId][cId][::-1][::-1],
                                                         mode="valid")
    return kernal_gradient


def _le_issue(e):
    input_map, kernal, front_delta = e.x, e.w, e.dy
    N, C = input_map.shape[:2]
    out = {}
    for mode in ("full", "valid"):
        kernal_gradient = np.zeros(kernal.shape)
        for imgId in range(N):
            for cId in range(C):
                for kId in range(kernal.shape[0]):
                    got = sp_convolve(input_map[imgId, cId], front_delta[imgId][kId], mode)
                    if got.shape != kernal_gradient[kId][cId].shape:
                        raise ValueError(f"shape {got.shape} into {kernal_gradient[kId][cId].shape}")
                    kernal_gradient[kId][cId] = got
        name = {"full": "as written (scipy's default mode 'full')",
                "valid": "mode='valid' as in the line it replaces"}[mode]
        out[name] = kernal_gradient
    return out


# rasmusbergpalm/DeepLearnToolbox cnnbp.m: maps a{i} of rows x columns x batch, kernels k{i}{j}, true convolution.

def _dlt_maps(e):
    a = [e.x[:, i].transpose(1, 2, 0) for i in range(e.C)]
    d = [e.dy[:, j].transpose(1, 2, 0) for j in range(e.F)]
    k = [[e.w[j, i] for j in range(e.F)] for i in range(e.C)]
    return a, d, k


def _dlt_dx(e):
    a, d, k = _dlt_maps(e)

    def rot180(X):
        return np.flip(np.flip(X, 0), 1)

    dx = np.zeros(e.x.shape)
    for i in range(e.C):
        z = np.zeros(a[0].shape)
        for j in range(e.F):
            z = z + convn(d[j], rot180(k[i][j]), "full")
        dx[:, i] = z.transpose(2, 0, 1)
    return dx


def _dlt_dw(e):
    a, d, _ = _dlt_maps(e)
    dw = np.zeros(e.w.shape)
    for j in range(e.F):
        for i in range(e.C):
            dk = convn(np.flip(a[i]), d[j], "valid") / d[j].shape[2]      # flipall: every dimension flipped
            dw[j, i] = dk[:, :, 0]
    return dw


def _dlt_db(e):
    _, d, _ = _dlt_maps(e)
    return np.array([d[j].sum() / d[j].shape[2] for j in range(e.F)])


# ajeetkbhardwaj/Book-AI Conv1D.py: one channel, one example, pad = k // 2, output as long as the input.

def _ba_pad_1d(inp, pad):
    return np.concatenate([np.zeros(pad), inp, np.zeros(pad)])


def _ba_dx(e):
    inp, kernel, grad_out = e.x[0, 0], e.w[0, 0], e.dy[0, 0]
    k = kernel.shape[0]
    pad = k // 2
    grad_out_pad = _ba_pad_1d(grad_out, pad)
    grad_inp = np.zeros_like(inp, dtype=float)
    for i in range(len(inp)):
        for j in range(k):
            grad_inp[i] += grad_out_pad[i + k - j - 1] * kernel[j]
    return grad_inp[None, None]


def _ba_dw(e):
    inp, kernel, grad_out = e.x[0, 0], e.w[0, 0], e.dy[0, 0]
    k = kernel.shape[0]
    x_pad = _ba_pad_1d(inp, k // 2)
    grad_kernel = np.zeros_like(kernel, dtype=float)
    for i in range(len(inp)):
        for j in range(k):
            grad_kernel[j] += x_pad[i + j] * grad_out[i]
    return grad_kernel[None, None]


# yizt/numpy_neuron_network: one example, z[channel, row, column], W[m, n, c, d] (k1 x k2 x C_in x C_out).

def _yz_single_sum(e):                                   # 0_2_1 eq. (7)
    d, W = e.dy[0, 0], e.w[0, 0]
    (Hl, Wl), (k1, k2) = d.shape, W.shape
    out = np.zeros(e.S)
    for i_ in range(e.S[0]):
        for j_ in range(e.S[1]):
            out[i_, j_] = sum(d[i_ - m, j_ - n] * W[m, n] for m in range(k1) for n in range(k2)
                              if 0 <= i_ - m <= Hl - 1 and 0 <= j_ - n <= Wl - 1)
    return out[None, None]


def _yz_single_rot(e):                                   # 0_2_1 eq. (12) and (16)
    d, W = e.dy[0, 0], e.w[0, 0]
    k1, k2 = W.shape
    rot = W[::-1, ::-1]
    pd = np.pad(d, ((k1 - 1, k1 - 1), (k2 - 1, k2 - 1)))
    out = np.zeros(e.S)
    for i in range(e.S[0]):
        for j in range(e.S[1]):
            out[i, j] = sum(rot[m, n] * pd[i + m, j + n] for m in range(k1) for n in range(k2))
    return out[None, None]


def _yz_dw(e):                                           # 0_2_3 eq. (5); 0_2_4 eq. (5) with the padded pz
    d, W, s = e.dy[0], khwcf(e.w), e.s
    pz = np.pad(e.x[0], [(0, 0)] + [(q, q) for q in e.pads])
    k1, k2, nC, nD = W.shape
    dW = np.zeros(W.shape)
    for m in range(k1):
        for n in range(k2):
            for c in range(nC):
                for dd in range(nD):
                    dW[m, n, c, dd] = sum(d[dd, i, j] * pz[c, i * s + m, j * s + n]
                                          for i in range(d.shape[1]) for j in range(d.shape[2]))
    return from_khwcf(dW)


def _yz_dilated(e):
    """delta^l with (s - 1) zeros inserted between its rows and columns, then (k - 1) zeros around: p delta."""
    d, s = e.dy[0], e.s
    k1, k2 = e.K
    dil = np.zeros((d.shape[0], (d.shape[1] - 1) * s + 1, (d.shape[2] - 1) * s + 1))
    dil[:, ::s, ::s] = d
    return np.pad(dil, ((0, 0), (k1 - 1, k1 - 1), (k2 - 1, k2 - 1)))


def _yz_strided(e, padded):                              # 0_2_3 eq. (8); 0_2_4 eq. (9)
    W = khwcf(e.w)
    k1, k2, nC, nD = W.shape
    rot = W[::-1, ::-1]                                  # rot180 W_{m,n,c,d} = W_{k1-1-m, k2-1-n, c, d}
    pd = _yz_dilated(e)
    p1, p2 = e.pads if padded else (0, 0)
    rows, cols = e.S[0] + 2 * p1, e.S[1] + 2 * p2
    grad = np.zeros((nC, rows, cols))
    for c in range(nC):
        for i in range(rows):
            for j in range(cols):
                grad[c, i, j] = sum(rot[m, n, c, dd] * pd[dd, i + m, j + n]
                                    for dd in range(nD) for m in range(k1) for n in range(k2))
    return grad[:, p1:e.S[0] + p1, p2:e.S[1] + p2][None]


# Clarence-G/learngit cs231n conv_backward_naive: x (N, C, H, W), w (F, C, HH, WW), dout (N, F, H', W').

def _cs(e):
    x, w, dout, s, pad = e.x, e.w, e.dy, e.s, e.p
    F, C, HH, WW = w.shape
    N, C, Hh, W = x.shape
    H_new, W_new = dout.shape[2:]
    dx, dw, db = np.zeros_like(x), np.zeros_like(w), np.zeros(F)
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), "constant")
    dx_padded = np.pad(dx, ((0, 0), (0, 0), (pad, pad), (pad, pad)), "constant")
    for i in range(N):
        for f in range(F):
            for j in range(H_new):
                for k in range(W_new):
                    window = x_padded[i, :, j * s:HH + j * s, k * s:WW + k * s]
                    db[f] += dout[i, f, j, k]
                    dw[f] += window * dout[i, f, j, k]
                    dx_padded[i, :, j * s:HH + j * s, k * s:WW + k * s] += w[f] * dout[i, f, j, k]
    dx = dx_padded[:, :, pad:pad + Hh, pad:pad + W]
    return dx, dw, db


# torchedup.dev conv2d-backward: x (H, W, C_in), kernel (kH, kW, C_in, C_out), dout (H_out, W_out, C_out).

def _tu(e):
    x = np.pad(nhwc(e.x)[0], [(q, q) for q in e.pads] + [(0, 0)])      # the padded input the indices refer to
    kernel, dout, stride = khwcf(e.w), nhwc(e.dy)[0], e.s
    kH, kW, Cin, Cout = kernel.shape
    dx, dkernel = np.zeros(x.shape), np.zeros(kernel.shape)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            for cout in range(Cout):
                for kh in range(kH):
                    for kw in range(kW):
                        for cin in range(Cin):
                            dkernel[kh, kw, cin, cout] += dout[i, j, cout] * x[i * stride + kh, j * stride + kw, cin]
                            dx[i * stride + kh, j * stride + kw, cin] += dout[i, j, cout] * kernel[kh, kw, cin, cout]
    p1, p2 = e.pads
    dx = dx[p1:p1 + e.S[0], p2:p2 + e.S[1]]
    return from_nhwc(dx[None]), from_khwcf(dkernel)


# prof.lexailabs.com build-cnn-05: x (C_in, H, W), W (C_out, C_in, kH, kW), G = grad_out (C_out, out_H, out_W).

def _lx_dw(e):
    G, x = e.dy[0], e.x[0]
    dW = np.zeros(e.w.shape)
    for o, c, u, v in np.ndindex(*e.w.shape):
        dW[o, c, u, v] = sum(G[o, i, j] * x[c, i + u, j + v] for i in range(G.shape[1]) for j in range(G.shape[2]))
    return dW


def _lx_dx(e):
    G, W = e.dy[0], e.w
    dx = np.zeros(e.x.shape[1:])
    for c, h, w in np.ndindex(*dx.shape):
        dx[c, h, w] = sum(G[o, i, j] * W[o, c, u, v]
                          for o in range(W.shape[0]) for i in range(G.shape[1]) for j in range(G.shape[2])
                          for u in range(W.shape[2]) for v in range(W.shape[3]) if i + u == h and j + v == w)
    return dx[None]


def _lx_loop(e):
    G, W = e.dy[0], e.w
    kH, kW = W.shape[2:]
    dx = np.zeros(e.x.shape[1:])
    for o in range(W.shape[0]):
        for i in range(G.shape[1]):
            for j in range(G.shape[2]):
                g = G[o, i, j]
                dx[:, i:i + kH, j:j + kW] += g * W[o]
    return dx[None]


# DeepLearning.AI course 4 week 1 conv_backward: A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C).

def _course_loop(e, slice_start, update_weight, unpad):
    """The notebook's conv_backward loop; slice_start(h, stride) is where a window starts, update_weight(W, c)
    the filter added into the window of dA_prev, unpad(dA_prev, dA_prev_pad, da_prev_pad, i, pad) the write-back."""
    A_prev, W, dZ, stride, pad = nhwc(e.x), khwcf(e.w), nhwc(e.dy), e.s, e.p
    (m, n_H_prev, n_W_prev, n_C_prev), (f, f, n_C_prev, n_C) = A_prev.shape, W.shape
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = slice_start(h, stride)
                    vert_end = vert_start + f
                    horiz_start = slice_start(w, stride)
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += update_weight(W, c) * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        unpad(dA_prev, dA_prev_pad, da_prev_pad, i, pad)
    return from_nhwc(dA_prev), from_khwcf(dW), db


def _with_stride(h, stride):
    return h * stride


def _without_stride(h, stride):
    return h


def _plain_w(W, c):
    return W[:, :, :, c]


def _unpad_hint(dA_prev, dA_prev_pad, da_prev_pad, i, pad):          # the notebook's hint: X[pad:-pad, pad:-pad, :]
    dA_prev[i, :, :, :] = da_prev_pad[pad:-pad, pad:-pad, :]


def _unpad_exact(dA_prev, dA_prev_pad, da_prev_pad, i, pad):
    dA_prev[i, :, :, :] = da_prev_pad[pad:pad + dA_prev.shape[1], pad:pad + dA_prev.shape[2], :]


def _unpad_dmrf(dA_prev, dA_prev_pad, da_prev_pad, i, pad):          # DmrfCoder: written back into the padded array
    dA_prev_pad[i, :, :, :] = da_prev_pad


def _course(slice_start, update_weight, unpad, which):
    return lambda e: _course_loop(e, slice_start, update_weight, unpad)[which]


# marmaralectures.com: one-dimensional, one channel; Gamma = dC/dz; a = sigma(z) feeds the layer.

def _mm(e):
    G, w, fp = e.dy[0, 0], e.w[0, 0], e.fprime[0, 0]
    L, W = e.S[0], e.K[0]
    out = np.zeros(L)
    for i in range(L):
        out[i] = sum(G[m] * w[i - m] for m in range(max(i - W + 1, 0), min(i, L - W) + 1)) * fp[i]
    return out[None, None]


# CMU 11-785 HW2P1 (Ramanathan1999/mytorch, JwaYounkyung/CMU_IDL): A (batch, in_channels, input_size).

def _cmu1_dw(e):
    A, dLdZ, K = e.x, e.dy, e.K[0]
    output_size = dLdZ.shape[2]
    dLdW = np.zeros(e.w.shape)
    for i in range(K):
        start, end = i, i + output_size
        dLdW[:, :, i] = np.tensordot(dLdZ, A[:, :, start:end], axes=([0, 2], [0, 2]))
    return dLdW


def _cmu1_dx(e, dLdZ=None):
    W, K = e.w, e.K[0]
    dLdZ = e.dy if dLdZ is None else dLdZ
    batch_size, input_size = dLdZ.shape[0], e.S[0]
    flipped_weight = np.flip(W, axis=2)
    padding = K - 1
    padded = np.pad(dLdZ, ((0, 0), (0, 0), (padding, padding)), constant_values=0)
    dLdA = np.zeros((batch_size, e.C, input_size))
    for j in range(input_size):
        start, end = j, j + K
        dLdA[:, :, j] = np.tensordot(padded[:, :, start:end], flipped_weight, axes=([1, 2], [0, 2]))
    return dLdA


def _cmu1_strided(e):
    """Conv1d.backward: Downsample1d.backward (zeros of the stride-1 output's width, dLdZ at every stride-th
    place), then Conv1d_stride1.backward."""
    init_size = e.S[0] - e.K[0] + 1
    up = np.zeros((e.N, e.F, init_size))
    up[:, :, ::e.s] = e.dy
    return _cmu1_dx(e, up)


def _cmu2_dx(e):
    W, dLdZ, k = e.w, e.dy, e.K[0]
    batch_size = dLdZ.shape[0]
    input_width, input_height = e.S
    flipped_weight = np.flip(W, (2, 3))
    padding = k - 1
    padded = np.pad(dLdZ, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=0)
    dLdA = np.zeros((batch_size, e.C, input_width, input_height))
    for j in range(input_width):
        for kk in range(input_height):
            dLdA[:, :, j, kk] = np.tensordot(padded[:, :, j:j + k, kk:kk + k], flipped_weight,
                                             axes=([1, 2, 3], [0, 2, 3]))
    return dLdA


def _cmu2_dw(e):
    A, dLdZ, k = e.x, e.dy, e.K[0]
    output_width, output_height = dLdZ.shape[2:]
    dLdW = np.zeros(e.w.shape)
    for j in range(k):
        for kk in range(k):
            dLdW[:, :, j, kk] = np.tensordot(dLdZ, A[:, :, j:j + output_width, kk:kk + output_height],
                                             axes=([0, 2, 3], [0, 2, 3]))
    return dLdW


def _jy_dw(e):
    A, dLdZ = e.x, e.dy
    convs = []
    for i in range(e.w.shape[-1]):
        a = A[:, :, i:dLdZ.shape[-1] + i]
        convs.append(np.tensordot(dLdZ, a, [(0, 2), (0, 2)]))
    return np.transpose(np.array(convs), (1, 2, 0))


def _jy_dx(e):
    dLdZ, W, kernel_size, in_size = e.dy, e.w, e.K[0], e.S[0]
    pad_dLdZ = np.pad(dLdZ, ((0, 0), (0, 0), (kernel_size - 1, kernel_size - 1)), "constant")
    flip_W = np.flip(W, 2)
    convs = []
    for i in range(in_size):
        dldz = pad_dLdZ[:, :, i:kernel_size + i]
        convs.append(np.tensordot(dldz, flip_W, [(1, 2), (0, 2)]))
    return np.transpose(np.array(convs), (1, 2, 0))


# Holberton conv_backward: dZ (m, h_new, w_new, c_new), A_prev (m, h_prev, w_prev, c_prev), W (kh, kw, c_prev, c_new).

def _padding_word(e):
    return "valid" if e.rule == 0 else "same"


def _hb_camaltra(e, fixed):
    dZ, A_prev, W, padding, stride = nhwc(e.dy), nhwc(e.x), khwcf(e.w), _padding_word(e), (e.s, e.s)
    m, h_prev, w_prev, ch_prev = A_prev.shape
    h_stride, w_stride = stride
    kh, kw, _, _ = W.shape
    _, h_new, w_new, c_new = dZ.shape
    if padding == "same":
        h_pad = int(np.ceil(((h_prev - 1) * h_stride + kh - h_prev) / 2))
        w_pad = int(np.ceil(((w_prev - 1) * w_stride + kw - w_prev) / 2))
    else:
        h_pad, w_pad = 0, 0
    A_prev_padded = np.pad(A_prev, [(0, 0), (h_pad, h_pad), (w_pad, w_pad), (0, 0)], mode="constant")
    dA_padded = np.zeros(shape=A_prev_padded.shape)
    dW = np.zeros(shape=W.shape)
    db = np.sum(dZ, axis=(0, 1, 2), keepdims=True)
    for sample in range(m):
        for h_i in range(h_new):
            for w_i in range(w_new):
                for ch in range(c_new):
                    h_is = h_i * h_stride
                    w_is = w_i * w_stride
                    dA_padded[sample, h_is:h_is + kh, w_is:w_is + kw, :] += W[:, :, :, ch] * dZ[sample, h_i, w_i, ch]
                    dW[:, :, :, ch] += (A_prev_padded[sample, h_is:h_is + kh, w_is:w_is + kw, :]
                                        * dZ[sample, h_i, w_i, ch])
    if padding == "same" and fixed:                      # commit 05fc33e
        dA = dA_padded[:, h_pad:-h_pad, w_pad:-w_pad, :]
    elif padding == "same":                              # commit 00a42d9
        dA = dA_padded[:, h_pad:h_prev - h_pad, w_pad:w_prev - w_pad, :]
    else:
        dA = dA_padded
    return from_nhwc(dA), from_khwcf(dW), db


def _hb_eonvorax(e):
    dZ, A_prev, W, padding, stride = nhwc(e.dy), nhwc(e.x), khwcf(e.w), _padding_word(e), (e.s, e.s)
    m, h_new, w_new, c_new = dZ.shape
    m, h_prev, w_prev, c_prev = A_prev.shape
    kh, kw, c_prev, c_new = W.shape
    sh, sw = stride
    if padding == "same":
        ph = ((h_prev - 1) * sh + kh - h_prev) // 2 + 1
        pw = ((w_prev - 1) * sw + kw - w_prev) // 2 + 1
    elif padding == "valid":
        ph = 0
        pw = 0
    padded_A_prev = np.pad(A_prev, ((0, 0), (ph, ph), (pw, pw), (0, 0)), mode="constant")
    dA = np.zeros(shape=padded_A_prev.shape)
    dW = np.zeros(shape=W.shape)
    db = np.sum(dZ, axis=(0, 1, 2), keepdims=True)
    for i in range(m):
        for h in range(h_new):
            for w in range(w_new):
                for c in range(c_new):
                    v_start = h * sh
                    v_end = v_start + kh
                    h_start = w * sw
                    h_end = h_start + kw
                    dA[i, v_start:v_end, h_start:h_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += padded_A_prev[i, v_start:v_end, h_start:h_end, :] * dZ[i, h, w, c]
    if padding == "same":
        dA = dA[:, ph:-ph, pw:-pw, :]
    return from_nhwc(dA), from_khwcf(dW), db


CLAIMS = {
    "gf-01": _gf_g,
    "gf-02": _gf_h,
    "lo-01": _lo_xy,
    "lo-02": _lo_mn,
    "lo-03": _lo_dw,
    "lo-04": lambda e: e.dy[0],
    "ds-01": _ds_sum,
    "ds-02": lambda e: _ds_star(e.x[0, 0], e.dy[0, 0])[None, None],
    "dr-01": _dr_dw,
    "bd-01": _bd_dw,
    "bd-02": lambda e: _bd_dx(e, True),
    "bd-03": lambda e: _bd_dx(e, False),
    "ic-01": _ic_dw,
    "ic-02": _ic_dx,
    "ic-03": lambda e: e.dy[0],
    "le-01": _le_dx,
    "le-02": _le_dw,
    "le-03": _le_issue,
    "dt-01": _dlt_dx,
    "dt-02": _dlt_dw,
    "dt-03": _dlt_db,
    "ba-01": _ba_dx,
    "ba-02": _ba_dw,
    "yz-01": _yz_single_sum,
    "yz-02": _yz_single_rot,
    "yz-03": _yz_dw,
    "yz-04": lambda e: _yz_strided(e, False),
    "yz-05": lambda e: _yz_strided(e, True),
    "yz-06": lambda e: e.dy[0].sum(axis=(1, 2)),
    "cs-01": lambda e: _cs(e)[0],
    "cs-02": lambda e: _cs(e)[1],
    "cs-03": lambda e: _cs(e)[2],
    "tu-01": lambda e: _tu(e)[1],
    "tu-02": lambda e: _tu(e)[0],
    "lx-01": _lx_dw,
    "lx-02": _lx_dx,
    "lx-03": _lx_loop,
    "dm-01": _course(_with_stride, _plain_w, _unpad_dmrf, 0),
    "dm-02": _course(_with_stride, _plain_w, _unpad_dmrf, 1),
    "dm-03": _course(_with_stride, _plain_w, _unpad_dmrf, 2),
    "dl-01": _course(_with_stride, _plain_w, _unpad_exact, 0),
    "dl-02": _course(_with_stride, lambda W, c: np.rot90(W, 2)[:, :, :, c], _unpad_exact, 0),
    "kb-01": _course(_without_stride, _plain_w, _unpad_hint, 0),
    "kb-02": _course(_without_stride, _plain_w, _unpad_exact, 1),   # dW never reaches the write-back
    "kb-03": _course(_with_stride, _plain_w, _unpad_hint, 0),
    "kb-04": _course(_with_stride, _plain_w, _unpad_exact, 1),
    "mm-01": _mm,
    "cm-01": _cmu1_dw,
    "cm-02": _cmu1_dx,
    "cm-03": lambda e: np.sum(e.dy, axis=(0, 2)),
    "cm-04": _cmu1_strided,
    "cm-05": _cmu2_dx,
    "cm-06": _cmu2_dw,
    "jy-01": _jy_dw,
    "jy-02": _jy_dx,
    "hb-01": lambda e: _hb_camaltra(e, False)[0],
    "hb-02": lambda e: _hb_camaltra(e, True)[0],
    "hb-03": lambda e: _hb_camaltra(e, True)[1],
    "hb-04": lambda e: _hb_eonvorax(e)[0],
    "hb-05": lambda e: _hb_eonvorax(e)[2],
}


# ----------------------------------------------------------------------------- judging

DEFAULTS = {"forward": "correlation", "batch": True, "channels": "multi", "kernel": "rect", "bias": "channel",
            "activation": "none", "strides": [1], "pads": [0], "fit": "any", "loss": "sum"}


def _spec(claim):
    spec = dict(DEFAULTS)
    spec.update(claim.get("draw", {}))
    spec["forward"] = claim["forward"]
    return spec


def _draws(claim):
    """Every (env, truths) a claim is judged on: its source's strides and paddings, exact-fit sizes and (unless
    the source requires an exact fit) sizes with a remainder, two seeds each."""
    spec = _spec(claim)
    exact, remainder, K = SHAPES[(claim["dims"], spec["kernel"])]
    sizes = [exact] + ([remainder] if spec["fit"] == "any" else [])
    for stride in spec["strides"]:
        for rule in spec["pads"]:
            for S in sizes:
                for seed in SEEDS:
                    yield _env(spec, S, K, stride, rule, seed)


def _agrees(value, truth):
    value = np.asarray(value, dtype=float)
    if value.shape != truth.shape:
        if np.squeeze(value).shape != np.squeeze(truth).shape:
            return False, f"shape {value.shape}, truth {truth.shape}"
        value = value.reshape(truth.shape)
    err = float(np.max(np.abs(value - truth))) if truth.size else 0.0
    return err <= TOL * (1 + float(np.max(np.abs(truth)))), f"max error {err:.2g}"


def verdict(claim, fn=None):
    """(holds | fails | ambiguous, why) for one manifest claim over every draw; a reading that raises fails."""
    fn = CLAIMS[claim["id"]] if fn is None else fn
    scale = claim.get("draw", {}).get("loss", "sum")
    per_reading: dict[str, bool] = {}
    why = ""
    for e, t in _draws(claim):
        truth = t[claim["quantity"]] / (e.N if scale == "batch_mean" else 1)
        try:
            got = fn(e)
        except Exception as exc:  # noqa: BLE001 (a transcription that cannot run on a draw fails there)
            got = {"": exc}
        readings = got if isinstance(got, dict) else {"": got}
        for name, value in readings.items():
            if isinstance(value, Exception):
                ok, reason = False, f"raises {type(value).__name__} (stride {e.s}, pad {e.pads})"
            else:
                ok, reason = _agrees(value, truth)
                reason += f" (stride {e.s}, pad {e.pads})"
            if not ok and not why:
                why = reason
            per_reading[name] = per_reading.get(name, True) and ok
    if all(per_reading.values()):
        return "holds", ""
    if not any(per_reading.values()):
        return "fails", why
    return "ambiguous", why


def _self_check() -> None:
    """The finite differences against closed forms they were not built from, and the judge against three
    classic mistakes, on both forwards, in one and two dimensions, with stride and padding."""

    def scatter_dx(e, stride_used, flip_kernel):
        """dx by scattering w * dy into every window (the transposed convolution), stride_used apart."""
        w = e.w[(Ellipsis,) + (slice(None, None, -1),) * len(e.K)] if flip_kernel else e.w
        xp = np.zeros((e.N, e.C) + tuple(h + 2 * q for h, q in zip(e.S, e.pads)))
        for o in np.ndindex(*e.O):
            window = tuple(slice(i * stride_used, i * stride_used + k) for i, k in zip(o, e.K))
            xp[(slice(None), slice(None)) + window] += np.einsum("nf,fc...->nc...", e.dy[(Ellipsis,) + o], w)
        return xp[(slice(None), slice(None)) + tuple(slice(q, q + h) for q, h in zip(e.pads, e.S))]

    def full_corr_dx(e, flip_kernel):
        """Stride 1, pad 0: dx as the full correlation (flip_kernel False) or full convolution of dy with w."""
        dx = np.zeros(e.x.shape)
        for n, c, f in np.ndindex(e.N, e.C, e.F):
            k = np.flip(e.w[f, c]) if not flip_kernel else e.w[f, c]
            dx[n, c] += sp_convolve(e.dy[n, f], k, "full")
        return dx

    for dims, kernel in ((1, "rect"), (2, "rect")):
        for forward in ("correlation", "convolution"):
            flip = forward == "convolution"
            spec = dict(DEFAULTS, forward=forward)
            exact, remainder, K = SHAPES[(dims, kernel)]
            for stride, pad, S in ((1, 0, exact), (2, 1, exact), (2, 0, remainder)):
                e, t = _env(spec, S, K, stride, pad, 0)
                assert _agrees(scatter_dx(e, stride, flip), t["dx"])[0], (dims, forward, stride, pad)
                # dw and db in closed form: the correlation of the padded input with dy, and dy summed
                xp = np.pad(e.x, [(0, 0), (0, 0)] + [(q, q) for q in e.pads])
                dw = np.zeros(e.w.shape)
                for k in np.ndindex(*e.K):
                    win = tuple(slice(k[a], k[a] + stride * (e.O[a] - 1) + 1, stride) for a in range(dims))
                    axes = [0] + list(range(2, 2 + dims))
                    dw[(slice(None), slice(None)) + k] = np.tensordot(e.dy, xp[(slice(None),) * 2 + win], (axes, axes))
                if flip:
                    dw = dw[(Ellipsis,) + (slice(None, None, -1),) * dims]
                assert _agrees(dw, t["dw"])[0] and _agrees(e.dy.sum(axis=(0,) + tuple(range(2, 2 + dims))), t["db"])[0]
                # negative controls: the unflipped-kernel dx, and (at stride 2) the stride-ignored dx
                assert not _agrees(scatter_dx(e, stride, not flip), t["dx"])[0], "the other forward's dx accepted"
                if stride > 1:
                    assert not _agrees(scatter_dx(e, 1, flip), t["dx"])[0], "the stride-ignored dx accepted"
                # dW as a convolution instead of a correlation (the kernel gradient flipped)
                assert not _agrees(dw[(Ellipsis,) + (slice(None, None, -1),) * dims], t["dw"])[0], "flipped dW accepted"
            e, t = _env(spec, exact, K, 1, 0, 1)
            assert _agrees(full_corr_dx(e, not flip), t["dx"])[0]
            assert not _agrees(full_corr_dx(e, flip), t["dx"])[0], "kernel not flipped in dx accepted"
    # the activation path: dz = dx * sigma'(z)
    spec = dict(DEFAULTS, activation="tanh")
    e, t = _env(spec, (7, 6), (3, 2), 2, 1, 0)
    assert _agrees(t["dx"] * e.fprime, t["dz"])[0]


def _le_dw_rotated(e):
    """le-02 with the 180-degree rotation it meant: input_map[imgId][cId][::-1, ::-1]."""
    kernal_gradient = np.zeros(e.w.shape)
    for imgId, cId, kId in np.ndindex(e.N, e.C, e.F):
        kernal_gradient[kId][cId] += sp_convolve(e.dy[imgId][kId], e.x[imgId][cId][::-1, ::-1], mode="valid")
    return kernal_gradient


# Each failing claim, repaired at exactly the mistake its note names, must hold on the same draws: the verdict
# is then the named mistake's and not some other slip of the transcription.
REPAIRS = {
    "bd-03": lambda e: _bd_dx(e, False, flip_shift=1),        # W_{K-1-alpha, K-1-beta}
    "le-02": _le_dw_rotated,
    "le-03": _le_dw_rotated,                                  # '+=', the rotation, mode 'valid'
    "dm-01": _course(_with_stride, _plain_w, _unpad_exact, 0),
    "dl-02": _course(_with_stride, _plain_w, _unpad_exact, 0),
    "kb-01": _course(_with_stride, _plain_w, _unpad_hint, 0),
    "kb-02": _course(_with_stride, _plain_w, _unpad_exact, 1),
    "kb-03": _course(_with_stride, _plain_w, _unpad_exact, 0),
    "hb-01": lambda e: _hb_camaltra(e, True)[0],
}


def _check_repairs(claims) -> list[str]:
    """Every repair holds; returns the failing claims of the manifest that have none (each one a disagreement)."""
    by_id = {c["id"]: c for c in claims}
    for cid, fn in REPAIRS.items():
        assert verdict(by_id[cid], fn)[0] == "holds", f"{cid} repaired still fails"
    return [c["id"] for c in claims if c["truth"] == "fails" and c["id"] not in REPAIRS]


def _stats(claims):
    return {
        "claims": len(claims),
        "hold": sum(c["truth"] == "holds" for c in claims),
        "fail": sum(c["truth"] == "fails" for c in claims),
        "1-D": sum(c["dims"] == 1 for c in claims),
        "2-D": sum(c["dims"] == 2 for c in claims),
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
    _self_check()
    unrepaired = _check_repairs(claims)
    bad = []
    print(f"{'id':7} {'dims':4} {'forward':12} {'quantity':8} {'manifest':9} {'numeric':9} why")
    for c in claims:
        v, why = verdict(c)
        mark = "" if v == c["truth"] else "   <-- DISAGREES"
        if mark:
            bad.append(c["id"])
        print(f"{c['id']:7} {c['dims']:<4} {c['forward']:12} {c['quantity']:8} {c['truth']:9} {v:9} {why}{mark}")
    s = _stats(claims)
    print(f"\n{s['claims']} claims ({s['1-D']} 1-D, {s['2-D']} 2-D; {s['latex']} LaTeX, {s['code']} code): "
          f"{s['hold']} hold, {s['fail']} fail; {s['sources']} sources, {s['urls']} URLs")
    if unrepaired:
        print("failing claims with no repair in REPAIRS:", ", ".join(unrepaired))
    if bad or unrepaired:
        print("disagreements:", ", ".join(dict.fromkeys(bad + unrepaired)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
