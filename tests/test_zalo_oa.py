"""The Zalo Official Account channel end to end: ``motcua run`` as a child process
against the fake OA (tests/fake_zalo_oa.py) and, for staff, the fake Telegram: signed
events only, buttons, a feedback answered across channels, token refreshes that
survive a restart, the 7-day window, redeliveries and the early acknowledgement."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT
from fake_telegram import FakeTelegram
from fake_zalo_oa import FakeZaloOA
from test_zalo import free_port

CITIZEN, OTHER, STAFF = "2468458835296117922", "5736512783652765123", 900
OA_STAFF = "8141939391024384712"  # a staff member on the OA itself


class Bot:
    """``motcua run --zalo-oa-listen`` with the OA (and Telegram when given)."""

    def __init__(self, tmp_path, oa: FakeZaloOA, tg: FakeTelegram | None = None,
                 **env: str):
        self.oa, self.tg, self.port = oa, tg, free_port()
        self.db = tmp_path / "oa.db"
        self.env = {**os.environ, **oa.env(self.port), "MOTCUA_DB": str(self.db),
                    "MOTCUA_LOG_LEVEL": "INFO", "TELEGRAM_BOT_TOKEN": "", "ZALO_BOT_TOKEN": "",
                    "MOTCUA_STAFF_IDS": f"telegram:{STAFF}",
                    "MOTCUA_STAFF_CHAT": f"telegram:{STAFF}"}
        self.env.pop("MOTCUA_KNOWLEDGE", None)
        if tg is not None:
            self.env |= {"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
                         "TELEGRAM_API_FILE_URL": tg.file_url}
        self.env |= env
        self.logs: list[str] = []
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--zalo-oa-listen",
             f"127.0.0.1:{self.port}"], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        ready = threading.Event()

        def read(stream):
            for line in stream:
                self.logs.append(line)
                if "đang chạy" in line:
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=read, args=(self.proc.stderr,), daemon=True)
        self.reader.start()
        assert ready.wait(60) and self.proc.poll() is None, "".join(self.logs)

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self.reader.join(5)
        assert self.proc.returncode == 0, "".join(self.logs)
        return "".join(self.logs)

    def say(self, text: str, user: str = CITIZEN, expect: int = 1) -> list[dict]:
        before = len(self.oa.messages_to(user))
        self.oa.push_text(user, text)
        return self.oa.wait_for(user, before + expect, timeout=20)[before:]

    def press(self, button: dict, user: str = CITIZEN, expect: int = 1) -> list[dict]:
        before = len(self.oa.messages_to(user))
        assert self.oa.press(user, button) == 200
        return self.oa.wait_for(user, before + expect, timeout=20)[before:]


def file_feedback(bot: Bot, user: str = CITIZEN) -> str:
    """A citizen files a feedback on the OA by its buttons; its ticket."""
    [kinds] = bot.say("/phananh", user)
    [describe] = bot.press(find(kinds, "Thái độ"), user)
    assert "mô tả" in describe["text"].lower()
    [step] = bot.say("Cán bộ một cửa phường hẹn đi hẹn lại ba lần không giải thích", user)
    if "thủ tục nào" in step["text"]:
        [step] = bot.press(find(step, "Không"), user)
    [summary] = bot.press(find(step, "Không để lại"), user)
    [done] = bot.press(find(summary, "Gửi"), user)
    return re.search(r"PA-\d{4}-\d{6}", done["text"]).group(0)


def find(message: dict, words: str) -> dict:
    found = [b for b in message["buttons"] if words in b["title"]]
    assert found, [b["title"] for b in message["buttons"]]
    return found[0]


@pytest.fixture
def oa():
    fake = FakeZaloOA().start()
    yield fake
    fake.stop()
    assert fake.overlaps == 0


@pytest.fixture
def tg():
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


def test_follow_question_buttons_and_a_press(tmp_path, oa):
    bot = Bot(tmp_path, oa)
    try:
        assert oa.deliver(oa.event(CITIZEN, "follow"), retry_for=5) == 200
        welcome, more = oa.wait_for(CITIZEN, 2, timeout=20)  # six menu buttons: 3 and 3
        assert "Xin chào" in welcome["text"] and "(Gõ số" not in welcome["text"]
        assert len(welcome["buttons"]) == len(more["buttons"]) == 3
        assert more["text"] == "Lựa chọn khác:"
        assert all(b["type"] == "oa.query.hide" for b in welcome["buttons"] + more["buttons"])
        # an answer's four ways on and the menu: five buttons, one message; the rating
        # is a symbol to type
        [card] = bot.say("đăng ký khai sinh cần giấy tờ gì")
        assert "khai sinh" in card["text"].lower() and len(card["buttons"]) == 5
        assert "Gõ 👍 nếu hữu ích" in card["text"]
        buttons = card["buttons"]
        fee = next((b for b in buttons if "phí" in b["title"].lower()), None)
        assert fee is not None, [b["title"] for b in buttons]
        [pressed] = bot.press(fee)
        assert "phí" in pressed["text"].lower()
        menu, _ = bot.press(find(pressed, "Menu"), expect=2)
        assert "Bạn muốn tìm gì" in menu["text"]
        [typed] = bot.say("2")  # a typed number picks, as on every channel
        assert "trực tuyến" in typed["text"].lower()
        for message in oa.sent:  # every message within Zalo's limits (the fake refuses others)
            assert len(message["buttons"]) <= 5
        assert [c for c in oa.calls if c[1] != 0] == []
    finally:
        logs = bot.stop()
    assert "Zalo OA channel started" in logs
    for secret in (oa.secret_key, oa.app_secret, *oa.access, *oa.refresh_used):
        assert secret not in logs


def test_feedback_on_the_oa_answered_by_staff_on_telegram(tmp_path, oa, tg):
    bot = Bot(tmp_path, oa, tg, MOTCUA_STAFF_IDS=f"telegram:{STAFF},zalo-oa:{OA_STAFF}",
              MOTCUA_STAFF_CHAT=f"telegram:{STAFF},zalo-oa:{OA_STAFF}")
    try:
        [me] = bot.say("/id", OA_STAFF)  # staff on the OA: named zalo-oa:<user id>
        assert f"zalo-oa:{OA_STAFF}" in me["text"] and "cán bộ" in me["text"]
        ticket = file_feedback(bot)
        row = sqlite3.connect(bot.db).execute(
            "select channel, user_id, category from feedback where ticket = ?",
            [ticket]).fetchone()
        assert row == ("zalo-oa", CITIZEN, "thai-do")
        assert tg.wait_for_text(STAFF, ticket)  # announced on Telegram…
        notice = oa.wait_for_text(OA_STAFF, ticket)  # …and to the OA's staff, with buttons
        [view] = bot.press(find(notice, "Xem"), OA_STAFF)
        assert ticket in view["text"] and "hẹn đi hẹn lại" in view["text"]
        before = len(oa.messages_to(CITIZEN))
        tg.staff_answers(STAFF, ticket, "Trung tâm đã làm việc với cán bộ, xin lỗi bạn.")
        relayed = oa.wait_for_text(CITIZEN, "xin lỗi bạn", after=before, timeout=20)
        assert relayed and ticket in relayed["text"]
        [status] = bot.say(f"/tracuu {ticket}")
        assert "xin lỗi bạn" in status["text"]
    finally:
        bot.stop()


def test_forged_or_unsigned_events_get_403_and_nothing_else(tmp_path, oa):
    bot = Bot(tmp_path, oa)
    try:
        body = oa.event(CITIZEN, text="đăng ký khai sinh")
        raw = json.dumps(body, ensure_ascii=False).encode()
        tampered = {**body, "message": {**body["message"], "text": "/xoadulieu"}}
        app_secret_mac = hashlib.sha256(oa.app_id.encode() + raw + body["timestamp"].encode()
                                        + oa.app_secret.encode()).hexdigest()
        assert oa.deliver(body, None, retry_for=5) == 403  # unsigned
        assert oa.deliver(body, "mac=" + "0" * 64) == 403  # forged
        assert oa.deliver(body, f"mac={app_secret_mac}") == 403  # the app's secret, not the OA's
        assert oa.deliver(tampered, f"mac={oa.mac(raw, body['timestamp'])}") == 403  # altered
        assert oa.deliver(oa.event(OTHER, "follow"), "") == 403
        assert oa.wait_for(CITIZEN, 1, timeout=1.5) == [] and oa.messages_to(OTHER) == []
        assert oa.deliver(body) == 200  # the same event, signed as Zalo signs it
        [reply] = oa.wait_for(CITIZEN, 1, timeout=20)
        assert "khai sinh" in reply["text"].lower()
    finally:
        bot.stop()


def test_redelivered_event_answered_once_and_events_acknowledged_before_replies(tmp_path, oa):
    bot = Bot(tmp_path, oa)
    try:
        body = oa.event(CITIZEN, text="đăng ký kết hôn")
        assert oa.deliver(body, retry_for=5) == 200
        assert oa.deliver(body) == 200  # Zalo delivers it again
        # one answer, not two
        assert len(oa.wait_for(CITIZEN, 2, timeout=3)) == 1
        # while replies cannot go out (Zalo slow to take them), events are still taken
        oa.gate.clear()
        assert oa.deliver(oa.event(OTHER, text="đăng ký tạm trú")) == 200
        deadline = time.monotonic() + 10
        while oa.blocked == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert oa.blocked == 1  # the reply is under way, held by Zalo
        assert oa.deliver(oa.event(CITIZEN, text="cảm ơn")) == 200
        assert oa.messages_to(OTHER) == []
        oa.gate.set()
        assert "tạm trú" in oa.wait_for(OTHER, 1, timeout=20)[0]["text"].lower()
        assert len(oa.wait_for(CITIZEN, 2, timeout=20)) == 2  # the answer and "cảm ơn"
        # the duplicate is known after a restart too (msg_id kept in the database)
        bot.stop()
        bot.start()
        assert oa.deliver(body, retry_for=5) == 200
        assert len(oa.wait_for(CITIZEN, 3, timeout=2)) == 2
    finally:
        bot.stop()


def test_tokens_refreshed_before_expiry_and_after_an_invalid_token_surviving_restart(
        tmp_path, oa):
    oa.lifetime = 4  # pairs from a refresh last 4 s: the bot must renew them ahead
    bot = Bot(tmp_path, oa)
    try:
        for n in range(8):  # 8 s of questions over pairs that expire every 4 s
            assert "khai sinh" in bot.say("khai sinh", OTHER)[0]["text"].lower()
            time.sleep(1)
        assert len(oa.refreshes) >= 3 and all(ok for _, ok in oa.refreshes)
        assert oa.rejected == []  # never an expired or unknown token
        oa.lifetime = 90000
        deadline = time.monotonic() + 10
        while oa.pairs_issued_with(90000) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        refreshed = len(oa.refreshes)
        oa.revoke()  # Zalo stops taking the token: -216
        users = [f"70000000000000000{n:02d}" for n in range(5)]
        threads = [threading.Thread(target=bot.say, args=("kết hôn", u)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(oa.messages_to(u) for u in users)
        assert len(oa.refreshes) == refreshed + 1  # one refresh for all five
        assert oa.rejected and {code for _, code in oa.rejected} == {-216}
        bot.stop()
        bot.start()  # the environment still holds the first pair, spent long ago
        assert "tạm trú" in bot.say("tạm trú", OTHER)[0]["text"].lower()
        assert len(oa.refreshes) == refreshed + 1 and all(ok for _, ok in oa.refreshes)
        stored = sqlite3.connect(bot.db).execute(
            "select access_token, refresh_token from oa_tokens").fetchall()
        assert stored == [oa.newest()]
    finally:
        logs = bot.stop()
    assert "refreshed" in logs
    for secret in (*oa.access, *oa.refresh_used):
        assert secret not in logs


def test_answer_past_the_window_is_kept_and_delivered_when_the_citizen_writes(
        tmp_path, oa, tg):
    bot = Bot(tmp_path, oa, tg)
    try:
        ticket = file_feedback(bot)
        before = len(oa.messages_to(CITIZEN))
        oa.age(CITIZEN, 8)  # the citizen last wrote 8 days ago, as Zalo knows it
        told = len(tg.messages_to(STAFF))
        tg.staff_answers(STAFF, ticket, "Hồ sơ của bạn đã được xử lý xong.")
        notice = tg.wait_for_text(STAFF, "Chưa gửi được", after=told, timeout=20)
        assert notice and ticket in notice["text"] and "nhắn lại" in notice["text"]
        assert CITIZEN in oa.window_refused
        assert oa.messages_to(CITIZEN)[before:] == []
        db = sqlite3.connect(bot.db)
        assert db.execute("select count(*) from outbox where channel = 'zalo-oa' and "
                          "held is not null and sent_at is null").fetchone() == (1,)
        bot.say("cảm ơn", expect=2)  # writing again opens the window: the answer goes out
        assert oa.wait_for_text(CITIZEN, "xử lý xong", after=before)
        # the bot knows the last message's age itself: past 7 days it does not even try
        refused = len(oa.window_refused)
        db.execute("update oa_users set last_in = last_in - 8 * 86400")
        db.commit()
        told = len(tg.messages_to(STAFF))
        tg.staff_answers(STAFF, ticket, "Bổ sung: mời bạn đến nhận kết quả.")
        assert tg.wait_for_text(STAFF, "Chưa gửi được", after=told, timeout=20)
        assert len(oa.window_refused) == refused
        before = len(oa.messages_to(CITIZEN))
        bot.say("xin chào", expect=2)
        assert oa.wait_for_text(CITIZEN, "đến nhận kết quả", after=before)
    finally:
        bot.stop()


def test_two_processes_on_one_database_never_refresh_at_once(tmp_path, oa):
    """Two clients, each with its own connection and lock (as two processes would
    have), asked to refresh the same pair together: one refresh reaches Zalo."""
    import asyncio

    import aiohttp

    from bot import zalo_oa_store as store
    from bot.config import Config
    from bot.storage import Storage
    from bot.zalo_oa import OAClient

    config = Config.load(env=oa.env(free_port()))
    first = Storage(tmp_path / "shared.db")
    pair = store.seed_pair(first, oa.app_id, *oa.first)
    assert store.seed_pair(first, oa.app_id, *oa.first) == pair  # same seed: kept

    async def both():
        async with aiohttp.ClientSession() as session:
            clients = [OAClient(config, Storage(tmp_path / "shared.db"), session)
                       for _ in range(2)]
            return await asyncio.gather(*(c.refresh(pair.generation) for c in clients))

    one, two = asyncio.run(both())
    assert one == two and one.generation == pair.generation + 1
    assert len(oa.refreshes) == 1 and oa.overlaps == 0
    assert (one.access, one.refresh) == oa.newest()
    # the office authorises again and puts the new pair in the environment: it wins
    again = oa.issue(None)
    assert store.seed_pair(first, oa.app_id, *again).access == again[0]


def test_rendering_signatures_and_events():
    from bot.zalo_oa import PRESS, render, to_message, verified
    from handlers.types import Option, Reply

    long = render(Reply("Đoạn văn. " * 450, [Option("💰 Lệ phí", "c:x:fee"),
                                             Option("Cổng dịch vụ công", url="https://x.vn")]))
    assert len(long) == 3 and all(len(m["text"]) <= 2000 for m in long)
    assert "attachment" not in long[0] and long[-1]["attachment"]["payload"]["buttons"] == [
        {"title": "💰 Lệ phí", "type": "oa.query.hide", "payload": PRESS + "c:x:fee"},
        {"title": "Cổng dịch vụ công", "type": "oa.open.url",
         "payload": {"url": "https://x.vn"}}]
    assert render(Reply("Tệp", document="/tmp/a.xlsx"))[0]["text"].count("/tmp/a.xlsx") == 1
    raw = b'{"app_id":"1","timestamp":"17","event_name":"follow","follower":{"id":"9"}}'
    mac = hashlib.sha256(b"1" + raw + b"17" + b"key").hexdigest()
    assert verified(f"mac={mac}", raw, "1", "key")["event_name"] == "follow"
    assert verified(mac.upper(), raw, "1", "key") is not None
    for header, body, key in ((f"mac={mac}", raw, "other"), ("", raw, "key"),
                              (f"mac={mac}", b"not json", "key"),
                              (f"mac={mac}", raw + b" ", "key")):
        assert verified(header, body, "1", key) is None
    press = to_message({"event_name": "user_send_text", "sender": {"id": "9"},
                        "message": {"msg_id": "m1", "text": PRESS + "fb:c:gop-y"}})
    assert press[0] == "m1" and press[1].kind == "button" and press[1].data == "fb:c:gop-y"
    sticker = to_message({"event_name": "user_send_sticker", "sender": {"id": "9"},
                          "message": {"msg_id": "m2"}})
    assert sticker[1].kind == "sticker" and sticker[1].text == ""
    follow = to_message(json.loads(raw))
    assert follow == ("follow:9:17", follow[1]) and follow[1].text == "/start"
    for ignored in ("unfollow", "oa_send_text", "user_seen_message"):
        assert to_message({"event_name": ignored, "sender": {"id": "9"},
                           "follower": {"id": "9"}}) is None


def test_start_failures_are_one_vietnamese_line(tmp_path, oa):
    from test_deploy import one_line_error, run_bot

    port = free_port()
    env = oa.env(port)
    missing = run_bot(tmp_path, ZALO_OA_APP_ID=oa.app_id)
    assert one_line_error(missing) == (
        "motcua run: thiếu ZALO_OA_SECRET_KEY, ZALO_OA_APP_SECRET, ZALO_OA_REFRESH_TOKEN: đặt "
        "các biến này (README, mục \"Chạy trên Zalo OA\") rồi chạy lại")
    oa.revoke()
    oa.refresh_used[oa.first[1]] = True  # both tokens of the pair are dead
    refused = run_bot(tmp_path, "--zalo-oa-listen", f"127.0.0.1:{port}", **env)
    assert one_line_error(refused).startswith("motcua run: Zalo OA từ chối access token và "
                                              "refresh token: cấp lại quyền")
    assert oa.first[0] not in refused.stderr and oa.first[1] not in refused.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        fresh = FakeZaloOA().start()
        try:
            busy = run_bot(tmp_path / "busy", "--zalo-oa-listen",
                           f"127.0.0.1:{taken.getsockname()[1]}",
                           **fresh.env(taken.getsockname()[1]))
        finally:
            fresh.stop()
    assert "(--zalo-oa-listen" in one_line_error(busy)
