"""Options as numbered lines (Zalo, the terminal): a typed number picks one, through the
real Conversation on a real SQLite file; cards never number their own lines, and a
procedure's parts keep their numbers from card to card."""

import re

import pytest

from handlers import cards
from handlers.types import Message, Option, Reply

NUMBERED_LINE = re.compile(r"(?m)^\s*\d+\s*[.)]\s")


def say(conv, text, user="z1"):
    return conv.handle(Message("zalo", user, text=text))


def press(conv, data, user="z1"):
    return conv.handle(Message("zalo", user, data=data, kind="button"))


def questions(conv):
    return conv.storage.db.execute("select count(*) from questions").fetchone()[0]


def choices(reply):
    return [o for o in reply.options if o.data]


@pytest.mark.parametrize("typed", ["2", "2.", "2)", "(2)", "#2", "số 2", "Số 2", "so 2",
                                   "chọn 2", "Chọn số 2 ạ", "em chọn số 2 nhé", "mục 2",
                                   "2 nha", "số hai", "chọn hai", "2️⃣", " 2 "])
def test_a_decorated_number_in_range_picks_that_option(conversation, typed):
    menu = say(conversation, "/menu")[0]
    second = choices(menu)[1]
    expected = press(conversation, second.data, user="other")[0].text
    before = questions(conversation)
    assert say(conversation, typed)[0].text == expected
    assert questions(conversation) == before  # a choice is not a question


@pytest.mark.parametrize("typed", ["9", "0", "số 12", "chọn 7.", "#40", "0912345678"])
def test_a_number_out_of_range_gets_the_range_and_the_options_again(conversation, typed):
    menu = say(conversation, "/menu")[0]
    count = len(choices(menu))
    assert count > 1
    [reply] = say(conversation, typed)
    assert f"Bạn gõ số từ 1 đến {count} để chọn nhé" in reply.text
    assert "chưa có thông tin" not in reply.text
    assert [(o.label, o.data) for o in choices(reply)] == \
        [(o.label, o.data) for o in choices(menu)]  # the same options, as shown
    assert "912345678" not in reply.text  # a phone number is never echoed
    text = reply.as_text()
    assert text.count("để chọn") == 1  # the hint is not repeated under the options
    assert all(f"{n}. {o.label}" in text for n, o in enumerate(choices(menu), 1))
    assert questions(conversation) == 0  # never logged as a question
    # the options still work after the reminder
    assert say(conversation, "1")[0].text == press(conversation, choices(menu)[0].data,
                                                   user="other")[0].text


def test_a_number_with_no_options_gets_a_short_polite_note(conversation):
    [reply] = say(conversation, "3", user="new-user")  # nothing was offered yet
    assert "/menu" in reply.text and len(reply.text) < 120
    assert "chưa có thông tin" not in reply.text
    [again] = say(conversation, "số 4", user="fresh")
    assert again.text == reply.text
    assert questions(conversation) == 0


def test_one_choice_says_type_1(conversation):
    assert "(Gõ 1 để chọn)" in Reply("Xong.", [cards.MENU]).as_text()
    assert "(Gõ số từ 1 đến 2 để chọn)" in Reply("x", [cards.MENU, cards.MENU]).as_text()
    assert "(Gõ 1 để chọn)" in Reply("x", [cards.MENU, Option("web", url="https://x.vn")]
                                     ).as_text()
    done = say(conversation, "/huy")[0]  # one option: the menu
    assert len(choices(done)) == 1
    assert "(Gõ 1 để chọn)" in done.as_text() and "từ 1 đến 1" not in done.as_text()
    [reminder] = say(conversation, "2")
    assert "Bạn gõ 1 để chọn nhé" in reminder.text and "từ 1 đến 1" not in reminder.as_text()


def test_numbers_inside_a_feedback_go_to_its_step(conversation):
    """Where typed text is awaited, a number that picks nothing is not intercepted: the
    phone step takes a phone number, a choice step asks again, nothing is logged."""
    say(conversation, "/phananh")
    [step] = say(conversation, "chọn 5")  # category 5: Khác
    assert "Bạn đã chọn: Khác" in step.text
    [step] = say(conversation, "Nhà vệ sinh ở trung tâm hành chính hỏng đã lâu chưa sửa")
    if "thủ tục nào" in step.text:
        [step] = say(conversation, "9")  # out of range: the step asks again
        assert "chọn một mục" in step.text
        [step] = say(conversation, str(len(choices(step))))  # none in particular
    assert "số điện thoại" in step.text
    say(conversation, "1")  # yes, leave a number
    [summary] = say(conversation, "0912345678")
    assert "• Số điện thoại: 0912345678" in summary.text
    assert questions(conversation) == 0


def test_questions_are_still_questions(conversation):
    say(conversation, "/menu")
    reply = say(conversation, "làm giấy khai sinh cần gì")[0]
    assert "khai sinh" in reply.text.lower()
    assert questions(conversation) == 1


# --- cards -------------------------------------------------------------------------------


def every_card(knowledge):
    for entry in knowledge.entries.values():
        aspects = [None, *cards.ASPECT_LABELS] if entry.kind == "procedure" else [None]
        for aspect in aspects:
            yield entry, aspect, cards.entry_card(knowledge, entry, aspect)
    for answer in knowledge.answers.values():
        entry = knowledge.entries[answer.entry_id]
        yield entry, "answer", cards.answer_card(knowledge, entry, answer)
        yield entry, "answer", cards.answer_card(knowledge, entry, answer, guess=True)


def test_no_card_numbers_its_lines_when_numbered_options_follow(knowledge):
    with_steps = 0
    for entry, aspect, card in every_card(knowledge):
        if not choices(card):
            continue
        assert not NUMBERED_LINE.search(card.text), (entry.id, aspect)
        if entry.get("steps") and entry.kind != "procedure" and aspect is None:
            with_steps += 1
            assert f"Bước 1: {entry.get('steps')[0]}" in card.text, entry.id
    assert with_steps >= 10  # the bundled guides and FAQs with steps were checked


def test_steps_read_as_steps_on_a_channel_without_buttons(conversation, knowledge):
    entry = next(e for e in knowledge.entries.values() if e.get("steps"))
    [card] = press(conversation, f"e:{entry.id}")
    text = card.as_text()
    assert "Bước 1:" in text and "Bước 2:" in text
    numbered = [line for line in text.splitlines() if NUMBERED_LINE.match(line)]
    assert [line.split(".")[0] for line in numbered] == \
        [str(n) for n in range(1, len(choices(card)) + 1)]  # only the options


def test_a_part_keeps_its_number_on_every_card_of_a_procedure(knowledge):
    for entry in knowledge.entries.values():
        if entry.kind != "procedure":
            continue
        overview = choices(cards.entry_card(knowledge, entry))
        for aspect in cards.ASPECT_LABELS:
            card = cards.entry_card(knowledge, entry, aspect)
            shown = choices(card)
            assert [o.data for o in shown] == [o.data for o in overview], (entry.id, aspect)
            marked = [o.label for o in shown if o.label.startswith(cards.CURRENT)]
            label = cards.ASPECT_LABELS[aspect] if aspect in cards.MAIN_PARTS else \
                cards.MORE_LABEL  # the other parts are behind one line, "Thêm…"
            if card.text.split("\n\n")[1].startswith(cards.ASPECT_TITLES[aspect]):
                assert marked == [cards.CURRENT + label], entry.id
            else:  # the procedure has no such part: its overview
                assert marked == []


def test_the_fee_is_the_same_number_from_card_to_card(conversation):
    card = say(conversation, "đăng ký tạm trú")[0]
    datas = [o.data for o in choices(card)]
    fee, documents = datas.index("e:tam-tru:fee") + 1, datas.index("e:tam-tru:documents") + 1
    first = say(conversation, str(fee))[0]
    assert "Phí, lệ phí" in first.text
    assert f"{fee}. ✓ Lệ phí" in first.as_text()
    again = say(conversation, str(fee))[0]  # the same number, the same part
    assert "Phí, lệ phí" in again.text
    docs = say(conversation, str(documents))[0]
    assert "Hồ sơ cần chuẩn bị" in docs.text
    assert "Phí, lệ phí" in say(conversation, str(fee))[0].text
