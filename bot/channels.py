"""What every messenger channel shares: cutting long replies to the platform's limit,
and delivering the SQLite outbox (staff notices, answers to citizens)."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any, Awaitable, Callable

from bot.storage import Storage
from handlers.conversation import SORRY
from handlers.types import Message, Option, Reply

log = logging.getLogger(__name__)


def split(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Chunks of at most ``limit`` (as measured by ``size``), cut at paragraphs, then at
    lines or words, and only inside a word when nothing else fits."""
    chunks: list[str] = []
    current = ""
    for piece in text.split("\n\n"):
        candidate = f"{current}\n\n{piece}" if current else piece
        if size(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        while size(piece) > limit:
            cut = limit
            while size(piece[:cut]) > limit:
                cut -= 1
            space = max(piece.rfind("\n", 0, cut), piece.rfind(" ", 0, cut))
            cut = space if space > cut // 2 else cut
            chunks.append(piece[:cut])
            piece = piece[cut:].lstrip("\n ")
        current = piece
    if current.strip() or not chunks:
        chunks.append(current if current.strip() else ".")
    return chunks


async def with_retry(call: Callable[[], Awaitable[Any]],
                     wait_for: Callable[[Exception, float], float | None],
                     attempts: int = 5) -> Any:
    """Call, and when ``wait_for(error, backoff)`` says an error is passing (flood
    control, a network fault), wait that long and call again. The backoff doubles from
    0.5 s up to 10 s; the last error is raised."""
    backoff = 0.5
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except Exception as exc:  # noqa: BLE001 - wait_for decides
            wait = wait_for(exc, backoff)
            if wait is None or attempt == attempts:
                raise
            await asyncio.sleep(wait + random.random() * 0.1)
            backoff = min(backoff * 2, 10)


def outbox_reply(item: dict) -> Reply:
    options = [Option(o["label"], o.get("data", ""), o.get("url", ""))
               for o in json.loads(item["options"] or "[]")]
    return Reply(item["text"], options, item["document"] or "")


async def deliver_outbox(storage: Storage, channel: str,
                         send: Callable[[str, Reply], Awaitable[None]],
                         failures: tuple[type[BaseException], ...],
                         hold: Callable[[dict, BaseException], bool] | None = None) -> int:
    """Send what is waiting for ``channel``; a failure is counted and retried later,
    unless ``hold(item, error)`` keeps the item aside (and says so)."""
    sent = 0
    for item in storage.pending(channel):
        try:
            await send(item["chat_id"], outbox_reply(item))
            storage.mark_sent(item["id"])
            sent += 1
        except failures as exc:
            if hold is None or not hold(item, exc):
                storage.mark_failed(item["id"], f"{type(exc).__name__}: {exc}"[:300])
    return sent


async def answer(conv, msg: Message, send: Callable[[Reply], Awaitable[None]],
                 failures: tuple[type[BaseException], ...], channel: str) -> None:
    """Handle one message and send its replies; a failed send is logged, and a handler
    that fails gets the citizen an apology instead of silence."""
    try:
        for reply in conv.handle(msg):
            await send(reply)
    except failures as exc:
        log.error("%s reply failed: %s", channel, exc)
    except Exception:  # noqa: BLE001 - one message must never stop the channel
        log.exception("%s message failed", channel)
        try:
            await send(Reply(SORRY))
        except failures:
            pass


async def outbox_loop(deliver: Callable[[], Awaitable[int]], running: Callable[[], bool],
                      every: float = 0.5) -> None:
    while running():
        try:
            await deliver()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep delivering whatever one item does
            log.exception("outbox delivery failed")
        await asyncio.sleep(every)
