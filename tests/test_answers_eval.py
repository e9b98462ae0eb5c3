"""Specific questions (tests/data/answers_dev.tsv): does the real reply state the fact
that was asked? The set was written by a helper who had not seen the knowledge; its
twin, answers_blind.tsv, is never read by the tests (bench/answers.py --set blind
reports it). bench/answers.py prints the same figures per writing style."""

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import answers as bench_answers  # noqa: E402

ROWS = bench_answers.read(bench_answers.SETS["dev"])


@pytest.fixture(scope="module")
def results(knowledge, matcher):
    return bench_answers.evaluate(ROWS, knowledge, matcher)


def test_dev_set_is_well_formed(knowledge):
    assert len(ROWS) >= 300
    for row in ROWS:
        assert all(i in knowledge.entries for i in row.ids), row.ids
        assert row.style in {"plain", "diacritics", "casual", "long", "regional"}
    procedures = {e.id for e in knowledge.entries.values() if e.kind == "procedure"}
    asked = Counter(i for row in ROWS for i in row.ids)
    assert all(asked[p] >= 3 for p in procedures), [p for p in procedures if asked[p] < 3]


def test_most_replies_state_the_fact_asked(results):
    # 16% of replies answered the specific question before answer items; now about 97%
    # (in-sample: items were written from its misses)
    summary = bench_answers.summary(results)
    assert summary["stated"] >= 0.93, summary
    assert summary["top3"] >= 0.95, summary


def test_a_reply_led_by_an_answer_item_states_the_fact_most_of_the_time(results):
    assert bench_answers.summary(results)["stated_when_item"] >= 0.93


@pytest.mark.parametrize("name, floor", [
    # written blind, each measured once on arrival (reported in bench/RESULTS.md), then
    # development sets with a floor a little under their figure of session 9
    ("dev2", 0.74),    # session 8: 48.0% on arrival; 77.0% in session 9
    ("blind", 0.87),   # session 6 blind set: 89.9% in session 9
    ("blind2", 0.83),  # session 7 blind set: 86.4% in session 9
    ("blind3", 0.77),  # session 8 blind set: 65.5% when run once; 80.9% in session 9
])
def test_the_consumed_sets_keep_their_figure(knowledge, matcher, name, floor):
    rows = bench_answers.read(bench_answers.SETS[name])
    assert len(rows) >= 160
    assert all(i in knowledge.entries for row in rows for i in row.ids)
    summary = bench_answers.summary(bench_answers.evaluate(rows, knowledge, matcher))
    assert summary["stated"] >= floor, summary


@pytest.mark.parametrize("reply, facts, expected", [
    ("Lệ phí 8.000 đồng một bản.", "8000 đồng", True),
    ("Le phi 8,000 dong", "8.000 đồng", True),
    ("Trong 60 ngày kể từ ngày sinh.", "30 ngày | 60 ngày && ngày sinh", True),
    ("Trong 60 ngày.", "60 ngày && không bị phạt", False),
])
def test_facts_are_matched_folded_with_alternatives_and_groups(reply, facts, expected):
    assert bench_answers.states(reply, facts) is expected
