"""The conversation: one message in, replies out, the same on every channel.

``Conversation.handle`` reads like the dialogue it serves:

- something that is not text (sticker, photo…) gets a short, polite note;
- a bare number picks one of the options offered last (for channels without buttons);
- a command (/start, /menu, /phananh…) or a button press does what it names;
- a citizen in the middle of a feedback goes on with it;
- a greeting gets a greeting; anything else is a question for the matcher.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from typing import Any

from bot.config import Config
from bot.knowledge import KINDS, Entry, Knowledge, is_placeholder
from bot.matcher import HINT_AT, Match, Matcher
from bot.storage import Storage
from bot.text import clean, fold
from handlers import feedback, offices, staff
from handlers.cards import (ASPECT_LABELS, ASPECT_TITLES, MENU, SOURCE, answer_card, aspect_body,
                            brief, entry_card, entry_option, source_card)
from handlers.types import Message, Option, Reply

log = logging.getLogger(__name__)

# Small talk: a greeting or thanks word with nothing but fillers around it ("chào bot
# nha", "cảm ơn ad nhiều ạ") gets a greeting or a "you're welcome". A word typed with
# diacritics must match exactly ("đã" is not "dạ"); one typed without matches any marks.
GREETINGS = {"chào", "xin chào", "hi", "hello", "helo", "alo", "hey", "start", "bắt đầu"}
THANKS = {"cảm ơn", "cám ơn", "camon", "thanks", "thank", "thank you", "tks", "ok", "oke",
          "okay", "okie", "vâng", "dạ", "ừ", "uh"}
FILLERS = {"bạn", "bot", "ad", "admin", "anh", "chị", "em", "ạ", "a", "à", "nha", "nhé", "nhen",
           "hen", "nhiều", "rất", "lắm", "nè", "mọi", "người", "mn", "cả", "ơi", "you", "so",
           "much", "very"}
KIND_MENU = {
    "guide": "🧭 Hướng dẫn dịch vụ công trực tuyến",
    "contact": "🏢 Nơi tiếp nhận hồ sơ",
    "feedback_channel": "📣 Phản ánh, kiến nghị, khiếu nại",
    "faq": "💬 Câu hỏi thường gặp",
}
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


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:40]


class Conversation:
    def __init__(self, knowledge: Knowledge, storage: Storage, matcher: Matcher | None = None,
                 config: Config | None = None):
        self.knowledge = knowledge
        self.storage = storage
        self.matcher = matcher or Matcher(knowledge)
        self.config = config or Config.load(knowledge)
        self._recent: dict[tuple[str, str], deque[float]] = {}

    def replace(self, knowledge: Knowledge, matcher: Matcher) -> None:
        """Serve new knowledge from the next message on (a reload)."""
        self.knowledge, self.matcher = knowledge, matcher

    # --- entry point --------------------------------------------------------------

    def handle(self, msg: Message) -> list[Reply]:
        flood = self._flooding(msg)
        if flood is not None:
            return flood
        try:
            state = self.storage.get_state(msg.channel, msg.user_id)
            replies = self._dispatch(msg, state)
        except Exception:  # one bad message must never stop the bot
            log.exception("handler failed on a %s message", msg.kind)
            return [Reply(SORRY, [MENU])]
        try:
            choices = [o for o in replies[-1].options if o.data] if replies else []
            state["options"] = [o.data for o in choices]
            state["labels"] = [fold(o.label) for o in choices]
            self.storage.set_state(msg.channel, msg.user_id, state)
        except Exception:
            log.exception("could not save conversation state")
        return replies

    def _flooding(self, msg: Message) -> list[Reply] | None:
        """Over the per-user limit of messages a minute: one polite note, then silence."""
        now = time.monotonic()
        recent = self._recent.setdefault((msg.channel, msg.user_id), deque())
        while recent and now - recent[0] > 60:
            recent.popleft()
        recent.append(now)
        limit = self.config.flood_per_minute
        if len(recent) == limit + 1:
            return [Reply("Bạn nhắn hơi nhanh. Bạn đợi khoảng một phút rồi gửi tiếp nhé.")]
        return [] if len(recent) > limit else None

    def _dispatch(self, msg: Message, state: dict[str, Any]) -> list[Reply]:
        if msg.kind not in ("text", "button"):
            return [Reply(NOT_TEXT.get(msg.kind, NOT_TEXT["document"]), [MENU])]
        if msg.data:
            return self.press(msg, msg.data, state)
        text = (msg.text or "").strip()
        if not text:
            return [Reply("Bạn gõ câu hỏi giúp mình nhé, ví dụ: “đăng ký tạm trú cần gì”.",
                          [MENU])]
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS]
        picked = self._picked(text, state)
        if picked:
            return self.press(msg, picked, state)
        if text.startswith("/"):
            return self.command(msg, text, state)
        if state.get("staff_answer"):
            return staff.typed_answer(self, msg, text, state)
        if state.get("flow") == "feedback":
            return feedback.step(self, msg, text, state)
        if state.pop("awaiting", None) == "commune":
            office = offices.find(self.knowledge, text)
            if office is not None:
                return [offices.remember(self.knowledge, state, office)]
        talk = small_talk(text)
        if talk == "greeting":
            return [self.welcome()]
        if talk == "thanks":
            return [Reply("Dạ, rất vui được giúp bạn. Cần gì bạn cứ hỏi tiếp nhé!", [MENU])]
        return self.answer(msg, text, state)

    @staticmethod
    def _picked(text: str, state: dict[str, Any]) -> str | None:
        """A bare number, or an option's own words, picks an option of the last reply
        (channels without buttons show options as numbered lines)."""
        options = state.get("options") or []
        if text.isdigit() and 1 <= int(text) <= len(options):
            return options[int(text) - 1]
        labels = state.get("labels") or []
        words = fold(text)
        if words and words in labels and len(labels) == len(options):
            return options[labels.index(words)]
        return None

    # --- commands and buttons ------------------------------------------------------

    def command(self, msg: Message, text: str, state: dict[str, Any]) -> list[Reply]:
        name, _, arg = text[1:].partition(" ")
        name = name.split("@")[0].lower()
        if name in ("start", "help", "giupdo", "batdau"):
            state.pop("flow", None)
            return [self.welcome()]
        if name == "menu":
            state.pop("flow", None)
            return [self.menu()]
        if name in ("phananh", "gopy"):
            return feedback.start(self, msg, state)
        if name in staff.COMMANDS:
            return staff.command(self, msg, name, arg, state)
        if name == "huy":
            if state.pop("flow", None) or state.pop("staff_answer", None):
                return [Reply("Đã hủy. Bạn có thể hỏi tiếp hoặc mở menu.", [MENU])]
            return [Reply("Không có việc gì đang làm dở để hủy.", [MENU])]
        if name in ("tracuu", "xoadulieu"):
            return feedback.command(self, msg, name, arg.strip(), state)
        if name == "xaphuong":
            if arg.strip() and offices.find(self.knowledge, arg):
                return [offices.remember(self.knowledge, state,
                                         offices.find(self.knowledge, arg))]
            if not offices.offices(self.knowledge, "xã"):
                return [Reply("Bot chưa có danh sách xã/phường của đơn vị. Bạn hỏi nơi nộp "
                              "tại UBND xã/phường nơi mình cư trú nhé.", [MENU])]
            return [offices.ask(self.knowledge, state)]
        return [Reply("Mình chưa hiểu lệnh này. Các lệnh dùng được: /menu, /phananh, "
                      "/tracuu, /xaphuong, /huy, /help.", [MENU])]

    def press(self, msg: Message, data: str, state: dict[str, Any]) -> list[Reply]:
        parts = data.split(":")
        if parts[0] == "m":
            return [self.menu(parts[1:])]
        if parts[0] == "e" and len(parts) >= 2:
            entry = self.knowledge.entries.get(parts[1])
            if entry is None:
                return [Reply("Mục này không còn trong dữ liệu. Bạn mở lại menu nhé.", [MENU])]
            aspect = parts[2] if len(parts) > 2 and parts[2] in ASPECT_LABELS else None
            return self.show(entry, aspect, state)
        if parts[0] == "o" and len(parts) == 2:
            office = offices.by_id(self.knowledge, parts[1])
            if office is not None:
                return [offices.remember(self.knowledge, state, office)]
        if parts[0] == "fb":
            return feedback.press(self, msg, parts[1:], state)
        if parts[0] == "s":
            return staff.press(self, msg, parts[1:], state)
        if parts[0] == SOURCE and len(parts) == 2:
            answer = self.knowledge.answers.get(parts[1])
            if answer is not None:
                return [source_card(self.knowledge, answer)]
        if parts[0] == "help":
            return [self.welcome()]
        return [Reply("Lựa chọn này đã cũ. Bạn mở lại menu nhé.", [MENU])]

    # --- screens ---------------------------------------------------------------------

    def office_name(self) -> str:
        name = self.knowledge.office.get("name", "")
        return "" if not name or is_placeholder(name) else name

    def welcome(self) -> Reply:
        office = self.office_name()
        who = f" của {office}" if office else ""
        text = (f"Xin chào! Mình là trợ lý hỏi đáp thủ tục hành chính{who}.\n\n"
                "Bạn cứ gõ câu hỏi như khi nhắn tin, có dấu hay không dấu đều được, ví dụ:\n"
                "• làm giấy khai sinh cần gì\n• dang ky tam tru o dau\n"
                "• đổi bằng lái hết bao nhiêu tiền\n\n"
                "Lệnh: /menu xem danh mục · /phananh gửi phản ánh, kiến nghị · "
                "/tracuu xem phản ánh đã gửi · /huy hủy việc đang làm.")
        return Reply(text, self.menu().options)

    def menu(self, path: list[str] | None = None) -> Reply:
        path = path or []
        if not path:
            options = [Option("📄 Thủ tục theo lĩnh vực", "m:p")]
            options += [Option(label, f"m:k:{kind}") for kind, label in KIND_MENU.items()]
            options.append(Option("✍️ Gửi phản ánh, kiến nghị", "fb"))
            return Reply("Bạn muốn tìm gì?", options)
        if path[0] == "p":
            fields = self.knowledge.fields()
            return Reply("Chọn lĩnh vực:", [Option(f, f"m:f:{_slug(f)}") for f in fields]
                         + [MENU])
        if path[0] == "f" and len(path) > 1:
            name = next((f for f in self.knowledge.fields() if _slug(f) == path[1]), None)
            entries = [e for e in self.knowledge.entries.values()
                       if e.kind == "procedure" and e.data.get("field") == name]
            if entries:
                return Reply(f"Thủ tục lĩnh vực {name}:",
                             [Option(e.title, f"e:{e.id}") for e in entries]
                             + [Option("↩ Lĩnh vực khác", "m:p"), MENU])
        if path[0] == "k" and len(path) > 1 and path[1] in KINDS:
            entries = [e for e in self.knowledge.entries.values() if e.kind == path[1]]
            if entries:
                label = KIND_MENU.get(path[1], "Danh mục")
                return Reply(f"{label}:", [entry_option(e) for e in entries] + [MENU])
        return Reply("Mục này không còn trong menu. Bạn chọn lại nhé:", self.menu().options)

    # --- questions ---------------------------------------------------------------------

    def answer(self, msg: Message, text: str, state: dict[str, Any]) -> list[Reply]:
        match = self.matcher.match(text)
        best = match.hits[0] if match.hits else None
        self.storage.log_question(msg.channel, text, match.status, match.aspect,
                                  best.entry.id if best else None,
                                  best.score if best else None,
                                  match.answer.answer.key if match.answer else None)
        if match.status == "answer" and match.answer is not None:
            return [answer_card(self.knowledge, match.hits[0].entry, match.answer.answer)]
        if match.status == "answer":
            return self.show(match.hits[0].entry, match.aspect, state)
        return [reply_for(self, match)]

    def show(self, entry: Entry, aspect: str | None, state: dict[str, Any]) -> list[Reply]:
        """An entry's card; where it depends on the office, the citizen's own office."""
        reply = entry_card(self.knowledge, entry, aspect)
        level = offices.OFFICE_ENTRIES.get(entry.id)
        if entry.kind == "procedure" and aspect == "place":
            level = "tỉnh" if "tỉnh" in str(entry.get("level", "")) and \
                "xã" not in str(entry.get("level", "")) else "xã"
        return offices.localize(self.knowledge, reply, state, level) if level else [reply]

    def unknown(self, match: Match | None = None) -> Reply:
        hotline = self.knowledge.hotline
        if match is not None and match.reason == "off_topic":
            lead = ("Mình chỉ hỗ trợ hỏi đáp thủ tục hành chính và tiếp nhận phản ánh, kiến nghị, "
                    "nên chưa trả lời được câu này.")
        else:
            lead = ("Xin lỗi, mình chưa có thông tin cho câu hỏi này. Câu hỏi đã được ghi lại "
                    "để cán bộ bổ sung.")
        lines = [lead, "", "Bạn có thể:", "• Xem danh mục thủ tục: /menu",
                 f"• Gọi tổng đài Cổng Dịch vụ công quốc gia: {hotline}"]
        phones = [p for p in self.knowledge.office.get("phones", [])
                  if not is_placeholder(p)]
        if phones:
            lines.append(f"• Gọi {self.office_name() or 'văn phòng'}: {', '.join(phones)}")
        lines.append("• Gửi phản ánh, kiến nghị: /phananh")
        options = [MENU, Option("✍️ Gửi phản ánh", "fb")]
        hint = match.hits[0] if match is not None and match.hits and \
            match.reason != "off_topic" and match.hits[0].score >= HINT_AT else None
        if hint is not None:  # too unsure to suggest, close enough to offer one way on
            lines[1:1] = ["", f"Nếu bạn muốn hỏi về “{hint.entry.title}”, chọn mục đó bên dưới."]
            options.insert(0, entry_option(hint.entry, match.aspect))
        return Reply("\n".join(lines), options)


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
    """What the bot says for a match: the card, a choice of three, or honest ignorance."""
    if match.status == "answer" and match.answer is not None:
        return answer_card(conv.knowledge, match.hits[0].entry, match.answer.answer)
    if match.status == "answer":
        return entry_card(conv.knowledge, match.hits[0].entry, match.aspect)
    if match.status == "suggest" and match.answer is not None:
        # a best guess: the best entry's answer to this very question, the others to pick
        guess = answer_card(conv.knowledge, match.hits[0].entry, match.answer.answer, True)
        others = [entry_option(h.entry, match.aspect) for h in match.hits[1:3]]
        guess.text += "\n\nNếu không phải, bạn chọn mục khác bên dưới nhé."
        guess.options = [*guess.options[:2], *others, MENU]
        return guess
    if match.status == "suggest":
        options = [entry_option(h.entry, match.aspect) for h in match.hits[:3]]
        best = match.hits[0].entry
        part = aspect_body(best, match.aspect, conv.knowledge) \
            if match.aspect and best.kind == "procedure" else ""
        if part and match.aspect != "legal":  # the part asked, of the likeliest entry
            return Reply(f"Nếu bạn hỏi về “{best.title}”, {ASPECT_TITLES[match.aspect].lower()}:"
                         f"\n{brief(part, 400)}\n\nHoặc ý bạn là một trong các mục sau?",
                         options + [MENU])
        return Reply("Ý bạn là một trong các mục sau? Chọn một mục nhé:", options + [MENU])
    return conv.unknown(match)
