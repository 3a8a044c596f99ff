"""`check --layer` timings inside one process, as ratios in one run: each kind's holding formula and a failing one
with its diagnosis, first call (the kind derived and its three inputs drawn and judged by truth) and warm, against
the same for batch norm's dx (the kind the checker was first written for). Prints a Markdown table; record the
figures in BENCHMARKS.md.

    python -m benchmarks.layer_checks
"""

from __future__ import annotations

import time

CASES = [  # (kind, notation, holding formula, failing formula)
    ("batchnorm", "cs231n", r"dxhat_{ij} = dout_{ij} \gamma_j", r"dxhat_{ij} = dout_{ij}"),
    ("conv1d", "cs231n", r"dx_{nct} = \sum_{f=1}^{F} \sum_{i=1}^{W'} \sum_{u=1}^{\mathit{WW}} "
     r"\left[t = \mathrm{stride}(i-1) + u - \mathrm{pad}\right] w_{fcu} \mathrm{dout}_{nfi}",
     r"dx_{nct} = \sum_{f=1}^{F} \sum_{u=1}^{\mathit{WW}} w_{fcu} \mathrm{dout}_{n,f,t+u-\mathrm{pad}-1}"),
    ("conv2d", "goodfellow", r"\frac{\partial J}{\partial b_{i}} = \sum_{j} \sum_{k} \sum_{r} "
     r"\frac{\partial J}{\partial Z^{(r)}_{ijk}}",
     r"\frac{\partial J}{\partial K_{ilmn}} = \sum_{j} \sum_{k} \sum_{r} \frac{\partial J}{\partial Z^{(r)}_{ijk}} "
     r"V^{(r)}_{l,j+m-p-1,k+n-p-1}"),
    ("maxpool1d", "cs231n", r"dx_{nct} = \sum_{i=1}^{W'} \sum_{u=1}^{\mathit{PW}} "
     r"\left[t = \mathrm{stride}(i-1)+u\right] \left[x_{nct} = \mathrm{out}_{nci}\right] \mathrm{dout}_{nci}",
     r"dx_{nct} = \sum_{i=1}^{W'} \sum_{u=1}^{\mathit{PW}} \left[t = \mathrm{stride}(i-1)+u\right] "
     r"\mathrm{dout}_{nci}"),
    ("rnn", "cs231n", r"dh_{ntj} = \mathrm{dout}_{ntj} + \sum_{j'=1}^{H} {W_{h}}_{j,j'} da_{n,t+1,j'}",
     r"dh_{ntj} = \mathrm{dout}_{ntj}"),
    ("lstm", "cs231n", r"dc_{ntj} = dh_{ntj} o_{ntj} (1 - \tanh^2(c_{ntj})) + dc_{n,t+1,j} f_{n,t+1,j}",
     r"dc_{ntj} = dh_{ntj} o_{ntj} (1 - \tanh^2(c_{ntj}))"),
    ("attention", "dao", r"dQ = dS K / \sqrt{d}", r"dQ = dS K"),
]


def timed(formula: str, notation: str, kind: str) -> float:
    from derive import check
    start = time.perf_counter()
    check(formula, notation, layer=kind)
    return time.perf_counter() - start


def main() -> int:
    from derive import check
    rows = []
    for kind, notation, holds, fails in CASES:
        first = timed(holds, notation, kind)
        warm = min(timed(holds, notation, kind) for _ in range(3))
        diagnosis = min(timed(fails, notation, kind) for _ in range(2))
        assert check(holds, notation, layer=kind).verdict == "holds", kind
        assert check(fails, notation, layer=kind).verdict == "fails", kind
        rows.append((kind, first, warm, diagnosis))
    base = rows[0]
    print("| kind | first call s | warm, holds s | warm, fails with diagnosis s | × batch norm (first, warm, "
          "diagnosis) |")
    print("| --- | --- | --- | --- | --- |")
    for kind, first, warm, diagnosis in rows:
        print(f"| {kind} | {first:.2f} | {warm:.3f} | {diagnosis:.2f} | {first / base[1]:.1f}, {warm / base[2]:.1f}, "
              f"{diagnosis / base[3]:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
