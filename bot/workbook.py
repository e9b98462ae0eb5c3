"""The report workbook: a list of feedback and, for a report, its summary, statistics
and chart, each sheet under the office's title rows and ready to print on A4 landscape.

Cells hold numbers, dates and durations with number formats (``bot.reports``), never
text that looks like a number, so a clerk can sum, sort and filter them.
"""

from __future__ import annotations

import functools
import os
import textwrap
from pathlib import Path
from typing import Any

from bot.reports import (COUNT, DATE, PERCENT, Report, Tally, _private, columns,
                         duration_format)

TITLE = "BÁO CÁO KẾT QUẢ TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ"
LIST_TITLE = "DANH SÁCH PHẢN ÁNH, KIẾN NGHỊ TIẾP NHẬN"
NATION = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
FONT = "Times New Roman"  # the font of administrative documents (Nghị định 30/2020/NĐ-CP)



@functools.lru_cache(maxsize=1)
def _styles():
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin", color="808080")
    return {
        "font": Font(name=FONT, size=11),
        "bold": Font(name=FONT, size=11, bold=True),
        "title": Font(name=FONT, size=14, bold=True),
        "italic": Font(name=FONT, size=11, italic=True),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "wrap": Alignment(vertical="top", wrap_text=True),
        "middle": Alignment(vertical="center", wrap_text=True),
        "top": Alignment(vertical="top"),
        "indent": Alignment(vertical="center", wrap_text=True, indent=2),
    }


def _put(sheet, row: int, col: int, value: Any, font=None, align=None, fmt=None,
         border=None):
    cell = sheet.cell(row=row, column=col, value=value)
    st = _styles()
    cell.font = font or st["font"]
    if align is not None:
        cell.alignment = align
    if fmt:
        cell.number_format = fmt
    if border is not None:
        cell.border = border
    return cell


def _merged(sheet, row: int, first: int, last: int, value: Any, font=None, fmt=None,
            horizontal: str = "center"):
    from openpyxl.styles import Alignment

    cell = _put(sheet, row, first, value, font,
                Alignment(horizontal=horizontal, vertical="center", wrap_text=True), fmt)
    if last > first:
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    return cell


def _title_block(sheet, report: Report, title: str, ncols: int) -> int:
    """Office and nation lines, the title, the period and the date made; returns the
    first free row (after one blank row)."""
    st = _styles()
    left = ncols // 2 if ncols <= 4 else ncols // 2 - 1
    _merged(sheet, 1, 1, left, report.office.name.upper() or "TÊN ĐƠN VỊ", st["bold"])
    _merged(sheet, 1, left + 1, ncols, NATION[0], st["bold"])
    _merged(sheet, 2, left + 1, ncols, NATION[1], st["bold"])
    _merged(sheet, 4, 1, ncols, title, st["title"])
    span = f" ({report.span()})" if report.span() else ""
    _merged(sheet, 5, 1, ncols, f"Kỳ báo cáo: {report.label}{span}", st["bold"])
    # a real date cell that reads "Ngày lập: 05/01/2027"
    _merged(sheet, 6, 1, ncols, report.made.replace(second=0, microsecond=0),
            st["italic"], fmt=f'"Ngày lập: "{DATE}')
    for row, height in ((1, 33), (4, 21), (5, 18)):
        sheet.row_dimensions[row].height = height
    return 8


def _print_setup(sheet, header_row: int | None = None) -> None:
    """A4 landscape, one page wide, page numbers; the header row on every page."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.7
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    sheet.oddFooter.center.text = "Trang &P/&N"
    if header_row:
        sheet.print_title_rows = f"{header_row}:{header_row}"


LINE = 15  # points: one line of 11 pt text


def _height(texts: list[tuple[str, float]]) -> float:
    """A row height that shows every wrapped text whole. Excel and LibreOffice do not
    size rows written by openpyxl, so this estimates the lines: a column ``width``
    units wide holds about 1.4 ``width`` characters of 11 pt Times New Roman (measured
    on LibreOffice's rendering; 1.25 leaves room for long words)."""
    lines = 1
    for text, width in texts:
        chars = max(1, int(width * 1.25) - 1)
        lines = max(lines, sum(len(textwrap.wrap(part, chars)) or 1
                               for part in text.splitlines() or [""]))
    return LINE * lines + 3


def _header(sheet, row: int, headers: list[str]) -> None:
    st = _styles()
    for col, text in enumerate(headers, start=1):
        _put(sheet, row, col, text, st["bold"], st["center"], border=st["border"])


def _list_sheet(book, report: Report, with_contacts: bool, first: bool) -> None:
    from openpyxl.utils import get_column_letter

    st = _styles()
    sheet = book.active if first else book.create_sheet()
    sheet.title = "Danh sách"
    cols = columns(with_contacts)
    header_row = _title_block(sheet, report, LIST_TITLE, len(cols))
    _header(sheet, header_row, [c.header for c in cols])
    sheet.row_dimensions[header_row].height = _height([(c.header, c.width) for c in cols])
    for n, item in enumerate(report.items, start=1):
        row = header_row + n
        texts = []
        for col, column in enumerate(cols, start=1):
            value = column.value(item, report.office, n)
            fmt = column.number_format
            if callable(fmt):
                fmt = fmt(value) if value is not None else None
            _put(sheet, row, col, value, align=st["wrap"] if column.wrap else st["top"],
                 fmt=fmt, border=st["border"])
            if column.wrap and isinstance(value, str):
                texts.append((value, column.width))
        sheet.row_dimensions[row].height = _height(texts)
    for col, column in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = column.width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1).coordinate
    last = header_row + max(len(report.items), 1)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(cols))}{last}"
    _print_setup(sheet, header_row)


def _summary_sheet(book, report: Report) -> None:
    st = _styles()
    sheet = book.active
    sheet.title = "Tổng hợp"
    row = _title_block(sheet, report, TITLE, 4)
    _header(sheet, row, ["STT", "Chỉ tiêu", "Số lượng", "Tỷ lệ"])
    total = report.total
    days = report.office.deadline_days

    def share(n: int, of: int) -> float | None:
        return n / of if of else None

    lines: list[tuple[str, str, Any, Any, str]] = [  # number, text, value, share, format
        ("I", "Tổng số phản ánh, kiến nghị tiếp nhận", total.received, None, COUNT)]
    lines += [(str(i), f"Qua {t.name}", t.received, share(t.received, total.received), COUNT)
              for i, t in enumerate(report.by_channel(), start=1)]
    lines += [
        ("II", "Kết quả xử lý", None, None, COUNT),
        ("1", "Đã giải quyết (đã trả lời hoặc đã đóng)", total.resolved,
         share(total.resolved, total.received), COUNT),
        ("", "trong đó: đúng hạn (tỷ lệ trên số đã giải quyết)", total.on_time,
         share(total.on_time, total.resolved), COUNT),
        ("", "trong đó: trễ hạn", total.resolved - total.on_time,
         share(total.resolved - total.on_time, total.resolved), COUNT),
        ("2", "Đang xử lý", report.count("in_progress"),
         share(report.count("in_progress"), total.received), COUNT),
        ("3", "Mới tiếp nhận, chưa xử lý", report.count("new"),
         share(report.count("new"), total.received), COUNT),
        ("4", f"Chưa giải quyết, đã quá hạn {days} ngày làm việc", total.overdue,
         share(total.overdue, total.received), COUNT),
        ("III", "Thời gian giải quyết (từ khi tiếp nhận)", None, None, COUNT),
        ("1", "Trung vị", report.median_days(), None, None),
        ("2", "Trung bình", report.mean_days(), None, None),
        ("3", "Thời hạn xử lý áp dụng", days, None, '0 "ngày làm việc"'),
    ]
    for number, text, value, part, fmt in lines:
        row += 1
        heading = number in ("I", "II", "III")
        if value is not None and fmt is None:
            fmt = duration_format(value)
        _put(sheet, row, 1, number, st["bold"] if heading else None, st["center"],
             border=st["border"])
        _put(sheet, row, 2, text, st["bold"] if heading else None,
             st["indent"] if text.startswith("trong đó") else st["middle"],
             border=st["border"])
        _put(sheet, row, 3, value if value is not None else ("" if heading else "-"),
             st["bold"] if heading else None, st["middle"], fmt=fmt, border=st["border"])
        _put(sheet, row, 4, part, None, st["middle"], fmt=PERCENT, border=st["border"])
    for letter, width in zip("ABCD", (7, 52, 22, 16)):
        sheet.column_dimensions[letter].width = width
    _print_setup(sheet)


STAT_HEADERS = ["STT", "", "Tiếp nhận", "Đã giải quyết", "Đúng hạn", "Tỷ lệ giải quyết",
                "Tỷ lệ đúng hạn", "Quá hạn chưa giải quyết"]


TITLE_HEIGHT = 140  # points: the title rows
PAGE_HEIGHT = 470   # points of rows an A4 landscape page holds between its margins


def _stats_sheet(book, report: Report):
    """Counts per category, field, procedure and channel, each table with its total. Returns
    the sheet and the rows of the category table (for the chart)."""
    from openpyxl.worksheet.pagebreak import Break

    st = _styles()
    sheet = book.create_sheet("Thống kê")
    row = _title_block(sheet, report, "THỐNG KÊ PHẢN ÁNH, KIẾN NGHỊ",
                       len(STAT_HEADERS))
    category_rows = (0, 0)
    used = TITLE_HEIGHT
    for number, (name, tallies) in enumerate((
            ("Loại phản ánh", report.by_category()),
            ("Lĩnh vực", report.by_field()),
            ("Thủ tục hành chính", report.by_procedure()),
            ("Kênh tiếp nhận", report.by_channel())), start=1):
        need = (len(tallies) + 4) * LINE + 2 * LINE  # label, header, lines, total, blank
        if used + need > PAGE_HEIGHT and used > TITLE_HEIGHT:
            # the next table on a new page rather than its header alone at the bottom
            sheet.row_breaks.append(Break(id=row - 1))
            used = 0
        used += need
        _merged(sheet, row, 1, len(STAT_HEADERS), f"{number}. Theo {name.lower()}",
                st["bold"], horizontal="left")
        row += 1
        _header(sheet, row, ["STT", name] + STAT_HEADERS[2:])
        sheet.row_dimensions[row].height = 2 * LINE + 3
        start = row + 1
        total = Tally("Tổng cộng")
        for i, tally in enumerate(tallies, start=1):
            row += 1
            _stat_line(sheet, row, i, tally)
            for attr in ("received", "resolved", "on_time", "overdue"):
                setattr(total, attr, getattr(total, attr) + getattr(tally, attr))
        if number == 1:
            category_rows = (start, row)
        row += 1
        _stat_line(sheet, row, "", total, bold=True)
        row += 2
    for letter, width in zip("ABCDEFGH", (6, 46, 11, 12, 11, 12, 11, 14)):
        sheet.column_dimensions[letter].width = width
    _print_setup(sheet)
    return sheet, category_rows


def _stat_line(sheet, row: int, number: Any, tally: Tally, bold: bool = False) -> None:
    st = _styles()
    font = st["bold"] if bold else None
    values = [(number, None), (tally.name, None), (tally.received, COUNT),
              (tally.resolved, COUNT), (tally.on_time, COUNT),
              (tally.resolved_share if tally.received else None, PERCENT),
              (tally.on_time_share if tally.resolved else None, PERCENT),
              (tally.overdue, COUNT)]
    for col, (value, fmt) in enumerate(values, start=1):
        align = st["center"] if col == 1 else st["middle"]
        _put(sheet, row, col, value, font, align, fmt, st["border"])


def _chart_sheet(book, report: Report, stats, rows: tuple[int, int]) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.label import DataLabelList
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet("Biểu đồ")
    _title_block(sheet, report, "PHẢN ÁNH, KIẾN NGHỊ THEO LOẠI", 10)
    for col in range(1, 11):  # ten columns as wide as the chart, to centre the titles
        sheet.column_dimensions[get_column_letter(col)].width = 13
    chart = BarChart()
    chart.type = "bar"  # horizontal bars: the category names stay readable
    chart.style = 10
    chart.title = f"Số phản ánh theo loại — {report.label}"
    chart.y_axis.title = "Số phản ánh"
    chart.y_axis.majorGridlines = None
    chart.y_axis.numFmt = "0"
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 hides them otherwise
    chart.x_axis.scaling.orientation = "maxMin"  # first category on top, as in the table
    chart.legend.position = "b"
    first, last = rows
    chart.add_data(Reference(stats, min_col=3, max_col=4, min_row=first - 1, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(stats, min_col=2, min_row=first, max_row=last))
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    for name in ("showCatName", "showSerName", "showLegendKey", "showPercent"):
        setattr(chart.dataLabels, name, False)
    chart.width, chart.height = 25, 12
    sheet.add_chart(chart, "A8")
    _print_setup(sheet)


def write_xlsx(report: Report, path: Path, with_contacts: bool = False,
               summary: bool = False) -> Path:
    """The list of feedback as a sheet ready to print; with ``summary`` also the report
    sheets before it: Tổng hợp, Thống kê (per category, field, procedure, channel), Biểu đồ."""
    from openpyxl import Workbook

    _private(path)
    book = Workbook()
    if summary:
        _summary_sheet(book, report)
        stats, rows = _stats_sheet(book, report)
        _chart_sheet(book, report, stats, rows)
    _list_sheet(book, report, with_contacts, first=not summary)
    book.save(path)
    os.chmod(path, 0o600)
    return path
