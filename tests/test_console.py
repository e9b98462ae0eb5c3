"""The staff web console in headless Chromium (Playwright, Debian's chromium), on the real
``motcua run`` whose Telegram channel talks to the fake Bot API: a citizen's feedback
filed in the chat is answered in the browser and the answer reaches the citizen; and
what must be refused is refused: a wrong password, a POST without its CSRF token, a
visitor without a session, a planted session cookie, injected HTML and SQL."""

from conftest import run_motcua
from console_office import (PASSWORD, STAFF, browser, context, cookie, db,  # noqa: F401
                            log_in, office)

CITIZEN, OTHER, HOSTILE = 7001, 7002, 7003
SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned = 2">'
SQL = "' or 1=1 --"


def test_a_ticket_filed_on_telegram_is_answered_in_the_browser_and_reaches_the_citizen(
        office, context):
    ticket = office.file_feedback(CITIZEN, "Cán bộ một cửa hẹn ba lần vẫn chưa trả hồ sơ "
                                           "đăng ký kinh doanh cho tôi")
    page = context.new_page()
    log_in(page, office)
    assert page.url.endswith("/phan-anh")
    assert "Nguyễn Thị Lan" in page.inner_text("header")
    row = page.locator("tr", has=page.locator(f"a:text-is('{ticket}')"))
    assert "hẹn ba lần" in row.inner_text() and "Mới tiếp nhận" in row.inner_text()
    page.click(f"a:text-is('{ticket}')")
    assert page.url.endswith(f"/phan-anh/{ticket}")
    assert "Người dân gửi" in page.inner_text(".history")

    before = len(office.fake.messages_to(CITIZEN))
    page.fill("textarea[name=noi_dung]", "Trung tâm đã trả hồ sơ cho anh/chị sáng nay, "
                                         "xin lỗi vì sự chậm trễ.")
    page.click("text=Gửi trả lời")
    assert "Đã lưu câu trả lời; câu trả lời sẽ được gửi cho người dân trên Telegram" in \
        page.inner_text("main")
    relayed = office.fake.wait_for_text(CITIZEN, "xin lỗi vì sự chậm trễ", after=before,
                                        timeout=20)
    assert relayed and relayed["text"].startswith(f"Trả lời phản ánh {ticket}")
    # the answer, its author and the action are on the page and in the record
    assert "Nguyễn Thị Lan" in page.inner_text(".answer.latest")
    assert "Đã trả lời" in page.inner_text("h1")
    event = db(office).execute("select actor, staff_name from events where ticket = ? and "
                               "action = 'answered'", [ticket]).fetchone()
    assert event == ("console:lan", "Nguyễn Thị Lan")

    # a status with its reason, then the ticket given to a colleague
    page.select_option("select[name=trang_thai]", "closed")
    page.click("text=Lưu trạng thái")
    assert "Đóng phản ánh cần lý do" in page.inner_text(".error")
    page.select_option("select[name=trang_thai]", "closed")
    page.fill("input[name=ly_do]", "Đã trả hồ sơ, người dân đồng ý")
    page.click("text=Lưu trạng thái")
    told = office.fake.wait_for_text(CITIZEN, "Lý do: Đã trả hồ sơ", after=before, timeout=20)
    assert told and "Đã đóng" in told["text"]
    page.select_option("select[name=nguoi]", "hung")
    page.click("button:text-is('Giao')")
    assert "Đã giao phản ánh" in page.inner_text("main")
    assert db(office).execute("select assigned_to from feedback where ticket = ?",
                              [ticket]).fetchone() == ("hung",)


def test_a_wrong_password_is_refused_and_gives_no_session(office, context):
    page = context.new_page()
    log_in(page, office, password="not-the-password")
    assert "/dang-nhap" in page.url
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page.inner_text(".error")
    page.goto(office.url + "/phan-anh")
    assert "/dang-nhap" in page.url and "Phản ánh, kiến nghị" not in page.content()
    log_in(page, office, username="nobody", password=PASSWORD)
    assert "mật khẩu không đúng" in page.inner_text(".error")  # the same words: no hint


def test_logins_are_rate_limited(office, context):
    added = run_motcua("--db", str(office.db), "staff", "add", "thu",
                       stdin="mat-khau-cua-thu-2026\n")
    assert added.returncode == 0, added.stderr
    page = context.new_page()
    for _ in range(5):
        log_in(page, office, "thu", "sai-mat-khau")
    log_in(page, office, "thu", "mat-khau-cua-thu-2026")  # right, but too late
    assert "sai quá nhiều lần" in page.inner_text(".error") and "/dang-nhap" in page.url


def test_a_post_without_its_csrf_token_is_refused(office, context):
    ticket = office.file_feedback(OTHER, "Phòng một cửa không có chỗ ngồi chờ cho người già")
    page = context.new_page()
    log_in(page, office)
    url = f"{office.url}/phan-anh/{ticket}/tra-loi"
    for form in ({"noi_dung": "Không có mã bảo vệ"},
                 {"noi_dung": "Mã bảo vệ sai", "csrf": "guessed-token"}):
        response = context.request.post(url, form=form, max_redirects=0)
        assert response.status == 403, response.status
        assert "thiếu mã bảo vệ" in response.text()
    assert db(office).execute("select count(*) from answers where ticket = ?",
                              [ticket]).fetchone() == (0,)
    # the page's own form carries the token and works
    page.goto(f"{office.url}/phan-anh/{ticket}")
    page.fill("textarea[name=noi_dung]", "Trung tâm sẽ bổ sung ghế chờ trong tuần này.")
    page.click("text=Gửi trả lời")
    assert "Đã lưu câu trả lời" in page.inner_text("main")


def test_without_a_session_nothing_is_seen(office, context, browser):
    ticket = office.file_feedback(OTHER, "Nội dung riêng tư của người dân không được lộ")
    page = context.new_page()
    for path in ("/phan-anh", f"/phan-anh/{ticket}", "/tong-quan", "/cau-hoi",
                 "/cau-hoi/ban-nhap", "/khong-co-trang-nay"):
        page.goto(office.url + path)
        assert "/dang-nhap" in page.url, path
        assert "riêng tư" not in page.content() and ticket not in page.inner_text("body")
    # the login page's session (not logged in) cannot post, even with its own token
    csrf = page.get_attribute("input[name=csrf]", "value")
    response = context.request.post(f"{office.url}/phan-anh/{ticket}/tra-loi",
                                    form={"csrf": csrf, "noi_dung": "giả mạo"},
                                    max_redirects=0)
    assert response.status == 303 and "/dang-nhap" in response.headers["location"]
    # nor can a made-up cookie
    forged = browser.new_context()
    forged.add_cookies([{"name": "motcua_phien", "value": "x" * 43, "url": office.url}])
    other = forged.new_page()
    other.goto(f"{office.url}/phan-anh/{ticket}")
    assert "/dang-nhap" in other.url and "riêng tư" not in other.content()
    forged.close()
    assert db(office).execute("select count(*) from answers where ticket = ?",
                              [ticket]).fetchone() == (0,)


def test_a_cookie_set_before_login_is_not_the_one_after(office, context, browser):
    context.add_cookies([{"name": "motcua_phien", "value": "planted-by-an-attacker",
                          "url": office.url}])
    page = context.new_page()
    page.goto(office.url + "/dang-nhap")
    before = cookie(context)
    assert before and before != "planted-by-an-attacker"  # an unknown cookie is replaced
    flags = next(c for c in context.cookies() if c["name"] == "motcua_phien")
    assert flags["httpOnly"] and flags["sameSite"] == "Strict"
    log_in(page, office)
    after = cookie(context)
    assert after and after != before and page.url.endswith("/phan-anh")
    # the cookie of before the login opens nothing
    stale = browser.new_context()
    stale.add_cookies([{"name": "motcua_phien", "value": before, "url": office.url}])
    other = stale.new_page()
    other.goto(office.url + "/phan-anh")
    assert "/dang-nhap" in other.url
    stale.close()
    # logging out ends the session
    page.click("text=Đăng xuất")
    page.goto(office.url + "/phan-anh")
    assert "/dang-nhap" in page.url


def test_unknown_tickets_are_a_vietnamese_404(office, context):
    page = context.new_page()
    log_in(page, office)
    for path in ("/phan-anh/PA-1999-000001", "/phan-anh/" + SQL.replace(" ", "%20"),
                 "/khong-co-trang-nay"):
        response = page.goto(office.url + path)
        assert response.status == 404, path
        assert "Không" in page.inner_text("h1") and "Traceback" not in page.content()
    page.goto(office.url + "/phan-anh/PA-1999-000001")
    assert "Không có phản ánh “PA-1999-000001”" in page.inner_text("main")


def test_injected_html_and_sql_are_shown_as_text_on_every_page(office, context):
    text = f"Phản ánh thử {SCRIPT} {IMG} {SQL}"
    ticket = office.file_feedback(HOSTILE, text)
    question = office.ask(HOSTILE, f"xin cấp phép nuôi rồng ở ban công {SCRIPT} {SQL}")
    assert "chưa có thông tin" in question["text"]
    page = context.new_page()
    log_in(page, office, "hung", STAFF["hung"][1])
    assert STAFF["hung"][0] in page.inner_text("header")  # the name as text, not bold
    page.goto(f"{office.url}/phan-anh/{ticket}")
    page.fill("textarea[name=noi_dung]", f"Trả lời {SCRIPT} {IMG} {SQL}")
    page.click("text=Gửi trả lời")
    page.select_option("select[name=trang_thai]", "in_progress")
    page.fill("input[name=ly_do]", f"Lý do {IMG} {SQL}")
    page.click("text=Lưu trạng thái")
    page.select_option("select[name=nguoi]", "hung")
    page.click("button:text-is('Giao')")
    pages = {f"/phan-anh/{ticket}": [text, f"Trả lời {SCRIPT}", f"Lý do {IMG}",
                                     STAFF["hung"][0]],
             "/phan-anh": [SCRIPT, STAFF["hung"][0]],
             "/phan-anh?trang_thai=" + SQL: ["Một bộ lọc không hợp lệ đã được bỏ qua"],
             f"/phan-anh?ky={SQL}&tu={SCRIPT}": ["ngày sai đã được bỏ qua"],
             "/cau-hoi": [f"xin cấp phép nuôi rồng ở ban công {SCRIPT} {SQL}"],
             "/tong-quan": ["phản ánh tiếp nhận"],
             "/cau-hoi/ban-nhap?cau=" + SCRIPT: []}
    for path, shown in pages.items():
        response = page.goto(office.url + path)
        assert response.status == 200, path
        body = page.inner_text("body")
        for piece in shown:
            assert piece in body, (path, piece)
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("img[src=x]").count() == 0, path
        assert page.locator("main script").count() == 0 and page.locator("main b").count() == 0
    assert page.input_value("textarea[name=cau_hoi]") == SCRIPT
    # SQL in the filters matched nothing and dropped no table
    assert db(office).execute("select count(*) from feedback").fetchone()[0] >= 1
