"""The Telegram channel end to end: python-telegram-bot's real Application against our
local fake Bot API server (tests/fake_telegram.py), with a real SQLite file."""

import asyncio
import re
import sqlite3
import threading

import pytest

from bot.config import Config
from bot.storage import Storage
from bot.telegram import TelegramChannel, send, split
from fake_telegram import FakeTelegram, parse_html
from handlers.conversation import Conversation
from handlers.types import Reply

CITIZEN, STAFF, STAFF_CHAT = 5001, 900, -100900


class Running:
    def __init__(self, tmp_path, knowledge, matcher):
        self.fake = FakeTelegram().start()
        self.config = Config(staff={f"telegram:{STAFF}"}, staff_chats={f"telegram:{STAFF_CHAT}"},
                             telegram_token=self.fake.token, telegram_base_url=self.fake.base_url,
                             telegram_file_url=self.fake.file_url,
                             export_dir=tmp_path / "exports")
        self.db = tmp_path / "tg.db"
        self.conv = Conversation(knowledge, Storage(self.db), matcher, self.config)
        self.channel = TelegramChannel(self.conv, self.config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.run(self.channel.start(poll_timeout=1))

    def run(self, coro, timeout=20):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self):
        self.run(self.channel.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.fake.stop()

    def say(self, text, chat=CITIZEN, expect=1, **kw):
        before = len(self.fake.messages_to(chat))
        self.fake.push_text(chat, text, **kw)
        return self.fake.wait_for(chat, before + expect)[before:]

    def press(self, data, chat=CITIZEN, expect=1):
        before = len(self.fake.messages_to(chat))
        self.fake.push_button(chat, data)
        return self.fake.wait_for(chat, before + expect)[before:]


@pytest.fixture
def tg(tmp_path, knowledge, matcher):
    running = Running(tmp_path, knowledge, matcher)
    yield running
    running.close()
    assert all(status != 400 for _, status in running.fake.calls), running.fake.calls


def buttons(message):
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row]


def test_greeting_menu_and_commands(tg):
    [hello] = tg.say("/start")
    assert "Xin chào" in hello["text"]
    assert "m:p" in [b.get("callback_data") for b in buttons(hello)]
    [fields] = tg.press("m:p")
    assert "Hộ tịch" in [b["text"] for b in buttons(fields)]
    scopes = tg.fake.commands
    default = scopes['{"type": "default"}']
    assert {c["command"] for c in default} >= {"start", "help", "menu", "phananh", "tracuu",
                                               "huy", "xoadulieu"}
    staff = scopes[f'{{"chat_id": {STAFF}, "type": "chat"}}']
    assert "traloi" in {c["command"] for c in staff} and "traloi" not in \
        {c["command"] for c in default}


def test_questions_with_and_without_diacritics(tg):
    for question in ("làm giấy khai sinh cần giấy tờ gì", "lam giay khai sinh can giay to gi"):
        [card] = tg.say(question)
        assert "Hồ sơ cần chuẩn bị" in card["text"] and "Đăng ký khai sinh" in card["text"]
        assert card["html"].startswith("<b>")  # title in bold, the rest escaped


def test_pick_a_suggestion_by_button(tg):
    [suggest] = tg.say("dat dai")
    assert "Ý bạn là" in suggest["text"]
    first = buttons(suggest)[0]
    [card] = tg.press(first["callback_data"])
    assert first["text"].split(" ", 1)[1] in card["text"]


def test_full_feedback_flow_status_staff_answer_and_export(tg):
    tg.say("/phananh")
    tg.press("fb:c:thai-do")
    [step] = tg.say("Cán bộ một cửa phường hẹn đi hẹn lại ba lần không giải thích")
    if "thủ tục nào" in step["text"]:
        [step] = tg.press("fb:t:-")
    tg.press("fb:p:no")
    [done] = tg.press("fb:send")
    ticket = re.search(r"PA-\d{4}-\d{6}", done["text"]).group(0)
    row = sqlite3.connect(tg.db).execute("select channel, user_id, status from feedback "
                                         "where ticket = ?", [ticket]).fetchone()
    assert row == ("telegram", str(CITIZEN), "new")
    [status] = tg.say(f"/tracuu {ticket}")
    assert "Mới tiếp nhận" in status["text"]
    # the staff chat is told, with buttons for staff actions
    notice = tg.fake.wait_for(STAFF_CHAT, 1)[0]
    assert ticket in notice["text"] and f"s:v:{ticket}" in [
        b.get("callback_data") for b in buttons(notice)]
    # a citizen cannot use staff commands
    [refused] = tg.say(f"/traloi {ticket} tự trả lời")
    assert refused["text"].startswith("Lệnh này chỉ dành cho cán bộ")
    # the staff answer reaches the citizen
    before = len(tg.fake.messages_to(CITIZEN))
    tg.fake.staff_answers(STAFF, ticket, "Trung tâm đã nhắc nhở cán bộ, xin lỗi anh/chị.")
    relayed = tg.fake.wait_for(CITIZEN, before + 1)[before:]
    assert relayed and "xin lỗi anh/chị" in relayed[0]["text"]
    # an export arrives as a document
    export = tg.say("/xuat", chat=STAFF, expect=2)
    document = [m for m in export if m["kind"] == "document"]
    assert document and document[0]["filename"].endswith(".xlsx")
    assert document[0]["content"][:2] == b"PK"


def test_sticker_photo_edit_and_group(tg):
    before = len(tg.fake.messages_to(CITIZEN))
    tg.fake.push_content(CITIZEN, sticker={"file_id": "s", "file_unique_id": "s",
                                           "type": "regular", "width": 1, "height": 1,
                                           "is_animated": False, "is_video": False})
    [reply] = tg.fake.wait_for(CITIZEN, before + 1)[before:]
    assert "chỉ đọc được tin nhắn chữ" in reply["text"]
    tg.fake.push_edit(CITIZEN, "đăng ký tạm trú")
    [edited] = tg.fake.wait_for(CITIZEN, before + 2)[before + 1:]
    assert "tạm trú" in edited["text"].lower()
    group = -4242
    tg.fake.push_text(group, "chuyện phiếm trong nhóm", user_id=7, chat_type="group")
    [answer] = tg.say("@motcua_test_bot đăng ký kết hôn", chat=group, user_id=7,
                      chat_type="group")
    assert "kết hôn" in answer["text"].lower()
    assert len(tg.fake.messages_to(group)) == 1  # the chatter got no reply


def test_hostile_long_message_is_escaped(tg):
    text = ("<b>&amp; *bold* <script>alert(1)</script> & < > " * 90)[:4000]
    [reply] = tg.say(text)
    assert reply["text"]
    # and a reply longer than Telegram's limit arrives split, every part accepted
    long = Reply("\n\n".join(f"Đoạn {i}: " + "<&*> " * 60 for i in range(40)))
    chunks = split(long.text)
    assert all(len(c) <= 4096 for c in chunks) and len(chunks) > 2
    before = len(tg.fake.messages_to(CITIZEN))
    tg.run(send(tg.channel.app.bot, CITIZEN, long))
    parts = tg.fake.messages_to(CITIZEN)[before:]
    assert len(parts) == len(chunks)
    assert "".join(p["text"] for p in parts).count("<&*>") == long.text.count("<&*>")


def test_retries_on_flood_control_and_server_errors(tg):
    tg.fake.fail_next("sendMessage", 429, retry_after=1)
    tg.fake.fail_next("sendMessage", 502)
    [reply] = tg.say("đăng ký thường trú")
    assert "thường trú" in reply["text"].lower()
    assert ("sendMessage", 429) in tg.fake.calls and ("sendMessage", 502) in tg.fake.calls


def test_fake_server_parses_like_telegram():
    assert parse_html("<b>a &amp; b</b>") == "a & b"
    for bad in ("a < b", "a & b", "<script>x</script>", "<b>x", "x</b>"):
        with pytest.raises(ValueError):
            parse_html(bad)


def test_webhook_checks_the_secret(tmp_path, knowledge, matcher):
    import json
    import socket
    import urllib.error
    import urllib.request

    fake = FakeTelegram().start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = Config(telegram_token=fake.token, telegram_base_url=fake.base_url,
                    telegram_file_url=fake.file_url, webhook_secret="s3cret-for-tests-only")
    conv = Conversation(knowledge, Storage(tmp_path / "wh.db"), matcher, config)
    channel = TelegramChannel(conv, config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    run = lambda c: asyncio.run_coroutine_threadsafe(c, loop).result(20)  # noqa: E731
    try:
        run(channel.start_webhook("https://bot.example.vn/tg/hook", f"127.0.0.1:{port}"))
        assert fake.webhook == {"url": "https://bot.example.vn/tg/hook",
                                "secret_token": "s3cret-for-tests-only"}
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": 0, "chat": {"id": 77, "type": "private"},
            "from": {"id": 77, "is_bot": False, "first_name": "A"}, "text": "khai sinh"}}

        def post(secret):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/tg/hook", data=json.dumps(update).encode(),
                headers={"Content-Type": "application/json",
                         **({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {})})
            try:
                return urllib.request.urlopen(request, timeout=10).status
            except urllib.error.HTTPError as exc:
                return exc.code

        assert post("wrong-secret") == 403 and post(None) == 403
        assert fake.messages_to(77) == []
        assert post("s3cret-for-tests-only") == 200
        assert "khai sinh" in fake.wait_for(77, 1)[0]["text"].lower()
    finally:
        run(channel.stop())
        loop.call_soon_threadsafe(loop.stop)
        fake.stop()


def test_motcua_run_serves_telegram_and_never_logs_the_token(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from conftest import ROOT

    fake = FakeTelegram().start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_BASE_URL": fake.base_url, "TELEGRAM_API_FILE_URL": fake.file_url,
           "MOTCUA_DB": str(tmp_path / "run.db"), "MOTCUA_LOG_LEVEL": "DEBUG"}
    env.pop("MOTCUA_KNOWLEDGE", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        fake.push_text(CITIZEN, "đổi bằng lái xe cần gì, sđt tôi 0912345678")
        [reply] = fake.wait_for(CITIZEN, 1, timeout=30)
        assert "bằng lái" in reply["text"].lower() or "giấy phép lái xe" in reply["text"].lower()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        fake.stop()
    assert proc.returncode == 0, err
    assert fake.token not in out + err and fake.token.split(":")[1] not in out + err
    assert "0912345678" not in out + err
    assert "Telegram channel started" in err


def test_connection_resets_are_retried_and_feedback_is_not_duplicated(tg):
    tg.fake.fail_next("sendMessage", 0, times=2)  # the server hangs up twice
    [reply] = tg.say("đăng ký tạm trú")
    assert "tạm trú" in reply["text"].lower()
    assert [c for c in tg.fake.calls if c == ("sendMessage", 0)] == [("sendMessage", 0)] * 2
    tg.say("/phananh")
    tg.press("fb:c:khac")
    [step] = tg.say("Quầy lấy số thứ tự ở trung tâm hay bị hỏng")
    if "thủ tục nào" in step["text"]:
        tg.press("fb:t:-")
    tg.press("fb:p:no")
    tg.fake.fail_next("sendMessage", 0)  # the confirmation is lost once on the way
    [done] = tg.press("fb:send")
    assert "Mã phản ánh" in done["text"]
    import sqlite3
    assert sqlite3.connect(tg.db).execute("select count(*) from feedback").fetchone()[0] == 1
