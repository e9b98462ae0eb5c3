"""What the console's dashboard and questions page show: the period's counts, the
questions asked per day, the procedures asked about most, the ratings per entry, and
the questions the bot could not answer grouped by similarity, with a draft answer
item (YAML to review and add to the knowledge) made from them."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from bot import ratings, reports
from bot.storage import period_where
from bot.console import charts
from bot.console.filters import Filters
from bot.text import fold

SIMILAR = 90      # rapidfuzz score (0-100) of two questions' words to share a group
MIN_WORDS = 4     # words each needs for one to be a longer way of asking the other
MAX_QUESTIONS = 2000  # the latest unanswered questions grouped
DAYS_SHOWN = 90   # questions per day when the period has no start


def _period_sql(since: str | None, until: str | None) -> tuple[str, list[str]]:
    where, params = period_where(since, until)
    return (" and " + " and ".join(where)) if where else "", params


def questions_per_day(storage, since: str | None, until: str | None
                      ) -> list[tuple[str, int]]:
    """("dd/mm", count) for every day of the period in Vietnam time, zeros included;
    the last DAYS_SHOWN days when the period has no start."""
    today = dt.datetime.now(reports.VN_TIME).date()
    first = reports.local(since).date() if since else today - dt.timedelta(DAYS_SHOWN - 1)
    last = (reports.local(until) - dt.timedelta(days=1)).date() if until else today
    last = min(last, max(today, first))
    extra, params = _period_sql(since, until)
    counts = dict(storage.db.execute(
        f"select {storage.day_sql('at')}, count(*) from questions where 1 = 1" + extra +
        " group by 1", params).fetchall())
    days, day = [], first
    while day <= last and len(days) < 400:
        days.append((day.strftime("%d/%m"), counts.get(day.isoformat(), 0)))
        day += dt.timedelta(days=1)
    return days


def top_asked(storage, knowledge, since: str | None, until: str | None, limit: int = 10
              ) -> list[tuple[str, int]]:
    """(procedure title, questions) for the procedures citizens asked about most."""
    extra, params = _period_sql(since, until)
    rows = storage.db.execute(
        "select top_id, count(*) from questions where top_id is not null and status in "
        "('answer', 'suggest', 'context')" + extra + " group by top_id order by 2 desc, 1",
        params).fetchall()
    found = []
    for entry_id, count in rows:
        entry = knowledge.entries.get(entry_id)
        if entry is not None and entry.kind == "procedure":
            found.append((entry.title, count))
    return found[:limit]


def dashboard(storage, knowledge, filters: Filters, report: reports.Report) -> dict[str, Any]:
    total = report.total
    median = report.median_days()
    rated = ratings.per_entry(storage, filters.since, filters.until)
    for row in rated:
        entry = knowledge.entries.get(row["entry_id"])
        row["title"] = entry.title if entry else row["entry_id"]
    per_day = questions_per_day(storage, filters.since, filters.until)
    asked = top_asked(storage, knowledge, filters.since, filters.until)

    def tally_rows(tallies):
        return [(t.name, t.received, t.resolved) for t in tallies]

    return {
        "received": total.received, "resolved": total.resolved,
        "resolved_share": reports.vn_percent(total.resolved_share) if total.received else "-",
        "on_time": total.on_time,
        "on_time_share": reports.vn_percent(total.on_time_share) if total.resolved else "-",
        "median": reports.duration_text(median) if median is not None else "-",
        "overdue": len(report.overdue()), "deadline_days": report.office.deadline_days,
        "open": report.count("new") + report.count("in_progress"),
        "by_category": charts.bars(tally_rows(report.by_category()), "Theo loại phản ánh"),
        "by_procedure": charts.bars(tally_rows(report.by_procedure()[:8]), "Theo thủ tục"),
        "by_channel": charts.bars(tally_rows(report.by_channel()), "Theo kênh"),
        "per_day": charts.columns(per_day, "Câu hỏi mỗi ngày"),
        "questions": sum(count for _, count in per_day),
        "top_asked": charts.bars([(title, n, n) for title, n in asked],
                                 "Thủ tục được hỏi nhiều nhất", part_label=None),
        "ratings": rated,
    }


# --- questions the bot could not answer -------------------------------------------------


@dataclass
class Group:
    texts: Counter = field(default_factory=Counter)
    last: str = ""
    entries: Counter = field(default_factory=Counter)  # the entries the matcher came near

    @property
    def count(self) -> int:
        return sum(self.texts.values())

    @property
    def title(self) -> str:
        return self.texts.most_common(1)[0][0]

    def examples(self, limit: int = 6) -> list[str]:
        return [text for text, _ in self.texts.most_common(limit)]


def _content(text: str, stop: set[str], folded_stop: set[str]) -> str:
    """The words that carry a question's meaning, folded: "nuôi chó có cần không" ->
    "nuoi cho". A stopword goes as typed with its diacritics, or typed without any."""
    words = []
    for word in text.split():
        plain = fold(word)
        if word in stop or (plain == word and plain in folded_stop):
            continue
        words.append(plain)
    return " ".join(words)


def _closest(key: str, keys: list[str]) -> int | None:
    """The group whose first question says the same as ``key``: the same words in any
    order, or one question's words all among the other's when both have at least
    MIN_WORDS (a longer way of asking the same thing)."""
    found = process.extractOne(key, keys, scorer=fuzz.token_set_ratio,
                               score_cutoff=SIMILAR)
    if found is not None and min(len(set(key.split())), len(set(found[0].split()))) \
            >= MIN_WORDS:
        return found[2]
    found = process.extractOne(key, keys, scorer=fuzz.token_sort_ratio,
                               score_cutoff=SIMILAR)
    return found[2] if found is not None else None


def unanswered_groups(storage, knowledge, since: str | None = None,
                      until: str | None = None) -> list[Group]:
    """The latest questions left unanswered, similar ones (spelling, diacritics, word
    order, a longer way of asking) in one group; the most asked first."""
    stop = {w.lower() for w in knowledge.stopwords}
    folded_stop = {fold(w) for w in stop}
    extra, params = _period_sql(since, until)
    rows = storage.db.execute(
        "select text, at, top_id from questions where status = 'unknown'" + extra +
        " order by id desc limit ?", [*params, MAX_QUESTIONS]).fetchall()
    groups: list[Group] = []
    keys: list[str] = []
    for text, at, top_id in rows:
        text = " ".join((text or "").split()).lower()  # as `questions unanswered` counts
        key = _content(text, stop, folded_stop) or fold(text)
        if not key:
            continue
        index = _closest(key, keys) if keys else None
        if index is None:
            groups.append(Group(last=at))
            keys.append(key)
            index = len(groups) - 1
        group = groups[index]
        group.texts[text] += 1
        group.last = max(group.last, at)
        if top_id:
            group.entries[top_id] += 1
    groups.sort(key=lambda g: g.last, reverse=True)  # among as many, the latest first
    groups.sort(key=lambda g: g.count, reverse=True)
    return groups


def slug(text: str, limit: int = 40) -> str:
    """"Khai sinh ở đâu?" -> "khai-sinh-o-dau", cut at a word under ``limit``."""
    words = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    if len(words) > limit:
        words = words[:limit + 1].rsplit("-", 1)[0]
    return words[:limit] or "cau-hoi"


SOURCE_PLACEHOLDER = "VÍ DỤ: văn bản, điều, khoản làm căn cứ cho câu trả lời này"


def draft_item(knowledge, entry_id: str, item_id: str, questions: list[str], answer: str,
               source: str, staff_name: str) -> tuple[str, list[str]]:
    """The YAML of a draft answer item and the problems that keep it from being made.
    A source left blank is a "VÍ DỤ:" placeholder: ``motcua validate`` warns until a
    person writes the real one (the bot never invents a legal basis)."""
    problems = []
    entry = knowledge.entries.get(entry_id)
    if entry is None:
        problems.append("Chọn mục kiến thức mà câu trả lời này thuộc về.")
    questions = [" ".join(q.split()) for q in questions if q.strip()][:20]
    if not questions:
        problems.append("Ghi ít nhất một câu hỏi của người dân.")
    answer = " ".join(answer.split())
    if not any(ch.isalnum() for ch in answer):
        problems.append("Ghi nội dung câu trả lời.")
    if problems:
        return "", problems
    taken = {a.id for a in knowledge.answers_for(entry.id) if a.entry_id == entry.id}
    base = slug(item_id or questions[0])
    item_id, n = base, 2
    while item_id in taken:
        item_id, n = f"{base}-{n}", n + 1
    item = {"id": item_id, "questions": questions, "answer": answer,
            "source": " ".join(source.split()) or SOURCE_PLACEHOLDER}
    today = dt.datetime.now(reports.VN_TIME).strftime("%d/%m/%Y")
    staff_name = " ".join(staff_name.split())  # one comment line whatever the name holds
    head = [f"# Bản nháp mục trả lời, soạn trên trang cán bộ ngày {today} ({staff_name}).",
            f"# Kiểm tra nội dung và căn cứ, rồi thêm vào danh sách answers: của mục "
            f"{entry.id} ({entry.file}),",
            "# sau đó chạy: motcua validate"]
    body = yaml.safe_dump([item], allow_unicode=True, sort_keys=False, width=88)
    return "\n".join(head) + "\n" + body, []
