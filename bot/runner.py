"""``motcua run``: every channel whose token is set, in one process, on one storage."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.config import Config
from handlers.conversation import Conversation

log = logging.getLogger(__name__)


async def serve(conv: Conversation, config: Config, webhook: str | None = None,
                listen: str = "127.0.0.1:8443", zalo_webhook: str | None = None,
                zalo_listen: str = "127.0.0.1:8444") -> None:
    """Start the configured channels and run until SIGINT or SIGTERM."""
    channels = []
    if config.telegram_token:
        from bot.telegram import TelegramChannel

        telegram = TelegramChannel(conv, config)
        if webhook:
            await telegram.start_webhook(webhook, listen)
        else:
            await telegram.start()
        channels.append(telegram)
        log.warning("Telegram channel started (%s)", "webhook" if webhook else "polling")
    if config.zalo_token:
        from bot.zalo import ZaloChannel

        zalo = ZaloChannel(conv, config)
        if zalo_webhook:
            await zalo.start_webhook(zalo_webhook, zalo_listen)
        else:
            await zalo.start()
        channels.append(zalo)
        log.warning("Zalo channel started (%s)", "webhook" if zalo_webhook else "polling")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        await stop.wait()
    finally:
        for channel in channels:
            await channel.stop()
