"""Match a citizen's question to knowledge entries.

The flow for one question:

1. ``Analyzer.analyze``: the message is cut into sentences ("cho em hỏi" starts a new
   one); per sentence, syllables (``bot.text``), typo and Telex repair against the
   knowledge vocabulary, and synonym rewriting (``synonyms.yaml``). In a message typed
   with diacritics, a lone unmarked syllable is read as written ("ở xa" is not "ở xã").
   Then aspect cues ("bao nhiêu tiền", "giấy tờ gì") and generic words are marked weak,
   stop words dropped, and in a long message the sentences around the question weigh
   less than the question itself.
2. Features: folded syllables and adjacent syllable pairs (bigrams) within a sentence,
   since Vietnamese words are mostly two syllables. Each feature weighs its inverse
   document frequency.
3. Candidates come from an inverted index: each feature's weight is added along its
   posting list in one array operation (numpy); the commonest syllables only rescore
   the best candidates. Only a bounded set is then compared feature by feature, so
   cost grows far slower than the knowledge base.
4. Score in [0, 1]: how much of the question the entry explains, blended with how
   much of the entry's best name the question contains. A syllable typed with
   diacritics that differ from the entry's counts less than an exact one.
5. Calibrated thresholds decide: answer, suggest the top 3, or unknown (from HINT_AT,
   an unknown still offers the closest entry as one button).
"""

from __future__ import annotations

import gc
import logging
import marshal
import math
import os
import re
import select
import signal
import threading
import time
import unicodedata
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.answers import AnswerIndex, ItemHit
from bot.knowledge import Entry, Knowledge
from bot.text import Token, is_syllable, syllables, telex_candidates, tokens

log = logging.getLogger(__name__)

# Calibrated on tests/data/eval.tsv (see bench/accuracy.py); one place to change them.
ANSWER_AT = 0.60
SUGGEST_AT = 0.48
HINT_AT = 0.40  # below SUGGEST_AT: unknown, but the best entry is offered as one button
MARGIN = 0.06
PROMOTE_AT = 0.6  # answer-item score from which a "suggest" is answered by that item
MAX_HITS = 5
CACHE_SIZE = 4096  # questions whose match is kept (first in, first out)

WEAK = 0.25  # weight factor of aspect cue words ("giấy tờ", "bao nhiêu tiền")
MISMARKED = 0.5  # credit for a syllable whose diacritics differ from the entry's
CORRECTED = 0.75  # credit for a syllable repaired from a typo
UNKNOWN = 0.7  # weight of an unknown syllable, as a share of the rarest feature's
IMPORTED_PRIOR = 0.85  # score factor of entries imported from the national catalog
OFF_TOPIC_DAMP = 0.75  # factor on every score when the question has an off-topic word
OFF_TOPIC = 2.5  # weight of an off-topic word, as a share of the rarest feature's
CANDIDATES = 48  # bound on entries scored exactly for one question
POSTING_CAP = 2000  # posting lists longer than this do not bring new candidates
CHILD_TIMEOUT = 120.0  # seconds the parent waits for the child's half of the index
PARALLEL_AT = 4000  # entry texts from which the index is built in two processes
EAGER_ARRAY = 16  # posting lists longer than this are turned into arrays at build
RERANK = 24  # bound on entries scored in full
SHORTLIST_FLOOR = 0.3  # ... among those covering at least this share of the best one
Q_SHARE = 0.4  # in a text's score, weight of question coverage against text coverage
BLEND = 0.3  # weight of the whole entry's coverage against the best text's score
LONG_AT = 16  # content syllables from which a message counts as long
UNPAIRED = 0.8  # factor for an entry that shares no syllable pair with the question
FOREIGN = 2.0  # weight factor of an unknown word that is not a Vietnamese syllable
CONTEXT = 0.5  # weight factor of the sentences around the question in a long message
FOCUS_MIN = 2  # content syllables the question part needs before the rest counts less
ACCENTED_SHARE = 0.5  # share of marked syllables from which a message counts as accented
ACCENTED_MIN = 3  # ... among at least this many
ENTRY_Q = 0.2  # share of a text's question coverage credited from the whole entry
EVIDENCE = 6.0  # matched weight below which a match counts as thin (see _score)
UNKNOWN_PAIR = 0.5  # weight of a syllable pair with an unknown syllable, per unknown syllable

# Aspect cues on folded, synonym-rewritten text. Longer cues are marked first, so
# "bao nhiêu ngày" is time and its "bao nhiêu" is not read again as a fee.
ASPECTS: dict[str, tuple[str, ...]] = {
    "time": ("bao lau", "may ngay", "bao nhieu ngay", "thoi gian", "thoi han",
             "khi nao co", "bao gio co", "lau khong", "bao nhieu lau", "may tuan",
             "may thang", "bao nhieu thang", "khi nao lay", "bao gio lay",
             "ngay nao lay", "may hom", "lau qua", "nhanh nhat", "may bua", "bao nhieu bua",
             "mat bao nhieu ngay", "het bao nhieu ngay", "mat bao lau", "mat may ngay",
             "lay ngay", "co ngay", "trong ngay", "khi nao xong", "bao gio xong",
             "bao lau moi", "may ngay moi", "bao nhieu ngay moi", "lau chua"),
    "fee": ("bao nhieu tien", "le phi", "tien le phi", "ton bao nhieu", "mat bao nhieu",
            "het bao nhieu", "ton tien", "mat tien", "mien phi", "gia bao nhieu",
            "phai dong", "nop tien", "co mat phi", "tinh phi", "thu phi", "dong tien"),
    "documents": ("ho so gom", "ho so can", "ho so gi", "can ho so", "can gi",
                  "can nhung gi", "mang theo", "chuan bi", "mang gi", "thanh phan",
                  "can giay", "giay gi", "nop gi", "nop nhung gi", "to khai", "can mang",
                  "gom nhung gi", "gom gi", "can nop", "mang nhung gi", "nhung giay"),
    "online": ("truc tuyen", "tai nha", "khong can den", "khong phai den",
               "khong can len", "tu nha", "tren dinh danh", "qua dinh danh", "bang dinh danh",
               "tren ung dung", "qua ung dung", "tren bao hiem xa hoi", "qua bao hiem xa hoi",
               "tren dich vu cong", "qua dich vu cong", "tren cong", "qua cong",
               "tren dien thoai", "qua dien thoai", "tu lam tren"),
    "place": ("o dau", "cho nao", "noi nao", "dia chi", "co quan nao", "nop o",
              "lam o", "den dau", "nop dau", "lam dau", "ai giai quyet", "ai cap",
              "len dau", "ra dau", "dau lam", "o mo", "cho mo", "nop tai", "lam tai",
              "xin o", "ra uy ban nhan dan", "len uy ban nhan dan",
              "den uy ban nhan dan", "uy ban nhan dan nao",
              "xa nao", "len cong an", "ra cong an",
              "cong an nao", "trung tam nao", "noi dang ky", "hay phai ra", "hay phai len"),
    "legal": ("can cu", "luat nao", "nghi dinh", "thong tu", "van ban nao",
              "quy dinh nao", "theo luat", "phap ly", "dieu may", "phap luat",
              "theo quy dinh", "quy dinh tai", "luat gi", "luat", "dieu kien", "bat buoc",
              "bi phat", "phat khong", "co phat", "phat bao nhieu", "duoc phep", "co quy dinh",
              "quy dinh the nao", "quy dinh nhu the nao"),
}
# Cues that only say what the question is about when nothing sharper is there:
# "giấy tờ" is often just the object ("sao y giấy tờ bao nhiêu tiền").
# A plain locative ("nhận con ở ủy ban xã mất bao lâu") is where the citizen is, not
# always what they ask.
SOFT_CUES = {"documents": ("giay to",), "fee": ("tien",),
             "legal": ("co duoc", "duoc khong", "co phai", "phai khong"),
             "place": ("o uy ban nhan dan", "tai uy ban nhan dan", "o xa", "tai xa",
                       "o cong an")}
_CUES: dict[str, list[tuple[tuple[str, ...], str, bool]]] = {}  # first syllable -> cues
for _soft, _table in ((False, ASPECTS), (True, SOFT_CUES)):
    for _aspect, _cues in _table.items():
        for _cue in _cues:
            _CUES.setdefault(_cue.split()[0], []).append((tuple(_cue.split()), _aspect, _soft))
for _list in _CUES.values():
    _list.sort(key=lambda item: -len(item[0]))


# a sentence ends at . ? ! ; and a space, or a line break; a period after a short
# capitalised abbreviation ("TP. HCM", "Q. 7") does not end one
_SENTENCE_END = re.compile(r"(?:(?<=[?!;])|(?<=\.)(?<!\b[A-ZĐ]\.)(?<!\b[A-ZĐ]{2}\.)"
                           r"(?<!\b[A-ZĐ]{3}\.))\s+|\n+")
# "cho em hỏi", "xin hỏi", "cho hỏi": where the question itself starts
_ASKS = re.compile(r"\b(?:cho|xin)(?:\s+(?:em|tôi|toi|mình|minh|tui|con|cháu|chau|anh|chị|chi|"
                   r"e|t|mk|mik))?\s+h[oỏ]i\b", re.IGNORECASE)


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


def _dropped_letter(typed: str, word: str) -> bool:
    """Is ``typed`` the word with one letter left out?"""
    return len(word) == len(typed) + 1 and any(word[:i] + word[i + 1:] == typed
                                               for i in range(len(word)))


@dataclass(slots=True)
class Tok:
    exact: str
    plain: str
    stop: bool = False
    weak: bool = False
    marked: bool = False  # typed with diacritics by the user (counts for preference)
    credit: float = 1.0
    term: bool = False  # produced by a synonym group: its stop flag is already decided
    filler: bool = False  # a stop word kept because the whole text is stop words
    literal: bool = False  # the message carries diacritics: unmarked here is meant unmarked
    cue: bool = False  # part of an aspect cue ("bao nhiêu tiền"), weak even in a pair
    start: bool = False  # first syllable of a sentence: no pair with the one before
    context: bool = False  # in a sentence around the question, not the question itself


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
    reason: str = ""
    answer: ItemHit | None = None  # the answer item of the best entry that was asked

    @property
    def best(self) -> Entry | None:
        return self.hits[0].entry if self.hits else None


class Analyzer:
    """Turns text into tokens with synonyms applied and stop words marked."""

    def __init__(self, knowledge: Knowledge):
        self.variants: dict[tuple[str, ...], list[tuple[tuple[str, ...], list[str], bool]]] = {}
        stop_phrases = {tuple(t.plain for t in tokens(p)) for p in knowledge.stopwords}
        for group in knowledge.synonyms:
            canonical = [(t.exact, t.plain) for t in tokens(group[0])]
            # A group's words are domain terms ("một cửa" is not "một" + "của"),
            # unless the preferred form itself is listed as a stop word ("bao nhiêu").
            is_stop = tuple(plain for _, plain in canonical) in stop_phrases
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
        self.ambiguous: set[str] = set()  # set by the Matcher: folded knowledge words
        self.known: set[str] = set(self.stop_plain)
        for key in self.variants:
            self.known.update(key)
        for cues in _CUES.values():
            for cue, _, _ in cues:
                self.known.update(cue)
        # never "repair" an off-topic word into a topic, nor a typo into an off-topic word
        self.off_topic_only = {t.plain for phrase in self.off_topic for t in phrase} - self.known
        self.known |= self.off_topic_only

    def _rewrite(self, toks: list[Tok]) -> tuple[list[Tok], bool]:
        """Replace synonym variants by their preferred form, longest first; also say
        whether anything was replaced."""
        plains = [t.plain for t in toks]
        trie = self.trie
        if trie.keys().isdisjoint(plains):
            return toks, False
        out: list[Tok] = []
        changed = False
        i, count = 0, len(toks)
        while i < count:
            if plains[i] not in trie:
                out.append(toks[i])
                i += 1
                continue
            for size, options in self._phrases_at(plains, i):
                window = toks[i:i + size]
                # In a message typed with diacritics, a lone unmarked syllable is meant as
                # written: "xa" there is "far", not "xã"; a longer phrase is still read
                # through a forgotten mark ("đăng ký ho khau")
                strict = size == 1 and window[0].literal
                found = next(((canon, stop) for exacts, canon, stop in options
                              if all(t.exact == e or e == t.plain or not (t.marked or strict)
                                     for t, e in zip(window, exacts))), None)
                if found is None or self._overlaps(plains, toks, i + size - 1, size):
                    continue
                canonical, stop = found
                credit = min(t.credit for t in window)
                marked = any(t.marked for t in window)
                out.extend(Tok(e, p, stop=stop, marked=marked, credit=credit, term=True)
                           for e, p in canonical)
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

    def _overlaps(self, plains: list[str], toks: list[Tok], last: int, size: int) -> bool:
        """Without diacritics, two phrases can share a syllable: in "nop ho so",
        "nop ho" (nộp hộ) and "ho so" (hồ sơ) both fit. The phrase that goes on to
        the right wins, as it is usually the object ("nộp hồ sơ"), unless the
        citizen typed the first one with its marks."""
        if size < 2 or last + 1 >= len(plains) \
                or any(t.marked for t in toks[last - size + 1:last + 1]):
            return False
        return any(n >= 2 for n, _ in self._phrases_at(plains, last))

    def _mark(self, toks: list[Tok]) -> tuple[list[Tok], str | None]:
        """Mark aspect cues and generic words weak and stop words stop, in one pass;
        also say which aspect the question is about."""
        plains = [t.plain for t in toks]
        found: list[tuple[bool, bool, int, str]] = []
        generic, generic_sizes = self.generic, self.generic_sizes
        stop_plain, stop_exact = self.stop_plain, self.stop_exact
        cued = 0  # positions before this are inside a cue already
        for i, t in enumerate(toks):
            plain = t.plain
            if i >= cued and plain in _CUES:
                for cue, name, soft in _CUES[plain]:
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
            if t.term:
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

    def analyze(self, text: str, repair=None) -> tuple[list[Tok], str | None]:
        """Tokens of a text. A citizen's message (``repair`` given) is read sentence by
        sentence: no synonym phrase or syllable pair spans two sentences, and in a
        message of several, the sentences around the question count less (``CONTEXT``)."""
        parts = segments(text) if repair is not None else [text]
        focus = question_part(parts)
        words = [syllables(part) for part in parts]
        literal = repair is not None and accented([w for part in words for w in part])
        toks: list[Tok] = []
        for n, part in enumerate(words):
            seg = [Tok(e, p, False, False, e != p, literal=literal) for e, p in part]
            if repair is not None:
                seg = repair(seg)
            # Again after a change, so that rewrites compose: "xóa đk thường trú" ->
            # "xóa đăng ký thường trú" -> "xóa thường trú".
            seg, changed = self._rewrite(seg)
            if changed:
                seg, _ = self._rewrite(seg)
            if seg:
                seg[0].start = True
                for t in seg:
                    t.context = n != focus
            toks.extend(seg)
        toks, aspect = self._mark(toks)
        # The story only steps back when the question itself names something: in
        # "Ba em mất tháng trước. Cho em hỏi điều kiện ra sao?" it holds the topic.
        if sum(1 for t in toks if not t.context and not t.stop and not t.weak) < FOCUS_MIN:
            for t in toks:
                t.context = False
        return toks, aspect

    def off_topic_hits(self, toks: list[Tok], phrases: dict[str, list[tuple[Token, ...]]]
                       ) -> set[int]:
        """Positions of off-topic words (``phrases`` by first syllable). A
        one-syllable word that is ambiguous without diacritics ("lãi"/"lại") only
        counts when typed with its marks; see ``Matcher._off_topic`` for the list."""
        hits: set[int] = set()
        for i, t in enumerate(toks):
            for phrase in phrases.get(t.plain, ()):
                n = len(phrase)
                window = toks[i:i + n]
                if len(window) < n or any(w.plain != p.plain for w, p in zip(window, phrase)):
                    continue
                exact = all(w.exact == p.exact for w, p in zip(window, phrase))
                ambiguous = n == 1 and phrase[0].plain in self.ambiguous
                if exact or not ambiguous and not any(w.marked for w in window):
                    hits.update(range(i, i + n))
        return hits


def _features(toks: list[Tok]) -> dict[str, tuple[float, float, tuple[str, ...]]]:
    """feature -> (weight factor, credit, exact forms) for unigrams and bigrams; a
    feature seen twice keeps its stronger factor."""
    feats: dict[str, tuple[float, float, tuple[str, ...]]] = {}
    prev = None
    for t in toks:
        if t.start:  # no pair across sentences, even when one begins with a stop word
            prev = None
        if t.stop:
            continue
        factor = (WEAK if t.weak else 1.0) * (CONTEXT if t.context else 1.0)
        old = feats.get(t.plain)
        if old is None or factor > old[0]:
            feats[t.plain] = (factor, t.credit, (t.exact,))
        if prev is not None and not t.start:
            key = f"{prev.plain}_{t.plain}"
            # a generic word next to a specific one makes a specific pair ("công an tỉnh")
            weak = prev.cue or t.cue or (prev.weak and t.weak)
            pair = (WEAK if weak else 1.0) * (CONTEXT if prev.context or t.context else 1.0)
            old = feats.get(key)
            if old is None or pair > old[0]:
                feats[key] = (pair, min(prev.credit, t.credit), (prev.exact, t.exact))
        prev = t
    return feats


@dataclass(slots=True)
class _Doc:
    entry: Entry
    # feature -> its exact form in the entry (a set when the entry spells it two ways)
    exact: dict[str, Any] = field(default_factory=dict)
    # per text: feature -> (weight factor, credit, exact forms), as _features gives it
    texts: list[dict[str, tuple[float, float, tuple[str, ...]]]] = field(default_factory=list)
    totals: list[float] | None = None  # per text: its features' weight (when first scored)
    where: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # feature -> texts
    fillers: set[int] = field(default_factory=set)  # texts made only of stop words
    prior: float = 1.0  # imported catalog entries yield to the office's own


class _Child:
    """A forked process computing one function call, read back through a pipe."""

    def __init__(self, pid: int, read: int):
        self.pid, self.read = pid, read

    def result(self, timeout: float = CHILD_TIMEOUT) -> Any:
        """The child's return value, or None when it failed or took too long."""
        chunks, deadline = [], time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read], [], [], left)[0]:
                return None
            chunk = os.read(self.read, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        try:
            return marshal.loads(b"".join(chunks))
        except (EOFError, ValueError, TypeError):
            return None

    def close(self) -> None:
        """Stop the child if it still runs, and reap it."""
        os.close(self.read)
        try:
            if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _fork(function, argument) -> _Child | None:
    """Run function(argument) in a forked child, or say None when that is not safe
    here: no fork on this platform, a single CPU, or not the main thread (a reload in
    a worker thread of the running bot builds in one process)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if not hasattr(os, "fork") or (cpus or 1) < 2 or \
            threading.current_thread() is not threading.main_thread():
        return None
    try:
        read, write = os.pipe()
    except OSError:
        return None
    try:
        with warnings.catch_warnings():  # 3.12+ warns of other threads (numpy's BLAS
            warnings.simplefilter("ignore", DeprecationWarning)  # pool): the child
            pid = os.fork()  # only analyses text and leaves with os._exit
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: compute, write, leave without running any cleanup
        code = 1
        try:
            os.close(read)
            signal.set_wakeup_fd(-1)  # the parent's event loop is not ours to wake
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(marshal.dumps(function(argument)))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return _Child(pid, read)


class Matcher:
    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge
        self.analyzer = Analyzer(knowledge)
        self._cache: dict[str, Match] = {}
        self.docs: list[_Doc] = []
        self.postings: dict[str, list[int]] = {}
        collecting = gc.isenabled()
        gc.disable()  # millions of small objects: cyclic GC passes would double the time
        try:
            entries = list(knowledge.entries.values())
            analysed = iter(self._analyse([t for entry in entries for t in entry.texts]))
            for entry in entries:
                self._add(entry, [next(analysed) for _ in entry.texts])
        finally:
            if collecting:
                gc.freeze()  # the index lives as long as the process: keep it out of
                gc.enable()  # later collections, or they scan it and stall a question
        n = max(len(self.docs), 1)
        self.idf = {f: math.log(1 + n / len(p)) for f, p in self.postings.items()}
        self.max_idf = math.log(1 + n)
        # Long posting lists as arrays now, so that no question pays for making them.
        self._arrays = {f: np.array(p, dtype=np.int32) for f, p in self.postings.items()
                        if len(p) > EAGER_ARRAY}
        self._priors = np.array([doc.prior for doc in self.docs])
        self.vocabulary = {f for f in self.postings if "_" not in f}
        self.known = self.vocabulary | self.analyzer.known
        # Off-topic phrases the knowledge itself never uses, by first syllable.
        self.off_topic: dict[str, list[tuple[Token, ...]]] = {}
        for phrase in self.analyzer.off_topic:
            if phrase and not self._known_phrase(phrase):
                self.off_topic.setdefault(phrase[0].plain, []).append(phrase)
        self.analyzer.ambiguous = self.vocabulary | self.analyzer.stop_plain
        self._vocab_list = sorted(self.known - self.analyzer.stop_plain
                                  - (self.analyzer.off_topic_only - self.vocabulary))
        # Known syllable pairs, for typo repair in context: the index's, and those inside
        # synonym variants ("bằng lái" is rewritten away before indexing).
        self.right_of: dict[str, set[str]] = {}
        self.left_of: dict[str, set[str]] = {}
        pairs = [f.split("_") for f in self.idf if "_" in f]
        pairs += [key[i:i + 2] for key in self.analyzer.variants for i in range(len(key) - 1)]
        for a, b in pairs:
            self.right_of.setdefault(a, set()).add(b)
            self.left_of.setdefault(b, set()).add(a)
        self.answers = AnswerIndex(knowledge, lambda text: _features(
            self.analyzer.analyze(text)[0]), self.idf, self.max_idf)

    def _analyse(self, texts: list[str]) -> list[tuple[dict, bool]]:
        """Features of each entry text, and whether it is made only of stop words. A
        large knowledge base is analysed in two processes: a forked child does the
        second half and sends it back marshalled (far cheaper than analysing it).
        Anything going wrong with the child only means the parent does it all."""
        def work(part: list[str]) -> list[tuple[dict, bool]]:
            out = []
            for text in part:
                toks, _ = self.analyzer.analyze(text)
                out.append((_features(toks), any(t.filler for t in toks)))
            return out

        half = len(texts) // 2
        child = _fork(work, texts[half:]) if len(texts) >= PARALLEL_AT else None
        if child is None:
            return work(texts)
        try:
            mine = work(texts[:half])
            theirs = child.result()
        finally:
            child.close()
        if theirs is None or len(theirs) != len(texts) - half:
            log.warning("index build: the helper process failed; analysing its half here")
            theirs = work(texts[half:])
        return mine + theirs

    def _add(self, entry: Entry, analysed: list[tuple[dict, bool]]) -> None:
        doc = _Doc(entry, prior=IMPORTED_PRIOR if entry.data.get("imported") else 1.0)
        where, exact_forms = doc.where, doc.exact
        for feats, filler in analysed:
            if not feats:
                continue
            ti = len(doc.texts)
            if filler:
                doc.fillers.add(ti)
            doc.texts.append(feats)
            for f, (k, _, exact) in feats.items():
                if f in where:
                    where[f].append((ti, k))
                    seen = exact_forms[f]
                    if seen != exact and not (type(seen) is set and exact in seen):
                        exact_forms[f] = ({*seen} if type(seen) is set else {seen}) | {exact}
                else:
                    where[f] = [(ti, k)]
                    exact_forms[f] = exact
        index = len(self.docs)
        self.docs.append(doc)
        postings = self.postings
        for f in where:
            if f in postings:
                postings[f].append(index)
            else:
                postings[f] = [index]

    # --- query side -----------------------------------------------------------

    def _array(self, feature: str) -> np.ndarray:
        """The posting list as an array, made on first use (most features never are)."""
        array = self._arrays.get(feature)
        if array is None:
            array = self._arrays[feature] = np.array(self.postings[feature], dtype=np.int32)
        return array

    def _best(self, found: np.ndarray, acc: np.ndarray, n: int) -> np.ndarray:
        """The n entries of ``found`` with the most weight; on equal weight the
        earlier loaded (the office's own entries come first)."""
        if len(found) <= n:
            return found
        rank = acc[found] * self._priors[found]
        kth = np.partition(rank, len(rank) - n)[len(rank) - n]  # the n-th largest weight
        above = found[rank > kth]
        tied = found[rank == kth]  # ascending, as found is: the earlier loaded first
        return np.concatenate((above, tied[:n - len(above)]))

    def _known_phrase(self, phrase) -> bool:
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

    def _repair(self, toks: list[Tok]) -> list[Tok]:
        """Fix Telex/VNI leftovers, run-together syllables and one-letter typos."""
        out: list[Tok] = []
        for n, t in enumerate(toks):
            if t.plain in self.known or t.plain.isdigit() or len(t.plain) < 3:
                out.append(t)
                continue
            if is_syllable(t.plain):  # a real word we do not know: leave it unknown
                out.append(t)
                continue
            fixed = next((c for c in telex_candidates(t.plain) if c in self.known), None)
            if fixed:
                out.append(Tok(fixed, fixed, credit=t.credit))
                continue
            split = self._split(t.plain)
            if split:
                out.extend(Tok(s, s, credit=CORRECTED) for s in split)
                continue
            # one letter off: the syllable that makes a known pair with a neighbour
            # ("bằg lái" -> "bằng lái"), else the nearest known syllable
            near = self._in_context(t.plain, out[-1].plain if out else "",
                                    toks[n + 1].plain if n + 1 < len(toks) else "") \
                or self._nearest(t.plain)
            out.append(Tok(near, near, credit=CORRECTED) if near else t)
        for i, t in enumerate(out):  # "gia hạm tạm trú": "ham" next to "gia" is "han"
            if t.plain not in self.known and len(t.plain) >= 2 and not t.plain.isdigit():
                prev = out[i - 1].plain if i else ""
                after = out[i + 1].plain if i + 1 < len(out) else ""
                fixed = self._in_context(t.plain, prev, after)
                if fixed:
                    out[i] = Tok(fixed, fixed, credit=CORRECTED)
        return out

    def _in_context(self, plain: str, prev: str, after: str) -> str | None:
        """The knowledge syllable one edit away that forms a known pair with a neighbour."""
        options = self.right_of.get(prev, set()) | self.left_of.get(after, set())
        close = [option for option in options
                 if OSA.distance(plain, option, score_cutoff=1) <= 1]
        return min(close, key=lambda option: self._typo_rank(plain, option), default=None)

    def _typo_rank(self, typed: str, word: str) -> tuple[bool, float, str]:
        """Among equally close repairs: a letter left out first (the commonest phone
        typo: "bằg", "khôg"), then the commoner syllable, then the alphabet."""
        return not _dropped_letter(typed, word), self.idf.get(word, self.max_idf), word

    def _split(self, plain: str) -> list[str] | None:
        for i in range(2, len(plain) - 1):
            a, b = plain[:i], plain[i:]
            if a in self.vocabulary and b in self.vocabulary and f"{a}_{b}" in self.idf:
                return [a, b]
        return None

    def _nearest(self, plain: str) -> str | None:
        """The closest known syllable: one edit (a swap counts one) from 4 letters on,
        two from 8."""
        if len(plain) < 4 or not self._vocab_list:
            return None
        edits = 1 if len(plain) < 8 else 2
        found = process.extract(plain, self._vocab_list, scorer=OSA.distance,
                                score_cutoff=edits, limit=None)
        return min(((d, *self._typo_rank(plain, word)) for word, d, _ in found),
                   default=(None,) * 4)[3]

    def match(self, question: str) -> Match:
        """Match a question; the same question text is answered from a small cache,
        since citizens ask the same short things over and over ("khai sinh")."""
        cached = self._cache.get(question)
        if cached is None:
            cached = self._match(question)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[question] = cached
        return cached

    def _match(self, question: str) -> Match:
        toks, aspect = self.analyzer.analyze(question, repair=self._repair)
        toks = self._revive(toks)
        off = self.analyzer.off_topic_hits(toks, self.off_topic)
        feats = _features([t for i, t in enumerate(toks) if i not in off])
        if not feats:
            reason = "off_topic" if off else "empty"
            return Match(question, "unknown", aspect, [], reason)
        weights: dict[str, float] = {}
        for f, (k, _, _) in feats.items():
            if f in self.idf:
                weights[f] = self.idf[f] * k
            elif "_" not in f:
                # A word that cannot even be Vietnamese ("facebook", "mk") is a brand or
                # slang from another domain: stronger evidence against than a rare word.
                foreign = FOREIGN if not is_syllable(f) and not f.isdigit() else 1.0
                weights[f] = self.max_idf * UNKNOWN * foreign * k
            elif any(part not in self.vocabulary for part in f.split("_")):
                weights[f] = self.max_idf * UNKNOWN * UNKNOWN_PAIR * k
        total = sum(weights.values()) + len(off) * self.max_idf * OFF_TOPIC
        content = sum(1 for t in toks if not t.stop)
        filler = any(t.filler for t in toks)
        # Candidates: feature weights summed along posting lists in one array pass per
        # feature; only the CANDIDATES best are then compared feature by feature.
        docs = self.docs
        acc = np.zeros(len(docs))
        common = []  # the commonest syllables: they rescore, but bring no candidates
        for n, f in enumerate(sorted((f for f in feats if f in self.postings),
                                     key=lambda f: len(self.postings[f]))):
            if n and len(self.postings[f]) > POSTING_CAP:
                common.append(f)
            else:
                acc[self._array(f)] += weights[f]
        found = np.flatnonzero(acc)
        if common and len(found) > CANDIDATES:
            found = self._best(found, acc, 4 * CANDIDATES)
            for i in found.tolist():
                where = docs[i].where
                acc[i] += sum(weights[f] for f in common if f in where)
        candidates = self._best(found, acc, CANDIDATES).tolist()
        wanted = [(f, credit, exact, any(e != t for e, t in zip(exact, f.split("_"))))
                  for f, (_, credit, exact) in feats.items() if f in self.postings]
        matched = {i: self._matched(self.docs[i], wanted) for i in candidates}
        coverage = {i: sum(weights[f] * c for f, c in m.items() if f in weights) / total
                    for i, m in matched.items()}
        floor = SHORTLIST_FLOOR * max(coverage.values(), default=0.0)
        # ties (many catalog titles cover a short question fully) go to the office's
        # own entries, then to the earlier loaded
        ranked = sorted(coverage, key=lambda i: (-coverage[i] * docs[i].prior, i))
        shortlist = [i for i in ranked[:RERANK] if coverage[i] >= floor]
        long_share = min(1.0, LONG_AT / max(content, 1))
        damp = OFF_TOPIC_DAMP if off else 1.0  # explicit words of another domain
        hits = [Hit(self.docs[i].entry, round(damp * self.docs[i].prior * self._score(
                    self.docs[i], matched[i], weights, total, coverage[i], long_share,
                    filler), 4))
                for i in shortlist if matched[i]]
        hits.sort(key=lambda h: (-h.score, h.entry.id))
        hits = [h for h in hits[:MAX_HITS] if h.score > 0]
        status = decide(hits)
        item = self.answers.best(hits[0].entry.id, feats) if status != "unknown" else None
        if item is not None and status == "suggest" and item.score >= PROMOTE_AT:
            # unsure between entries, but the best one has an item that is this very
            # question: that answer, rather than a choice of three. Below, the item
            # stays on the match: the reply offers it as a best guess among the choices.
            status = "answer"
        if status == "answer" and hits[0].entry.kind != "procedure":
            aspect = None  # only procedures have parts to lead with
        return Match(question, status, aspect, hits, "off_topic" if off else "", item)

    def answer_for(self, entry: Entry, question: str) -> ItemHit | None:
        """The answer item of ``entry`` that a question asks, if any: for a follow-up
        read against the entry the citizen is already talking about."""
        toks, _ = self.analyzer.analyze(question, repair=self._repair)
        return self.answers.best(entry.id, _features(self._revive(toks)))

    @staticmethod
    def _matched(doc: _Doc, wanted: list[tuple[str, float, tuple[str, ...], bool]]
                 ) -> dict[str, float]:
        """Query features the entry has, with their credit (less for wrong diacritics)."""
        matched: dict[str, float] = {}
        exact_forms = doc.exact
        for f, credit, exact, typed in wanted:
            forms = exact_forms.get(f)
            if forms is not None:
                same = forms == exact or (type(forms) is set and exact in forms)
                matched[f] = credit if same or not typed else credit * MISMARKED
        return matched

    def _score(self, doc: _Doc, matched: dict[str, float], weights: dict[str, float],
               total: float, coverage: float, long_share: float = 1.0,
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
        got_q: dict[int, float] = {}
        got_t: dict[int, float] = {}
        paired: set[int] = set()  # texts sharing a syllable pair with the question
        for f, c in matched.items():
            wq, wt = weights.get(f, 0.0) * c, self.idf[f] * c
            pair = "_" in f
            for ti, factor in doc.where[f]:
                got_q[ti] = got_q.get(ti, 0.0) + wq
                got_t[ti] = got_t.get(ti, 0.0) + wt * factor
                if pair:
                    paired.add(ti)
        # Most Vietnamese words are two syllables: an entry that shares no syllable
        # pair with the question matches on single syllables only, weak evidence.
        totals = doc.totals
        if totals is None:
            idf = self.idf
            totals = doc.totals = [sum(idf[f] * v[0] for f, v in text.items()) or 1.0
                                   for text in doc.texts]
        best = max((((1 - ENTRY_Q) * q / total + ENTRY_Q * coverage) ** q_share
                    * (got_t[ti] / totals[ti]) ** (1 - q_share)
                    for ti, q in got_q.items() if q and (not filler or ti in doc.fillers)),
                   default=0.0)
        score = (1 - blend) * best + blend * coverage
        if not paired and not filler:
            score *= UNPAIRED
        # Coverage is relative; one short rare syllable fully "covered" is still little
        # evidence. Below EVIDENCE (about two syllables and their pair) the score shrinks.
        evidence = sum(weights.get(f, 0.0) * c for f, c in matched.items())
        if evidence < EVIDENCE and not filler:
            score *= (evidence / EVIDENCE) ** 0.5
        return round(min(1.0, score), 4)

    def _revive(self, toks: list[Tok]) -> list[Tok]:
        """An unmarked syllable that is a stop word only once folded ("tu" for "từ")
        is kept when it forms a knowledge word with a neighbour ("khai tu" = khai tử)."""
        for i, t in enumerate(toks):
            if not t.stop or t.marked:
                continue
            left = i > 0 and f"{toks[i - 1].plain}_{t.plain}" in self.idf
            right = i + 1 < len(toks) and f"{t.plain}_{toks[i + 1].plain}" in self.idf
            if left or right:
                t.stop = False
        return toks


def decide(hits: list[Hit]) -> str:
    if not hits or hits[0].score < SUGGEST_AT:
        return "unknown"
    second = hits[1].score if len(hits) > 1 else 0.0
    if hits[0].score >= ANSWER_AT and hits[0].score - second >= MARGIN:
        return "answer"
    return "suggest"

