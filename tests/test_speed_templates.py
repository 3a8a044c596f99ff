"""Compiled templates kept between processes (render._TemplateCache): the same text from a cached template, an
edited template compiled afresh, and a cache file that is cut short or a folder that cannot be written is a
miss, never an error."""

from __future__ import annotations

import sys

import jinja2
import pytest

from derive import render


@pytest.fixture
def templates(tmp_path, monkeypatch):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.j2").write_text("{{ x }} and {{ x | upper }}\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # the cache under XDG_CACHE_HOME, not __pycache__
    return folder


def _render(folder, **values) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), keep_trailing_newline=True,
                             bytecode_cache=render._template_cache(folder))
    return env.get_template("t.j2").render(**values)


def _cached(tmp_path) -> list:
    return sorted((tmp_path / "cache" / "derive").glob("*.jinja-cache"))


def test_a_cached_template_renders_the_same(templates, tmp_path):
    first = _render(templates, x="a")
    assert len(_cached(tmp_path)) == 1
    assert _render(templates, x="a") == first == "a and A\n"


def test_an_edited_template_is_compiled_afresh(templates, tmp_path):
    _render(templates, x="a")
    (templates / "t.j2").write_text("{{ x }} only\n", encoding="utf-8")
    assert _render(templates, x="a") == "a only\n"


def test_a_cut_short_cache_file_is_a_miss(templates, tmp_path):
    _render(templates, x="a")
    cached = _cached(tmp_path)[0]
    cached.write_bytes(cached.read_bytes()[:20])
    assert _render(templates, x="b") == "b and B\n"
    cached.write_bytes(b"")
    assert _render(templates, x="c") == "c and C\n"


def test_no_writable_folder_means_no_cache(templates, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # derive/ cannot be made under a file
    assert render._template_cache(templates) is None
    assert _render(templates, x="d") == "d and D\n"


def test_the_documents_environment_uses_the_cache():
    assert isinstance(render.environment().bytecode_cache, render._TemplateCache | type(None))
    if render.environment().bytecode_cache is not None:
        assert render.environment().bytecode_cache.pattern == "%s.jinja-cache"
