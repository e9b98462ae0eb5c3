"""Typo repair against the knowledge vocabulary. ``TypoRepair`` is built once per index
from what the knowledge knows: its syllables, the syllable pairs its texts and synonym
variants contain, and the idf of each; it is then handed to ``Analyzer.analyze`` as the
``repair`` step of every citizen message. It fixes Telex/VNI leftovers ("ddang kys"),
run-together syllables ("khaisinh"), and one-letter typos, preferring the syllable that
makes a known pair with a neighbour ("bằg lái" -> "bằng lái"), then the nearest known
syllable. A real Vietnamese syllable the knowledge does not use is left alone."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.matcher.analysis import Analyzer, Term
from bot.text import is_syllable, telex_candidates

CORRECTED = 0.75  # credit for a syllable repaired from a typo
_NONE: frozenset[str] = frozenset()


def _dropped_letter(typed: str, word: str) -> bool:
    """Is ``typed`` the word with one letter left out?"""
    return len(word) == len(typed) + 1 and any(word[:i] + word[i + 1:] == typed
                                               for i in range(len(word)))


class TypoRepair:
    """Repairs a sentence's terms (``__call__``) against the knowledge vocabulary.

    ``known``: every folded syllable left as it is; ``vocabulary``: the syllables of
    the indexed texts; ``pairs``: known adjacent syllable pairs; ``idf``: feature ->
    inverse document frequency (for syllable pairs, whether the knowledge has a pair at
    all); ``targets``: the syllables a typo may be repaired into."""

    def __init__(self, known: set[str], vocabulary: set[str], pairs: Iterable[Iterable[str]],
                 idf: dict[str, float], max_idf: float, targets: Iterable[str]):
        self.known = known
        self.vocabulary = vocabulary
        self.idf = idf
        self.max_idf = max_idf
        self.targets = sorted(targets)
        # A repair is one or two edits away, so only a syllable of about the typed one's
        # length can be one: ``nearest`` compares those alone.
        self.targets_of_length: dict[int, list[str]] = {}
        for word in self.targets:
            self.targets_of_length.setdefault(len(word), []).append(word)
        self.right_of: dict[str, set[str]] = {}
        self.left_of: dict[str, set[str]] = {}
        for a, b in pairs:
            self.right_of.setdefault(a, set()).add(b)
            self.left_of.setdefault(b, set()).add(a)

    @classmethod
    def for_index(cls, analyzer: Analyzer, vocabulary: set[str], idf: dict[str, float],
                  max_idf: float, aside: set[str] = frozenset()) -> TypoRepair:
        """The repair for an index: its vocabulary and idf, and the analyzer's own words
        (stop words, synonym variants, cues, off-topic words). Typos are never repaired
        into a stop word, nor into an off-topic word the knowledge does not use; known
        pairs are the index's and those inside synonym variants ("bằng lái" is
        rewritten away before indexing). ``aside``: the words of the procedures the
        index names but does not guide (knowledge.uncovered), left as typed though no
        typo is repaired into one ("ốm đau" is no "ở đâu" mistyped)."""
        pairs = [f.split("_") for f in idf if "_" in f]
        pairs += [key[i:i + 2] for key in analyzer.variants for i in range(len(key) - 1)]
        known = vocabulary | analyzer.known
        return cls(known | aside, vocabulary, pairs, idf, max_idf,
                   known - analyzer.stop_plain - (analyzer.off_topic_only - vocabulary))

    def __call__(self, terms: list[Term]) -> list[Term]:
        """Fix Telex/VNI leftovers, run-together syllables and one-letter typos."""
        out: list[Term] = []
        for n, t in enumerate(terms):
            if t.plain in self.known or t.plain[0].isdigit() or len(t.plain) < 3:
                # (a number, or one with its unit glued on: "14t", "500k", "3thang" is
                # no VNI leftover: its digits are not tone marks)
                out.append(t)
                continue
            if is_syllable(t.plain):  # a real word we do not know: leave it unknown
                out.append(t)
                continue
            fixed = next((c for c in telex_candidates(t.plain) if c in self.known), None)
            if fixed:
                out.append(Term(fixed, fixed, credit=t.credit))
                continue
            split = self.split(t.plain)
            if split:
                out.extend(Term(s, s, credit=CORRECTED) for s in split)
                continue
            # one letter off: the syllable that makes a known pair with a neighbour
            # ("bằg lái" -> "bằng lái"), else the nearest known syllable
            near = self.in_context(t.plain, out[-1].plain if out else "",
                                   terms[n + 1].plain if n + 1 < len(terms) else "") \
                or self.nearest(t.plain)
            out.append(Term(near, near, credit=CORRECTED) if near else t)
        for i, t in enumerate(out):  # "gia hạm tạm trú": "ham" next to "gia" is "han"
            if t.plain not in self.known and len(t.plain) >= 2 and not t.plain.isdigit():
                prev = out[i - 1].plain if i else ""
                after = out[i + 1].plain if i + 1 < len(out) else ""
                fixed = self.in_context(t.plain, prev, after)
                if fixed:
                    out[i] = Term(fixed, fixed, credit=CORRECTED)
        return out

    def in_context(self, plain: str, prev: str, after: str) -> str | None:
        """The knowledge syllable one edit away that forms a known pair with a neighbour."""
        options = self.right_of.get(prev, _NONE) | self.left_of.get(after, _NONE)
        # a common neighbour ("dùng", "cấp") has hundreds: compared in one C loop
        close = process.extract(plain, options, scorer=OSA.distance, score_cutoff=1,
                                limit=None) if options else ()
        return min((option for option, _, _ in close),
                   key=lambda option: self._rank(plain, option), default=None)

    def _rank(self, typed: str, word: str) -> tuple[bool, float, str]:
        """Among equally close repairs: a letter left out first (the commonest phone
        typo: "bằg", "khôg"), then the commoner syllable, then the alphabet."""
        return not _dropped_letter(typed, word), self.idf.get(word, self.max_idf), word

    def split(self, plain: str) -> list[str] | None:
        """Two known syllables run together that the knowledge uses as a pair."""
        for i in range(2, len(plain) - 1):
            a, b = plain[:i], plain[i:]
            if a in self.vocabulary and b in self.vocabulary and f"{a}_{b}" in self.idf:
                return [a, b]
        return None

    def nearest(self, plain: str) -> str | None:
        """The closest known syllable: one edit (a swap counts one) from 4 letters on,
        two from 8."""
        if len(plain) < 4 or not self.targets:
            return None
        edits = 1 if len(plain) < 8 else 2
        near = [word for length in range(len(plain) - edits, len(plain) + edits + 1)
                for word in self.targets_of_length.get(length, ())]
        found = process.extract(plain, near, scorer=OSA.distance, score_cutoff=edits,
                                limit=None)
        return min(((d, *self._rank(plain, word)) for word, d, _ in found),
                   default=(None,) * 4)[3]
