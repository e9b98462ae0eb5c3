"""The Telegram channel: python-telegram-bot's real Application around the handlers.

Updates become ``handlers.types.Message``; replies become HTML messages (every piece
of text escaped) with inline keyboards, split at paragraph boundaries under Telegram's
4,096 characters. Updates of different users run concurrently, those of one user in
order. Messages for other chats (staff notices, answers to citizens) come from the
SQLite outbox, so they survive restarts.
"""

from __future__ import annotations

import asyncio
import html
import logging
import secrets
import warnings
from functools import lru_cache
from pathlib import Path

from telegram import (BotCommand, BotCommandScopeChat, BotCommandScopeDefault,
                      InlineKeyboardButton, InlineKeyboardMarkup, Update)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot import logs
from bot.channels import deliver_outbox, outbox_loop, with_retry
from bot.channels import split as split_text
from bot.config import Config
from bot.http import AiohttpRequest
from handlers.callbacks import RATE, SEP
from handlers.conversation import SORRY, Conversation
from handlers.routes import command_menu
from handlers.types import Message, Option, Reply

log = logging.getLogger(__name__)

LIMIT = 4096
CALLBACK_LIMIT = 64
# The command menus, from the handlers' one routing table: citizens see theirs,
# configured staff both.
CITIZEN_COMMANDS = command_menu()
STAFF_COMMANDS = command_menu(staff_only=True)
KINDS = (("sticker", "sticker"), ("photo", "photo"), ("voice", "voice"), ("audio", "voice"),
         ("video_note", "voice"), ("location", "location"), ("venue", "location"),
         ("document", "document"), ("video", "document"), ("animation", "sticker"),
         ("contact", "other"), ("poll", "other"), ("dice", "sticker"))


# --- rendering -----------------------------------------------------------------------


def split(text: str, limit: int = LIMIT - 96) -> list[str]:
    """Chunks under Telegram's limit, with room left for the bold title tags."""
    return split_text(text, limit)


def to_html(text: str, bold_first_line: bool = False) -> str:
    escaped = html.escape(text, quote=False)
    if bold_first_line and "\n" in escaped:
        first, rest = escaped.split("\n", 1)
        return f"<b>{first}</b>\n{rest}"
    return escaped


def keyboard(options: list[Option]) -> InlineKeyboardMarkup | None:
    return _keyboard(tuple(options))


@lru_cache(maxsize=2048)
def _keyboard(options: tuple[Option, ...]) -> InlineKeyboardMarkup | None:
    """Inline keyboard for a set of options; cards repeat, so markups are reused."""
    rows: list[list[InlineKeyboardButton]] = []
    pending: list[InlineKeyboardButton] = []
    for option in options:
        if option.url:
            rows.append([InlineKeyboardButton(option.label[:64], url=option.url)])
            continue
        if not option.data or len(option.data.encode()) > CALLBACK_LIMIT:
            log.warning("option without valid callback data skipped")
            continue
        button = InlineKeyboardButton(option.label[:64], callback_data=option.data)
        if option.data.startswith(RATE + SEP) and pending and \
                not pending[-1].callback_data.startswith(RATE + SEP):
            rows.append(pending)  # 👍 / 👎 on a row of their own, under the card's options
            pending = []
        if len(option.label) <= 20:
            pending.append(button)
            if len(pending) == 2:
                rows.append(pending)
                pending = []
        else:
            if pending:
                rows.append(pending)
                pending = []
            rows.append([button])
    if pending:
        rows.append(pending)
    return InlineKeyboardMarkup(rows) if rows else None


def passing(exc: Exception, backoff: float) -> float | None:
    """Seconds to wait before trying again, or None when retrying cannot help."""
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # PTB 22.2+ warns about a future type change
            warnings.simplefilter("ignore")
            wait = exc.retry_after
        return min(wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait), 60)
    if isinstance(exc, (TimedOut, NetworkError)) and not isinstance(exc, BadRequest):
        return backoff
    return None


async def send(bot, chat_id: int | str, reply: Reply) -> None:
    """Send one reply: text in chunks, keyboard on the last one, then any document."""
    chunks = split(reply.text or " ")
    markup = keyboard(reply.options)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        body = to_html(chunk, bold_first_line=index == 0 and reply.text.startswith(
            ("📄", "🏢", "🧭", "📣", "💬")))
        try:
            await with_retry(lambda: bot.send_message(
                chat_id, body, parse_mode=ParseMode.HTML,
                reply_markup=markup if last else None, disable_web_page_preview=True),
                passing)
        except BadRequest as exc:  # never lose a reply to formatting: send it plain
            log.warning("HTML send refused (%s); sending plain text", exc.message)
            await with_retry(lambda: bot.send_message(
                chat_id, chunk, reply_markup=markup if last else None), passing)
    if reply.document:
        path = Path(reply.document)
        with open(path, "rb") as f:
            await with_retry(lambda: bot.send_document(chat_id, f, filename=path.name),
                             passing)


# --- updates -------------------------------------------------------------------------


def to_message(update: Update, bot_username: str) -> tuple[Message, int] | None:
    """Our Message and the chat to answer, or None for updates the bot ignores."""
    if update.callback_query:
        query = update.callback_query
        chat = query.message.chat.id if query.message else query.from_user.id
        return Message("telegram", str(query.from_user.id), data=query.data or "",
                       kind="button"), chat
    message = update.message or update.edited_message
    if message is None or message.from_user is None:
        return None
    user, chat = str(message.from_user.id), message.chat
    text = message.text
    if chat.type != ChatType.PRIVATE:
        # In groups: only commands and messages that mention or reply to the bot.
        mention = f"@{bot_username}".lower() if bot_username else None
        replied = message.reply_to_message and message.reply_to_message.from_user and \
            message.reply_to_message.from_user.username == bot_username
        if not text or not (text.startswith("/") or (mention and mention in text.lower())
                            or replied):
            return None
        if mention:
            text = text.replace(f"@{bot_username}", "").strip()
    if text is not None:
        return Message("telegram", user, text=text), chat.id
    kind = next((ours for attr, ours in KINDS if getattr(message, attr, None)), "other")
    return Message("telegram", user, kind=kind), chat.id


class TelegramChannel:
    def __init__(self, conv: Conversation, config: Config):
        self.conv = conv
        self.config = config
        logs.add_secret(config.telegram_token, config.webhook_secret)
        self.locks: dict[str, asyncio.Lock] = {}
        self.outbox_task: asyncio.Task | None = None
        self.app = self.build()

    def build(self) -> Application:
        # kept to be closed in stop() even when initialize() failed (no network, bad token)
        self.requests = (AiohttpRequest(pool_size=self.config.http_pool),
                         AiohttpRequest(pool_size=1, read_timeout=None))
        builder = (ApplicationBuilder().token(self.config.telegram_token)
                   .base_url(self.config.telegram_base_url)
                   .base_file_url(self.config.telegram_file_url)
                   .concurrent_updates(self.config.telegram_concurrency)
                   .request(self.requests[0])
                   .get_updates_request(self.requests[1])
                   .post_init(self._started).post_shutdown(self._stopped))
        app = builder.build()
        app.add_handler(TypeHandler(Update, self.on_update))
        app.add_error_handler(self.on_error)
        return app

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query:
            try:
                await update.callback_query.answer()
            except (BadRequest, NetworkError):
                pass
        found = to_message(update, context.bot.username or "")
        if found is None:
            return
        message, chat_id = found
        lock = self.locks.setdefault(f"{chat_id}:{message.user_id}", asyncio.Lock())
        async with lock:  # one user's messages in order; other users go on meanwhile
            for reply in self.conv.handle(message):
                await send(context.bot, chat_id, reply)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update failed: %s", type(context.error).__name__,
                  exc_info=context.error)
        chat = getattr(update, "effective_chat", None)
        if chat is not None:
            try:
                await context.bot.send_message(chat.id, SORRY)
            except Exception:  # noqa: BLE001 - the error handler must not raise
                log.warning("could not tell the user about the error")

    # --- lifecycle: commands and the outbox ----------------------------------------

    async def _started(self, app: Application) -> None:
        await self.set_commands(app.bot)
        self.outbox_task = asyncio.create_task(outbox_loop(
            lambda: self.deliver_outbox(app.bot), lambda: True))

    async def _stopped(self, app: Application) -> None:
        if self.outbox_task:
            self.outbox_task.cancel()

    async def set_commands(self, bot) -> None:
        citizen = [BotCommand(c, d) for c, d in CITIZEN_COMMANDS]
        try:
            await bot.set_my_commands(citizen, scope=BotCommandScopeDefault())
            for key in sorted(self.config.staff):
                channel, _, user_id = key.partition(":")
                if channel == "telegram" and user_id.lstrip("-").isdigit():
                    await bot.set_my_commands(
                        citizen + [BotCommand(c, d) for c, d in STAFF_COMMANDS],
                        scope=BotCommandScopeChat(int(user_id)))
        except (BadRequest, Forbidden, NetworkError) as exc:
            log.warning("could not register commands: %s", exc)

    async def deliver_outbox(self, bot) -> int:
        return await deliver_outbox(self.conv.storage, "telegram",
                                    lambda chat, reply: send(bot, chat, reply),
                                    (BadRequest, Forbidden, NetworkError))

    # --- running ---------------------------------------------------------------------

    async def start(self, poll_timeout: int = 10) -> None:
        """Start inside a running event loop (tests, or beside other channels)."""
        await self.app.initialize()
        await self._started(self.app)
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0, timeout=poll_timeout,
                                             allowed_updates=Update.ALL_TYPES)

    async def start_webhook(self, url: str, listen: str) -> None:
        """Webhook mode inside a running loop; Telegram's secret_token is checked on
        every request (python-telegram-bot answers 403 to a wrong one)."""
        from urllib.parse import urlparse

        host, _, port = listen.rpartition(":")
        secret = self.config.webhook_secret or secrets.token_urlsafe(32)
        logs.add_secret(secret)
        await self.app.initialize()
        await self._started(self.app)
        await self.app.start()
        await self.app.updater.start_webhook(
            listen=host or "127.0.0.1", port=int(port or 8443),
            url_path=urlparse(url).path.lstrip("/"), webhook_url=url,
            secret_token=secret, allowed_updates=Update.ALL_TYPES)

    async def stop(self) -> None:
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self._stopped(self.app)
        await self.app.shutdown()
        for request in self.requests:
            await request.shutdown()
