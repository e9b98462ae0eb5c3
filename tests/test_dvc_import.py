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


def _record(**fields):
    """A detail record in the portal's shape, written by the test itself."""
    data = {
        "id": "0190bbbb-0001-7000-8000-000000000001", "code": "9.100001",
        "name": "Thủ tục cấp giấy phép mẫu", "state": "ACTIVE", "type": "STANDARD",
        "categoriesDetails": [{"id": "c1", "name": "Đất đai"}],
        "isWard": False, "isProvince": True, "isMinistry": False,
        "isFullProcess": False, "isOfflineOnly": False,
        "unitGroupsExecuting": [{"id": "u1", "name": "Sở Nông nghiệp và Môi trường"}],
        "subjectTypesDetails": [{"id": "s1", "name": "Công dân Việt Nam", "code": "ĐT1"},
                                {"id": "s2", "name": "Doanh nghiệp", "code": "ĐT2"}],
        "requirementsAndConditions": "- Đất không có tranh chấp;\n- Trong thời hạn sử dụng đất.",
        "dossierReceivingAddresses": (
            "- Trung tâm Phục vụ hành chính công tỉnh Mẫu, gồm:\n"
            "+ Quầy số 14 - Số ĐT: 0273.3993896, số 377 đường Hùng Vương;\n"
            "- Trung tâm Phục vụ hành chính công cấp xã;\n"
            "- Thủ tục hành chính thực hiện không phụ thuộc vào địa giới hành chính;\n"
            "- Nộp trực tuyến tại https://dichvucong.gov.vn"),
        "executionCases": [{"name": "", "profileComponents": [
            {"name": "<p>Đơn đề nghị theo Mẫu số 01</p>", "isProcessingResult": False},
            {"name": "Giấy chứng nhận đã cấp", "isProcessingResult": False}]}],
        "executionMethods": [
            {"submissionMethod": "DIRECT", "processingTime": 10,
             "processingTimeUnit": "WORKING_DAY", "fees": [
                 {"value": 50000, "currencyId": "019b3fb2-b5b8-70ac-85e2-9409ec1eaffa",
                  "description": "Lệ phí cấp giấy phép"}]},
            {"submissionMethod": "ONLINE", "processingTime": 10,
             "processingTimeUnit": "WORKING_DAY", "fees": [
                 {"value": 50000, "currencyId": "019b3fb2-b5b8-70ac-85e2-9409ec1eaffa",
                  "description": "Lệ phí cấp giấy phép"}]}],
        "legalBasisesDetails": [{"code": "31/2024/QH15", "name": "Luật Đất đai"}],
        "resultsDetails": [{"name": "Giấy phép mẫu"}],
    }
    data.update(fields)
    return data


def _import_records(tmp_path, *records):
    import json

    details = tmp_path / "dvc" / "details"
    details.mkdir(parents=True)
    for record in records:
        (details / f"{record['code']}.json").write_text(
            json.dumps({"code": "OK", "data": record}, ensure_ascii=False), encoding="utf-8")
    report = dvc.import_dvc(tmp_path / "dvc", tmp_path / "out")
    assert report.errors == []
    import yaml

    entries = [e for path in report.files
               for e in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]]
    return {e["code"]: e for e in entries}


def test_detail_record_fills_every_part_of_the_card(tmp_path):
    entry = _import_records(tmp_path, _record())["9.100001"]
    assert entry["who"] == ("Đối tượng: Công dân Việt Nam, Doanh nghiệp. Điều kiện: Đất không "
                            "có tranh chấp; Trong thời hạn sử dụng đất")
    # the places the record names; counters, street numbers and phones are left out
    assert entry["submit"] == ("Trung tâm Phục vụ hành chính công tỉnh Mẫu; Trung tâm Phục vụ "
                               "hành chính công cấp xã. Nộp trực tiếp hoặc trực tuyến")
    assert "0273" not in str(entry) and "377" not in entry["submit"]
    assert entry["agency"] == "Sở Nông nghiệp và Môi trường" and entry["level"] == "cấp tỉnh"
    assert entry["documents"] == ["Đơn đề nghị theo Mẫu số 01", "Giấy chứng nhận đã cấp"]
    assert entry["processing_time"] == "10 ngày làm việc"
    assert entry["fee"] == "50.000 đồng: Lệ phí cấp giấy phép"
    assert entry["online"]["available"] is True and entry["online"]["level"] == "một phần"
    assert entry["legal_basis"] == ["31/2024/QH15: Luật Đất đai"]
    assert entry["result"] == "Giấy phép mẫu"
    assert entry["field"] == "Đất đai"


def test_what_a_record_leaves_out_stays_out(tmp_path):
    bare = _record(code="9.100002", id="r2", requirementsAndConditions="Không quy định.",
                   dossierReceivingAddresses="", subjectTypesDetails=[],
                   isOfflineOnly=True, isFullProcess=True)
    entry = _import_records(tmp_path, bare)["9.100002"]
    assert "who" not in entry  # "Không quy định" is no condition, and no subjects given
    assert entry["submit"] == "Nộp trực tiếp hoặc trực tuyến"  # no place named: none guessed
    assert entry["online"]["available"] is False and entry["online"]["level"] == "không"


def test_conditions_alone_and_missions_abroad(tmp_path):
    mission = _record(code="9.100003", id="r3", subjectTypesDetails=[],
                      isWard=False, isProvince=False, isMinistry=False,
                      unitGroupsExecuting=[{"id": "u", "name": "Cơ quan đại diện Việt Nam "
                                                               "ở nước ngoài"}],
                      requirementsAndConditions="Người yêu cầu cư trú ở nước ngoài")
    entry = _import_records(tmp_path, mission)["9.100003"]
    assert entry["who"] == "Điều kiện: Người yêu cầu cư trú ở nước ngoài"
    assert entry["level"] == "trung ương"


def test_imported_details_are_valid_knowledge_and_show_on_the_card(tmp_path, root):
    from handlers.cards import procedure_card

    _import_records(tmp_path, _record())
    shutil.copytree(tmp_path / "out", root / "imported")
    knowledge = kb.load(root)
    assert [str(p) for p in knowledge.errors] == []
    entry = knowledge.entries["dvc-9-100001"]
    card = procedure_card(knowledge, entry).text
    assert "Đối tượng: Công dân Việt Nam, Doanh nghiệp" in card
    assert "Nộp ở đâu: Trung tâm Phục vụ hành chính công tỉnh Mẫu" in card
    legal = procedure_card(knowledge, entry, "legal").text
    assert "Điều kiện: Đất không có tranh chấp" in legal and "Luật Đất đai" in legal
