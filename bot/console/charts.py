"""Charts drawn on the server as SVG: no script, nothing fetched from the internet,
printable, readable on a phone. Every label is escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 480
ROW = 44  # a label line and its bar


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def bars(rows: list[tuple[str, float, float]], title: str, total_label: str = "Tiếp nhận",
         part_label: str | None = "Đã giải quyết") -> Markup:
    """Horizontal bars, each under its label (long names fit a phone): for each
    (label, total, part) a light bar for the total with a dark one for the part inside
    it (received and resolved) and "part/total" at its end; ``part_label`` None draws
    one series, the total alone."""
    rows = [r for r in rows if r[1]]
    if not rows:
        return Markup('<p class="empty">Chưa có số liệu trong kỳ này.</p>')
    top = max(r[1] for r in rows)
    span = WIDTH - 70
    height = ROW * len(rows) + (30 if part_label else 4)
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
           f'<title>{escape(title)}</title>']
    for i, (label, total, part) in enumerate(rows):
        y = i * ROW
        full = span * total / top
        out.append(f'<text x="0" y="{y + 14}" class="lbl">{escape(_short(label))}'
                   f'<title>{escape(label)}</title></text>')
        out.append(f'<rect x="0" y="{y + 20}" width="{_n(max(full, 1))}" height="16" '
                   f'class="{"bar-total" if part_label else "bar-part"}"/>')
        if part_label and part:
            out.append(f'<rect x="0" y="{y + 20}" width="{_n(max(span * part / top, 1))}" '
                       'height="16" class="bar-part"/>')
        number = f"{int(part)}/{int(total)}" if part_label else f"{int(total)}"
        out.append(f'<text x="{_n(full + 6)}" y="{y + 33}" class="num">{number}</text>')
    if part_label:
        y = len(rows) * ROW + 10
        out.append(f'<rect x="0" y="{y}" width="12" height="12" class="bar-total"/>'
                   f'<text x="18" y="{y + 11}" class="key">{escape(total_label)}</text>'
                   f'<rect x="120" y="{y}" width="12" height="12" class="bar-part"/>'
                   f'<text x="138" y="{y + 11}" class="key">{escape(part_label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def columns(points: list[tuple[str, int]], title: str, width: int = 960) -> Markup:
    """Vertical columns, one a day: (label "dd/mm", count); ``width`` is that of a page
    wide card, so that its text is the size of the bar charts' text."""
    if not points or not any(count for _, count in points):
        return Markup('<p class="empty">Chưa có câu hỏi nào trong kỳ này.</p>')
    top = max(count for _, count in points)
    height, base, left = 180, 150, 30
    step = (width - left - 6) / len(points)
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
           f'<title>{escape(title)}</title>',
           f'<line x1="{left}" y1="{base}" x2="{width - 4}" y2="{base}" class="axis"/>',
           f'<text x="{left - 4}" y="16" text-anchor="end" class="num">{top}</text>',
           f'<text x="{left - 4}" y="{base}" text-anchor="end" class="num">0</text>']
    every = max(1, round(len(points) / 8))  # about eight day labels
    for i, (label, count) in enumerate(points):
        x = left + i * step
        h = (base - 10) * count / top
        out.append(f'<rect x="{_n(x + step * 0.15)}" y="{_n(base - h)}" '
                   f'width="{_n(max(step * 0.7, 1))}" height="{_n(h)}" class="bar-part">'
                   f'<title>{escape(label)}: {count}</title></rect>')
        if i % every == 0 and x + step / 2 < width - 20:  # no label cut at the edge
            out.append(f'<text x="{_n(x + step / 2)}" y="{base + 18}" text-anchor="middle" '
                       f'class="key">{escape(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
