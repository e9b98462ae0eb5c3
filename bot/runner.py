"""``motcua run``: every channel whose token is set, in one process, on one storage."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot import cache
from bot.config import Config
from handlers.conversation import Conversation

log = logging.getLogger(__name__)


async def serve(conv: Conversation, config: Config, webhook: str | None = None,
                listen: str = "127.0.0.1:8443", zalo_webhook: str | None = None,
                zalo_listen: str = "127.0.0.1:8444") -> None:
    """Start the configured channels and run until SIGINT or SIGTERM."""
    plans = []  # (name, channel class, webhook URL or None, where a webhook listens)
    if config.telegram_token:
        from bot.telegram import TelegramChannel

        plans.append(("Telegram", TelegramChannel, webhook, listen))
    if config.zalo_token:
        from bot.zalo import ZaloChannel

        plans.append(("Zalo", ZaloChannel, zalo_webhook, zalo_listen))
    channels = []
    for name, kind, url, where in plans:
        channel = kind(conv, config)
        await (channel.start_webhook(url, where) if url else channel.start())
        channels.append(channel)
        log.warning("%s channel started (%s)", name, "webhook" if url else "polling")
    stop = asyncio.Event()
    reload = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig, event in ((signal.SIGINT, stop), (signal.SIGTERM, stop), (signal.SIGHUP, reload)):
        try:
            loop.add_signal_handler(sig, event.set)
        except (NotImplementedError, RuntimeError):
            pass
    watcher = asyncio.create_task(watch(conv, reload))
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        for channel in channels:
            await channel.stop()


async def watch(conv: Conversation, reload: asyncio.Event, every: float = 3.0) -> None:
    """Reload the knowledge on SIGHUP or when its files change. The new index is built
    in a thread while the old one keeps answering; a knowledge folder with errors is
    refused and the last good one stays in service."""
    root = conv.knowledge.root
    seen = cache.fingerprint(root)
    while True:
        try:
            await asyncio.wait_for(reload.wait(), timeout=every)
        except asyncio.TimeoutError:
            pass
        try:
            current = cache.fingerprint(root)
        except OSError:
            continue
        if current == seen and not reload.is_set():
            continue
        reload.clear()
        seen = current
        knowledge, matcher = await asyncio.to_thread(cache.load, root)
        if matcher is None:
            log.error("knowledge reload refused, still serving the previous one: %s",
                      "; ".join(str(p) for p in knowledge.errors[:5]))
            continue
        conv.replace(knowledge, matcher)
        log.warning("knowledge reloaded: %d entries", len(knowledge.entries))
