"""Throughput of the Zalo OA channel against the local fake OA: the closed loop of
bench/telegram_throughput.py (users send questions one after another, all at once),
each question a signed webhook event posted to ``motcua run --zalo-oa-listen``, each
reply a ``message/cs`` call back to the fake.

    python bench/zalo_oa_throughput.py [--users 200] [--messages 10]
"""

import argparse
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from fake_zalo_oa import FakeZaloOA  # noqa: E402
from machine import describe  # noqa: E402
from telegram_throughput import measure  # noqa: E402

from bot.zalo_oa import MORE  # noqa: E402


class OneRecordAReply(FakeZaloOA):
    """A reply with more than 5 options comes as two messages (the second "Lựa chọn
    khác:"); the loop counts replies, so the second joins the first."""

    def record(self, kind, chat_id, **extra):
        if extra.get("text") == MORE:
            with self.lock:
                earlier = self.by_chat.get(str(chat_id))
                if earlier:
                    earlier[-1]["buttons"] = earlier[-1]["buttons"] + extra["buttons"]
                    return earlier[-1]
        return super().record(kind, chat_id, **extra)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    args = parser.parse_args()
    port = free_port()

    def oa_fake(label: str):
        fake = OneRecordAReply()
        return fake, {**fake.env(port), "TELEGRAM_BOT_TOKEN": "", "ZALO_BOT_TOKEN": ""}

    with tempfile.TemporaryDirectory() as tmp:
        r = measure([sys.executable, "-m", "bot.cli", "run", "--zalo-oa-listen",
                     f"127.0.0.1:{port}"], args.users, args.messages,
                    {"MOTCUA_DB": str(Path(tmp) / "bench.db")}, "zalo-oa", make_fake=oa_fake)
    print(f"machine: {describe()}")
    print(f"Zalo OA: {args.users} users x {args.messages} messages, closed loop, signed "
          f"webhook events from a fake OA on 127.0.0.1")
    print(f"{r['per_second']:.1f} msg/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
          f"lost {r['lost']}")


if __name__ == "__main__":
    main()
