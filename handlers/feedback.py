"""The citizen's side of feedback (phản ánh, kiến nghị).

category → text → the procedure it concerns (offered from the text, optional) →
phone number only with explicit consent → summary → confirm → a ticket number, given
only after the write is committed. State lives in SQLite, so a restart in the middle
loses nothing; /huy cancels at any step.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from bot.storage import CATEGORIES, STATUSES, VN_TIME, StorageError
from bot.text import fold, mask_personal
from handlers.cards import MENU
from handlers.types import Message, Option, Reply

if TYPE_CHECKING:
    from handlers.conversation import Conversation

CANCEL_HINT = "Gõ /huy nếu muốn dừng."
_PHONE = re.compile(r"^(?:\+?84|0)\d{9,10}$")
YES = {"co", "co a", "dong y", "ok", "yes", "1"}
NO = {"khong", "ko", "k", "thoi", "no", "khong can"}


def _categories() -> list[Option]:
    return [Option(label, f"fb:c:{key}") for key, label in CATEGORIES.items()]


def start(conv: Conversation, msg: Message, state: dict[str, Any]) -> list[Reply]:
    today = dt.datetime.now(VN_TIME).replace(hour=0, minute=0, second=0, microsecond=0)
    sent = conv.storage.count_feedback_since(msg.channel, msg.user_id,
                                             today.astimezone(dt.timezone.utc).isoformat())
    if sent >= conv.config.feedback_per_day:
        return [Reply(f"Hôm nay bạn đã gửi {sent} phản ánh, đủ mức tối đa trong một ngày. "
                      f"Bạn gửi tiếp vào ngày mai, hoặc gọi tổng đài {conv.knowledge.hotline} nếu "
                      "việc gấp nhé.", [MENU])]
    state["flow"] = "feedback"
    state["fb"] = {"step": "category"}
    return [Reply("Bạn muốn phản ánh, kiến nghị về việc gì? " + CANCEL_HINT, _categories())]


def press(conv: Conversation, msg: Message, parts: list[str], state: dict[str, Any]
          ) -> list[Reply]:
    if not parts:
        return start(conv, msg, state)
    action, value = parts[0], (parts[1] if len(parts) > 1 else "")
    if action == "del":
        return _delete(conv, msg, value, state)
    fb = state.get("fb") or {}
    if state.get("flow") != "feedback":
        return [Reply("Phiên gửi phản ánh này đã kết thúc. Gõ /phananh để gửi phản ánh mới.",
                      [MENU])]
    if action == "c" and value in CATEGORIES:
        fb.update(step="text", category=value)
        state["fb"] = fb
        return [Reply(f"Bạn đã chọn: {CATEGORIES[value]}.\n\nHãy mô tả nội dung: việc gì, ở "
                      "đâu, khi nào, thủ tục nào (nếu có). " + CANCEL_HINT)]
    if action == "t" and fb.get("step") == "procedure":
        entry = conv.knowledge.entries.get(value)
        fb["procedure"] = entry.id if entry else None
        return [_consent(fb)]
    if action == "p" and fb.get("step") in ("consent", "phone", "confirm"):
        if value == "yes":
            fb["step"] = "phone"
            return [Reply("Bạn gõ số điện thoại để cán bộ liên hệ (chỉ dùng để trả lời phản "
                          "ánh này; xóa bất cứ lúc nào bằng /xoadulieu).",
                          [Option("Không để lại", "fb:p:no")])]
        fb.pop("phone", None)
        return [_summary(conv, fb)]
    if action == "send" and fb.get("step") == "confirm":
        return _save(conv, msg, fb, state)
    if action == "edit":
        fb["step"] = "text"
        return [Reply("Bạn gõ lại nội dung phản ánh nhé. " + CANCEL_HINT)]
    return [Reply("Lựa chọn này đã cũ. Gõ /phananh để bắt đầu lại.", [MENU])]


def step(conv: Conversation, msg: Message, text: str, state: dict[str, Any]) -> list[Reply]:
    """A typed message in the middle of a feedback."""
    fb = state.setdefault("fb", {"step": "category"})
    current = fb.get("step")
    if current == "category":
        return [Reply("Bạn chọn loại phản ánh bằng các lựa chọn bên dưới nhé. " + CANCEL_HINT,
                      _categories())]
    if current == "text":
        if len(text.strip()) < 10:
            return [Reply("Nội dung hơi ngắn. Bạn mô tả rõ hơn một chút giúp mình nhé. "
                          + CANCEL_HINT)]
        fb["text"] = text.strip()[:3000]
        return [_procedure(conv, fb)]
    if current == "procedure":
        return [_procedure(conv, fb, again=True)]
    if current == "consent":
        answer = fold(text)
        if answer in YES:
            return press(conv, msg, ["p", "yes"], state)
        if answer in NO:
            return press(conv, msg, ["p", "no"], state)
        return [_consent(fb)]
    if current == "phone":
        phone = re.sub(r"[\s.\-()]", "", text)
        if not _PHONE.match(phone):
            return [Reply("Số điện thoại chưa đúng (ví dụ 0912345678). Bạn gõ lại, hoặc "
                          "chọn không để lại số.", [Option("Không để lại", "fb:p:no")])]
        fb["phone"] = phone
        return [_summary(conv, fb)]
    return [_summary(conv, fb)]


def _procedure(conv: Conversation, fb: dict[str, Any], again: bool = False) -> Reply:
    """Offer the procedures the text seems to be about; skip when none fits."""
    fb["step"] = "procedure"
    match = conv.matcher.match(fb["text"])
    options = [Option(h.entry.title, f"fb:t:{h.entry.id}") for h in match.hits
               if h.entry.kind == "procedure" and h.score >= 0.3][:3]
    if not options:
        fb["procedure"] = None
        return _consent(fb)
    options.append(Option("Không liên quan thủ tục cụ thể", "fb:t:-"))
    lead = "Bạn chọn một mục giúp mình nhé." if again else \
        "Phản ánh này liên quan đến thủ tục nào?"
    return Reply(lead, options)


def _consent(fb: dict[str, Any]) -> Reply:
    fb["step"] = "consent"
    return Reply("Bạn có muốn để lại số điện thoại để cán bộ liên hệ không? Không bắt buộc; "
                 "câu trả lời luôn được gửi về đây.",
                 [Option("Có, để lại số", "fb:p:yes"), Option("Không để lại", "fb:p:no")])


def _summary(conv: Conversation, fb: dict[str, Any]) -> Reply:
    fb["step"] = "confirm"
    lines = ["Bạn kiểm tra lại trước khi gửi:", f"• Loại: {CATEGORIES[fb['category']]}"]
    entry = conv.knowledge.entries.get(fb.get("procedure") or "")
    if entry:
        lines.append(f"• Thủ tục: {entry.title}")
    lines.append(f"• Nội dung: {fb['text']}")
    if fb.get("phone"):
        lines.append(f"• Số điện thoại: {fb['phone']}")
    return Reply("\n".join(lines), [Option("✅ Gửi", "fb:send"),
                                    Option("✏️ Sửa nội dung", "fb:edit")])


def _save(conv: Conversation, msg: Message, fb: dict[str, Any], state: dict[str, Any]
          ) -> list[Reply]:
    try:
        ticket = conv.storage.add_feedback(
            msg.channel, msg.user_id, fb["category"], fb["text"], fb.get("phone"),
            fb.get("procedure"), notify=staff_notice(conv, fb))
    except StorageError:
        return [Reply("Xin lỗi, hệ thống chưa lưu được phản ánh của bạn nên chưa thể xác "
                      "nhận. Bạn bấm Gửi lại sau ít phút, hoặc gọi tổng đài "
                      f"{conv.knowledge.hotline}.", [Option("✅ Gửi lại", "fb:send")])]
    state.pop("flow", None)
    state.pop("fb", None)
    days = conv.knowledge.deadline_days
    return [Reply(f"Đã tiếp nhận phản ánh của bạn. Mã phản ánh: {ticket}\n\n"
                  f"Cán bộ sẽ xem xét và trả lời trong khoảng {days} ngày làm việc; câu trả "
                  f"lời sẽ gửi về đây. Xem tình trạng: /tracuu {ticket}", [MENU])]


def staff_notice(conv: Conversation, fb: dict[str, Any]):
    """Messages for the staff chats, queued in the same transaction as the feedback."""
    def notice(ticket: str) -> list[tuple[str, str, str, list[dict[str, str]]]]:
        text = (f"📣 Phản ánh mới {ticket}\nLoại: {CATEGORIES[fb['category']]}\n"
                f"Nội dung: {fb['text'][:500]}")
        options = [{"label": "Xem", "data": f"s:v:{ticket}"},
                   {"label": "Đang xử lý", "data": f"s:st:{ticket}:in_progress"}]
        return [(*chat.split(":", 1), text, options) for chat in sorted(conv.config.staff_chats)]
    return notice


def command(conv: Conversation, msg: Message, name: str, arg: str, state: dict[str, Any]
            ) -> list[Reply]:
    if name == "xoadulieu":
        return [Reply("Bạn muốn xóa số điện thoại và liên kết giữa tài khoản chat này với các "
                      "phản ánh đã gửi? Nội dung phản ánh được giữ lại ẩn danh để thống kê. "
                      "Sau khi xóa, bạn sẽ không tra cứu được các phản ánh cũ.",
                      [Option("🗑 Xóa dữ liệu của tôi", "fb:del:yes"),
                       Option("Không xóa", "fb:del:no")])]
    ticket = arg.upper().strip()
    if not ticket:
        mine = conv.storage.feedback_of(msg.channel, msg.user_id)
        if not mine:
            return [Reply("Bạn chưa gửi phản ánh nào từ tài khoản này. Gửi mới: /phananh",
                          [MENU])]
        lines = ["Phản ánh bạn đã gửi:"] + [
            f"• {row['ticket']} — {STATUSES.get(row['status'], row['status'])}"
            for row in mine[:10]]
        lines.append("Xem chi tiết: /tracuu <mã phản ánh>")
        return [Reply("\n".join(lines), [MENU])]
    row = conv.storage.get_feedback(ticket)
    if row is None or row["channel"] != msg.channel or row["user_id"] != msg.user_id:
        return [Reply(f"Không tìm thấy phản ánh {mask_personal(ticket)[:40]} trong các phản ánh "
                      "bạn đã gửi từ tài khoản này. Bạn kiểm tra lại mã nhé.", [MENU])]
    lines = [f"Phản ánh {row['ticket']}", f"Tình trạng: {STATUSES.get(row['status'])}",
             f"Nội dung: {row['text']}"]
    if row.get("answer"):
        lines.append(f"Trả lời của cán bộ: {row['answer']}")
    return [Reply("\n".join(lines), [MENU])]


def _delete(conv: Conversation, msg: Message, value: str, state: dict[str, Any]
            ) -> list[Reply]:
    if value != "yes":
        return [Reply("Đã giữ nguyên dữ liệu của bạn.", [MENU])]
    count = conv.storage.forget_user(msg.channel, msg.user_id)
    state.clear()
    return [Reply(f"Đã xóa số điện thoại và liên kết tài khoản với {count} phản ánh. "
                  "Nội dung phản ánh được giữ ẩn danh để thống kê.", [MENU])]
