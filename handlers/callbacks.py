"""Callback data: what a button sends back when it is pressed.

A button's data is ``PREFIX:part:part``; the prefix names the handler (each module's
``BUTTONS``), the parts are its arguments. Buttons already sent to citizens keep
working after an upgrade only if these strings never change: add new ones, never
rename. Telegram allows at most 64 bytes of data per button.
"""

from __future__ import annotations

SEP = ":"

# Prefixes: which handler a press goes to.
MENU_PATH = "m"  # m, m:p (fields), m:f:<field slug>, m:k:<entry kind>
ENTRY = "e"  # e:<entry id>[:<aspect>]
OFFICE = "o"  # o:<office id>
FEEDBACK = "fb"  # fb (start), fb:<action>[:<value>]
STAFF = "s"  # s:<action>:<ticket>[:<status>]
HELP = "help"
SOURCE = "src"  # src:<answer key>: where an answer item's facts come from
RATE = "r"  # r:<question id>:y|n: "Hữu ích? 👍 / 👎" under an answer

# The menu's paths.
MENU_FIELDS = "p"
MENU_FIELD = "f"
MENU_KIND = "k"

# Feedback actions.
FB_CATEGORY = "c"  # fb:c:<category>
FB_PROCEDURE = "t"  # fb:t:<entry id>, fb:t:- for none
FB_PHONE = "p"  # fb:p:yes, fb:p:no
FB_SEND = "send"
FB_EDIT = "edit"
FB_DELETE = "del"  # fb:del:yes, fb:del:no (the citizen's data, /xoadulieu)
FB_ASK = "ask"  # fb:ask: forward the last unanswered question to staff
FB_RESUME = "go"  # fb:go: back to the step of a feedback under way
FB_CANCEL = "stop"  # fb:stop: leave a feedback under way

# Staff actions.
STAFF_VIEW = "v"  # s:v:<ticket>
STAFF_STATUS = "st"  # s:st:<ticket>:<status>
STAFF_ANSWER = "a"  # s:a:<ticket>
STAFF_EXPORT = "x"  # s:x
STAFF_SEND = "as"  # s:as:<ticket>:<draft>: send the answer previewed
STAFF_EDIT = "ae"  # s:ae:<ticket>: type the previewed answer again
STAFF_DROP = "ac"  # s:ac:<ticket>: drop the previewed answer


def data(*parts: str) -> str:
    """``data(FEEDBACK, FB_PHONE, "no")`` -> "fb:p:no"."""
    return SEP.join(parts)
