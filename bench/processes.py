"""Messages/s of ``motcua run --webhook`` on SQLite (one process) and on PostgreSQL with
one and with two processes, the fake Telegram posting each update to one of them at
random (tests/webhook_bots.py), as a load balancer would.

Two closed-loop workloads, each user sending the next message when the reply to the
previous one has arrived, all users at once: questions (from tests/data/eval.tsv), and
feedback (the whole flow, five messages a ticket, a staff notice each through the
outbox). PostgreSQL runs on this machine with its durable defaults (fsync on,
synchronous commit), started by .ci/postgres; the bots reach it over a unix socket.

    python bench/processes.py [--users 50] [--questions 10] [--feedbacks 2] [--rounds 3]
"""

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from machine import describe  # noqa: E402
from telegram_throughput import questions  # noqa: E402  (the eval.tsv questions, once)
from webhook_bots import WebhookBots  # noqa: E402


def run_questions(bots: WebhookBots, users: int, per_user: int, first: int) -> tuple[int, int]:
    pool, lost, lock = questions(), 0, threading.Lock()

    def user(n: int) -> None:
        nonlocal lost
        chat = first + n
        for i in range(per_user):
            text = pool[(n * per_user + i) % len(pool)]
            if bots.ask(chat, bots.fake.text_update(chat, text), timeout=30) is None:
                with lock:
                    lost += 1

    with ThreadPoolExecutor(max_workers=users) as executor:
        list(executor.map(user, range(users)))
    return users * per_user, lost


def run_feedback(bots: WebhookBots, users: int, per_user: int, first: int) -> tuple[int, int]:
    before = len(bots.fake.sent)

    def user(n: int) -> int:
        again = 0
        for i in range(per_user):
            again += bots.file_feedback(first + n, f"Phản ánh {n}-{i}: quầy một cửa trả "
                                        "hồ sơ trễ hẹn nhiều lần")[1]
        return again

    with ThreadPoolExecutor(max_workers=users) as executor:
        lost = sum(executor.map(user, range(users)))
    # every message the citizens sent got its reply: count the replies to them
    replies = sum(1 for m in bots.fake.sent[before:] if int(m["chat_id"]) > 0)
    return replies, lost


def measure(db: str, processes: int, workload, users: int, per_user: int) -> dict:
    bots = WebhookBots(db, processes=processes)
    try:
        warm = 9_999  # every process answers before the clock starts
        for _ in range(4 * processes):
            bots.ask(warm, bots.fake.text_update(warm, "xin chào"), timeout=60)
        began = time.monotonic()
        messages, lost = workload(bots, users, per_user, 10_000)
        elapsed = time.monotonic() - began
    finally:
        bots.close()
    return {"messages": messages, "seconds": elapsed, "per_second": messages / elapsed,
            "lost": lost}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--questions", type=int, default=10, help="questions per user")
    parser.add_argument("--feedbacks", type=int, default=2, help="tickets per user")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configs = [("SQLite", 1), ("PostgreSQL", 1), ("PostgreSQL", 2)]
    workloads = [("questions", run_questions, args.questions),
                 ("feedback", run_feedback, args.feedbacks)]
    results: dict[tuple, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pg_dir = tempfile.mkdtemp(prefix="motcua-bench-pg.")  # the server's user enters it
        url = subprocess.run([str(ROOT / ".ci" / "postgres"), "start", pg_dir, "durable"],
                             check=True, capture_output=True, text=True).stdout.strip()
        try:
            for n in range(args.rounds):  # alternate, so that machine noise hits all alike
                for label, workload, per_user in workloads:
                    for backend, processes in configs:
                        if backend == "SQLite":
                            db = str(Path(tmp) / f"bench-{n}-{label}.db")
                        else:
                            db = _fresh_database(url, f"bench_{n}_{label}_{processes}")
                        results.setdefault((label, backend, processes), []).append(
                            measure(db, processes, workload, args.users, per_user))
        finally:
            subprocess.run([str(ROOT / ".ci" / "postgres"), "stop", pg_dir], check=False)
    print(f"machine: {describe()}")
    print(f"{args.users} users at once, closed loop, webhook mode, fake Bot API on 127.0.0.1; "
          f"PostgreSQL 15 on this machine (fsync on); median of {args.rounds} runs")
    print(f"{'workload':<11}{'database':<12}{'processes':>10}{'msg/s':>9}{'lost':>6}   runs msg/s")
    for (label, backend, processes), runs in results.items():
        runs.sort(key=lambda r: r["per_second"])
        m = runs[len(runs) // 2]
        print(f"{label:<11}{backend:<12}{processes:>10}{m['per_second']:>9.1f}"
              f"{sum(r['lost'] for r in runs):>6}   "
              + ", ".join(f"{r['per_second']:.0f}" for r in runs))


def _fresh_database(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    return url.replace("/motcua_test?", f"/{name}?")


if __name__ == "__main__":
    main()
