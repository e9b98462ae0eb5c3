"""Which entry a question asks: the analyser's score fused with BM25, by a fitted model.

``scoring.entry_score`` reads a question against an entry's best name, which is right
for short questions and for hard spelling; a long or chatty message carries its topic in
many ordinary words, which plain term-frequency scoring over the whole entry weighs well.
So each shortlisted entry gets both scores and a few signals about the message (how long,
how much of it is in words the knowledge does not have, whether it names another
domain), and a logistic model (``FEATURES``) turns them into the probability that this
entry is the one asked. That probability is the hit's score: answer, suggest and unknown
are thresholds on it, chosen from a reliability table on held-out questions.

Split as in bm25s: the features come from the matcher's analysis (tokenization), ``bm25``
scores an entry over all its texts (scoring), ``rank`` applies the model (selection).
The weights and thresholds are fitted, not set by hand: ``bench/fit_entries.py`` fits
them with cross-validation on the development sets and writes ``entry_model.json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from bot.matcher.model import LogisticModel
from bot.matcher.scoring import ENTRY_MODEL, Doc

MODEL_FILE = ENTRY_MODEL
K1, B = 1.2, 0.75  # BM25's term-frequency saturation and length normalisation
_K1_PLUS_1 = K1 + 1  # the same value as computing it per feature, once

FEATURES = (
    "score",       # the analyser's entry_score (prior and off-topic damping included)
    "score_rel",   # ... divided by the best candidate's
    "score_gap",   # ... minus the best other candidate's
    "bm25",        # BM25 of the question over the whole entry, divided by the question's weight
    "bm25_rel",    # ... divided by the best candidate's
    "bm25_gap",    # ... minus the best other candidate's, divided by the best
    "coverage",    # share of the question's weight the entry has at all
    "long",        # how long the message is: 0 up to LONG_AT content syllables, towards 1 after
    "long_bm25",   # long x bm25_rel: on long messages BM25 may count more
    "long_score",  # long x score_rel
    "unknown",     # share of the question's weight in words the knowledge never uses
    "off",         # the message has words of another domain
    "imported",    # the entry comes from the national catalog, not the office's own
    "score_first",  # it has the best analyser score
    "bm25_first",  # it has the best BM25
    "asks",        # the message asks for a part of a procedure (documents, fee, time...)
    "short",       # 1 / its content syllables: a bare topic ("bảo hiểm") is one or two
    "abroad",      # the message places its matter abroad ("ở Mỹ", "bên Nhật")
    "home",        # ... names Việt Nam or home ("về nước", "ở quê")
    "contact",     # the entry is a contact point (a message naming "công an xã" may
    "guide",       # ... ask a procedure there), a guide to online services,
    "faq",         # ... or a general question (not a procedure)
    "long_other",  # long x the entry is not a procedure: a story is usually one
)
# The second model: given the ranking, how likely is its first entry the one asked? Its
# probability is the first hit's score, the one answer is decided on. The third, over the
# same columns: how likely is the entry asked among the SHOWN first (a bare topic,
# "bảo hiểm", is surely one of a few entries though none alone is sure): suggest is
# decided on it.
CONFIDENCE = (
    "p1",          # the first entry's probability from the ranking model
    "p_gap",       # ... minus the second's
    "score",       # the first entry's analyser score
    "score_gap",   # ... minus the best other's
    "bm25",        # its BM25 share
    "bm25_gap",
    "coverage",
    "long",
    "unknown",
    "off",
    "candidates",  # log of the number of entries scored
    "asks",
    "short",
    "abroad",
    "home",
)


LONG = FEATURES.index("long")  # > 0 when the message counts as long (scoring.LONG_AT)
# CONFIDENCE's columns taken as they are from the first entry's row of FEATURES
_FROM_ROW = tuple(FEATURES.index(n) for n in
                  ("score", "score_gap", "bm25", "bm25_gap", "coverage", "long", "unknown",
                   "off"))
_AFTER = tuple(FEATURES.index(n) for n in ("asks", "short", "abroad", "home"))


@dataclass(frozen=True)
class EntryModel:
    rank: LogisticModel  # over FEATURES, per entry
    confidence: LogisticModel  # over CONFIDENCE, per question: the first is the one asked
    shown: LogisticModel  # over CONFIDENCE, per question: the one asked is among the SHOWN


def load_model(path: Path = MODEL_FILE) -> EntryModel:
    """The fitted entry model (the thresholds on its scores are read by ``scoring``)."""
    fitted_by = "bench/fit_entries.py"
    return EntryModel(LogisticModel.load(path, FEATURES, fitted_by, "rank"),
                      LogisticModel.load(path, CONFIDENCE, fitted_by, "confidence"),
                      LogisticModel.load(path, CONFIDENCE, fitted_by, "shown"))


def unfitted() -> EntryModel:
    """A model with no weights, for reading questions before the first fit (the scores
    it gives are meaningless; ``bench/fit_entries.py`` uses only the rows)."""
    def blank(names: tuple[str, ...]) -> LogisticModel:
        return LogisticModel((0.0,) * len(names), (1.0,) * len(names), (0.0,) * len(names),
                             0.0)
    return EntryModel(blank(FEATURES), blank(CONFIDENCE), blank(CONFIDENCE))


def bm25(doc: Doc, matched: dict[str, float], weights: dict[str, float],
         avg_length: float) -> float:
    """BM25 of the question's features over all of an entry's texts: a feature's term
    frequency is the number of the entry's texts that have it; the query side weighs
    each feature as the analyser does (idf times its factor, times its credit)."""
    norm = K1 * (1 - B + B * doc.length / avg_length)
    where = doc.where
    total = 0.0
    for f, c in matched.items():
        w = weights.get(f)
        if w:
            tf = len(where[f])
            total += w * c * tf * _K1_PLUS_1 / (tf + norm)
    return total


def _two_best(values: list[float]) -> tuple[float, float]:
    first = second = 0.0
    for v in values:
        if v > first:
            first, second = v, first
        elif v > second:
            second = v
    return first, second


def rows(scores: list[float], bm25s: list[float], coverage: list[float], total: float,
         long: float, unknown: float, off: bool, imported: list[bool], asks: bool,
         content: int, abroad: bool = False, home: bool = False,
         kinds: list[str] | None = None) -> list[list[float]]:
    """The values of FEATURES for each shortlisted entry (lists in the same order)."""
    s1, s2 = _two_best(scores)
    b1, b2 = _two_best(bm25s)
    out = []
    for s, b, cov, imp, kind in zip(scores, bm25s, coverage, imported,
                                    kinds or ["procedure"] * len(scores)):
        s_rel = s / s1 if s1 else 0.0
        b_rel = b / b1 if b1 else 0.0
        out.append([
            s, s_rel, s - (s2 if s == s1 else s1),
            b / total, b_rel, (b - (b2 if b == b1 else b1)) / (b1 or 1.0),
            cov, long, long * b_rel, long * s_rel, unknown, float(off), float(imp),
            float(s == s1), float(b == b1), float(asks),
            1.0 / max(content, 1), float(abroad), float(home),
            float(kind == "contact"), float(kind == "guide"), float(kind == "faq"),
            long * (kind != "procedure")])
    return out


def confidence_row(probs: list[float], table: list[list[float]]) -> list[float]:
    """The values of CONFIDENCE, from the ranking's probabilities and the rows."""
    top = max(range(len(probs)), key=probs.__getitem__)
    second = max((p for i, p in enumerate(probs) if i != top), default=0.0)
    r = table[top]
    return [probs[top], probs[top] - second, *(r[i] for i in _FROM_ROW),
            math.log(len(probs)), *(r[i] for i in _AFTER)]


def rank(model: EntryModel, table: list[list[float]]) -> tuple[list[float], float]:
    """Each entry's score, and how likely the entry asked is among the SHOWN first. The
    first entry's score is the confidence model's probability that it is the one asked;
    the others keep their share of it from the ranking model."""
    probs = [model.rank.probability(r) for r in table]
    top = max(probs)
    row = confidence_row(probs, table)
    sure = model.confidence.probability(row)
    return [sure * p / top if top else 0.0 for p in probs], model.shown.probability(row)
