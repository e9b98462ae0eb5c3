"""motcua: ask, chat, validate and run the motcua-bot from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bot import knowledge as kb
from bot.matcher import Match, Matcher
from bot.storage import Storage, StorageError


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
    from bot.terminal import chat

    conv = _conversation(args, args.db)
    chat(conv)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
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
    rows = storage.list_feedback(status=args.status, category=args.category,
                                 channel=args.channel, since=since, until=until)
    return rows, label


def cmd_feedback(args: argparse.Namespace) -> int:
    from bot import reports
    from bot.storage import CATEGORIES, STATUSES

    storage = Storage(args.db, strict=True)
    actor = f"cli:{args.by}" if getattr(args, "by", None) else "cli"
    try:
        if args.action == "list":
            rows, label = _feedback_rows(args, storage)
            for row in rows:
                when = reports.local(row["at"]).strftime("%d/%m/%Y %H:%M")
                print(f"{row['ticket']}  {when}  {row['channel']:<8} "
                      f"{STATUSES[row['status']]:<14} {CATEGORIES.get(row['category'], '')}: "
                      f"{row['text'][:60]}")
            print(f"{len(rows)} feedback ({label})")
        elif args.action == "show":
            row = storage.get_feedback(args.ticket)
            if row is None:
                print(f"no feedback {args.ticket}", file=sys.stderr)
                return 1
            for key in ("ticket", "at", "channel", "category", "procedure_id", "status",
                        "text", "phone", "answer", "first_answer_at", "answered_by"):
                value = reports.readable(row, key)
                print(f"{key:<16}{value if value not in (None, '') else '-'}")
        elif args.action == "answer":
            row = storage.answer_feedback(args.ticket, args.text, actor)
            print(f"{row['ticket']}: answered" + ("" if row["user_id"] else
                                                  " (the citizen removed their chat link)"))
        elif args.action == "status":
            row = storage.set_status(args.ticket, args.status_value, actor)
            print(f"{row['ticket']}: {row['status']}")
        elif args.action == "export":
            rows, label = _feedback_rows(args, storage)
            fmt = args.format or ("csv" if str(args.output).endswith(".csv") else "xlsx")
            write = reports.write_csv if fmt == "csv" else reports.write_xlsx
            path = write(rows, Path(args.output), with_contacts=args.with_contacts)
            print(f"{len(rows)} feedback ({label}) -> {path}")
        elif args.action == "report":
            rows, label = _feedback_rows(args, storage)
            knowledge = kb.load(args.knowledge)
            summary = reports.summarize(rows, knowledge.deadline_days, label)
            print(reports.format_summary(summary))
            if args.xlsx:
                reports.write_xlsx(rows, Path(args.xlsx), summary=summary)
                print(f"-> {args.xlsx}")
        elif args.action == "purge":
            print(f"{storage.purge_personal(args.days)} feedback cleared of contact details")
    except KeyError as exc:
        print(f"no feedback {exc.args[0]}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"motcua feedback: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_questions(args: argparse.Namespace) -> int:
    storage = Storage(args.db, strict=True)
    rows = storage.unanswered(args.limit)
    if not rows:
        print("No unanswered questions.")
    for row in rows:
        print(f"{row['times']:>5}  {row['last'][:10]}  {row['question']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description=__doc__)
    parser.add_argument("--knowledge", metavar="DIR",
                        help="knowledge folder (default: MOTCUA_KNOWLEDGE or the bundled one)")
    parser.add_argument("--db", metavar="FILE",
                        help="SQLite file (default: MOTCUA_DB or data/motcua.db)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ask", help="answer one question, or a file of questions")
    p.add_argument("question", nargs="*", help="the question")
    p.add_argument("--json", action="store_true", help="print the JSON result")
    p.add_argument("--batch", metavar="FILE",
                   help="one question per line ('-' for stdin); prints one JSON per line")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="chat with the bot in this terminal")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("run", help="start the bot: every channel whose token is set "
                       "(terminal chat when none)")
    p.add_argument("--webhook", metavar="URL",
                   help="Telegram webhook mode: the public HTTPS URL Telegram posts to")
    p.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:8443",
                   help="where the webhook server listens (behind your reverse proxy)")
    p.add_argument("--zalo-webhook", metavar="URL",
                   help="Zalo webhook mode: the public HTTPS URL Zalo posts to "
                   "(needs ZALO_WEBHOOK_SECRET)")
    p.add_argument("--zalo-listen", metavar="HOST:PORT", default="127.0.0.1:8444",
                   help="where the Zalo webhook server listens")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check the knowledge base")
    p.add_argument("dir", nargs="?", help="knowledge folder to check")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("import-dvc", help="import national portal procedure records")
    p.add_argument("path", help="a folder with catalog.jsonl and/or details/*.json, or one file")
    p.add_argument("--out", metavar="DIR",
                   help="where to write the entry files (default: <knowledge>/imported/)")
    p.add_argument("--province", help="keep only this province's own procedures besides the "
                   "national ones (default: office.yaml province, when filled in)")
    p.set_defaults(func=cmd_import_dvc)

    p = sub.add_parser("feedback", help="citizens' feedback: list, show, answer, "
                       "status, export, report, purge")
    fsub = p.add_subparsers(dest="action", required=True)

    def filters(q: argparse.ArgumentParser) -> None:
        q.add_argument("--status", choices=["new", "in_progress", "answered", "closed"])
        q.add_argument("--category")
        q.add_argument("--channel")
        q.add_argument("--quarter", metavar="2026Q3")
        q.add_argument("--half", metavar="2026H1")
        q.add_argument("--year", metavar="2026")
        q.add_argument("--from", dest="start", metavar="YYYY-MM-DD")
        q.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="inclusive")

    filters(fsub.add_parser("list", help="feedback, oldest first"))
    q = fsub.add_parser("show", help="one feedback")
    q.add_argument("ticket")
    q = fsub.add_parser("answer", help="answer; the citizen receives it on their channel")
    q.add_argument("ticket")
    q.add_argument("text")
    q.add_argument("--by", help="staff name for the record")
    q = fsub.add_parser("status", help="change status")
    q.add_argument("ticket")
    q.add_argument("status_value", choices=["new", "in_progress", "answered", "closed"])
    q.add_argument("--by", help="staff name for the record")
    q = fsub.add_parser("export", help="write .xlsx or .csv")
    filters(q)
    q.add_argument("-o", "--output", required=True, help="file.xlsx or file.csv")
    q.add_argument("--format", choices=["xlsx", "csv"])
    q.add_argument("--with-contacts", action="store_true",
                   help="include phone numbers citizens agreed to give")
    q = fsub.add_parser("report", help="counts for a quarter, half, year or dates")
    filters(q)
    q.add_argument("--xlsx", metavar="FILE", help="also write the report with a chart sheet")
    q = fsub.add_parser("purge", help="drop contact details of answered/closed feedback")
    q.add_argument("--days", type=int, default=365)
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("questions", help="questions log")
    qsub = p.add_subparsers(dest="which", required=True)
    q = qsub.add_parser("unanswered", help="questions the bot could not answer, most frequent first")
    q.add_argument("--limit", type=int, default=50)
    q.set_defaults(func=cmd_questions)
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
