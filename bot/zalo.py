"""The Zalo channel: the Zalo Bot Platform API (bot tokens, ``<base><token>/<method>``).

No library is used for the API itself: the two PyPI clients lose error replies, block
the event loop or reject real payloads (see ../shared/zalo-bot-api.md); the API is a
handful of JSON POSTs with one envelope, done here on aiohttp, which the Telegram
channel already uses.

Zalo has no buttons: options are numbered lines, and the citizen types a number or the
option's words (``handlers.conversation.picked``, from state kept in SQLite). Long polling
returns at most one update a call and answers 408 when there is none; webhook mode
checks ``X-Bot-Api-Secret-Token`` before reading anything.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import random
from collections import OrderedDict
from typing import Any

import aiohttp
from aiohttp import web

from bot import logs
from bot.channels import answer, deliver_outbox, outbox_loop, with_retry
from bot.channels import split as split_text
from bot.config import Config
from handlers.conversation import Conversation
from handlers.types import Message, Reply

log = logging.getLogger(__name__)

LIMIT = 2000  # characters of sendMessage text, counted in UTF-16 units to be safe
KINDS = {"message.text.received": "text", "message.image.received": "photo",
         "message.sticker.received": "sticker", "message.voice.received": "voice",
         "message.link.received": "text", "message.unsupported.received": "other"}
UNSUPPORTED = ("Xin chào! Bot chưa đọc được nội dung tin nhắn này. Bạn có thể gõ câu hỏi về "
               "thủ tục hành chính, hoặc gọi tổng đài 18001096 để được hỗ trợ.")


class ZaloError(Exception):
    """An API call failed. The message never contains the token."""

    def __init__(self, method: str, code: int, description: str):
        super().__init__(f"Zalo {method}: {code} {description}")
        self.method, self.code, self.description = method, code, description

    @property
    def retryable(self) -> bool:
        return self.code in (408, 429) or self.code >= 500 or self.code == 0


def passing(exc: Exception, backoff: float) -> float | None:
    """Seconds to wait before trying again, or None when retrying cannot help."""
    if isinstance(exc, ZaloError) and exc.retryable:
        return 5.0 if exc.code == 429 else backoff
    return None


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Chunks of at most ``limit`` UTF-16 units (emoji count two)."""
    return split_text(text, limit, units)


def without_file(text: str, document: str) -> str:
    """Zalo cannot take the file (an export): the text says where it is instead."""
    note = ("Tệp Excel đã được lưu trên máy chủ của bot: "
            f"{document}. Tải tệp qua Telegram bằng /xuat.")
    if not document:
        return text
    marker = f"[Tệp đính kèm: {document}]"
    return text.replace(marker, note) if marker in text else f"{text}\n\n{note}"


def parse_update(payload: Any) -> tuple[str, dict[str, Any]] | None:
    """(event_name, message) from a webhook body or a getUpdates result; both the
    documented ``{ok, result: {...}}`` wrapper and the flat shape are accepted."""
    if not isinstance(payload, dict):
        return None
    if "result" in payload and isinstance(payload["result"], dict):
        payload = payload["result"]
    event, message = payload.get("event_name"), payload.get("message")
    if not isinstance(event, str) or not isinstance(message, dict):
        return None
    return event, message


def to_message(event: str, message: dict[str, Any]) -> tuple[Message, str] | None:
    chat = (message.get("chat") or {}).get("id") or (message.get("from") or {}).get("id")
    sender = (message.get("from") or {}).get("id") or chat
    if not chat or not sender:
        return None
    kind = KINDS.get(event, "other")
    text = message.get("text") if kind == "text" else None
    if text is None and kind == "text":
        text = message.get("url") or ""
    return (Message("zalo", str(sender), text=text or "", kind=kind), str(chat))


class ZaloClient:
    def __init__(self, token: str, base_url: str, session: aiohttp.ClientSession):
        self.url = f"{base_url}{token}/"
        self.session = session

    async def call(self, method: str, body: dict[str, Any] | None = None,
                   timeout: float = 15.0) -> Any:
        try:
            async with self.session.post(self.url + method, json=body or {},
                                         timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                raw = await resp.read()
                status = resp.status
        except asyncio.TimeoutError as exc:
            raise ZaloError(method, 0, "timed out") from exc
        except aiohttp.ClientError as exc:
            raise ZaloError(method, 0, type(exc).__name__) from exc
        try:
            data = json.loads(raw)
        except ValueError:
            raise ZaloError(method, status, "answer is not JSON") from None
        if not isinstance(data, dict) or not data.get("ok"):
            code = data.get("error_code") if isinstance(data, dict) else None
            description = data.get("description", "") if isinstance(data, dict) else ""
            raise ZaloError(method, int(code or status or 0), str(description)[:200])
        return data.get("result")

    async def get_update(self, timeout: int = 30) -> Any:
        try:
            return await self.call("getUpdates", {"timeout": timeout}, timeout=timeout + 10)
        except ZaloError as exc:
            if exc.code == 408:  # nothing arrived during the long poll
                return None
            raise

    async def send_message(self, chat_id: str, text: str) -> Any:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})


class ZaloChannel:
    def __init__(self, conv: Conversation, config: Config):
        self.conv = conv
        self.config = config
        logs.add_secret(config.zalo_token, config.zalo_webhook_secret)
        self.session: aiohttp.ClientSession | None = None
        self.client: ZaloClient | None = None
        self.tasks: list[asyncio.Task] = []
        self.locks: dict[str, asyncio.Lock] = {}
        self.seen: OrderedDict[str, None] = OrderedDict()  # message ids already handled
        self.runner: web.AppRunner | None = None
        self.running = False

    # --- sending --------------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply) -> None:
        for chunk in split(without_file(reply.as_text(), reply.document)):
            await with_retry(lambda: self.client.send_message(chat_id, chunk), passing)

    # --- receiving ------------------------------------------------------------------

    def _duplicate(self, message: dict[str, Any]) -> bool:
        message_id = str(message.get("message_id") or "")
        if not message_id:
            return False
        if message_id in self.seen:
            return True
        self.seen[message_id] = None
        if len(self.seen) > 5000:
            self.seen.popitem(last=False)
        return False

    async def handle(self, payload: Any) -> None:
        parsed = parse_update(payload)
        if parsed is None:
            log.warning("Zalo update of an unknown shape ignored")
            return
        event, message = parsed
        if self._duplicate(message):
            return
        found = to_message(event, message)
        if found is None:
            return
        msg, chat_id = found
        async with self.locks.setdefault(chat_id, asyncio.Lock()):
            if event == "message.unsupported.received":
                try:
                    await self.send(chat_id, Reply(UNSUPPORTED))
                except ZaloError as exc:
                    log.error("Zalo reply failed: %s", exc)
                return
            await answer(self.conv, msg, lambda reply: self.send(chat_id, reply),
                         (ZaloError,), "Zalo")

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self.tasks.append(task)
        task.add_done_callback(lambda t: self.tasks.remove(t) if t in self.tasks else None)

    async def _poll(self) -> None:
        backoff = 1.0
        while self.running:
            try:
                update = await self.client.get_update(timeout=30)
                backoff = 1.0
                if update is not None:
                    self._spawn(self.handle(update))
            except asyncio.CancelledError:
                raise
            except ZaloError as exc:
                if exc.code == 401:
                    log.error("Zalo token refused (401): polling stopped")
                    return
                log.warning("Zalo polling: %s; retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff + random.random())
                backoff = min(backoff * 2, 30)

    async def _webhook(self, request: web.Request) -> web.Response:
        secret = request.headers.get("X-Bot-Api-Secret-Token", "")
        if not self.config.zalo_webhook_secret or not hmac.compare_digest(
                secret.encode(), self.config.zalo_webhook_secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            payload = await request.json()
        except ValueError:
            return web.Response(status=400, text="bad json")
        self._spawn(self.handle(payload))
        return web.json_response({"ok": True})

    # --- outbox ----------------------------------------------------------------------

    async def deliver_outbox(self) -> int:
        return await deliver_outbox(self.conv.storage, "zalo", self.send, (ZaloError,))

    # --- lifecycle -------------------------------------------------------------------

    async def _open(self) -> None:
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.config.http_pool * 2))
        self.client = ZaloClient(self.config.zalo_token, self.config.zalo_base_url,
                                 self.session)
        self.running = True
        me = await with_retry(lambda: self.client.call("getMe"), passing)
        log.warning("Zalo channel: %s", (me or {}).get("account_name", "bot"))

    async def start(self) -> None:
        """Long polling (the Zalo webhook must be off for it to work)."""
        await self._open()
        await self.client.call("deleteWebhook")
        self.tasks.append(asyncio.create_task(self._poll()))
        self.tasks.append(asyncio.create_task(outbox_loop(self.deliver_outbox,
                                                          lambda: self.running)))

    async def start_webhook(self, url: str, listen: str) -> None:
        from urllib.parse import urlparse

        if not 8 <= len(self.config.zalo_webhook_secret) <= 256:
            raise ValueError("ZALO_WEBHOOK_SECRET must be 8 to 256 characters")
        await self._open()
        app = web.Application()
        app.router.add_post(urlparse(url).path or "/", self._webhook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        host, _, port = listen.rpartition(":")
        await web.TCPSite(self.runner, host or "127.0.0.1", int(port)).start()
        await self.client.call("setWebhook", {"url": url,
                                              "secret_token": self.config.zalo_webhook_secret})
        self.tasks.append(asyncio.create_task(outbox_loop(self.deliver_outbox,
                                                          lambda: self.running)))

    async def stop(self) -> None:
        self.running = False
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.runner is not None:
            await self.runner.cleanup()
        if self.session is not None:
            await self.session.close()
