"""What the Zalo OA channel keeps in the bot's SQLite database (tables made by the
migration in bot/storage.py): the token pair, events already taken, each citizen's last
message, and outbox messages held back by the consultation window.

The token pair is the one piece that cannot be rebuilt: Zalo's refresh token is
single-use, so a new pair is committed (synchronous=FULL) before the channel uses it.
``generation`` counts pairs; a refresh is claimed with a short lease in the same row, so
two processes on one database never spend the same refresh token.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from bot.storage import Storage

LEASE = 30.0  # seconds a claimed refresh may take before another process may try
EVENTS_KEPT = 7 * 86400  # Zalo redelivers an event for hours, not days


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_at: float | None  # epoch seconds; None: not known (a pair given by hand)
    issued_at: float
    generation: int

    def due(self, now: float | None = None) -> bool:
        """Time to refresh: the expiry is unknown, or within a quarter of the pair's
        lifetime (at most 30 minutes) of now."""
        if self.expires_at is None:
            return True
        margin = min(1800.0, max(0.0, self.expires_at - self.issued_at) / 4)
        return (now or time.time()) >= self.expires_at - margin


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:32]


def load_pair(storage: Storage, app_id: str) -> TokenPair | None:
    row = storage.db.execute(
        "select access_token, refresh_token, expires_at, issued_at, generation "
        "from oa_tokens where app_id = ?", [app_id]).fetchone()
    return TokenPair(*row) if row else None


def seed_pair(storage: Storage, app_id: str, access: str, refresh: str) -> TokenPair | None:
    """The pair to use at start: the database's, unless the environment holds a pair
    the database has not seen (the office authorised the app again): then that one."""
    current = load_pair(storage, app_id)
    if not refresh:
        return current
    seed = _digest(refresh)
    row = storage.db.execute("select seed from oa_tokens where app_id = ?",
                             [app_id]).fetchone()
    if row and row[0] == seed:
        return current
    generation = (current.generation if current else 0) + 1
    with storage._transaction():
        storage.db.execute(
            "insert into oa_tokens (app_id, access_token, refresh_token, expires_at, "
            "issued_at, seed, generation, refreshing_until) "
            "values (?, ?, ?, null, ?, ?, ?, null) on conflict (app_id) do update set "
            "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
            "expires_at = null, issued_at = excluded.issued_at, seed = excluded.seed, "
            "generation = excluded.generation, refreshing_until = null",
            [app_id, access, refresh, time.time(), seed, generation])
    return load_pair(storage, app_id)


def claim_refresh(storage: Storage, app_id: str, generation: int) -> bool:
    """Take the right to refresh ``generation``'s pair; False when another holds it or
    the pair has already been replaced."""
    now = time.time()
    cursor = storage.db.execute(
        "update oa_tokens set refreshing_until = ? where app_id = ? and generation = ? "
        "and (refreshing_until is null or refreshing_until < ?)",
        [now + LEASE, app_id, generation, now])
    return cursor.rowcount == 1


def release_refresh(storage: Storage, app_id: str) -> None:
    storage.db.execute("update oa_tokens set refreshing_until = null where app_id = ?",
                       [app_id])


def save_pair(storage: Storage, app_id: str, access: str, refresh: str,
              expires_in: float) -> TokenPair:
    """Commit a new pair (and end the claim) before anything uses it."""
    now = time.time()
    with storage._transaction():
        storage.db.execute(
            "update oa_tokens set access_token = ?, refresh_token = ?, expires_at = ?, "
            "issued_at = ?, generation = generation + 1, refreshing_until = null "
            "where app_id = ?", [access, refresh, now + expires_in, now, app_id])
    return load_pair(storage, app_id)


# --- events and the consultation window --------------------------------------------


def first_time(storage: Storage, key: str) -> bool:
    """Record an event's key; False when it was taken before (a redelivery)."""
    cursor = storage.db.execute("insert into oa_events (key, at) values (?, ?) "
                                "on conflict do nothing",
                                [key, time.time()])
    return cursor.rowcount == 1


def prune_events(storage: Storage, older_than: float = EVENTS_KEPT) -> int:
    return storage.db.execute("delete from oa_events where at < ?",
                              [time.time() - older_than]).rowcount


def wrote(storage: Storage, user_id: str) -> int:
    """The citizen wrote: the window opens again, and what was held for them is let go
    (returns how many messages)."""
    storage.db.execute("insert into oa_users (user_id, last_in) values (?, ?) on conflict"
                       "(user_id) do update set last_in = excluded.last_in",
                       [user_id, time.time()])
    return storage.db.execute(
        "update outbox set held = null where channel = 'zalo-oa' and chat_id = ? and "
        "held is not null and sent_at is null", [user_id]).rowcount


def last_in(storage: Storage, user_id: str) -> float | None:
    row = storage.db.execute("select last_in from oa_users where user_id = ?",
                             [user_id]).fetchone()
    return row[0] if row else None


def hold(storage: Storage, message_id: int, reason: str) -> None:
    storage.db.execute("update outbox set held = ?, error = ? where id = ?",
                       [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), reason[:500],
                        message_id])


def held(storage: Storage, user_id: str | None = None) -> list[dict]:
    sql = "select * from outbox where channel = 'zalo-oa' and held is not null and " \
          "sent_at is null"
    params = []
    if user_id is not None:
        sql, params = sql + " and chat_id = ?", [user_id]
    return list(storage.db.query(sql + " order by id", params))
