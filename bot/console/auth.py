"""Who is using the console: the session cookie, the CSRF check of every POST, login
with a rate limit, logout, and the security headers of every page.

The cookie holds a random token (HttpOnly, SameSite=Strict, Secure behind HTTPS); the
database keeps its digest (bot/accounts.py). Every session, the anonymous one of the
login page too, has a CSRF token that every form carries and every POST must send
back. Logging in ends the session the browser came with and starts a new one, so a
cookie planted before login is worth nothing after it.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any, Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from bot import accounts

log = logging.getLogger(__name__)

COOKIE = "motcua_phien"
OPEN_PATHS = ("/dang-nhap", "/static/")  # reachable without logging in
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STORAGE = web.AppKey("storage", Any)
RENDER = web.AppKey("render", Callable)


def staff(request: web.Request) -> dict[str, Any] | None:
    """The logged-in staff member of this request ({username, name, csrf}), or None."""
    found = request.get("session")
    return found if found and found["username"] else None


def actor(request: web.Request) -> tuple[str, str]:
    """("console:<username>", the member's name) for the record."""
    member = staff(request)
    return f"console:{member['username']}", member["name"] or member["username"]


def _secure(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


def set_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/",
                        secure=_secure(request))


def client_ip(request: web.Request) -> str:
    return request.remote or "?"


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session; send anyone not logged in to the login page; refuse a POST
    whose CSRF token is not its session's."""
    storage = request.app[STORAGE]
    request["session"] = accounts.session(storage, request.cookies.get(COOKIE))
    if request.path.startswith(OPEN_PATHS):
        pass
    elif staff(request) is None:
        target = request.path_qs if request.method == "GET" else "/"
        raise web.HTTPSeeOther(f"/dang-nhap?tiep={quote(target, safe='')}")
    if request.method == "POST":
        form = await request.post()
        sent = str(form.get("csrf", ""))
        expected = request["session"]["csrf"] if request["session"] else ""
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            log.warning("console: POST %s refused, CSRF token missing or wrong", request.path)
            return request.app[RENDER](
                request, "error.html", status=403, title="Biểu mẫu không hợp lệ",
                message="Biểu mẫu đã cũ hoặc không gửi từ trang của bot (thiếu mã bảo vệ). "
                        "Bạn tải lại trang rồi làm lại nhé.")
    return await handler(request)


def _next(value: str) -> str:
    """Only a path of this site: never "//evil.example" nor "https://…"."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/phan-anh"


async def login_page(request: web.Request) -> web.StreamResponse:
    if staff(request):
        raise web.HTTPSeeOther("/phan-anh")
    return _login_form(request)


def _login_form(request: web.Request, error: str = "", status: int = 200,
                username: str = "") -> web.StreamResponse:
    token = None
    if request.get("session") is None:
        token = accounts.new_session(request.app[STORAGE])
        request["session"] = accounts.session(request.app[STORAGE], token)
    response = request.app[RENDER](request, "login.html", status=status, error=error,
                                   username=username,
                                   next=_next(request.query.get("tiep", "")))
    if token:
        set_cookie(request, response, token)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    storage = request.app[STORAGE]
    form = await request.post()
    username = str(form.get("ten", "")).strip().lower()[:64]
    password = str(form.get("mat_khau", ""))
    ip = client_ip(request)
    if accounts.too_many_failures(storage, username, ip):
        return _login_form(request, "Bạn đã nhập sai quá nhiều lần. Hãy đợi 15 phút rồi thử "
                           "lại, hoặc nhờ người quản trị đặt lại mật khẩu.", 429, username)
    account = accounts.authenticate(storage, username, password)
    accounts.record_attempt(storage, username, ip, account is not None)
    if account is None:
        storage.log_event(None, f"console:{username}", "login_failed", ip)
        return _login_form(request, "Tên đăng nhập hoặc mật khẩu không đúng.", 401, username)
    accounts.end_session(storage, request.cookies.get(COOKIE))  # no session fixation
    token = accounts.new_session(storage, account["username"])
    storage.log_event(None, f"console:{account['username']}", "login", ip,
                      accounts.display_name(account))
    response = web.HTTPSeeOther(_next(str(form.get("tiep", ""))))
    set_cookie(request, response, token)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    storage = request.app[STORAGE]
    who, name = actor(request)
    accounts.end_session(storage, request.cookies.get(COOKIE))
    storage.log_event(None, who, "logout", "", name)
    response = web.HTTPSeeOther("/dang-nhap")
    response.del_cookie(COOKIE, path="/")
    raise response


def routes() -> list[web.RouteDef]:
    return [web.get("/dang-nhap", login_page), web.post("/dang-nhap", login),
            web.post("/dang-xuat", logout)]
