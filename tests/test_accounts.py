"""Console accounts: the ``motcua staff`` commands on a real SQLite file, scrypt hashes,
sessions and the login rate limit (bot/accounts.py)."""

import datetime as dt
import sqlite3

import pytest

from bot import accounts
from bot.storage import Storage
from conftest import run_motcua

PASSWORD = "mat-khau-rat-dai-2026"


def test_staff_commands_add_list_passwd_link_remove(tmp_path):
    db = str(tmp_path / "staff.db")
    added = run_motcua("--db", db, "staff", "add", "lan", "--name", "Nguyễn Thị Lan",
                       "--chat", "telegram:111", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "Đã tạo tài khoản lan (Nguyễn Thị Lan, gắn với telegram:111)" in added.stdout
    stored = sqlite3.connect(db).execute("select hash from staff_accounts").fetchone()[0]
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored
    listed = run_motcua("--db", db, "staff", "list")
    assert "Nguyễn Thị Lan" in listed.stdout and "telegram:111" in listed.stdout
    assert PASSWORD not in listed.stdout + listed.stderr + added.stdout + added.stderr

    again = run_motcua("--db", db, "staff", "add", "lan", stdin=PASSWORD + "\n")
    assert again.returncode == 2 and "đã có tài khoản lan" in again.stderr
    short = run_motcua("--db", db, "staff", "passwd", "lan", stdin="ngan\n")
    assert short.returncode == 2 and "ít nhất 8 ký tự" in short.stderr
    bad = run_motcua("--db", db, "staff", "add", "Tên Có Dấu", stdin=PASSWORD + "\n")
    assert bad.returncode == 2 and "tên đăng nhập" in bad.stderr
    assert "Traceback" not in short.stderr + bad.stderr

    changed = run_motcua("--db", db, "staff", "passwd", "lan", stdin="mat-khau-moi-2026\n")
    assert changed.returncode == 0, changed.stderr
    storage = Storage(db)
    assert accounts.authenticate(storage, "lan", "mat-khau-moi-2026")
    assert accounts.authenticate(storage, "lan", PASSWORD) is None

    unlinked = run_motcua("--db", db, "staff", "link", "lan")
    assert "không gắn" in unlinked.stdout and accounts.get(storage, "lan")["chat_id"] is None
    assert run_motcua("--db", db, "staff", "remove", "lan").returncode == 0
    gone = run_motcua("--db", db, "staff", "remove", "lan")
    assert gone.returncode == 1 and "không có tài khoản lan" in gone.stderr


def test_a_missing_database_is_created_only_by_staff_add(tmp_path):
    listed = run_motcua("--db", str(tmp_path / "none.db"), "staff", "list")
    assert listed.returncode == 2 and "chưa có cơ sở dữ liệu" in listed.stderr
    assert not (tmp_path / "none.db").exists()
    added = run_motcua("--db", str(tmp_path / "new.db"), "staff", "add", "hung",
                       stdin=PASSWORD + "\n")
    assert added.returncode == 0 and (tmp_path / "new.db").exists()


def test_passwords_and_chat_ids_are_checked(tmp_path):
    storage = Storage(tmp_path / "a.db")
    accounts.add(storage, "Lan", PASSWORD, "Lan", "telegram:111")
    assert accounts.get(storage, "lan")["username"] == "lan"  # names are lower case
    assert accounts.authenticate(storage, "LAN", PASSWORD)["name"] == "Lan"
    assert accounts.authenticate(storage, "lan", PASSWORD + "x") is None
    assert accounts.authenticate(storage, "nobody", PASSWORD) is None
    with pytest.raises(accounts.AccountError, match="đã gắn với tài khoản lan"):
        accounts.add(storage, "hung", PASSWORD, chat_id="telegram:111")
    with pytest.raises(accounts.AccountError, match="mã chat"):
        accounts.add(storage, "hung", PASSWORD, chat_id="telegram 111; drop table x")
    assert accounts.check_password(PASSWORD, "not-a-hash") is False
    # the name of a linked account names the chat id's actions too (reports, ticket page)
    assert accounts.names(storage) == {"console:lan": "Lan", "telegram:111": "Lan"}


def test_sessions_expire_and_end_with_the_account(tmp_path):
    storage = Storage(tmp_path / "s.db")
    accounts.add(storage, "lan", PASSWORD)
    token = accounts.new_session(storage, "lan")
    found = accounts.session(storage, token)
    assert found["username"] == "lan" and len(found["csrf"]) >= 32
    # only the token's digest is stored
    assert storage.db.execute("select count(*) from console_sessions where id = ?",
                              [token]).fetchone()[0] == 0
    assert accounts.session(storage, token + "x") is None
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=9)).isoformat()
    storage.db.execute("update console_sessions set seen = ?", [old])
    assert accounts.session(storage, token) is None  # idle too long
    token = accounts.new_session(storage, "lan")
    accounts.set_password(storage, "lan", "another-password")
    assert accounts.session(storage, token) is None  # a new password ends sessions


def test_login_failures_are_limited_per_user_and_per_address(tmp_path):
    storage = Storage(tmp_path / "r.db")
    for _ in range(accounts.MAX_FAILURES_USER):
        assert not accounts.too_many_failures(storage, "lan", "10.0.0.1")
        accounts.record_attempt(storage, "lan", "10.0.0.1", False)
    assert accounts.too_many_failures(storage, "LAN", "10.0.0.2")
    assert not accounts.too_many_failures(storage, "hung", "10.0.0.2")
    for n in range(accounts.MAX_FAILURES_IP):
        accounts.record_attempt(storage, f"user{n}", "10.0.0.3", False)
    assert accounts.too_many_failures(storage, "hung", "10.0.0.3")
