"""Charts drawn on the server as inline SVG: the statistics page needs no script (the
Content-Security-Policy allows none inline) and prints as it shows. Framework-free:
pure functions that return markup, every text escaped, the scales computed here, the
colours given by CSS classes of static/motcua.css (never inline styles).

Each chart is an <svg role="img"> named by its <title> and <desc>; the page puts the
figures beside it in a table for those who cannot see it."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

EMPTY = "Chưa có số liệu"
WIDTH = 720
LABEL_CHARS = 26  # a longer row label is cut (whole in its tooltip)
LABEL_WIDTH = 56  # room for a category's label under its bars ("T12/26")

Number = Callable[[float], str]


def whole(value: float) -> str:
    """1.234 (Vietnamese thousands separator)."""
    return f"{round(value):,}".replace(",", ".")


@dataclass(frozen=True)
class Series:
    """One kind of bar of a grouped chart: its name in the legend, the CSS class that
    colours it and one value per category."""

    name: str
    css: str
    values: Sequence[float]


def nice_scale(maximum: float, ticks: int = 5, integers: bool = True) -> tuple[float, float]:
    """(top, step) of an axis from 0 that holds `maximum`: a step of 1, 2 or 5 times a
    power of ten (at least 1 for counts), the top a whole number of steps."""
    if maximum <= 0:
        return 1.0, 1.0
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(n * power for n in (1, 2, 5, 10) if raw <= n * power)
    if integers:
        step = max(1.0, float(round(step)))
    top = round(step * math.ceil(round(maximum / step, 9)), 9)
    return top, step


def _n(value: float) -> str:
    """A coordinate: one decimal at most."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _open(key: str, title: str, desc: str, height: float) -> list[str]:
    k = escape(key)
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'role="img" aria-labelledby="{k}-title {k}-desc" id="{k}">',
        f'<title id="{k}-title">{escape(title)}</title>',
        f'<desc id="{k}-desc">{escape(desc)}</desc>',
    ]


def _empty(key: str, title: str, desc: str, message: str) -> str:
    height = 100
    parts = _open(key, title, f"{desc} {message}.", height)
    parts.append(
        f'<text class="chart-empty" x="{WIDTH // 2}" y="{height // 2}" text-anchor="middle" '
        f'dominant-baseline="middle">{escape(message)}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _has_data(values: Sequence[float | None]) -> bool:
    return any(v for v in values if v is not None and v > 0)


def grouped_bars(
    key: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    number: Number = whole,
    empty: str = EMPTY,
) -> str:
    """Vertical bars, one group per category (a month), one bar per series (received,
    resolved), a legend above and a value axis on the left."""
    if not categories or not _has_data([v for s in series for v in s.values]):
        return _empty(key, title, desc, empty)
    left, right, top_margin, bottom = 56, 16, 40, 40
    height = 320
    plot_w, plot_h = WIDTH - left - right, height - top_margin - bottom
    base = top_margin + plot_h
    top, step = nice_scale(max(v or 0 for s in series for v in s.values))
    parts = _open(key, title, desc, height)
    parts += _legend(series, left, 18)
    parts += _value_axis(top, step, left, WIDTH - right, top_margin, plot_h, number)
    group_w = plot_w / len(categories)
    bar_w = group_w * 0.8 / len(series)
    every = math.ceil(LABEL_WIDTH / group_w)  # many narrow groups: a label on every few, none overlapping
    for i, category in enumerate(categories):
        group_x = left + i * group_w
        for j, one in enumerate(series):
            value = one.values[i] or 0
            bar_h = value / top * plot_h
            x = group_x + group_w * 0.1 + j * bar_w
            parts.append(
                f'<rect class="bar {escape(one.css)}" x="{_n(x)}" y="{_n(base - bar_h)}" '
                f'width="{_n(bar_w)}" height="{_n(bar_h)}">'
                f"<title>{escape(category)}, {escape(one.name)}: {escape(number(value))}</title></rect>"
            )
            if bar_w >= 16 and value:
                parts.append(
                    f'<text class="chart-value" x="{_n(x + bar_w / 2)}" y="{_n(base - bar_h - 4)}" '
                    f'text-anchor="middle">{escape(number(value))}</text>'
                )
        if i % every == 0:
            parts.append(
                f'<text class="chart-label" x="{_n(group_x + group_w / 2)}" y="{_n(base + 18)}" '
                f'text-anchor="middle">{escape(_cut(category))}</text>'
            )
    parts.append(f'<line class="chart-axis" x1="{left}" y1="{_n(base)}" x2="{WIDTH - right}" y2="{_n(base)}"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def horizontal_bars(
    key: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, float]],
    css: str = "series-1",
    top: float | None = None,
    number: Number = whole,
    empty: str = EMPTY,
    integers: bool = True,
) -> str:
    """One horizontal bar per row (label, value), longest to the right; `top` fixes the
    scale's end (1.0 for a rate), else it is computed from the largest value."""
    if not rows or not _has_data([v for _, v in rows]):
        return _empty(key, title, desc, empty)
    left, right, top_margin, row_h, bottom = 230, 72, 8, 30, 28
    plot_w = WIDTH - left - right
    height = top_margin + row_h * len(rows) + bottom
    base = top_margin + row_h * len(rows)
    if top is None:
        top, step = nice_scale(max(v for _, v in rows), integers=integers)
    else:
        step = nice_scale(top, integers=integers)[1]
    parts = _open(key, title, desc, height)
    for k in range(round(top / step) + 1):
        tick = k * step
        x = left + tick / top * plot_w
        parts.append(f'<line class="chart-grid" x1="{_n(x)}" y1="{top_margin}" x2="{_n(x)}" y2="{_n(base)}"/>')
        parts.append(
            f'<text class="chart-tick" x="{_n(x)}" y="{_n(base + 18)}" text-anchor="middle">'
            f"{escape(number(tick))}</text>"
        )
    for i, (label, value) in enumerate(rows):
        value = min(value or 0, top)
        y = top_margin + i * row_h
        bar_w = value / top * plot_w
        middle = y + row_h / 2
        parts.append(
            f'<text class="chart-label" x="{left - 8}" y="{_n(middle)}" text-anchor="end" dominant-baseline="middle">'
            f"<title>{escape(label)}</title>{escape(_cut(label))}</text>"
        )
        parts.append(
            f'<rect class="bar {escape(css)}" x="{left}" y="{_n(y + 5)}" width="{_n(bar_w)}" height="{row_h - 10}">'
            f"<title>{escape(label)}: {escape(number(value))}</title></rect>"
        )
        parts.append(
            f'<text class="chart-value" x="{_n(left + bar_w + 6)}" y="{_n(middle)}" dominant-baseline="middle">'
            f"{escape(number(value))}</text>"
        )
    parts.append(f'<line class="chart-axis" x1="{left}" y1="{top_margin}" x2="{left}" y2="{_n(base)}"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts = []
    for one in series:
        parts.append(f'<rect class="bar {escape(one.css)}" x="{_n(x)}" y="{_n(y - 10)}" width="12" height="12"/>')
        parts.append(f'<text class="chart-legend" x="{_n(x + 18)}" y="{_n(y)}">{escape(one.name)}</text>')
        x += 36 + 9 * len(one.name)
    return parts


def _value_axis(
    top: float, step: float, x1: float, x2: float, top_margin: float, plot_h: float, number: Number
) -> list[str]:
    parts = []
    for k in range(round(top / step) + 1):
        tick = k * step
        y = top_margin + plot_h - tick / top * plot_h
        parts.append(f'<line class="chart-grid" x1="{_n(x1)}" y1="{_n(y)}" x2="{_n(x2)}" y2="{_n(y)}"/>')
        parts.append(
            f'<text class="chart-tick" x="{_n(x1 - 6)}" y="{_n(y)}" text-anchor="end" dominant-baseline="middle">'
            f"{escape(number(tick))}</text>"
        )
    return parts
