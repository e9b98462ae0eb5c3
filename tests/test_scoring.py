"""Scoring (bot/matcher/scoring.py): query weights, matched features, the entry score
and the answer/suggest/unknown decision."""

import math

import pytest

from bot.knowledge import Entry
from bot.matcher.scoring import (ANSWER_AT, FOREIGN, HINT_AT, MARGIN, MISMARKED, SUGGEST_AT,
                                 UNKNOWN, UNKNOWN_PAIR, UNPAIRED, Doc, Hit, decide, entry_score,
                                 matched_features, query_weights)


def test_scores_are_calibrated_between_zero_and_one(matcher):
    for q in ("khai sinh", "a", "đăng ký", "xyz qwe", "đăng ký khai sinh cho con mới sinh"):
        for hit in matcher.match(q).hits:
            assert 0 <= hit.score <= 1


def hits(*scores):
    entry = Entry("x", "faq", "X", {})
    return [Hit(entry, s) for s in scores]


def test_thresholds_are_ordered():
    # read from the fitted model (bot/matcher/entry_model.json, bench/fit_entries.py)
    assert 0 < HINT_AT < SUGGEST_AT < ANSWER_AT < 1 and 0 <= MARGIN < 1


@pytest.mark.parametrize("scores, status", [
    ((), "unknown"),
    ((SUGGEST_AT - 0.01,), "unknown"),  # the boundaries follow the fitted thresholds
    ((SUGGEST_AT,), "suggest"),
    ((ANSWER_AT - 0.01,), "suggest"),
    ((ANSWER_AT,), "answer"),
    ((ANSWER_AT, ANSWER_AT - MARGIN / 2), "suggest" if MARGIN else "answer"),
    ((ANSWER_AT, ANSWER_AT - MARGIN - 0.01), "answer"),
    ((1.0, 0.5), "answer"),
])
def test_decide(scores, status):
    assert decide(hits(*scores)) == status


def test_a_long_message_answers_from_its_own_threshold():
    from bot.matcher.scoring import ANSWER_AT_LONG, MARGIN_LONG
    assert ANSWER_AT <= ANSWER_AT_LONG < 1 and 0 <= MARGIN_LONG < 1
    assert decide(hits(ANSWER_AT_LONG), long=True) == "answer"
    if ANSWER_AT_LONG > ANSWER_AT:  # sure enough for a short question, not for a story
        between = (ANSWER_AT + ANSWER_AT_LONG) / 2
        assert decide(hits(between)) == "answer"
        assert decide(hits(between), shown=1.0, long=True) == "suggest"


def test_query_weights():
    feats = {"khai": (1.0, 1.0, ("khai",)), "sinh": (0.25, 1.0, ("sinh",)),
             "xoong": (1.0, 1.0, ("xoong",)), "facebook": (1.0, 1.0, ("facebook",)),
             "khai_xoong": (1.0, 1.0, ("khai", "xoong")), "sinh_khai": (1.0, 1.0, ("sinh", "khai"))}
    idf = {"khai": 2.0, "sinh": 3.0}
    weights = query_weights(feats, idf, 4.0, {"khai", "sinh"})
    assert weights["khai"] == 2.0 and weights["sinh"] == 0.75
    assert weights["xoong"] == pytest.approx(4.0 * UNKNOWN)  # unknown, but Vietnamese
    assert weights["facebook"] == pytest.approx(4.0 * UNKNOWN * FOREIGN)
    assert weights["khai_xoong"] == pytest.approx(4.0 * UNKNOWN * UNKNOWN_PAIR)
    assert "sinh_khai" not in weights  # known syllables the knowledge never puts together


def test_matched_features_credit_less_for_other_diacritics():
    doc = Doc(Entry("ban", "faq", "Bán", {}), exact={"ban": ("bán",), "sao": {("sao",), ("sáo",)}})
    wanted = [("ban", 1.0, ("bản",), True), ("sao", 0.75, ("sáo",), True),
              ("khai", 1.0, ("khai",), False)]
    assert matched_features(doc, wanted) == {"ban": MISMARKED, "sao": 0.75}
    assert matched_features(doc, [("ban", 1.0, ("ban",), False)]) == {"ban": 1.0}


def doc_of(*features):
    text = (tuple(features), (1.0,) * len(features))  # one text: names, weight factors
    return Doc(Entry("e", "faq", "E", {}), texts=[text], where={f: [(0, 1.0)] for f in features})


def test_entry_score_is_one_for_a_full_match_and_less_without_a_pair():
    idf = {"a": 5.0, "b": 5.0, "a_b": 5.0}
    full = {"a": 1.0, "b": 1.0, "a_b": 1.0}
    weights = dict(idf)
    assert entry_score(doc_of("a", "b", "a_b"), full, weights, 15.0, 1.0, idf) == 1.0
    single = {"a": 1.0, "b": 1.0}
    assert entry_score(doc_of("a", "b"), single, {"a": 5.0, "b": 5.0}, 10.0, 1.0, idf) == \
        UNPAIRED


def test_entry_score_shrinks_on_thin_evidence():
    idf = {"a": 1.0, "b": 1.0}
    score = entry_score(doc_of("a", "b"), {"a": 1.0, "b": 1.0}, dict(idf), 2.0, 1.0, idf)
    assert score == round(UNPAIRED * math.sqrt(2.0 / 6.0), 4)


def test_entry_score_of_a_partial_match_blends_question_and_text_coverage():
    idf = {"a": 5.0, "b": 5.0, "c": 5.0, "a_b": 5.0}
    doc = doc_of("a", "b", "c", "a_b")  # the entry has a word the question lacks
    got = entry_score(doc, {"a": 1.0, "b": 1.0, "a_b": 1.0}, {"a": 5.0, "b": 5.0, "a_b": 5.0},
                      15.0, 1.0, idf)
    assert got == round(0.7 * (15 / 20) ** 0.6 + 0.3, 4)
    assert doc.totals == [20.0]  # each text's weight, kept from the first scoring
