"""Load and validate the YAML knowledge base.

A knowledge folder holds ``office.yaml`` (the office's own details),
``synonyms.yaml`` (abbreviations and regional words) and any number of entry
files (``*.yaml``, subfolders too), each a mapping with ``entries:`` and an
optional ``defaults:`` merged into every entry. ``knowledge/README.md`` is the
reference for every field.

``load`` never raises on bad data: it returns what it could read together with
every problem found, each pointing at ``file:line: field``. The field specs and the
checks of one file are in ``bot.schema``; the YAML reader that keeps line numbers
is ``bot.yamlfile``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.schema import (ANSWER_ITEM, BY_KIND, COMMON, KINDS, OFFICE, OFFICE_ITEM, ONLINE,
                        PLACEHOLDER, PLACEHOLDER_WARNING, STAFF, check_entry, check_fields, check_office,
                        is_placeholder, type_ok)
from bot.yamlfile import LineDict, Problem, read_yaml

__all__ = [
    "ANSWER_ITEM", "ASPECT_FIELDS", "BY_KIND", "COMMON", "KINDS", "MAX_FILE_BYTES",
    "NATIONAL_HOTLINE", "OFFICE", "OFFICE_ITEM", "ONLINE", "PLACEHOLDER", "STAFF",
    "Answer", "Entry", "Knowledge", "LineDict", "Problem", "default_dir", "is_placeholder",
    "load", "locate", "resolve_dir",
]

NATIONAL_HOTLINE = "18001096"  # Cổng Dịch vụ công quốc gia
ASPECT_FIELDS = {
    "documents": "documents",
    "fee": "fee",
    "time": "processing_time",
    "place": "submit",
    "online": "online",
    "legal": "legal_basis",
    "notes": "notes",  # not asked by the matcher: the card's "Lưu ý" option
}


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
    abroad: list[str] = field(default_factory=list)  # foreign places ("mỹ", "nước ngoài")
    home: list[str] = field(default_factory=list)  # words that place a matter here ("việt nam")
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

    def placeholders(self) -> dict[str, list[str]]:
        """The fields still holding a "VÍ DỤ:" value, by file, in the order found."""
        left: dict[str, list[str]] = {}
        for problem in self.warnings:
            if problem.message.startswith(PLACEHOLDER_WARNING):
                left.setdefault(problem.file, []).append(f"{problem.field} (dòng {problem.line})")
        return left

    @property
    def hotline(self) -> str:
        """The support line shown to citizens: the office's, else the national portal's."""
        return str(self.office.get("hotline") or NATIONAL_HOTLINE)

    @property
    def deadline_days(self) -> int:
        """Working days within which staff aim to answer a feedback.

        The default, 10 working days, is the handling time for a phản ánh, kiến nghị
        that this project's brief takes from Nghị định 20/2008/NĐ-CP (tiếp nhận, xử lý
        phản ánh, kiến nghị của cá nhân, tổ chức về quy định hành chính; amended by
        Nghị định 48/2013/NĐ-CP and 92/2017/NĐ-CP, guided by Thông tư 02/2017/TT-VPCP).
        The article's wording could not be read from the development machine: an
        office confirms it against its own province's regulation and sets
        ``feedback_deadline_days`` in office.yaml. Reports count Monday to Friday;
        public holidays are not known to the bot."""
        return self.office.get("feedback_deadline_days") or 10

    def fields(self) -> list[str]:
        """Procedure fields (lĩnh vực) in the order they first appear."""
        seen: list[str] = []
        for entry in self.entries.values():
            name = entry.data.get("field")
            if entry.kind == "procedure" and name and name not in seen:
                seen.append(name)
        return seen


def default_dir() -> Path:
    """The bundled knowledge: beside the installed package, or the checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "knowledge", here.parent / "knowledge"):
        if (candidate / "office.yaml").is_file():
            return candidate
    return here.parent / "knowledge"


# Where the knowledge folder came from, as ``locate`` says it.
FROM_OPTION, FROM_ENV, FROM_CWD, BUNDLED = "--knowledge", "MOTCUA_KNOWLEDGE", "./knowledge", \
    "bundled"


def locate(path: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """The knowledge folder, absolute, and where it came from: ``--knowledge`` wins,
    then ``MOTCUA_KNOWLEDGE``, then ``./knowledge`` in the current folder when it holds
    an ``office.yaml`` (the folder an office edits in its clone), then the bundled one."""
    if path:
        return Path(path).absolute(), FROM_OPTION
    env = os.environ.get("MOTCUA_KNOWLEDGE")
    if env:
        return Path(env).absolute(), FROM_ENV
    here = Path("knowledge")
    if (here / "office.yaml").is_file():
        return here.absolute(), FROM_CWD
    return default_dir(), BUNDLED


def resolve_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The knowledge folder ``locate`` finds, absolute."""
    return locate(path)[0]


MAX_FILE_BYTES = 32 * 1024 * 1024  # a knowledge file larger than this is a mistake


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> Any:
    """One knowledge file, at most ``MAX_FILE_BYTES`` (read at each call)."""
    return read_yaml(path, rel, problems, MAX_FILE_BYTES)


# --- checks across entries --------------------------------------------------------


def _collect_answers(knowledge: Knowledge, problems: list[Problem]) -> None:
    """Answer items by key, and for each entry the items that can serve it."""
    applied: dict[str, list[Answer]] = {}
    for entry in knowledge.entries.values():
        for item in entry.data.get("answers") or []:
            if not isinstance(item, dict) or not all(
                    isinstance(item.get(k), str) for k in ("id", "answer", "source")) \
                    or not type_ok("list", item.get("questions")):
                continue
            targets = item.get("applies_to") if type_ok("ids", item.get("applies_to")) else []
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
            problems.append(Problem(rel, line, f"fees.{entry_id}", f"{PLACEHOLDER_WARNING}, "
                                    "cần thay bằng mức thu của tỉnh", warning=True))


def _prefer_curated(knowledge: Knowledge) -> None:
    """A curated entry wins over an imported one with the same national code."""
    curated = {e.data.get("code") for e in knowledge.entries.values()
               if e.data.get("code") and not e.data.get("imported")}
    for entry_id in [i for i, e in knowledge.entries.items()
                     if e.data.get("imported") and e.data.get("code") in curated]:
        del knowledge.entries[entry_id]


# --- reading the files ------------------------------------------------------------


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
        if not check_entry(merged, rel, problems):
            continue
        entry_id = merged["id"]
        if entry_id in knowledge.entries:
            first = knowledge.entries[entry_id]
            problems.append(Problem(rel, merged.line_of("id"), "id",
                                    f"duplicate id '{entry_id}' (first in {first.file}:"
                                    f"{first.line})"))
            continue
        knowledge.entries[entry_id] = Entry(id=entry_id, kind=merged["kind"],
                                            title=merged["title"], data=merged, file=rel,
                                            line=merged.line)


_WORD_LISTS = ("stopwords", "generic", "off_topic", "abroad", "home")  # synonyms.yaml's lists


def _load_synonyms(path: Path, rel: str, knowledge: Knowledge, problems: list[Problem]) -> None:
    doc = _read_yaml(path, rel, problems)
    if doc is None:
        return
    if not isinstance(doc, LineDict):
        problems.append(Problem(rel, 1, "groups", "must be a mapping with 'groups:'"))
        return
    for key in doc:
        if key not in ("groups", *_WORD_LISTS):
            problems.append(Problem(rel, doc.line_of(key), key, "unknown field"))
    for key in _WORD_LISTS:
        words = doc.get(key, [])
        if not type_ok("list", words):
            problems.append(Problem(rel, doc.line_of(key), key, "must be a list of texts"))
            continue
        setattr(knowledge, key, list(words))
    groups = doc.get("groups", [])
    if not isinstance(groups, list):
        problems.append(Problem(rel, doc.line_of("groups"), "groups", "must be a list"))
        return
    for index, group in enumerate(groups):
        if not type_ok("list", group) or len(group) < 2:
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
    check_office(doc, rel, problems)
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
