"""The console's parts without a browser: filters read from a query, questions grouped by
similarity, draft answer items, charts that escape their labels."""

import yaml

from bot import reports
from bot.console import charts, filters, insights
from bot.storage import Storage


def test_filters_keep_only_known_values():
    titles = {"khai-sinh": "Đăng ký khai sinh"}
    chosen = filters.read({"trang_thai": "answered", "loai": "' or 1=1 --",
                           "thu_tuc": "khai-sinh", "kenh": "zalo", "han": "tre",
                           "ky": "2026Q3"}, titles)
    assert (chosen.status, chosen.category, chosen.procedure, chosen.channel,
            chosen.deadline) == ("answered", "", "khai-sinh", "zalo", "tre")
    assert chosen.notes == ["Một bộ lọc không hợp lệ đã được bỏ qua."]
    assert (chosen.since, chosen.until) == reports.period(quarter="2026Q3")[:2]
    assert chosen.title == "Quý 3/2026" and chosen.query()["ky"] == "2026Q3"
    dates = filters.read({"tu": "2026-01-05", "den": "2026-02-01", "ky": "2026Q3"}, titles)
    assert dates.period == "" and dates.since == reports.period(start="2026-01-05")[0]
    bad = filters.read({"ky": "2026Q9", "tu": "<script>"}, titles)
    assert bad.since is None and bad.title == "Tất cả thời gian"
    assert bad.label == reports.period()[2]  # the command line's words, in the files
    assert len(bad.notes) == 2
    assert filters.read({}, titles, default_period="2026Q1").title == "Quý 1/2026"
    assert filters.read({"ky": ""}, titles, default_period="2026Q1").since is None


def test_unanswered_questions_are_grouped_by_similarity(tmp_path, knowledge):
    storage = Storage(tmp_path / "q.db")
    for text in ("nuôi rồng ở ban công có cần xin phép không",
                 "nuoi rong o ban cong co can xin phep khong",
                 "có cần xin phép nuôi rồng ở ban công không",
                 "Nuôi rồng ở ban công có cần xin phép không",
                 "trợ cấp cho người chăm sóc người khuyết tật nặng nhận ở đâu",
                 "tro cap nguoi cham soc nguoi khuyet tat",
                 # one word apart, and that word is the question: never one group
                 "làm khai sinh ở đâu", "làm khai tử ở đâu",
                 "đăng ký nuôi chó có cần không", "đăng ký nuôi mèo có cần không"):
        storage.log_question("telegram", text, "unknown", None, None, None)
    storage.log_question("telegram", "làm khai sinh", "answer", None, "khai-sinh", 0.9)
    groups = insights.unanswered_groups(storage, knowledge)
    assert [g.count for g in groups] == [4, 2, 1, 1, 1, 1]
    assert groups[0].title == "nuôi rồng ở ban công có cần xin phép không"
    # each form once (capitals aside), the most asked first
    assert groups[0].texts["nuôi rồng ở ban công có cần xin phép không"] == 2
    assert len(groups[0].examples()) == 3
    assert len(groups[1].examples()) == 2  # the longer way of asking joined the shorter
    assert {g.title for g in groups[2:]} == {"làm khai sinh ở đâu", "làm khai tử ở đâu",
                                             "đăng ký nuôi chó có cần không",
                                             "đăng ký nuôi mèo có cần không"}


def test_a_draft_answer_item_is_yaml_that_the_knowledge_can_take(knowledge):
    snippet, problems = insights.draft_item(
        knowledge, "khai-sinh", "", ["khai sinh cho con ở nước ngoài về thì làm ở đâu",
                                     "  con sinh ở nước ngoài  "],
        "Đăng ký tại UBND cấp xã nơi cư trú.\n", "", "Lan\n# injected")
    assert problems == []
    lines = snippet.splitlines()
    assert all(line.startswith("#") for line in lines[:3]) and "injected" in lines[0]
    [item] = yaml.safe_load(snippet)
    assert item["id"] == "khai-sinh-cho-con-o-nuoc-ngoai-ve-thi"  # whole words
    assert item["questions"][1] == "con sinh ở nước ngoài"
    assert item["source"].startswith("VÍ DỤ:")  # never an invented legal basis
    taken = insights.draft_item(knowledge, "khai-sinh", "tre-han", ["q"], "a", "Luật", "Lan")
    assert yaml.safe_load(taken[0])[0]["id"] == "tre-han-2"  # an id the entry has is not reused
    _, problems = insights.draft_item(knowledge, "khong-co", "", [], " ", "", "Lan")
    assert len(problems) == 3


def test_charts_escape_their_labels_and_say_when_empty():
    svg = charts.bars([("<script>alert(1)</script>", 3, 1), ("Zalo", 0, 0)], "T & <b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "T &amp; &lt;b&gt;" in svg
    assert svg.count("<rect") == 4  # total + part of one row, and the two keys
    assert "Chưa có" in charts.bars([], "x") and "Chưa có" in charts.columns([], "x")
    days = charts.columns([("01/07", 2), ("02/07", 0), ("03/07", 5)], "Câu hỏi")
    assert days.count("<rect") == 3 and ">5<" in days
