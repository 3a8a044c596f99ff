"""Cold processes before and after, as ratios in one run: `derive check` (one holding formula) and `derive doc`
(bce + sigmoid) of two commits, beside `python -c "import sympy"` and the same import with the garbage collector
paused and frozen (what derive's own process does). Each commit is extracted from git into its own folder with its
own parser and template caches; whole processes run in turn, median of --runs after one warm-up each, first with
derive compiled from source (PYTHONDONTWRITEBYTECODE=1), then with .pyc. Prints Markdown tables with the load.

    python -m benchmarks.cold --before 69502cf [--after HEAD] [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.checker import COLD, DOC, FLOORS

ROOT = Path(__file__).resolve().parent.parent


def _tree(folder: Path, commit: str) -> None:
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "derive", "templates"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)


def _process(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one whole process, which must succeed."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", default="HEAD")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        for mode in ("from source", "with .pyc"):
            base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
            if mode == "from source":
                base["PYTHONDONTWRITEBYTECODE"] = "1"
            jobs = {name: ([sys.executable, "-c", code], here, base) for name, code in FLOORS.items()}
            for name, commit in (("before", args.before), ("after", args.after)):
                where = here / f"{mode.split()[0]}-{name}"
                _tree(where, commit)
                env = dict(base, XDG_CACHE_HOME=str(where / "cache"))
                jobs[f"check, {name}"] = ([sys.executable, "-m", "derive", *COLD], where, env)
                jobs[f"doc, {name}"] = ([sys.executable, "-m", "derive", *DOC], where, env)
            for job in jobs.values():
                _process(*job)  # warm-up: the parser's and the templates' caches, and with bytecode the .pyc
            walls, cpus = {name: [] for name in jobs}, {name: [] for name in jobs}
            load = os.getloadavg()[0]
            for _ in range(args.runs):
                for name, job in jobs.items():
                    wall, cpu = _process(*job)
                    walls[name].append(wall)
                    cpus[name].append(cpu)
            wall, cpu = ({k: statistics.median(v) for k, v in t.items()} for t in (walls, cpus))
            floor, paused = cpu["sympy"], cpu["sympy, collector paused"]
            print(f"\n{mode}: median of {args.runs}, load {load:.2f} -> {os.getloadavg()[0]:.2f}\n")
            print("| job | wall s | CPU s | x import sympy (CPU) | x paused floor (CPU) |\n|---|---:|---:|---:|---:|")
            for name in jobs:
                ratios = f"{cpu[name] / floor:.2f} | {cpu[name] / paused:.2f}"
                print(f"| {name} | {wall[name]:.3f} | {cpu[name]:.3f} | {ratios} |")


if __name__ == "__main__":
    main()
