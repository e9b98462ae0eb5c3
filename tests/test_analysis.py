"""Text analysis (bot/matcher/analysis.py): sentences, terms, features, off-topic words."""

import pytest

from bot.knowledge import Knowledge
from bot.matcher.analysis import (CONTEXT, WEAK, Analyzer, OffTopic, Term, accented, features,
                                  question_part, segments)
from bot.text import tokens


def test_a_marked_variant_needs_its_own_marks():
    a = Analyzer(Knowledge(root=None, synonyms=[["kết hôn", "cưới"]]))
    assert [t.plain for t in a.analyze("cưới vợ")[0]][:2] == ["ket", "hon"]
    assert [t.plain for t in a.analyze("cuoi vo")[0]][:2] == ["ket", "hon"]
    assert [t.plain for t in a.analyze("cười vui")[0]][:1] == ["cuoi"]


def test_a_rewritten_syllable_keeps_its_marks_in_the_second_rewrite():
    # "hs" -> "hồ sơ" first; then "nộp hồ" is not "nộp hộ" (ủy quyền)
    a = Analyzer(Knowledge(root=None, synonyms=[["hồ sơ", "hs"], ["ủy quyền", "nộp hộ"]]))
    assert [t.exact for t in a.analyze("nộp hs trực tuyến")[0]][:3] == ["nộp", "hồ", "sơ"]


def test_a_preferred_form_is_a_stop_word_only_with_its_own_marks():
    # "mới" folds to "moi" as "mọi" does, "vợ" to "vo" as "vô": they stay words
    a = Analyzer(Knowledge(root=None, synonyms=[["mới", "ms"], ["vợ", "vk"]],
                           stopwords=["mọi", "vô"]))
    assert [t.stop for t in a.analyze("ms vk")[0]] == [False, False]


def test_unmarked_syllable_in_an_accented_message_is_meant_as_written(matcher):
    def exacts(text):
        toks, _ = matcher.analyzer.analyze(text, repair=matcher.repair)
        return [t.exact for t in toks]
    assert "xã" not in exacts("Tôi ở xa không về quê được thì làm sao")  # far away
    assert "xã" in exacts("nop ho so o xa nao")  # typed without marks: may be xã
    assert "thường" in exacts("Tôi muốn đăng ký ho khau cho con")  # a forgotten mark


def test_no_syllable_pair_across_sentences(matcher):
    toks, _ = matcher.analyzer.analyze("Con tôi 5 tuổi. Cho em hỏi làm căn cước",
                                       repair=matcher.repair)
    feats = features(toks)
    assert "tuoi_can" not in feats and "can_cuoc" in feats


@pytest.mark.parametrize("text, parts", [
    ("Con tôi 5 tuổi. Cho em hỏi làm căn cước", ["Con tôi 5 tuổi.", "Cho em hỏi làm căn cước"]),
    ("nhà em ở TP. HCM thì nộp ở đâu", ["nhà em ở TP. HCM thì nộp ở đâu"]),
    ("ba em mất rồi cho em hỏi khai tử", ["ba em mất rồi ", "cho em hỏi khai tử"]),
    ("khai sinh?\nkết hôn", ["khai sinh?", "kết hôn"]),
    ("", [""]),
])
def test_segments_cut_at_sentence_ends_and_asking_phrases(text, parts):
    assert segments(text) == parts


def test_question_part_is_the_last_with_a_question_mark_then_an_asking_phrase():
    assert question_part(["Cho em hỏi a", "b?", "c"]) == 1
    assert question_part(["a", "cho em hỏi b", "c"]) == 1
    assert question_part(["a", "b"]) == 1


def test_accented_needs_enough_marked_syllables():
    def pairs(text):
        return [(t.exact, t.plain) for t in tokens(text)]
    assert accented(pairs("đăng ký kết hôn"))
    assert not accented(pairs("dang ky ket hon"))
    assert not accented(pairs("đăng ký"))  # too short to tell
    assert not accented(pairs("đăng ky ket hon 2024"))  # digits do not count; 1 of 4 marked


def test_features_weigh_cues_context_and_skip_stop_words():
    terms = [Term("bao", "bao", weak=True, cue=True), Term("nhiêu", "nhieu", weak=True, cue=True),
             Term("tiền", "tien"), Term("à", "a", stop=True),
             Term("khai", "khai", start=True, context=True), Term("sinh", "sinh", credit=0.75)]
    feats = features(terms)
    assert feats["bao"][0] == WEAK and feats["bao_nhieu"][0] == WEAK
    assert feats["nhieu_tien"][0] == WEAK  # a cue word weakens its pair
    assert feats["tien"] == (1.0, 1.0, ("tiền",))
    assert "a" not in feats and "tien_khai" not in feats  # a stop word; a new sentence
    assert feats["khai"][0] == CONTEXT and feats["khai_sinh"] == (CONTEXT, 0.75, ("khai", "sinh"))


def test_a_feature_seen_twice_keeps_its_stronger_factor():
    feats = features([Term("xã", "xa", weak=True), Term("ở", "o", stop=True),
                      Term("xã", "xa", start=True)])
    assert feats["xa"][0] == 1.0


def test_the_whole_text_of_stop_words_is_kept_as_filler():
    a = Analyzer(Knowledge(root=None, stopwords=["bạn", "là", "ai"]))
    terms, _ = a.analyze("bạn là ai")
    assert [(t.stop, t.filler) for t in terms] == [(False, True)] * 3
    terms, _ = a.analyze("bạn là ai khai sinh")
    assert [t.stop for t in terms] == [True, True, True, False, False]


def test_off_topic_hits_need_marks_for_an_ambiguous_syllable():
    phrases = {}
    for p in ("lãi", "bóng đá"):
        phrase = tuple(tokens(p))
        phrases.setdefault(phrase[0].plain, []).append(phrase)
    detector = OffTopic(phrases, ambiguous={"lai"})

    def hits(text):
        return detector.hits([Term(t.exact, t.plain, marked=t.exact != t.plain)
                              for t in tokens(text)])
    assert hits("lãi thẻ") == {0}
    assert hits("lai the") == set()  # folded "lai" is also "lại"
    assert hits("xem bong da") == {1, 2}
    assert hits("xem bông dạ") == set()  # typed with other marks: another word


def test_an_off_topic_phrase_inside_a_longer_one_the_knowledge_writes_is_no_hit():
    """The knowledge writes "giới hạn mức" (a cap): in a question, its "hạn mức" (a
    bank's credit line) is that word cut differently; alone it is still off-topic."""
    phrase = tuple(tokens("hạn mức"))
    written = [[Term(t.exact, t.plain) for t in tokens("lương cao có bị giới hạn mức tối đa")]]
    detector = OffTopic({phrase[0].plain: [phrase]}, ambiguous=set(), written=written)
    without = OffTopic({phrase[0].plain: [phrase]}, ambiguous=set())

    def hits(found, text):
        return found.hits([Term(t.exact, t.plain, marked=t.exact != t.plain)
                           for t in tokens(text)])
    assert hits(without, "trợ cấp có bị giới hạn mức không") == {5, 6}
    assert hits(detector, "trợ cấp có bị giới hạn mức không") == set()
    assert hits(detector, "hạn mức thẻ tín dụng là bao nhiêu") == {0, 1}
    assert hits(detector, "tăng hạn mức vay") == {1, 2}


@pytest.mark.parametrize("question, words", [
    ("vợ chồng tui muốn bỏ nhau", "ly hon"),                  # Southern for divorce
    ("rút bảo hiểm ra một cục được hông", "mot lan"),          # a lump sum
    ("xin giấy chưa có vợ ở xã", "tinh trang hon nhan"),      # the single-status paper
])
def test_regional_and_plain_words_read_as_the_knowledge_writes_them(matcher, question, words):
    assert words in " ".join(t.plain for t in matcher.terms(question))
