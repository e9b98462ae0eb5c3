"""Load and validate the YAML knowledge base.

A knowledge folder holds ``office.yaml`` (the office's own details),
``synonyms.yaml`` (abbreviations and regional words) and any number of entry
files (``*.yaml``, subfolders too), each a mapping with ``entries:`` and an
optional ``defaults:`` merged into every entry. ``knowledge/README.md`` is the
reference for every field.

``load`` never raises on bad data: it returns what it could read together with
every problem found, each pointing at ``file:line: field``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


PLACEHOLDER = "VÍ DỤ:"
NATIONAL_HOTLINE = "18001096"  # Cổng Dịch vụ công quốc gia
KINDS = ("procedure", "contact", "guide", "feedback_channel", "faq")
ONLINE_LEVELS = ("toàn trình", "một phần", "không")
ASPECT_FIELDS = {
    "documents": "documents",
    "fee": "fee",
    "time": "processing_time",
    "place": "submit",
    "online": "online",
    "legal": "legal_basis",
    "notes": "notes",  # not asked by the matcher: the card's "Lưu ý" option
}

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
    "address": ("str", False),
    "hours": ("str", False),
    "phones": ("list", False),
    "email": ("str", False),
    "website": ("str", False),
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
STAFF = {"telegram": ("list", False), "zalo": ("list", False), "chat": ("str", False)}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        level = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}: {self.field}: {level}{self.message}"


@dataclass
class Entry:
    id: str
    kind: str
    title: str
    data: dict[str, Any]
    file: str = ""
    line: int = 0

    def get(self, name: str, default: Any = None) -> Any:
        value = self.data.get(name, default)
        if isinstance(value, list):
            return [v for v in value if not is_placeholder(v)]
        return default if is_placeholder(value) else value

    @property
    def texts(self) -> list[str]:
        """Every text a question may be matched against: title, aliases, questions.
        Answer items' questions are not among them: they pick an answer once the entry
        is found (``bot.matcher.answers``); as texts of the entry they made messages
        that share an item's everyday words ("nhận nuôi", "ở trọ") look confident."""
        return [self.title, *self.data.get("aliases", []), *self.data.get("questions", [])]

    def links(self) -> list[str]:
        return [*self.data.get("contacts", []), *self.data.get("guides", []),
                *self.data.get("related", [])]


@dataclass(frozen=True)
class Answer:
    """One answer item of an entry; ``key`` ("khai-sinh#tre-han") is its stable id."""

    entry_id: str
    id: str
    questions: tuple[str, ...]
    text: str
    source: str
    applies_to: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.entry_id}#{self.id}"


@dataclass
class Knowledge:
    root: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    synonyms: list[list[str]] = field(default_factory=list)
    stopwords: list[str] = field(default_factory=list)
    generic: list[str] = field(default_factory=list)
    off_topic: list[str] = field(default_factory=list)
    office: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)  # by key
    _answers_for: dict[str, list[Answer]] = field(default_factory=dict, repr=False)

    def answers_for(self, entry_id: str) -> list[Answer]:
        """The answer items that can serve a question about this entry: its own, then
        those of other entries that apply to it (authorisation, lost papers...)."""
        return self._answers_for.get(entry_id, [])

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    @property
    def hotline(self) -> str:
        """The support line shown to citizens: the office's, else the national portal's."""
        return str(self.office.get("hotline") or NATIONAL_HOTLINE)

    @property
    def deadline_days(self) -> int:
        """Working days within which staff aim to answer a feedback."""
        return self.office.get("feedback_deadline_days") or 10

    def fields(self) -> list[str]:
        """Procedure fields (lĩnh vực) in the order they first appear."""
        seen: list[str] = []
        for entry in self.entries.values():
            name = entry.data.get("field")
            if entry.kind == "procedure" and name and name not in seen:
                seen.append(name)
        return seen


def is_placeholder(value: Any) -> bool:
    """Example data an office must replace: a text starting with "VÍ DỤ:"."""
    if not isinstance(value, str):
        return False
    head = unicodedata.normalize("NFC", value[:12]).lstrip().upper()
    return head.startswith(PLACEHOLDER) or head.startswith("VI DU:")


def default_dir() -> Path:
    """The bundled knowledge: beside the installed package, or the checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "knowledge", here.parent / "knowledge"):
        if (candidate / "office.yaml").is_file():
            return candidate
    return here.parent / "knowledge"


def resolve_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """``--knowledge`` wins, then ``MOTCUA_KNOWLEDGE``, then the bundled folder."""
    if path:
        return Path(path)
    env = os.environ.get("MOTCUA_KNOWLEDGE")
    return Path(env) if env else default_dir()


# --- YAML with line numbers -------------------------------------------------


class LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]
    duplicates: list[tuple[str, int]]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # C parser when built
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines, result.duplicates = {}, []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key = str(key) if not isinstance(key, str) else key
        line = key_node.start_mark.line + 1
        if key in result:
            result.duplicates.append((key, line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


MAX_FILE_BYTES = 32 * 1024 * 1024  # a knowledge file larger than this is a mistake


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(Problem(rel, 1, "file", f"too large ({size // 2**20} MB; at most "
                                    f"{MAX_FILE_BYTES // 2**20} MB a file): split it"))
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, 1, "file", f"cannot read: {exc}"))
        return None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(rel, line, "yaml", f"column {column}: {reason}"))
        return None


# --- validation ---------------------------------------------------------------


def _type_ok(kind: str, value: Any) -> bool:
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


def _check_fields(data: LineDict, spec: dict[str, tuple[str, bool]], rel: str,
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
        elif not _type_ok(kind, value):
            type_name = _TYPE_NAMES.get(kind, "a list of entry ids")
            problems.append(Problem(rel, line, name, f"must be {type_name}"))
        elif isinstance(value, str) and not value.strip():
            problems.append(Problem(rel, line, name, "empty"))
        elif isinstance(value, list) and any(isinstance(v, str) and not v.strip() for v in value):
            problems.append(Problem(rel, line, name, "empty item"))
        elif isinstance(value, list) and not value and required:
            problems.append(Problem(rel, line, name, "empty list"))
        elif is_placeholder(value) or (isinstance(value, list) and any(map(is_placeholder, value))):
            problems.append(Problem(rel, line, name, "example data still present: "
                                    "replace it with your office's real value", warning=True))
    for key, (_, required) in spec.items():
        if required and key not in data:
            problems.append(Problem(rel, data.line, prefix + key, "missing"))


def _check_entry(data: LineDict, rel: str, problems: list[Problem]) -> Entry | None:
    kind = data.get("kind")
    if kind not in KINDS:
        where = data.line_of("kind")
        message = f"must be one of {', '.join(KINDS)}" if "kind" in data else "missing"
        problems.append(Problem(rel, where, "kind", message))
        return None
    spec = {**COMMON, **BY_KIND[kind]}
    if data.get("imported") is True:  # national-catalog records: only what they carry
        spec = {k: (t, k in IMPORTED_REQUIRED) for k, (t, _) in spec.items()}
    _check_fields(data, spec, rel, problems)
    entry_id = data.get("id")
    if isinstance(entry_id, str) and not _ID.match(entry_id):
        problems.append(Problem(rel, data.line_of("id"), "id",
                                "use lower-case ASCII letters, digits and '-'"))
    online = data.get("online")
    if isinstance(online, LineDict):
        _check_fields(online, ONLINE, rel, problems, prefix="online.")
        level = online.get("level")
        if isinstance(level, str) and level not in ONLINE_LEVELS:
            problems.append(Problem(rel, online.line_of("level"), "online.level",
                                    f"must be one of {', '.join(ONLINE_LEVELS)}"))
    if isinstance(data.get("answers"), list):
        _check_answers(data["answers"], data.line_of("answers"), rel, problems)
    _check_editor_words(data, rel, problems)
    if not isinstance(entry_id, str) or not isinstance(data.get("title"), str):
        return None
    return Entry(id=entry_id, kind=kind, title=data["title"], data=dict(data), file=rel,
                 line=data.line)


def _check_answers(items: list, line: int, rel: str, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for n, item in enumerate(items):
        prefix = f"answers[{n}]."
        if not isinstance(item, LineDict):
            problems.append(Problem(rel, line, f"answers[{n}]", "each answer item must be a "
                                    "mapping with id, questions, answer and source"))
            continue
        _check_fields(item, ANSWER_ITEM, rel, problems, prefix=prefix)
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


def _collect_answers(knowledge: Knowledge, problems: list[Problem]) -> None:
    """Answer items by key, and for each entry the items that can serve it."""
    applied: dict[str, list[Answer]] = {}
    for entry in knowledge.entries.values():
        for item in entry.data.get("answers") or []:
            if not isinstance(item, dict) or not all(
                    isinstance(item.get(k), str) for k in ("id", "answer", "source")) \
                    or not _type_ok("list", item.get("questions")):
                continue
            targets = item.get("applies_to") if _type_ok("ids", item.get("applies_to")) else []
            answer = Answer(entry.id, item["id"], tuple(item["questions"]), item["answer"],
                            item["source"], tuple(targets))
            knowledge.answers[answer.key] = answer
            knowledge._answers_for.setdefault(entry.id, []).append(answer)
            line = item.line_of("applies_to") if isinstance(item, LineDict) else entry.line
            for target in targets:
                if target not in knowledge.entries:
                    problems.append(Problem(entry.file, line, "answers.applies_to",
                                            f"'{target}' does not exist"))
                elif target != entry.id:
                    applied.setdefault(target, []).append(answer)
    for target, answers in applied.items():
        knowledge._answers_for.setdefault(target, []).extend(answers)


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


def _check_links(knowledge: Knowledge, problems: list[Problem]) -> None:
    for entry in knowledge.entries.values():
        data = entry.data
        for name in ("contacts", "guides", "related"):
            ids = data.get(name)
            if not isinstance(ids, list):
                continue
            wanted = {"contacts": "contact", "guides": "guide"}.get(name)
            line = data.line_of(name) if isinstance(data, LineDict) else entry.line
            for target in ids:
                other = knowledge.entries.get(target)
                if other is None:
                    problems.append(Problem(entry.file, line, name,
                                            f"links to '{target}', which does not exist"))
                elif wanted and other.kind != wanted:
                    problems.append(Problem(entry.file, line, name,
                                            f"'{target}' is a {other.kind}, not a {wanted}"))
                elif target == entry.id:
                    problems.append(Problem(entry.file, line, name, "links to itself"))


def _check_office_fees(knowledge: Knowledge, problems: list[Problem]) -> None:
    """``fees:`` in office.yaml: the province's own amounts, by procedure id."""
    fees = knowledge.office.get("fees")
    if not isinstance(fees, LineDict):
        return
    rel = f"{knowledge.root.name}/office.yaml"
    for entry_id, text in fees.items():
        entry = knowledge.entries.get(entry_id)
        line = fees.line_of(entry_id)
        if entry is None:
            problems.append(Problem(rel, line, f"fees.{entry_id}", "no such entry"))
        elif entry.kind != "procedure":
            problems.append(Problem(rel, line, f"fees.{entry_id}", "is not a procedure"))
        elif is_placeholder(text):
            problems.append(Problem(rel, line, f"fees.{entry_id}", "example data still "
                                    "present: replace it with your province's fee",
                                    warning=True))


def _prefer_curated(knowledge: Knowledge) -> None:
    """A curated entry wins over an imported one with the same national code."""
    curated = {e.data.get("code") for e in knowledge.entries.values()
               if e.data.get("code") and not e.data.get("imported")}
    for entry_id in [i for i, e in knowledge.entries.items()
                     if e.data.get("imported") and e.data.get("code") in curated]:
        del knowledge.entries[entry_id]


def _load_entries(path: Path, rel: str, knowledge: Knowledge, problems: list[Problem]) -> None:
    doc = _read_yaml(path, rel, problems)
    if doc is None:
        return
    if not isinstance(doc, LineDict) or not isinstance(doc.get("entries"), list):
        line = doc.line if isinstance(doc, LineDict) else 1
        problems.append(Problem(rel, line, "entries", "the file must be a mapping with "
                                "'entries:', a list of entries"))
        return
    for key in doc:
        if key not in ("entries", "defaults"):
            problems.append(Problem(rel, doc.line_of(key), key, "unknown field"))
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, dict):
        problems.append(Problem(rel, doc.line_of("defaults"), "defaults", "must be a mapping"))
        defaults = {}
    for item in doc["entries"]:
        if not isinstance(item, LineDict):
            problems.append(Problem(rel, doc.line_of("entries"), "entries",
                                    "each entry must be a mapping"))
            continue
        merged = LineDict({**defaults, **item})
        merged.line = item.line
        merged.key_lines = {k: item.line for k in defaults} | item.key_lines
        merged.duplicates = item.duplicates
        entry = _check_entry(merged, rel, problems)
        if entry is None:
            continue
        if entry.id in knowledge.entries:
            first = knowledge.entries[entry.id]
            problems.append(Problem(rel, merged.line_of("id"), "id",
                                    f"duplicate id '{entry.id}' (first in {first.file}:"
                                    f"{first.line})"))
            continue
        entry.data = merged
        knowledge.entries[entry.id] = entry


def _load_synonyms(path: Path, rel: str, knowledge: Knowledge, problems: list[Problem]) -> None:
    doc = _read_yaml(path, rel, problems)
    if doc is None:
        return
    if not isinstance(doc, LineDict):
        problems.append(Problem(rel, 1, "groups", "must be a mapping with 'groups:'"))
        return
    for key in doc:
        if key not in ("groups", "stopwords", "generic", "off_topic"):
            problems.append(Problem(rel, doc.line_of(key), key, "unknown field"))
    for key in ("stopwords", "generic", "off_topic"):
        words = doc.get(key, [])
        if not _type_ok("list", words):
            problems.append(Problem(rel, doc.line_of(key), key, "must be a list of texts"))
            continue
        setattr(knowledge, key, list(words))
    groups = doc.get("groups", [])
    if not isinstance(groups, list):
        problems.append(Problem(rel, doc.line_of("groups"), "groups", "must be a list"))
        return
    for index, group in enumerate(groups):
        if not _type_ok("list", group) or len(group) < 2:
            problems.append(Problem(rel, doc.line_of("groups"), f"groups[{index}]",
                                    "each group is a list of at least two texts, the "
                                    "preferred one first"))
            continue
        knowledge.synonyms.append(list(group))


def _load_office(path: Path, rel: str, knowledge: Knowledge, problems: list[Problem]) -> None:
    doc = _read_yaml(path, rel, problems)
    if not isinstance(doc, LineDict):
        if doc is not None:
            problems.append(Problem(rel, 1, "office", "must be a mapping"))
        return
    _check_fields(doc, OFFICE, rel, problems)
    staff = doc.get("staff")
    if isinstance(staff, LineDict):
        _check_fields(staff, STAFF, rel, problems, prefix="staff.")
    offices = doc.get("offices") if _type_ok("mappings", doc.get("offices")) else []
    seen: set[str] = set()
    for index, office in enumerate(offices or []):
        prefix = f"offices[{index}]."
        _check_fields(office, OFFICE_ITEM, rel, problems, prefix=prefix)
        if office.get("level") not in OFFICE_LEVELS and "level" in office:
            problems.append(Problem(rel, office.line_of("level"), prefix + "level",
                                    f"must be one of {', '.join(OFFICE_LEVELS)}"))
        if office.get("id") in seen:
            problems.append(Problem(rel, office.line_of("id"), prefix + "id",
                                    f"duplicate office id '{office.get('id')}'"))
        seen.add(office.get("id"))
    knowledge.office = dict(doc)


def load(path: str | os.PathLike[str] | None = None) -> Knowledge:
    """Read a knowledge folder; problems are collected, never raised."""
    root = resolve_dir(path)
    knowledge = Knowledge(root=root)
    problems = knowledge.problems
    if not root.is_dir():
        problems.append(Problem(str(root), 0, "folder", "not found"))
        return knowledge
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    for path_ in files:
        rel = str(path_.relative_to(root.parent)) if root.parent != path_ else path_.name
        if path_.parent == root and path_.stem == "office":
            _load_office(path_, rel, knowledge, problems)
        elif path_.parent == root and path_.stem == "synonyms":
            _load_synonyms(path_, rel, knowledge, problems)
        else:
            _load_entries(path_, rel, knowledge, problems)
    if not knowledge.office and not any(p.field == "yaml" for p in problems):
        problems.append(Problem(str(root.name) + "/office.yaml", 0, "office", "missing file"))
    _prefer_curated(knowledge)
    _check_links(knowledge, problems)
    _collect_answers(knowledge, problems)
    _check_office_fees(knowledge, problems)
    if not knowledge.entries and not knowledge.errors:
        problems.append(Problem(root.name, 0, "entries", "no entries found"))
    return knowledge
