"""Answer items: a specific question leads to its answer, a general one to the card."""

import shutil
import textwrap

import pytest

from bot import knowledge as kb
from bot.matcher import Matcher
from tinykb import analyser_model

ENTRIES = """\
entries:
  - id: khai-sinh
    kind: procedure
    title: Đăng ký khai sinh
    field: Hộ tịch
    aliases: [làm giấy khai sinh, khai sinh cho con]
    agency: UBND cấp xã
    level: cấp xã
    documents: [Tờ khai, Giấy chứng sinh]
    processing_time: Trong ngày
    fee: Miễn lệ phí nếu đúng hạn
    submit: UBND cấp xã
    online: {available: true, level: một phần}
    legal_basis: [Luật Hộ tịch 2014]
    sources: [https://dichvucong.gov.vn]
    answers:
      - id: tre-han
        questions:
          - khai sinh trễ hạn có bị phạt không
          - quá 60 ngày mới làm khai sinh thì sao
        answer: Không bị phạt tiền. Quá hạn vẫn đăng ký bình thường.
        source: Luật Hộ tịch 2014, Điều 15
      - id: mat-chung-sinh
        questions:
          - mất giấy chứng sinh thì làm khai sinh thế nào
          - không có giấy chứng sinh có làm khai sinh được không
        answer: Được. Thay giấy chứng sinh bằng văn bản của người làm chứng.
        source: Luật Hộ tịch 2014, Điều 16
      - id: noi-tam-tru
        questions:
          - khai sinh ở nơi tạm trú được không
          - đang tạm trú ở tỉnh khác có làm khai sinh cho con ở đó được không
        answer: Được. Làm ở UBND cấp xã nơi cha hoặc mẹ đang tạm trú.
        source: Luật Hộ tịch 2014, Điều 13
  - id: ket-hon
    kind: procedure
    title: Đăng ký kết hôn
    field: Hộ tịch
    aliases: [làm giấy đăng ký kết hôn]
    agency: UBND cấp xã
    level: cấp xã
    documents: [Tờ khai]
    processing_time: Trong ngày
    fee: Miễn lệ phí
    submit: UBND cấp xã
    online: {available: true, level: một phần}
    legal_basis: [Luật Hộ tịch 2014]
    sources: [https://dichvucong.gov.vn]
  - id: uy-quyen
    kind: faq
    title: Nhờ người khác nộp hồ sơ thay
    aliases: [ủy quyền nộp thay]
    answer: Phần lớn thủ tục cho phép ủy quyền bằng văn bản.
    sources: [Thông tư 04/2020/TT-BTP]
    answers:
      - id: nguoi-than
        questions:
          - ông bà đi làm thay được không
          - nhờ người nhà đi nộp thay có cần giấy ủy quyền không
        answer: Được. Cần văn bản ủy quyền, nhưng người thân không phải chứng thực.
        source: Thông tư 04/2020/TT-BTP, Điều 2
        applies_to: [khai-sinh, ket-hon]
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("k") / "knowledge"
    root.mkdir()
    (root / "office.yaml").write_text('name: "Trung tâm mẫu"\n', encoding="utf-8")
    # the bundled vocabulary: abbreviations, regional words and stop words as in use
    shutil.copy(kb.default_dir() / "synonyms.yaml", root / "synonyms.yaml")
    (root / "entries.yaml").write_text(textwrap.dedent(ENTRIES), encoding="utf-8")
    knowledge = kb.load(root)
    assert not knowledge.errors, knowledge.errors
    return Matcher(knowledge, analyser_model())


@pytest.mark.parametrize("question, key", [
    ("làm khai sinh cho bé trễ hạn thì có bị phạt không", "khai-sinh#tre-han"),
    ("khai sinh qua han co bi phat ko", "khai-sinh#tre-han"),
    ("bé nhà em mất giấy chứng sinh rồi giờ khai sinh sao", "khai-sinh#mat-chung-sinh"),
    ("tôi đang tạm trú thì làm khai sinh cho con ở đó được không", "khai-sinh#noi-tam-tru"),
])
def test_a_specific_question_leads_with_its_answer(small, question, key):
    match = small.match(question)
    assert match.hits[0].entry.id == "khai-sinh"
    assert match.answer is not None and match.answer.answer.key == key


@pytest.mark.parametrize("question", ["làm giấy khai sinh cần những gì",
                                      "khai sinh bao nhiêu tiền", "đăng ký khai sinh"])
def test_a_general_question_gets_the_card(small, question):
    match = small.match(question)
    assert match.hits[0].entry.id == "khai-sinh" and match.answer is None


def test_a_cross_cutting_answer_serves_the_procedures_it_applies_to(small):
    entry = small.knowledge.entries["khai-sinh"]
    found = small.answer_for(entry, "ông bà nội đi làm thay có được không")
    assert found is not None and found.answer.key == "uy-quyen#nguoi-than"
    assert small.answer_for(entry, "thế còn lệ phí") is None


def test_the_reply_leads_with_the_answer_and_names_the_procedure(small, tmp_path):
    from bot.storage import Storage
    from handlers.conversation import Conversation
    from handlers.types import Message

    storage = Storage(tmp_path / "bot.db")
    conv = Conversation(small.knowledge, storage, small)
    reply = conv.handle(Message("terminal", "u1", "làm khai sinh trễ hạn có bị phạt không"))[-1]
    assert reply.text.startswith("Không bị phạt tiền.")
    assert "Đăng ký khai sinh" in reply.text.splitlines()[-1]
    # at most four ways on, besides the menu and the rating that close every answer
    assert len([o for o in reply.options if o.data != "m" and not o.data.startswith("r:")]) <= 4
    assert [o.label for o in reply.options[-2:]] == ["👍 Hữu ích", "👎 Chưa hữu ích"]
    source = next(o for o in reply.options if o.data.startswith("src:"))
    shown = conv.handle(Message("terminal", "u1", data=source.data, kind="button"))[-1]
    assert "Luật Hộ tịch 2014, Điều 15" in shown.text
    logged = list(storage.db.query("select answer from questions"))
    assert logged == [{"answer": "khai-sinh#tre-han"}]


def test_an_answer_that_does_not_give_the_part_asked_is_followed_by_it(small, tmp_path):
    """"… có bị phạt không, làm mất bao lâu": the late-filing item answers the penalty,
    not the time, so the card's time follows it in one line; an item that gives the part
    asked ("khai sinh ở nơi tạm trú": the place) is not followed by it."""
    from bot.storage import Storage
    from handlers.conversation import Conversation
    from handlers.types import Message

    conv = Conversation(small.knowledge, Storage(tmp_path / "parts.db"), small)
    [reply] = conv.handle(Message("terminal", "u1",
                                  "khai sinh trễ hạn có bị phạt không, làm mất bao lâu"))
    assert any(line.startswith("Không bị phạt tiền.")  # led by it (or by "Nếu bạn hỏi…")
               for line in reply.text.splitlines()[:2])
    assert "⏱ Thời hạn: Trong ngày" in reply.text
    [place] = conv.handle(Message("terminal", "u2", "khai sinh ở nơi tạm trú được không"))
    assert "📍" not in place.text and "Được. Làm ở UBND cấp xã" in place.text
