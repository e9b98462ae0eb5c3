"""What every handler is given, and how a handler module says what it answers to.

As python-telegram-bot passes ``(update, context)`` to every handler, ours get the
message and a ``Context``: the knowledge, storage, matcher and configuration they may
use. A knowledge reload builds a new Context and swaps it as one object, so one
message is always served from one knowledge and its own matcher.

Each handler module declares its slash commands once, as ``Command``s in its
``COMMANDS`` list, and its buttons as ``BUTTONS = {prefix: handler}``;
handlers/routes.py puts them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bot.config import Config
from bot.knowledge import Knowledge
from bot.matcher import Matcher
from bot.storage import Storage
from handlers.state import UserState
from handlers.types import Message, Reply


@dataclass(frozen=True)
class Context:
    knowledge: Knowledge
    storage: Storage
    matcher: Matcher
    config: Config


# A command handler gets what follows the command ("/tracuu PA-1" -> " PA-1" is "PA-1"),
# a button handler the parts of the button's data after its prefix ("fb:c:x" -> [c, x]).
CommandHandler = Callable[[Context, Message, str, UserState], list[Reply]]
ButtonHandler = Callable[[Context, Message, list[str], UserState], list[Reply]]


@dataclass(frozen=True)
class Command:
    """A slash command. Dispatch, Telegram's command menu and every help text that
    lists commands are built from these, so a command is declared in one place."""

    name: str  # what is typed after "/", and its name in Telegram's menu
    handler: CommandHandler
    description: str  # Vietnamese, shown in Telegram's command menu
    aliases: tuple[str, ...] = ()  # other names that do the same, never in menus
    staff: bool = False  # for configured staff only; anyone else is refused
    order: int = 0  # place in menus and help lines (equal: the module's own order)
    welcome: str = ""  # listed on the welcome's command line, as "/name <welcome>"
    suggested: bool = False  # named in the reply to a command the bot does not know
    usage: str = ""  # staff help (/canbo): the arguments, as "/name <usage> — <help>"
    help: str = ""  # staff help: what it does
