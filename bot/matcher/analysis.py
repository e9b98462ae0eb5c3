"""Text analysis: a text becomes a list of ``Term`` (its syllables, each in its exact
and folded form, with flags), and terms become weighted features. ``Analyzer`` cuts a
citizen's message into sentences, hands each to an optional typo repair, rewrites
synonyms, marks aspect cues, generic words and stop words, and lowers the sentences
around the question; ``features`` turns terms into syllables and syllable pairs with
their weight factors. ``OffTopic`` finds the words of other domains in analysed terms.
Entry texts and questions go through the same code, so that they meet on equal terms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from sys import intern

from bot.knowledge import Knowledge
from bot.matcher.cues import CUES
from bot.text import Token, syllables, tokens

WEAK = 0.25  # weight factor of aspect cue words ("giấy tờ", "bao nhiêu tiền")
CONTEXT = 0.5  # weight factor of the sentences around the question in a long message
FOCUS_MIN = 2  # content syllables the question part needs before the rest counts less
ACCENTED_SHARE = 0.5  # share of marked syllables from which a message counts as accented
ACCENTED_MIN = 3  # ... among at least this many

# feature -> (weight factor, credit, exact forms), as ``features`` gives them
Features = dict[str, tuple[float, float, tuple[str, ...]]]

# a sentence ends at . ? ! ; and a space, or a line break; a period after a short
# capitalised abbreviation ("TP. HCM", "Q. 7") does not end one
_SENTENCE_END = re.compile(r"(?:(?<=[?!;])|(?<=\.)(?<!\b[A-ZĐ]\.)(?<!\b[A-ZĐ]{2}\.)"
                           r"(?<!\b[A-ZĐ]{3}\.))\s+|\n+")
# "cho em hỏi", "xin hỏi", "cho hỏi": where the question itself starts
_ASKS = re.compile(r"\b(?:cho|xin)(?:\s+(?:em|tôi|toi|mình|minh|tui|con|cháu|chau|anh|chị|chi|"
                   r"e|t|mk|mik))?\s+h[oỏ]i\b", re.IGNORECASE)


_PLACE_BEFORE = {"o", "tai", "ben", "qua", "sang"}  # ở, tại, bên, qua, sang (folded)


def segments(text: str) -> list[str]:
    """A message cut into sentences, and before "cho em hỏi" inside one."""
    parts = []
    for sentence in _SENTENCE_END.split(unicodedata.normalize("NFC", text)):
        cuts = [m.start() for m in _ASKS.finditer(sentence) if m.start() > 0]
        for a, b in zip([0, *cuts], [*cuts, len(sentence)]):
            if sentence[a:b].strip():
                parts.append(sentence[a:b])
    return parts or [text]


def question_part(parts: list[str]) -> int:
    """Which part carries the question: the last with a question mark or an asking
    phrase, else the last."""
    for n in range(len(parts) - 1, -1, -1):
        if "?" in parts[n]:
            return n
    for n in range(len(parts) - 1, -1, -1):
        if _ASKS.search(parts[n]):
            return n
    return len(parts) - 1


def accented(pairs: list[tuple[str, str]]) -> bool:
    """Is a message, given as its (exact, folded) syllables, typed with diacritics?
    Then a syllable without marks is meant as written ("ở xa" is far, not "xã"); in a
    message typed without any, it may be any word with those letters."""
    letters = [(e, p) for e, p in pairs if not p.isdigit()]
    return len(letters) >= ACCENTED_MIN and \
        sum(e != p for e, p in letters) >= ACCENTED_SHARE * len(letters)


@dataclass(slots=True)
class Term:
    """One syllable of an analysed text (``bot.text.Token`` is the normaliser's bare
    exact/folded pair; a Term adds what the analysis decided about it)."""
    exact: str
    plain: str
    stop: bool = False
    weak: bool = False
    marked: bool = False  # typed with diacritics by the user (counts for preference)
    credit: float = 1.0
    synonym: bool = False  # produced by a synonym group: its stop flag is already decided
    filler: bool = False  # a stop word kept because the whole text is stop words
    literal: bool = False  # the message carries diacritics: unmarked here is meant unmarked
    cue: bool = False  # part of an aspect cue ("bao nhiêu tiền"), weak even in a pair
    start: bool = False  # first syllable of a sentence: no pair with the one before
    context: bool = False  # in a sentence around the question, not the question itself


class Analyzer:
    """Turns text into terms with synonyms applied and stop words marked."""

    def __init__(self, knowledge: Knowledge):
        self.variants: dict[tuple[str, ...], list[tuple[tuple[str, ...], list[str], bool]]] = {}
        stop_phrases = {tuple(t.exact for t in tokens(p)) for p in knowledge.stopwords}
        for group in knowledge.synonyms:
            canonical = [(t.exact, t.plain) for t in tokens(group[0])]
            # A group's words are domain terms ("một cửa" is not "một" + "của"),
            # unless the preferred form itself is listed as a stop word ("bao nhiêu"),
            # marks and all: "mới" is not "mọi", nor "vợ" "vô"
            is_stop = tuple(exact for exact, _ in canonical) in stop_phrases
            for variant in group:
                toks = tokens(variant)
                key = tuple(t.plain for t in toks)
                if not key:
                    continue
                exacts = tuple(t.exact for t in toks)
                self.variants.setdefault(key, []).append((exacts, canonical, is_stop))
        # The variants as a trie on folded syllables: syllable -> (children, options).
        self.trie: dict[str, tuple[dict, list]] = {}
        for key, options in self.variants.items():
            node = self.trie
            for n, plain in enumerate(key, 1):
                children, here = node.setdefault(plain, ({}, []))
                if n == len(key):
                    here.extend(options)
                node = children
        self.stop_plain: set[str] = set()
        self.stop_exact: set[str] = set()
        for phrase in knowledge.stopwords:
            for t in tokens(phrase):
                self.stop_plain.add(t.plain)
                self.stop_exact.add(t.exact)
        self.generic = {tuple(t.plain for t in tokens(p)) for p in knowledge.generic}
        self.generic_sizes: dict[str, tuple[int, ...]] = {}
        for phrase in self.generic:
            if phrase:
                self.generic_sizes[phrase[0]] = tuple(sorted(
                    {*self.generic_sizes.get(phrase[0], ()), len(phrase)}, reverse=True))
        self.off_topic = [tuple(tokens(p)) for p in knowledge.off_topic]
        self.abroad = {tuple(t.plain for t in tokens(p)) for p in knowledge.abroad} - {()}
        self.home = {tuple(t.plain for t in tokens(p)) for p in knowledge.home} - {()}
        self.place_starts = {phrase[0] for phrase in self.abroad | self.home}
        self.known: set[str] = set(self.stop_plain)
        for key in self.variants:
            self.known.update(key)
        for cues in CUES.values():
            for cue, _, _ in cues:
                self.known.update(cue)
        # never "repair" an off-topic word into a topic, nor a typo into an off-topic word
        self.off_topic_only = {t.plain for phrase in self.off_topic for t in phrase} - self.known
        self.known |= self.off_topic_only

    def _rewrite(self, toks: list[Term]) -> tuple[list[Term], bool]:
        """Replace synonym variants by their preferred form, longest first; also say
        whether anything was replaced."""
        plains = [t.plain for t in toks]
        trie = self.trie
        if trie.keys().isdisjoint(plains):
            return toks, False
        out: list[Term] = []
        changed = False
        i, count = 0, len(toks)
        while i < count:
            # most syllables start no variant, nor one with the syllable after them
            step = trie.get(plains[i])
            if step is None or not step[1] and (i + 1 == count or plains[i + 1] not in step[0]):
                out.append(toks[i])
                i += 1
                continue
            for size, options in self._phrases_at(plains, i):
                window = toks[i:i + size]
                # In a message typed with diacritics, a lone unmarked syllable is meant as
                # written: "xa" there is "far", not "xã"; a longer phrase is still read
                # through a forgotten mark ("đăng ký ho khau")
                strict = size == 1 and window[0].literal
                found = None  # the first option whose marks the typed ones do not contradict
                for exacts, canon, stop in options:
                    for t, e in zip(window, exacts):
                        # a syllable a first rewrite gave ("hs" -> "hồ sơ") has its marks
                        # as surely as one typed: "nộp hs" is not "nộp hộ" + "sơ"
                        if t.exact != e and e != t.plain and (t.marked or t.synonym or strict):
                            break
                    else:
                        found = canon, stop
                        break
                if found is None or size > 1 and self._overlaps(plains, toks, i + size - 1, size):
                    continue
                canonical, stop = found
                if size == 1:
                    credit, marked = window[0].credit, window[0].marked
                else:
                    credit = min(t.credit for t in window)
                    marked = any(t.marked for t in window)
                # positional: exact, plain, stop, weak, marked, credit, synonym
                out.extend([Term(e, p, stop, False, marked, credit, True) for e, p in canonical])
                changed = changed or len(canonical) != size or any(
                    t.plain != p for t, (_, p) in zip(window, canonical))
                i += size
                break
            else:
                out.append(toks[i])
                i += 1
        return out, changed

    def _phrases_at(self, plains: list[str], i: int) -> list[tuple[int, list]]:
        """Synonym variants that start at position i, longest first, with their options."""
        found = []
        node = self.trie
        for j in range(i, len(plains)):
            step = node.get(plains[j])
            if step is None:
                break
            node, options = step
            if options:
                found.append((j + 1 - i, options))
        found.reverse()
        return found

    def _overlaps(self, plains: list[str], toks: list[Term], last: int, size: int) -> bool:
        """Without diacritics, two phrases can share a syllable: in "nop ho so",
        "nop ho" (nộp hộ) and "ho so" (hồ sơ) both fit. The phrase that goes on to
        the right wins, as it is usually the object ("nộp hồ sơ"), unless the
        citizen typed the first one with its marks."""
        if size < 2 or last + 1 >= len(plains) \
                or any(t.marked for t in toks[last - size + 1:last + 1]):
            return False
        return any(n >= 2 for n, _ in self._phrases_at(plains, last))

    def _mark(self, toks: list[Term]) -> tuple[list[Term], str | None]:
        """Mark aspect cues and generic words weak and stop words stop, in one pass;
        also say which aspect the question is about."""
        plains = [t.plain for t in toks]
        found: list[tuple[bool, bool, int, str]] = []
        generic, generic_sizes = self.generic, self.generic_sizes
        stop_plain, stop_exact = self.stop_plain, self.stop_exact
        cued = 0  # positions before this are inside a cue already
        for i, t in enumerate(toks):
            plain = t.plain
            if i >= cued and plain in CUES:
                for cue, name, soft in CUES[plain]:
                    n = len(cue)
                    if tuple(plains[i:i + n]) == cue:
                        for w in toks[i:i + n]:
                            w.weak = w.cue = True
                        found.append((t.context, soft, i, name))
                        cued = i + n
                        break
            if plain in generic_sizes:  # generic words ("ủy ban", "xã") count little
                for n in generic_sizes[plain]:
                    if tuple(plains[i:i + n]) in generic:
                        for w in toks[i:i + n]:
                            w.weak = True
            if t.synonym:
                continue
            if plain.isdigit():  # "1 tháng", "3 lần": details, not the topic
                t.stop = True
            elif plain in stop_plain and (not t.marked or t.exact in stop_exact
                                          or t.exact == plain):
                t.stop = True
        if toks and all(t.stop for t in toks):  # "bạn là ai": the words are the topic
            for t in toks:
                t.stop, t.filler = False, True
        # a cue in the question itself, the sharpest, then the one written first
        return toks, min(found)[3] if found else None

    def places(self, terms: list[Term]) -> tuple[bool, bool]:
        """Does a text place its matter abroad ("ở Mỹ", "bên Nhật", "tại nước ngoài":
        a foreign place after ở, tại, bên, qua or sang), and does it name home ("Việt
        Nam", "về nước")? Whose matter it is: a procedure abroad is not ours to answer,
        though a Vietnamese working abroad may well ask about one at home."""
        plains = [t.plain for t in terms]
        abroad = home = False
        starts = self.place_starts
        for i in range(len(plains)):
            if plains[i] not in starts:  # (most syllables begin no such phrase)
                continue
            for n in (3, 2, 1):
                phrase = tuple(plains[i:i + n])
                if len(phrase) < n:
                    continue
                if phrase in self.home:
                    home = True
                if phrase in self.abroad and i and plains[i - 1] in _PLACE_BEFORE:
                    abroad = True
        return abroad, home

    @staticmethod
    def aspects(terms: list[Term]) -> set[str]:
        """Every part a text asks about by a sharp cue ("online bao lâu": online, time)."""
        plains = [t.plain for t in terms]
        return {name for i, plain in enumerate(plains) for cue, name, soft in CUES.get(plain, ())
                if not soft and tuple(plains[i:i + len(cue)]) == cue}

    def analyze(self, text: str, repair: Callable[[list[Term]], list[Term]] | None = None
                ) -> tuple[list[Term], str | None]:
        """Terms of a text, and the aspect it asks about. A citizen's message
        (``repair`` given, e.g. a ``TypoRepair``) is read sentence by sentence: no
        synonym phrase or syllable pair spans two sentences, and in a message of
        several, the sentences around the question count less (``CONTEXT``)."""
        parts = segments(text) if repair is not None else [text]
        focus = question_part(parts) if len(parts) > 1 else 0  # one part: it is the question
        words = [syllables(part) for part in parts]
        literal = repair is not None and accented([w for part in words for w in part])
        toks: list[Term] = []
        for n, part in enumerate(words):
            # positional (faster than keywords): exact, plain, stop, weak, marked, credit,
            # synonym, filler, literal
            seg = [Term(e, p, False, False, e != p, 1.0, False, False, literal)
                   for e, p in part]
            if repair is not None:
                seg = repair(seg)
            # Again after a change, so that rewrites compose: "xóa đk thường trú" ->
            # "xóa đăng ký thường trú" -> "xóa thường trú".
            seg, changed = self._rewrite(seg)
            if changed:
                seg, _ = self._rewrite(seg)
            if seg:
                seg[0].start = True
                if n != focus:  # around the question (every term is read as in it first)
                    for t in seg:
                        t.context = True
            toks.extend(seg)
        toks, aspect = self._mark(toks)
        # The story only steps back when the question itself names something: in
        # "Ba em mất tháng trước. Cho em hỏi điều kiện ra sao?" it holds the topic.
        # (A text of one part, as every entry text, has no story.)
        if len(parts) > 1 and \
                sum(1 for t in toks if not t.context and not t.stop and not t.weak) < FOCUS_MIN:
            for t in toks:
                t.context = False
        return toks, aspect


def features(terms: list[Term]) -> Features:
    """feature -> (weight factor, credit, exact forms) for unigrams and bigrams; a
    feature seen twice keeps its stronger factor.

    The feature names are interned (``sys.intern``): the index's and a question's are
    then one string object per feature, in both build processes (marshal keeps the
    mark), so the index keeps each once, and a question's lookups in the entries' dicts
    of the index match by identity instead of reaching for another copy in memory."""
    feats: Features = {}
    prev = None
    for t in terms:
        if t.start:  # no pair across sentences, even when one begins with a stop word
            prev = None
        if t.stop:
            continue
        factor = (WEAK if t.weak else 1.0) * (CONTEXT if t.context else 1.0)
        plain = intern(t.plain)
        old = feats.get(plain)
        if old is None or factor > old[0]:
            feats[plain] = (factor, t.credit, (t.exact,))
        if prev is not None and not t.start:
            key = intern(f"{prev.plain}_{t.plain}")
            # a generic word next to a specific one makes a specific pair ("công an tỉnh")
            weak = prev.cue or t.cue or (prev.weak and t.weak)
            pair = (WEAK if weak else 1.0) * (CONTEXT if prev.context or t.context else 1.0)
            old = feats.get(key)
            if old is None or pair > old[0]:
                credit = prev.credit if prev.credit <= t.credit else t.credit  # (min's, inline)
                feats[key] = (pair, credit, (prev.exact, t.exact))
        prev = t
    return feats


class OffTopic:
    """Finds the words of other domains ("bóng đá", "lãi suất") in analysed terms.

    ``phrases`` are the off-topic phrases to look for, by first syllable (the matcher
    keeps only those its knowledge never uses); ``ambiguous`` are the folded syllables
    that are also knowledge words, so that a one-syllable off-topic word among them
    ("lãi", folded "lai" as in "cấp lại") only counts when typed with its marks."""

    def __init__(self, phrases: dict[str, list[tuple[Token, ...]]], ambiguous: set[str],
                 written: Iterable[list[Term]] = ()):
        """``written``: the knowledge's own texts, analysed: where one writes an off-topic
        phrase of two syllables or more inside a longer one ("giới hạn mức" holds "hạn
        mức"), that longer one, met in a question, is the knowledge's word, not another
        domain's."""
        self.phrases = phrases
        self.ambiguous = ambiguous
        self.around: set[tuple[str, ...]] = set()  # (word before, *phrase), (*phrase, after)
        for terms in written:
            for i, n in self._found(terms):
                if n < 2:  # one syllable stands in too many words ("nắng", "năng lực")
                    continue
                plains = [t.plain for t in terms]
                if i and not terms[i].start:
                    self.around.add(tuple(plains[i - 1:i + n]))
                if i + n < len(terms) and not terms[i + n].start:
                    self.around.add(tuple(plains[i:i + n + 1]))

    def _found(self, terms: list[Term]) -> list[tuple[int, int]]:
        """(start, length) of every off-topic phrase in the terms, spelling aside."""
        found = []
        for i, t in enumerate(terms):
            for phrase in self.phrases.get(t.plain, ()):
                n = len(phrase)
                window = terms[i:i + n]
                if len(window) == n and all(w.plain == p.plain for w, p in zip(window, phrase)):
                    found.append((i, n))
        return found

    def hits(self, terms: list[Term]) -> set[int]:
        """Positions of off-topic words among the terms."""
        hits: set[int] = set()
        phrases, ambiguous_words = self.phrases, self.ambiguous
        for i, t in enumerate(terms):
            for phrase in phrases.get(t.plain, ()):
                n = len(phrase)
                window = terms[i:i + n]
                if len(window) < n or any(w.plain != p.plain for w, p in zip(window, phrase)):
                    continue
                exact = all(w.exact == p.exact for w, p in zip(window, phrase))
                ambiguous = n == 1 and phrase[0].plain in ambiguous_words
                if not (exact or not ambiguous and not any(w.marked for w in window)):
                    continue
                if self.around and (
                        i and tuple(w.plain for w in terms[i - 1:i + n]) in self.around
                        or tuple(w.plain for w in terms[i:i + n + 1]) in self.around):
                    continue  # the knowledge writes it so: its word, not another domain's
                hits.update(range(i, i + n))
        return hits
