"""``motcua run``: every channel whose token is set, in one process, on one storage."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import sys
from urllib.parse import urlparse

from bot import cache
from bot.config import Config
from handlers.conversation import Conversation

log = logging.getLogger(__name__)


class StartFailed(Exception):
    """A channel could not start, for a reason the deployer can fix: one Vietnamese
    line saying what to do."""


def explain(name: str, exc: BaseException, config: Config, listen: str | None) -> str | None:
    """What a deployer should do about a channel that failed to start, or None for an
    error that is not theirs to fix (a bug: let it be seen)."""
    from telegram.error import BadRequest, InvalidToken, NetworkError

    from bot.zalo import ZaloError

    if name == "Zalo OA":
        return explain_oa(exc, config, listen)
    telegram = name == "Telegram"
    variable = "TELEGRAM_BOT_TOKEN" if telegram else "ZALO_BOT_TOKEN"
    where = "@BotFather" if telegram else "Zalo Bot Creator"
    base = config.telegram_base_url if telegram else config.zalo_base_url
    host = urlparse(base).netloc or base
    code = exc.code if isinstance(exc, ZaloError) else None
    if isinstance(exc, InvalidToken) or code in (401, 403, 404):
        return (f"{name} từ chối token ({variable}): chép lại đúng token từ {where} "
                "(không thừa dấu cách, dấu ngoặc) rồi chạy lại")
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (f"cổng {listen} đang có chương trình khác dùng: dừng chương trình đó, hoặc "
                f"chọn cổng khác ({'--listen' if telegram else '--zalo-listen'})")
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EADDRNOTAVAIL) \
            and listen:
        return (f"không mở được cổng {listen}: dùng cổng trên 1024 và địa chỉ của máy này "
                f"({'--listen' if telegram else '--zalo-listen'}, ví dụ 127.0.0.1:8443)")
    if isinstance(exc, BadRequest):
        return (f"{name} từ chối yêu cầu ({exc.message}): kiểm tra địa chỉ webhook, phải là "
                "https công khai")
    if isinstance(exc, (NetworkError, socket.gaierror, ConnectionError)) or code == 0:
        return (f"không kết nối được tới {host} ({name}): kiểm tra mạng, DNS, tường lửa "
                f"hoặc proxy của máy chủ rồi chạy lại")
    if isinstance(exc, ZaloError):
        return f"Zalo trả lỗi {exc.code} ({exc.description}): kiểm tra {variable} và cấu hình webhook"
    if isinstance(exc, ValueError) and "ZALO_WEBHOOK_SECRET" in str(exc):
        return "ZALO_WEBHOOK_SECRET phải dài 8 đến 256 ký tự (openssl rand -hex 24)"
    return None


def explain_oa(exc: BaseException, config: Config, listen: str | None) -> str | None:
    from bot.zalo_oa import TOKEN_ERRORS, OAError

    if isinstance(exc, ValueError) and "Zalo OA settings missing" in str(exc):
        return (f"thiếu {str(exc).split(': ', 1)[1]}: đặt các biến này (README, mục "
                "\"Chạy trên Zalo OA\") rồi chạy lại")
    if isinstance(exc, OSError) and exc.errno in (errno.EADDRINUSE, errno.EACCES,
                                                  errno.EADDRNOTAVAIL):
        return (f"không mở được cổng {listen} cho Zalo OA: chọn cổng khác trên 1024 của máy "
                "này (--zalo-oa-listen, ví dụ 127.0.0.1:8445)")
    if not isinstance(exc, OAError):
        return None
    if exc.code in TOKEN_ERRORS or exc.method == "refresh" and exc.code < 0:
        return ("Zalo OA từ chối access token và refresh token: cấp lại quyền cho ứng dụng "
                "trên developers.zalo.me, đặt cặp token mới vào ZALO_OA_ACCESS_TOKEN và "
                "ZALO_OA_REFRESH_TOKEN rồi chạy lại")
    if exc.code == 0:
        host = urlparse(config.zalo_oa_api_base_url).netloc or config.zalo_oa_api_base_url
        return (f"không kết nối được tới {host} (Zalo OA): kiểm tra mạng, DNS, tường lửa "
                "hoặc proxy của máy chủ rồi chạy lại")
    return (f"Zalo OA trả lỗi {exc.code} ({exc.description}): kiểm tra ZALO_OA_APP_ID và "
            "quyền của ứng dụng với OA")


def console_problem(listen: str, exc: BaseException) -> str:
    """Why the console could not listen at HOST:PORT, in one line to act on."""
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (f"cổng {listen} của trang cán bộ đang có chương trình khác dùng: dừng "
                "chương trình đó hoặc chọn cổng khác (MOTCUA_CONSOLE_LISTEN, --listen)")
    return (f"trang cán bộ không mở được ở {listen}: dùng dạng HOST:PORT với cổng trên 1024, "
            "ví dụ 127.0.0.1:8080")


async def _stop_all(channels: list) -> None:
    for channel in channels:
        try:
            await channel.stop()
        except Exception:  # noqa: BLE001 - stopping after a failed start must not mask it
            log.debug("stopping a channel after a failed start failed", exc_info=True)


async def serve(conv: Conversation, config: Config, webhook: str | None = None,
                listen: str = "127.0.0.1:8443", zalo_webhook: str | None = None,
                zalo_listen: str = "127.0.0.1:8444",
                zalo_oa_listen: str = "127.0.0.1:8445") -> None:
    """Start the configured channels and run until SIGINT or SIGTERM."""
    plans = []  # (name, channel class, webhook URL or None, where a webhook listens)
    if config.telegram_token:
        from bot.telegram import TelegramChannel

        plans.append(("Telegram", TelegramChannel, webhook, listen))
    if config.zalo_token:
        from bot.zalo import ZaloChannel

        plans.append(("Zalo", ZaloChannel, zalo_webhook, zalo_listen))
    if config.zalo_oa_app_id:
        from bot.zalo_oa import PATH, ZaloOAChannel

        plans.append(("Zalo OA", ZaloOAChannel, PATH, zalo_oa_listen))  # push only
    channels, started = [], []
    for name, kind, url, where in plans:
        channel = kind(conv, config)
        try:
            await (channel.start_webhook(url, where) if url else channel.start())
        except Exception as exc:  # noqa: BLE001 - explained, or raised again
            await _stop_all([*channels, channel])
            message = explain(name, exc, config, where if url else None)
            if message is None:
                raise
            raise StartFailed(message) from exc
        channels.append(channel)
        started.append(f"{name} ({f'webhook, nghe {where}' if url else 'long polling'})")
        log.warning("%s channel started (%s)", name, "webhook" if url else "polling")
    console = None
    if config.console_listen:
        from bot.console.app import start as start_console

        try:
            console = await start_console(conv.storage, lambda: conv.knowledge,
                                          config.console_listen)
        except (OSError, ValueError) as exc:
            await _stop_all(channels)
            raise StartFailed(console_problem(config.console_listen, exc)) from exc
        started.append(f"trang cán bộ (http://{config.console_listen})")
    stop = asyncio.Event()
    reload = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig, event in ((signal.SIGINT, stop), (signal.SIGTERM, stop), (signal.SIGHUP, reload)):
        try:
            loop.add_signal_handler(sig, event.set)
        except (NotImplementedError, RuntimeError):
            pass
    print(f"motcua run: đang chạy {', '.join(started)}; dừng bằng Ctrl+C hoặc SIGTERM",
          file=sys.stderr, flush=True)
    watcher = asyncio.create_task(watch(conv, reload))
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        for channel in channels:
            await channel.stop()
        if console is not None:
            await console.cleanup()


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
