"""Vietnamese text normalisation: the pure functions the matcher stands on.

Every text, question or knowledge alias, goes through the same steps:

1. ``clean``: Unicode NFC, lower case, one old/new tone placement (``hoà`` and
   ``hòa`` become the same string), punctuation to spaces.
2. ``fold``: the same text without diacritics, ``đ`` -> ``d``; this is what
   citizens type on a phone without a Vietnamese keyboard.
3. ``tokens``: syllables, each kept in both forms so the matcher can match on
   the folded form and still prefer a question typed with the right marks.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Combining marks for the five Vietnamese tones (after NFD).
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_VOWELS = set("aăâeêioôơuưy")
_WORD = re.compile(r"[0-9a-zà-ỹđ]+", re.IGNORECASE)
# Pairs whose tone goes on the first vowel in the traditional style (hòa, khỏe, thủy)
# and on the second in the newer style (hoà, khoẻ, thuỷ), in open syllables only.
_MOVABLE_PAIRS = {"oa", "oe", "uy"}


def _split_tone(syllable: str) -> tuple[str, str, int]:
    """Return (syllable without tone, tone mark, index of the toned letter)."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tone, index, letters = "", -1, []
    for ch in decomposed:
        if ch in _TONE_MARKS:
            tone = ch
            index = len(letters) - 1
        elif unicodedata.combining(ch) and letters:
            letters[-1] += ch
        else:
            letters.append(ch)
    base = [unicodedata.normalize("NFC", letter) for letter in letters]
    return "".join(base), tone, index


def _place_tone(syllable: str) -> str:
    """Put the tone of an open ``oa``/``oe``/``uy`` syllable on its first vowel.

    ``hoà`` -> ``hòa``, ``thuỷ`` -> ``thủy``, ``khoẻ`` -> ``khỏe``; ``quý`` and
    ``hoàng`` are left alone (``qu`` is an onset, ``ng`` closes the syllable).
    """
    base, tone, index = _split_tone(syllable)
    if not tone or len(base) < 2 or base[-2:] not in _MOVABLE_PAIRS:
        return syllable
    if base[:-2].endswith("q"):
        return syllable
    target = len(base) - 2
    if index == target:
        return syllable
    letters = list(base)
    letters[target] = unicodedata.normalize("NFC", letters[target] + tone)
    return "".join(letters)


@lru_cache(maxsize=200_000)
def _syllable(word: str) -> tuple[str, str]:
    """(cleaned, folded) forms of one lower-case NFC word; cached, as words repeat."""
    exact = word if word.isascii() else _place_tone(word)
    return exact, strip_marks(exact)


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text or "").lower())


def clean(text: str) -> str:
    """NFC, lower case, unified tone placement, words separated by one space."""
    return " ".join(_syllable(w)[0] for w in _words(text))


def strip_marks(text: str) -> str:
    """Remove every diacritic; ``đ`` becomes ``d``."""
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.replace("đ", "d").replace("Đ", "D")


def fold(text: str) -> str:
    """``clean`` then ``strip_marks``: the form used for matching."""
    return strip_marks(clean(text))


def has_marks(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic."""
    return strip_marks(text) != text


@dataclass(frozen=True)
class Token:
    """One syllable in its cleaned (``exact``) and folded (``plain``) form."""

    exact: str
    plain: str

    @property
    def marked(self) -> bool:
        return self.exact != self.plain


def tokens(text: str) -> list[Token]:
    """Split a text into syllable tokens, each in both forms."""
    return [Token(*_syllable(w)) for w in _words(text)]


def syllables(text: str) -> list[tuple[str, str]]:
    """(cleaned, folded) pairs of a text's syllables: ``tokens`` without the objects."""
    return [_syllable(w) for w in _words(text)]


_TELEX_PAIRS = (("dd", "d"), ("aa", "a"), ("aw", "a"), ("ee", "e"), ("oo", "o"),
                ("ow", "o"), ("uw", "u"), ("w", "u"))
_TELEX_TONES = "sfrxj"


def telex_candidates(plain: str) -> list[str]:
    """Folded syllables a Telex or VNI leftover could stand for.

    ``kys`` -> ``ky``, ``ddang`` -> ``dang``, ``thuowngf`` -> ``thuong``,
    ``d9ang`` -> ``dang``. The caller keeps the first one it knows.
    """
    out: list[str] = []
    letters = re.sub(r"[0-9]", "", plain) if re.search(r"[a-z]", plain) else plain
    if letters != plain:
        out.append(letters)
    folded = letters
    for pair, single in _TELEX_PAIRS:
        folded = folded.replace(pair, single)
    squeezed = re.sub(r"([a-z])\1+", r"\1", letters)  # "truu" -> "tru", "sinhh" -> "sinh"
    if squeezed != letters:
        out.append(squeezed)
    for word in (letters, folded):
        if word != plain:
            out.append(word)
        if len(word) > 1 and word[-1] in _TELEX_TONES:
            out.append(word[:-1])
            # Tone letter typed in the middle: "thuowfng"
        stripped = re.sub(r"(?<=[aeiouy])[sfrxj](?=[a-z])", "", word)
        if stripped != word:
            out.append(stripped)
    seen: list[str] = []
    for cand in out:
        if cand and cand not in seen:
            seen.append(cand)
    return seen


_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(uye|uya|uyu|oai|oay|oeo|ieu|yeu|uoi|uou|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue"
    r"|ui|uo|uu|uy|ye|a|e|i|o|u|y)(ch|nh|ng|c|m|n|p|t)?$")


def is_syllable(plain: str) -> bool:
    """Could this folded word be a Vietnamese syllable? ("khoa" yes, "khog", "kys" no.)"""
    return bool(_SYLLABLE.match(plain))


_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)\d{9}(?:\d{3})?(?!\d)")


def mask_personal(text: str) -> str:
    """Mask phone numbers and ID numbers (9 or 12 digits) before logging."""

    def keep_tail(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return "*" * (len(digits) - 3) + digits[-3:]

    return _ID_NUMBER.sub(keep_tail, _PHONE.sub(keep_tail, text or ""))
