"""The public eval set (tests/data/eval.tsv): coverage of every topic and accuracy floors.

The set was written without looking at the knowledge aliases; later work keeps growing
it. bench/accuracy.py prints the same figures per writing style.
"""

from collections import Counter
from pathlib import Path

import pytest

EVAL = Path(__file__).parent / "data" / "eval.tsv"
ROWS = [line.split("\t", 3) for line in EVAL.read_text(encoding="utf-8").splitlines()[1:]
        if line.strip()]
STYLES = {"diacritics", "plain", "typo", "abbrev", "regional", "long", "keyword", "oldtone"}
ASPECTS = {"-", "documents", "fee", "time", "place", "online", "legal"}


@pytest.fixture(scope="module")
def results(matcher):
    return [(row, matcher.match(row[3])) for row in ROWS]


def test_eval_file_is_well_formed(knowledge):
    assert len(ROWS) >= 500
    for expected, aspect, style, question in ROWS:
        assert expected == "-" or expected in knowledge.entries, expected
        assert aspect in ASPECTS and style in STYLES and question.strip()
    counts = Counter(row[0] for row in ROWS)
    assert counts["-"] >= 60
    assert set(knowledge.entries) <= set(counts), "every entry has eval questions"


def test_every_topic_is_found_from_three_wordings(results, knowledge):
    found = Counter()
    for (expected, _, _, _), match in results:
        if expected != "-" and match.status != "unknown" and \
                expected in [h.entry.id for h in match.hits[:3]]:
            found[expected] += 1
    weak = {entry_id: found[entry_id] for entry_id in knowledge.entries if found[entry_id] < 3}
    assert not weak, weak


def rates(rows, matches):
    inscope = [(row, m) for row, m in zip(rows, matches) if row[0] != "-"]
    outscope = [m for row, m in zip(rows, matches) if row[0] == "-"]
    top1 = [bool(m.hits) and m.hits[0].entry.id == row[0] for row, m in inscope]
    wrong = sum(m.status == "answer" and m.hits[0].entry.id != row[0] for row, m in inscope)
    styles = {}
    for (row, _), ok in zip(inscope, top1):
        styles.setdefault(row[2], []).append(ok)
    return (sum(top1) / len(inscope), wrong / len(inscope),
            sum(m.status == "unknown" for m in outscope) / len(outscope),
            {style: sum(oks) / len(oks) for style, oks in styles.items()})


def test_accuracy_floors(results):
    # the floors: top-1 90%, confident-wrong 3%, no style under 80%, rejection 90%
    top1, wrong, rejected, styles = rates(*zip(*results))
    assert top1 >= 0.90 and wrong <= 0.03 and rejected >= 0.90
    assert min(styles.values()) >= 0.80, styles


@pytest.mark.parametrize("name", ["eval_holdout.tsv", "eval_holdout2.tsv"])
def test_floors_on_blind_sets(matcher, name):
    # written by helpers who saw only entry titles, then used as development sets
    # (their misses pointed at general gaps); lower floors than the public set.
    # eval_holdout3.tsv stays out of the tests and out of development: the final check.
    rows = [line.split("\t", 3) for line in
            (EVAL.parent / name).read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    top1, wrong, rejected, _ = rates(rows, [matcher.match(row[3]) for row in rows])
    assert top1 >= 0.85 and wrong <= 0.05 and rejected >= 0.90


def test_out_of_scope_never_gets_a_procedure_answer(results):
    wrong = [row[3] for row, m in results
             if row[0] == "-" and m.status == "answer" and m.hits[0].entry.kind == "procedure"]
    assert len(wrong) <= 2, wrong
