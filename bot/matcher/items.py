"""Choose the answer item a question asks, among the items of the first entries found.

``answers.AnswerIndex`` scores an entry's items by its phrasings, with the entry's
shared words discounted. That score alone misses questions asked in other words than
the phrasings ("được tối đa bao lâu" for an item whose answer says "tối đa 2 năm"),
and it only looks at the best entry. This module adds what plain term-frequency
scoring does well, split as in bm25s: tokenization (``tokens``: every folded syllable
of the analysed text, question words included, and adjacent pairs), scoring (``Bm25``
over each item's phrasings and, apart, over its answer text), and selection: a
logistic model over a few features of each candidate item (``FEATURES``) gives the
probability that the item answers the question; the most probable is used when it
reaches the model's threshold.

The weights and the thresholds are fitted, not set by hand: ``bench/fit_items.py``
fits them on the development set of specific questions (``tests/data/answers_dev.tsv``:
a candidate is right when its answer states the facts the question needs) with
cross-validation, and writes ``item_model.json`` beside this file. ``choices`` gives every
candidate over the threshold, so that a message asking two things (``asks_twice``) can
get a second answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge import Knowledge
from bot.matcher.analysis import Analyzer, Term, features
from bot.matcher.answers import GIVES, AnswerIndex, ItemHit
from bot.matcher.model import LogisticModel
from bot.matcher.scoring import Hit
from bot.text import fold

MODEL_FILE = Path(__file__).with_name("item_model.json")
ENTRIES = 3  # the first entries found whose items are candidates
FEATURES = (
    "phrase",        # AnswerIndex score of the item (0 when it is not a candidate there)
    "sure",          # that score rests on the question's own words
    "phrase_best",   # the item has the best phrase score among the candidates
    "bm25_q",        # BM25 of the question against the item's phrasings
    "bm25_q_rel",    # ... divided by the best candidate's
    "bm25_a",        # BM25 of the question against the item's answer text
    "bm25_a_rel",    # ... divided by the best candidate's
    "entry",         # score of the entry the item serves
    "first",         # that entry is the first found
    "second",        # ... the second
    "cross",         # a cross-cutting item (another entry's, applying to this one)
    "same_part",     # one of its phrasings asks the part the question asks (fee, time…)
    "phrase_gap",    # its phrase score minus the best other candidate's
    "bm25_q_gap",    # its bm25_q minus the best other's, divided by the best
    "bm25_a_gap",    # the same for bm25_a
    "bm25_f",        # BM25 of the question's own sentence (not the story around it)
    "bm25_f_rel",    # ... divided by the best candidate's
    "bm25_fa_rel",   # that sentence against the item's answer text, relative to the best
    "units",         # share of the question's quantities ("10 tuổi", "8 năm") whose unit
                     # the item states with a number
    "gives",         # the item's answer states the part the question asks (a time, an
                     # amount, a place…: answers.GIVES)
    "age_in",        # an age the question states ("con 4 tuổi") is in a range the
                     # item's answer states ("dưới 6 tuổi", "từ đủ 6 đến dưới 14 tuổi")
    "age_out",       # the item states ages and none fits the question's
)
_AGE_IN, _AGE_OUT = FEATURES.index("age_in"), FEATURES.index("age_out")
# a number's unit, folded, as a question or an answer writes it after the number
UNITS = {"tuoi": "age", "t": "age", "thang": "month", "nam": "year", "ngay": "day",
         "tuan": "week", "trieu": "money", "dong": "money", "nghin": "money", "k": "money",
         "lan": "times", "gio": "hour", "m2": "area"}
_GLUED = re.compile(r"(\d+)([a-z]\w*)")  # "14t", "3thang", "500k"
# the ages an answer states, folded: a span, a bound (below, from, over), or one age
_AGES = re.compile(r"(?:(?P<from>tu (?:du )?)(?P<a>\d+)(?: tuoi)? den (?P<below>duoi )?(?P<b>\d+)"
                   r"|(?P<under>duoi|chua du) (?P<u>\d+)"
                   r"|(?P<over>tu du|tu|du|tren|hon) (?P<o>\d+)"
                   r"|(?P<n>\d+)) tuoi")


_YEAR = re.compile(r"(?:19|20)\d\d")  # "năm 2010", "tháng 3/2025": when, in a story


def tokens(terms: list[Term]) -> list[str]:
    """Folded syllables and the pairs of adjacent ones within a sentence."""
    out, last = [], None
    for t in terms:
        if not t.plain.isalnum() or _YEAR.fullmatch(t.plain):
            last = None
            continue
        out.append(t.plain)
        if last is not None and not t.start:
            out.append(f"{last}_{t.plain}")
        last = t.plain
    return out


def quantities(terms: list[Term]) -> frozenset[str]:
    """The units of the quantities a text states: "con 10 tuổi", "14t", "đóng 8 năm"
    give {"age", "year"}. Only a number followed by its unit counts ("năm 2010" is a
    date, not a duration)."""
    out = set()
    for a, b in zip(terms, terms[1:]):
        if a.plain.isdigit() and b.plain in UNITS and not b.start:
            out.add(UNITS[b.plain])
    for t in terms:
        glued = _GLUED.fullmatch(t.plain)
        if glued and glued[2] in UNITS:
            out.add(UNITS[glued[2]])
    return frozenset(out)


def stated_ages(text: str) -> list[tuple[int, float]]:
    """The age ranges a text states, [low, high): "dưới 6 tuổi" (0, 6), "từ đủ 6 đến
    dưới 14 tuổi" (6, 14), "trên 60 tuổi" (61, inf), "16 tuổi" (16, 17)."""
    out: list[tuple[int, float]] = []
    for m in _AGES.finditer(fold(text)):
        if m["a"]:
            out.append((int(m["a"]), int(m["b"]) + (0 if m["below"] else 1)))
        elif m["u"]:
            out.append((0, int(m["u"])))
        elif m["o"]:
            out.append((int(m["o"]) + (1 if m["over"] in ("tren", "hon") else 0), math.inf))
        else:
            out.append((int(m["n"]), int(m["n"]) + 1))
    return out


def asked_ages(terms: list[Term]) -> list[int]:
    """The ages a message states: "con 4 tuổi", "bé 14t"."""
    out = [int(a.plain) for a, b in zip(terms, terms[1:])
           if a.plain.isdigit() and b.plain == "tuoi" and not b.start]
    for t in terms:
        glued = _GLUED.fullmatch(t.plain)
        if glued and glued[2] in ("t", "tuoi"):
            out.append(int(glued[1]))
    return out


class Bm25:
    """Okapi BM25 over a fixed list of token lists."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.tf: list[dict[str, int]] = []
        df: dict[str, int] = {}
        for doc in docs:
            counts: dict[str, int] = {}
            for t in doc:
                counts[t] = counts.get(t, 0) + 1
            self.tf.append(counts)
            for t in counts:
                df[t] = df.get(t, 0) + 1
        n = max(len(docs), 1)
        self.lengths = [len(d) for d in docs]
        self.avg = sum(self.lengths) / n or 1.0
        self.k1, self.b = k1, b
        self.idf = {t: math.log(1 + (n - m + 0.5) / (m + 0.5)) for t, m in df.items()}

    def known(self, query: set[str]) -> list[str]:
        """The query's tokens some doc has, in the query's own order: ``score`` over
        them sums the same terms in the same order, without trying the others per doc
        (a long message has dozens of words no item uses)."""
        idf = self.idf
        return [t for t in query if t in idf]

    def score(self, i: int, query: Iterable[str]) -> float:
        counts, k1 = self.tf[i], self.k1
        norm = k1 * (1 - self.b + self.b * self.lengths[i] / self.avg)
        return sum(self.idf[t] * f * (k1 + 1) / (f + norm)
                   for t in query if (f := counts.get(t)))


def load_model(path: Path = MODEL_FILE) -> LogisticModel:
    """The fitted item model; its ``extra["threshold"]`` is the probability from which
    an item leads, ``hint_p`` the one from which a sure item raises an unknown to a
    suggestion (``core.Matcher._answered``)."""
    return LogisticModel.load(path, FEATURES, "bench/fit_items.py")


@dataclass
class Candidate:
    item: ItemHit  # score: the AnswerIndex score (0 when not ranked there)
    rank: int  # which of the first entries the item serves
    row: list[float]  # the values of FEATURES


def _two_best(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values, reverse=True)
    return ordered[0], ordered[1] if len(ordered) > 1 else 0.0


def _age_fit(years: list[int], ranges: list[tuple[int, float]]) -> tuple[float, float]:
    """(an age asked is in a range stated, the item states ages and none fits)."""
    if not years or not ranges:
        return 0.0, 0.0
    fits = any(low <= y < high for y in years for low, high in ranges)
    return float(fits), float(not fits)


class ItemRanker:
    """The items of a knowledge base tokenized and indexed once for BM25."""

    def __init__(self, knowledge: Knowledge, analyzer: Analyzer, answers: AnswerIndex,
                 model: LogisticModel | None = None,
                 analysed: dict[str, tuple[list[Term], str | None]] | None = None):
        """``analysed``: answer texts already analysed, text -> ``analyzer.analyze``."""
        self.knowledge, self.answers = knowledge, answers
        self.model = model or load_model()
        self.keys = list(knowledge.answers)
        self.index = {key: i for i, key in enumerate(self.keys)}
        items = list(knowledge.answers.values())
        self.questions = Bm25([[t for terms in answers.terms[a.key] for t in tokens(terms)]
                               for a in items])
        known = analysed or {}
        texts = [(known[a.text] if a.text in known else analyzer.analyze(a.text))[0]
                 for a in items]
        self.texts = Bm25([tokens(terms) for terms in texts])
        # the units an item states with a number, in its answer or its phrasings
        self.units = [quantities(terms).union(*(quantities(q) for q in answers.terms[a.key]))
                      for a, terms in zip(items, texts)]
        self.ages = [stated_ages(a.text) for a in items]
        # the parts each answer gives (answers.GIVES), read once rather than per question
        self.gives = [frozenset(p for p, g in GIVES.items() if g.search(a.text)) for a in items]

    def candidates(self, terms: list[Term], aspect: str | None, parts: set[str],
                   hits: list[Hit]) -> list[Candidate]:
        """Every item serving one of the first entries, with its feature values."""
        feats = features(terms)
        query = set(tokens(terms))
        focus = set(tokens([t for t in terms if not t.context])) or query
        asked = quantities(terms)
        years = asked_ages(terms)
        wanted = [p for p in sorted(parts | ({aspect} if aspect else set())) if p in GIVES]
        q_asked, q_told = self.questions.known(query), self.texts.known(query)
        f_asked, f_told = self.questions.known(focus), self.texts.known(focus)
        found: dict[str, Candidate] = {}
        for rank, hit in enumerate(hits[:ENTRIES]):
            ranked = {h.answer.key: h for h in
                      self.answers.ranked(hit.entry.id, feats, aspect, parts, rank == 0)}
            # only the items the phrase scorer ranks: an item that shares none of the
            # question's own words (nor, for a bare question, its part) does not lead
            for answer in self.knowledge.answers_for(hit.entry.id):
                if answer.key in found or answer.key not in ranked:
                    continue
                i = self.index[answer.key]
                item = ranked.get(answer.key) or ItemHit(answer, 0.0, False,
                                                         asks=self.answers.asks[answer.key])
                found[answer.key] = Candidate(item, rank, [
                    item.score, float(item.sure), 0.0,
                    self.questions.score(i, q_asked), 0.0,
                    self.texts.score(i, q_told), 0.0,
                    hit.score, float(rank == 0), float(rank == 1),
                    float(answer.entry_id != hit.entry.id),
                    float(aspect is not None and aspect in self.answers.asks[answer.key]),
                    0.0, 0.0, 0.0,
                    self.questions.score(i, f_asked), 0.0, self.texts.score(i, f_told),
                    len(asked & self.units[i]) / len(asked) if asked else 0.0,
                    sum(p in self.gives[i] for p in wanted) / len(wanted) if wanted else 0.0,
                    *_age_fit(years, self.ages[i])])
        out = list(found.values())
        if out:
            top_phrase = max(c.row[0] for c in out)
            top_q = max(c.row[3] for c in out) or 1.0
            top_a = max(c.row[5] for c in out) or 1.0
            top_f = max(c.row[15] for c in out) or 1.0
            top_fa = max(c.row[17] for c in out) or 1.0
            for c in out:
                c.row[2] = float(c.row[0] > 0 and c.row[0] == top_phrase)
                c.row[4] = c.row[3] / top_q
                c.row[6] = c.row[5] / top_a
                c.row[16] = c.row[15] / top_f
                c.row[17] = c.row[17] / top_fa
            for col, gap, top in ((0, 12, 1.0), (3, 13, top_q), (5, 14, top_a)):
                first, second = _two_best([c.row[col] for c in out])
                for c in out:
                    other = second if c.row[col] == first else first
                    c.row[gap] = (c.row[col] - other) / top
        return out

    def choose(self, terms: list[Term], aspect: str | None, parts: set[str],
               hits: list[Hit]) -> tuple[ItemHit, int] | None:
        """The item the question asks and the rank of the entry it serves, if the most
        probable candidate reaches the model's threshold."""
        found = self.choices(terms, aspect, parts, hits)
        return found[0] if found else None

    def choices(self, terms: list[Term], aspect: str | None, parts: set[str],
                hits: list[Hit]) -> list[tuple[ItemHit, int]]:
        """Every candidate that reaches the model's threshold, the most probable first
        (of equals, the last candidate), each with the rank of the entry it serves."""
        scored = [(self.model.probability(c.row), n, c) for n, c in
                  enumerate(self.candidates(terms, aspect, parts, hits))]
        scored = [t for t in scored if t[0] >= self.model.threshold]
        # of two about as probable (within NEAR_TIE), the one whose ages fit the age
        # asked leads ("bé 4 tuổi": the item on children under 6, not the one on 6 to 14)
        scored.sort(key=lambda t: (-(t[0] + NEAR_TIE * (t[2].row[_AGE_IN] - t[2].row[_AGE_OUT])),
                                   -t[1]))
        return [(ItemHit(c.item.answer, c.item.score, c.item.sure, round(p, 4), c.item.asks),
                 c.rank) for p, _, c in scored]


# how far below the first item's probability a second one still leads beside it: the
# two are then about as likely to be the one asked ("bé 4 tuổi": the item on children
# under 6, or the one on 6 to 14?). Chosen on the development sets (answers_dev,
# answers_dev2): the gain starts at 0.1; wider margins gain only by giving two answers
# more often, which makes replies longer.
NEAR_TIE = 0.1
# question words: a message with two of them in its asking sentence asks two things
# ("có được hông, có bị phạt hông"; "ở đâu, mất bao lâu")
_ASKS = re.compile(r"\b(?:khong|ko|k|hong|hem|chua|bao nhieu|bn|bao lau|o dau|o mo|cho nao|gi|"
                   r"j|nao|sao|the nao|may (?:ngay|thang|nam|tuoi|gio|lan|buoi|tuan|tien))\b")


def asks_twice(terms: list[Term]) -> bool:
    """Does the message's asking sentence hold two questions?"""
    words = " ".join(t.plain for t in terms if not t.context)
    return len(_ASKS.findall(words)) >= 2
