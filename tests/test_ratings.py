""""Hữu ích? 👍 / 👎" under answers: buttons on Telegram, numbered lines on Zalo, one
tap, stored once per question, the rate per entry for the console."""

import re
import sqlite3

import pytest

from bot import ratings
from handlers.types import Message
from test_telegram import tg  # noqa: F401 - the fixture
from test_zalo import both  # noqa: F401 - the fixture

QUESTION = "làm giấy khai sinh cần giấy tờ gì"


def ask(conversation, text, user="u1"):
    return conversation.handle(Message("terminal", user, text=text))


def rate_options(reply):
    return [o for o in reply.options if o.data.startswith("r:")]


def test_an_answer_offers_two_ratings_last_and_one_tap_stores_one(conversation):
    [card] = ask(conversation, QUESTION)
    up, down = rate_options(card)
    assert (up.label, down.label) == ("👍 Hữu ích", "👎 Chưa hữu ích")
    assert card.options[-2:] == [up, down]  # after the card's own options: numbers kept
    [thanks] = conversation.handle(Message("terminal", "u1", data=down.data, kind="button"))
    assert thanks.text.startswith("Cảm ơn bạn đã góp ý")
    # a second tap of the same button stores nothing new; the other one changes it
    [same] = conversation.handle(Message("terminal", "u1", data=down.data, kind="button"))
    assert "đã đánh giá" in same.text
    conversation.handle(Message("terminal", "u1", data=up.data, kind="button"))
    rows = conversation.storage.db.execute("select entry_id, useful from ratings").fetchall()
    assert rows == [("khai-sinh", 1)]


def test_only_answers_are_rated_and_only_by_whom_they_were_given(conversation):
    [unknown] = ask(conversation, "xin cấp phép nuôi rồng ở ban công")
    assert not rate_options(unknown)
    [menu] = ask(conversation, "/menu")
    assert not rate_options(menu)
    [card] = ask(conversation, QUESTION)
    up = rate_options(card)[0]
    [refused] = conversation.handle(Message("terminal", "someone-else", data=up.data,
                                            kind="button"))
    assert "đã cũ" in refused.text
    for forged in ("r:abc:y", "r:1", "r:1:x", "r:999999:y"):
        [reply] = conversation.handle(Message("terminal", "u1", data=forged, kind="button"))
        assert "đã cũ" in reply.text
    assert conversation.storage.db.execute("select count(*) from ratings").fetchone()[0] == 0


def test_rates_per_entry_most_thumbs_down_first(conversation):
    storage = conversation.storage
    for user, useful in (("a", False), ("b", False), ("c", True)):
        [card] = ask(conversation, QUESTION, user)
        conversation.handle(Message("terminal", user, data=rate_options(card)[not useful].data,
                                    kind="button"))
    [card] = ask(conversation, "đăng ký tạm trú cần giấy tờ gì", "d")
    conversation.handle(Message("terminal", "d", data=rate_options(card)[0].data,
                                kind="button"))
    rows = ratings.per_entry(storage)
    assert [(r["entry_id"], r["up"], r["down"]) for r in rows] == [
        ("khai-sinh", 1, 2), ("tam-tru", 1, 0)]
    assert rows[0]["rate"] == pytest.approx(1 / 3)


def test_telegram_shows_the_ratings_as_buttons_on_a_row_of_their_own(tg):  # noqa: F811
    [card] = tg.say(QUESTION)
    rows = card["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in rows[-1]] == ["👍 Hữu ích", "👎 Chưa hữu ích"]
    [thanks] = tg.press(rows[-1][0]["callback_data"])
    assert "Cảm ơn bạn đã đánh giá" in thanks["text"]
    row = sqlite3.connect(tg.db).execute("select channel, useful from ratings").fetchone()
    assert row == ("telegram", 1)


def test_zalo_asks_for_the_rating_as_a_symbol_to_type_not_a_numbered_line(both):  # noqa: F811
    [card] = both.say(QUESTION)
    numbers = dict((label, n) for n, label in re.findall(r"\n(\d+)\. (.+)", card))
    assert "👍 Hữu ích" not in numbers and len(numbers) <= 5  # four ways on and the menu
    assert "Gõ 👍 nếu hữu ích, 👎 nếu chưa hữu ích." in card
    [thanks] = both.say("👎🏽")  # a skin tone is the same symbol
    assert "Cảm ơn bạn đã góp ý" in thanks
    row = sqlite3.connect(both.db).execute("select channel, useful from ratings").fetchone()
    assert row == ("zalo", 0)
    [changed] = both.say("👍")
    assert "Cảm ơn bạn đã đánh giá" not in changed  # the last reply had no rating
