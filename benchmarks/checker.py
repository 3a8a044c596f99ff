"""Checker timings, as ratios in one run: a cold `derive check` and a cold `derive doc` against `python -c "import
sympy"` and against the same import with the garbage collector paused (whole processes run in turn, median of
--runs, with derive's modules compiled from source as under PYTHONDONTWRITEBYTECODE=1 and from their .pyc files as
an installed derive runs), checks and diagnoses inside one
process (first call and warm), a lint run over a notes file of 100 claims, and the lint scanner on 2 MB of
unclosed math. Prints a Markdown table; record the figures in BENCHMARKS.md.

    python -m benchmarks.checker [--runs 5] [--cold-only]
"""

from __future__ import annotations

import argparse
import os
import shutil
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


COLD = ["check", "--convention", "nielsen", "--loss", "mse", "--activation", "sigmoid",
        r"\delta^L = (a^L - y) \odot \sigma" + P + "(z^L)"]  # holds


DOC = ["doc", "--loss", "bce", "--activation", "sigmoid"]
# the floor, and the floor without the collector's work: derive's own process imports SymPy that way
# (derive/_lazy.py, import_settled), so its figures are given against both
FLOORS = {"sympy": "import sympy", "sympy, collector paused": "import gc; gc.disable(); import sympy; gc.freeze()"}


def cold(runs: int) -> list[tuple[str, float, str]]:
    """``derive check`` and ``derive doc`` in fresh processes against ``import sympy``, run in turn, without and
    then with bytecode; medians of wall and CPU seconds, and the load average around the runs.

    derive runs from a private copy of the package without ``__pycache__`` (so the first figures compile its
    modules from source, as in a sandbox that sets PYTHONDONTWRITEBYTECODE=1; SymPy's own .pyc files are used
    either way), with the parser's cache in the same private folder; one warm-up run of each precedes the timed
    runs (it writes the parser cache, and with bytecode the .pyc files).
    """
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        root = Path(__file__).resolve().parent.parent
        shutil.copytree(root / "derive", here / "derive", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(root / "templates", here / "templates")
        for bytecode in (False, True):
            env = dict(os.environ, XDG_CACHE_HOME=str(here / "cache"))
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            if not bytecode:
                env["PYTHONDONTWRITEBYTECODE"] = "1"
            jobs = {name: [sys.executable, "-c", code] for name, code in FLOORS.items()}
            jobs |= {"check": [sys.executable, "-m", "derive", *COLD], "doc": [sys.executable, "-m", "derive", *DOC]}
            for cmd in jobs.values():
                subprocess.run(cmd, cwd=here, env=env, capture_output=True, check=False)
            walls, cpus = {name: [] for name in jobs}, {name: [] for name in jobs}
            load = os.getloadavg()[0]
            for _ in range(runs):
                for name, cmd in jobs.items():
                    wall_s, cpu_s = _process(cmd, here, env)
                    walls[name].append(wall_s)
                    cpus[name].append(cpu_s)
            wall, cpu = ({name: statistics.median(t[name]) for name in jobs} for t in (walls, cpus))
            how = "with .pyc" if bytecode else "derive compiled from source"
            loads = f"load {load:.1f} -> {os.getloadavg()[0]:.1f}"
            rows += [(f"`python -c \"{code}\"` ({how})", wall[name], f"CPU {cpu[name]:.3f} s; {loads}")
                     for name, code in FLOORS.items()]
            for name, label in (("check", "`derive check` one formula"), ("doc", "`derive doc` bce + sigmoid")):
                ratios = ", ".join(f"{cpu[name] / cpu[floor]:.2f} x {floor}" for floor in FLOORS)
                rows.append((f"{label}, cold process ({how})", wall[name],
                             f"{wall[name] / wall['sympy']:.2f} x import sympy (CPU {cpu[name]:.3f} s: {ratios})"))
    return rows


def _process(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one whole process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


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
    ap.add_argument("--cold-only", action="store_true", help="only the cold-process figures")
    args = ap.parse_args(argv)
    rows = cold(args.runs)
    if args.cold_only:
        return _print(rows)
    sympy = next(seconds for name, seconds, _ in rows if name.startswith('`python -c "import sympy"` (with'))

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

    _print(rows)


def _print(rows) -> None:
    print("| job | seconds | note |\n|---|---:|---|")
    for name, seconds, note in rows:
        print(f"| {name} | {seconds:.3f} | {note} |")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    main()
