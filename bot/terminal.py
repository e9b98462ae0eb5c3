"""The terminal channel: the same conversation in a shell, options as numbers."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from handlers.conversation import Conversation
from handlers.types import Message, Reply

PROMPT = "Bạn: "


def chat(conv: Conversation, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
         user_id: str | None = None) -> None:
    """Read lines until end of input or /thoat; print each reply with numbered options.

    The user id is ``MOTCUA_TERMINAL_USER`` or "local"; staff use the same commands as
    on the messengers when ``terminal:<id>`` is in MOTCUA_STAFF_IDS."""
    user_id = user_id or os.environ.get("MOTCUA_TERMINAL_USER", "local")

    def show(replies) -> None:
        for reply in replies:
            stdout.write("Bot: " + reply.as_text().replace("\n", "\n     ") + "\n\n")
        stdout.flush()

    def deliver() -> None:
        """Messages queued for this user (a staff answer, a status change)."""
        for message in conv.storage.pending("terminal"):
            if message["chat_id"] == user_id:
                show([Reply(message["text"])])
                conv.storage.mark_sent(message["id"])

    show(conv.handle(Message("terminal", user_id, text="/start")))
    deliver()
    interactive = stdin.isatty()
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.strip()
        if text.lower() in ("/thoat", "/exit", "/quit"):
            break
        if not interactive:
            stdout.write(PROMPT + text + "\n")
        show(conv.handle(Message("terminal", user_id, text=text)))
        deliver()
    stdout.write("Tạm biệt!\n")
