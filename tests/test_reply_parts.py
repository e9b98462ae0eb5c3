"""A reply states every part a question asks: the part led with, a line for each other
part asked, who decides when it asks where, and a second answer when the message asks
two things (handlers/cards.py, handlers/screens.py, core.Matcher._answered)."""

from bot.matcher.items import asks_twice
from handlers.cards import aspect_body, entry_card
from handlers.types import Message


def reply(conversation, text):
    return "\n\n".join(r.as_text() for r in conversation.handle(Message("terminal", "u1", text)))


def test_a_card_led_by_one_part_adds_the_other_parts_asked(knowledge):
    entry = knowledge.entries["ho-kinh-doanh"]
    text = entry_card(knowledge, entry, "place", ("fee", "place", "time")).text
    assert "Nơi nộp" in text and "💰" in text and "⏱ Thời hạn" in text
    assert "💰" not in entry_card(knowledge, entry, "place").text


def test_where_names_who_decides_unless_the_place_does(knowledge):
    assert "Cơ quan giải quyết: UBND cấp xã nơi người mất cư trú cuối cùng" in \
        aspect_body(knowledge.entries["khai-tu"], "place", knowledge)
    # the police office receiving a temporary residence is the one deciding it
    assert "Cơ quan giải quyết" not in aspect_body(knowledge.entries["tam-tru"], "place",
                                                   knowledge)


def test_two_questions_in_one_sentence_are_told_apart_from_one(matcher):
    assert asks_twice(matcher.terms("Giờ đi khai tử trễ có được hông, có bị phạt hông?"))
    assert asks_twice(matcher.terms("Bố tôi mất. Làm khai tử ở đâu, mất bao lâu?"))
    assert not asks_twice(matcher.terms("khai sinh cần giấy tờ gì"))
    assert not asks_twice(matcher.terms("mua xe máy mới đăng ký ở công an xã được không"))
    assert not asks_twice(matcher.terms("Bà không có lương hưu. Bà có được trợ cấp không?"))


def test_a_message_asking_two_things_gets_a_second_answer(matcher, conversation):
    question = "kich hoat vneid muc 2 co mat tien khong, bao lau thi duoc"
    match = matcher.match(question)
    assert match.answer is not None and match.second is not None
    assert match.second.answer.key != match.answer.answer.key
    text = reply(conversation, question)
    assert match.answer.answer.text.strip()[:40] in text
    assert match.second.answer.text.strip()[:40] in text


def test_a_message_asking_one_thing_gets_one_answer(matcher):
    match = matcher.match("đổi tên cho con 10 tuổi có cần con đồng ý ko ạ")
    assert match.answer is not None and match.second is None
