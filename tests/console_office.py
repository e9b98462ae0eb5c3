"""An office for the console tests: the real ``motcua run`` in a child process, with
its Telegram channel on the fake Bot API and the staff console on a local port
(MOTCUA_CONSOLE_LISTEN), on one SQLite file; staff accounts made by ``motcua staff
add``; citizens filing feedback over the fake Telegram API, as people do."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, run_motcua
from fake_telegram import FakeTelegram

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PASSWORD = "mat-khau-cua-lan-2026"
STAFF = {"lan": ("Nguyễn Thị Lan", PASSWORD),
         "hung": ("<b>Trần Hùng</b>' or 1=1 --", "mat-khau-cua-hung-2026")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Office:
    def __init__(self, base: Path):
        self.db = base / "office.db"
        for username, (name, password) in STAFF.items():
            added = run_motcua("--db", str(self.db), "staff", "add", username, "--name", name,
                               stdin=password + "\n")
            assert added.returncode == 0, added.stderr
        self.fake = FakeTelegram().start()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": self.fake.token,
               "TELEGRAM_API_BASE_URL": self.fake.base_url,
               "TELEGRAM_API_FILE_URL": self.fake.file_url, "MOTCUA_DB": str(self.db),
               "MOTCUA_CONSOLE_LISTEN": f"127.0.0.1:{self.port}",
               "MOTCUA_EXPORT_DIR": str(base / "exports")}
        env.pop("MOTCUA_KNOWLEDGE", None)
        self.log = open(base / "run.log", "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT,
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/dang-nhap", timeout=2).read()
                break
            except OSError:
                assert self.proc.poll() is None, self.output()
                time.sleep(0.3)
        else:
            raise AssertionError("the console did not start: " + self.output())

    def output(self) -> str:
        """What the bot printed and logged (all of it once closed)."""
        if self.log.closed:
            return self.printed
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def close(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        finally:
            self.fake.stop()
            self.printed = self.output()
            self.log.close()

    # --- what citizens do -------------------------------------------------------------

    def _step(self, chat: int, push, *args, expect: int = 1) -> dict:
        before = len(self.fake.messages_to(chat))
        push(chat, *args)
        found = self.fake.wait_for(chat, before + expect, timeout=20)
        assert len(found) >= before + expect, f"no reply to {args}"
        return found[-1]

    def _send(self, chat: int) -> str:
        """Press "send" on a feedback being filed; its ticket, read from the confirmation
        itself: an answer to an earlier ticket, delivered to the same chat by the outbox,
        may arrive in between and names its own ticket."""
        before = len(self.fake.messages_to(chat))
        self.fake.push_button(chat, "fb:send")
        done = self.fake.wait_for_text(chat, "Đã tiếp nhận phản ánh", after=before, timeout=20)
        assert done is not None, "no confirmation of the feedback"
        return re.search(r"PA-\d{4}-\d{6}", done["text"]).group(0)

    def file_feedback(self, chat: int, text: str, category: str = "thai-do") -> str:
        """A citizen files a feedback in the Telegram chat; returns its ticket."""
        self._step(chat, self.fake.push_text, "/phananh")
        self._step(chat, self.fake.push_button, f"fb:c:{category}")
        step = self._step(chat, self.fake.push_text, text)
        if "thủ tục nào" in step["text"]:
            self._step(chat, self.fake.push_button, "fb:t:-")
        self._step(chat, self.fake.push_button, "fb:p:no")
        return self._send(chat)

    def forward_question(self, chat: int, text: str) -> str:
        """A question the bot cannot answer, sent on to staff ("Hỏi cán bộ"); the ticket."""
        unknown = self.ask(chat, text)
        assert "Hỏi cán bộ" in unknown["text"] or "hỏi cán bộ" in unknown["text"], unknown
        step = self._step(chat, self.fake.push_button, "fb:ask", expect=2)
        if "thủ tục nào" in step["text"]:
            step = self._step(chat, self.fake.push_button, "fb:t:-")
        self._step(chat, self.fake.push_button, "fb:p:no")
        return self._send(chat)

    def ask(self, chat: int, text: str) -> dict:
        return self._step(chat, self.fake.push_text, text)


def chromium_or_skip() -> str:
    """Debian's chromium (.ci/run installs it); on a machine without it the browser
    tests are skipped, except in CI where that is a failure."""
    if Path(CHROMIUM).exists() and shutil.which("chromium"):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs the chromium package")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")


# --- fixtures and helpers shared by the console's browser tests ----------------------


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = Office(tmp_path_factory.mktemp("console"))
    yield running
    running.close()
    output = running.output()
    assert running.fake.token not in output and PASSWORD not in output
    assert "Traceback" not in output, output


@pytest.fixture(scope="module")
def browser():
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="vi-VN", accept_downloads=True)
    ctx.set_default_timeout(15000)
    yield ctx
    ctx.close()


def log_in(page, office, username="lan", password=PASSWORD):
    page.goto(office.url + "/dang-nhap")
    page.fill("input[name=ten]", username)
    page.fill("input[name=mat_khau]", password)
    page.click("button[type=submit]")


def cookie(context):
    return next((c["value"] for c in context.cookies() if c["name"] == "motcua_phien"), None)


def db(office):
    return sqlite3.connect(office.db)
