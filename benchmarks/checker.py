"""Checker timings, as ratios in one run: a cold `derive check` against `python -c "import sympy"`, checks and
diagnoses inside one process (first call and warm), a lint run over a notes file of 100 claims, and the lint
scanner on 2 MB of unclosed math. Prints a Markdown table; record the figures in BENCHMARKS.md.

    python -m benchmarks.checker [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

P = "'"
HOLDS = ("nielsen", "bce", "sigmoid", "sigmoid", r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma" + P + "(z^l)")
FAILS = [
    ("extra sigma'", ("nielsen", "bce", "sigmoid", "sigmoid", r"\delta^L = (a^L - y) \odot \sigma" + P + "(z^L)")),
    ("1/m missing (batch)", ("dls", "bce", "sigmoid", "sigmoid", r"dW^{[l]} = dZ^{[l]} A^{[l-1] T}")),
    ("two edits", ("nielsen", "mse", "sigmoid", "sigmoid",
                   r"\delta^l = ((w^{l+2})^T \delta^{l+1}) \odot \sigma" + P + "(z^{l+1})")),
]
LOCAL = ("nielsen", "mse", "sigmoid", "tanh", r"\frac{\partial z^l_j}{\partial w^l_{jk}} = a^{l-1}_k")


def wall(cmd: list[str], runs: int) -> float:
    """Median wall-clock seconds of a whole process."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(fn, runs: int = 1) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="runs per whole-process figure (median)")
    args = ap.parse_args(argv)
    rows = []
    sympy = wall([sys.executable, "-c", "import sympy"], args.runs)
    cold = wall([sys.executable, "-m", "derive.cli", "check", "--no-diagnosis", r"\delta^L = a^L - y"], args.runs)
    rows += [("`python -c \"import sympy\"`", sympy, ""), ("`derive check` one formula, cold process", cold,
                                                           f"{cold / sympy:.1f} x import sympy")]

    import derive
    conv, loss, out, hidden, formula = HOLDS
    first = timed(lambda: derive.check(formula, conv, loss, out, hidden))
    warm = timed(lambda: derive.check(formula, conv, loss, out, hidden), 5)
    rows += [("check, holds, first in the process", first, "draws and differentiates the networks"),
             ("check, holds, warm", warm, "networks and truth cached per process")]
    for name, problem in FAILS:
        derive.check(*problem[4:], *problem[:4], diagnose=False)  # the networks, once
        rows.append((f"check, fails, with diagnosis ({name})",
                     timed(lambda problem=problem: derive.check(*problem[4:], *problem[:4]), 3), ""))
    conv, loss, out, hidden, formula = LOCAL
    rows.append(("check, local derivative dz/dw, first", timed(lambda: derive.check(formula, conv, loss, out, hidden)),
                 "central differences through the forward pass"))

    from corpus import CORPUS  # tests/corpus.py: real formulas with their conventions

    from derive.lint import lint
    with tempfile.TemporaryDirectory() as folder:
        notes = Path(folder) / "notes.md"
        chosen = [row for row in CORPUS if row.convention == "nielsen"]
        lines = []
        for n in range(100):
            row = chosen[n % len(chosen)]
            lines += [f"<!-- derive: convention={row.convention} loss={row.loss} output={row.output} "
                      f"hidden={row.hidden} -->", f"$$ {row.formula} $$", ""]
        notes.write_text("\n".join(lines), encoding="utf-8")
        rows.append(("lint, a notes file of 100 claims (in process)", timed(lambda: lint([notes])),
                     f"{len({row.formula for row in chosen})} distinct formulas, each judged once"))
        big = Path(folder) / "big.md"
        big.write_text("costs $5 and " * (2_000_000 // 13), encoding="utf-8")
        rows.append(("lint scanner, 2 MB of unclosed `$`", timed(lambda: lint([big])), "linear in the size"))
    doc = wall([sys.executable, "-m", "derive.cli", "doc", "--convention", "ng", "--loss", "cce", "--activation",
                "softmax", "--hidden", "relu"], 1)
    rows.append(("`derive doc` one document, cold process", doc, f"{doc / sympy:.1f} x import sympy"))

    print("| job | seconds | note |\n|---|---:|---|")
    for name, seconds, note in rows:
        print(f"| {name} | {seconds:.3f} | {note} |")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    main()
