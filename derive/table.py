"""The loss x output-activation table of dE/dz^L: its form, whether it is yhat - y, and the condition."""

from __future__ import annotations

from .conventions import Convention
from .output_layer import OutputDelta, table
from .printing import latex, output_latex, text


def _form_latex(row: OutputDelta, conv: Convention, derivation_delta) -> str:
    return output_latex(row.form, conv) if row.form is not None else latex(derivation_delta, conv)


def rows(conv: Convention) -> list[dict]:
    """One dict per valid pair: loss, activation, form (text and LaTeX), canonical, condition."""
    from .chain import derive
    from .problem import Problem
    out = []
    for row in table():
        form_text = text(row.form) if row.form is not None else f"ŷ ⊙ (g − ⟨ŷ, g⟩), g = {text(row.grad)}"
        delta = None if row.form is not None else derive(
            Problem.make(conv, row.loss, row.activation, "identity")).delta_out
        out.append({"loss": row.loss, "activation": row.activation, "form": form_text,
                    "latex": _form_latex(row, conv, delta), "canonical": row.canonical,
                    "condition": row.condition, "condition_latex": row.condition_latex})
    return out


def render(conv: Convention, fmt: str) -> str:
    """The table as plain text, Markdown or a LaTeX tabular."""
    data = rows(conv)
    if fmt == "text":
        lines = [f"dE/dz at the output layer ({conv.name}); 'canonical' means it equals ŷ − y",
                 f"{'loss':8} {'output':11} {'canonical':10} {'condition':14} form"]
        for r in data:
            lines.append(f"{r['loss']:8} {r['activation']:11} {'yes' if r['canonical'] else 'no':10} "
                         f"{r['condition'] or '':14} {r['form']}")
        return "\n".join(lines) + "\n"
    if fmt == "md":
        lines = ["| loss | output activation | $\\partial E/\\partial z^L$ | equals $\\hat y - y$ | condition |",
                 "|---|---|---|---|---|"]
        for r in data:
            cond = f"${r['condition_latex']}$" if r["condition_latex"] else ""
            lines.append(f"| {r['loss']} | {r['activation']} | ${r['latex']}$ | "
                         f"{'yes' if r['canonical'] else 'no'} | {cond} |")
        return "\n".join(lines) + "\n"
    lines = [r"\begin{tabular}{llll}", r"loss & output & $\partial E/\partial z^L$ & condition \\ \hline"]
    for r in data:
        cond = f"${r['condition_latex']}$" if r["condition_latex"] else ""
        name = r["activation"].replace("_", r"\_")
        lines.append(f"{r['loss']} & {name} & ${r['latex']}$ & {cond} " + r"\\")
    lines.append(r"\end{tabular}")
    return "\n".join(lines) + "\n"
