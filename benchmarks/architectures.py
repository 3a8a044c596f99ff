"""Architectures (issue 11), as ratios in one run: derive + verify of dense + batchnorm + relu blocks with identity
skips, at 6, 12 and 24 blocks, beside today's dense stack (`verify --layers 6` and `--layers 24`), in one process;
then the whole process `derive verify --architecture <24 blocks>` beside `python -c "import sympy"` (median of
--runs, CPU seconds). The cost should be linear in depth: each kind is derived once, each step costs the same.

    python -m benchmarks.architectures [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from benchmarks.cold import ROOT, _process

BLOCK = "residual(dense(4), batchnorm, relu)"


def spec(blocks: int) -> str:
    return ", ".join(["dense(4)"] + [BLOCK] * blocks + ["dense(2)"])


def _in_process(blocks: int) -> tuple[float, float, float, int]:
    """(derive s, verify s, of which truth s, steps) for ``blocks`` blocks, the kinds' cache cleared first."""
    from derive.arch_backward import derive_architecture, kind_derivation
    from derive.arch_verification import verify_architecture
    from derive.architectures import draw, parse
    from derive.truth_kinds import network_truth
    kind_derivation.cache_clear()
    t0 = time.perf_counter()
    ad = derive_architecture(parse(spec(blocks)))
    t1 = time.perf_counter()
    assert verify_architecture(ad, trials=3).ok
    t2 = time.perf_counter()
    for m, seed in ((4, 0), (3, 1), (5, 2)):
        network_truth(draw(ad.architecture, m, seed))
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, len(ad.steps)


def _mlp(layers: int) -> float:
    import derive
    d = derive.derive("nielsen", "mse", "sigmoid", "relu")
    t0 = time.perf_counter()
    assert derive.verify(d, layers=layers).ok
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"in one process (s), load {os.getloadavg()[0]:.2f}\n")
    print("| blocks | steps | derive | verify, 3 batches | of which truth | verify / step (ms) |\n"
          "|---:|---:|---:|---:|---:|---:|")
    _in_process(1)  # warm-up: SymPy's and the registries' caches, the templates
    rows = {}
    for blocks in (6, 12, 24):
        d, v, t, steps = _in_process(blocks)
        rows[blocks] = (v, steps)
        print(f"| {blocks} | {steps} | {d:.3f} | {v:.3f} | {t:.3f} | {1000 * v / steps:.1f} |")
    (v6, s6), (v24, s24) = rows[6], rows[24]
    print(f"\nverify 24 blocks / 6 blocks: {v24 / v6:.2f} x, for {s24 / s6:.2f} x the steps ({s24} / {s6})")
    mlp6, mlp24 = _mlp(6), _mlp(24)
    print(f"dense stack (nielsen, mse + sigmoid, relu hidden), verify 3 networks: --layers 6 {mlp6:.3f} s, "
          f"--layers 24 {mlp24:.3f} s, ratio {mlp24 / mlp6:.2f} x")
    env = dict(os.environ)
    jobs = {"import sympy": ["-c", "import sympy"],
            "verify --architecture (24 blocks)": ["-m", "derive", "verify", "--architecture", spec(24)]}
    for cmd in jobs.values():
        _process([sys.executable, *cmd], ROOT, env)  # warm-up
    cpus: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(args.runs):
        for name, cmd in jobs.items():
            cpus[name].append(_process([sys.executable, *cmd], ROOT, env)[1])
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    print(f"\nwhole processes, median of {args.runs} (CPU s)\n\n| job | CPU s | x import sympy |\n|---|---:|---:|")
    for name in jobs:
        print(f"| {name} | {cpu[name]:.3f} | {cpu[name] / cpu['import sympy']:.2f} |")


if __name__ == "__main__":
    main()
