"""Architectures (issue 11), as ratios in one run: derive + verify of dense + batchnorm + relu blocks with identity
skips, at 6, 12 and 24 blocks, beside today's dense stack (`verify --layers 6` and `--layers 24`), in one process;
then the whole process `derive verify --architecture <24 blocks>` beside `python -c "import sympy"` (median of
--runs, CPU seconds). The cost should be linear in depth: each kind is derived once, each step costs the same.

Issue 13 (``--part kinds``): a small convolutional network (conv -> relu -> maxpool -> dense -> softmax) and an RNN
over T = 8 steps (and an LSTM's), derived and verified in one process, then as whole processes beside
`import sympy`.

    python -m benchmarks.architectures [--runs 3] [--part blocks|kinds|all]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from benchmarks.cold import ROOT, _process

BLOCK = "residual(dense(4), batchnorm, relu)"
# issue 13's networks: (name, spec, input features or channels)
KIND_NETS = (("conv net", "signal(8), conv1d(4, 3, stride=2, pad=1), relu, maxpool1d(2), flatten, dense(3), "
              "softmax", 2),
             ("rnn, T = 8", "sequence(8), rnn(4), dense(3)", 3),
             ("lstm, T = 8", "sequence(8), lstm(4), dense(3)", 3))


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


def _kinds_in_process(spec: str, inputs: int) -> tuple[float, float, float, int]:
    """(derive s, verify s, of which truth s, steps) of one network, the kinds' cache cleared first."""
    from derive.arch_backward import derive_architecture, kind_derivation
    from derive.arch_verification import verify_architecture
    from derive.architectures import draw, parse
    from derive.truth_kinds import network_truth
    kind_derivation.cache_clear()
    t0 = time.perf_counter()
    ad = derive_architecture(parse(spec, inputs))
    t1 = time.perf_counter()
    assert verify_architecture(ad, trials=3).ok
    t2 = time.perf_counter()
    for m, seed in ((4, 0), (3, 1), (5, 2)):
        network_truth(draw(ad.architecture, m, seed))
    return t1 - t0, t2 - t1, time.perf_counter() - t2, len(ad.steps)


def _whole(jobs: dict, runs: int) -> None:
    env = dict(os.environ)
    for cmd in jobs.values():
        _process([sys.executable, *cmd], ROOT, env)  # warm-up
    cpus: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, cmd in jobs.items():
            cpus[name].append(_process([sys.executable, *cmd], ROOT, env)[1])
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    print(f"\nwhole processes, median of {runs} (CPU s)\n\n| job | CPU s | x import sympy |\n|---|---:|---:|")
    for name in jobs:
        print(f"| {name} | {cpu[name]:.3f} | {cpu[name] / cpu['import sympy']:.2f} |")


def blocks(runs: int) -> None:
    print("| blocks | steps | derive | verify, 3 batches | of which truth | verify / step (ms) |\n"
          "|---:|---:|---:|---:|---:|---:|")
    _in_process(1)  # warm-up: SymPy's and the registries' caches, the templates
    rows = {}
    for count in (6, 12, 24):
        d, v, t, steps = _in_process(count)
        rows[count] = (v, steps)
        print(f"| {count} | {steps} | {d:.3f} | {v:.3f} | {t:.3f} | {1000 * v / steps:.1f} |")
    (v6, s6), (v24, s24) = rows[6], rows[24]
    print(f"\nverify 24 blocks / 6 blocks: {v24 / v6:.2f} x, for {s24 / s6:.2f} x the steps ({s24} / {s6})")
    mlp6, mlp24 = _mlp(6), _mlp(24)
    print(f"dense stack (nielsen, mse + sigmoid, relu hidden), verify 3 networks: --layers 6 {mlp6:.3f} s, "
          f"--layers 24 {mlp24:.3f} s, ratio {mlp24 / mlp6:.2f} x")
    _whole({"import sympy": ["-c", "import sympy"],
            "verify --architecture (24 blocks)": ["-m", "derive", "verify", "--architecture", spec(24)]}, runs)


def kinds(runs: int) -> None:
    print("| network | steps | derive | verify, 3 batches | of which truth |\n|---|---:|---:|---:|---:|")
    _kinds_in_process(KIND_NETS[0][1], KIND_NETS[0][2])  # warm-up
    for name, net, inputs in KIND_NETS:
        d, v, t, steps = _kinds_in_process(net, inputs)
        print(f"| {name} | {steps} | {d:.3f} | {v:.3f} | {t:.3f} |")
    jobs = {"import sympy": ["-c", "import sympy"]}
    for name, net, inputs in KIND_NETS:
        jobs[f"verify --architecture ({name})"] = ["-m", "derive", "verify", "--architecture", net, "--inputs",
                                                   str(inputs)]
        jobs[f"doc --architecture ({name})"] = ["-m", "derive", "doc", "--architecture", net, "--inputs", str(inputs)]
    _whole(jobs, runs)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--part", choices=("blocks", "kinds", "all"), default="all")
    args = ap.parse_args(argv)
    print(f"in one process (s), load {os.getloadavg()[0]:.2f}\n")
    if args.part in ("blocks", "all"):
        blocks(args.runs)
    if args.part in ("kinds", "all"):
        kinds(args.runs)


if __name__ == "__main__":
    main()
