"""Charts: one theme, titled questions, one chart per currency, real SVG marks offline."""

import html
import re

import altair as alt
import pandas as pd
import pytest
import vl_convert as vlc

from workbench import charts
from workbench.live_chart import LiveChart


def svg(chart) -> str:
    return vlc.vegalite_to_svg(chart.to_dict())


def by_team(currencies=("USD",)):
    rows = [(t, c, v) for c in currencies for t, v in (("search", 300.0), ("chat", 120.0))]
    return pd.DataFrame(rows, columns=["team", "currency", "cost"])


def test_theme_is_registered_and_active():
    charts.use("report")
    assert alt.theme.active == charts.THEME
    assert alt.renderers.active == charts.SVG
    with pytest.raises(ValueError):
        charts.use("web")


def test_bar_is_titled_and_draws_one_bar_per_value():
    chart = charts.bar(by_team(), "team", "Which teams spent it?", subtitle="2026-06")
    spec = chart.to_dict()
    assert spec["title"]["text"] == "Which teams spent it?"
    out = svg(chart)
    assert out.count('aria-roledescription="bar"') == 2
    assert "$300" in out and "Effective cost" in out and ">USD</text>" in out  # headed by its currency


def test_bars_past_the_limit_are_one_other_bar_so_the_total_stays():
    teams = pd.DataFrame({"team": [f"t{i}" for i in range(20)], "currency": "USD",
                          "cost": [100.0 * (i + 1) for i in range(20)]})
    teams.loc[0, "cost"] = -50.0  # a credit: in the rest, never dropped
    values = next(iter(charts.bar(teams, "team", "Q?", limit=5).to_dict()["datasets"].values()))
    assert len(values) == 5 and sum(v["cost"] for v in values) == teams["cost"].sum()
    assert values[-1]["team"] == "other (16 more)"


def test_a_large_credit_keeps_a_bar_of_its_own_past_the_limit():
    """Twenty teams of $300-$395 and two credits larger than any of them: the credits are
    what a reader must see, not netted unseen into "other"."""
    teams = pd.DataFrame({"team": [f"t{i:02d}" for i in range(20)] + ["research", "Unallocated"],
                          "currency": "USD", "cost": [300.0 + 5 * i for i in range(20)] + [-2500.0, -3000.0]})
    chart = charts.bar(teams, "team", "Q?")
    values = next(iter(chart.to_dict()["datasets"].values()))
    assert {"research", "Unallocated"} <= {v["team"] for v in values}
    assert sum(v["cost"] for v in values) == teams["cost"].sum()
    drawn = bar_labels_top_down(chart, {"t19", "research", "Unallocated", "other (11 more)"})
    assert drawn == ["t19", "research", "Unallocated", "other (11 more)"]  # credits below charges
    assert set(charts.bar_rows(teams, "team")["team"]) == \
        {v["team"] for v in values} - {"other (11 more)"}  # the full names list agrees


def bar_labels_top_down(chart, labels) -> list[str]:
    """The row names of a drawn bar chart, top to bottom (as a reader sees them)."""
    found = re.findall(r'<text text-anchor="end" transform="translate\(-?[\d.]+,([\d.]+)\)"[^>]*>([^<]+)</text>',
                       svg(chart))
    return [name for _, name in sorted((float(y), n) for y, n in found if n in labels)]


def test_bars_are_drawn_largest_first_and_other_last():
    teams = pd.DataFrame({"team": ["a", "Unallocated", "c"], "currency": "USD", "cost": [1.0, 300.0, 20.0]})
    assert bar_labels_top_down(charts.bar(teams, "team", "Q?"), set(teams["team"])) == \
        ["Unallocated", "c", "a"]
    # "other" gathers many small teams and can be the largest bar: still drawn last
    many = pd.DataFrame({"team": [f"t{i:02d}" for i in range(30)], "currency": "USD",
                         "cost": [50.0 + i for i in range(30)]})
    drawn = bar_labels_top_down(charts.bar(many, "team", "Q?", limit=4),
                                {"t29", "t28", "t27", "other (27 more)"})
    assert drawn == ["t29", "t28", "t27", "other (27 more)"]


def test_two_currencies_make_two_panels_never_one_axis():
    chart = charts.bar(by_team(("USD", "EUR")), "team", "Which teams spent it?")
    spec = chart.to_dict()
    assert spec["facet"]["row"]["field"] == "currency"
    assert spec["resolve"]["scale"] == {"x": "independent", "y": "independent"}
    out = svg(chart)
    assert ">USD</text>" in out and ">EUR</text>" in out
    assert out.count('aria-roledescription="bar"') == 4 and out.count(">Effective cost</text>") == 2


def test_the_number_of_currencies_is_data_so_a_chart_keeps_its_shape():
    from workbench.live_chart import split_spec

    one = split_spec(charts.bar(by_team(("USD",)), "team", "Q?").to_dict())
    two = split_spec(charts.bar(by_team(("USD", "EUR")), "team", "Q?").to_dict())
    assert one["shape"] == two["shape"] and one["datasets"] != two["datasets"]


def test_empty_selection_still_renders_a_titled_chart():
    chart = charts.bar(by_team().iloc[:0], "team", "Which teams spent it?")
    out = svg(chart)
    assert "Which teams spent it?" in out and "no spend in this selection" in out


def test_movers_colours_increases_and_decreases():
    df = pd.DataFrame({"label": ["AWS / EC2", "Azure / OpenAI", "AWS / Credits"],
                       "currency": "USD", "previous": [100.0, 0.0, -25000.0],
                       "change": [50.0, -20.0, 25000.0], "change_pct": [0.5, float("nan"), float("nan")]})
    spec = charts.movers(df, "label", "What changed most since last month?").to_dict()
    values = next(iter(spec["datasets"].values()))
    assert {v["direction"] for v in values} == {"up", "down"}
    assert {v["pct"] for v in values} == {"+50.0%", "n/a"}
    assert {v["label"] for v in values} == {"AWS / EC2", "Azure / OpenAI", "AWS / Credits"}  # the bars keep their names
    ranks = {v["label"]: v["rank"] for v in values}
    assert ranks["AWS / EC2"] < ranks["Azure / OpenAI"]  # largest rise first
    assert spec["spec"]["layer"][0]["encoding"]["y"]["sort"]["field"] == "rank"
    drawn = [t for t in svg(charts.movers(df, "label", "What changed?")).split("<text")
             if "AWS / EC2" in t or "Azure / OpenAI" in t]
    assert "AWS / EC2" in drawn[0]
    # a new charge, and a credit that ended (no percentage of a negative base)
    assert {v["bar_text"] for v in values} == {"+$50.00 (+50.0%)", "-$20.00 (new)",
                                               "+$25.0k (was -$25.0k)"}
    out = svg(charts.movers(df, "label", "What changed?")).lower()
    assert charts.UP in out and charts.DOWN in out


def test_trend_marks_the_month():
    daily = pd.DataFrame({"date": pd.date_range("2026-04-01", "2026-06-30"), "currency": "USD",
                          "cost": 10.0})
    out = svg(charts.trend(daily, "2026-06-01", "2026-07-01", "How did daily spend move?"))
    assert "rect mark container" in out and "line mark container" in out
    # not by its faint shade alone: a dashed line where it starts, and its name
    assert re.search(r'<text[^>]*>2026-06</text>', out) and 'stroke-dasharray="4,3"' in out


def test_comparison_skips_unknown_periods():
    head = pd.DataFrame([{"currency": "USD", "month": "2026-06", "cost": 200.0,
                          "previous_month": "2026-05", "previous": 120.0,
                          "last_year_month": "2025-06", "last_year": float("nan")}])
    spec = charts.comparison(head, "How does this month compare?").to_dict()
    values = next(iter(spec["datasets"].values()))
    assert [v["period"] for v in values] == ["previous month", "this month"]


def test_show_wraps_charts_as_live_widgets_only_in_apps():
    chart = charts.bar(by_team(), "team", "Which teams spent it?")
    assert charts.show(chart, "report") is chart
    assert isinstance(charts.show(chart, "app"), LiveChart)


def test_mode_from_the_environment_makes_plain_charts_offline(monkeypatch):
    import importlib

    monkeypatch.setenv("WORKBENCH_MODE", "app")
    importlib.reload(charts)
    assert alt.renderers.active == charts.LIVE
    plain = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x")._repr_mimebundle_()
    data = plain[0] if isinstance(plain, tuple) else plain
    assert "application/vnd.jupyter.widget-view+json" in data  # a LiveChart, offline Vega
    monkeypatch.setenv("WORKBENCH_MODE", "report")
    importlib.reload(charts)
    assert alt.renderers.active == charts.SVG
    bundle = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x")._repr_mimebundle_()
    assert "image/svg+xml" in (bundle[0] if isinstance(bundle, tuple) else bundle)


def test_a_single_day_of_data_still_shows_in_the_trend():
    daily = pd.DataFrame({"date": pd.to_datetime(["2026-06-03"]), "currency": "USD", "cost": [277.24]})
    out = svg(charts.trend(daily, "2026-06-01", "2026-07-01", "How did daily spend move?"))
    assert out.count('aria-roledescription="point"') == 1
    # large enough to see (a monthly invoice is one point); a dense series keeps small points
    radius = float(re.search(r'roledescription="point"[^>]*? d="M([0-9.]+),0', out).group(1))
    assert radius > 3
    dense = pd.DataFrame({"date": pd.date_range("2026-05-01", "2026-06-30"), "currency": "USD",
                          "cost": 10.0})
    out = svg(charts.trend(dense, "2026-06-01", "2026-07-01", "How did daily spend move?"))
    assert float(re.search(r'roledescription="point"[^>]*? d="M([0-9.]+),0', out).group(1)) < 2


ALPHA = "arn:aws:iam::123456789012:role/team-alpha-inference-service-prod"
BRAVO = "arn:aws:iam::123456789012:role/team-bravo-inference-service-prod"
WIDE = "MACHINE-LEARNING-PLATFORM-INFRASTRUCTURE"  # 40 characters, but wider than the axis
CJK = "機械学習プラットフォーム基盤チーム" * 2  # 34 characters of one em each


def drawn_names(chart) -> list[str]:
    """The row names a drawn bar chart shows on its axis (the text the SVG holds)."""
    return [html.unescape(t) for t in
            re.findall(r'<text text-anchor="end" transform="translate\(-?[\d.]+,[\d.]+\)"[^>]*>([^<]+)</text>',
                       svg(chart)) if not re.fullmatch(r"[\d.,]+", t)]


def test_names_that_shorten_alike_are_told_apart_on_the_axis():
    teams = pd.DataFrame({"team": [ALPHA, BRAVO, "web"], "currency": "USD", "cost": [5.0, 5.0, 1.0]})
    chart = charts.bar(teams, "team", "Which teams spent it?")
    drawn = drawn_names(chart)
    assert len(drawn) == 3 and len(set(drawn)) == 3, drawn  # two bars, two labels
    assert "web" in drawn
    alpha, bravo = charts.axis_labels([ALPHA, BRAVO])
    assert {alpha, bravo} < set(drawn) and "alpha" in alpha and "bravo" in bravo
    # the bars are drawn on the label, the tooltip and the data keep the full name
    spec = chart.to_dict()
    encoding = spec["spec"]["layer"][0]["encoding"]
    assert encoding["y"]["field"] == charts.LABEL and encoding["y"]["sort"]["field"] == "rank"
    assert encoding["tooltip"][0]["field"] == "team"
    values = next(iter(spec["datasets"].values()))
    assert {(v["team"], v[charts.LABEL]) for v in values} == {(ALPHA, alpha), (BRAVO, bravo), ("web", "web")}
    # the changes chart as well
    moved = pd.DataFrame({"label": [ALPHA, BRAVO], "currency": "USD", "previous": [1.0, 1.0],
                          "change": [4.0, 4.0], "change_pct": [4.0, 4.0]})
    assert sorted(drawn_names(charts.movers(moved, "label", "What changed?"))) == sorted([alpha, bravo])


def test_no_label_is_cut_by_the_width_of_the_axis():
    names = [WIDE, CJK, "W" * 30, "@" * 44, "AWS / Amazon Elastic Compute Cloud", ALPHA]
    teams = pd.DataFrame({"team": names, "currency": "USD", "cost": [float(i + 1) for i in range(6)]})
    drawn = drawn_names(charts.bar(teams, "team", "Which teams spent it?"))
    # a name the axis shows other than whole is one the page lists in full (pages.full_names)
    assert [n for n in names if n not in drawn and not charts.shortened(n)] == [], drawn
    labels = charts.axis_labels(names)
    assert sorted(drawn) == sorted(labels)  # as computed: the axis's labelLimit cut none
    assert all(charts.label_width(label) <= charts.NAME_PX for label in labels)
    assert labels[4] == "AWS / Amazon Elastic Compute Cloud" and labels[0] != WIDE


def test_axis_labels_are_unique_and_depend_on_the_names_only():
    assert charts.axis_labels(["web", "AWS / Amazon Bedrock"]) == ["web", "AWS / Amazon Bedrock"]
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/realtime-inference-fleet-of-team-search"
    (label,) = charts.axis_labels([arn])
    assert label == f"{arn[:23]}\u2026{arn[-15:]}" and charts.shortened(arn)  # start and end
    # a name given twice (two currencies' panels) shows one label; order does not matter
    names = [BRAVO, ALPHA, "web", ALPHA]
    labels = charts.axis_labels(names)
    assert labels[1] == labels[3] and len(set(labels)) == 3
    assert charts.axis_labels(names[::-1]) == labels[::-1]
    # names that differ only where neither start nor end shows are numbered
    same_ends = ["x" * 60 + middle + "y" * 60 for middle in ("A", "B", "C")]
    numbered = charts.axis_labels(same_ends)
    assert len(set(numbered)) == 3 and [s[-4:] for s in numbered] == [" [1]", " [2]", " [3]"]
    # a long name never takes the label of a name shown whole
    taken = charts.axis_labels([ALPHA])[0]
    assert charts.axis_labels([ALPHA, taken]).count(taken) == 1
    for label in [*labels, *numbered]:
        assert len(label) <= charts.NAME_CHARS and charts.label_width(label) <= charts.NAME_PX


def test_amount_axes_use_the_suffixes_of_the_bar_labels():
    """Tick labels read as the amounts on the bars do: $0.20 is "0.2", not SI's "200m"
    (taken for 200 million), and 2.5 billion is "2.5B", not "2.5G"."""
    def ticks(costs):
        rows = pd.DataFrame({"team": ["a", "b"], "currency": "USD", "cost": costs})
        return re.findall(r'<text text-anchor="(?:middle|start|end)" transform="translate\([\d.,]+\)"'
                          r'[^>]*>([^<]*)</text>', svg(charts.bar(rows, "team", "q")))

    small, large = ticks([0.8, 0.3]), ticks([2.5e9, 1e9])
    assert "0.2" in small and not any(t.endswith("m") for t in small), small
    assert "2.5B" in large and not any(t.endswith("G") for t in large), large
    assert "10,000T" in ticks([6.6e16, 2e16])  # IDR: as money() shows it, never "10P"


def test_a_month_of_net_credits_is_labelled_beside_its_bar_not_on_it():
    """The comparison's label of a negative month starts at zero, as the other bar charts'
    do: at the bar's end it was dark text on the dark bar of this month."""
    head = pd.DataFrame([{"currency": "USD", "month": "2025-03", "cost": -2907.5,
                          "previous_month": "2025-02", "previous": 1890.0,
                          "last_year_month": "2024-03", "last_year": float("nan")}])
    out = svg(charts.comparison(head, "How does this month compare?"))
    bar = re.search(r'aria-label="[^"]*this month \(2025-03\)[^"]*" role="graphics-symbol" '
                    r'aria-roledescription="bar" d="M([\d.]+),[\d.]+h([\d.]+)', out)
    zero = float(bar.group(1)) + float(bar.group(2))  # a negative bar ends at zero
    label = re.search(r'transform="translate\(([\d.]+),[\d.]+\)"[^>]*>-\$2\.9k</text>', out)
    assert float(label.group(1)) >= zero


def chart_rows(chart) -> list[dict]:
    return [r for rows in chart.to_dict()["datasets"].values() for r in rows]


def test_tooltips_give_the_exact_amounts_the_tables_print():
    """A day charged $7.383 and $8.072 is $15.46 (15.455 half up); added as floats it is
    15.454999999999998, which the trend's tooltip showed as $15.45. Every tooltip gives the
    amount to the cent as the tables print it, not the bar's short label ($1.2k)."""
    from workbench.tables import money_exact, signed_money

    daily = pd.DataFrame({"date": pd.to_datetime(["2026-06-03"] * 2 + ["2026-06-04"] * 3),
                          "currency": "USD", "cost": [7.383, 8.072, 0.105, 0.1, 0.2]})
    trend = charts.trend(daily, "2026-06-01", "2026-07-01", "How did spend move?")
    days = [r for r in chart_rows(trend) if r.get("kind") == "day"]
    assert [r["amount"] for r in days] == ["$15.46", "$0.41"]  # the day's sum, exact
    assert {r["date"][:10]: r["exact"] for r in days} == {"2026-06-03": "$15.46",
                                                         "2026-06-04": "$0.41"}
    encoding = next(layer["encoding"]["tooltip"] for layer in trend.to_dict()["spec"]["layer"]
                    if "tooltip" in layer.get("encoding", {}))  # the line's
    assert {"field": "exact", "type": "nominal", "title": "cost"} in encoding
    # bars, changes and comparisons: the tooltip's amount is the table's
    rows = pd.DataFrame({"team": ["a", "b"], "currency": "USD", "cost": [1234.565, 15.455]})
    bar = chart_rows(charts.bar(rows, "team", "Who?"))
    assert {r["team"]: (r["amount"], r["exact"]) for r in bar} == {
        "a": ("$1.2k", "$1,234.57"), "b": ("$15.46", "$15.46")}
    moves = pd.DataFrame({"label": ["x"], "currency": "EUR", "previous": [100.0], "cost": [1334.565],
                          "change": [1234.565], "change_pct": [12.34565]})
    [mv] = chart_rows(charts.movers(moves, "label", "What moved?"))
    assert mv["exact"] == signed_money(1234.565, "EUR", exact=True) == "+€1,234.57"
    head = pd.DataFrame([{"currency": "USD", "month": "2026-06", "cost": 1234.565,
                          "previous_month": "2026-05", "previous": float("nan"),
                          "last_year_month": "2025-06", "last_year": 15.455}])
    tips = {r["period"]: r["exact"] for r in chart_rows(charts.comparison(head, "How?"))}
    assert tips == {"this month": money_exact(1234.565, "USD"), "same month last year": "$15.46"}


# -- accessibility ---------------------------------------------------------------------------

def report_svg(chart) -> str:
    """The SVG a report page holds: what the report's renderer makes of the chart."""
    charts.use("report")
    bundle = chart._repr_mimebundle_()
    return (bundle[0] if isinstance(bundle, tuple) else bundle)["image/svg+xml"]


def accessible_name(svg_text: str) -> tuple[str | None, str]:
    """The role and aria-label of a chart's root <svg> (its name to a screen reader)."""
    root = re.search(r"<svg\b[^>]*>", svg_text).group(0)
    role = re.search(r'\srole="([^"]*)"', root)
    label = re.search(r'\saria-label="([^"]*)"', root)
    return role and role.group(1), html.unescape(label.group(1)) if label else ""


def test_a_report_chart_is_one_image_named_by_its_title_and_exact_amounts():
    """Vega names each bar by a float ("cost: 300; axis_label: search") and the SVG itself not
    at all: a screen reader, or a tagged PDF, had no title and no amount to the cent."""
    df = pd.DataFrame({"team": ["chat", "search", "search"], "currency": ["USD", "USD", "EUR"],
                       "cost": [120.5, 300.0, 5.0]})
    role, name = accessible_name(report_svg(charts.bar(df, "team", "Which teams spent it?",
                                                       subtitle="2026-06, effective cost")))
    assert role == "img"
    assert name == ("Which teams spent it? (2026-06, effective cost). EUR: search: €5.00. "
                    "USD: search: $300.00, chat: $120.50.")  # largest first, as the bars run


def test_a_chart_of_changes_says_up_and_down_in_words_not_colour_only():
    df = pd.DataFrame({"label": ["AWS / EC2", "GCP / GKE", "Azure / VMs"], "currency": "USD",
                       "change": [1234.567, -300.0, 50.0], "change_pct": [0.1, -0.5, float("nan")],
                       "previous": [100.0, 600.0, 0.0]})
    _, name = accessible_name(report_svg(charts.movers(df, "label", "What changed?")))
    assert name.endswith("USD: AWS / EC2: up +$1,234.57 (+10.0%), Azure / VMs: up +$50.00 "
                         "(new), GCP / GKE: down -$300.00 (-50.0%).")


def test_a_trend_says_its_days_highest_lowest_and_last():
    daily = pd.DataFrame({"date": pd.date_range("2026-06-01", periods=4).date, "currency": "EUR",
                          "cost": [7.383, float("nan"), 0.5, 2.0]})
    _, name = accessible_name(report_svg(charts.trend(daily, "2026-06-01", "2026-07-01",
                                                      "How did daily spend move?")))
    assert name == ("How did daily spend move? EUR: daily cost from 2026-06-01 to 2026-06-04, "
                    "highest €7.38 on 2026-06-01, lowest €0.50 on 2026-06-03, last €2.00 on "
                    "2026-06-04.")


def test_an_empty_chart_is_named_by_why_it_is_empty():
    role, name = accessible_name(report_svg(charts.empty("Which teams?", "no spend in this selection",
                                                         "2026-06")))
    assert (role, name) == ("img", "Which teams? (2026-06). no spend in this selection")


def contrast(colour: str, background: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two colours (#rgb or #rrggbb)."""
    def luminance(c: str) -> float:
        c = c.lstrip("#")
        c = "".join(ch * 2 for ch in c) if len(c) == 3 else c
        lin = [(v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4)
               for v in (int(c[i:i + 2], 16) / 255 for i in (0, 2, 4))]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_chart_colours_meet_wcag_contrast_on_white():
    """Bars need 3:1 against the page (WCAG 1.4.11), text 4.5:1 (1.4.3): the comparison's
    earlier months were drawn at 1.7:1 and 2.6:1, an empty chart's reason at 4.48:1."""
    head = pd.DataFrame([{"currency": "USD", "month": "2026-06", "cost": 3.0, "previous_month":
                          "2026-05", "previous": 2.0, "last_year_month": "2025-06", "last_year": 1.0}])
    spec = charts.comparison(head, "Q").to_dict()
    bars = spec["spec"]["layer"][0]["encoding"]["color"]["scale"]["range"]
    moves = charts.movers(pd.DataFrame({"label": ["a"], "currency": "USD", "change": [1.0],
                                        "change_pct": [0.1], "previous": [9.0]}), "label", "Q")
    bars += moves.to_dict()["spec"]["layer"][0]["encoding"]["color"]["scale"]["range"]
    assert len(bars) == 5 and all(contrast(c) >= 3 for c in bars), bars
    assert contrast(charts.empty("Q", "why").to_dict()["mark"]["color"]) >= 4.5
