"""The words for feedback statuses and categories: one Vietnamese vocabulary for the
CLI, the chat and the reports.

The database keeps the codes (``new``, ``in_progress``, ``thai-do``…); people see the
labels (``Đang xử lý``, ``Thái độ, hành vi cán bộ``) and may type a label with or
without diacritics, its first words (``đang xử lý``, ``thái độ``), the code, or the
short words of earlier versions (``dangxuly``, ``dong``). Anything else is refused
with the list of what is valid, never taken for a filter that matches nothing.
"""

from __future__ import annotations

from bot.text import fold

CATEGORIES = {
    "quy-dinh": "Quy định, thủ tục hành chính",
    "thai-do": "Thái độ, hành vi cán bộ",
    "tre-hen": "Hồ sơ trễ hẹn",
    "gop-y": "Góp ý, sáng kiến",
    "hoi-dap": "Câu hỏi cần cán bộ trả lời",  # a question the bot could not answer
    "khac": "Khác",
}
STATUSES = {"new": "Mới tiếp nhận", "in_progress": "Đang xử lý",
            "answered": "Đã trả lời", "closed": "Đã đóng"}
# the short word typed for each status (no spaces, no diacritics), shown in help texts
STATUS_WORDS = {"new": "moi", "in_progress": "dangxuly", "answered": "datraloi",
                "closed": "dong"}
# more ways people name a status or a category (compacted, see _key)
_STATUS_ALIASES = {"xuly": "in_progress", "dadong": "closed", "traloi": "answered",
                   "moinhan": "new"}
_CATEGORY_ALIASES = {"quydinhthutuc": "quy-dinh", "thutuc": "quy-dinh",
                     "canbo": "thai-do", "trehenhoso": "tre-hen", "hosotrehen": "tre-hen",
                     "gopy": "gop-y", "sangkien": "gop-y", "cauhoi": "hoi-dap",
                     "hoicanbo": "hoi-dap"}


class UnknownStatus(ValueError):
    """A status that is not one of ``STATUSES``; its text lists the valid ones."""

    def __init__(self, value: str):
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return f"không có trạng thái “{self.value[:40]}”. {status_choices()}"


class UnknownCategory(ValueError):
    """A category that is not one of ``CATEGORIES``; its text lists the valid ones."""

    def __init__(self, value: str):
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return f"không có loại “{self.value[:40]}”. {category_choices()}"


def _key(text: str) -> str:
    """"Đang xử lý", "dang xu ly", "dang-xu-ly", "in_progress" -> one compact form."""
    return "".join(fold(text.replace("_", " ")).split())


def _table(labels: dict[str, str], aliases: dict[str, str], short: dict[str, str]
           ) -> dict[str, str]:
    table = dict(aliases)
    for code, label in labels.items():
        table[_key(label)] = code
        table[_key(label.split(",")[0])] = code  # "Quy định", "Góp ý"
        table[_key(code)] = code
        if code in short:
            table[short[code]] = code
    return table


_STATUS_INPUT = _table(STATUSES, _STATUS_ALIASES, STATUS_WORDS)
_CATEGORY_INPUT = _table(CATEGORIES, _CATEGORY_ALIASES, {})


def status_label(code: str | None) -> str:
    """The Vietnamese label of a stored status code (the code itself if unknown)."""
    return STATUSES.get(code or "", code or "")


def category_label(code: str | None) -> str:
    """The Vietnamese label of a stored category code (the code itself if unknown)."""
    return CATEGORIES.get(code or "", code or "")


def parse_status(text: str) -> str:
    """The status code a person means; raises ``UnknownStatus``."""
    code = _STATUS_INPUT.get(_key(text or ""))
    if code is None:
        raise UnknownStatus(text or "")
    return code


def parse_category(text: str) -> str:
    """The category code a person means; raises ``UnknownCategory``."""
    code = _CATEGORY_INPUT.get(_key(text or ""))
    if code is None:
        raise UnknownCategory(text or "")
    return code


def status_choices() -> str:
    """"Trạng thái là một trong: Mới tiếp nhận (moi), …": for a refusal or a help."""
    return "Trạng thái là một trong: " + ", ".join(
        f"{label} ({STATUS_WORDS[code]})" for code, label in STATUSES.items()) + "."


def category_choices() -> str:
    return "Loại là một trong: " + ", ".join(
        f"{label} ({code})" for code, label in CATEGORIES.items()) + "."


def answer_message(ticket: str, answer: str) -> str:
    """What the citizen receives for a staff answer (the chat previews exactly this)."""
    return f"Trả lời phản ánh {ticket}:\n\n{answer}\n\nXem lại: /tracuu {ticket}"


def status_message(ticket: str, status: str, reason: str | None = None) -> str:
    """What the citizen receives when their feedback changes status."""
    text = f"Phản ánh {ticket} chuyển sang: {status_label(status)}."
    return f"{text}\nLý do: {reason}" if reason else text
