"""One national procedure record as the fields of a knowledge entry.

``make_entry`` reads a catalog line and/or a detail record of the national portal
(dichvucong.gov.vn) and returns the entry's fields: title and aliases, agency and
level, who may apply, documents, processing time, fees, where to submit, online
service, legal basis. Portal texts are HTML of uneven quality: the text helpers
make them plain and short, and leave out what is one province's detail or
obsolete (district offices). ``bot.dvc`` decides which records to import and
writes the entry files.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any, Iterable

from bot.text import fold, strip_marks

PORTAL_URL = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/"
MAX_DOCUMENTS = 15
MAX_LEGAL_BASIS = 10
MAX_AGENCIES = 5
MAX_TEXT = 300  # characters of one document, fee or legal-basis item
MAX_SUBJECTS = 6
MAX_PLACES = 3
MAX_PLACE = 200  # characters of the receiving place

METHODS = {"DIRECT": "trực tiếp", "ONLINE": "trực tuyến", "POSTAL": "bưu chính"}
TIME_UNITS = {"WORKING_DAY": "ngày làm việc", "DAY": "ngày", "HOUR": "giờ",
              "WEEK": "tuần", "MONTH": "tháng", "YEAR": "năm"}
# Portal currency ids seen in the data: đồng, and US dollars (consular fees).
CURRENCIES = {"019b3fb2-b5b8-70ac-85e2-9409ec1eaffa": "đồng",
              "019b3fb2-dee2-76ab-aa53-22d4d903a2bb": "USD"}
_TAG = re.compile(r"<[^>]*>")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_DISTRICT = re.compile(r"\bhuyện\b", re.IGNORECASE)
_BULLET = re.compile(r"^[-+*•·]+\s*")
# "(cấp tỉnh)", "(thực hiện tại cấp xã)", "(Cấp TW)" in titles; "(… cấp huyện)" is obsolete.
LEVEL_NOTE = re.compile(r"\s*\((?:thực hiện )?(?:tại |ở )?cấp (?:xã|tỉnh|huyện|trung ương|tw|bộ)\)",
                        re.IGNORECASE)


# --- text helpers ------------------------------------------------------------------


def plain_text(value: Any) -> str:
    """Portal HTML as plain text: no tags or entities, no invisible marks, one space,
    NFC; "" for anything but a string. (Not ``bot.text.clean``, which folds text for
    matching.)"""
    if not isinstance(value, str):
        return ""
    text = html.unescape(_TAG.sub(" ", value))
    text = _INVISIBLE.sub("", text)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def unique(texts: Iterable[str]) -> list[str]:
    """Non-empty texts without repeats (compared without case)."""
    seen: set[str] = set()
    result = []
    for text in texts:
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            result.append(text)
    return result


def names(items: Any) -> list[str]:
    """``plain_text`` of each mapping's ``name`` in a list, or of each string in it."""
    if not isinstance(items, list):
        return []
    raw = [item.get("name") if isinstance(item, dict) else item for item in items]
    return unique(plain_text(name) for name in raw)


def number(value: float) -> str:
    """7 -> "7", 7.5 -> "7,5" (Vietnamese decimal comma)."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def money(value: float) -> str:
    """30000 -> "30.000"."""
    whole = f"{value:,.2f}".rstrip("0").rstrip(".")
    return whole.replace(",", " ").replace(".", ",").replace(" ", ".")


def one_of(options: list[str]) -> str:
    """["a"] -> "a"; ["a", "b", "c"] -> "a, b hoặc c"."""
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " hoặc " + options[-1]


# --- mapping one record -----------------------------------------------------------


def entry_id(code: str) -> str:
    return "dvc-" + code.replace(".", "-")


def title_of(name: str) -> str:
    title = re.sub(r"^thủ tục\s+", "", plain_text(name), flags=re.IGNORECASE).rstrip(" .")
    return title[:1].upper() + title[1:]


def aliases_of(title: str) -> list[str]:
    """The title without a level note such as "(cấp tỉnh)", when it has one."""
    short = " ".join(LEVEL_NOTE.sub("", title).split())
    return [short] if short and short != title else []


def level_of(detail: dict[str, Any], agencies: list[str]) -> str | None:
    """cấp xã / cấp tỉnh / trung ương, from the record's flags or the agency names."""
    levels = set()
    if detail.get("isWard"):
        levels.add("cấp xã")
    if detail.get("isProvince"):
        levels.add("cấp tỉnh")
    if detail.get("isMinistry"):
        levels.add("trung ương")
    for agency in agencies if not levels else []:
        text = strip_marks(agency).lower()
        if re.search(r"\bcap xa\b|\b(uy ban nhan dan|ubnd|cong an) (xa|phuong)\b", text):
            levels.add("cấp xã")
        if re.search(r"\bcap tinh\b|^so\b|\btinh\b|van phong dang ky dat dai", text):
            levels.add("cấp tỉnh")
        if re.search(r"^(bo|cuc|tong cuc|chinh phu|thu tuong|ngan hang nha nuoc)\b|"
                     r"\bcap (bo|trung uong)\b|^co quan (dai dien|lanh su)\b", text):
            levels.add("trung ương")
    ordered = [level for level in ("cấp xã", "cấp tỉnh", "trung ương") if level in levels]
    return ", ".join(ordered) or None


def agency_of(detail: dict[str, Any], line: dict[str, Any]) -> list[str]:
    """Executing agencies; district offices (abolished on 1 July 2025) are left out."""
    agencies = (names(detail.get("unitGroupsExecuting")) or names(detail.get("departmentsExecuting"))
                or names(line.get("departments")))
    return [name for name in agencies if not _DISTRICT.search(name)]


def agency_text(agencies: list[str]) -> str | None:
    if not agencies:
        return None
    text = "; ".join(agencies[:MAX_AGENCIES])
    more = len(agencies) - MAX_AGENCIES
    return text + (f" và {more} cơ quan khác" if more > 0 else "")


def documents_of(detail: dict[str, Any]) -> list[str]:
    """Hồ sơ: component names, without the "Lưu ý" groups, bullets and repeats."""
    texts = []
    for case in detail.get("executionCases") or []:
        if not isinstance(case, dict) or re.match(r"\W*lưu ý", plain_text(case.get("name")), re.I):
            continue
        for component in case.get("profileComponents") or []:
            if isinstance(component, dict) and not component.get("isProcessingResult"):
                texts.append(shorten(_BULLET.sub("", plain_text(component.get("name")))))
    return unique(texts)[:MAX_DOCUMENTS]


def _methods(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in detail.get("executionMethods") or []
            if isinstance(m, dict) and m.get("submissionMethod") in METHODS]


def _duration(qty: Any, unit: Any) -> str | None:
    if isinstance(qty, str):
        try:
            qty = float(qty.replace(",", "."))
        except ValueError:
            return None
    if isinstance(qty, (int, float)) and qty > 0 and unit in TIME_UNITS:
        return f"{number(qty)} {TIME_UNITS[unit]}"
    return None


def _choices(texts: list[str]) -> str:
    texts = unique(texts)[:3]
    return one_of(texts) + (", tùy trường hợp" if len(texts) > 1 else "")


def _all(texts: list[str]) -> str:
    return "; ".join(text.rstrip(".") for text in unique(texts)[:4])


def _by_method(values: dict[str, list[str]], combine=_choices, sep: str = "; ") -> str | None:
    """One text when every method says the same, else "Trực tiếp: …; Trực tuyến: …"."""
    rendered = {method: combine(texts) for method, texts in values.items() if texts}
    if not rendered:
        return None
    if len(set(rendered.values())) == 1:
        return next(iter(rendered.values()))
    return sep.join(f"{METHODS[m].capitalize()}: {text}" for m, text in rendered.items())


def processing_time_of(detail: dict[str, Any]) -> str | None:
    """Thời hạn per submission method; sub-cases stand in where a method has no unit."""
    cases = [_duration((c.get("processingDay") or {}).get("qty"),
                       (c.get("processingDay") or {}).get("type"))
             for c in detail.get("cases") or [] if isinstance(c, dict)]
    case_times = [t for t in cases if t]
    values: dict[str, list[str]] = {m: [] for m in METHODS}
    for method in _methods(detail):
        qty, unit = method.get("processingTime"), method.get("processingTimeUnit")
        text = _duration(qty, unit)
        if text is None and isinstance(qty, str):
            words = plain_text(qty)  # some records put a sentence here, or "Theo mô tả"
            if re.search(r"[^\d.,\s]", words) and fold(words) != "theo mo ta":
                text = shorten(words)
        if text is None and case_times:
            text = _choices(case_times)
        if text:
            values[method["submissionMethod"]].append(text)
    return _by_method(values)


def _fee_text(fee: dict[str, Any]) -> str | None:
    value = fee.get("value")
    note = plain_text(fee.get("description"))
    note = re.sub(r"^(miễn phí\s+)?đồng\b\s*[-:]?\s*", r"\1", note, flags=re.IGNORECASE)
    if note.startswith("(") and note.endswith(")"):
        note = note[1:-1].strip()
    amount = None
    if isinstance(value, (int, float)) and value > 0:
        unit = CURRENCIES.get(fee.get("currencyId") or "")
        if unit is None and value >= 1000:
            unit = "đồng"  # no currency given; only đồng amounts run this high
        amount = f"{money(value)} {unit or '(cổng không ghi đơn vị tiền)'}"
    if amount and note:
        return shorten(f"{amount}: {note}")
    return shorten(amount or note) if (amount or note) else None


def fee_of(detail: dict[str, Any]) -> str | None:
    """Phí, lệ phí per method; "Không mất phí" when every fee is stated as 0."""
    fees = [(m["submissionMethod"], f) for m in _methods(detail)
            for f in m.get("fees") or [] if isinstance(f, dict)]
    if not fees:
        return None
    if all(f.get("value") == 0 and not plain_text(f.get("description")) for _, f in fees):
        return "Không mất phí"
    values: dict[str, list[str]] = {m: [] for m in METHODS}
    for method, fee in fees:
        text = _fee_text(fee)
        if text:
            values[method].append(text)
    return _by_method(values, _all, sep=" | ")


def lines_of(value: Any) -> list[str]:
    """A portal text as its lines, each plain, without bullets or end punctuation."""
    if not isinstance(value, str):
        return []
    raw = re.split(r"\n|<br\s*/?>|</p>|</li>", value, flags=re.IGNORECASE)
    lines = (_BULLET.sub("", plain_text(line)).strip(" ;.\"'") for line in raw)
    return unique(line for line in lines if line)


# Lines of a receiving address that are not a place: ways of submitting (said apart),
# scope notes, and anything with a number (street numbers, counters, phone numbers:
# one province's details, never shown as national facts).
_NOT_A_PLACE = re.compile(r"\d|https?:|www\.|trực tuyến|bưu chính|cổng dịch vụ công|"
                          r"địa giới hành chính|^thủ tục hành chính|^trực tiếp$", re.IGNORECASE)
_PLACE_LEAD = re.compile(r"^(?:nộp\s+)?(?:trực tiếp\s+)?tại\s+", re.IGNORECASE)
_PLACE_TAIL = re.compile(r"[\s,:;]*(?:gồm|tại địa chỉ)?\s*:?$", re.IGNORECASE)


def place_of(detail: dict[str, Any]) -> str | None:
    """Where the dossier is received, as the record says (``dossierReceivingAddresses``),
    kept to the names of places."""
    places = []
    for line in lines_of(detail.get("dossierReceivingAddresses")):
        line = _PLACE_TAIL.sub("", _PLACE_LEAD.sub("", line))
        if _NOT_A_PLACE.search(line) or _DISTRICT.search(line):
            continue
        if len(line) >= 5:
            places.append(line[:1].upper() + line[1:])
    return shorten("; ".join(unique(places)[:MAX_PLACES]), MAX_PLACE) if places else None


def submit_of(detail: dict[str, Any]) -> str | None:
    """Nơi nộp: the receiving place the record names, then the ways of submitting."""
    present = {m["submissionMethod"] for m in _methods(detail)}
    ways = [("qua " + text if code == "POSTAL" else text)
            for code, text in METHODS.items() if code in present]
    how = "Nộp " + one_of(ways) if ways else None
    place = place_of(detail)
    if place and how:
        return f"{place}. {how}"
    return place or how


_NONE_STATED = ("khong", "khong co", "khong quy dinh", "khong co quy dinh", "khong yeu cau")


def who_of(detail: dict[str, Any]) -> str | None:
    """Ai được làm: the kinds of applicants, then the conditions, as the record says."""
    subjects = names(detail.get("subjectTypesDetails"))[:MAX_SUBJECTS]
    conditions = [line.rstrip(" .;") for line in lines_of(detail.get("requirementsAndConditions"))
                  if fold(line).rstrip(" .") not in _NONE_STATED]
    parts = []
    if subjects:
        parts.append("Đối tượng: " + ", ".join(subjects))
    if conditions:
        parts.append("Điều kiện: " + shorten("; ".join(conditions)))
    return ". ".join(parts) or None


def online_of(detail: dict[str, Any], url: str) -> dict[str, Any]:
    if detail.get("isOfflineOnly"):
        return {"available": False, "level": "không", "url": url}
    has_online = any(m["submissionMethod"] == "ONLINE" for m in _methods(detail))
    full = bool(detail.get("isFullProcess"))
    level = "toàn trình" if full else "một phần" if has_online else "không"
    return {"available": has_online or full, "level": level, "url": url}


def legal_basis_of(detail: dict[str, Any]) -> list[str]:
    texts = []
    for item in detail.get("legalBasisesDetails") or []:
        if not isinstance(item, dict):
            continue
        code, name = plain_text(item.get("code")), plain_text(item.get("name"))
        if code and name and code.casefold() not in name.casefold():
            texts.append(shorten(f"{code}: {name}"))
        elif name or code:
            texts.append(shorten(name or code))
    return unique(texts)[:MAX_LEGAL_BASIS]



def make_entry(code: str, line: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any] | None:
    """One knowledge entry from a catalog line and/or a detail record (either may be {})."""
    record_id = plain_text(detail.get("id") or line.get("id"))
    if not record_id:
        return None
    url = PORTAL_URL + record_id
    title = title_of(detail.get("name") or line.get("name"))
    field_name = (names(line.get("categories")) or names(detail.get("categoriesDetails"))
                  or names([detail.get("category")]) or ["Khác"])[0]
    agencies = agency_of(detail, line)
    entry: dict[str, Any] = {
        "id": entry_id(code), "kind": "procedure", "imported": True, "code": code,
        "title": title, "aliases": aliases_of(title), "field": field_name,
        "agency": agency_text(agencies), "level": level_of(detail, agencies),
    }
    if detail:
        entry.update({
            "who": who_of(detail),
            "documents": documents_of(detail),
            "processing_time": processing_time_of(detail),
            "fee": fee_of(detail),
            "submit": submit_of(detail),
            "online": online_of(detail, url),
            "legal_basis": legal_basis_of(detail),
            "result": "; ".join(names(detail.get("resultsDetails"))[:5]),
        })
    kind = line.get("type") or detail.get("type")
    issuer = plain_text(line.get("departmentPromulgate") or detail.get("departmentPromulgateName"))
    if kind == "SPECIFIC" and issuer:
        entry["notes"] = f"Thủ tục riêng do {issuer} công bố; tỉnh, thành phố khác có thể khác."
    entry.update({"url": url, "sources": [url]})
    return {k: v for k, v in entry.items() if v or k == "aliases"}
