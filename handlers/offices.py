"""Which one-stop centre a citizen belongs to: asked once, remembered per user.

``office.yaml`` may list many offices (each commune's Trung tâm Phục vụ hành chính
công and the province's), each with the communes it serves. Where an answer depends
on the office (nộp ở đâu, giờ làm việc, số điện thoại), the bot shows the citizen's
own office, or asks for their xã/phường when it does not know it yet.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz, process

from bot.knowledge import Knowledge, is_placeholder
from bot.text import fold
from handlers.callbacks import OFFICE, data
from handlers.cards import MENU, stale
from handlers.context import ButtonHandler, Command, Context
from handlers.state import UserState
from handlers.types import Message, Option, Reply

# Entries whose answer is about the office itself.
OFFICE_ENTRIES = {"tt-pvhcc-xa": "xã", "tt-pvhcc-tinh": "tỉnh", "gio-lam-viec": "xã"}
_PREFIX = re.compile(r"^(?:xa|phuong|thi tran|dac khu|tinh|thanh pho|tp)\s+")
ASK = ("Bạn ở xã/phường nào? Gõ tên để mình chỉ đúng nơi nộp, giờ làm việc và số điện "
       "thoại (ví dụ: {example}). Đổi lại sau bằng /xaphuong.")


def offices(knowledge: Knowledge, level: str | None = None) -> list[dict[str, Any]]:
    """Offices the office has filled in (placeholders are never shown)."""
    return [o for o in knowledge.office.get("offices") or []
            if isinstance(o, dict) and not is_placeholder(o.get("name"))
            and (level is None or o.get("level") == level)]


def _name(text: str) -> str:
    return _PREFIX.sub("", fold(text)).strip()


def find(knowledge: Knowledge, text: str) -> dict[str, Any] | None:
    """The commune office serving the place the citizen typed, old names included."""
    wanted = _name(text)
    if not wanted:
        return None
    names: dict[str, dict[str, Any]] = {}
    for office in offices(knowledge, "xã"):
        for area in [office.get("name", ""), *(office.get("areas") or [])]:
            if not is_placeholder(area) and _name(area):
                names[_name(area)] = office
    if wanted in names:
        return names[wanted]
    best = process.extractOne(wanted, list(names), scorer=fuzz.ratio, score_cutoff=85)
    return names[best[0]] if best else None


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


# --- the citizen's command and buttons ---------------------------------------------------


def choose(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    """/xaphuong [name]: remember the commune named, or ask for it."""
    if arg.strip() and find(ctx.knowledge, arg):
        return [remember(ctx.knowledge, state, find(ctx.knowledge, arg))]
    if not offices(ctx.knowledge, "xã"):
        return [Reply("Bot chưa có danh sách xã/phường của đơn vị. Bạn hỏi nơi nộp "
                      "tại UBND xã/phường nơi mình cư trú nhé.", [MENU])]
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
