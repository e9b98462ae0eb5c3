"""Soak test (not in CI): mixed traffic from many simulated users on both fake servers
(Telegram and Zalo) against one `motcua run` process, for a fixed time, sampling the
bot's memory (RSS) and open file descriptors. Reports growth from the first minute to
the last.

    python bench/soak.py [--minutes 30] [--users 1000]
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fake_telegram import FakeTelegram  # noqa: E402
from fake_zalo import FakeZalo  # noqa: E402
from machine import describe  # noqa: E402

STEPS = ["xin chào", "1", "khai sinh cần giấy tờ gì", "dang ky tam tru o dau", "bang lai",
         "1", "/menu", "2", "/phananh", "3", "Hồ sơ của tôi trễ hẹn hai tuần chưa có kết quả",
         "2", "1", "/tracuu", "thời tiết hôm nay", "cảm ơn"]


def sample(pid: int) -> tuple[float, int]:
    rss = 0.0
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    tg, zalo = FakeTelegram().start(), FakeZalo().start()
    tmp = tempfile.mkdtemp()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
           "ZALO_BOT_TOKEN": zalo.token, "ZALO_API_BASE_URL": zalo.base_url,
           "MOTCUA_DB": str(Path(tmp) / "soak.db"), "MOTCUA_FEEDBACK_PER_DAY": "1000000",
           "MOTCUA_FLOOD_PER_MINUTE": "1000"}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = time.monotonic() + args.minutes * 60
    sent = [0]
    lock = threading.Lock()

    def user(n: int) -> None:
        rng = random.Random(n)
        fake, chat = (tg, 100_000 + n) if n % 2 else (zalo, f"z{n:06d}")
        step, count = 0, 0
        while time.monotonic() < stop:
            fake.push_text(chat, STEPS[step % len(STEPS)])
            count += 1
            fake.wait_for(chat, count, timeout=30)
            step += 1
            with lock:
                sent[0] += 1
            time.sleep(rng.uniform(2.0, 6.0))  # a person reading and typing

    samples = []
    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(args.users)]
    time.sleep(2)
    for t in threads:
        t.start()
    began = time.monotonic()
    while time.monotonic() < stop:
        time.sleep(10)
        rss, fds = sample(proc.pid)
        samples.append((time.monotonic() - began, rss, fds, sent[0]))
    for t in threads:
        t.join(35)
    replies = len(tg.sent) + len(zalo.sent)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    tg.stop()
    zalo.stop()
    first = [s for s in samples if s[0] <= 60] or samples[:1]
    last = [s for s in samples if s[0] >= samples[-1][0] - 60]
    avg = lambda rows, i: sum(r[i] for r in rows) / len(rows)  # noqa: E731
    print(f"machine: {describe()}")
    print(f"soak: {args.minutes:g} min, {args.users} users (half Telegram, half Zalo), "
          f"{sent[0]} messages, {replies} replies sent, {sent[0] / samples[-1][0]:.0f} msg/s")
    print(f"RSS: first minute {avg(first, 1):.0f} MB, last minute {avg(last, 1):.0f} MB, "
          f"max {max(s[1] for s in samples):.0f} MB")
    print(f"open files: first minute {avg(first, 2):.0f}, last minute {avg(last, 2):.0f}, "
          f"max {max(s[2] for s in samples)}")


if __name__ == "__main__":
    main()
