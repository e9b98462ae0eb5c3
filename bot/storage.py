"""Storage: feedback tickets, the outbox, conversation state and the question log, on
SQLite (bot/sqlite.py, the default) or PostgreSQL (bot/pg.py, several bot processes).

Every write is committed before the function returns, so what the bot confirmed to a
citizen survives a crash or ``kill -9``. Ticket numbers come from a per-year counter
updated in the same transaction as the feedback row, so concurrent writers (several
adapters, the CLI, several processes on PostgreSQL) never share or skip a number.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import Any

from bot.sqlite import SqliteBackend

from bot.text import mask_personal
# the codes stored, their labels and the messages citizens receive live in bot.vocab;
# also importable from here
from bot.vocab import (CATEGORIES, STATUSES, UnknownStatus, answer_message,  # noqa: F401
                       status_label, status_message)

log = logging.getLogger(__name__)

DEFAULT_DB = Path("data") / "motcua.db"
VN_TIME = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")  # no daylight saving

from bot.migrations import MIGRATIONS  # noqa: E402,F401  (the schema, in one place)


def period_where(since: str | None, until: str | None) -> tuple[list[str], list[str]]:
    """SQL conditions (and their values) on ``at`` for [since, until); None: unbounded."""
    where, params = [], []
    if since:
        where.append("at >= ?")
        params.append(since)
    if until:
        where.append("at < ?")
        params.append(until)
    return where, params


class StorageError(Exception):
    """A write could not be committed; nothing may be confirmed to the citizen."""


class TicketNotFound(KeyError):
    """No feedback has this ticket. A ``KeyError``, so callers that caught the bare
    ``KeyError`` of earlier versions still do."""

    def __init__(self, ticket: str):
        super().__init__(ticket)
        self.ticket = ticket

    def __str__(self) -> str:
        return f"no feedback {self.ticket}"


class EmptyAnswer(ValueError):
    """An answer (or a closing reason) with nothing in it: it would send the citizen a
    blank message and erase the answer they had."""

    def __str__(self) -> str:
        return "câu trả lời trống nên chưa lưu, chưa gửi gì; hãy ghi nội dung trả lời."


def meaningful(text: str | None) -> str | None:
    """The text stripped, or None when it has no letter or digit (blank, "...")."""
    text = (text or "").strip()
    return text if any(ch.isalnum() for ch in text) else None


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    return Path(path or os.environ.get("MOTCUA_DB") or DEFAULT_DB)


def is_url(target: str | os.PathLike[str] | None = None) -> bool:
    """Does the database setting (``--db``, ``MOTCUA_DB``) name a PostgreSQL server?"""
    raw = str(target or os.environ.get("MOTCUA_DB") or "")
    return raw.lower().startswith(("postgresql://", "postgres://"))


class Storage:
    """Feedback, the outbox, conversation state and the question log, on one of two
    backends: an SQLite file (bot/sqlite.py) or, for a ``postgresql://`` URL, a
    PostgreSQL server shared by several bot processes (bot/pg.py). The queries here are
    written once for both; what SQL cannot say the same way is the backend's."""

    def __init__(self, path: str | os.PathLike[str] | None = None, strict: bool = False):
        """Open (and migrate) the database. When an SQLite file cannot be opened
        (corrupted, no permission, disk full) and ``strict`` is false, the bot keeps
        answering questions on an in-memory stand-in and refuses feedback until the
        real file opens again (``degraded`` says why). A PostgreSQL server that cannot
        be reached is an error either way: no stand-in is shared by several processes."""
        self.degraded = ""
        self._unsaved: dict[tuple[str, str], str] = {}  # state the database refused
        if is_url(path):
            from bot.pg import PgBackend, Unavailable, masked

            self.path = str(path or os.environ["MOTCUA_DB"])
            try:
                self.backend = PgBackend(self.path, MIGRATIONS)
            except Unavailable as exc:
                raise StorageError(str(exc)) from exc
            self.name = masked(self.path)
        else:
            self.path = resolve_path(path)
            self.name = str(self.path)
            try:
                self.backend = SqliteBackend(self.path, MIGRATIONS)
            except SqliteBackend.unavailable as exc:
                if strict:
                    raise StorageError(f"cannot open the database {self.path}: {exc}") from exc
                log.error("database %s unavailable (%s): answering questions, refusing "
                          "feedback until it opens again", self.path, exc)
                self.degraded = str(exc)
                self.backend = SqliteBackend(":memory:", MIGRATIONS)
        self.db = self.backend.db
        self.errors = self.backend.errors  # what a failed statement raises

    def __repr__(self) -> str:
        return f"Storage({self.name})"  # a URL without its password

    def _recover(self) -> bool:
        """Try the real database again after a failure; True when it works."""
        try:
            backend = self.backend.reopen(self.path)
        except self.backend.unavailable:
            return False
        if backend is not self.backend:
            self.backend.close()
            self.backend, self.db = backend, backend.db
            log.warning("database %s available again", self.name)
        self.degraded = ""
        return True

    def _transaction(self):
        """One write transaction, committed at the end or rolled back on any error."""
        return self.backend.transaction()

    def day_sql(self, column: str) -> str:
        """SQL for the Vietnam day (YYYY-MM-DD) of a UTC ISO time column."""
        return self.backend.day_sql(column)

    def note_message(self, channel: str, user_id: str) -> int:
        """Count a user's message: how many they sent in the last minute, this one
        included (the flood limit). On PostgreSQL all processes share the count."""
        return self.backend.note_message(channel, user_id)

    # --- questions the bot was asked ------------------------------------------

    def log_question(self, channel: str, text: str, status: str, aspect: str | None,
                     top_id: str | None, score: float | None, answer: str | None = None
                     ) -> int | None:
        """Best effort: a question log that cannot be written never stops an answer.
        ``answer`` is the key of the answer item the reply led with, if any. Returns
        the question's id (None when it was not logged)."""
        try:
            return self.db.execute(
                "insert into questions (at, channel, text, status, aspect, top_id, score, "
                "answer) values (?, ?, ?, ?, ?, ?, ?, ?)",
                [now(), channel, mask_personal(text)[:1000], status, aspect, top_id, score,
                 answer]).lastrowid
        except self.errors as exc:
            log.warning("question not logged: %s", exc)
            return None

    def unanswered(self, limit: int = 50) -> list[dict[str, Any]]:
        """Questions the bot could not answer, most frequent first."""
        return list(self.db.query(
            "select lower(trim(text)) as question, count(*) as times, max(at) as last "
            "from questions where status = 'unknown' group by 1 "
            "order by times desc, last desc, question limit ?", [limit]))

    # --- per-user conversation state ------------------------------------------

    def get_state(self, channel: str, user_id: str) -> dict[str, Any]:
        """A user's conversation state; while the database refuses writes, the copy
        kept in memory since the last failed write (a locked or full disk must not
        break a citizen's feedback half way)."""
        key = (channel, user_id)
        if key in self._unsaved:
            return json.loads(self._unsaved[key])
        try:
            row = self.db.execute("select data from state where channel = ? and "
                                  "user_id = ?", [channel, user_id]).fetchone()
            return json.loads(row[0]) if row else {}
        except (*self.errors, ValueError) as exc:
            log.warning("conversation state unreadable: %s", exc)
            return {}

    def set_state(self, channel: str, user_id: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False)
        try:
            self.db.execute(
                "insert into state (channel, user_id, data, updated) values (?,?,?,?) "
                "on conflict (channel, user_id) do update set data = excluded.data, "
                "updated = excluded.updated", [channel, user_id, text, now()])
            self._unsaved.pop((channel, user_id), None)
        except self.errors as exc:
            log.warning("conversation state not saved: %s", exc)
            self._unsaved[(channel, user_id)] = text

    # --- feedback -------------------------------------------------------------------

    def add_feedback(self, channel: str, user_id: str, category: str, text: str,
                     phone: str | None = None, procedure_id: str | None = None,
                     notify=None, draft: str | None = None) -> str:
        """Store a feedback and return its ticket; raises StorageError if not committed.

        ``notify(ticket)`` gives (channel, chat_id, text, options) messages for staff,
        queued in the same transaction: no feedback without its staff notice.
        ``draft`` names what the citizen confirmed: when this user already filed that
        draft, its ticket is returned and nothing is written or queued again."""
        if self.degraded and not self._recover():
            raise StorageError(f"database unavailable: {self.degraded}")
        at = now()
        year = int(at[:4])
        try:
            with self._transaction():
                self.backend.lock_user(channel, user_id)
                filed = self.db.execute(
                    "select ticket from feedback where channel = ? and user_id = ? and "
                    "draft = ?", [channel, user_id, draft]).fetchone() if draft else None
                if filed:
                    return filed[0]
                self.db.execute(
                    "insert into ticket_seq (year, last) values (?, 1) "
                    "on conflict (year) do update set last = ticket_seq.last + 1", [year])
                seq = self.db.execute("select last from ticket_seq where year = ?",
                                      [year]).fetchone()[0]
                ticket = f"PA-{year}-{seq:06d}"
                self.db.execute(
                    "insert into feedback (ticket, year, seq, at, channel, user_id, category, "
                    "procedure_id, text, phone, status, updated, draft) "
                    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?)",
                    [ticket, year, seq, at, channel, user_id, category, procedure_id, text,
                     phone, at, draft])
                self.log_event(ticket, f"{channel}:citizen", "created", category)
                for chat_channel, chat_id, notice, options in (notify(ticket) if notify else []):
                    self._enqueue(chat_channel, chat_id, notice, options)
        except self.errors as exc:
            self.degraded = str(exc)  # reopen before the next try (read-only, full…)
            raise StorageError(str(exc)) from exc
        return ticket

    def log_event(self, ticket: str | None, actor: str, action: str, detail: str = "",
                  name: str | None = None) -> None:
        """Record what happened (to a ticket, or none: a login, an export) and who did it."""
        self.db.execute("insert into events (ticket, at, actor, action, detail, staff_name) "
                        "values (?, ?, ?, ?, ?, ?)",
                        [ticket, now(), actor, action, detail[:1000], name])

    def get_feedback(self, ticket: str) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from feedback where ticket = ?",
                                  [ticket.strip().upper()]))
        return rows[0] if rows else None

    def feedback_of(self, channel: str, user_id: str) -> list[dict[str, Any]]:
        return list(self.db.query(
            "select * from feedback where channel = ? and user_id = ? order by id desc",
            [channel, user_id]))

    def count_feedback_since(self, channel: str, user_id: str, since: str) -> int:
        return self.db.execute(
            "select count(*) from feedback where channel = ? and user_id = ? and at >= ?",
            [channel, user_id, since]).fetchone()[0]

    def list_feedback(self, status: str | list[str] | None = None, category: str | None = None,
                      channel: str | None = None, since: str | None = None,
                      until: str | None = None, limit: int | None = None
                      ) -> list[dict[str, Any]]:
        """Feedback, oldest first; ``since``/``until`` are UTC ISO times (until exclusive)."""
        where, params = [], []
        statuses = [status] if isinstance(status, str) else status
        if statuses:
            where.append(f"status in ({','.join('?' * len(statuses))})")
            params += statuses
        for column, value in (("category", category), ("channel", channel)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        period, values = period_where(since, until)
        where += period
        params += values
        sql = "select * from feedback" + (" where " + " and ".join(where) if where else "")
        sql += " order by id"
        if limit:
            sql += f" limit {int(limit)}"
        return list(self.db.query(sql, params))

    def closed_times(self) -> dict[str, str]:
        """When each ticket was first closed (UTC), from the event log: a feedback
        closed without an answer was handled then."""
        return {row["ticket"]: row["at"] for row in self.db.query(
            "select ticket, min(at) as at from events where action = 'status' and "
            "detail = 'closed' group by ticket")}

    def answer_feedback(self, ticket: str, answer: str, actor: str, name: str | None = None,
                        draft: str | None = None) -> dict[str, Any]:
        """Store a staff answer, keep it in the ticket's history and queue it for the
        citizen on the channel they used; raises ``EmptyAnswer`` or ``TicketNotFound``.

        ``name`` is the staff member's name for the record; ``draft`` names the preview
        confirmed in chat: when that preview was already stored, nothing is stored or
        queued again."""
        text = meaningful(answer)
        if text is None:
            raise EmptyAnswer(ticket)
        at = now()
        with self._transaction():
            row = self.get_feedback(ticket)
            if row is None:
                raise TicketNotFound(ticket)
            if draft and self.answer_sent(row["ticket"], draft):
                return row
            self.db.execute(
                "insert into answers (ticket, at, text, staff, staff_name, draft) "
                "values (?, ?, ?, ?, ?, ?)", [row["ticket"], at, text, actor, name, draft])
            self.db.execute(
                "update feedback set answer = ?, status = 'answered', answered_at = ?, "
                "answered_by = ?, first_answer_at = coalesce(first_answer_at, ?), "
                "updated = ? where ticket = ?", [text, at, actor, at, at, row["ticket"]])
            self.log_event(row["ticket"], actor, "answered", text[:200], name)
            if row["user_id"]:
                self._enqueue(row["channel"], row["user_id"],
                              answer_message(row["ticket"], text))
        return self.get_feedback(ticket)

    def answers(self, ticket: str) -> list[dict[str, Any]]:
        """Every answer the ticket was given, oldest first."""
        return list(self.db.query("select * from answers where ticket = ? order by id",
                                  [ticket.strip().upper()]))

    def answer_sent(self, ticket: str, draft: str) -> bool:
        """Was the answer previewed as ``draft`` already stored?"""
        return self.db.execute("select 1 from answers where ticket = ? and draft = ?",
                               [ticket.strip().upper(), draft]).fetchone() is not None

    def events(self, ticket: str, action: str | None = None) -> list[dict[str, Any]]:
        """What happened to a ticket, oldest first (only ``action`` when given)."""
        sql, params = "select * from events where ticket = ?", [ticket.strip().upper()]
        if action:
            sql, params = sql + " and action = ?", params + [action]
        return list(self.db.query(sql + " order by id", params))

    def set_status(self, ticket: str, status: str, actor: str, reason: str | None = None,
                   name: str | None = None) -> dict[str, Any]:
        """Change a feedback's status and tell the citizen when it changed, with the
        reason when one is given (closing: the CLI and the chat ask for one); raises
        ``UnknownStatus`` or ``TicketNotFound``."""
        if status not in STATUSES:
            raise UnknownStatus(status)
        reason = meaningful(reason)
        with self._transaction():
            row = self.get_feedback(ticket)
            if row is None:
                raise TicketNotFound(ticket)
            self.db.execute("update feedback set status = ?, updated = ? where ticket = ?",
                            [status, now(), row["ticket"]])
            self.log_event(row["ticket"], actor, "status", status, name)
            if reason:
                self.log_event(row["ticket"], actor, "reason", reason[:1000], name)
            if row["user_id"] and status != row["status"]:
                self._enqueue(row["channel"], row["user_id"],
                              status_message(row["ticket"], status, reason))
        return self.get_feedback(ticket)

    def assign(self, ticket: str, username: str | None, actor: str, name: str | None = None
               ) -> dict[str, Any]:
        """Give a feedback to a colleague (a console account), or to nobody."""
        with self._transaction():
            row = self.get_feedback(ticket)
            if row is None:
                raise TicketNotFound(ticket)
            self.db.execute("update feedback set assigned_to = ?, updated = ? where "
                            "ticket = ?", [username, now(), row["ticket"]])
            self.log_event(row["ticket"], actor, "assigned", username or "", name)
        return self.get_feedback(ticket)

    def forget_user(self, channel: str, user_id: str) -> int:
        """Remove a citizen's phone and chat link; the anonymous text stays. The draft
        key goes too: its digest covers the phone number."""
        with self._transaction():
            cursor = self.db.execute(
                "update feedback set user_id = null, phone = null, draft = null, "
                "updated = ? where channel = ? and user_id = ?", [now(), channel, user_id])
            self.db.execute("delete from state where channel = ? and user_id = ?",
                            [channel, user_id])
            self.db.execute("delete from flood where channel = ? and user_id = ?",
                            [channel, user_id])
            self.db.execute("delete from outbox where channel = ? and chat_id = ? and "
                            "sent_at is null", [channel, user_id])
            if channel == "zalo-oa":  # when they last wrote (the consultation window)
                self.db.execute("delete from oa_users where user_id = ?", [user_id])
        return cursor.rowcount

    def purge_personal(self, days: int) -> int:
        """Drop phones and chat links of feedback closed or answered over ``days`` ago."""
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).isoformat()
        cursor = self.db.execute(
            "update feedback set phone = null, user_id = null, draft = null, updated = ? "
            "where status in ('answered', 'closed') and updated < ? and "
            "(phone is not null or user_id is not null)", [now(), cutoff])
        return cursor.rowcount

    # --- outbox: messages to chats other than the one being answered ------------------

    def _enqueue(self, channel: str, chat_id: str, text: str,
                 options: list[dict[str, str]] | None = None, document: str | None = None
                 ) -> None:
        self.db.execute(
            "insert into outbox (at, channel, chat_id, text, options, document) "
            "values (?, ?, ?, ?, ?, ?)",
            [now(), channel, chat_id, text, json.dumps(options or [], ensure_ascii=False),
             document])

    def pending(self, channel: str, limit: int = 50) -> list[dict[str, Any]]:
        """Messages waiting for ``channel``, oldest first. On PostgreSQL each is claimed
        for this process until it is marked sent or failed (or its lease expires)."""
        return self.backend.pending(channel, limit)

    def mark_sent(self, message_id: int) -> None:
        self.db.execute("update outbox set sent_at = ? where id = ?", [now(), message_id])

    def mark_failed(self, message_id: int, error: str) -> None:
        self.backend.mark_failed(message_id, error[:500])
