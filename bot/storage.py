"""SQLite storage through sqlite-utils: conversation state and the question log.

Every write is committed before the function returns (WAL journal, synchronous
FULL), so what the bot confirmed to a citizen survives a crash or ``kill -9``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.text import mask_personal

DEFAULT_DB = Path("data") / "motcua.db"
CATEGORIES = {
    "quy-dinh": "Quy định, thủ tục hành chính",
    "thai-do": "Thái độ, hành vi cán bộ",
    "tre-hen": "Hồ sơ trễ hẹn",
    "gop-y": "Góp ý, sáng kiến",
    "khac": "Khác",
}


class StorageError(Exception):
    """A write could not be committed; nothing may be confirmed to the citizen."""


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    return Path(path or os.environ.get("MOTCUA_DB") or DEFAULT_DB)


class Storage:
    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = resolve_path(path)
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=5, isolation_level=None,
                               check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self._migrate()

    def _migrate(self) -> None:
        if "questions" not in self.db.table_names():
            self.db["questions"].create(
                {"id": int, "at": str, "channel": str, "text": str, "status": str,
                 "aspect": str, "top_id": str, "score": float}, pk="id")
            self.db["questions"].create_index(["status"])
        if "feedback" not in self.db.table_names():
            self.db["feedback"].create(
                {"id": int, "ticket": str, "at": str, "channel": str, "user_id": str,
                 "category": str, "text": str, "phone": str, "status": str, "answer": str,
                 "answered_at": str, "updated": str}, pk="id")
            self.db["feedback"].create_index(["ticket"], unique=True)
            self.db["feedback"].create_index(["channel", "user_id"])
        if "state" not in self.db.table_names():
            self.db["state"].create({"channel": str, "user_id": str, "data": str,
                                     "updated": str}, pk=("channel", "user_id"))

    # --- questions the bot was asked ------------------------------------------

    def log_question(self, channel: str, text: str, status: str, aspect: str | None,
                     top_id: str | None, score: float | None) -> None:
        self.db["questions"].insert({
            "at": now(), "channel": channel, "text": mask_personal(text)[:1000],
            "status": status, "aspect": aspect, "top_id": top_id, "score": score})

    def unanswered(self, limit: int = 50) -> list[dict[str, Any]]:
        """Questions the bot could not answer, most frequent first."""
        return list(self.db.query(
            "select lower(trim(text)) as question, count(*) as times, max(at) as last "
            "from questions where status = 'unknown' group by 1 "
            "order by times desc, last desc limit ?", [limit]))

    # --- per-user conversation state ------------------------------------------

    def get_state(self, channel: str, user_id: str) -> dict[str, Any]:
        try:
            row = self.db["state"].get((channel, user_id))
        except sqlite_utils.db.NotFoundError:
            return {}
        return json.loads(row["data"])

    def set_state(self, channel: str, user_id: str, data: dict[str, Any]) -> None:
        self.db["state"].upsert({"channel": channel, "user_id": user_id,
                                 "data": json.dumps(data, ensure_ascii=False),
                                 "updated": now()}, pk=("channel", "user_id"))

    # --- feedback -------------------------------------------------------------------

    def add_feedback(self, channel: str, user_id: str, category: str, text: str,
                     phone: str | None = None) -> str:
        """Store a feedback and return its ticket; raises StorageError if not committed."""
        at = now()
        try:
            self.db.execute("BEGIN IMMEDIATE")
            cursor = self.db.execute(
                "insert into feedback (at, channel, user_id, category, text, phone, "
                "status, updated) values (?, ?, ?, ?, ?, ?, 'new', ?)",
                [at, channel, user_id, category, text, phone, at])
            ticket = f"PA-{at[:4]}-{cursor.lastrowid:06d}"
            self.db.execute("update feedback set ticket = ? where id = ?",
                            [ticket, cursor.lastrowid])
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise StorageError(str(exc)) from exc
        return ticket

    def get_feedback(self, ticket: str) -> dict[str, Any] | None:
        rows = list(self.db["feedback"].rows_where("ticket = ?", [ticket]))
        return rows[0] if rows else None

    def feedback_of(self, channel: str, user_id: str) -> list[dict[str, Any]]:
        return list(self.db["feedback"].rows_where("channel = ? and user_id = ?",
                                                   [channel, user_id], order_by="id desc"))

    def forget_user(self, channel: str, user_id: str) -> int:
        """Remove a citizen's phone and chat link; the anonymous text stays."""
        cursor = self.db.execute(
            "update feedback set user_id = null, phone = null, updated = ? "
            "where channel = ? and user_id = ?", [now(), channel, user_id])
        self.db.execute("delete from state where channel = ? and user_id = ?",
                        [channel, user_id])
        return cursor.rowcount
