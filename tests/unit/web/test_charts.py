"""The statistics page's charts (services/web/charts.py) without a server: the SVG is
well-formed, bars are proportional to their figures on a computed scale, every text
is escaped, and a chart without figures says so."""

import itertools
import xml.etree.ElementTree as ET

import pytest

from services.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup):
    return ET.fromstring(markup)  # fails on anything unescaped or unclosed


def bars(svg):
    """The data bars (not the legend's squares): those with a tooltip."""
    return [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]


def tooltip(rect):
    return rect.find(f"{SVG}title").text


@pytest.mark.parametrize(
    ("maximum", "top", "step"),
    [(1, 1, 1), (3, 3, 1), (7, 8, 2), (10, 10, 2), (11, 15, 5), (48, 50, 10), (230, 250, 50), (1234, 1500, 500)],
)
def test_a_count_axis_ends_on_a_round_step_at_or_above_the_largest_figure(maximum, top, step):
    assert charts.nice_scale(maximum) == (top, step)


def test_a_rate_axis_may_step_by_fractions_and_nothing_still_has_a_scale():
    assert charts.nice_scale(1.0, integers=False) == (1.0, 0.2)
    assert charts.nice_scale(0.37, integers=False) == pytest.approx((0.4, 0.1))
    assert charts.nice_scale(0) == (1.0, 1.0)


def test_grouped_bars_are_as_tall_as_their_figures_and_stand_on_one_line():
    received = charts.Series("Tiếp nhận", "series-1", [40, 10, 0])
    resolved = charts.Series("Giải quyết", "series-2", [20, 30, 5])
    svg = parsed(
        charts.grouped_bars("thang", "Theo tháng", "Hồ sơ mỗi tháng", ["T1", "T2", "T3"], [received, resolved])
    )
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "thang-title thang-desc"
    assert svg.find(f"{SVG}title").text == "Theo tháng" and svg.find(f"{SVG}desc").text == "Hồ sơ mỗi tháng"
    drawn = bars(svg)
    assert [tooltip(r) for r in drawn] == [
        "T1, Tiếp nhận: 40",
        "T1, Giải quyết: 20",
        "T2, Tiếp nhận: 10",
        "T2, Giải quyết: 30",
        "T3, Tiếp nhận: 0",
        "T3, Giải quyết: 5",
    ]
    heights = [float(r.get("height")) for r in drawn]
    # a scale up to 40: 40 is the whole plot, the rest in proportion
    assert heights[4] == 0
    for height, value in zip(heights, [40, 20, 10, 30, 0, 5], strict=True):
        assert height == pytest.approx(heights[0] * value / 40, abs=0.1)
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 1) for r in drawn}
    assert len(bottoms) == 1
    # a group's bars side by side, groups left to right, all of a series one colour
    xs = [float(r.get("x")) for r in drawn]
    assert xs == sorted(xs)
    assert {r.get("class") for r in drawn[::2]} == {"bar series-1"}
    assert {r.get("class") for r in drawn[1::2]} == {"bar series-2"}
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-tick"]
    assert ticks == ["0", "10", "20", "30", "40"]


def test_many_narrow_groups_are_labelled_every_few_without_overlap():
    months = [f"T{m}/{y}" for y in (25, 26) for m in range(1, 13)]
    svg = parsed(charts.grouped_bars("m", "t", "d", months, [charts.Series("Tiếp nhận", "s", list(range(24)))]))
    labels = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert 1 < len(labels) < 24 and labels[0].text == "T1/25"
    xs = [float(t.get("x")) for t in labels]
    assert min(b - a for a, b in itertools.pairwise(xs)) >= charts.LABEL_WIDTH
    assert len(bars(parsed(charts.grouped_bars("m", "t", "d", months, [charts.Series("a", "s", [1] * 24)])))) == 24


def test_horizontal_bars_on_a_fixed_scale_are_as_long_as_their_rates():
    rows = [("Hộ tịch", 1.0), ("Đất đai", 0.5), ("Xây dựng", 0.25)]
    svg = parsed(
        charts.horizontal_bars(
            "dung-han", "Tỷ lệ đúng hạn", "Theo lĩnh vực", rows, top=1.0, integers=False, number=lambda v: f"{v:.0%}"
        )
    )
    drawn = bars(svg)
    widths = [float(r.get("width")) for r in drawn]
    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.1) and widths[2] == pytest.approx(widths[0] / 4, abs=0.1)
    assert [tooltip(r) for r in drawn] == ["Hộ tịch: 100%", "Đất đai: 50%", "Xây dựng: 25%"]
    ys = [float(r.get("y")) for r in drawn]
    assert ys == sorted(ys) and len(set(ys)) == 3
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-tick"]
    assert ticks == ["0%", "20%", "40%", "60%", "80%", "100%"]


def test_horizontal_bars_without_a_fixed_scale_fill_the_plot_with_the_largest():
    svg = parsed(charts.horizontal_bars("qua-han", "Quá hạn", "Theo phòng", [("TUPHAP", 3), ("QLDT", 12)]))
    widths = [float(r.get("width")) for r in bars(svg)]
    top, _ = charts.nice_scale(12)
    assert widths[0] == pytest.approx(widths[1] * 3 / 12, abs=0.1)
    assert widths[1] == pytest.approx((charts.WIDTH - 230 - 72) * 12 / top, abs=0.1)


def test_every_text_is_escaped():
    evil = '<script>alert("x")</script> & co'
    markup = charts.grouped_bars("a", evil, evil, [evil], [charts.Series(evil, evil, [3])])
    markup += charts.horizontal_bars("b", evil, evil, [(evil, 2)])
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup and "&amp; co" in markup
    for one in markup.split("</svg>")[:-1]:
        parsed(one + "</svg>")  # well-formed: nothing broke out of an attribute or a text


def test_a_long_label_is_cut_and_kept_whole_in_its_tooltip():
    label = "Thành lập và hoạt động của doanh nghiệp (hộ kinh doanh)"
    svg = parsed(charts.horizontal_bars("c", "t", "d", [(label, 1)]))
    shown = next(t for t in svg.iter(f"{SVG}text") if t.get("class") == "chart-label")
    assert shown.find(f"{SVG}title").text == label
    assert shown.find(f"{SVG}title").tail == label[: charts.LABEL_CHARS - 1] + "…"


@pytest.mark.parametrize(
    "markup",
    [
        charts.grouped_bars("e", "Theo tháng", "Hồ sơ", [], []),
        charts.grouped_bars("e", "Theo tháng", "Hồ sơ", ["T1", "T2"], [charts.Series("Tiếp nhận", "s", [0, 0])]),
        charts.horizontal_bars("e", "Tỷ lệ", "Theo lĩnh vực", []),
        charts.horizontal_bars("e", "Tỷ lệ", "Theo lĩnh vực", [("Hộ tịch", 0), ("Đất đai", None)]),
    ],
)
def test_a_chart_without_figures_says_so_and_draws_no_bar(markup):
    svg = parsed(markup)
    assert bars(svg) == [] and svg.find(f"{SVG}rect") is None
    assert [t.text for t in svg.iter(f"{SVG}text")] == [charts.EMPTY]
    assert svg.find(f"{SVG}desc").text.endswith(f"{charts.EMPTY}.")


def test_the_empty_message_can_say_what_nothing_means():
    markup = charts.horizontal_bars("q", "Quá hạn", "Theo phòng", [("TUPHAP", 0)], empty="Không có hồ sơ quá hạn")
    assert "Không có hồ sơ quá hạn" in markup and charts.EMPTY not in markup


def test_counts_are_written_the_vietnamese_way():
    assert charts.whole(1234567) == "1.234.567"
    assert charts.whole(0) == "0"
