"""Answer cards: how an entry, or one part of it, reads on a phone screen."""

from __future__ import annotations

import datetime as dt

from bot.knowledge import ASPECT_FIELDS, Answer, Entry, Knowledge, is_placeholder
from bot.text import fold
from handlers.callbacks import ENTRY, FEEDBACK, MENU_PATH, SOURCE, data
from handlers.types import Option, Reply

ASPECT_LABELS = {
    "documents": "Hồ sơ cần gì",
    "fee": "Lệ phí",
    "time": "Thời hạn",
    "place": "Nộp ở đâu",
    "online": "Nộp trực tuyến",
    "legal": "Điều kiện, căn cứ",
    "notes": "Lưu ý",
}
ASPECT_TITLES = {
    "documents": "Hồ sơ cần chuẩn bị",
    "fee": "Phí, lệ phí",
    "time": "Thời hạn giải quyết",
    "place": "Nơi nộp và cách nộp",
    "online": "Nộp trực tuyến",
    "legal": "Ai được làm, căn cứ pháp lý",
    "notes": "Lưu ý",
}
KIND_ICONS = {"procedure": "📄", "contact": "🏢", "guide": "🧭", "feedback_channel": "📣",
              "faq": "💬"}
MENU = Option("☰ Menu", MENU_PATH)


def stale() -> Reply:
    """The reply to a button whose data no longer leads anywhere."""
    return Reply("Lựa chọn này đã cũ. Bạn mở lại menu nhé.", [MENU])


def bullets(items: list[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def step_lines(items: list[str]) -> str:
    """Steps as "Bước 1: …", never "1. …": on channels without buttons the options
    under a card are numbered lines, and a typed number picks one of those."""
    return "\n".join(f"Bước {n}: {item}" for n, item in enumerate(items, 1))


def _updated(entry: Entry) -> str:
    value = entry.get("updated")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value) if value else ""


def _online_text(entry: Entry) -> str:
    online = entry.get("online") or {}
    if not online.get("available"):
        text = "Chưa nộp trực tuyến được, bạn cần đến nộp trực tiếp."
    else:
        level = online.get("level")
        text = "Nộp trực tuyến được"
        if level == "toàn trình":
            text += " toàn trình (làm hết trên mạng, nhận kết quả qua mạng hoặc bưu điện)."
        elif level == "một phần":
            text += " một phần (có bước vẫn phải đến nơi làm thủ tục)."
        else:
            text += "."
    if online.get("note"):
        text += f"\n{online['note']}"
    return text


def _online_url(entry: Entry) -> str:
    online = entry.get("online") or {}
    return online.get("url", "") if online.get("available") else ""


def local_fee(knowledge: Knowledge, entry: Entry) -> str:
    """The province's own fee for this procedure, from office.yaml, if filled in."""
    fee = (knowledge.office.get("fees") or {}).get(entry.id)
    if not fee or is_placeholder(fee):
        return ""
    where = knowledge.office.get("province")
    where = "" if not where or is_placeholder(where) else f" ({where})"
    return f"Mức thu tại địa phương{where}: {fee}"


def aspect_body(entry: Entry, aspect: str, knowledge: Knowledge | None = None) -> str:
    if aspect == "documents":
        return bullets(entry.get("documents", []))
    if aspect == "fee":
        local = local_fee(knowledge, entry) if knowledge else ""
        return "\n".join(t for t in (entry.get("fee", ""), local) if t)
    if aspect == "time":
        return entry.get("processing_time", "")
    if aspect == "place":
        return "\n".join(t for t in (entry.get("submit", ""), _agency_line(entry)) if t)
    if aspect == "online":
        return _online_text(entry)
    if aspect == "legal":  # "có bắt buộc không", "có bị phạt không", "luật nào"
        basis = bullets(entry.get("legal_basis", []))
        who = entry.get("who", "")
        return f"{who}\n\nCăn cứ pháp lý:\n{basis}" if who and basis else who or basis
    if aspect == "notes":
        return entry.get("notes", "")
    return ""


def _agency_line(entry: Entry) -> str:
    """Who decides, under where to submit ("làm ở xã nào" is asked of the authority as
    often as of the desk), unless the place already names it."""
    agency, submit = entry.get("agency", ""), fold(entry.get("submit", ""))
    if not agency or fold(agency.split(" (")[0].split(";")[0]) in submit:
        return ""
    return f"Cơ quan giải quyết: {agency}"


def brief(text: str, limit: int = 170) -> str:
    """The first sentence of a text, cut under ``limit`` characters at a clause or a word,
    never inside one: the overview card stays short, the full text is one tap away."""
    text = text.strip()
    end = next((i + 1 for i, ch in enumerate(text) if ch == "." and i >= 20
                and (i + 1 == len(text) or text[i + 1] == " ")), len(text))
    first = text[:end].rstrip(".")
    if len(first) > limit:  # at a clause (";", ",", ":") where one ends late enough, else a word
        head = first[:limit]
        clause = max(head.rfind(mark) for mark in (";", ",", ":"))
        first = head[:clause] + "…" if clause >= limit * 0.5 else head.rsplit(" ", 1)[0] + "…"
    return first


def _footer(entry: Entry) -> str:
    updated = _updated(entry)
    return f"Cập nhật: {updated}. Thông tin để tham khảo; quy định của nơi nộp là căn cứ cuối cùng." \
        if updated else ""


CURRENT = "✓ "  # before the option of the part a card shows


MAIN_PARTS = ("documents", "fee", "place")  # one tap from every card of a procedure
MORE = "more"  # e:<id>:more, the other parts: time, online, conditions, notes
MORE_LABEL = "Thêm: thời hạn, trực tuyến, điều kiện…"


def procedure_options(entry: Entry, current: str | None = None) -> list[Option]:
    """Four lines and the menu, in one order on every card of a procedure, so that a
    number typed on a channel without buttons always picks the same part ("2" is the fee
    on the overview and on the documents card alike); the part shown is marked. The
    other parts are one line: "Thêm…"."""
    options = [Option(f"{CURRENT}{ASPECT_LABELS[aspect]}" if aspect == current
                      else ASPECT_LABELS[aspect], data(ENTRY, entry.id, aspect))
               for aspect in MAIN_PARTS if entry.get(ASPECT_FIELDS[aspect])]
    more = _more_parts(entry)
    if more:
        marked = current in more
        options.append(Option(f"{CURRENT}{MORE_LABEL}" if marked else MORE_LABEL,
                              data(ENTRY, entry.id, MORE)))
    return [*options, MENU]


def _more_parts(entry: Entry) -> list[str]:
    return [a for a in ASPECT_LABELS if a not in MAIN_PARTS and entry.get(ASPECT_FIELDS[a])]


def more_card(entry: Entry) -> Reply:
    """The other parts of a procedure, and the portal page once."""
    options = [Option(ASPECT_LABELS[a], data(ENTRY, entry.id, a)) for a in _more_parts(entry)]
    url = _online_url(entry) or entry.get("url")
    if url:
        options.append(Option("🌐 Mở trang của thủ tục", url=url))
    options.append(Option("↩ Về thủ tục", data(ENTRY, entry.id)))
    return Reply(f"{KIND_ICONS['procedure']} {entry.title}\n\nBạn muốn xem phần nào?",
                 [*options, MENU])


def entry_option(entry: Entry, aspect: str | None = None) -> Option:
    """A button that opens an entry (a procedure at the part asked, when one was)."""
    parts = [aspect] if aspect and entry.kind == "procedure" else []
    return Option(f"{KIND_ICONS[entry.kind]} {entry.title}", data(ENTRY, entry.id, *parts))


def _link_options(knowledge: Knowledge, entry: Entry) -> list[Option]:
    options = []
    for target in entry.links():
        other = knowledge.entries.get(target)
        if other is not None and len(options) < 3:
            options.append(entry_option(other))
    return options


def procedure_card(knowledge: Knowledge, entry: Entry, aspect: str | None = None,
                   also: tuple[str, ...] | list[str] = ()) -> Reply:
    """A procedure's card; led by ``aspect`` when asked, with a short line for each
    other part the question asked (``also``: "ở đâu, mất mấy ngày và lệ phí bao nhiêu")."""
    title = f"{KIND_ICONS['procedure']} {entry.title}"
    body = aspect_body(entry, aspect, knowledge) if aspect in ASPECT_LABELS else ""
    if body:
        lines = [title, f"{ASPECT_TITLES[aspect]}:", body]
        others = [p for p in dict.fromkeys(also) if p not in (aspect, "time")][:ALSO_PARTS]
        lines += [line for line in (part_line(knowledge, entry, p) for p in others) if line]
        if aspect not in ("time", "legal", "notes") and entry.get("processing_time"):
            lines.append(f"⏱ Thời hạn: {entry.get('processing_time')}")
        if aspect == "online" and _online_url(entry):  # the portal page, once
            lines.append(f"🌐 {_online_url(entry)}")
        official = [s for s in entry.get("sources") or [] if ".gov.vn" in s and " " not in s]
        if aspect == "legal" and official:  # the official pages; the rest is for editors
            lines.append("Nguồn: " + "; ".join(official[:2]))
        return Reply("\n\n".join(lines), procedure_options(entry, current=aspect))
    head = [title, " · ".join(f"{label}: {entry.get(key)}" for key, label in
                              (("field", "Lĩnh vực"), ("agency", "Cơ quan")) if entry.get(key))]
    parts = ["\n".join(line for line in head if line)]
    lead = entry.get("summary") or entry.get("who")
    if lead:
        parts.append(brief(lead, 240))
    facts = [f"{icon} {label}: {brief(entry.get(key))}" for key, icon, label in (
        ("processing_time", "⏱", "Thời hạn"), ("fee", "💰", "Lệ phí"),
        ("submit", "📍", "Nộp ở đâu")) if entry.get(key)]
    local = local_fee(knowledge, entry)
    if local:
        facts.insert(2, f"💰 {local}")
    if entry.get("online"):
        facts.append(f"🌐 {brief(_online_text(entry).splitlines()[0])}")
    if facts:
        parts.append("\n".join(facts))
    if entry.get("imported"):
        parts.append("Thông tin lấy từ danh mục thủ tục trên Cổng Dịch vụ công quốc gia; "
                     "xem đầy đủ tại trang của thủ tục.")
    parts.append("Chọn mục bên dưới để xem chi tiết.")
    footer = _footer(entry)
    if footer:
        parts.append(footer)
    return Reply("\n\n".join(parts), procedure_options(entry))


def contact_lines(entry: Entry, hotline: str) -> list[str]:
    lines = []
    for key, label in (("address", "📍 Địa chỉ"), ("hours", "🕒 Giờ làm việc"),
                       ("email", "✉️ Email"), ("url", "🌐 Trang web")):
        if entry.get(key):
            lines.append(f"{label}: {entry.get(key)}")
    phones = entry.get("phones", [])
    if phones:
        lines.append("☎️ Điện thoại: " + ", ".join(phones))
    has_placeholder = any(k in entry.data and not entry.get(k)
                          for k in ("address", "hours", "phones"))
    if has_placeholder:
        lines.append(no_contacts_note(hotline))
    return lines


def no_contacts_note(hotline: str) -> str:
    """Said where the bot has no address, hours and phones for the place asked about."""
    return (f"Bot chưa có địa chỉ, giờ làm việc và số điện thoại cụ thể của nơi này. Bạn hỏi "
            f"tại UBND xã, phường nơi mình ở, hoặc gọi tổng đài Cổng Dịch vụ công quốc gia "
            f"{hotline}.")


def entry_card(knowledge: Knowledge, entry: Entry, aspect: str | None = None,
               also: tuple[str, ...] | list[str] = ()) -> Reply:
    """The reply for one entry; for a procedure, led by ``aspect`` when asked (and the
    ``also`` parts asked besides, one line each)."""
    if entry.kind == "procedure":
        return procedure_card(knowledge, entry, aspect, also)
    hotline = knowledge.hotline
    parts = [f"{KIND_ICONS[entry.kind]} {entry.title}"]
    body = entry.get("answer") or entry.get("summary")
    if body:
        parts.append(body)
    if entry.get("steps"):
        parts.append(step_lines(entry.get("steps")))
    if entry.kind == "contact":
        lines = contact_lines(entry, hotline)
        if lines:
            parts.append("\n".join(lines))
    if entry.kind == "feedback_channel":
        extra = []
        if entry.get("phones"):
            extra.append("☎️ " + ", ".join(entry.get("phones")))
        if entry.get("deadline"):
            extra.append(f"⏱ {entry.get('deadline')}")
        if extra:
            parts.append("\n".join(extra))
    if entry.get("notes"):
        parts.append(f"Lưu ý: {entry.get('notes')}")
    options: list[Option] = []
    if entry.kind == "feedback_channel" and entry.get("starts_feedback"):
        options.append(Option("✍️ Gửi phản ánh qua bot", FEEDBACK))
    if entry.get("url") and entry.kind != "contact":  # a contact's lines give it already
        options.append(Option("🌐 Mở trang", url=entry.get("url")))
    options.extend(_link_options(knowledge, entry))
    options.append(MENU)
    return Reply("\n\n".join(parts), options)


PART_ICONS = {"documents": "📋", "fee": "💰", "time": "⏱", "place": "📍", "online": "🌐"}
PART_ITEMS = 4  # documents listed under an answer before "…"
ALSO_PARTS = 3  # parts asked besides the lead that a reply adds, one line each


def part_line(knowledge: Knowledge, entry: Entry, aspect: str | None) -> str:
    """A procedure's part, short, to follow an answer that does not give it: the fee
    under "có được miễn không", the time under an item on when to apply."""
    if entry.kind != "procedure" or aspect not in PART_ICONS:
        return ""
    if aspect == "documents":
        docs = entry.get("documents", [])
        more = ["…"] if len(docs) > PART_ITEMS else []
        return f"{PART_ICONS[aspect]} {ASPECT_TITLES[aspect]}:\n" + \
            bullets([brief(d, 120) for d in docs[:PART_ITEMS]] + more) if docs else ""
    body = aspect_body(entry, aspect, knowledge)
    first = body.splitlines()[0] if body else ""
    if not first:
        return ""
    line = f"{PART_ICONS[aspect]} {ASPECT_LABELS[aspect]}: {brief(first, 240)}"
    agency = _agency_line(entry) if aspect == "place" else ""
    return f"{line}\n{brief(agency, 200)}" if agency else line


def answer_card(knowledge: Knowledge, entry: Entry, answer: Answer,
                guess: bool = False, aspect: str | None = None,
                follow_up: bool = False, also: list[str] | None = None,
                second: Answer | None = None) -> Reply:
    """A specific question's answer: the answer first, then one line naming the entry it
    is about, then a few ways into that entry's card and the source one tap away. A
    ``guess`` (the matcher was unsure of the entry) says so first; a ``follow_up`` (read
    against the topic) names the entry in its first line, so the topic is seen kept.
    ``also``: the parts the question asked that the answer does not give (``part_line``;
    ALSO_PARTS at most). ``second``: the answer to the other question of a message that asks
    two, after the first (named by its entry when that is another one)."""
    icon = KIND_ICONS[entry.kind]
    local = local_fee(knowledge, entry) if aspect == "fee" else ""
    body = "\n".join(t for t in (answer.text.strip(), local) if t)  # the province's amount
    extra = [line for line in (part_line(knowledge, entry, part)
                               for part in (also or [])[:ALSO_PARTS]) if line]
    if second is not None:
        other = knowledge.entries.get(second.entry_id)
        named = other is not None and other.id != entry.id and entry.id not in second.applies_to
        extra.insert(0, f"Về “{other.title}”: {second.text.strip()}" if named
                     else second.text.strip())
    if extra:
        body = "\n\n".join([body, *extra])
    if guess:
        text = f"Nếu bạn hỏi về “{entry.title}”:\n{body}"
    elif follow_up:
        text = f"{icon} {entry.title}\n\n{body}"
    else:
        text = f"{body}\n\n{icon} Về: {entry.title}"
    if entry.kind == "procedure":  # numbered as on the procedure's cards: 1 Hồ sơ, 2 Lệ phí…
        options = [o for o in procedure_options(entry) if o.data.split(":")[-1] in MAIN_PARTS]
    else:
        options = [Option("Xem chi tiết", data(ENTRY, entry.id))]
    source = data(SOURCE, answer.key)
    if len(source.encode()) <= 64:
        options.append(Option("📖 Căn cứ", source))
    return Reply(text, options[:4] + [MENU])


def source_card(knowledge: Knowledge, answer: Answer) -> Reply:
    """Where an answer item's facts come from, with the entry's legal basis."""
    entry = knowledge.entries.get(answer.entry_id)
    lines = [f"📖 Căn cứ: {answer.source}"]
    if entry is not None and entry.get("legal_basis"):
        lines += ["", "Văn bản liên quan:", bullets(entry.get("legal_basis"))]
    options = [entry_option(entry)] if entry is not None else []
    return Reply("\n".join(lines), options + [MENU])
