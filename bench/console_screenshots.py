"""Screenshots of the staff web console as office staff see it, for docs/.

Seeds a sample database (two months of made-up feedback, questions and ratings up to
today, fixed random seed) through the storage API, with three staff accounts linked
to the chat ids that answered, serves the console on a local port, logs in with
headless Chromium (Playwright driving Debian's chromium) and saves:

    docs/console-danh-sach.png   the feedback list (desktop)
    docs/console-phan-anh.png    one ticket with its answers and history
    docs/console-tong-quan.png   the dashboard
    docs/console-cau-hoi.png     the questions the bot could not answer
    docs/console-dien-thoai.png  the list on a phone

    python bench/console_screenshots.py [--docs DIR]

Needs chromium (apt-get install -y chromium) and playwright (pip install playwright);
``playwright install`` is not used.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bot import accounts, ratings  # noqa: E402
from bot import knowledge as kb  # noqa: E402
from bot.console.app import start  # noqa: E402
from bot.storage import VN_TIME, Storage  # noqa: E402
from render_report import CHANNELS, SAMPLES, _backdate  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--lang=vi-VN"]
PASSWORD = "mat-khau-mau-2026"
STAFF = {"lan": ("Nguyễn Thị Lan", "telegram:700001"),
         "minh": ("Trần Văn Minh", "telegram:700002"),
         "ha": ("Lê Thu Hà", "zalo:800003")}
ASKED = [("làm giấy khai sinh cần giấy tờ gì", "answer", "khai-sinh"),
         ("đăng ký tạm trú cần gì", "answer", "tam-tru"),
         ("cấp căn cước cho trẻ em ở đâu", "answer", "cap-the-can-cuoc"),
         ("chứng thực bản sao hết bao nhiêu tiền", "answer", "chung-thuc-ban-sao"),
         ("sang tên xe máy cần gì", "suggest", "dang-ky-xe"),
         ("đăng ký kết hôn cần mang gì", "answer", "ket-hon")]
UNKNOWN = ["xin phép sửa mái tôn nhà ở trong hẻm có cần không",
           "xin phep sua mai ton nha trong hem co can khong",
           "sửa mái tôn nhà có phải xin phép không",
           "trợ cấp cho người chăm sóc người khuyết tật nặng nhận ở đâu",
           "tro cap nguoi cham soc nguoi khuyet tat",
           "làm lại thẻ bảo hiểm y tế bị rách",
           "đăng ký nuôi chó có cần không"]


def seed(storage: Storage, count: int = 40, rng_seed: int = 2026) -> None:
    rng = random.Random(rng_seed)
    today = dt.datetime.now(VN_TIME)
    first = today - dt.timedelta(days=60)
    for username, (name, chat_id) in STAFF.items():
        accounts.add(storage, username, PASSWORD, name, chat_id)
    actors = [chat_id for _, chat_id in STAFF.values()]
    times = sorted(first + dt.timedelta(seconds=rng.uniform(0, 60 * 86400 - 3600))
                   for _ in range(count))
    for n, at in enumerate(times):
        at = at.replace(hour=rng.randint(7, 16))
        category, procedure, text, answer = SAMPLES[n % len(SAMPLES)]
        ticket = storage.add_feedback(rng.choice(CHANNELS), f"u{n}", category, text,
                                      procedure_id=procedure)
        answered_at = closed_at = None
        roll = rng.random() if at < today - dt.timedelta(days=3) else 0.95
        if roll < 0.6:
            answered_at = at + dt.timedelta(hours=rng.choice([2, 5, 20, 50, 120, 380]))
            storage.answer_feedback(ticket, answer, rng.choice(actors))
            if rng.random() < 0.4:
                closed_at = answered_at + dt.timedelta(days=1)
                storage.set_status(ticket, "closed", rng.choice(actors), "Đã giải quyết xong")
        elif roll < 0.8:
            storage.set_status(ticket, "in_progress", rng.choice(actors))
        if rng.random() < 0.5:
            storage.assign(ticket, rng.choice(list(STAFF)), "console:lan", "Nguyễn Thị Lan")
        _backdate(storage, ticket, at, answered_at, closed_at)
        _backdate_rest(storage, ticket, at, answered_at, closed_at)
    for _ in range(420):
        at = first + dt.timedelta(seconds=rng.uniform(0, 60 * 86400))
        if rng.random() < 0.12:
            text, status, top = rng.choice(UNKNOWN), "unknown", None
        else:
            text, status, top = rng.choice(ASKED)
        qid = storage.log_question(rng.choice(CHANNELS), text, status, None, top, 0.8)
        storage.db.execute("update questions set at = ? where id = ?",
                           [at.astimezone(dt.timezone.utc).isoformat(timespec="seconds"), qid])
        if status == "answer" and rng.random() < 0.3:
            bad = {"dang-ky-xe": 0.7, "chung-thuc-ban-sao": 0.45}.get(top, 0.15)
            ratings.record(storage, qid, rng.random() > bad)


def _backdate_rest(storage: Storage, ticket: str, at, answered_at, closed_at) -> None:
    """The events render_report's sample leaves at "now": answers, reasons, assigning."""
    iso = lambda t: t.astimezone(dt.timezone.utc).isoformat(timespec="seconds")  # noqa: E731
    moves = [("assigned", at + dt.timedelta(hours=1)),
             ("status", at + dt.timedelta(hours=3))]  # in progress; closing is set already
    if answered_at:
        moves.append(("answered", answered_at))
        storage.db.execute("update answers set at = ? where ticket = ?", [iso(answered_at),
                                                                         ticket])
    if closed_at:
        moves.append(("reason", closed_at))
    for action, when in moves:
        storage.db.execute("update events set at = ? where ticket = ? and action = ? and "
                           "not (action = 'status' and detail = 'closed')",
                           [iso(when), ticket, action])


def serve(storage: Storage, knowledge, port: int):
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    runner = asyncio.run_coroutine_threadsafe(
        start(storage, lambda: knowledge, f"127.0.0.1:{port}"), loop).result(30)
    return loop, runner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument("--port", type=int, default=18181)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="motcua-console-"))
    storage = Storage(work / "sample.db")
    seed(storage)
    loop, runner = serve(storage, kb.load(), args.port)
    url = f"http://127.0.0.1:{args.port}"
    ticket = storage.db.execute(
        "select f.ticket from feedback f where (select count(*) from events e where "
        "e.ticket = f.ticket) >= 4 order by f.id desc limit 1").fetchone()[0]
    args.docs.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                                    env={**os.environ, "LANG": "vi_VN.UTF-8",
                                         "LANGUAGE": "vi"})
        for name, viewport, pages in (
                ("desktop", {"width": 1280, "height": 900},
                 [("/phan-anh?han=", "console-danh-sach"), (f"/phan-anh/{ticket}",
                                                              "console-phan-anh"),
                  ("/tong-quan", "console-tong-quan"), ("/cau-hoi", "console-cau-hoi")]),
                ("phone", {"width": 390, "height": 844},
                 [("/phan-anh", "console-dien-thoai")])):
            context = browser.new_context(viewport=viewport, locale="vi-VN",
                                          is_mobile=name == "phone",
                                          device_scale_factor=1 if name == "desktop" else 2)
            page = context.new_page()
            page.goto(url + "/dang-nhap")
            page.fill("input[name=ten]", "lan")
            page.fill("input[name=mat_khau]", PASSWORD)
            page.click("button[type=submit]")
            for path, file in pages:
                page.goto(url + path)
                full = file != "console-danh-sach" and name == "desktop"
                page.screenshot(path=str(args.docs / f"{file}.png"), full_page=full)
                print(args.docs / f"{file}.png")
            context.close()
        browser.close()
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)


if __name__ == "__main__":
    main()
