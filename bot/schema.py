"""What a knowledge file must look like: the field specs and the checks of each file.

Every entry kind, the office file and the answer items have a spec (field name ->
type and whether it is required); ``check_fields`` holds a mapping read by
``bot.yamlfile`` to its spec, and the other checks add the rules a spec cannot say
(ids, online levels, answer length, notes meant for editors). Each check appends
``Problem`` objects and never raises. Checks across entries (links, answers applied
to other entries, the office's fees) need the whole knowledge and are in
``bot.knowledge``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from bot.yamlfile import LineDict, Problem


PLACEHOLDER = "VÍ DỤ:"
# The warning of a value still to be filled in (``motcua validate`` lists them).
PLACEHOLDER_WARNING = "còn giá trị mẫu “VÍ DỤ:”"  # how every such warning starts
PLACEHOLDER_LEFT = f"{PLACEHOLDER_WARNING}, cần thay bằng thông tin thật của đơn vị"
KINDS = ("procedure", "contact", "guide", "feedback_channel", "faq", "uncovered")
ONLINE_LEVELS = ("toàn trình", "một phần", "không")

# Field specs: name -> (type, required). Types: str, list (of str), bool, date,
# online (mapping), ids (list of entry ids), ids:KIND (ids of that kind).
COMMON = {
    "id": ("id", True),
    "kind": ("str", True),
    "title": ("str", True),
    "aliases": ("list", True),
    "questions": ("list", False),
    "field": ("str", False),
    "summary": ("str", False),
    "notes": ("str", False),
    "related": ("ids", False),
    "sources": ("list", True),
    "updated": ("date", False),
    "answers": ("answers", False),
}
BY_KIND = {
    "procedure": {
        "field": ("str", True),
        "code": ("str", False),
        "agency": ("str", True),
        "level": ("str", True),
        "who": ("str", False),
        "documents": ("list", True),
        "steps": ("list", False),
        "processing_time": ("str", True),
        "fee": ("str", True),
        "submit": ("str", True),
        "online": ("online", True),
        "result": ("str", False),
        "legal_basis": ("list", True),
        "contacts": ("ids:contact", False),
        "guides": ("ids:guide", False),
        "imported": ("bool", False),
        "url": ("str", False),
    },
    "contact": {
        "summary": ("str", True),
        "address": ("str", False),
        "hours": ("str", False),
        "phones": ("list", False),
        "email": ("str", False),
        "url": ("str", False),
        "handles": ("list", False),
    },
    "guide": {
        "summary": ("str", True),
        "steps": ("list", True),
        "url": ("str", False),
        "contacts": ("ids:contact", False),
        "guides": ("ids:guide", False),
    },
    "feedback_channel": {
        "summary": ("str", True),
        "steps": ("list", False),
        "url": ("str", False),
        "phones": ("list", False),
        "legal_basis": ("list", False),
        "deadline": ("str", False),
        "contacts": ("ids:contact", False),
        "starts_feedback": ("bool", False),
    },
    "faq": {
        "answer": ("str", True),
        "steps": ("list", False),
        "url": ("str", False),
    },
    # a procedure the bot does not guide: named so that a question about it is told so
    # (and where it is handled), not answered with a neighbour's card
    "uncovered": {
        "agency": ("str", False),
    },
}
IMPORTED_REQUIRED = ("id", "kind", "title", "sources", "code")
ONLINE = {
    "available": ("bool", True),
    "level": ("str", False),
    "url": ("str", False),
    "note": ("str", False),
}
OFFICE = {
    "name": ("str", True),
    "short_name": ("str", False),
    "hotline": ("str", False),
    "province": ("str", False),
    "feedback_deadline_days": ("int", False),
    "staff": ("staff", False),
    "offices": ("mappings", False),
    "fees": ("texts", False),
}
# One bot may serve a whole province: each one-stop centre with the communes it serves.
OFFICE_ITEM = {
    "id": ("id", True),
    "name": ("str", True),
    "level": ("str", True),
    "areas": ("list", False),
    "address": ("str", False),
    "hours": ("str", False),
    "phones": ("list", False),
    "email": ("str", False),
    "url": ("str", False),
}
OFFICE_LEVELS = ("xã", "tỉnh")
# Who decides a procedure: one of these, or several separated by commas ("cấp xã, cấp tỉnh").
PROCEDURE_LEVELS = ("cấp xã", "cấp tỉnh", "trung ương")
# Where a procedure's facts are checked against the national record.
NATIONAL_PORTAL = "dichvucong.gov.vn"
# A short answer to one specific question about an entry ("khai sinh trễ có bị phạt
# không"): several phrasings, one answer that starts with the verdict, its source.
# ``applies_to`` lets one answer (in a faq entry, say) serve several procedures.
ANSWER_ITEM = {
    "id": ("id", True),
    "questions": ("list", True),
    "answer": ("str", True),
    "source": ("str", True),
    "applies_to": ("ids", False),
}
ANSWER_MAX = 420  # characters: one to three sentences on a phone
# Words meant for editors that must never reach a citizen.
EDITOR_WORDS = ("chưa kiểm chứng", "chưa xác minh", "một nguồn", "nguồn khác", "cần kiểm tra lại",
                "chưa rõ nguồn", "theo nguồn", "nguồn thứ cấp", "chưa đối chiếu", "báo chí đưa tin")
STAFF = {"telegram": ("list", False), "zalo": ("list", False), "chat": ("str", False),
         "names": ("texts", False)}  # "telegram:111" -> the name reports show
# Top-level office.yaml fields of earlier versions that no reply showed: each centre's
# contacts are written once, in its ``offices:`` item (what citizens see).
MOVED_TO_OFFICES = {"address": "address", "hours": "hours", "phones": "phones",
                    "email": "email", "website": "url"}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def is_placeholder(value: Any) -> bool:
    """Example data an office must replace: a text starting with "VÍ DỤ:"."""
    if not isinstance(value, str):
        return False
    head = unicodedata.normalize("NFC", value[:12]).lstrip().upper()
    return head.startswith(PLACEHOLDER) or head.startswith("VI DU:")


def type_ok(kind: str, value: Any) -> bool:
    if kind in ("str", "id"):
        return isinstance(value, str)
    if kind in ("list",) or kind.startswith("ids"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "date":
        return isinstance(value, (dt.date, str))
    if kind == "answers":
        return isinstance(value, list)
    if kind in ("online", "staff"):
        return isinstance(value, dict)
    if kind == "texts":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if kind == "mappings":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    return False


_TYPE_NAMES = {"str": "text", "id": "text", "list": "a list of texts", "bool": "true or false",
               "int": "a whole number", "date": "a date (YYYY-MM-DD)",
               "online": "a mapping", "staff": "a mapping",
               "mappings": "a list of mappings", "answers": "a list of answer items",
               "texts": "a mapping of entry ids to texts"}


def check_fields(data: LineDict, spec: dict[str, tuple[str, bool]], rel: str,
                 problems: list[Problem], prefix: str = "") -> None:
    for key, line in data.duplicates:
        problems.append(Problem(rel, line, prefix + key, "field given twice"))
    for key, value in data.items():
        line = data.line_of(key)
        name = prefix + key
        if key not in spec:
            problems.append(Problem(rel, line, name, "unknown field"))
            continue
        kind, required = spec[key]
        if value is None:
            problems.append(Problem(rel, line, name, "empty"))
        elif not type_ok(kind, value):
            type_name = _TYPE_NAMES.get(kind, "a list of entry ids")
            problems.append(Problem(rel, line, name, f"must be {type_name}"))
        elif isinstance(value, str) and not value.strip():
            problems.append(Problem(rel, line, name, "empty"))
        elif isinstance(value, list) and any(isinstance(v, str) and not v.strip() for v in value):
            problems.append(Problem(rel, line, name, "empty item"))
        elif isinstance(value, list) and not value and required:
            problems.append(Problem(rel, line, name, "empty list"))
        elif is_placeholder(value) or (isinstance(value, list) and any(map(is_placeholder, value))):
            problems.append(Problem(rel, line, name, PLACEHOLDER_LEFT, warning=True))
    for key, (_, required) in spec.items():
        if required and key not in data:
            problems.append(Problem(rel, data.line, prefix + key, "missing"))


def check_entry(data: LineDict, rel: str, problems: list[Problem]) -> bool:
    """Check one entry (defaults merged in); True when it can be kept: its kind is
    known and its id and title are texts."""
    kind = data.get("kind")
    if kind not in KINDS:
        where = data.line_of("kind")
        message = f"must be one of {', '.join(KINDS)}" if "kind" in data else "missing"
        problems.append(Problem(rel, where, "kind", message))
        return False
    spec = {**COMMON, **BY_KIND[kind]}
    if data.get("imported") is True:  # national-catalog records: only what they carry
        spec = {k: (t, k in IMPORTED_REQUIRED) for k, (t, _) in spec.items()}
    check_fields(data, spec, rel, problems)
    entry_id = data.get("id")
    if isinstance(entry_id, str) and not _ID.match(entry_id):
        problems.append(Problem(rel, data.line_of("id"), "id",
                                "use lower-case ASCII letters, digits and '-'"))
    online = data.get("online")
    if isinstance(online, LineDict):
        check_fields(online, ONLINE, rel, problems, prefix="online.")
        level = online.get("level")
        if isinstance(level, str) and level not in ONLINE_LEVELS:
            problems.append(Problem(rel, online.line_of("level"), "online.level",
                                    f"must be one of {', '.join(ONLINE_LEVELS)}"))
    if isinstance(data.get("answers"), list):
        _check_answers(data["answers"], data.line_of("answers"), rel, problems)
    if kind == "procedure":
        _check_procedure(data, rel, problems)
    _check_editor_words(data, rel, problems)
    return isinstance(entry_id, str) and isinstance(data.get("title"), str)


def _check_procedure(data: LineDict, rel: str, problems: list[Problem]) -> None:
    """Warnings a spec cannot give: a level that is none of the known ones, and a
    procedure with nothing that ties it to the national record (no ``code`` and no
    source on the national portal), whose facts cannot be checked against it."""
    level = data.get("level")
    if isinstance(level, str) and level.strip() and not is_placeholder(level):
        parts = [p.strip() for p in unicodedata.normalize("NFC", level).lower().split(",")]
        if any(p not in PROCEDURE_LEVELS for p in parts):
            problems.append(Problem(rel, data.line_of("level"), "level", warning=True, message=(
                f"'{level}' không phải cấp giải quyết đã biết: dùng {', '.join(PROCEDURE_LEVELS)}"
                " (nhiều cấp thì cách nhau bằng dấu phẩy, ví dụ: cấp xã, cấp tỉnh)")))
    if data.get("imported") is True or data.get("code"):
        return
    sources = data.get("sources") if isinstance(data.get("sources"), list) else []
    if not any(NATIONAL_PORTAL in str(s) for s in sources):
        problems.append(Problem(rel, data.line_of("sources"), "sources", warning=True, message=(
            "thủ tục chưa có nguồn quốc gia: thêm code (mã thủ tục trên Cổng Dịch vụ công "
            "quốc gia) hoặc trang https://dichvucong.gov.vn/thu-tuc-hanh-chinh/... vào "
            "sources")))


def _check_answers(items: list, line: int, rel: str, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for n, item in enumerate(items):
        prefix = f"answers[{n}]."
        if not isinstance(item, LineDict):
            problems.append(Problem(rel, line, f"answers[{n}]", "each answer item must be a "
                                    "mapping with id, questions, answer and source"))
            continue
        check_fields(item, ANSWER_ITEM, rel, problems, prefix=prefix)
        item_id = item.get("id")
        if isinstance(item_id, str):
            if not _ID.match(item_id):
                problems.append(Problem(rel, item.line_of("id"), prefix + "id",
                                        "use lower-case ASCII letters, digits and '-'"))
            elif item_id in seen:
                problems.append(Problem(rel, item.line_of("id"), prefix + "id",
                                        f"duplicate answer id '{item_id}' (first at line "
                                        f"{seen[item_id]})"))
            else:
                seen[item_id] = item.line_of("id")
        text = item.get("answer")
        if isinstance(text, str):
            if len(text) > ANSWER_MAX:
                problems.append(Problem(rel, item.line_of("answer"), prefix + "answer",
                                        f"{len(text)} characters: keep an answer under "
                                        f"{ANSWER_MAX} (one to three sentences)", warning=True))
            for word in EDITOR_WORDS:
                if word in unicodedata.normalize("NFC", text).lower():
                    problems.append(Problem(rel, item.line_of("answer"), prefix + "answer",
                                            f"'{word}' is a note for editors: citizens see "
                                            "this text (leave the fact out, or say where to "
                                            "ask)"))



# Fields that never reach a citizen's screen as they are written
EDITOR_FIELDS = {"id", "sources", "code", "url", "updated", "kind", "imported"}


def _check_editor_words(data: LineDict, rel: str, problems: list[Problem]) -> None:
    """A note meant for editors ("chưa kiểm chứng", "một nguồn nói") in a field a citizen
    reads is an error: leave the fact out, or say where to ask (YAML comments are for
    editors)."""
    for key, value in data.items():
        if key in EDITOR_FIELDS or key == "answers":
            continue
        texts = value if isinstance(value, list) else \
            list(value.values()) if isinstance(value, dict) else [value]
        for text in texts:
            if not isinstance(text, str):
                continue
            low = unicodedata.normalize("NFC", text).lower()
            word = next((w for w in EDITOR_WORDS if w in low), None)
            if word:
                problems.append(Problem(rel, data.line_of(key), key, f"'{word}' is a note for "
                                        "editors: citizens see this text (leave the fact out, "
                                        "say where to ask, or move the note to a # comment)"))


def check_office(doc: LineDict, rel: str, problems: list[Problem]) -> None:
    """office.yaml: its fields, the staff mapping and each one-stop centre."""
    moved = [key for key in doc if key in MOVED_TO_OFFICES]
    for key in moved:
        problems.append(Problem(rel, doc.line_of(key), key, warning=True, message=(
            f"không còn dùng ở đầu office.yaml, bot không hiển thị: ghi vào mục "
            f"`{MOVED_TO_OFFICES[key]}` của trung tâm trong offices:")))
    kept = LineDict((k, v) for k, v in doc.items() if k not in moved)
    kept.line, kept.key_lines, kept.duplicates = doc.line, doc.key_lines, doc.duplicates
    check_fields(kept, OFFICE, rel, problems)
    staff = doc.get("staff")
    if isinstance(staff, LineDict):
        check_fields(staff, STAFF, rel, problems, prefix="staff.")
    offices = doc.get("offices") if type_ok("mappings", doc.get("offices")) else []
    seen: set[str] = set()
    for index, office in enumerate(offices or []):
        prefix = f"offices[{index}]."
        check_fields(office, OFFICE_ITEM, rel, problems, prefix=prefix)
        if office.get("level") not in OFFICE_LEVELS and "level" in office:
            problems.append(Problem(rel, office.line_of("level"), prefix + "level",
                                    f"must be one of {', '.join(OFFICE_LEVELS)}"))
        if office.get("id") in seen:
            problems.append(Problem(rel, office.line_of("id"), prefix + "id",
                                    f"duplicate office id '{office.get('id')}'"))
        seen.add(office.get("id"))
