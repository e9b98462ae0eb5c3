"""``motcua db migrate`` and ``motcua db copy SRC DST``: bring a database's schema up to
date; move an office from SQLite to PostgreSQL (or back) without losing a ticket.

The copy takes every table of the schema (bot/migrations.py) row by row, ids and the
per-year ticket counters included, in one transaction on the destination, then checks
that each table holds as many rows as the source. The bot must be stopped meanwhile:
a ticket filed during the copy would not be in it.
"""

from __future__ import annotations

import re

from bot.migrations import MIGRATIONS
from bot.storage import Storage, StorageError

# the flood limit's last minute is not worth carrying; the schema version is each
# database's own
NOT_COPIED = {"flood", "schema_version"}


def tables() -> list[str]:
    """The schema's tables, in the order the migrations create them."""
    names = [m.group(1).lower() for step in MIGRATIONS for sql in step
             for m in [re.match(r"\s*create table (\w+)", sql, re.IGNORECASE)] if m]
    return [name for name in names if name not in NOT_COPIED]


def _count(storage: Storage, table: str) -> int:
    return storage.db.execute(f"select count(*) from {table}").fetchone()[0]


def copy(source: Storage, target: Storage) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``; rows per table."""
    names = tables()
    filled = [name for name in names if _count(target, name)]
    if filled:
        raise StorageError(f"the destination already holds data ({', '.join(filled)}): "
                           "copy into an empty database")
    copied = {}
    with target._transaction():
        for name in names:
            rows = list(source.db.query(f"select * from {name} order by 1"))
            copied[name] = len(rows)
            if not rows:
                continue
            columns = list(rows[0])
            target.backend.executemany(f"insert into {name} ({', '.join(columns)}) values "
                         f"({', '.join('?' * len(columns))})",
                         [tuple(row[c] for c in columns) for row in rows])
            if "id" in columns:  # the next row's id follows the ids copied
                target.backend.continue_ids(name)
    for name in names:
        if _count(target, name) != copied[name]:
            raise StorageError(f"{name}: {copied[name]} rows read, "
                               f"{_count(target, name)} in the destination")
    return copied


# --- the commands ---------------------------------------------------------------------------


def _open(setting: str | None, must_exist: bool) -> Storage:
    from bot.config import ConfigError, database_path

    target = database_path(setting)
    if isinstance(target, str):
        return Storage(target, strict=True)
    if must_exist and not target.exists():
        raise ConfigError(f"chưa có cơ sở dữ liệu {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    return Storage(target, strict=True)


def db_migrate(args) -> int:
    """bring the database (--db, MOTCUA_DB) to the current schema

    Every command does it on opening the database; this one only does that, so that a
    deployment can migrate once before starting its bot processes."""
    storage = _open(args.db, must_exist=False)
    version = storage.db.execute("select max(version) from schema_version").fetchone()[0]
    print(f"{storage.name}: phiên bản cấu trúc {version} (mới nhất: {len(MIGRATIONS)})")
    return 0


def db_copy(args) -> int:
    """copy every ticket, answer, event, outbox message, account and question from SRC
    into the empty DST (SQLite file or postgresql:// URL, either way)

    Stop the bot first: what it writes during the copy is not copied. The ticket
    counters go along, so the next ticket continues the series."""
    source = _open(args.source, must_exist=True)
    target = _open(args.target, must_exist=False)
    copied = copy(source, target)
    print(f"Đã chép {copied.get('feedback', 0)} phản ánh, {copied.get('questions', 0)} câu "
          f"hỏi, {sum(copied.values())} dòng của {len(copied)} bảng: {source.name} -> "
          f"{target.name}")
    return 0


def add_parser(sub, command) -> None:
    p = sub.add_parser("db", help="the database: migrate, copy",
                       description="The database itself: its schema, moving it elsewhere.")
    dsub = p.add_subparsers(dest="action", required=True)
    command(dsub, "migrate", db_migrate)
    q = command(dsub, "copy", db_copy)
    q.add_argument("source", metavar="SRC", help="SQLite file or postgresql:// URL")
    q.add_argument("target", metavar="DST", help="SQLite file or postgresql:// URL (empty)")
