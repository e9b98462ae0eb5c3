"""Which one-stop centre a citizen belongs to: asked once, remembered per user.

``office.yaml`` may list many offices (each commune's Trung tâm Phục vụ hành chính
công and the province's), each with the communes it serves. Where an answer depends
on the office (nộp ở đâu, giờ làm việc, số điện thoại), the bot shows the citizen's
own office, or asks for their xã/phường when it does not know it yet.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any

from rapidfuzz import fuzz, process

from bot.knowledge import Entry, Knowledge, is_placeholder
from bot.text import syllables
from handlers.callbacks import OFFICE, data
from handlers.cards import MENU, entry_card, stale
from handlers.context import ButtonHandler, Command, Context
from handlers.state import UserState
from handlers.types import Message, Option, Reply

# Entries whose answer is about the office itself.
OFFICE_ENTRIES = {"tt-pvhcc-xa": "xã", "tt-pvhcc-tinh": "tỉnh", "gio-lam-viec": "xã"}
ASK = ("Bạn ở xã/phường nào? Gõ tên để mình chỉ đúng nơi nộp, giờ làm việc và số điện "
       "thoại (ví dụ: {example}). Đổi lại sau bằng /xaphuong.")

# --- finding the commune a citizen names ---------------------------------------------
#
# A name is matched as a whole run of syllables inside the message ("em ở xã Tân Thạnh
# cũ"), longest first. A syllable typed without diacritics matches any; one typed with
# diacritics must carry the name's own, since names one mark apart are different
# communes (Tân Thành, Tân Thạnh). A name of one syllable or a number ("phường 7") is
# only taken right after a prefix, so that everyday words never pick an office.

# Administrative prefixes, folded, longest first; "xa" typed without marks also means
# "far", which is why a one-syllable name still needs its prefix typed before it.
PREFIXES = (("thi", "tran"), ("dac", "khu"), ("thanh", "pho"), ("xa",), ("phuong",),
            ("tinh",), ("tp",))
# Prefixes of a commune (not of a province), as shown to the citizen.
COMMUNE_PREFIXES = {("xa",): "xã", ("phuong",): "phường", ("thi", "tran"): "thị trấn",
                    ("dac", "khu"): "đặc khu"}
CENTRE = ("trung", "tam", "phuc", "vu", "hanh", "chinh", "cong")
OLD_NEW = {"cũ", "mới", "cu", "moi"}
# Words that end a commune's name in a sentence ("xã Tân Thạnh cũ, giờ sáp nhập rồi"):
# exact forms, and folded forms safe to compare when typed without diacritics.
STOP_EXACT = {"có", "không", "thì", "là", "làm", "ở", "giờ", "nay", "mà", "nhưng", "đã",
              "rồi", "vậy", "nhé", "ạ", "nha", "của", "được", "cần", "gì", "nào", "đâu",
              "sáp", "nhập", "bây", "và", "với", "hay", "hoặc", "em", "tôi", "mình", "cho",
              "này", "đó", "nên", "muốn", "hỏi", "ơi", "đang", "sống", "thuộc", "huyện",
              "quận", "tỉnh", "ấy", "nhà", "vì", "bị", "đi", "lên", "về", "lắm", "quá",
              "thế", "hơn", "thôi", "chút", "xíu"}
STOP_PLAIN = {"khong", "gi", "nao", "roi", "vay", "nhe", "nha", "a", "duoc", "o", "la",
              "co", "thi", "sap", "nhap", "huyen", "quan", "tinh", "toi", "em"}
# Lead-in words before a name typed without a prefix ("tôi ở Long Hòa").
LEAD_IN = {"em", "tôi", "toi", "mình", "minh", "nhà", "nha", "ở", "o", "con", "cháu", "chau",
           "dạ", "da", "thì", "thi", "là", "la", "sống", "song", "tại", "tai", "bên", "ben"}
TAIL = OLD_NEW | {"ạ", "a", "nhé", "nhe", "nha", "à", "ah", "ak"}
_WORD = re.compile(r"[0-9a-zà-ỹđ]+", re.IGNORECASE)
_BREAK = re.compile(r"[,.;:!?()\n/]")


def offices(knowledge: Knowledge, level: str | None = None) -> list[dict[str, Any]]:
    """Offices the office has filled in (placeholders are never shown)."""
    return [o for o in knowledge.office.get("offices") or []
            if isinstance(o, dict) and not is_placeholder(o.get("name"))
            and (level is None or o.get("level") == level)]


class _Word:
    """One syllable of a message: its cleaned and folded forms, as typed, and whether
    punctuation came just before it."""

    __slots__ = ("exact", "plain", "typed", "after_break")

    def __init__(self, exact: str, plain: str, typed: str, after_break: bool):
        self.exact, self.plain, self.typed, self.after_break = exact, plain, typed, after_break


def _words(text: str) -> list[_Word]:
    text = unicodedata.normalize("NFC", text or "")
    words, last = [], 0
    for m in _WORD.finditer(text):
        exact, plain = syllables(m.group())[0]
        words.append(_Word(exact, plain, m.group(), bool(_BREAK.search(text[last:m.start()]))))
        last = m.end()
    return words


def _prefix_at(plains: list[str], i: int) -> tuple[str, ...] | None:
    """The prefix that starts at syllable ``i``, if any."""
    return next((p for p in PREFIXES if tuple(plains[i:i + len(p)]) == p), None)


_PREFIX_WORDS = {"xã", "phường", "thị", "trấn", "đặc", "khu", "thành", "phố", "tỉnh"}


def _typed_as_prefix(words: list[_Word]) -> bool:
    """A prefix typed with its own diacritics or none ("xà" is no "xã")."""
    return all(w.exact == w.plain or w.exact in _PREFIX_WORDS for w in words)


def _prefix_before(words: list[_Word], i: int) -> tuple[str, ...] | None:
    """The prefix that ends just before syllable ``i``."""
    plains = [w.plain for w in words]
    for p in PREFIXES:
        start = i - len(p)
        if start >= 0 and tuple(plains[start:i]) == p and _typed_as_prefix(words[start:i]):
            return p
    return None


class _Name:
    """One name an office answers to: its core syllables (without "Trung tâm…", the
    prefix and, in one variant, "cũ"/"mới"), the prefix it was written with, its office."""

    __slots__ = ("exact", "plain", "prefix", "office", "needs_prefix")

    def __init__(self, words: list[tuple[str, str]], prefix: tuple[str, ...] | None,
                 office: dict[str, Any]):
        self.exact = tuple(w[0] for w in words)
        self.plain = tuple(w[1] for w in words)
        self.prefix, self.office = prefix, office
        self.needs_prefix = len(words) == 1 or all(w[1].isdigit() for w in words)


def _names(knowledge: Knowledge) -> list[_Name]:
    names = []
    for office in offices(knowledge, "xã"):
        for label in [office.get("name", ""), *(office.get("areas") or [])]:
            if not isinstance(label, str) or is_placeholder(label):
                continue
            words = syllables(label)
            if tuple(w[1] for w in words[:len(CENTRE)]) == CENTRE:
                words = words[len(CENTRE):]
            prefix = _prefix_at([w[1] for w in words], 0)
            if prefix:
                words = words[len(prefix):]
            if not words:
                continue
            names.append(_Name(words, prefix, office))
            core = list(words)
            while len(core) > 1 and core[-1][0] in OLD_NEW:
                core.pop()
            if len(core) < len(words):
                names.append(_Name(core, prefix, office))
    return names


def _found_in(knowledge: Knowledge, words: list[_Word]) -> dict[str, Any] | None:
    """The office whose name or area runs through the message's syllables, best first."""
    best: tuple | None = None
    office = None
    for name in _names(knowledge):
        n = len(name.plain)
        for i in range(len(words) - n + 1):
            run = words[i:i + n]
            if tuple(w.plain for w in run) != name.plain:
                continue
            if any(w.exact != w.plain and e != w.plain and w.exact != e
                   for w, e in zip(run, name.exact)):
                continue  # typed with other diacritics: another name
            prefix = _prefix_before(words, i)
            alone = n == len(words) and not name.plain[0].isdigit()  # the message is it
            if name.needs_prefix and prefix is None and not alone:
                continue
            exact = sum(w.exact == e for w, e in zip(run, name.exact))
            rank = (n, exact, prefix is not None and prefix == name.prefix)
            if best is None or rank > best:
                best, office = rank, name.office
    return office


def _core(text: str) -> str:
    """The folded text without a leading prefix and a trailing "cũ"/"mới"."""
    plains = [w.plain for w in _words(text)]
    if tuple(plains[:len(CENTRE)]) == CENTRE:
        plains = plains[len(CENTRE):]
    prefix = _prefix_at(plains, 0)
    if prefix:
        plains = plains[len(prefix):]
    while len(plains) > 1 and plains[-1] in OLD_NEW:
        plains.pop()
    return " ".join(plains)


def find(knowledge: Knowledge, text: str) -> dict[str, Any] | None:
    """The commune office serving the place the citizen named, alone ("thanh my loi")
    or inside a sentence ("em ở xã Tân Thạnh cũ"), old names of merged communes
    included; a short message that is just a name, typed without diacritics, may carry
    a small typo ("thanh my loj")."""
    words = _words(text)
    if not words:
        return None
    found = _found_in(knowledge, words)
    if found is not None or len(words) > 6 or any(w.exact != w.plain for w in words):
        return found
    wanted = _core(text)
    if len(wanted) < 4:
        return None
    names: dict[str, dict[str, Any]] = {}
    for name in _names(knowledge):
        if not name.needs_prefix:
            names.setdefault(" ".join(name.plain), name.office)
    best = process.extractOne(wanted, list(names), scorer=fuzz.ratio, score_cutoff=85)
    return names[best[0]] if best else None


def _title(words: list[_Word]) -> str:
    return " ".join(w.typed[:1].upper() + w.typed[1:] for w in words)


def _is_stop(word: _Word) -> bool:
    """A word that ends a name; a capitalised one is part of it ("xã Không Tồn Tại")."""
    if word.typed[:1].isupper():
        return False
    return word.exact in STOP_EXACT or (word.exact == word.plain and word.plain in STOP_PLAIN)


def named_commune(text: str, asked: bool = False) -> str:
    """The xã/phường the citizen named, as it should be shown ("Xã Tân Thạnh"), or "".

    A commune is named by a prefix followed by its name ("xã Tân Thạnh cũ", "phường
    7"); when the bot has just asked for it (``asked``), a short message that is only
    a name, after "em ở", "nhà tôi ở"…, counts too ("Long Hòa")."""
    words = _words(text)
    plains = [w.plain for w in words]
    for i in range(len(words)):
        prefix = _prefix_at(plains, i)
        if prefix not in COMMUNE_PREFIXES or not _typed_as_prefix(words[i:i + len(prefix)]):
            continue
        rest = words[i + len(prefix):]
        name: list[_Word] = []
        for w in rest[:4]:
            if w.after_break or w.exact in OLD_NEW or _is_stop(w):
                break
            name.append(w)
            if w.plain.isdigit():  # "phường 7": a number is the whole name
                break
        if name:
            return f"{COMMUNE_PREFIXES[prefix].capitalize()} {_title(name)}"
    if not asked:
        return ""
    start = 0
    while start < len(words) and words[start].exact in LEAD_IN:
        start += 1
    end = len(words)
    while end > start and words[end - 1].exact in TAIL:
        end -= 1
    name = words[start:end]
    if not 1 <= len(name) <= 4 or any(_is_stop(w) or w.after_break for w in name[1:]) \
            or _is_stop(name[0]):
        return ""
    return f"Xã/phường {_title(name)}"


def by_id(knowledge: Knowledge, office_id: str) -> dict[str, Any] | None:
    return next((o for o in offices(knowledge) if o.get("id") == office_id), None)


def card_lines(office: dict[str, Any]) -> list[str]:
    lines = [f"🏢 {office['name']}"]
    for key, label in (("address", "📍 Địa chỉ"), ("hours", "🕒 Giờ làm việc"),
                       ("email", "✉️ Email"), ("url", "🌐 Trang web")):
        if office.get(key) and not is_placeholder(office[key]):
            lines.append(f"{label}: {office[key]}")
    phones = [p for p in office.get("phones") or [] if not is_placeholder(p)]
    if phones:
        lines.append("☎️ Điện thoại: " + ", ".join(phones))
    return lines


def ask(knowledge: Knowledge, state: UserState) -> Reply:
    state["awaiting"] = "commune"
    communes = offices(knowledge, "xã")
    example = next((a for o in communes for a in o.get("areas") or []
                    if not is_placeholder(a)), "phường Bến Thành")
    options = [Option(o["name"], data(OFFICE, o["id"])) for o in communes[:8]]
    return Reply(ASK.format(example=example), options)


def mine(knowledge: Knowledge, state: UserState, level: str) -> dict[str, Any] | None:
    """The citizen's office at this level: remembered, or the only one there is."""
    candidates = offices(knowledge, level)
    if len(candidates) == 1:
        return candidates[0]
    if level == "xã" and state.get("office"):
        return by_id(knowledge, state["office"])
    return None


def localize(knowledge: Knowledge, reply: Reply, state: UserState, level: str
             ) -> list[Reply]:
    """Add the citizen's own office to a reply, or ask which commune they are in."""
    office = mine(knowledge, state, level)
    if office is not None:
        reply.text += "\n\nNơi gần bạn:\n" + "\n".join(card_lines(office))
        return [reply]
    if level == "xã" and len(offices(knowledge, "xã")) > 1:
        return [reply, ask(knowledge, state)]
    return [reply]


def remember(knowledge: Knowledge, state: UserState, office: dict[str, Any]) -> Reply:
    state["office"] = office["id"]
    state.pop("awaiting", None)
    return Reply("Đã ghi nhớ nơi làm thủ tục của bạn:\n\n" + "\n".join(card_lines(office))
                 + "\n\nĐổi xã/phường: /xaphuong")


# --- local first: the citizen's own office leads -------------------------------------

MISSING = {"address": "địa chỉ", "hours": "giờ làm việc", "phones": "số điện thoại"}


def _filled(office: dict[str, Any], key: str) -> bool:
    value = office.get(key)
    if isinstance(value, list):
        return any(v and not is_placeholder(v) for v in value)
    return bool(value) and not is_placeholder(value)


def lead_lines(knowledge: Knowledge, office: dict[str, Any]) -> list[str]:
    """The office's card, saying plainly what the bot does not have for it yet."""
    lines = card_lines(office)
    missing = [label for key, label in MISSING.items() if not _filled(office, key)]
    if missing:
        what = ", ".join(missing[:-1]) + " và " + missing[-1] if len(missing) > 1 \
            else missing[0]
        lines.append(f"\nBot chưa có {what} của trung tâm này. Bạn hỏi tại UBND xã, phường "
                     f"nơi mình ở, hoặc gọi tổng đài Cổng Dịch vụ công quốc gia "
                     f"{knowledge.hotline}.")
    return lines


def general(entry: Entry) -> Entry:
    """The entry without its placeholder values: the general facts that follow the
    citizen's own office (its "no address yet" note would contradict the office card)."""
    data_ = {k: v for k, v in entry.data.items()
             if not is_placeholder(v) and not (isinstance(v, list) and v
                                               and all(is_placeholder(x) for x in v))}
    return dataclasses.replace(entry, data=data_)


def local_first(knowledge: Knowledge, entry: Entry, state: UserState, level: str
                ) -> Reply | None:
    """For an entry about the office itself (giờ làm việc, địa chỉ, số điện thoại): the
    citizen's own office first, then the national facts; None when the bot does not
    know the citizen's office (or has none filled in)."""
    office = mine(knowledge, state, level)
    if office is None:
        return None
    reply = entry_card(knowledge, general(entry))
    lines = lead_lines(knowledge, office)
    if level == "xã" and len(offices(knowledge, "xã")) > 1:
        lines.append("(Đổi xã/phường: /xaphuong)")
    reply.text = "\n".join(lines) + "\n\nThông tin chung:\n" + reply.text
    return reply


# --- a commune no office serves --------------------------------------------------------


def scope(knowledge: Knowledge) -> str:
    """Who the bot speaks for, as named in "không thuộc phạm vi của …"."""
    name = knowledge.office.get("name")
    if isinstance(name, str) and name and not is_placeholder(name):
        return name
    communes = offices(knowledge, "xã")
    if len(communes) == 1:
        return communes[0]["name"]
    return "các trung tâm mà bot này hỗ trợ"


def unserved(knowledge: Knowledge, named: str) -> Reply:
    """The citizen named a xã/phường that no office in office.yaml serves."""
    communes = offices(knowledge, "xã")
    text = (f"{named} không thuộc phạm vi của {scope(knowledge)}. Bạn liên hệ UBND xã, "
            f"phường nơi mình cư trú, hoặc gọi tổng đài Cổng Dịch vụ công quốc gia "
            f"{knowledge.hotline}.")
    if communes:
        text += "\n\nNếu gõ nhầm, bạn gõ lại /xaphuong <tên> hoặc chọn nơi của mình bên dưới."
    options = [Option(o["name"], data(OFFICE, o["id"])) for o in communes[:8]]
    return Reply(text, [*options, MENU])


def typed(ctx: Context, text: str, state: UserState, talk: bool = False) -> list[Reply]:
    """A message typed after the bot asked for the citizen's xã/phường: the office
    found is remembered; a commune no office serves gets a clear answer; anything else
    (a question, or small talk: ``talk``) is left to the rest of the conversation."""
    office = find(ctx.knowledge, text)
    if office is not None:
        return [remember(ctx.knowledge, state, office)]
    if not offices(ctx.knowledge, "xã"):
        return []
    named = named_commune(text)
    if not named:
        if talk or ctx.matcher.match(text).status != "unknown":
            return []
        named = named_commune(text, asked=True)
    return [unserved(ctx.knowledge, named)] if named else []


# --- the citizen's command and buttons ---------------------------------------------------


def choose(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    """/xaphuong [name]: remember the commune named, say so when no office serves it,
    or ask for it."""
    office = find(ctx.knowledge, arg) if arg.strip() else None
    if office is not None:
        return [remember(ctx.knowledge, state, office)]
    if not offices(ctx.knowledge, "xã"):
        return [Reply("Bot chưa có danh sách xã/phường của đơn vị. Bạn hỏi nơi nộp "
                      "tại UBND xã/phường nơi mình cư trú nhé.", [MENU])]
    named = named_commune(arg, asked=True) if arg.strip() else ""
    if named:
        return [unserved(ctx.knowledge, named)]
    return [ask(ctx.knowledge, state)]


def picked(ctx: Context, msg: Message, parts: list[str], state: UserState) -> list[Reply]:
    """o:<office id>: one of the offices ``ask`` offered."""
    office = by_id(ctx.knowledge, parts[0]) if len(parts) == 1 else None
    if office is None:
        return [stale()]
    return [remember(ctx.knowledge, state, office)]


COMMANDS = [
    Command("xaphuong", choose, "Chọn xã/phường của bạn", order=5, suggested=True),
]
BUTTONS: dict[str, ButtonHandler] = {OFFICE: picked}
