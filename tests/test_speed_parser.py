"""The checker's parser loaded from the cache (_lazy.cached_lark) reads every formula as the parser built from the
grammar does: the same trees, the same refusals with the same messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import CORPUS
from lark import Lark

from derive._lazy import cached_lark
from derive.formula import parse
from derive.formula.parse import FormulaError

GRAMMAR = Path(parse.__file__).parent / "grammar.lark"
OPTIONS = {"parser": "lalr", "lexer": "contextual"}
BROKEN = [r"\delta^L = (a^L - y", r"\delta^L = a^L -", r"= a^L", r"\delta^L == a^L", r"\frac{1}{} a", r"a^{L} @ y",
          r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot", r"\sum_k", r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1] T}}"]


def _read_all(parser) -> list:
    """Every corpus formula and every broken one, read through parse with ``parser``: a tree or the refusal."""
    out = []
    saved = parse._parser
    parse._parser = lambda: parser
    try:
        for text in [row.formula for row in CORPUS] + BROKEN:
            try:
                out.append(parse.parse_chain(text))
            except FormulaError as exc:
                out.append(("refused", str(exc)))
    finally:
        parse._parser = saved
    return out


def test_cached_parser_reads_as_the_built_one(tmp_path):
    built = Lark(GRAMMAR.read_text(encoding="utf-8"), transformer=parse._Build(), **OPTIONS)
    first = cached_lark(GRAMMAR, folders=[tmp_path], transformer=parse._Build(), **OPTIONS)  # analysed and written
    files = list(tmp_path.glob("grammar.lark.*.lark-cache"))
    assert len(files) == 1 and not list(tmp_path.glob(".*.tmp"))
    loaded = cached_lark(GRAMMAR, folders=[tmp_path], transformer=parse._Build(), **OPTIONS)
    assert loaded.source_path == "<deserialized>"  # read from the file, not analysed again
    want = _read_all(built)
    assert any(isinstance(w, tuple) and w[0] == "refused" for w in want)
    assert _read_all(first) == want
    assert _read_all(loaded) == want


def test_an_edited_grammar_is_analysed_afresh(tmp_path):
    grammar = tmp_path / "g.lark"
    grammar.write_text('start: "a"\n', encoding="utf-8")
    cached_lark(grammar, folders=[tmp_path / "cache"], **OPTIONS)
    grammar.write_text('start: "b"\n', encoding="utf-8")
    parser = cached_lark(grammar, folders=[tmp_path / "cache"], **OPTIONS)
    assert parser.source_path != "<deserialized>"
    parser.parse("b")
    assert len(list((tmp_path / "cache").glob("g.lark.*.lark-cache"))) == 1  # the stale one removed


def test_a_corrupt_cache_file_is_not_used(tmp_path):
    grammar = tmp_path / "g.lark"
    grammar.write_text('start: "a"\n', encoding="utf-8")
    cached_lark(grammar, folders=[tmp_path], **OPTIONS)
    (cached,) = tmp_path.glob("g.lark.*.lark-cache")
    cached.write_bytes(cached.read_bytes()[:40])
    assert cached_lark(grammar, folders=[tmp_path], **OPTIONS).parse("a") is not None


def test_no_writable_folder_still_parses(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    parser = cached_lark(GRAMMAR, folders=[blocked / "sub"], transformer=parse._Build(), **OPTIONS)
    assert parser.source_path != "<deserialized>"
    with pytest.raises(Exception):  # noqa: B017 - a lark error: what matters is that a parser was built
        parser.parse("= =")
