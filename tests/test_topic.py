"""Conversation: follow-ups keep the topic, stated wishes start their flow, plain words
leave it. Through the real Conversation on a real SQLite file, and end to end over the
fake Zalo and Telegram servers, with restarts in the middle."""

import time

import pytest

from bot.storage import Storage
from handlers import intents, topic
from handlers.conversation import Conversation
from handlers.types import Message
from test_telegram import Running
from test_zalo import Both


def say(conv, text, user="u1"):
    return conv.handle(Message("terminal", user, text))


def press(conv, data, user="u1"):
    return conv.handle(Message("terminal", user, data=data, kind="button"))


def logged(conv):
    return list(conv.storage.db.query("select text, status, top_id from questions"))


@pytest.mark.parametrize("first, follow, entry, part", [
    ("đăng ký khai sinh cho con", "còn lệ phí thì sao?", "khai-sinh", "Phí, lệ phí"),
    ("dang ky tam tru", "mất bao lâu vậy", "tam-tru", "Thời hạn giải quyết"),
    ("làm lý lịch tư pháp", "nộp online được không", "ly-lich-tu-phap", "Nộp trực tuyến"),
    ("đăng ký kết hôn", "vậy cần mang gì", "ket-hon", "Hồ sơ cần chuẩn bị"),
])
def test_a_follow_up_is_read_against_the_entry_just_shown(conversation, first, follow,
                                                          entry, part):
    say(conversation, first)
    reply = say(conversation, follow)[0]
    title = conversation.knowledge.entries[entry].title
    assert title in reply.text.splitlines()[0]  # the topic is named first
    assert part in reply.text or reply.text.count("\n") >= 2
    assert logged(conversation)[-1] == {"text": follow, "status": "context", "top_id": entry}


def test_a_weak_item_of_the_topic_yields_to_another_entry_the_message_names(conversation):
    """"mất sổ hộ khẩu" after a căn cước card: "sổ hộ khẩu" reads as thường trú, which
    one căn cước item mentions in passing; the message is about residence, not the card."""
    say(conversation, "đổi căn cước ở đâu")
    reply = say(conversation, "mất sổ hộ khẩu giấy thì sao")[0]
    assert "căn cước" not in reply.text.splitlines()[0].lower()
    assert logged(conversation)[-1]["status"] != "context"


def test_a_topic_item_that_fits_better_than_another_entry_is_named_keeps_the_topic(
        conversation):
    """"chủ nhà không chịu ký" after tạm trú: the tạm trú item on the landlord's consent
    fits better than the message names chứng thực chữ ký (a hint, not a topic)."""
    say(conversation, "tui moi chuyen den phuong nay o tro, can dang ky tam tru ko")
    reply = say(conversation, "chu nha ko chiu ky xac nhan thi sao")[0]
    assert "Đăng ký tạm trú" in reply.text.splitlines()[0]
    assert logged(conversation)[-1]["status"] == "context"


def test_a_follow_up_can_be_one_of_the_entrys_answer_items(conversation):
    say(conversation, "làm giấy khai sinh cho bé")
    reply = say(conversation, "ông bà đi làm thay được không")[0]
    lines = reply.text.splitlines()
    assert lines[0].endswith("Đăng ký khai sinh")
    assert "ủy quyền" in reply.text and lines[2].split()[0].strip(".,") in ("Được", "Có", "Không")


def test_a_new_topic_starts_fresh_and_a_different_domain_never_uses_the_topic(conversation):
    say(conversation, "đăng ký khai sinh")
    reply = say(conversation, "thế còn phiếu lý lịch tư pháp có làm online được không?")[0]
    assert "lý lịch tư pháp" in reply.text and "khai sinh" not in reply.text.lower()
    assert conversation.storage.get_state("terminal", "u1")["topic"]["entry"] == "ly-lich-tu-phap"
    weather = say(conversation, "thời tiết hôm nay thế nào")[0]
    assert "Phiếu lý lịch" not in weather.text.splitlines()[0]


def test_the_part_asked_carries_over_to_a_new_entry_named_as_a_follow_up(conversation):
    say(conversation, "chứng thực bản sao hết bao nhiêu tiền")
    reply = say(conversation, "còn chứng thực chữ ký thì sao")[0]
    assert "Chứng thực chữ ký" in reply.text.splitlines()[0] and "Phí, lệ phí" in reply.text


def test_the_topic_is_forgotten_after_a_while(conversation):
    say(conversation, "đăng ký tạm trú")
    state = conversation.storage.get_state("terminal", "u1")
    state["topic"]["at"] = int(time.time()) - topic.TOPIC_MINUTES * 60 - 5
    conversation.storage.set_state("terminal", "u1", state)
    reply = say(conversation, "mất bao lâu vậy")[0]
    assert "Đăng ký tạm trú" not in reply.text.splitlines()[0]


def test_the_topic_survives_a_restart(tmp_path, knowledge, matcher):
    first = Conversation(knowledge, Storage(tmp_path / "bot.db"), matcher)
    say(first, "gia hạn tạm trú")
    again = Conversation(knowledge, Storage(tmp_path / "bot.db"), matcher)
    reply = say(again, "lệ phí bao nhiêu")[0]
    assert reply.text.splitlines()[0].endswith("Gia hạn tạm trú") and "Phí, lệ phí" in reply.text


# --- stated wishes -------------------------------------------------------------------------


@pytest.mark.parametrize("text, name, category", [
    ("Tôi muốn phản ánh cán bộ xã thái độ không tốt", "feedback", "thai-do"),
    ("toi muon phan anh ho so tre hen", "feedback", "tre-hen"),
    ("em muốn gửi góp ý", "feedback", "gop-y"),
    ("xóa dữ liệu của tôi đi", "delete_data", None),
    ("xoa thong tin ca nhan cua toi", "delete_data", None),
    ("tra cứu phản ánh PA-2026-000123", "lookup", None),
    ("thôi", "cancel", None), ("huy", "cancel", None), ("Thôi, để sau tôi gửi", "cancel", None),
    ("không gửi nữa", "cancel", None), ("menu", "menu", None), ("về menu chính", "menu", None),
    ("cho tôi gặp cán bộ", "human", None), ("hoi can bo", "human", None),
    ("tôi muốn phản ảnh việc trễ hẹn", "feedback", "tre-hen"), ("hủy phản ánh", "cancel", None),
    ("cho em xem menu", "menu", None), ("không muốn gửi nữa", "cancel", None),
    ("cán bộ một cửa hách dịch, gây khó dễ", "grievance", "thai-do"),
    ("thoi khoi, toi muon phan anh", "feedback", None), ("thôi không cần nữa", "cancel", None),
    ("lên phường mà không có mặt cán bộ nào", "grievance", "thai-do"),
    ("phường đông quá, chờ cả buổi", "grievance", "thai-do"),
    ("cán bộ vòi tiền mới làm", "grievance", "thai-do"),
    ("can bo voi tien moi lam", "grievance", "thai-do"),
])
def test_wishes_in_plain_words(text, name, category):
    wish = intents.detect(text)
    assert wish is not None and wish.name == name and wish.category == category


@pytest.mark.parametrize("text", [
    "thôi chắc mình lập công ty luôn, thành lập doanh nghiệp thì sao",
    "phản ánh ở đâu", "khiếu nại khác phản ánh thế nào", "làm khai sinh cần gì",
    "menu thủ tục đất đai có những gì",
    # folded, "không, có mất phí" reads as "không có mặt" (absent)
    "Trẻ 10 tuổi có phải lấy vân tay không, có mất phí không?",
    "khai sinh quá hạn không có mất tiền không",
    # folded, "lao động qua", "đóng qua VssID" read as "đông quá" (crowded)
    "Tui đi xuất khẩu lao động qua Nhật 3 năm, có bị xóa hộ khẩu hông?",
    "đóng bảo hiểm qua VssID được không", "đóng qua app ngân hàng được không",
    # typed with marks, "với tiền" is not "vòi tiền", "đổi tiền" not "đòi tiền"
    "Má tui mới mất, muốn làm khai tử, cắt hộ khẩu với tiền mai táng một lần thì cần gì?",
    "Tôi muốn theo dõi tiến độ hồ sơ trên mạng thì làm thế nào?",
    "toi muon theo doi tien do ho so tren mang",
])
def test_questions_are_not_wishes(text):
    assert intents.detect(text) is None


def test_a_wish_to_complain_starts_the_flow_with_its_category(conversation):
    reply = say(conversation, "tôi muốn phản ánh cán bộ phường gây khó dễ")[0]
    state = conversation.storage.get_state("terminal", "u1")
    assert state["flow"] == "feedback"
    assert state["fb"]["step"] == "text" and state["fb"]["category"] == "thai-do"
    assert "Thái độ" in reply.text


def test_a_complaint_gets_the_way_to_complain(conversation):
    reply = say(conversation, "đến một cửa chờ cả buổi mà không có ai làm việc")[0]
    assert "phản ánh" in reply.text
    assert reply.options[0].data == "fb:c:thai-do"
    started = press(conversation, "fb:c:thai-do")[0]
    assert conversation.storage.get_state("terminal", "u1")["fb"]["step"] == "text"
    assert "mô tả" in started.text


def test_plain_words_leave_a_flow_and_a_question_inside_it_is_answered(conversation):
    say(conversation, "/phananh")
    press(conversation, "fb:c:khac")
    say(conversation, "Cán bộ hẹn trả kết quả mà không trả, tôi chờ cả tuần.")
    asked = say(conversation, "làm giấy khai sinh cần những giấy tờ gì")[-1]
    assert "Hồ sơ cần chuẩn bị" in asked.text
    datas = [o.data for o in asked.options]
    assert "fb:go" in datas and "fb:stop" in datas
    assert conversation.storage.get_state("terminal", "u1")["flow"] == "feedback"
    back = press(conversation, "fb:go")[0]
    assert "số điện thoại" in back.text or "thủ tục nào" in back.text
    left = say(conversation, "thôi không gửi nữa")[0]
    assert left.text.startswith("Đã hủy")
    assert "flow" not in conversation.storage.get_state("terminal", "u1")
    assert conversation.storage.feedback_of("terminal", "u1") == []


def test_asking_a_person_forwards_the_unanswered_question(conversation):
    question = "xin phép bay flycam ở đâu"
    unknown = say(conversation, question)[0]
    assert "fb:ask" in [o.data for o in unknown.options]
    replies = press(conversation, "fb:ask")
    assert question in replies[0].text
    state = conversation.storage.get_state("terminal", "u1")
    assert state["fb"]["category"] == "hoi-dap" and state["fb"]["text"] == question
    press(conversation, "fb:p:no")
    done = press(conversation, "fb:send")[0]
    ticket = done.text.split("Mã phản ánh: ")[1].split()[0]
    row = conversation.storage.get_feedback(ticket)
    assert row["category"] == "hoi-dap" and row["text"] == question


# --- end to end ------------------------------------------------------------------------------


def test_zalo_follow_up_after_a_restart(tmp_path, knowledge, matcher):
    first = Both(tmp_path, knowledge, matcher)
    try:
        [card] = first.say("đăng ký thường trú")
        assert "Đăng ký thường trú" in card
    finally:
        first.close()
    again = Both(tmp_path, knowledge, matcher)  # the same SQLite file
    try:
        [reply] = again.say("con phi bao nhieu")
        assert reply.splitlines()[0].endswith("Đăng ký thường trú")
        assert "Phí, lệ phí" in reply or "đồng" in reply.split("\n\n")[1]
    finally:
        again.close()


def test_telegram_plain_word_leaves_a_feedback_after_a_restart(tmp_path, knowledge, matcher):
    first = Running(tmp_path, knowledge, matcher)
    try:
        first.say("tôi muốn phản ánh hồ sơ bị trễ hẹn")
    finally:
        first.close()
    again = Running(tmp_path, knowledge, matcher)
    try:
        [left] = again.say("huỷ")
        assert left["text"].startswith("Đã hủy")
        state = again.conv.storage.get_state("telegram", "5001")
        assert "flow" not in state and again.conv.storage.feedback_of("telegram", "5001") == []
    finally:
        again.close()


def test_no_phone_words_at_the_phone_question_keep_the_feedback(conversation):
    say(conversation, "/phananh")
    press(conversation, "fb:c:khac")
    say(conversation, "Đèn ở sảnh trung tâm hành chính hỏng cả tháng nay chưa sửa")
    state = conversation.storage.get_state("terminal", "u1")
    if state["fb"]["step"] == "procedure":
        press(conversation, "fb:t:-")
    reply = say(conversation, "không cần")[0]
    state = conversation.storage.get_state("terminal", "u1")
    assert state["flow"] == "feedback" and state["fb"]["step"] == "confirm"
    assert "kiểm tra lại" in reply.text


def test_an_old_button_never_replaces_a_draft_under_way(conversation):
    say(conversation, "xin phép bay flycam ở đâu")  # unknown: "Hỏi cán bộ" offered
    say(conversation, "/phananh")
    press(conversation, "fb:c:khac")
    say(conversation, "Cán bộ hẹn trả kết quả mà không trả, tôi chờ cả tuần.")
    before = conversation.storage.get_state("terminal", "u1")["fb"]
    for old in ("fb:ask", "fb"):
        reply = press(conversation, old)[-1]
        assert conversation.storage.get_state("terminal", "u1")["fb"] == before
        assert "fb:go" in [o.data for o in reply.options]


def test_only_the_question_just_left_unanswered_is_forwarded(conversation):
    say(conversation, "xin phép bay flycam ở đâu")
    assert conversation.storage.get_state("terminal", "u1")["asked"]
    say(conversation, "đăng ký khai sinh")
    assert "asked" not in conversation.storage.get_state("terminal", "u1")


def test_zalo_wishes_numbers_and_asking_a_person_answered_on_telegram(tmp_path, knowledge,
                                                                       matcher):
    """Over the fake servers: a complaint in plain words starts its flow with its category,
    a wrong number gets the valid range, and a question the bot cannot answer goes to staff
    with one typed "hỏi cán bộ", answered on Telegram, delivered back on Zalo."""
    import re
    import sqlite3

    from test_zalo import CITIZEN, STAFF

    both = Both(tmp_path, knowledge, matcher)
    try:
        [started] = both.say("toi muon phan anh can bo xa gay kho de")
        assert "Thái độ" in started
        [left] = both.say("thoi khong gui nua")
        assert left.startswith("Đã hủy")
        both.say("đăng ký khai sinh")
        [wrong] = both.say("9")
        assert "Bạn gõ số từ 1 đến" in wrong and "chưa có thông tin" not in wrong
        [unknown] = both.say("xin phép bay flycam ở đâu")
        assert "hỏi cán bộ" in unknown
        replies = both.say("hỏi cán bộ", expect=2)
        assert "flycam" in replies[0]
        both.say("2")  # no phone number: the summary
        [done] = both.say("1")  # send
        ticket = re.search(r"PA-\d{4}-\d{6}", done).group(0)
        row = sqlite3.connect(both.db).execute(
            "select category, text from feedback where ticket = ?", [ticket]).fetchone()
        assert row == ("hoi-dap", "xin phép bay flycam ở đâu")
        notice = both.tg.wait_for(STAFF, 1)[0]
        assert "Câu hỏi mới" in notice["text"] and ticket in notice["text"]
        before = len(both.zalo.messages_to(CITIZEN))
        both.tg.staff_answers(STAFF, ticket, "Việc bay flycam xin phép Bộ Quốc phòng.")
        relayed = both.zalo.wait_for(CITIZEN, before + 1)[before:]
        assert relayed and "Bộ Quốc phòng" in relayed[0]["text"]
        logged = [r[0] for r in sqlite3.connect(both.db).execute("select text from questions")]
        assert "9" not in logged  # a wrong number is not a question for staff
    finally:
        both.close()


def test_the_topic_stays_when_the_message_names_it_too(conversation):
    """'mất bao lâu có biển số' names re-issued plates more surely than a first
    registration; after a question about registering a new car the topic is meant."""
    say(conversation, "đăng ký xe ô tô mới mua thì làm ở đâu")
    assert conversation.storage.get_state("terminal", "u1")["topic"]["entry"] == "dang-ky-xe"
    reply = say(conversation, "mất bao lâu có biển số")[0]
    assert "Đăng ký xe, cấp biển số lần đầu" in reply.text
    assert conversation.storage.get_state("terminal", "u1")["topic"]["entry"] == "dang-ky-xe"
