"""The on-disk index cache: its fingerprint and its reuse."""

import os
import shutil
from pathlib import Path

import pytest

from bot import cache
from bot import knowledge as kb

BOT = Path(cache.__file__).resolve().parent


@pytest.fixture
def code_copy(tmp_path, monkeypatch):
    """A copy of bot/ that the fingerprint reads instead of the installed code."""
    copy = tmp_path / "bot"
    shutil.copytree(BOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "_BOT", copy)
    return copy


def test_code_files_are_the_whole_matcher_package_knowledge_and_text():
    names = {p.relative_to(BOT).as_posix() for p in cache.code_files()}
    package = {f"matcher/{p.name}" for p in (BOT / "matcher").glob("*.py")}
    models = {f"matcher/{p.name}" for p in (BOT / "matcher").glob("*.json")}
    assert {"matcher/__init__.py", "matcher/core.py", "matcher/analysis.py"} <= package
    assert {"matcher/entry_model.json", "matcher/item_model.json"} <= models  # a refit
    assert names == {"knowledge.py", "schema.py", "yamlfile.py", "text.py"} | package | models
    assert all(p.is_file() for p in cache.code_files())


def test_fingerprint_follows_the_code_content_not_its_timestamps(code_copy):
    root = kb.resolve_dir(None)
    before = cache.fingerprint(root)
    for path in cache.code_files():
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert cache.fingerprint(root) == before  # touched, not changed
    for path in cache.code_files():
        original = path.read_bytes()
        path.write_bytes(original + b"\n# edited\n")
        assert cache.fingerprint(root) != before, path
        path.write_bytes(original)
    assert cache.fingerprint(root) == before


def test_fingerprint_follows_an_edit_inside_the_matcher_package(code_copy):
    root = kb.resolve_dir(None)
    before = cache.fingerprint(root)
    scoring = code_copy / "matcher" / "scoring.py"
    scoring.write_text(scoring.read_text(encoding="utf-8").replace(
        "MISMARKED = 0.5", "MISMARKED = 0.6"), encoding="utf-8")
    edited = cache.fingerprint(root)
    assert edited != before
    (code_copy / "matcher" / "extra.py").write_text("X = 1\n", encoding="utf-8")
    assert cache.fingerprint(root) not in (before, edited)  # a new module counts too


def test_fingerprint_follows_the_knowledge(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(kb.resolve_dir(None), root)
    before = cache.fingerprint(root)
    entry = next(root.rglob("*.yaml"))
    entry.write_text(entry.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert cache.fingerprint(root) != before


def test_load_writes_the_index_and_reuses_it(tmp_path):
    knowledge, matcher = cache.load(None, cache=tmp_path)
    assert matcher is not None
    files = list(tmp_path.glob("index-*.pickle"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o777 == 0o600
    again, reused = cache.load(None, cache=tmp_path)
    assert reused is not matcher and reused.match("khai sinh").hits == matcher.match(
        "khai sinh").hits
