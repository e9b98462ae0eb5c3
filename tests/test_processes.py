"""Two ``motcua run --webhook`` processes on one PostgreSQL database, the fake Telegram
posting each update to either (tests/webhook_bots.py): a citizen's next step may reach
the other process. Needs MOTCUA_TEST_PG (.ci/run starts a server)."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.storage import Storage
from webhook_bots import STAFF_CHAT, WebhookBots

NOTICE = re.compile(r"📣 Phản ánh mới (PA-\d{4}-\d{6})")


@pytest.fixture
def bots(pg_url):
    running = WebhookBots(pg_url, processes=2, env={"MOTCUA_OUTBOX_LEASE": "3"})
    yield running
    running.close()


def notices(bots) -> list[str]:
    return [m for t in bots.fake.messages_to(STAFF_CHAT)
            for m in NOTICE.findall(t.get("text") or "")]


def wait_until_sent(storage, bots, expected: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = storage.db.execute("select count(*) from outbox where sent_at is null"
                                     ).fetchone()[0]
        if waiting == 0 and len(notices(bots)) >= expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"outbox not delivered: {waiting} waiting, "
                         f"{len(notices(bots))} of {expected} notices")


def stored(storage) -> dict[str, str]:
    return dict(storage.db.execute("select ticket, text from feedback").fetchall())


def test_two_processes_200_feedbacks_then_one_killed(bots, pg_url):
    storage = Storage(pg_url, strict=True)
    year = time.gmtime().tm_year
    texts = {20_000 + n: f"Phản ánh số {n}: quầy một cửa trả hồ sơ trễ hẹn" for n in range(240)}

    # 200 citizens at once, every step to either process
    first = list(texts)[:200]
    with ThreadPoolExecutor(max_workers=50) as pool:
        done = list(pool.map(lambda chat: bots.file_feedback(chat, texts[chat]), first))
    tickets = [ticket for ticket, _ in done]
    assert sum(again for _, again in done) == 0  # no step without its reply
    assert len(set(tickets)) == 200
    assert sorted(tickets) == [f"PA-{year}-{n:06d}" for n in range(1, 201)]  # consecutive
    rows = stored(storage)
    assert {t: rows[t] for t in tickets} == {t: texts[c] for t, c in zip(tickets, first)}
    wait_until_sent(storage, bots, 200)
    sent = notices(bots)
    assert sorted(sent) == sorted(tickets)  # each staff notice exactly once
    assert bots.fake.messages_to(STAFF_CHAT) and all(
        up for up in bots.alive), [bots.log(n)[-2000:] for n in range(2)]

    # 40 more while one process is killed with SIGKILL: nothing confirmed is lost, the
    # other process delivers what the killed one had claimed (after its lease)
    later = list(texts)[200:]
    with ThreadPoolExecutor(max_workers=40) as pool:
        futures = [pool.submit(bots.file_feedback, chat, texts[chat], 5) for chat in later]
        while sum(f.done() for f in futures) < 10:
            time.sleep(0.05)
        killed_at = time.monotonic()
        bots.kill(1)
        more = [f.result() for f in futures]
    confirmed = dict(zip(later, (ticket for ticket, _ in more)))
    rows = stored(storage)
    assert all(rows.get(ticket) == texts[chat] for chat, ticket in confirmed.items())
    numbers = sorted(int(t.rsplit("-", 1)[1]) for t in rows)
    assert numbers == list(range(1, len(rows) + 1))  # still no gap, no repeat
    assert len(rows) >= 240
    wait_until_sent(storage, bots, len(rows))
    sent = notices(bots)
    assert set(sent) == set(rows)  # every ticket's staff notice, none lost
    repeated = {t for t in sent if sent.count(t) > 1}
    # at least once: a notice sent by the killed process but not yet marked sent goes
    # out again; only one it had claimed before the kill can be repeated
    first_sent = {}
    for record in bots.fake.messages_to(STAFF_CHAT):
        for t in NOTICE.findall(record.get("text") or ""):
            first_sent.setdefault(t, record["at"])
    assert all(first_sent[t] <= killed_at + 0.5 for t in repeated), repeated
    assert not repeated & set(tickets)  # the first 200 were sent once and only once
