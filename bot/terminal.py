"""The terminal channel: the same conversation in a shell, options as numbers."""

from __future__ import annotations

import sys
from typing import TextIO

from handlers.conversation import Conversation
from handlers.types import Message

PROMPT = "Bạn: "


def chat(conv: Conversation, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
         user_id: str = "local") -> None:
    """Read lines until end of input or /thoat; print each reply with numbered options."""

    def show(replies) -> None:
        for reply in replies:
            stdout.write("Bot: " + reply.as_text().replace("\n", "\n     ") + "\n\n")
        stdout.flush()

    show(conv.handle(Message("terminal", user_id, text="/start")))
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
    stdout.write("Tạm biệt!\n")
