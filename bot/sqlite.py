"""The SQLite backend of ``Storage`` (bot/storage.py): one file, one bot process.

Every write is committed before the call returns (WAL journal), so what the bot
confirmed to a citizen survives a crash or ``kill -9``; feedback transactions also use
synchronous=FULL, so they survive a power cut. ``BEGIN IMMEDIATE`` makes every write
transaction exclusive: concurrent writers (several adapters, the CLI) never share or
skip a ticket number. bot/pg.py is the other backend, with the same methods.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import deque
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils


class SqliteBackend:
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
    unavailable: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)

    def __init__(self, path: str | os.PathLike[str], migrations: list[list[str]]):
        """Open (and migrate) the file; raises one of ``unavailable`` when it cannot."""
        self.path, self.migrations = path, migrations
        self._recent: dict[tuple[str, str], deque[float]] = {}  # the flood limit's
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=3, isolation_level=None,
                               check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a crashed or killed process; feedback writes
            # switch to FULL so that they survive a power cut too (see transaction).
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=3000")
            self._migrate()
        except sqlite3.Error:
            conn.close()
            raise

    def reopen(self, path: str | os.PathLike[str]) -> "SqliteBackend":
        """The file opened again (after a failure, or in place of the in-memory
        stand-in); raises when it still cannot be."""
        return SqliteBackend(path, self.migrations)

    def close(self) -> None:
        try:
            self.db.conn.close()
        except sqlite3.Error:
            pass

    def _migrate(self) -> None:
        db = self.db
        db.execute("create table if not exists schema_version (version integer)")
        row = db.execute("select max(version) from schema_version").fetchone()
        version = row[0] or 0
        for number, statements in enumerate(self.migrations[version:], start=version + 1):
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    db.execute(statement)
                db.execute("insert into schema_version values (?)", [number])
                db.execute("COMMIT")
            except sqlite3.Error:
                db.execute("ROLLBACK")
                raise

    @contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE ... COMMIT with synchronous=FULL, rolled back on any error."""
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise
        finally:
            self.db.execute("PRAGMA synchronous=NORMAL")

    def lock_user(self, channel: str, user_id: str) -> None:
        """Inside a write transaction: BEGIN IMMEDIATE already excludes every writer."""

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        self.db.conn.executemany(sql, rows)

    def continue_ids(self, table: str) -> None:
        """After rows were copied in with their ids (SQLite continues after the
        largest by itself)."""

    @staticmethod
    def day_sql(column: str) -> str:
        return f"date({column}, '+7 hours')"

    def note_message(self, channel: str, user_id: str) -> int:
        """One process owns the file, so the last minute's messages live in its memory."""
        now = time.monotonic()
        recent = self._recent.setdefault((channel, user_id), deque())
        while recent and now - recent[0] > 60:
            recent.popleft()
        recent.append(now)
        return len(recent)

    def pending(self, channel: str, limit: int) -> list[dict]:
        return list(self.db.query(
            "select * from outbox where channel = ? and sent_at is null and attempts < 10 "
            "and held is null order by id limit ?", [channel, limit]))

    def mark_failed(self, message_id: int, error: str) -> None:
        self.db.execute("update outbox set attempts = attempts + 1, error = ? where id = ?",
                        [error, message_id])
