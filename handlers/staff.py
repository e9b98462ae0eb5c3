"""Staff commands in the chat: list, view, answer, change status, export, report.

Only configured staff ids (``Config.staff``) may use them; anyone else gets the same
short refusal whatever the command or button, so nothing leaks.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from bot import reports
from bot.storage import CATEGORIES, STATUSES
from handlers.types import Message, Option, Reply

if TYPE_CHECKING:
    from handlers.conversation import Conversation

COMMANDS = {"canbo", "ds", "xem", "traloi", "trangthai", "xuat", "baocao"}
REFUSED = "Lệnh này chỉ dành cho cán bộ được cấu hình trong bot."
STATUS_WORDS = {"moi": "new", "dangxuly": "in_progress", "xuly": "in_progress",
                "datraloi": "answered", "dong": "closed", **{k: k for k in STATUSES}}
HELP = ("Lệnh cho cán bộ:\n"
        "/ds — phản ánh mới và đang xử lý (/ds tatca: tất cả)\n"
        "/xem <mã> — xem chi tiết\n"
        "/traloi <mã> <nội dung> — trả lời, gửi về cho người dân\n"
        "/trangthai <mã> moi|dangxuly|datraloi|dong\n"
        "/xuat [2026Q3] — xuất Excel\n"
        "/baocao [2026Q3 | 2026H1 | 2026] — báo cáo tổng hợp")


def allowed(conv: Conversation, msg: Message) -> bool:
    return conv.config.is_staff(msg.channel, msg.user_id)


def command(conv: Conversation, msg: Message, name: str, arg: str, state: dict[str, Any]
            ) -> list[Reply]:
    if not allowed(conv, msg):
        return [Reply(REFUSED)]
    actor = f"{msg.channel}:{msg.user_id}"
    if name == "canbo":
        return [Reply(HELP)]
    if name == "ds":
        statuses = None if arg.strip() == "tatca" else ["new", "in_progress"]
        return [listing(conv, statuses)]
    if name == "xem":
        return [view(conv, arg)]
    if name == "traloi":
        ticket, _, answer = arg.strip().partition(" ")
        if not answer.strip():
            state["staff_answer"] = ticket.upper()
            return [Reply(f"Gõ nội dung trả lời cho {ticket.upper()} (gõ /huy để thôi).")]
        return [answer_reply(conv, ticket, answer, actor)]
    if name == "trangthai":
        ticket, _, word = arg.strip().partition(" ")
        return [set_status(conv, ticket, word.strip(), actor)]
    if name == "xuat":
        return [export(conv, arg.strip())]
    return [report(conv, arg.strip())]


def press(conv: Conversation, msg: Message, parts: list[str], state: dict[str, Any]
          ) -> list[Reply]:
    if not allowed(conv, msg):
        return [Reply(REFUSED)]
    actor = f"{msg.channel}:{msg.user_id}"
    action, ticket = parts[0] if parts else "", parts[1] if len(parts) > 1 else ""
    if action == "v":
        return [view(conv, ticket)]
    if action == "st" and len(parts) > 2:
        return [set_status(conv, ticket, parts[2], actor)]
    if action == "a":
        state["staff_answer"] = ticket
        return [Reply(f"Gõ nội dung trả lời cho {ticket} (gõ /huy để thôi).")]
    if action == "x":
        return [export(conv, "")]
    return [Reply("Lựa chọn này đã cũ.")]


def typed_answer(conv: Conversation, msg: Message, text: str, state: dict[str, Any]
                 ) -> list[Reply]:
    ticket = state.pop("staff_answer")
    if not allowed(conv, msg):
        return [Reply(REFUSED)]
    return [answer_reply(conv, ticket, text, f"{msg.channel}:{msg.user_id}")]


def listing(conv: Conversation, statuses: list[str] | None) -> Reply:
    rows = conv.storage.list_feedback(status=statuses)[-20:]
    if not rows:
        return Reply("Không có phản ánh nào cần xử lý.")
    lines = [f"{len(rows)} phản ánh (mới nhất cuối):"]
    for row in rows:
        lines.append(f"• {row['ticket']} · {STATUSES[row['status']]} · "
                     f"{CATEGORIES.get(row['category'], row['category'])}: {row['text'][:60]}")
    return Reply("\n".join(lines), [Option(row["ticket"], f"s:v:{row['ticket']}")
                                    for row in rows[-6:]])


def view(conv: Conversation, ticket: str) -> Reply:
    row = conv.storage.get_feedback(ticket)
    if row is None:
        return Reply(f"Không có phản ánh {ticket[:30]}.")
    when = reports.local(row["at"]).strftime("%d/%m/%Y %H:%M")
    lines = [f"Phản ánh {row['ticket']} ({when}, {reports.CHANNELS.get(row['channel'])})",
             f"Loại: {CATEGORIES.get(row['category'], row['category'])}",
             f"Trạng thái: {STATUSES[row['status']]}"]
    entry = conv.knowledge.entries.get(row.get("procedure_id") or "")
    if entry:
        lines.append(f"Thủ tục: {entry.title}")
    lines.append(f"Nội dung: {row['text']}")
    if row.get("phone"):
        lines.append(f"Số điện thoại (người dân đồng ý cung cấp): {row['phone']}")
    if row.get("answer"):
        lines.append(f"Đã trả lời: {row['answer']}")
    t = row["ticket"]
    return Reply("\n".join(lines), [Option("✍️ Trả lời", f"s:a:{t}"),
                                    Option("Đang xử lý", f"s:st:{t}:in_progress"),
                                    Option("Đóng", f"s:st:{t}:closed")])


def answer_reply(conv: Conversation, ticket: str, answer: str, actor: str) -> Reply:
    try:
        row = conv.storage.answer_feedback(ticket.upper(), answer.strip(), actor)
    except KeyError:
        return Reply(f"Không có phản ánh {ticket[:30]}.")
    delivered = "sẽ được gửi tới người dân" if row["user_id"] else \
        "đã lưu (người dân đã xóa liên kết tài khoản nên không gửi được)"
    return Reply(f"Đã trả lời {row['ticket']}; câu trả lời {delivered}.")


def set_status(conv: Conversation, ticket: str, word: str, actor: str) -> Reply:
    status = STATUS_WORDS.get(word.lower())
    if status is None:
        return Reply("Trạng thái là một trong: moi, dangxuly, datraloi, dong.")
    try:
        row = conv.storage.set_status(ticket.upper(), status, actor)
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


def _period_summary(conv: Conversation, arg: str, command: str):
    """The feedback of the period named in ``arg`` and its summary, or a Reply saying
    how to name a period."""
    try:
        since, until, label = _period(arg)
    except ValueError:
        return Reply(f"Kỳ chưa đúng. Ví dụ: /{command} 2026Q3, /{command} 2026H1, "
                     f"/{command} 2026.")
    rows = conv.storage.list_feedback(since=since, until=until)
    return rows, reports.summarize(rows, conv.knowledge.deadline_days, label)


def export(conv: Conversation, arg: str) -> Reply:
    found = _period_summary(conv, arg, "xuat")
    if isinstance(found, Reply):
        return found
    rows, summary = found
    stamp = dt.datetime.now(reports.VN_TIME).strftime("%Y%m%d-%H%M%S")
    path = conv.config.export_dir / f"phan-anh-{stamp}.xlsx"
    reports.write_xlsx(rows, path, summary=summary)
    return Reply(f"Tệp Excel phản ánh — {summary['label']}: {len(rows)} phản ánh.",
                 document=str(path))


def report(conv: Conversation, arg: str) -> Reply:
    found = _period_summary(conv, arg, "baocao")
    if isinstance(found, Reply):
        return found
    return Reply(reports.format_summary(found[1]), [Option("📥 Xuất Excel", "s:x")])
