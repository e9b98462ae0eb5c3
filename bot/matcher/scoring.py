"""Scoring: how well one entry explains a question, and what to do with the scores.
The constants here are calibrated on tests/data/eval.tsv (see bench/accuracy.py).
``query_weights`` gives each query feature its weight (idf, or a stand-in for a word
the knowledge does not have); ``matched_features`` says which of them an entry has,
with less credit for different diacritics; ``entry_score`` blends how much of the
question the entry explains with how much of the entry's best text the question
contains, in [0, 1]; ``decide`` turns the ranked hits into answer, suggest or unknown.
``Doc`` is an entry as the index holds it; ``Hit`` and ``Match`` are the results."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.knowledge import Entry
from bot.matcher.analysis import Features
from bot.matcher.answers import ItemHit
from bot.text import is_syllable

# Thresholds on a hit's score, the entry model's probability (``fusion``): chosen from
# the held-out reliability table by bench/fit_entries.py and stored with the model.
ENTRY_MODEL = Path(__file__).with_name("entry_model.json")  # fusion's model file
_FITTED = json.loads(ENTRY_MODEL.read_text("utf-8"))
ANSWER_AT = _FITTED["thresholds"]["answer_at"]
SUGGEST_AT = _FITTED["thresholds"]["suggest_at"]
HINT_AT = _FITTED["thresholds"]["hint_at"]  # below SUGGEST_AT: unknown, but the best
MARGIN = _FITTED["thresholds"]["margin"]  # entry is offered as one button
# a long message (LONG_AT content syllables or more) has its own, never lower
ANSWER_AT_LONG = _FITTED["thresholds"].get("answer_at_long", ANSWER_AT)
MARGIN_LONG = _FITTED["thresholds"].get("margin_long", MARGIN)
# a procedure we do not guide (knowledge.uncovered) is named when its analyser score
# reaches UNCOVERED_AT and beats every guided entry's by UNCOVERED_MARGIN
UNCOVERED_AT = _FITTED["thresholds"].get("uncovered_at", 1.1)
UNCOVERED_MARGIN = _FITTED["thresholds"].get("uncovered_margin", 0.0)
MAX_HITS = 5
SHOWN = 3  # suggestions a reply lists

MISMARKED = 0.5  # credit for a syllable whose diacritics differ from the entry's
UNKNOWN = 0.7  # weight of an unknown syllable, as a share of the rarest feature's
IMPORTED_PRIOR = 0.85  # score factor of entries imported from the national catalog
OFF_TOPIC_DAMP = 0.75  # factor on every score when the question has an off-topic word
OFF_TOPIC = 2.5  # weight of an off-topic word, as a share of the rarest feature's
Q_SHARE = 0.4  # in a text's score, weight of question coverage against text coverage
BLEND = 0.3  # weight of the whole entry's coverage against the best text's score
LONG_AT = 16  # content syllables from which a message counts as long
UNPAIRED = 0.8  # factor for an entry that shares no syllable pair with the question
FOREIGN = 2.0  # weight factor of an unknown word that is not a Vietnamese syllable
ENTRY_Q = 0.2  # share of a text's question coverage credited from the whole entry
EVIDENCE = 6.0  # matched weight below which a match counts as thin (see entry_score)
UNKNOWN_PAIR = 0.5  # weight of a syllable pair with an unknown syllable, per unknown syllable


# One text of an entry as the index keeps it: its feature names, and their weight
# factors (as ``features`` gives them), in the same order.
Text = tuple[tuple[str, ...], tuple[float, ...]]
NO_FILLERS: frozenset[int] = frozenset()  # (most entries: one object for all)


@dataclass(slots=True)
class Doc:
    """One entry as the index holds it."""
    entry: Entry
    # feature -> its exact form in the entry (a set when the entry spells it two ways)
    exact: dict[str, Any] = field(default_factory=dict)
    texts: list[Text] = field(default_factory=list)
    totals: list[float] | None = None  # per text: its features' weight (when first scored)
    # feature -> (text, weight factor) of each text that has it (a tuple once indexed)
    where: dict[str, Any] = field(default_factory=dict)
    fillers: frozenset[int] = NO_FILLERS  # texts made only of stop words
    prior: float = 1.0  # imported catalog entries yield to the office's own
    length: int = 0  # features over all its texts (BM25's document length)


@dataclass
class Hit:
    entry: Entry
    score: float


@dataclass
class Match:
    question: str
    status: str  # "answer", "suggest" or "unknown"
    aspect: str | None
    hits: list[Hit] = field(default_factory=list)
    # why unknown: "empty", "off_topic", "uncovered" (a procedure we do not guide is
    # named, surely) or "aside" (it is the likeliest named, less surely)
    reason: str = ""
    answer: ItemHit | None = None  # the answer item of the best entry that was asked
    parts: tuple[str, ...] = ()  # every part asked by a sharp cue, sorted ("bao lâu, ở đâu")
    # a message asking two things: the item that answers the other one
    second: ItemHit | None = None

    def left_out(self) -> list[str]:
        """The parts asked that the answer item does not give: the aspect first, then
        the others ("nộp ở đâu và mất bao lâu" answered by an item on the place)."""
        if self.answer is None:
            return []
        asked = [p for p in (self.aspect, *self.parts) if p]
        return [p for p in dict.fromkeys(asked) if self.answer.leaves_out(p)]

    @property
    def best(self) -> Entry | None:
        return self.hits[0].entry if self.hits else None


def query_weights(feats: Features, idf: dict[str, float], max_idf: float,
            vocabulary: set[str]) -> dict[str, float]:
    """Each query feature's weight: its idf times its factor. A syllable the knowledge
    does not have weighs like a rare one (more when it cannot be Vietnamese); a pair
    with an unknown syllable weighs less; a pair of known syllables that the knowledge
    never puts together weighs nothing."""
    out: dict[str, float] = {}
    for f, (k, _, _) in feats.items():
        if f in idf:
            out[f] = idf[f] * k
        elif "_" not in f:
            # A word that cannot even be Vietnamese ("facebook", "mk") is a brand or
            # slang from another domain: stronger evidence against than a rare word.
            foreign = FOREIGN if not is_syllable(f) and not f.isdigit() else 1.0
            out[f] = max_idf * UNKNOWN * foreign * k
        elif any(part not in vocabulary for part in f.split("_")):
            out[f] = max_idf * UNKNOWN * UNKNOWN_PAIR * k
    return out


def matched_features(doc: Doc, wanted: list[tuple[str, float, tuple[str, ...], bool]]
            ) -> dict[str, float]:
    """Query features the entry has, with their credit (less for wrong diacritics).
    ``wanted``: (feature, credit, exact forms, typed with diacritics)."""
    found: dict[str, float] = {}
    exact_forms = doc.exact
    for f, credit, exact, typed in wanted:
        if f in exact_forms:
            forms = exact_forms[f]
            same = forms == exact or (type(forms) is set and exact in forms)
            found[f] = credit if same or not typed else credit * MISMARKED
    return found


def entry_score(doc: Doc, matched: dict[str, float], weights: dict[str, float],
          total: float, coverage: float, idf: dict[str, float], long_share: float = 1.0,
          filler: bool = False) -> float:
    """0.7 x the best single text (weighted geometric mean of how much of the
    question it covers and how much of it the question covers) + 0.3 x the share of
    the question the whole entry covers. A text's question coverage is itself
    blended with the entry's (ENTRY_Q): words the question shares with the
    entry's other texts ("đổi" in "đổi bằng lái hết hạn") back up its best text.
    For a long message the share of the question covered counts less
    (``long_share``): people wrap a question in a story.
    A question made only of stop words ("bạn là ai") is only compared with entry
    texts made only of stop words."""
    q_share = Q_SHARE * long_share
    blend = BLEND if not filler else 0.0
    count = len(doc.texts)
    got_q = [0.0] * count  # per text: the question's weight it has
    got_t = [0.0] * count  # per text: its own weight the question has
    paired = False  # some text shares a syllable pair with the question
    evidence = 0.0  # the matched weight, summed in the same order as ever
    where = doc.where
    for f, c in matched.items():
        wq, wt = weights.get(f, 0.0) * c, idf[f] * c
        evidence += wq
        if "_" in f:
            paired = True
        for ti, factor in where[f]:
            got_q[ti] += wq
            got_t[ti] += wt * factor
    # Most Vietnamese words are two syllables: an entry that shares no syllable
    # pair with the question matches on single syllables only, weak evidence.
    totals = doc.totals
    if totals is None:
        totals = doc.totals = [sum(idf[f] * k for f, k in zip(names, factors)) or 1.0
                               for names, factors in doc.texts]
    best = 0.0
    for ti, q in enumerate(got_q):
        if q and (not filler or ti in doc.fillers):
            score = (((1 - ENTRY_Q) * q / total + ENTRY_Q * coverage) ** q_share
                     * (got_t[ti] / totals[ti]) ** (1 - q_share))
            if score > best:
                best = score
    result = (1 - blend) * best + blend * coverage
    if not paired and not filler:
        result *= UNPAIRED
    # Coverage is relative; one short rare syllable fully "covered" is still little
    # evidence. Below EVIDENCE (about two syllables and their pair) the score shrinks.
    if evidence < EVIDENCE and not filler:
        result *= (evidence / EVIDENCE) ** 0.5
    return round(min(1.0, result), 4)


def decide(hits: list[Hit], shown: float | None = None, long: bool = False) -> str:
    """"answer" when the best hit is sure and clear of the second (MARGIN), "suggest"
    when the right entry is likely among the SHOWN first hits (``shown``: the entry
    model's probability of it; by default their scores summed: "đất đai" is one of two
    land procedures, neither sure alone), else "unknown". A long message answers from
    its own threshold (ANSWER_AT_LONG, MARGIN_LONG): a story names several things."""
    if shown is None:
        shown = sum(h.score for h in hits[:SHOWN])
    first = hits[0].score if hits else 0.0
    second = hits[1].score if len(hits) > 1 else 0.0
    if long:
        return decide_scores(first, second, shown, ANSWER_AT_LONG, MARGIN_LONG)
    return decide_scores(first, second, shown)


def decide_scores(first: float, second: float, shown: float, answer_at: float = ANSWER_AT,
                  margin: float = MARGIN, suggest_at: float = SUGGEST_AT) -> str:
    """``decide`` on the scores alone: the first, the second, how likely the one asked is
    among the SHOWN first (bench/fit_entries.py chooses the thresholds with it)."""
    if first >= answer_at and first - second >= margin:
        return "answer"
    return "suggest" if shown >= suggest_at else "unknown"
