"""Assertions for users' own tests: a pasted backprop formula holds, or fails for the expected reason.

``assert_holds(formula, convention=..., loss=..., output=..., hidden=...)`` passes when ``derive.check``
says the formula holds; ``assert_fails(formula, mistake="transpose", ...)`` passes when it fails and, if
``mistake`` is given, the diagnosis names that mistake. Both return the check result; on a mismatch they
raise AssertionError with the verdict, the reason, the counterexample and the diagnosis, one per line.
``assert_notes_hold(path, convention=..., ...)`` lints a Markdown or LaTeX notes file (``derive lint``) and
raises AssertionError listing every formula in it that fails, by line, with its diagnosis.
"""

from __future__ import annotations

__all__ = ["assert_holds", "assert_fails", "assert_notes_hold", "explain"]


def assert_holds(formula: str, **problem):
    """Assert that ``formula`` holds for the problem (convention, loss, output, hidden); return the result."""
    __tracebackhide__ = True
    result = _check(formula, problem)
    if result.verdict != "holds":
        raise AssertionError(explain(result, formula, problem, expected="hold"))
    return result


def assert_fails(formula: str, mistake: str | None = None, **problem):
    """Assert that ``formula`` fails; with ``mistake``, also that the diagnosis names it (a substring,
    case-insensitive, of the diagnosis's mistake or message). Return the result."""
    __tracebackhide__ = True
    result = _check(formula, problem)
    if result.verdict != "fails":
        raise AssertionError(explain(result, formula, problem, expected="fail"))
    if mistake is not None:
        diagnosis = result.diagnosis or {}
        named = f"{diagnosis.get('mistake', '')} {diagnosis.get('message', '')}".lower()
        if mistake.lower() not in named:
            raise AssertionError(explain(result, formula, problem,
                                         expected=f"fail with the mistake {mistake!r} diagnosed"))
    return result


def assert_notes_hold(path, **defaults):
    """Assert that no formula in the notes file ``path`` fails; return the findings (see derive.lint.lint).

    ``defaults`` (convention, loss, output, hidden) apply until the file's own directives override them.
    """
    __tracebackhide__ = True
    from .lint import lint

    findings = lint([path], **defaults)
    failing = [f for f in findings if f.verdict == "fails"]
    if failing:
        lines = [f"{len(failing)} formula(s) in {path} fail:"]
        for f in failing:
            lines += [f"  {f.text()}", f"      formula: {f.formula}"]
        raise AssertionError("\n".join(lines))
    return findings


def explain(result, formula: str, problem: dict, expected: str) -> str:
    """A readable multi-line account of a check result: what was expected, what came back and why."""
    settings = " ".join(f"{k}={v}" for k, v in problem.items()) or "(defaults)"
    lines = [f"expected the formula to {expected}, but derive.check says: {result.verdict}",
             f"  formula:        {formula}",
             f"  problem:        {settings}"]
    if getattr(result, "quantity", None):
        lines.append(f"  quantity:       {result.quantity} ({result.convention})")
    lines.append(f"  reason:         {result.reason}")
    example = getattr(result, "counterexample", None)
    if example:
        lines.append(f"  counterexample: {_counterexample(example)}")
    diagnosis = getattr(result, "diagnosis", None)
    if diagnosis:
        lines.append(f"  diagnosis:      {diagnosis.get('message') or diagnosis.get('mistake')}"
                     + (f" [{diagnosis['mistake']}]" if diagnosis.get("mistake") else ""))
        if diagnosis.get("corrected"):
            lines.append(f"  corrected:      {diagnosis['corrected']}")
    elif result.verdict == "fails":
        lines.append("  diagnosis:      none (no single common mistake makes it hold)")
    if getattr(result, "condition", None):
        lines.append(f"  holds only if:  {result.condition}")
    for note in getattr(result, "notes", None) or []:
        lines.append(f"  note:           {note}")
    return "\n".join(lines)


def _counterexample(example: dict) -> str:
    """layer 2 of widths (4, 2, 5), seed 0, component (1, 0): expected 0.1234, got 0.5678."""
    head = ", ".join(f"{key} {example[key]}" for key in ("layer", "widths", "seed") if key in example)
    where = f", component {example['component']}" if example.get("component") is not None else ""
    numbers = f": expected {_num(example.get('expected'))}, got {_num(example.get('got'))}"
    rest = {k: v for k, v in example.items() if k not in ("layer", "widths", "seed", "component", "expected", "got")}
    extra = "".join(f", {k} {v}" for k, v in rest.items())
    return f"{head}{where}{numbers}{extra}"


def _num(value) -> str:
    try:
        return f"{float(value):.6g}"
    except (TypeError, ValueError):
        return str(value)


def _check(formula: str, problem: dict):
    import derive  # looked up at call time: derive.check is the lead's checker

    problem = dict(problem)
    if "activation" in problem:  # the command line's name for the output activation
        if "output" in problem and problem["output"] != problem["activation"]:
            raise TypeError("give the output activation once: activation= (or its other name, output=)")
        problem["output"] = problem.pop("activation")
    unknown = sorted(set(problem) - {"convention", "loss", "output", "hidden"})
    if unknown:
        raise TypeError(f"unknown argument(s) {', '.join(unknown)}: a problem is convention=, loss=, "
                        "activation= (the output's) and hidden=")
    return derive.check(formula, **problem)
