"""motcua: ask, chat, validate and run the motcua-bot from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

from bot import knowledge as kb
from bot.matcher import Match, Matcher
from bot.reports import BadPeriod
from bot import vocab
from bot.storage import EmptyAnswer, Storage, StorageError, TicketNotFound, meaningful


def _conversation(args: argparse.Namespace, db: str | None = None):
    from bot import cache
    from handlers.conversation import Conversation

    knowledge, matcher = cache.load(args.knowledge)
    if matcher is None:
        for problem in knowledge.errors:
            print(problem, file=sys.stderr)
        print(f"motcua: {len(knowledge.errors)} lỗi trong thư mục kiến thức {knowledge.root}: "
              "sửa các dòng trên (motcua validate) rồi chạy lại", file=sys.stderr)
        raise SystemExit(1)
    return Conversation(knowledge, Storage(db), matcher)


def match_json(conv, match: Match) -> dict[str, Any]:
    from handlers.conversation import reply_for

    return {
        "question": match.question,
        "status": match.status,
        "aspect": match.aspect,
        "answer": match.answer.answer.key if match.answer else None,
        "reply": reply_for(conv, match).as_text(),
        "hits": [{"id": h.entry.id, "kind": h.entry.kind, "title": h.entry.title,
                  "score": h.score} for h in match.hits],
    }


def cmd_ask(args: argparse.Namespace) -> int:
    """answer one question, or a file of questions

    Prints the reply and the scored matches; with --json the stable JSON shape
    (question, status, aspect, answer, reply, hits); with --batch one JSON object a line.
    """
    conv = _conversation(args, ":memory:")
    matcher: Matcher = conv.matcher
    if args.batch:
        source = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")
        with source:
            out = sys.stdout
            for line in source:
                result = match_json(conv, matcher.match(line.rstrip("\n")))
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
        return 0
    question = " ".join(args.question)
    if not question:
        print("motcua ask: give a question, or --batch FILE", file=sys.stderr)
        return 2
    result = match_json(conv, matcher.match(question))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print(result["reply"])
        print()
        for hit in result["hits"]:
            print(f"  {hit['score']:.3f}  {hit['kind']:<16} {hit['id']}")
        print(f"  status: {result['status']}, aspect: {result['aspect']}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """chat with the bot in this terminal

    The same handlers the messengers use; the user id is MOTCUA_TERMINAL_USER.
    """
    from bot.terminal import chat

    conv = _conversation(args, args.db)
    chat(conv)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """start the bot: every channel whose token is set (terminal chat when none)

    Telegram when TELEGRAM_BOT_TOKEN is set, Zalo when ZALO_BOT_TOKEN is set, by long
    polling unless a webhook URL is given; runs until SIGINT or SIGTERM.
    """
    import asyncio

    from bot import logs
    from bot.runner import StartFailed, serve

    conv = _conversation(args, args.db)
    config = conv.config
    logs.setup(os.environ.get("MOTCUA_LOG_LEVEL", "WARNING"),
               [config.telegram_token, config.zalo_token, config.webhook_secret,
                config.zalo_webhook_secret])
    purged = conv.storage.purge_personal(config.retention_days)
    if purged:
        print(f"cleared contact details of {purged} old feedback items", file=sys.stderr)
    if args.webhook and not config.telegram_token:
        print("motcua run: --webhook needs TELEGRAM_BOT_TOKEN", file=sys.stderr)
        return 2
    if args.zalo_webhook and not config.zalo_token:
        print("motcua run: --zalo-webhook needs ZALO_BOT_TOKEN", file=sys.stderr)
        return 2
    if not config.telegram_token and not config.zalo_token:
        from bot.terminal import chat

        chat(conv)
        return 0
    try:
        asyncio.run(serve(conv, config, args.webhook, args.listen, args.zalo_webhook,
                          args.zalo_listen))
    except StartFailed as exc:
        print(f"motcua run: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """check the knowledge base

    Prints every problem as file:line: field: message; exits 1 on errors, 0 when only
    warnings (such as example data) remain.
    """
    knowledge = kb.load(args.dir or args.knowledge)
    for problem in knowledge.problems:
        print(problem)
    counts: dict[str, int] = {}
    for entry in knowledge.entries.values():
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    left = knowledge.placeholders()
    if left:
        print(f"Còn {sum(len(v) for v in left.values())} giá trị mẫu “VÍ DỤ:” cần điền:")
        for file, fields in left.items():
            print(f"  {file}: {', '.join(fields)}")
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no entries"
    print(f"{knowledge.root}: {summary}; {len(knowledge.errors)} errors, "
          f"{len(knowledge.warnings)} warnings")
    return 1 if knowledge.errors else 0


def cmd_init(args: argparse.Namespace) -> int:
    """copy the bundled knowledge to a folder of your own

    The office edits that copy; the bot reads it when started from the folder that
    holds it (as ./knowledge), with --knowledge DIR, or with MOTCUA_KNOWLEDGE=DIR.
    A folder that is not empty is refused unless --force is given.
    """
    from bot.paths import init_folder

    return init_folder(Path(args.dir), args.force)


def cmd_import_dvc(args: argparse.Namespace) -> int:
    """import national portal procedure records

    Writes every procedure in force and not curated by hand as an imported entry, one
    file per field; a new import replaces the files an earlier one wrote.
    """
    from bot.dvc import curated_codes_in, import_dvc

    knowledge = kb.load(args.knowledge)
    out = Path(args.out) if args.out else knowledge.root / "imported"
    province = args.province
    if province is None and not kb.is_placeholder(knowledge.office.get("province")):
        province = knowledge.office.get("province")
    report = import_dvc(Path(args.path), out, curated_codes_in(knowledge), province)
    for error in report.errors:
        print(error, file=sys.stderr)
    print(f"{report.summary()} -> {out}")
    return 1 if report.errors and not report.written else 0


def _feedback_rows(args: argparse.Namespace, storage: Storage):
    from bot import reports

    since, until, label = reports.period(args.quarter, args.half, args.year,
                                         getattr(args, "start", None), getattr(args, "end", None))
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
    headers = {key: header for key, header, _ in reports.columns(with_contacts=True)}
    for key in SHOWN:
        value = reports.readable(row, key)
        if isinstance(value, dt.datetime):
            value = value.strftime("%d/%m/%Y %H:%M")
        print(f"{headers[key] + ':':<19}{value if value not in (None, '') else '-'}")
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


@_feedback_errors
def feedback_export(args: argparse.Namespace) -> int:
    """write .xlsx or .csv

    The feedback of the period and filters, in Vietnam time; the file is readable by
    its owner only. CSV is UTF-8 with a BOM, so Excel reads the Vietnamese text.
    """
    from bot import reports

    rows, label = _feedback_rows(args, _storage(args))
    fmt = args.format or ("csv" if str(args.output).endswith(".csv") else "xlsx")
    write = reports.write_csv if fmt == "csv" else reports.write_xlsx
    path = write(rows, Path(args.output), with_contacts=args.with_contacts)
    print(f"{len(rows)} feedback ({label}) -> {path}")
    return 0


@_feedback_errors
def feedback_report(args: argparse.Namespace) -> int:
    """counts for a quarter, half, year or dates

    Counts by category, status and channel, the share answered, the median hours to
    the first answer, and the items still open past feedback_deadline_days (working
    days, office.yaml).
    """
    from bot import reports

    storage = _storage(args)
    rows, label = _feedback_rows(args, storage)
    knowledge = kb.load(args.knowledge)
    summary = reports.summarize(rows, knowledge.deadline_days, label)
    print(reports.format_summary(summary))
    if args.xlsx:
        reports.write_xlsx(rows, Path(args.xlsx), summary=summary)
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


def questions_unanswered(args: argparse.Namespace) -> int:
    """questions the bot could not answer, most frequent first"""
    storage = Storage(args.db, strict=True)
    rows = storage.unanswered(args.limit)
    if not rows:
        print("No unanswered questions.")
    for row in rows:
        print(f"{row['times']:>5}  {row['last'][:10]}  {row['question']}")
    return 0


def command(sub, name: str, func) -> argparse.ArgumentParser:
    """A subcommand whose help is the first line of ``func``'s docstring and whose
    description (``--help``) is the whole docstring."""
    doc = inspect.getdoc(func) or ""
    parser = sub.add_parser(name, help=doc.split("\n", 1)[0], description=doc,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=func)
    return parser


FEEDBACK_ACTIONS = {"list": feedback_list, "show": feedback_show, "answer": feedback_answer,
                    "status": feedback_status, "export": feedback_export,
                    "report": feedback_report, "purge": feedback_purge}


STATUS_HELP = ", ".join(f"{label} ({vocab.STATUS_WORDS[code]})"
                        for code, label in vocab.STATUSES.items())
CATEGORY_HELP = ", ".join(f"{label} ({code})" for code, label in vocab.CATEGORIES.items())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description=__doc__)
    parser.add_argument("--knowledge", metavar="DIR",
                        help="knowledge folder (default: MOTCUA_KNOWLEDGE, else ./knowledge when it "
                        "holds office.yaml, else the bundled one)")
    parser.add_argument("--db", metavar="FILE",
                        help="SQLite file (default: MOTCUA_DB or data/motcua.db)")
    parser.add_argument("--create", action="store_true",
                        help="create the database when it does not exist (run and chat "
                        "always do; other commands refuse a missing one)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = command(sub, "ask", cmd_ask)
    p.add_argument("question", nargs="*", help="the question")
    p.add_argument("--json", action="store_true", help="print the JSON result")
    p.add_argument("--batch", metavar="FILE",
                   help="one question per line ('-' for stdin); prints one JSON per line")

    command(sub, "chat", cmd_chat)

    p = command(sub, "run", cmd_run)
    p.add_argument("--webhook", metavar="URL",
                   help="Telegram webhook mode: the public HTTPS URL Telegram posts to")
    p.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:8443",
                   help="where the webhook server listens (behind your reverse proxy)")
    p.add_argument("--zalo-webhook", metavar="URL",
                   help="Zalo webhook mode: the public HTTPS URL Zalo posts to "
                   "(needs ZALO_WEBHOOK_SECRET)")
    p.add_argument("--zalo-listen", metavar="HOST:PORT", default="127.0.0.1:8444",
                   help="where the Zalo webhook server listens")

    p = command(sub, "init", cmd_init)
    p.add_argument("dir", help="the folder to create (e.g. knowledge)")
    p.add_argument("--force", action="store_true",
                   help="copy into a folder that is not empty, replacing files of the same name")

    p = command(sub, "validate", cmd_validate)
    p.add_argument("dir", nargs="?", help="knowledge folder to check")

    p = command(sub, "import-dvc", cmd_import_dvc)
    p.add_argument("path", help="a folder with catalog.jsonl and/or details/*.json, or one file")
    p.add_argument("--out", metavar="DIR",
                   help="where to write the entry files (default: <knowledge>/imported/)")
    p.add_argument("--province", help="keep only this province's own procedures besides the "
                   "national ones (default: office.yaml province, when filled in)")

    p = sub.add_parser("feedback", help="citizens' feedback: " + ", ".join(FEEDBACK_ACTIONS),
                       description="The office's side of citizens' feedback (phản ánh).")
    fsub = p.add_subparsers(dest="action", required=True)

    def filters(q: argparse.ArgumentParser) -> None:
        q.add_argument("--status", help="only this status: " + STATUS_HELP)
        q.add_argument("--category", help="only this category: " + CATEGORY_HELP)
        q.add_argument("--channel", help="only this channel (telegram, zalo, terminal)")
        q.add_argument("--quarter", metavar="2026Q3", help="a quarter")
        q.add_argument("--half", metavar="2026H1", help="a half year")
        q.add_argument("--year", metavar="2026", help="a year")
        q.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="from this day")
        q.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="to this day, inclusive")

    filters(command(fsub, "list", feedback_list))
    q = command(fsub, "show", feedback_show)
    q.add_argument("ticket", help="the ticket, e.g. PA-2026-000123")
    q = command(fsub, "answer", feedback_answer)
    q.add_argument("ticket", help="the ticket, e.g. PA-2026-000123")
    q.add_argument("text", help="the answer the citizen receives")
    q.add_argument("--by", help="staff name for the record")
    q = command(fsub, "status", feedback_status)
    q.add_argument("ticket", help="the ticket, e.g. PA-2026-000123")
    q.add_argument("status_value", metavar="status", help="the new status: " + STATUS_HELP)
    q.add_argument("--reason", "--ly-do", dest="reason", metavar="TEXT",
                   help="why (needed to close); the citizen receives it")
    q.add_argument("--by", help="staff name for the record")
    q = command(fsub, "export", feedback_export)
    filters(q)
    q.add_argument("-o", "--output", required=True, help="file.xlsx or file.csv")
    q.add_argument("--format", choices=["xlsx", "csv"],
                   help="the file type (default: from the file name)")
    q.add_argument("--with-contacts", action="store_true",
                   help="include phone numbers citizens agreed to give")
    q = command(fsub, "report", feedback_report)
    filters(q)
    q.add_argument("--xlsx", metavar="FILE", help="also write the report with a chart sheet")
    q = command(fsub, "purge", feedback_purge)
    q.add_argument("--days", type=int, default=365,
                   help="answered or closed more than this many days ago (default: 365)")

    p = sub.add_parser("questions", help="questions log",
                       description="What citizens asked, to grow the knowledge base.")
    qsub = p.add_subparsers(dest="which", required=True)
    q = command(qsub, "unanswered", questions_unanswered)
    q.add_argument("--limit", type=int, default=50, help="at most this many (default: 50)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from bot import logs, paths
    from bot.config import ConfigError, load_env_file

    try:
        env_file = load_env_file()  # ./.env or MOTCUA_ENV_FILE; the environment wins
    except ConfigError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 2
    logs.setup(os.environ.get("MOTCUA_LOG_LEVEL", "WARNING"),
               [os.environ.get("TELEGRAM_BOT_TOKEN", ""), os.environ.get("ZALO_BOT_TOKEN", "")])
    args = build_parser().parse_args(argv)
    if getattr(args, "batch", None):
        args.json = True
    try:
        paths.prepare(args, env_file)
        return args.func(args)
    except ConfigError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
