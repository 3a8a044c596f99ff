"""Numeric truth of every claim in claims.toml, decided outside derive.

Each claim's formula is written again below as a Python function of the layer's arrays (transcribed by hand
from the source: that transcription is the independent reading; PyTorch calls by NumPy code with the same
semantics). The true value of the gradient it claims is the central finite difference of the forward pass
its own source defines:

    y[..., :] = W[x[...], :]        a lookup of the rows of the table W (V words by D) at the token ids x

(x of shape (N,) or (N, T), as the source has it), fed to the loss l = sum(c * y + d * y^2 / 2), so the
upstream gradient dl/dy = c + d * y differs entry by entry. Every draw repeats tokens, inside one sequence
and across the batch, and leaves some words unused (word 0 always; their rows must get 0); one of the two seeds
leaves the largest id unused, the other uses it. A claim holds when it agrees with the finite differences on every draw.
Run: python tests/corpora/embedding/truth.py. It prints a table and exits 1 when a verdict differs from the
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
H = 1e-5      # finite-difference step (the lookup is linear and the loss quadratic, so the differences are exact
TOL = 1e-6    # up to rounding); relative to 1 + max |truth|

# the token ids' shapes and the table's sizes: V words, D wide
SHAPES = {"flat": (8,), "seq": (3, 4), "block": (5, 3)}
VOCAB = {"small": (7, 3), "makemore": (27, 2)}   # makemore: 27 characters, as the lecture and two issues fix it


# ----------------------------------------------------------------------------- the forward definition

def _loss(p, y):
    axes = tuple(range(y.ndim - p.y_ndim, y.ndim))
    return np.sum(p.c * y + 0.5 * p.d * y * y, axis=axes)


def _fd(losses_of, a):
    """Central finite differences of a scalar function at the array a; losses_of maps a stack (M, *a.shape)
    of perturbed copies to their M losses (one evaluation for all entries)."""
    n = a.size
    eye = np.eye(n).reshape((n,) + a.shape) * H
    up, down = losses_of(a[None] + eye), losses_of(a[None] - eye)
    return ((up - down) / (2 * H)).reshape(a.shape)


def _tokens(rng, shape, V, seed):
    """Ids with repeats in the first sequence and across the batch, word 0 never used; the largest id is unused
    on seed 0 and used on seed 1."""
    x = rng.integers(1, V - 1, size=shape)
    flat = x.reshape(-1)
    flat[1] = flat[0]                         # a repeat inside the first sequence
    flat[-1] = flat[0]                        # and one across the batch
    if seed == 1:
        flat[2] = V - 1
    return x


def _draw(spec, seed):
    V, D = VOCAB[spec["vocab"]]
    shape = SHAPES[spec["shape"]]
    rng = np.random.default_rng([seed, V, len(shape)])
    p = SimpleNamespace(V=V, D=D)
    p.x = _tokens(rng, shape, V, seed)
    p.W = rng.uniform(-1, 1, (V, D))
    if spec["loss"] == "sum":                # L = sum(y): the upstream gradient is all ones
        p.c, p.d = np.ones(shape + (D,)), np.zeros(shape + (D,))
    else:
        p.c = rng.uniform(-1, 1, shape + (D,))
        p.d = rng.uniform(0.2, 1, shape + (D,))
    p.y_ndim = len(shape) + 1
    return p


_CACHE: dict = {}


def _env(spec, seed):
    key = (spec["shape"], spec["vocab"], spec["loss"], seed)
    if key not in _CACHE:
        p = _draw(spec, seed)
        t = _fd(lambda Ws: _loss(p, Ws[:, p.x]), p.W)     # y = W[x], for a stack of tables
        e = SimpleNamespace(**vars(p))
        e.y = p.W[p.x]
        e.dy = p.c + p.d * e.y               # dl/dy: the layer's upstream gradient
        _CACHE[key] = (e, t)
    return _CACHE[key]


# ----------------------------------------------------------------------------- PyTorch's calls, in NumPy

def one_hot(ids, num_classes=-1):
    """torch.nn.functional.one_hot: num_classes -1 means max(ids) + 1."""
    n = int(ids.max()) + 1 if num_classes == -1 else num_classes
    return np.eye(n, dtype=np.int64)[ids]


def index_add(dest, index, source):
    """torch.Tensor.index_add(0, index, source): a copy of dest with source's rows added at index, repeats too."""
    out = dest.copy()
    np.add.at(out, index, source)
    return out


# ----------------------------------------------------------------------------- the claims, transcribed
# Deep Learning from Scratch 2 (oreilly-japan/deep-learning-from-scratch-2), common/layers.py Embedding.

def _dlfs2(e):
    dW = np.zeros_like(e.W)                  # self.grads = [np.zeros_like(W)]
    idx, dout = e.x, e.dy
    dW[...] = 0
    np.add.at(dW, idx, dout)                 # the CPU branch (GPU: np.scatter_add, the same)
    return dW


# imguru-mooc/deep_learning_nlp, the Embedding cells (In [7], In [8], In [9]): the book's three backward passes.

def _imguru(e, cell):
    dW = np.zeros_like(e.W)
    idx, dout = e.x, e.dy
    dW[...] = 0
    if cell == 7:
        dW[idx] = dout
    elif cell == 8:
        for i, word_id in enumerate(idx):
            dW[word_id] += dout[i]
    else:
        np.add.at(dW, idx, dout)
    return dW


# torchedup.dev backprop-embedding: L = sum(W[indices]), so every upstream entry is 1.

def _torchedup(e):
    indices, (vocab_size, embed_dim) = e.x, e.W.shape
    dW = np.zeros((vocab_size, embed_dim))
    for i in range(vocab_size):
        k = int(np.sum(indices == i))        # token i appears k times in indices
        dW[i] = k * np.ones(embed_dim)       # indices that don't appear get zero rows (k = 0)
    return dW


# ShinYwings/algorithm-implementations RNN/BasicRNN/embedding.py: x the ids of one step, (N,).

def _shin(e, one_hot_ids=False):
    W, dout = e.W, e.dy
    x = np.eye(e.V)[e.x] if one_hot_ids else e.x
    grads = [np.zeros_like(W)]
    dW = np.matmul(x.T, dout)
    grads[0][...] = dW
    return grads[0]


# karpathy/nn-zero-to-hero, makemore part 4: C (27, n_embd), Xb (batch, block_size), emb = C[Xb].

def _makemore_loop(e):
    C, Xb, demb = e.W, e.x, e.dy
    dC = np.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    return dC


def _issue57(e):
    C, Xb, demb = e.W, e.x, e.dy
    dC = np.zeros_like(C)
    for k in range(Xb.shape[0]):
        dC[Xb[k]] += demb[k]                 # torch and numpy alike: a repeated id gets one of its rows
    return dC


def _issue55(e, num_classes=-1):
    Xb, demb = e.x, e.dy
    return (np.swapaxes(one_hot(Xb, num_classes).astype(float), 1, 2) @ demb).sum(0)


def _issue55_einsum(e):
    Xb, demb, vocab_size = e.x, e.dy, e.V
    Xb_ohe = one_hot(Xb, num_classes=vocab_size).astype(float)
    return np.einsum("ble,blv->ve", demb, Xb_ohe)


def _issue55_index_add(e):
    C, Xb, demb = e.W, e.x, e.dy
    n_embd = C.shape[1]
    return index_add(np.zeros_like(C), Xb.reshape(-1), demb.reshape(-1, n_embd))


def _issue29(e):
    Xb, demb = e.x, e.dy
    one_hot_Xb = one_hot(Xb, 27).reshape((Xb.shape[0] * Xb.shape[1], 27)).astype(float)
    return one_hot_Xb.T @ demb.reshape((demb.shape[0] * demb.shape[1], demb.shape[2]))


def _issue29_tensordot(e):
    Xb, d_emb = e.x, e.dy
    Xb_1hot = one_hot(Xb, 27).astype(float)
    return np.tensordot(Xb_1hot, d_emb, axes=([0, 1], [0, 1]))


# torchref.utils.autograd_ops _GatherWithIndexAdd.backward: buffer[indices], indices 1-D.

def _torchref(e):
    indices, grad_out = e.x, e.dy
    grad_buffer = np.zeros(e.W.shape)
    np.add.at(grad_buffer, indices, grad_out)   # grad_buffer.index_add_(0, indices, grad_out)
    return grad_buffer


# CS231n word_embedding_backward: x (N, T), W (V, D), dout (N, T, D).

def _cs231n_add_at(e):
    x, W, dout = e.x, e.W, e.dy
    dW = np.zeros_like(W)
    np.add.at(dW, x, dout)
    return dW


def _cs231n_loop(e):
    x, W, dout = e.x, e.W, e.dy
    dW = np.zeros_like(W)
    N, T = x.shape
    for n in range(N):
        for t in range(T):
            dW[x[n, t], :] += dout[n, t, :]
    return dW


def _cs231n_loop_add_at(e):
    x, W, dout = e.x, e.W, e.dy
    N, T = x.shape
    dW = np.zeros(W.shape)
    for n in range(N):
        for t in range(T):
            np.add.at(dW, x[n, t], dout[n, t])
    return dW


CLAIMS = {
    "ds-01": _dlfs2,
    "ch-01": _dlfs2,                         # the same two lines (dW[...] = 0; np.add.at(dW, self.idx, dout))
    "im-01": lambda e: _imguru(e, 7),
    "im-02": lambda e: _imguru(e, 8),
    "im-03": lambda e: _imguru(e, 9),
    "tu-01": _torchedup,
    "sy-01": _shin,
    "kp-01": _makemore_loop,
    "kp-02": _issue57,
    "kp-03": _issue55,
    "kp-04": _issue55_einsum,
    "kp-05": _issue55_index_add,
    "kp-06": _issue29,
    "kp-07": _issue29_tensordot,
    "tr-01": _torchref,
    "cs-01": _cs231n_add_at,
    "cs-02": _cs231n_loop,
    "cs-03": _cs231n_loop_add_at,
}


# ----------------------------------------------------------------------------- judging

DEFAULTS = {"shape": "seq", "vocab": "small", "loss": "quadratic"}


def _spec(claim):
    spec = dict(DEFAULTS)
    spec.update(claim.get("draw", {}))
    return spec


def _agrees(value, truth):
    value = np.asarray(value, dtype=float)
    if value.shape != truth.shape:
        return False, f"shape {value.shape}, truth {truth.shape}"
    err = float(np.max(np.abs(value - truth)))
    return err <= TOL * (1 + float(np.max(np.abs(truth)))), f"max error {err:.2g}"


def verdict(claim, fn=None):
    """(holds | fails, why) for one manifest claim over every draw; a transcription that raises fails."""
    fn = CLAIMS[claim["id"]] if fn is None else fn
    spec = _spec(claim)
    for seed in SEEDS:
        e, t = _env(spec, seed)
        where = f" (ids {e.x.shape}, V {e.V}, seed {seed})"
        try:
            ok, why = _agrees(fn(e), t)
        except Exception as exc:  # noqa: BLE001 (a transcription that cannot run on a draw fails there)
            ok, why = False, f"raises {type(exc).__name__}"
        if not ok:
            return "fails", why + where
    return "holds", ""


def _self_check() -> None:
    """The finite differences against the closed form they were not built from, and the judge against the
    classic mistakes: fancy-index '+=' and '=' with repeated ids, and the ids multiplied in as if one-hot."""
    for shape in SHAPES:
        for vocab in VOCAB:
            for seed in SEEDS:
                e, t = _env(dict(DEFAULTS, shape=shape, vocab=vocab), seed)
                X = np.eye(e.V)[e.x].reshape(-1, e.V)           # the one-hot rows of the tokens
                assert _agrees(X.T @ e.dy.reshape(-1, e.D), t)[0], (shape, vocab, seed)
                unused = np.setdiff1d(np.arange(e.V), e.x)
                assert len(unused) and not t[unused].any(), "an unused word's row is not 0"
                assert (e.V - 1 in e.x) == (seed == 1), "the largest id is not drawn as intended"
                wrong = np.zeros_like(e.W)
                wrong[e.x] += e.dy                              # repeated ids collapse
                assert not _agrees(wrong, t)[0], "fancy-index += accepted"
                wrong = np.zeros_like(e.W)
                wrong[e.x] = e.dy
                assert not _agrees(wrong, t)[0], "fancy-index = accepted"
                if e.x.ndim == 1:
                    assert not _agrees(np.broadcast_to(e.x @ e.dy, e.W.shape), t)[0], "ids as one-hot accepted"


# Each failing claim, repaired at exactly the mistake its note names, must hold on the same draws.
REPAIRS = {
    "im-01": lambda e: _imguru(e, 9),                    # the notebook's own np.add.at (In [9])
    "sy-01": lambda e: _shin(e, one_hot_ids=True),       # the one-hot matrix of the ids, not the ids
    "kp-02": _makemore_loop,                             # the issue's own answer: one id at a time
    "kp-03": lambda e: _issue55(e, num_classes=e.V),     # one_hot(Xb, 27)
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
        assert c["kind"] == "embedding" and c["quantity"] == "dW", c["id"]
    _self_check()
    unrepaired = _check_repairs(claims)
    bad = []
    print(f"{'id':7} {'ids':6} {'manifest':9} {'numeric':9} why")
    for c in claims:
        v, why = verdict(c)
        mark = "" if v == c["truth"] else "   <-- DISAGREES"
        if mark:
            bad.append(c["id"])
        print(f"{c['id']:7} {_spec(c)['shape']:6} {c['truth']:9} {v:9} {why}{mark}")
    s = _stats(claims)
    print(f"\n{s['claims']} claims ({s['latex']} LaTeX, {s['code']} code): {s['hold']} hold, {s['fail']} fail; "
          f"{s['sources']} sources, {s['urls']} URLs")
    if unrepaired:
        print("failing claims with no repair in REPAIRS:", ", ".join(unrepaired))
    if bad or unrepaired:
        print("disagreements:", ", ".join(dict.fromkeys(bad + unrepaired)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
