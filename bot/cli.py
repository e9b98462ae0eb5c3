"""motcua: ask, chat, validate and run the motcua-bot from the command line."""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

from bot import knowledge as kb
from bot.matcher import Match, Matcher
from bot import vocab
from bot.storage import Storage, StorageError
from bot.feedback_cli import (feedback_answer, feedback_export, feedback_list, feedback_purge,
                              feedback_report, feedback_show, feedback_status)


def _conversation(args: argparse.Namespace, db: str | None = None):
    from bot import cache
    from handlers.conversation import Conversation

    storage = Storage(db)  # first: a server that cannot be reached stops before any work
    knowledge, matcher = cache.load(args.knowledge)
    if matcher is None:
        for problem in knowledge.errors:
            print(problem, file=sys.stderr)
        print(f"motcua: {len(knowledge.errors)} lỗi trong thư mục kiến thức {knowledge.root}: "
              "sửa các dòng trên (motcua validate) rồi chạy lại", file=sys.stderr)
        raise SystemExit(1)
    return Conversation(knowledge, storage, matcher)


def match_json(conv, match: Match) -> dict[str, Any]:
    from handlers.conversation import reply_for

    return {
        "question": match.question,
        "status": match.status,
        "aspect": match.aspect,
        "answer": match.answer.answer.key if match.answer else None,
        "second_answer": match.second.answer.key if match.second else None,
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
    polling unless a webhook URL is given; a Zalo Official Account when ZALO_OA_APP_ID is
    set (its webhook at /zalo-oa on --zalo-oa-listen); runs until SIGINT or SIGTERM.
    """
    import asyncio

    from bot import logs
    from bot.runner import StartFailed, serve

    conv = _conversation(args, args.db)
    config = conv.config
    logs.setup(os.environ.get("MOTCUA_LOG_LEVEL", "WARNING"), config.secrets)
    purged = conv.storage.purge_personal(config.retention_days)
    if purged:
        print(f"cleared contact details of {purged} old feedback items", file=sys.stderr)
    if args.webhook and not config.telegram_token:
        print("motcua run: --webhook needs TELEGRAM_BOT_TOKEN", file=sys.stderr)
        return 2
    if args.zalo_webhook and not config.zalo_token:
        print("motcua run: --zalo-webhook needs ZALO_BOT_TOKEN", file=sys.stderr)
        return 2
    if not config.telegram_token and not config.zalo_token and not config.zalo_oa_app_id:
        from bot.terminal import chat

        chat(conv)
        return 0
    try:
        asyncio.run(serve(conv, config, args.webhook, args.listen, args.zalo_webhook,
                          args.zalo_listen, args.zalo_oa_listen))
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
    for entry in [*knowledge.entries.values(), *knowledge.uncovered.values()]:
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
    parser.add_argument("--db", metavar="FILE|URL",
                        help="SQLite file or postgresql:// URL (default: MOTCUA_DB or "
                        "data/motcua.db)")
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
    p.add_argument("--zalo-oa-listen", metavar="HOST:PORT", default="127.0.0.1:8445",
                   help="where the Zalo Official Account webhook (/zalo-oa) listens, behind "
                   "your reverse proxy (needs ZALO_OA_APP_ID)")

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
    q.add_argument("--xlsx", metavar="FILE",
                   help="also write the report workbook (summary, statistics, chart, list)")
    q = command(fsub, "purge", feedback_purge)
    q.add_argument("--days", type=int, default=365,
                   help="answered or closed more than this many days ago (default: 365)")

    from bot import staff_cli

    staff_cli.add_parser(sub, command)

    from bot import dbcopy

    dbcopy.add_parser(sub, command)

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
