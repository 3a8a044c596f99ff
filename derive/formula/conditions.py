"""A condition on a component formula's indices (\\forall i \\neq k, \\text{ if } i = j, a cases block's "otherwise"),
read from the claim's condition text into a predicate the judge applies to each value of the free indices.

A condition derive reads is a conjunction of relations ``=`` / ``\\neq`` between the left side's written component
indices, or between one of them and a number (only where the convention fixes how units are counted: Ng's a_0 is
the bias unit, a_1.. the units; elsewhere j = 1 could be the first unit or the second). "otherwise" (sinon, else)
is where no earlier case of a cases block holds. A forward quantity's value compared with a number (a^l > 0, the
row of ReLU's derivative ``1 for a^l > 0``) is a condition on values, entry by entry: it is read for claims about the
forward pass, whose judge gives each entry's value (``Condition.holds``'s ``at``). Anything else (an inequality of
indices, a range, a condition on the target or the layer) is refused with the reason: judging a restricted claim at
every component, or at the wrong ones, would decide something the notes do not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..errors import DeriveError
from . import ast
from .relations import COMPARISON, COMPARISONS

# words that introduce a condition (English, French) or are part of a quantifier, and the "otherwise" of a last case
INTRODUCING = {"if", "si", "when", "whenever", "for", "all", "where", "provided", "\\forall", "∀"}
OTHERWISE = {"otherwise", "sinon", "else"}
EQUAL, UNEQUAL = ("=",), ("\\neq", "\\ne", "≠", "\\not=")
_TERM = r"([A-Za-z]|[0-9]+)"
_RELATION = re.compile(rf"\s*{_TERM}\s*(=|\\neq(?![A-Za-z])|\\ne(?![A-Za-z])|≠|\\not\s*=)\s*{_TERM}\s*")
_VALUE = re.compile(rf"\s*(?P<quantity>\S.*?)\s*(?P<op>{COMPARISON})\s*(?P<number>-?[0-9]+(?:\.[0-9]+)?)\s*")
_OPPOSITE = {">": "≤", "<": "≥", "≥": "<", "≤": ">"}
_JOINS = re.compile(r",|\band\b|\bet\b|\\land(?![A-Za-z])|\\wedge(?![A-Za-z])")
_WORD = re.compile(r"\\forall(?![A-Za-z])|∀|(?<![\\A-Za-z])[A-Za-z]{2,}")


class ConditionError(DeriveError):
    """The claim's condition is not one derive can restrict the check to."""


@dataclass(frozen=True)
class Relation:
    """left = right or left != right, each side an index letter or a number (as written)."""

    left: str
    equal: bool
    right: str

    def holds(self, values: dict[str, int]) -> bool:
        a, b = (values[x] if x.isalpha() else int(x) for x in (self.left, self.right))
        return (a == b) == self.equal

    def text(self, negated: bool = False) -> str:
        return f"{self.left} {'=' if self.equal != negated else '≠'} {self.right}"


@dataclass(frozen=True)
class Value:
    """quantity op number (a^{l} > 0): a forward quantity's value compared with a number, entry by entry.
    ``quantity`` is its LaTeX as written; ``expr`` its meaning, set when the claim is read (``read.compile_claim``)."""

    quantity: str
    op: str        # >, <, ≥ or ≤
    number: str
    expr: object = field(default=None, compare=False)

    def test(self, x) -> bool:
        n = float(self.number)
        return {">": x > n, "<": x < n, "≥": x >= n, "≤": x <= n}[self.op]

    def text(self, negated: bool = False) -> str:
        return f"{self.quantity} {_OPPOSITE[self.op] if negated else self.op} {self.number}"


@dataclass(frozen=True)
class Condition:
    """Every relation holds, and no excluded condition does (the earlier cases, for a case written "otherwise");
    ``values`` are conditions on a forward quantity's value at the entry judged."""

    relations: tuple[Relation, ...]
    excluded: tuple[Condition, ...] = ()
    values: tuple[Value, ...] = ()

    def holds(self, values: dict, at=None) -> bool:
        """Whether the condition holds where the free indices take ``values`` (keyed by name or by symbol); ``at``
        gives a Value's quantity at the entry judged (the forward judge's), needed where the condition has one."""
        named = {str(k): int(v) for k, v in values.items()}
        if at is None and self.valued():
            raise ConditionError(f"the condition {self.text()} is on a value: derive reads it for a claim about the "
                                 "forward pass (sigma'(z^l) = 1 for a^l > 0), not for a gradient's formula")
        return all(r.holds(named) for r in self.relations) and all(v.test(at(v)) for v in self.values) and \
            not any(c.holds(named, at) for c in self.excluded)

    def valued(self) -> bool:
        """Whether a value condition is part of it (its own or an excluded case's)."""
        return bool(self.values) or any(c.valued() for c in self.excluded)

    def each_value(self):
        """Every Value of the condition and of its excluded cases."""
        yield from self.values
        for c in self.excluded:
            yield from c.each_value()

    def with_values(self, meaning) -> Condition:
        """The condition with each Value's ``expr`` set to ``meaning(value)``."""
        return replace(self, values=tuple(replace(v, expr=meaning(v)) for v in self.values),
                       excluded=tuple(c.with_values(meaning) for c in self.excluded))

    def letters(self) -> set[str]:
        out = {x for r in self.relations for x in (r.left, r.right) if x.isalpha()}
        return out.union(*(c.letters() for c in self.excluded))

    def numbers(self) -> bool:
        return any(not x.isalpha() for r in self.relations for x in (r.left, r.right)) or \
            any(c.numbers() for c in self.excluded)

    def text(self) -> str:
        """As the verdict shows it: "i ≠ k", "i ≠ j" (otherwise than i = j), "i = j and j ≠ 0"."""
        parts = [r.text() for r in self.relations] + [v.text() for v in self.values]
        for c in self.excluded:
            if len(c.relations) + len(c.values) == 1 and not c.excluded:
                parts.append(c.relations[0].text(negated=True) if c.relations else c.values[0].text(negated=True))
            else:
                parts.append(f"not ({c.text()})")
        return " and ".join(parts)


def read(text: str, earlier: tuple[str, ...] = ()) -> Condition:
    """The condition a claim's condition text states ("\\forall i \\neq k", "si i = j", "if j \\neq 0"); "otherwise"
    is where none of ``earlier`` (the conditions of a cases block's earlier cases) holds.

    Raises:
        ConditionError: the text is not a conjunction of index relations derive reads, or "otherwise" has no earlier
            case.
    """
    words = {w.lower() for w in _WORD.findall(text)}
    body = _WORD.sub(" ", text).strip(" .,;:")
    if words & OTHERWISE:
        if body or not earlier:
            raise ConditionError(_refusal(text, "\"otherwise\" is read only as the last case of a cases block, "
                                                "alone"))
        return Condition((), tuple(read(e) for e in earlier))
    unknown = words - INTRODUCING - {"and", "et"}
    if unknown:
        raise ConditionError(_refusal(text, f"derive does not read the word {sorted(unknown)[0]!r} in a condition"))
    relations, values = [], []
    for part in _JOINS.split(text):
        part = _WORD.sub(" ", part).strip(" .;:")
        m = _RELATION.fullmatch(part)
        value = None if m else _VALUE.fullmatch(part)
        if value is not None:
            values.append(Value(" ".join(value["quantity"].split()), COMPARISONS[value["op"]], value["number"]))
            continue
        if m is None:
            raise ConditionError(_refusal(text, f"{' '.join(part.split()) or 'nothing'} is not a relation derive "
                                                "reads"))
        left, op, right = m.groups()
        relations.append(Relation(left, not op.startswith(("\\ne", "≠", "\\not")), right))
    return Condition(tuple(relations), values=tuple(values))


def _refusal(text: str, why: str) -> str:
    return (f"the formula is claimed only {text}: {why}; derive reads a condition of = or \\neq between component "
            "indices written on the left, e.g. \\forall i \\neq k, or \\text{ if } i = j (or, for the forward pass, a "
            "value and a number: \\text{for } a^l > 0)")


def written_indices(lhs) -> set[str]:
    """The letters of the component indices the left side writes (i, j, k in dz_k / dW_{ij}, j in [M]_j)."""
    out: set[str] = set()
    for _, node in ast.walk(lhs):
        indices = node.indices if isinstance(node, ast.Sym | ast.Entry) else None
        for index in indices or ():
            out |= set(re.findall(r"[A-Za-z]", index))
    return out


def for_claim(claim: ast.Claim, free: tuple, units_counted: bool) -> Condition | None:
    """The condition of ``claim`` checked against its meaning: its letters are free indices the left side writes
    (``free``, the meaning's), and a number appears only where ``units_counted`` (the convention fixes where units
    start). None when the claim has no condition.

    Raises:
        ConditionError: the condition cannot be read, or names what it cannot restrict.
    """
    if not claim.condition:
        return None
    where = read(claim.condition, claim.excluded)
    letters = where.letters()
    names = {str(s) for s in free}
    outside = sorted(letters - (names & written_indices(claim.lhs)))
    if outside:
        raise ConditionError(_refusal(claim.condition, f"{outside[0]} is not a component index written on the left "
                                                       "side"))
    if not letters and not where.valued():
        raise ConditionError(_refusal(claim.condition, "it names no component index"))
    if where.numbers() and not units_counted:
        raise ConditionError(_refusal(claim.condition, "comparing an index with a number depends on whether the "
                                                       "notes count units from 0 or from 1, which this convention "
                                                       "does not fix"))
    return where
