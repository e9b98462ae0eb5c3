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


def test_accuracy_floors(results):
    inscope = [(row, m) for row, m in results if row[0] != "-"]
    outscope = [(row, m) for row, m in results if row[0] == "-"]
    top1 = sum(bool(m.hits) and m.hits[0].entry.id == row[0] for row, m in inscope)
    confident_wrong = sum(m.status == "answer" and m.hits[0].entry.id != row[0]
                          for row, m in inscope)
    rejected = sum(m.status == "unknown" for _, m in outscope)
    assert top1 / len(inscope) >= 0.90
    assert confident_wrong / len(inscope) <= 0.03
    assert rejected / len(outscope) >= 0.85


def test_out_of_scope_never_gets_a_procedure_answer(results):
    wrong = [row[3] for row, m in results
             if row[0] == "-" and m.status == "answer" and m.hits[0].entry.kind == "procedure"]
    assert len(wrong) <= 2, wrong
