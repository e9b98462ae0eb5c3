"""Feedback exports (Excel, CSV) and period reports for the office's quarterly work.

Times are stored in UTC and shown in Vietnam time (UTC+7). A report period (quarter,
half, year or dates) is read in Vietnam time too.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from bot.storage import CATEGORIES, STATUSES, VN_TIME, parse_time

CHANNELS = {"telegram": "Telegram", "zalo": "Zalo", "terminal": "Terminal", "cli": "CLI"}
COLUMNS = [  # (key, header, width)
    ("ticket", "Mã phản ánh", 17),
    ("at", "Thời gian gửi", 18),
    ("channel", "Kênh", 10),
    ("category", "Loại", 28),
    ("procedure_id", "Thủ tục liên quan", 24),
    ("text", "Nội dung", 60),
    ("status", "Trạng thái", 14),
    ("answer", "Trả lời", 60),
    ("first_answer_at", "Trả lời lần đầu", 18),
    ("answered_by", "Cán bộ trả lời", 16),
]
CONTACT = ("phone", "Số điện thoại", 14)


# --- periods ---------------------------------------------------------------------


class BadPeriod(ValueError):
    """A quarter, half, year or date that cannot be read."""


def period(quarter: str | None = None, half: str | None = None, year: str | None = None,
           start: str | None = None, end: str | None = None
           ) -> tuple[str | None, str | None, str]:
    """(since, until) as UTC ISO strings and a label; ``end`` is inclusive. Raises
    ``BadPeriod`` for a period it cannot read."""
    try:
        return _period(quarter, half, year, start, end)
    except BadPeriod:
        raise
    except ValueError as exc:  # int("20x6"), date.fromisoformat("2026-13-01")
        raise BadPeriod(str(exc)) from exc


def _period(quarter: str | None, half: str | None, year: str | None, start: str | None,
            end: str | None) -> tuple[str | None, str | None, str]:
    first = last = None
    if quarter:
        m = re.fullmatch(r"(\d{4})[-\s]?Q([1-4])", quarter.strip().upper())
        if not m:
            raise BadPeriod("quarter must look like 2026Q3")
        y, q = int(m[1]), int(m[2])
        first, last = dt.date(y, 3 * q - 2, 1), _next_month(dt.date(y, 3 * q, 1))
        label = f"Quý {q}/{y}"
    elif half:
        m = re.fullmatch(r"(\d{4})[-\s]?H([12])", half.strip().upper())
        if not m:
            raise BadPeriod("half must look like 2026H1")
        y, h = int(m[1]), int(m[2])
        first, last = dt.date(y, 6 * h - 5, 1), _next_month(dt.date(y, 6 * h, 1))
        label = f"6 tháng {'đầu' if h == 1 else 'cuối'} năm {y}"
    elif year:
        y = int(year)
        first, last, label = dt.date(y, 1, 1), dt.date(y + 1, 1, 1), f"Năm {y}"
    else:
        first = dt.date.fromisoformat(start) if start else None
        last = dt.date.fromisoformat(end) + dt.timedelta(days=1) if end else None
        label = f"Từ {_vn(first) if first else '…'} đến " \
                f"{_vn(last - dt.timedelta(days=1)) if last else 'nay'}"
    return _utc(first), _utc(last), label


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _utc(day: dt.date | None) -> str | None:
    if day is None:
        return None
    local = dt.datetime.combine(day, dt.time(), VN_TIME)
    return local.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _vn(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def local(value: str | None) -> dt.datetime | None:
    """A stored UTC time in Vietnam time, without tzinfo (as Excel wants it)."""
    moment = parse_time(value)
    return moment.astimezone(VN_TIME).replace(tzinfo=None) if moment else None


def add_working_days(moment: dt.datetime, days: int) -> dt.datetime:
    """``days`` working days (Monday to Friday) after ``moment``."""
    current = moment
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


# --- rows for people -----------------------------------------------------------------


def readable(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    if key in ("at", "first_answer_at", "answered_at"):
        return local(value)
    if key == "category":
        return CATEGORIES.get(value, value)
    if key == "status":
        return STATUSES.get(value, value)
    if key == "channel":
        return CHANNELS.get(value, value)
    return value if value is not None else ""


def columns(with_contacts: bool) -> list[tuple[str, str, int]]:
    return COLUMNS + [CONTACT] if with_contacts else COLUMNS


def _private(path: Path) -> None:
    """Exports hold citizens' words: readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    os.chmod(path, 0o600)


def write_csv(rows: list[dict[str, Any]], path: Path, with_contacts: bool = False) -> Path:
    """UTF-8 with BOM, so Excel opens the Vietnamese text correctly."""
    _private(path)
    cols = columns(with_contacts)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([header for _, header, _ in cols])
        for row in rows:
            values = [readable(row, key) for key, _, _ in cols]
            writer.writerow([v.strftime("%d/%m/%Y %H:%M") if isinstance(v, dt.datetime)
                             else v for v in values])
    return path


def write_xlsx(rows: list[dict[str, Any]], path: Path, with_contacts: bool = False,
               summary: dict[str, Any] | None = None) -> Path:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font

    _private(path)
    book = Workbook()
    sheet = book.active
    sheet.title = "Phản ánh"
    cols = columns(with_contacts)
    sheet.append([header for _, header, _ in cols])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([readable(row, key) for key, _, _ in cols])
    for index, (key, _, width) in enumerate(cols, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = width
        for cell in sheet[letter][1:]:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            if key in ("text", "answer"):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    if summary is not None:
        tally = book.create_sheet("Tổng hợp", 0)
        for line in summary_table(summary):
            tally.append(line)
        tally.column_dimensions["A"].width = 40
        tally.column_dimensions["B"].width = 14
        chart_sheet = book.create_sheet("Biểu đồ", 1)
        chart_sheet.append(["Loại phản ánh", "Số lượng"])
        for name, count in summary["by_category"].items():
            chart_sheet.append([name, count])
        chart = BarChart()
        chart.title = f"Phản ánh theo loại — {summary['label']}"
        chart.y_axis.title = "Số lượng"
        n = len(summary["by_category"])
        chart.add_data(Reference(chart_sheet, min_col=2, min_row=1, max_row=n + 1),
                       titles_from_data=True)
        chart.set_categories(Reference(chart_sheet, min_col=1, min_row=2, max_row=n + 1))
        chart_sheet.add_chart(chart, "D2")
    book.save(path)
    os.chmod(path, 0o600)
    return path


# --- reports ---------------------------------------------------------------------------


def summarize(rows: list[dict[str, Any]], deadline_days: int, label: str,
              as_of: dt.datetime | None = None) -> dict[str, Any]:
    """Counts by category, status and channel, answered share, median hours to the
    first answer, and items still open past the office's deadline (working days)."""
    as_of = as_of or dt.datetime.now(dt.timezone.utc)
    hours = [(parse_time(r["first_answer_at"]) - parse_time(r["at"])).total_seconds() / 3600
             for r in rows if r.get("first_answer_at")]
    overdue = [r["ticket"] for r in rows if r["status"] in ("new", "in_progress")
               and add_working_days(parse_time(r["at"]), deadline_days) < as_of]
    answered = sum(1 for r in rows if r.get("first_answer_at"))
    return {
        "label": label,
        "total": len(rows),
        "by_category": {name: Counter(r["category"] for r in rows)[key]
                        for key, name in CATEGORIES.items()},
        "by_status": {name: Counter(r["status"] for r in rows)[key]
                      for key, name in STATUSES.items()},
        "by_channel": dict(Counter(CHANNELS.get(r["channel"], r["channel"]) for r in rows)),
        "answered": answered,
        "answered_share": answered / len(rows) if rows else 0.0,
        "median_hours": statistics.median(hours) if hours else None,
        "overdue": overdue,
        "deadline_days": deadline_days,
    }


def summary_table(summary: dict[str, Any]) -> list[list[Any]]:
    lines: list[list[Any]] = [[f"Báo cáo phản ánh, kiến nghị — {summary['label']}", ""],
                              ["Tổng số phản ánh", summary["total"]], ["", ""],
                              ["Theo loại", ""]]
    lines += [[f"  {k}", v] for k, v in summary["by_category"].items()]
    lines += [["Theo trạng thái", ""]] + [[f"  {k}", v] for k, v in summary["by_status"].items()]
    lines += [["Theo kênh", ""]] + [[f"  {k}", v] for k, v in summary["by_channel"].items()]
    median = summary["median_hours"]
    lines += [["", ""], ["Đã trả lời", summary["answered"]],
              ["Tỷ lệ đã trả lời", f"{100 * summary['answered_share']:.1f}%"],
              ["Thời gian trả lời lần đầu (trung vị, giờ)",
               f"{median:.1f}" if median is not None else "-"],
              [f"Chưa xong, quá hạn {summary['deadline_days']} ngày làm việc",
               len(summary["overdue"])]]
    return lines


def format_summary(summary: dict[str, Any]) -> str:
    lines = []
    for name, value in summary_table(summary):
        lines.append(f"{name:<48}{value:>10}" if value != "" else name)
    if summary["overdue"]:
        lines.append("Quá hạn: " + ", ".join(summary["overdue"]))
    return "\n".join(lines)
