"""How long until the bot answers its first question after start, bundled knowledge:
``motcua run`` against the fake Telegram server (the clock runs from the process start
to the reply's arrival), cold (no index cache) and warm (cache present).

    python bench/startup.py
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fake_telegram import FakeTelegram  # noqa: E402
from machine import describe  # noqa: E402


def first_reply(env: dict[str, str]) -> float:
    fake = FakeTelegram().start()
    fake.push_text(77, "làm giấy khai sinh cần gì")  # waiting before the bot starts
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT,
                            env={**os.environ, **env, "TELEGRAM_BOT_TOKEN": fake.token,
                                 "TELEGRAM_API_BASE_URL": fake.base_url},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not fake.wait_for(77, 1, timeout=60):
            raise SystemExit("no reply")
        return time.perf_counter() - start
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        fake.stop()


def main() -> None:
    print(f"machine: {describe()}")
    for label in ("cold (no index cache)", "warm (index cache)"):
        times = []
        for _ in range(3):
            with tempfile.TemporaryDirectory() as tmp:
                env = {"MOTCUA_DB": str(Path(tmp) / "s.db")}
                if label.startswith("warm"):
                    first_reply(env)  # fills the cache
                times.append(first_reply(env))
                shutil.rmtree(tmp, ignore_errors=True)
        print(f"start to first answer, bundled knowledge, {label}: "
              f"best {min(times):.2f} s, worst {max(times):.2f} s")


if __name__ == "__main__":
    main()
