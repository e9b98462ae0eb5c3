"""The staff web console: aiohttp routes over the bot's own storage and reports.

Pages are server-rendered Jinja2 templates (autoescaped) with one stylesheet served
from the package: nothing is fetched from the internet. A staff answer goes through
``Storage.answer_feedback``, the same call the chat uses, so it reaches the citizen on
their channel through the outbox. Exports and reports are the files of
``motcua feedback export/report`` (bot/reports.py, bot/workbook.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from bot import accounts, reports, vocab, workbook
from bot.console import auth, filters, insights
from bot.console.auth import RENDER, STORAGE, actor
from bot.storage import EmptyAnswer, meaningful

log = logging.getLogger(__name__)

KNOWLEDGE = web.AppKey("knowledge", Callable)  # () -> the knowledge in service
HERE = Path(__file__).parent
TICKET = re.compile(r"^PA-\d{4}-\d{6}$")
LISTED = 300  # rows on one page of the list
ACTIONS = {"created": "Người dân gửi", "answered": "Trả lời", "status": "Đổi trạng thái",
           "reason": "Lý do", "assigned": "Giao xử lý"}
DONE = {"tra-loi": "Đã lưu câu trả lời", "trang-thai": "Đã đổi trạng thái",
        "giao": "Đã giao phản ánh"}

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                          autoescape=jinja2.select_autoescape(["html"]),
                          undefined=jinja2.StrictUndefined, trim_blocks=True,
                          lstrip_blocks=True)


def _when(value: str | None) -> str:
    moment = reports.local(value)
    return moment.strftime("%d/%m/%Y %H:%M") if moment else ""


_env.filters.update(when=_when, status=vocab.status_label, category=vocab.category_label,
                    channel=lambda c: reports.CHANNELS.get(c, c or ""))


def render(request: web.Request, template: str, status: int = 200, **context: Any
           ) -> web.Response:
    session = request.get("session") or {}
    text = _env.get_template(template).render(
        staff=auth.staff(request), csrf=session.get("csrf", ""), path=request.path,
        **context)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def not_found(request: web.Request, what: str = "") -> web.Response:
    return render(request, "error.html", status=404, title="Không tìm thấy",
                  message=what or "Không có trang này. Bạn quay lại danh sách phản ánh nhé.")


@web.middleware
async def errors(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return not_found(request)
    except web.HTTPException:
        raise
    except Exception:  # noqa: BLE001 - one bad request must not show a traceback
        log.exception("console: %s %s failed", request.method, request.path)
        return render(request, "error.html", status=500, title="Có lỗi",
                      message="Trang gặp lỗi khi xử lý. Bạn thử lại sau ít phút; nếu vẫn lỗi, "
                              "báo người quản trị bot.")


def _storage(request: web.Request):
    return request.app[STORAGE]


def _knowledge(request: web.Request):
    return request.app[KNOWLEDGE]()


def _office(request: web.Request) -> reports.Office:
    office = reports.Office.of(_knowledge(request))
    office.staff_names.update(accounts.names(_storage(request)))
    return office


def _who(office: reports.Office, actor_id: str | None, name: str | None = None) -> str:
    if name:
        return name
    if (actor_id or "").endswith(":citizen"):
        return "Người dân"
    return office.staff_name(actor_id)


def _titles(request: web.Request) -> dict[str, str]:
    return {e.id: e.title for e in _knowledge(request).entries.values()
            if e.kind == "procedure"}


# --- the list -----------------------------------------------------------------------


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/phan-anh")


async def feedback_list(request: web.Request) -> web.StreamResponse:
    titles = _titles(request)
    chosen = filters.read(request.query, titles)
    report = filters.report(_storage(request), _knowledge(request), chosen)
    office = report.office
    names = {a["username"]: accounts.display_name(a) for a in accounts.accounts(
        _storage(request))}
    items = list(reversed(report.items))  # the newest first
    return render(request, "list.html", filters=chosen, items=items[:LISTED],
                  total=len(items), shown=min(len(items), LISTED), office=office,
                  names=names, titles=titles, statuses=vocab.STATUSES,
                  categories=vocab.CATEGORIES, channels=filters.CHANNELS,
                  deadlines=filters.DEADLINES, periods=filters.periods(),
                  hidden=chosen.query())


# --- one ticket ---------------------------------------------------------------------


def _ticket_row(request: web.Request) -> dict[str, Any] | None:
    ticket = request.match_info["ticket"].strip().upper()
    return _storage(request).get_feedback(ticket) if TICKET.match(ticket) else None


def _ticket_page(request: web.Request, row: dict[str, Any], error: str = "",
                 status: int = 200, typed: str = "") -> web.Response:
    storage, knowledge = _storage(request), _knowledge(request)
    office = _office(request)
    item = reports.make_item(row, office.deadline_days,
                             dt.datetime.now(reports.VN_TIME).date(),
                             storage.closed_times().get(row["ticket"]))
    answers = [{**a, "who": _who(office, a["staff"], a["staff_name"])}
               for a in storage.answers(row["ticket"])]
    staff_list = accounts.accounts(storage)
    names = {a["username"]: accounts.display_name(a) for a in staff_list}
    shown = {"status": vocab.status_label, "created": vocab.category_label,
             "assigned": lambda who: names.get(who, who) or "bỏ giao"}
    history = [{**e, "who": _who(office, e["actor"], e["staff_name"]),
                "what": ACTIONS.get(e["action"], e["action"]),
                "detail": shown.get(e["action"], str)(e["detail"] or "")}
               for e in sorted(storage.events(row["ticket"]), key=lambda e: e["at"])]
    assigned = names.get(row.get("assigned_to"), row.get("assigned_to"))
    entry = knowledge.entries.get(row.get("procedure_id") or "")
    done = DONE.get(request.query.get("xong", ""))
    return render(request, "ticket.html", status=status, row=row, item=item,
                  answers=answers, history=history, staff_list=staff_list,
                  assigned=assigned, procedure=entry.title if entry else "",
                  statuses=vocab.STATUSES, error=error, done=done, typed=typed,
                  nonce=secrets.token_urlsafe(12))


async def ticket_page(request: web.Request) -> web.StreamResponse:
    row = _ticket_row(request)
    if row is None:
        ticket = request.match_info["ticket"][:30]
        return not_found(request, f"Không có phản ánh “{ticket}”. Bạn kiểm tra lại mã, "
                                  "hoặc tìm trong danh sách phản ánh.")
    return _ticket_page(request, row)


def _back(form, ticket: str, done: str) -> str:
    target = str(form.get("ve", ""))
    if target == "/cau-hoi":
        return "/cau-hoi?" + urlencode({"xong": done, "ma": ticket})
    return f"/phan-anh/{ticket}?xong={done}"


async def answer(request: web.Request) -> web.StreamResponse:
    row = _ticket_row(request)
    if row is None:
        return not_found(request)
    form = await request.post()
    text = str(form.get("noi_dung", ""))[:4000]
    who, name = actor(request)
    nonce = re.sub(r"[^A-Za-z0-9_-]", "", str(form.get("ma_gui", "")))[:32]
    try:
        _storage(request).answer_feedback(row["ticket"], text, who, name=name,
                                          draft=f"web:{nonce}" if nonce else None)
    except EmptyAnswer as empty:  # its message, as the chat and the CLI give it
        return _ticket_page(request, row, str(empty).capitalize(), 400)
    if form.get("ban_nhap"):
        raise web.HTTPSeeOther("/cau-hoi/ban-nhap?" + urlencode({"phan_anh": row["ticket"]}))
    raise web.HTTPSeeOther(_back(form, row["ticket"], "tra-loi"))


async def change_status(request: web.Request) -> web.StreamResponse:
    row = _ticket_row(request)
    if row is None:
        return not_found(request)
    form = await request.post()
    status = str(form.get("trang_thai", ""))
    reason = meaningful(str(form.get("ly_do", ""))[:1000])
    if status not in vocab.STATUSES:
        return _ticket_page(request, row, "Chọn một trạng thái trong danh sách.", 400)
    if status == "closed" and reason is None:
        return _ticket_page(request, row, "Đóng phản ánh cần lý do; người dân sẽ nhận được "
                            "lý do này.", 400)
    who, name = actor(request)
    _storage(request).set_status(row["ticket"], status, who, reason, name=name)
    raise web.HTTPSeeOther(_back(form, row["ticket"], "trang-thai"))


async def assign(request: web.Request) -> web.StreamResponse:
    row = _ticket_row(request)
    if row is None:
        return not_found(request)
    form = await request.post()
    username = str(form.get("nguoi", "")).strip().lower()
    if username and accounts.get(_storage(request), username) is None:
        return _ticket_page(request, row, "Không có cán bộ này.", 400)
    who, name = actor(request)
    _storage(request).assign(row["ticket"], username or None, who, name)
    raise web.HTTPSeeOther(_back(form, row["ticket"], "giao"))


# --- exports and reports: the command line's files ---------------------------------------


def _file(request: web.Request, build: Callable[[Path], Path], name: str, kind: str
          ) -> web.Response:
    with tempfile.TemporaryDirectory() as folder:
        body = build(Path(folder) / name).read_bytes()
    return web.Response(body=body, content_type=kind, headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def export(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    chosen = filters.read(form, _titles(request))
    report = filters.report(_storage(request), _knowledge(request), chosen)
    fmt = "csv" if form.get("dang") == "csv" else "xlsx"
    stamp = dt.datetime.now(reports.VN_TIME).strftime("%Y%m%d-%H%M%S")
    who, name = actor(request)
    _storage(request).log_event(None, who, "export", f"{fmt} {report.label} "
                                f"({len(report.items)})", name)
    if fmt == "csv":
        return _file(request, lambda path: reports.write_csv(report, path),
                     f"phan-anh-{stamp}.csv", "text/csv")
    return _file(request, lambda path: workbook.write_xlsx(report, path),
                 f"phan-anh-{stamp}.xlsx", XLSX)


async def report_file(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    chosen = filters.read(form, _titles(request))
    report = filters.report(_storage(request), _knowledge(request), chosen)
    stamp = dt.datetime.now(reports.VN_TIME).strftime("%Y%m%d-%H%M%S")
    who, name = actor(request)
    _storage(request).log_event(None, who, "report", report.label, name)
    return _file(request, lambda path: workbook.write_xlsx(report, path, summary=True),
                 f"bao-cao-phan-anh-{stamp}.xlsx", XLSX)


# --- dashboard and questions ------------------------------------------------------------


async def dashboard(request: web.Request) -> web.StreamResponse:
    period_only = {k: v for k, v in request.query.items() if k in ("ky", "tu", "den")}
    chosen = filters.read(period_only, {}, default_period=filters.current_quarter())
    report = filters.report(_storage(request), _knowledge(request), chosen)
    numbers = insights.dashboard(_storage(request), _knowledge(request), chosen, report)
    return render(request, "dashboard.html", filters=chosen, periods=filters.periods(),
                  numbers=numbers, hidden=chosen.query(),
                  overdue_query=urlencode({"han": "qua-han", **chosen.query()}))


async def questions(request: web.Request) -> web.StreamResponse:
    storage, knowledge = _storage(request), _knowledge(request)
    period_only = {k: v for k, v in request.query.items() if k in ("ky", "tu", "den")}
    chosen = filters.read(period_only, {})
    groups = insights.unanswered_groups(storage, knowledge, chosen.since, chosen.until)
    forwarded = list(reversed(storage.list_feedback(category="hoi-dap")))
    waiting = [r for r in forwarded if r["status"] in ("new", "in_progress")]
    answered = [{**r, "answers": storage.answers(r["ticket"])}
                for r in forwarded if r["status"] not in ("new", "in_progress")][:10]
    titles = {e.id: e.title for e in knowledge.entries.values()}
    done = DONE.get(request.query.get("xong", ""))
    return render(request, "questions.html", filters=chosen, periods=filters.periods(),
                  groups=groups[:100], group_count=len(groups), waiting=waiting,
                  answered=answered, titles=titles, done=done,
                  done_ticket=request.query.get("ma", "")[:20],
                  nonce=secrets.token_urlsafe(12))


def _entries(request: web.Request) -> list[tuple[str, str]]:
    return sorted(((e.id, e.title) for e in _knowledge(request).entries.values()),
                  key=lambda pair: pair[1])


async def draft_form(request: web.Request) -> web.StreamResponse:
    """The draft answer item form, filled from a group of questions or a ticket."""
    storage = _storage(request)
    asked = [q[:300] for q in request.query.getall("cau", [])][:20]
    entry_id = request.query.get("muc", "")[:80]
    text = ""
    ticket = request.query.get("phan_anh", "").strip().upper()[:20]
    row = storage.get_feedback(ticket) if TICKET.match(ticket) else None
    if row is not None:
        asked = asked or [row["text"]]
        text = row.get("answer") or ""
        entry_id = entry_id or row.get("procedure_id") or ""
    return render(request, "draft.html", entries=_entries(request), entry_id=entry_id,
                  item_id="", questions="\n".join(asked), answer_text=text, source="",
                  snippet="", problems=[])


async def draft_made(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    entry_id = str(form.get("muc", ""))[:80]
    item_id = str(form.get("ma_muc", ""))[:60]
    asked = str(form.get("cau_hoi", ""))[:6000]
    text = str(form.get("tra_loi", ""))[:4000]
    source = str(form.get("can_cu", ""))[:1000]
    who, name = actor(request)
    snippet, problems = insights.draft_item(_knowledge(request), entry_id, item_id,
                                            asked.splitlines(), text, source, name)
    if snippet and form.get("tai"):
        _storage(request).log_event(None, who, "draft", entry_id, name)
        return web.Response(body=snippet.encode(), content_type="application/x-yaml",
                            charset="utf-8", headers={"Content-Disposition":
                                                      'attachment; filename="ban-nhap.yaml"'})
    return render(request, "draft.html", status=400 if problems else 200,
                  entries=_entries(request), entry_id=entry_id, item_id=item_id,
                  questions=asked, answer_text=text, source=source, snippet=snippet,
                  problems=problems)


# --- the application -----------------------------------------------------------------


def make_app(storage, knowledge: Callable[[], Any]) -> web.Application:
    """The console on ``storage``; ``knowledge()`` gives the knowledge in service (a
    reload of the running bot is seen at the next page)."""
    app = web.Application(middlewares=[errors, auth.headers, auth.sessions],
                          client_max_size=256 * 1024)
    app[STORAGE] = storage
    app[KNOWLEDGE] = knowledge
    app[RENDER] = render
    app.add_routes([
        *auth.routes(),
        web.get("/", home),
        web.get("/phan-anh", feedback_list),
        web.post("/phan-anh/xuat", export),
        web.post("/phan-anh/bao-cao", report_file),
        web.get("/phan-anh/{ticket}", ticket_page),
        web.post("/phan-anh/{ticket}/tra-loi", answer),
        web.post("/phan-anh/{ticket}/trang-thai", change_status),
        web.post("/phan-anh/{ticket}/giao", assign),
        web.get("/tong-quan", dashboard),
        web.get("/cau-hoi", questions),
        web.get("/cau-hoi/ban-nhap", draft_form),
        web.post("/cau-hoi/ban-nhap", draft_made),
        web.static("/static", HERE / "static"),
    ])
    return app


async def start(storage, knowledge: Callable[[], Any], listen: str) -> web.AppRunner:
    """Serve the console at HOST:PORT inside the running event loop."""
    host, _, port = listen.rpartition(":")
    runner = web.AppRunner(make_app(storage, knowledge), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host or "127.0.0.1", int(port)).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
