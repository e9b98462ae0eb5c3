"""What the bot remembers about one user between messages (kept in SQLite as JSON).

Several handlers write into the same dict, so every key is declared here once. The
names are stored: renaming one would lose what users had under way at an upgrade.
"""

from __future__ import annotations

from typing import TypedDict


class FeedbackState(TypedDict, total=False):
    """A feedback being written (see handlers/feedback.py)."""

    step: str  # category, text, procedure, consent, phone, confirm
    draft: str  # random id given when the flow starts: a second "Gửi" files nothing new
    category: str  # a key of bot.storage.CATEGORIES
    text: str
    procedure: str | None  # the entry id it concerns, None for none
    phone: str  # only with the citizen's explicit consent


class StaffPreview(TypedDict, total=False):
    """A staff answer shown as the citizen will receive it, waiting for "Gửi"."""

    ticket: str
    text: str
    draft: str  # random id carried by the "Gửi" button: a second press sends nothing


class Topic(TypedDict, total=False):
    """The entry last shown, for follow-ups (see handlers/topic.py)."""

    entry: str  # its id
    aspect: str | None  # the part shown (fee, documents…), None for the overview
    answer: str  # the key of the answer item shown, if one was
    at: int  # when, in seconds since the epoch


class UserState(TypedDict, total=False):
    options: list[str]  # Option.data of the last reply's choices, for a typed number
    labels: list[str]  # their labels as shown (once kept folded), for a choice typed in
    # words and to show the options again
    quick: dict[str, str]  # reactions under the last reply: symbol typed (👍) -> its data
    flow: str  # "feedback" while a feedback is under way
    fb: FeedbackState
    staff_answer: str  # the ticket whose answer a staff member is typing
    staff_preview: StaffPreview  # an answer typed, shown, not yet confirmed
    staff_close: str  # the ticket whose closing reason a staff member is typing
    awaiting: str  # "commune" after the bot asked for the citizen's xã/phường
    office: str  # the id of the citizen's own commune office
    topic: Topic  # the entry last shown, for follow-ups
    asked: str  # the last question the bot could not answer, to forward to staff
    rate: list[int]  # ids of the last questions answered, which this user may rate
