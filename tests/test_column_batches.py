"""Per-example notes that define their own batch matrices (derive/column_batches.py): a claim about the batch
is judged in the column-batch layout under the notes' letters, only from the definitions on, and every edit of a
holding batch claim (the 1/N, a transpose, a layer) changes the verdict."""

from __future__ import annotations

import pytest

from derive.column_batches import column_batches, plain
from derive.lint import lint

HEAD = r"""# Batch notes

The cost of a batch of $N$ examples is

$$
J = \frac{1}{N} \sum_{n=1}^{N} \mathcal{L}_n
$$

We collect the errors into

$$
\boldsymbol{\Delta}^{(l)} = \big( \vec{\delta}_1^{(l)} \; \vec{\delta}_2^{(l)} \; \ldots \; \vec{\delta}_N^{(l)} \big)
\in \mathbb{R}^{d_l \times N}
$$

and the pre-activations $Z^{(l)} \in \mathbb{R}^{d_l \times N}$ and activations $A^{(l)} \in \mathbb{R}^{d_l \times N}$.
"""

CLAIMS = [  # (claim, verdict)
    (r"\Delta^{(l)} = \big( (W^{(l+1)})^T \Delta^{(l+1)} \big) \odot \sigma'(Z^{(l)})", "holds"),
    (r"\Delta^{(l)} = \big( (W^{(l)})^T \Delta^{(l+1)} \big) \odot \sigma'(Z^{(l)})", "fails"),
    (r"\Delta^{(l)} = \big( W^{(l+1)} \Delta^{(l+1)} \big) \odot \sigma'(Z^{(l)})", "fails"),
    (r"\Delta^{(l)} = \big( (W^{(l+1)})^T \Delta^{(l+1)} \big) \odot \sigma'(Z^{(l+1)})", "fails"),
    (r"\frac{\partial J}{\partial W^{(l)}} = \frac{1}{N} \Delta^{(l)} (A^{(l-1)})^T", "holds"),
    (r"\frac{\partial J}{\partial W^{(l)}} = \Delta^{(l)} (A^{(l-1)})^T", "fails"),
    (r"\frac{\partial J}{\partial W^{(l)}} = \frac{1}{N} \Delta^{(l)} (A^{(l)})^T", "fails"),
    (r"\frac{\partial J}{\partial b^{(l)}} = \frac{1}{N} \Delta^{(l)} \mathbf{1}", "holds"),
    (r"\frac{\partial J}{\partial b^{(l)}} = \Delta^{(l)} \mathbf{1}", "fails"),
    (r"\Delta^{(L)} = (A^{(L)} - Y) \odot \sigma'(Z^{(L)})", "holds"),
    (r"\Delta^{(L)} = (A^{(L)} - Y) \odot \sigma'(Z^{(l)})", "fails"),
    # a per-example claim after the batch section stays per example
    (r"\delta^{(l)} = \big( (W^{(l+1)})^T \delta^{(l+1)} \big) \odot \sigma'(z^{(l)})", "holds"),
]


def _findings(tmp_path, head: str, claims: list[str]):
    notes = tmp_path / "notes.md"
    notes.write_text(head + "\n" + "\n\n".join(f"$${c}$$" for c in claims) + "\n", encoding="utf-8")
    return {f.formula: f for f in lint(str(notes))}


def test_batch_claims_are_judged_in_the_notes_letters(tmp_path):
    found = _findings(tmp_path, HEAD, [c for c, _ in CLAIMS])
    for claim, verdict in CLAIMS:
        assert found[claim].verdict == verdict, (claim, found[claim].reason)
    batch = found[CLAIMS[0][0]]
    assert "column batches" in batch.convention and "hold the N examples in columns" in batch.reason
    assert "column batches" not in found[CLAIMS[-1][0]].convention  # the per-example claim


@pytest.mark.parametrize("cut", [
    r"J = \frac{1}{N} \sum_{n=1}^{N} \mathcal{L}_n",  # no batch cost: N and J mean nothing
    r"\vec{\delta}_2^{(l)} \; \ldots \;",               # not a stack of the examples' deltas
    r"and activations $A^{(l)} \in \mathbb{R}^{d_l \times N}$",  # A undefined
])
def test_without_the_definitions_nothing_is_read_as_a_batch(tmp_path, cut):
    assert cut in HEAD
    found = _findings(tmp_path, HEAD.replace(cut, ""), [CLAIMS[0][0], CLAIMS[4][0]])
    assert all("column batches" not in (f.convention or "") and f.verdict != "holds" for f in found.values()), \
        [(f.verdict, f.reason) for f in found.values()]


def test_claims_before_the_definitions_are_not_batch_claims(tmp_path):
    notes = tmp_path / "early.md"
    notes.write_text(f"$${CLAIMS[0][0]}$$\n\n" + HEAD, encoding="utf-8")
    first = lint(str(notes))[0]
    assert first.formula == CLAIMS[0][0] and first.verdict == "skipped"


@pytest.mark.parametrize("text,expected", [
    (r"\boldsymbol{\mathbf{\Delta}}^{(\ell)} \;=\; \big(x\big)", r"\Delta^{(\ell)} = (x )"),
    (r"\matr Z^{(l)} &\in \mathbb{R}^{d \times \mathord{N}} \label{eq:z}", r"Z^{(l)} \in \mathbb{R}^{d \times N}"),
])
def test_plain_drops_typography_only(text, expected):
    assert plain(text) == expected


def test_stacks_must_number_the_examples_one_to_the_batch():
    cost = (1, r"J = \frac{1}{N} \sum_{n=1}^{N} L_n")
    shapes = [(3, r"Z^{(l)} \in \mathbb{R}^{d_l \times N}"), (4, r"A^{(l)} \in \mathbb{R}^{d_l \times N}")]
    good = (2, r"\Delta^{(l)} = ( \delta_1^{(l)} \delta_2^{(l)} \ldots \delta_N^{(l)} )")
    assert column_batches([cost, good, *shapes]).letters[:3] == (("act", "A"), ("delta", r"\Delta^@"), ("pre", "Z"))
    for bad in [r"\Delta^{(l)} = ( \delta_1^{(l)} \delta_3^{(l)} \ldots \delta_N^{(l)} )",   # not 1, 2, ...
                r"\Delta^{(l)} = ( \delta_1^{(l)} \delta_2^{(l)} \ldots \delta_M^{(l)} )",   # not the batch's N
                r"\Delta^{(l)} = ( \delta_1^{(l)} \delta_2^{(l+1)} \ldots \delta_N^{(l)} )",  # two layers
                r"\Delta^{(l+1)} = ( \delta_1^{(l)} \delta_2^{(l)} \ldots \delta_N^{(l)} )"]:  # another layer
        assert column_batches([cost, (2, bad), *shapes]) is None, bad
