"""Layer kinds on their own (issue 13), in one process: for each kind, derive (the reverse pass over its graph,
with its closed forms shown equal) and verify (every equation on three drawn inputs against ground truth, locally
and end to end), each in seconds, the kinds' caches cleared first; the recurrent layer again at T = 8 steps
(linear in T: each step's adjoint reads the next step's once).

    python -m benchmarks.kinds
"""

from __future__ import annotations

import os
import time

KINDS = ("batchnorm", "layernorm", "dense", "attention", "embedding", "conv1d", "conv2d", "maxpool1d", "maxpool2d",
         "avgpool1d", "avgpool2d", "rnn", "lstm", "gru")


def _time(name: str) -> tuple[float, float]:
    from derive.backward import derive_kind
    from derive.kind_verification import verify_kind
    from derive.layers import kind
    t0 = time.perf_counter()
    d = derive_kind(kind(name))
    t1 = time.perf_counter()
    report = verify_kind(d)
    assert report.ok, report.text()
    return t1 - t0, time.perf_counter() - t1


def _rnn_steps(steps: int) -> float:
    from derive import layer_inputs
    from derive.backward import derive_kind
    from derive.kind_verification import verify_kind
    from derive.layers import kind
    saved = layer_inputs.STEPS
    layer_inputs.STEPS = steps
    try:
        d = derive_kind(kind("rnn"))
        t0 = time.perf_counter()
        assert verify_kind(d).ok
        return time.perf_counter() - t0
    finally:
        layer_inputs.STEPS = saved


def main() -> None:
    print(f"in one process (s), load {os.getloadavg()[0]:.2f}\n")
    _time("batchnorm")  # warm-up: SymPy's caches
    print("| kind | derive | verify, 3 inputs |\n|---|---:|---:|")
    for name in KINDS:
        derive_s, verify_s = _time(name)
        print(f"| {name} | {derive_s:.2f} | {verify_s:.2f} |")
    t4, t8 = _rnn_steps(4), _rnn_steps(8)
    print(f"\nrnn verify: T = 4 steps {t4:.2f} s, T = 8 steps {t8:.2f} s ({t8 / t4:.2f} x)")


if __name__ == "__main__":
    main()
