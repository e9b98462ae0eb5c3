"""Every command and button of the bot, in one table built from the handler modules.

Each handler module declares its own ``COMMANDS`` (handlers.context.Command) and
``BUTTONS`` ({callback-data prefix: handler}); this module adds the general commands,
puts them together and builds from them the dispatch, the welcome's command line,
the reply to an unknown command and the command menus (Telegram's set_my_commands).
A new command is one ``Command(...)`` line in its module.
"""

from __future__ import annotations

from handlers import feedback, offices, ratings, screens, staff
from handlers.callbacks import HELP, SEP
from handlers.cards import MENU, stale
from handlers.context import ButtonHandler, Command, Context
from handlers.state import UserState
from handlers.types import Message, Reply


def welcome(ctx: Context) -> Reply:
    office = screens.office_name(ctx)
    who = f" của {office}" if office else ""
    commands = " · ".join(f"/{c.name} {c.welcome}" for c in COMMANDS if c.welcome)
    text = (f"Xin chào! Mình là trợ lý hỏi đáp thủ tục hành chính{who}.\n\n"
            "Bạn cứ gõ câu hỏi như khi nhắn tin, có dấu hay không dấu đều được, ví dụ:\n"
            "• làm giấy khai sinh cần gì\n• dang ky tam tru o dau\n"
            "• đổi bằng lái hết bao nhiêu tiền\n\n"
            f"Lệnh: {commands}.")
    return Reply(text, screens.menu(ctx).options)


# --- the general commands ----------------------------------------------------------------


def start(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    state.pop("flow", None)
    return [welcome(ctx)]


def open_menu(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    state.pop("flow", None)
    return [screens.menu(ctx)]


def cancel(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    """/huy: leave a feedback under way, or else a staff answer or reason being typed."""
    under_way = [state.pop("flow", None), staff.drop(state)]
    if any(under_way):
        state.pop("fb", None)
        return [Reply("Đã hủy. Bạn có thể hỏi tiếp hoặc mở menu.", [MENU])]
    return [Reply("Không có việc gì đang làm dở để hủy.", [MENU])]


def show_id(ctx: Context, msg: Message, arg: str, state: UserState) -> list[Reply]:
    """/id: the user's id exactly as MOTCUA_STAFF_IDS takes it, for anyone who asks."""
    key = f"{msg.channel}:{msg.user_id}"
    role = " Bạn đang là cán bộ của bot." if staff.allowed(ctx, msg) else ""
    return [Reply(f"Mã của bạn: {key}\n\nĐể bạn dùng được các lệnh của cán bộ, người quản "
                  f"trị bot thêm đúng mã này vào MOTCUA_STAFF_IDS (nhiều mã cách nhau bằng "
                  f"dấu phẩy) rồi khởi động lại bot.{role}")]


def help_pressed(ctx: Context, msg: Message, parts: list[str], state: UserState
                 ) -> list[Reply]:
    return [welcome(ctx)]


GENERAL = [
    Command("start", start, "Bắt đầu, giới thiệu bot", aliases=("batdau", "giupdo"), order=1),
    Command("menu", open_menu, "Danh mục thủ tục, hướng dẫn", order=2,
            welcome="xem danh mục", suggested=True),
    Command("huy", cancel, "Hủy việc đang làm", order=6,
            welcome="hủy việc đang làm", suggested=True),
    Command("help", start, "Hướng dẫn sử dụng", order=8, suggested=True),
    Command("id", show_id, "Xem mã người dùng của bạn (cho cán bộ)", order=9),
]

# --- the table ---------------------------------------------------------------------------

COMMANDS: list[Command] = sorted(
    [*GENERAL, *feedback.COMMANDS, *offices.COMMANDS, *staff.COMMANDS],
    key=lambda c: (c.staff, c.order))


def _merged(tables: list[dict]) -> dict:
    """One dict from several; a key declared twice is a mistake, caught at import."""
    merged: dict = {}
    for table in tables:
        for key, value in table.items():
            if key in merged:
                raise ValueError(f"{key!r} is declared twice")
            merged[key] = value
    return merged


BUTTONS: dict[str, ButtonHandler] = _merged([
    screens.BUTTONS, offices.BUTTONS, feedback.BUTTONS, staff.BUTTONS, ratings.BUTTONS,
    {HELP: help_pressed}])
BY_NAME: dict[str, Command] = _merged([{name: c for name in (c.name, *c.aliases)}
                                       for c in COMMANDS])
UNKNOWN_COMMAND = ("Mình chưa hiểu lệnh này. Các lệnh dùng được: "
                   + ", ".join(f"/{c.name}" for c in COMMANDS if c.suggested) + ".")


def command_menu(staff_only: bool = False) -> list[tuple[str, str]]:
    """(command, description) for a command menu: the citizens', or the staff's own
    (Telegram shows staff both lists)."""
    return [(c.name, c.description) for c in COMMANDS if c.staff == staff_only]


# --- dispatch ------------------------------------------------------------------------------


def command(ctx: Context, msg: Message, text: str, state: UserState) -> list[Reply]:
    """"/name arg" (or "/name@bot arg" in a Telegram group) to its handler."""
    name, _, arg = text[1:].partition(" ")
    found = BY_NAME.get(name.split("@")[0].lower())
    if found is None:
        return [Reply(UNKNOWN_COMMAND, [MENU])]
    if found.staff and not staff.allowed(ctx, msg):
        return [Reply(staff.REFUSED)]
    return found.handler(ctx, msg, arg, state)


def press(ctx: Context, msg: Message, data: str, state: UserState) -> list[Reply]:
    """A button's data, "prefix:part:part", to the handler of its prefix."""
    prefix, *parts = data.split(SEP)
    handler = BUTTONS.get(prefix)
    return handler(ctx, msg, parts, state) if handler else [stale()]
