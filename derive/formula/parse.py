"""Pasted formula text (LaTeX or Octave-style) to the syntax tree of ``ast``; never evaluates the text.

``parse`` reads a claim (lhs = rhs), ``parse_chain`` a claim or a one-line chain (a = b = c: one claim per
relation; ``chain_links`` adds each link's text), ``parse_expr`` a bare expression. The text is checked before
lark sees it (length, control characters, balanced and bounded nesting, \\frac arguments); wrappers, presentation
that carries no math (\\textcolor{red}{...} and \\colorbox keep their body, \\color{green}, \\boxed, \\large,
\\rm, \\bf) and trailing annotations ($...$, \\[...\\], \\quad\\text{for } l < L, \\tag{BP2}, a final period) are
blanked out with spaces so that error columns stay those of the text as pasted. An annotation is kept on the
claim: as its ``condition`` when it restricts the claim (\\mbox{ if } j \\neq 0), else as prose. Then the LALR
grammar in ``grammar.lark`` parses it with the Transformer below running inline, and the tree's depth and size
are bounded (MAX_TERMS, MAX_PARTS) so that checking it is bounded work. Every failure is a FormulaError with one
line saying what and where.

``read_macros`` collects a document's \\newcommand, \\renewcommand, \\def and \\DeclareMathOperator definitions and
``expand_macros`` substitutes them (or front matter macros) into a formula: text substitution only, bounded in
depth and size.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..errors import DeriveError
from .ast import (
    ONES,
    BiasUnit,
    Bin,
    Call,
    Claim,
    Derivative,
    Entry,
    IndexExpr,
    Indicator,
    Kronecker,
    Layer,
    Max,
    Nabla,
    Neg,
    Num,
    Partial,
    Pow,
    Slice,
    Sum,
    Sym,
    Transpose,
    ZeroBiasColumn,
    index_text,
    map_symbols,
)
from .relations import COMPARISON, COMPARISONS, PATTERN, RELATION, meaning

MAX_CHARS = 2000
MAX_NESTING = 50      # brackets of any kind, \left( ... \right) included
MAX_DEPTH = 200       # levels of the finished tree (a+a+a+... is deep without any bracket)
# the checker's work grows with the formula (diagnosis rewrites each part of a failing one), so its size is
# bounded: the largest formula in the corpora, the sample notes and the gallery has 4 terms and 21 parts
MAX_TERMS = 32        # terms joined by + or -, over the whole formula
MAX_PARTS = 128       # symbols, numbers, calls and operations (a layer superscript is part of its symbol)

FUNCTION_LETTERS = {"\\sigma", "\\phi", "\\varphi", "g", "f", "h"}
UNICODE = {"σ": "\\sigma", "ϕ": "\\phi", "φ": "\\varphi", "ℓ": "l", "α": "\\alpha", "β": "\\beta",
           "γ": "\\gamma", "δ": "\\delta", "ε": "\\epsilon", "ζ": "\\zeta", "η": "\\eta", "θ": "\\theta",
           "ι": "\\iota", "κ": "\\kappa", "λ": "\\lambda", "μ": "\\mu", "ν": "\\nu", "ξ": "\\xi", "π": "\\pi",
           "ρ": "\\rho", "τ": "\\tau", "υ": "\\upsilon", "χ": "\\chi", "ψ": "\\psi", "ω": "\\omega",
           "Γ": "\\Gamma", "Δ": "\\Delta", "Θ": "\\Theta", "Λ": "\\Lambda", "Ξ": "\\Xi", "Π": "\\Pi",
           "Σ": "\\Sigma", "Υ": "\\Upsilon", "Φ": "\\Phi", "Ψ": "\\Psi", "Ω": "\\Omega"}
# Octave text (ASCII without one backslash): delta_2 and z_2 name layer 2, as delta2 and z2 do
_OCTAVE: ContextVar[bool] = ContextVar("octave", default=False)
CALLIGRAPHIC = {"\\cal": "\\mathcal"}  # the old switch {\cal L} is \mathcal{L}
HATS = {"hat": "\\hat", "widehat": "\\hat", "tilde": "\\tilde", "widetilde": "\\tilde", "bar": "\\bar",
        "overline": "\\bar"}


class FormulaError(DeriveError):
    """A formula that cannot be read; the message is one line saying what and where."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(" ".join(message.splitlines()))  # one line, whatever text it quotes
        self.column = column


def parse(text: str) -> Claim:
    """Read a claim such as ``\\delta^l = ((w^{l+1})^T \\delta^{l+1}) \\odot \\sigma'(z^l)``.

    A chain ``a = b = c`` is more than one claim: ``parse_chain`` reads it.

    Raises:
        FormulaError: the text is not a formula this grammar reads, or has no relation, or more than one.
    """
    links, rels = _links(text)
    if len(links) > 1:
        raise FormulaError(f"more than one relation ({_quote(rels[0].value)} at {_tok_where(rels[0])} and "
                           f"{_quote(rels[1].value)} at {_tok_where(rels[1])}): a chain a = b = c is checked one "
                           "link at a time", rels[1].column)
    return links[0][1]


def parse_chain(text: str) -> list[Claim]:
    """Read a claim or a one-line chain such as
    ``\\delta^L = \\frac{\\partial C}{\\partial z^L} = (a^L - y) \\odot \\sigma'(z^L)``: one Claim per relation, between
    the sides on either side of it (a single claim is a list of one).

    Raises:
        FormulaError: the text is not a formula this grammar reads, or has no relation.
    """
    return [claim for _, claim in _links(text)[0]]


def chain_links(text: str) -> list[tuple[str, Claim]]:
    """``parse_chain`` with each link's own text (``lhs = rhs`` as written, on one line), for reports."""
    return _links(text)[0]


def formulas(text: str) -> list[tuple[str, list[tuple[str, Claim]]]]:
    """The formulas written side by side on one line, separated by spacing only (``a = b,\\qquad c = d``): for each,
    its text and its links as ``chain_links`` gives them. A formula after prose (``\\quad\\text{and}\\quad``) is
    refused as ``parse`` refuses it; a single formula is a list of one.

    Raises:
        FormulaError: a formula is not one this grammar reads, or has no relation.
    """
    out = []
    for _ in range(MAX_TERMS):
        read = _read(text, claim=True)
        beside = _beside(read.annotation)
        links = _links(text, read, beside=beside is not None)[0]
        out.append((_side_text(read, 0, len(read.rels)), links))
        if beside is None:
            return out
        text = beside
    raise FormulaError(f"more than {MAX_TERMS} formulas on one line; check one formula at a time")


def _links(text: str, read: _Read | None = None, beside: bool = False):
    """([(link text, Claim)], relation tokens) of a claim or a chain (of ``read``, when the text is read already);
    ``beside``: the annotation is a formula written beside this one, which ``formulas`` reads on its own."""
    read = read or _read(text, claim=True)
    exprs, rels = read.exprs, read.rels
    if not rels:
        raise FormulaError("no '=': a formula must claim something, e.g. \\delta^l = ...")
    ops = [_relation(r) for r in rels]
    annotation = None if beside else read.annotation
    second = _second_claim(annotation)
    if second:
        raise FormulaError(f"a second formula after the text: {_quote(second)}; check one formula at a time "
                           "(one per line, or a chain a = b = c)")
    annotation = " ".join(filter(None, (read.quantifier, annotation))) or None  # \\forall i \\neq k, \\quad ...
    condition = _condition(annotation, exprs)
    annotation = None if condition else annotation
    make = lambda lhs, rhs, op: Claim(lhs, rhs, op, condition, annotation, read.shape)
    # Goodfellow alg. 6.4: g <- \nabla_{a^{(k)}} J = g \odot f'(a^{(k)}); the claim is the equality
    if ops == ["<-", "="] and isinstance(exprs[0], Sym):
        return [(_side_text(read, 1, 2), make(exprs[1], exprs[2], "="))], rels
    return [(_side_text(read, i, i + 1), make(exprs[i], exprs[i + 1], ops[i])) for i in range(len(rels))], rels


_CASES_BEGIN = re.compile(r"\\begin\s*\{cases\}")
_CASES_END = re.compile(r"\\end\s*\{cases\}")
_ROW_BREAK = re.compile(r"\\\\\*?(?:\s*\[\s*[-+]?[\d.]+\s*[a-z]{2}\s*\])?")  # \\ and \\[2pt]


def cases(text: str) -> list[str] | None:
    """The formula of each case when a formula's right side is a cases block (lhs = \\begin{cases} e_1 & \\text{if }
    c_1 \\\\ e_2 & \\text{otherwise} \\end{cases}): lhs = e_k followed by its condition, in order, the & written as
    spacing (so that what follows it is the case's condition); None for any other formula (one cases block, after
    a relation, with nothing but punctuation after it, and no other environment)."""
    if not isinstance(text, str) or len(text) > MAX_CHARS or "cases" not in text:
        return None
    begins, ends = list(_CASES_BEGIN.finditer(text)), list(_CASES_END.finditer(text))
    if len(begins) != 1 or len(ends) != 1 or ends[0].start() < begins[0].end():
        return None
    before, body, after = text[:begins[0].start()], text[begins[0].end():ends[0].start()], text[ends[0].end():]
    if "\\begin" in before + body or after.strip(" \t\n.,;") or not re.search(r"(?:=|\\equiv)\s*$", before):
        return None
    rows = [" ".join(r.split()) for r in _rows(body)]
    if not rows:
        return None
    return [f"{before.rstrip()} {_row(r)}" for r in rows]


def _rows(body: str) -> list[str]:
    """The rows of a cases block's body, split at its top-level row breaks (\\\\, \\\\[2pt]), empty ones left out."""
    rows, start = [], 0
    for i, d in _scan(body):
        m = _ROW_BREAK.match(body, i) if d == 0 else None
        if m:
            rows.append(body[start:i])
            start = m.end()
    return [r for r in rows + [body[start:]] if r.strip()]


def _row(row: str) -> str:
    """A case's row with its & (between the value and the condition) written as \\quad, at the top level only."""
    out, at = [], 0
    for i, depth in _scan(row):
        if row[i] == "&" and depth == 0:
            out += [row[at:i], " \\quad "]
            at = i + 1
    return "".join(out) + row[at:]


def _side_text(read, first: int, last: int) -> str:
    """The prepared text from side ``first`` to side ``last`` (relations between them included), on one line."""
    start = 0 if first == 0 else read.rels[first - 1].end_pos
    end = len(read.prepared) if last == len(read.rels) else read.rels[last].start_pos
    return " ".join(read.prepared[start:end].split())


def parse_expr(text: str):
    """Read a bare expression such as ``(W^{l+1})^T \\delta^{l+1}`` into an ast node.

    Raises:
        FormulaError: the text is not an expression this grammar reads (a relation included).
    """
    read = _read(text, claim=False)
    exprs, rels = read.exprs, read.rels
    if rels:
        raise FormulaError(f"{_quote(rels[0].value)} at {_tok_where(rels[0])}: parse_expr reads an expression; "
                           "use parse for a claim", rels[0].column)
    return exprs[0]


# ---------------------------------------------------------------- the notes' own macros
MAX_MACROS = 1000          # definitions in one table
MAX_MACRO_BODY = 2000      # characters of one definition's body
MAX_MACRO_DEPTH = 16       # levels of macros used inside macros
MAX_MACRO_OUTPUT = 20_000  # characters of a formula once its macros are expanded (and of the text before)
_NAME = re.compile(r"[A-Za-z]+")
_DEFINITION = re.compile(r"\\(newcommand|renewcommand|providecommand|DeclareMathOperator|def)(?![A-Za-z])(\*?)")


def expand_macros(text: str, macros: dict) -> str:
    """``text`` with the notes' macros expanded: ``\\name`` and ``\\name{arg}...`` replaced by the body, #1..#9
    by the arguments (a braced group or one token each, as TeX reads them), ## by #.

    ``macros`` maps a name (with or without its backslash) to a body, whose arity is its highest #n (front matter
    macros, as KaTeX and MathJax take them), or to (arity, body), as ``read_macros`` gives. A pure substitution of
    text, never an evaluation: expansion is repeated while a body uses another macro, at most MAX_MACRO_DEPTH
    levels, and the result is at most MAX_MACRO_OUTPUT characters.

    Raises:
        FormulaError: a malformed table, a macro without its arguments, a recursive or exploding definition.
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text (str), not {type(text).__name__}")
    table = _macro_table(macros)
    if not table or "\\" not in text:
        return text
    if len(text) > MAX_MACRO_OUTPUT:
        raise FormulaError(f"formula too long to expand its macros: {len(text)} characters "
                           f"(at most {MAX_MACRO_OUTPUT})")
    for _ in range(MAX_MACRO_DEPTH):
        text, changed = _expand_once(text, table)
        if not changed:
            return text
    if _expand_once(text, table)[1]:
        raise FormulaError(f"macros used inside macros deeper than {MAX_MACRO_DEPTH} levels: is one defined by "
                           "itself? Write the formula without it")
    return text


def read_macros(text: str) -> dict[str, tuple[int, str]]:
    """The macros a document defines, for ``expand_macros``: name -> (arity, body).

    Reads ``\\newcommand{\\x}[n]{...}`` (and ``\\newcommand\\x``, ``*``), ``\\renewcommand``, ``\\providecommand``,
    ``\\def\\x#1#2{...}`` and ``\\DeclareMathOperator{\\x}{text}`` (as ``\\operatorname{text}``), in order, a later
    definition replacing an earlier one; definitions in % comments, with an optional argument ([default]) or
    delimited parameters, or longer than MAX_MACRO_BODY, are not read (a formula using them stays unread and says
    so). Time linear in the text: braces are matched in one pass.
    """
    if not isinstance(text, str):
        raise FormulaError(f"a document must be text (str), not {type(text).__name__}")
    found = list(_DEFINITION.finditer(text))
    if not found:
        return {}
    closing = _matching_braces(text)
    comments = [(m.start(), m.end()) for m in re.finditer(r"(?<!\\)%[^\n]*", text)]
    starts = [a for a, _ in comments]
    import bisect
    table: dict[str, tuple[int, str]] = {}
    done = 0  # a definition inside another's body is not one (TeX reads it when the macro is used)
    for m in found:
        at = bisect.bisect_right(starts, m.start()) - 1
        if m.start() < done or (at >= 0 and comments[at][1] > m.start()):
            continue
        read = _definition(text, m, closing)
        if read is None:
            continue
        name, arity, body, end = read
        done = end
        if m.group(1) == "providecommand" and name in table:
            continue
        if name in table or len(table) < MAX_MACROS:
            table[name] = (arity, body)
    return table


def _definition(text, m, closing):
    """(name, arity, body, end) of the definition that ``m`` starts, or None if it is not one this reads."""
    kind, i = m.group(1), _skip_space(text, m.end())
    braced = text.startswith("{", i)
    if braced:
        i = _skip_space(text, i + 1)
    name = re.compile(r"\\([A-Za-z]+)").match(text, i)
    if name is None or (kind == "def" and braced):
        return None
    i = name.end()
    if braced:
        i = _skip_space(text, i)
        if not text.startswith("}", i):
            return None
        i += 1
    arity = 0
    if kind == "def":
        params = re.compile(r"(?:#[1-9])*").match(text, i)
        marks = params.group()[1::2]
        if marks != "123456789"[:len(marks)]:
            return None
        arity, i = len(marks), params.end()
    elif kind != "DeclareMathOperator":
        i = _skip_space(text, i)
        n = re.compile(r"\[\s*([0-9])\s*\]").match(text, i)
        if n:
            arity, i = int(n.group(1)), _skip_space(text, n.end())
        if text.startswith("[", i):  # an optional first argument with its default: not read
            return None
    i = _skip_space(text, i)
    end = closing.get(i)
    if end is None or end - i - 2 > MAX_MACRO_BODY:
        return None
    body = text[i + 1:end - 1]
    if kind == "DeclareMathOperator":
        body = f"\\operatorname{m.group(2)}{{{body}}}"
    return name.group(1), arity, body, end


def _matching_braces(text) -> dict[int, int]:
    """{index of each '{': the index after its '}'}, for the braces that close; one pass, escapes skipped."""
    out, stack = {}, []
    for m in re.finditer(r"\\.|[{}]", text, re.S):
        ch = m.group()
        if ch == "{":
            stack.append(m.start())
        elif ch == "}" and stack:
            out[stack.pop()] = m.end()
    return out


def _macro_table(macros) -> dict[str, tuple[int, str]]:
    if not isinstance(macros, dict):
        raise FormulaError(f"macros must be a table of names and definitions, not {type(macros).__name__}")
    if len(macros) > MAX_MACROS:
        raise FormulaError(f"too many macros: {len(macros)} (at most {MAX_MACROS})")
    table = {}
    for key, value in macros.items():
        name = key[1:] if isinstance(key, str) and key.startswith("\\") else key
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise FormulaError(f"macro name {key!r} is not a command name such as \\pd")
        if isinstance(value, str):
            arity = max((int(d) for d in re.findall(r"(?<!#)#([1-9])", value)), default=0)
            body = value
        elif isinstance(value, tuple | list) and len(value) == 2 and type(value[0]) is int \
                and 0 <= value[0] <= 9 and isinstance(value[1], str):
            arity, body = value
        else:
            raise FormulaError(f"the definition of \\{name} must be text, or (number of arguments, text)")
        if len(body) > MAX_MACRO_BODY:
            raise FormulaError(f"the definition of \\{name} is longer than {MAX_MACRO_BODY} characters")
        table[name] = (arity, body)
    return table


def _substitute(body: str, args: list) -> str:
    """A macro's body with #1..#9 replaced by its arguments and ## by #; any other # is left for the parser."""
    def one(d):
        mark = d.group(1)
        if mark == "#":
            return "#"
        return args[int(mark) - 1] if int(mark) <= len(args) else d.group()
    return re.sub(r"#([1-9#])", one, body)


def _expand_once(text: str, table: dict) -> tuple[str, bool]:
    """One left-to-right pass replacing each macro (not the text its bodies bring in); (text, changed)."""
    out, size, i, changed, n = [], 0, 0, False, len(text)
    while i < n:
        j = text.find("\\", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        m = _COMMAND.match(text, j)
        if m is None or m.group(1) not in table:
            piece = m.group() if m else text[j:j + 2]
            out.append(piece)
            size += j - i + len(piece)
            i = j + len(piece)
            continue
        name = m.group(1)
        arity, body = table[name]
        args, k = [], m.end()
        for _ in range(arity):
            k = _skip_space(text, k)
            if k >= n or text[k] == "}":
                raise FormulaError(f"\\{name} needs {arity} argument{'s' if arity > 1 else ''}, e.g. "
                                   f"\\{name}" + "{a}" * arity)
            if text[k] == "{":
                end = _group_end(text, k)
                if end is None:
                    raise FormulaError(f"\\{name} needs {arity} argument{'s' if arity > 1 else ''}: "
                                       "a brace is never closed")
                args.append(text[k + 1:end - 1])
                k = end
            else:
                c = _COMMAND.match(text, k)
                token = c.group() if c else text[k:k + 2] if text[k] == "\\" else text[k]
                args.append(token)
                k += len(token)
        piece = _substitute(body, args)
        out.append(piece)
        size += j - i + len(piece)
        if size > MAX_MACRO_OUTPUT:
            raise FormulaError(f"the formula is longer than {MAX_MACRO_OUTPUT} characters once its macros are "
                               "expanded; write it without them")
        i, changed = k, True
    return "".join(out), changed


# ---------------------------------------------------------------- the pipeline
@functools.cache
def _parser():
    """The LALR parser of grammar.lark, its tables loaded from the cache ``_lazy.cached_lark`` keeps."""
    from .._lazy import cached_lark
    return cached_lark(Path(__file__).parent / "grammar.lark", parser="lalr", lexer="contextual", transformer=_Build(),
                       fill={"RELATION": PATTERN, "COMPARISON": COMPARISON})


@dataclass(frozen=True)
class _Read:
    exprs: list          # the sides, as ast nodes
    rels: list           # the relation tokens between them
    annotation: str | None  # what was cut after the formula (\\quad\\text{for } l < L, \\mbox{ if } j \\neq 0)
    prepared: str        # the text lark saw
    shape: tuple | None = None  # the dimensions of a shape stated after the formula (\\in \\mathbb{R}^{n \\times 1})
    quantifier: str | None = None  # what was cut before the formula (\\forall i \\neq k, \\quad)


# the physics package's derivatives, which notes use as if they were plain LaTeX: \pdv{C}{w} is
# \frac{\partial C}{\partial w}, \dv{C}{w} is \frac{dC}{dw}; read only with both arguments braced (its one-argument
# \pdv{x} is the operator d/dx and its \pdv[n]{f}{x} an n-th derivative: refused, never guessed)
PHYSICS_DERIVATIVES = {"pdv": r"\frac{{\partial {0}}}{{\partial {1}}}", "dv": r"\frac{{d {0}}}{{d {1}}}"}
_PHYSICS = re.compile(r"\\(pdv|dv)(?![A-Za-z])\s*(\*?)")


def _physics_derivatives(text: str) -> str:
    """``text`` with each \\pdv{f}{x} and \\dv{f}{x} written as the fraction it prints."""
    if "dv" not in text:
        return text
    closing, out, at = _matching_braces(text), [], 0
    for m in _PHYSICS.finditer(text):
        if m.start() < at:
            continue  # inside an argument already copied (a \pdv within a \pdv is expanded on the next pass)
        first = m.end()
        second = closing.get(first)
        if m.group(2) or second is None or text[second:second + 1] != "{" or second not in closing:
            raise FormulaError(f"\\{m.group(1)} is read with two braced arguments, as in \\{m.group(1)}{{C}}{{w}}; "
                               f"write the derivative as \\frac{{\\partial C}}{{\\partial w}}", m.start() + 1)
        end = closing[second]
        out += [text[at:m.start()], PHYSICS_DERIVATIVES[m.group(1)].format(text[first + 1:second - 1],
                                                                           text[second + 1:end - 1])]
        at = end
    text = "".join(out) + text[at:]
    return _physics_derivatives(text) if _PHYSICS.search(text) else text


# the indicator of a condition, \mathds{1}_{i=j} (also \mathbb{1}, \mathbbm{1}): the Iverson bracket [i = j]
_INDICATOR = re.compile(r"\\(?:mathds|mathbbm|mathbb)\s*\{\s*1\s*\}\s*_\s*\{([^{}]*)\}")


def _indicators(text: str) -> str:
    r"""``text`` with each indicator \mathds{1}_{cond} written as the Iverson bracket [cond] it denotes (the
    bracket then reads the condition: two component indices equal)."""
    if "1" not in text or "\\math" not in text:
        return text
    return _INDICATOR.sub(lambda m: f"[{m.group(1)}]", text)


# a two-case block inside an expression, its first case's condition a comparison of values and its second
# "otherwise" (a leaky ReLU's derivative, 1 for y > 0 and 1/100 otherwise): A [c] + B (1 - [c]), the same function
_SPACING = re.compile(r"(?:\s|\\[,:;! ]|\\q?quad(?![A-Za-z]))+")
_INTRO = re.compile(r"(?:\\(?:text|mbox|textrm)\s*\{\s*(?:for|if|when)\s*\}|(?:for|if|when)\b)\s*")
_OTHERWISE = re.compile(r"\\(?:text|mbox|textrm)\s*\{\s*otherwise\s*\}|otherwise")
_COMPARISON = re.compile(COMPARISON)


def _inline_cases(text: str) -> str:
    """``text`` with each two-case block inside an expression (lhs = x \\cdot \\begin{cases} A & \\text{for} c \\\\ B &
    \\text{otherwise} \\end{cases}) written as the sum of its cases times the Iverson bracket of their conditions;
    any other block is left for the grammar to refuse. (``check`` splits a block that is a whole right side,
    lhs = \\begin{cases} ..., into its cases first, each judged where its condition holds.)"""
    if "cases" not in text:
        return text
    begins, ends = list(_CASES_BEGIN.finditer(text)), list(_CASES_END.finditer(text))
    if len(begins) != 1 or len(ends) != 1 or ends[0].start() < begins[0].end():
        return text
    body = text[begins[0].end():ends[0].start()]
    parts = [_row(r).split(" \\quad ", 1) for r in _rows(body)]
    if len(parts) != 2 or any(len(p) != 2 for p in parts):
        return text
    (first, condition), (second, otherwise) = parts
    condition, otherwise = (_SPACING.sub(" ", x).strip(" .,") for x in (condition, otherwise))
    condition = condition[m.end():] if (m := _INTRO.match(condition)) else condition
    if len(_COMPARISON.findall(condition)) != 1 or _OTHERWISE.fullmatch(otherwise) is None:
        return text  # one comparison of values, then "otherwise": anything else is left for the grammar to refuse
    bracket = rf"\left[{condition}\right]"
    written = (rf"\left(\left({first.strip()}\right) {bracket} + \left({second.strip()}\right) "
               rf"\left(1 - {bracket}\right)\right)")
    return text[:begins[0].start()] + written + text[ends[0].end():]


def _read(text, claim: bool) -> _Read:
    """The sides, relation tokens and annotation of ``text``, checked, prepared and parsed."""
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
    if isinstance(text, str) and len(text) <= MAX_CHARS:
        text = _inline_cases(_indicators(_physics_derivatives(text)))
    prepared, annotation, quantifier = _prepare(text, claim)
    prepared, shape = _cut_shape(prepared) if claim else (prepared, None)
    parser = _parser()  # outside the try: a broken grammar is a bug, not a bad formula
    octave = _OCTAVE.set(prepared.isascii() and "\\" not in prepared)
    try:
        exprs, rels = parser.parse(prepared)
    except FormulaError:
        raise
    except UnexpectedCharacters as exc:
        raise FormulaError(_bad_characters(prepared, exc.pos_in_stream), exc.column) from None
    except UnexpectedToken as exc:
        raise FormulaError(_bad_token(exc), getattr(exc.token, "column", None)) from None
    except UnexpectedInput as exc:
        raise FormulaError(f"cannot read the formula at column {exc.column}") from None
    except RecursionError:
        raise FormulaError(f"formula nests too deeply (at most {MAX_NESTING} brackets)") from None
    except LarkError as exc:
        raise FormulaError(f"cannot read the formula: {str(exc).splitlines()[0]}") from None
    finally:
        _OCTAVE.reset(octave)
    exprs = [_written_out_sums(_plain(e)) for e in exprs]
    _check_size(exprs)
    return _Read(exprs, list(rels), annotation, prepared, shape, quantifier)


# a shape stated after the formula, \in \mathbb{R}^{d_l \times 1} (\mathbb R, \R, ℝ): the dimensions, one level of
# braces inside the exponent (d_{l+1}, n^{[l]}); anything after it, or a shape inside the formula, is not one
_SHAPE = re.compile(r"\\in(?![A-Za-z])\s*(?:\\mathbb\s*\{\s*R\s*\}|\\mathbb\s+R(?![A-Za-z])|\\R(?![A-Za-z])|ℝ)\s*"
                    r"(?:\^\s*(?:\{((?:[^{}]|\{[^{}]*\})*)\}|([A-Za-z0-9])))?\s*$")
_TIMES = re.compile(r"\\times(?![A-Za-z])|×")


def _cut_shape(prepared: str) -> tuple[str, tuple | None]:
    """``prepared`` with a trailing shape blanked out (columns kept), and its dimensions parsed: () for \\mathbb{R}
    (a number), (n,) for a vector of n entries, (rows, columns) for a matrix; None when no shape ends the formula
    at its top level after a relation."""
    m = _SHAPE.search(prepared)
    if m is None or not _RELATION_AT.search(prepared, 0, m.start()) or \
            next(depth for i, depth in _scan(prepared) if i >= m.start()) != 0:
        return prepared, None
    exponent = m.group(1) if m.group(1) is not None else m.group(2)
    parts = [] if exponent is None else _TIMES.split(exponent)
    if len(parts) > 2:
        raise FormulaError(f"the shape stated after the formula has {len(parts)} dimensions: a vector or matrix has "
                           "one or two", m.start() + 1)
    dims = tuple(parse_expr(part) for part in parts)
    chars = list(prepared)
    _blank(chars, m.start(), m.end())
    return "".join(chars), dims


def _relation(tok) -> str:
    return meaning(re.sub(r"\s+", "", tok.value))


# ---------------------------------------------------------------- before lark
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_RELATION_AT = RELATION
_ANNOTATION_AT = re.compile(r"\\(?:q?quad|text|textrm|textnormal|textit|mbox|hbox|tag|label|nonumber|notag)"
                            r"(?![A-Za-z])")
_WRAPPERS = [(re.compile(r"^\s*\{"), re.compile(r"\}\s*$")),  # {...} around the whole formula (from a colour)
             (re.compile(r"^\s*\\\["), re.compile(r"\\\]\s*$")),
             (re.compile(r"^\s*\\\("), re.compile(r"\\\)\s*$")),
             (re.compile(r"^\s*\\begin\{(?:equation|align|gather|displaymath|math)\*?\}"),
              re.compile(r"\\end\{(?:equation|align|gather|displaymath|math)\*?\}\s*$"))]
# a \quad followed by an operator is spacing inside the formula, not the start of an annotation
_OPERATOR_AHEAD = re.compile(r"\\q?quad\s*(?:\\q?quad\s*)*(?:[-+*/=]|\\odot|\\circ|\\cdot|\\times|\.\*)")
_OPERATOR_AT = re.compile(r"[-+*/=(\[{]|\\odot|\\circ|\\cdot|\\times")
_SPACING_AT = re.compile(r"\s|\\[,;:!> ]")
_TRAILING = re.compile(r"(?:\s|\\\\|(?<!\\)(?<!\\left)(?<!\\right)[.,;])+$")
_OPENERS, _CLOSERS = "([{", ")]}"
_KINDS = {"(": "parentheses", ")": "parentheses", "[": "brackets", "]": "brackets", "{": "braces", "}": "braces"}


def _prepare(text, claim: bool) -> tuple[str, str | None, str | None]:
    """The text lark sees (the same length and layout, with what carries no meaning blanked out), the
    annotation cut after the formula and the quantifier cut before it (each as written, or None)."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text (str), not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise FormulaError(f"formula too long: {len(text)} characters (at most {MAX_CHARS})")
    for i, ch in enumerate(text):
        if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n\r":
            raise FormulaError(f"control character U+{ord(ch):04X} at {_where(text, i)}: a formula is plain text",
                               i + 1)
    if not text.strip():
        raise FormulaError("empty formula")
    if "==" in text:
        i = text.index("==")
        raise FormulaError(f"'==' at {_where(text, i)}: a formula claims lhs = rhs with a single '='", i + 1)
    chars = list(text)
    _blank_comments(text, chars)
    for i, ch in enumerate(chars):
        if ch == "$":
            chars[i] = " "
        elif ch == "−":  # Unicode minus (U+2212): the same sign, so that Octave text stays ASCII
            chars[i] = "-"
    _blank_presentation(chars)
    changed = True
    while changed:
        changed = False
        current = "".join(chars)
        for head, tail in _WRAPPERS:
            m, n = head.search(current), tail.search(current)
            if m and n and m.end() <= n.start() and (current[m.end() - 1] != "{" or
                                                     _group_end(current, m.end() - 1) == n.start() + 1):
                _blank(chars, m.start(), m.end())
                _blank(chars, n.start(), n.end())
                changed = True
                break
    _strip_trailing(chars)
    quantifier = _cut_quantifier(chars) if claim else None
    before = "".join(chars)
    spans = _cut_annotation(chars, claim)
    annotation = " ".join(" ".join(before[a:b].split()) for a, b in spans) if spans else None
    _strip_trailing(chars)
    prepared = "".join(chars)
    if not prepared.strip():
        raise FormulaError("empty formula")
    _check_brackets(prepared)
    _check_fracs(prepared)
    return prepared, annotation or None, quantifier


_QUANTIFIER = re.compile(r"\s*(?:\\forall(?![A-Za-z])|∀)")
_QUANTIFIER_END = re.compile(r"\\q?quad(?![A-Za-z])|[,:]")
_QUANTIFIER_ENDS = ["\\q", ":", ","]  # the first \\quad, else the first colon, else the first comma


def _cut_quantifier(chars) -> str | None:
    """Blank a quantifier written before the formula (\\forall i \\neq k, \\quad dz_k/dW_{ij} = 0) and return it as
    written: it runs to the first \\quad at the top level (or, without one, the first colon, else the first comma),
    and a formula must follow it. None when the text starts with anything else (the grammar then refuses \\forall)."""
    text = "".join(chars)
    m = _QUANTIFIER.match(text)
    if m is None:
        return None
    ends = [e for i, depth in _scan(text) if i >= m.end() and depth == 0 and (e := _QUANTIFIER_END.match(text, i))]
    if not ends:
        return None
    end = min(ends, key=lambda e: (_QUANTIFIER_ENDS.index(e.group()[:2]), e.start()))
    run = _ANNOTATION_RUN.match(text, end.end())
    stop = run.end() if run else end.end()
    if not _RELATION_AT.search(text, stop) or not text[stop:].strip():
        return None
    _blank(chars, 0, stop)
    return " ".join(text[:stop].split())


def _blank(chars, start, end):
    for i in range(start, end):
        if chars[i] not in "\n\r":
            chars[i] = " "


def _blank_comments(text, chars):
    # % starts a comment in both LaTeX and Octave (\% is a literal percent sign)
    for m in re.finditer(r"(?<!\\)%[^\n]*", text):
        _blank(chars, m.start(), m.end())


def _strip_trailing(chars):
    m = _TRAILING.search("".join(chars))
    if m:
        _blank(chars, m.start(), m.end())


# ---- presentation that carries no math: colours, boxes, sizes, font switches; blanked, never the math inside
# \mathord{N} (a math class, set by a notes macro such as \newcommand{\batch}{\mathord{N}}) keeps its body too
_COLOURED = re.compile(r"\\(textcolor|colorbox|fcolorbox|color|boxed|mathord)(?![A-Za-z])")
_COLOUR_ARGS = {"color": 1, "textcolor": 1, "colorbox": 1, "fcolorbox": 2, "boxed": 0, "mathord": 0}  # before the body
_SWITCHES = re.compile(r"\\(?:tiny|scriptsize|footnotesize|small|normalsize|large|Large|LARGE|huge|Huge"
                       r"|bf|it|sf|tt|mit|boldmath|unboldmath|normalfont)(?![A-Za-z])"
                       r"|\\rm(?![A-Za-z])(?!\s*\{\s*(?:relu|ReLU|softmax|sigmoid|tanh|exp|log)\s*\})")
# W^{[l]^T}: a transpose written on the layer inside the superscript is the superscript's T, as in W^{[l]T}
_T_FORM = r"(?:T|\\top(?![A-Za-z])|\\intercal(?![A-Za-z])|\\math(?:rm|sf)\s*\{\s*T\s*\})"
_INNER_T = re.compile(r"\^\s*\{\s*(?:\[[^\[\]{}]*\]|\([^(){}]*\)|[A-Za-z](?:\s*[-+]\s*[0-9]+)?)\s*(\^)\s*"
                      r"(?:(\{)\s*" + _T_FORM + r"\s*(\})|" + _T_FORM + r")\s*\}")


def _group_end(text, i) -> int | None:
    """The index after the brace group that opens at ``text[i]`` (None if it is not one or never closes)."""
    if i >= len(text) or text[i] != "{":
        return None
    depth, j = 0, i
    while j < len(text):
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return None


def _skip_space(text, i) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _blank_presentation(chars):
    """Blank \\textcolor{red}{...} and \\colorbox (keeping the body), \\color{green} (keeping what it colours),
    \\boxed{...}, size and font switches (\\large, \\rm, \\bf) and the inner ^ of W^{[l]^T}. Only a whole,
    well-formed command is blanked; anything else is left for the grammar to reject."""
    text = "".join(chars)
    for m in _SWITCHES.finditer(text):
        _blank(chars, m.start(), m.end())
    for m in _INNER_T.finditer(text):
        for g in (1, 2, 3):
            if m.start(g) >= 0:
                _blank(chars, m.start(g), m.end(g))
    text = "".join(chars)
    for m in _COLOURED.finditer(text):
        i = _skip_space(text, m.end())
        if i < len(text) and text[i] == "[":  # \textcolor[rgb]{1,0,0}{...}: the colour model
            close = text.find("]", i)
            if close < 0:
                continue
            i = _skip_space(text, close + 1)
        ends = []
        for _ in range(_COLOUR_ARGS[m.group(1)]):
            end = _group_end(text, i)
            if end is None:
                break
            ends.append(end)
            i = _skip_space(text, end)
        if len(ends) != _COLOUR_ARGS[m.group(1)]:
            continue
        if m.group(1) == "color":  # a switch: colours the rest of its group, which stays
            _blank(chars, m.start(), ends[-1])
            continue
        body_end = _group_end(text, i)
        if body_end is None:
            continue
        _blank(chars, m.start(), i + 1)
        _blank(chars, body_end - 1, body_end)


def _scan(text):
    """(index, depth before it) for each significant character; commands and escapes are skipped whole."""
    depth, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            m = _COMMAND.match(text, i)
            end = m.end() if m else i + 2
            yield i, depth
            i = end
            continue
        yield i, depth
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth -= 1
        i += 1


# an annotation between two sides of a chain: a = b \quad\text{(by definition)} = c
_ANNOTATION_RUN = re.compile(r"(?:\s|\\[,;:!> ]|\\q?quad(?![A-Za-z])|\\(?:text|textrm|textnormal|textit|mbox|hbox)\s*"
                             r"\{[^{}]*\}|\\(?:tag|label)\*?\s*\{[^{}]*\}|\\(?:nonumber|notag)(?![A-Za-z]))+")


def _cut_annotation(chars, claim: bool) -> list[tuple[int, int]]:
    """Blank a trailing annotation (\\quad\\text{for } l = L-1, ..., 2 or \\tag{BP2}) after the formula, and
    annotations between the sides of a chain (a = b \\quad\\text{(BP1)} = c); return their spans.

    Only at the top level and only once the right-hand side has begun; a \\quad next to an operator is
    spacing, and a \\text where an operand belongs is left for the grammar to reject.
    """
    text = "".join(chars)
    need_relation, content, after_operator, resume = claim, False, True, 0
    spans: list = []
    for i, depth in _scan(text):
        if i < resume:
            continue
        if depth == 0 and need_relation:
            need_relation = not _RELATION_AT.match(text, i)
            continue
        if depth == 0 and _ANNOTATION_AT.match(text, i):
            spacing = text.startswith(("\\quad", "\\qquad"), i)
            if spacing and (after_operator or _OPERATOR_AHEAD.match(text, i)):
                continue
            if not content:
                return spans
            run = _ANNOTATION_RUN.match(text, i)
            if run and _RELATION_AT.match(text, run.end()):  # the chain goes on after it
                _blank(chars, i, run.end())
                spans.append((i, run.end()))
                resume = run.end()
                continue
            _blank(chars, i, len(chars))
            spans.append((i, len(chars)))
            return spans
        if not _SPACING_AT.match(text, i):
            content = True
            after_operator = bool(_OPERATOR_AT.match(text, i))
    return spans


_PROSE = re.compile(r"\\(?:text|textrm|textnormal|textit|textbf|mbox|hbox|mathrm)\s*\{([^{}]*)\}")
# French notes write si / sinon (if / otherwise)
_CONDITION_WORDS = {"if", "when", "whenever", "unless", "otherwise", "provided", "except", "only", "iff", "else", "si",
                    "sinon"}
_CONDITION_AT = re.compile(r"(\\ell(?![A-Za-z])|(?<![A-Za-z\\])[A-Za-z](?![A-Za-z]))\s*"
                           r"(?:\\(?:neq|ne|leq|le|geq|ge|lt|gt|in|notin)(?![A-Za-z])|[<>≠≤≥∈]|=)")
# a quantity's value compared with a number (a cases row's "for a^{l} > 0", ReLU's derivative): a condition on values
_VALUE_AT = re.compile(r"(?<![A-Za-z\\])[A-Za-z]\s*(?:[_^]\s*(?:\{[^{}]*\}|[A-Za-z0-9]))+\s*"
                       rf"(?:{COMPARISON})\s*-?[0-9]")


def _condition(annotation: str | None, exprs) -> str | None:
    """The condition an annotation puts on the claim (\\mbox{ if } j \\neq 0 gives "if j \\neq 0"), or None when it
    is prose that claims nothing (\\text{for } l = L-1, ..., 2; \\tag{BP2}).

    A condition is introduced by a word such as "if" or "unless", or is a relation on one of the claim's
    component indices (\\quad j \\neq 0). A range of layers (l < L) is prose: the checker judges a claim written
    with l at the layers where it applies.
    """
    if not annotation:
        return None
    words = {w.lower() for body in _PROSE.findall(annotation) for w in re.findall(r"[A-Za-z]+", body)}
    math = _PROSE.sub(" ", annotation)
    indices = set()
    for node in exprs:
        indices |= _index_letters(node)
    variables = {("l" if v == "\\ell" else v) for v in _CONDITION_AT.findall(math)}
    if not (words & _CONDITION_WORDS or variables & indices or _VALUE_AT.search(math)):
        return None
    text = _PROSE.sub(lambda m: f" {m.group(1).strip()} ", annotation)
    text = re.sub(r"\\(?:q?quad|[,;:! ])(?![A-Za-z])", " ", text)
    return " ".join(text.split()).strip(" ,;") or None


def _second_claim(annotation: str | None) -> str | None:
    """A claim about a quantity inside an annotation (\\quad\\text{and}\\quad \\delta^l = ...), which cutting the
    annotation would drop unchecked; None when the annotation's math is prose (l = L-1, ..., 2; y = 1; j \\neq 0)."""
    if not annotation:
        return None
    for chunk in _PROSE.split(annotation):
        chunk = re.sub(r"\\(?:q?quad|tag|label|nonumber|notag)(?![A-Za-z])|^\s*[,;]", " ", chunk)
        if not _RELATION_AT.search(chunk):
            continue
        try:
            exprs = _read(chunk, claim=True).exprs
        except FormulaError:
            continue
        if _quantity_like(exprs[0]):
            return " ".join(chunk.split())
    return None


# what may separate two formulas written side by side: spacing and punctuation (a = b,\qquad c = d), never prose
_GAP = re.compile(r"(?:\s|[,;]|\\[,;:!> ]|\\(?:q?quad|enskip|enspace)(?![A-Za-z]))+")


def _beside(annotation: str | None) -> str | None:
    """The text of a formula written beside this one after spacing only (\\qquad \\delta^l = ...), whose left side
    names a quantity; None when the annotation is anything else (prose, a condition, a tag, nothing)."""
    if not annotation:
        return None
    gap = _GAP.match(annotation)
    rest = annotation[gap.end():] if gap else ""
    if not gap or not _RELATION_AT.search(rest):
        return None
    try:
        lhs = _read(rest, claim=True).exprs[0]
    except FormulaError as exc:
        # a formula about a quantity that cannot be read is refused, never cut off as prose unchecked
        relation = _RELATION_AT.search(rest)
        if relation is None:
            return None
        try:
            lhs = _read(rest[:relation.start()], claim=False).exprs[0]
        except FormulaError:
            return None
        if _quantity_like(lhs):
            raise FormulaError(f"the formula beside the first, {_quote(rest)}: {exc}") from None
        return None
    return rest if _quantity_like(lhs) else None


def _quantity_like(lhs) -> bool:
    """Whether a left side names a quantity, as a second claim's does (a derivative, a symbol with a layer or
    components), not an index or a number (l = L-1, j = 1)."""
    return isinstance(lhs, Partial | Nabla) or isinstance(lhs, Sym) and bool(lhs.layer or lhs.indices)


def _index_letters(node) -> set[str]:
    """The letters used in the component indices of a tree's symbols (j, k in w_{jk} and a_{k+1})."""
    out, stack = set(), [node]
    while stack:
        x = stack.pop()
        if isinstance(x, Sym) and x.indices:
            out |= {ch for ix in x.indices for ch in ix if ch.isalpha()}
        if isinstance(x, tuple):
            stack.extend(x)
        elif isinstance(x, _NODES):
            stack.extend(getattr(x, f.name) for f in fields(x))
    return out


def _check_brackets(text):
    stack = []
    for i, _depth in _scan(text):
        ch = text[i]
        if ch in _OPENERS:
            stack.append(i)
            if len(stack) > MAX_NESTING:
                raise FormulaError(f"nesting deeper than {MAX_NESTING} at {_where(text, i)}", i + 1)
        elif ch in _CLOSERS:
            if not stack:
                raise FormulaError(f"unbalanced {_KINDS[ch]}: {ch!r} at {_where(text, i)} closes nothing", i + 1)
            j = stack.pop()
            if _OPENERS.index(text[j]) != _CLOSERS.index(ch):
                raise FormulaError(f"mismatched brackets: {text[j]!r} at {_where(text, j)} is closed by {ch!r} "
                                   f"at {_where(text, i)}", i + 1)
    if stack:
        j = stack[-1]
        raise FormulaError(f"unbalanced {_KINDS[text[j]]}: {text[j]!r} at {_where(text, j)} is never closed", j + 1)


def _check_fracs(text):
    """\\frac needs two arguments: {a}{b}, or single characters as in \\frac12 and \\frac1m."""
    for m in re.finditer(r"\\[dt]?frac(?![A-Za-z])", text):
        i = m.end()
        for _ in range(2):
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text) or text[i] in "})]^_=":
                raise FormulaError(f"{m.group()} at {_where(text, m.start())} needs two arguments, "
                                   f"e.g. {m.group()}{{1}}{{m}}", m.start() + 1)
            if text[i] == "{":
                depth = 0
                while i < len(text):
                    depth += {"{": 1, "}": -1}.get(text[i], 0)
                    i += 1
                    if depth == 0:
                        break
            elif text[i] == "\\":
                c = _COMMAND.match(text, i)
                i = c.end() if c else i + 2
            else:
                i += 1


def _where(text, i) -> str:
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return f"column {col}" if line == 1 else f"line {line}, column {col}"


def _tok_where(tok) -> str:
    line, col = getattr(tok, "line", None), getattr(tok, "column", None)
    if col is None:
        return "the end"
    return f"column {col}" if line in (None, 1) else f"line {line}, column {col}"


def _quote(s: str) -> str:
    s = re.sub(r"\s+", " ", s)
    s = s if len(s) <= 20 else s[:17] + "..."
    return f'"{s}"' if "'" in s else f"'{s}'"


# ---------------------------------------------------------------- lark's errors, in words
_DESCRIBE = {"REL": "'='", "PLUS": "'+'", "MINUS": "'-'", "_RP": "')'", "_RB": "']'", "_RC": "'}'",
             "_LC": "'{'", "SUB": "'_'", "SUP": "'^'", "COLON": "':'", "END": "'end'", "COMMA": "','", "COMP": "'>'"}
_STARTS = {"LETTER", "GREEK", "ELL", "WORD", "CAL", "HAT", "FONT", "FNLETTER", "FNNAME", "NUMBER", "_LP", "_LB",
           "FRAC", "FRACSHORT", "PARTIAL", "NABLA", "SUM", "DIGIT1", "SQRT"}
_MISUSED = {"left": "\\left at {} must be followed by (, [ or a period",
            "right": "\\right at {} must be followed by ), ] or a period",
            "text": "\\text{{...}} at {} is only allowed after the formula, as an annotation",
            "mbox": "\\mbox{{...}} at {} is only allowed after the formula, as an annotation",
            "partial": "\\partial at {} appears only as \\frac{{\\partial C}}{{\\partial x}} "
                       "or \\partial C / \\partial x"}


def _expected(names) -> str:
    words = []
    if names & _STARTS:
        words.append("an expression")
    for name in ("_RC", "_RP", "_RB", "_LC", "REL", "SUB", "COLON", "END"):
        if name in names:
            words.append(_DESCRIBE[name])
    return " or ".join(words[:3])


def _bad_characters(text, pos) -> str:
    where = _where(text, pos)
    m = _COMMAND.match(text, pos)
    if m:
        name = m.group(1)
        if name in _MISUSED:
            return _MISUSED[name].format(where)
        return f"unknown command \\{name} at {where}"
    if text.startswith("\\\\", pos):
        return f"a line break \\\\ at {where}: check one formula at a time"
    if text[pos] == "\\":
        after = text[pos + 1:pos + 2]
        if not after or after.isspace():
            return f"a lone backslash at {where}"
        return f"unknown command \\{after} at {where}"
    return f"unexpected character {text[pos]!r} at {where}"


def _bad_token(exc) -> str:
    tok, names = exc.token, set(exc.expected or ())
    expected = _expected(names)
    tail = f": expected {expected}" if expected else ""
    if tok.type == "$END":
        return f"the formula ends too early (after {_tok_where(tok)}){tail}"
    if tok.type == "PARTIAL":
        return _MISUSED["partial"].format(_tok_where(tok))
    if tok.type == "ROWBREAK":  # lexed as a token only for \substack's rows
        return f"a line break \\\\ at {_tok_where(tok)}: check one formula at a time"
    return f"unexpected {_quote(tok.value)} at {_tok_where(tok)}{tail}"


# ---------------------------------------------------------------- internal marks, resolved as the tree grows
@dataclass(frozen=True)
class _Group:
    """A parenthesised or bracketed expression: ^2 on it is a power, and [v]_{2:end} a slice."""

    inner: object
    style: str


@dataclass(frozen=True)
class _D:
    """\\partial x, legal only as a numerator or denominator: \\frac{\\partial C}{\\partial x}."""

    arg: object
    tok: object
    given: tuple = ()  # the cost's argument list, \\partial J(\\Theta)


@dataclass(frozen=True)
class _FnHead:
    """A function letter or name with its superscripts and primes, before we know if it is called."""

    fn: str
    letter: bool
    ops: tuple          # ("sup", items, tok) | ("prime", tok)
    tok: object


@dataclass(frozen=True)
class _Dots:
    """\\cdots as a term: the terms a sum written out leaves out (``_written_out_sums`` reads or refuses it)."""

    tok: object = None


SUM_LETTERS = ("k", "q", "p", "r", "s", "u", "v")


def _written_out_sums(node):
    """``node`` with each sum written out, T(1) + T(2) + \\cdots (terms that differ exactly by one component index,
    numbered from 0 or 1, then \\cdots), as the sum over that index: \\sum_k T(k), from the first number (meaning.py
    then checks it runs over every unit of a layer). A \\cdots anywhere else is a FormulaError."""
    if isinstance(node, Bin) and node.op == "+" and isinstance(node.right, _Dots):
        terms, left = [], node.left
        while isinstance(left, Bin) and left.op == "+":
            terms.append(left.right)
            left = left.left
        terms = [_written_out_sums(t) for t in [left] + terms[::-1]]
        summed = _as_sum(terms, _letters_used(node))
        if summed is None:
            raise FormulaError(f"{node.right.tok.value} at {_tok_where(node.right.tok)} after terms that are not one "
                               "term with its index counted 1, 2, ...; write the sum, e.g. \\sum_k ...",
                               node.right.tok.column)
        return summed
    if isinstance(node, _Dots):
        raise FormulaError(f"{node.tok.value} at {_tok_where(node.tok)}: derive reads it only after the terms of a sum "
                           "written out (T(1) + T(2) + \\cdots); write the formula without it", node.tok.column)
    if isinstance(node, _NODES) and not isinstance(node, Layer):
        return replace(node, **{f.name: _written_out_sums(getattr(node, f.name)) for f in fields(node)
                                if isinstance(getattr(node, f.name), _NODES + (_Dots,))})
    return node


def _as_sum(terms: list, used: set):
    """\\sum_k T(k) when ``terms`` are T(n), T(n+1), ... (n = 0 or 1) for one term T with the index k; else None."""
    letter = next((x for x in SUM_LETTERS if x not in used), None)
    if letter is None or len(terms) < 2:
        return None
    for start in (0, 1):
        bodies = [_numbered(t, str(start + n), letter) for n, t in enumerate(terms)]
        if all(b is not None for b in bodies) and all(b == bodies[0] for b in bodies):
            return Sum(letter, bodies[0], lower=Num(str(start)))
    return None


def _numbered(node, number: str, letter: str):
    """``node`` with every component index written ``number`` (on a symbol with a layer) written ``letter``; None when
    it has none, or the number is elsewhere (a symbol without a layer, whose digit may be its layer)."""
    found: list = []

    def swap(s: Sym) -> Sym:
        if not s.indices or number not in s.indices:
            return s
        if s.layer is None:
            found.append(None)
            return s
        found.append(s)
        return replace(s, indices=tuple(letter if i == number else i for i in s.indices))
    out = map_symbols(node, swap)
    return out if found and None not in found else None


def _letters_used(node) -> set[str]:
    out = set(_index_letters(node))
    for x in _walk_nodes(node):
        if isinstance(x, Sum):
            out.add(x.index)
    return out


def _walk_nodes(node):
    stack = [node]
    while stack:
        x = stack.pop()
        yield x
        if isinstance(x, _NODES):
            stack.extend(getattr(x, f.name) for f in fields(x))


def _plain(x):
    """An ast node from whatever a rule produced; a stray \\partial is an error."""
    if isinstance(x, _Group):
        return x.inner
    if isinstance(x, _D):
        raise FormulaError(_MISUSED["partial"].format(_tok_where(x.tok)), x.tok.column)
    if isinstance(x, _FnHead):  # the grammar turns heads into calls or symbols; kept as a guard
        return _fn_symbol(x)
    return x


def _err(tok, what, hint=""):
    """FormulaError "<what> at column N[; hint]" for a problem found at ``tok``."""
    return FormulaError(f"{what} at {_tok_where(tok)}" + (f"; {hint}" if hint else ""), getattr(tok, "column", None))


# ---------------------------------------------------------------- superscripts
def _sup_parts(items, tok, example=False):
    """(core, marks): the layer or exponent part of a superscript, and its T / prime marks in order.

    With ``example``, deeplearning.ai's Z^{[l](i)} gives (core, marks, "i"): layer [l], example (i).
    """
    cores, marks = [], []
    for kind, value, style in items:
        if kind == "mark":
            marks.append(value)
        elif style == "plain" and value == [(None, "T")]:
            marks.append("T")
        else:
            cores.append((value, style))
    found = None
    # the example after the layer in any layer style: Z^{[l](i)}, \delta^{(l+1)(t)}, a^{l-1(t)}
    if example and len(cores) == 2 and cores[1][1] == "paren" and len(cores[1][0]) == 1 \
            and cores[1][0][0][0] is None and cores[1][0][0][1].isalpha():
        found = cores.pop()[0][0][1]
    if len(cores) > 1:
        text = "".join(_core_text(c) for c in cores)
        raise _err(tok, f"superscript {text} has more than one layer")
    core = cores[0] if cores else None
    return (core, marks, found) if example else (core, marks)


def _examples_only(indices) -> bool:
    """Whether a symbol's indices are only an example's, (t) of \\delta^{(l)(t)}, which a subscript may follow."""
    return all(i.startswith("(") for i in indices)


def _core_text(core) -> str:
    terms, style = core
    body = "".join((s or "") + t for s, t in terms)
    return {"paren": f"({body})", "bracket": f"[{body}]"}.get(style, body)


def _layer_of(core) -> Layer | None:
    """l, l+1, L-1, 3, (l), [l-1] as a Layer; anything else (-1, 0.5, -z) is not a layer."""
    terms, style = core
    if terms[0][0] is not None:
        return None
    first = terms[0][1]
    if len(terms) == 1:
        if first.isdigit():
            return Layer(None, int(first), style)
        if len(first) == 1 and first.isalpha():
            return Layer(first, 0, style)
        return None
    if len(terms) == 2 and len(first) == 1 and first.isalpha() and terms[1][1].isdigit():
        offset = int(terms[1][1])
        return Layer(first, offset if terms[1][0] == "+" else -offset, style)
    return None


def _exponent(core, tok):
    terms, style = core
    if style != "plain":
        raise _err(tok, f"superscript {_core_text(core)} is not a layer, transpose or power here")
    node = None
    for sign, text in terms:
        atom = Num(text) if text[0].isdigit() or text[0] == "." else Sym(text)
        if "/" in text:  # ^{-3/2} (s_ratio)
            atom = Bin("div", *(Num(part) for part in text.split("/")))
        if node is None:
            node = Neg(atom) if sign == "-" else atom
        else:
            node = Bin("-" if sign == "-" else "+", node, atom)
    return node


def _apply_sup(base, items, tok):
    grouped = isinstance(base, _Group)
    node = _plain(base)
    core, marks, example = _sup_parts(items, tok, example=True)
    if "star" in marks:  # y^*: the target's name (a symbol of its own), on a plain letter and alone; y_i^* is
        # its component i, as y^*_i is (the subscript stays on the symbol)
        if not (isinstance(node, Sym) and not grouped and node.layer is None
                and node.base.isalpha() and core is None and marks == ["star"] and example is None):
            raise _err(tok, "a superscript * names a symbol (y^*, the target)", "write it on a letter alone")
        return replace(node, base=node.base + "^*")
    bare = isinstance(node, Sym) and not grouped and node.layer is None
    if example is not None:  # dZ^{[l](i)}: example i of dZ^{[l]}, kept as the index "(i)" after any subscript
        lay = _layer_of(core)
        if not bare or lay is None:
            raise _err(tok, f"superscript {_core_text(core)}({example}) needs a plain symbol under it")
        node = replace(node, layer=lay, indices=(*(node.indices or ()), f"({example})"))
    elif core is not None:
        lay = _layer_of(core)
        # z_j^2 (subscript first, a plain number: Bishop 5.65) is a power; w^3_{24} and z_j^{(2)} are layers
        squared = lay is not None and lay.symbol is None and core[1] == "plain" and bare and node.indices is not None
        if bare and lay is not None and not squared:
            node = replace(node, layer=lay)
        elif lay is not None and lay.symbol is not None and isinstance(node, Sym) and not node.indices \
                and node.layer is not None and node.layer.symbol is None and node.layer.style == "paren" \
                and core[1] == "paren":
            # {h^{(0)}}^{(r)}: example r of the quantity named h^{(0)} (Goodfellow's initial state)
            node = Sym(f"{node.base}^{{({node.layer.offset})}}", lay)
        elif lay is not None and lay.symbol is not None:
            what = "a symbol that already has a layer" if isinstance(node, Sym) and not grouped else \
                "an expression"
            raise _err(tok, f"layer superscript {_core_text(core)} on {what}")
        else:
            node = Pow(node, _exponent(core, tok))
    for mark in marks:
        node = Transpose(node) if mark == "T" else _apply_prime(node)
    return node


def _apply_prime(node):
    """' after a function letter's symbol is a derivative ((f^l)' in Wikipedia); after anything else, T."""
    if isinstance(node, Sym) and node.base in FUNCTION_LETTERS and node.indices is None:
        return Call(node.base, None, 1, node.layer)
    if isinstance(node, Call) and node.arg is None:
        return replace(node, prime=node.prime + 1)
    return Transpose(node)


def _fn_symbol(head: _FnHead):
    """A function head used as a symbol: h^{(k-1)T} (a hidden state), or g' alone (f' at the pre-activation)."""
    if not head.letter:
        raise _err(head.tok, f"function {head.fn} needs an argument")
    node = Sym(head.fn)
    for op in head.ops:
        node = _apply_sup(node, op[1], op[2]) if op[0] == "sup" else _apply_prime(node)
    return node


def _fn_call(head: _FnHead, arg):
    """f(arg) with the head's layer superscript, primes and (for names, \\tanh^2) a power."""
    layer, prime, power = None, 0, None
    for op in head.ops:
        if op[0] == "prime":
            prime += 1
            continue
        _, items, tok = op
        core, marks = _sup_parts(items, tok)
        if "star" in marks:
            raise _err(tok, f"a superscript * on the function {head.fn}")
        if "T" in marks:
            raise _err(tok, f"a transpose on the function {head.fn}")
        prime += len(marks)
        if core is None:
            continue
        lay = _layer_of(core)
        if not head.letter and lay is not None and lay.symbol is None and core[1] == "plain":
            power = Num(str(lay.offset))      # \tanh^2(z) is (\tanh z)^2
        elif lay is None:
            raise _err(tok, f"superscript {_core_text(core)} on the function {head.fn}")
        elif layer is not None:
            raise _err(tok, f"a second layer superscript on the function {head.fn}")
        else:
            layer = lay
    node = Call(head.fn, arg, prime, layer)
    return Pow(node, power) if power is not None else node


# ---------------------------------------------------------------- names
def _letter_name(text: str) -> str:
    return UNICODE.get(text, "l" if text == "\\ell" else text)


def _word(text: str) -> Sym:
    """Octave and deeplearning.ai names: Theta1, delta3, a2 (layer suffix); dZ, dW, db, dZ2."""
    m = re.fullmatch(r"([A-Za-z]+?)([0-9]*)", text)
    assert m is not None, "the lexer's WORD is letters, then digits"
    base, digits = m.group(1), m.group(2)
    if base in ("Theta", "theta", "Delta", "delta", "lambda", "alpha"):
        base = "\\" + base
    return Sym(base, Layer(None, int(digits), "suffix") if digits else None)


def _fn_name(text: str) -> str:
    m = re.search(r"\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}", text)
    name = m.group(1) if m else text.lstrip("\\")
    return "relu" if name.lower() == "relu" else name


# ---------------------------------------------------------------- the Transformer, run on each reduction
class _Build:
    """Callbacks for lark (one per rule alias), building ast nodes bottom-up as LALR reduces."""

    # lark looks up a method by rule alias (or rule name) and calls it with the list of children,
    # named tokens included; rules prefixed "?" with one child pass it through without a call.

    def start(self, c):
        return [c[i] for i in range(0, len(c), 2)], [c[i] for i in range(1, len(c), 2)]

    # ---- operators
    def add(self, c):
        return Bin("+", _plain(c[0]), _plain(c[2]))

    def dots(self, c):
        return _Dots(c[0])

    def sub(self, c):
        return Bin("-", _plain(c[0]), _plain(c[2]))

    def hadamard(self, c):
        return Bin("hadamard", _plain(c[0]), _plain(c[2]))

    def star(self, c):
        return Bin("star", _plain(c[0]), _plain(c[2]))

    def juxt(self, c):
        return Bin("matmul", _plain(c[0]), _plain(c[1]))

    def cdot(self, c):
        return Bin("matmul", _plain(c[0]), _plain(c[2]))

    def neg(self, c):
        return Neg(_plain(c[1]))

    def div(self, c):
        return _divide(c[0], c[2], c[1])

    def frac(self, c):
        return _divide(c[1], c[2], c[0])

    def sqrt(self, c):  # \sqrt{v}: v to the power 1/2
        return Pow(_plain(c[1]), Bin("div", Num("1"), Num("2")))

    def frac_short(self, c):  # \frac12, \frac1m: two single-character arguments
        a, b = re.sub(r"^\\[dt]?frac|\s", "", c[0].value)
        return Bin("div", *(Num(x) if x.isdigit() else Sym(x) for x in (a, b)))

    # ---- sums: the index and the limits as written (meaning.py accepts only limits over every unit)
    def sum(self, c):
        index, lower, upper = c[1]
        if isinstance(index, tuple):  # \sum_{m,n}: one sum per index, each over all its values, outermost first
            if upper is not None:
                raise _err(c[0], "a sum over several indices with an upper limit", "write one sum per index")
            body = _plain(c[2])
            for left, right in reversed(lower or ()):  # \substack's constraints: the terms where they hold
                body = Bin("matmul", Kronecker(left, right), body)
            for name in reversed(index):
                body = Sum(name, body, None, None)
            return body
        return Sum(index, _plain(c[2]), lower, upper)

    def limits(self, c):  # _k, _{k=1}, _{k=1}^{n}
        index, lower = c[1]
        return index, lower, (c[3] if len(c) > 3 else None)

    def limits_upper_first(self, c):  # ^{n}_{k=1}
        index, lower = c[3]
        return index, lower, c[1]

    def max_over(self, c):  # \max_{u=1}^{U} x_{...}: read by a layer's reader only
        index, lower, upper = c[1]
        if isinstance(index, tuple):
            raise _err(c[0], "a max over several indices", "write one \\max per index")
        return Max(index, _plain(c[2]), lower, upper)

    def lower_many(self, c):  # \sum_{m,n}
        names: list[str] = []
        for tok in c:
            if tok.type == "LETTER":
                names.append(_letter_name(tok.value))
            elif tok.type == "PRIME":
                names[-1] += "'"
        if len(set(names)) != len(names):
            raise _err(c[0], f"the sum's indices {', '.join(names)} repeat one")
        return tuple(names), None

    def lower_constrained(self, c):  # \sum_{\substack{l,m \\ \textrm{s.t.} \\ (l-1) s + m = j}}
        names, _ = self.lower_many([t for t in c if getattr(t, "type", None) in ("LETTER", "PRIME")])
        return names, tuple(x for x in c if isinstance(x, tuple))

    def scond(self, c):  # l + m = j under a sum: a Kronecker delta of two indices
        if _relation(c[1]) != "=":
            raise _err(c[1], f"{_quote(c[1].value)} under a sum", "a constraint under a sum equates two indices")
        sides = tuple(_index_text(_plain(x)) for x in (c[0], c[2]))
        if None in sides:
            raise _err(c[1], "a constraint under a sum compares two indices (letters, numbers, + - and products)")
        return sides

    def lower(self, c):
        name = _letter_name(c[0].value)
        if len(c) > 1 and getattr(c[1], "type", None) == "PRIME":  # \sum_{j'=1}: a primed index letter
            name, c = name + "'", [c[0], *c[2:]]
        if len(c) == 1:
            return name, None
        if _relation(c[1]) != "=":
            raise _err(c[1], f"the sum's index takes its first value with '=', not {_quote(c[1].value)}",
                       "e.g. \\sum_{k=1}^{n}")
        return name, _plain(c[2])

    def upper(self, c):
        x = c[0]
        if hasattr(x, "type"):  # a token: one letter, one digit or a Greek letter
            return Num(x.value) if x.type == "DIGIT1" else Sym(_letter_name(x.value))
        return _plain(x)

    # ---- atoms
    def letter(self, c):
        return Sym(_letter_name(c[0].value))

    def word(self, c):
        return _word(c[0].value)

    def number(self, c):
        return Num(c[0].value)

    def cal(self, c):  # \mathcal{L}, \mathcal L, {\cal L}
        name = c[0].value.strip()
        return Sym(f"{CALLIGRAPHIC.get(name, name)}{{{c[1].value}}}")

    def hat(self, c):
        name = re.sub(r"[^A-Za-z]", "", c[0].value)
        return Sym(f"{HATS[name]}{{{c[1]}}}")

    def hatarg(self, c):
        return c[0] if isinstance(c[0], str) else _letter_name(c[0].value)

    def hatfont(self, c):  # the font carries no meaning here, as outside a hat (font): the letter it sets
        return c[-1] if isinstance(c[-1], str) else _letter_name(c[-1].value)

    def hatletter(self, c):
        return _letter_name(c[0].value)

    def hat_layer(self, c):  # \hat{W^L}: the hat marks the letter, the layer is the symbol's, as in \hat{W}^L
        name = re.sub(r"[^A-Za-z]", "", c[0].value)
        node = _apply_sup(Sym(f"{HATS[name]}{{{c[1]}}}"), c[3], c[2])
        if not isinstance(node, Sym) or node.layer is None:
            raise _err(c[2], f"a superscript under {c[0].value}{{...}} other than a layer",
                       f"write it after the hat, as in {c[0].value}{{{c[1]}}}^T")
        return node

    def font(self, c):
        inner = _plain(c[1])
        if inner == Num("1") and c[0].value.lstrip("\\") in BOLD:  # \mathbf{1}: a vector of ones, not the number
            return Sym(ONES)
        if c[0].value.lstrip("\\") in UPRIGHT and (word := _letters_run(inner)) is not None:
            return Sym(word)  # \mathrm{out}, \mathit{WW}: one name, as code writes it, not a product of letters
        return inner

    def paren(self, c):
        return _Group(_plain(c[0]), "paren")

    def bracket(self, c):
        return _Group(_plain(c[0]), "bracket")

    def iverson(self, c):  # [i = j]: 1 where two component indices are equal, else 0
        if _relation(c[1]) != "=":
            raise _err(c[1], f"{_quote(c[1].value)} in brackets", "an Iverson bracket compares two indices, [i = j]")
        sides = [_index_text(_plain(x)) for x in (c[0], c[2])]
        if None in sides:  # [x_t = y_i]: two values compared (max pooling's routing), read by a layer's reader only
            return Indicator(_plain(c[0]), _plain(c[2]))
        return Kronecker(*sides)

    def compare(self, c):  # [y > 0]: 1 where the comparison of two values holds, else 0 (ReLU's step)
        return Indicator(_plain(c[0]), _plain(c[2]), COMPARISONS[c[1].value])

    def bias_unit(self, c):  # \begin{bmatrix} 1 \\ a \end{bmatrix}
        return BiasUnit(_plain(c[1]))

    def partial(self, c):  # \partial C, \partial {J}
        return _D(_plain(c[1]), c[0])

    def partial_given(self, c):  # \partial J(\Theta): the cost with its argument list
        return _D(_cost_given(c[1], c[2], c[0]), c[0], c[2])

    def frac_operator(self, c):  # \frac{\partial}{\partial W} J(W, b; x, y)
        tok, den, (of, given) = c[0], c[2], c[3]
        if not isinstance(den, _D):
            raise _err(tok, "\\frac{\\partial}{...} needs \\partial and a symbol below", "e.g. \\frac{\\partial}"
                       "{\\partial W} J")
        if den.given:
            raise _err(den.tok, "an argument list on the variable of a derivative")
        return Partial(of, _plain(den.arg), given)

    def frac_operator_body(self, c):  # \frac{\partial}{\partial z_i} \left[ \frac{1}{2} (y_i - a_i)^2 \right]
        tok, den, body = c[0], c[2], _plain(c[3])
        if not isinstance(den, _D) or den.given:
            raise _err(tok, "\\frac{\\partial}{...} needs \\partial and a symbol below", "e.g. \\frac{\\partial}"
                       "{\\partial z_i} \\left[ ... \\right]")
        return Derivative(body, _plain(den.arg))

    def operand(self, c):
        of = _plain(c[0])
        if not isinstance(of, Sym):
            raise _err(getattr(c[0], "tok", None), "\\frac{\\partial}{\\partial x} takes the cost's symbol after it",
                       "e.g. \\frac{\\partial}{\\partial W} J")
        return of, ()

    def operand_given(self, c):
        return _cost_given(c[0], c[1], None), c[1]

    def arglist(self, c):
        args = tuple(_plain(x) for x in c if not hasattr(x, "type"))
        for arg in args:
            # l(f(x), y): the network's function of its input, f(x), names the output (meaning.py checks x is it)
            network = isinstance(arg, Call) and arg.fn in FUNCTION_LETTERS and arg.prime == 0 and arg.layer is None \
                and isinstance(arg.arg, Sym) and arg.arg.layer is None and arg.arg.indices is None
            if not isinstance(arg, Sym) and not network:
                raise FormulaError("a cost's argument list names symbols only, e.g. J(W, b; x, y), or the "
                                   "network's output as a function of its input, l(f(x), y)")
        return args

    def nabla(self, c):
        of = _plain(c[3]) if len(c) > 3 else None
        if of is not None and not isinstance(of, Sym):
            raise _err(c[0], "\\nabla_x takes a cost symbol after it", "e.g. \\nabla_a C")
        return Nabla(_plain(c[2]), of)

    def nabla_given(self, c):  # \nabla_{\Theta} J(\Theta)
        return Nabla(_plain(c[2]), _cost_given(c[3], c[4], c[0]), c[4])

    def nabla_bare(self, c):  # \nabla W^l: the cost's gradient with respect to W^l
        return Nabla(_plain(c[1]), None)

    # ---- functions
    def fn_head(self, c):
        tok = c[0]
        if tok.type == "FNLETTER":
            return _FnHead(_letter_name(tok.value), True, (), tok)
        return _FnHead(_fn_name(tok.value), False, (), tok)

    def fn_sup(self, c):
        return replace(c[0], ops=c[0].ops + (("sup", c[2], c[1]),))

    def fn_prime(self, c):
        return replace(c[0], ops=c[0].ops + (("prime", c[1]),))

    def fn_sym(self, c):
        return _fn_symbol(c[0])

    def call(self, c):
        return _fn_call(c[0], _plain(c[1]))

    # ---- postfix
    def sup(self, c):
        node = _plain(c[0])
        if isinstance(node, Nabla) and len(node.given) == 1 and _sup_parts(c[2], c[1]) == (None, ["T"]):
            # \nabla_a J (h)^T: a cost's argument list is never transposed, so (h)^T is a factor
            return Bin("matmul", replace(node, given=()), Transpose(node.given[0]))
        return _apply_sup(c[0], c[2], c[1])

    def power(self, c):  # Octave a.^2: always a power
        core, marks = _sup_parts(c[2], c[1])
        if core is None or marks:
            raise _err(c[1], "'.^' needs an exponent")
        return Pow(_plain(c[0]), _exponent(core, c[1]))

    def subscript(self, c):
        base, tok, idx = c
        if isinstance(base, _D) and isinstance(base.arg, Sym) and base.arg.layer is None and not base.given \
                and base.arg.indices is not None and len(base.arg.indices) == 1 and isinstance(idx, tuple) \
                and not isinstance(base.arg.indices[0], IndexExpr) and not base.arg.indices[0].startswith("("):
            # \partial {a_{h}}_{stq}: the entry stq of the quantity named a_h, in a denominator
            return _D(Sym(f"{base.arg.base}_{{{base.arg.indices[0]}}}", None, idx), base.tok, base.given)
        node = _plain(base)
        if isinstance(idx, int):
            return Slice(node, idx)
        if isinstance(idx, Layer):  # Octave's delta_2
            if not isinstance(node, Sym) or isinstance(base, _Group) or node.layer is not None:
                raise _err(tok, f"layer suffix _{idx.offset} on something that is not a plain name")
            return replace(node, layer=idx)
        if isinstance(node, Sym) and not isinstance(base, _Group):
            if node.indices is not None and not _examples_only(node.indices):
                if node.layer is None and len(node.indices) == 1 and not isinstance(node.indices[0], IndexExpr) \
                        and not node.indices[0].startswith("("):
                    # {W_{h}}_{ij}: the entry ij of the matrix named W_h (CS231n's Wh, a GRU's b_{x})
                    return Sym(f"{node.base}_{{{node.indices[0]}}}", None, idx)
                raise _err(tok, f"a second subscript on {node.base}")
            return replace(node, indices=(*idx, *(node.indices or ())))  # \delta^{(l)(t)}_j: j, then example t
        if isinstance(base, _Group) and _cost_gradient(node) and isinstance(node.wrt, Sym) and node.wrt.indices is None:
            # (\nabla_a C)_j and \left(\frac{\partial C}{\partial W}\right)_{jk}: a component of the cost's gradient
            # is the derivative by that component of the variable
            return replace(node, wrt=replace(node.wrt, indices=idx))
        if isinstance(base, _Group) and any(i.startswith("(") for i in idx):
            raise _err(tok, "an example's index on an expression", "write it on each symbol (dZ^{[l](i)})")
        if isinstance(base, _Group):
            return Entry(node, idx)  # [(W^{l+1})^T \delta^{l+1}]_i: a component of a vector or matrix expression
        raise _err(tok, "component indices on an expression", "write the expression in brackets, "
                   "[(W^{l+1})^T \\delta^{l+1}]_j, or the indices on a symbol (w^l_{jk})")

    def prime(self, c):
        return _apply_prime(_plain(c[0]))

    def tsup(self, c):
        return Transpose(_plain(c[0]))

    def slice_paren(self, c):
        return Slice(_plain(c[0]), int(re.search(r"[0-9]+", c[1].value).group()))

    def zero_bias_column(self, c):  # [\\Theta]_{\\text{bias column} = 0}
        if not isinstance(c[0], _Group):
            raise _err(c[1], "_{\\text{bias column} = 0} on something that is not in brackets",
                       "write [\\Theta^{(l)}]_{\\text{bias column} = 0}")
        return ZeroBiasColumn(_plain(c[0]))

    def slice_columns(self, c):
        raise _err(c[1], "a column slice (:, 2:end)", "only row slices v(2:end) are supported")

    # ---- superscript and subscript contents
    def s_one(self, c):
        tok = c[0]
        if tok.type in ("TCMD", "PRIMECMD", "PRIME", "STAR"):
            return [self._mark(tok)]
        return [("lin", [(None, _letter_name(tok.value))], "plain")]

    def s_items(self, c):
        return [x for x in c if isinstance(x, tuple)]

    def s_ratio(self, c):  # ^{-3/2}: a power, never a layer
        sign = "-" if c[0].type == "MINUS" else None
        num, den = (t.value for t in c if t.type == "NUMBER")
        return ("lin", [(sign, f"{num}/{den}")], "plain")

    def s_frac(self, c):  # ^{-\frac{3}{2}}, as SymPy prints a power
        return [self.s_ratio(c)]

    def s_paren(self, c):
        return ("lin", c[0], "paren")

    def s_bracket(self, c):
        return ("lin", c[0], "bracket")

    def s_plain(self, c):
        return ("lin", c[0], "plain")

    def s_mark(self, c):
        return self._mark(c[0])

    @staticmethod
    def _mark(tok):
        return ("mark", {"TCMD": "T", "STAR": "star"}.get(tok.type, "prime"), None)

    def slin(self, c):
        terms, sign = [], None
        for tok in c:
            if tok.type in ("PLUS", "MINUS"):
                sign = "+" if tok.type == "PLUS" else "-"
            else:
                terms.append((sign, _letter_name(tok.value)))
                sign = None
        return terms

    def b_one(self, c):
        text = c[0].value
        if text.isdigit() and _OCTAVE.get():
            return Layer(None, int(text), "suffix")
        if len(text) > 2 and text.isalpha():  # Octave's Theta1_grad is a name, not four indices
            raise _err(c[0], f"subscript _{text} is a name, not indices", "write indices in braces: _{jk}")
        return tuple(text)

    def b_ell(self, c):  # d_\ell: the layer letter as an index, as d_{\ell} is
        return ("l",)

    def b_items(self, c):
        commas = any(getattr(t, "type", None) == "COMMA" for t in c)
        out = []
        for item in c:
            if isinstance(item, list):
                out.extend(item)
            elif isinstance(item, _IRun):
                out.extend(item.indices(commas))
        return tuple(out)

    def b_index(self, c):
        return c[0]

    def isum(self, c):
        terms, sign = [], None
        for x in c:
            if getattr(x, "type", None) in ("PLUS", "MINUS"):
                sign = "+" if x.type == "PLUS" else "-"
            else:
                terms.append((sign, x))
                sign = None
        return _IRun(tuple(terms))

    def iprod(self, c):
        return tuple(x for x in c if isinstance(x, tuple))

    def ijux(self, c):
        return tuple(c)

    def i_atom(self, c):
        return _IFac(c[0], primed=len(c) > 1)

    def i_paren(self, c):
        return _IFac(None, c[0])

    def i_name(self, c):  # \mathrm{stride}: one name
        return _IFac(_Tok("NAME", "".join(t.value for t in c[1:]), getattr(c[0], "column", None)))

    def b_cal(self, c):  # \mu_{\mathcal{B}}: the batch's mark, an index as written
        name = c[0].value.strip()
        return [f"{CALLIGRAPHIC.get(name, name)}{{{c[-1].value}}}"]

    def b_cal_one(self, c):  # \mu_\mathcal{B}
        return tuple(self.b_cal(c))

    def b_slice(self, c):
        return int(c[0].value)


@dataclass(frozen=True)
class _Tok:
    """A token made here (a name put together from the letters in \\mathrm{...})."""

    type: str
    value: str
    column: int | None = None


@dataclass(frozen=True)
class _IFac:
    """One factor of an index as written: a letter, number or \\ell (``tok``), or a group (``run``)."""

    tok: Any = None   # a lark Token or a _Tok
    run: Any = None   # an _IRun
    primed: bool = False  # j': a letter of its own

    @property
    def plain(self) -> bool:
        """A letter or number, or a group of one letter (the example index (i))."""
        return self.run is None and self.tok.type != "NAME" or self.run is not None and self.run.letter is not None

    def parts(self) -> list[str]:
        """The indices a plain factor is when not read as a product: jk's j, w_{24}'s 2 and 4, (i), j'."""
        if self.run is not None:
            return [f"({self.run.letter})"]
        if self.primed:
            return [self.tok.value + "'"]
        return ["l"] if self.tok.type == "ELL" else list(self.tok.value)

    def tree(self, commas: bool):
        if self.run is not None:
            return self.run.tree(commas)
        if self.tok.type == "NUMBER":
            return Num(self.tok.value)
        return Sym("l" if self.tok.type == "ELL" else self.tok.value + "'" * self.primed)


@dataclass(frozen=True)
class _IRun:
    """A subscript item as written: signed terms, each a product (\\cdot, *) of runs of juxtaposed factors."""

    terms: tuple  # ((sign or None, (run of _IFac, ...) per explicit product), ...)

    @property
    def letter(self) -> str | None:
        """The letter, when the item is one letter alone (the group (i) holds one)."""
        if len(self.terms) == 1 and self.terms[0][0] is None and len(self.terms[0][1]) == 1:
            run = self.terms[0][1][0]
            if len(run) == 1 and run[0].run is None and run[0].tok.type == "LETTER":
                return run[0].tok.value
        return None

    def indices(self, commas: bool) -> list[str]:
        """The indices this item writes. A run of letters and numbers, with a number added or taken away at its
        end, is one index per character as before (_{jk}, w_{24}, _{jk+1}); anything else is one index computed
        from its letters (t+1 as text, s(k-1)+m-p an IndexExpr with its tree)."""
        (sign, head), *rest = self.terms
        offset = None
        if len(rest) == 1 and len(rest[0][1]) == 1 and len(rest[0][1][0]) == 1:
            tail = rest[0][1][0][0]
            if tail.run is None and tail.tok.type == "NUMBER":
                offset = (rest[0][0], tail.tok.value)
        if sign is None and len(head) == 1 and all(f.plain for f in head[0]) and (not rest or offset) \
                and (offset is None or head[0][-1].run is None):
            parts = [p for f in head[0] for p in f.parts()]
            if offset:
                last = Num(parts[-1]) if parts[-1].isdigit() else Sym(parts[-1])
                tree = Bin(offset[0], last, Num(offset[1]))
                parts[-1] = IndexExpr(index_text(tree), tree)
            return parts
        tree = self.tree(commas)
        if sign is None and not rest and len(head) == 1 and len(head[0]) == 1 and head[0][0].run is not None:
            # _{(l+1)}: a group alone keeps its parentheses in the text (a network's reader does not take it;
            # lint reads UFLDL's s_{(l+1)} as s_{l+1} where the notes say s is a width)
            return [IndexExpr(f"({index_text(tree)})", tree)]
        return [IndexExpr(index_text(tree), tree)]

    def tree(self, commas: bool):
        out = None
        for sign, product in self.terms:
            value = None
            for run in product:
                for n, f in enumerate(run):
                    if not commas and n and f.run is None and run[n - 1].run is None \
                            and f.tok.type != "NUMBER" and run[n - 1].tok.type != "NUMBER":
                        raise _err(f.tok, f"index {run[n - 1].tok.value}{f.tok.value} inside a computed index",
                                   "separate indices with commas, or write a product with \\cdot")
                    t = f.tree(commas)
                    value = t if value is None else Bin("matmul", value, t)
            if out is None:
                out = Neg(value) if sign == "-" else value
            else:
                out = Bin(sign, out, value)
        return out


def _divide(num, den, tok):
    """a / b, or \\frac{\\partial C}{\\partial x} when both sides are \\partial marks, or Leibniz's
    \\frac{dC}{dz^l} when both are differentials (d followed by a symbol)."""
    if isinstance(num, _D) and isinstance(den, _D):
        of = _plain(num.arg)
        if not isinstance(of, Sym):
            raise _err(num.tok, "\\partial in a numerator takes the cost's symbol", "e.g. \\partial C")
        if den.given:
            raise _err(den.tok, "an argument list on the variable of a derivative")
        return Partial(of, _plain(den.arg), num.given)
    if isinstance(num, _D) or isinstance(den, _D):
        bad = num if isinstance(num, _D) else den
        raise FormulaError(_MISUSED["partial"].format(_tok_where(bad.tok)), bad.tok.column)
    num, den = _plain(num), _plain(den)
    of, wrt = _differential(num), _differential(den)
    if of is not None and wrt is not None:
        return Partial(of, wrt)
    if wrt is not None and num == Sym("d"):
        raise _err(tok, "\\frac{d}{dx} as an operator", "write the cost in the numerator, \\frac{dC}{dx}, or "
                   "\\frac{\\partial}{\\partial x} C")
    return Bin("div", num, den)


def _differential(node) -> Sym | None:
    """The symbol of a differential in Leibniz's notation: dC, dz^{[l]}, da^L_j, d\\Theta, \\mathrm{d}C."""
    if isinstance(node, Sym) and len(node.base) == 2 and node.base[0] == "d" and node.base[1].isalpha():
        return Sym(node.base[1], node.layer, node.indices)  # the lexer reads dz^{[l]} as one name
    if isinstance(node, Bin) and node.op == "matmul" and node.left == Sym("d") and isinstance(node.right, Sym):
        return node.right
    return None


# the letters a cost is written with (meaning.COSTS), also as calligraphic capitals ({\cal C} in lecture slides)
COST_LETTERS = {"C", "E", "J", "L", "\\mathcal{L}", "\\mathcal{C}", "\\mathcal{E}", "\\mathcal{J}"}
BOLD = {"mathbf", "boldsymbol", "bm", "pmb", "vec"}  # \mathbf{1} is a vector of ones
UPRIGHT = {"mathrm", "mathit", "mathsf", "textsf", "mathnormal"}  # a run of letters in these is a name (\mathrm{out})


def _letters_run(node) -> str | None:
    """The letters of a product of two or more bare letters written side by side (o u t), or None."""
    if isinstance(node, Sym) or not (isinstance(node, Bin) and node.op == "matmul"):
        return None
    letters = []

    def walk(x) -> bool:
        if isinstance(x, Bin) and x.op == "matmul":
            return walk(x.left) and walk(x.right)
        if isinstance(x, Sym) and x.layer is None and x.indices is None and x.base.isascii() and x.base.isalpha():
            letters.append(x.base)
            return True
        return False
    return "".join(letters) if walk(node) else None


def _cost_gradient(node) -> bool:
    """Whether ``node`` is the gradient of the cost (\\nabla_W C, \\frac{\\partial C}{\\partial W}), not a Jacobian."""
    if isinstance(node, Nabla):
        return node.of is None or node.of.base in COST_LETTERS
    return isinstance(node, Partial) and isinstance(node.of, Sym) and node.of.base in COST_LETTERS


def _index_text(node) -> str | None:
    """A component index as a symbol's subscript keeps it ("j", "i-1", "0"; s(k-1)+m-p as an IndexExpr), or None
    if ``node`` is not one."""
    if isinstance(node, Num) and node.value.isdigit():
        return node.value
    if isinstance(node, Sym) and node.layer is None and node.indices is None and len(node.base) == 1 \
            and node.base.isalpha():
        return node.base
    tree = _index_tree(node)
    return None if tree is None else IndexExpr(index_text(tree), tree)


def _index_tree(node):
    """``node`` as an index's tree (letters, whole numbers, + - and products), or None."""
    if isinstance(node, Num):
        return node if node.value.isdigit() else None
    if isinstance(node, Sym):  # a letter, or a name (\\mathrm{stride})
        plain = node.layer is None and node.indices is None and node.base.isascii() and node.base.isalpha()
        return node if plain else None
    if isinstance(node, Neg):
        arg = _index_tree(node.arg)
        return None if arg is None else Neg(arg)
    if isinstance(node, Bin) and node.op in ("+", "-", "matmul"):
        left, right = _index_tree(node.left), _index_tree(node.right)
        return None if left is None or right is None else Bin(node.op, left, right)
    return None


def _cost_given(of, args, tok) -> Sym:
    """The cost of J(W, b; x, y): an argument list is notation for the cost, accepted only on a cost's letter."""
    of = _plain(of)
    # a lowercase l is the loss only with its argument list, l(f(x), y): alone it is the layer letter
    if not isinstance(of, Sym) or of.base not in COST_LETTERS | {"l"} or of.layer is not None \
            or of.base == "l" and of.indices is not None:
        what = f"on {of.base}" if isinstance(of, Sym) else "here"
        raise FormulaError(f"an argument list {what} ({', '.join(_arg_text(a) for a in args)}): only the cost "
                           "takes one, as in \\partial J(W, b; x, y); write a product with an operator such as "
                           "\\cdot", getattr(tok, "column", None))
    return of


def _arg_text(node) -> str:
    from .unparse import latex
    return latex(node)


# ---------------------------------------------------------------- after lark
_NODES = (BiasUnit, Bin, Call, Claim, Derivative, Entry, Indicator, Kronecker, Layer, Max, Nabla, Neg, Num, Partial,
          Pow, Slice, Sum, Sym, Transpose, ZeroBiasColumn)


def _check_tree(root) -> tuple[int, int]:
    """Every node an ast node, and the tree no deeper than MAX_DEPTH (checked without recursion).

    Returns (sums, parts): how many + and - operations, and how many nodes other than layers.
    """
    stack, sums, parts = [(root, 1)], 0, 0
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulaError(f"formula too deeply nested: more than {MAX_DEPTH} levels of operations")
        if not isinstance(node, _NODES):
            raise FormulaError(f"cannot read part of the formula ({type(node).__name__})")
        parts += not isinstance(node, Layer)
        sums += isinstance(node, Bin) and node.op in "+-"
        for f in fields(node):
            child = getattr(node, f.name)
            for part in (child if isinstance(child, tuple) else (child,)):  # a cost's argument list is a tuple
                if isinstance(part, _NODES):
                    stack.append((part, depth + 1))
                elif part is not None and not isinstance(part, str | int):
                    raise FormulaError(f"cannot read part of the formula ({type(part).__name__})")
    return sums, parts


def _check_size(exprs) -> None:
    """Refuse a formula larger than MAX_TERMS terms or MAX_PARTS parts, before any work on its meaning."""
    sizes = [_check_tree(e) for e in exprs]
    terms = 1 + sum(sums for sums, _ in sizes)
    parts = sum(parts for _, parts in sizes)
    if terms > MAX_TERMS:
        raise FormulaError(f"the formula has {terms} terms; derive checks formulas of at most {MAX_TERMS} terms")
    if parts > MAX_PARTS:
        raise FormulaError(f"the formula has {parts} parts (symbols, numbers and operations); derive checks "
                           f"formulas of at most {MAX_PARTS}")


__all__ = ["FormulaError", "chain_links", "expand_macros", "formulas", "parse", "parse_chain", "parse_expr",
           "read_macros"]
