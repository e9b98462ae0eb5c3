"""Match a question to one answer item of an entry (``answers:`` in the knowledge).

The matcher finds the entry; this finds, among the answer items that can serve that
entry (its own and the cross-cutting ones that apply to it), the one whose question is
the citizen's question, if any. Words that every item of the entry shares ("khai
sinh" in every item of the birth registration) say nothing about which item is meant,
so each feature is weighed by its global inverse document frequency times a local one:
how few of the entry's items use it. The entry's own name counts as shared by all.

Score of an item: the best of its phrasings, each a weighted geometric mean of how
much of the phrasing the question covers (``ITEM_SIDE``: the entry is already known, so
what matters most is that the item's own words are there) and how much of the question
the phrasing covers (a story around the question costs a little). An item is used when that reaches ``ITEM_AT`` with at least ``ITEM_EVIDENCE``
of matched weight; otherwise the card answers, led by the part asked for.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from bot.knowledge import Answer, Entry, Knowledge
from bot.matcher.analysis import CONTEXT, WEAK, Analyzer, Features, Term, features

PROMOTE_AT = 0.6  # item score from which an "unknown" is suggested with that item (or
# the item model's probability from its hint_p: bench/fit_items.py chooses it)
ITEM_AT = 0.30  # score from which an answer item leads the reply
ITEM_EVIDENCE = 2.5  # matched weight (idf x local factor) below which no item is used
SHARED = 0.15  # local factor of a feature of the entry's own name
# Sentence-final particles that carry no topic ("thì sao", "rứa", "hả")
PARTICLES = {"sao", "rua", "rang", "chi", "the", "nao", "vay", "day", "ha", "nhi", "ne", "ta",
             "hen", "hong", "z", "v", "a", "ak", "ah", "nha", "nhe"}
ASPECT_OFF = 0.6  # factor on a phrasing that asks another part (fee, time…) than the question
ITEM_SIDE = 0.5  # weight of the phrasing's coverage against the question's in a score
# What an answer's text says when it gives a part of the procedure (``ItemHit.leaves_out``)
GIVES = {
    "time": re.compile(r"\d+\s*(ngày|tháng|giờ|tuần|năm)|trong ngày|ngay khi|ngay sau", re.I),
    "fee": re.compile(r"đồng|phí|miễn|không mất tiền|không tốn|nộp tiền|số tiền", re.I),
    "place": re.compile(r"UBND|Ủy ban|Công an|Trung tâm|Bộ phận|cơ quan|Sở |Bảo hiểm xã hội"
                        r"|Tòa án|nơi|bất kỳ", re.I),
    "online": re.compile(r"trực tuyến|VNeID|Cổng|online|trên mạng|VssID|ứng dụng", re.I),
    "documents": re.compile(r"tờ khai|bản sao|bản chính|giấy tờ|mang theo|nộp kèm|kèm theo"
                            r"|xuất trình|giấy", re.I),
}


@dataclass
class ItemHit:
    answer: Answer
    score: float
    sure: bool = True  # matched on the question's own words, not only on the part asked
    probability: float | None = None  # the item model's, when ``items.ItemRanker`` chose it
    asks: frozenset[str] = frozenset()  # the parts its phrasings ask first (fee, time…)

    def leaves_out(self, aspect: str | None) -> str | None:
        """The part a question asks that this item does not answer, if any ("mất mấy
        ngày" answered by an item on when one must apply): the card adds that part. An
        item answers a part when one of its phrasings asks it and its text says it (a
        time, an amount, a place, the online way, what to bring)."""
        gives = GIVES.get(aspect or "")
        if gives is None or aspect in self.asks and gives.search(self.answer.text):
            return None
        return aspect


@dataclass
class _Local:
    """The answer items that can serve one entry, with the local weight of features."""

    items: list[Answer]
    # per item, per phrasing: its features, the part it asks first, its own content (the
    # full-strength features that are not the entry's name), every part it asks, and its
    # features' weight (idf x local factor)
    phrasings: list[list[tuple[set[str], str | None, set[str], set[str], float]]]
    local: dict[str, float] = field(default_factory=dict)  # feature -> local factor


class AnswerIndex:
    """Answer items analysed once; ``best`` scores a question against one entry's."""

    def __init__(self, knowledge: Knowledge, analyzer: Analyzer, idf: dict[str, float],
                 max_idf: float, read: dict[str, Features] | None = None,
                 analysed: dict[str, tuple[list[Term], str | None]] | None = None):
        """``read``: entry texts already analysed (by the index), text -> features;
        ``analysed``: item questions already analysed, text -> ``analyzer.analyze``."""
        self.idf, self.max_idf = idf, max_idf
        self._phrasings: dict[str, list[tuple[Features, str | None, set[str]]]] = {}
        self.terms: dict[str, list[list[Term]]] = {}  # each item's analysed phrasings
        known = analysed or {}
        for key, answer in knowledge.answers.items():
            analysed = [known[q] if q in known else analyzer.analyze(q)
                        for q in answer.questions]
            self.terms[key] = [terms for terms, _ in analysed]
            self._phrasings[key] = [(features(terms), aspect, analyzer.aspects(terms))
                                    for terms, aspect in analysed]
        self.asks = {key: frozenset(asked for _, asked, _ in phrasings if asked)
                     for key, phrasings in self._phrasings.items()}
        self._locals: dict[str, _Local] = {}
        for entry in knowledge.entries.values():
            items = knowledge.answers_for(entry.id)
            if items:
                self._locals[entry.id] = self._local(entry, items, analyzer, read or {})

    def _local(self, entry: Entry, items: list[Answer], analyzer: Analyzer,
               read: dict[str, Features]) -> _Local:
        def analyse(text: str) -> Features:
            found = read.get(text)
            return found if found is not None else features(analyzer.analyze(text)[0])

        phrasings = [self._phrasings[a.key] for a in items]
        count = len(items)
        df: dict[str, int] = {}
        for item in phrasings:
            for f in {f for feats, _, _ in item for f in feats}:
                df[f] = df.get(f, 0) + 1
        norm = math.log(1 + count)
        local = {f: math.log(1 + count / n) / norm for f, n in df.items()} if count > 1 \
            else {f: 1.0 for f in df}
        for text in (entry.title, *entry.data.get("aliases", [])[:1]):
            for f in analyse(text):
                local[f] = min(local.get(f, 1.0), SHARED)
        for text in entry.texts:  # the entry's other words: context, not the question
            for f in analyse(text):
                if f not in df:
                    local[f] = min(local.get(f, 1.0), SHARED)
        idf, unknown = self.idf, self.max_idf

        def weighed(feats: Features, aspect: str | None, cues: set[str]) -> tuple:
            words = set(feats)  # its own weight, as ``ranked`` weighs it, is fixed once built
            own = sum(idf.get(f, unknown) * local.get(f, 1.0) for f in words) or 1.0
            return words, aspect, _content(feats, local), cues, own

        return _Local(items, [[weighed(*phrasing) for phrasing in item] for item in phrasings],
                      local)

    def phrasings(self, key: str) -> list[tuple[Features, str | None, set[str]]]:
        """An item's analysed phrasings: features, the part each asks first, all it asks."""
        return self._phrasings[key]

    def vocabulary(self, entry_id: str) -> set[str]:
        """The features of an entry's names and of the items that serve it (empty for an
        entry without items)."""
        local = self._locals.get(entry_id)
        return set(local.local) if local is not None else set()

    def best(self, entry_id: str, feats: Features, aspect: str | None = None,
             parts: set[str] | None = None) -> ItemHit | None:
        """The answer item of this entry that the question asks, if one fits well."""
        found = self.ranked(entry_id, feats, aspect, parts)
        if found and found[0].score >= ITEM_AT:
            return found[0]
        return None

    def ranked(self, entry_id: str, feats: Features, aspect: str | None = None,
               parts: set[str] | None = None, found: bool = False) -> list[ItemHit]:
        """Every candidate item of the entry that shares enough with the question.

        A phrasing must share some of the question's own content (full-strength words
        that are not the entry's name), or ask the same part first ("mất bao nhiêu ngày
        mới có kết quả" and the item on time). A question with no content ("khai sinh
        cần giấy tờ gì": the name and an aspect cue) asks for that part of the card: only
        a phrasing that is itself a bare question of that part (and of no part the
        question leaves out: "online bao lâu có" is not a bare online question) may
        answer it, not one that merely shares its cue words ("có cần giấy ủy quyền")."""
        local = self._locals.get(entry_id)
        if local is None or not feats:
            return []
        idf, unknown = self.idf, self.max_idf
        # Aspect cues weigh little when finding the entry ("bị phạt", "bao nhiêu"), but
        # among one entry's items they are what tells them apart: no cue factor here.
        # The sentences around the question in a long message (CONTEXT) still count less.
        factor = local.local
        weight = {f: idf.get(f, unknown) * factor.get(f, 1.0) *
                  (1.0 if k in (1.0, WEAK) else CONTEXT) for f, (k, _, _) in feats.items()}
        total = sum(weight.values()) or 1.0
        content = _content(feats, factor)
        if content.isdisjoint(factor):  # the question itself names only the entry and a
            # part ("bà có được trợ cấp hưu trí xã hội không, làm ở đâu"; a pair across the
            # words dropped between is no word of the entry): the story before it tells
            content = content | _content(feats, factor, CONTEXT)
        if found:  # the entry found first: words it never uses ("con tôi mới 8 tuổi")
            # tell none of its items apart; without them the question may be a bare one
            content &= factor.keys()
        asked_parts = (parts or set()) | ({aspect} if aspect else set())
        familiar = content <= factor.keys()  # the question's own words are all this entry's
        hits = []
        for answer, phrasings in zip(local.items, local.phrasings):
            best, sure = 0.0, False
            for phrasing, asked, own_content, cues, own in phrasings:
                overlap = not content.isdisjoint(phrasing)
                if content and not overlap and not (familiar and asked in asked_parts):
                    continue  # neither the question's own words nor, in its words, its part
                if not content and (asked != aspect and asked not in asked_parts
                                    or own_content or not cues <= asked_parts):
                    continue  # a bare question of parts takes a bare item of those parts
                got = sum(weight[f] for f in phrasing if f in weight)
                if overlap and got < ITEM_EVIDENCE:
                    continue
                score = (got / own) ** ITEM_SIDE * (got / total) ** (1 - ITEM_SIDE)
                if aspect and asked and asked != aspect:  # asks another part than this
                    score *= ASPECT_OFF
                best = max(best, score)
                sure = sure or overlap  # some phrasing shares the question's own words
            if best:
                hits.append(ItemHit(answer, round(best, 4), sure, asks=self.asks[answer.key]))
        hits.sort(key=lambda h: -h.score)
        return hits


def _content(feats: Features, local: dict[str, float], least: float = 1.0) -> set[str]:
    """A text's own content: its full-strength features (no aspect cue, generic or
    story word, no question particle such as "thì sao") that are not the entry's name;
    ``least`` = CONTEXT: the story's full words as well."""
    return {f for f, (k, _, _) in feats.items() if k >= least and local.get(f, 1.0) > SHARED
            and PARTICLES.isdisjoint(f.split("_"))}
