"""The Zalo channel end to end against our fake Zalo Bot API, and beside Telegram on
one storage: a feedback filed on Zalo answered by staff on Telegram, and back."""

import asyncio
import re
import socket
import sqlite3
import threading

import pytest

from bot.config import Config
from bot.storage import Storage
from bot.telegram import TelegramChannel
from bot.zalo import ZaloChannel, split, units
from fake_telegram import FakeTelegram
from fake_zalo import FakeZalo
from handlers.conversation import Conversation

CITIZEN, STAFF = "6ede9afa66b88fe6d6a9", 900


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Both:
    """Zalo and Telegram channels in one event loop, on one SQLite file."""

    def __init__(self, tmp_path, knowledge, matcher, zalo_webhook=None):
        self.zalo = FakeZalo().start()
        self.tg = FakeTelegram().start()
        self.port = free_port()
        self.config = Config(staff={f"telegram:{STAFF}", "zalo:staff-zalo-id"},
                             staff_chats={f"telegram:{STAFF}"},
                             telegram_token=self.tg.token, telegram_base_url=self.tg.base_url,
                             telegram_file_url=self.tg.file_url, zalo_token=self.zalo.token,
                             zalo_base_url=self.zalo.base_url,
                             zalo_webhook_secret="zalo-secret-for-tests",
                             export_dir=tmp_path / "exports")
        self.db = tmp_path / "both.db"
        self.conv = Conversation(knowledge, Storage(self.db), matcher, self.config)
        self.zalo_channel = ZaloChannel(self.conv, self.config)
        self.tg_channel = TelegramChannel(self.conv, self.config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        if zalo_webhook:
            self.run(self.zalo_channel.start_webhook(zalo_webhook, f"127.0.0.1:{self.port}"))
        else:
            self.run(self.zalo_channel.start())
        self.run(self.tg_channel.start(poll_timeout=1))

    def run(self, coro, timeout=20):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self):
        self.run(self.zalo_channel.stop())
        self.run(self.tg_channel.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.zalo.stop()
        self.tg.stop()

    def say(self, text, chat=CITIZEN, expect=1):
        before = len(self.zalo.messages_to(chat))
        self.zalo.push_text(chat, text)
        return [m["text"] for m in self.zalo.wait_for(chat, before + expect)[before:]]


@pytest.fixture
def both(tmp_path, knowledge, matcher):
    running = Both(tmp_path, knowledge, matcher)
    yield running
    running.close()
    assert all(status != 400 for _, status in running.zalo.calls), running.zalo.calls


def test_greeting_question_and_numbered_suggestion(both):
    [hello] = both.say("xin chào")
    assert "Xin chào" in hello and "1. 📄 Thủ tục theo lĩnh vực" in hello
    assert "(Gõ số từ 1 đến" in hello
    [card] = both.say("dang ky tam tru o dau")  # no diacritics
    assert "Tạm trú" in card or "tạm trú" in card
    [suggest] = both.say("bao hiem")
    first = re.search(r"\n1\. \S+ (.+)", suggest).group(1)
    [picked] = both.say("1")
    assert first in picked
    # the option's own words work as well as its number
    [menu] = both.say("menu")
    assert "Bạn muốn tìm gì" in menu


def test_feedback_on_zalo_answered_on_telegram(both):
    both.say("/phananh")
    both.say("2")  # Thái độ, hành vi cán bộ
    [step] = both.say("Cán bộ một cửa phường hẹn đi hẹn lại ba lần không giải thích")
    if "thủ tục nào" in step:
        both.say("Không liên quan thủ tục cụ thể")  # picked by its words
    both.say("2")  # no phone number
    [done] = both.say("1")  # send
    ticket = re.search(r"PA-\d{4}-\d{6}", done).group(0)
    row = sqlite3.connect(both.db).execute(
        "select channel, user_id, category from feedback where ticket = ?", [ticket]).fetchone()
    assert row == ("zalo", CITIZEN, "thai-do")
    [status] = both.say(f"/tracuu {ticket}")
    assert "Mới tiếp nhận" in status
    # staff get the notice on Telegram and answer there
    notice = both.tg.wait_for(STAFF, 1)[0]
    assert ticket in notice["text"]
    before = len(both.zalo.messages_to(CITIZEN))
    both.tg.staff_answers(STAFF, ticket, "Trung tâm đã làm việc với cán bộ, xin lỗi bạn.")
    relayed = both.zalo.wait_for(CITIZEN, before + 1)[before:]
    assert relayed and "xin lỗi bạn" in relayed[0]["text"]


def test_feedback_on_telegram_answered_on_zalo(both):
    citizen = 5005
    for step in ("/phananh",):
        both.tg.push_text(citizen, step)
    both.tg.wait_for(citizen, 1)
    both.tg.push_button(citizen, "fb:c:gop-y")
    both.tg.wait_for(citizen, 2)
    both.tg.push_text(citizen, "Nên có thêm chỗ để xe cho người đến nộp hồ sơ")
    got = both.tg.wait_for(citizen, 3)
    if "thủ tục nào" in got[-1]["text"]:
        both.tg.push_button(citizen, "fb:t:-")
        got = both.tg.wait_for(citizen, 4)
    both.tg.push_button(citizen, "fb:p:no")
    both.tg.wait_for(citizen, len(got) + 1)
    both.tg.push_button(citizen, "fb:send")
    done = both.tg.wait_for(citizen, len(got) + 2)[-1]["text"]
    ticket = re.search(r"PA-\d{4}-\d{6}", done).group(0)
    [preview] = both.say(f"/traloi {ticket} Cảm ơn góp ý, sẽ bố trí chỗ để xe.",
                         chat="staff-zalo-id")
    assert "Xem trước" in preview and "1. ✅ Gửi" in preview  # numbered on Zalo
    [answered] = both.say("1", chat="staff-zalo-id")
    assert "Đã trả lời" in answered
    relayed = both.tg.wait_for(citizen, len(got) + 3)[-1]
    assert "bố trí chỗ để xe" in relayed["text"]


def test_sticker_image_unsupported_and_unknown_events(both):
    before = len(both.zalo.messages_to(CITIZEN))
    both.zalo.push_event(CITIZEN, "message.sticker.received", sticker="abc", url="https://x")
    both.zalo.push_event(CITIZEN, "message.image.received", photo_url="https://x/a.jpg")
    both.zalo.push_event(CITIZEN, "message.unsupported.received")
    both.zalo.push_event(CITIZEN, "message.reaction.received", reaction="like")
    replies = [m["text"] for m in both.zalo.wait_for(CITIZEN, before + 4)[before:]]
    assert "chỉ đọc được tin nhắn chữ" in replies[0]
    assert "chưa đọc được ảnh" in replies[1]
    assert "chưa đọc được nội dung" in replies[2]
    assert len(replies) == 4


def test_long_replies_are_split_under_2000(both):
    assert all(units(c) <= 2000 for c in split("Đoạn văn. " * 900))
    assert units("😀") == 2
    [staff_help] = both.say("/canbo", chat="staff-zalo-id")
    assert "/traloi" in staff_help
    both.zalo.fail_next("sendMessage", 429)
    both.zalo.fail_next("sendMessage", 502)
    [retried] = both.say("đăng ký kết hôn")
    assert "kết hôn" in retried.lower()


def test_webhook_secret(tmp_path, knowledge, matcher):
    running = Both(tmp_path, knowledge, matcher, zalo_webhook="https://bot.example.vn/zalo")
    try:
        assert running.zalo.webhook == {"url": "https://bot.example.vn/zalo",
                                        "secret_token": "zalo-secret-for-tests"}
        url = f"http://127.0.0.1:{running.port}/zalo"
        body = running.zalo.update(CITIZEN, text="khai sinh")
        assert running.zalo.post_webhook(url, body, "wrong-secret") == 403
        assert running.zalo.post_webhook(url, body, None) == 403
        assert running.zalo.messages_to(CITIZEN) == []
        flat = running.zalo.post_webhook(url, body, "zalo-secret-for-tests")
        wrapped = running.zalo.post_webhook(
            url, {"ok": True, "result": running.zalo.update(CITIZEN, text="kết hôn")},
            "zalo-secret-for-tests")
        assert flat == wrapped == 200
        replies = running.zalo.wait_for(CITIZEN, 2)
        assert "khai sinh" in replies[0]["text"].lower()
        # the same message delivered twice is answered once
        assert running.zalo.post_webhook(url, body, "zalo-secret-for-tests") == 200
        assert len(running.zalo.wait_for(CITIZEN, 3, timeout=1.5)) == 2
    finally:
        running.close()


def test_zalo_connection_resets_are_retried(both):
    both.zalo.fail_next("sendMessage", 0, times=2)
    [reply] = both.say("đăng ký kết hôn")
    assert "kết hôn" in reply.lower()
    both.zalo.fail_next("getUpdates", 0)  # the poller survives a dropped long poll
    [again] = both.say("đăng ký tạm trú")
    assert "tạm trú" in again.lower()


def test_motcua_run_serves_zalo_and_telegram_in_one_process(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from conftest import ROOT

    zalo, tg = FakeZalo().start(), FakeTelegram().start()
    env = {**os.environ, "ZALO_BOT_TOKEN": zalo.token, "ZALO_API_BASE_URL": zalo.base_url,
           "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
           "MOTCUA_DB": str(tmp_path / "both.db")}
    env.pop("MOTCUA_KNOWLEDGE", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        zalo.push_text(CITIZEN, "dang ky khai sinh")
        tg.push_text(5006, "đăng ký kết hôn")
        assert "khai sinh" in zalo.wait_for(CITIZEN, 1, timeout=30)[0]["text"].lower()
        assert "kết hôn" in tg.wait_for(5006, 1, timeout=30)[0]["text"].lower()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        zalo.stop()
        tg.stop()
    assert proc.returncode == 0, err
    assert "Telegram channel started" in err and "Zalo channel started" in err
    assert zalo.token.split(":")[1] not in err
