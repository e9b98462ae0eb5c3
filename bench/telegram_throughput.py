"""Throughput of the Telegram channel against the local fake Bot API.

Simulated users each send questions one after another (the next when the reply to
the previous one has arrived), all users at once. The same run measures a plain
python-telegram-bot echo bot (bench/echo_bot.py) on the same fake server. Both bots
run as their own processes, the fake server in this one.

    python bench/telegram_throughput.py [--users 200] [--messages 5]
"""

import argparse
import os
import signal
import statistics
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
from machine import describe  # noqa: E402


def questions() -> list[str]:
    rows = (ROOT / "tests" / "data" / "eval.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [r.split("\t")[3] for r in rows if r.count("\t") >= 3]


def telegram_fake(label: str) -> tuple[FakeTelegram, dict[str, str]]:
    fake = FakeTelegram(token=f"{abs(hash(label)) % 10**9}:bench-token-{label}-xxxxxxxxxxxx")
    return fake, {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
                  "TELEGRAM_API_FILE_URL": fake.file_url}


def measure(command: list[str], users: int, per_user: int, env: dict[str, str],
            label: str, make_fake=telegram_fake, first_chat: int = 10_000) -> dict[str, float]:
    """Run the bot ``command`` against a fresh fake server and drive it."""
    fake, fake_env = make_fake(label)
    fake.start()
    full_env = {**os.environ, **env, **fake_env, "MOTCUA_FLOOD_PER_MINUTE": "1000"}
    proc = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    pool = questions()
    latencies: list[float] = []
    lost = 0
    lock = threading.Lock()
    try:
        warm = first_chat - 1  # wait until the bot answers at all
        fake.push_text(warm, "xin chào")
        if not fake.wait_for(warm, 1, timeout=60):
            raise SystemExit(f"{label}: no reply at start: {proc.stderr.read()[-2000:]}")

        def user(n: int) -> None:
            nonlocal lost
            chat = first_chat + n
            for i in range(per_user):
                start = time.monotonic()
                fake.push_text(chat, pool[(n * per_user + i) % len(pool)])
                got = fake.wait_for(chat, i + 1, timeout=30)
                with lock:
                    if len(got) > i:
                        latencies.append(got[i]["at"] - start)
                    else:
                        lost += 1

        threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - began
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        fake.stop()
    latencies.sort()
    return {"messages": users * per_user, "seconds": elapsed,
            "per_second": len(latencies) / elapsed, "lost": lost,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each bot")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"motcua": [], "echo": []}
    for _ in range(args.rounds):  # alternate, so that machine noise hits both alike
        with tempfile.TemporaryDirectory() as tmp:
            results["motcua"].append(measure(
                [sys.executable, "-m", "bot.cli", "run"], args.users, args.messages,
                {"MOTCUA_DB": str(Path(tmp) / "bench.db")}, "motcua"))
        results["echo"].append(measure([sys.executable, str(ROOT / "bench" / "echo_bot.py")],
                                       args.users, args.messages, {}, "echo"))
    print(f"machine: {describe()}")
    print(f"{args.users} users x {args.messages} messages, closed loop, fake Bot API on "
          f"127.0.0.1; median of {args.rounds} alternating runs")
    print(f"{'bot':<10}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'lost':>6}   runs msg/s")
    median = {}
    for name, runs in results.items():
        runs.sort(key=lambda r: r["per_second"])
        median[name] = m = runs[len(runs) // 2]
        print(f"{name:<10}{m['per_second']:>9.1f}{m['p50_ms']:>9.1f}{m['p99_ms']:>9.1f}"
              f"{sum(r['lost'] for r in runs):>6}   "
              + ", ".join(f"{r['per_second']:.0f}" for r in runs))
    print(f"ratio motcua/echo (medians): "
          f"{median['motcua']['per_second'] / median['echo']['per_second']:.2f}")


if __name__ == "__main__":
    main()
