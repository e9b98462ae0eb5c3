"""The Zalo Official Account channel: the OA Open API v3, beside Telegram and the Zalo
bot in one process, on one database. Chats and staff are ``zalo-oa:<user id>``.

Push only: Zalo POSTs each event to our webhook (``/zalo-oa``), signed. A request whose
mac is missing or wrong gets 403 and is not read further; a signed one is answered 200 at
once and handled in a task (Zalo wants the answer within 2 s). An event already taken
(same ``msg_id``, kept in SQLite) is not answered twice. ``follow`` gets the welcome
with the menu; texts go to the same handlers as every channel. Options are template
buttons of type ``oa.query.hide`` whose payload (``#mc:`` + the option's data) comes
back as a text from the citizen: exact, stateless, good after a restart, and hidden in
the chat (``oa.query.show`` would show the raw data as the citizen's message). Replies
are cut under 2,000 characters (bot/channels.split, UTF-16 units as for the Zalo bot).

Tokens: the pair in use lives in the database (bot/zalo_oa_store.py); the environment's
pair only seeds it. A pair of unknown age is refreshed at once, later pairs ahead of
expiry, and once when the API calls the token invalid; one refresh at a time (an
asyncio lock here, a lease in the database across processes), the new pair committed
before it is used. Consultation messages reach a citizen only within 7 days of their
last message: an outbox message (a staff answer) to a citizen silent for longer, or
refused by Zalo for that reason, is held, staff are told, and it goes out when the
citizen writes again.

What this relies on (fuller notes, with sources: docs/zalo-oa.md):
- ``X-ZEvent-Signature: mac=<hex>``, hex = sha256(app_id + raw body + the body's
  ``timestamp`` + OA secret key), the OA's secret, not the app's (hainh.me/zalo-api-php-
  webhook-callback-official-account.html; integrations that check it the same way).
- Events: ``event_name``, ``app_id``, ``timestamp`` (ms, a string), ``sender.id`` and
  ``message.{text, msg_id}`` for ``user_send_*``, ``follower.id`` for ``follow``.
- ``POST https://openapi.zalo.me/v3.0/oa/message/cs``, header ``access_token``, body
  ``{recipient: {user_id}, message: {text, attachment: {type: template, payload:
  {buttons: [{title, type, payload}]}}}}``; at most 5 buttons, titles up to 100
  characters; errors come as HTTP 200 with ``error`` != 0: -216 invalid token, -220
  expired token, -124 expired (older answers), -230/-232 outside the interaction window,
  -32 rate limit (developers.zalo.me/docs/api/official-account-api/phu-luc/ma-loi-post-735).
- ``POST https://oauth.zaloapp.com/v4/oa/access_token``, header ``secret_key`` (the app
  secret), form ``refresh_token, app_id, grant_type=refresh_token``; answers
  ``{access_token, refresh_token, expires_in}`` (seconds, a string; about 25 h), the
  refresh token single-use for about 3 months; errors as ``{error, error_name,
  error_description}``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from typing import Any

import aiohttp
from aiohttp import web

from bot import logs
from bot import zalo_oa_store as store
from bot.channels import answer, deliver_outbox, outbox_loop, with_retry
from bot.config import Config
from bot.zalo import split, without_file
from handlers.conversation import Conversation
from handlers.types import Message, Option, Reply, quick_line

log = logging.getLogger(__name__)

CHANNEL = "zalo-oa"
PATH = "/zalo-oa"
SEND = "/v3.0/oa/message/cs"
WINDOW = 7 * 86400  # consultation messages: within 7 days of the citizen's last message
MAX_BUTTONS = 5
TITLE_LIMIT = 100
PRESS = "#mc:"  # a button's payload: this, then the option's data
TOKEN_ERRORS = {-216, -220, -124}
WINDOW_ERRORS = {-230, -232}
RATE_LIMITED = -32
CONCURRENCY = 8  # events handled at once (one user's stay in order)
KINDS = {"user_send_text": "text", "user_send_link": "text", "user_send_image": "photo",
         "user_send_gif": "sticker", "user_send_sticker": "sticker",
         "user_send_audio": "voice", "user_send_video": "document",
         "user_send_file": "document", "user_send_location": "location"}
MORE = "Lựa chọn khác:"
HELD = ("⏳ Chưa gửi được {what} tới người dân trên Zalo OA: họ nhắn OA lần cuối đã quá 7 "
        "ngày nên Zalo chưa cho gửi. Bot giữ lại và sẽ gửi ngay khi họ nhắn lại OA.")
LOST = ("⚠️ Bot trên Zalo OA không làm mới được mã truy cập ({reason}). Người quản trị cần "
        "cấp lại quyền cho ứng dụng trên developers.zalo.me rồi đặt cặp token mới vào "
        "ZALO_OA_ACCESS_TOKEN và ZALO_OA_REFRESH_TOKEN.")


class OAError(Exception):
    """An OA API or OAuth call failed: a Zalo error code (negative), an HTTP status, or
    0 for no answer. Never carries a token."""

    def __init__(self, method: str, code: int, description: str):
        super().__init__(f"Zalo OA {method}: {code} {description}")
        self.method, self.code, self.description = method, code, description

    @property
    def retryable(self) -> bool:
        return self.code in (0, RATE_LIMITED, 429) or self.code >= 500


class OutOfWindow(OAError):
    """The citizen has not written for too long: Zalo will not take the message."""


def passing(exc: Exception, backoff: float) -> float | None:
    if isinstance(exc, OAError) and exc.retryable:
        return 5.0 if exc.code in (RATE_LIMITED, 429) else backoff
    return None


def signature(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    return hashlib.sha256(app_id.encode() + body + timestamp.encode()
                          + secret_key.encode()).hexdigest()


def verified(header: str, body: bytes, app_id: str, secret_key: str) -> dict | None:
    """The event, when ``X-ZEvent-Signature`` is its mac; None for anything else."""
    mac = header.strip()
    if mac[:4].lower() == "mac=":
        mac = mac[4:].strip()
    if not mac or not app_id or not secret_key:
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    expected = signature(app_id, body, str(payload.get("timestamp", "")), secret_key)
    return payload if hmac.compare_digest(mac.lower().encode(), expected.encode()) else None


# --- rendering ---------------------------------------------------------------------------


def buttons(options: list[Option]) -> list[dict[str, Any]]:
    out = []
    for option in options:
        title = option.label[:TITLE_LIMIT]
        if option.url:
            out.append({"title": title, "type": "oa.open.url", "payload": {"url": option.url}})
        elif option.data:
            out.append({"title": title, "type": "oa.query.hide",
                        "payload": PRESS + option.data})
    return out


def render(reply: Reply) -> list[dict[str, Any]]:
    """The ``message`` objects of a reply: text in chunks, the buttons (5 at most a
    message) under the last chunk; more buttons go evenly into messages of their own
    (6 are 3 and 3, not 5 and a lone one)."""
    quick = quick_line(reply.options)  # 👍 / 👎 typed: the card keeps its 5 buttons
    text = f"{reply.text}\n\n{quick}" if quick else reply.text
    out: list[dict[str, Any]] = [{"text": c} for c in split(without_file(
        text or " ", reply.document))]
    found = buttons([o for o in reply.options if not o.quick])
    count = -(-len(found) // MAX_BUTTONS)  # messages needed
    size = -(-len(found) // count) if count else 0
    groups = [found[i:i + size] for i in range(0, len(found), size)] if size else []
    for index, group in enumerate(groups):
        if index:
            out.append({"text": MORE})
        out[-1]["attachment"] = {"type": "template", "payload": {"buttons": group}}
    return out


# --- events ------------------------------------------------------------------------------


def to_message(payload: dict[str, Any]) -> tuple[str, Message] | None:
    """(the event's key, our Message), or None for events the bot does not answer
    (unfollow, the OA's own messages, seen/received receipts…)."""
    event = str(payload.get("event_name") or "")
    message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
    if event == "follow":
        user = (payload.get("follower") or {}).get("id")
        text, kind = "/start", "text"
    elif event.startswith("user_send_"):
        user = (payload.get("sender") or {}).get("id")
        kind = KINDS.get(event, "other")
        text = str(message.get("text") or "") if kind == "text" else ""
    else:
        return None
    if not user:
        return None
    user = str(user)
    key = str(message.get("msg_id") or f"{event}:{user}:{payload.get('timestamp', '')}")
    if text.startswith(PRESS):
        return key, Message(CHANNEL, user, data=text[len(PRESS):], kind="button")
    return key, Message(CHANNEL, user, text=text, kind=kind)


# --- the API -----------------------------------------------------------------------------


class OAClient:
    """Calls with the pair in the database, refreshed ahead of expiry and once on an
    invalid-token answer; one refresh at a time, here and across processes."""

    def __init__(self, config: Config, storage, session: aiohttp.ClientSession):
        self.config, self.storage, self.session = config, storage, session
        self.app_id = config.zalo_oa_app_id
        self.lock = asyncio.Lock()
        self.failed: tuple[float, OAError] | None = None  # the last refresh that failed
        self.lost = False  # Zalo refused the refresh: nothing can be sent until it works

    def pair(self) -> store.TokenPair:
        pair = store.load_pair(self.storage, self.app_id)
        if pair is None:
            raise OAError("token", -216, "no token pair")
        logs.add_secret(pair.access, pair.refresh)
        return pair

    async def _http(self, method: str, url: str, what: str, **kwargs) -> tuple[int, Any]:
        try:
            async with self.session.request(method, url, timeout=aiohttp.ClientTimeout(
                    total=15), **kwargs) as resp:
                status, raw = resp.status, await resp.read()
        except asyncio.TimeoutError as exc:
            raise OAError(what, 0, "timed out") from exc
        except aiohttp.ClientError as exc:
            raise OAError(what, 0, type(exc).__name__) from exc
        try:
            return status, json.loads(raw)
        except ValueError:
            raise OAError(what, status, f"HTTP {status}, answer is not JSON") from None

    async def _request(self, method: str, path: str, body: Any, token: str) -> dict:
        status, data = await self._http(method, self.config.zalo_oa_api_base_url + path,
                                        path, json=body, headers={"access_token": token})
        if status != 200 or not isinstance(data, dict):
            raise OAError(path, status if status != 200 else 0, f"HTTP {status}")
        code = int(data.get("error") or 0)
        if code:
            kind = OutOfWindow if code in WINDOW_ERRORS else OAError
            raise kind(path, code, str(data.get("message", ""))[:200])
        return data

    async def call(self, method: str, path: str, body: Any = None) -> dict:
        pair = await self.fresh()
        try:
            return await self._request(method, path, body, pair.access)
        except OAError as exc:
            if exc.code not in TOKEN_ERRORS:
                raise
            log.warning("Zalo OA refused the access token (%s): refreshing", exc.code)
        pair = await self.refresh(pair.generation)
        return await self._request(method, path, body, pair.access)

    async def fresh(self) -> store.TokenPair:
        """The pair to use, refreshed first when due; the old one if refreshing fails
        (it may still be good for a while)."""
        pair = self.pair()
        if pair.due():
            try:
                pair = await self.refresh(pair.generation)
            except OAError as exc:
                log.error("Zalo OA token refresh failed: %s", exc)
        return pair

    async def refresh(self, generation: int) -> store.TokenPair:
        """Replace pair ``generation``, unless that already happened meanwhile."""
        async with self.lock:
            deadline = time.monotonic() + store.LEASE + 5
            while True:
                pair = self.pair()
                if pair.generation != generation:
                    return pair  # refreshed meanwhile, here or by another process
                if self.failed and time.monotonic() - self.failed[0] < 30:
                    raise self.failed[1]  # do not hammer Zalo with a refused token
                if store.claim_refresh(self.storage, self.app_id, generation):
                    break
                if time.monotonic() > deadline:
                    raise OAError("refresh", 0, "another process holds the refresh")
                await asyncio.sleep(0.2)
            try:
                access, refresh, expires_in = await self._post_refresh(pair.refresh)
            except OAError as exc:
                store.release_refresh(self.storage, self.app_id)
                self.failed = (time.monotonic(), exc)
                self.lost = self.lost or exc.code < 0
                raise
            except BaseException:
                store.release_refresh(self.storage, self.app_id)
                raise
            logs.add_secret(access, refresh)
            self.failed, self.lost = None, False
            new = store.save_pair(self.storage, self.app_id, access, refresh, expires_in)
            log.warning("Zalo OA token pair refreshed (pair %d, valid %.0f s)",
                        new.generation, expires_in)
            return new

    async def _post_refresh(self, refresh_token: str) -> tuple[str, str, float]:
        status, data = await self._http(
            "POST", self.config.zalo_oa_oauth_base_url + "/v4/oa/access_token", "refresh",
            data={"refresh_token": refresh_token, "app_id": self.app_id,
                  "grant_type": "refresh_token"},
            headers={"secret_key": self.config.zalo_oa_app_secret})
        data = data if isinstance(data, dict) else {}
        if status != 200 or not data.get("access_token") or not data.get("refresh_token"):
            code = int(data.get("error") or (status if status != 200 else 0) or -1)
            reason = data.get("error_name") or data.get("error_description") or \
                f"HTTP {status}"
            raise OAError("refresh", code, str(reason)[:200])
        try:
            expires_in = float(data.get("expires_in") or 90000)
        except (TypeError, ValueError):
            expires_in = 90000.0
        return str(data["access_token"]), str(data["refresh_token"]), expires_in


# --- the channel -------------------------------------------------------------------------


class ZaloOAChannel:
    def __init__(self, conv: Conversation, config: Config):
        self.conv, self.config, self.storage = conv, config, conv.storage
        logs.add_secret(config.zalo_oa_secret_key, config.zalo_oa_app_secret,
                        config.zalo_oa_access_token, config.zalo_oa_refresh_token)
        self.session: aiohttp.ClientSession | None = None
        self.client: OAClient | None = None
        self.tasks: list[asyncio.Task] = []
        self.locks: dict[str, asyncio.Lock] = {}
        self.delivering = asyncio.Lock()
        # events handled at once: the others wait, not runnable, so a new event's
        # acknowledgement never queues behind hundreds of answers being computed
        self.busy = asyncio.Semaphore(CONCURRENCY)
        self.runner: web.AppRunner | None = None
        self.running = False
        self.lost_told = False

    # --- sending ------------------------------------------------------------------------

    async def send(self, user_id: str, reply: Reply) -> None:
        for message in render(reply):
            body = {"recipient": {"user_id": user_id}, "message": message}
            await with_retry(lambda: self.client.call("POST", SEND, body), passing)

    async def _send_queued(self, user_id: str, reply: Reply) -> None:
        last = store.last_in(self.storage, user_id)
        if last is not None and time.time() - last > WINDOW:
            days = (time.time() - last) / 86400
            raise OutOfWindow("window", 0, f"last message {days:.0f} days ago")
        await self.send(user_id, reply)

    def _staff(self, user_id: str) -> bool:
        key = f"{CHANNEL}:{user_id}"
        return key in self.config.staff or key in self.config.staff_chats

    def _hold(self, item: dict, exc: BaseException) -> bool:
        """An outbox message the window refuses: kept, and staff told (once a hold)."""
        if not isinstance(exc, OutOfWindow):
            return False
        store.hold(self.storage, item["id"], str(exc))
        log.warning("Zalo OA message %d held until the citizen writes again", item["id"])
        if not self._staff(item["chat_id"]):
            ticket = re.search(r"PA-\d{4}-\d{6}", item["text"] or "")
            what = f"tin nhắn về phản ánh {ticket.group(0)}" if ticket else "một tin nhắn"
            self._tell_staff(HELD.format(what=what))
        return True

    def _tell_staff(self, text: str, channels: tuple[str, ...] = ()) -> None:
        for chat in sorted(self.config.staff_chats):
            channel, _, chat_id = chat.partition(":")
            if not channels or channel in channels:
                self.storage._enqueue(channel, chat_id, text)

    async def deliver_outbox(self) -> int:
        if self.client is None or self.client.lost:
            return 0  # without a token every try would fail and count: keep them waiting
        async with self.delivering:  # the loop and a citizen's return never send twice
            return await deliver_outbox(self.storage, CHANNEL, self._send_queued,
                                        (OAError,), self._hold)

    # --- receiving ----------------------------------------------------------------------

    async def handle(self, payload: dict[str, Any]) -> None:
        found = to_message(payload)
        if found is None:
            return
        key, msg = found
        if not store.first_time(self.storage, key):
            return  # Zalo delivered it again: answered already
        released = store.wrote(self.storage, msg.user_id)
        async with self.locks.setdefault(msg.user_id, asyncio.Lock()), self.busy:
            if released:
                await self.deliver_outbox()
            await answer(self.conv, msg, lambda reply: self.send(msg.user_id, reply),
                         (OAError,), "Zalo OA")

    async def _webhook(self, request: web.Request) -> web.Response:
        payload = verified(request.headers.get("X-ZEvent-Signature", ""),
                           await request.read(), self.config.zalo_oa_app_id,
                           self.config.zalo_oa_secret_key)
        if payload is None:
            return web.Response(status=403, text="forbidden")
        task = asyncio.create_task(self.handle(payload))  # answered now, handled after
        self.tasks.append(task)
        task.add_done_callback(lambda t: self.tasks.remove(t) if t in self.tasks else None)
        return web.json_response({"error": 0, "message": "ok"})

    # --- tokens -------------------------------------------------------------------------

    async def _keep_tokens(self) -> None:
        """Refresh the pair when due even while nobody writes (an unused refresh token
        expires too), and forget old event keys."""
        pruned = 0.0
        while self.running:
            try:
                pair = self.client.pair()
                if pair.due():
                    pair = await self.client.refresh(pair.generation)
            except asyncio.CancelledError:
                raise
            except OAError as exc:
                log.error("Zalo OA token refresh failed: %s", exc)
                if exc.code < 0 and not self.lost_told:  # refused, not a network fault
                    self.lost_told = True
                    self._tell_staff(LOST.format(reason=exc.description),
                                     ("telegram", "zalo", "terminal"))
                await asyncio.sleep(30)
                continue
            if time.monotonic() - pruned > 3600:
                store.prune_events(self.storage)
                pruned = time.monotonic()
            margin = min(1800.0, max(0.0, (pair.expires_at or 0) - pair.issued_at) / 4)
            wait = (pair.expires_at or 0) - margin - time.time()
            await asyncio.sleep(max(0.2, min(60.0, wait)))

    # --- lifecycle ----------------------------------------------------------------------

    async def start_webhook(self, path: str, listen: str) -> None:
        config = self.config
        missing = [name for name, value in (
            ("ZALO_OA_APP_ID", config.zalo_oa_app_id),
            ("ZALO_OA_SECRET_KEY", config.zalo_oa_secret_key),
            ("ZALO_OA_APP_SECRET", config.zalo_oa_app_secret)) if not value]
        pair = store.seed_pair(self.storage, config.zalo_oa_app_id,
                               config.zalo_oa_access_token, config.zalo_oa_refresh_token)
        if pair is None:
            missing.append("ZALO_OA_REFRESH_TOKEN")
        if missing:
            raise ValueError(f"Zalo OA settings missing: {', '.join(missing)}")
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=config.http_pool * 2))
        self.client = OAClient(config, self.storage, self.session)
        self.running = True
        info = await with_retry(lambda: self.client.call("GET", "/v2.0/oa/getoa"), passing)
        log.warning("Zalo OA channel: %s", (info.get("data") or {}).get("name", "OA"))
        app = web.Application()
        app.router.add_post(path or PATH, self._webhook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        host, _, port = listen.rpartition(":")
        # a burst of events must not overflow the listen queue (dropped SYNs cost 1 s)
        await web.TCPSite(self.runner, host or "127.0.0.1", int(port), backlog=1024).start()
        self.tasks.append(asyncio.create_task(outbox_loop(self.deliver_outbox,
                                                          lambda: self.running)))
        self.tasks.append(asyncio.create_task(self._keep_tokens()))

    async def stop(self) -> None:
        self.running = False
        if self.runner is not None:
            await self.runner.cleanup()  # no new events, then the tasks end
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.session is not None:
            await self.session.close()
