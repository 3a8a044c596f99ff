"""Ground-truth timings (issue 10), in one run: the truth alone by method and depth, verification by depth
(depth 24 / depth 6 shows whether it is linear), and a cold `derive doc` beside `python -c "import sympy"`.
Prints Markdown tables; record the figures in BENCHMARKS.md.

    python -m benchmarks.truth [--runs 3] [--depths 2,6,12,24,48] [--fd-depths 2,6,12,24] [--parts doc,truth,verify]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import time

PROBLEMS = [("nielsen", "mse", "sigmoid", "sigmoid", 1), ("cs231n", "cce", "softmax", "tanh", 3)]
WIDTH = 4
DOC = [sys.executable, "-m", "derive.cli", "doc", "--loss", "bce", "--activation", "sigmoid"]


def wall(cmd: list[str], runs: int) -> float:
    """Median wall-clock seconds of a whole process (its output discarded)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def truth_times(depths: list[int], fd_depths: list[int], runs: int) -> None:
    import mpmath

    from derive.network import random_network
    from derive.problem import Problem
    from derive.truth import ground_truth
    print("| problem | m | depth | width | reverse s | fd s | fd / reverse |\n|---|---:|---:|---:|---:|---:|---:|")
    for conv, loss, out, hidden, m in PROBLEMS:
        problem = Problem.make(conv, loss, out, hidden)
        ground_truth(random_network(problem, 2, m))  # lambdify once, outside the timings
        for depth in depths:
            net = random_network(problem, (WIDTH,) * (depth + 1), m)
            with mpmath.workdps(50):
                rev = timed(functools.partial(ground_truth, net, "reverse"), runs)
                fd = timed(functools.partial(ground_truth, net, "fd"), 1) if depth in fd_depths else None
            fd_text = f"{fd:.3f} | {fd / rev:.0f} ×" if fd is not None else "| "
            print(f"| {conv} {loss}+{out}, {hidden} | {m} | {depth} | {WIDTH} | {rev:.4f} | {fd_text} |", flush=True)


def verify_times(depths: list[int], runs: int) -> None:
    import inspect

    from derive.api import derive
    from derive.verification import verify
    default = inspect.signature(verify).parameters["truth"].default
    print(f"\nverify (one trial, width {WIDTH}, every quantity and the index form; truth: verify's default, "
          f"{default!r})\n\n| problem | depth | seconds | / depth 6 |\n|---|---:|---:|---:|")
    for conv, loss, out, hidden, _ in PROBLEMS:
        deriv = derive(conv, loss, out, hidden)
        verify(deriv, layers=2, trials=1)  # warm: the first call builds the index forms
        base = None
        for depth in depths:
            t = timed(functools.partial(verify, deriv, layers=depth, trials=1, widths=[WIDTH] * (depth + 1)), runs)
            base = t if depth == 6 else base
            ratio = f"{t / base:.2f}" if base else ""
            print(f"| {conv} {loss}+{out}, {hidden} | {depth} | {t:.3f} | {ratio} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--depths", default="2,6,12,24,48")
    ap.add_argument("--fd-depths", default="2,6,12,24")
    ap.add_argument("--parts", default="doc,truth,verify")
    args = ap.parse_args(argv)
    depths, fd_depths = [int(d) for d in args.depths.split(",")], [int(d) for d in args.fd_depths.split(",")]
    parts = args.parts.split(",")
    if "doc" in parts:
        sympy_s = wall([sys.executable, "-c", "import sympy"], args.runs)
        doc_s = wall(DOC, args.runs)
        print(f"| job | seconds (median of {args.runs}) |\n|---|---:|\n| `python -c \"import sympy\"` | {sympy_s:.3f} |"
              f"\n| `derive doc --loss bce --activation sigmoid`, cold | {doc_s:.3f} |\n", flush=True)
    if "truth" in parts:
        truth_times(depths, fd_depths, args.runs)
    if "verify" in parts:
        verify_times([d for d in depths if d >= 6], args.runs)


if __name__ == "__main__":
    main()
