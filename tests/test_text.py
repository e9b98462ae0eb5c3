import unicodedata

import pytest

from bot.text import clean, fold, has_marks, mask_personal, telex_candidates, tokens


def test_nfd_input_is_the_same_as_nfc():
    nfc = "Đăng ký khai sinh cho con"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert clean(nfd) == clean(nfc) == "đăng ký khai sinh cho con"


@pytest.mark.parametrize("old, new", [
    ("hòa", "hoà"), ("thủy", "thuỷ"), ("ủy ban", "uỷ ban"), ("khỏe", "khoẻ"),
    ("Hòa Bình", "Hoà Bình"), ("tùy", "tuỳ"), ("xòe", "xoè"),
])
def test_old_and_new_tone_placement_unify(old, new):
    assert clean(old) == clean(new)


@pytest.mark.parametrize("word", ["quý", "hoàng", "thuyền", "khuya", "của", "quả", "giá"])
def test_tone_placement_leaves_other_syllables_alone(word):
    assert clean(word) == word


def test_fold_removes_marks_and_d_stroke():
    assert fold("Đổi GIẤY PHÉP lái xe, đăng ký!") == "doi giay phep lai xe dang ky"
    assert fold("ĐĂNG KÝ tạm trú?") == "dang ky tam tru"


def test_tokens_keep_both_forms():
    toks = tokens("Căn cước 2024")
    assert [t.exact for t in toks] == ["căn", "cước", "2024"]
    assert [t.plain for t in toks] == ["can", "cuoc", "2024"]
    assert toks[0].marked and not toks[2].marked
    assert has_marks("sổ đỏ") and not has_marks("so do")


@pytest.mark.parametrize("typed, meant", [
    ("kys", "ky"), ("ddang", "dang"), ("thuowngf", "thuong"), ("d9ang", "dang"),
    ("truwf", "tru"),
])
def test_telex_and_vni_leftovers(typed, meant):
    assert meant in telex_candidates(typed)


def test_personal_numbers_are_masked():
    text = "SĐT 0912 345 678, CCCD 001203004567, gọi +84912345678"
    masked = mask_personal(text)
    assert "0912 345 678" not in masked and "001203004567" not in masked
    assert "912345678" not in masked
    assert masked.count("678") == 2 and "567" in masked
    assert mask_personal("ngày 15/7/2025, 10 ngày") == "ngày 15/7/2025, 10 ngày"
