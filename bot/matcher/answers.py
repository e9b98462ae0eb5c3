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
from dataclasses import dataclass, field

from bot.knowledge import Answer, Entry, Knowledge
from bot.matcher.analysis import Features

PROMOTE_AT = 0.6  # item score from which a "suggest" is answered by that item
ITEM_AT = 0.30  # score from which an answer item leads the reply
ITEM_EVIDENCE = 2.5  # matched weight (idf x local factor) below which no item is used
SHARED = 0.15  # local factor of a feature of the entry's own name
ITEM_SIDE = 0.6  # weight of the phrasing's coverage against the question's in a score


@dataclass
class ItemHit:
    answer: Answer
    score: float


@dataclass
class _Local:
    """The answer items that can serve one entry, with the local weight of features."""

    items: list[Answer]
    phrasings: list[list[set[str]]]  # per item, per phrasing: its features
    local: dict[str, float] = field(default_factory=dict)  # feature -> local factor


class AnswerIndex:
    """Answer items analysed once; ``best`` scores a question against one entry's."""

    def __init__(self, knowledge: Knowledge, analyse, idf: dict[str, float], max_idf: float):
        """``analyse(text)`` gives an indexed text's features (the matcher's own)."""
        self.idf, self.max_idf = idf, max_idf
        self._features: dict[str, list[dict[str, float]]] = {}
        for key, answer in knowledge.answers.items():
            self._features[key] = [set(analyse(q)) for q in answer.questions]
        self._locals: dict[str, _Local] = {}
        for entry in knowledge.entries.values():
            items = knowledge.answers_for(entry.id)
            if items:
                self._locals[entry.id] = self._local(entry, items, analyse)

    def _local(self, entry: Entry, items: list[Answer], analyse) -> _Local:
        phrasings = [self._features[a.key] for a in items]
        count = len(items)
        df: dict[str, int] = {}
        for item in phrasings:
            for f in {f for feats in item for f in feats}:
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
        return _Local(items, phrasings, local)

    def best(self, entry_id: str, feats: Features) -> ItemHit | None:
        """The answer item of this entry that the question asks, if one fits well."""
        found = self.ranked(entry_id, feats)
        if found and found[0].score >= ITEM_AT:
            return found[0]
        return None

    def ranked(self, entry_id: str, feats: Features) -> list[ItemHit]:
        """Every candidate item of the entry that shares enough with the question."""
        local = self._locals.get(entry_id)
        if local is None or not feats:
            return []
        idf, unknown = self.idf, self.max_idf
        # Aspect cues weigh little when finding the entry ("bị phạt", "bao nhiêu"), but
        # among one entry's items they are what tells them apart: no cue factor here.
        factor = local.local
        weight = {f: idf.get(f, unknown) * factor.get(f, 1.0) for f in feats}
        total = sum(weight.values()) or 1.0
        hits = []
        for answer, phrasings in zip(local.items, local.phrasings):
            best = 0.0
            for phrasing in phrasings:
                shared = [f for f in phrasing if f in weight]
                got = sum(weight[f] for f in shared)
                if got < ITEM_EVIDENCE:
                    continue
                own = sum(idf.get(f, unknown) * factor.get(f, 1.0) for f in phrasing) or 1.0
                best = max(best, (got / own) ** ITEM_SIDE * (got / total) ** (1 - ITEM_SIDE))
            if best:
                hits.append(ItemHit(answer, round(best, 4)))
        hits.sort(key=lambda h: -h.score)
        return hits
