"""Run derive's commands on adversarial input under an audit hook; print what the hook saw as JSON.

Used by tests/test_security.py in a fresh interpreter (an audit hook cannot be removed once installed).
Every hostile string carries MARK. SymPy's ``sympify`` of a string compiles it (a ``compile`` event whose
source is the text) and runs it (an ``exec`` event), so user text reaching it shows up here as an event
that mentions MARK. Starting a process or a shell is never expected at all.

    python tests/audit_probe.py WORKDIR CASES.json   ->   {"violations": [...], "runs": N, "statuses": [...]}
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import sys
import types
from pathlib import Path

MARK = "PWNED_7f3a"
NEVER = ("os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
         "pty.spawn", "socket.connect", "webbrowser.open")


def _mentions_mark(value, depth=0) -> bool:
    if depth > 6:
        return False
    if isinstance(value, bytes):
        return MARK.encode() in value
    if isinstance(value, str):
        return MARK in value
    if isinstance(value, ast.AST):
        return MARK in ast.dump(value)
    if isinstance(value, types.CodeType):
        return any(_mentions_mark(c, depth + 1) for c in (*value.co_consts, *value.co_names))
    if isinstance(value, tuple | list):
        return any(_mentions_mark(v, depth + 1) for v in value)
    return False


def main() -> None:
    work, cases = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    violations: list[str] = []
    recording = [False]

    def hook(event: str, args) -> None:
        if not recording[0]:
            return
        if event.startswith(NEVER):
            violations.append(f"{event}: {str(args)[:200]}")
        elif event in ("compile", "exec", "eval") and _mentions_mark(args):
            violations.append(f"{event} of user text: {str(args)[:200]}")
        elif event == "open" and len(args) > 1 and isinstance(args[1], str) and set(args[1]) & set("wax+"):
            path = str(args[0])
            if not path.startswith(str(work)) and not path.startswith("/dev/"):
                violations.append(f"open for writing outside the work folder: {path}")

    from derive.cli import main as derive_main

    sys.addaudithook(hook)
    statuses = []
    for argv in cases:
        recording[0] = True
        err = io.StringIO()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                status = derive_main(argv)
        except SystemExit as exc:  # argparse usage errors
            status = exc.code
        except BaseException as exc:  # noqa: BLE001 - a traceback is itself a finding
            status = f"raised {type(exc).__name__}: {exc}"
        finally:
            recording[0] = False
        statuses.append([argv, status, err.getvalue()])
    print(json.dumps({"violations": violations, "runs": len(cases), "statuses": statuses}))


if __name__ == "__main__":
    main()
