"""motcua validate: every kind of problem is reported as file:line: field: message."""

import shutil
import textwrap
from pathlib import Path

import pytest

from bot import knowledge as kb
from bot.cli import main

OFFICE = 'name: "Trung tâm Phục vụ hành chính công phường Mẫu"\nhotline: "18001096"\n'
GOOD = """\
entries:
  - id: mau-thu-tuc
    kind: procedure
    title: Thủ tục mẫu
    field: Hộ tịch
    aliases: [thủ tục thử]
    agency: UBND cấp xã
    level: cấp xã
    documents: [Tờ khai]
    processing_time: 1 ngày làm việc
    fee: Miễn phí
    submit: Trung tâm Phục vụ hành chính công cấp xã
    online: {available: true, level: một phần}
    legal_basis: [Luật Hộ tịch 2014]
    contacts: [noi-nop]
    sources: [https://dichvucong.gov.vn]
  - id: noi-nop
    kind: contact
    title: Nơi nộp mẫu
    aliases: [nơi nộp]
    summary: Nơi nhận hồ sơ.
    sources: [Nghị định 118/2025/NĐ-CP]
"""


def make(tmp_path: Path, entries: str, office: str = OFFICE) -> Path:
    root = tmp_path / "knowledge"
    root.mkdir()
    (root / "office.yaml").write_text(office, encoding="utf-8")
    (root / "synonyms.yaml").write_text("groups:\n  - [căn cước, cccd]\n", encoding="utf-8")
    (root / "entries.yaml").write_text(textwrap.dedent(entries), encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    return [str(p) for p in kb.load(root).problems]


def test_good_folder_has_no_problem(tmp_path):
    root = make(tmp_path, GOOD)
    assert problems(root) == []
    assert main(["validate", str(root)]) == 0


def test_bundled_knowledge_validates(capsys):
    assert main(["validate"]) == 0
    knowledge = kb.load()
    kinds = {e.kind for e in knowledge.entries.values()}
    assert kinds == set(kb.KINDS) - {"uncovered"}  # those are set aside, not entries
    assert {e.kind for e in knowledge.uncovered.values()} == {"uncovered"}
    assert not set(knowledge.uncovered) & set(knowledge.entries)
    assert all(e.data.get("sources") for e in
               [*knowledge.entries.values(), *knowledge.uncovered.values()])


def test_malformed_yaml_gives_line_and_column(tmp_path, capsys):
    root = make(tmp_path, GOOD.replace("    fee: Miễn phí", "    fee: [Miễn phí"))
    found = problems(root)
    assert len(found) == 1
    assert found[0].startswith("knowledge/entries.yaml:")
    line = int(found[0].split(":")[1])
    text = (root / "entries.yaml").read_text(encoding="utf-8").splitlines()
    assert text[line - 1].strip() == "fee: [Miễn phí"  # the line the bracket opened on
    assert f"yaml: dòng {line}, cột 10: thiếu dấu ']' đóng danh sách" in found[0]
    assert main(["validate", str(root)]) == 1
    assert "Traceback" not in capsys.readouterr().out


@pytest.mark.parametrize("old, new, expected", [
    ("    fee: Miễn phí\n", "    fee: Miễn phí\n    colour: red\n",
     "knowledge/entries.yaml:12: colour: unknown field"),
    ("    fee: Miễn phí\n", "", "knowledge/entries.yaml:2: fee: missing"),
    ("    documents: [Tờ khai]", "    documents: Tờ khai",
     "knowledge/entries.yaml:9: documents: must be a list of texts"),
    ("{available: true, level: một phần}", "{available: maybe}",
     "knowledge/entries.yaml:13: online.available: must be true or false"),
    ("    fee: Miễn phí", "    fee: ''", "knowledge/entries.yaml:11: fee: empty"),
    ("    documents: [Tờ khai]", "    documents: []",
     "knowledge/entries.yaml:9: documents: empty list"),
    ("    contacts: [noi-nop]", "    contacts: [khong-co]",
     "knowledge/entries.yaml:15: contacts: links to 'khong-co', which does not exist"),
    ("  - id: noi-nop", "  - id: mau-thu-tuc",
     "knowledge/entries.yaml:17: id: duplicate id 'mau-thu-tuc' (first in "
     "knowledge/entries.yaml:2)"),
    ("    kind: contact", "    kind: office",
     "knowledge/entries.yaml:18: kind: must be one of procedure, contact, guide, "
     "feedback_channel, faq, uncovered"),
    ("    fee: Miễn phí\n", "    fee: Miễn phí\n    fee: Có phí\n",
     "knowledge/entries.yaml:12: fee: field given twice"),
    ("    level: cấp xã", "    level: 3", "knowledge/entries.yaml:8: level: must be text"),
    ("{available: true, level: một phần}", "{available: true, level: nửa vời}",
     "knowledge/entries.yaml:13: online.level: must be one of toàn trình, một phần, không"),
])
def test_each_kind_of_error_is_located(tmp_path, old, new, expected):
    root = make(tmp_path, GOOD.replace(old, new, 1))
    found = problems(root)
    assert expected in found, found
    assert main(["validate", str(root)]) == 1


def test_many_problems_are_reported_at_once(tmp_path):
    broken = (GOOD.replace("    fee: Miễn phí\n", "")
              .replace("    documents: [Tờ khai]", "    documents: 5")
              .replace("    contacts: [noi-nop]", "    contacts: [khong-co]"))
    assert len(problems(make(tmp_path, broken))) == 3


def test_placeholder_office_data_is_a_warning_and_listed(tmp_path, capsys):
    office = OFFICE + ('offices:\n  - id: xa-mau\n    name: Trung tâm xã Mẫu\n    level: xã\n'
                       '    address: "VÍ DỤ: số nhà, đường"\n    phones: ["VÍ DỤ: 0xxx"]\n')
    root = make(tmp_path, GOOD, office)
    knowledge = kb.load(root)
    assert knowledge.errors == []
    assert [str(w) for w in knowledge.warnings] == [
        "knowledge/office.yaml:7: offices[0].address: warning: còn giá trị mẫu “VÍ DỤ:”, cần "
        "thay bằng thông tin thật của đơn vị",
        "knowledge/office.yaml:8: offices[0].phones: warning: còn giá trị mẫu “VÍ DỤ:”, cần "
        "thay bằng thông tin thật của đơn vị",
    ]
    assert main(["validate", str(root)]) == 0
    out = capsys.readouterr().out
    assert "1 errors" not in out
    assert "Còn 2 giá trị mẫu “VÍ DỤ:” cần điền:\n  knowledge/office.yaml: offices[0].address " \
        "(dòng 7), offices[0].phones (dòng 8)\n" in out


def test_office_contacts_of_earlier_versions_are_a_warning_naming_offices(tmp_path):
    office = OFFICE + 'address: "1 Đường Mẫu"\nphones: ["0280000001"]\nwebsite: "x.vn"\n'
    knowledge = kb.load(make(tmp_path, GOOD, office))
    assert knowledge.errors == []
    assert [str(w) for w in knowledge.warnings] == [
        f"knowledge/office.yaml:{n}: {key}: warning: không còn dùng ở đầu office.yaml, bot "
        f"không hiển thị: ghi vào mục `{item}` của trung tâm trong offices:"
        for n, key, item in ((3, "address", "address"), (4, "phones", "phones"),
                             (5, "website", "url"))]


def test_placeholders_are_never_shown(tmp_path):
    entries = GOOD.replace("    summary: Nơi nhận hồ sơ.",
                           '    summary: Nơi nhận hồ sơ.\n    address: "VÍ DỤ: số nhà"')
    knowledge = kb.load(make(tmp_path, entries))
    entry = knowledge.entries["noi-nop"]
    assert entry.data["address"].startswith("VÍ DỤ") and entry.get("address") is None


def test_missing_folder_and_defaults(tmp_path, monkeypatch):
    assert "not found" in problems(tmp_path / "nowhere")[0]
    root = make(tmp_path, GOOD)
    monkeypatch.setenv("MOTCUA_KNOWLEDGE", str(root))
    assert kb.resolve_dir() == root
    assert set(kb.load().entries) == {"mau-thu-tuc", "noi-nop"}


def test_bundled_folder_is_found_from_an_install(tmp_path):
    copy = tmp_path / "site" / "bot"
    shutil.copytree(Path(kb.__file__).parent, copy)
    shutil.copytree(kb.default_dir(), copy / "knowledge")
    assert (copy / "knowledge" / "office.yaml").is_file()


def test_placeholder_marker_needs_its_colon():
    assert kb.is_placeholder("VÍ DỤ: 0912")
    assert kb.is_placeholder("  ví dụ: số nhà")
    assert not kb.is_placeholder("Vì dùng giấy tờ điện tử nên không cần bản giấy")
    assert not kb.is_placeholder("Ví dụ như giấy khai sinh")


def test_offices_are_checked(tmp_path):
    office = OFFICE + ("offices:\n"
                       "  - id: xa-a\n    name: Trung tâm xã A\n    level: xã\n"
                       "    areas: [xã A, xã B cũ]\n"
                       "  - id: xa-a\n    name: Trung tâm tỉnh\n    level: huyện\n"
                       "  - {name: Không có id, level: tỉnh}\n")
    found = problems(make(tmp_path, GOOD, office))
    assert "knowledge/office.yaml:8: offices[1].id: duplicate office id 'xa-a'" in found
    assert "knowledge/office.yaml:10: offices[1].level: must be one of xã, tỉnh" in found
    assert "knowledge/office.yaml:11: offices[2].id: missing" in found
    assert not any("offices[0]" in p for p in found)


def test_huge_and_undecodable_files_are_clear_errors(tmp_path, monkeypatch):
    root = make(tmp_path, GOOD)
    (root / "big.yaml").write_text("entries: []\n" + "# filler\n" * 2000, encoding="utf-8")
    (root / "latin1.yaml").write_bytes("entries: [tiêu đề]".encode("cp1258", "replace")
                                       + b"\xff\xfe")
    monkeypatch.setattr(kb, "MAX_FILE_BYTES", 1000)
    found = problems(root)
    assert any(p.startswith("knowledge/big.yaml:1: file: tệp quá lớn") for p in found), found
    assert "knowledge/latin1.yaml:1: file: không đọc được: tệp không phải UTF-8, lưu lại với " \
        "bảng mã UTF-8" in found


ANSWERS = GOOD.replace("    contacts: [noi-nop]\n", """\
    contacts: [noi-nop]
    answers:
      - id: tre-han
        questions: [làm trễ có bị phạt không, quá hạn thì sao]
        answer: Không bị phạt. Quá hạn vẫn làm bình thường.
        source: Luật Hộ tịch 2014, Điều 16
      - id: tre-han
        questions: [câu hỏi thứ hai]
        answer: Một nguồn nói là có.
        source: Nghị định mẫu
      - id: thieu
        questions: [thiếu nguồn]
        answer: Có.
""", 1).replace("    summary: Nơi nhận hồ sơ.\n", """\
    summary: Nơi nhận hồ sơ.
    answers:
      - id: nho-nguoi-khac
        questions: [nhờ người khác đi nộp được không]
        answer: Được, nếu có giấy ủy quyền.
        source: Thông tư 04/2020/TT-BTP
        applies_to: [mau-thu-tuc, khong-co]
""", 1)


def test_answer_items_are_checked_with_their_lines(tmp_path):
    found = problems(make(tmp_path, ANSWERS))
    assert "knowledge/entries.yaml:21: answers[1].id: duplicate answer id 'tre-han' " \
        "(first at line 17)" in found
    assert any(p.startswith("knowledge/entries.yaml:23: answers[1].answer: 'một nguồn'")
               for p in found)
    assert "knowledge/entries.yaml:25: answers[2].source: missing" in found
    assert any("answers.applies_to: 'khong-co' does not exist" in p for p in found)


def test_answer_items_serve_their_entry_and_the_entries_they_apply_to(tmp_path):
    knowledge = kb.load(make(tmp_path, ANSWERS))
    keys = [a.key for a in knowledge.answers_for("mau-thu-tuc")]
    assert keys[0] == "mau-thu-tuc#tre-han"
    assert keys[-1] == "noi-nop#nho-nguoi-khac"
    assert knowledge.answers["noi-nop#nho-nguoi-khac"].text.startswith("Được, nếu")


def test_notes_for_editors_never_reach_a_citizen(tmp_path):
    entries = GOOD.replace("    fee: Miễn phí\n",
                           "    fee: Miễn phí (theo nguồn thứ cấp, chưa kiểm chứng)\n", 1)
    found = problems(make(tmp_path, entries))
    assert any(p.startswith("knowledge/entries.yaml:") and ": fee: '" in p
               and "note for editors" in p for p in found), found
    sourced = GOOD.replace("sources: [https://dichvucong.gov.vn]",
                           "sources: [https://dichvucong.gov.vn, báo chí đưa tin (nguồn thứ cấp)]")
    (tmp_path / "b").mkdir()
    assert problems(make(tmp_path / "b", sourced)) == []  # sources are for editors


@pytest.mark.parametrize("old, new, expected", [
    ("    fee: Miễn phí\n", "    fee: Miễn phí\n   kind: faq\n",
     "knowledge/entries.yaml:12: yaml: dòng 12, cột 4: thụt lề không thẳng hàng với dòng trên"),
    ("    fee: Miễn phí\n", "  fee: Miễn phí\n",
     "knowledge/entries.yaml:11: yaml: dòng 11, cột 3: thụt lề không thẳng hàng với dòng trên"),
    ("    fee: Miễn phí\n", "    fee: Lệ phí: 8.000 đồng\n",
     "knowledge/entries.yaml:11: yaml: dòng 11, cột 16: có dấu ':' giữa giá trị"),
    ("    fee: Miễn phí\n", "\tfee: Miễn phí\n",
     "knowledge/entries.yaml:11: yaml: dòng 11, cột 1: có ký tự tab: chỉ thụt lề bằng dấu cách"),
    ("    fee: Miễn phí\n", '    fee: "Miễn phí\n',
     "knowledge/entries.yaml:11: yaml: dòng 11, cột 10: thiếu dấu ngoặc đóng cho dấu ngoặc mở"),
    ("    fee: Miễn phí\n", "    fee: @miễn phí\n",
     "knowledge/entries.yaml:11: yaml: dòng 11, cột 10: giá trị không được bắt đầu bằng '@'"),
])
def test_yaml_errors_are_said_in_vietnamese_with_their_line(tmp_path, old, new, expected):
    found = problems(make(tmp_path, GOOD.replace(old, new)))
    assert len(found) == 1 and found[0].startswith(expected), found
    assert not any(word in found[0] for word in ("mapping", "expected", "found", "token"))


def test_a_duplicate_id_names_both_files_and_lines(tmp_path):
    root = make(tmp_path, GOOD)
    (root / "more").mkdir()
    (root / "more" / "again.yaml").write_text(
        "entries:\n  - id: noi-nop\n    kind: contact\n    title: Nơi khác\n"
        "    aliases: [khác]\n    summary: Khác.\n    sources: [x]\n", encoding="utf-8")
    found = problems(root)
    assert "knowledge/more/again.yaml:2: id: duplicate id 'noi-nop' (first in " \
           "knowledge/entries.yaml:17)" in found, found


def test_unknown_levels_and_procedures_without_a_national_source_are_warnings(tmp_path):
    entries = (GOOD.replace("    level: cấp xã\n", "    level: xã\n")
               .replace("    sources: [https://dichvucong.gov.vn]", "    sources: [Báo địa phương]"))
    knowledge = kb.load(make(tmp_path, entries))
    assert knowledge.errors == []
    assert [str(w) for w in knowledge.warnings] == [
        "knowledge/entries.yaml:8: level: warning: 'xã' không phải cấp giải quyết đã biết: "
        "dùng cấp xã, cấp tỉnh, trung ương (nhiều cấp thì cách nhau bằng dấu phẩy, ví dụ: "
        "cấp xã, cấp tỉnh)",
        "knowledge/entries.yaml:16: sources: warning: thủ tục chưa có nguồn quốc gia: thêm code "
        "(mã thủ tục trên Cổng Dịch vụ công quốc gia) hoặc trang "
        "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/... vào sources"]
    fixed = entries.replace("    level: xã\n", '    level: Cấp tỉnh, cấp xã\n    code: "1.001193"\n')
    (tmp_path / "ok").mkdir()
    assert kb.load(make(tmp_path / "ok", fixed)).warnings == []
