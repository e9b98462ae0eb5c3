"""Feedback exports (Excel, CSV) and period reports: what an office pastes into its
báo cáo kết quả tiếp nhận, xử lý phản ánh, kiến nghị.

Times are stored in UTC and shown in Vietnam time (UTC+7). A report period (quarter,
half, year or dates) is read in Vietnam time too. A feedback is *resolved* (đã giải
quyết) when it is answered or closed; it is handled on time when that happened by its
deadline: the day it was received plus the office's ``feedback_deadline_days`` working
days (Monday to Friday; see ``Knowledge.deadline_days``).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from bot.storage import CATEGORIES, VN_TIME, parse_time

# Status codes as stored -> what a clerk reads. One small dict, to be swapped for the
# shared status-label module at merge.
STATUS_LABELS = {"new": "Mới tiếp nhận", "in_progress": "Đang xử lý",
                 "answered": "Đã trả lời", "closed": "Đã đóng"}
RESOLVED = ("answered", "closed")
CHANNELS = {"telegram": "Telegram", "zalo": "Zalo", "zalo-oa": "Zalo OA",
            "terminal": "Terminal", "cli": "CLI"}
NO_PROCEDURE = "Không gắn với thủ tục"

# How each feedback stands against its deadline.
ON_TIME, LATE, PENDING, OVERDUE = "Đúng hạn", "Trễ hạn", "Còn hạn", "Quá hạn"


# Excel number formats: the cells hold numbers and dates, the format only shows them.
COUNT = "#,##0"
PERCENT = "0.0%"
DATE = "dd/mm/yyyy"
HOURS = '[h] "giờ" mm "phút"'  # a duration under a day (the value is in days)
DAYS = '0.0 "ngày"'


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


def add_working_days(day: dt.date | dt.datetime, days: int) -> dt.date:
    """The day ``days`` working days (Monday to Friday) after ``day``: what is received
    on a Friday or a Saturday with one day to go is due on Monday. Public holidays are
    not known here and count as working days."""
    current = day.date() if isinstance(day, dt.datetime) else day
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


# --- Vietnamese numbers in text ---------------------------------------------------------


def vn_number(value: float, decimals: int = 0) -> str:
    """1234.5 -> "1.234,5": the thousands dot and decimal comma of Vietnamese."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def vn_percent(share: float) -> str:
    return vn_number(100 * share, 1) + "%"


def duration_text(days: float | None) -> str:
    """A time to answer in the unit a clerk would say: "45 phút", "5 giờ", "2,5 ngày"."""
    if days is None:
        return ""
    minutes = round(days * 24 * 60)
    if minutes < 60:
        return f"{minutes} phút"
    if days < 1:
        hours, rest = divmod(minutes, 60)
        return f"{hours} giờ" + (f" {rest} phút" if rest else "")
    return f"{vn_number(days, 1)} ngày"


def duration_format(days: float) -> str:
    return HOURS if days < 1 else DAYS


# --- the office and each feedback as a report shows them --------------------------------


@dataclass
class Office:
    """What a report needs from the knowledge: the office's name, its deadline, the
    procedure titles and the staff names (``staff.names`` in office.yaml)."""
    name: str = ""
    deadline_days: int = 10
    titles: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)  # procedure id -> lĩnh vực
    staff_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, knowledge) -> "Office":
        staff = knowledge.office.get("staff") or {}
        entries = knowledge.entries.items()
        return cls(name=str(knowledge.office.get("name") or ""),
                   deadline_days=knowledge.deadline_days,
                   titles={key: entry.title for key, entry in entries},
                   fields={key: entry.data["field"] for key, entry in entries
                           if entry.kind == "procedure" and entry.data.get("field")},
                   staff_names=dict(staff.get("names") or {}))

    def staff_name(self, actor: str | None) -> str:
        """"telegram:111" -> its configured name, else "111"; "cli:Lan" -> "Lan"."""
        if not actor:
            return ""
        if actor in self.staff_names:
            return self.staff_names[actor]
        channel, _, who = actor.partition(":")
        return who or ("Quản trị viên" if channel == "cli" else actor)

    def procedure(self, procedure_id: str | None) -> str:
        return self.titles.get(procedure_id, procedure_id) if procedure_id else ""


@dataclass
class Item:
    """One feedback with what the report computes for it (times in Vietnam time)."""
    row: dict[str, Any]
    received: dt.datetime
    deadline: dt.date
    handled: dt.datetime | None  # answered or closed, whichever came first
    timeliness: str

    @property
    def resolved(self) -> bool:
        return self.row["status"] in RESOLVED

    @property
    def days_to_handle(self) -> float | None:
        if not (self.resolved and self.handled):
            return None
        return max(0.0, (self.handled - self.received).total_seconds() / 86400)


def make_item(row: dict[str, Any], deadline_days: int, today: dt.date,
              closed_at: str | None = None) -> Item:
    received = local(row["at"])
    deadline = add_working_days(received, deadline_days)
    handled = None
    if row["status"] in RESOLVED:
        handled = local(row.get("first_answer_at") or closed_at or row.get("updated"))
    if handled is not None:
        timeliness = ON_TIME if handled.date() <= deadline else LATE
    else:
        timeliness = PENDING if today <= deadline else OVERDUE
    return Item(row, received, deadline, handled, timeliness)


@dataclass
class Tally:
    """Counts for one line of a statistics table."""
    name: str
    received: int = 0
    resolved: int = 0
    on_time: int = 0   # resolved by the deadline
    overdue: int = 0   # not resolved and past the deadline

    def add(self, item: Item) -> None:
        self.received += 1
        self.resolved += item.resolved
        self.on_time += item.timeliness == ON_TIME
        self.overdue += item.timeliness == OVERDUE

    @property
    def resolved_share(self) -> float:
        return self.resolved / self.received if self.received else 0.0

    @property
    def on_time_share(self) -> float:
        return self.on_time / self.resolved if self.resolved else 0.0


@dataclass
class Report:
    office: Office
    label: str
    first: dt.date | None
    last: dt.date | None  # inclusive
    made: dt.datetime     # Vietnam time
    items: list[Item]

    def _tally(self, key: Callable[[Item], str], names: list[str] = ()) -> list[Tally]:
        tallies = {name: Tally(name) for name in names}
        for item in self.items:
            name = key(item)
            tallies.setdefault(name, Tally(name)).add(item)
        return list(tallies.values())

    @property
    def total(self) -> Tally:
        return self._tally(lambda item: "Tổng cộng", ["Tổng cộng"])[0]

    def by_category(self) -> list[Tally]:
        """Every category, in the order citizens are offered them (zeros included)."""
        return self._tally(lambda i: CATEGORIES.get(i.row["category"], i.row["category"]),
                           list(CATEGORIES.values()))

    def by_procedure(self) -> list[Tally]:
        """Procedures named in feedback, most first; feedback without one last."""
        found = self._tally(lambda i: self.office.procedure(i.row.get("procedure_id"))
                            or NO_PROCEDURE)
        return sorted(found, key=lambda t: (t.name == NO_PROCEDURE, -t.received, t.name))

    def by_field(self) -> list[Tally]:
        """Lĩnh vực (Hộ tịch, Cư trú…) of the procedures named, most first."""
        found = self._tally(lambda i: self.office.fields.get(i.row.get("procedure_id") or "")
                            or NO_PROCEDURE)
        return sorted(found, key=lambda t: (t.name == NO_PROCEDURE, -t.received, t.name))

    def by_channel(self) -> list[Tally]:
        found = self._tally(lambda i: CHANNELS.get(i.row["channel"], i.row["channel"]))
        return sorted(found, key=lambda t: (-t.received, t.name))

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.row["status"] == status)

    def overdue(self) -> list[Item]:
        return [item for item in self.items if item.timeliness == OVERDUE]

    def _durations(self) -> list[float]:
        return [d for d in (item.days_to_handle for item in self.items) if d is not None]

    def median_days(self) -> float | None:
        durations = self._durations()
        return statistics.median(durations) if durations else None

    def mean_days(self) -> float | None:
        durations = self._durations()
        return statistics.fmean(durations) if durations else None

    def span(self) -> str:
        """"từ 01/10/2026 đến 31/12/2026" (or the label alone for an open period)."""
        if self.first and self.last:
            return f"từ {_vn(self.first)} đến {_vn(self.last)}"
        return ""


def build(rows: list[dict[str, Any]], office: Office, label: str,
          since: str | None = None, until: str | None = None,
          closed: dict[str, str] | None = None, as_of: dt.datetime | None = None) -> Report:
    """The report of these feedback rows. ``closed`` gives when each ticket was first
    closed (``Storage.closed_times``); ``as_of`` (default now) decides what is overdue."""
    as_of = as_of or dt.datetime.now(dt.timezone.utc)
    made = as_of.astimezone(VN_TIME).replace(tzinfo=None)
    closed = closed or {}
    items = [make_item(row, office.deadline_days, made.date(), closed.get(row["ticket"]))
             for row in rows]
    first = local(since).date() if since else None
    last = (local(until) - dt.timedelta(days=1)).date() if until else None
    return Report(office, label, first, last, made, items)


def collect(storage, knowledge, since: str | None, until: str | None, label: str,
            as_of: dt.datetime | None = None, **filters: Any) -> Report:
    """The report of a period straight from the database (``filters``: status,
    category, channel as ``Storage.list_feedback`` takes them)."""
    from bot import accounts

    rows = storage.list_feedback(since=since, until=until, **filters)
    office = Office.of(knowledge)
    # console accounts name their own actions and the chat ids they are linked to
    office.staff_names.update(accounts.names(storage))
    return build(rows, office, label, since, until, storage.closed_times(), as_of)


# --- the list of feedback: one spec for the xlsx data sheet and the CSV -------------------


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    value: Callable[[Item, Office, int], Any]
    wrap: bool = False
    number_format: Callable[[Any], str] | str | None = None


def _status(item: Item, office: Office, n: int) -> str:
    return STATUS_LABELS.get(item.row["status"], item.row["status"])


COLUMNS = [
    Column("STT", 4.5, lambda item, office, n: n, number_format=COUNT),
    Column("Mã phản ánh", 15, lambda item, office, n: item.row["ticket"]),
    Column("Ngày tiếp nhận", 10.5, lambda item, office, n: item.received, wrap=True,
           number_format=DATE),
    Column("Kênh", 8.5, lambda item, office, n: CHANNELS.get(item.row["channel"],
                                                             item.row["channel"])),
    Column("Loại phản ánh", 15, lambda item, office, n: CATEGORIES.get(
        item.row["category"], item.row["category"]), wrap=True),
    Column("Thủ tục liên quan", 18, lambda item, office, n: office.procedure(
        item.row.get("procedure_id")), wrap=True),
    Column("Nội dung", 32, lambda item, office, n: item.row.get("text") or "", wrap=True),
    Column("Trạng thái", 10, _status, wrap=True),
    Column("Hạn xử lý", 10.5, lambda item, office, n: dt.datetime.combine(
        item.deadline, dt.time()), wrap=True, number_format=DATE),
    Column("Ngày giải quyết", 10.5, lambda item, office, n: item.handled if item.resolved
           else None, wrap=True, number_format=DATE),
    Column("Thời gian giải quyết", 10.5, lambda item, office, n: item.days_to_handle,
           wrap=True, number_format=duration_format),
    Column("Đúng hạn / quá hạn", 9.5, lambda item, office, n: item.timeliness, wrap=True),
    Column("Cán bộ trả lời", 12, lambda item, office, n: office.staff_name(
        item.row.get("answered_by")), wrap=True),
    Column("Nội dung trả lời", 30, lambda item, office, n: item.row.get("answer") or "",
           wrap=True),
]
CONTACT = Column("Số điện thoại", 13, lambda item, office, n: item.row.get("phone") or "")


def columns(with_contacts: bool) -> list[Column]:
    return COLUMNS + [CONTACT] if with_contacts else COLUMNS


def readable(row: dict[str, Any], key: str) -> Any:
    """One stored field as a person reads it (``motcua feedback show``)."""
    value = row.get(key)
    if key in ("at", "first_answer_at", "answered_at"):
        return local(value)
    if key == "category":
        return CATEGORIES.get(value, value)
    if key == "status":
        return STATUS_LABELS.get(value, value)
    if key == "channel":
        return CHANNELS.get(value, value)
    return value if value is not None else ""


def _private(path: Path) -> None:
    """Exports hold citizens' words: readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    os.chmod(path, 0o600)


def _csv_text(value: Any, column: Column) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    if column.number_format is duration_format:
        return duration_text(value)
    return "" if value is None else value


def write_csv(report: Report, path: Path, with_contacts: bool = False) -> Path:
    """The xlsx data sheet's columns as CSV, UTF-8 with BOM so that Excel opens the
    Vietnamese text correctly."""
    _private(path)
    cols = columns(with_contacts)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([c.header for c in cols])
        for n, item in enumerate(report.items, start=1):
            writer.writerow([_csv_text(c.value(item, report.office, n), c) for c in cols])
    return path


# --- the report as text: the command line and a phone screen ----------------------------


def report_text(report: Report, top: int = 5) -> str:
    """The report in short lines that fit a phone screen (no columns to align)."""
    total = report.total
    lines = [f"Báo cáo phản ánh, kiến nghị — {report.label}"]
    if report.span():
        lines.append(report.span().capitalize())
    lines.append(f"Tiếp nhận: {vn_number(total.received)}")
    if total.received:
        lines.append(f"Đã giải quyết: {vn_number(total.resolved)} "
                     f"({vn_percent(total.resolved_share)}), đúng hạn "
                     f"{vn_number(total.on_time)}")
        lines.append(f"Đang xử lý: {vn_number(report.count('in_progress'))}; mới: "
                     f"{vn_number(report.count('new'))}")
        median = report.median_days()
        if median is not None:
            lines.append(f"Thời gian giải quyết (trung vị): {duration_text(median)}")
    overdue = report.overdue()
    lines.append(f"Quá hạn {report.office.deadline_days} ngày làm việc, chưa giải quyết: "
                 f"{vn_number(len(overdue))}")
    if overdue:
        shown = ", ".join(item.row["ticket"] for item in overdue[:top])
        more = f" và {len(overdue) - top} phản ánh khác" if len(overdue) > top else ""
        lines.append(f"Mã: {shown}{more}")
    for name, tallies in (("Theo loại", report.by_category()),
                          ("Theo lĩnh vực", report.by_field()),
                          ("Theo thủ tục", report.by_procedure()[:top]),
                          ("Theo kênh", report.by_channel())):
        shown = [t for t in tallies if t.received]
        if shown:
            lines += ["", f"{name}:"] + [
                f"• {t.name}: {vn_number(t.received)} (đã giải quyết {vn_number(t.resolved)})"
                for t in shown]
    return "\n".join(lines)
