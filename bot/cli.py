"""motcua: ask, chat, validate and run the motcua-bot from the command line."""

from __future__ import annotations

import argparse
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
from bot.storage import (CATEGORIES, STATUSES, Storage, StorageError, TicketNotFound,
                         UnknownStatus)


def _conversation(args: argparse.Namespace, db: str | None = None):
    from bot import cache
    from handlers.conversation import Conversation

    knowledge, matcher = cache.load(args.knowledge)
    if matcher is None:
        for problem in knowledge.errors:
            print(problem, file=sys.stderr)
        print(f"{len(knowledge.errors)} errors in {knowledge.root}; "
              "fix them (motcua validate) and start again.", file=sys.stderr)
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
    from bot.runner import serve

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
    asyncio.run(serve(conv, config, args.webhook, args.listen, args.zalo_webhook,
                      args.zalo_listen))
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
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no entries"
    print(f"{knowledge.root}: {summary}; {len(knowledge.errors)} errors, "
          f"{len(knowledge.warnings)} warnings")
    return 1 if knowledge.errors else 0


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


def _period(args: argparse.Namespace) -> tuple[str | None, str | None, str]:
    from bot import reports

    return reports.period(args.quarter, args.half, args.year,
                          getattr(args, "start", None), getattr(args, "end", None))


def _feedback_rows(args: argparse.Namespace, storage: Storage):
    since, until, label = _period(args)
    rows = storage.list_feedback(status=args.status, category=args.category,
                                 channel=args.channel, since=since, until=until)
    return rows, label


def _storage(args: argparse.Namespace) -> Storage:
    return Storage(args.db, strict=True)


def _actor(args: argparse.Namespace) -> str:
    return f"cli:{args.by}" if getattr(args, "by", None) else "cli"


def _feedback_errors(action):
    """The named errors of a feedback action as a message and an exit code: an unknown
    ticket exits 1, a period or status that cannot be read exits 2."""
    @functools.wraps(action)
    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except TicketNotFound as exc:
            print(f"no feedback {exc.ticket}", file=sys.stderr)
            return 1
        except (BadPeriod, UnknownStatus) as exc:
            print(f"motcua feedback: {exc}", file=sys.stderr)
            return 2
    return run


@_feedback_errors
def feedback_list(args: argparse.Namespace) -> int:
    """feedback, oldest first

    One line each: ticket, time (Vietnam time), channel, status, category and the start
    of the text; then the count and the period.
    """
    from bot import reports

    rows, label = _feedback_rows(args, _storage(args))
    for row in rows:
        when = reports.local(row["at"]).strftime("%d/%m/%Y %H:%M")
        print(f"{row['ticket']}  {when}  {row['channel']:<8} "
              f"{STATUSES.get(row['status'], row['status']):<14} "
              f"{CATEGORIES.get(row['category'], '')}: {row['text'][:60]}")
    print(f"{len(rows)} feedback ({label})")
    return 0


@_feedback_errors
def feedback_show(args: argparse.Namespace) -> int:
    """one feedback

    Every field of the ticket, contact details included, times in Vietnam time.
    """
    from bot import reports

    row = _storage(args).get_feedback(args.ticket)
    if row is None:
        raise TicketNotFound(args.ticket)
    for key in ("ticket", "at", "channel", "category", "procedure_id", "status",
                "text", "phone", "answer", "first_answer_at", "answered_by"):
        value = reports.readable(row, key)
        print(f"{key:<16}{value if value not in (None, '') else '-'}")
    return 0


@_feedback_errors
def feedback_answer(args: argparse.Namespace) -> int:
    """answer; the citizen receives it on their channel

    Stores the answer, sets the status to answered and queues the message for the
    citizen (unless they removed their chat link).
    """
    row = _storage(args).answer_feedback(args.ticket, args.text, _actor(args))
    print(f"{row['ticket']}: answered" + ("" if row["user_id"] else
                                          " (the citizen removed their chat link)"))
    return 0


@_feedback_errors
def feedback_status(args: argparse.Namespace) -> int:
    """change status

    The citizen is told of the new status on their channel when it changed.
    """
    row = _storage(args).set_status(args.ticket, args.status_value, _actor(args))
    print(f"{row['ticket']}: {row['status']}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description=__doc__)
    parser.add_argument("--knowledge", metavar="DIR",
                        help="knowledge folder (default: MOTCUA_KNOWLEDGE or the bundled one)")
    parser.add_argument("--db", metavar="FILE",
                        help="SQLite file (default: MOTCUA_DB or data/motcua.db)")
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
        q.add_argument("--status", choices=list(STATUSES), help="only this status")
        q.add_argument("--category", choices=list(CATEGORIES), help="only this category")
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
    q.add_argument("status_value", choices=list(STATUSES), help="the new status")
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
    q.add_argument("--xlsx", metavar="FILE",
                   help="also write the report workbook (summary, statistics, chart, list)")
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
    from bot import logs
    from bot.config import read_env_file

    if os.environ.get("MOTCUA_ENV_FILE"):  # the environment wins over the file
        for key, value in read_env_file(os.environ["MOTCUA_ENV_FILE"]).items():
            os.environ.setdefault(key, value)

    logs.setup(os.environ.get("MOTCUA_LOG_LEVEL", "WARNING"),
               [os.environ.get("TELEGRAM_BOT_TOKEN", ""), os.environ.get("ZALO_BOT_TOKEN", "")])
    args = build_parser().parse_args(argv)
    if getattr(args, "batch", None):
        args.json = True
    try:
        return args.func(args)
    except StorageError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
