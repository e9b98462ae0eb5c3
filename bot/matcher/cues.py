"""Aspect cues: the phrases that say which part of a procedure a question is about
("bao nhiêu tiền" is the fee, "ở đâu" the place). They are written folded and
synonym-rewritten, as the analyzer sees them, and indexed by first syllable (``CUES``)
so that the analyzer tries only the cues that can start at a syllable, longest first."""

from __future__ import annotations

# Aspect cues on folded, synonym-rewritten text. Longer cues are marked first, so
# "bao nhiêu ngày" is time and its "bao nhiêu" is not read again as a fee.
ASPECTS: dict[str, tuple[str, ...]] = {
    "time": ("bao lau", "may ngay", "bao nhieu ngay", "thoi gian", "thoi han",
             "khi nao co", "bao gio co", "lau khong", "bao nhieu lau", "may tuan",
             "may thang", "bao nhieu thang", "khi nao lay", "bao gio lay",
             "ngay nao lay", "may hom", "lau qua", "nhanh nhat", "may bua", "bao nhieu bua",
             "mat bao nhieu ngay", "het bao nhieu ngay", "mat bao lau", "mat may ngay",
             "lay ngay", "co ngay", "trong ngay", "khi nao xong", "bao gio xong",
             "bao lau moi", "may ngay moi", "bao nhieu ngay moi", "lau chua"),
    "fee": ("bao nhieu tien", "le phi", "tien le phi", "ton bao nhieu", "mat bao nhieu",
            "het bao nhieu", "ton tien", "mat tien", "mien phi", "gia bao nhieu",
            "phai dong", "nop tien", "co mat phi", "tinh phi", "thu phi", "dong tien"),
    "documents": ("ho so gom", "ho so can", "ho so gi", "can ho so", "can gi",
                  "can nhung gi", "mang theo", "chuan bi", "mang gi", "thanh phan",
                  "can giay", "giay gi", "nop gi", "nop nhung gi", "to khai", "can mang",
                  "gom nhung gi", "gom gi", "can nop", "mang nhung gi", "nhung giay"),
    "online": ("truc tuyen", "tai nha", "khong can den", "khong phai den",
               "khong can len", "tu nha", "tren dinh danh", "qua dinh danh", "bang dinh danh",
               "tren ung dung", "qua ung dung", "tren bao hiem xa hoi", "qua bao hiem xa hoi",
               "tren dich vu cong", "qua dich vu cong", "tren cong", "qua cong",
               "tren dien thoai", "qua dien thoai", "tu lam tren"),
    "place": ("o dau", "cho nao", "noi nao", "dia chi", "co quan nao", "nop o",
              "lam o", "den dau", "nop dau", "lam dau", "ai giai quyet", "ai cap",
              "len dau", "ra dau", "dau lam", "o mo", "cho mo", "nop tai", "lam tai",
              "xin o", "ra uy ban nhan dan", "len uy ban nhan dan",
              "den uy ban nhan dan", "uy ban nhan dan nao",
              "xa nao", "len cong an", "ra cong an",
              "cong an nao", "trung tam nao", "noi dang ky", "hay phai ra", "hay phai len"),
    "legal": ("can cu", "luat nao", "nghi dinh", "thong tu", "van ban nao",
              "quy dinh nao", "theo luat", "phap ly", "dieu may", "phap luat",
              "theo quy dinh", "quy dinh tai", "luat gi", "luat", "dieu kien", "bat buoc",
              "bi phat", "phat khong", "co phat", "phat bao nhieu", "duoc phep", "co quy dinh",
              "quy dinh the nao", "quy dinh nhu the nao"),
}
# Cues that only say what the question is about when nothing sharper is there:
# "giấy tờ" is often just the object ("sao y giấy tờ bao nhiêu tiền").
# A plain locative ("nhận con ở ủy ban xã mất bao lâu") is where the citizen is, not
# always what they ask.
SOFT_CUES = {"documents": ("giay to",), "fee": ("tien",),
             "time": ("khi nao", "bao gio"),  # "chừng nào thì có": when, but also "if"
             "legal": ("co duoc", "duoc khong", "co phai", "phai khong"),
             "place": ("o uy ban nhan dan", "tai uy ban nhan dan", "o xa", "tai xa",
                       "o cong an")}


def _by_first_syllable() -> dict[str, list[tuple[tuple[str, ...], str, bool]]]:
    """first syllable -> (cue syllables, aspect, soft), longest cue first; sharp cues
    before soft ones of the same length."""
    table: dict[str, list[tuple[tuple[str, ...], str, bool]]] = {}
    for soft, cues_of in ((False, ASPECTS), (True, SOFT_CUES)):
        for aspect, cues in cues_of.items():
            for cue in cues:
                table.setdefault(cue.split()[0], []).append((tuple(cue.split()), aspect, soft))
    for found in table.values():
        found.sort(key=lambda item: -len(item[0]))
    return table


CUES = _by_first_syllable()
