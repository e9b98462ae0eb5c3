"""The office's side of feedback on the command line: ``motcua feedback list|show|
answer|status|export|report|purge`` and ``motcua questions unanswered``. Each command
is a function of the parsed arguments; ``bot.cli`` builds the parser."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
from pathlib import Path

from bot import knowledge as kb
from bot import vocab
from bot.reports import BadPeriod
from bot.storage import EmptyAnswer, Storage, TicketNotFound, meaningful

# what ``feedback show`` prints, under these headers
HEADERS = {"ticket": "Mã phản ánh", "at": "Thời gian gửi", "channel": "Kênh",
           "category": "Loại", "procedure_id": "Thủ tục liên quan",
           "status": "Trạng thái", "text": "Nội dung", "phone": "Số điện thoại",
           "first_answer_at": "Trả lời lần đầu"}


def _period(args: argparse.Namespace) -> tuple[str | None, str | None, str]:
    from bot import reports

    return reports.period(args.quarter, args.half, args.year,
                          getattr(args, "start", None), getattr(args, "end", None))


def _feedback_rows(args: argparse.Namespace, storage: Storage):
    since, until, label = _period(args)
    status = vocab.parse_status(args.status) if args.status else None
    category = vocab.parse_category(args.category) if args.category else None
    rows = storage.list_feedback(status=status, category=category,
                                 channel=args.channel, since=since, until=until)
    return rows, label


def _storage(args: argparse.Namespace) -> Storage:
    return Storage(args.db, strict=True)


def _actor(args: argparse.Namespace) -> str:
    return f"cli:{args.by}" if getattr(args, "by", None) else "cli"


class MissingReason(ValueError):
    def __str__(self) -> str:
        return ("đóng phản ánh cần lý do, người dân sẽ nhận được lý do này: "
                '--reason "…" (hoặc --ly-do "…")')


def _feedback_errors(action):
    """The named errors of a feedback action as a message and an exit code: an unknown
    ticket exits 1; a period, status or category that cannot be read, a blank answer or
    a closing without a reason exit 2."""
    @functools.wraps(action)
    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except TicketNotFound as exc:
            print(f"no feedback {exc.ticket}", file=sys.stderr)
            return 1
        except (BadPeriod, vocab.UnknownStatus, vocab.UnknownCategory, EmptyAnswer,
                MissingReason) as exc:
            print(f"motcua feedback: {exc}", file=sys.stderr)
            return 2
    return run


@_feedback_errors
def feedback_list(args: argparse.Namespace) -> int:
    """feedback, oldest first

    One line each: ticket, time (Vietnam time), channel, status, category and the start
    of the text, under Vietnamese headers; then the count and the period. --status and
    --category take the Vietnamese labels, with or without diacritics, or the codes.
    """
    from bot import reports

    rows, label = _feedback_rows(args, _storage(args))
    line = "{:<15}  {:<16}  {:<8} {:<14} {}"
    if rows:
        print(line.format("Mã phản ánh", "Thời gian gửi", "Kênh", "Trạng thái",
                          "Loại: nội dung"))
    for row in rows:
        when = reports.local(row["at"]).strftime("%d/%m/%Y %H:%M")
        print(line.format(row["ticket"], when, reports.readable(row, "channel"),
                          vocab.status_label(row["status"]),
                          f"{vocab.category_label(row['category'])}: {row['text'][:60]}"))
    print(f"{len(rows)} phản ánh ({label})")
    return 0


SHOWN = ("ticket", "at", "channel", "category", "procedure_id", "status", "text", "phone",
         "first_answer_at")


@_feedback_errors
def feedback_show(args: argparse.Namespace) -> int:
    """one feedback

    Every field of the ticket under Vietnamese headers, contact details included, times
    in Vietnam time; then every answer it was given, oldest first (the citizen sees the
    latest), and the reasons given for closing it.
    """
    from bot import reports

    storage = _storage(args)
    row = storage.get_feedback(args.ticket)
    if row is None:
        raise TicketNotFound(args.ticket)
    for key in SHOWN:
        value = reports.readable(row, key)
        if isinstance(value, dt.datetime):
            value = value.strftime("%d/%m/%Y %H:%M")
        print(f"{HEADERS[key] + ':':<19}{value if value not in (None, '') else '-'}")
    answers = storage.answers(row["ticket"])
    print(f"Trả lời ({len(answers)}):" if answers else "Trả lời: -")
    for number, answer in enumerate(answers, 1):
        when = reports.local(answer["at"]).strftime("%d/%m/%Y %H:%M")
        who = answer["staff_name"] or answer["staff"] or "-"
        latest = " — người dân thấy câu này" if number == len(answers) else ""
        print(f"  {number}. {when} · {who}{latest}")
        print("     " + answer["text"].replace("\n", "\n     "))
    for event in storage.events(row["ticket"], "reason"):
        when = reports.local(event["at"]).strftime("%d/%m/%Y %H:%M")
        print(f"Lý do đóng ({when}): {event['detail']}")
    return 0


@_feedback_errors
def feedback_answer(args: argparse.Namespace) -> int:
    """answer; the citizen receives it on their channel

    Stores the answer (a blank one is refused), keeps the earlier ones in the ticket's
    history, sets the status to answered and queues the message for the citizen
    (unless they removed their chat link).
    """
    storage = _storage(args)
    row = storage.answer_feedback(args.ticket, args.text, _actor(args), name=args.by)
    count = len(storage.answers(row["ticket"]))
    print(f"{row['ticket']}: {vocab.status_label('answered')}"
          + (f" (lần {count}, thay câu trả lời trước)" if count > 1 else "")
          + ("" if row["user_id"] else " (người dân đã xóa liên kết tài khoản, không gửi được)"))
    return 0


@_feedback_errors
def feedback_status(args: argparse.Namespace) -> int:
    """change status

    The status as its Vietnamese label (with or without diacritics: "đang xử lý",
    "dong") or its code. Closing needs --reason (--ly-do); the citizen is told of the
    new status, and of the reason, on their channel when it changed.
    """
    status = vocab.parse_status(args.status_value)
    reason = meaningful(args.reason)
    if status == "closed" and reason is None:
        raise MissingReason()
    row = _storage(args).set_status(args.ticket, status, _actor(args), reason)
    print(f"{row['ticket']}: {vocab.status_label(row['status'])}")
    return 0


def _feedback_report(args: argparse.Namespace):
    """The report of the period and filters given on the command line."""
    from bot import reports

    since, until, label = _period(args)
    return reports.collect(_storage(args), kb.load(args.knowledge), since, until, label,
                           status=args.status, category=args.category, channel=args.channel)


@_feedback_errors
def feedback_export(args: argparse.Namespace) -> int:
    """write .xlsx or .csv

    The feedback of the period and filters, one numbered line each: procedure titles,
    staff names, received date, deadline (feedback_deadline_days working days) and
    whether it was handled on time. The xlsx is ready to print (A4 landscape); CSV has
    the same columns, UTF-8 with a BOM so Excel reads the Vietnamese text. The file is
    readable by its owner only.
    """
    from bot import reports, workbook

    report = _feedback_report(args)
    fmt = args.format or ("csv" if str(args.output).endswith(".csv") else "xlsx")
    if fmt == "csv":
        path = reports.write_csv(report, Path(args.output), with_contacts=args.with_contacts)
    else:
        path = workbook.write_xlsx(report, Path(args.output), with_contacts=args.with_contacts)
    print(f"{len(report.items)} feedback ({report.label}) -> {path}")
    return 0


@_feedback_errors
def feedback_report(args: argparse.Namespace) -> int:
    """counts for a quarter, half, year or dates

    Received, resolved (answered or closed) and on time, by category, procedure and
    channel, the time to resolve, and the items still open past feedback_deadline_days
    (working days, office.yaml). With --xlsx also the report workbook: summary,
    statistics, a chart and the list, ready to print.
    """
    from bot import reports, workbook

    report = _feedback_report(args)
    print(reports.report_text(report))
    if args.xlsx:
        workbook.write_xlsx(report, Path(args.xlsx), summary=True)
        print(f"-> {args.xlsx}")
    return 0


@_feedback_errors
def feedback_purge(args: argparse.Namespace) -> int:
    """drop contact details of answered/closed feedback

    Phone numbers and chat links of feedback answered or closed more than --days ago;
    the anonymous text stays for statistics.
    """
    print(f"{_storage(args).purge_personal(args.days)} feedback cleared of contact details")
    return 0
