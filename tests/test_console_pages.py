"""The console's other pages in headless Chromium, on the real ``motcua run``: the export
and report buttons give the command line's files, the dashboard counts what the
database holds and shows the ratings worst first, a question forwarded to staff is
answered on the questions page and saved as a draft answer item, the pages fit a
phone, and nothing is fetched from anywhere but the console itself."""

import re

import openpyxl
import yaml

from conftest import run_motcua
from console_office import browser, context, db, log_in, office  # noqa: F401

CITIZEN, ASKER, RATER = 8001, 8002, 8003
DRAGON = "xin cấp phép nuôi rồng ở ban công"


def download(page, selector):
    with page.expect_download() as info:
        page.click(selector)
    return info.value


def test_export_and_report_buttons_give_the_files_of_the_command_line(office, context,
                                                                       tmp_path):
    office.file_feedback(CITIZEN, "Cán bộ tiếp dân nói chuyện thiếu tôn trọng với tôi")
    office.file_feedback(CITIZEN, "Đề nghị mở thêm quầy tiếp nhận buổi chiều", "gop-y")
    page = context.new_page()
    log_in(page, office)
    page.goto(office.url + "/phan-anh?loai=thai-do")
    assert "1 phản ánh" in page.inner_text(".toolbar")

    csv = download(page, "button:text-is('Xuất CSV')")
    assert re.fullmatch(r"phan-anh-\d{8}-\d{6}\.csv", csv.suggested_filename)
    cli = run_motcua("--db", str(office.db), "feedback", "export", "--category", "thai-do",
                     "-o", str(tmp_path / "cli.csv"))
    assert cli.returncode == 0, cli.stderr
    assert open(csv.path(), "rb").read() == (tmp_path / "cli.csv").read_bytes()

    xlsx = download(page, "button:text-is('Xuất Excel')")
    run_motcua("--db", str(office.db), "feedback", "export", "--category", "thai-do", "-o",
               str(tmp_path / "cli.xlsx"))
    ours, theirs = (openpyxl.load_workbook(open(path, "rb")).active for path in
                    (xlsx.path(), tmp_path / "cli.xlsx"))
    assert [list(r) for r in ours.iter_rows(values_only=True)] == \
        [list(r) for r in theirs.iter_rows(values_only=True)]

    page.goto(office.url + "/phan-anh")
    report = download(page, "button:text-is('Báo cáo (Excel)')")
    cli = run_motcua("--db", str(office.db), "feedback", "report", "--xlsx",
                     str(tmp_path / "cli-report.xlsx"))
    assert cli.returncode == 0, cli.stderr
    ours, theirs = (openpyxl.load_workbook(open(path, "rb")) for path in
                    (report.path(), tmp_path / "cli-report.xlsx"))
    assert ours.sheetnames == theirs.sheetnames and len(ours.sheetnames) >= 3
    exported = db(office).execute("select actor, staff_name from events where action in "
                                  "('export', 'report')").fetchall()
    assert set(exported) == {("console:lan", "Nguyễn Thị Lan")} and len(exported) == 3


def test_the_dashboard_counts_charts_and_ratings(office, context):
    for question, thumb in (("làm giấy khai sinh cần giấy tờ gì", "👎 Chưa hữu ích"),
                            ("đăng ký tạm trú cần giấy tờ gì", "👍 Hữu ích")):
        card = office.ask(RATER, question)
        [button] = [b for row in card["reply_markup"]["inline_keyboard"] for b in row
                    if b["text"] == thumb]
        office._step(RATER, office.fake.push_button, button["callback_data"])
    page = context.new_page()
    log_in(page, office)
    page.goto(office.url + "/tong-quan")
    received = db(office).execute("select count(*) from feedback").fetchone()[0]
    stat = page.locator(".stat", has_text="phản ánh tiếp nhận")
    assert stat.locator(".big").inner_text() == str(received)
    assert page.locator("svg.chart").count() >= 5  # category, procedure, channel, asked, per day
    assert "Thái độ, hành vi cán bộ" in page.inner_text("body")
    assert "Telegram" in page.locator("svg.chart").nth(2).inner_html()
    rows = page.locator("table.list tbody tr")
    assert "Đăng ký khai sinh" in rows.nth(0).inner_text()  # the most 👎 first
    assert rows.nth(0).inner_text().split("\t")[-1].strip() == "0%"
    assert "Đăng ký tạm trú" in rows.nth(1).inner_text()
    # a period with nothing in it says so
    page.goto(office.url + "/tong-quan?ky=2020Q1")
    assert "Quý 1/2020" in page.inner_text("h1")
    assert "Chưa có số liệu" in page.inner_text("main")


def test_a_question_for_staff_is_answered_on_the_questions_page_and_grows_the_knowledge(
        office, context):
    ticket = office.forward_question(ASKER, DRAGON)
    for variant in ("xin cap phep nuoi rong o ban cong", "Xin cấp phép nuôi rồng ở ban công ạ"):
        office.ask(ASKER, variant)
    page = context.new_page()
    log_in(page, office)
    page.goto(office.url + "/cau-hoi")
    waiting = page.locator(".asked", has_text=ticket)
    assert DRAGON in waiting.inner_text()
    group = page.locator(".group", has_text="nuôi rồng").first
    assert group.locator("strong").inner_text() == "3×"  # spelling variants in one group

    before = len(office.fake.messages_to(ASKER))
    waiting.locator("textarea").fill("Không cần xin phép; chỉ cần giữ vệ sinh chung.")
    waiting.locator("input[name=ban_nhap]").check()
    waiting.locator("button").click()
    relayed = office.fake.wait_for_text(ASKER, "giữ vệ sinh chung", after=before, timeout=20)
    assert relayed and relayed["text"].startswith(f"Trả lời phản ánh {ticket}")

    assert "/cau-hoi/ban-nhap" in page.url  # the draft, filled from the ticket
    assert page.input_value("textarea[name=cau_hoi]") == DRAGON
    assert "giữ vệ sinh chung" in page.input_value("textarea[name=tra_loi]")
    # without an entry the browser does not send the form; the console refuses it too
    refused = context.request.post(office.url + "/cau-hoi/ban-nhap", form={
        "csrf": page.get_attribute("input[name=csrf]", "value"), "cau_hoi": DRAGON,
        "tra_loi": "Không cần xin phép"})
    assert refused.status == 400 and "Chọn mục kiến thức" in refused.text()
    page.select_option("select[name=muc]", "gio-lam-viec")
    page.click("button:text-is('Tạo đoạn YAML')")
    snippet = page.inner_text("pre.yaml")
    assert "thêm vào danh sách answers: của mục gio-lam-viec" in snippet
    [item] = yaml.safe_load(snippet)
    assert item["questions"] == [DRAGON] and item["answer"].startswith("Không cần xin phép")
    assert item["source"].startswith("VÍ DỤ:")  # a person writes the real legal basis
    saved = download(page, "button:text-is('Tải tệp .yaml')")
    assert saved.suggested_filename == "ban-nhap.yaml"
    assert yaml.safe_load(open(saved.path(), encoding="utf-8")) == [item]

    page.goto(office.url + "/cau-hoi")  # answered: no longer waiting
    assert page.locator(".asked", has_text=ticket).first.locator("textarea").count() == 0


def test_pages_fit_a_phone_and_fetch_nothing_from_outside(office, browser):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True, locale="vi-VN")
    asked = []
    phone.on("request", lambda request: asked.append(request.url))
    page = phone.new_page()
    log_in(page, office)
    ticket = db(office).execute("select ticket from feedback order by id limit 1").fetchone()[0]
    for path in ("/phan-anh", f"/phan-anh/{ticket}", "/tong-quan", "/cau-hoi"):
        response = page.goto(office.url + path)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        header = page.evaluate("getComputedStyle(document.querySelector('header'))"
                               ".backgroundColor")
        assert header == "rgb(155, 28, 28)"  # the stylesheet, served by the console
    assert asked and all(url.startswith(office.url) for url in asked), asked
    phone.close()
