"""A general question on a part of a procedure ("<name> cần giấy tờ gì") gets that part:
the card's, or an answer item that gives it. An item whose phrasing holds nothing but the
procedure's name and generic words would otherwise take every general question of its
entry ("ông bà … khai sinh … cần giấy gì" read as "khai sinh cần giấy gì")."""

import pytest

from bot.matcher.answers import GIVES

CUES = {"documents": "cần giấy tờ gì", "fee": "lệ phí bao nhiêu", "time": "mất bao lâu",
        "place": "nộp ở đâu"}


@pytest.mark.parametrize("aspect", sorted(CUES))
def test_a_general_question_on_a_part_gets_that_part(knowledge, matcher, aspect):
    wrong = []
    for entry in knowledge.entries.values():
        if entry.kind != "procedure":
            continue
        name = entry.title.split("(")[0].strip().lower()
        if matcher.analyzer.aspects(matcher.terms(name)):
            continue  # a name that asks a part itself ("chi phí mai táng": the fee)
        match = matcher.match(f"{name} {CUES[aspect]}")
        if match.status != "answer" or match.hits[0].entry.id != entry.id:
            continue  # (another entry's name inside this one's: not this test's matter)
        if match.answer is not None and not GIVES[aspect].search(match.answer.answer.text):
            wrong.append((entry.id, match.answer.answer.key))
    assert not wrong


@pytest.mark.parametrize("question", ["toàn trình với một phần khác nhau chỗ nào",
                                      "hai cái khac nhau o dau vay"])
def test_asking_the_difference_is_not_asking_a_place(matcher, question):
    assert matcher.read(question)[1] != "place"
