"""A bot serving several communes asks the citizen's xã/phường once and remembers it."""

import re
import shutil

import pytest

from bot import knowledge as kb
from bot.matcher import Matcher
from bot.storage import Storage
from handlers.conversation import Conversation
from handlers.types import Message

OFFICES = """
offices:
  - id: an-khanh
    name: Trung tâm Phục vụ hành chính công phường An Khánh
    level: xã
    areas: [phường An Khánh, phường Thạnh Mỹ Lợi cũ, phường An Phú cũ]
    address: 1 Đường Mẫu, phường An Khánh
    hours: Thứ Hai đến Thứ Sáu, 7:30–17:00
    phones: ["0280000001"]
  - id: binh-trung
    name: Trung tâm Phục vụ hành chính công phường Bình Trưng
    level: xã
    areas: [phường Bình Trưng, phường Bình Trưng Đông cũ]
    address: 2 Đường Mẫu, phường Bình Trưng
    phones: ["0280000002"]
  - id: tinh
    name: Trung tâm Phục vụ hành chính công thành phố
    level: tỉnh
    address: 3 Đường Mẫu
"""


@pytest.fixture
def conv(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(kb.default_dir(), root)
    office = (root / "office.yaml").read_text(encoding="utf-8")
    office = office[:office.index("offices:")] + OFFICES
    (root / "office.yaml").write_text(office, encoding="utf-8")
    knowledge = kb.load(root)
    assert not knowledge.errors, knowledge.errors
    return Conversation(knowledge, Storage(tmp_path / "o.db"), Matcher(knowledge))


def say(conv, text, user="c1"):
    return conv.handle(Message("terminal", user, text=text))


def test_asks_commune_once_then_uses_it(conv, tmp_path):
    replies = say(conv, "đăng ký khai sinh nộp ở đâu")
    assert len(replies) == 2 and "xã/phường nào" in replies[1].text
    assert {o.data for o in replies[1].options} == {"o:an-khanh", "o:binh-trung"}
    remembered = say(conv, "thanh my loi")[0]  # old commune name, no diacritics
    assert "An Khánh" in remembered.text and "1 Đường Mẫu" in remembered.text
    again = say(conv, "đăng ký khai sinh nộp ở đâu")
    assert len(again) == 1 and "Nơi gần bạn" in again[0].text
    assert "0280000001" in again[0].text
    # remembered across a restart: a new Conversation on the same database
    fresh = Conversation(conv.knowledge, Storage(tmp_path / "o.db"), conv.matcher)
    hours = fresh.handle(Message("terminal", "c1", data="e:gio-lam-viec", kind="button"))
    assert "1 Đường Mẫu" in hours[0].text


def test_change_commune_and_unknown_name(conv):
    say(conv, "đăng ký khai sinh nộp ở đâu")
    say(conv, "phường Bình Trưng")
    asked = say(conv, "/xaphuong")[0]
    assert "xã/phường nào" in asked.text
    picked = conv.handle(Message("terminal", "c1", data="o:an-khanh", kind="button"))[0]
    assert "An Khánh" in picked.text
    # a name the office does not serve is taken as an ordinary question
    say(conv, "/xaphuong")
    assert "Nơi gần bạn" not in say(conv, "xã Không Tồn Tại")[0].text


def test_province_level_procedures_show_the_province_office(conv):
    reply = say(conv, "thành lập doanh nghiệp nộp ở đâu")
    assert "3 Đường Mẫu" in reply[0].text


def test_placeholder_offices_are_never_asked_about(conversation):
    replies = conversation.handle(Message("terminal", "c2", text="đăng ký khai sinh nộp ở đâu"))
    assert len(replies) == 1 and "VÍ DỤ" not in replies[0].text


def test_province_fees_from_office_data(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(kb.default_dir(), root)
    office = (root / "office.yaml").read_text(encoding="utf-8")
    office = office.replace('province: "VÍ DỤ: tên tỉnh/thành phố"', "province: Tỉnh Mẫu")
    office = re.sub(r'  khai-sinh: "VÍ DỤ:[^\n]*"',
                    '  khai-sinh: "8.000 đồng khi đăng ký quá hạn (Nghị quyết 1/2026/NQ-HĐND)"',
                    office)
    (root / "office.yaml").write_text(office, encoding="utf-8")
    knowledge = kb.load(root)
    assert not knowledge.errors
    conv = Conversation(knowledge, Storage(tmp_path / "f.db"), Matcher(knowledge))
    reply = conv.handle(Message("terminal", "f", text="đăng ký khai sinh hết bao nhiêu tiền"))
    assert "Mức thu tại địa phương (Tỉnh Mẫu): 8.000 đồng" in reply[0].text
    other = conv.handle(Message("terminal", "f", text="đăng ký kết hôn lệ phí"))
    assert "Mức thu tại địa phương" not in other[0].text
    (root / "office.yaml").write_text(office.replace("fees:\n", "fees:\n  khong-co: x\n"),
                                      encoding="utf-8")
    assert any("fees.khong-co: no such entry" in str(p) for p in kb.load(root).errors)
