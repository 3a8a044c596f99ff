"""derive's engine beside the naive approach: time to derive and to verify, by depth and width.

The engine derives once for a generic layer l (cost independent of depth) and verifies on concrete
networks in time linear in depth; the naive approach composes the whole loss into one SymPy expression
and differentiates it (about x3-4 per layer). Both run in this process's machine, in the same run.

    python benchmarks/bench.py [--depths 2,6,12,24,48] [--widths 3,6] [--naive-depths 1-6] [--timeout 60]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.naive_sympy import naive_time

PROBLEM = ("nielsen", "mse", "sigmoid", "sigmoid")  # the naive baseline's network: sigmoid, 1/2-MSE, column


def engine_times(depth: int, width: int) -> tuple[float, float]:
    """(derive seconds, verify seconds) for one network of equal widths, all quantities, one trial."""
    import sympy  # noqa: F401  (imported before timing: the import is a one-off, not derivation work)

    from derive.api import derive, verify
    from derive.output_layer import analyse

    analyse.cache_clear()
    t0 = time.perf_counter()
    deriv = derive(*PROBLEM)
    t1 = time.perf_counter()
    report = verify(deriv, layers=depth, trials=1, widths=[width] * (depth + 1))
    t2 = time.perf_counter()
    if not report.ok:
        raise SystemExit(f"verification failed at depth {depth}: {report.text()}")
    return t1 - t0, t2 - t1


def _ints(text: str) -> list[int]:
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(x) for x in text.split(",")]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--depths", default="2,6,12,24,48")
    ap.add_argument("--widths", default="3,6")
    ap.add_argument("--naive-depths", default="1-6")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per naive run")
    args = ap.parse_args(argv)

    print("engine: derive (symbolic, generic layer) + verify (every quantity, every layer, 50-digit truth)")
    print(f"{'depth':>5} {'width':>5} {'derive s':>9} {'verify s':>9}")
    for width in _ints(args.widths):
        for depth in _ints(args.depths):
            d, v = engine_times(depth, width)
            print(f"{depth:>5} {width:>5} {d:>9.3f} {v:>9.3f}", flush=True)
    print("\nnaive: compose the scalar loss in SymPy, differentiate w.r.t. layer-1 weights, evaluate (width 3)")
    print(f"{'depth':>5} {'seconds':>9}")
    for depth in _ints(args.naive_depths):
        t = naive_time(depth, 3, args.timeout)
        print(f"{depth:>5} {t:>9.3f}" if t is not None else f"{depth:>5} {'> ' + str(args.timeout):>9}", flush=True)


if __name__ == "__main__":
    main()
