"""Numeric truth of every claim in claims.toml, decided outside derive.

Each claim's formula is written again below as a Python function of the layer's arrays (transcribed by hand
from the source: that transcription is the independent reading). The true value of the quantity it claims is
the central finite difference of the forward pass its own source defines:

    S = tau Q K^T          (tau = 1/sqrt(d_k), 1, or a source's own tau)
    P = softmax(MASK(S))   row by row over the keys; MASK puts -inf where a query may not see a key
    O = P V

(optionally with the sequence reordered before and restored after, as one source does, or with Q, K, V the
projections X W of inputs X, as another does), fed to the loss l = sum(c * O + d * O^2 / 2), so the upstream
gradient dl/dO = c + d * O differs entry by entry (c = 1, d = 0 where a source fixes L = sum(O)). The
intermediate quantities are differentiated in their own right: dP is dl/dP with O = P V, and dS is dl/dS
for the scores S that enter the mask and the softmax (zero where the mask hides a key). A formula that takes
such a quantity as given (`uses`) is handed its true value, so each claim is judged on its own.
Arrays are kept in one layout, Q (B, H, n_q, d_k), K (B, H, n_k, d_k), V (B, H, n_k, d_v); a transcription
takes one head where its source has one, or converts to its source's layout (llm.c's packed (B, T, 3C)).
A claim holds when it agrees with the finite differences on every draw (two sizes, two seeds, and every tau
and mask its source allows). Run: python tests/corpora/attention/truth.py. It prints a table and exits 1
when a verdict differs from the manifest's `truth`.
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
H = 1e-5      # finite-difference step; attention is smooth, so central differences are exact to ~H^2
TOL = 1e-6    # relative to 1 + max |truth|

# (queries, keys, d_k, d_v), two sizes each: "self" has as many queries as keys and d_v = d_k (the N x d of
# FlashAttention); "cross" has unequal counts and d_v != d_k where a source allows it
SHAPES = {"self": ((4, 4, 3, 3), (5, 5, 2, 2)), "cross": ((3, 5, 2, 4), (4, 3, 3, 2))}
D_MODEL = 4   # the inputs' width, for the source that projects X W^Q, X W^K, X W^V


# ----------------------------------------------------------------------------- the forward definition

def softmax_rows(S, M):
    """softmax over the last axis of S with -inf where the 0/1 mask M is 0."""
    S = np.where(M, S, -np.inf)
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _scores(p, Q, K):
    return p.tau * Q @ np.swapaxes(K, -1, -2)


def _output(p, Q, K, V):
    """O for stacks of Q, K, V (leading axes broadcast), in the order the source computes it."""
    if p.perm is not None:                   # reorder the sequence, attend, restore the order
        Q, K, V = Q[..., p.perm, :], K[..., p.perm, :], V[..., p.perm, :]
        return (softmax_rows(_scores(p, Q, K), p.M[np.ix_(p.perm, p.perm)]) @ V)[..., p.inv, :]
    return softmax_rows(_scores(p, Q, K), p.M) @ V


def _loss(p, O):
    axes = tuple(range(O.ndim - 4, O.ndim))
    return np.sum(p.c * O + 0.5 * p.d * O * O, axis=axes)


def _fd(losses_of, a):
    """Central finite differences of a scalar function at the array a; losses_of maps a stack (M, *a.shape)
    of perturbed copies to their M losses (one evaluation for all entries)."""
    n = a.size
    eye = np.eye(n).reshape((n,) + a.shape) * H
    up, down = losses_of(a[None] + eye), losses_of(a[None] - eye)
    return ((up - down) / (2 * H)).reshape(a.shape)


def _mask(kind, nq, nk, rng):
    if kind == "none":
        return np.ones((nq, nk), dtype=bool)
    if kind == "causal":
        return np.tril(np.ones((nq, nk), dtype=bool))
    M = rng.uniform(size=(nq, nk)) < 0.6     # a key-padding-like mask: every query keeps at least one key
    M[np.arange(nq), rng.integers(0, nk, nq)] = True
    return M


def _draw(spec, size, tau, seed):
    nq, nk, dk, dv = size
    B, Hh = (2, 2) if spec["heads"] else (1, 1)
    rng = np.random.default_rng([seed, nq, nk, dk, dv, B, 0 if tau == "sqrt" else 1, len(spec["mask"])])
    p = SimpleNamespace(B=B, H=Hh, nq=nq, nk=nk, dk=dk, dv=dv)
    p.tau = {"sqrt": 1 / math.sqrt(dk), "none": 1.0}.get(tau, tau)
    p.M = _mask(spec["mask"], nq, nk, rng)
    p.perm = rng.permutation(nq) if spec["permute"] else None
    p.inv = None if p.perm is None else np.argsort(p.perm)
    if spec["project"]:
        p.Xq, p.Xk, p.Xv = (rng.uniform(-1, 1, (B, Hh, n, D_MODEL)) for n in (nq, nk, nk))
        p.Wq, p.Wk = rng.uniform(-1, 1, (D_MODEL, dk)), rng.uniform(-1, 1, (D_MODEL, dk))
        p.Wv = rng.uniform(-1, 1, (D_MODEL, dv))
        p.Q, p.K, p.V = p.Xq @ p.Wq, p.Xk @ p.Wk, p.Xv @ p.Wv
    else:
        p.Q = rng.uniform(-1.5, 1.5, (B, Hh, nq, dk))
        p.K = rng.uniform(-1.5, 1.5, (B, Hh, nk, dk))
        p.V = rng.uniform(-1.5, 1.5, (B, Hh, nk, dv))
    if spec["loss"] == "sum":                # L = sum(O): the upstream gradient is all ones
        p.c, p.d = np.ones((B, Hh, nq, dv)), np.zeros((B, Hh, nq, dv))
    else:
        p.c, p.d = rng.uniform(-1, 1, (B, Hh, nq, dv)), rng.uniform(0.2, 1, (B, Hh, nq, dv))
    return p


def _truths(p):
    """Every quantity's true value, each by finite differences of the source's forward."""
    Q, K, V = p.Q, p.K, p.V
    S = _scores(p, Q, K)
    P = softmax_rows(S, p.M)
    t = {"dQ": _fd(lambda s: _loss(p, _output(p, s, K, V)), Q),
         "dK": _fd(lambda s: _loss(p, _output(p, Q, s, V)), K),
         "dV": _fd(lambda s: _loss(p, _output(p, Q, K, s)), V),
         "dP": _fd(lambda s: _loss(p, s @ V), P),
         "dS": _fd(lambda s: _loss(p, softmax_rows(s, p.M) @ V), S)}
    if hasattr(p, "Xq"):
        t["dWq"] = _fd(lambda s: _loss(p, _output(p, p.Xq @ s[:, None, None], K, V)), p.Wq)
        t["dWk"] = _fd(lambda s: _loss(p, _output(p, Q, p.Xk @ s[:, None, None], V)), p.Wk)
        t["dWv"] = _fd(lambda s: _loss(p, _output(p, Q, K, p.Xv @ s[:, None, None])), p.Wv)
    return t, S, P


_CACHE: dict = {}


def _env(spec, size, tau, seed):
    key = (spec["heads"], spec["mask"], spec["permute"], spec["project"], spec["loss"], size, tau, seed)
    if key not in _CACHE:
        p = _draw(spec, size, tau, seed)
        t, S, P = _truths(p)
        e = SimpleNamespace(**vars(p))
        e.S, e.P = S, P
        e.O = _output(p, p.Q, p.K, p.V)
        e.dO = p.c + p.d * e.O               # dl/dO: the layer's upstream gradient
        e.dP_true, e.dS_true = t["dP"], t["dS"]   # the true values, for `uses`
        _CACHE[key] = (e, t)
    return _CACHE[key]


def one(e):
    """The single head (B = H = 1) of a draw as plain matrices: Q, K, V, dO, P."""
    return e.Q[0, 0], e.K[0, 0], e.V[0, 0], e.dO[0, 0], e.P[0, 0]


# ----------------------------------------------------------------------------- the claims, transcribed
# Dao et al. 2022 (FlashAttention), appendix B. Algorithm 0/3 and B.2: S = Q K^T (no scale), P = softmax(S).

def _fa_dv(e):
    _, _, _, dO, P = one(e)
    return P.T @ dO                                       # Algorithm 3, line 1


def _fa_ds(e):
    P, dP = e.P[0, 0], e.dP_true[0, 0]
    return P * (dP - np.sum(P * dP, axis=1, keepdims=True))   # dS_ij = P_ij(dP_ij - sum_l P_il dP_il)


def _fa_dq(e):
    return e.dS_true[0, 0] @ e.K[0, 0]                    # line 4: dQ = dS K


def _fa_dk(e):
    return e.dS_true[0, 0].T @ e.Q[0, 0]                  # line 5: dK = dS^T Q


def _fa_b2(e, wrt):
    """Eq. (4)-(6): P_ij = e^{q_i^T k_j} / L_i, D_i = do_i^T o_i, dq_i and dk_j as sums over rows."""
    Q, K, V, dO, _ = one(e)
    N = Q.shape[0]
    L = np.array([sum(math.exp(Q[i] @ K[j]) for j in range(K.shape[0])) for i in range(N)])   # (1)
    P = np.array([[math.exp(Q[i] @ K[j]) / L[i] for j in range(K.shape[0])] for i in range(N)])
    o = P @ V                                                                               # (2)
    D = np.array([dO[i] @ o[i] for i in range(N)])                                          # (4)
    if wrt == "q":
        return np.array([sum(P[i, j] * (dO[i] @ V[j] - D[i]) * K[j] for j in range(K.shape[0]))
                         for i in range(N)])                                               # (5)
    return np.array([sum(P[i, j] * (dO[i] @ V[j] - D[i]) * Q[i] for i in range(N))
                     for j in range(K.shape[0])])                                          # (6)


def _fa_alg4(e, Br=2, Bc=3):
    """Algorithm 4 with p_drop = 0 (every Z_ij = 1), the forward's statistics m, l as Algorithm 2 leaves them."""
    Q, K, V, dO, _ = one(e)
    tau, N = e.tau, Q.shape[0]
    Sm = np.where(e.M, tau * Q @ K.T, -np.inf)
    m = Sm.max(axis=1)
    l_ = np.exp(Sm - m[:, None]).sum(axis=1)
    O = (np.exp(Sm - m[:, None]) / l_[:, None]) @ V
    dQ, dK, dV = np.zeros(Q.shape), np.zeros(K.shape), np.zeros(V.shape)
    for j in range(math.ceil(N / Bc)):
        cj = slice(j * Bc, min((j + 1) * Bc, N))
        Kj, Vj = K[cj], V[cj]
        dKj, dVj = np.zeros(Kj.shape), np.zeros(Vj.shape)
        for i in range(math.ceil(N / Br)):
            ri = slice(i * Br, min((i + 1) * Br, N))
            Qi, Oi, dOi, li, mi = Q[ri], O[ri], dO[ri], l_[ri], m[ri]
            Sij = tau * Qi @ Kj.T
            Sij_masked = np.where(e.M[ri, cj], Sij, -np.inf)
            Pij = np.diag(1 / li) @ np.exp(Sij_masked - mi[:, None])
            Zij = np.ones(Pij.shape)
            Pij_dropped = Pij * Zij
            dVj = dVj + Pij_dropped.T @ dOi
            dPij_dropped = dOi @ Vj.T
            dPij = dPij_dropped * Zij
            Di = np.sum(dOi * Oi, axis=1)
            dSij = Pij * (dPij - Di[:, None])
            dQ[ri] = dQ[ri] + tau * dSij @ Kj
            dKj = dKj + tau * dSij.T @ Qi
        dK[cj], dV[cj] = dKj, dVj
    return dQ, dK, dV


# totalvariation.github.io, Learning the Backward Pass of FlashAttention: S = Q K^T, no scale.

def _tv_ds(e):
    P, dP = e.P[0, 0], e.dP_true[0, 0]
    jac = np.array([(np.diag(P[i]) - np.outer(P[i], P[i])) @ dP[i] for i in range(P.shape[0])])
    last = np.array([P[i] * dP[i] - (P[i] @ dP[i]) * P[i] for i in range(P.shape[0])])
    return {"(diag(P_i) - P_i P_i^T) dP_i": jac, "P_i o dP_i - (P_i^T dP_i) P_i": last}


# planckeon/attn-as-bilinear-form: S^{ij} = Q^{ia} K^{ja} / sqrt(d_k), repeated indices summed.

def _pk_index(e, which):
    Q, K, _, dO, A = one(e)
    dA, dS, r = e.dP_true[0, 0], e.dS_true[0, 0], 1 / math.sqrt(Q.shape[1])
    if which == "V":
        return np.einsum("im,in->mn", A, dO)              # dL/dV^{mn} = A^{im} dL/dO^{in}
    if which == "S":
        return A * (dA - np.einsum("ik,ik->i", A, dA)[:, None])
    if which == "Q":
        return r * np.einsum("kj,jl->kl", dS, K)          # (1/sqrt(d_k)) dL/dS^{kj} K^{jl}
    return r * np.einsum("ik,il->kl", dS, Q)              # (1/sqrt(d_k)) dL/dS^{ik} Q^{il}


def _pk_code(e):
    Q, K, V, dL_dO, A = one(e)
    d_k = Q.shape[-1]
    scale = 1.0 / math.sqrt(d_k)
    dL_dV = A.T @ dL_dO
    dL_dA = dL_dO @ V.T
    sum_term = (A * dL_dA).sum(axis=-1, keepdims=True)
    dL_dS = A * (dL_dA - sum_term)
    dL_dQ = scale * dL_dS @ K
    dL_dK = scale * dL_dS.T @ Q
    return dL_dQ, dL_dK, dL_dV


# uesina15-max/Transformer-algorithm-application-numpy-: heads (B, h, T, d_k), A = Q K^T / sqrt(d_k).

def _ue_da(e):
    Ahat, dAhat = e.P, e.dP_true
    ones = np.ones(Ahat.shape[-1])
    row = (dAhat @ ones)[..., None]                     # delta Ahat . 1: the row sums of delta Ahat
    return {"Ahat (delta Ahat 1), a matrix product, broadcast along a row": Ahat * (dAhat - Ahat @ row),
            "Ahat o (delta Ahat 1), entrywise": Ahat * (dAhat - Ahat * row)}


def _ue_code(e):
    q, k, v, attn, grad_y = e.Q, e.K, e.V, e.P, e.dO
    d_k = q.shape[-1]
    grad_v = np.matmul(attn.transpose(0, 1, 3, 2), grad_y)
    grad_attn = np.matmul(grad_y, v.transpose(0, 1, 3, 2))
    grad_scores = attn * (grad_attn - np.sum(grad_attn * attn, axis=-1, keepdims=True))
    grad_q = np.matmul(grad_scores, k) / np.sqrt(d_k)
    grad_k = np.matmul(grad_scores.transpose(0, 1, 3, 2), q) / np.sqrt(d_k)
    return grad_q, grad_k, grad_v


# karpathy/llm.c train_gpt2.c attention_backward: inp (B, T, 3C) holds Q, K, V; head h at h*hs; causal.

def _llmc(e):
    B, NH, T, hs = e.Q.shape
    C = NH * hs
    C3 = C * 3
    inp = np.concatenate([np.moveaxis(a, 1, 2).reshape(B, T, C) for a in (e.Q, e.K, e.V)], axis=2)
    dout = np.moveaxis(e.dO, 1, 2).reshape(B, T, C)
    att = e.P                                           # (B, NH, T, T): the forward's cached att
    dinp = np.zeros(inp.shape)
    datt, dpreatt = np.zeros(att.shape), np.zeros(att.shape)
    flat_inp, flat_dinp = inp.reshape(-1), dinp.reshape(-1)
    scale = 1.0 / math.sqrt(hs)
    for b in range(B):
        for t in range(T):
            for h in range(NH):
                att_bth, datt_bth, dpreatt_bth = att[b, h, t], datt[b, h, t], dpreatt[b, h, t]
                dquery_t = b * T * C3 + t * C3 + h * hs          # offsets into the flat arrays
                query_t = dquery_t
                dout_bth = dout[b, t, h * hs:(h + 1) * hs]
                for t2 in range(t + 1):
                    value_t2 = b * T * C3 + t2 * C3 + h * hs + C * 2
                    for i in range(hs):
                        datt_bth[t2] += flat_inp[value_t2 + i] * dout_bth[i]
                        flat_dinp[value_t2 + i] += att_bth[t2] * dout_bth[i]
                for t2 in range(t + 1):
                    for t3 in range(t + 1):
                        indicator = 1.0 if t2 == t3 else 0.0
                        local_derivative = att_bth[t2] * (indicator - att_bth[t3])
                        dpreatt_bth[t3] += local_derivative * datt_bth[t2]
                for t2 in range(t + 1):
                    key_t2 = b * T * C3 + t2 * C3 + h * hs + C
                    for i in range(hs):
                        flat_dinp[dquery_t + i] += flat_inp[key_t2 + i] * dpreatt_bth[t2] * scale
                        flat_dinp[key_t2 + i] += flat_inp[query_t + i] * dpreatt_bth[t2] * scale
    dq, dk, dv = (np.moveaxis(dinp[:, :, j * C:(j + 1) * C].reshape(B, T, NH, hs), 2, 1) for j in range(3))
    return dq, dk, dv


# DarcStar-Solutions-Tech/dilated-attention-pytorch, docs/guides/custom-backward-kernels-guide.md (torch).

def _dm_custom(e):
    Q, K, V, grad_output, scale = e.Q, e.K, e.V, e.dO, e.tau
    attn_weights = softmax_rows(Q @ np.swapaxes(K, -2, -1) * scale, e.M)
    grad_V = attn_weights.swapaxes(-2, -1) @ grad_output
    grad_attn = grad_output @ V.swapaxes(-2, -1)
    grad_scores = grad_attn * attn_weights
    sum_grad = grad_scores.sum(axis=-1, keepdims=True)
    grad_scores = attn_weights * (grad_scores - sum_grad)
    grad_Q = grad_scores @ K * scale
    grad_K = grad_scores.swapaxes(-2, -1) @ Q * scale
    return grad_Q, grad_K, grad_V


def _dm_custom_fixed(e):
    """The same with the softmax backward the guide's ring-attention code writes: grad_scores - attn * sum_grad."""
    Q, K, V, grad_output, scale = e.Q, e.K, e.V, e.dO, e.tau
    attn_weights = softmax_rows(Q @ np.swapaxes(K, -2, -1) * scale, e.M)
    grad_attn = grad_output @ V.swapaxes(-2, -1)
    grad_scores = grad_attn * attn_weights
    sum_grad = grad_scores.sum(axis=-1, keepdims=True)
    grad_scores = grad_scores - attn_weights * sum_grad
    return grad_scores @ K * scale, grad_scores.swapaxes(-2, -1) @ Q * scale


def _dm_hilbert(e):
    Q, K, V, grad_output = e.Q, e.K, e.V, e.dO
    hilbert_indices, inv_indices = e.perm, e.inv
    dim = Q.shape[-1]
    Q_h, K_h = Q[..., hilbert_indices, :], K[..., hilbert_indices, :]
    attn = softmax_rows(Q_h @ K_h.swapaxes(-2, -1) / (dim ** 0.5), e.M)          # the forward's attn
    grad_out_h = grad_output[..., hilbert_indices, :]
    grad_attn = grad_out_h @ V[..., hilbert_indices, :].swapaxes(-2, -1)
    grad_scores = attn * (grad_attn - (grad_attn * attn).sum(axis=-1, keepdims=True))
    scale = 1.0 / (dim ** 0.5)
    grad_Q_h = grad_scores @ K_h * scale
    grad_K_h = grad_scores.swapaxes(-2, -1) @ Q_h * scale
    return grad_Q_h[..., inv_indices, :], grad_K_h[..., inv_indices, :]


# deepwiki.com, Dao-AILab/flash-attention 4.2: O = softmax(Q K^T / sqrt(d)) V; the page's lines chained.

def _dw(e, which, scale=1.0):
    Q, K, V, dO, P = one(e)
    if which == "V":
        return P.T @ dO
    dP = dO @ V.T
    dS = P * (dP - np.sum(dP * P, axis=1, keepdims=True))
    return scale * (dS @ K if which == "Q" else dS.T @ Q)


# torchedup.dev, backprop-attention: L = sum(y), so dL/dy = ones(N_q, d_v).

def _tu(e, which):
    Q, K, V, _, P = one(e)
    d_k = Q.shape[1]
    if which == "P":
        return np.ones((Q.shape[0], V.shape[1])) @ V.T
    dP, dS = e.dP_true[0, 0], e.dS_true[0, 0]
    if which == "S":
        return np.array([P[i, :] * (dP[i, :] - sum(P[i, j] * dP[i, j] for j in range(P.shape[1])))
                         for i in range(P.shape[0])])
    return dS @ K / math.sqrt(d_k)


# JackHanke.github.io, Multi-Head Attention from Scratch: one head, one example; Q, K, V the inputs,
# Qbar = Q W^Q, T = Qbar Kbar^T, S = softmax(T / sqrt(d_k)), head = S Vbar, A = dL/dhead.

def _jh(e, which, repaired=False):
    Q, K, V = e.Xq[0, 0], e.Xk[0, 0], e.Xv[0, 0]
    Qb, Kb, Vb, A = e.Q[0, 0], e.K[0, 0], e.V[0, 0], e.dO[0, 0]
    d_k = Qb.shape[1]
    T = Qb @ Kb.T
    s = softmax_rows(T / np.sqrt(d_k), e.M)
    if which == "V":
        return V.T @ s.T @ A
    if repaired:                                   # the softmax Jacobian applied entrywise to G = A Vbar^T
        G = A @ Vb.T
        dT = s * (G - np.sum(s * G, axis=1, keepdims=True)) / np.sqrt(d_k)
        return Q.T @ dT @ Kb if which == "Q" else K.T @ dT.T @ Qb
    B = s * (1 - s) / np.sqrt(d_k)                 # B_i = softmax'(T_i / sqrt(d_k)) / sqrt(d_k), function_prime
    if which == "Q":
        return Q.T @ A @ Vb.T @ B @ Kb
    return K.T @ (Vb.T @ A @ Vb.T @ B).T


CLAIMS = {
    "fa-01": _fa_dv,
    "fa-02": _fa_ds,
    "fa-03": _fa_dq,
    "fa-04": _fa_dk,
    "fa-05": lambda e: _fa_b2(e, "q"),
    "fa-06": lambda e: _fa_b2(e, "k"),
    "fa-07": lambda e: _fa_alg4(e)[0],
    "fa-08": lambda e: _fa_alg4(e)[1],
    "fa-09": lambda e: _fa_alg4(e)[2],
    "tv-01": lambda e: e.P[0, 0].T @ e.dO[0, 0],
    "tv-02": _tv_ds,
    "tv-03": lambda e: e.dS_true[0, 0] @ e.K[0, 0],
    "tv-04": lambda e: e.dS_true[0, 0].T @ e.Q[0, 0],
    "pk-01": lambda e: _pk_index(e, "V"),
    "pk-02": lambda e: _pk_index(e, "S"),
    "pk-03": lambda e: _pk_index(e, "Q"),
    "pk-04": lambda e: _pk_index(e, "K"),
    "pk-05": lambda e: _pk_code(e)[0],
    "pk-06": lambda e: _pk_code(e)[1],
    "pk-07": lambda e: _pk_code(e)[2],
    "ue-01": lambda e: np.swapaxes(e.P, -1, -2) @ e.dO,
    "ue-02": _ue_da,
    "ue-03": lambda e: e.dS_true @ e.K / math.sqrt(e.dk),
    "ue-04": lambda e: np.swapaxes(e.dS_true, -1, -2) @ e.Q / math.sqrt(e.dk),
    "ue-05": lambda e: _ue_code(e)[0],
    "ue-06": lambda e: _ue_code(e)[1],
    "ue-07": lambda e: _ue_code(e)[2],
    "lc-01": lambda e: _llmc(e)[0],
    "lc-02": lambda e: _llmc(e)[1],
    "lc-03": lambda e: _llmc(e)[2],
    "dm-01": lambda e: _dm_custom(e)[0],
    "dm-02": lambda e: _dm_custom(e)[1],
    "dm-03": lambda e: _dm_custom(e)[2],
    "dm-04": lambda e: _dm_hilbert(e)[0],
    "dm-05": lambda e: _dm_hilbert(e)[1],
    "dw-01": lambda e: _dw(e, "Q"),
    "dw-02": lambda e: _dw(e, "K"),
    "dw-03": lambda e: _dw(e, "V"),
    "tu-01": lambda e: _tu(e, "P"),
    "tu-02": lambda e: _tu(e, "S"),
    "tu-03": lambda e: _tu(e, "Q"),
    "jh-01": lambda e: _jh(e, "V"),
    "jh-02": lambda e: _jh(e, "Q"),
    "jh-03": lambda e: _jh(e, "K"),
}


# ----------------------------------------------------------------------------- judging

DEFAULTS = {"shape": "self", "heads": False, "taus": ["sqrt"], "mask": "none", "loss": "quadratic",
            "permute": False, "project": False}


def _spec(claim):
    spec = dict(DEFAULTS)
    spec.update(claim.get("draw", {}))
    return spec


def _draws(claim):
    spec = _spec(claim)
    for size in SHAPES[spec["shape"]]:
        for tau in spec["taus"]:
            for seed in SEEDS:
                yield _env(spec, size, tau, seed)


def _agrees(value, truth):
    value = np.asarray(value, dtype=float)
    if value.shape != truth.shape:
        if np.squeeze(value).shape != np.squeeze(truth).shape:
            return False, f"shape {value.shape}, truth {truth.shape}"
        value = value.reshape(truth.shape)
    err = float(np.max(np.abs(value - truth)))
    return err <= TOL * (1 + float(np.max(np.abs(truth)))), f"max error {err:.2g}"


def verdict(claim, fn=None):
    """(holds | fails | ambiguous, why) for one manifest claim over every draw; a reading that raises fails."""
    fn = CLAIMS[claim["id"]] if fn is None else fn
    per_reading: dict[str, bool] = {}
    why = ""
    for e, t in _draws(claim):
        truth = t[claim["quantity"]]
        try:
            got = fn(e)
        except Exception as exc:  # noqa: BLE001 (a transcription that cannot run on a draw fails there)
            got = {"": exc}
        readings = got if isinstance(got, dict) else {"": got}
        for name, value in readings.items():
            where = f" (n_q {e.nq}, n_k {e.nk}, d_k {e.dk}, tau {e.tau:.3g})"
            if isinstance(value, Exception):
                ok, reason = False, f"raises {type(value).__name__}" + where
            else:
                ok, reason = _agrees(value, truth)
                reason += where
            if not ok and not why:
                why = reason
            per_reading[name] = per_reading.get(name, True) and ok
    if all(per_reading.values()):
        return "holds", ""
    if not any(per_reading.values()):
        return "fails", why
    return "ambiguous", why


def _self_check() -> None:
    """The finite differences against the closed forms they were not built from, and the judge against the
    classic mistakes, with and without a scale, with no mask, a causal and a random one, on both shapes."""
    cases = [("self", "none", "sqrt"), ("self", "causal", "sqrt"), ("self", "random", 0.7),
             ("cross", "none", "none"), ("cross", "random", "sqrt")]
    for shape, mask, tau in cases:
        spec = dict(DEFAULTS, shape=shape, mask=mask, heads=True)
        for size in SHAPES[shape]:
            e, t = _env(spec, size, tau, 0)
            P, dO, Q, K, V = e.P, e.dO, e.Q, e.K, e.V
            dP = dO @ np.swapaxes(V, -1, -2)
            dS = P * (dP - np.sum(P * dP, axis=-1, keepdims=True))
            T = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
            for name, value in (("dP", dP), ("dS", dS), ("dQ", e.tau * dS @ K), ("dK", e.tau * T(dS) @ Q),
                                ("dV", T(P) @ dO)):
                assert _agrees(value, t[name])[0], (name, shape, mask, tau, size)
            # the Jacobian replaced by its diagonal, two ways
            for wrong in (P * dP, P * (1 - P) * dP):
                assert not _agrees(e.tau * wrong @ K, t["dQ"])[0], "diagonal softmax Jacobian accepted"
            if e.tau != 1.0:
                assert not _agrees(dS @ K, t["dQ"])[0], "missing scale accepted"
                assert not _agrees(T(dS) @ Q, t["dK"])[0], "missing scale in dK accepted"
            if shape == "self":               # the transposes left out (on the cross shape they cannot run)
                assert not _agrees(P @ dO, t["dV"])[0], "dV = P dO accepted"
                assert not _agrees(e.tau * dS @ Q, t["dK"])[0], "dK = dS Q accepted"
            if mask != "none":                # the backward recomputing P without the mask
                P0 = softmax_rows(e.S, np.ones_like(e.M))
                dS0 = P0 * (dP - np.sum(P0 * dP, axis=-1, keepdims=True))
                assert not _agrees(e.tau * dS0 @ K, t["dQ"])[0], "unmasked P in the backward accepted"
    # the reordered and the projected forwards: the reordering changes nothing; dW^Q = X_q^T dQ
    spec = dict(DEFAULTS, permute=True)
    e, t = _env(spec, SHAPES["self"][0], "sqrt", 1)
    assert _agrees(_output(e, e.Q, e.K, e.V), softmax_rows(e.S, e.M) @ e.V)[0]
    spec = dict(DEFAULTS, project=True)
    e, t = _env(spec, SHAPES["self"][1], "sqrt", 0)
    assert _agrees(np.swapaxes(e.Xq[0, 0], 0, 1) @ t["dQ"][0, 0], t["dWq"])[0]


# Each failing claim, repaired at exactly the mistake its note names, must hold on the same draws: the verdict
# is then the named mistake's and not some other slip of the transcription.
REPAIRS = {
    "ue-02": lambda e: e.P * (e.dP_true - np.sum(e.P * e.dP_true, axis=-1, keepdims=True)),  # (Ahat o dAhat) 1
    "dm-01": lambda e: _dm_custom_fixed(e)[0],
    "dm-02": lambda e: _dm_custom_fixed(e)[1],
    "dw-01": lambda e: _dw(e, "Q", 1 / math.sqrt(e.dk)),
    "dw-02": lambda e: _dw(e, "K", 1 / math.sqrt(e.dk)),
    "jh-02": lambda e: _jh(e, "Q", repaired=True),
    "jh-03": lambda e: _jh(e, "K", repaired=True),
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
        "masked": sum(c.get("draw", {}).get("mask", "none") != "none" for c in claims),
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
        assert c["kind"] == ("masked_attention" if c.get("draw", {}).get("mask", "none") != "none"
                             else "attention"), f"{c['id']}: kind and mask disagree"
    _self_check()
    unrepaired = _check_repairs(claims)
    bad = []
    print(f"{'id':7} {'kind':17} {'quantity':8} {'manifest':9} {'numeric':9} why")
    for c in claims:
        v, why = verdict(c)
        mark = "" if v == c["truth"] else "   <-- DISAGREES"
        if mark:
            bad.append(c["id"])
        print(f"{c['id']:7} {c['kind']:17} {c['quantity']:8} {c['truth']:9} {v:9} {why}{mark}")
    s = _stats(claims)
    print(f"\n{s['claims']} claims ({s['masked']} masked; {s['latex']} LaTeX, {s['code']} code): "
          f"{s['hold']} hold, {s['fail']} fail; {s['sources']} sources, {s['urls']} URLs")
    if unrepaired:
        print("failing claims with no repair in REPAIRS:", ", ".join(unrepaired))
    if bad or unrepaired:
        print("disagreements:", ", ".join(dict.fromkeys(bad + unrepaired)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
