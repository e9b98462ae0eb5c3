"""Several ``motcua run --webhook`` processes on one database, behind one fake Telegram
that posts each update to one of them, as a load balancer in front of them would
(tests/test_processes.py, bench/processes.py)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
SECRET = "webhook-secret-for-tests-only"
STAFF_CHAT = -100900


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebhookBots:
    def __init__(self, db: str, processes: int = 2, env: dict[str, str] | None = None):
        self.db = db
        self.fake = FakeTelegram().start()
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("MOTCUA_KNOWLEDGE", "MOTCUA_ENV_FILE", "ZALO_BOT_TOKEN")}
        self.env.update({
            "MOTCUA_DB": db, "TELEGRAM_BOT_TOKEN": self.fake.token,
            "TELEGRAM_API_BASE_URL": self.fake.base_url,
            "TELEGRAM_API_FILE_URL": self.fake.file_url, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "MOTCUA_STAFF_CHAT": f"telegram:{STAFF_CHAT}", "MOTCUA_FEEDBACK_PER_DAY": "100000",
            "MOTCUA_FLOOD_PER_MINUTE": "100000", "MOTCUA_LOG_LEVEL": "WARNING",
            **(env or {})})
        self.logs = tempfile.TemporaryDirectory()
        self.procs: list[subprocess.Popen] = []
        self.urls: list[str] = []
        self.alive: list[bool] = []
        self.lock = threading.Lock()
        for n in range(processes):
            self.start_one(n)
        for n in range(processes):
            self.wait_listening(n)

    def start_one(self, n: int) -> None:
        port = free_port()
        log = open(Path(self.logs.name) / f"bot{n}.log", "w")
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--webhook",
             "https://bot.example.gov.vn/telegram", "--listen", f"127.0.0.1:{port}"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))
        self.urls.append(f"http://127.0.0.1:{port}/telegram")
        self.alive.append(True)

    def wait_listening(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        port = int(self.urls[n].rsplit(":", 1)[1].split("/")[0])
        while time.monotonic() < deadline:
            if self.procs[n].poll() is not None:
                raise RuntimeError(f"bot {n} ended: {self.log(n)[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"bot {n} does not listen: {self.log(n)[-3000:]}")

    def log(self, n: int) -> str:
        return (Path(self.logs.name) / f"bot{n}.log").read_text(errors="replace")

    def post(self, update: dict) -> int:
        """Post to a live process chosen at random; one that does not answer is taken
        out (as a load balancer does after a failed upstream), the next one tried."""
        while True:
            with self.lock:
                live = [n for n, up in enumerate(self.alive) if up]
            if not live:
                raise RuntimeError("no bot process left")
            n = random.choice(live)
            status = self.fake.post_webhook(self.urls[n], update, SECRET)
            if status == 200:
                return n
            with self.lock:
                self.alive[n] = False

    def kill(self, n: int) -> None:
        with self.lock:
            self.alive[n] = False
        self.procs[n].send_signal(signal.SIGKILL)
        self.procs[n].wait(timeout=10)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.fake.stop()
        self.logs.cleanup()

    # --- a citizen ----------------------------------------------------------------------

    def ask(self, chat: int, update: dict, timeout: float) -> dict | None:
        """Post ``update`` and wait for the next message to ``chat`` (None: none came)."""
        before = len(self.fake.messages_to(chat))
        self.post(update)
        got = self.fake.wait_for(chat, before + 1, timeout=timeout)
        return got[-1] if len(got) > before else None

    def file_feedback(self, chat: int, text: str, timeout: float = 30, tries: int = 20
                      ) -> tuple[str, int]:
        """A citizen files a feedback, step by step, each step after the bot's reply,
        doing what the last reply asks; a step with no reply (its process killed) is
        done again. Returns the ticket confirmed and how many steps were done again."""
        fake, again = self.fake, 0
        step = fake.text_update(chat, "/phananh")
        for _ in range(tries):
            reply = self.ask(chat, step, timeout)
            if reply is None:
                again += 1
                continue
            body = reply.get("text") or ""
            data = [b.get("callback_data") for row in
                    (reply.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
            if "Mã phản ánh: " in body:
                return body.split("Mã phản ánh: ")[1].split()[0], again
            if "fb:send" in data:
                step = fake.button_update(chat, "fb:send")
            elif "fb:p:no" in data:
                step = fake.button_update(chat, "fb:p:no")
            elif "fb:t:-" in data:
                step = fake.button_update(chat, "fb:t:-")
            elif "fb:c:khac" in data:
                step = fake.button_update(chat, "fb:c:khac")
            elif "mô tả nội dung" in body:
                step = fake.text_update(chat, text)
            else:  # an old choice, a lost step: start again
                step = fake.text_update(chat, "/phananh")
        raise AssertionError(f"citizen {chat}: no ticket after {tries} steps")
