"""Storage faults: the bot keeps answering questions, refuses feedback honestly (never
confirms what is not committed) and recovers when the fault clears."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

from bot.storage import Storage
from conftest import ROOT
from fake_telegram import FakeTelegram
from handlers.conversation import Conversation
from handlers.types import Message


def say(conv, text, user="u"):
    return conv.handle(Message("zalo", user, text=text))


def press(conv, data, user="u"):
    return conv.handle(Message("zalo", user, data=data, kind="button"))


def try_feedback(conv, user="u"):
    say(conv, "/phananh", user)
    press(conv, "fb:c:khac", user)
    say(conv, "Nhà vệ sinh ở trung tâm hỏng đã lâu chưa sửa", user)
    press(conv, "fb:t:-", user)
    press(conv, "fb:p:no", user)
    return press(conv, "fb:send", user)[0].text


def refused(text):
    return "chưa lưu được" in text and "Mã phản ánh" not in text


def test_corrupted_file_at_start(knowledge, matcher, tmp_path):
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not a database" * 100)
    conv = Conversation(knowledge, Storage(db), matcher)
    assert conv.storage.degraded
    assert "Đăng ký khai sinh" in say(conv, "đăng ký khai sinh")[0].text
    assert refused(try_feedback(conv))
    db.unlink()  # the office restores or removes the bad file
    ok = try_feedback(conv, "u2")
    assert "Mã phản ánh: PA-" in ok
    assert sqlite3.connect(db).execute("select count(*) from feedback").fetchone()[0] == 1


def test_locked_by_another_process(knowledge, matcher, tmp_path):
    db = tmp_path / "locked.db"
    conv = Conversation(knowledge, Storage(db), matcher)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert "kết hôn" in say(conv, "đăng ký kết hôn")[0].text.lower()
        assert refused(try_feedback(conv))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "Mã phản ánh: PA-" in try_feedback(conv, "u2")


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small filesystem here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_disk_full_then_space_again(knowledge, matcher, small_disk):
    conv = Conversation(knowledge, Storage(small_disk / "bot.db"), matcher)
    assert "Mã phản ánh" in try_feedback(conv, "first")
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:  # fill the disk to the last byte
        while True:
            os.write(fd, os.urandom(4096))
    except OSError:
        pass
    finally:
        os.close(fd)
    count = sqlite3.connect(small_disk / "bot.db").execute(
        "select count(*) from feedback").fetchone()[0]
    texts = [try_feedback(conv, f"user-{uuid.uuid4().hex[:6]}") for _ in range(3)]
    assert "Đăng ký tạm trú" in say(conv, "đăng ký tạm trú")[0].text
    confirmed = [t for t in texts if "Mã phản ánh" in t]
    stored = sqlite3.connect(small_disk / "bot.db").execute(
        "select count(*) from feedback").fetchone()[0]
    assert stored == count + len(confirmed)  # nothing confirmed that is not on disk
    assert any(refused(t) for t in texts)
    filler.unlink()
    assert "Mã phản ánh" in try_feedback(conv, "after")


def test_read_only_then_writable(knowledge, matcher, small_disk):
    first = Storage(small_disk / "bot.db")
    first.add_feedback("zalo", "old", "khac", "một phản ánh cũ")
    first.db.conn.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        conv = Conversation(knowledge, Storage(small_disk / "bot.db"), matcher)
        assert "thường trú" in say(conv, "đăng ký thường trú", "x")[0].text.lower()
        assert refused(try_feedback(conv, "second"))
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert "Mã phản ánh: PA-" in try_feedback(conv, "third")
    assert sqlite3.connect(small_disk / "bot.db").execute(
        "select count(*) from feedback").fetchone()[0] == 2


# --- "Gửi" pressed, the bot killed at once, "Gửi" pressed again ----------------------------

CHAT = 5077
TICKET = re.compile(r"PA-\d{4}-\d{6}")


def start_bot(fake, db):
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_BASE_URL": fake.base_url, "TELEGRAM_API_FILE_URL": fake.file_url,
           "MOTCUA_DB": str(db), "MOTCUA_STAFF_CHAT": "telegram:-100777"}
    env.pop("MOTCUA_KNOWLEDGE", None)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def step(fake, push, *args, timeout=30):
    before = len(fake.messages_to(CHAT))
    push(CHAT, *args)
    found = fake.wait_for(CHAT, before + 1, timeout=timeout)[before:]
    assert found, f"no reply to {args}"
    return found[-1]["text"]


def until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.0005)


def rows(db, sql):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("kill", ["received", "committed", "held", "replied"])
def test_send_killed_and_pressed_again_files_one_ticket(tmp_path, kill):
    """The citizen presses "Gửi"; the bot is killed with SIGKILL right then: as soon as
    the press reached it, as soon as the ticket is committed, after the commit with the
    state save refused by the database (the window a kill can hit: the ticket on disk,
    the flow still open), or once the reply is out. Restarted, the same old "Gửi"
    button is pressed again (Telegram may also hand the bot the first press again).
    Exactly one ticket is on disk, with one staff notice, and every ticket number the
    citizen was told is that one."""
    fake = FakeTelegram().start()
    db = tmp_path / "kill.db"
    proc = start_bot(fake, db)
    try:
        assert "phản ánh" in step(fake, fake.push_text, "/phananh", timeout=60)
        step(fake, fake.push_button, "fb:c:khac")
        text = step(fake, fake.push_text, "Máy lấy số thứ tự ở trung tâm hỏng cả tuần nay")
        if "thủ tục nào" in text:
            step(fake, fake.push_button, "fb:t:-")
        assert "kiểm tra lại" in step(fake, fake.push_button, "fb:p:no")
        if kill == "held":  # the database refuses the state save that follows the commit
            rows(db, "create trigger hold_state before insert on state "
                     "begin select raise(abort, 'held by the test'); end")
        before = len(fake.messages_to(CHAT))
        answered = len([c for c in fake.calls if c[0] == "answerCallbackQuery"])
        fake.push_button(CHAT, "fb:send")
        if kill == "received":
            until(lambda: len([c for c in fake.calls if c[0] == "answerCallbackQuery"])
                  > answered)
        elif kill == "committed":
            until(lambda: rows(db, "select count(*) from feedback")[0][0] == 1)
        else:
            fake.wait_for(CHAT, before + 1, timeout=30)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        if kill == "held":
            rows(db, "drop trigger hold_state")
            assert rows(db, "select data from state")[0][0].count('"step": "confirm"') == 1
        killed_at = len(fake.messages_to(CHAT))
        proc = start_bot(fake, db)
        step(fake, fake.push_button, "fb:send", timeout=60)
        time.sleep(1.5)  # a first press handed out again would be answered by now
        told = [m["text"] for m in fake.messages_to(CHAT)[before:]]
        after = told[killed_at - before:]  # what the restarted bot said
        if any("kết thúc" in text for text in after):  # the flow's end had been saved
            assert all("/tracuu" in text for text in after if "kết thúc" in text)
            told.append(step(fake, fake.push_text, "/tracuu"))  # the citizen looks it up
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
        fake.stop()
    tickets = rows(db, "select ticket from feedback")
    assert len(tickets) == 1, tickets
    [[ticket]] = tickets
    said = {t for text in told for t in TICKET.findall(text)}
    assert said == {ticket}, told
    if kill in ("held", "replied"):  # the first reply was out before the kill
        assert f"Mã phản ánh: {ticket}" in told[0]
    if kill == "held":  # the flow was still open: the same number again, no second ticket
        assert any(f"Mã phản ánh: {ticket}" in text for text in after), after
    notices = rows(db, "select text from outbox where text like '📣 Phản ánh mới%'")
    assert len(notices) == 1 and ticket in notices[0][0]
