"""Bare topics: a short question ("đất đai", "bảo hiểm", "xe") that the names or fields
of some procedures hold word for word. The entry model is rightly unsure which one is
asked, but the citizen is not asking about nothing: those procedures are the choices."""

from __future__ import annotations

from bot.knowledge import Entry
from bot.matcher.analysis import Analyzer, Term
from bot.matcher.scoring import MAX_HITS, Hit

TOPIC_WORDS = 3  # content syllables up to which an unsure question may be a bare topic
TOPIC_SHARED = 3  # names that must share a one-syllable topic ("xe") outside a field name


def contains(heading: tuple[Term, ...], words: list[Term]) -> bool:
    """Does a heading have these syllables in a row (folded, or exactly as typed when
    the citizen typed the marks)?"""
    n = len(words)
    return any(all(h.plain == w.plain and (not w.marked or h.exact == w.exact)
                   for h, w in zip(heading[i:i + n], words))
               for i in range(len(heading) - n + 1))


class Headings:
    """Procedures' names and fields as the analyser reads them (kept once read)."""

    def __init__(self, analyzer: Analyzer):
        self.analyzer = analyzer
        self._read: dict[str, tuple[Term, ...]] = {}  # name or field -> its syllables

    def of(self, text: str) -> tuple[Term, ...]:
        """A name's or field's content syllables."""
        found = self._read.get(text)
        if found is None:
            terms, _ = self.analyzer.analyze(text)
            found = self._read[text] = tuple(t for t in terms if not t.stop)
        return found

    def names_only(self, terms: list[Term], entry: Entry) -> bool:
        """Are the question's words, besides stop words and the words of the part it
        asks ("cần giấy tờ gì", "lệ phí"), all words of the entry's name (what its
        brackets add is a case: "trẻ em dưới 14 tuổi" asks about that case)?"""
        words = {t.plain for t in terms if not (t.stop or t.weak or t.cue)}
        return words <= {t.plain for t in self.of(entry.title.split("(")[0])}

    def named(self, terms: list[Term], ranked: list[tuple[float, Entry]]) -> list[Hit]:
        """The procedures among ``ranked`` (probability, entry; most likely first) whose
        name or field holds a bare topic's words, with their probabilities. One
        syllable ("xe", "thuế") names a topic only as a whole field or when TOPIC_SHARED
        names share it: "lịch" alone is not "lý lịch", nor is "yeu" the "yếu" of "yếu
        tố nước ngoài". What is in a name's brackets explains it; it does not name it."""
        words = [t for t in terms if not t.stop]
        if not words or len(words) > TOPIC_WORDS:
            return []
        named, field_named = [], False
        for p, entry in ranked:
            if entry.kind != "procedure":
                continue
            field = self.of(entry.data.get("field") or "")
            in_field = contains(field, words)
            if in_field or contains(self.of(entry.title.split("(")[0]), words):
                named.append(Hit(entry, round(p, 4)))
                field_named = field_named or (in_field and len(field) == len(words))
        if len(words) == 1 and not field_named and len(named) < TOPIC_SHARED:
            return []
        return named[:MAX_HITS]
