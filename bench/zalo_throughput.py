"""Throughput of the Zalo channel against the local fake Zalo Bot API: the same closed
loop as bench/telegram_throughput.py (users send questions one after another, all
users at once). Zalo's getUpdates hands out one update a call, so this also measures
how well one poller keeps up.

    python bench/zalo_throughput.py [--users 200] [--messages 10]
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fake_zalo import FakeZalo  # noqa: E402
from machine import describe  # noqa: E402
from telegram_throughput import measure  # noqa: E402


def zalo_fake(label: str):
    fake = FakeZalo()
    return fake, {"ZALO_BOT_TOKEN": fake.token, "ZALO_API_BASE_URL": fake.base_url,
                  "TELEGRAM_BOT_TOKEN": ""}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = measure([sys.executable, "-m", "bot.cli", "run"], args.users, args.messages,
                    {"MOTCUA_DB": str(Path(tmp) / "bench.db")}, "zalo", make_fake=zalo_fake)
    print(f"machine: {describe()}")
    print(f"Zalo: {args.users} users x {args.messages} messages, closed loop, fake Zalo Bot "
          f"API on 127.0.0.1")
    print(f"{r['per_second']:.1f} msg/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
          f"lost {r['lost']}")


if __name__ == "__main__":
    main()
