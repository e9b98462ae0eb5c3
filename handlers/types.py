"""What a handler receives and returns: channel-neutral messages and replies."""

from __future__ import annotations

from dataclasses import dataclass, field


def pick_hint(count: int) -> str:
    """How to pick one of ``count`` numbered options: "gõ 1 để chọn" for one, else
    "gõ số từ 1 đến N để chọn" (never "từ 1 đến 1")."""
    return "gõ 1 để chọn" if count == 1 else f"gõ số từ 1 đến {count} để chọn"


@dataclass(frozen=True)
class Option:
    """A choice under a reply: a button where the channel has them, a number elsewhere.

    ``data`` is what comes back when it is picked (at most 64 bytes, stable across
    restarts); ``url`` makes it a link instead. ``quick`` makes it a reaction (👍): a
    button where the channel has them, elsewhere not a numbered line but a symbol to
    type (``quick_line``), so that a card keeps its four lines and the menu.
    """

    label: str
    data: str = ""
    url: str = ""
    quick: str = ""


def numbered(options: list[Option]) -> list[Option]:
    """The options a channel without buttons shows as numbered lines, in order."""
    return [o for o in options if o.data and not o.quick]


def quick_line(options: list[Option]) -> str:
    """ "Gõ 👍 nếu hữu ích, 👎 nếu chưa hữu ích." for the reactions among the options."""
    quick = [o for o in options if o.quick and o.data]
    if not quick:
        return ""
    said = [f"{o.quick} nếu {o.label.removeprefix(o.quick).strip().lower()}" for o in quick]
    return f"Gõ {', '.join(said)}."


@dataclass
class Reply:
    text: str
    options: list[Option] = field(default_factory=list)
    document: str = ""  # path of a file to send with the text (exports)

    def as_text(self) -> str:
        """The reply for a channel without buttons: choices numbered, links spelled out.

        Only options with ``data`` are numbered, in order, so that a bare number typed
        back picks the same option (see ``handlers.conversation.picked``). The line
        saying how to pick is left out when the text already says it.
        """
        lines = [self.text]
        choices = numbered(self.options)
        links = [o for o in self.options if o.url and not o.data]
        if choices:
            lines.append("")
            lines += [f"{n}. {o.label}" for n, o in enumerate(choices, 1)]
            hint = pick_hint(len(choices))
            if hint not in self.text.lower():
                lines.append(f"({hint[0].upper()}{hint[1:]})")
        quick = quick_line(self.options)
        if quick:
            lines += ["", quick]
        if links:
            lines.append("")
            lines += [f"{o.label}: {o.url}" for o in links]
        if self.document:
            lines += ["", f"[Tệp đính kèm: {self.document}]"]
        return "\n".join(lines)


@dataclass
class Message:
    """One thing a user did: typed text, pressed a button, or sent something else."""

    channel: str
    user_id: str
    text: str = ""
    data: str = ""  # the Option.data of a pressed button
    kind: str = "text"  # text, button, sticker, photo, voice, location, document, other
