"""The conversation: one message in, replies out, the same on every channel.

``Conversation.handle`` reads like the dialogue it serves:

- something that is not text (sticker, photo…) gets a short, polite note;
- a bare number picks one of the options offered last (for channels without buttons);
- a command (/start, /menu, /phananh…) or a button press does what it names
  (handlers/routes.py: one table of every command and button);
- a citizen in the middle of a feedback goes on with it;
- a greeting gets a greeting; anything else is a question for the matcher.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from bot.config import Config
from bot.knowledge import Knowledge
from bot.matcher import Match, Matcher
from bot.storage import Storage
from bot.text import clean, fold
from handlers import feedback, intents, offices, ratings, routes, screens, staff, topic
from handlers.cards import MENU
from handlers.context import Context
from handlers.state import UserState
from handlers.types import Message, Option, Reply, numbered, pick_hint

log = logging.getLogger(__name__)

# Small talk: a greeting or thanks word with nothing but fillers around it ("chào bot
# nha", "cảm ơn ad nhiều ạ") gets a greeting or a "you're welcome". A word typed with
# diacritics must match exactly ("đã" is not "dạ"); one typed without matches any marks.
GREETINGS = {"chào", "xin chào", "hi", "hello", "helo", "alo", "hey", "start", "bắt đầu"}
THANKS = {"cảm ơn", "cám ơn", "camon", "thanks", "thank", "thank you", "tks", "ok", "oke",
          "okay", "okie", "vâng", "dạ", "ừ", "uh"}
FILLERS = {"bạn", "bot", "ad", "admin", "anh", "chị", "em", "ạ", "a", "à", "nha", "nhé", "nhen",
           "hen", "nhiều", "rất", "lắm", "nè", "mọi", "người", "mn", "cả", "ơi", "you", "so",
           "much", "very", "nghen", "nghe"}
NOT_TEXT = {
    "sticker": "Cảm ơn bạn 😊 Mình chỉ đọc được tin nhắn chữ. Bạn cứ gõ câu hỏi, "
               "ví dụ: “làm giấy khai sinh cần gì”.",
    "photo": "Mình chưa đọc được ảnh. Bạn gõ câu hỏi bằng chữ giúp mình nhé. "
             "Nếu muốn gửi phản ánh kèm ảnh, hãy mô tả bằng chữ qua /phananh.",
    "voice": "Mình chưa nghe được tin nhắn thoại. Bạn gõ câu hỏi bằng chữ giúp mình nhé.",
    "location": "Cảm ơn bạn. Mình chưa dùng được vị trí; bạn gõ tên xã/phường hoặc "
                "câu hỏi của mình nhé.",
    "document": "Mình chưa mở được tệp đính kèm. Bạn gõ câu hỏi bằng chữ giúp mình nhé.",
}
SORRY = ("Xin lỗi, bot vừa gặp trục trặc khi xử lý tin nhắn. Bạn thử gửi lại sau ít phút, "
         "hoặc gõ /menu để bắt đầu lại.")
MAX_CHARS = 4000


class Conversation:
    """One bot on one storage: the messages of every channel go through ``handle``."""

    def __init__(self, knowledge: Knowledge, storage: Storage, matcher: Matcher | None = None,
                 config: Config | None = None):
        self.ctx = Context(knowledge, storage, matcher or Matcher(knowledge),
                           config or Config.load(knowledge))

    @property
    def knowledge(self) -> Knowledge:
        return self.ctx.knowledge

    @property
    def storage(self) -> Storage:
        return self.ctx.storage

    @property
    def matcher(self) -> Matcher:
        return self.ctx.matcher

    @property
    def config(self) -> Config:
        return self.ctx.config

    def replace(self, knowledge: Knowledge, matcher: Matcher) -> None:
        """Serve new knowledge from the next message on (a reload): one new context,
        swapped at once, so no message sees the new knowledge with the old matcher."""
        self.ctx = dataclasses.replace(self.ctx, knowledge=knowledge, matcher=matcher)

    def handle(self, msg: Message) -> list[Reply]:
        ctx = self.ctx  # this message is served from one context to the end
        flood = self._flooding(msg, ctx.config.flood_per_minute)
        if flood is not None:
            return flood
        try:
            state: UserState = ctx.storage.get_state(msg.channel, msg.user_id)
            replies = dispatch(ctx, msg, state)
        except Exception:  # one bad message must never stop the bot
            log.exception("handler failed on a %s message", msg.kind)
            return [Reply(SORRY, [MENU])]
        try:
            choices = numbered(replies[-1].options) if replies else []
            state["options"] = [o.data for o in choices]
            state["labels"] = [o.label for o in choices]  # as shown, to show them again
            state["quick"] = {o.quick: o.data for o in replies[-1].options
                              if o.quick and o.data} if replies else {}
            ctx.storage.set_state(msg.channel, msg.user_id, state)
        except Exception:
            log.exception("could not save conversation state")
        return replies

    def _flooding(self, msg: Message, limit: int) -> list[Reply] | None:
        """Over the per-user limit of messages a minute: one polite note, then silence.
        The count is the storage's: on PostgreSQL every process shares it."""
        sent = self.storage.note_message(msg.channel, msg.user_id)
        if sent == limit + 1:
            return [Reply("Bạn nhắn hơi nhanh. Bạn đợi khoảng một phút rồi gửi tiếp nhé.")]
        return [] if sent > limit else None


def dispatch(ctx: Context, msg: Message, state: UserState) -> list[Reply]:
    if msg.kind not in ("text", "button"):
        return [Reply(NOT_TEXT.get(msg.kind, NOT_TEXT["document"]), [MENU])]
    if msg.data:
        return routes.press(ctx, msg, msg.data, state)
    text = (msg.text or "").strip()
    if not text and staff.waiting(state):
        return staff.typed(ctx, msg, text, state)  # a blank answer: refused there
    if not text:
        return [Reply("Bạn gõ câu hỏi giúp mình nhé, ví dụ: “đăng ký tạm trú cần gì”.",
                      [MENU])]
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
    chosen = picked(text, state)
    if isinstance(chosen, Reply):  # a number that picks nothing: never a question
        return [chosen]
    if chosen:
        return routes.press(ctx, msg, chosen, state)
    if text.startswith("/"):
        return routes.command(ctx, msg, text, state)
    wish = intents.detect(text)
    if wish is not None and wish.name == "cancel" and feedback.answers_no(text, state):
        wish = None  # "không cần", "thôi" asked whether to leave a phone: no phone
    if wish is not None and wish.name in ("cancel", "menu"):
        return intents.handle(ctx, msg, wish, state)  # leaves whatever is under way
    if staff.waiting(state):
        return staff.typed(ctx, msg, text, state)
    if state.get("flow") == feedback.FLOW:
        if wish is not None and wish.name in ("lookup", "delete_data"):
            return intents.handle(ctx, msg, wish, state)
        if feedback.question_in_flow(ctx, text, state):
            return feedback.paused(ctx, answer(ctx, msg, text, state))
        if small_talk(text) == "thanks":
            return feedback.paused(ctx, [Reply("Dạ, rất vui được giúp bạn.")])
        return feedback.typed(ctx, msg, text, state)
    if state.pop("awaiting", None) == "commune":
        replies = offices.typed(ctx, text, state, small_talk(text) is not None)
        if replies:
            return replies
    if wish is not None:
        return intents.handle(ctx, msg, wish, state)
    talk = small_talk(text)
    if talk == "greeting":
        return [routes.welcome(ctx)]
    if talk == "thanks":
        return [Reply("Dạ, rất vui được giúp bạn. Cần gì bạn cứ hỏi tiếp nhé!", [MENU])]
    return answer(ctx, msg, text, state)


# A number typed to pick an option, as people type it. Folding has already dropped the
# punctuation ("2.", "2)", "#2", "(2)" are "2"); around it may come "chọn", "số", "mục",
# "em chọn số 2 ạ", "2 nhé". A number in words ("số hai") needs such a word before it.
_WHO = r"(?:(?:em|toi|minh|con|chau)\s+)?"
_VERB = r"(?:(?:chon|lua chon|xin chon)\s+)?"
_NOUN = r"(?:(?:so|muc|phuong an|cau|option)\s+)?"
_POLITE = r"(?:\s+(?:a|nhe|nha|nhen|ah|ak))*"
_DIGITS = re.compile(rf"^{_WHO}{_VERB}{_NOUN}(\d+){_POLITE}$")
_WORDS = re.compile(rf"^{_WHO}(?:(?:chon|lua chon|xin chon)\s+)?(?:so|muc|phuong an)\s+"
                    rf"(mot|hai|ba|bon|tu|nam|sau|bay|tam|chin|muoi){_POLITE}$"
                    rf"|^{_WHO}(?:chon|lua chon|xin chon)\s+"
                    rf"(mot|hai|ba|bon|tu|nam|sau|bay|tam|chin|muoi){_POLITE}$")
_NAMES = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7,
          "tam": 8, "chin": 9, "muoi": 10}


def typed_number(text: str) -> int | None:
    """The number in "2", "2.", "#2", "số 2", "chọn 2 ạ", "số hai"; None for anything else
    (a phone number typed with spaces, "2 3", a question)."""
    words = fold(text.replace("\u20e3", ""))  # "2️⃣" is 2, its keycap sign
    found = _DIGITS.match(words)
    if found:
        return int(found.group(1))
    found = _WORDS.match(words)
    return _NAMES[found.group(1) or found.group(2)] if found else None


_TONES = re.compile("[\U0001F3FB-\U0001F3FF\uFE0F]")  # skin tones, emoji presentation


def picked(text: str, state: UserState) -> str | Reply | None:
    """What a typed number, or an option's own words, picks among the options of the
    last reply (channels without buttons show options as numbered lines): that option's
    data, or a Reply when a number was typed that picks nothing, or None.

    A number out of range is answered with the range and the options again; a number
    with no options offered gets a short note. Neither is a question for the matcher.
    While something waits for typed text (a feedback step, a staff answer, the
    citizen's commune) such a number goes on there instead: "0912345678" at the phone
    step is a phone number, "5" at the commune question may be "Phường 5".
    """
    options = state.get("options") or []
    labels = state.get("labels") or []
    quick = state.get("quick") or {}
    reaction = _TONES.sub("", text.strip())  # 👍🏻 is 👍
    if reaction in quick and not (state.get("flow") or staff.waiting(state)
                                  or state.get("awaiting")):
        return quick[reaction]  # a reaction typed under the last reply
    number = typed_number(text)
    if number is not None and 1 <= number <= len(options):
        return options[number - 1]
    words, folded = fold(text), [fold(label) for label in labels]
    if words and len(labels) == len(options) and words in folded:
        return options[folded.index(words)]
    if number is None or state.get("flow") or staff.waiting(state) \
            or state.get("awaiting"):
        return None
    if not options:
        return Reply("Hiện không có mục nào để chọn theo số. Bạn gõ câu hỏi, hoặc gõ /menu "
                     "để xem danh mục nhé.", [MENU])
    again = [Option(label, data) for label, data in zip(labels, options)] \
        if len(labels) == len(options) else [MENU]
    which = f"mục số {number}" if number < 1000 else "mục này"  # never echo a phone number
    return Reply(f"Không có {which}. Bạn {pick_hint(len(options))} nhé.", again)


def answer(ctx: Context, msg: Message, text: str, state: UserState) -> list[Reply]:
    """A question: a follow-up on the topic, or the matcher's answer; logged for the
    office's statistics (a follow-up as status "context")."""
    match = ctx.matcher.match(text)
    followed = topic.read(ctx, text, match, state)
    if followed is not None:
        asked = ctx.storage.log_question(msg.channel, text, "context", followed.aspect,
                                         followed.entry.id, None,
                                         followed.item.answer.key if followed.item else None)
        return rated(screens.follow_up(ctx, followed, state), asked, state)
    best = match.hits[0] if match.hits else None
    aspect = topic.carried_aspect(text, match, state)
    if match.status == "unknown" and match.reason != "off_topic":
        state["asked"] = text[:1000]  # "hỏi cán bộ" forwards it
    else:
        state.pop("asked", None)  # only the question just left unanswered is forwarded
    asked = ctx.storage.log_question(msg.channel, text, match.status, aspect,
                                     best.entry.id if best else None,
                                     best.score if best else None,
                                     match.answer.answer.key if match.answer else None)
    if match.status == "answer" and match.answer is None:
        topic.remember(state, best.entry, aspect)
        return rated(screens.show(ctx, best.entry, aspect, state), asked, state)
    if match.status in ("answer", "suggest") and (match.answer or match.aspect):
        # the entry answered, or offered as the likeliest: follow-ups are about it
        topic.remember(state, best.entry, aspect,
                       match.answer.answer.key if match.answer else None)
    reply = screens.reply_for(ctx, match)
    return [ratings.offer(reply, asked, state) if match.status == "answer" else reply]


def rated(replies: list[Reply], question_id: int | None, state: UserState) -> list[Reply]:
    """An answer with "Hữu ích? 👍 / 👎" under its last reply, unless that reply asks
    something (the citizen's commune): a typed number must answer the question."""
    if replies and not state.get("awaiting"):
        replies[-1] = ratings.offer(replies[-1], question_id, state)
    return replies


def _same(word: str, form: str) -> bool:
    return word == form or (word == fold(word) and word == fold(form))


def small_talk(text: str) -> str | None:
    """"greeting" or "thanks" for a message made of such a word and fillers only."""
    words = clean(text).split()
    for kind, phrases in (("thanks", THANKS), ("greeting", GREETINGS)):
        rest, found = list(words), False
        for phrase in sorted(phrases, key=len, reverse=True):
            parts = phrase.split()
            for i in range(len(rest) - len(parts) + 1):
                if all(_same(w, f) for w, f in zip(rest[i:i + len(parts)], parts)):
                    del rest[i:i + len(parts)]
                    found = True
                    break
        known = FILLERS | {w for p in phrases for w in p.split()}
        if found and all(any(_same(w, f) for f in known) for w in rest):
            return kind
    return None


def reply_for(conv: Conversation, match: Match) -> Reply:
    """What the bot says for a match (``motcua ask``): see screens.reply_for."""
    return screens.reply_for(conv.ctx, match)
