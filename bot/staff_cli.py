"""``motcua staff add|list|remove|passwd|link``: the accounts of the web console, and
``motcua console``. Passwords are read from standard input (one line) or, at a
terminal, asked twice without being shown; never from the command line, where other
users of the machine could read them."""

from __future__ import annotations

import argparse
import getpass
import sys

from bot import accounts
from bot.storage import Storage


def _storage(args: argparse.Namespace) -> Storage:
    return Storage(args.db, strict=True)


def read_password(prompt: str = "Mật khẩu: ") -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Gõ lại mật khẩu: ") != first:
            raise accounts.AccountError("hai lần gõ mật khẩu không khớp")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _errors(action):
    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except accounts.AccountError as exc:
            print(f"motcua staff: {exc}", file=sys.stderr)
            return 2
    run.__doc__ = action.__doc__
    return run


@_errors
def staff_add(args: argparse.Namespace) -> int:
    """add a console account; the password is read from stdin or asked

    The username (2-32 lower-case letters, digits, . _ -) is what the member types to log
    in; --name is the name shown on answers and in reports; --chat links the account to
    the member's chat staff id (telegram:123456789, as /id shows it), so that both show
    the same name.
    """
    storage = _storage(args)
    accounts.valid_username(args.username)
    accounts.valid_chat_id(args.chat)
    account = accounts.add(storage, args.username, read_password(), args.name, args.chat)
    linked = f", gắn với {account['chat_id']}" if account["chat_id"] else ""
    print(f"Đã tạo tài khoản {account['username']} ({accounts.display_name(account)}{linked}).")
    return 0


@_errors
def staff_list(args: argparse.Namespace) -> int:
    """the console accounts"""
    rows = accounts.accounts(_storage(args))
    line = "{:<20}  {:<28}  {}"
    if rows:
        print(line.format("Tên đăng nhập", "Họ tên", "Mã chat"))
    for row in rows:
        print(line.format(row["username"], row["name"] or "-", row["chat_id"] or "-"))
    print(f"{len(rows)} tài khoản")
    return 0


@_errors
def staff_remove(args: argparse.Namespace) -> int:
    """remove an account and end its sessions (its name stays on its answers)"""
    if not accounts.remove(_storage(args), args.username):
        print(f"motcua staff: không có tài khoản {args.username}", file=sys.stderr)
        return 1
    print(f"Đã xóa tài khoản {args.username.strip().lower()}.")
    return 0


@_errors
def staff_passwd(args: argparse.Namespace) -> int:
    """a new password (from stdin or asked); the account's sessions end"""
    storage = _storage(args)
    if accounts.get(storage, args.username) is None:
        print(f"motcua staff: không có tài khoản {args.username}", file=sys.stderr)
        return 1
    accounts.set_password(storage, args.username, read_password("Mật khẩu mới: "))
    print(f"Đã đổi mật khẩu của {args.username.strip().lower()}.")
    return 0


@_errors
def staff_link(args: argparse.Namespace) -> int:
    """link an account to a chat staff id (none given: unlink)"""
    account = accounts.link(_storage(args), args.username, args.chat_id)
    print(f"{account['username']}: " + (f"gắn với {account['chat_id']}" if account["chat_id"]
                                        else "không gắn với mã chat nào"))
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    """serve the staff web console (default 127.0.0.1:8080)

    Feedback, answers, the dashboard and the questions the bot could not answer, in a
    browser, on the bot's database; log in with an account of `motcua staff add`. Put
    it behind the office's HTTPS reverse proxy to reach it from other machines. `motcua
    run` also serves it when MOTCUA_CONSOLE_LISTEN=HOST:PORT is set. Runs until SIGINT
    or SIGTERM.
    """
    import asyncio
    import os
    import signal

    from bot import knowledge as kb
    from bot import logs
    from bot.console.app import start
    from bot.runner import console_problem

    logs.setup(os.environ.get("MOTCUA_LOG_LEVEL", "WARNING"))
    storage = _storage(args)
    knowledge = kb.load(args.knowledge)
    if not accounts.accounts(storage):
        print("motcua console: chưa có tài khoản nào; tạo bằng: motcua staff add TEN "
              '--name "Họ tên"', file=sys.stderr)

    async def serve() -> None:
        runner = await start(storage, lambda: knowledge, args.listen)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        print(f"motcua console: trang cán bộ ở http://{args.listen}; dừng bằng Ctrl+C",
              file=sys.stderr, flush=True)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    except (OSError, ValueError) as exc:
        print(f"motcua console: {console_problem(args.listen, exc)}", file=sys.stderr)
        return 1
    return 0


ACTIONS = {"add": staff_add, "list": staff_list, "remove": staff_remove,
           "passwd": staff_passwd, "link": staff_link}


def add_parser(sub, command) -> None:
    """``motcua staff ...`` under the main parser (``command`` is bot.cli.command)."""
    p = sub.add_parser("staff", help="console accounts: " + ", ".join(ACTIONS),
                       description="Accounts of the staff web console (motcua console).")
    ssub = p.add_subparsers(dest="action", required=True)
    q = command(ssub, "add", staff_add)
    q.add_argument("username", help="the login name, e.g. lan.nguyen")
    q.add_argument("--name", help='the name shown, e.g. "Nguyễn Thị Lan"')
    q.add_argument("--chat", metavar="CHANNEL:ID", help="the chat staff id, e.g. telegram:111")
    command(ssub, "list", staff_list)
    for name, action in (("remove", staff_remove), ("passwd", staff_passwd),
                         ("link", staff_link)):
        q = command(ssub, name, action)
        q.add_argument("username", help="the login name")
    q.add_argument("chat_id", nargs="?", metavar="CHANNEL:ID",
                   help="e.g. telegram:111; leave out to unlink")

    p = command(sub, "console", cmd_console)
    p.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:8080",
                   help="where the console listens (default: 127.0.0.1:8080)")
