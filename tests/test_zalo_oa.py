"""The Zalo Official Account channel end to end: ``motcua run`` as a child process
against the fake OA (tests/fake_zalo_oa.py) and, for staff, the fake Telegram: signed
events only, buttons, a feedback answered across channels, token refreshes that
survive a restart, the 7-day window, redeliveries and the early acknowledgement."""

from __future__ import annotations

import os
import re
import signal
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


class Bot:
    """``motcua run --zalo-oa-listen`` with the OA (and Telegram when given)."""

    def __init__(self, tmp_path, oa: FakeZaloOA, tg: FakeTelegram | None = None):
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
        [card] = bot.say("đăng ký khai sinh cần giấy tờ gì")
        assert "khai sinh" in card["text"].lower() and card["buttons"]
        fee = next((b for b in card["buttons"] if "phí" in b["title"].lower()), None)
        assert fee is not None, [b["title"] for b in card["buttons"]]
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
