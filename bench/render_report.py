"""Render the quarterly report and the feedback export the way a clerk sees them.

Seeds a sample database (a quarter of made-up feedback, fixed random seed) through the
storage API, writes the report workbook and the export with ``bot.reports``, converts
them with LibreOffice (headless) to PDF and with poppler's ``pdftoppm`` to PNG, and
copies the pages worth looking at to ``docs/``:

    python bench/render_report.py                 # -> docs/bao-cao-*.png, docs/xuat-phan-anh*.png
    python bench/render_report.py --keep /tmp/r   # also keep the xlsx, csv and pdf there

Needs ``libreoffice-calc`` and ``poppler-utils`` (Debian: apt-get install -y
libreoffice-calc poppler-utils fonts-liberation). The test suite never needs them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import knowledge as kb  # noqa: E402
from bot import reports, workbook  # noqa: E402
from bot.storage import VN_TIME, Storage  # noqa: E402

QUARTER = "2026Q4"
AS_OF = dt.datetime(2027, 1, 5, 9, 0, tzinfo=VN_TIME)  # the day the report is made
OFFICE_NAME = "VÍ DỤ: Trung tâm Phục vụ hành chính công phường Mẫu"
STAFF = {"telegram:700001": "Nguyễn Thị Lan", "telegram:700002": "Trần Văn Minh",
         "zalo:800003": "Lê Thu Hà"}

# (category, procedure id or None, text, answer)
SAMPLES = [
    ("tre-hen", "khai-sinh", "Nộp hồ sơ khai sinh cho con từ thứ Hai, hẹn thứ Tư trả mà "
     "đến nay chưa có kết quả.", "Hồ sơ đã ký, mời anh/chị đến nhận tại quầy số 2."),
    ("thai-do", "tam-tru", "Cán bộ quầy tiếp nhận tạm trú trả lời cộc lốc, không hướng dẫn "
     "cụ thể giấy tờ cần bổ sung.", "Trung tâm đã nhắc nhở cán bộ và xin lỗi anh/chị."),
    ("quy-dinh", "thuong-tru", "Đăng ký thường trú vẫn bị yêu cầu nộp bản photo sổ hộ khẩu "
     "dù đã bỏ sổ.", "Không cần sổ hộ khẩu; trung tâm đã hướng dẫn lại cán bộ."),
    ("gop-y", None, "Đề nghị bố trí thêm ghế chờ và quạt ở khu vực nhận hồ sơ buổi sáng.",
     "Cảm ơn góp ý; trung tâm sẽ bổ sung ghế chờ trong tháng này."),
    ("quy-dinh", "chung-thuc-ban-sao", "Chứng thực bản sao có thu thêm phí photo không "
     "được niêm yết.", "Phí photo do dịch vụ bên ngoài thu, không phải lệ phí chứng thực."),
    ("tre-hen", "cap-so-do-lan-dau", "Hồ sơ cấp sổ đỏ lần đầu đã quá hẹn hai tuần mà chưa "
     "có thông báo lý do.", "Hồ sơ đang chờ ý kiến cơ quan thuế; sẽ báo anh/chị khi có."),
    ("hoi-dap", "ket-hon", "Đăng ký kết hôn có cần giấy xác nhận tình trạng hôn nhân nếu "
     "hai người cùng xã không?", "Không cần nếu cơ quan đăng ký tra cứu được dữ liệu."),
    ("khac", None, "Bãi giữ xe trước trung tâm thu tiền gửi xe máy của người đến làm thủ "
     "tục.", "Trung tâm đã đề nghị đơn vị quản lý bãi xe miễn thu."),
    ("thai-do", "cap-the-can-cuoc", "Làm căn cước cho người già, cán bộ không hỗ trợ "
     "chụp lại ảnh khi ảnh mờ.", "Đã trao đổi với công an phường để hỗ trợ người cao tuổi."),
    ("hoi-dap", "dang-ky-xe", "Sang tên xe máy mua lại của người ở tỉnh khác thì nộp hồ sơ "
     "ở đâu?", "Nộp tại công an xã nơi anh/chị thường trú hoặc trực tuyến."),
]
CHANNELS = ["zalo"] * 5 + ["telegram"] * 3 + ["terminal"]


def seed(storage: Storage, count: int = 48, rng_seed: int = 2026) -> None:
    """``count`` feedback spread over the quarter's working hours: answered, closed,
    in progress and new, a few answered late and a few still open past the deadline."""
    rng = random.Random(rng_seed)
    first = dt.datetime(2026, 10, 1, 8, 0, tzinfo=VN_TIME)
    span = (dt.datetime(2026, 12, 31, 17, 0, tzinfo=VN_TIME) - first).total_seconds()
    times = sorted(first + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    staff = list(STAFF)
    for n, at in enumerate(times):
        at = at.replace(hour=rng.randint(7, 16))
        category, procedure, text, answer = SAMPLES[n % len(SAMPLES)]
        channel = rng.choice(CHANNELS)
        ticket = storage.add_feedback(channel, f"u{n}", category, text,
                                      procedure_id=procedure)
        answered_at = closed_at = None
        roll = rng.random()
        if at > AS_OF - dt.timedelta(days=6):
            roll = 0.95  # the last week is still new
        hours = rng.choice([2, 3, 5, 20, 26, 50, 75, 120, 200, 380])
        if roll < 0.62 and at + dt.timedelta(hours=hours + 48) > AS_OF:
            roll = 0.8  # would be answered after the report is made
        if roll < 0.62:  # answered: most within days, some after the deadline
            answered_at = at + dt.timedelta(hours=hours)
            storage.answer_feedback(ticket, answer, rng.choice(staff))
            if rng.random() < 0.4:
                closed_at = answered_at + dt.timedelta(days=2)
                storage.set_status(ticket, "closed", rng.choice(staff))
        elif roll < 0.7:  # closed without an answer (a duplicate, say)
            closed_at = at + dt.timedelta(hours=rng.choice([4, 30]))
            storage.set_status(ticket, "closed", rng.choice(staff))
        elif roll < 0.85:
            storage.set_status(ticket, "in_progress", rng.choice(staff))
        _backdate(storage, ticket, at, answered_at, closed_at)


def _backdate(storage: Storage, ticket: str, at, answered_at, closed_at) -> None:
    """The storage API stamps "now"; the sample quarter is in the past."""
    iso = lambda t: t.astimezone(dt.timezone.utc).isoformat(timespec="seconds")  # noqa: E731
    storage.db.execute(
        "update feedback set at = ?, first_answer_at = ?, answered_at = ?, updated = ? "
        "where ticket = ?",
        [iso(at), answered_at and iso(answered_at), answered_at and iso(answered_at),
         iso(closed_at or answered_at or at), ticket])
    storage.db.execute("update events set at = ? where ticket = ? and action = 'created'",
                       [iso(at), ticket])
    if closed_at:
        storage.db.execute("update events set at = ? where ticket = ? and action = 'status' "
                           "and detail = 'closed'", [iso(closed_at), ticket])


def sample_report(db: Path) -> reports.Report:
    storage = Storage(db)
    seed(storage)
    knowledge = kb.load()
    office = reports.Office.of(knowledge)
    office.name, office.staff_names = OFFICE_NAME, dict(STAFF)
    since, until, label = reports.period(quarter=QUARTER)
    rows = storage.list_feedback(since=since, until=until)
    return reports.build(rows, office, label, since, until, storage.closed_times(),
                         as_of=AS_OF)


def render(xlsx: Path, out: Path, resolution: int) -> list[Path]:
    """xlsx -> pdf (LibreOffice) -> one PNG per page (pdftoppm)."""
    profile = out / "lo-profile"
    env = {**os.environ, "LANG": "vi_VN.UTF-8", "LC_ALL": "vi_VN.UTF-8"}
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), str(xlsx)],
                   check=True, capture_output=True, env=env, timeout=300)
    pdf = out / (xlsx.stem + ".pdf")
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), str(pdf),
                    str(out / xlsx.stem)], check=True, timeout=300)
    return sorted(out.glob(f"{xlsx.stem}-*.png"))


def first_page(pdf: Path, title: str, count: int) -> int:
    """The first page whose title is ``title`` (pdftotext, page by page)."""
    for n in range(1, count + 1):
        text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                              check=True, capture_output=True, text=True).stdout
        if any(line.strip().startswith(title) for line in text.splitlines()):
            return n
    raise SystemExit(f"no page titled {title!r} in {pdf}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="keep the xlsx, csv, pdf and pages here")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="where PNGs go")
    parser.add_argument("--resolution", type=int, default=90, help="PNG dots per inch")
    args = parser.parse_args()
    for tool in ("soffice", "pdftoppm"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: apt-get install -y libreoffice-calc "
                             "poppler-utils fonts-liberation")
    work = args.keep or Path(tempfile.mkdtemp(prefix="motcua-render-"))
    work.mkdir(parents=True, exist_ok=True)
    report = sample_report(work / "sample.db")
    book = workbook.write_xlsx(report, work / "bao-cao-quy.xlsx", summary=True)
    export = workbook.write_xlsx(report, work / "xuat-phan-anh.xlsx")
    reports.write_csv(report, work / "xuat-phan-anh.csv")
    args.docs.mkdir(exist_ok=True)
    pages = render(book, work, args.resolution)
    titles = {"bao-cao-quy-tong-hop": workbook.TITLE, "bao-cao-quy-thong-ke": "THỐNG KÊ",
              "bao-cao-quy-bieu-do": "PHẢN ÁNH, KIẾN NGHỊ THEO LOẠI"}
    for name, title in titles.items():  # the first page of each sheet
        n = first_page(work / "bao-cao-quy.pdf", title, len(pages))
        shutil.copy(pages[n - 1], args.docs / f"{name}.png")
    listing = render(export, work, args.resolution)
    for n, page in enumerate(listing[:2], start=1):
        shutil.copy(page, args.docs / f"xuat-phan-anh-trang-{n}.png")
    print(f"{len(report.items)} feedback, {len(pages)} report pages, {len(listing)} list "
          f"pages -> {args.docs}" + (f" (files in {work})" if args.keep else ""))
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
