"""The matcher's index, cached on disk and rebuilt when the knowledge changes.

The cache file is keyed by a fingerprint of every YAML file in the knowledge folder
(path, size, modification time) and of the matching code itself (the content of each
source file, so that an edit is seen whatever its timestamps), so editing an entry,
adding an imported catalog or upgrading the bot all lead to a rebuild. It is written
atomically and readable by its owner only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from bot import knowledge as kb
from bot.knowledge import Knowledge
from bot.matcher import Matcher

log = logging.getLogger(__name__)
_BOT = Path(__file__).resolve().parent


def code_files() -> list[Path]:
    """The source files an index depends on: every module of the matcher package and its
    fitted models (``*.json``: a refit must reach a running office), the knowledge loader
    with its schema and YAML reader (the parsed knowledge is pickled too) and the text
    normaliser."""
    return [_BOT / "knowledge.py", _BOT / "schema.py", _BOT / "yamlfile.py",
            *sorted((_BOT / "matcher").glob("*.py")),
            *sorted((_BOT / "matcher").glob("*.json")), _BOT / "text.py"]


def fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    for path in files:
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    for path in code_files():
        digest.update(f"{path.relative_to(_BOT).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cache_dir() -> Path:
    explicit = os.environ.get("MOTCUA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    from bot.storage import is_url

    db = os.environ.get("MOTCUA_DB")  # beside the SQLite file; ./data for a server
    return (Path(db).parent if db and not is_url(db) else Path("data")) / "cache"


def load(path: str | os.PathLike[str] | None = None, cache: Path | None = None
         ) -> tuple[Knowledge, Matcher | None]:
    """Knowledge and its matcher, from the cache when the knowledge is unchanged.
    The matcher is None when the knowledge has errors."""
    root = kb.resolve_dir(path)
    cache = cache or cache_dir()
    try:
        key = fingerprint(root)
    except OSError:
        key = ""
    file = cache / f"index-{key[:24]}.pickle" if key else None
    if file is not None and file.is_file():
        try:
            with open(file, "rb") as f:
                knowledge, matcher = pickle.load(f)
            return knowledge, matcher
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
            log.warning("index cache unreadable; rebuilding")
    knowledge = kb.load(root)
    if knowledge.errors:
        return knowledge, None
    matcher = Matcher(knowledge)
    if file is not None:
        _write(file, (knowledge, matcher))
    return knowledge, matcher


def _write(file: Path, value: object) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        for old in file.parent.glob("index-*.pickle"):
            if old != file:
                old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".index-")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.chmod(tmp, 0o600)
        os.replace(tmp, file)
    except OSError as exc:  # a read-only disk only costs the cache
        log.warning("index cache not written: %s", exc)
