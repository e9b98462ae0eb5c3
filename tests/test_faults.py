"""Storage faults: the bot keeps answering questions, refuses feedback honestly (never
confirms what is not committed) and recovers when the fault clears."""

import os
import sqlite3
import subprocess
import uuid

import pytest

from bot.storage import Storage
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
