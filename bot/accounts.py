"""Staff accounts of the web console: passwords, sessions and the login rate limit.

Passwords are kept as scrypt hashes (hashlib, memory-hard: n=2**14, r=8, p=1, 16 MiB a
check). A session is a random token in a cookie; the database keeps only its sha256,
so a copy of the database opens no session. Every session, even before login, has
its own CSRF token; logging in ends the session the browser had and starts a new one
(no session fixation). An account may be linked to a chat staff id
("telegram:111"), so that the console and the chat show the same name.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

from bot.storage import Storage, now

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
CHAT_ID = re.compile(r"^(telegram|zalo|terminal):[A-Za-z0-9_-]{1,64}$")
MIN_PASSWORD = 8
IDLE = dt.timedelta(hours=8)        # a session unused this long is over
LIFETIME = dt.timedelta(hours=24)   # and any session after this long
ANONYMOUS = dt.timedelta(hours=1)   # a login page left open this long must be reloaded
ATTEMPT_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_USER = 5               # wrong passwords for one username in the window
MAX_FAILURES_IP = 20                # wrong passwords from one address in the window


class AccountError(ValueError):
    """A username, password or chat id that cannot be used; the text says why."""


# --- passwords -----------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                            p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        found = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                               r=int(r), p=int(p), dklen=len(base64.b64decode(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, base64.b64decode(digest))


_DUMMY = hash_password(secrets.token_hex(8))  # checked for unknown users: same time taken


def valid_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")
    if len(password) > 1024:
        raise AccountError("mật khẩu dài quá 1024 ký tự")
    return password


def valid_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise AccountError("tên đăng nhập gồm 2-32 ký tự: chữ thường không dấu, số, dấu "
                           "chấm, gạch ngang hoặc gạch dưới (ví dụ: lan.nguyen)")
    return username


def valid_chat_id(chat_id: str | None) -> str | None:
    chat_id = (chat_id or "").strip()
    if not chat_id:
        return None
    if not CHAT_ID.match(chat_id):
        raise AccountError("mã chat có dạng telegram:123456789 hoặc zalo:abc (gõ /id trong "
                           "chat với bot để xem)")
    return chat_id


# --- accounts ------------------------------------------------------------------------


def get(storage: Storage, username: str) -> dict[str, Any] | None:
    rows = list(storage.db.query("select username, name, chat_id, created from "
                                 "staff_accounts where username = ?",
                                 [(username or "").strip().lower()]))
    return rows[0] if rows else None


def accounts(storage: Storage) -> list[dict[str, Any]]:
    return list(storage.db.query("select username, name, chat_id, created from "
                                 "staff_accounts order by username"))


def add(storage: Storage, username: str, password: str, name: str | None = None,
        chat_id: str | None = None) -> dict[str, Any]:
    username = valid_username(username)
    valid_password(password)
    chat_id = valid_chat_id(chat_id)
    if get(storage, username):
        raise AccountError(f"đã có tài khoản {username}")
    if chat_id and _linked(storage, chat_id):
        raise AccountError(f"mã chat {chat_id} đã gắn với tài khoản {_linked(storage, chat_id)}")
    storage.db.execute("insert into staff_accounts (username, name, hash, chat_id, created) "
                       "values (?, ?, ?, ?, ?)",
                       [username, (name or "").strip() or None, hash_password(password),
                        chat_id, now()])
    storage.log_event(None, "cli", "account_added", username)
    return get(storage, username)


def _linked(storage: Storage, chat_id: str) -> str | None:
    row = storage.db.execute("select username from staff_accounts where chat_id = ?",
                             [chat_id]).fetchone()
    return row[0] if row else None


def link(storage: Storage, username: str, chat_id: str | None) -> dict[str, Any]:
    """Link the account to a chat staff id (None or "" unlinks)."""
    account = get(storage, username)
    if account is None:
        raise AccountError(f"không có tài khoản {username}")
    chat_id = valid_chat_id(chat_id)
    other = _linked(storage, chat_id) if chat_id else None
    if other and other != account["username"]:
        raise AccountError(f"mã chat {chat_id} đã gắn với tài khoản {other}")
    storage.db.execute("update staff_accounts set chat_id = ? where username = ?",
                       [chat_id, account["username"]])
    return get(storage, username)


def remove(storage: Storage, username: str) -> bool:
    """Delete the account and end its sessions; its name stays on what it did."""
    username = (username or "").strip().lower()
    cursor = storage.db.execute("delete from staff_accounts where username = ?", [username])
    storage.db.execute("delete from console_sessions where username = ?", [username])
    if cursor.rowcount:
        storage.log_event(None, "cli", "account_removed", username)
    return bool(cursor.rowcount)


def set_password(storage: Storage, username: str, password: str) -> bool:
    """A new password; every session of the account ends."""
    valid_password(password)
    username = (username or "").strip().lower()
    cursor = storage.db.execute("update staff_accounts set hash = ? where username = ?",
                                [hash_password(password), username])
    storage.db.execute("delete from console_sessions where username = ?", [username])
    return bool(cursor.rowcount)


def authenticate(storage: Storage, username: str, password: str) -> dict[str, Any] | None:
    """The account when the password is right; as slow for an unknown user."""
    row = storage.db.execute("select hash from staff_accounts where username = ?",
                             [(username or "").strip().lower()]).fetchone()
    ok = check_password(password or "", row[0] if row else _DUMMY)
    return get(storage, username) if row and ok else None


def names(storage: Storage) -> dict[str, str]:
    """actor -> the staff member's name, for every account with a name: "console:lan"
    and the chat id it is linked to ("telegram:111")."""
    found = {}
    for row in accounts(storage):
        name = row["name"] or row["username"]
        found[f"console:{row['username']}"] = name
        if row["chat_id"]:
            found[row["chat_id"]] = name
    return found


def display_name(account: dict[str, Any]) -> str:
    return account.get("name") or account["username"]


# --- sessions ------------------------------------------------------------------------


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(storage: Storage, username: str | None = None) -> str:
    """A new session (anonymous before login); returns the cookie's token."""
    cutoff = (dt.datetime.now(dt.timezone.utc) - ANONYMOUS).isoformat(timespec="seconds")
    storage.db.execute("delete from console_sessions where username is null and seen < ?",
                       [cutoff])
    token = secrets.token_urlsafe(32)
    at = now()
    storage.db.execute("insert into console_sessions (id, username, csrf, created, seen) "
                       "values (?, ?, ?, ?, ?)",
                       [_key(token), username, secrets.token_urlsafe(32), at, at])
    return token


def session(storage: Storage, token: str | None) -> dict[str, Any] | None:
    """The live session of a cookie, with its account; None when there is none, it
    expired or its account was removed."""
    if not token or len(token) > 200:
        return None
    rows = list(storage.db.query(
        "select s.id, s.username, s.csrf, s.created, s.seen, a.name from console_sessions s "
        "left join staff_accounts a on a.username = s.username where s.id = ?", [_key(token)]))
    if not rows:
        return None
    row = rows[0]
    moment = dt.datetime.now(dt.timezone.utc)
    seen, created = dt.datetime.fromisoformat(row["seen"]), dt.datetime.fromisoformat(
        row["created"])
    idle = ANONYMOUS if row["username"] is None else IDLE
    if moment - seen > idle or moment - created > LIFETIME or \
            (row["username"] is not None and get(storage, row["username"]) is None):
        end_session(storage, token)
        return None
    if moment - seen > dt.timedelta(minutes=1):
        storage.db.execute("update console_sessions set seen = ? where id = ?",
                           [now(), row["id"]])
    return row


def end_session(storage: Storage, token: str | None) -> None:
    if token:
        storage.db.execute("delete from console_sessions where id = ?", [_key(token)])


# --- the login rate limit ------------------------------------------------------------


def too_many_failures(storage: Storage, username: str, ip: str) -> bool:
    since = (dt.datetime.now(dt.timezone.utc) - ATTEMPT_WINDOW).isoformat(timespec="seconds")
    user, address = storage.db.execute(
        "select coalesce(sum(case when username = ? then 1 else 0 end), 0), "
        "coalesce(sum(case when ip = ? then 1 else 0 end), 0) from login_attempts "
        "where ok = 0 and at >= ?", [(username or "").strip().lower(), ip, since]).fetchone()
    return user >= MAX_FAILURES_USER or address >= MAX_FAILURES_IP


def record_attempt(storage: Storage, username: str, ip: str, ok: bool) -> None:
    cutoff = (dt.datetime.now(dt.timezone.utc) - 4 * ATTEMPT_WINDOW).isoformat()
    storage.db.execute("delete from login_attempts where at < ?", [cutoff])
    storage.db.execute("insert into login_attempts (at, username, ip, ok) values (?, ?, ?, ?)",
                       [now(), (username or "").strip().lower()[:64], ip[:64], int(ok)])
