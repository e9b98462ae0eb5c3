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

The weights and the threshold are fitted, not set by hand: ``bench/fit_items.py``
fits them on the development set of specific questions (``tests/data/answers_dev.tsv``:
a candidate is right when its answer states the facts the question needs) with
cross-validation, and writes ``item_model.json`` beside this file.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge import Knowledge
from bot.matcher.analysis import Analyzer, Features, Term, features
from bot.matcher.answers import AnswerIndex, ItemHit
from bot.matcher.model import LogisticModel
from bot.matcher.scoring import Hit

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
)


def tokens(terms: list[Term]) -> list[str]:
    """Folded syllables and the pairs of adjacent ones within a sentence."""
    out, last = [], None
    for t in terms:
        if not t.plain.isalnum():
            last = None
            continue
        out.append(t.plain)
        if last is not None and not t.start:
            out.append(f"{last}_{t.plain}")
        last = t.plain
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
        """The query's tokens that some document has, in the query's order: a long
        message has a hundred tokens, and one question scores a dozen documents, so
        the others are dropped once (``score`` gives the same with either)."""
        return list(filter(self.idf.__contains__, query))

    def score(self, i: int, query: Iterable[str]) -> float:
        counts, k1 = self.tf[i], self.k1
        norm = k1 * (1 - self.b + self.b * self.lengths[i] / self.avg)
        # The document's few tokens among the query's are picked out in C (``filter``),
        # in the query's order: the same terms added in the same order as a loop would.
        return sum([self.idf[t] * counts[t] * (k1 + 1) / (counts[t] + norm)
                    for t in filter(counts.__contains__, query)])


def load_model(path: Path = MODEL_FILE) -> LogisticModel:
    """The fitted item model; its ``extra["threshold"]`` is the probability from which
    an item leads."""
    return LogisticModel.load(path, FEATURES, "bench/fit_items.py")


@dataclass
class Candidate:
    item: ItemHit  # score: the AnswerIndex score (0 when not ranked there)
    rank: int  # which of the first entries the item serves
    row: list[float]  # the values of FEATURES


def _two_best(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values, reverse=True)
    return ordered[0], ordered[1] if len(ordered) > 1 else 0.0


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
        self.texts = Bm25([tokens((known[a.text] if a.text in known else
                                   analyzer.analyze(a.text))[0]) for a in items])

    def candidates(self, terms: list[Term], aspect: str | None, parts: set[str],
                   hits: list[Hit], feats: Features | None = None) -> list[Candidate]:
        """Every item serving one of the first entries, with its feature values.
        ``feats``: ``features(terms)``, when the caller has them already."""
        feats = features(terms) if feats is None else feats
        query = set(tokens(terms))
        asked, answered = self.questions.known(query), self.texts.known(query)
        read = self.answers.query(feats)
        found: dict[str, Candidate] = {}
        for rank, hit in enumerate(hits[:ENTRIES]):
            ranked = {h.answer.key: h for h in
                      self.answers.ranked(hit.entry.id, feats, aspect, parts, read)}
            # only the items the phrase scorer ranks: an item that shares none of the
            # question's own words (nor, for a bare question, its part) does not lead
            for answer in self.knowledge.answers_for(hit.entry.id):
                key = answer.key
                if key in found or key not in ranked:
                    continue
                i = self.index[key]
                item = ranked.get(key) or ItemHit(answer, 0.0, False, asks=self.answers.asks[key])
                found[key] = Candidate(item, rank, [
                    item.score, float(item.sure), 0.0,
                    self.questions.score(i, asked), 0.0,
                    self.texts.score(i, answered), 0.0,
                    hit.score, float(rank == 0), float(rank == 1),
                    float(answer.entry_id != hit.entry.id),
                    float(aspect is not None and aspect in self.answers.asks[key]),
                    0.0, 0.0, 0.0])
        out = list(found.values())
        if out:
            top_phrase = max(c.row[0] for c in out)
            top_q = max(c.row[3] for c in out) or 1.0
            top_a = max(c.row[5] for c in out) or 1.0
            for c in out:
                c.row[2] = float(c.row[0] > 0 and c.row[0] == top_phrase)
                c.row[4] = c.row[3] / top_q
                c.row[6] = c.row[5] / top_a
            for col, gap, top in ((0, 12, 1.0), (3, 13, top_q), (5, 14, top_a)):
                first, second = _two_best([c.row[col] for c in out])
                for c in out:
                    other = second if c.row[col] == first else first
                    c.row[gap] = (c.row[col] - other) / top
        return out

    def choose(self, terms: list[Term], aspect: str | None, parts: set[str],
               hits: list[Hit], feats: Features | None = None) -> tuple[ItemHit, int] | None:
        """The item the question asks and the rank of the entry it serves, if the most
        probable candidate reaches the model's threshold (``feats`` as in ``candidates``)."""
        best, rank, top = None, 0, self.model.threshold
        for c in self.candidates(terms, aspect, parts, hits, feats):
            p = self.model.probability(c.row)
            if p >= top:
                best, rank, top = c.item, c.rank, p
        if best is None:
            return None
        return ItemHit(best.answer, best.score, best.sure, round(top, 4), best.asks), rank
