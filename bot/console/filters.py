"""The filters of the feedback list, its exports and the dashboard, read from a query
string or a form: status, category, procedure, channel, period and deadline. A value
that is not one of the choices is dropped with a note, never passed on to a query."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from bot import reports, vocab
from bot.reports import LATE, ON_TIME, OVERDUE, PENDING, BadPeriod, Report

CHANNELS = {"telegram": "Telegram", "zalo": "Zalo", "terminal": "Terminal"}
DEADLINES = {"tre": ("Quá hạn hoặc trễ hạn", (OVERDUE, LATE)),
             "qua-han": ("Quá hạn, chưa giải quyết", (OVERDUE,)),
             "tre-han": ("Giải quyết trễ hạn", (LATE,)),
             "con-han": ("Còn hạn", (PENDING,)),
             "dung-han": ("Giải quyết đúng hạn", (ON_TIME,))}
PARAMS = ("trang_thai", "loai", "thu_tuc", "kenh", "ky", "tu", "den", "han")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def current_quarter(today: dt.date | None = None) -> str:
    today = today or dt.datetime.now(reports.VN_TIME).date()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def periods(today: dt.date | None = None) -> list[tuple[str, str]]:
    """(value, label): all time, this quarter and the three before, this year and last."""
    today = today or dt.datetime.now(reports.VN_TIME).date()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    choices = [("", "Tất cả thời gian")]
    for _ in range(4):
        choices.append((f"{year}Q{quarter}", f"Quý {quarter}/{year}"))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    this = today.year
    return choices + [(str(this), f"Năm {this}"), (str(this - 1), f"Năm {this - 1}")]


@dataclass
class Filters:
    status: str = ""
    category: str = ""
    procedure: str = ""
    channel: str = ""
    period: str = ""
    start: str = ""
    end: str = ""
    deadline: str = ""
    since: str | None = None
    until: str | None = None
    label: str = reports.period()[2]  # as the command line names it, in the files
    notes: list[str] = field(default_factory=list)

    def query(self) -> dict[str, str]:
        """The filters set, as query parameters (for links and the export forms)."""
        values = dict(zip(PARAMS, (self.status, self.category, self.procedure, self.channel,
                                   self.period, self.start, self.end, self.deadline)))
        return {key: value for key, value in values.items() if value}

    @property
    def title(self) -> str:
        """The period as a page names it."""
        return self.label if self.since or self.until else "Tất cả thời gian"

    @property
    def any(self) -> bool:
        return bool(self.query())


def read(values: Mapping[str, Any], titles: Mapping[str, str], default_period: str = ""
         ) -> Filters:
    """Filters from a query or a form; ``titles`` are the procedures that may be named."""
    get = lambda key: str(values.get(key, "") or "").strip()[:40]  # noqa: E731
    found = Filters()
    for attr, key, allowed in (("status", "trang_thai", vocab.STATUSES),
                               ("category", "loai", vocab.CATEGORIES),
                               ("procedure", "thu_tuc", titles), ("channel", "kenh", CHANNELS),
                               ("deadline", "han", DEADLINES)):
        value = get(key)
        if value and value not in allowed:
            found.notes.append("Một bộ lọc không hợp lệ đã được bỏ qua.")
        elif value:
            setattr(found, attr, value)
    found.period = get("ky") if "ky" in values else default_period
    found.start, found.end = get("tu"), get("den")
    for attr in ("start", "end"):
        if getattr(found, attr) and not _DAY.match(getattr(found, attr)):
            found.notes.append("Ngày cần có dạng năm-tháng-ngày; ngày sai đã được bỏ qua.")
            setattr(found, attr, "")
    try:
        if found.start or found.end:
            found.period = ""
            found.since, found.until, found.label = reports.period(start=found.start or None,
                                                                   end=found.end or None)
        elif found.period:
            kind = "quarter" if "Q" in found.period.upper() else \
                "half" if "H" in found.period.upper() else "year"
            found.since, found.until, found.label = reports.period(**{kind: found.period})
    except BadPeriod:
        found.notes.append("Kỳ báo cáo không đọc được; đang xem tất cả thời gian.")
        found.period = found.start = found.end = ""
        found.since = found.until = None
        found.label = reports.period()[2]
    return found


def report(storage, knowledge, filters: Filters, as_of: dt.datetime | None = None) -> Report:
    """The report of the filtered feedback: what ``motcua feedback export/report`` make
    for the same status, category, channel and period, further narrowed by procedure
    and deadline (which the command line does not filter on)."""
    found = reports.collect(storage, knowledge, filters.since, filters.until, filters.label,
                            as_of=as_of, status=filters.status or None,
                            category=filters.category or None,
                            channel=filters.channel or None)
    items = found.items
    if filters.procedure:
        items = [i for i in items if i.row.get("procedure_id") == filters.procedure]
    if filters.deadline:
        items = [i for i in items if i.timeliness in DEADLINES[filters.deadline][1]]
    return dataclasses.replace(found, items=items)
