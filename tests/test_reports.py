"""The quarterly report and the export as an office uses them: a real SQLite database
seeded through the storage API, the workbook re-read cell by cell with openpyxl, the CSV
byte by byte, deadlines across weekends, and /baocao on a phone screen."""

import csv
import datetime as dt
import re
import shutil

import pytest
from openpyxl import load_workbook

from bot import knowledge as kb
from bot import reports, workbook
from bot.config import Config
from bot.storage import VN_TIME, Storage
from conftest import ROOT, run_motcua
from handlers.conversation import Conversation
from handlers.types import Message

AS_OF = dt.datetime(2026, 10, 10, 9, 0, tzinfo=VN_TIME)
VN = lambda *a: dt.datetime(*a, tzinfo=VN_TIME)  # noqa: E731


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def seed(storage: Storage) -> list[str]:
    """Six feedback, filed, answered and closed through the storage API; only the
    times are moved into the past (the API stamps "now"). Hand counts for Q3/2026:
    received 5; resolved 3 (two answered, one closed unanswered), all on time;
    one new item past its deadline, one in progress still within it."""
    plan = [  # received (VN), category, procedure, channel, outcome, hours to handle
        (VN(2026, 7, 1, 9), "thai-do", "khai-sinh", "zalo", "answered", 5),
        (VN(2026, 7, 15, 9), "thai-do", "tam-tru", "telegram", "closed", 30),
        (VN(2026, 8, 3, 9), "quy-dinh", None, "zalo", "new", None),
        (VN(2026, 10, 1, 0, 30), "gop-y", None, "zalo", "new", None),  # Q4
        (VN(2026, 9, 30, 17), "tre-hen", "khai-sinh", "telegram", "in_progress", None),
        (VN(2026, 7, 1, 1), "khac", None, "zalo", "answered", 10),
    ]
    tickets = []
    for n, (at, category, procedure, channel, outcome, hours) in enumerate(plan):
        ticket = storage.add_feedback(channel, f"u{n}", category,
                                      f"Nội dung {category} có dấu", procedure_id=procedure)
        handled = at + dt.timedelta(hours=hours) if hours else None
        if outcome == "answered":
            actor = "cli:Lan" if n == 0 else "telegram:42"
            storage.answer_feedback(ticket, "Đã xử lý, xin cảm ơn.", actor)
            storage.db.execute("update feedback set first_answer_at = ?, answered_at = ? "
                               "where ticket = ?", [_iso(handled), _iso(handled), ticket])
        elif outcome == "closed":
            storage.set_status(ticket, "closed", "telegram:42")
            storage.db.execute("update events set at = ? where ticket = ? and "
                               "action = 'status'", [_iso(handled), ticket])
        elif outcome == "in_progress":
            storage.set_status(ticket, "in_progress", "telegram:42")
        storage.db.execute("update feedback set at = ? where ticket = ?", [_iso(at), ticket])
        tickets.append(ticket)
    return tickets


@pytest.fixture
def storage(db_target):
    storage = Storage(db_target, strict=True)
    seed(storage)
    return storage


@pytest.fixture
def q3(storage, knowledge):
    since, until, label = reports.period(quarter="2026Q3")
    report = reports.collect(storage, knowledge, since, until, label, as_of=AS_OF)
    report.office.staff_names = {"telegram:42": "Nguyễn Thị Lan"}
    return report


def test_figures_match_hand_counts(q3):
    total = q3.total
    assert (q3.label, len(q3.items)) == ("Quý 3/2026", 5)  # 1/10 (VN) is Q4
    assert (q3.first, q3.last) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert (total.received, total.resolved, total.on_time, total.overdue) == (5, 3, 3, 1)
    assert q3.count("new") == 1 and q3.count("in_progress") == 1
    categories = {t.name: t.received for t in q3.by_category()}
    assert categories["Thái độ, hành vi cán bộ"] == 2 and categories["Góp ý, sáng kiến"] == 0
    procedures = [(t.name, t.received, t.resolved) for t in q3.by_procedure()]
    assert procedures == [("Đăng ký khai sinh", 2, 1), ("Đăng ký tạm trú", 1, 1),
                          (reports.NO_PROCEDURE, 2, 1)]
    assert [(t.name, t.received) for t in q3.by_field()] == [
        ("Hộ tịch", 2), ("Cư trú", 1), (reports.NO_PROCEDURE, 2)]
    assert {t.name: t.received for t in q3.by_channel()} == {"Zalo": 3, "Telegram": 2}
    # handled after 5 h, 30 h (closed, from the event log) and 10 h
    assert q3.median_days() == pytest.approx(10 / 24)
    assert [i.row["procedure_id"] for i in q3.overdue()] == [None]  # the 3/8 new one


def _rows(sheet):
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _find(sheet, text):
    for row in sheet.iter_rows():
        if row[1].value == text:
            return row
    raise AssertionError(f"{text!r} not in {sheet.title}")


def test_workbook_cells_are_numbers_dates_and_formats(q3, tmp_path):
    path = workbook.write_xlsx(q3, tmp_path / "q3.xlsx", summary=True)
    book = load_workbook(path)
    assert book.sheetnames == ["Tổng hợp", "Thống kê", "Biểu đồ", "Danh sách"]
    for sheet in book:  # title rows on every sheet
        assert sheet["A4"].value and sheet["A4"].value.isupper()
        assert "Quý 3/2026 (từ 01/07/2026 đến 30/09/2026)" in sheet["A5"].value
        assert isinstance(sheet["A6"].value, dt.datetime)
        assert sheet["A6"].value.date() == dt.date(2026, 10, 10)
        assert "Ngày lập" in sheet["A6"].number_format and "dd/mm/yyyy" in sheet["A6"].number_format
        assert sheet.page_setup.orientation == "landscape"
        assert int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    summary = book["Tổng hợp"]
    assert summary["A1"].value == reports.Office.of(kb.load()).name.upper()
    received = _find(summary, "Tổng số phản ánh, kiến nghị tiếp nhận")
    assert received[2].value == 5 and type(received[2].value) is int
    resolved = _find(summary, "Đã giải quyết (đã trả lời hoặc đã đóng)")
    assert resolved[2].value == 3 and resolved[3].value == pytest.approx(0.6)
    assert "%" in resolved[3].number_format
    on_time = _find(summary, "trong đó: đúng hạn (tỷ lệ trên số đã giải quyết)")
    assert on_time[2].value == 3 and on_time[3].value == pytest.approx(1.0)
    median = _find(summary, "Trung vị")
    # under a day: an Excel duration shown in hours (openpyxl reads it as a timedelta)
    assert median[2].value == dt.timedelta(hours=10) and "giờ" in median[2].number_format
    mean = _find(summary, "Trung bình")  # (5 + 30 + 10) / 3 = 15 hours
    assert mean[2].value == dt.timedelta(hours=15)
    deadline = _find(summary, "Thời hạn xử lý áp dụng")
    assert deadline[2].value == 10 and "ngày làm việc" in deadline[2].number_format

    stats = book["Thống kê"]
    attitude = _find(stats, "Thái độ, hành vi cán bộ")
    assert attitude[2:5] and [c.value for c in attitude[2:5]] == [2, 2, 2]
    assert attitude[5].value == pytest.approx(1.0) and "%" in attitude[5].number_format
    assert _find(stats, "Đăng ký khai sinh")[2].value == 2
    assert _find(stats, "Zalo")[2].value == 3
    assert all(isinstance(c.value, int) for c in attitude[2:5])

    chart = book["Biểu đồ"]._charts
    assert len(chart) == 1 and chart[0].tagname == "barChart"

    listing = book["Danh sách"]
    header = [c.value for c in listing[8]]
    assert header == [c.header for c in reports.COLUMNS]
    assert listing.freeze_panes == "A9" and listing.print_title_rows == "$8:$8"
    assert listing.auto_filter.ref == f"A8:{listing.cell(8, len(header)).column_letter}13"
    lines = _rows(listing)[8:]
    assert [line[0] for line in lines] == [1, 2, 3, 4, 5]
    col = {name: header.index(name) for name in header}
    first = lines[0]
    assert first[col["Ngày tiếp nhận"]] == dt.datetime(2026, 7, 1, 9, 0)
    assert listing.cell(9, col["Ngày tiếp nhận"] + 1).number_format == "dd/mm/yyyy"
    assert first[col["Hạn xử lý"]] == dt.datetime(2026, 7, 15)  # 10 working days
    assert first[col["Thủ tục liên quan"]] == "Đăng ký khai sinh"  # the title, not the id
    assert first[col["Cán bộ trả lời"]] == "Lan"
    assert first[col["Đúng hạn / quá hạn"]] == reports.ON_TIME
    assert first[col["Thời gian giải quyết"]] == dt.timedelta(hours=5)
    assert lines[1][col["Thời gian giải quyết"]] == pytest.approx(30 / 24)  # in days
    assert listing.cell(10, col["Thời gian giải quyết"] + 1).number_format == reports.DAYS
    closed = lines[1]
    assert closed[col["Trạng thái"]] == "Đã đóng"
    assert closed[col["Ngày giải quyết"]] == dt.datetime(2026, 7, 16, 15, 0)
    assert closed[col["Cán bộ trả lời"]] in ("", None)  # closed without an answer
    assert lines[4][col["Cán bộ trả lời"]] == "Nguyễn Thị Lan"  # the configured name
    assert lines[2][col["Đúng hạn / quá hạn"]] == reports.OVERDUE
    assert lines[3][col["Đúng hạn / quá hạn"]] == reports.PENDING
    text = " ".join(str(v) for line in lines for v in line if v is not None)
    assert "cli:" not in text and "telegram:" not in text and "khai-sinh" not in text
    assert listing.row_dimensions[9].height >= workbook.LINE


def test_csv_has_a_bom_and_the_sheet_header(q3, tmp_path):
    path = reports.write_csv(q3, tmp_path / "q3.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    xlsx = load_workbook(workbook.write_xlsx(q3, tmp_path / "q3.xlsx"))
    assert xlsx.sheetnames == ["Danh sách"]
    with open(path, encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == [c.value for c in xlsx["Danh sách"][8]]
    assert len(table) == 1 + 5
    assert table[1][:3] == ["1", q3.items[0].row["ticket"], "01/07/2026"]
    assert table[1][5] == "Đăng ký khai sinh" and table[1][10] == "5 giờ"
    assert table[2][10] == "1,2 ngày"  # 30 hours


def _row(at: dt.datetime, status: str = "new", answered: dt.datetime | None = None):
    return {"ticket": "PA-2026-000001", "at": _iso(at), "status": status,
            "first_answer_at": _iso(answered) if answered else None, "category": "khac",
            "channel": "zalo", "updated": None}


def test_deadline_counts_working_days_across_a_weekend():
    friday = VN(2026, 10, 2, 16)  # Friday 2 October 2026
    assert friday.weekday() == 4
    item = reports.make_item(_row(friday, "answered", VN(2026, 10, 5, 10)), 1,
                             dt.date(2026, 10, 9))
    assert item.deadline == dt.date(2026, 10, 5) and item.timeliness == reports.ON_TIME
    late = reports.make_item(_row(friday, "answered", VN(2026, 10, 6, 8)), 1,
                             dt.date(2026, 10, 9))
    assert late.timeliness == reports.LATE
    # Saturday 00:30 in Vietnam is Friday 17:30 UTC: the Vietnamese day counts
    saturday = reports.make_item(_row(VN(2026, 10, 3, 0, 30)), 1, dt.date(2026, 10, 5))
    assert saturday.deadline == dt.date(2026, 10, 5) and saturday.timeliness == reports.PENDING
    assert reports.make_item(_row(VN(2026, 10, 3, 0, 30)), 1,
                             dt.date(2026, 10, 6)).timeliness == reports.OVERDUE
    # ten working days from a Friday: two weekends skipped
    assert reports.add_working_days(dt.date(2026, 10, 2), 10) == dt.date(2026, 10, 16)


def test_text_numbers_are_vietnamese():
    assert reports.vn_number(1234567) == "1.234.567"
    assert reports.vn_percent(0.8333) == "83,3%"
    assert reports.duration_text(0.5 / 24) == "30 phút"
    assert reports.duration_text(5.5 / 24) == "5 giờ 30 phút"
    assert reports.duration_text(2.3) == "2,3 ngày"


def test_baocao_fits_a_phone(knowledge, matcher, tmp_path):
    storage = Storage(tmp_path / "staff.db")
    seed(storage)
    conv = Conversation(knowledge, storage, matcher,
                        Config(staff={"telegram:42"}, export_dir=tmp_path / "exports"))
    reply = conv.handle(Message("telegram", "42", text="/baocao 2026Q3"))[0]
    lines = reply.text.splitlines()
    assert lines[0] == "Báo cáo phản ánh, kiến nghị — Quý 3/2026"
    assert "• Thái độ, hành vi cán bộ: 2 (đã giải quyết 2)" in lines
    assert "• Đăng ký khai sinh: 2 (đã giải quyết 1)" in lines
    assert "• Hộ tịch: 2 (đã giải quyết 1)" in lines
    assert "Đã giải quyết: 3 (60,0%), đúng hạn 3" in lines
    for line in lines:
        assert not re.search(r"\S {2,}|^ +\S", line), f"aligned with spaces: {line!r}"
        assert len(line) <= 70, line
    assert "Góp ý" not in reply.text  # nothing received in that category: left out
    export = conv.handle(Message("telegram", "42", text="/xuat 2026Q3"))[0]
    assert load_workbook(export.document).sheetnames[0] == "Tổng hợp"


def test_staff_names_from_office_yaml_reach_the_cli_export(tmp_path, storage):
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    office = folder / "office.yaml"
    text = office.read_text(encoding="utf-8")
    assert "  zalo: []\n" in text
    office.write_text(text.replace("  zalo: []\n", '  zalo: []\n  names:\n'
                                   '    "telegram:42": "Trần Văn Minh"\n', 1), encoding="utf-8")
    loaded = kb.load(folder)
    assert not [p for p in loaded.problems if p.field.startswith("staff")]
    assert reports.Office.of(loaded).staff_name("telegram:42") == "Trần Văn Minh"
    out = tmp_path / "q3.xlsx"
    result = run_motcua("--knowledge", str(folder), "--db", str(storage.path),
                        "feedback", "export", "--quarter", "2026Q3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    names = [c.value for c in load_workbook(out)["Danh sách"]["M"][8:]]
    assert names.count("Trần Văn Minh") == 1 and "Lan" in names
    report = run_motcua("--knowledge", str(folder), "--db", str(storage.path),
                        "feedback", "report", "--quarter", "2026Q3", "--xlsx",
                        str(tmp_path / "r.xlsx"))
    assert report.returncode == 0, report.stderr
    assert "Tiếp nhận: 5" in report.stdout
    assert load_workbook(tmp_path / "r.xlsx").sheetnames[-1] == "Danh sách"
