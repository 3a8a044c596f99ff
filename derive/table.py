"""The loss x output-activation table of the output layer's delta: its form, whether it is yhat - y, the condition.

Every row is written as the convention writes its delta at the output layer (the quantity ``derive check``
judges): Bishop's y - t, CS231n's dZ with the 1/N of its mean cost, dls's A - Y. "Canonical" is decided per
example by ``output_layer`` (the form equals yhat - y exactly); the header says what that is in the convention.
"""

from __future__ import annotations

from .conventions import Convention
from .output_layer import table
from .printing import latex, text


def _delta_out(conv: Convention, loss: str, output: str):
    from .chain import derive
    from .problem import Problem
    return derive(Problem.make(conv, loss, output, "identity"))


def header(conv: Convention) -> dict:
    """The quantity the rows give and the canonical form, in ``conv``'s notation (text and LaTeX)."""
    from .steps import targets_sum
    from .symbols import L
    d = _delta_out(conv, "mse", "identity")  # mse + identity is canonical in every convention
    tex = lambda e: latex(e, conv)  # noqa: E731
    return {"quantity": tex(d.layer.delta(L)), "quantity_text": text(d.layer.delta(L), conv),
            "canonical": tex(d.delta_out), "canonical_text": text(d.delta_out, conv),
            "condition": targets_sum(d.layer, tex), "condition_text": targets_sum(d.layer, lambda e: text(e, conv))}


def rows(conv: Convention) -> list[dict]:
    """One dict per valid pair: loss, activation, form (text and LaTeX), canonical, condition."""
    head = header(conv)
    out = []
    for row in table():
        d = _delta_out(conv, row.loss, row.activation)
        out.append({"loss": row.loss, "activation": row.activation, "form": text(d.delta_out, conv),
                    "latex": latex(d.delta_out, conv), "canonical": row.canonical,
                    "condition": head["condition_text"] if row.condition else None,
                    "condition_latex": head["condition"] if row.condition else None})
    return out


def render(conv: Convention, fmt: str) -> str:
    """The table as plain text, Markdown or a LaTeX tabular (booktabs rules)."""
    head, data = header(conv), rows(conv)
    yes = lambda r: "yes" if r["canonical"] else "no"  # noqa: E731
    if fmt == "text":
        lines = [f"{head['quantity_text']} at the output layer ({conv.name}); 'canonical' means it equals "
                 f"{head['canonical_text']}",
                 f"{'loss':8} {'output':11} {'canonical':10} {'condition':14} form"]
        for r in data:
            lines.append(f"{r['loss']:8} {r['activation']:11} {yes(r):10} {r['condition'] or '':14} {r['form']}")
        return "\n".join(lines) + "\n"
    if fmt == "md":
        lines = [f"| loss | output activation | ${head['quantity']}$ | equals ${head['canonical']}$ | condition |",
                 "|---|---|---|---|---|"]
        for r in data:
            cond = f"${r['condition_latex']}$" if r["condition_latex"] else ""
            lines.append(f"| {r['loss']} | {r['activation']} | ${r['latex']}$ | {yes(r)} | {cond} |")
        return "\n".join(lines) + "\n"
    lines = [r"% needs \usepackage{booktabs}", r"\begin{tabular}{lllll}", r"\toprule",
             f"loss & output & ${head['quantity']}$ & equals ${head['canonical']}$ & condition \\\\", r"\midrule"]
    for r in data:
        cond = f"${r['condition_latex']}$" if r["condition_latex"] else ""
        name = r["activation"].replace("_", r"\_")
        lines.append(f"{r['loss']} & {name} & ${r['latex']}$ & {yes(r)} & {cond} " + r"\\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"
