"""The single-layer kinds (issue 11), as ratios in one run: whole processes of `derive verify --layer KIND` and
`derive doc --layer KIND` beside `python -c "import sympy"` (median of --runs, CPU seconds), then in one process
the derivation (the reverse pass and the closed form shown equal) and the verification on 3 batches.

    python -m benchmarks.layers [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from benchmarks.cold import ROOT, _process

JOBS = {"import sympy": ["-c", "import sympy"]}
JOBS |= {f"verify --layer {k}": ["-m", "derive", "verify", "--layer", k] for k in ("batchnorm", "layernorm", "dropout")}
JOBS["doc --layer batchnorm"] = ["-m", "derive", "doc", "--layer", "batchnorm"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    import os
    env = dict(os.environ)
    cpus: dict[str, list[float]] = {name: [] for name in JOBS}
    for cmd in JOBS.values():
        _process([sys.executable, *cmd], ROOT, env)  # warm-up
    for _ in range(args.runs):
        for name, cmd in JOBS.items():
            cpus[name].append(_process([sys.executable, *cmd], ROOT, env)[1])
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    print(f"whole processes, median of {args.runs} (CPU s), load {os.getloadavg()[0]:.2f}\n")
    print("| job | CPU s | x import sympy |\n|---|---:|---:|")
    for name in JOBS:
        print(f"| {name} | {cpu[name]:.3f} | {cpu[name] / cpu['import sympy']:.2f} |")
    from derive.backward import derive_kind
    from derive.kind_verification import verify_kind
    from derive.layers import kind
    print("\nin one process (s)\n\n| kind | derive | verify, 3 batches |\n|---|---:|---:|")
    for name, unbiased in (("batchnorm", False), ("batchnorm", True), ("layernorm", False), ("dropout", False)):
        t0 = time.perf_counter()
        d = derive_kind(kind(name, unbiased), unbiased=unbiased)
        t1 = time.perf_counter()
        assert verify_kind(d).ok
        t2 = time.perf_counter()
        print(f"| {name}{' (n-1)' if unbiased else ''} | {t1 - t0:.3f} | {t2 - t1:.3f} |")


if __name__ == "__main__":
    main()
