"""Staff answering feedback: blank answers refused, every answer kept, a preview before
anything is sent (once, however often "Gửi" is pressed), closing with a reason the
citizen receives, and one Vietnamese vocabulary of statuses and categories in the CLI
and the chat."""

import sqlite3

import pytest

from bot import vocab
from bot.text import fold
from bot.cli import main
from bot.config import Config
from bot.storage import MIGRATIONS, Storage
from handlers.conversation import Conversation
from handlers.types import Message
from test_telegram import CITIZEN, STAFF, buttons, tg  # noqa: F401  (tg is a fixture)

COMPLAINT = "Cán bộ nhận hồ sơ hẹn đi hẹn lại ba lần không giải thích"


def answers_to(storage, channel, user):
    """The answer messages queued for a citizen."""
    return [m["text"] for m in storage.pending(channel)
            if m["chat_id"] == user and m["text"].startswith("Trả lời phản ánh")]


# --- the vocabulary ------------------------------------------------------------------------


def test_every_label_code_and_old_word_names_its_status_or_category():
    for code, label in vocab.STATUSES.items():
        for typed in (code, label, label.lower(), fold(label), vocab.STATUS_WORDS[code],
                      label.upper()):
            assert vocab.parse_status(typed) == code, typed
    assert vocab.parse_status("dang-xu-ly") == vocab.parse_status("đang xử lý") == "in_progress"
    assert vocab.parse_status("xuly") == "in_progress"  # the chat's word of old
    for code, label in vocab.CATEGORIES.items():
        for typed in (code, label, fold(label), code.replace("-", " "),
                      label.split(",")[0]):
            assert vocab.parse_category(typed) == code, typed
    for bad in ("done", "", "đóng cửa", "xong"):
        with pytest.raises(vocab.UnknownStatus) as caught:
            vocab.parse_status(bad)
        assert all(label in str(caught.value) for label in vocab.STATUSES.values())
    with pytest.raises(vocab.UnknownCategory) as caught:
        vocab.parse_category("thời tiết")
    assert all(label in str(caught.value) for label in vocab.CATEGORIES.values())


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def filed(tmp_path):
    db = tmp_path / "staff.db"
    storage = Storage(db)
    ticket = storage.add_feedback("zalo", "c1", "thai-do", COMPLAINT)
    storage.add_feedback("zalo", "c2", "quy-dinh", "Thủ tục tạm trú đòi quá nhiều bản photo")
    return str(db), storage, ticket


@pytest.mark.parametrize("blank", ["", "   ", "\n\t", "..."])
def test_cli_refuses_a_blank_answer_and_keeps_the_real_one(filed, capsys, blank):
    db, storage, ticket = filed
    assert main(["--db", db, "feedback", "answer", ticket, "Đã nhắc nhở cán bộ."]) == 0
    capsys.readouterr()
    assert main(["--db", db, "feedback", "answer", ticket, blank]) == 2
    assert "câu trả lời trống" in capsys.readouterr().err
    assert storage.get_feedback(ticket)["answer"] == "Đã nhắc nhở cán bộ."
    assert answers_to(storage, "zalo", "c1") == [
        f"Trả lời phản ánh {ticket}:\n\nĐã nhắc nhở cán bộ.\n\nXem lại: /tracuu {ticket}"]
    assert len(storage.answers(ticket)) == 1


@pytest.mark.parametrize("option, value", [("--status", "xong"), ("--status", "done"),
                                           ("--category", "thoi-tiet"),
                                           ("--category", "thái đô hành")])
def test_cli_refuses_an_unknown_status_or_category_with_the_valid_ones(filed, capsys, option,
                                                                      value):
    db, _, _ = filed
    assert main(["--db", db, "feedback", "list", option, value]) == 2
    err = capsys.readouterr().err
    labels = vocab.STATUSES if option == "--status" else vocab.CATEGORIES
    assert err.strip().splitlines()[-1].startswith("motcua feedback: không có")
    assert all(label in err for label in labels.values()), err


def test_cli_status_and_category_in_vietnamese_with_or_without_diacritics(filed, capsys):
    db, storage, ticket = filed
    assert main(["--db", db, "feedback", "status", ticket, "đang xử lý"]) == 0
    assert capsys.readouterr().out == f"{ticket}: Đang xử lý\n"
    assert storage.get_feedback(ticket)["status"] == "in_progress"  # the code is stored
    listed = {}
    for value in ("Đang xử lý", "dang xu ly", "in_progress", "dangxuly"):
        assert main(["--db", db, "feedback", "list", "--status", value]) == 0
        listed[value] = capsys.readouterr().out
    assert len(set(listed.values())) == 1
    out = listed["dangxuly"]
    assert out.splitlines()[0].split() == ["Mã", "phản", "ánh", "Thời", "gian", "gửi", "Kênh",
                                           "Trạng", "thái", "Loại:", "nội", "dung"]
    assert ticket in out and "Đang xử lý" in out and "Thái độ, hành vi cán bộ" in out
    assert out.rstrip().endswith("1 phản ánh (Từ … đến nay)")
    for value in ("Thái độ", "thai do", "thai-do", "Thái độ, hành vi cán bộ"):
        assert main(["--db", db, "feedback", "list", "--category", value]) == 0
        assert ticket in capsys.readouterr().out
    assert main(["--db", db, "feedback", "list", "--category", "khac"]) == 0
    assert capsys.readouterr().out == "0 phản ánh (Từ … đến nay)\n"
    assert main(["--db", db, "feedback", "status", ticket, "xong"]) == 2
    assert "Đã đóng (dong)" in capsys.readouterr().err
    assert storage.get_feedback(ticket)["status"] == "in_progress"


def test_answer_history_the_citizen_sees_the_latest_staff_see_all(filed, capsys,
                                                                  knowledge, matcher):
    db, storage, ticket = filed
    assert main(["--db", db, "feedback", "answer", ticket, "Đang xác minh với bộ phận.",
                 "--by", "Lan"]) == 0
    assert main(["--db", db, "feedback", "answer", ticket, "Đã xác minh, cán bộ bị nhắc nhở.",
                 "--by", "Nguyễn Văn A"]) == 0
    assert "lần 2" in capsys.readouterr().out
    history = storage.answers(ticket)
    assert [(a["text"], a["staff_name"]) for a in history] == [
        ("Đang xác minh với bộ phận.", "Lan"), ("Đã xác minh, cán bộ bị nhắc nhở.", "Nguyễn Văn A")]
    conv = Conversation(knowledge, storage, matcher)
    [seen] = conv.handle(Message("zalo", "c1", text=f"/tracuu {ticket}"))
    assert "Trả lời của cán bộ: Đã xác minh, cán bộ bị nhắc nhở." in seen.text
    assert "Đang xác minh" not in seen.text
    assert main(["--db", db, "feedback", "show", ticket]) == 0
    shown = capsys.readouterr().out
    assert "Trạng thái:" in shown and "Đã trả lời" in shown and "Loại:" in shown
    assert "Trả lời (2):" in shown
    first, second = shown.index("Đang xác minh"), shown.index("Đã xác minh, cán bộ")
    assert shown.index("Lan") < first < shown.index("Nguyễn Văn A") < second
    assert "status" not in shown and "answered" not in shown  # no English codes


def test_an_old_database_keeps_its_answer_as_the_first_of_the_history(tmp_path, capsys):
    db = tmp_path / "v3.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("create table schema_version (version integer)")
    for number, statements in enumerate(MIGRATIONS[:3], start=1):
        for statement in statements:
            conn.execute(statement)
        conn.execute("insert into schema_version values (?)", [number])
    conn.execute(
        "insert into feedback (ticket, year, seq, at, channel, user_id, category, text, status, "
        "answer, first_answer_at, answered_at, answered_by, updated) values ('PA-2026-000001', "
        "2026, 1, '2026-07-01T02:00:00+00:00', 'zalo', 'u', 'khac', 'Đèn sảnh hỏng', "
        "'answered', 'Đã thay đèn.', '2026-07-02T03:00:00+00:00', '2026-07-02T03:00:00+00:00', "
        "'cli:Lan', '2026-07-02T03:00:00+00:00')")
    conn.execute("insert into feedback (ticket, year, seq, channel, user_id, category, text, "
                 "status) values ('PA-2026-000002', 2026, 2, 'zalo', 'v', 'khac', 'Chưa trả lời', "
                 "'new')")
    conn.execute("insert into ticket_seq values (2026, 2)")
    conn.close()
    storage = Storage(db)
    [kept] = storage.answers("PA-2026-000001")
    assert (kept["text"], kept["at"], kept["staff"], kept["staff_name"]) == (
        "Đã thay đèn.", "2026-07-02T03:00:00+00:00", "cli:Lan", "Lan")
    assert storage.answers("PA-2026-000002") == []
    storage.answer_feedback("PA-2026-000001", "Đã thay cả bóng dự phòng.", "telegram:42")
    assert [a["text"] for a in storage.answers("PA-2026-000001")] == [
        "Đã thay đèn.", "Đã thay cả bóng dự phòng."]
    assert storage.get_feedback("PA-2026-000001")["first_answer_at"] == \
        "2026-07-02T03:00:00+00:00"
    assert main(["--db", str(db), "feedback", "show", "PA-2026-000001"]) == 0
    shown = capsys.readouterr().out
    assert "Trả lời (2):" in shown and "1. 02/07/2026 10:00 · Lan" in shown  # Vietnam time
    assert Storage(db).answers("PA-2026-000001")[0]["text"] == "Đã thay đèn."  # runs once


def test_cli_closing_needs_a_reason_that_reaches_the_citizen(filed, capsys):
    db, storage, ticket = filed
    assert main(["--db", db, "feedback", "status", ticket, "closed"]) == 2
    assert "--reason" in capsys.readouterr().err
    assert main(["--db", db, "feedback", "status", ticket, "dong", "--reason", "  "]) == 2
    assert storage.get_feedback(ticket)["status"] == "new"
    assert main(["--db", db, "feedback", "status", ticket, "đã đóng", "--ly-do",
                 "Người dân đã nhận kết quả tại quầy."]) == 0
    assert capsys.readouterr().out == f"{ticket}: Đã đóng\n"
    told = [m["text"] for m in storage.pending("zalo") if m["chat_id"] == "c1"]
    assert told == [f"Phản ánh {ticket} chuyển sang: Đã đóng.\n"
                    "Lý do: Người dân đã nhận kết quả tại quầy."]
    assert [e["detail"] for e in storage.events(ticket, "reason")] == [
        "Người dân đã nhận kết quả tại quầy."]
    assert main(["--db", db, "feedback", "show", ticket]) == 0
    assert "Lý do đóng" in capsys.readouterr().out


# --- the chat, channel-neutral ----------------------------------------------------------------


@pytest.fixture
def staffed(knowledge, matcher, tmp_path):
    config = Config(staff={"zalo:staff"}, export_dir=tmp_path / "exports")
    conv = Conversation(knowledge, Storage(tmp_path / "chat.db"), matcher, config)
    ticket = conv.storage.add_feedback("zalo", "c1", "thai-do", COMPLAINT)
    return conv, ticket


def as_staff(conv, text="", data=""):
    return conv.handle(Message("zalo", "staff", text=text, data=data,
                               kind="button" if data else "text"))[-1]


@pytest.mark.parametrize("blank", ["   ", "...", "?!"])
def test_chat_refuses_a_blank_answer_and_waits_for_a_real_one(staffed, blank):
    conv, ticket = staffed
    assert "Gõ nội dung trả lời" in as_staff(conv, f"/traloi {ticket}").text
    refused = as_staff(conv, blank)
    assert "trống" in refused.text and not refused.options
    assert conv.storage.get_state("zalo", "staff")["staff_answer"] == ticket  # still waiting
    refused = as_staff(conv, f"/traloi {ticket} {blank}")
    assert "trống" in refused.text or "Gõ nội dung" in refused.text
    assert conv.storage.answers(ticket) == [] and answers_to(conv.storage, "zalo", "c1") == []
    shown = as_staff(conv, "Trung tâm đã làm việc với cán bộ.")
    assert "Xem trước" in shown.text


def test_chat_preview_edit_and_cancel_send_nothing(staffed):
    conv, ticket = staffed
    shown = as_staff(conv, f"/traloi {ticket} Bản nháp thứ nhất")
    assert [o.label for o in shown.options] == ["✅ Gửi", "✏️ Sửa", "✖ Hủy"]
    old_send = shown.options[0].data
    again = as_staff(conv, data=shown.options[1].data)  # Sửa
    assert "Gõ lại nội dung trả lời" in again.text
    shown = as_staff(conv, "Bản nháp thứ hai")
    assert "Bản nháp thứ hai" in shown.text and "thứ nhất" not in shown.text
    assert "Bản nháp thứ nhất" not in as_staff(conv, data=old_send).text
    dropped = as_staff(conv, data=shown.options[2].data)  # Hủy
    assert "chưa gửi gì" in dropped.text
    assert "đã cũ" in as_staff(conv, data=shown.options[0].data).text  # Gửi after Hủy
    assert conv.storage.answers(ticket) == [] and answers_to(conv.storage, "zalo", "c1") == []
    assert conv.storage.get_feedback(ticket)["status"] == "new"
    # /huy forgets an answer being typed
    as_staff(conv, f"/traloi {ticket}")
    assert as_staff(conv, "/huy").text.startswith("Đã hủy")
    assert "staff_answer" not in conv.storage.get_state("zalo", "staff")


def test_a_send_whose_state_save_was_lost_is_not_sent_again(staffed):
    """The bot killed after the answer's commit, before the staff member's state was
    saved: the preview is still there, and its "Gửi" finds the answer already stored."""
    conv, ticket = staffed
    shown = as_staff(conv, f"/traloi {ticket} Đã xử lý xong.")
    kept = conv.storage.get_state("zalo", "staff")
    assert "Đã trả lời" in as_staff(conv, data=shown.options[0].data).text
    conv.storage.set_state("zalo", "staff", kept)  # as if that save never happened
    assert "không gửi lại" in as_staff(conv, data=shown.options[0].data).text
    assert len(conv.storage.answers(ticket)) == 1
    assert len(answers_to(conv.storage, "zalo", "c1")) == 1
    # the storage alone never stores one draft twice either
    conv.storage.answer_feedback(ticket, "Đã xử lý xong.", "zalo:staff",
                                 draft=shown.options[0].data.split(":")[-1])
    assert len(answers_to(conv.storage, "zalo", "c1")) == 1


def test_chat_unknown_status_or_category_is_refused_with_the_valid_ones(staffed):
    conv, ticket = staffed
    refused = as_staff(conv, f"/trangthai {ticket} xong")
    assert all(label in refused.text for label in vocab.STATUSES.values())
    assert conv.storage.get_feedback(ticket)["status"] == "new"
    refused = as_staff(conv, "/ds thời tiết")
    assert all(label in refused.text for label in vocab.STATUSES.values())
    assert all(label in refused.text for label in vocab.CATEGORIES.values())
    assert ticket in as_staff(conv, "/ds thai do").text
    assert "Không có phản ánh nào" in as_staff(conv, "/ds góp ý").text
    assert "Đang xử lý" in as_staff(conv, f"/trangthai {ticket} đang xử lý").text
    assert ticket in as_staff(conv, "/ds Đang xử lý").text
    assert ticket not in as_staff(conv, "/ds moi").text


def test_chat_closing_with_the_reason_on_the_command_line(staffed):
    conv, ticket = staffed
    done = as_staff(conv, f"/trangthai {ticket} đã đóng Đã giải quyết tại quầy")
    assert "Đã đóng" in done.text
    told = [m["text"] for m in conv.storage.pending("zalo") if m["chat_id"] == "c1"]
    assert told == [f"Phản ánh {ticket} chuyển sang: Đã đóng.\nLý do: Đã giải quyết tại quầy"]
    assert "Lý do đóng: Đã giải quyết tại quầy" in as_staff(conv, f"/xem {ticket}").text


# --- end to end over the fake Telegram server ------------------------------------------------


def test_telegram_preview_then_one_send_however_often_gui_is_pressed(tg):  # noqa: F811
    storage = Storage(tg.db)  # its own connection: the bot's is used by its loop
    ticket = storage.add_feedback("telegram", str(CITIZEN), "thai-do", COMPLAINT)
    before = len(tg.fake.messages_to(CITIZEN))
    answer = "Trung tâm đã nhắc nhở cán bộ & xin lỗi anh/chị <3."
    [shown] = tg.say(f"/traloi {ticket} {answer}", chat=STAFF)
    citizen_text = f"Trả lời phản ánh {ticket}:\n\n{answer}\n\nXem lại: /tracuu {ticket}"
    assert citizen_text in shown["text"]  # exactly what the citizen will receive
    assert [b["text"] for b in buttons(shown)] == ["✅ Gửi", "✏️ Sửa", "✖ Hủy"]
    assert storage.answers(ticket) == [] and storage.get_feedback(ticket)["status"] == "new"
    send = buttons(shown)[0]["callback_data"]
    [sent] = tg.press(send, chat=STAFF)
    assert f"Đã trả lời {ticket}" in sent["text"]
    [again] = tg.press(send, chat=STAFF)
    assert "không gửi lại" in again["text"]
    received = tg.fake.wait_for(CITIZEN, before + 1)[before:]
    assert [m["text"] for m in received] == [citizen_text]
    assert len(storage.answers(ticket)) == 1
    # a second, later answer replaces the first for the citizen; both are kept
    tg.fake.staff_answers(STAFF, ticket, "Bổ sung: cán bộ đã được chuyển vị trí.")
    received = tg.fake.wait_for(CITIZEN, before + 2)[before:]
    assert len(received) == 2 and "chuyển vị trí" in received[1]["text"]
    assert [a["text"] for a in storage.answers(ticket)] == [
        answer, "Bổ sung: cán bộ đã được chuyển vị trí."]
    [status] = tg.say(f"/tracuu {ticket}")
    assert "chuyển vị trí" in status["text"] and "xin lỗi" not in status["text"]
    assert len(tg.fake.messages_to(CITIZEN)) == before + 3  # nothing sent twice


def test_telegram_closing_asks_the_reason_and_the_citizen_receives_it(tg):  # noqa: F811
    storage = Storage(tg.db)  # its own connection: the bot's is used by its loop
    ticket = storage.add_feedback("telegram", str(CITIZEN), "tre-hen",
                                  "Hồ sơ đăng ký đất đai trễ hẹn hai tuần")
    [card] = tg.say(f"/xem {ticket}", chat=STAFF)
    close = [b["callback_data"] for b in buttons(card) if b["text"] == "Đóng"]
    [asked] = tg.press(close[0], chat=STAFF)
    assert "lý do đóng" in asked["text"]
    assert storage.get_feedback(ticket)["status"] == "new"
    [blank] = tg.say("...", chat=STAFF)
    assert "Lý do trống" in blank["text"]
    before = len(tg.fake.messages_to(CITIZEN))
    [closed] = tg.say("Hồ sơ đã có kết quả, mời anh/chị đến nhận.", chat=STAFF)
    assert "Đã đóng" in closed["text"] and "kèm lý do" in closed["text"]
    [told] = tg.fake.wait_for(CITIZEN, before + 1)[before:]
    assert told["text"] == (f"Phản ánh {ticket} chuyển sang: Đã đóng.\n"
                            "Lý do: Hồ sơ đã có kết quả, mời anh/chị đến nhận.")
    assert storage.get_feedback(ticket)["status"] == "closed"
    assert [e["detail"] for e in storage.events(ticket, "reason")] == [
        "Hồ sơ đã có kết quả, mời anh/chị đến nhận."]
