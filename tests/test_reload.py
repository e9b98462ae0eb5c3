"""motcua run reloads its knowledge on SIGHUP (and on file changes) without dropping
messages, and keeps the last good knowledge when the new one is broken."""

import os
import shutil
import signal
import subprocess
import sys
import time

from bot import knowledge as kb
from conftest import ROOT
from fake_telegram import FakeTelegram

NEW_ENTRY = """\
entries:
  - id: gui-xe
    kind: faq
    title: Chỗ gửi xe khi đến nộp hồ sơ
    aliases: [chỗ gửi xe máy ở trung tâm, bãi giữ xe của trung tâm]
    answer: Trung tâm có chỗ gửi xe miễn phí phía sau tòa nhà.
    sources: [thông tin của đơn vị]
"""


def test_sighup_reload_keeps_answering_and_refuses_broken_knowledge(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(kb.default_dir(), knowledge)
    fake = FakeTelegram().start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_BASE_URL": fake.base_url, "TELEGRAM_API_FILE_URL": fake.file_url,
           "MOTCUA_DB": str(tmp_path / "r.db"), "MOTCUA_KNOWLEDGE": str(knowledge)}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    chat = 4242
    sent = 0

    def ask(text):
        nonlocal sent
        fake.push_text(chat, text)
        sent += 1
        return fake.wait_for(chat, sent, timeout=30)[sent - 1]["text"]

    try:
        assert "chưa có thông tin" in ask("chỗ gửi xe máy ở trung tâm")
        (knowledge / "extra.yaml").write_text(NEW_ENTRY, encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        for _ in range(5):  # messages during the reload are answered, none dropped
            ask("đăng ký khai sinh")
        deadline = time.monotonic() + 20
        while "gửi xe miễn phí" not in ask("chỗ gửi xe máy ở trung tâm"):
            assert time.monotonic() < deadline, "the new entry never arrived"
            time.sleep(0.3)
        (knowledge / "extra.yaml").write_text("entries:\n  - id: [broken\n", encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        time.sleep(2)
        assert "gửi xe miễn phí" in ask("chỗ gửi xe máy ở trung tâm")  # last good kept
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        fake.stop()
    assert "knowledge reloaded" in err
    assert "reload refused" in err and "extra.yaml:2: yaml: dòng 2, cột 9: thiếu dấu ']'" in err
