"""Live charts: a chart split into shape, data and title; charts of one kind share a shape."""

import json

import pandas as pd

from workbench import charts, live_chart
from workbench.live_chart import LiveChart, split_spec


def team_bars(costs, subtitle="2026-06"):
    df = pd.DataFrame({"team": list(costs), "currency": "USD", "cost": list(costs.values())})
    return charts.bar(df, "team", "Which teams spent it?", subtitle=subtitle).to_dict()


def test_same_kind_of_chart_with_other_data_has_the_same_shape():
    a = split_spec(team_bars({"search": 300.0, "chat": 120.0}))
    b = split_spec(team_bars({"vision": 5.0}, subtitle="2026-05, provider = AWS"))
    assert a["shape"] == b["shape"]
    assert a["datasets"] != b["datasets"] and list(a["datasets"]) == ["wb_data_0"]
    assert a["title"] == {"text": "Which teams spent it?", "subtitle": ["2026-06"]}
    assert b["title"]["subtitle"] == ["2026-05, provider = AWS"]
    assert "search" not in json.dumps(a["shape"]) and "Which teams" not in json.dumps(a["shape"])
    # what the chart shows in words (its accessible name with the title) travels with the data
    assert a["description"] == "USD: search: $300.00, chat: $120.00."
    assert b["description"] == "USD: vision: $5.00."


def test_every_data_reference_is_renamed():
    spec = team_bars({"search": 300.0})
    old = next(iter(spec["datasets"]))
    shape = json.dumps(split_spec(spec)["shape"])
    assert old not in shape and '"name": "wb_data_0"' in shape


def test_a_different_kind_of_chart_has_another_shape():
    one = split_spec(team_bars({"search": 300.0}))
    df = pd.DataFrame({"team": ["a", "a"], "currency": ["USD", "EUR"], "cost": [1.0, 2.0]})
    two = split_spec(charts.bar(df, "team", "Which teams spent it?").to_dict())  # two currencies
    empty = split_spec(charts.empty("Which teams spent it?", "no spend").to_dict())
    assert one["shape"] != two["shape"] and one["shape"] != empty["shape"]
    assert empty["title"] == {"text": "Which teams spent it?"}


def test_widget_sends_only_what_changed_and_gives_the_spec_back():
    spec = team_bars({"search": 300.0, "chat": 120.0})
    chart = LiveChart(spec)
    assert chart.spec["title"] == spec["title"]
    assert list(chart.spec["datasets"].values()) == list(spec["datasets"].values())
    sent = []
    chart.observe(lambda c: sent.append(c["name"]), names=["shape", "datasets", "title",
                                                           "description"])
    chart.show(team_bars({"search": 10.0}))  # same kind, same subtitle: data (said in words)
    assert sent == ["datasets", "description"]
    assert chart.spec["description"] == "USD: search: $10.00."
    chart.show(team_bars({"search": 10.0}, subtitle="2026-05"))
    assert sent == ["datasets", "description", "title"]


def test_one_runtime_per_kernel_carries_the_offline_bundle():
    a, b = LiveChart(team_bars({"x": 1.0})), LiveChart(team_bars({"y": 2.0}))
    rt = live_chart.runtime()
    assert rt is live_chart.runtime()
    assert len(rt._esm) > 500_000 and "vegaEmbed" in rt._esm and "__workbenchVega" in rt._esm
    assert len(a._esm) < 10_000 and a._esm == b._esm  # charts carry no library
    assert "https://" not in a._esm and "cdn" not in a._esm.lower()


def test_the_bundle_is_made_once_and_then_read_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    live_chart.vega_bundle.cache_clear()
    try:
        made = live_chart.vega_bundle()
        files = list((tmp_path / "workbench").glob("vega-*.js"))
        assert len(files) == 1 and files[0].read_text(encoding="utf-8") == made
        files[0].write_text(made + "\n// kept", encoding="utf-8")
        live_chart.vega_bundle.cache_clear()
        assert live_chart.vega_bundle().endswith("// kept")  # read back, not made again
    finally:
        live_chart.vega_bundle.cache_clear()
