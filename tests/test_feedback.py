"""Feedback end to end: terminal chat, staff in chat and CLI, exports, reports, crashes."""

import csv
import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from openpyxl import load_workbook

from bot import reports, workbook
from bot.config import Config
from bot.storage import Storage
from conftest import ROOT, run_motcua
from handlers.conversation import Conversation
from handlers.types import Message

TICKET = re.compile(r"Mã phản ánh: (PA-\d{4}-\d{6})")


def chat(db, lines, user="citizen", env=None):
    result = run_motcua("--db", str(db), "chat", stdin="\n".join(lines) + "\n",
                        env={"MOTCUA_TERMINAL_USER": user, **(env or {})})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


FLOW = ["/phananh", "2", "Cán bộ nhận hồ sơ đăng ký khai sinh cho con tôi hẹn đi hẹn lại ba lần",
        "1", "1", "0912345678", "1"]  # category, text, procedure, consent, phone, send


def test_citizen_flow_in_the_terminal(tmp_path):
    db = tmp_path / "fb.db"
    out = chat(db, FLOW + ["/tracuu"])
    ticket = TICKET.search(out).group(1)
    assert "Loại: Thái độ, hành vi cán bộ" in out and "0912345678" in out
    row = sqlite3.connect(db).execute(
        "select category, text, phone, status from feedback where ticket = ?",
        [ticket]).fetchone()
    assert row == ("thai-do", FLOW[2], "0912345678", "new")
    assert "• Thủ tục: Đăng ký khai sinh" in out
    assert f"{ticket} — Mới tiếp nhận" in out


@pytest.mark.parametrize("stop_after", range(1, 7))
def test_cancel_at_each_step_stores_nothing(tmp_path, stop_after):
    db = tmp_path / "cancel.db"
    out = chat(db, FLOW[:stop_after] + ["/huy", "/tracuu"])
    assert "Đã hủy" in out
    assert "Bạn chưa gửi phản ánh nào" in out
    assert sqlite3.connect(db).execute("select count(*) from feedback").fetchone()[0] == 0


def test_lookup_refused_to_others_and_staff_answer_reaches_citizen(tmp_path):
    db = tmp_path / "answer.db"
    ticket = TICKET.search(chat(db, FLOW)).group(1)
    other = chat(db, [f"/tracuu {ticket}"], user="someone-else")
    assert "Không tìm thấy" in other and "hẹn đi hẹn lại" not in other
    answer = "Trung tâm đã làm việc với cán bộ và xin lỗi ông/bà."
    result = run_motcua("--db", str(db), "feedback", "answer", ticket, answer, "--by", "Lan")
    assert result.returncode == 0 and "Đã trả lời" in result.stdout
    back = chat(db, [f"/tracuu {ticket}"])
    assert f"Trả lời phản ánh {ticket}" in back and answer in back  # delivered on return
    assert "Đã trả lời" in back
    assert chat(db, ["xin chào"]).count(answer) == 0  # delivered once


def test_delete_my_data_in_the_terminal(tmp_path):
    db = tmp_path / "delete.db"
    ticket = TICKET.search(chat(db, FLOW)).group(1)
    out = chat(db, ["/xoadulieu", "1", f"/tracuu {ticket}"])
    assert "Đã xóa số điện thoại" in out and "Không tìm thấy" in out
    row = sqlite3.connect(db).execute("select user_id, phone, text from feedback").fetchone()
    assert row == (None, None, FLOW[2])


@pytest.fixture
def staffed(knowledge, matcher, tmp_path):
    config = Config(staff={"telegram:42"}, staff_chats={"telegram:-100"},
                    export_dir=tmp_path / "exports")
    return Conversation(knowledge, Storage(tmp_path / "staff.db"), matcher, config)


def file_feedback(conv, user="c1", channel="zalo"):
    for step in (dict(text="/phananh"), dict(data="fb:c:quy-dinh"),
                 dict(text="Thủ tục đăng ký tạm trú đòi quá nhiều giấy tờ photo"),
                 dict(data="fb:t:-"), dict(data="fb:p:no"), dict(data="fb:send")):
        kind = "button" if "data" in step else "text"
        replies = conv.handle(Message(channel, user, kind=kind, **step))
    return TICKET.search(replies[0].text).group(1)


def test_staff_in_chat_across_channels(staffed):
    ticket = file_feedback(staffed, channel="zalo")
    notices = staffed.storage.pending("telegram")
    assert [n["chat_id"] for n in notices] == ["-100"] and ticket in notices[0]["text"]
    staff = lambda **kw: staffed.handle(Message("telegram", "42", **kw))[0]  # noqa: E731
    assert ticket in staff(text="/ds").text
    assert "Thủ tục đăng ký tạm trú" in staff(data=f"s:v:{ticket}", kind="button").text
    assert "Đang xử lý" in staff(data=f"s:st:{ticket}:in_progress", kind="button").text
    staff(data=f"s:a:{ticket}", kind="button")
    shown = staff(text="Đã chuyển công an xã rà soát, sẽ bỏ yêu cầu bản photo.")
    assert "Xem trước" in shown.text
    done = staff(data=shown.options[0].data, kind="button")  # Gửi
    assert "Đã trả lời" in done.text
    to_citizen = [m for m in staffed.storage.pending("zalo") if m["chat_id"] == "c1"]
    assert any("bỏ yêu cầu bản photo" in m["text"] for m in to_citizen)
    export = staff(text="/xuat")
    assert export.document.endswith(".xlsx") and os.path.exists(export.document)
    assert oct(os.stat(export.document).st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("command", ["/ds", "/xem PA-2026-000001", "/traloi PA-2026-000001 x",
                                     "/trangthai PA-2026-000001 dong", "/xuat", "/baocao"])
def test_staff_commands_refused_to_citizens(staffed, command):
    ticket = file_feedback(staffed)
    reply = staffed.handle(Message("telegram", "43", text=command.replace(
        "PA-2026-000001", ticket)))[0]
    assert reply.text.startswith("Lệnh này chỉ dành cho cán bộ") and not reply.document
    forged = staffed.handle(Message("telegram", "43", data=f"s:st:{ticket}:closed",
                                    kind="button"))[0]
    assert forged.text.startswith("Lệnh này chỉ dành cho cán bộ")
    assert staffed.storage.get_feedback(ticket)["status"] == "new"


def test_limits_are_polite(knowledge, matcher, tmp_path):
    conv = Conversation(knowledge, Storage(tmp_path / "lim.db"), matcher,
                        Config(flood_per_minute=5, feedback_per_day=2))
    replies = [conv.handle(Message("zalo", "u", text="khai sinh")) for _ in range(8)]
    assert "nhắn hơi nhanh" in replies[5][0].text and replies[6] == []
    conv = Conversation(knowledge, Storage(tmp_path / "cap.db"), matcher,
                        Config(feedback_per_day=2))
    file_feedback(conv, "u2")
    file_feedback(conv, "u2")
    third = conv.handle(Message("zalo", "u2", text="/phananh"))[0]
    assert "đủ mức tối đa" in third.text


def seeded(tmp_path):
    """Hand-counted fixture: six feedback items with fixed times (UTC)."""
    storage = Storage(tmp_path / "report.db")
    rows = [  # at, category, channel, status, first answer after hours
        ("2026-07-01T02:00:00+00:00", "thai-do", "zalo", "answered", 5),
        ("2026-07-15T02:00:00+00:00", "thai-do", "telegram", "closed", 30),
        ("2026-08-03T02:00:00+00:00", "quy-dinh", "zalo", "new", None),
        ("2026-09-30T17:30:00+00:00", "gop-y", "zalo", "new", None),  # 1/10 in Vietnam
        ("2026-09-30T10:00:00+00:00", "tre-hen", "telegram", "in_progress", None),
        ("2026-06-30T18:00:00+00:00", "khac", "zalo", "answered", 10),  # 1/7 in Vietnam
    ]
    for at, category, channel, status, hours in rows:
        ticket = storage.add_feedback(channel, "u", category, f"Nội dung {category} có dấu")
        answer_at = (dt.datetime.fromisoformat(at) + dt.timedelta(hours=hours)).isoformat() \
            if hours else None
        storage.db.execute("update feedback set at = ?, status = ?, first_answer_at = ? "
                           "where ticket = ?", [at, status, answer_at, ticket])
    return storage


def test_report_figures_match_hand_counts(tmp_path):
    storage = seeded(tmp_path)
    since, until, label = reports.period(quarter="2026Q3")
    rows = storage.list_feedback(since=since, until=until)
    assert label == "Quý 3/2026" and len(rows) == 5  # 1/10 (VN) is Q4; 1/7 (VN) is Q3
    report = reports.build(rows, reports.Office(deadline_days=10), label, since, until,
                           as_of=dt.datetime(2026, 10, 10, tzinfo=dt.timezone.utc))
    categories = {t.name: t.received for t in report.by_category()}
    assert categories["Thái độ, hành vi cán bộ"] == 2
    assert categories["Khác"] == 1 and categories["Góp ý, sáng kiến"] == 0
    assert [report.count(s) for s in ("new", "in_progress", "answered", "closed")] == \
        [1, 1, 2, 1]
    assert {t.name: t.received for t in report.by_channel()} == {"Zalo": 3, "Telegram": 2}
    assert report.total.resolved == 3 and report.median_days() == pytest.approx(10 / 24)
    # 3/8 + 10 working days = 17/8, overdue; 30/9 + 10 working days = 14/10, not yet
    assert len(report.overdue()) == 1
    text = run_motcua("--db", str(tmp_path / "report.db"), "feedback", "report",
                      "--quarter", "2026Q3").stdout
    assert "Tiếp nhận: 5" in text and "Đã giải quyết: 3 (60,0%)" in text
    assert reports.period(half="2026H2")[2] == "6 tháng cuối năm 2026"


def test_exports_reread_cell_by_cell(tmp_path):
    storage = seeded(tmp_path)
    rows = storage.list_feedback()
    report = reports.build(rows, reports.Office(), "Tất cả")
    xlsx = workbook.write_xlsx(report, tmp_path / "out.xlsx", summary=True)
    book = load_workbook(xlsx)
    assert book.sheetnames == ["Tổng hợp", "Thống kê", "Biểu đồ", "Danh sách"]
    sheet = book["Danh sách"]
    assert [c.value for c in sheet[8]][:4] == ["STT", "Mã phản ánh", "Ngày tiếp nhận", "Kênh"]
    assert sheet.freeze_panes == "A9" and sheet.auto_filter.ref
    first = [c.value for c in sheet[9]]
    assert first[1] == rows[0]["ticket"]
    assert first[2] == dt.datetime(2026, 7, 1, 9, 0)  # 02:00 UTC = 09:00 in Vietnam
    assert first[4] == "Thái độ, hành vi cán bộ" and first[6] == "Nội dung thai-do có dấu"
    assert sheet.max_row == len(rows) + 8
    assert book["Biểu đồ"]._charts
    path = reports.write_csv(report, tmp_path / "out.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert table[0][1] == "Mã phản ánh" and len(table) == len(rows) + 1
    assert table[1][2] == "01/07/2026" and table[1][6] == "Nội dung thai-do có dấu"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_cli_export_filters(tmp_path):
    seeded(tmp_path)
    out = tmp_path / "zalo.csv"
    result = run_motcua("--db", str(tmp_path / "report.db"), "feedback", "export",
                        "--channel", "zalo", "--quarter", "2026Q3", "-o", str(out))
    assert result.returncode == 0, result.stderr
    with open(out, encoding="utf-8-sig") as f:
        assert len(list(csv.reader(f))) == 1 + 3  # three zalo items in Q3


def test_tickets_are_unique_and_sequential_with_concurrent_writers(tmp_path):
    db = tmp_path / "many.db"
    Storage(db)
    code = ("import sys; from bot.storage import Storage; s = Storage(sys.argv[1]);"
            "print('\\n'.join(s.add_feedback('zalo', sys.argv[2], 'khac', 'x' * 20) "
            "for _ in range(40)))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(db), f"w{i}"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for i in range(4)]
    tickets = [t for p in procs for t in p.communicate(timeout=60)[0].split()]
    assert len(tickets) == len(set(tickets)) == 160
    numbers = sorted(int(t.rsplit("-", 1)[1]) for t in tickets)
    assert numbers == list(range(1, 161))


def test_every_confirmed_ticket_survives_kill_9(db_target):
    """Citizens file feedback as fast as the bot answers; the bot is killed with SIGKILL
    mid-stream; every ticket it printed must be on disk with its text (in the SQLite
    file, or on the PostgreSQL server)."""
    db = db_target
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "--db", str(db), "chat"],
                            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "MOTCUA_FEEDBACK_PER_DAY": "100000",
                                            "MOTCUA_FLOOD_PER_MINUTE": "100000"})
    texts = [f"Phản ánh số {i}: hồ sơ trễ hẹn ở bộ phận một cửa" for i in range(400)]
    script = "".join(f"/phananh\n3\n{t}\n2\n1\n" for t in texts)

    def feed():
        try:
            proc.stdin.write(script)
            proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    import threading
    threading.Thread(target=feed, daemon=True).start()
    confirmed = []
    deadline = time.monotonic() + 60
    while len(confirmed) < 25 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        found = TICKET.search(line)
        if found:
            confirmed.append(found.group(1))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert len(confirmed) >= 25
    stored = dict(Storage(db).db.execute("select ticket, text from feedback").fetchall())
    for n, ticket in enumerate(confirmed):
        assert stored.get(ticket) == texts[n], ticket


# --- a second "Gửi" of the same draft -------------------------------------------------------


def to_confirm(conv, user="c1", text="Quầy lấy số thứ tự ở trung tâm hành chính hay bị hỏng"):
    conv.handle(Message("zalo", user, text="/phananh"))
    conv.handle(Message("zalo", user, data="fb:c:khac", kind="button"))
    step = conv.handle(Message("zalo", user, text=text))[0]
    if "thủ tục nào" in step.text:
        conv.handle(Message("zalo", user, data="fb:t:-", kind="button"))
    return conv.handle(Message("zalo", user, data="fb:p:no", kind="button"))[0]


def saved_state(db, user="c1"):
    return sqlite3.connect(db).execute("select data from state where channel = 'zalo' and "
                                       "user_id = ?", [user]).fetchone()[0]


def lose_the_state_save(db, data, user="c1"):
    """What a kill -9 between the commit and the saving of the state leaves on disk: the
    feedback committed, the state still at the step before."""
    with sqlite3.connect(db) as conn:
        conn.execute("update state set data = ? where channel = 'zalo' and user_id = ?",
                     [data, user])


def counts(db):
    conn = sqlite3.connect(db)
    return (conn.execute("select count(*) from feedback").fetchone()[0],
            conn.execute("select count(*) from outbox where text like '📣 Phản ánh mới%'"
                         ).fetchone()[0])


def send(conv, user="c1"):
    return conv.handle(Message("zalo", user, data="fb:send", kind="button"))[0].text


def test_a_second_send_of_the_same_draft_gives_the_same_ticket(knowledge, matcher, tmp_path):
    db = tmp_path / "twice.db"
    config = Config(staff_chats={"telegram:-100"})
    conv = Conversation(knowledge, Storage(db), matcher, config)
    to_confirm(conv)
    before = saved_state(db)
    assert json.loads(before)["fb"]["draft"]  # the draft has its id from the start
    first = TICKET.search(send(conv)).group(1)
    lose_the_state_save(db, before)
    restarted = Conversation(knowledge, Storage(db), matcher, config)
    again = send(restarted)
    assert TICKET.search(again).group(1) == first
    assert counts(db) == (1, 1)  # one ticket, one staff notice
    # the flow is over now: a third press points to what was sent
    third = send(restarted)
    assert "kết thúc" in third and "/tracuu" in third and "Mã phản ánh" not in third
    # the next feedback of the same citizen is a new draft and a new ticket
    to_confirm(restarted, text="Quầy lấy số thứ tự ở trung tâm hành chính vẫn còn hỏng")
    assert TICKET.search(send(restarted)).group(1) != first
    assert counts(db) == (2, 2)


def test_a_draft_started_by_an_older_version_is_named_by_its_content(knowledge, matcher,
                                                                        tmp_path):
    db = tmp_path / "old.db"
    storage = Storage(db)
    old = {"flow": "feedback", "fb": {"step": "confirm", "category": "khac",
                                      "text": "Bãi giữ xe ở trung tâm thu tiền sai quy định",
                                      "procedure": None}}  # no draft id: older version
    storage.set_state("zalo", "c1", old)
    conv = Conversation(knowledge, storage, matcher)
    first = TICKET.search(send(conv)).group(1)
    storage.set_state("zalo", "c1", old)  # the state save lost, as after kill -9
    assert TICKET.search(send(Conversation(knowledge, Storage(db), matcher))
                         ).group(1) == first
    assert counts(db)[0] == 1
    storage.set_state("zalo", "c2", old)  # another citizen with the same words files own
    assert TICKET.search(send(conv, "c2")).group(1) != first
    assert counts(db)[0] == 2


def test_a_draft_edited_after_the_lost_save_files_what_it_says_now(knowledge, matcher,
                                                                      tmp_path):
    db = tmp_path / "edit.db"
    conv = Conversation(knowledge, Storage(db), matcher)
    to_confirm(conv)
    before = saved_state(db)
    first = TICKET.search(send(conv)).group(1)
    lose_the_state_save(db, before)
    conv = Conversation(knowledge, Storage(db), matcher)
    conv.handle(Message("zalo", "c1", data="fb:edit", kind="button"))
    conv.handle(Message("zalo", "c1", text="Quầy lấy số hỏng, lại còn không ai hướng dẫn"))
    conv.handle(Message("zalo", "c1", data="fb:p:no", kind="button"))
    second = TICKET.search(send(conv)).group(1)
    assert second != first  # not silently the old text under the old number
    assert conv.storage.get_feedback(second)["text"].startswith("Quầy lấy số hỏng, lại")


def test_storage_returns_the_filed_ticket_for_the_same_draft(tmp_path):
    storage = Storage(tmp_path / "draft.db")
    notice = lambda ticket: [("telegram", "-100", f"📣 Phản ánh mới {ticket}", [])]  # noqa
    first = storage.add_feedback("zalo", "u", "khac", "một nội dung", notify=notice,
                                 draft="d1:abc")
    assert storage.add_feedback("zalo", "u", "khac", "một nội dung", notify=notice,
                                draft="d1:abc") == first
    other_user = storage.add_feedback("zalo", "v", "khac", "một nội dung", draft="d1:abc")
    other_channel = storage.add_feedback("telegram", "u", "khac", "một nội dung",
                                         draft="d1:abc")
    no_draft = [storage.add_feedback("zalo", "u", "khac", "một nội dung") for _ in range(2)]
    tickets = [first, other_user, other_channel, *no_draft]
    assert len(set(tickets)) == 5
    assert [int(t.rsplit("-", 1)[1]) for t in tickets] == [1, 2, 3, 4, 5]  # none skipped
    assert len(storage.pending("telegram")) == 1
    with pytest.raises(sqlite3.IntegrityError):  # the index holds even past add_feedback
        storage.db.execute("insert into feedback (ticket, channel, user_id, draft) values "
                           "('PA-X', 'zalo', 'u', 'd1:abc')")
    # the draft key's digest covers the phone: it goes with the phone and the chat link
    phoned = storage.add_feedback("zalo", "p", "khac", "có số", phone="0912345678",
                                  draft="d2:def")
    storage.forget_user("zalo", "p")
    assert storage.get_feedback(phoned)["draft"] is None
    storage.set_status(other_user, "closed", "test")
    storage.db.execute("update feedback set updated = '2000-01-01' where ticket = ?",
                       [other_user])
    storage.purge_personal(30)
    assert storage.get_feedback(other_user)["draft"] is None
    assert storage.get_feedback(first)["draft"] == "d1:abc"


def test_an_older_database_gains_the_draft_column(tmp_path):
    from bot.storage import MIGRATIONS

    db = tmp_path / "v2.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("create table schema_version (version integer)")
    for number, statements in enumerate(MIGRATIONS[:2], start=1):
        for statement in statements:
            conn.execute(statement)
        conn.execute("insert into schema_version values (?)", [number])
    conn.execute("insert into feedback (ticket, year, seq, channel, user_id, category, text, "
                 "status) values ('PA-2026-000001', 2026, 1, 'zalo', 'u', 'khac', 'cũ', 'new')")
    conn.execute("insert into ticket_seq values (2026, 1)")
    conn.close()
    storage = Storage(db)
    assert storage.get_feedback("PA-2026-000001")["draft"] is None
    ticket = storage.add_feedback("zalo", "u", "khac", "mới", draft="x:1")
    assert storage.add_feedback("zalo", "u", "khac", "mới", draft="x:1") == ticket
    assert storage.get_feedback(ticket)["draft"] == "x:1"
