"""The command line's own process imports SymPy out of the garbage collector's way (``_lazy.import_settled``):
only there, only for the commands that compute, and with the same output as in-process calls of ``main``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HOLDS = r"\delta^L = (a^L - y) \odot \sigma'(z^L)"
CHECK = ["check", "--convention", "nielsen", "--loss", "mse", "--activation", "sigmoid", HOLDS]


def _run(argv: list, process: bool) -> dict:
    code = ("import gc, io, json, sys, contextlib\nfrom derive.cli import main\nout = io.StringIO()\n"
            f"with contextlib.redirect_stdout(out):\n    status = main({argv!r}, process={process})\n"
            "print(json.dumps({'status': status, 'out': out.getvalue(), 'frozen': gc.get_freeze_count(), "
            "'enabled': gc.isenabled(), 'sympy': 'sympy' in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_the_process_freezes_sympy_and_keeps_collecting():
    alone, inside = _run(CHECK, True), _run(CHECK, False)
    assert alone["frozen"] > 50_000 and alone["enabled"]
    assert inside["frozen"] == 0 and inside["enabled"]  # a user's process (tests, notebooks) is left alone
    assert (alone["status"], alone["out"]) == (inside["status"], inside["out"]) == (0, inside["out"])
    assert inside["out"].startswith("holds")


@pytest.mark.parametrize("argv", [["list"], ["help", "check"]])
def test_commands_that_do_not_compute_do_not_import_sympy(argv):
    result = _run(argv, True)
    assert not result["sympy"] and result["frozen"] == 0


def test_python_dash_m_derive_is_the_process():
    done = subprocess.run([sys.executable, "-m", "derive", *CHECK], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("holds"), done.stderr
