"""Stated wishes, in plain words, before any matching: "tôi muốn phản ánh cán bộ",
"tra cứu PA-2026-000123", "xóa dữ liệu của tôi đi", "thôi", "menu", "cho tôi gặp cán
bộ". A slash command is awkward on a phone keyboard (and on Zalo); these do the same.

``detect`` reads a message (folded, so with or without diacritics) and names the wish,
or None; ``handle`` acts on it. Short wishes ("thôi", "menu", "hủy") must be the whole
message, give or take polite fillers, so that "thôi chắc mình lập công ty luôn" is still
a question. Folded, "phản ảnh" (often typed) is "phản ánh". Wishes to complain pick the category
their words tell (thái độ cán bộ, trễ
hẹn, quy định, góp ý). A complaint stated without the wish ("cán bộ hách dịch quá")
gets the way to complain: the feedback flow offered with that category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.matcher.analysis import accented
from bot.text import fold, syllables
from handlers import feedback, routes
from handlers.callbacks import FB_CATEGORY, FEEDBACK, data
from handlers.cards import MENU, entry_option
from handlers.context import Context
from handlers.state import UserState
from handlers.types import Message, Option, Reply

_FILLERS = r"(?:\s+(?:a|ad|admin|nhe|nha|nhen|di|thoi|luon|ban|bot|oi|giup|dum|gium|voi|" \
           r"minh|em|toi|nhe ban|roi|nua|cho|khong))*"
_WHOLE = {
    "cancel": r"(?:thoi|huy|huy bo|huy di|dung|dung lai|thoat|bo qua|khong gui nua|"
              r"khong can nua|khong phan anh nua|thoi khong gui|thoi khong|cancel|stop)",
    "menu": r"(?:(?:cho\s+)?(?:xem|mo|ve|quay ve|quay lai)?\s*(?:menu|danh muc|danh sach thu tuc|"
            r"trang chu|trang chinh)(?:\s+chinh)?(?:\s+dau)?|quay lai|quay ve|bat dau lai|"
            r"lam lai tu dau)",
}
# "Thôi, để sau tôi gửi", "thôi khỏi", "không xóa nữa": a short message that starts by
# dropping the matter and says nothing else
_DROP = re.compile(r"^(?:thoi|huy|khoi|khong gui|khong xoa|khong can|khong muon|bo qua|dung)\b")
_DROP_WORDS = set("thoi huy khoi khong ko k gui xoa nua de sau toi minh em tui bo di doi y roi "
                  "a ad nhe nha nhen can lam lai khi khac hom luc khac da vay the ok muon dung "
                  "phan anh nay do cai viec qua".split())
# ... unless it goes on to want something ("thôi khỏi, tôi muốn phản ánh"): "muốn", "cần"
# not negated ("không muốn gửi nữa" still drops it)
_WANTS = re.compile(r"(?<!khong )(?<!ko )(?<!k )\b(?:muon|can)\b")
_WHOLE_RE = {name: re.compile(rf"^(?:cho\s+(?:(?:em|toi|minh|tui|e|t)\s+)?)?{words}{_FILLERS}$")
             for name, words in _WHOLE.items()}
TICKET = re.compile(r"\bpa\s*-?\s*(\d{4})\s*-?\s*(\d{1,6})\b")
_ANYWHERE = {
    "lookup": re.compile(r"\b(?:tra cuu|xem|kiem tra|hoi)\s+(?:lai\s+)?(?:cac\s+|tinh trang\s+|"
                         r"ket qua\s+|ma\s+)?(?:phan anh|kien nghi|gop y)\b|"
                         r"\b(?:phan anh|kien nghi) (?:cua toi|cua minh|cua em|da gui|toi da gui|"
                         r"minh da gui|em da gui|hom truoc|lan truoc)\b"),
    "delete_data": re.compile(r"\bxoa\s+(?:het\s+|bo\s+|giup\s+|gium\s+)?(?:du lieu|thong tin "
                              r"(?:ca nhan|cua toi|cua minh)|so dien thoai (?:cua )?(?:toi|"
                              r"minh))\b"),
    "human": re.compile(r"\b(?:gap|noi chuyen voi|noi chuyen truc tiep voi|chat voi|lien he|"
                        r"lien he voi|hoi|chuyen cho|chuyen sang|ket noi voi|can|muon gap)"
                        r"\s+(?:truc tiep\s+)?(?:voi\s+)?(?:mot\s+)?(?:can bo|nhan vien|nguoi that|"
                        r"tong dai vien|tu van vien|nguoi truc|nguoi phu trach|admin that|"
                        r"con nguoi)\b|\bhoi can bo\b|\bnguoi that\b"),
    "feedback": re.compile(r"\b(?:muon|can|xin|gui|lam sao de|lam the nao de|cach|de|lam don)\s+"
                           r"(?:\w+\s+){0,2}?(?:phan anh|kien nghi|gop y|khieu nai|phan nan|"
                           r"to cao)\b|^(?:toi |em |minh |tui |cho toi |cho em )?(?:phan anh|"
                           r"kien nghi|gop y|phan nan)\b"),
}
# What a complaint is about, from its words; the first that fits.
CATEGORY_WORDS = [
    ("thai-do", r"\b(?:thai do|hach dich|cau gat|gay kho|nhung nhieu|voi tien|boi duong|"
                r"vang mat|khong co mat|khong co ai|di tre|ve som|can bo|nhan vien|cong chuc|"
                r"coi thuong|quat thao|to tieng)\b"),
    ("tre-hen", r"\b(?:tre hen|qua hen|tre han|cham tra|chua tra|hen lai|lo hen)\b"),
    ("quy-dinh", r"\b(?:quy dinh|thu tuc|ruom ra|giay to qua nhieu|phien ha)\b"),
    ("gop-y", r"\b(?:gop y|sang kien|de xuat|y kien)\b"),
]
# A question about feedback ("phản ánh ở đâu", "khác khiếu nại thế nào") is answered by
# the matcher's card, which offers the flow: it is not yet the wish to file one.
ASKING = re.compile(r"\b(?:o dau|cho nao|the nao|nhu nao|ra sao|kenh nao|la gi|khac gi|"
                    r"khac nhau|bao lau|may ngay|co duoc khong|duoc khong)\b")
# A complaint stated without the wish to file one
GRIEVANCE = re.compile(r"\b(?:hach dich|cau gat|gay kho|nhung nhieu|voi tien|vang mat|"
                       # folded, "không có mặt" (absent) is also "..., có mất phí"
                       r"khong co mat(?! (?:phi|tien|le phi|chi phi|bao nhieu|gi|nhieu))|"
                       r"khong co ai (?:lam|tiep|o)|cho (?:ca|mot) buoi|xep hang "
                       r"(?:ca|mot) buoi|(?<!lao )dong qua(?: (?:troi|chung|xa|luon))?(?! \w)|"
                       r"to tieng|quat thao|coi thuong|"
                       r"(?<!theo )doi (?:tien|boi duong))\b")


@dataclass
class Wish:
    name: str  # cancel, menu, lookup, delete_data, human, feedback, grievance
    category: str | None = None  # for feedback and grievance
    ticket: str = ""  # for lookup


def category_of(words: str) -> str | None:
    return next((key for key, pattern in CATEGORY_WORDS if re.search(pattern, words)), None)


def detect(text: str) -> Wish | None:
    """The wish a message states, or None for anything else (a question)."""
    words = " ".join(fold(text).replace("?", " ").replace("!", " ").split())
    for name, pattern in _WHOLE_RE.items():
        if pattern.match(words):
            return Wish(name)
    if _DROP.match(words) and len(words.split()) <= 7 and set(words.split()) <= _DROP_WORDS \
            and not _WANTS.search(words):
        return Wish("cancel")
    ticket = TICKET.search(words)
    if ticket:
        return Wish("lookup", ticket=f"PA-{ticket.group(1)}-{int(ticket.group(2)):06d}")
    for name, pattern in _ANYWHERE.items():
        if pattern.search(words) and not (name == "feedback" and ASKING.search(words)):
            return Wish(name, category=category_of(words) if name == "feedback" else None)
    if any(_as_typed(m.group(0), text) for m in GRIEVANCE.finditer(words)):
        return Wish("grievance", category=category_of(words) or "thai-do")
    return None


# grievance phrases that fold into everyday words: typed with diacritics, only their own
# marks count ("với tiền mai táng" is not "vòi tiền", "đổi tiền lẻ" not "đòi tiền")
MARKED = {"voi tien": "vòi tiền", "doi tien": "đòi tiền", "dong qua": "đông quá",
          "khong co mat": "không có mặt", "vang mat": "vắng mặt"}


def _as_typed(found: str, text: str) -> bool:
    """Is a grievance phrase found in the folded words meant, as the message typed it?"""
    marked = next((m for f, m in MARKED.items() if found.startswith(f)), None)
    if marked is None or not accented(syllables(text)):
        return True
    return marked in " ".join(text.lower().split())


def handle(ctx: Context, msg: Message, wish: Wish, state: UserState) -> list[Reply]:
    """Do what the citizen asked for."""
    if wish.name == "cancel":
        return routes.cancel(ctx, msg, "", state)
    if wish.name == "menu":
        return routes.open_menu(ctx, msg, "", state)
    if wish.name == "lookup":
        return feedback.look_up(ctx, msg, wish.ticket, state)
    if wish.name == "delete_data":
        return feedback.ask_delete(ctx, msg, "", state)
    if wish.name == "human":
        return feedback.ask_staff(ctx, msg, state)
    if wish.name == "feedback":
        return feedback.start(ctx, msg, state, wish.category)
    return [grievance(ctx, wish.category or "thai-do")]


def grievance(ctx: Context, category: str) -> Reply:
    """A complaint stated: sorry, and the way to file it, the category chosen already."""
    text = ("Mình rất tiếc về trải nghiệm của bạn. Bạn có thể gửi phản ánh ngay tại đây: "
            "cán bộ có thẩm quyền sẽ xem xét và trả lời bạn qua kênh này.")
    entry = ctx.knowledge.entries.get("phan-anh-can-bo")
    if entry is not None and entry.get("summary"):
        text += f"\n\n{entry.get('summary')}"
    return Reply(text, [Option("✍️ Gửi phản ánh", data(FEEDBACK, FB_CATEGORY, category)),
                        *([entry_option(entry)] if entry is not None else []), MENU])
