""""Hữu ích? 👍 / 👎" under an answer: one tap, optional, stored (bot/ratings.py).

Buttons where the channel has them; elsewhere (Zalo, the terminal) a line under the
card's numbered options, "Gõ 👍 nếu hữu ích, 👎 nếu chưa hữu ích.", so that a card keeps
its four lines and the menu, numbered the same on every card.
Only questions offered to this user can be rated by them (kept in their state).
"""

from __future__ import annotations

from bot import ratings
from handlers.callbacks import RATE, data
from handlers.cards import MENU
from handlers.context import ButtonHandler, Context
from handlers.state import UserState
from handlers.types import Message, Option, Reply

KEPT = 10  # the last questions a user may still rate
UP, DOWN = "y", "n"


def offer(reply: Reply, question_id: int | None, state: UserState) -> Reply:
    """The reply with the two rating options added last (nothing when not logged)."""
    if question_id is None:
        return reply
    state["rate"] = [*(state.get("rate") or [])[-(KEPT - 1):], question_id]
    reply.options = [*reply.options,
                     Option("👍 Hữu ích", data(RATE, str(question_id), UP), quick="👍"),
                     Option("👎 Chưa hữu ích", data(RATE, str(question_id), DOWN), quick="👎")]
    return reply


def press(ctx: Context, msg: Message, parts: list[str], state: UserState) -> list[Reply]:
    """r:<question id>:y|n."""
    if len(parts) != 2 or parts[1] not in (UP, DOWN) or not parts[0].isdigit() or \
            int(parts[0]) not in (state.get("rate") or []):
        return [Reply("Lựa chọn này đã cũ. Bạn cứ gõ câu hỏi tiếp nhé.", [MENU])]
    done = ratings.record(ctx.storage, int(parts[0]), parts[1] == UP)
    if done == "same":
        return [Reply("Bạn đã đánh giá câu trả lời này rồi, cảm ơn bạn.", [MENU])]
    if parts[1] == UP:
        return [Reply("Cảm ơn bạn đã đánh giá! 👍", [MENU])]
    return [Reply("Cảm ơn bạn đã góp ý. Cán bộ sẽ xem lại câu trả lời này để bổ sung. "
                  "Cần hỏi trực tiếp, bạn gõ /phananh.", [MENU])]


BUTTONS: dict[str, ButtonHandler] = {RATE: press}
