"""Staff commands in the chat: list, view, answer, change status, export, report.

Only configured staff ids (``Config.staff``) may use them; anyone else gets the same
short refusal whatever the command or button, so nothing leaks. The router refuses
the commands (``Command.staff``); the buttons and a typed answer check here.
"""

from __future__ import annotations

import datetime as dt

from bot import reports, workbook
from bot.storage import CATEGORIES, STATUSES
from handlers.callbacks import (STAFF, STAFF_ANSWER, STAFF_EXPORT, STAFF_STATUS, STAFF_VIEW,
                                data)
from handlers.context import ButtonHandler, Command, Context
from handlers.state import UserState
from handlers.types import Message, Option, Reply

REFUSED = "Lệnh này chỉ dành cho cán bộ được cấu hình trong bot."
STATUS_WORDS = {"moi": "new", "dangxuly": "in_progress", "xuly": "in_progress",
                "datraloi": "answered", "dong": "closed", **{k: k for k in STATUSES}}


def allowed(ctx: Context, msg: Message) -> bool:
    return ctx.config.is_staff(msg.channel, msg.user_id)


def _actor(msg: Message) -> str:
    return f"{msg.channel}:{msg.user_id}"


# --- commands --------------------------------------------------------------------------


def show_help(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    return [Reply(HELP)]


def list_open(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    statuses = None if arg.strip() == "tatca" else ["new", "in_progress"]
    return [listing(ctx, statuses)]


def view_one(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    return [view(ctx, arg)]


def answer_ticket(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    """/traloi <mã> <nội dung>; without the text, the next message is the answer."""
    ticket, _, text = arg.strip().partition(" ")
    if not text.strip():
        state["staff_answer"] = ticket.upper()
        return [Reply(f"Gõ nội dung trả lời cho {ticket.upper()} (gõ /huy để thôi).")]
    return [answer_reply(ctx, ticket, text, _actor(msg))]


def change_status(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    ticket, _, word = arg.strip().partition(" ")
    return [set_status(ctx, ticket, word.strip(), _actor(msg))]


def export_period(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    return [export(ctx, arg.strip())]


def report_period(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    return [report(ctx, arg.strip())]


COMMANDS = [
    Command("ds", list_open, "Cán bộ: phản ánh cần xử lý", staff=True,
            help="phản ánh mới và đang xử lý (/ds tatca: tất cả)"),
    Command("xem", view_one, "Cán bộ: xem một phản ánh", staff=True,
            usage="<mã>", help="xem chi tiết"),
    Command("traloi", answer_ticket, "Cán bộ: trả lời phản ánh", staff=True,
            usage="<mã> <nội dung>", help="trả lời, gửi về cho người dân"),
    Command("trangthai", change_status, "Cán bộ: đổi trạng thái", staff=True,
            usage="<mã> moi|dangxuly|datraloi|dong"),
    Command("xuat", export_period, "Cán bộ: xuất Excel", staff=True,
            usage="[2026Q3]", help="xuất Excel"),
    Command("baocao", report_period, "Cán bộ: báo cáo theo kỳ", staff=True,
            usage="[2026Q3 | 2026H1 | 2026]", help="báo cáo tổng hợp"),
    Command("canbo", show_help, "Cán bộ: danh sách lệnh", staff=True),
]


def help_line(command: Command) -> str:
    """"/xem <mã> — xem chi tiết": a command of the staff help."""
    line = " ".join(part for part in (f"/{command.name}", command.usage) if part)
    return f"{line} — {command.help}" if command.help else line


HELP = "Lệnh cho cán bộ:\n" + "\n".join(help_line(c) for c in COMMANDS if c.usage or c.help)


# --- buttons and a typed answer ----------------------------------------------------------


def press(ctx: Context, msg: Message, parts: list[str], state: UserState) -> list[Reply]:
    if not allowed(ctx, msg):
        return [Reply(REFUSED)]
    action, ticket = parts[0] if parts else "", parts[1] if len(parts) > 1 else ""
    if action == STAFF_VIEW:
        return [view(ctx, ticket)]
    if action == STAFF_STATUS and len(parts) > 2:
        return [set_status(ctx, ticket, parts[2], _actor(msg))]
    if action == STAFF_ANSWER:
        state["staff_answer"] = ticket
        return [Reply(f"Gõ nội dung trả lời cho {ticket} (gõ /huy để thôi).")]
    if action == STAFF_EXPORT:
        return [export(ctx, "")]
    return [Reply("Lựa chọn này đã cũ.")]


BUTTONS: dict[str, ButtonHandler] = {STAFF: press}


def typed_answer(ctx: Context, msg: Message, text: str, state: UserState) -> list[Reply]:
    ticket = state.pop("staff_answer")
    if not allowed(ctx, msg):
        return [Reply(REFUSED)]
    return [answer_reply(ctx, ticket, text, _actor(msg))]


# --- screens -----------------------------------------------------------------------------


def listing(ctx: Context, statuses: list[str] | None) -> Reply:
    rows = ctx.storage.list_feedback(status=statuses)[-20:]
    if not rows:
        return Reply("Không có phản ánh nào cần xử lý.")
    lines = [f"{len(rows)} phản ánh (mới nhất cuối):"]
    for row in rows:
        lines.append(f"• {row['ticket']} · {STATUSES[row['status']]} · "
                     f"{CATEGORIES.get(row['category'], row['category'])}: {row['text'][:60]}")
    return Reply("\n".join(lines), [
        Option(row["ticket"], data(STAFF, STAFF_VIEW, row["ticket"])) for row in rows[-6:]])


def view(ctx: Context, ticket: str) -> Reply:
    row = ctx.storage.get_feedback(ticket)
    if row is None:
        return Reply(f"Không có phản ánh {ticket[:30]}.")
    when = reports.local(row["at"]).strftime("%d/%m/%Y %H:%M")
    lines = [f"Phản ánh {row['ticket']} ({when}, {reports.CHANNELS.get(row['channel'])})",
             f"Loại: {CATEGORIES.get(row['category'], row['category'])}",
             f"Trạng thái: {STATUSES[row['status']]}"]
    entry = ctx.knowledge.entries.get(row.get("procedure_id") or "")
    if entry:
        lines.append(f"Thủ tục: {entry.title}")
    lines.append(f"Nội dung: {row['text']}")
    if row.get("phone"):
        lines.append(f"Số điện thoại (người dân đồng ý cung cấp): {row['phone']}")
    if row.get("answer"):
        lines.append(f"Đã trả lời: {row['answer']}")
    t = row["ticket"]
    return Reply("\n".join(lines), [
        Option("✍️ Trả lời", data(STAFF, STAFF_ANSWER, t)),
        Option("Đang xử lý", data(STAFF, STAFF_STATUS, t, "in_progress")),
        Option("Đóng", data(STAFF, STAFF_STATUS, t, "closed"))])


def answer_reply(ctx: Context, ticket: str, answer: str, actor: str) -> Reply:
    try:
        row = ctx.storage.answer_feedback(ticket.upper(), answer.strip(), actor)
    except KeyError:
        return Reply(f"Không có phản ánh {ticket[:30]}.")
    delivered = "sẽ được gửi tới người dân" if row["user_id"] else \
        "đã lưu (người dân đã xóa liên kết tài khoản nên không gửi được)"
    return Reply(f"Đã trả lời {row['ticket']}; câu trả lời {delivered}.")


def set_status(ctx: Context, ticket: str, word: str, actor: str) -> Reply:
    status = STATUS_WORDS.get(word.lower())
    if status is None:
        return Reply("Trạng thái là một trong: moi, dangxuly, datraloi, dong.")
    try:
        row = ctx.storage.set_status(ticket.upper(), status, actor)
    except KeyError:
        return Reply(f"Không có phản ánh {ticket[:30]}.")
    return Reply(f"{row['ticket']}: {STATUSES[status]}.")


def _period(arg: str) -> tuple[str | None, str | None, str]:
    arg = arg.upper()
    if "Q" in arg:
        return reports.period(quarter=arg)
    if "H" in arg:
        return reports.period(half=arg)
    if arg.isdigit():
        return reports.period(year=arg)
    today = dt.datetime.now(reports.VN_TIME)
    return reports.period(quarter=f"{today.year}Q{(today.month - 1) // 3 + 1}")


def _period_report(ctx: Context, arg: str, command: str):
    """The report of the period named in ``arg``, or a Reply saying how to name a
    period."""
    try:
        since, until, label = _period(arg)
    except ValueError:
        return Reply(f"Kỳ chưa đúng. Ví dụ: /{command} 2026Q3, /{command} 2026H1, "
                     f"/{command} 2026.")
    return reports.collect(ctx.storage, ctx.knowledge, since, until, label)


def export(ctx: Context, arg: str) -> Reply:
    found = _period_report(ctx, arg, "xuat")
    if isinstance(found, Reply):
        return found
    stamp = dt.datetime.now(reports.VN_TIME).strftime("%Y%m%d-%H%M%S")
    path = ctx.config.export_dir / f"phan-anh-{stamp}.xlsx"
    workbook.write_xlsx(found, path, summary=True)
    return Reply(f"Tệp Excel phản ánh — {found.label}: {len(found.items)} phản ánh.",
                 document=str(path))


def report(ctx: Context, arg: str) -> Reply:
    found = _period_report(ctx, arg, "baocao")
    if isinstance(found, Reply):
        return found
    return Reply(reports.report_text(found),
                 [Option("📥 Xuất Excel", data(STAFF, STAFF_EXPORT))])
