"""The storage's guarantees on both backends: an SQLite file, and a PostgreSQL schema
(MOTCUA_TEST_PG; .ci/run starts a server). Several ``Storage`` objects on one database
stand for several bot processes: each has its own connections (a pool on PostgreSQL).
The tests marked PostgreSQL-only check what only several processes need."""

import subprocess
import sys

import pytest

from bot import dbcopy, ratings
from bot.console import insights
from bot.storage import Storage, StorageError
from conftest import ROOT, fresh_pg, run_motcua
from handlers.conversation import Conversation
from handlers.types import Message


def count(storage, table, where="1 = 1"):
    return storage.db.execute(f"select count(*) from {table} where {where}").fetchone()[0]


def test_the_same_migrations_on_both(db_target):
    from bot.migrations import MIGRATIONS

    storage = Storage(db_target, strict=True)
    again = Storage(db_target, strict=True)  # a second process finds it done
    versions = [v for (v,) in again.db.execute(
        "select version from schema_version order by version").fetchall()]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    assert count(storage, "feedback") == 0


def test_a_ticket_is_visible_elsewhere_only_after_its_commit(db_target):
    storage, other = Storage(db_target, strict=True), Storage(db_target, strict=True)
    seen = {}

    def notify(ticket):  # inside the feedback's transaction
        seen["inside"] = other.get_feedback(ticket)
        return [("telegram", "staff", f"📣 Phản ánh mới {ticket}", [])]

    ticket = storage.add_feedback("zalo", "u1", "khac", "Quầy lấy số hỏng", notify=notify)
    assert seen["inside"] is None  # not committed yet: nobody may show it
    assert other.get_feedback(ticket)["text"] == "Quầy lấy số hỏng"
    assert [m["text"] for m in other.pending("telegram")] == [f"📣 Phản ánh mới {ticket}"]


def test_a_failed_notice_rolls_the_ticket_and_its_number_back(db_target):
    storage = Storage(db_target, strict=True)

    def broken(ticket):
        raise RuntimeError("no notice")

    with pytest.raises(RuntimeError):
        storage.add_feedback("zalo", "u1", "khac", "x" * 20, notify=broken)
    assert count(storage, "feedback") == count(storage, "outbox") == 0
    assert storage.add_feedback("zalo", "u1", "khac", "x" * 20).endswith("-000001")


def test_tickets_are_unique_and_sequential_across_processes(db_target):
    Storage(db_target, strict=True)
    code = ("import sys; from bot.storage import Storage; s = Storage(sys.argv[1]);"
            "print('\\n'.join(s.add_feedback('zalo', sys.argv[2], 'khac', 'x' * 20, "
            "notify=lambda t: [('telegram', 'staff', t, [])]) for _ in range(40)))")
    procs = [subprocess.Popen([sys.executable, "-c", code, db_target, f"w{i}"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for i in range(4)]
    tickets = [t for p in procs for t in p.communicate(timeout=120)[0].split()]
    assert len(tickets) == len(set(tickets)) == 160
    assert sorted(int(t.rsplit("-", 1)[1]) for t in tickets) == list(range(1, 161))
    storage = Storage(db_target)
    notices = [text for (text,) in storage.db.execute("select text from outbox").fetchall()]
    assert sorted(notices) == sorted(tickets)  # each ticket with its notice, once


def test_the_same_draft_filed_from_two_processes_gives_one_ticket(db_target):
    Storage(db_target, strict=True)
    code = ("import sys; from bot.storage import Storage; s = Storage(sys.argv[1]);"
            "print(s.add_feedback('zalo', 'u1', 'khac', 'x' * 20, draft='d1'))")
    procs = [subprocess.Popen([sys.executable, "-c", code, db_target], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    tickets = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert len(tickets) == 1 and count(Storage(db_target), "feedback") == 1


def test_state_daily_cap_and_question_log_are_shared(db_target, knowledge, matcher):
    """A citizen's next message may reach the other process: the feedback started on
    one is sent on the other, the daily cap counts both, the log holds both."""
    one = Conversation(knowledge, Storage(db_target), matcher)
    two = Conversation(knowledge, Storage(db_target), matcher)
    one.config.feedback_per_day = two.config.feedback_per_day = 2
    for n, (first, second) in enumerate([(one, two), (two, one)]):
        first.handle(Message("zalo", "c1", text="/phananh"))
        second.handle(Message("zalo", "c1", data="fb:c:khac", kind="button"))
        step = first.handle(Message("zalo", "c1", text=f"Quầy lấy số hỏng lần {n + 1} rồi"))[0]
        if "thủ tục nào" in step.text:
            second.handle(Message("zalo", "c1", data="fb:t:-", kind="button"))
            second, first = first, second
        second.handle(Message("zalo", "c1", data="fb:p:no", kind="button"))
        done = first.handle(Message("zalo", "c1", data="fb:send", kind="button"))[0]
        assert f"PA-" in done.text and f"-00000{n + 1}" in done.text, done.text
    capped = two.handle(Message("zalo", "c1", text="/phananh"))[0]
    assert "đủ mức tối đa" in capped.text
    assert [r["text"] for r in one.storage.feedback_of("zalo", "c1")] == \
        ["Quầy lấy số hỏng lần 2 rồi", "Quầy lấy số hỏng lần 1 rồi"]


def test_the_question_log_and_its_reports_read_the_same(db_target, knowledge):
    storage = Storage(db_target, strict=True)
    asked = [("Đăng ký kết hôn ở đâu", "unknown", None), ("ĐĂNG KÝ KẾT HÔN Ở ĐÂU ", "unknown",
             None), ("khai sinh", "answer", "khai-sinh"), ("tạm trú", "suggest", "tam-tru"),
             ("xin chào ạ", "unknown", None), ("khai sinh cho con", "answer", "khai-sinh")]
    ids = [storage.log_question("zalo", text, status, None, top, 0.5 if top else None)
           for text, status, top in asked]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # SQLite's lower() folds ASCII only; PostgreSQL with the C locale does the same
    # (README); ties in order of the text, byte by byte on both
    assert [(r["question"], r["times"]) for r in storage.unanswered()] == [
        ("xin chào ạ", 1), ("ĐĂng kÝ kẾt hÔn Ở ĐÂu", 1), ("Đăng ký kết hôn ở đâu", 1)]
    assert ratings.record(storage, ids[2], True) == "new"
    assert ratings.record(storage, ids[2], False) == "changed"
    assert ratings.record(storage, ids[5], True) == "new"
    assert ratings.per_entry(storage) == [
        {"entry_id": "khai-sinh", "up": 1, "down": 1, "total": 2, "rate": 0.5}]
    days = insights.questions_per_day(storage, None, None)
    assert days[-1][1] == len(asked) and sum(n for _, n in days) == len(asked)
    assert insights.top_asked(storage, knowledge, None, None)[0][1] == 2  # khai-sinh


def test_outbox_failure_is_retried_and_a_sent_message_never_again(db_target):
    storage = Storage(db_target, strict=True)
    storage.add_feedback("zalo", "u1", "khac", "x" * 20,
                         notify=lambda t: [("telegram", "s1", f"a {t}", []),
                                           ("telegram", "s2", f"b {t}", [])])
    first, second = storage.pending("telegram")
    storage.mark_sent(first["id"])
    storage.mark_failed(second["id"], "NetworkError: down")
    again = storage.pending("telegram")
    assert [m["id"] for m in again] == [second["id"]] and again[0]["attempts"] == 1
    storage.mark_sent(second["id"])
    assert storage.pending("telegram") == []


def test_copy_sqlite_to_postgresql_and_back_keeps_every_row_and_the_counters(tmp_path,
                                                                             knowledge):
    source = Storage(tmp_path / "office.db", strict=True)
    tickets = [source.add_feedback("zalo", f"u{n}", "khac", f"Nội dung {n} có dấu",
                                   phone="0912345678" if n % 2 else None,
                                   notify=lambda t: [("telegram", "staff", t, [{"label": "x"}])])
               for n in range(5)]
    source.answer_feedback(tickets[0], "Đã xử lý, xin cảm ơn.", "cli:Lan", "Lan")
    source.set_status(tickets[1], "closed", "telegram:42", "trùng")
    source.set_state("zalo", "u9", {"flow": "feedback", "fb": {"step": "text"}})
    qid = source.log_question("zalo", "khai sinh", "answer", None, "khai-sinh", 0.9)
    ratings.record(source, qid, True)
    from bot import accounts
    accounts.add(source, "lan", "mat-khau-dai-du-12", "Nguyễn Thị Lan")
    url = fresh_pg()
    assert run_motcua("db", "copy", str(tmp_path / "office.db"), url).returncode == 0
    target = Storage(url, strict=True)
    back = tmp_path / "back.db"
    result = run_motcua("db", "copy", url, str(back))
    assert result.returncode == 0, result.stderr
    assert "Đã chép 5 phản ánh, 1 câu hỏi" in result.stdout
    returned = Storage(back, strict=True)
    for name in dbcopy.tables():
        rows = [list(source.db.query(f"select * from {name} order by 1")),
                list(target.db.query(f"select * from {name} order by 1")),
                list(returned.db.query(f"select * from {name} order by 1"))]
        assert rows[0] == rows[1] == rows[2], name
    # the next ticket and the next ids continue on the copy
    assert target.add_feedback("zalo", "u7", "khac", "x" * 20).endswith("-000006")
    assert target.log_question("zalo", "hỏi", "unknown", None, None, None) == qid + 1
    # copying again is refused: the destination holds data
    again = run_motcua("db", "copy", str(tmp_path / "office.db"), url)
    assert again.returncode == 1 and "already holds data" in again.stderr


def test_db_migrate_says_the_version(db_target):
    from bot.migrations import MIGRATIONS

    result = run_motcua("--db", db_target, "db", "migrate")
    assert result.returncode == 0, result.stderr
    assert f"phiên bản cấu trúc {len(MIGRATIONS)} (mới nhất: {len(MIGRATIONS)})" in result.stdout


# --- what only several processes need (PostgreSQL) -----------------------------------------


def test_each_outbox_message_goes_to_one_process_until_its_lease_ends(pg_url, monkeypatch):
    monkeypatch.setenv("MOTCUA_OUTBOX_LEASE", "1")
    one, two = Storage(pg_url, strict=True), Storage(pg_url, strict=True)
    for n in range(30):
        one.add_feedback("zalo", f"u{n}", "khac", "x" * 20,
                         notify=lambda t: [("telegram", "staff", t, [])])
    a, b = one.pending("telegram"), two.pending("telegram")
    c = one.pending("telegram")
    ids = [m["id"] for m in a + b + c]
    assert len(ids) == len(set(ids)) == 30  # claimed batch by batch, never twice
    for m in a + b:
        one.mark_sent(m["id"])
    assert two.pending("telegram") == []  # c is still claimed
    import time
    time.sleep(1.2)  # the process holding c died: after the lease, another sends it
    assert sorted(m["id"] for m in two.pending("telegram")) == sorted(m["id"] for m in c)


def test_the_flood_limit_counts_every_process(pg_url, knowledge, matcher):
    convs = [Conversation(knowledge, Storage(pg_url), matcher) for _ in range(2)]
    limit = convs[0].config.flood_per_minute
    replies = [convs[n % 2].handle(Message("zalo", "fast", text="khai sinh"))
               for n in range(limit + 2)]
    assert all(r for r in replies[:limit])
    assert "nhắn hơi nhanh" in replies[limit][0].text and replies[limit + 1] == []
    assert convs[1].handle(Message("zalo", "calm", text="khai sinh"))  # others go on
    convs[0].storage.forget_user("zalo", "fast")  # /xoadulieu: the times go too
    assert count(convs[1].storage, "flood", "user_id = 'fast'") == 0
    assert count(convs[1].storage, "flood", "user_id = 'calm'") == 1


def test_sql_is_translated_for_postgresql_and_strings_are_kept():
    from bot.pg import ddl, placeholders

    assert placeholders("select * from t where a = ? and b like 'cli:%' and c = '?'") == \
        "select * from t where a = %s and b like 'cli:%%' and c = '?'"
    assert ddl("create table q (id integer primary key, question_id integer primary key, "
               "at real)") == ("create table q (id bigint generated by default as identity "
                               "primary key, question_id integer primary key, at double "
                               "precision)")


def test_a_wrong_server_is_a_storage_error_without_the_password(tmp_path):
    with pytest.raises(StorageError) as error:
        Storage(f"postgresql://bot:mat-khau@/motcua?host={tmp_path}", strict=True)
    assert "mat-khau" not in str(error.value) and "bot:***@" in str(error.value)


def test_connections_the_server_dropped_are_replaced_before_use(pg_url):
    """What a bot process sees of a server restart or a standby promoted: its pooled
    connections are cut. The next writes must work, not fail on a dead connection."""
    import psycopg
    from conftest import PG_URL

    storage = Storage(pg_url, strict=True)
    storage.add_feedback("zalo", "u1", "khac", "x" * 20)
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        cut = admin.execute("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                            "where application_name = 'motcua'").fetchone()[0]
    assert cut >= 1
    assert storage.add_feedback("zalo", "u2", "khac", "y" * 20).endswith("-000002")
    storage.set_state("zalo", "u2", {"flow": "x"})
    assert storage.get_state("zalo", "u2") == {"flow": "x"}


def test_processes_starting_together_migrate_once(pg_url):
    """Several bot processes started at once on a new database: one migrates, the
    others wait for it (an advisory lock), then find the schema done."""
    from bot.migrations import MIGRATIONS

    procs = [subprocess.Popen([sys.executable, "-m", "bot.cli", "--db", pg_url, "db",
                               "migrate"], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, results
    versions = [v for (v,) in Storage(pg_url).db.execute(
        "select version from schema_version order by version").fetchall()]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
