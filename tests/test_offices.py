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


# --- local first, communes found inside a sentence, communes no office serves -----------

COMMUNES = """
offices:
  - id: tan-hoa
    name: Trung tâm Phục vụ hành chính công xã Tân Hòa
    level: xã
    areas: [xã Tân Hòa, xã Tân Thạnh cũ, xã An cũ]
    address: 10 Đường Mẫu, xã Tân Hòa
    hours: Thứ Hai đến Thứ Sáu, sáng 7:00–11:30, chiều 13:00–17:00
    phones: ["0290000010"]
  - id: phuong-mot
    name: Trung tâm Phục vụ hành chính công phường Một
    level: xã
    areas: [phường Một, phường 7 cũ, phường 8 cũ]
    address: 20 Đường Mẫu, phường Một
    hours: "VÍ DỤ: Thứ Hai đến Thứ Sáu"
    phones: ["0290000020"]
  - id: long-hoa
    name: Trung tâm Phục vụ hành chính công xã Long Hòa
    level: xã
    areas: [xã Long Hòa, xã Long Hòa Đông cũ]
    address: 30 Đường Mẫu, xã Long Hòa
    hours: Thứ Hai đến Thứ Bảy, 7:30–17:00
    phones: ["0290000030"]
  - id: tinh-mau
    name: Trung tâm Phục vụ hành chính công tỉnh Mẫu
    level: tỉnh
    address: 40 Đường Mẫu, phường Một
    hours: Thứ Hai đến Thứ Sáu, 7:30–17:00
    phones: ["0290000040"]
"""


def conversation_on(tmp_path, offices_yaml, name=None, db="local.db"):
    """A Conversation over a copy of the bundled knowledge whose office.yaml lists
    ``offices_yaml``, on a real SQLite file."""
    root = tmp_path / "knowledge"
    if not root.exists():
        shutil.copytree(kb.default_dir(), root)
    office = (root / "office.yaml").read_text(encoding="utf-8")
    office = office[:office.index("offices:")] + offices_yaml
    if name:
        office = re.sub(r'^name: .*$', f"name: {name}", office, count=1, flags=re.M)
    (root / "office.yaml").write_text(office, encoding="utf-8")
    knowledge = kb.load(root)
    assert not knowledge.errors, knowledge.errors
    return Conversation(knowledge, Storage(tmp_path / db), Matcher(knowledge))


@pytest.fixture
def local(tmp_path):
    return conversation_on(tmp_path, COMMUNES)


def only(yaml_text, *ids):
    """The offices of ``yaml_text`` with these ids only."""
    head, *blocks = yaml_text.split("  - id: ")
    return head + "".join("  - id: " + b for b in blocks if b.split("\n")[0] in ids)


def before(text, *parts):
    """Every part is in the text, in this order."""
    places = [text.index(p) for p in parts]
    return places == sorted(places)


def test_hours_question_leads_with_the_only_office(tmp_path):
    conv = conversation_on(tmp_path, only(COMMUNES, "long-hoa", "tinh-mau"))
    text = say(conv, "mấy giờ trung tâm làm việc")[0].text
    assert text.startswith("🏢 Trung tâm Phục vụ hành chính công xã Long Hòa")
    assert before(text, "30 Đường Mẫu", "Thứ Hai đến Thứ Bảy, 7:30–17:00", "0290000030",
                  "Thông tin chung", "Không có một giờ làm việc chung")
    assert "VÍ DỤ" not in text and "Bot chưa có" not in text
    phones = say(conv, "số điện thoại một cửa xã")[0].text
    assert phones.startswith("🏢 Trung tâm Phục vụ hành chính công xã Long Hòa")
    assert before(phones, "0290000030", "Thông tin chung", "Từ 1/7/2025")
    assert "Bot chưa có địa chỉ" not in phones and "VÍ DỤ" not in phones
    province = say(conv, "trung tâm hành chính công tỉnh ở đâu")[0].text
    assert province.startswith("🏢 Trung tâm Phục vụ hành chính công tỉnh Mẫu")
    assert before(province, "40 Đường Mẫu", "0290000040", "Thông tin chung")


def test_remembered_office_leads_and_missing_hours_are_said_plainly(local, tmp_path):
    first = say(local, "giờ làm việc một cửa phường")
    assert "xã/phường nào" in first[-1].text  # several offices: it asks
    remembered = say(local, "nhà tôi ở phường 7 cũ, giờ sáp nhập rồi")[0].text
    assert "Đã ghi nhớ" in remembered and "phường Một" in remembered
    # a new Conversation on the same SQLite file still knows the citizen's office
    again = Conversation(local.knowledge, Storage(tmp_path / "local.db"), local.matcher)
    text = again.handle(Message("terminal", "c1", text="giờ làm việc một cửa phường"))
    assert len(text) == 1
    text = text[0].text
    assert text.startswith("🏢 Trung tâm Phục vụ hành chính công phường Một")
    assert before(text, "20 Đường Mẫu", "0290000020", "Bot chưa có giờ làm việc",
                  "18001096", "/xaphuong", "Thông tin chung")
    assert "VÍ DỤ" not in text


def test_placeholder_offices_keep_the_national_answer(conversation):
    text = conversation.handle(Message("terminal", "c3", text="mấy giờ trung tâm làm việc"))
    assert len(text) == 1 and "VÍ DỤ" not in text[0].text
    phones = conversation.handle(Message("terminal", "c3", text="số điện thoại một cửa xã"))
    assert "Bot chưa có địa chỉ, giờ làm việc và số điện thoại" in phones[0].text
    assert "18001096" in phones[0].text and "VÍ DỤ" not in phones[0].text


@pytest.mark.parametrize("typed, office", [
    ("em ở xã Tân Thạnh cũ", "xã Tân Hòa"),
    ("em o xa tan thanh cu", "xã Tân Hòa"),
    ("nhà tôi ở phường 7 cũ, giờ sáp nhập rồi", "phường Một"),
    ("tôi ở Long Hòa", "xã Long Hòa"),
    ("toi o long hoa dong a", "xã Long Hòa"),
    ("Long Hoà", "xã Long Hòa"),  # the other tone placement
    ("em ở xã An cũ", "xã Tân Hòa"),
])
def test_commune_found_inside_a_sentence(local, typed, office):
    say(local, "đăng ký khai sinh nộp ở đâu")
    reply = say(local, typed)[0].text
    assert "Đã ghi nhớ" in reply and office in reply
    assert f"Đã ghi nhớ nơi làm thủ tục của bạn:\n\n🏢 Trung tâm Phục vụ hành chính công {office}" \
        in reply
    # /xaphuong with the same sentence, for a new citizen
    by_command = say(local, f"/xaphuong {typed}", user="c9")[0].text
    assert "Đã ghi nhớ" in by_command and office in by_command


def test_longest_name_wins_and_marks_typed_must_match(local):
    # "Long Hòa Đông" is an old name of Long Hòa, and longer than any other name in it
    assert "xã Long Hòa" in say(local, "/xaphuong xã Long Hòa Đông cũ")[0].text
    # "Tân Thành" is another commune than Tân Thạnh: marks typed are never ignored
    other = say(local, "/xaphuong xã Tân Thành")[0].text
    assert "Đã ghi nhớ" not in other and "Xã Tân Thành không thuộc phạm vi" in other


def test_everyday_words_never_pick_an_office(local):
    say(local, "đăng ký khai sinh nộp ở đâu")
    # "7" and "an" are names only after their prefix; this is a question
    reply = say(local, "7 giờ sáng có làm khai sinh an toàn không")
    assert not any("Đã ghi nhớ" in r.text or "không thuộc phạm vi" in r.text for r in reply)
    say(local, "đăng ký khai sinh nộp ở đâu")
    assert "Dạ, rất vui" in say(local, "cảm ơn nhé")[0].text
    say(local, "đăng ký khai sinh nộp ở đâu")
    question = say(local, "làm giấy khai sinh cần gì")[0].text
    assert "Khai sinh" in question or "khai sinh" in question
    assert "không thuộc phạm vi" not in question


@pytest.mark.parametrize("typed, named", [
    ("xã Không Tồn Tại", "Xã Không Tồn Tại"),
    ("em ở phường Bình Thạnh cũ", "Phường Bình Thạnh"),
    ("nhà em ở thị trấn Cái Tàu Hạ, huyện Châu Thành", "Thị trấn Cái Tàu Hạ"),
    ("Mỹ Phước", "Xã/phường Mỹ Phước"),  # no prefix, but the bot had asked
])
def test_unserved_commune_gets_a_clear_answer(tmp_path, typed, named):
    conv = conversation_on(tmp_path, COMMUNES, name="Trung tâm Phục vụ hành chính công tỉnh Mẫu")
    say(conv, "đăng ký khai sinh nộp ở đâu")
    reply = say(conv, typed)[0]
    assert reply.text.startswith(f"{named} không thuộc phạm vi của Trung tâm Phục vụ hành "
                                 "chính công tỉnh Mẫu")
    assert "UBND xã, phường nơi mình cư trú" in reply.text and "18001096" in reply.text
    assert {"o:tan-hoa", "o:phuong-mot", "o:long-hoa"} <= {o.data for o in reply.options}
    # nothing was remembered: a local question still asks for the commune
    assert "xã/phường nào" in say(conv, "giờ làm việc một cửa phường")[-1].text
    # /xaphuong says the same
    assert say(conv, f"/xaphuong {typed}", user="c7")[0].text.startswith(named)


def test_unserved_without_an_office_name_and_after_a_pick(local):
    reply = say(local, "/xaphuong phường Bình Thạnh")[0]
    assert "Phường Bình Thạnh không thuộc phạm vi" in reply.text and "VÍ DỤ" not in reply.text
    picked = local.handle(Message("terminal", "c1", text="2"))[0].text  # the second office
    assert "Đã ghi nhớ" in picked and "phường Một" in picked


def test_local_first_over_fake_zalo(tmp_path):
    import asyncio
    import threading

    from bot.config import Config
    from bot.zalo import ZaloChannel
    from fake_zalo import FakeZalo

    conv = conversation_on(tmp_path, COMMUNES)
    zalo = FakeZalo().start()
    config = Config(zalo_token=zalo.token, zalo_base_url=zalo.base_url,
                    export_dir=tmp_path / "exports")
    channel = ZaloChannel(conv, config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(20)

    def said(text, expect=1):
        before_ = len(zalo.messages_to("dan-1"))
        zalo.push_text("dan-1", text)
        return [m["text"] for m in zalo.wait_for("dan-1", before_ + expect)[before_:]]

    run(channel.start())
    try:
        card, asked = said("mấy giờ trung tâm làm việc", expect=2)
        assert "xã/phường nào" in asked and "1. Trung tâm" in asked
        [remembered] = said("em ở xã Tân Thạnh cũ")
        assert "xã Tân Hòa" in remembered
        [hours] = said("may gio trung tam lam viec")
        assert hours.startswith("🏢 Trung tâm Phục vụ hành chính công xã Tân Hòa")
        assert before(hours, "sáng 7:00–11:30", "0290000010", "Thông tin chung")
        [unserved] = said("/xaphuong phường Bình Thạnh")
        assert unserved.startswith("Phường Bình Thạnh không thuộc phạm vi")
    finally:
        run(channel.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        zalo.stop()
    assert all(status != 400 for _, status in zalo.calls), zalo.calls


def test_the_office_contacts_live_in_one_place(tmp_path):
    """offices: is what citizens see: the only commune centre's phones are offered when
    the bot does not know an answer, and the contact entries carry no office data."""
    conv = conversation_on(tmp_path, only(COMMUNES, "long-hoa", "tinh-mau"))
    text = say(conv, "cách nuôi cá koi")[0].text
    assert "• Gọi Trung tâm Phục vụ hành chính công xã Long Hòa: 0290000030" in text
    bundled = kb.load()
    assert not {"address", "hours", "phones", "email", "website"} & set(bundled.office)
    for centre in ("tt-pvhcc-xa", "tt-pvhcc-tinh"):
        assert not {"address", "hours", "phones", "email"} & set(bundled.entries[centre].data)


def test_id_gives_the_id_as_motcua_staff_ids_takes_it(tmp_path):
    from bot.config import Config

    conv = conversation_on(tmp_path, only(COMMUNES, "long-hoa"))
    for channel, user in (("telegram", "123456789"), ("zalo", "abc-XYZ"), ("terminal", "local")):
        text = conv.handle(Message(channel, user, text="/id"))[0].text
        assert text.startswith(f"Mã của bạn: {channel}:{user}\n") and "MOTCUA_STAFF_IDS" in text
        assert Config.load(env={"MOTCUA_STAFF_IDS": text.split()[3]}).is_staff(channel, user)
        assert "Bạn đang là cán bộ" not in text
