"""Typo repair (bot/matcher/typos.py), alone on a hand-made vocabulary and inside the
matcher on the bundled knowledge."""

from tinykb import tiny_knowledge

from bot.matcher import Analyzer, Term
from bot.matcher.typos import CORRECTED, TypoRepair, _dropped_letter
from bot.text import tokens

VOCABULARY = {"bang", "bao", "bai", "lai", "khai", "sinh", "ho", "tich"}
IDF = {"bang": 2.0, "bao": 0.5, "bai": 1.5, "lai": 1.0, "khai": 2.0, "sinh": 2.0, "ho": 1.0,
       "tich": 2.5, "bang_lai": 2.0, "bao_lai": 3.0, "bai_lai": 3.0, "khai_sinh": 2.0,
       "ho_tich": 2.5}


def hand_made() -> TypoRepair:
    pairs = [f.split("_") for f in IDF if "_" in f]
    return TypoRepair(set(VOCABULARY), VOCABULARY, pairs, IDF, 3.0, VOCABULARY)


def terms(text):
    return [Term(t.exact, t.plain, marked=t.exact != t.plain) for t in tokens(text)]


def test_dropped_letter():
    assert _dropped_letter("bag", "bang") and _dropped_letter("ang", "bang")
    assert not _dropped_letter("bang", "bag") and not _dropped_letter("bao", "bang")


def test_in_context_prefers_a_dropped_letter_then_the_commoner_syllable():
    repair = hand_made()
    # "bag" is one edit from "bang", "bao" and "bai", and all go before "lai":
    # a letter left out is the likelier typo, though "bao" is commoner
    assert repair.in_context("bag", "", "lai") == "bang"
    assert repair.in_context("bax", "", "lai") == "bao"  # "bao", "bai": the commoner
    assert repair.in_context("bag", "", "sinh") is None  # no known pair with "sinh"


def test_split_needs_a_known_pair():
    repair = hand_made()
    assert repair.split("khaisinh") == ["khai", "sinh"]
    assert repair.split("sinhkhai") is None  # both known, but never a pair


def test_nearest_is_one_edit_from_four_letters_two_from_eight():
    repair = hand_made()
    assert repair.nearest("sinhh") == "sinh"
    assert repair.nearest("tichh") == "tich"
    assert repair.nearest("sih") is None  # too short to guess
    assert repair.nearest("zzzz") is None


def test_repair_fixes_telex_run_together_and_typos_with_less_credit(matcher):
    fixed = matcher.repair(terms("ddang kys khaisinh"))
    assert [(t.plain, t.credit) for t in fixed] == [
        ("dang", 1.0), ("ky", 1.0), ("khai", CORRECTED), ("sinh", CORRECTED)]
    assert [t.plain for t in hand_made()(terms("bag lai"))] == ["bang", "lai"]


def test_repair_leaves_known_short_numeric_and_real_syllables_alone():
    repair = hand_made()
    text = terms("xoong bang 123 ab")  # "xoong" is Vietnamese, only not in the knowledge
    assert hand_made()(text) == text
    assert repair(terms("bao")) == terms("bao")


def test_for_index_never_repairs_into_stop_or_off_topic_words():
    knowledge = tiny_knowledge([], stopwords=["thì"], off_topic=["bóng đá"])
    analyzer = Analyzer(knowledge)
    repair = TypoRepair.for_index(analyzer, {"khai", "sinh"}, {"khai": 1.0, "sinh": 1.0,
                                                                "khai_sinh": 1.0}, 1.0)
    assert {"thi", "bong", "da", "khai", "sinh"} <= repair.known  # left as they are
    assert "thi" not in repair.targets and "bong" not in repair.targets
    assert "khai" in repair.targets and repair.right_of["khai"] == {"sinh"}


def test_synonym_variants_are_known_pairs_for_repair():
    knowledge = tiny_knowledge([], synonyms=[["giấy phép lái xe", "bằng lái"]])
    repair = TypoRepair.for_index(Analyzer(knowledge), set(), {}, 1.0)
    assert "lai" in repair.right_of["bang"]
    assert [t.plain for t in repair(terms("bằg lái"))] == ["bang", "lai"]


def test_words_of_procedures_not_guided_are_left_as_typed(matcher):
    """ "ốm" is a word only of a procedure the knowledge names but does not guide
    ("Hưởng chế độ ốm đau"): it is no typo of "ở" next to "đâu" ("ở đâu"), and the
    question is told which procedure that is, not given the maternity card."""
    assert [t.exact for t in matcher.terms("chế độ ốm đau")] == ["chế", "độ", "ốm", "đau"]
    match = matcher.match("chế độ ốm đau bảo hiểm xã hội nghỉ bao nhiêu ngày thì được hưởng")
    assert match.status == "unknown" and match.hits[0].entry.kind == "uncovered"


def test_for_index_keeps_the_words_set_aside_without_repairing_into_them():
    knowledge = tiny_knowledge([])
    repair = TypoRepair.for_index(Analyzer(knowledge), {"khai", "sinh"},
                                  {"khai": 1.0, "sinh": 1.0, "khai_sinh": 1.0}, 1.0,
                                  aside={"karaoke"})
    assert "karaoke" in repair.known and "karaoke" not in repair.targets
