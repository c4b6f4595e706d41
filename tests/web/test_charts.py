"""The dashboard's charts: inline SVG drawn from the figures, no script, an empty state when all is zero."""

from tongxin.web.service import bar_chart, column_chart

MONTHS = [{"month": m, "hours": h} for m, h in (("2025-12", 0), ("2026-01", 12.5), ("2026-02", 25), ("2026-03", 0))]


def test_columns_are_as_tall_as_their_share_of_the_busiest_month():
    svg = column_chart(MONTHS, label="month", value="hours", name="服务时长 · 按月", empty="none")
    assert svg.startswith("<svg") and "<script" not in svg
    heights = [float(part.split('height="', 1)[1].split('"', 1)[0]) for part in svg.split("<rect")[1:]]
    assert len(heights) == 4 and heights[0] == 0 and heights[2] == 2 * heights[1]
    assert ">2025<" in svg and ">2026<" in svg, "the year is written under the first column and under January"
    assert ">12.5<" in svg and ">25<" in svg


def test_bars_label_each_community_with_its_value():
    svg = bar_chart([{"community": "明日社区", "hours": 30}, {"community": "阳澄社区", "hours": 10}],
                    label="community", value="hours", name="服务时长")
    assert svg.count("<rect") == 2 and "明日社区" in svg and ">30<" in svg
    assert 'aria-label="服务时长"' in svg, "screen readers hear the chart's title, not a field code"


def test_all_zero_or_no_rows_say_there_are_no_figures_yet():
    zeros = [{**row, "hours": 0} for row in MONTHS]
    assert column_chart(zeros, label="month", value="hours", name="服务时长 · 按月", empty="暂无数据") == '<p class="muted">暂无数据</p>'
    assert bar_chart([], label="community", value="hours", name="服务时长 · 按社区", empty="暂无数据") == '<p class="muted">暂无数据</p>'


def test_labels_are_escaped():
    svg = bar_chart([{"community": "<b>x</b>", "hours": 1}], label="community", value="hours", name="服务时长")
    assert "<b>" not in svg and "&lt;b&gt;" in svg
