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


def _region(d, od, conv) -> tuple[str, str] | None:
    """Where a piecewise loss's row equals the canonical form (huber + identity: |y_k - a^L_k| <= 1), as text and
    LaTeX in the convention's letters, component k; None where the analysis found no such piece."""
    if od.region is None:
        return None
    import sympy as sp

    from .steps import entry
    from .symbols import YHAT, L, Y
    lay, k = d.layer, sp.Symbol("k", integer=True, nonnegative=True)
    where = od.region.xreplace({YHAT: entry(lay, lay.a(L), k), Y: entry(lay, lay.y(L), k)})
    return text(where, conv), latex(where, conv)


def rows(conv: Convention, loss: str | None = None) -> list[dict]:
    """One dict per valid pair (of ``loss`` only, where one is named): loss, activation, form (text and LaTeX),
    canonical, condition, and the region where a piecewise loss's form equals the canonical one (None elsewhere)."""
    head = header(conv)
    out = []
    for row in table(loss):
        d = _delta_out(conv, row.loss, row.activation)
        region = _region(d, row, conv)
        out.append({"loss": row.loss, "activation": row.activation, "form": text(d.delta_out, conv),
                    "latex": latex(d.delta_out, conv), "canonical": row.canonical,
                    "condition": head["condition_text"] if row.condition else None,
                    "condition_latex": head["condition"] if row.condition else None,
                    "region": region[0] if region else None, "region_latex": region[1] if region else None})
    return out


def render(conv: Convention, fmt: str, loss: str | None = None) -> str:
    """The table as plain text, Markdown or a LaTeX tabular (booktabs rules), of every loss or of ``loss``'s rows. The
    canonical column says yes, no, or "only where" the piece of a piecewise loss on which the form equals the
    canonical one."""
    head, data = header(conv), rows(conv, loss)

    def yes(r, math=lambda x: x):
        if r["canonical"]:
            return "yes"
        return f"only where {math(r['region_latex'])}" if r["region"] else "no"
    if fmt == "text":
        wide = {key: max(len(key), *(len(str(r[key] or "")) for r in data)) + 1 for key in ("loss", "activation")}
        verdicts = [r["canonical"] and "yes" or (f"only where {r['region']}" if r["region"] else "no") for r in data]
        wide["canonical"] = max(len("canonical"), *map(len, verdicts)) + 1
        lines = [f"{head['quantity_text']} at the output layer ({conv.name}); 'canonical' means it equals "
                 f"{head['canonical_text']}",
                 f"{'loss':{wide['loss']}}{'output':{wide['activation']}}{'canonical':{wide['canonical']}}"
                 f"{'condition':14} form"]
        for r, verdict in zip(data, verdicts):
            lines.append(f"{r['loss']:{wide['loss']}}{r['activation']:{wide['activation']}}"
                         f"{verdict:{wide['canonical']}}{r['condition'] or '':14} {r['form']}")
        return "\n".join(lines) + "\n"
    dollars = lambda x: f"${x}$"  # noqa: E731
    if fmt == "md":
        lines = [f"| loss | output activation | ${head['quantity']}$ | equals ${head['canonical']}$ | condition |",
                 "|---|---|---|---|---|"]
        for r in data:
            cond = f"${r['condition_latex']}$" if r["condition_latex"] else ""
            lines.append(f"| {r['loss']} | {r['activation']} | ${r['latex']}$ | {yes(r, dollars)} | {cond} |")
        return "\n".join(lines) + "\n"
    lines = [r"% needs \usepackage{booktabs}", r"\begin{tabular}{lllll}", r"\toprule",
             f"loss & output & ${head['quantity']}$ & equals ${head['canonical']}$ & condition \\\\", r"\midrule"]
    for r in data:
        cond = f"${r['condition_latex']}$" if r["condition_latex"] else ""
        name, loss = (r[key].replace("_", r"\_") for key in ("activation", "loss"))
        lines.append(f"{loss} & {name} & ${r['latex']}$ & {yes(r, dollars)} & {cond} " + r"\\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"
