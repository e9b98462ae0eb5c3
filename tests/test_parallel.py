"""The forked index build (bot/matcher/parallel.py)."""

import logging
import os
import threading

from bot import knowledge as kb
from bot.matcher import Matcher, parallel


def test_two_process_build_gives_the_same_index(monkeypatch):
    knowledge = kb.load()
    serial = Matcher(knowledge)
    monkeypatch.setattr(parallel, "PARALLEL_AT", 10)  # fork even for 62 entries
    forked = Matcher(knowledge)
    assert [(d.entry.id, d.texts, d.where, d.exact, d.fillers) for d in serial.docs] == \
        [(d.entry.id, d.texts, d.where, d.exact, d.fillers) for d in forked.docs]
    assert forked.postings == serial.postings
    assert len(serial.docs) == len(knowledge.entries) + len(knowledge.uncovered)
    question = "lam lai can cuoc bi mat o dau"
    assert forked.match(question).hits == serial.match(question).hits


def test_forked_helper_returns_its_result_or_none_and_is_reaped():
    child = parallel._fork(sorted, [3, 1, 2])
    assert child is not None
    try:
        assert child.result() == [1, 2, 3]
    finally:
        child.close()
    failing = parallel._fork(lambda x: 1 / x, 0)  # the child raises: no result
    try:
        assert failing.result() is None
    finally:
        failing.close()
    slow = parallel._fork(lambda s: __import__("time").sleep(s), 30)
    try:
        assert slow.result(timeout=0.2) is None  # too slow: given up, then killed
    finally:
        slow.close()
    out = []  # a reload in a worker thread builds in one process
    worker = threading.Thread(target=lambda: out.append(parallel._fork(len, [1])))
    worker.start()
    worker.join()
    assert out == [None]


def test_map_halves_forks_only_from_the_threshold(monkeypatch):
    calls = []  # what the parent itself computed

    def work(part):
        calls.append(list(part))
        return [x * 2 for x in part]

    monkeypatch.setattr(parallel, "PARALLEL_AT", 4)
    assert parallel.map_halves(work, [1, 2, 3]) == [2, 4, 6] and calls == [[1, 2, 3]]
    calls.clear()
    assert parallel.map_halves(work, [1, 2, 3, 4, 5]) == [2, 4, 6, 8, 10]
    assert calls == [[1, 2]]  # the child did 3, 4, 5


def test_map_halves_does_the_childs_half_when_the_child_fails(monkeypatch, caplog):
    parent = os.getpid()

    def work(part):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return [x + 1 for x in part]

    monkeypatch.setattr(parallel, "PARALLEL_AT", 2)
    with caplog.at_level(logging.WARNING, logger="bot.matcher"):
        assert parallel.map_halves(work, [1, 2, 3, 4]) == [2, 3, 4, 5]
    assert [r.name for r in caplog.records if "helper process failed" in r.message] == \
        ["bot.matcher"]


def test_map_halves_checks_the_childs_result(monkeypatch):
    parent = os.getpid()

    def work(part):  # the child returns one result too few
        return [x for x in part][:-1] if os.getpid() != parent else list(part)

    monkeypatch.setattr(parallel, "PARALLEL_AT", 2)
    assert parallel.map_halves(work, [1, 2, 3, 4]) == [1, 2, 3, 4]
