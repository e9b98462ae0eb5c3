"""Staff commands in the chat: list, view, answer, change status, export, report.

Only configured staff ids (``Config.staff``) may use them; anyone else gets the same
short refusal whatever the command or button, so nothing leaks. The router refuses
the commands (``Command.staff``); the buttons and a typed answer check here.
"""

from __future__ import annotations

import datetime as dt
import secrets

from bot import reports, vocab, workbook
from bot.storage import answer_message, meaningful
from bot.text import fold
from handlers.callbacks import (STAFF, STAFF_ANSWER, STAFF_DROP, STAFF_EDIT, STAFF_EXPORT,
                                STAFF_SEND, STAFF_STATUS, STAFF_VIEW, data)
from handlers.context import ButtonHandler, Command, Context
from handlers.state import UserState
from handlers.types import Message, Option, Reply

REFUSED = "Lệnh này chỉ dành cho cán bộ được cấu hình trong bot."
OPEN = ["new", "in_progress"]
ALL_WORDS = {"tatca", "all"}


def allowed(ctx: Context, msg: Message) -> bool:
    return ctx.config.is_staff(msg.channel, msg.user_id)


def _actor(msg: Message) -> str:
    return f"{msg.channel}:{msg.user_id}"


def _not_found(ticket: str) -> Reply:
    return Reply(f"Không có phản ánh {ticket[:30]}.")


# --- what a staff member has under way (kept in their state) -----------------------------


def waiting(state: UserState) -> bool:
    """Is the next typed message an answer or a closing reason?"""
    return bool(state.get("staff_answer") or state.get("staff_close"))


def drop(state: UserState) -> bool:
    """/huy: forget an answer being typed or previewed and a reason being typed; True
    when there was one."""
    return any([state.pop("staff_answer", None), state.pop("staff_preview", None),
                state.pop("staff_close", None)])


# --- commands --------------------------------------------------------------------------


def show_help(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    return [Reply(HELP)]


def list_open(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    """/ds: open feedback; /ds tatca: all; /ds <trạng thái>; /ds <loại>: its open ones."""
    word = arg.strip()
    if not word:
        return [listing(ctx, OPEN)]
    if fold(word).replace(" ", "") in ALL_WORDS:
        return [listing(ctx, None)]
    try:
        return [listing(ctx, [vocab.parse_status(word)])]
    except vocab.UnknownStatus:
        pass
    try:
        return [listing(ctx, OPEN, vocab.parse_category(word))]
    except vocab.UnknownCategory:
        return [Reply(f"Không có trạng thái hay loại “{word[:40]}”.\n{vocab.status_choices()}\n"
                      f"{vocab.category_choices()}\nTất cả: /ds tatca")]


def view_one(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    return [view(ctx, arg)]


def answer_ticket(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    """/traloi <mã> <nội dung>; without the text, the next message is the answer. Either
    way the answer is previewed and sent only when confirmed."""
    ticket, _, text = arg.strip().partition(" ")
    ticket = ticket.upper()
    if not ticket:
        return [Reply("Gõ /traloi <mã phản ánh> <nội dung trả lời>.")]
    if ctx.storage.get_feedback(ticket) is None:
        return [_not_found(ticket)]
    if not text.strip():
        return [ask_answer(state, ticket)]
    return [preview(ctx, state, ticket, text)]


def change_status(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    """/trangthai <mã> <trạng thái> [lý do]; closing without a reason asks for one."""
    ticket, _, rest = arg.strip().partition(" ")
    words = rest.split()
    for count in range(min(3, len(words)), 0, -1):  # "đã đóng", "đang xử lý", "dong"
        try:
            status = vocab.parse_status(" ".join(words[:count]))
        except vocab.UnknownStatus:
            continue
        return [set_status(ctx, state, ticket, status, _actor(msg),
                           " ".join(words[count:]))]
    if not ticket or not words:
        return [Reply("Gõ /trangthai <mã phản ánh> <trạng thái> [lý do]. "
                      + vocab.status_choices())]
    return [Reply(f"Không có trạng thái “{rest.strip()[:40]}”. {vocab.status_choices()}")]


def export_period(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    return [export(ctx, arg.strip())]


def report_period(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    return [report(ctx, arg.strip())]


COMMANDS = [
    Command("ds", list_open, "Cán bộ: phản ánh cần xử lý", staff=True,
            help="phản ánh mới và đang xử lý (/ds tatca: tất cả; /ds <trạng thái hoặc loại>)"),
    Command("xem", view_one, "Cán bộ: xem một phản ánh", staff=True,
            usage="<mã>", help="xem chi tiết"),
    Command("traloi", answer_ticket, "Cán bộ: trả lời phản ánh", staff=True,
            usage="<mã> <nội dung>", help="xem trước rồi gửi về cho người dân"),
    Command("trangthai", change_status, "Cán bộ: đổi trạng thái", staff=True,
            usage="<mã> <trạng thái> [lý do]",
            help=", ".join(vocab.STATUS_WORDS.values()) + "; đóng cần lý do"),
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


# --- buttons and typed text ----------------------------------------------------------------


def press(ctx: Context, msg: Message, parts: list[str], state: UserState) -> list[Reply]:
    if not allowed(ctx, msg):
        return [Reply(REFUSED)]
    action, ticket = parts[0] if parts else "", parts[1] if len(parts) > 1 else ""
    if not ticket and action != STAFF_EXPORT:
        return [Reply("Lựa chọn này đã cũ.")]
    if action == STAFF_VIEW:
        return [view(ctx, ticket)]
    if action == STAFF_STATUS and len(parts) > 2:
        status = parts[2] if parts[2] in vocab.STATUSES else ""
        if status:
            return [set_status(ctx, state, ticket, status, _actor(msg))]
    if action == STAFF_ANSWER:
        return [ask_answer(state, ticket)]
    if action == STAFF_SEND and len(parts) > 2:
        return [send(ctx, msg, state, ticket, parts[2])]
    if action == STAFF_EDIT:
        state.pop("staff_preview", None)
        return [ask_answer(state, ticket, again=True)]
    if action == STAFF_DROP:
        if (state.get("staff_preview") or {}).get("ticket") == ticket:
            state.pop("staff_preview")
        return [Reply(f"Đã hủy câu trả lời cho {ticket[:30]}; chưa gửi gì cho người dân.")]
    if action == STAFF_EXPORT:
        return [export(ctx, "")]
    return [Reply("Lựa chọn này đã cũ.")]


BUTTONS: dict[str, ButtonHandler] = {STAFF: press}


def typed(ctx: Context, msg: Message, text: str, state: UserState) -> list[Reply]:
    """The answer or the closing reason a staff member was asked to type."""
    if not allowed(ctx, msg):
        drop(state)
        return [Reply(REFUSED)]
    if state.get("staff_close"):
        ticket = state["staff_close"]
        if meaningful(text) is None:
            return [Reply(f"Lý do trống. Gõ lý do đóng {ticket} (gõ /huy để thôi).")]
        state.pop("staff_close")
        return [set_status(ctx, state, ticket, "closed", _actor(msg), text)]
    ticket = state.pop("staff_answer")
    return [preview(ctx, state, ticket, text)]


# --- screens -----------------------------------------------------------------------------


def listing(ctx: Context, statuses: list[str] | None, category: str | None = None) -> Reply:
    rows = ctx.storage.list_feedback(status=statuses, category=category)[-20:]
    if not rows:
        return Reply("Không có phản ánh nào cần xử lý." if statuses == OPEN and not category
                     else "Không có phản ánh nào như vậy.")
    lines = [f"{len(rows)} phản ánh (mới nhất cuối):"]
    for row in rows:
        lines.append(f"• {row['ticket']} · {vocab.status_label(row['status'])} · "
                     f"{vocab.category_label(row['category'])}: {row['text'][:60]}")
    return Reply("\n".join(lines), [
        Option(row["ticket"], data(STAFF, STAFF_VIEW, row["ticket"])) for row in rows[-6:]])


def view(ctx: Context, ticket: str) -> Reply:
    row = ctx.storage.get_feedback(ticket)
    if row is None:
        return _not_found(ticket)
    when = reports.local(row["at"]).strftime("%d/%m/%Y %H:%M")
    lines = [f"Phản ánh {row['ticket']} ({when}, {reports.CHANNELS.get(row['channel'])})",
             f"Loại: {vocab.category_label(row['category'])}",
             f"Trạng thái: {vocab.status_label(row['status'])}"]
    entry = ctx.knowledge.entries.get(row.get("procedure_id") or "")
    if entry:
        lines.append(f"Thủ tục: {entry.title}")
    lines.append(f"Nội dung: {row['text']}")
    if row.get("phone"):
        lines.append(f"Số điện thoại (người dân đồng ý cung cấp): {row['phone']}")
    answers = ctx.storage.answers(row["ticket"])
    for number, answer in enumerate(answers, 1):
        at = reports.local(answer["at"]).strftime("%d/%m/%Y %H:%M")
        latest = ", người dân thấy câu này" if number == len(answers) > 1 else ""
        lines.append(f"Trả lời {number}/{len(answers)} ({at}{latest}): {answer['text']}")
    for event in ctx.storage.events(row["ticket"], "reason")[-1:]:
        lines.append(f"Lý do đóng: {event['detail']}")
    t = row["ticket"]
    return Reply("\n".join(lines), [
        Option("✍️ Trả lời", data(STAFF, STAFF_ANSWER, t)),
        Option(vocab.status_label("in_progress"), data(STAFF, STAFF_STATUS, t, "in_progress")),
        Option("Đóng", data(STAFF, STAFF_STATUS, t, "closed"))])


def ask_answer(state: UserState, ticket: str, again: bool = False) -> Reply:
    state.pop("staff_close", None)
    state["staff_answer"] = ticket.upper()
    return Reply(f"Gõ {'lại ' if again else ''}nội dung trả lời cho {ticket.upper()[:30]} "
                 "(gõ /huy để thôi).")


def preview(ctx: Context, state: UserState, ticket: str, text: str) -> Reply:
    """The answer exactly as the citizen will receive it, with Gửi / Sửa / Hủy; nothing
    is stored or sent before "Gửi"."""
    row = ctx.storage.get_feedback(ticket)
    if row is None:
        return _not_found(ticket)
    answer = meaningful(text)
    t = row["ticket"]
    if answer is None:
        state["staff_answer"] = t
        return Reply(f"Câu trả lời trống nên chưa gửi gì. Gõ nội dung trả lời cho {t} "
                     "(gõ /huy để thôi).")
    draft = secrets.token_hex(4)
    state["staff_preview"] = {"ticket": t, "text": answer, "draft": draft}
    notes = []
    if row.get("answer"):
        notes.append("Câu này thay câu trả lời trước (câu cũ vẫn lưu trong lịch sử).")
    if not row["user_id"]:
        notes.append("Người dân đã xóa liên kết tài khoản: câu trả lời chỉ được lưu, không "
                     "gửi được.")
    return Reply("\n\n".join(["Xem trước — người dân sẽ nhận được:",
                              answer_message(t, answer), *notes,
                              "Bấm Gửi để gửi, Sửa để gõ lại, Hủy để thôi."]),
                 [Option("✅ Gửi", data(STAFF, STAFF_SEND, t, draft)),
                  Option("✏️ Sửa", data(STAFF, STAFF_EDIT, t)),
                  Option("✖ Hủy", data(STAFF, STAFF_DROP, t))])


def send(ctx: Context, msg: Message, state: UserState, ticket: str, draft: str) -> Reply:
    """"Gửi" under a preview: stored and queued once, however often it is pressed."""
    shown = state.get("staff_preview") or {}
    if ctx.storage.answer_sent(ticket, draft):
        if shown.get("draft") == draft:
            state.pop("staff_preview")
        return Reply(f"Câu trả lời này đã được gửi cho {ticket[:30]}; không gửi lại.")
    if shown.get("ticket") != ticket or shown.get("draft") != draft:
        return Reply("Bản xem trước này đã cũ. Gõ /traloi <mã> để trả lời lại.")
    try:
        row = ctx.storage.answer_feedback(ticket, shown["text"], _actor(msg), draft=draft)
    except KeyError:
        return _not_found(ticket)
    state.pop("staff_preview")
    count = len(ctx.storage.answers(row["ticket"]))
    delivered = "sẽ được gửi tới người dân" if row["user_id"] else \
        "đã lưu (người dân đã xóa liên kết tài khoản nên không gửi được)"
    again = f" (lần {count})" if count > 1 else ""
    return Reply(f"Đã trả lời {row['ticket']}{again}; câu trả lời {delivered}.")


def set_status(ctx: Context, state: UserState, ticket: str, status: str, actor: str,
               reason: str = "") -> Reply:
    """A new status; closing needs a reason, asked for when not given, and sent to the
    citizen with the news."""
    before = ctx.storage.get_feedback(ticket)
    if before is None:
        return _not_found(ticket)
    ticket = before["ticket"]
    if status == "closed" and meaningful(reason) is None:
        state.pop("staff_answer", None)
        state["staff_close"] = ticket
        return Reply(f"Gõ lý do đóng phản ánh {ticket}; người dân sẽ nhận được lý do này "
                     "(gõ /huy để thôi).")
    try:
        row = ctx.storage.set_status(ticket, status, actor, reason)
    except KeyError:
        return _not_found(ticket)
    told = " Đã báo người dân, kèm lý do." if status == "closed" and row["user_id"] and \
        before["status"] != "closed" else ""
    return Reply(f"{row['ticket']}: {vocab.status_label(status)}.{told}")


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
