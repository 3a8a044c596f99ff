"""A document's prose is written in its convention's letters (issue 12): no Nielsen z^L_j in Bishop's document,
where a is the pre-activation and z = h(a); no z in Goodfellow's; capital Z and A in deeplearning.ai's.

Prose is every sentence outside the displayed equations (the steps' reasons, the set-up table, the algorithm,
the verification table), except the two places that name other sources' letters on purpose: section 4's
comparison of the sources and section 7's table of the other conventions. The letters a convention may use are
read from its Notation record, not from the printer, so that the printer cannot vouch for itself."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from derive.conventions import PRESETS, Notation

OUTPUT = Path(__file__).resolve().parent.parent / "output"
DOCUMENTS = sorted(str(p.relative_to(OUTPUT)) for name in PRESETS for p in (OUTPUT / name).glob("*.*")
            if p.suffix in (".md", ".tex"))

# commands that are structure, not a quantity's letter; \mathrm{..} and \text{..} hold words (diag, end)
STRUCTURE = {"frac", "partial", "sum", "left", "right", "times", "mathbin", "odot", "circ", "bullet", "begin", "end",
             "mathbf", "ln", "hat", "mathcal", "nabla", "lambda", "quad", "top", "mathsf", "cdot",
             "cdots"}  # the picture's layers between z^{l+1} and the cost
INDICES = set("ijkpt") | {"l", "L", "T"}  # derive's unit, example, layer and transpose letters, in every convention
DISPLAYS = {"md": re.compile(r"\$\$.*?\$\$", re.S), "tex": re.compile(r"\\\[.*?\\\]", re.S)}
ON_PURPOSE = {  # the passages that name other sources' letters: section 4's comparison and section 7
    "md": [re.compile(r"The first line is the output layer.*?(?=^## 5)", re.S | re.M),
           re.compile(r"^## 7\..*?(?=^## Verification)", re.S | re.M)],
    "tex": [re.compile(r"The first line, .*?(?=\\section\{Weight)", re.S),
            re.compile(r"\\section\{The same result in other.*?(?=\\section\{Verification)", re.S)],
}


def prose(path: str) -> str:
    """The document's text with its displayed equations and its on-purpose passages about other sources cut."""
    text, fmt = (OUTPUT / path).read_text(), path.rsplit(".", 1)[1]
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S) if fmt == "md" else re.sub(r"(?m)^%.*$", "", text)
    for passage in ON_PURPOSE[fmt]:
        text, cut = passage.subn("", text)
        assert cut == 1, f"{path}: the passage {passage.pattern[:30]!r} moved; update the test"
    return DISPLAYS[fmt].sub("", text)


def inline_math(text: str) -> list[str]:
    return re.findall(r"\$([^$]+)\$", text)


def letters(tex: str) -> set[str]:
    """The letters and Greek-letter commands a formula names, words in \\mathrm / \\text and structure dropped."""
    tex = re.sub(r"\\(?:mathrm|text|operatorname|begin|end)\{[^{}]*\}", " ", tex)
    found = set(re.findall(r"\\[A-Za-z]+|[A-Za-z]", tex))
    return {f for f in found if f.lstrip("\\") not in STRUCTURE}


def allowed(name: str) -> set[str]:
    """Every letter the convention's Notation record writes, with derive's index letters."""
    nt = PRESETS[name].notation
    fields = [getattr(nt, f.name) for f in dataclasses.fields(Notation)]
    return INDICES | set().union(*(letters(v) for v in fields if isinstance(v, str)))


def base(tex: str) -> str:
    """A symbol without its scripts: a^{(L)}_{j} -> a, \\hat{y}_{k} -> \\hat{y}, Z^{[l]}_{jt} -> Z."""
    while (m := re.search(r"[_^]\{", tex)) is not None:
        depth, end = 0, m.end() - 1
        for end in range(m.end() - 1, len(tex)):
            depth += {"{": 1, "}": -1}.get(tex[end], 0)
            if depth == 0:
                break
        tex = tex[:m.start()] + tex[end + 1:]
    return re.sub(r"[_^]\w", "", tex).strip()


def _convention(path: str) -> str:
    return path.split("/")[0]


@pytest.mark.parametrize("path", DOCUMENTS)
def test_the_prose_uses_only_the_conventions_letters(path):
    name = _convention(path)
    stray = {m: sorted(letters(m) - allowed(name)) for m in inline_math(prose(path)) if letters(m) - allowed(name)}
    assert not stray, f"{path} writes letters {name} does not use: {stray}"


# (the sentence, what each $...$ in it must be: a Notation field, read as the symbol's letter)
ROLES = [
    (r"Chain rule: \$([^$]+)\$ reaches the loss through every output \$([^$]+)\$", ("pre", "output")),
    (r"\$([^$]+)\$ depends on \$([^$]+)\$ only when", ("act", "pre")),
    (r"Chain rule: \$([^$]+)\$ reaches the loss only through", ("pre",)),
    (r"\| \$([^$]+)\$ \| pre-activation of layer", ("pre",)),
    (r"\| \$([^$]+)\$ \| activation of layer", ("act",)),
]


def _letter(nt: Notation, role: str) -> str:
    return (nt.output or nt.act) if role == "output" else getattr(nt, role)


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if p.endswith(".md")])
def test_each_quantity_in_the_prose_is_the_conventions_letter_for_it(path):
    nt, text = PRESETS[_convention(path)].notation, prose(path)
    for pattern, roles in ROLES:
        found = re.findall(pattern, text)
        assert found, f"{path}: no sentence matches {pattern!r}"
        for match in found:
            named = [base(m) for m in ((match,) if isinstance(match, str) else match)]
            assert named == [_letter(nt, r) for r in roles], (pattern, named)


def test_the_check_catches_nielsens_letters_in_bishops_sentence():
    # Bishop's a is the pre-activation: a Nielsen sentence read in Bishop's letters names the wrong quantity
    nt = PRESETS["bishop"].notation
    sentence = "Chain rule: $z^{L}_{j}$ reaches the loss through every output $a^{L}_{k}$"
    match = re.search(ROLES[0][0], sentence)
    assert match is not None and [base(m) for m in match.groups()] != [_letter(nt, r) for r in ROLES[0][1]]
    assert letters(r"\frac{\partial C}{\partial z^{l}_{j}}") - allowed("goodfellow") == {"C", "z"}
