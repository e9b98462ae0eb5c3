"""The ``Matcher``: the index over a knowledge base, and the one question path that
ties analysis, typo repair, candidate selection and scoring together."""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bot.knowledge import Entry, Knowledge
from bot.matcher.analysis import Analyzer, Features, OffTopic, Term, features
from bot.matcher.answers import PROMOTE_AT, AnswerIndex, ItemHit
from bot.matcher.candidates import Candidates
import bot.matcher.fusion as fusion
from bot.matcher.items import NEAR_TIE, ItemRanker, asks_twice
from bot.matcher.model import LogisticModel
from bot.matcher.parallel import map_halves
from bot.matcher.scoring import (HINT_AT, IMPORTED_PRIOR, LONG_AT, MAX_HITS, NO_FILLERS,
                                 OFF_TOPIC, OFF_TOPIC_DAMP, UNCOVERED_AT, UNCOVERED_MARGIN, Doc,
                                 Hit, Match, Text, decide, entry_score, matched_features,
                                 query_weights)
from bot.matcher.topics import Headings
from bot.matcher.typos import TypoRepair
from bot.text import Token

CACHE_SIZE = 4096  # questions whose match is kept (first in, first out)
# share of its matched weight that a procedure we do not guide must have in words no
# guided entry has (chosen with bench/fit_entries.py: of 0, .15, .25, .35 the one that
# set aside the most out-of-scope questions for the same in-scope ones)
OWN_SHARE = 0.15


@dataclass
class Scored:
    """A question as the entry model sees it (``Matcher.scored``)."""
    terms: list[Term]
    aspect: str | None
    off: bool  # words of another domain
    reason: str = ""  # why nothing was scored: "empty" or "off_topic"
    entries: list[Entry] = field(default_factory=list)  # the shortlisted entries scored
    raw: list[float] = field(default_factory=list)  # their analyser scores
    rows: list[list[float]] = field(default_factory=list)  # their fusion.FEATURES values
    parts: set[str] = field(default_factory=set)  # every part asked by a sharp cue
    # finds the procedure we do not guide (knowledge.uncovered) that the question names
    # best, with the analyser's score (``aside``: looked for only when asked, as most
    # questions are sure of a guided entry)
    find_aside: Callable[[], Hit | None] | None = field(default=None, repr=False)

    @cached_property
    def aside(self) -> Hit | None:
        return self.find_aside() if self.find_aside else None


def _wanted(feats: Features, postings: dict[str, list[int]]) -> list[tuple]:
    """The question's features that these postings have, as ``matched_features`` takes
    them: (feature, credit, exact forms, typed with diacritics: its exact forms, joined
    as the feature is, are not it; neither form has a "_" of its own)."""
    return [(f, credit, exact, "_".join(exact) != f)
            for f, (_, credit, exact) in feats.items() if f in postings]


def indexed(analysed: list[tuple[Features, bool]], share: Callable[[Any, Any], Any]
            ) -> tuple[list[Text], frozenset[int], dict[str, tuple], dict[str, Any], int]:
    """One entry as the index holds it (``Doc``), from its texts' features and whether
    each is made only of stop words: the texts with features (``Text``: its feature
    names and their weight factors), those made of stop words, feature -> ((text, weight
    factor), ...), feature -> exact form (a set when the entry spells it two ways), and
    the number of features over all its texts.

    Ten thousand entries hold millions of small values, most of them alike (the same
    syllable pair with the same exact form and factors, in the same texts): each
    distinct one is kept once (``share``: dict.setdefault over one build), which halves
    the index's memory. The features come shared; here the (text, factor) lists, once
    complete, become shared tuples, and so do the texts' factors. A text is two tuples,
    not its features dict (a third of the memory, and of what the forked build sends
    back): scoring only adds up its features' weights. All these values are immutable
    (strings, and tuples of numbers and strings)."""
    texts: list[Text] = []
    fillers: set[int] = set()
    where: dict[str, Any] = {}
    exact_forms: dict[str, Any] = {}
    length = 0
    for feats, filler in analysed:
        if not feats:
            continue
        ti = len(texts)
        if filler:
            fillers.add(ti)
        factors = tuple([k for k, _, _ in feats.values()])
        texts.append((tuple(feats), share(factors, factors)))
        length += len(feats)
        for f, (k, _, exact) in feats.items():
            if f in where:
                where[f].append((ti, k))
                seen = exact_forms[f]
                if seen != exact and not (type(seen) is set and exact in seen):
                    exact_forms[f] = ({*seen} if type(seen) is set else {seen}) | {exact}
            else:
                where[f] = [(ti, k)]
                exact_forms[f] = exact
    for f, found in where.items():
        found = tuple(found)
        where[f] = share(found, found)
    return texts, frozenset(fillers) if fillers else NO_FILLERS, where, exact_forms, length


class Matcher:
    """An index over a knowledge base that matches citizens' questions to its entries.

    Public surface besides ``match``:

    - ``analyzer``: the ``Analyzer`` that read the entries (and reads questions);
    - ``idf``: feature (a folded syllable, or two joined by ``_``) -> inverse document
      frequency over the entries; ``max_idf``: the idf of a feature only one entry has;
    - ``terms(question)``: a citizen message's analysed terms, exactly as ``match``
      reads them (typo repair, then stop words revived inside knowledge words);
      ``read(question)``: those terms and the part (aspect) the message asks about;
      ``bot.matcher.features(terms)`` turns them into weighted features.
    """

    def __init__(self, knowledge: Knowledge, model: fusion.EntryModel | None = None,
                 item_model: LogisticModel | None = None):
        self.knowledge = knowledge
        self.analyzer = Analyzer(knowledge)
        self._cache: dict[str, Match] = {}
        self.headings = Headings(self.analyzer)  # names and fields, for bare topics
        self.docs: list[Doc] = []
        self.postings: dict[str, list[int]] = {}  # of the guided entries
        self.aside_postings: dict[str, list[int]] = {}  # of knowledge.uncovered
        collecting = gc.isenabled()
        gc.disable()  # millions of small objects: cyclic GC passes would double the time
        try:
            entries = [*knowledge.entries.values(), *knowledge.uncovered.values()]
            read: dict[str, Features] = {}  # the texts of entries with answer items, as read
            # the answer items' questions and texts, read while the child reads entries
            answer_texts = [t for a in knowledge.answers.values() for t in (*a.questions, a.text)]
            analysed: dict[str, tuple[list[Term], str | None]] = {}

            def read_answers() -> None:
                analysed.update((t, self.analyzer.analyze(t)) for t in answer_texts)

            for entry, (every, *built) in zip(entries, self._read_entries(
                    entries, read_answers, len(answer_texts))):
                if every is not None:  # the answer index reads these texts again
                    read.update(zip(entry.texts, every))
                self._add(entry, *built)
        finally:
            if collecting:
                gc.freeze()  # the index lives as long as the process: keep it out of
                gc.enable()  # later collections, or they scan it and stall a question
        guided = [d for d in self.docs if d.entry.kind != "uncovered"]
        n = max(len(guided), 1)
        self.avg_length = sum(d.length for d in guided) / n or 1.0
        self.idf = {f: math.log(1 + n / len(p)) for f, p in self.postings.items()}
        self.max_idf = math.log(1 + n)
        self.candidates = Candidates(self.postings, self.docs)
        # The procedures we do not guide have postings of their own: the guided entries
        # are read, weighed and shortlisted exactly as without them; their own words
        # ("karaoke") weigh as rare words do (``query_weights``)
        self.aside_idf = {f: self.idf.get(f, self.max_idf) for f in self.aside_postings}
        self.aside = Candidates(self.aside_postings, self.docs)
        self.vocabulary = {f for f in self.postings if "_" not in f}
        self.repair = TypoRepair.for_index(
            self.analyzer, self.vocabulary, self.idf, self.max_idf,
            {f for f in self.aside_postings if "_" not in f} - self.vocabulary)
        # Off-topic phrases the knowledge itself never uses, by first syllable; folded,
        # a one-syllable one may be a knowledge word or a stop word ("lãi" / "lại").
        phrases: dict[str, list[tuple[Token, ...]]] = {}
        for phrase in self.analyzer.off_topic:
            if phrase and not self._known_phrase(phrase):
                phrases.setdefault(phrase[0].plain, []).append(phrase)
        self.off_topic = OffTopic(phrases, self.vocabulary | self.analyzer.stop_plain,
                                  (terms for terms, _ in analysed.values()))
        self.answers = AnswerIndex(knowledge, self.analyzer, self.idf, self.max_idf, read,
                                   analysed)
        self.items = ItemRanker(knowledge, self.analyzer, self.answers, item_model,
                                analysed=analysed)
        self.model = model or fusion.load_model()  # bench/fit_entries.py fits a new one

    def _read_entries(self, entries: list[Entry], meanwhile: Callable[[], Any],
                      extra: int) -> list[tuple]:
        """Each entry's texts analysed and indexed (``indexed``), and, for an entry with
        answer items, the features of each of its texts. A large knowledge base is read
        in two processes (``parallel.map_halves``): only plain values, to be marshalled;
        ``meanwhile`` (about ``extra`` entry texts of work) runs in this one.
        Equal keys and values are one object from the start (``share``, see
        ``indexed``): memory freed later stays with the process, and the child's result,
        marshalled with its shared objects written once, is smaller to send."""
        analyzer, knowledge = self.analyzer, self.knowledge

        def work(part: list[Entry]) -> list[tuple]:
            share = {}.setdefault
            out = []
            for entry in part:
                analysed = []
                for text in entry.texts:
                    terms, _ = analyzer.analyze(text)
                    analysed.append(({f: share(v, v)  # (the names come interned)
                                      for f, v in features(terms).items()},
                                     any(t.filler for t in terms)))
                every = [feats for feats, _ in analysed] \
                    if knowledge.answers_for(entry.id) else None
                out.append((every, *indexed(analysed, share)))
            return out

        return map_halves(work, entries, [len(entry.texts) for entry in entries], meanwhile,
                          extra)

    def _add(self, entry: Entry, texts: list[Text], fillers: frozenset[int],
             where: dict[str, tuple], exact: dict[str, Any], length: int) -> None:
        """Add an entry, as ``indexed`` read it."""
        index = len(self.docs)
        self.docs.append(Doc(entry, exact=exact, texts=texts, where=where, fillers=fillers,
                             prior=IMPORTED_PRIOR if entry.data.get("imported") else 1.0,
                             length=length))
        postings = self.aside_postings if entry.kind == "uncovered" else self.postings
        for f in where:
            if f in postings:
                postings[f].append(index)
            else:
                postings[f] = [index]

    def _known_phrase(self, phrase: tuple[Token, ...]) -> bool:
        """Does the knowledge use this phrase (one syllable: in this exact spelling)?"""
        if len(phrase) == 1:
            t = phrase[0]
            return t.plain in self.analyzer.stop_plain or (
                self._spelled(t) if t.exact != t.plain else t.plain in self.vocabulary)
        return all(f"{a.plain}_{b.plain}" in self.idf for a, b in zip(phrase, phrase[1:]))

    def _spelled(self, t: Token) -> bool:
        """Does some entry write this syllable with exactly these marks?"""
        form = (t.exact,)
        for i in self.postings.get(t.plain, ()):
            seen = self.docs[i].exact[t.plain]
            if seen == form or (type(seen) is set and form in seen):
                return True
        return False

    # --- query side -----------------------------------------------------------

    def terms(self, question: str) -> list[Term]:
        """A citizen message's analysed terms, exactly as ``match`` uses them."""
        return self.read(question)[0]

    def read(self, question: str) -> tuple[list[Term], str | None]:
        """A citizen message's terms and the aspect it asks about: analysed with typo
        repair, then with stop words revived inside knowledge words."""
        terms, aspect = self.analyzer.analyze(question, repair=self.repair)
        return self._revive(terms), aspect

    def _revive(self, terms: list[Term]) -> list[Term]:
        """An unmarked syllable that is a stop word only once folded ("tu" for "từ")
        is kept when it forms a knowledge word with a neighbour ("khai tu" = khai tử).
        One typed exactly as a stop word ("tui", "con") is kept only where the knowledge
        writes that word with it in this very spelling ("con nuôi", not "túi mất")."""
        exact_stop = self.analyzer.stop_exact
        for i, t in enumerate(terms):
            if not t.stop or t.marked:
                continue
            verbatim = t.exact in exact_stop
            for left, right in ((i - 1, i), (i, i + 1)):  # with the word before, after
                if left < 0 or right >= len(terms):
                    continue
                pair = f"{terms[left].plain}_{terms[right].plain}"
                at = 0 if left == i else 1  # t's place in the pair
                if pair in self.idf and (not verbatim or self._pair_spelled(pair, at, t.exact)):
                    t.stop = False
                    break
        return terms

    def _pair_spelled(self, pair: str, at: int, exact: str) -> bool:
        """Does some entry write this syllable pair with ``exact`` at position ``at``?"""
        for i in self.postings.get(pair, ()):
            seen = self.docs[i].exact[pair]
            forms = seen if type(seen) is set else (seen,)
            if any(form[at] == exact for form in forms):
                return True
        return False

    def match(self, question: str) -> Match:
        """Match a question; the same question text is answered from a small cache,
        since citizens ask the same short things over and over ("khai sinh")."""
        cached = self._cache.get(question)
        if cached is None:
            cached = self.uncached(question)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[question] = cached
        return cached

    def scored(self, question: str, kind: str | None = None) -> Scored:
        """The question read, and every shortlisted entry (of ``kind`` only, when given)
        with the analyser's score and the values of ``fusion.FEATURES`` (what the entry
        model decides on)."""
        terms, aspect = self.read(question)
        off = self.off_topic.hits(terms)
        feats = features([t for i, t in enumerate(terms) if i not in off])
        if not feats:
            return Scored(terms, aspect, bool(off), "off_topic" if off else "empty")
        weights = query_weights(feats, self.idf, self.max_idf, self.vocabulary)
        total = sum(weights.values()) + len(off) * self.max_idf * OFF_TOPIC
        content = sum(1 for t in terms if not t.stop)
        filler = any(t.filler for t in terms)
        docs, postings = self.docs, self.postings
        candidates = self.candidates.select(feats, weights)
        wanted = _wanted(feats, postings)
        matched = {i: matched_features(docs[i], wanted) for i in candidates}
        # (a matched feature is in the index, so it has a weight)
        coverage = {i: sum([weights[f] * c for f, c in m.items()]) / total
                    for i, m in matched.items()}
        shortlist = self.candidates.shortlist(coverage)
        long_share = min(1.0, LONG_AT / max(content, 1))
        damp = OFF_TOPIC_DAMP if off else 1.0  # explicit words of another domain
        found = [(i, round(damp * docs[i].prior * entry_score(
                    docs[i], matched[i], weights, total, coverage[i], self.idf, long_share,
                    filler), 4)) for i in shortlist if matched[i]]
        found = [(i, s) for i, s in found if s > 0 and kind in (None, docs[i].entry.kind)]
        aside = (lambda: self._aside(feats, weights, total, long_share, filler, damp)) \
            if self.aside_postings and kind is None else None
        unknown = sum(w for f, w in weights.items() if f not in postings) / total
        parts = self.analyzer.aspects(terms)
        table = fusion.rows([s for _, s in found],
                            [fusion.bm25(docs[i], matched[i], weights, self.avg_length)
                             for i, _ in found],
                            [coverage[i] for i, _ in found], total, 1 - long_share, unknown,
                            bool(off), [docs[i].prior != 1.0 for i, _ in found],
                            bool(aspect or parts), content, *self.analyzer.places(terms),
                            [docs[i].entry.kind for i, _ in found])
        return Scored(terms, aspect, bool(off), "", [docs[i].entry for i, _ in found],
                      [s for _, s in found], table, parts, aside)

    def _aside(self, feats: Features, weights: dict[str, float], total: float,
               long_share: float, filler: bool, damp: float) -> Hit | None:
        """The procedure we do not guide that the question names best, by a word no guided
        entry has, scored by the analyser as a guided entry is (its own postings and
        shortlist)."""
        docs, postings, guided = self.docs, self.aside_postings, self.postings
        wanted = _wanted(feats, postings)
        # only a name with a word of its own can be named (OWN_SHARE): the question must
        # have one, and only the names that have one are read
        having = {i for f, *_ in wanted if f not in guided for i in postings[f]}
        if not having:
            return None
        # a pair only these have is weighed as a rare one (no guided entry has it)
        weights = {**{f: self.max_idf * k for f, (k, _, _) in feats.items()
                      if f in postings and f not in weights}, **weights}
        best = None
        for i in self.aside.select(feats, weights):
            if i not in having:
                continue
            matched = matched_features(docs[i], wanted)
            got = sum([weights[f] * c for f, c in matched.items()])
            own = sum([weights[f] * c for f, c in matched.items() if f not in guided])
            if not got or own < OWN_SHARE * got:
                continue  # named by words of its own ("karaoke", "ngoại giao") or not at
                # all: "mang quốc tịch Việt Nam" is no "xin thôi quốc tịch Việt Nam"
            coverage = got / total
            score = round(damp * docs[i].prior * entry_score(
                docs[i], matched, weights, total, coverage, self.aside_idf, long_share,
                filler), 4)
            if score > 0 and (best is None or score > best.score):
                best = Hit(docs[i].entry, score)
        return best

    def uncached(self, question: str) -> Match:
        """What ``match`` answers, computed afresh (benchmarks time this)."""
        return self._match(question)

    def procedures(self, text: str) -> list[Hit]:
        """The procedures a text names, most likely first, each with the ranking model's
        probability among procedures alone: a complaint ("cán bộ hẹn đi hẹn lại khi tôi
        làm khai sinh") is about the complaint first, but it may name a procedure."""
        read = self.scored(text, "procedure")
        hits = [Hit(e, round(self.model.rank.probability(r), 4))
                for e, r in zip(read.entries, read.rows)]
        return sorted(hits, key=lambda h: (-h.score, h.entry.id))[:MAX_HITS]

    def _match(self, question: str) -> Match:
        read = self.scored(question)
        if self._set_aside(read) and not self.named_topic(read):  # a procedure we do not
            # guide: say so, and which (a bare topic of ours, "bằng lái", lists ours)
            return Match(question, "unknown", read.aspect, [read.aside], "uncovered")
        if not read.entries:
            return Match(question, "unknown", read.aspect, [], read.reason)
        hits, status = self._ranked(read)
        return self._answered(question, read, hits, status)

    @staticmethod
    def _set_aside(read: Scored) -> bool:
        """Does the question name a procedure we do not guide more surely than any we
        do ("hộ chiếu ngoại giao" beside "hộ chiếu")? By the analyser's scores, the
        bar fitted on the development sets (bench/fit_entries.py: UNCOVERED_AT,
        UNCOVERED_MARGIN)."""
        best = max(read.raw, default=0.0)
        if read.off or best + UNCOVERED_MARGIN > 1.0:  # (no score is above 1)
            return False
        if read.aside is None:
            return False
        return read.aside.score >= UNCOVERED_AT and read.aside.score >= best + UNCOVERED_MARGIN

    def _ranked(self, read: Scored) -> tuple[list[Hit], str]:
        """The first hits of a read with some entries, and what the entry model decides
        on them (before the answer item has its say: ``_answered``)."""
        probabilities, shown = fusion.rank(self.model, read.rows)
        scored = [(round(p, 4), s, e) for p, s, e in
                  zip(probabilities, read.raw, read.entries)]
        scored.sort(key=lambda t: (-t[0], -t[1], t[2].id))  # ties: the analyser's score
        hits = [Hit(e, p) for p, _, e in scored[:MAX_HITS]]
        return hits, decide(hits, shown, read.rows[0][fusion.LONG] > 0)

    def _answered(self, question: str, read: Scored, hits: list[Hit], status: str) -> Match:
        """The match, once the answer item is chosen: an item can lead with the entry it
        serves, and raise an unknown to a suggestion."""
        terms, aspect, off, parts = read.terms, read.aspect, read.off, read.parts
        # sure of the entry: its items (and those that apply to it); else the first few's.
        # Even below HINT_AT: a question asked in an item's own words ("đổi tên cho con
        # 10 tuổi có cần con đồng ý") is often named too vaguely for its entry alone.
        choices = self.items.choices(terms, aspect, parts,
                                     hits[:1] if status == "answer" else hits) \
            if hits and not off else []
        chosen = choices[0] if choices else None
        item = second = None
        if chosen is not None:
            item, rank = chosen
            if status == "unknown" and item.sure and (
                    item.score >= PROMOTE_AT or
                    (item.probability or 0.0) >= self.items.model.hint_p):
                # unsure of the entry, but its item is this very question: a suggestion
                # that leads with that answer as its guess. Never further, to a sure
                # answer: on the development sets that raised as many wrong answers as
                # right ones.
                status = "suggest"
            elif status == "unknown":
                # below, the item stays on the match: a suggestion offers it as a best
                # guess among the choices; far below, it is not looked at
                item, rank = None, rank if hits[0].score >= HINT_AT else 0
            if rank:  # the item answers the question: the entry it serves leads
                hits.insert(0, hits.pop(rank))
        if (status == "unknown" or (status == "suggest" and item is None)) and \
                not (off or aspect or parts):
            named = self.named_topic(read)
            if named:  # a bare topic the knowledge names: its entries to choose from
                # (also when unsure among others: "bảo hiểm" lists the insurance
                # procedures, not the insurance office beside two of them)
                status, item = "suggest", None
                hits = named
        if item is not None and status == "answer" and aspect and len(parts) <= 1 and \
                item.leaves_out(aspect) and self.headings.names_only(terms, hits[0].entry):
            # a general question on a part ("mai táng phí cần giấy tờ gì": the name and
            # the part, nothing else): the card's part answers it, not an item that
            # shares the name's words and leaves that part out
            item = None
        if item is not None:
            # the next most probable item: it answers the other question of a message
            # asking two ("có được không, có bị phạt không"), or, nearly as probable as
            # the first, it may be the one asked ("bé 4 tuổi": under 6, or 6 to 14?)
            other = next((c for c, _ in choices[1:] if c.answer.text != item.answer.text),
                         None)
            if other is not None and (asks_twice(terms) or (other.probability or 0.0) >=
                                      (item.probability or 0.0) - NEAR_TIE):
                second = other
        if status == "answer" and hits[0].entry.kind != "procedure":
            aspect = None  # only procedures have parts to lead with
        aside = read.aside if status == "unknown" and item is None and not off else None
        if aside is not None and \
                aside.score >= UNCOVERED_AT and aside.score > max(read.raw, default=0.0):
            # unknown either way: the procedure it names best is one we do not guide, so
            # the reply says which, rather than nothing ("aside": not sure enough to be
            # "uncovered", which also ends a conversation's topic)
            return Match(question, status, aspect, [aside], "aside")
        return Match(question, status, aspect, hits, "off_topic" if off else "", item,
                     tuple(sorted(parts)), second)

    def named_topic(self, read: Scored) -> list[Hit]:
        """The procedures a bare topic names, most likely first (``topics``)."""
        probabilities, _ = fusion.rank(self.model, read.rows) if read.rows else ([], 0.0)
        ranked = sorted(zip(probabilities, read.entries), key=lambda t: -t[0])
        return self.headings.named(read.terms, ranked)

    def answer_for(self, entry: Entry, question: str,
                   read: tuple[list[Term], str | None] | None = None) -> ItemHit | None:
        """The answer item of ``entry`` that a question asks, if any: for a follow-up
        read against the entry the citizen is already talking about. ``read`` is the
        question's ``read()``, when the caller has it already."""
        terms, aspect = read or self.read(question)
        return self.answers.best(entry.id, features(terms), aspect, self.analyzer.aspects(terms))
