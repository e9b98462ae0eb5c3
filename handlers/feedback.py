"""The citizen's side of feedback (phản ánh, kiến nghị).

category → text → the procedure it concerns (offered from the text, optional) →
phone number only with explicit consent → summary → confirm → a ticket number, given
only after the write is committed. State lives in SQLite, so a restart in the middle
loses nothing; /huy cancels at any step.

The flow is the table ``STEPS`` (as ``states={...}`` in python-telegram-bot's
conversationbot.py): for each step, what a typed message does and which buttons work
there. Each of those returns the next step and the replies; None stays at the step,
``END`` closes the flow. The step names are kept in users' state, so a feedback someone
is halfway through survives an upgrade: never rename one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Callable

from bot.storage import VN_TIME, StorageError
from bot.vocab import CATEGORIES, status_label
from bot.text import fold, mask_personal
from handlers.callbacks import (FB_ASK, FB_CANCEL, FB_CATEGORY, FB_DELETE, FB_EDIT, FB_PHONE,
                                FB_PROCEDURE, FB_RESUME, FB_SEND, FEEDBACK, STAFF, STAFF_STATUS,
                                STAFF_VIEW, data)
from handlers.cards import MENU
from handlers.context import ButtonHandler, Command, Context
from handlers.state import FeedbackState, UserState
from handlers.types import Message, Option, Reply

CANCEL_HINT = "Gõ “hủy” (hoặc /huy) nếu muốn dừng."
_PHONE = re.compile(r"^(?:\+?84|0)\d{9,10}$")
YES = {"co", "co a", "dong y", "ok", "yes", "1"}
NO = {"khong", "ko", "k", "thoi", "no", "khong can", "khong can a", "thoi khong can",
      "khong de lai", "khong muon"}
FLOW = "feedback"  # state["flow"] while a feedback is under way
ASK_CATEGORY = "hoi-dap"  # a question forwarded to staff
END = "end"  # the next "step" that closes the flow

# (next step, or None to stay; replies)
Moved = tuple[str | None, list[Reply]]
# A step's handler gets the typed text, or the value of the button pressed ("fb:p:yes").
StepHandler = Callable[[Context, Message, str, UserState], Moved]


@dataclass(frozen=True)
class Step:
    typed: StepHandler  # what a typed message does
    buttons: dict[str, StepHandler] = field(default_factory=dict)  # action -> handler


def _categories() -> list[Option]:
    # a question for staff ("hỏi cán bộ") is a kind of its own, not a category to pick
    return [Option(label, data(FEEDBACK, FB_CATEGORY, key)) for key, label in CATEGORIES.items()
            if key != ASK_CATEGORY]


def _no_phone() -> Option:
    return Option("Không để lại", data(FEEDBACK, FB_PHONE, "no"))


def _old_choice() -> Reply:
    return Reply("Lựa chọn này đã cũ. Gõ /phananh để bắt đầu lại.", [MENU])


# --- starting ----------------------------------------------------------------------------


def start(ctx: Context, msg: Message, state: UserState, category: str | None = None
          ) -> list[Reply]:
    """A new feedback: its category asked, or already chosen from the citizen's words."""
    today = dt.datetime.now(VN_TIME).replace(hour=0, minute=0, second=0, microsecond=0)
    sent = ctx.storage.count_feedback_since(msg.channel, msg.user_id,
                                            today.astimezone(dt.timezone.utc).isoformat())
    if sent >= ctx.config.feedback_per_day:
        return [Reply(f"Hôm nay bạn đã gửi {sent} phản ánh, đủ mức tối đa trong một ngày. "
                      f"Bạn gửi tiếp vào ngày mai, hoặc gọi tổng đài {ctx.knowledge.hotline} nếu "
                      "việc gấp nhé.", [MENU])]
    state["flow"] = FLOW
    state["fb"] = {"step": "category", "draft": secrets.token_hex(8)}
    if category in CATEGORIES:
        return _move(state, chose_category(ctx, msg, category, state))
    return [Reply("Bạn muốn phản ánh, kiến nghị về việc gì? " + CANCEL_HINT, _categories())]


def ask_staff(ctx: Context, msg: Message, state: UserState) -> list[Reply]:
    """"Hỏi cán bộ": the question the bot could not answer goes to staff as a ticket of
    its own kind (hoi-dap); their answer comes back on this channel like any other."""
    asked = state.pop("asked", None)
    replies = start(ctx, msg, state, ASK_CATEGORY)
    if state.get("flow") != FLOW:
        return replies  # the daily cap
    if not asked:
        return [Reply("Bạn gõ câu hỏi muốn gửi cán bộ nhé: việc gì, ở đâu, thủ tục nào (nếu "
                      "có). " + CANCEL_HINT)]
    lead = Reply(f"Mình sẽ chuyển câu hỏi này cho cán bộ: “{asked[:300]}”")
    return [lead, *_move(state, got_text(ctx, msg, asked, state))]


def resume(ctx: Context, msg: Message, value: str, state: UserState) -> Moved:
    """Back to the step under way (after a question asked in the middle)."""
    step = (state.get("fb") or {}).get("step")
    if step == "text":
        return None, [Reply("Bạn mô tả nội dung phản ánh nhé. " + CANCEL_HINT)]
    if step == "phone":
        return chose_phone(ctx, msg, "yes", state)
    return STEPS.get(step, UNKNOWN_STEP).typed(ctx, msg, "", state)


def answers_no(text: str, state: UserState) -> bool:
    """At the steps that ask about a phone number, "không cần", "thôi" are the answer
    (no phone), not a wish to drop the feedback."""
    return state.get("flow") == FLOW and (state.get("fb") or {}).get("step") in \
        ("consent", "phone") and fold(text) in NO


def question_in_flow(ctx: Context, text: str, state: UserState) -> bool:
    """Is a message typed in the middle of a feedback a question of its own? Not at the
    step where the citizen describes the matter (anything goes there), nor a yes/no or a
    phone number; elsewhere, a message the matcher answers with confidence."""
    step = (state.get("fb") or {}).get("step")
    words = fold(text)
    if step == "text" or words in YES | NO or _PHONE.match(re.sub(r"[\s.\-()]", "", text)):
        return False
    return ctx.matcher.match(text).status == "answer"


def leave(ctx: Context, msg: Message, value: str, state: UserState) -> Moved:
    return END, [Reply("Đã hủy phản ánh đang soạn. Bạn có thể hỏi tiếp hoặc mở menu.", [MENU])]


def paused(ctx: Context, replies: list[Reply]) -> list[Reply]:
    """A question answered in the middle of a feedback: the answer, and the way back."""
    last = replies[-1]
    last.options = [*[o for o in last.options if o is not MENU][:3],
                    Option("↩ Tiếp tục gửi phản ánh", data(FEEDBACK, FB_RESUME)),
                    Option("✖ Hủy phản ánh", data(FEEDBACK, FB_CANCEL))]
    last.text += "\n\n(Bạn đang gửi dở một phản ánh: bấm tiếp tục hoặc hủy.)"
    return replies


# --- the steps -----------------------------------------------------------------------------


def ask_category(ctx: Context, msg: Message, text: str, state: UserState) -> Moved:
    return None, [Reply("Bạn chọn loại phản ánh bằng các lựa chọn bên dưới nhé. " + CANCEL_HINT,
                        _categories())]


def chose_category(ctx: Context, msg: Message, value: str, state: UserState) -> Moved:
    if value not in CATEGORIES:
        return None, [_old_choice()]
    fb = state.get("fb") or {}
    fb["category"] = value
    state["fb"] = fb
    return "text", [Reply(f"Bạn đã chọn: {CATEGORIES[value]}.\n\nHãy mô tả nội dung: việc gì, ở "
                          "đâu, khi nào, thủ tục nào (nếu có). " + CANCEL_HINT)]


def got_text(ctx: Context, msg: Message, text: str, state: UserState) -> Moved:
    if len(text.strip()) < 10:
        return None, [Reply("Nội dung hơi ngắn. Bạn mô tả rõ hơn một chút giúp mình nhé. "
                            + CANCEL_HINT)]
    state["fb"]["text"] = text.strip()[:3000]
    return _offer_procedures(ctx, state["fb"])


def ask_procedure(ctx: Context, msg: Message, text: str, state: UserState) -> Moved:
    return _offer_procedures(ctx, state["fb"], again=True)


def chose_procedure(ctx: Context, msg: Message, value: str, state: UserState) -> Moved:
    entry = ctx.knowledge.entries.get(value)  # "-": none in particular
    state["fb"]["procedure"] = entry.id if entry else None
    return "consent", [_consent()]


def got_consent(ctx: Context, msg: Message, text: str, state: UserState) -> Moved:
    answer = fold(text)
    if answer in YES:
        return chose_phone(ctx, msg, "yes", state)
    if answer in NO:
        return chose_phone(ctx, msg, "no", state)
    return "consent", [_consent()]


def chose_phone(ctx: Context, msg: Message, value: str, state: UserState) -> Moved:
    if value == "yes":
        return "phone", [Reply("Bạn gõ số điện thoại để cán bộ liên hệ (chỉ dùng để trả lời "
                               "phản ánh này; xóa bất cứ lúc nào bằng /xoadulieu).",
                               [_no_phone()])]
    state["fb"].pop("phone", None)
    return "confirm", [_summary(ctx, state["fb"])]


def got_phone(ctx: Context, msg: Message, text: str, state: UserState) -> Moved:
    phone = re.sub(r"[\s.\-()]", "", text)
    if not _PHONE.match(phone):
        return None, [Reply("Số điện thoại chưa đúng (ví dụ 0912345678). Bạn gõ lại, hoặc "
                            "chọn không để lại số.", [_no_phone()])]
    state["fb"]["phone"] = phone
    return "confirm", [_summary(ctx, state["fb"])]


def show_summary(ctx: Context, msg: Message, text: str, state: UserState) -> Moved:
    return "confirm", [_summary(ctx, state["fb"])]


def send(ctx: Context, msg: Message, value: str, state: UserState) -> Moved:
    """Save; the ticket number is given only once the write is committed."""
    fb = state["fb"]
    try:
        ticket = ctx.storage.add_feedback(
            msg.channel, msg.user_id, fb["category"], fb["text"], fb.get("phone"),
            fb.get("procedure"), notify=staff_notice(ctx, fb), draft=draft_key(fb))
    except StorageError:
        return None, [Reply("Xin lỗi, hệ thống chưa lưu được phản ánh của bạn nên chưa thể xác "
                            "nhận. Bạn bấm Gửi lại sau ít phút, hoặc gọi tổng đài "
                            f"{ctx.knowledge.hotline}.",
                            [Option("✅ Gửi lại", data(FEEDBACK, FB_SEND))])]
    days = ctx.knowledge.deadline_days
    return END, [Reply(f"Đã tiếp nhận phản ánh của bạn. Mã phản ánh: {ticket}\n\n"
                       f"Cán bộ sẽ xem xét và trả lời trong khoảng {days} ngày làm việc; câu "
                       f"trả lời sẽ gửi về đây. Xem tình trạng: /tracuu {ticket}", [MENU])]


def draft_key(fb: FeedbackState) -> str:
    """What a "Gửi" files: the draft's id and a digest of what it says, so that pressing
    "Gửi" again on the same draft (after a crash between the commit and the saving of
    the flow's end) finds the ticket already filed, while a draft edited since files
    what it says now. A draft started before drafts had ids is named by its content."""
    content = json.dumps([fb.get(k) for k in ("category", "text", "procedure", "phone")],
                         ensure_ascii=False)
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return f"{fb.get('draft') or 'old'}:{digest}"


def edit(ctx: Context, msg: Message, value: str, state: UserState) -> Moved:
    return "text", [Reply("Bạn gõ lại nội dung phản ánh nhé. " + CANCEL_HINT)]


STEPS: dict[str, Step] = {
    "category": Step(typed=ask_category),
    "text": Step(typed=got_text),
    "procedure": Step(typed=ask_procedure, buttons={FB_PROCEDURE: chose_procedure}),
    "consent": Step(typed=got_consent, buttons={FB_PHONE: chose_phone}),
    "phone": Step(typed=got_phone, buttons={FB_PHONE: chose_phone}),
    "confirm": Step(typed=show_summary, buttons={FB_PHONE: chose_phone, FB_SEND: send}),
}
AT_ANY_STEP = {FB_CATEGORY: chose_category, FB_EDIT: edit, FB_RESUME: resume,
               FB_CANCEL: leave}
UNKNOWN_STEP = STEPS["confirm"]  # a step this version does not know: show the summary


def typed(ctx: Context, msg: Message, text: str, state: UserState) -> list[Reply]:
    """A typed message in the middle of a feedback."""
    fb = state.setdefault("fb", {"step": "category", "draft": secrets.token_hex(8)})
    step = STEPS.get(fb.get("step"), UNKNOWN_STEP)
    return _move(state, step.typed(ctx, msg, text, state))


def press(ctx: Context, msg: Message, parts: list[str], state: UserState) -> list[Reply]:
    """fb, fb:<action>[:<value>]: start, a step's button, or the data deletion."""
    action, value = (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")
    if (not parts or action == FB_ASK) and state.get("flow") == FLOW:
        # an old "Gửi phản ánh" / "Hỏi cán bộ" button: the draft under way is kept
        return paused(ctx, [Reply("Bạn đang gửi dở một phản ánh; gửi xong hoặc hủy rồi mới "
                                  "bắt đầu việc mới được.")])
    if not parts:
        return start(ctx, msg, state)
    if action == FB_DELETE:
        return _delete(ctx, msg, value, state)
    if action == FB_ASK:
        return ask_staff(ctx, msg, state)
    if state.get("flow") != FLOW and action == FB_CATEGORY and value in CATEGORIES:
        return start(ctx, msg, state, value)  # "Gửi phản ánh" under a complaint
    if state.get("flow") != FLOW:
        return [Reply("Phiên gửi phản ánh này đã kết thúc. Xem phản ánh đã gửi: /tracuu. "
                      "Gửi phản ánh mới: /phananh", [MENU])]
    step = STEPS.get((state.get("fb") or {}).get("step"))
    handler = {**AT_ANY_STEP, **(step.buttons if step else {})}.get(action)
    if handler is None:
        return [_old_choice()]
    return _move(state, handler(ctx, msg, value, state))


def _move(state: UserState, moved: Moved) -> list[Reply]:
    next_step, replies = moved
    if next_step == END:
        state.pop("flow", None)
        state.pop("fb", None)
    elif next_step is not None and state.get("fb"):
        state["fb"]["step"] = next_step
    return replies


# --- what the steps show -----------------------------------------------------------------


# The ranking model's probability among procedures alone (``Matcher.procedures``) from
# which a procedure is offered; "Không liên quan thủ tục cụ thể" is always offered, so a
# wrong offer costs one tap.
OFFER_AT = 0.1


def _offer_procedures(ctx: Context, fb: FeedbackState, again: bool = False) -> Moved:
    """Offer the procedures the text seems to be about; skip when none fits."""
    options = [Option(h.entry.title, data(FEEDBACK, FB_PROCEDURE, h.entry.id))
               for h in ctx.matcher.procedures(fb["text"]) if h.score >= OFFER_AT][:3]
    if not options:
        fb["procedure"] = None
        return "consent", [_consent()]
    options.append(Option("Không liên quan thủ tục cụ thể", data(FEEDBACK, FB_PROCEDURE, "-")))
    lead = "Bạn chọn một mục giúp mình nhé." if again else \
        "Phản ánh này liên quan đến thủ tục nào?"
    return "procedure", [Reply(lead, options)]


def _consent() -> Reply:
    return Reply("Bạn có muốn để lại số điện thoại để cán bộ liên hệ không? Không bắt buộc; "
                 "câu trả lời luôn được gửi về đây.",
                 [Option("Có, để lại số", data(FEEDBACK, FB_PHONE, "yes")), _no_phone()])


def _summary(ctx: Context, fb: FeedbackState) -> Reply:
    lines = ["Bạn kiểm tra lại trước khi gửi:", f"• Loại: {CATEGORIES[fb['category']]}"]
    entry = ctx.knowledge.entries.get(fb.get("procedure") or "")
    if entry:
        lines.append(f"• Thủ tục: {entry.title}")
    lines.append(f"• Nội dung: {fb['text']}")
    if fb.get("phone"):
        lines.append(f"• Số điện thoại: {fb['phone']}")
    return Reply("\n".join(lines), [Option("✅ Gửi", data(FEEDBACK, FB_SEND)),
                                    Option("✏️ Sửa nội dung", data(FEEDBACK, FB_EDIT))])


def staff_notice(ctx: Context, fb: FeedbackState):
    """Messages for the staff chats, queued in the same transaction as the feedback."""
    def notice(ticket: str) -> list[tuple[str, str, str, list[dict[str, str]]]]:
        kind = "❓ Câu hỏi mới" if fb["category"] == ASK_CATEGORY else "📣 Phản ánh mới"
        text = (f"{kind} {ticket}\nLoại: {CATEGORIES[fb['category']]}\n"
                f"Nội dung: {fb['text'][:500]}")
        options = [{"label": "Xem", "data": data(STAFF, STAFF_VIEW, ticket)},
                   {"label": "Đang xử lý", "data": data(STAFF, STAFF_STATUS, ticket,
                                                        "in_progress")}]
        return [(*chat.split(":", 1), text, options) for chat in sorted(ctx.config.staff_chats)]
    return notice


# --- the citizen's commands ----------------------------------------------------------------


def start_command(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    return start(ctx, msg, state)


def look_up(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    """/tracuu: the citizen's own feedback; /tracuu <mã>: one of them."""
    ticket = arg.upper().strip()
    if not ticket:
        mine = ctx.storage.feedback_of(msg.channel, msg.user_id)
        if not mine:
            return [Reply("Bạn chưa gửi phản ánh nào từ tài khoản này. Gửi mới: /phananh",
                          [MENU])]
        lines = ["Phản ánh bạn đã gửi:"] + [
            f"• {row['ticket']} — {status_label(row['status'])}"
            for row in mine[:10]]
        lines.append("Xem chi tiết: /tracuu <mã phản ánh>")
        return [Reply("\n".join(lines), [MENU])]
    row = ctx.storage.get_feedback(ticket)
    if row is None or row["channel"] != msg.channel or row["user_id"] != msg.user_id:
        return [Reply(f"Không tìm thấy phản ánh {mask_personal(ticket)[:40]} trong các phản ánh "
                      "bạn đã gửi từ tài khoản này. Bạn kiểm tra lại mã nhé.", [MENU])]
    lines = [f"Phản ánh {row['ticket']}", f"Tình trạng: {status_label(row['status'])}",
             f"Nội dung: {row['text']}"]
    if row.get("answer"):
        lines.append(f"Trả lời của cán bộ: {row['answer']}")
    return [Reply("\n".join(lines), [MENU])]


def ask_delete(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    return [Reply("Bạn muốn xóa số điện thoại và liên kết giữa tài khoản chat này với các "
                  "phản ánh đã gửi? Nội dung phản ánh được giữ lại ẩn danh để thống kê. "
                  "Sau khi xóa, bạn sẽ không tra cứu được các phản ánh cũ.",
                  [Option("🗑 Xóa dữ liệu của tôi", data(FEEDBACK, FB_DELETE, "yes")),
                   Option("Không xóa", data(FEEDBACK, FB_DELETE, "no"))])]


def _delete(ctx: Context, msg: Message, value: str, state: UserState) -> list[Reply]:
    if value != "yes":
        return [Reply("Đã giữ nguyên dữ liệu của bạn.", [MENU])]
    count = ctx.storage.forget_user(msg.channel, msg.user_id)
    state.clear()
    return [Reply(f"Đã xóa số điện thoại và liên kết tài khoản với {count} phản ánh. "
                  "Nội dung phản ánh được giữ ẩn danh để thống kê.", [MENU])]


COMMANDS = [
    Command("phananh", start_command, "Gửi phản ánh, kiến nghị", aliases=("gopy",), order=3,
            welcome="gửi phản ánh, kiến nghị", suggested=True),
    Command("tracuu", look_up, "Xem phản ánh đã gửi", order=4,
            welcome="xem phản ánh đã gửi", suggested=True),
    Command("xoadulieu", ask_delete, "Xóa dữ liệu cá nhân của bạn", order=7),
]
BUTTONS: dict[str, ButtonHandler] = {FEEDBACK: press}
