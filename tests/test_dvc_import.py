"""motcua import-dvc: the national catalog becomes valid, replaceable entry files."""

import shutil
import unicodedata
from pathlib import Path

import pytest

from bot import dvc
from bot import knowledge as kb

FIXTURE = Path(__file__).parent / "data" / "dvc_fixture"
PORTAL = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/"


@pytest.fixture
def root(tmp_path):
    """A copy of the bundled knowledge that the test may write into."""
    copy = tmp_path / "knowledge"
    shutil.copytree(kb.default_dir(), copy)
    return copy


def run_import(root: Path) -> dvc.ImportReport:
    curated = dvc.curated_codes_in(kb.load(root))
    return dvc.import_dvc(FIXTURE, root / "imported", curated_codes=curated)


def test_import_loads_without_errors_and_curated_wins(root):
    report = run_import(root)
    knowledge = kb.load(root)
    assert [str(p) for p in knowledge.errors] == []
    assert "khai-sinh" in knowledge.entries
    assert "dvc-1-001193" not in knowledge.entries  # khai sinh is curated: not imported
    imported = sorted(i for i, e in knowledge.entries.items() if e.data.get("imported"))
    assert imported == ["dvc-1-900101", "dvc-1-900102", "dvc-1-900105"]
    assert len(report.files) == 3 and all(p.parent == root / "imported" for p in report.files)


def test_report_counts_and_errors(root):
    report = run_import(root)
    assert (report.written, report.skipped_curated, report.skipped_inactive) == (3, 1, 1)
    assert len(report.errors) == 1
    assert report.errors[0].startswith(f"{FIXTURE / 'catalog.jsonl'}:5: not valid JSON")


def test_fully_mapped_entry(root):
    run_import(root)
    entry = kb.load(root).entries["dvc-1-900101"]
    url = PORTAL + "0190aaaa-0001-7000-8000-000000000001"
    assert entry.title == "Cấp giấy xác nhận thông tin mẫu (cấp xã)"  # "Thủ tục " dropped
    assert entry.data["aliases"] == ["Cấp giấy xác nhận thông tin mẫu"]
    assert entry.data["code"] == "1.900101"
    assert entry.data["field"] == "Hộ tịch"
    assert entry.data["agency"] == "Ủy ban nhân dân cấp xã"
    assert entry.data["level"] == "cấp xã"
    # HTML stripped, bullets dropped, repeats and the "Lưu ý" group left out, NFC text
    assert entry.data["documents"] == [
        "Tờ khai theo mẫu (bản chính)",
        "Giấy tờ tùy thân còn giá trị sử dụng",
        "Giấy ủy quyền (nếu nhờ người khác nộp thay)",
    ]
    assert all(unicodedata.is_normalized("NFC", d) for d in entry.data["documents"])
    assert entry.data["processing_time"] == ("Trực tiếp: 5 ngày làm việc; Trực tuyến: 3 ngày làm "
                                             "việc; Bưu chính: 5 ngày làm việc")
    assert entry.data["fee"] == ("8.000 đồng: Lệ phí cấp giấy xác nhận; "
                                 "Miễn lệ phí cho người thuộc hộ nghèo")
    assert entry.data["submit"] == "Nộp trực tiếp, trực tuyến hoặc qua bưu chính"
    assert dict(entry.data["online"]) == {"available": True, "level": "toàn trình", "url": url}
    assert entry.data["legal_basis"] == [
        "60/2014/QH13: Luật Hộ tịch",
        "Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ",
    ]
    assert entry.data["result"] == "Giấy xác nhận thông tin"
    assert entry.data["url"] == url and entry.data["sources"] == [url]


def test_free_procedure_and_time_from_sub_cases(root):
    run_import(root)
    entry = kb.load(root).entries["dvc-1-900105"]
    assert entry.data["fee"] == "Không mất phí"
    assert entry.data["processing_time"] == "2 ngày làm việc"  # methods give no unit
    assert entry.data["agency"] == "Công an cấp xã"
    assert dict(entry.data["online"])["level"] == "không"


def test_catalog_line_without_detail_has_only_what_the_line_has(root):
    run_import(root)
    entry = kb.load(root).entries["dvc-1-900102"]
    assert entry.data["agency"] == "Sở Văn hóa, Thể thao và Du lịch tỉnh Mẫu"
    assert entry.data["level"] == "cấp tỉnh"
    assert "UBND tỉnh Mẫu" in entry.data["notes"]  # a provincial (SPECIFIC) procedure
    for name in ("online", "documents", "fee", "processing_time", "legal_basis"):
        assert name not in entry.data
    assert entry.data["sources"] == [PORTAL + "0190aaaa-0002-7000-8000-000000000002"]


def test_second_import_replaces_and_keeps_hand_written_files(root):
    out = root / "imported"
    first = run_import(root)
    hand = out / "ho-tich-local.yaml"
    hand.write_text("entries: []\n", encoding="utf-8")
    stale = out / "old-field.yaml"
    stale.write_text(dvc.MARKER + "\nentries: []\n", encoding="utf-8")
    second = run_import(root)
    assert sorted(second.files) == sorted(first.files)
    assert not stale.exists() and hand.exists()
    assert sorted(out.glob("*.yaml")) == sorted([*second.files, hand])
    for path in second.files:
        assert path.read_text(encoding="utf-8").splitlines()[0] == dvc.MARKER
    knowledge = kb.load(root)
    assert not [p for p in knowledge.errors if "duplicate" in p.message]
    assert len([e for e in knowledge.entries.values() if e.data.get("imported")]) == 3


def test_single_files_as_source(tmp_path):
    report = dvc.import_dvc(FIXTURE / "details" / "1.900101.json", tmp_path / "a")
    assert report.written == 1 and report.errors == []
    report = dvc.import_dvc(FIXTURE / "catalog.jsonl", tmp_path / "b")
    assert (report.written, report.skipped_inactive, len(report.errors)) == (4, 1, 1)


def test_missing_source_is_an_error_not_a_traceback(tmp_path):
    report = dvc.import_dvc(tmp_path / "nothing", tmp_path / "out")
    assert report.written == 0 and len(report.errors) == 1


def test_long_fields_are_split_into_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(dvc, "CHUNK_SIZE", 1)
    report = dvc.import_dvc(FIXTURE / "catalog.jsonl", tmp_path / "out")
    names = sorted(p.name for p in report.files)
    assert names == ["cu-tru.yaml", "ho-tich-2.yaml", "ho-tich.yaml", "quang-cao.yaml"]


def test_province_filter_keeps_national_and_own_procedures(tmp_path):
    import json

    from bot.dvc import import_dvc

    lines = [
        {"id": "r1", "name": "Thủ tục quốc gia mẫu", "code": "9.000001", "categories": ["Hộ tịch"],
         "departments": ["UBND cấp xã"], "state": "ACTIVE", "type": "STANDARD"},
        {"id": "r2", "name": "Hỗ trợ riêng của Huế", "code": "9.000002", "categories": ["Khác"],
         "departments": ["Sở Tài chính"], "departmentPromulgate": "UBND Thành phố Huế",
         "state": "ACTIVE", "type": "SPECIFIC"},
        {"id": "r3", "name": "Hỗ trợ riêng của Gia Lai", "code": "9.000003",
         "categories": ["Khác"], "departments": ["Sở Tài chính"],
         "departmentPromulgate": "UBND tỉnh Gia Lai", "state": "ACTIVE", "type": "SPECIFIC"},
    ]
    source = tmp_path / "catalog.jsonl"
    source.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines),
                      encoding="utf-8")
    report = import_dvc(source, tmp_path / "out", province="Thanh pho Hue")
    assert report.written == 2 and report.skipped_other_province == 1
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("*.yaml"))
    assert "Huế" in text and "Gia Lai" not in text
    assert import_dvc(source, tmp_path / "all").written == 3


def test_plain_text_strips_portal_html_but_keeps_case_and_marks():
    assert dvc.plain_text("<p>Tờ&nbsp;khai\u200b  <b>mẫu</b></p>") == "Tờ khai mẫu"
    assert dvc.plain_text("Giấy cho\u0301") == "Giấy chó"  # NFC, not folded
    assert dvc.plain_text(None) == "" and dvc.plain_text(3) == ""
