"""Screens every handler may show: the menu, an entry's card, the honest "I don't
know", and the reply for a match. Plain functions of the context."""

from __future__ import annotations

import re

from bot.knowledge import KINDS, Entry, is_placeholder
from bot.matcher import HINT_AT, SHOWN, Match
from bot.text import fold
from handlers import offices, topic
from handlers.callbacks import (ENTRY, FB_ASK, FEEDBACK, MENU_FIELD, MENU_FIELDS, MENU_KIND,
                                MENU_PATH, SOURCE, data)
from handlers.cards import (ALSO_PARTS, ASPECT_LABELS, ASPECT_TITLES, MENU, MORE, answer_card,
                            aspect_body, brief, entry_card, entry_option, more_card, no_contacts_note,
                            part_line, source_card, stale)
from handlers.context import ButtonHandler, Context
from handlers.state import UserState
from handlers.types import Message, Option, Reply

KIND_MENU = {
    "guide": "🧭 Hướng dẫn dịch vụ công trực tuyến",
    "contact": "🏢 Nơi tiếp nhận hồ sơ",
    "feedback_channel": "📣 Phản ánh, kiến nghị, khiếu nại",
    "faq": "💬 Câu hỏi thường gặp",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:40]


def office_name(ctx: Context) -> str:
    name = ctx.knowledge.office.get("name", "")
    return "" if not name or is_placeholder(name) else name


def menu(ctx: Context, path: list[str] | None = None) -> Reply:
    """The menu at ``path`` (the parts of an "m:..." button after the prefix)."""
    path = path or []
    knowledge = ctx.knowledge
    if not path:
        options = [Option("📄 Thủ tục theo lĩnh vực", data(MENU_PATH, MENU_FIELDS))]
        options += [Option(label, data(MENU_PATH, MENU_KIND, kind))
                    for kind, label in KIND_MENU.items()]
        options.append(Option("✍️ Gửi phản ánh, kiến nghị", FEEDBACK))
        return Reply("Bạn muốn tìm gì?", options)
    if path[0] == MENU_FIELDS:
        fields = knowledge.fields()
        return Reply("Chọn lĩnh vực:", [Option(f, data(MENU_PATH, MENU_FIELD, _slug(f)))
                                        for f in fields] + [MENU])
    if path[0] == MENU_FIELD and len(path) > 1:
        name = next((f for f in knowledge.fields() if _slug(f) == path[1]), None)
        entries = [e for e in knowledge.entries.values()
                   if e.kind == "procedure" and e.data.get("field") == name]
        if entries:
            return Reply(f"Thủ tục lĩnh vực {name}:",
                         [Option(e.title, data(ENTRY, e.id)) for e in entries]
                         + [Option("↩ Lĩnh vực khác", data(MENU_PATH, MENU_FIELDS)), MENU])
    if path[0] == MENU_KIND and len(path) > 1 and path[1] in KINDS:
        entries = [e for e in knowledge.entries.values() if e.kind == path[1]]
        if entries:
            label = KIND_MENU.get(path[1], "Danh mục")
            return Reply(f"{label}:", [entry_option(e) for e in entries] + [MENU])
    return Reply("Mục này không còn trong menu. Bạn chọn lại nhé:", menu(ctx).options)


def show(ctx: Context, entry: Entry, aspect: str | None, state: UserState) -> list[Reply]:
    """An entry's card; where it depends on the office, the citizen's own office: first
    for an entry about the office itself (hours, address, phones), after the procedure's
    own text for where to submit."""
    level = offices.OFFICE_ENTRIES.get(entry.id)
    if level and entry.kind != "procedure":
        local = offices.local_first(ctx.knowledge, entry, state, level)
        if local is not None:
            return [local]
    reply = entry_card(ctx.knowledge, entry, aspect)
    if level and entry.kind != "procedure" and not offices.offices(ctx.knowledge, level):
        # no centre of that level filled in under offices: (office.yaml) yet
        reply.text += "\n\n" + no_contacts_note(ctx.knowledge.hotline)
    if entry.kind == "procedure" and aspect == "place":
        level = "tỉnh" if "tỉnh" in str(entry.get("level", "")) and \
            "xã" not in str(entry.get("level", "")) else "xã"
    return offices.localize(ctx.knowledge, reply, state, level) if level else [reply]


def unknown(ctx: Context, match: Match | None = None) -> Reply:
    hotline = ctx.knowledge.hotline
    hint = match.hits[0] if match is not None and match.hits and \
        match.reason not in ("off_topic", "uncovered", "aside") and \
        match.hits[0].score >= HINT_AT else None
    if match is not None and match.reason in ("uncovered", "aside"):  # one we do not guide
        named = match.hits[0].entry
        agency = named.get("agency")
        lead = (f"Mình chưa có hướng dẫn về thủ tục “{named.title}”."
                + (f" Việc này do {agency} giải quyết." if agency else "")
                + " Bạn tra cứu thủ tục này trên Cổng Dịch vụ công quốc gia "
                  "(dichvucong.gov.vn) hoặc hỏi cán bộ nhé. Câu hỏi đã được ghi lại để "
                  "cán bộ bổ sung.")
    elif match is not None and match.reason == "off_topic":
        lead = ("Mình chỉ hỗ trợ hỏi đáp thủ tục hành chính và tiếp nhận phản ánh, kiến nghị, "
                "nên chưa trả lời được câu này.")
    elif hint is not None:  # an entry is close, but the question may be another one
        lead = ("Mình chưa chắc đã hiểu đúng câu hỏi, nên chưa có thông tin chắc chắn để trả "
                "lời. Câu hỏi đã được ghi lại để cán bộ bổ sung.")
    else:
        lead = ("Xin lỗi, mình chưa có thông tin cho câu hỏi này. Câu hỏi đã được ghi lại "
                "để cán bộ bổ sung.")
    lines = [lead, "", "Bạn có thể:", "• Xem danh mục thủ tục: /menu",
             f"• Gọi tổng đài Cổng Dịch vụ công quốc gia: {hotline}"]
    communes = offices.offices(ctx.knowledge, "xã")  # the office's own line, when it is one
    phones = [p for p in communes[0].get("phones") or [] if not is_placeholder(p)] \
        if len(communes) == 1 else []
    if phones:
        lines.append(f"• Gọi {communes[0]['name']}: {', '.join(phones)}")
    lines.append("• Gửi phản ánh, kiến nghị: /phananh")
    options = [MENU, Option("✍️ Gửi phản ánh", FEEDBACK)]
    if match is None or match.reason != "off_topic":  # a question for a person, then
        lines.insert(3, "• Hỏi trực tiếp cán bộ: gõ “hỏi cán bộ”")
        options.insert(1, Option("🙋 Hỏi cán bộ", data(FEEDBACK, FB_ASK)))
    if hint is not None:  # too unsure to suggest, close enough to offer one way on
        lines[1:1] = ["", f"Nếu bạn muốn hỏi về “{hint.entry.title}”, chọn mục đó bên dưới."]
        options.insert(0, entry_option(hint.entry, match.aspect))
    return Reply("\n".join(lines), options)


def _second(match: Match):
    return match.second.answer if match.second is not None else None


def reply_for(ctx: Context, match: Match) -> Reply:
    """What the bot says for a match: the answer item asked, else the card led by the
    part asked; when unsure, the likeliest entry's answer as a guess with the other
    choices; or honest ignorance."""
    knowledge = ctx.knowledge
    best = match.hits[0].entry if match.hits else None
    if match.status == "answer" and match.answer is not None:
        return answer_card(knowledge, best, match.answer.answer, aspect=match.aspect,
                           also=match.left_out(), second=_second(match))
    if match.status == "answer":
        return entry_card(knowledge, best, match.aspect, match.parts)
    if match.status != "suggest":
        return unknown(ctx, match)
    others = [entry_option(h.entry, match.aspect) for h in match.hits[1:3]]
    if match.answer is not None:  # the likeliest entry has an answer to this very question
        guess = answer_card(knowledge, best, match.answer.answer, guess=True,
                            aspect=match.aspect, also=match.left_out(), second=_second(match))
        guess.text += "\n\nNếu không phải, bạn chọn mục khác bên dưới nhé."
        guess.options = [*guess.options[:2], *others, MENU]
        return guess
    part = aspect_body(best, match.aspect, knowledge) \
        if match.aspect and best.kind == "procedure" else ""
    if part and match.aspect != "legal":  # the part asked, of the likeliest entry
        extra = [line for line in (part_line(knowledge, best, p) for p in match.parts
                                   if p != match.aspect) if line][:ALSO_PARTS]
        return Reply(f"Nếu bạn hỏi về “{best.title}”, {ASPECT_TITLES[match.aspect].lower()}:"
                     f"\n{brief(part, 400)}" + "".join(f"\n{line}" for line in extra) +
                     "\n\nHoặc ý bạn là một trong các mục sau?",
                     [entry_option(best, match.aspect), *others, MENU])
    options = [entry_option(h.entry, match.aspect) for h in match.hits[:SHOWN]]
    return Reply("Ý bạn là một trong các mục sau? Chọn một mục nhé:", options + [MENU])


# --- buttons -----------------------------------------------------------------------------


def menu_pressed(ctx: Context, msg: Message, path: list[str], state: UserState
                 ) -> list[Reply]:
    return [menu(ctx, path)]


def entry_pressed(ctx: Context, msg: Message, parts: list[str], state: UserState
                  ) -> list[Reply]:
    """e:<entry id>[:<aspect>]: the entry's card, at the part asked when there is one."""
    if not parts:
        return [stale()]
    entry = ctx.knowledge.entries.get(parts[0])
    if entry is None:
        return [Reply("Mục này không còn trong dữ liệu. Bạn mở lại menu nhé.", [MENU])]
    if len(parts) > 1 and parts[1] == MORE and entry.kind == "procedure":
        topic.remember(state, entry)
        return [more_card(entry)]
    aspect = parts[1] if len(parts) > 1 and parts[1] in ASPECT_LABELS else None
    topic.remember(state, entry, aspect)
    return show(ctx, entry, aspect, state)


def follow_up(ctx: Context, followed: topic.Followed, state: UserState) -> list[Reply]:
    """A message read against the topic: the answer item it asks, or the part."""
    entry, item = followed.entry, followed.item
    topic.remember(state, entry, followed.aspect, item.answer.key if item else None)
    if item is not None:
        missing = item.leaves_out(followed.aspect)
        return [answer_card(ctx.knowledge, entry, item.answer, aspect=followed.aspect,
                            follow_up=True, also=[missing] if missing else [])]
    return show(ctx, entry, followed.aspect, state)


def source_pressed(ctx: Context, msg: Message, parts: list[str], state: UserState
                   ) -> list[Reply]:
    """src:<answer key>: where an answer item's facts come from."""
    answer = ctx.knowledge.answers.get(parts[0]) if parts else None
    return [source_card(ctx.knowledge, answer) if answer is not None else stale()]


BUTTONS: dict[str, ButtonHandler] = {MENU_PATH: menu_pressed, ENTRY: entry_pressed,
                                     SOURCE: source_pressed}
