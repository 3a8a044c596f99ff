"""The naive baseline: differentiate the whole network's loss as one SymPy expression.

For a fully connected network of ``depth`` layers, all of width ``width`` (column vector, z = W a + b,
sigmoid in every layer, mse = 1/2 sum_k (yhat_k - y_k)^2), the loss is built as ONE SymPy expression in
symbolic weights, biases, input and target; ``sympy.diff`` then differentiates it with respect to every
weight of layer 1 (the deepest chain), and each derivative is evaluated at random numbers. This is what
the engine (per-layer local Jacobians composed by the chain rule) is compared against; its cost grows
roughly x4 per layer at width 3.

    python benchmarks/naive_sympy.py [--width 3] [--depths 1-6] [--timeout 120]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import time

SEED = 0


def build_loss(depth: int, width: int):
    """The scalar loss as one expression; returns (loss, layer-1 weights, every symbol)."""
    import sympy as sp

    x = sp.Matrix(sp.symbols(f"x0:{width}"))
    y = sp.Matrix(sp.symbols(f"y0:{width}"))
    weights, symbols = [], list(x) + list(y)
    a = x
    for l in range(1, depth + 1):
        W = sp.Matrix(width, width, lambda j, k, l=l: sp.Symbol(f"W{l}_{j}{k}"))
        b = sp.Matrix(sp.symbols(f"b{l}_0:{width}"))
        weights.append(W)
        symbols += list(W) + list(b)
        # z^l = W^l a^{l-1} + b^l, a^l = sigmoid(z^l)
        a = (W * a + b).applyfunc(lambda t: 1 / (1 + sp.exp(-t)))
    loss = sp.Add(*[(a[k] - y[k]) ** 2 for k in range(width)]) / 2
    return loss, list(weights[0]), symbols


def run(depth: int, width: int, check: bool = False) -> dict:
    """Build, differentiate with respect to every layer-1 weight, evaluate; time each phase (seconds).

    With ``check``, the first gradient is also compared with a central difference of the loss (not timed).
    """
    import sympy as sp

    rng = random.Random(SEED)
    t0 = time.perf_counter()
    loss, w1, symbols = build_loss(depth, width)
    t1 = time.perf_counter()
    grads = [sp.diff(loss, w) for w in w1]
    t2 = time.perf_counter()
    values = {s: sp.Float(rng.uniform(-1, 1)) for s in symbols}
    numbers = [float(g.xreplace(values)) for g in grads]
    t3 = time.perf_counter()
    out = {"build": t1 - t0, "diff": t2 - t1, "eval": t3 - t2, "total": t3 - t0, "grads": numbers}
    if check:
        h = sp.Float("1e-6", 30)
        plus = {**values, w1[0]: values[w1[0]] + h}
        minus = {**values, w1[0]: values[w1[0]] - h}
        out["fd_error"] = abs(float((loss.xreplace(plus) - loss.xreplace(minus)) / (2 * h)) - numbers[0])
    return out


def _child(depth: int, width: int, check: bool, conn) -> None:
    conn.send(run(depth, width, check))
    conn.close()


def naive_run(depth: int, width: int, timeout: float, check: bool = False) -> dict | None:
    """``run`` in a fresh process (cold SymPy cache), killed after ``timeout`` seconds; None if it was."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(depth, width, check, send), daemon=True)
    proc.start()
    send.close()
    try:
        if receive.poll(timeout):
            return receive.recv()
        return None
    except EOFError:  # the child died without answering
        raise RuntimeError(f"naive run depth={depth} width={width} failed (exit code {proc.exitcode})") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()


def naive_time(depth: int, width: int, timeout: float) -> float | None:
    """Seconds the naive approach takes (build + diff + evaluate), or None if it exceeded ``timeout``."""
    result = naive_run(depth, width, timeout)
    return None if result is None else result["total"]


def _depths(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=3)
    parser.add_argument("--depths", type=_depths, default=_depths("1-6"), help="e.g. 1-6 (default)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per depth (default 120)")
    args = parser.parse_args(argv)

    print(f"naive SymPy: d(loss)/d(every layer-1 weight), width {args.width}, timeout {args.timeout:g} s")
    print(f"{'depth':>5}  {'build s':>8}  {'diff s':>8}  {'eval s':>8}  {'total s':>8}  {'x prev':>6}  {'fd err':>8}")
    previous = None
    for depth in args.depths:
        r = naive_run(depth, args.width, args.timeout, check=True)
        if r is None:
            print(f"{depth:>5}  {'timed out after':>35} {args.timeout:g} s")
            break  # deeper is only slower
        ratio = f"{r['total'] / previous:6.1f}" if previous else f"{'':>6}"
        print(f"{depth:>5}  {r['build']:8.3f}  {r['diff']:8.3f}  {r['eval']:8.3f}  {r['total']:8.3f}  {ratio}  "
              f"{r['fd_error']:8.1e}", flush=True)
        previous = r["total"]


if __name__ == "__main__":
    main()
