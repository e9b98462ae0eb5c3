"""The topic of a conversation: follow-ups are read against the entry last shown.

After a card about a procedure, citizens go on with "còn lệ phí thì sao?", "nộp
online được không", "mất bao lâu vậy", "ông bà đi thay được không": messages that name
a part or a situation but not the procedure. The entry last shown and its part are kept
in the user's state (``topic``, in storage like the rest, so a restart keeps it) for
``TOPIC_MINUTES``; a message is read against it when

- it is one of the entry's answer items (the matcher's item scorer, run on that
  entry, scores it PROMOTE_AT or more), or
- it does not name another entry (a match elsewhere from SUGGEST_AT, or from HINT_AT
  when only a weak item of the topic fits, with two or more content words of its own,
  starts fresh) and it matches an item of the entry, asks
  for a part (an aspect cue), has at most one content word of its own, or opens like
  a follow-up ("còn…", "thế còn…", "vậy…") or points back ("thủ tục này", "cái đó").

A message of another domain (off-topic words) is never read against the topic. A reply from context names the
entry in its first line, so the citizen sees the topic was kept.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from bot.knowledge import Entry
from bot.matcher import HINT_AT, PROMOTE_AT, SHOWN, SUGGEST_AT, ItemHit, Match
from bot.matcher.answers import PARTICLES
from bot.text import fold
from handlers.context import Context
from handlers.state import Topic, UserState

TOPIC_MINUTES = 30
STILL = 0.3  # share of the first hit's score from which the topic, named too, is still meant
# Openings of a follow-up, folded: "còn…", "thế còn…", "vậy…", "rồi…", "nếu…"
_OPENS = re.compile(r"^(?:(?:the|vay|roi|nhung|the thi|vay thi)\s+)?(?:con|vay|the|roi|neu|"
                    r"nhu vay|vay con|the con|con neu)\b")
# Pointing back at what was just shown
_BACK = re.compile(r"\b(?:thu tuc|ho so|giay|viec|cai|khoan|muc|van de)\s+(?:nay|do|kia|tren|"
                   r"vua roi|ay|nay a)\b|\b(?:cai do|cai nay|vu nay|vu do|nhu tren)\b")


@dataclass
class Followed:
    """A message read against the topic: the entry, the part asked, the item asked."""

    entry: Entry
    aspect: str | None
    item: ItemHit | None


def remember(state: UserState, entry: Entry, aspect: str | None = None,
             answer: str | None = None) -> None:
    """The entry (and part, and answer item) just shown becomes the topic."""
    topic: Topic = {"entry": entry.id, "aspect": aspect, "at": int(time.time())}
    if answer:
        topic["answer"] = answer
    state["topic"] = topic


def _fresh(state: UserState) -> Topic | None:
    """The stored topic, while it is recent enough to go on with."""
    topic = state.get("topic") or {}
    return topic if time.time() - topic.get("at", 0) <= TOPIC_MINUTES * 60 else None


def current(ctx: Context, state: UserState) -> Entry | None:
    """The entry the citizen is talking about, if it was shown recently (and is still in
    the knowledge after a reload)."""
    topic = _fresh(state)
    return ctx.knowledge.entries.get(topic.get("entry", "")) if topic else None


def opens_follow_up(text: str) -> bool:
    """Does the message open like a follow-up or point back at what was shown?"""
    words = fold(text)
    return bool(_OPENS.match(words) or _BACK.search(words))


def read(ctx: Context, text: str, match: Match, state: UserState) -> Followed | None:
    """The message as a follow-up on the topic, or None to answer it afresh."""
    entry = current(ctx, state)
    if entry is None or match.reason in ("off_topic", "uncovered") or (
            match.hits and match.hits[0].entry.id == entry.id and match.status == "answer"):
        return None  # no topic, another domain or a procedure we do not guide ("còn hộ
        # chiếu ngoại giao thì sao" after a passport), or it names the topic itself
    read_ = ctx.matcher.read(text)  # the part asked, even where the match dropped it
    terms, aspect = read_  # (an answer about a guide or a faq has no parts)
    own = [t.plain for t in terms if not (t.stop or t.weak or t.filler)
           and t.plain not in PARTICLES]
    item = ctx.matcher.answer_for(entry, text, read_)
    if item is not None and item.sure and item.score >= PROMOTE_AT:
        return Followed(entry, aspect, item)  # this very question about the topic
    if item is not None and match.hits and match.hits[0].entry.kind != "procedure":
        # "ông bà đi thay được không" after a birth registration: the general answer
        # (authorisation) matched, but the topic's own answer is the one asked
        return Followed(entry, aspect, item)
    # it names another entry with words of its own: a new topic. Against a weak item
    # of the topic ("mất sổ hộ khẩu" after căn cước: its "nơi thường trú" item) another
    # entry more likely than that item fits is enough ("chủ nhà không chịu ký" after tạm
    # trú fits its item better than it names chứng thực chữ ký); the topic's part asked
    # needs a sure one.
    bar = max(HINT_AT, item.score) if item is not None else SUGGEST_AT
    if match.hits and match.hits[0].entry.id != entry.id and match.hits[0].score >= bar \
            and len(own) >= 2 and not _still_likely(match, entry):
        return None
    if item is not None:
        return Followed(entry, aspect, item)
    familiar = _familiar(ctx, entry, own)
    if len(own) <= 1 or (aspect or opens_follow_up(text)) and familiar:
        return Followed(entry, aspect, None)  # a part, or nothing of its own
    if not familiar or match.status == "answer":
        return None
    # A situation asked about the topic ("mình ở trọ thì có làm được không"): the message
    # read with the topic's name before it. Kept when that finds the topic itself (the
    # message's own words being mostly the topic's, not "xin phép bay flycam").
    expanded = ctx.matcher.match(f"{entry.title}. {text}")
    if expanded.status != "unknown" and expanded.hits[0].entry.id == entry.id:
        return Followed(entry, expanded.aspect, expanded.answer)
    return None


def _still_likely(match: Match, entry: Entry) -> bool:
    """Is the topic itself among the entries the message names, likely enough to be
    the one meant ("mất bao lâu có biển số" after registering a new car: the card on
    re-issued plates names it more surely, the first registration is still likely)?
    The conversation tells them apart where the message alone cannot."""
    first = match.hits[0].score
    return any(h.entry.id == entry.id and h.score >= max(HINT_AT, STILL * first)
               for h in match.hits[1:SHOWN])


def _familiar(ctx: Context, entry: Entry, words: list[str]) -> bool:
    """Are these words, weighed by rarity, at least half the entry's own ("mỗi trang"
    for certified copies), not another matter's ("xin phép bay flycam ở đâu")?"""
    known = ctx.matcher.answers.vocabulary(entry.id)
    idf, rare = ctx.matcher.idf, ctx.matcher.max_idf  # a rare word says more
    weight = {w: idf.get(w, rare) for w in words}
    return sum(v for w, v in weight.items() if w in known) * 2 >= sum(weight.values())


def carried_aspect(text: str, match: Match, state: UserState) -> str | None:
    """"còn chứng thực chữ ký thì sao" after a fee question: the new entry, the same
    part. The part of the last topic when the message opens like a follow-up, names
    a new entry and asks for no part of its own."""
    if match.aspect or match.status != "answer" or not opens_follow_up(text) or \
            match.hits[0].entry.kind != "procedure" or _fresh(state) is None:
        return match.aspect
    return _fresh(state).get("aspect")
