"""Overview page: sections from a store-shaped fake, static in reports, live in apps."""

import dataclasses
import json
import time
from decimal import Decimal

import altair as alt
import ipywidgets
import pandas as pd
import pytest
from test_overview import monthly_frame

from workbench import charts, overview, pages
from workbench.config import Config
from workbench.errors import WorkbenchError
from workbench.live_chart import LiveChart


def _exact(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Amounts as the store gives them with `exact`: Decimal, as their text reads."""
    return df.assign(**{c: [Decimal(repr(v)) for v in df[c]] for c in columns})


class FakeStore:
    """Answers like Store.monthly / daily / coverage / provider_coverage for the frames given."""

    def __init__(self, monthly, daily):
        self._monthly, self._daily = monthly, daily

    def monthly(self, dims=(), exact=False):
        money = ["billed_cost", "effective_cost", "by_day_cost"]
        df = self._monthly
        if "by_day_cost" not in df:  # a frame that does not say: all of it billed by the day
            df = df.assign(by_day_cost=df["effective_cost"])
        df = df[["month", *dims, "currency", *money]]
        return _exact(df, money) if exact else df

    def daily(self, dims=(), exact=False):
        df = self._daily[["date", *dims, "currency", "cost"]]
        return _exact(df, ["cost"]) if exact else df

    def coverage(self):
        dates = pd.to_datetime(self._daily["date"])
        return (dates.min(), dates.max() + pd.Timedelta(days=1)) if len(dates) else None

    def provider_coverage(self):
        start, end = self.coverage() or (None, None)
        return pd.DataFrame({"provider": ["AWS"], "start": [start], "end": [end]})

    def tag_keys(self):
        return ["team"]

    def provider_months(self):  # each seller its own export
        return overview.provider_months(self._monthly)

    def figure_warnings(self):  # the copy set aside changes what is counted
        return 1

    def delivery_ends(self):  # each seller its own export, as far as its daily rows reach
        df = self._daily.assign(end=pd.to_datetime(self._daily["date"]) + pd.Timedelta(days=1))
        return df.groupby(["provider", "currency"], as_index=False)["end"].max()

    def load_warnings(self):
        return ["a.csv: an older copy of x"]

    config = Config()


def base():
    m = monthly_frame()
    m["workload_class"] = "training"
    m["environment"] = "prod"
    rows = [(d, p, t, c, 10.0) for d in pd.date_range("2026-04-01", "2026-06-30")
            for p, t, c in (("AWS", "search", "USD"), ("Azure", "chat", "EUR"))]
    daily = pd.DataFrame(rows, columns=["date", "provider", "team", "currency", "cost"])
    return pages.load_overview(FakeStore(m, daily))


def test_sections_answer_questions_and_keep_currencies_apart():
    data = base()
    sec = pages.overview_sections(data, {"month": "2026-06", "filters": {}})
    assert set(sec) >= {"summary", "comparison", "provider", "ServiceCategory", "workload_class",
                        "team", "environment", "movers", "trend", "untagged", "untagged_table"}
    for name, content in sec.items():
        if isinstance(content, alt.TopLevelMixin):
            title = content.to_dict()["title"]["text"]
            assert title.endswith("?"), name
    summary = pages._html(sec["summary"])
    assert "$200.00" in summary and "\u20ac200.00" in summary  # one line per currency
    assert "In 2026-06 effective spend in USD was $200" in summary
    assert "No data for the month before" not in summary


def test_filters_change_the_figures():
    data = base()
    sec = pages.overview_sections(data, {"month": "2026-06", "filters": {"provider": "Azure"}})
    summary = pages._html(sec["summary"])
    assert "USD" not in summary.split("</table>")[0]  # only Azure (EUR) left
    assert "provider = Azure" in sec["team"].to_dict()["title"]["subtitle"][0]


def test_tag_keys_are_read_only_when_a_dimension_has_no_value():
    """The keys the data has are named only for a dimension with no value at all; reading
    them is a pass over every tag set, left out when the tags fill team and environment."""
    class Counting(FakeStore):
        calls = 0

        def tag_keys(self):
            Counting.calls += 1
            return ["Stage"]

    m = monthly_frame()
    m["workload_class"] = "training"
    m["environment"] = "prod"
    daily = pd.DataFrame({"date": ["2026-06-01"], "provider": ["AWS"], "team": ["search"],
                          "currency": ["USD"], "cost": [1.0]})
    assert pages.load_overview(Counting(m, daily)).tag_keys == [] and Counting.calls == 0
    m["environment"] = "Unallocated"
    assert pages.load_overview(Counting(m, daily)).tag_keys == ["Stage"] and Counting.calls == 1


def test_missing_months_and_tags_are_said_not_hidden():
    data = base()
    notes = pages.overview_notices(data, "2026-05")
    assert any("No data for the month before 2026-05" in n for n in notes)
    assert "Loading the data gave 1 warning: a.csv: an older copy of x" in notes
    data.monthly["environment"] = "Unallocated"
    data = dataclasses.replace(data, tag_keys=["user:stage", "owner"],
                               keys_tried={"environment": ["env", "stage"]})
    notes = pages.overview_notices(data, "2026-05")
    assert ("No environment tag in the billing data (keys tried: env, stage): every cost shows "
            "as Unallocated. List your key under [tags] environment in workbench.toml. Tag keys "
            "most used in this data: user:stage, owner.") in notes
    sec = pages.overview_sections(data, {"month": "2026-05", "filters": {}})
    assert "nothing to compare with" in str(sec["movers"].to_dict())
    # many warnings: the first (the store keeps them weightiest first) said as the one that
    # matters most, every one listed (escaped) for who opens the list
    many = dataclasses.replace(data, load_warnings=[f"run-{i}/a.csv: an older copy of <X>"
                                                    for i in range(22)])
    assert any(n.startswith("Loading the data gave 22 warnings (all of them below), the one "
                            "that matters most to the figures: run-0/a.csv")
               for n in pages.overview_notices(many, "2026-05"))
    summary = pages._html(pages.overview_sections(many, {"month": "2026-05"})["summary"])
    assert summary.count("<li>run-") == 22 and "run-21/a.csv: an older copy of &lt;X&gt;" in summary


def test_a_month_the_daily_data_does_not_reach_is_said_incomplete():
    """A month only month-long rows reach (a fee or a purchase billed ahead of the daily
    usage) is not silently shown as a whole month, as the index does not show it either."""
    data = base()  # daily data 2026-04-01 to 2026-06-30
    for month in ("2026-07", "2026-03"):
        assert (f"The data does not cover the days of {month} (its daily charges run 2026-04-01 "
                "to 2026-06-30): only charges billed for a whole month (a fee, a purchase, a "
                "credit) reach it, so its figures are incomplete.") in pages.overview_notices(data, month)
    assert not [n for n in pages.overview_notices(data, "2026-06") if "does not cover" in n]
    # a provider billed by the month only (an API invoice) covers July: its providers' notices say it
    t = pd.Timestamp
    spans = pd.DataFrame({"provider": ["AWS", "Lexica AI"], "start": [t("2026-04-01")] * 2,
                          "end": [t("2026-07-01"), t("2026-08-01")]})
    invoiced = dataclasses.replace(data, provider_spans=spans)
    assert not [n for n in pages.overview_notices(invoiced, "2026-07") if "does not cover" in n]


def test_a_month_compared_with_that_the_data_covers_in_part_is_said():
    data = dataclasses.replace(base(), coverage=(pd.Timestamp("2026-05-16"), pd.Timestamp("2026-07-01")))
    assert ("The data for 2026-05, which 2026-06 is compared with, covers 2026-05-16 to "
            "2026-05-31 only: a change against it is not one between whole months."
            ) in pages.overview_notices(data, "2026-06")
    whole = dataclasses.replace(data, coverage=(pd.Timestamp("2026-05-01"), pd.Timestamp("2026-07-01")))
    # the frame holds 2025-06 too (a year before), which these days do not reach
    assert [n for n in pages.overview_notices(whole, "2026-06") if "compared with" in n] == [
        "The data holds none of the days of 2025-06, which 2026-06 is compared with, only "
        "charges billed for the whole month or on a later invoice (a correction): a change "
        "against it is not one between whole months."]
    whole = dataclasses.replace(data, coverage=(pd.Timestamp("2025-06-01"), pd.Timestamp("2026-07-01")))
    assert not [n for n in pages.overview_notices(whole, "2026-06") if "compared with" in n]


def test_a_month_compared_per_day_only_when_the_data_covers_both_whole():
    """June (30 days) against May (31): per day too, unless the data covers May in part."""
    summary = pages._html(pages.overview_sections(base(), {"month": "2026-06"})["summary"])
    assert "2026-06 has 30 days and 2026-05 31. Per day, " in summary
    # right after the changes it qualifies
    assert summary.index("30 days and 2026-05 31") < summary.index("has no team tag")
    part = dataclasses.replace(base(), coverage=(pd.Timestamp("2026-05-16"), pd.Timestamp("2026-07-01")))
    assert "Per day" not in pages._html(pages.overview_sections(part, {"month": "2026-06"})["summary"])


def test_no_per_day_comparison_of_a_month_only_month_long_rows_reach_or_a_provider_lags():
    """Daily data that ends before June (its fee and credit reach it) or one provider's that
    stops inside it: June's notices call its figures incomplete, so no per-day sentence."""
    def summary(data):
        return pages._html(pages.overview_sections(data, {"month": "2026-06"})["summary"])
    whole = base()
    assert "Per day" in summary(whole)
    daily_to_may = dataclasses.replace(whole, coverage=(pd.Timestamp("2026-04-01"),
                                                        pd.Timestamp("2026-06-01")))
    assert "Per day" not in summary(daily_to_may)
    spans = pd.DataFrame({"provider": ["AWS", "Azure"],
                          "start": pd.to_datetime(["2026-04-01", "2026-04-01"]),
                          "end": pd.to_datetime(["2026-07-01", "2026-06-21"])})
    lagging = dataclasses.replace(whole, provider_spans=spans)
    assert any("its part of the month is incomplete" in n
               for n in pages.overview_notices(lagging, "2026-06"))
    assert "Per day" not in summary(lagging)


def test_resolve_month():
    data = base()
    assert pages.resolve_month("", data) == "2026-06"
    assert pages.resolve_month("2026-05", data) == "2026-05"
    with pytest.raises(WorkbenchError, match="covers 2025-06 to 2026-06"):
        pages.resolve_month("2024-01", data)


def test_report_mode_shows_static_content_and_app_mode_updates_widgets_in_place():
    data = base()

    def build(state):
        return pages.overview_sections(data, state)

    report = pages.Page(build, {"month": "2026-06", "filters": {}}, "report")
    assert alt.renderers.active == charts.SVG
    app = pages.Page(build, {"month": "2026-06", "filters": {}}, "app")
    chart, table = app.widget("team"), app.widget("summary")
    assert isinstance(chart, LiveChart) and isinstance(table, ipywidgets.HTML)
    before_chart, before_table = chart.spec, table.value
    app.update(filters={"provider": "Azure"})
    assert app.widget("team") is chart  # redrawn in place, not replaced
    assert chart.spec != before_chart and table.value != before_table
    assert report.sections["team"].to_dict() != app.sections["team"].to_dict()
    with pytest.raises(WorkbenchError):
        app.content("nope")


def test_controls_drive_the_page_and_states_are_reused():
    from workbench import widgets

    data = base()
    app = pages.Page(lambda st: pages.overview_sections(data, st),
                     {"month": "2026-06", "filters": {}}, "app", {"month": ["2026-06", "2026-05"],
                                                                 "provider": ["AWS", "Azure"],
                                                                 "team": ["chat", "search"]})
    chart = app.widget("provider")
    all_spec = chart.spec
    box = widgets.controls(app, prefetch=False)
    month, provider, team = box.children[:3]
    assert [label for label, _ in provider.options] == ["All", "AWS", "Azure"]
    provider.value = "Azure"
    assert app.state["filters"] == {"provider": "Azure", "team": None}
    assert chart.spec != all_spec and "Azure" in json.dumps(chart.spec)
    assert "AWS" not in json.dumps(chart.spec["datasets"])
    provider.index = 0  # All
    assert chart.spec == all_spec  # back to the first view (served from the kept states)
    month.value = "2026-05"
    assert app.state["month"] == "2026-05" and app.sections["provider"].to_dict() != all_spec


def test_prefetch_renders_the_views_one_change_away():
    data = base()
    app = pages.Page(lambda st: pages.overview_sections(data, st),
                     {"month": "2026-06", "filters": {"provider": None}}, "app",
                     {"month": ["2026-06"], "provider": ["AWS", "Azure"]})
    app.prefetch([{"filters": {"provider": "AWS"}}, {"filters": {"provider": "Azure"}}]).join(30)
    assert len(app._rendered) == 2
    calls = []
    app.build = lambda st: calls.append(st) or {}
    app.update(filters={"provider": "Azure"})  # served from the prefetched view
    assert calls == [] and "Azure" in app.sections["team"].to_dict()["title"]["subtitle"][0]


def test_a_control_change_does_not_wait_for_a_prefetch_and_unchanged_charts_send_nothing():
    import threading

    data = base()
    started, release = threading.Event(), threading.Event()

    def build(state):
        if (state.get("filters") or {}).get("provider") == "Azure":
            started.set()
            release.wait(30)  # a slow view being prefetched
        return pages.overview_sections(data, state)

    app = pages.Page(build, {"month": "2026-06", "filters": {}}, "app")
    chart = app.widget("team")
    app.update(filters={"provider": "AWS"})
    app.update(filters={})
    sent = []
    chart.observe(lambda change: sent.append(change), names="datasets")
    thread = app.prefetch([{"filters": {"provider": "Azure"}}])
    assert started.wait(10)  # the prefetch is now inside the slow build
    app.update(filters={"provider": "AWS"})  # a kept view: served at once
    assert thread.is_alive() and not release.is_set()  # it returned while the prefetch waits
    assert len(sent) == 1
    app.update(filters={"provider": "AWS"})  # nothing changed: nothing sent
    assert len(sent) == 1
    release.set()
    thread.join(10)
    assert not thread.is_alive()


def test_a_view_being_prefetched_is_waited_for_not_built_twice():
    import threading

    data = base()
    started, release, built = threading.Event(), threading.Event(), []

    def build(state):
        built.append(pages._without_none(state))
        if (state.get("filters") or {}).get("provider") == "Azure":
            started.set()
            release.wait(10)  # the prefetch is inside this build when the visitor asks
        return pages.overview_sections(data, state)

    app = pages.Page(build, {"month": "2026-06", "filters": {}}, "app")
    thread = app.prefetch([{"filters": {"provider": "Azure"}}])
    assert started.wait(10)
    visitor = threading.Thread(target=app.update, kwargs={"filters": {"provider": "Azure"}})
    visitor.start()
    time.sleep(0.2)
    assert visitor.is_alive()  # waiting for the prefetch, not building its own
    release.set()
    visitor.join(10)
    thread.join(10)
    assert built.count({"month": "2026-06", "filters": {"provider": "Azure"}}) == 1
    assert "Azure" in app.sections["team"].to_dict()["title"]["subtitle"][0]


def test_a_background_build_pauses_at_checkpoints_while_a_visitor_is_served():
    import threading

    data = base()
    visitor_in, release, steps = threading.Event(), threading.Event(), []

    def build(state):
        provider = (state.get("filters") or {}).get("provider")
        if provider == "Azure":  # the background build, under way when the visitor comes
            steps.append("before")
            assert visitor_in.wait(10)
            pages.checkpoint()
            steps.append("after")
        if provider == "AWS":  # the visitor's change, held inside its build
            visitor_in.set()
            release.wait(10)
        return pages.overview_sections(data, state)

    app = pages.Page(build, {"month": "2026-06", "filters": {}}, "app")
    thread = app.prefetch([{"filters": {"provider": "Azure"}}])
    visitor = threading.Thread(target=app.update, kwargs={"filters": {"provider": "AWS"}})
    visitor.start()
    assert visitor_in.wait(10)
    time.sleep(0.2)
    assert steps == ["before"]  # paused while the visitor is served
    release.set()
    visitor.join(10)
    thread.join(10)
    assert steps == ["before", "after"] and not thread.is_alive()
    pages.checkpoint()  # outside a prefetch thread: returns at once


def test_a_failed_prefetch_leaves_the_view_to_be_built_on_demand():
    data = base()
    fail = [True]

    def build(state):
        if fail[0] and (state.get("filters") or {}).get("provider") == "Azure":
            raise ValueError("broken")
        return pages.overview_sections(data, state)

    app = pages.Page(build, {"month": "2026-06", "filters": {}}, "app")
    app.prefetch([{"filters": {"provider": "Azure"}}]).join(10)
    assert not app._building
    fail[0] = False
    app.update(filters={"provider": "Azure"})
    assert "Azure" in app.sections["team"].to_dict()["title"]["subtitle"][0]


def test_prefetch_follows_the_visitor_and_a_newer_prefetch_stops_an_older_one():
    from workbench import widgets

    data = base()
    built = []

    def build(state):
        built.append(pages._without_none(state))
        return pages.overview_sections(data, state)

    app = pages.Page(build, {"month": "2026-06", "filters": {}}, "app",
                     {"month": ["2026-06", "2026-05"], "provider": ["AWS", "Azure"],
                      "team": ["chat", "search"]})
    box = widgets.controls(app, prefetch=True)
    month, provider, team = box.children[:3]
    provider.value = "Azure"  # the views one change away from (Azure, all teams) come next
    next_view = {"month": "2026-06", "filters": {"provider": "Azure", "team": "chat"}}
    deadline = time.time() + 30
    while next_view not in built and time.time() < deadline:
        time.sleep(0.05)
    assert next_view in built  # started in the background; kept or still building
    calls = len(built)
    team.value = "chat"  # served from the prefetch: not built again
    assert next_view not in built[calls:]
    assert "team = chat" in app.sections["team"].to_dict()["title"]["subtitle"][0]
    before = len(built)
    first = app.prefetch([{"filters": {"team": f"team-{i}"}} for i in range(50)])
    app.prefetch([])  # a newer prefetch: the older one stops
    first.join(10)
    assert not first.is_alive() and len(built) - before < 5


def test_a_combination_of_filters_with_no_spend_says_so():
    data = base()  # Azure never billed the search team
    sec = pages.overview_sections(data, {"month": "2026-06",
                                         "filters": {"provider": "Azure", "team": "search"}})
    assert "No spend in 2026-06 for this selection." in pages._html(sec["summary"])
    assert "no spend in this selection" in json.dumps(sec["team"].to_dict())


def failing_for_azure(message: str):
    """A page build that fails for the Azure view only."""
    data = base()

    def build(state):
        if (state.get("filters") or {}).get("provider") == "Azure":
            raise ValueError(message)
        return pages.overview_sections(data, state)

    return build


def test_a_view_that_fails_is_reported_beside_the_controls():
    from workbench import widgets

    app = pages.Page(failing_for_azure("<b>no</b> such view"), {"month": "2026-06", "filters": {}},
                     "app", {"month": ["2026-06"], "provider": ["AWS", "Azure"], "team": []})
    box = widgets.controls(app, prefetch=False)
    box.children[1].value = "Azure"
    status = box.children[-1].value
    assert "could not show this view" in status and "&lt;b&gt;no&lt;/b&gt; such view" in status
    assert "role='alert'" in status  # said to a screen reader as well, not only shown in red
    box.children[1].value = "AWS"
    assert box.children[-1].value == "" and "provider = AWS" in app.sections["team"].to_dict()["title"]["subtitle"][0]


def test_the_months_either_side_are_prefetched_first():
    from workbench import widgets

    data = base()
    app = pages.Page(lambda st: pages.overview_sections(data, st),
                     {"month": "2026-05", "filters": {}}, "app",
                     {"month": ["2026-06", "2026-05", "2025-06"], "provider": ["AWS"], "team": []})
    seen = []
    app.prefetch = lambda changes: seen.append(changes)
    widgets.controls(app)
    assert seen[0][:3] == [{}, {"month": "2025-06"}, {"month": "2026-06"}]


def test_prefetch_is_bounded_for_bills_with_many_teams():
    from workbench import widgets

    data = base()
    teams = [f"team-{i:03d}" for i in range(300)]
    app = pages.Page(lambda st: pages.overview_sections(data, st),
                     {"month": "2026-06", "filters": {"provider": "AWS"}}, "app",
                     {"month": ["2026-06", "2026-05"], "provider": ["AWS", "Azure"], "team": teams})
    seen = []
    app.prefetch = lambda changes: seen.append(changes)
    widgets.controls(app)
    views = seen[0]
    assert len(views) <= widgets.PREFETCH_LIMIT + 1  # + the current view
    assert {"month": "2026-05"} in views and {"filters": {"provider": None, "team": None}} in views


def test_a_view_that_fails_does_not_stop_the_prefetch():
    app = pages.Page(failing_for_azure("broken view"), {"month": "2026-06", "filters": {}}, "app")
    app.prefetch([{"filters": {"provider": "Azure"}}, {"filters": {"provider": "AWS"}}]).join(30)
    kept = [json.loads(k) for k in app._rendered]
    assert {"month": "2026-06", "filters": {"provider": "AWS"}} in kept


def test_an_app_on_data_it_cannot_read_says_why_in_one_line(tmp_path, monkeypatch, capsys):
    """A bad file in the app's data: the page shows the line the command line prints, where a
    failed cell would show only that a cell failed. A report still fails (its index says why)."""
    from corpus.build import csv_bytes, row

    monkeypatch.chdir(tmp_path)  # no workbench.toml here: the defaults
    bad = tmp_path / "exports" / "may.csv"
    bad.parent.mkdir()
    bad.write_bytes(csv_bytes([row(), row(BilledCost="12,50")]))
    page = pages.overview_page(data=[str(bad.parent)], mode="app")
    assert isinstance(page, pages.ProblemPage)
    # named as every message names a file: relative to the working directory, under it
    named = bad.relative_to(tmp_path)
    assert page.problem == f"{named}:2: BilledCost: not a number: '12,50'; write amounts as plain " \
                           "decimals, like -1234.5"
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(str(obj)))
    page.show_controls()
    page.show("summary")
    assert len(shown) == 1 and "The data cannot be read: " in shown[0] and "12,50" in shown[0]
    with pytest.raises(WorkbenchError, match="not a number"):
        pages.overview_page(data=[str(bad.parent)], mode="report")


def test_a_provider_whose_export_lags_is_said_in_the_month_it_is_short():
    t = pd.Timestamp
    spans = pd.DataFrame({"provider": ["AWS", "Azure", "Old Cloud", "Late Co"],
                          "start": [t("2026-01-01")] * 4,
                          "end": [t("2026-07-01"), t("2026-06-28"), t("2026-03-10"), t("2026-06-01")]})
    data = dataclasses.replace(base(), provider_spans=spans)
    june = [n for n in pages.overview_notices(data, "2026-06") if "other providers" in n]
    assert june == [
        "Azure's data for 2026-06 ends on 2026-06-27, while other providers' data reaches the "
        "month's end: its part of the month is incomplete (an export that lags).",
        "Late Co has no daily data for 2026-06 (its data ends on 2026-05-31), while other "
        "providers' data reaches the month's end: a monthly invoice not delivered yet, an export "
        "a month late, or a provider renamed or no longer used."]
    # a month every provider covers, or one all of them fall short of, says nothing of it
    assert not [n for n in pages.overview_notices(data, "2026-05") if "other providers" in n]
    short = spans.assign(end=[t("2026-06-20")] * 4)
    assert not [n for n in pages.overview_notices(dataclasses.replace(data, provider_spans=short),
                                                  "2026-06") if "other providers" in n]


def test_a_provider_no_longer_used_is_said_in_its_last_month_and_the_month_after():
    t = pd.Timestamp
    spans = pd.DataFrame({"provider": ["AWS", "Closed Cloud"], "start": [t("2026-01-01")] * 2,
                          "end": [t("2026-07-01"), t("2026-04-21")]})
    data = dataclasses.replace(base(), provider_spans=spans)
    april = pages.overview_notices(data, "2026-04")
    assert ("Closed Cloud's data ends on 2026-04-20, more than a month before the other providers' "
            "newest data: taken as no longer used (or an export more than a month late). Its "
            "charges up to that day are here.") in april
    assert not [n for n in april if "other providers' data reaches" in n]  # not a lag
    assert ("No charges in 2026-05 from Closed Cloud (its data ends on 2026-04-20): no longer "
            "used, or an export more than a month late.") in pages.overview_notices(data, "2026-05")


ALPHA = "arn:aws:iam::123456789012:role/team-alpha-inference-service-prod"
BRAVO = "arn:aws:iam::123456789012:role/team-bravo-inference-service-prod"
WIDE = "MACHINE-LEARNING-PLATFORM-INFRASTRUCTURE"  # 40 characters, too wide for the axis
ENDPOINTS = "Amazon SageMaker Real-Time Inference Endpoints with Provisioned Concurrency"


def table_rows(fragment: str) -> list[list[str]]:
    """The cells of each body row of the HTML tables in a fragment, as text."""
    import html
    import re

    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", fragment, re.S) if "<td" in row]


def long_names():
    rows = [("2026-05", "AWS", f"{ENDPOINTS} (alpha)", ALPHA, "USD", 100.0),
            ("2026-06", "AWS", f"{ENDPOINTS} (alpha)", ALPHA, "USD", 160.0),
            ("2026-05", "AWS", f"{ENDPOINTS} (bravo)", BRAVO, "USD", 100.0),
            ("2026-06", "AWS", f"{ENDPOINTS} (bravo)", BRAVO, "USD", 160.0),
            ("2026-06", "AWS", "Amazon S3", WIDE, "USD", 15.0),
            ("2026-06", "AWS", "Amazon S3", "web", "USD", 1.0)]
    m = pd.DataFrame(rows, columns=["month", "provider", "ServiceName", "team", "currency", "effective_cost"])
    m = m.assign(billed_cost=m["effective_cost"], ServiceCategory="Compute", workload_class="training",
                 environment="prod", tagged="yes")
    daily = pd.DataFrame([(d, "AWS", ALPHA, "USD", 10.0) for d in pd.date_range("2026-05-01", "2026-06-30")],
                         columns=["date", "provider", "team", "currency", "cost"])
    return pages.load_overview(FakeStore(m, daily))


def test_every_name_a_chart_shows_otherwise_is_listed_with_the_label_it_shows():
    from workbench import charts

    sec = pages.overview_sections(long_names(), {"month": "2026-06", "filters": {}})
    listed = table_rows(str(pages._html(sec["full_names"])).split("Names the chart of changes")[0])
    teams = {row[2]: row for row in listed if row[0] == "team"}
    # two ARNs that shorten alike show two labels, each listed beside its name and cost
    assert set(teams) == {ALPHA, BRAVO, WIDE}  # "web" shows whole: not listed
    assert teams[ALPHA][1] != teams[BRAVO][1] and teams[ALPHA][3:] == ["USD", "$160.00"]
    # a name of 40 characters too wide for the axis is listed too
    assert teams[WIDE][1] != WIDE and teams[WIDE][3:] == ["USD", "$15.00"]
    # the labels listed are those the chart draws, one for each bar
    values = next(iter(sec["team"].to_dict()["datasets"].values()))
    drawn = {v["team"]: v[charts.LABEL] for v in values}
    assert len(set(drawn.values())) == len(drawn) == 4
    assert all(drawn[name] == row[1] for name, row in teams.items())


def test_the_changes_chart_lists_its_names_with_the_change_its_bars_show():
    sec = pages.overview_sections(long_names(), {"month": "2026-06", "filters": {}})
    full = str(pages._html(sec["full_names"]))
    assert "change since 2026-05" in full
    changes = table_rows(full.split("Names the chart of changes")[1])
    assert sorted(row[1] for row in changes) == [f"AWS / {ENDPOINTS} (alpha)", f"AWS / {ENDPOINTS} (bravo)"]
    assert all(row[2:] == ["USD", "+$60.00"] for row in changes)  # the change, not the month's cost
    assert len({row[0] for row in changes}) == 2
    labels = {v["label"]: v["axis_label"] for v in next(iter(sec["movers"].to_dict()["datasets"].values()))}
    assert all(labels[row[1]] == row[0] for row in changes)


def test_filters_use_the_full_name_of_a_shortened_bar():
    sec = pages.overview_sections(long_names(), {"month": "2026-06", "filters": {"team": ALPHA}})
    values = next(iter(sec["team"].to_dict()["datasets"].values()))
    assert [v["team"] for v in values] == [ALPHA] and "$160.00" in pages._html(sec["summary"])
    assert BRAVO not in str(pages._html(sec["full_names"]))


@pytest.mark.parametrize("filters", [{"provider": "Azure"}, {"provider": "Azure", "team": "search"}])
def test_every_chart_names_the_selection_it_shows(filters):
    """The daily trend is filtered like every other chart, and a selection with no spend is
    still a selection: each chart's subtitle says which one, or a reader takes it for all."""
    sec = pages.overview_sections(base(), {"month": "2026-06", "filters": filters})
    where = "; ".join(f"{k} = {v}" for k, v in filters.items())
    for name, content in sec.items():
        if isinstance(content, alt.TopLevelMixin):
            assert where in " ".join(content.to_dict()["title"].get("subtitle", [])), name


def test_a_team_named_all_is_a_team_not_every_team():
    """Shared spend is often tagged team=All: picking it filters to it, and "All" at the top
    of the list still means no filter."""
    from workbench import widgets

    data = base()
    data.monthly.loc[data.monthly["team"] == "chat", "team"] = "All"
    data.daily.loc[data.daily["team"] == "chat", "team"] = "All"
    app = pages.Page(lambda st: pages.overview_sections(data, st),
                     {"month": "2026-06", "filters": {}}, "app",
                     {"month": ["2026-06"], "provider": ["AWS", "Azure"], "team": ["All", "search"]})
    box = widgets.controls(app, prefetch=False)
    team = box.children[2]
    assert [label for label, _ in team.options] == ["All (no filter)", "All", "search"]
    assert [label for label, _ in box.children[1].options] == ["All", "AWS", "Azure"]
    team.index = 1  # the team called All
    assert app.state["filters"] == {"provider": None, "team": "All"}
    assert "team = All" in app.sections["team"].to_dict()["title"]["subtitle"][0]
    team.index = 0  # every team
    assert app.state["filters"] == {"provider": None, "team": None}


def test_a_selection_whose_spend_did_not_change_says_so_not_that_it_has_none():
    """A flat monthly fee (a support plan) moves nothing: the chart of changes must not read
    "no spend in this selection" beside the fee's bars."""
    data = base()
    flat = data.monthly.iloc[[0, 0]].assign(month=["2026-05", "2026-06"], provider="Support Co",
                                            ServiceName="Support", effective_cost=70.0,
                                            billed_cost=70.0, by_day_cost=0.0)
    data = dataclasses.replace(data, monthly=pd.concat([data.monthly, flat], ignore_index=True))
    sec = pages.overview_sections(data, {"month": "2026-06", "filters": {"provider": "Support Co"}})
    said = json.dumps(sec["movers"].to_dict()["datasets"])
    assert "no spend" not in said and "no change since 2026-05" in said
    assert "$70" in pages._html(sec["summary"])
    # June has 30 days and May 31: the same fee is not "3.2% more a day"
    assert "Per day" not in pages._html(sec["summary"])
    nothing = pages.overview_sections(data, {"month": "2026-06", "filters": {"provider": "Azure",
                                                                             "team": "search"}})
    assert "no spend in this selection" in json.dumps(nothing["movers"].to_dict()["datasets"])


def gappy():
    """USD in January to March; EUR in January and March only (February's EUR export
    missing) and JPY from March on (a currency that starts later)."""
    rows = [(m, c, v) for m, c, v in (("2026-01", "USD", 100.0), ("2026-02", "USD", 110.0),
                                      ("2026-03", "USD", 120.0), ("2026-01", "EUR", 50.0),
                                      ("2026-03", "EUR", 60.0), ("2026-03", "JPY", 7000.0))]
    m = pd.DataFrame(rows, columns=["month", "currency", "effective_cost"]).assign(
        ServiceCategory="Compute", ServiceName="EC2", workload_class="training",
        team="search", environment="prod", tagged="yes")
    m["provider"] = m["currency"].map({"EUR": "Azure"}).fillna("AWS")  # EUR: Azure's bill
    m["billed_cost"] = m["effective_cost"]
    daily = pd.DataFrame([(d, c, 1.0) for d in pd.date_range("2026-01-01", "2026-03-31")
                          for c in ("USD", "EUR", "JPY")
                          if c == "USD" or (c == "EUR" and d.month != 2) or d.month == 3],
                         columns=["date", "currency", "cost"]).assign(team="search")
    daily["provider"] = daily["currency"].map({"EUR": "Azure"}).fillna("AWS")
    return pages.load_overview(FakeStore(m, daily))


def test_a_month_one_currency_lacks_is_no_data_for_it_not_zero_spend():
    sec = pages.overview_sections(gappy(), {"month": "2026-03", "filters": {}})
    summary = pages._html(sec["summary"])
    rows = {(r[0], r[2]): r for r in table_rows(summary.split("</table>")[0])}
    # February has USD: EUR's February is no data, not EUR 0 (and no rise from it)
    assert rows[("EUR", "2026-02 (previous month)")][3:] == ["n/a", "n/a", "n/a"]
    assert rows[("JPY", "2026-02 (previous month)")][3:] == ["n/a", "n/a", "n/a"]
    assert rows[("USD", "2026-02 (previous month)")][3:] == ["$110.00", "+$10.00", "+9.1%"]
    assert "\u20ac0.00" not in summary and "¥0" not in summary
    assert ("No EUR data for 2026-02, though other currencies have some: EUR month-on-month "
            "changes are not available.") in summary
    assert "No USD data for 2026-02" not in summary
    # no EUR or JPY line reads as new against a month they have no data in
    movers = json.dumps(sec["movers"].to_dict()["datasets"])
    assert "(new)" not in movers and '"currency": "USD"' in movers
    assert '"currency": "EUR"' not in movers and '"currency": "JPY"' not in movers
    # the trend breaks EUR's line over February and leaves JPY's out before March
    days = [r for rows_ in sec["trend"].to_dict()["datasets"].values() for r in rows_
            if r.get("kind") == "day"]
    feb = {c: [r["cost"] for r in days if r["currency"] == c and r["date"].startswith("2026-02")]
           for c in ("USD", "EUR", "JPY")}
    assert feb["USD"] == [1.0] * 28 and feb["EUR"] == [None] * 28 and feb["JPY"] == [None] * 28
    # Azure's EUR alone: nothing to compare with, not a chart of lines all "new"
    azure = pages.overview_sections(gappy(), {"month": "2026-03", "filters": {"provider": "Azure"}})
    assert "no data for 2026-02: nothing to compare with" in json.dumps(
        azure["movers"].to_dict()["datasets"])
    # February itself: EUR's spend then is unknown, and said so
    feb_sec = pages.overview_sections(gappy(), {"month": "2026-02", "filters": {}})
    text = pages._html(feb_sec["summary"])
    assert "No EUR data for 2026-02: its EUR spend is unknown, not 0 (the data holds €50.00 in 2026-01)." in text
    assert "effective spend in EUR was" not in text


def test_lines_of_a_provider_with_no_data_in_the_month_compared_are_not_new():
    """Azure's April not loaded: its May lines are no "(new)" bars and no growth; the page
    names Azure and the month, and AWS's new line stays new."""
    from test_overview import gap_frame
    m = gap_frame().assign(ServiceCategory="AI", workload_class="training",
                           environment="prod")
    daily = pd.DataFrame({"date": pd.date_range("2026-03-01", "2026-05-31"), "provider": "AWS",
                          "team": "a", "currency": "USD", "cost": 1.0})
    data = pages.load_overview(FakeStore(m, daily))
    sec = pages.overview_sections(data, {"month": "2026-05", "filters": {}})
    chart = json.dumps(sec["movers"].to_dict())
    assert "Amazon Bedrock" in chart and "(new)" in chart and "Azure OpenAI" not in chart
    summary = pages._html(sec["summary"])
    assert "Azure has no data for 2026-04: its USD charges of 2026-05 ($500) are not " in summary
    assert "not comparable with the previous month" in summary and "$640.00" in summary


def test_an_account_not_delivered_past_a_day_is_no_fall_on_the_page():
    """Azure's EUR account holds only its monthly reservation payment (effective cost 0) in
    November while AWS's USD data runs to the 20th: EUR reads 'not delivered past
    2026-10-31', not '€0.00, -100%', and its lines are no movers; the USD change says it
    sets 20 days against 31."""
    rows = [("2026-10", "AWS", "Amazon EC2", "USD", 310.0), ("2026-11", "AWS", "Amazon EC2", "USD", 200.0),
            ("2026-10", "Azure", "Virtual Machines", "EUR", 1705.0),
            ("2026-11", "Azure", "Virtual Machines", "EUR", 0.0)]
    m = pd.DataFrame(rows, columns=["month", "provider", "ServiceName", "currency", "effective_cost"])
    m = m.assign(team="a", tagged="yes", environment="prod", workload_class="training",
                 ServiceCategory="Compute", billed_cost=m["effective_cost"])
    daily = pd.DataFrame([(d, "AWS", "a", "USD", 10.0) for d in pd.date_range("2026-10-01", "2026-11-20")]
                         + [(d, "Azure", "a", "EUR", 55.0) for d in pd.date_range("2026-10-01", "2026-10-31")],
                         columns=["date", "provider", "team", "currency", "cost"])
    sec = pages.overview_sections(pages.load_overview(FakeStore(m, daily)), {"month": "2026-11"})
    summary = pages._html(sec["summary"])
    assert "-100.0%" not in summary and "-€1,705.00" not in summary
    assert ("not comparable with the previous month (2026-10: €1.7k), as Azure&#x27;s EUR data "
            "is not delivered past 2026-10-31") in summary.replace("'", "&#x27;")
    assert "-$110.00" in summary and "27 days against 31" not in summary
    assert "(previous month; 20 days against 31)" in summary
    assert ("Like for like, over the first 20 days of 2026-11 and the first 20 of 2026-10, USD "
            "spend was $200.00 against $200.00: flat.") in summary
    movers = json.dumps(sec["movers"].to_dict())
    assert "Virtual Machines" not in movers and "Amazon EC2" in movers


def test_a_warning_that_changes_no_figure_is_not_the_one_that_matters_most():
    """An older FOCUS name of a column changes no figure: the note says none does, where it
    named it 'the one that matters most to the figures'; a copy set aside is that one."""
    names = "oci.csv: FOCUS 1.0-preview column names read as their FOCUS 1.0 columns"
    other = "oci.csv: 2 columns are not FOCUS columns"
    data = dataclasses.replace(base(), load_warnings=[names, other], figure_warnings=0)
    note = pages.overview_notices(data, "2026-06")[0]
    assert note == ("Loading the data gave 2 warnings (all of them below); none of them changes "
                    "a figure (every row is counted once, at its full cost).")
    one = dataclasses.replace(data, load_warnings=[names])
    assert pages.overview_notices(one, "2026-06")[0] == (
        f"Loading the data gave 1 warning, which changes no figure (every row is counted once, "
        f"at its full cost): {names}")
    copy = "a.csv: same content as b.csv; loaded once"
    weighs = dataclasses.replace(data, load_warnings=[copy, names], figure_warnings=1)
    assert pages.overview_notices(weighs, "2026-06")[0] == (
        "Loading the data gave 2 warnings (all of them below), the one that matters most to "
        f"the figures: {copy}")
