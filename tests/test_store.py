"""workbench.store and workbench.dimensions on tiny frames.

`frame_file` writes a frame as a Parquet file and `fake_scan` turns it into the temp
table focus.scan_file would produce, so these tests exercise the store alone.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from workbench import dimensions as dm
from workbench import overview, reads
from workbench import store as store_mod
from workbench.config import Config, parse_config
from workbench.coverage import last_complete_month
from workbench.errors import InputError, WorkbenchError
from workbench.focus_columns import detect_version
from workbench.focus_report import Problem
from workbench.schema import CANONICAL_COLUMNS
from workbench.store import Store, open_store
from workbench.store_rebuild import rebuild, recorded_deliveries

BASE = {
    "BillingAccountId": "acct-1", "ProviderName": "Cloud", "ServiceProviderName": "Cloud",
    "BillingPeriodStart": "2026-05-01", "BillingPeriodEnd": "2026-06-01",
    "ChargePeriodStart": "2026-05-03", "ChargePeriodEnd": "2026-05-04",
    "BillingCurrency": "USD", "BilledCost": "1.00", "EffectiveCost": "1.00", "ListCost": "1.00",
    "ContractedCost": "1.00", "ChargeCategory": "Usage", "PricingCategory": "Standard",
    "ServiceCategory": "Compute", "ServiceName": "VMs", "ResourceId": "r1", "ResourceName": "vm-1",
    "ConsumedQuantity": 1.0, "Tags": "{}",
}


@dataclass
class FakeReport:
    path: Path
    ok: bool
    focus_version: str | None = "1.3"
    rows: int = 0
    period_start: str | None = None
    period_end: str | None = None
    currencies: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    dataset: str = "cost and usage"


def frame_file(folder: Path, name: str, rows: list[dict], without: tuple = ()) -> Path:
    """A Parquet file of FOCUS rows (missing keys take BASE values) less the columns
    `without`; costs stay text, exact."""
    folder.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame([{**BASE, **r} for r in rows]).drop(columns=list(without))
    for c in df.columns:
        if c != "ConsumedQuantity":
            df[c] = df[c].astype("str")
    path = folder / f"{name}.parquet"
    df.to_parquet(path, index=False)
    return path


def fake_scan(con, path: Path, table: str) -> FakeReport:
    """What focus.scan_file leaves behind: the canonical columns (no wb_delivery_id) as a temp table.

    (The real one also holds each row's parsed tags; the store reads only the canonical columns.)"""
    if "bad" in path.name:
        return FakeReport(path, False, errors=[Problem(3, "BilledCost", "'abc' is not a number")])
    src = str(path).replace("'", "''")
    have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{src}')").fetchall()}
    cols = []
    for c, typ in CANONICAL_COLUMNS.items():
        if c == "wb_delivery_id":
            continue
        if c == "wb_tag_set":
            expr = "CAST(hash(Tags) >> 1 AS BIGINT)"
        elif c in ("wb_provider", "wb_issuer"):
            names = [n for n in ("InvoiceIssuerName", "ServiceProviderName", "ProviderName")
                     if n in have and (c == "wb_issuer" or n != "InvoiceIssuerName")]
            expr = f"coalesce({', '.join(names)})"
        elif c == "wb_focus_version":
            expr = f"'{detect_version(have)}'"
        elif c == "wb_source_file":
            expr = f"'{src}'"
        elif c == "wb_source_row":
            expr = "row_number() OVER ()"
        elif c in have:
            expr = f"CAST(NULLIF({c}, 'None') AS {typ})" if typ != "DOUBLE" else c
        else:
            expr = f"CAST(NULL AS {typ})"
        cols.append(f"{expr} AS {c}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {', '.join(cols)} "
                f"FROM read_parquet('{src}')")
    n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return FakeReport(path, True, rows=n, period_start="2026-05-01T00:00:00Z")


def fake_discover(paths):
    out = []
    for p in map(Path, paths):
        out += sorted(p.rglob("*.parquet")) if p.is_dir() else [p]
    return out


REAL_SCAN, REAL_DISCOVER = store_mod.scan_file, store_mod.discover


@pytest.fixture(autouse=True)
def frames_reader(monkeypatch):
    monkeypatch.setattr(store_mod, "scan_file", fake_scan)
    monkeypatch.setattr(store_mod, "discover", fake_discover)
    monkeypatch.setattr(Store, "fast_path", False)  # the fake reader stands in for both paths


def exact_totals(paths: list[Path]) -> dict:
    """Per-currency sums straight from the files, as Decimal."""
    out: dict = {}
    for p in paths:
        df = pd.read_parquet(p)
        for cur, bc, ec in zip(df.BillingCurrency, df.BilledCost, df.EffectiveCost, strict=True):
            b, e = out.get(cur, (Decimal(0), Decimal(0)))
            out[cur] = (b + Decimal(bc), e + Decimal(ec))
    return out


def store_totals(s: Store) -> dict:
    rows = s.con.execute("SELECT BillingCurrency, sum(BilledCost), sum(EffectiveCost) FROM charges "
                         "GROUP BY 1").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


@pytest.fixture
def cfg(tmp_path) -> Config:
    return Config(root=tmp_path)


@pytest.fixture
def tiny(tmp_path, cfg) -> Store:
    rows = [
        {"Tags": '{"Team": "search", "Environment": "prod", "workload": "Fine_Tuning"}',
         "BilledCost": "10.005", "EffectiveCost": "8.5", "ResourceId": "r1"},
        {"Tags": '{"TEAM": "search", "env": "dev"}', "BilledCost": "-2.25", "EffectiveCost": "-2.25",
         "ChargeCategory": "Credit", "ResourceId": "None", "ResourceName": "None"},
        {"Tags": '{"owner_team": "ads", "team": " "}', "BilledCost": "3", "EffectiveCost": "3",
         "ResourceName": "llm-endpoint-a", "ResourceId": "r2", "ChargePeriodStart": "2026-05-04",
         "ChargePeriodEnd": "2026-05-05"},
        {"Tags": "{}", "BillingCurrency": "EUR", "BilledCost": "7.10", "EffectiveCost": "7.10",
         "ServiceName": "None", "ResourceId": "r3", "ResourceName": "None",
         "ChargePeriodStart": "2026-06-02", "ChargePeriodEnd": "2026-06-03",
         "BillingPeriodStart": "2026-06-01", "BillingPeriodEnd": "2026-07-01"},
        {"Tags": '{"Workload": "nonsense"}', "BilledCost": "1", "EffectiveCost": "1",
         "ResourceName": "train-job-7", "ResourceId": "r4", "PricingCategory": "Committed"},
    ]
    f = frame_file(tmp_path / "in", "tiny", rows)
    s = Store(":memory:", cfg)
    s.ingest([str(f)])
    yield s
    s.close()


# -- dimensions -------------------------------------------------------------------------

def test_tag_keys_case_folded_first_key_wins_blank_is_untagged(tiny):
    df = tiny.monthly(["team"])
    got = {(r.month, r.team, r.currency): r.effective_cost for r in df.itertuples()}
    assert got == {("2026-05", "ads", "USD"): 3.0, ("2026-05", "search", "USD"): 6.25,
                   ("2026-05", "Unallocated", "USD"): 1.0, ("2026-06", "Unallocated", "EUR"): 7.10}


def test_a_team_tag_of_unallocated_is_no_team_in_the_untagged_share_too(tmp_path, cfg):
    """The team chart shows a team tag "Unallocated" and untagged spend as one bar: the
    share of spend with no team must count both, or two charts of a page disagree."""
    rows = [{"Tags": '{"team": "Unallocated"}', "EffectiveCost": "5"}, {"Tags": "{}", "EffectiveCost": "3"},
            {"Tags": '{"team": "search"}', "EffectiveCost": "2"}]
    s = Store(":memory:", cfg)
    s.ingest([str(frame_file(tmp_path / "in", "literal", rows))])
    try:
        teams, share = s.monthly(["team"]), s.monthly(["tagged"])
        by_team = dict(zip(teams.team, teams.effective_cost, strict=True))
        tagged = dict(zip(share.tagged, share.effective_cost, strict=True))
        assert by_team == {"Unallocated": 8.0, "search": 2.0}
        assert tagged == {"no": by_team["Unallocated"], "yes": 2.0}
    finally:
        s.close()


def test_tag_keys_after_a_provider_prefix(tmp_path, cfg):
    """AWS writes user:team, OCI defined tags FinOps.Team: read as team when no plain key is."""
    tags = ['{"user:team": "search", "aws:createdBy": "x"}', '{"FinOps.Team": "ads"}',
            '{"team": "core", "user:team": "other"}', '{"user:team": " ", "k8s.io/env": "prod"}',
            '{"user:teams": "no"}']
    f = frame_file(tmp_path / "in", "aws", [
        {"Tags": t, "ResourceId": f"r{i}", "BilledCost": str(i + 1), "EffectiveCost": str(i + 1)}
        for i, t in enumerate(tags)])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        got = {(r.team, r.environment): r.effective_cost
               for r in s.monthly(["team", "environment"]).itertuples()}
    assert got == {("search", "Unallocated"): 1, ("ads", "Unallocated"): 2,
                   ("core", "Unallocated"): 3, ("Unallocated", "prod"): 4,
                   ("Unallocated", "Unallocated"): 5}


def test_tag_keys_are_counted_whatever_their_case_and_shown_as_written_most(tmp_path, cfg):
    """The overview's hint names keys to copy into [tags]: each as the charges write it most
    often, in an object or a key/value list, counted over every spelling."""
    tags = ['{"CostCenter": "a", "Team": "x"}', '{"CostCenter": "b", "team": "y"}',
            '{"costcenter": "c", "team": "z"}', '[{"key": "Owner", "value": "me"}]',
            '{"aws:createdBy" : "z", "FinOps.Team": "q"}', '{"owner": "CostCenter"}']
    f = frame_file(tmp_path / "in", "mixed", [{"Tags": t, "ResourceId": f"r{i}"}
                                              for i, t in enumerate(tags)])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        assert s.tag_keys(limit=3) == ["CostCenter", "team", "Owner"]  # 3 charges, 3, 2
        assert s.tag_keys()[3:] == ["aws:createdBy", "FinOps.Team"]


def test_tag_keys_named_key_or_value_are_shown_as_a_list_spells_them(tmp_path, cfg):
    """In a list of {"key": ..., "value": ...} items the member names are no tag keys: a tag
    named Key or Value shows as the list spells it, not as the items' "key" or "value"."""
    tags = ['[{"key": "Value", "value": "a"}, {"key": "Key", "value": "b"}]',
            '[{"key": "Key", "value": "c"}]', '{"key": "d"}']  # key: 3 charges, 2 as Key
    f = frame_file(tmp_path / "in", "lists", [{"Tags": t, "ResourceId": f"r{i}"}
                                              for i, t in enumerate(tags)])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        assert s.tag_keys() == ["Key", "Value"]


def test_tag_list_with_a_key_twice_keeps_the_first_value(tmp_path, cfg):
    """GCP lists a project's label and a resource's label of the same name: the first counts."""
    pairs = '[{"key": "team", "value": "search"}, {"key": "team", "value": "ads"}]'
    f = frame_file(tmp_path / "in", "gcp", [{"Tags": pairs, "BilledCost": "4", "EffectiveCost": "4"}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        assert s.monthly(["team"])[["team", "effective_cost"]].values.tolist() == [["search", 4.0]]


def test_workload_class_tag_then_rules_then_unclassified(tiny):
    df = tiny.monthly(["workload_class"])
    got = {(r.workload_class, r.currency): r.effective_cost for r in df.itertuples()}
    # tag "Fine_Tuning" normalises to a class; "nonsense" falls through to the ResourceName rule
    assert got == {("fine-tuning", "USD"): 8.5, ("training", "USD"): 1.0,
                   ("realtime-inference", "USD"): 3.0, ("unclassified", "USD"): -2.25,
                   ("unclassified", "EUR"): 7.10}


def test_custom_workload_rules_from_config(tmp_path):
    cfg = parse_config('[[workloads]]\nclass = "evaluation"\nmatch = { ServiceName = "(?i)^vms$" }\n',
                       root=tmp_path)
    f = frame_file(tmp_path / "in", "x", [{"ResourceName": "train-1"}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        assert s.monthly(["workload_class"]).workload_class.tolist() == ["evaluation"]


def test_model_and_workload_from_focus_model_identity(tmp_path, cfg):
    """FOCUS puts an AI model's identity in SkuPriceDetails: without a model tag, the model
    dimension reads its ModelId, and an embedding model billed as input tokens is embeddings."""
    f = frame_file(tmp_path / "in", "llm", [
        {"SkuMeter": "Input Tokens", "ResourceName": "None", "Tags": "{}",
         "SkuPriceDetails": '{"ModelId": "text-embedding-3-large", "TokenDirection": "Input"}'},
        {"SkuMeter": "Output Tokens", "ResourceName": "None", "Tags": "{}", "BilledCost": "4",
         "EffectiveCost": "4", "SkuPriceDetails": '{"ModelFamily": "X", "ModelId": "chat-5"}'},
        {"SkuMeter": "Output Tokens", "ResourceName": "None", "Tags": '{"model": "router"}',
         "SkuPriceDetails": '{"ModelId": "chat-5"}'}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        df = s.monthly(["model", "workload_class"])
        got = {(r.model, r.workload_class): r.effective_cost for r in df.itertuples()}
        assert got == {("text-embedding-3-large", "embeddings"): float(BASE["EffectiveCost"]),
                       ("chat-5", "realtime-inference"): 4.0,
                       ("router", "realtime-inference"): float(BASE["EffectiveCost"])}


def test_token_charges_of_an_export_without_skumeter_are_inference(tmp_path, cfg):
    """FOCUS 1.0 has no SkuMeter: Azure's and AWS's 1.0 exports bill an LLM API by its unit
    (1K Tokens) alone, which must not leave those charges unclassified."""
    f = frame_file(tmp_path / "in", "oai", [
        {"ServiceName": "Azure OpenAI", "ResourceName": "oai-eu", "ConsumedUnit": "1K Tokens",
         "BilledCost": "4", "EffectiveCost": "4"},
        {"ServiceName": "Amazon Bedrock", "ResourceName": "None", "PricingUnit": "Tokens"},
        {"ServiceName": "Storage", "ResourceName": "vol-1", "ConsumedUnit": "GB-Mo"}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        got = {r.workload_class: r.effective_cost for r in s.monthly(["workload_class"]).itertuples()}
    assert got == {"realtime-inference": 5.0, "unclassified": 1.0}


def test_missing_values_never_dropped_and_currencies_never_added(tiny):
    df = tiny.monthly(["ServiceName", "environment", "tagged", "provider"])
    assert "(none)" in set(df.ServiceName)
    assert set(df.environment) == {"prod", "dev", "Unallocated"}
    assert set(df.tagged) == {"yes", "no"}
    per = df.groupby("currency").effective_cost.sum()
    assert per["USD"] == pytest.approx(10.25) and per["EUR"] == pytest.approx(7.10)
    assert set(df.currency) == {"USD", "EUR"}


def test_every_query_reconciles_to_store_totals(tiny):
    tot = tiny.totals().groupby("currency").effective_cost.sum()
    for dims in ([], ["team"], ["workload_class", "RegionId"], ["model", "owner", "application"]):
        d = tiny.daily(dims).groupby("currency").cost.sum()
        m = tiny.monthly(dims).groupby("currency").effective_cost.sum()
        pd.testing.assert_series_equal(d, tot, check_names=False)
        pd.testing.assert_series_equal(m, tot, check_names=False)
    r = pd.concat([tiny.resources(m) for m in tiny.months()]).groupby("currency").effective_cost.sum()
    pd.testing.assert_series_equal(r, tot, check_names=False)


def test_exact_monthly_frames_keep_every_cent_of_a_huge_total(tmp_path, cfg):
    """Past about 9e13 a float loses the cent (an IDR or VND bill can get there): the exact
    frame and the headline computed from it keep it."""
    from workbench import overview
    f = frame_file(tmp_path / "in", "idr", [
        {"BillingCurrency": "IDR", "BilledCost": "2858115771362327.43", "EffectiveCost": "2858115771362327.43"},
        {"BillingCurrency": "IDR", "BilledCost": "0.01", "EffectiveCost": "0.01",
         "ChargePeriodStart": "2026-04-03", "ChargePeriodEnd": "2026-04-04"}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        m = s.monthly(exact=True)
        assert list(m["effective_cost"]) == [Decimal("0.01"), Decimal("2858115771362327.43")]
        head = overview.headline(m, "2026-05").iloc[0]
        assert head["cost"] == Decimal("2858115771362327.43")
        assert head["previous_change"] == Decimal("2858115771362327.42")
        assert s.monthly()["effective_cost"].dtype == "float64"
        # the daily frame too, as the pages read it
        assert list(s.daily(exact=True)["cost"]) == [Decimal("0.01"), Decimal("2858115771362327.43")]
        assert s.daily()["cost"].dtype == "float64"


def test_unknown_dimension_names_the_valid_ones(tiny):
    with pytest.raises(WorkbenchError, match=r"unknown dimension 'tema'.*team"):
        tiny.daily(["tema"])
    with pytest.raises(WorkbenchError, match="unknown dimension"):
        tiny.monthly(filters={"nope": "x"})
    with pytest.raises(WorkbenchError, match="unknown cost column"):
        tiny.daily(cost="Cost")
    with pytest.raises(WorkbenchError, match="not a date"):
        tiny.daily(start="May 2026")


def test_filters_and_date_range(tiny):
    df = tiny.daily(["team"], start="2026-05-04", end="2026-06", filters={"team": ["ads", "Unallocated"]})
    assert list(df.team) == ["ads"]
    assert list(df.date.dt.strftime("%Y-%m-%d")) == ["2026-05-04"]
    assert df.cost.sum() == pytest.approx(3.0)
    assert str(df.date.dtype).startswith("datetime64")
    only = tiny.monthly(filters={"ChargeCategory": "Credit"})
    assert only.effective_cost.sum() == pytest.approx(-2.25)
    eur = tiny.monthly(["team"], filters={"currency": "EUR", "team": None})  # None: all teams
    assert list(eur.team) == ["Unallocated"] and eur.effective_cost.tolist() == [7.10]
    assert tiny.monthly(filters={"ServiceName": "(none)"}).rows.sum() == 1
    assert tiny.monthly(filters={"team": "Unallocated"}).rows.sum() == 2
    assert tiny.monthly(filters={"team": []}).empty


def monthly_of(tmp_path, cfg, rows: list[dict]) -> pd.DataFrame:
    """Store.monthly(exact=True) of a store holding one export of `rows`."""
    s = Store(":memory:", cfg)
    s.ingest([str(frame_file(tmp_path / "in", "export", rows))])
    try:
        return s.monthly(exact=True)
    finally:
        s.close()


def test_monthly_by_day_cost_is_what_is_billed_by_the_hour_or_day(tmp_path, cfg):
    """A month's length drives its hourly and daily usage, not a monthly fee, a month-long
    credit or a purchase of no duration: the per-day comparison reads by_day_cost."""
    rows = [{"EffectiveCost": "2.50"},  # a day
            {"EffectiveCost": "0.25", "ChargePeriodStart": "2026-05-03T05:00:00Z",
             "ChargePeriodEnd": "2026-05-03T06:00:00Z"},  # an hour
            {"EffectiveCost": "100", "ChargePeriodStart": "2026-05-01",
             "ChargePeriodEnd": "2026-06-01"},  # a monthly fee
            {"EffectiveCost": "-40", "ChargeCategory": "Credit", "ChargePeriodStart": "2026-05-01",
             "ChargePeriodEnd": "2026-06-01"},
            {"EffectiveCost": "7", "ChargeCategory": "Purchase", "ChargePeriodStart": "2026-05-09",
             "ChargePeriodEnd": "2026-05-09"}]
    m = monthly_of(tmp_path, cfg, rows)
    assert m["effective_cost"].tolist() == [Decimal("69.75")]
    assert m["by_day_cost"].tolist() == [Decimal("2.75")]


def test_monthly_by_day_cost_leaves_out_one_time_charges_of_a_day(tmp_path, cfg):
    """An export that dates every row by the day (a one-off marketplace purchase, a
    one-time fee on the day it is charged) still bills it once: a month's length does not
    drive it, and the per-day sentence says one-off charges are not counted."""
    rows = [{"EffectiveCost": "2.50", "ChargeFrequency": "Usage-Based"},
            {"EffectiveCost": "0.50"},  # no ChargeFrequency (an optional column): by its period
            {"EffectiveCost": "300", "ChargeCategory": "Purchase", "ChargeFrequency": "One-Time"},
            {"EffectiveCost": "-20", "ChargeCategory": "Credit", "ChargeFrequency": "One-Time"}]
    m = monthly_of(tmp_path, cfg, rows)
    assert m["effective_cost"].tolist() == [Decimal("283.00")]
    assert m["by_day_cost"].tolist() == [Decimal("3.00")]


def test_monthly_by_day_cost_counts_a_local_day_the_clocks_go_back_in(tmp_path, cfg):
    """A day dated in local time is 25 hours in UTC when the clocks go back (and 23 when
    they go forward): it is billed by the day all the same, or November's per-day figure
    would lack its first day."""
    # 2026-11-01T00:00:00-04:00 to 2026-11-02T00:00:00-05:00, as the reader stores it
    rows = [{"EffectiveCost": "10", "ChargePeriodStart": "2026-11-01T04:00:00",
             "ChargePeriodEnd": "2026-11-02T05:00:00"},
            {"EffectiveCost": "1", "ChargePeriodStart": "2026-11-03T23:00:00Z",
             "ChargePeriodEnd": "2026-11-04T01:00:00Z"},  # two hours across midnight
            {"EffectiveCost": "100", "ChargePeriodStart": "2026-11-01",
             "ChargePeriodEnd": "2026-11-03"}]  # two days: not by the day
    assert monthly_of(tmp_path, cfg, rows)["by_day_cost"].tolist() == [Decimal("11.00")]


def test_frames_have_documented_columns_and_types(tiny):
    d = tiny.daily(["team"])
    assert list(d.columns) == ["date", "team", "currency", "cost"] and d.cost.dtype == "float64"
    m = tiny.monthly(["ServiceName"])
    assert list(m.columns) == ["month", "ServiceName", "currency", "billed_cost", "effective_cost",
                               "list_cost", "contracted_cost", "by_day_cost", "purchase_gap",
                               "covered_gap", "unused_gap", "rows"]
    t = tiny.totals()
    assert list(t.columns) == ["billing_period_start", "currency", "rows", "billed_cost", "effective_cost"]
    assert list(t.billing_period_start) == ["2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z"]
    assert tiny.months() == ["2026-05", "2026-06"]


def test_months_and_billing_periods_are_named_as_their_charges_times_say(tmp_path, cfg, monkeypatch):
    """Grouped by month or second, then named: a billing period that starts at 07:00 UTC
    (Google Cloud's invoice month) keeps its hour, and a charge in the last second of May
    counts in May, the one at midnight after it in June."""
    _real_reader(monkeypatch)
    gcp = {"BillingPeriodStart": "2026-05-01T07:00:00Z", "BillingPeriodEnd": "2026-06-01T07:00:00Z"}
    f = frame_file(tmp_path / "in", "gcp", [
        {**gcp, "ChargePeriodStart": "2026-05-31T23:59:59Z", "ChargePeriodEnd": "2026-06-01T00:00:00Z",
         "BilledCost": "2.005", "EffectiveCost": "2.005"},
        {**gcp, "ChargePeriodStart": "2026-06-01T00:00:00Z", "ChargePeriodEnd": "2026-06-01T01:00:00Z",
         "BilledCost": "3", "EffectiveCost": "3"}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        assert s.months() == ["2026-05", "2026-06"]
        got = s.monthly(exact=True)
        assert list(zip(got.month, got.effective_cost, strict=True)) == [
            ("2026-05", Decimal("2.005")), ("2026-06", Decimal("3"))]
        t = s.totals(exact=True)
        assert t[["billing_period_start", "rows"]].values.tolist() == [["2026-05-01T07:00:00Z", 2]]
        assert t.billed_cost.tolist() == [Decimal("5.005")]


def test_resources_one_row_per_resource_and_currency(tiny):
    r = tiny.resources("2026-05")
    assert sorted(r.ResourceId) == ["(no resource)", "r1", "r2", "r4"]
    r1 = r.set_index("ResourceId").loc["r1"]
    assert r1.team == "search" and r1.workload_class == "fine-tuning" and r1.billed_cost == 10.005
    assert json.loads(r1.tags)["Team"] == "search" and r1.active_days == 1
    assert r.set_index("ResourceId").loc["r4"].PricingCategory == "Committed"
    with pytest.raises(WorkbenchError, match="not a month"):
        tiny.resources("2026-05-01")


def _last_full_month(s: Store):
    """The month a report defaults to, from what the store answers."""
    return lambda today=None: last_complete_month(s.months(), s.provider_coverage(), today)


def test_coverage_and_last_full_month(tiny):
    last_full_month = _last_full_month(tiny)
    # June's data stops on the 3rd: only May is complete.
    assert tiny.coverage() == (pd.Timestamp("2026-05-03"), pd.Timestamp("2026-06-03"))
    assert last_full_month(date(2026, 11, 1)) == "2026-05"
    assert last_full_month(date(2026, 5, 20)) is None


def test_last_full_month_of_an_export_with_only_monthly_charges(tmp_path, cfg):
    """Marketplace and API invoices often bill a whole month in one row: coverage then ends
    where those rows end (the spec's AI billing examples are written this way)."""
    month = {"ChargePeriodStart": "2026-05-01", "ChargePeriodEnd": "2026-06-01"}
    f = frame_file(tmp_path / "in", "monthly", [month, {**month, "BilledCost": "2"}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        assert s.coverage() == (pd.Timestamp("2026-05-01"), pd.Timestamp("2026-06-01"))
        assert _last_full_month(s)(date(2026, 11, 1)) == "2026-05"
        assert _last_full_month(s)(date(2026, 5, 20)) is None
    with Store(":memory:", cfg) as empty:
        assert empty.coverage() is None and _last_full_month(empty)() is None


# -- idempotency --------------------------------------------------------------------------

def test_same_file_twice_changes_nothing(tiny, tmp_path):
    before = tiny.totals()
    f = tmp_path / "in" / "tiny.parquet"
    res = tiny.ingest([str(f)])
    assert res.replaced_rows == 5 and res.rows == 5
    pd.testing.assert_frame_equal(tiny.totals(), before)
    assert len(tiny.deliveries()) == 2


def test_identical_files_in_one_delivery_load_once(tmp_path, cfg, capsys):
    a = frame_file(tmp_path / "a", "x", [{"BilledCost": "5"}])
    b = frame_file(tmp_path / "b", "x", [{"BilledCost": "5"}])
    with Store(":memory:", cfg) as s:
        res = s.ingest([str(a), str(b)], progress=True)
        assert "2/2 files" in capsys.readouterr().err
        assert res.rows == 1 and any("same content" in w for w in res.warnings)
        assert s.totals().billed_cost.tolist() == [5.0]


def test_corrected_reexport_replaces_its_partition_only(tmp_path, cfg):
    may = frame_file(tmp_path / "d1", "may", [{"BilledCost": "100"}, {"BilledCost": "1"}])
    jun = frame_file(tmp_path / "d1", "jun", [{"BilledCost": "50", "BillingPeriodStart": "2026-06-01",
                                               "ChargePeriodStart": "2026-06-02"}])
    other = frame_file(tmp_path / "d1", "other", [{"BilledCost": "9", "BillingAccountId": "acct-2"}])
    fixed = frame_file(tmp_path / "d2", "may", [{"BilledCost": "90"}])
    with Store(tmp_path / "s.duckdb", cfg) as s:
        s.ingest([str(may), str(jun), str(other)])
        assert s.totals().billed_cost.sum() == 160
        res = s.ingest([str(fixed)])
        assert res.replaced_rows == 2
        t = s.totals().set_index("billing_period_start").billed_cost
        assert t["2026-05-01T00:00:00Z"] == 99 and t["2026-06-01T00:00:00Z"] == 50
        live = s.live_files()
        assert len(live) == 3  # may.parquet of delivery 1 is replaced


def test_a_corrected_bill_from_many_sellers_replaces_every_sellers_rows(tmp_path, cfg):
    """A marketplace or SaaS bill lists many sellers (ServiceProviderName) that one issuer
    invoices: a corrected export that no longer holds one seller's charges replaces them
    too, since what a delivery replaces is keyed by the invoice issuer, not the seller."""
    azure = {"InvoiceIssuerName": "Microsoft", "ServiceProviderName": "Microsoft",
             "ProviderName": "Microsoft"}
    mistral = dict(azure, ServiceProviderName="Mistral AI", ProviderName="Mistral AI",
                   ResourceId="m1")
    first = frame_file(tmp_path / "run-1", "bill", [dict(azure, BilledCost="100"),
                                                   dict(mistral, BilledCost="50")])
    fixed = frame_file(tmp_path / "run-2", "bill", [dict(azure, BilledCost="100")])
    with Store(tmp_path / "s.duckdb", cfg) as s:
        s.ingest([str(first)])
        assert s.totals().billed_cost.tolist() == [150]
        res = s.ingest([str(fixed)])
        assert res.replaced_rows == 2 and s.totals().billed_cost.tolist() == [100]
        # the seller is still what the provider dimension shows
        assert s.con.execute("SELECT DISTINCT wb_provider, wb_issuer FROM charges").fetchall() \
            == [("Microsoft", "Microsoft")]


def test_part_of_a_split_period_loaded_alone_says_what_it_replaces(tmp_path, cfg):
    part1 = frame_file(tmp_path / "oct", "part-1", [{"BilledCost": "100"}])
    part2 = frame_file(tmp_path / "oct", "part-2", [{"BilledCost": "40", "ResourceId": "r2"},
                                                    {"BilledCost": "2", "ResourceId": "r3"}])
    # a corrected re-export under other names: the same charges, other amounts
    fixed = frame_file(tmp_path / "fixed", "all", [
        {"BilledCost": "99"}, {"BilledCost": "40", "ResourceId": "r2"},
        {"BilledCost": "2.5", "ResourceId": "r3"}])
    part1_fixed = frame_file(tmp_path / "fixed-1", "part-1", [{"BilledCost": "99"}])
    with Store(tmp_path / "s.duckdb", cfg) as s:
        assert s.ingest([str(part1), str(part2)]).warnings == []
        assert s.ingest([str(part1), str(part2)]).warnings == []  # both again: nothing to say
        res = s.ingest([str(part1)])  # one part alone replaces the whole period (the rule) ...
        assert res.warnings == [  # ... so the other part's loss is said, first
            f"{part2}: not in this delivery, which replaces Cloud / acct-1 / 2026-05: "
            "its 2 rows of that billing period are gone (load every file of a billing period "
            "in the same ingest, files of corrections too)"]
        assert s.totals().billed_cost.tolist() == [100.0]
        s.ingest([str(part1), str(part2)])
        assert s.ingest([str(fixed)]).warnings == []  # every charge again: nothing to say
        assert s.totals().billed_cost.tolist() == [141.5]
        s.ingest([str(part1), str(part2)])
        # one corrected part under another name: the other part's charges are not in it
        assert s.ingest([str(part1_fixed)]).warnings == [
            f"{part2}: not in this delivery, which replaces Cloud / acct-1 / 2026-05: "
            "its 2 rows of that billing period are gone: only 0 of its 2 charges are in it "
            "(load every file of a billing period in the same ingest, files of corrections too)"]
        assert s.totals().billed_cost.tolist() == [99.0]


def test_a_part_of_one_row_left_out_is_said_in_the_singular(tmp_path, cfg):
    part1 = frame_file(tmp_path / "oct", "part-1", [{"BilledCost": "100"}])
    part2 = frame_file(tmp_path / "oct", "part-2", [{"BilledCost": "40", "ResourceId": "r2"}])
    with Store(tmp_path / "s.duckdb", cfg) as s:
        s.ingest([str(part1), str(part2)])
        assert s.ingest([str(part1)]).warnings == [
            f"{part2}: not in this delivery, which replaces Cloud / acct-1 / 2026-05: "
            "its 1 row of that billing period is gone (load every file of a billing period "
            "in the same ingest, files of corrections too)"]


def test_a_file_is_the_same_file_however_its_path_is_written(tmp_path, cfg, monkeypatch):
    """A period split over two files, loaded as `oct` from its parent, then by the folder's
    absolute path with one part corrected: both parts are sent again, so nothing is said to
    be gone. Files are named relative to the working directory under it, and the store,
    which records them resolved, rebuilds from any other."""
    part1 = frame_file(tmp_path / "oct", "part-1", [{"BilledCost": "100"}])
    rows = [{"BilledCost": "40", "ResourceId": "r2"}, {"BilledCost": "2", "ResourceId": "r3"}]
    part2 = frame_file(tmp_path / "oct", "part-2", rows)
    monkeypatch.chdir(tmp_path)
    with Store(tmp_path / "s.duckdb", cfg) as s:
        assert s.ingest(["oct"]).warnings == []
        frame_file(tmp_path / "oct", "part-2", [rows[0], dict(rows[1], BilledCost="2.5")])
        assert s.ingest([str(tmp_path / "oct")]).warnings == []
        assert store_totals(s) == exact_totals([part1, part2])
        assert s.ingest([str(part1)]).warnings == [
            "oct/part-2.parquet: not in this delivery, which replaces Cloud / acct-1 / 2026-05: "
            "its 2 rows of that billing period are gone (load every file of a billing period "
            "in the same ingest, files of corrections too)"]
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert recorded_deliveries(tmp_path / "s.duckdb") == [{part1.resolve(): part1.stat().st_mtime_ns}]
    # a store of an earlier version, paths as written: a rebuild where they were loaded
    # records them resolved
    with Store(tmp_path / "s.duckdb", cfg) as s:
        s.con.execute("UPDATE files SET path = 'oct/part-1.parquet'")
    monkeypatch.chdir(tmp_path)
    rebuild(tmp_path / "s.duckdb", cfg)
    with Store(tmp_path / "s.duckdb", cfg) as s:
        assert s.files().path.tolist() == [str(part1.resolve())]


def test_nothing_to_load_says_where_files_go(cfg):
    with Store(":memory:", cfg) as s, pytest.raises(WorkbenchError) as exc:
        s.ingest([])
    assert str(exc.value) == ("no FOCUS files to load: pass PATH..., or list folders under "
                              "[data] focus in workbench.toml")


def test_failed_delivery_leaves_store_unchanged(tmp_path, cfg):
    good = frame_file(tmp_path / "in", "good", [{"BilledCost": "4"}])
    fixed = frame_file(tmp_path / "in2", "good2", [{"BilledCost": "7"}])
    bad = frame_file(tmp_path / "in2", "bad", [{"BilledCost": "1"}])
    with Store(tmp_path / "s.duckdb", cfg) as s:
        s.ingest([str(good)])
        before = (s.totals(), s.files())
        with pytest.raises(InputError) as exc:
            s.ingest([str(fixed), str(bad)])
        assert exc.value.line().endswith("bad.parquet:3: BilledCost: 'abc' is not a number")
        pd.testing.assert_frame_equal(s.totals(), before[0])
        pd.testing.assert_frame_equal(s.files(), before[1])
        assert s.con.execute("SELECT count(*) FROM charges").fetchone()[0] == 1


def test_store_file_roundtrip_read_only_and_version_check(tmp_path, cfg):
    f = frame_file(tmp_path / "in", "x", [{"BilledCost": "2.5"}])
    p = tmp_path / "s.duckdb"
    with Store(p, cfg) as s:
        s.ingest([str(f)])
    with Store(p, cfg, read_only=True) as r:
        assert r.totals().billed_cost.tolist() == [2.5]
        with pytest.raises(WorkbenchError, match="read-only"):
            r.ingest([str(f)])
    with pytest.raises(WorkbenchError, match="store not found"):
        Store(tmp_path / "missing.duckdb", cfg, read_only=True)


def test_open_store_builds_once_then_mirrors_changes(tmp_path, cfg, monkeypatch):
    data = tmp_path / "data"
    frame_file(data, "a", [{"BilledCost": "1"}])
    p = tmp_path / "s.duckdb"
    with open_store([str(data)], p, cfg) as s:
        assert s.read_only and s.totals().billed_cost.sum() == 1
    built = p.stat().st_mtime_ns
    with open_store([str(data)], p, cfg) as s:  # unchanged: no rebuild
        assert len(s.deliveries()) == 1
    assert p.stat().st_mtime_ns == built
    frame_file(data, "a", [{"BilledCost": "3"}])  # corrected in place
    frame_file(data, "b", [{"BilledCost": "4", "BillingAccountId": "acct-9"}])
    with open_store([str(data)], p, cfg) as s:
        assert s.totals().billed_cost.sum() == 7
    with open_store([str(data)], p, cfg, read_only=False) as s:  # current: opened for writing
        assert not s.read_only and len(s.deliveries()) == 1
    assert not list(tmp_path.glob(".s.duckdb.*"))


def test_a_store_behind_a_symlink_is_rebuilt_in_place(tmp_path, cfg):
    """A store named through a symlink (on a bigger disk, say): a rebuild replaces the store
    the link leads to, under its lock, and the link stays a link."""
    data = tmp_path / "data"
    frame_file(data, "a", [{"BilledCost": "1"}])
    real = tmp_path / "disk" / "s.duckdb"
    with open_store([str(data)], real, cfg):
        pass
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    frame_file(data, "a", [{"BilledCost": "3"}])  # corrected: the store is built again
    with open_store([str(data)], link, cfg) as s:
        assert s.totals().billed_cost.tolist() == [3.0]
    assert link.is_symlink() and link.resolve() == real.resolve()
    with open_store([str(data)], real, cfg) as s:
        assert s.totals().billed_cost.tolist() == [3.0]
    assert rebuild(link, cfg) == (1, 1) and link.is_symlink()
    assert (real.parent / "s.duckdb.old").is_file()
    loop = tmp_path / "loop.duckdb"
    loop.symlink_to(loop)  # no file to follow it to: the store is built in the link's place
    with open_store([str(data)], loop, cfg) as s:
        assert s.totals().billed_cost.tolist() == [3.0]


def test_open_store_default_paths_from_config(tmp_path):
    cfg = parse_config('[data]\nfocus = ["exports"]\nstore = "db/x.duckdb"\n', root=tmp_path)
    frame_file(tmp_path / "exports", "a", [{"BilledCost": "2"}])
    with open_store(config=cfg) as s:
        assert Path(s.path) == tmp_path / "db" / "x.duckdb"
        assert s.totals().billed_cost.tolist() == [2.0]


def test_run_ingest_json(tmp_path, capsys, monkeypatch):
    f = frame_file(tmp_path / "in", "x", [{"BilledCost": "1.25"},
                                          {"BilledCost": "2", "BillingCurrency": "EUR"}])
    monkeypatch.chdir(tmp_path)
    args = type("A", (), {"paths": [str(f)], "store": str(tmp_path / "s.duckdb"), "json": True,
                          "config": None})()
    assert store_mod.run_ingest(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"periods": [
        {"billing_period_start": "2026-05-01T00:00:00Z", "currency": "EUR", "rows": 1,
         "billed_cost": 2.0, "effective_cost": 1.0},
        {"billing_period_start": "2026-05-01T00:00:00Z", "currency": "USD", "rows": 1,
         "billed_cost": 1.25, "effective_cost": 1.0}]}


# -- with the real FOCUS reader -----------------------------------------------------------

HEADER = ("BillingAccountId,ServiceProviderName,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,"
          "ChargePeriodEnd,BillingCurrency,BilledCost,EffectiveCost,ListCost,ContractedCost,"
          "ChargeCategory,ServiceName,ResourceId,Tags")


def csv_file(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n", encoding="utf-8")
    return path


def test_real_reader_csv_roundtrip(tmp_path, cfg, monkeypatch):
    _real_reader(monkeypatch)
    p = "a1,Cloud,2026-05-01T00:00:00Z,2026-06-01T00:00:00Z"
    f = csv_file(tmp_path / "in" / "may.csv", [
        f'{p},2026-05-02T00:00:00Z,2026-05-03T00:00:00Z,USD,0.10,0.10,0.2,0.2,Usage,GPU,r1,'
        '"{""Team"": ""ml"", ""ENV"": ""prod""}"',
        f'{p},2026-05-02T00:00:00Z,2026-05-03T00:00:00Z,USD,0.20,0.20,0.2,0.2,Usage,GPU,r1,',
        f'{p},2026-05-31T00:00:00Z,2026-06-01T00:00:00Z,EUR,-0.05,-0.05,0,0,Credit,GPU,,',
    ])
    zone = "Asia/Kolkata"  # naive timestamps are UTC whatever the session's zone
    with Store(tmp_path / "s.duckdb", cfg) as s:
        s.con.execute(f"SET TimeZone = '{zone}'")
        res = s.ingest([str(tmp_path / "in")])
        assert [f["reader"] for f in res.files] == ["fast"]  # a clean file: no row numbering
        m = s.monthly(["team", "environment"])
        got = {(r.team, r.environment, r.currency): r.billed_cost for r in m.itertuples()}
        assert got == {("ml", "prod", "USD"): 0.10, ("Unallocated", "Unallocated", "USD"): 0.20,
                       ("Unallocated", "Unallocated", "EUR"): -0.05}
        exact = store_totals(s)
        assert exact["USD"][0] == Decimal("0.30") and exact["EUR"][1] == Decimal("-0.05")
        rows = s.con.execute("SELECT wb_source_row, BilledCost FROM charges ORDER BY 2").fetchall()
        assert rows == [(None, Decimal("-0.05")), (None, Decimal("0.10")), (None, Decimal("0.20"))]
        # ingest must leave the session settings as they were
        assert s.con.execute("SELECT current_setting('preserve_insertion_order'), "
                             "current_setting('TimeZone')").fetchone() == (True, zone)
        bad = csv_file(tmp_path / "in2" / "bad.csv", [
            f"{p},2026-05-02T00:00:00Z,2026-05-03T00:00:00Z,USD,1.0,1.0,1,1,Usage,GPU,r1,",
            f"{p},2026-05-02T00:00:00Z,2026-05-03T00:00:00Z,USD,abc,1.0,1,1,Usage,GPU,r1,"])
        with pytest.raises(InputError) as exc:
            s.ingest([str(f), str(bad)])
        assert exc.value.line().startswith(f"{bad}:2: BilledCost: ")
        assert store_totals(s) == exact and len(s.deliveries()) == 1
        # a warning keeps the fast path, located by a numbered read of the column it checks
        warned = csv_file(tmp_path / "in3" / "warn.csv", [
            f"{p},2026-05-02T00:00:00Z,2026-05-03T00:00:00Z,USD,1.0,1.0,1,1,Usage,GPU,r1,",
            f"{p},2026-05-02T00:00:00Z,2026-05-03T00:00:00Z,USD,1.0,1.0,1,1,Refund,GPU,r1,"])
        res = s.ingest([str(warned)])
        assert [f["reader"] for f in res.files] == ["fast"]
        assert (f"{warned}:2: ChargeCategory: unknown value 'Refund'; expected one of Usage, "
                "Purchase, Tax, Credit, Adjustment") in res.warnings
        # the precise reader numbers every row
        s.fast_path = False
        res = s.ingest([str(warned)])
        assert s.con.execute("SELECT wb_source_row FROM charges WHERE wb_delivery_id = "
                             f"{res.delivery_id} ORDER BY 1").fetchall() == [(1,), (2,)]
        assert s.con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0


def test_other_focus_datasets_beside_a_cost_export_are_not_loaded(corpus, tmp_path, cfg,
                                                                     monkeypatch):
    """FOCUS 1.4 providers may write Invoice Detail and Contract Commitment files into the
    export folder: the folder loads its cost files, and the Invoice Detail's BilledCost is
    never counted as a charge."""
    _real_reader(monkeypatch)
    from corpus.build import HEADER as CORPUS_HEADER
    from corpus.build import csv_bytes, row
    folder = tmp_path / "export"
    folder.mkdir()
    for name in ("good", "invoice_detail", "contract_commitment"):
        (folder / corpus[name].name).write_bytes(corpus[name].read_bytes())
    # a cost export that also carries columns of those datasets is still cost and usage (1.4,
    # with the provider columns 1.4 makes mandatory)
    providers = {"ServiceProviderName": "Example Cloud", "HostProviderName": "Example Cloud"}
    (folder / "with_invoice_detail_id.csv").write_bytes(csv_bytes(
        [row(BilledCost="2.00", ResourceId="x", **providers)],
        [*CORPUS_HEADER, "InvoiceDetailId", *providers]))
    for fast in (True, False):
        res, _, _ = _load([folder], cfg, fast)
        assert res.warnings == [
            f"{folder / name}: a FOCUS {kind} dataset, not cost and usage: it holds no charges "
            "and is not loaded" for name, kind in (("contract_commitment.csv", "Contract Commitment"),
                                                   ("invoice_detail.csv", "Invoice Detail"))]
    with Store(tmp_path / "s.duckdb", cfg) as s:
        s.ingest([str(folder)])
        # good.csv: USD 10.25 - 2.50, EUR 0.0000000001; the Invoice Detail's 1500 is not in it
        assert {c: b for c, (b, _) in store_totals(s).items()} == {
            "USD": Decimal("9.75"), "EUR": Decimal("0.0000000001")}


def test_a_file_of_another_dataset_is_warned_of_after_the_cost_files(corpus, tmp_path, cfg,
                                                                      monkeypatch):
    """A Contract Commitment file holds no charges: its note comes after the cost files' own
    warnings, whatever its name, so the report never calls it the warning that matters most
    to the figures."""
    _real_reader(monkeypatch)
    from corpus.build import csv_bytes, row
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "a_commitments.csv").write_bytes(corpus["contract_commitment"].read_bytes())
    (folder / "b_cost.csv").write_bytes(csv_bytes([row(Tags='{"team": "ml"')]))
    for fast in (True, False):
        res, _, _ = _load([folder], cfg, fast)
        assert res.warnings == [
            f"{folder / 'b_cost.csv'}:1: Tags: not a JSON object of unique keys; row kept "
            """without tags: '{"team": "ml"'""",
            f"{folder / 'a_commitments.csv'}: a FOCUS Contract Commitment dataset, not cost "
            "and usage: it holds no charges and is not loaded"]


def test_an_account_id_that_lost_its_leading_zeros_is_named(tmp_path, cfg):
    """A spreadsheet turns 012345678901 into 12345678901: the edited file and the original
    are two partitions, both counted; a warning says so."""
    edited = frame_file(tmp_path / "v1", "edited", [{"BillingAccountId": "12345678901"}])
    original = frame_file(tmp_path / "v2", "original", [{"BillingAccountId": "012345678901"}])
    with Store(":memory:", cfg) as s:
        assert s.ingest([str(edited)]).warnings == []
        assert s.ingest([str(original)]).warnings == [
            f"{original}: BillingAccountId: billing accounts '012345678901' and '12345678901' of "
            "Cloud / 2026-05 differ only in leading zeros, and both are counted: if a spreadsheet "
            "dropped the zeros, delete the store and ingest the original files without the "
            "edited one"]
        assert s.ingest([str(original)]).warnings[0].startswith(f"{original}: BillingAccountId")


def test_an_account_kept_under_another_issuer_is_named(tmp_path, cfg):
    """A delivery replaces by invoice issuer: an export without InvoiceIssuerName (its issuer
    is its provider) and a later one with it are two partitions, both counted; a warning
    names the rows kept, and a delivery that bills the account by both issuers says nothing."""
    old = frame_file(tmp_path / "v1", "old", [{"BilledCost": "10"}, {"BilledCost": "2.5",
                                                                     "BillingCurrency": "EUR"}])
    new = frame_file(tmp_path / "v2", "new", [{"InvoiceIssuerName": "Cloud Inc.", "BilledCost": "11"}])
    both = frame_file(tmp_path / "v3", "both", [{"InvoiceIssuerName": "Cloud Inc."},
                                                {"InvoiceIssuerName": "Cloud"}])
    with Store(":memory:", cfg) as s:
        assert s.ingest([str(old)]).warnings == []
        assert s.ingest([str(new)]).warnings == [
            f"{new}: InvoiceIssuerName: billing account acct-1, 2026-05, is billed here by "
            "Cloud Inc.; the store also keeps 2 rows of it from an earlier delivery billed by "
            "Cloud (€2.50, $10.00), and both are counted: their charges differ, as two bills' "
            "do; if the issuer's name changed between exports, delete the store and ingest "
            "without the earlier files"]
        assert store_totals(s)["USD"][0] == Decimal("21")  # the rule: both partitions kept
        assert not [w for w in s.ingest([str(both)]).warnings if "InvoiceIssuerName" in w]
        assert store_totals(s) == {"USD": (Decimal("2"), Decimal("2"))}
    # the two exports in one delivery: named too; beside a file that bills by both, not
    with Store(":memory:", cfg) as s:
        assert s.ingest([str(old), str(new)]).warnings == [
            f"{old}: InvoiceIssuerName: billing account acct-1, 2026-05, is billed by "
            f"Cloud here and by Cloud Inc. in {new}, and both are counted: their charges "
            "differ, as two bills' do; if they are two exports of one bill, load only the newer"]
    with Store(":memory:", cfg) as s:
        assert not [w for w in s.ingest([str(both), str(new)]).warnings
                    if "InvoiceIssuerName" in w]


def _bill(folder: Path, name: str, issuer: str | None, cost: str, n: int = 25,
          seller: bool = False, **more: str) -> Path:
    """n charges of acct-1's May (one a resource), billed by `issuer` (None: no
    InvoiceIssuerName column), each `cost`, with `more` columns; `seller` adds a marketplace
    seller's charge."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": cost, "EffectiveCost": cost, **more}
            for i in range(n)]
    if seller:
        rows.append({"ServiceProviderName": "Seller", "ServiceName": "Model API",
                     "BilledCost": "7", "EffectiveCost": "7"})
    if issuer is not None:
        rows = [{**r, "InvoiceIssuerName": r.get("ServiceProviderName", issuer)} for r in rows]
    return frame_file(folder, name, rows)


def test_one_bill_under_a_renamed_issuer_replaces_the_earlier_delivery(tmp_path, cfg):
    """An export without InvoiceIssuerName (issued by its provider), then the same month's
    charges with InvoiceIssuerName and restated amounts: one bill, counted once. The
    seller's charges of a marketplace bill are another bill: kept, and said."""
    old = _bill(tmp_path / "v1", "old", None, "2", seller=True)
    new = _bill(tmp_path / "v2", "new", "Cloud Inc.", "3")
    target = tmp_path / "s.duckdb"
    with Store(target, cfg) as s:
        s.ingest([str(old)])
        res = s.ingest([str(new)])
        assert res.warnings == [  # what counts beside it first: it may count twice
            f"{new}: InvoiceIssuerName: billing account acct-1, 2026-05, is billed here by "
            "Cloud Inc.; the store also keeps 1 row of it from an earlier delivery billed by "
            "Seller ($7.00), and both are counted: their charges differ, as two bills' do; if "
            "the issuer's name changed between exports, delete the store and ingest without "
            "the earlier files",
            f"{new}: InvoiceIssuerName: billing account acct-1, 2026-05, is billed here by "
            "Cloud Inc., and holds 25 of the 25 charges an earlier delivery billed by Cloud "
            "($50.00): one bill under two issuer names; those rows are replaced"]
        assert res.replaced_rows == 25
        assert store_totals(s)["USD"][0] == Decimal("82")  # 25 x 3 + the seller's 7
        assert s.ingest([str(new)]).warnings == res.warnings[:1]  # nothing left to replace
        assert store_totals(s)["USD"][0] == Decimal("82")
    # The old file still holds the seller's rows: a rebuild needs it, and gives the same store.
    assert [[p.name for p in d] for d in recorded_deliveries(target)] == [["old.parquet"], ["new.parquet"]]
    old.unlink()
    with pytest.raises(WorkbenchError, match="old.parquet: missing"):
        recorded_deliveries(target)


def test_a_file_whose_every_row_was_renamed_away_is_not_needed_again(tmp_path, cfg):
    old = _bill(tmp_path / "v1", "old", None, "2")
    new = _bill(tmp_path / "v2", "new", "Cloud Inc.", "2", n=3)  # amounts and all: 3 is enough
    target = tmp_path / "s.duckdb"
    with Store(target, cfg) as s:
        s.ingest([str(_bill(tmp_path / "v1", "old", None, "2", n=3))])
        assert "those rows are replaced" in s.ingest([str(new)]).warnings[0]
        assert store_totals(s)["USD"][0] == Decimal("6")
        # a later delivery that bills the old name again is not told its 0 rows are gone
        again = _bill(tmp_path / "v3", "again", "Cloud", "2", n=3)
        warned = s.ingest([str(again)]).warnings
        assert not [w for w in warned if "not in this delivery" in w]
        assert store_totals(s)["USD"][0] == Decimal("6")
    old.unlink()
    assert [[p.name for p in d] for d in recorded_deliveries(target)] == [["again.parquet"]]


def test_one_bill_under_an_issuer_named_by_a_later_focus_version_counts_once(tmp_path, cfg):
    """The export without InvoiceIssuerName is of an older FOCUS version: the later one fills
    columns it lacks (ServiceSubcategory, SkuMeter), which a charge is then not known by."""
    old = _bill(tmp_path / "v1", "old", None, "2", seller=True)
    new = _bill(tmp_path / "v2", "new", "Cloud Inc.", "3", ServiceSubcategory="Virtual Machines",
                SkuMeter="Compute", ChargeClass="")
    os.utime(old, ns=(10**18, 10**18))
    with Store(":memory:", cfg) as s:
        s.ingest([str(old)])
        assert "those rows are replaced" in s.ingest([str(new)]).warnings[-1]  # the seller's first
        assert store_totals(s)["USD"][0] == Decimal("82")
    with Store(":memory:", cfg) as s:
        assert "its 25 rows here are not loaded" in s.ingest([str(old), str(new)]).warnings[0]
        assert store_totals(s)["USD"][0] == Decimal("82")
    # Another bill, in columns both fill: counted beside it
    other = _bill(tmp_path / "v3", "other", "Cloud Inc.", "3", SkuMeter="Compute",
                  ServiceName="Other VMs")
    with Store(":memory:", cfg) as s:
        s.ingest([str(old)])
        assert "both are counted" in s.ingest([str(other)]).warnings[0]
        assert store_totals(s)["USD"][0] == Decimal("132")


def test_one_bill_under_two_issuer_names_in_one_delivery_counts_the_newer(tmp_path, cfg):
    old = _bill(tmp_path / "a", "old", None, "2", seller=True)
    new = _bill(tmp_path / "b", "new", "Cloud Inc.", "3")
    os.utime(old, ns=(10**18, 10**18))
    os.utime(new, ns=(2 * 10**18, 2 * 10**18))
    with Store(":memory:", cfg) as s:
        res = s.ingest([str(old), str(new)])
        assert res.warnings == [
            f"{old}: InvoiceIssuerName: billing account acct-1, 2026-05, billed by Cloud here, "
            f"is billed by Cloud Inc. in {new}, which is newer and holds 25 of its 25 charges: "
            "one bill under two issuer names; its 25 rows here are not loaded (they would "
            "count twice)"]
        assert store_totals(s)["USD"][0] == Decimal("82")
        assert res.rows == 26 and [e["rows"] for e in res.files] == [1, 25]
        # The folder loaded again with the same two files (`workbench ingest` of [data].focus)
        again = s.ingest([str(old), str(new)])
        assert store_totals(s)["USD"][0] == Decimal("82") and again.warnings == res.warnings
    with Store(":memory:", cfg) as s:  # the old export alone first, then the folder
        s.ingest([str(old)])
        res = s.ingest([str(old), str(new)])
        assert store_totals(s)["USD"][0] == Decimal("82")
        assert [w.split(": ")[1] for w in res.warnings] == ["InvoiceIssuerName"] * 2
    os.utime(old, ns=(3 * 10**18, 3 * 10**18))  # now the export without the issuer is newer
    with Store(":memory:", cfg) as s:
        assert "its 25 rows here are not loaded" in s.ingest([str(old), str(new)]).warnings[0]
        assert store_totals(s)["USD"][0] == Decimal("57")


def test_cli_ingest_json_end_to_end(tmp_path):
    p = "a1,Cloud,2026-05-01T00:00:00Z,2026-06-01T00:00:00Z,2026-05-02T00:00:00Z,2026-05-03T00:00:00Z"
    f = csv_file(tmp_path / "x.csv", [f"{p},USD,1.005,1,1,1,Usage,GPU,r1,"])
    cmd = [sys.executable, "-m", "workbench.cli", "ingest", str(f), "--store", str(tmp_path / "s.duckdb"),
           "--json"]
    out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"periods": [{
        "billing_period_start": "2026-05-01T00:00:00Z", "currency": "USD", "rows": 1,
        "billed_cost": 1.005, "effective_cost": 1.0}]}
    bad = subprocess.run([*cmd[:4], str(tmp_path / "nope.csv"), *cmd[5:]], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr


def test_store_of_another_version_rebuilt_from_its_files(tmp_path, cfg):
    may = frame_file(tmp_path / "d1", "may", [{"BilledCost": "100"}])
    jun = frame_file(tmp_path / "d1", "jun", [{"BilledCost": "50", "BillingPeriodStart": "2026-06-01",
                                               "ChargePeriodStart": "2026-06-02"}])
    fixed = frame_file(tmp_path / "d2", "may", [{"BilledCost": "90.25"}])
    store = tmp_path / "s.duckdb"
    with Store(store, cfg) as s:
        s.ingest([str(may), str(jun)])
        s.ingest([str(fixed)])
        before = s.totals()
        s.con.execute("UPDATE wb_meta SET value = 'older' WHERE key = 'schema'")
        # stores before the invoice issuer keyed partitions by provider
        s.con.execute("ALTER TABLE file_partitions RENAME COLUMN wb_issuer TO wb_provider")
    may.unlink()  # wholly replaced by the fixed export: the rebuild does not need it
    cli = [sys.executable, "-m", "workbench.cli", "ingest", "--store", str(store)]

    def run(*args):
        return subprocess.run([*cli, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)

    jun.write_bytes(jun.read_bytes() + b"\n")  # changed since it was loaded: refused, store kept
    for args in ((str(jun),), ("--rebuild",)):  # an ingest rebuilds an older store first
        changed = run(*args)
        assert changed.returncode == 1 and changed.stderr.strip() == (
            f"error: {jun.relative_to(tmp_path)}: changed since it was loaded in delivery 1; "
            "cannot rebuild the same store (delete it and ingest again)")
        assert not (tmp_path / "s.duckdb.old").exists()
    frame_file(tmp_path / "d1", "jun", [{"BilledCost": "50", "BillingPeriodStart": "2026-06-01",
                                        "ChargePeriodStart": "2026-06-02"}])
    done = run(str(jun))
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"{store}: made by another version of the workbench; rebuilt "
                                  f"from its 2 files first (the old store is {store}.old)")
    with Store(store, cfg, read_only=True) as s:
        pd.testing.assert_frame_equal(s.totals(), before)  # jun again: the same figures
    assert (tmp_path / "s.duckdb.old").is_file()
    again = run("--rebuild")
    assert again.returncode == 0 and f"rebuilt {store} from 2 files in 2 deliveries" in again.stderr
    # nothing of the new store's making is left behind (its lock file was, one per rebuild),
    # nor the store's own lock file
    assert sorted(p.name for p in tmp_path.glob("*s.duckdb*")) == ["s.duckdb", "s.duckdb.old"]


def test_a_rebuild_keeps_the_copy_it_kept_though_the_files_have_new_times(tmp_path, cfg):
    """Two runs of one month in one folder: the newer (by file time) is kept. A restored
    backup or a copy gives both new times; a rebuild decides by the times they were loaded
    with, and gives the same store."""
    from workbench.store_rebuild import rebuild
    folder = tmp_path / "exports"
    old = frame_file(folder, "run1", [{"ResourceId": f"r{i}", "BilledCost": "2"} for i in range(25)]
                     + [{"BillingPeriodStart": "2026-04-01", "ChargePeriodStart": "2026-04-03"}])
    new = frame_file(folder, "run2", [{"ResourceId": f"r{i}", "BilledCost": "2.10"} for i in range(25)])
    os.utime(old, ns=(10**18, 10**18))
    os.utime(new, ns=(2 * 10**18, 2 * 10**18))
    store = tmp_path / "s.duckdb"
    with Store(store, cfg) as s:
        assert "an older copy" in s.ingest([str(folder)]).warnings[0]
        before = s.totals()
    assert store_totals_of(store, cfg)["USD"][0] == Decimal("53.50")  # 25 x 2.10 + April's 1
    os.utime(old, ns=(3 * 10**18, 3 * 10**18))  # run1 now looks newer
    rebuild(store, cfg)
    with Store(store, cfg, read_only=True) as s:
        pd.testing.assert_frame_equal(s.totals(), before)


def test_a_rebuild_loads_what_each_delivery_loaded_whatever_a_later_manifest_says(tmp_path, cfg):
    """A run's two parts, loaded together; the next run writes one part (its manifest lists
    only that one, the other stays in the folder) and is not ingested yet. A rebuild then
    holds what the store held: the parts the delivery loaded, not what the folder's manifest
    says now (an ingest of the folder would say that, and name the part it sets aside)."""
    folder = tmp_path / "run"
    part1 = frame_file(folder, "part-1", [{"ResourceId": "r1", "BilledCost": "100"}])
    part2 = frame_file(folder, "part-2", [{"ResourceId": "r1", "BilledCost": "40"}])  # tiered
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({"blobs": [{"blobName": "part-1.parquet"},
                                              {"blobName": "part-2.parquet"}]}))
    for n, f in enumerate((part1, part2, manifest)):
        os.utime(f, ns=((n + 1) * 10**18,) * 2)
    store = tmp_path / "s.duckdb"
    with Store(store, cfg) as s:
        s.ingest([str(folder)])
        warnings = s.load_warnings()
    before = store_totals_of(store, cfg)
    assert before["USD"][0] == Decimal("140")
    manifest.write_text(json.dumps({"blobs": [{"blobName": "part-1.parquet"}]}))
    os.utime(manifest, ns=(4 * 10**18,) * 2)
    rebuild(store, cfg)
    assert store_totals_of(store, cfg) == before
    with Store(store, cfg, read_only=True) as s:
        assert s.load_warnings() == warnings
    with Store(store, cfg) as s:  # ingested again, the folder is the last run's
        said = s.ingest([str(folder)]).warnings
        assert any("a part an earlier run left behind" in w for w in said)
    assert store_totals_of(store, cfg)["USD"][0] == Decimal("100")


def test_a_store_interrupted_while_made_is_not_left_half_made(tmp_path, cfg, monkeypatch):
    """Ctrl-C while the tables are created: a new store is not there after, and a file that
    was there keeps no half schema that every later ingest would refuse."""
    import duckdb

    def interrupted():
        raise KeyboardInterrupt
    path = tmp_path / "s.duckdb"
    for there in (False, True):
        if there:
            duckdb.connect(str(path)).close()  # an empty database file
        with monkeypatch.context() as m, pytest.raises(KeyboardInterrupt):
            m.setattr(store_mod, "_schema_fingerprint", interrupted)
            Store(path, cfg)
        assert path.exists() == there
    with duckdb.connect(str(path)) as con:
        assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0] == 0
    with Store(path, cfg) as s:
        s.ingest([str(frame_file(tmp_path / "a", "may", [{"BilledCost": "5"}]))])
        assert store_totals(s)["USD"][0] == Decimal("5")


def store_totals_of(path: Path, cfg) -> dict:
    with Store(path, cfg, read_only=True) as s:
        return store_totals(s)


def test_an_ingest_that_waited_while_its_store_was_replaced_writes_to_the_new_one(tmp_path, cfg):
    """A rebuild (or a report's) renames a new file into the store's place while an ingest
    that had opened the old one waits for the lock: the ingest's rows must land in the store
    that is there, not in the file renamed away."""
    store, other = tmp_path / "s.duckdb", tmp_path / "rebuilt.duckdb"
    with Store(other, cfg) as s:
        s.ingest([str(frame_file(tmp_path / "a", "may", [{"BilledCost": "5"}]))])
    june = frame_file(tmp_path / "b", "june", [{"BilledCost": "7", "BillingPeriodStart": "2026-06-01",
                                                "ChargePeriodStart": "2026-06-02"}])
    with Store(store, cfg) as waiting:
        os.replace(other, store)  # as the rebuild does, between the open and the lock
        waiting.ingest([str(june)])
    assert store_totals_of(store, cfg)["USD"][0] == Decimal("12")


def test_open_store_concurrent_processes_build_once(tmp_path):
    p = "a1,Cloud,2026-05-01T00:00:00Z,2026-06-01T00:00:00Z,2026-05-02T00:00:00Z,2026-05-03T00:00:00Z"
    csv_file(tmp_path / "data" / "x.csv", [f"{p},USD,2.50,2.50,3,3,Usage,GPU,r{i}," for i in range(50)])
    code = ("import sys; from workbench.store import open_store; from workbench.config import Config;"
            "s = open_store([sys.argv[1]], sys.argv[2], Config(root=sys.argv[3]));"
            "print(len(s.deliveries()), s.totals().billed_cost.sum())")
    args = [str(tmp_path / "data"), str(tmp_path / "s.duckdb"), str(tmp_path)]
    procs = [subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [pr.communicate(timeout=120) for pr in procs]
    assert all(pr.returncode == 0 for pr in procs), [o[1][-300:] for o in outs]
    assert [o[0].split() for o in outs] == [["1", "125.0"]] * 3


def test_not_a_store_is_one_clear_error(tmp_path, cfg):
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    with pytest.raises(WorkbenchError, match="junk.duckdb: not a DuckDB database; the store is "):
        Store(junk, cfg)
    assert junk.read_text() == "not a database"
    import duckdb
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t (i INT)").close()
    with pytest.raises(WorkbenchError, match="not a workbench store"):
        Store(other, cfg)


def test_open_store_skips_hashing_old_unchanged_files(tmp_path, cfg, monkeypatch):
    data = tmp_path / "data"
    f = frame_file(data, "a", [{"BilledCost": "1"}])
    old = f.stat().st_mtime_ns - 3_600 * 10**9
    os.utime(f, ns=(old, old))
    # an export written well before the load (its ctime, which no call sets back, is now)
    monkeypatch.setattr(reads, "RACY_NS", 0)
    p = tmp_path / "s.duckdb"
    open_store([str(data)], p, cfg).close()
    hashed = []
    real = store_mod.sha256_file
    monkeypatch.setattr(store_mod, "sha256_file", lambda path: hashed.append(path) or real(path))
    open_store([str(data)], p, cfg).close()
    assert hashed == []
    # touched: hashed again, and loaded again, as its time decides which copy counts
    os.utime(f, ns=(old + 10**9, old + 10**9))
    loads = []
    with open_store([str(data)], p, cfg, on_load=lambda: loads.append(1)) as s:
        assert f in hashed and loads == [1] and len(s.deliveries()) == 1
        assert s.files().mtime_ns.tolist() == [old + 10**9]
    hashed.clear()
    open_store([str(data)], p, cfg, on_load=lambda: loads.append(2)).close()
    assert hashed == [] and loads == [1]


# -- the fast path (clean files) and the precise path give the same store ------------------

def test_files_of_one_size_are_hashed_before_the_load_only_when_their_ends_match(
        tmp_path, cfg, monkeypatch):
    """Identical files are told before the load (the newest is loaded), and only files of
    one size can be: of those, only files whose first and last bytes match are hashed
    before it, the rest while DuckDB reads them (parts of an export of one size). A file
    that differs from another only in the middle is still told apart. Files a record
    vouches for are not read at all."""
    _real_reader(monkeypatch)
    monkeypatch.setattr(reads, "RACY_NS", 0)  # every record trusted at once
    p = "a1,Cloud,2026-05-01T00:00:00Z,2026-06-01T00:00:00Z"

    def part(name: str, charge) -> Path:  # 6,000 rows of one size: the ends are 1/5 of it
        return csv_file(tmp_path / "in" / name, [
            f"{p},2026-05-02T00:00:00Z,2026-05-03T00:00:00Z,USD,0.10,0.10,0.2,0.2,Usage,GPU,"
            f"{charge(i)}{i:05d}," for i in range(6000)])
    first, copy = part("a.csv", lambda i: "r"), part("b.csv", lambda i: "r")
    middle = part("c.csv", lambda i: "m" if 1000 <= i < 5000 else "r")
    other = part("d.csv", lambda i: "d")
    files = [first, copy, middle, other]
    assert len({f.stat().st_size for f in files}) == 1
    stats = {str(f): reads.stat_of(f) for f in files}
    _, hashed = store_mod._identical_newest_first(files, {}, stats, {})
    assert sorted(hashed) == [str(first), str(copy), str(middle)]
    with Store(":memory:", cfg) as s:
        res = s.ingest([str(tmp_path / "in")])
        assert s.con.execute("SELECT count(*), count(DISTINCT wb_source_file) "
                             "FROM charges").fetchone() == (18000, 3)
        assert f"{first}: same content as {copy}; loaded once" in res.warnings
        read: list[Path] = []
        monkeypatch.setattr(store_mod, "_ends_digest", lambda f, size: read.append(f))
        monkeypatch.setattr(store_mod, "sha256_file", lambda f: read.append(f))
        again = s.ingest([str(tmp_path / "in")])
        assert read == [] and again.rows == 18000 and again.warnings == res.warnings


def _real_reader(monkeypatch):
    monkeypatch.setattr(store_mod, "scan_file", REAL_SCAN)
    monkeypatch.setattr(store_mod, "discover", REAL_DISCOVER)
    monkeypatch.setattr(Store, "fast_path", True)


def _load(paths, cfg, fast: bool):
    s = Store(":memory:", cfg)
    s.fast_path = fast
    try:
        res = s.ingest([str(p) for p in paths])
    except InputError as exc:
        s.close()
        return exc.line(), None, None
    rows = s.con.execute("SELECT * EXCLUDE (wb_source_row) FROM charges ORDER BY ALL").fetchall()
    tags = s.con.execute("SELECT * FROM tag_sets ORDER BY wb_tag_set").fetchall()
    s.close()
    return res, rows, tags


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_fast_and_precise_paths_load_the_same_rows(corpus, cfg, monkeypatch):
    _real_reader(monkeypatch)
    readers = {}
    from corpus.build import csv_bytes, row
    times = _write_bytes(cfg.root / "times.csv", csv_bytes([
        row(ChargePeriodStart=a, ChargePeriodEnd=b, BilledCost=c) for a, b, c in [
            ("2026-05-01T02:00:00+02:00", "2026-05-01", "1e2"),
            ("2026-05-01 02:00:00 Europe/Paris", "2026-05-01T05:00:00 UTC", " 5"),
            ("2026-04-30T19:00:00-0500", "2026-05-01 01:30", "-0.00000000015"),
            ("2026-05-01T00:00:00.123456Z", "2026-05-01T24:00:00Z", "+7.5")]]))
    # an offset after a space (Snowflake's output), a lower-case t or z (RFC 3339): not read
    # by the typed CSV reader
    spaced = _write_bytes(cfg.root / "spaced.csv", csv_bytes([row(
        ChargePeriodStart="2026-05-01 02:00:00.000 +0200",
        ChargePeriodEnd="2026-05-01 01:00:00 +00:00"), row(
        ChargePeriodStart="2026-05-01t00:00:00z", ChargePeriodEnd="2026-05-01t02:00:00")]))
    gz = _write_bytes(cfg.root / "good.csv.gz", gzip.compress(corpus["good"].read_bytes()))
    for name, path in [*corpus.items(), ("times", times), ("gzip", gz), ("spaced", spaced)]:
        fast, rows_f, tags_f = _load([path], cfg, True)
        precise, rows_p, tags_p = _load([path], cfg, False)
        if isinstance(fast, str):  # not loadable: the same one-line error either way
            assert fast == precise, name
            continue
        assert rows_f == rows_p and tags_f == tags_p, name
        assert fast.warnings == precise.warnings, name
        assert (fast.rows, fast.partitions) == (precise.rows, precise.partitions), name
        for a, b in zip(fast.files, precise.files, strict=True):
            assert {**a, "reader": ""} == {**b, "reader": ""}, name
        readers[name] = fast.files[0]["reader"]
    # clean files take the fast path; files with anything to say go the precise way
    assert readers["good"] == readers["bom_crlf"] == readers["parquet_double"] == "fast"
    assert readers["parquet_decimal"] == readers["parquet_string"] == "fast"
    assert readers["quoted_newlines"] == readers["mixed_currencies"] == readers["times"] == "fast"
    assert readers["gzip"] == "fast"
    assert readers["dos_eof"] == readers["dos_eof_gzip"] == "fast"
    # Warnings are located on the fast path (only the columns checked are read again)
    assert readers["malformed_tags"] == readers["hostile_tags"] == "fast"
    assert readers["unknown_category"] == readers["covered_usage"] == "fast"
    assert readers["header_only"] == "precise"


@pytest.mark.parametrize("fast", [True, False])
def test_a_dos_end_of_file_mark_loads_every_cent(corpus, cfg, monkeypatch, fast):
    _real_reader(monkeypatch)
    from corpus.build import GOOD
    expected: dict = {}
    for r in GOOD:
        b, e = expected.get(r["BillingCurrency"], (Decimal(0), Decimal(0)))
        expected[r["BillingCurrency"]] = (b + Decimal(r["BilledCost"]), e + Decimal(r["EffectiveCost"]))
    for name in ("dos_eof", "dos_eof_gzip"):
        s = Store(":memory:", cfg)
        s.fast_path = fast
        s.ingest([str(corpus[name])])
        assert store_totals(s) == expected, name
        assert s.con.execute("SELECT count(*) FROM charges").fetchone()[0] == len(GOOD)
        s.close()


@pytest.mark.parametrize("fast", [True, False])
def test_a_currency_code_in_lower_case_counts_with_the_same_code(cfg, monkeypatch, fast):
    _real_reader(monkeypatch)
    from corpus.build import GOOD, csv_bytes
    rows = [{**r, "BillingCurrency": c} for r, c in zip(GOOD, ["usd", "USD", "eUr"], strict=True)]
    path = _write_bytes(cfg.root / "lower.csv", csv_bytes(rows))
    expected: dict = {}
    for r in GOOD:
        b, e = expected.get(r["BillingCurrency"], (Decimal(0), Decimal(0)))
        expected[r["BillingCurrency"]] = (b + Decimal(r["BilledCost"]), e + Decimal(r["EffectiveCost"]))
    s = Store(":memory:", cfg)
    s.fast_path = fast
    s.ingest([str(path)])
    assert store_totals(s) == expected
    s.close()


@pytest.mark.parametrize("fast", [True, False])
def test_a_resource_name_of_several_lines_is_kept_as_written(corpus, cfg, monkeypatch, fast):
    _real_reader(monkeypatch)
    s = Store(":memory:", cfg)
    s.fast_path = fast
    s.ingest([str(corpus["quoted_newlines_resource"])])
    assert sorted(s.con.execute("SELECT ResourceName FROM charges").fetchall()) == [
        ("gpu-node\r\n(a, \"b\")",), ("x\ny",)]
    from corpus.build import row
    assert store_totals(s) == {"USD": (2 * Decimal(row()["BilledCost"]),
                                       2 * Decimal(row()["EffectiveCost"]))}
    s.close()


def test_an_empty_quantity_column_hides_no_problem_from_the_fast_path(cfg, monkeypatch):
    """A column empty on every row (CommitmentDiscountQuantity in most exports) made one
    check count NULL, and the sum of all checks with it: errors and warnings were missed."""
    _real_reader(monkeypatch)
    from corpus.build import HEADER as CORPUS_HEADER
    from corpus.build import csv_bytes, row
    header = [*CORPUS_HEADER, "CommitmentDiscountQuantity"]
    for name, bad, expect in [
            ("error", row(BillingCurrency=""), ":2: BillingCurrency: "),
            ("warning", row(ChargeCategory="Refund"), ":2: ChargeCategory: unknown value")]:
        path = _write_bytes(cfg.root / f"{name}.csv", csv_bytes([row(), bad], header))
        fast, _, _ = _load([path], cfg, True)
        precise, _, _ = _load([path], cfg, False)
        line = fast if isinstance(fast, str) else fast.warnings[-1]
        assert expect in line, line
        assert line == (precise if isinstance(precise, str) else precise.warnings[-1])


def test_warnings_on_the_fast_path_name_the_precise_rows(cfg, monkeypatch):
    """Warnings far apart in a file big enough to be read in parallel, CSV and Parquet: the
    fast path lists the same rows and counts as the precise reader, and loads the same rows."""
    _real_reader(monkeypatch)
    from corpus.build import csv_bytes, row
    bad = {7: '{"team": ', 15_001: "team=ml", 39_998: '{"a": "=HYPERLINK(1)"}', 39_999: "[1]"}
    bad.update({20_000 + i: "not json" for i in range(6)})
    rows = [row(BilledCost=f"{i % 97}.{i % 100:02d}",
                Tags=bad.get(i + 1, f'{{"team": "t{i % 13}", "run": "{i}"}}'))
            for i in range(40_000)]
    rows[12_344]["ChargeCategory"] = "Refund"
    rows[33_332]["ChargePeriodEnd"] = "2026-04-01T00:00:00Z"
    csv = _write_bytes(cfg.root / "tags.csv", csv_bytes(rows))
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    parquet = cfg.root / "tags.parquet"
    frame.to_parquet(parquet, index=False, row_group_size=4_096)
    for path in (csv, parquet):
        fast, rows_f, tags_f = _load([path], cfg, True)
        precise, rows_p, tags_p = _load([path], cfg, False)
        assert fast.files[0]["reader"] == "fast", path
        assert fast.warnings == precise.warnings and rows_f == rows_p and tags_f == tags_p, path
        listed = [w for w in fast.warnings if ": Tags: not a JSON" in w
                  and ":" in w.split(str(path))[1][:8]]
        assert [w.split(":")[1] for w in listed][:5] == ["7", "15001", "20000", "20001", "20002"]
        assert any("9 rows in all" in w for w in fast.warnings), fast.warnings
        assert any(w.startswith(f"{path}:39998: Tags: tag value looks like a spreadsheet formula")
                   for w in fast.warnings), fast.warnings
        assert any(w.startswith(f"{path}:12345: ChargeCategory: unknown value 'Refund'")
                   for w in fast.warnings), fast.warnings
        assert any(w.startswith(f"{path}:33333: ChargePeriodEnd: ends before")
                   for w in fast.warnings), fast.warnings


def test_one_bad_value_deep_in_a_file_is_located_and_nothing_loads(tmp_path, cfg, monkeypatch):
    _real_reader(monkeypatch)
    p = "a1,Cloud,2026-05-01T00:00:00Z,2026-06-01T00:00:00Z,2026-05-02T00:00:00Z,2026-05-03T00:00:00Z"
    lines = [f"{p},USD,{i}.25,1,1,1,Usage,GPU,r{i % 7}," for i in range(3000)]
    good = csv_file(tmp_path / "a" / "good.csv", lines)
    bad_lines = list(lines)
    bad_lines[2399] = bad_lines[2399].replace(",USD,2399.25,", ",USD,2399.2x,")
    bad = csv_file(tmp_path / "b" / "bad.csv", bad_lines)
    # the same in Parquet, costs as text: a value that does not convert fails the fast load
    rows = [{"BilledCost": f"{i}.25", "ResourceId": f"r{i % 7}"} for i in range(3000)]
    rows[1199]["EffectiveCost"] = "n/a"
    bad_pq = frame_file(tmp_path / "c", "bad_pq", rows)
    # a row of one field too many: the fast read refuses it, the precise reader locates it
    wide_lines = list(lines)
    wide_lines[1499] += ",extra"
    wide = csv_file(tmp_path / "d" / "wide.csv", wide_lines)
    with Store(tmp_path / "s.duckdb", cfg) as s:
        first = s.ingest([str(good)])
        assert [f["reader"] for f in first.files] == ["fast"]
        before = (store_totals(s), s.files(), s.con.execute("SELECT count(*) FROM tag_sets").fetchone())
        with pytest.raises(InputError) as exc:
            s.ingest([str(good), str(bad)])
        hint = "; write amounts as plain decimals, like -1234.5"
        assert exc.value.line() == f"{bad}:2400: BilledCost: not a number: '2399.2x'{hint}"
        with pytest.raises(InputError) as exc:
            s.ingest([str(good), str(bad_pq)])
        assert exc.value.line() == f"{bad_pq}:1200: EffectiveCost: not a number: 'n/a'{hint}"
        with pytest.raises(InputError) as exc:
            s.ingest([str(good), str(wide)])
        assert exc.value.line() == f"{wide}:1500: row not readable: too many fields in this row"
        assert (store_totals(s), s.con.execute("SELECT count(*) FROM tag_sets").fetchone()) == (
            before[0], before[2])
        pd.testing.assert_frame_equal(s.files(), before[1])
        assert len(s.deliveries()) == 1
        assert s.con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0
        # a good file loads after a failed delivery, the fast way
        again = s.ingest([str(good)])
        assert [f["reader"] for f in again.files] == ["fast"] and again.replaced_rows == 3000


def test_fast_path_takes_clean_parquet_and_keeps_tags(tmp_path, cfg, monkeypatch):
    _real_reader(monkeypatch)
    f = frame_file(tmp_path / "in", "x", [
        {"Tags": '{"Team": "ml", "ENV": "prod"}', "BilledCost": "2.5"},
        {"Tags": '{"team": "ads"}', "BilledCost": "1.25"},
        {"Tags": '{"Team": "ml", "ENV": "prod"}', "BilledCost": "4"}])
    with Store(":memory:", cfg) as s:
        res = s.ingest([str(f)])
        assert [e["reader"] for e in res.files] == ["fast"]
        got = s.monthly(["team", "environment"])
        assert {(r.team, r.environment): r.billed_cost for r in got.itertuples()} == {
            ("ml", "prod"): 6.5, ("ads", "Unallocated"): 1.25}
        assert s.con.execute("SELECT count(*), count_if(wb_tags_ok) FROM tag_sets").fetchone() == (2, 2)
        s.ingest([str(f)])  # re-ingest: the same tag sets, not new ones
        assert s.con.execute("SELECT count(*) FROM tag_sets").fetchone()[0] == 2


def test_a_problem_many_files_share_is_said_once():
    from workbench.delivery import same_in_many_files
    extra = Problem(None, None, "2 columns are not FOCUS columns")
    found = [("d/1.csv", extra), ("d/1.csv", Problem(4, "Tags", "malformed")),
             ("d/2.csv", extra), ("d/3.csv", extra), ("d/3.csv", Problem(4, "Tags", "malformed"))]
    assert same_in_many_files(found) == [
        "d/1.csv: 2 columns are not FOCUS columns (the same in 2 more files)",
        "d/1.csv:4: Tags: malformed", "d/3.csv:4: Tags: malformed"]


def test_each_files_count_of_rows_is_said_with_its_rows(cfg, monkeypatch):
    """A "N rows in all" line goes with its own file's listed rows, even when two files'
    read alike (two days of one export with the same bad Tags)."""
    _real_reader(monkeypatch)
    from corpus.build import csv_bytes, row
    paths = [_write_bytes(cfg.root / f"day-{d}.csv", csv_bytes(
        [row(ChargePeriodStart=f"2026-05-0{d}T00:00:00Z", ChargePeriodEnd=f"2026-05-0{d}T01:00:00Z",
             Tags='{"team": "ml"', ChargeDescription=f"GPU {i}") for i in range(7)])) for d in (2, 3)]
    with Store(":memory:", cfg) as s:
        warnings = s.ingest([str(p) for p in paths]).warnings
    counts = [w for w in warnings if "rows in all" in w]
    assert [c.split(":")[0] for c in counts] == [str(p) for p in paths], warnings
    assert not any("the same in" in c for c in counts)


def test_direction_overrides_in_names_do_not_reach_the_page(tmp_path, cfg):
    f = frame_file(tmp_path / "in", "rtl", [{"Tags": '{"team": "\u202eevil"}'}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        assert s.monthly(["team"])["team"].tolist() == ["evil"]
        assert s.daily(["team"])["date"].notna().all()


def test_store_queries_draw_no_progress_widget(tmp_path, cfg):
    """A notebook shows DuckDB's progress bar for slow queries as a widget that a rendered
    report prints as "FloatProgress(...)" text: store connections draw none."""
    with Store(tmp_path / "s.duckdb", cfg) as s:
        setting = "SELECT current_setting('enable_progress_bar_print')"
        assert s.con.execute(setting).fetchone()[0] is False


def test_different_tags_under_one_tag_set_key_are_refused(tmp_path, cfg):
    """The tag-set key is a 63-bit hash of the Tags text: two texts sharing one, in a file
    or against the store, stop the load rather than file one row's tags under the other's."""
    path = frame_file(tmp_path, "f", [{"Tags": '{"team": "a"}'}])
    with Store(tmp_path / "s.duckdb", cfg) as s:
        s.ingest([str(path)])
        key = s.con.execute("SELECT wb_tag_set FROM tag_sets").fetchone()[0]
        s.con.execute("UPDATE charges SET wb_delivery_id = 9")
        s._add_tag_sets("wb_delivery_id = 9")  # the same text again: nothing to refuse
        row = s.con.execute("SELECT * FROM charges").fetchone()
        cols = [d[0] for d in s.con.description]
        other = dict(zip(cols, row, strict=True), Tags='{"team": "b"}', wb_delivery_id=8)
        s.con.execute(f"INSERT INTO charges ({', '.join(cols)}) VALUES "
                      f"({', '.join('?' * len(cols))})", list(other.values()))
        assert other["wb_tag_set"] == key
        with pytest.raises(WorkbenchError, match="share a tag-set key"):  # against the store
            s._add_tag_sets("wb_delivery_id = 8")
        s.con.execute("DELETE FROM tag_sets")
        with pytest.raises(WorkbenchError, match="share a tag-set key"):  # within one load
            s._add_tag_sets("wb_delivery_id >= 8")


def test_totals_beyond_the_store_are_refused_before_the_commit(tmp_path, cfg):
    """Each amount fits DECIMAL(38, 10) and each file adds up, but with what the store holds
    a period's total would not: the delivery is refused and the store keeps what it had."""
    a = frame_file(tmp_path / "a", "a", [{"BilledCost": "6e27", "EffectiveCost": "6e27"}])
    b = frame_file(tmp_path / "b", "b", [{"BilledCost": "6e27", "EffectiveCost": "6e27",
                                          "BillingAccountId": "acct-2"}])
    with Store(tmp_path / "s.duckdb", cfg) as s:
        s.ingest([str(a)])
        with pytest.raises(WorkbenchError, match="add up beyond 28 digits .* nothing was loaded"):
            s.ingest([str(b)])
        assert s.con.execute("SELECT count(*) FROM deliveries").fetchall() == [(1,)]
        assert s.totals().rows.tolist() == [1]


def test_an_ingest_that_cannot_open_a_new_store_leaves_another_ingests_store(tmp_path, monkeypatch):
    """Two ingests into a store that is not there yet: the one that finds it in use must not
    remove the store the other one is writing (it did not make it)."""
    import argparse

    from workbench import store as store_module
    target = tmp_path / "new.duckdb"

    def in_use(*args, **kwargs):
        target.write_bytes(b"the other ingest's store")  # made meanwhile by the winner
        raise WorkbenchError(f"{target}: the store is in use by another process")
    monkeypatch.setattr(store_module, "_store_for_ingest", in_use)
    args = argparse.Namespace(store=str(target), paths=[str(tmp_path)], json=False, rebuild=False,
                              config=None)
    with pytest.raises(WorkbenchError, match="in use"):
        store_module.run_ingest(args)
    assert target.read_bytes() == b"the other ingest's store"


def test_an_allocated_charge_goes_to_its_workloads_team(tmp_path, cfg, monkeypatch):
    """FOCUS 1.3 split cost allocation: a shared node's cost is split over the workloads that
    ran on it; each allocated charge names its workload's tags in AllocatedTags, which decide
    its team before the node's Tags (and Tags fill the keys AllocatedTags lacks)."""
    _real_reader(monkeypatch)
    node = {"ResourceId": "node-1", "Tags": '{"team": "platform", "env": "prod"}'}
    f = frame_file(tmp_path / "in", "split", [
        {**node, "BilledCost": "6", "EffectiveCost": "6"},  # the part no workload used
        {**node, "BilledCost": "3", "EffectiveCost": "3", "AllocatedMethodId": "even",
         "AllocatedResourceId": "pod-a", "AllocatedTags": '{"Team": "search"}'},
        {**node, "BilledCost": "1", "EffectiveCost": "1", "AllocatedMethodId": "even",
         "AllocatedResourceId": "pod-b", "AllocatedTags": '{"team": "ads", "env": "dev", "Namespace": "ml"}'},
        {"ResourceId": "bucket", "Tags": "", "BilledCost": "0.5", "EffectiveCost": "0.5",
         "AllocatedTags": '{"team": "search"}'},
        {**node, "BilledCost": "2", "EffectiveCost": "2", "AllocatedTags": '{"team": '}])
    loaded = []
    for fast in (True, False):
        with Store(":memory:", cfg) as s:
            s.fast_path = fast
            res = s.ingest([str(f)])
            assert [e["reader"] for e in res.files] == ["fast" if fast else "precise"]
            # a malformed AllocatedTags is said, and its charge goes by the node's Tags
            assert [w.split(": ", 2)[:2] for w in res.warnings if "AllocatedTags" in w] == [
                [f"{f}:5", "AllocatedTags"]]
            got = s.monthly(["team", "environment"])
            assert {(r.team, r.environment): r.billed_cost for r in got.itertuples()} == {
                ("platform", "prod"): 8.0, ("search", "prod"): 3.0, ("ads", "dev"): 1.0,
                ("search", "Unallocated"): 0.5}
            assert s.totals()["billed_cost"].sum() == 12.5
            # keys of both texts, once a charge: team on 5 charges (not 7), a key only allocated
            assert s.tag_keys() == ["team", "env", "Namespace"]  # as written
            loaded.append(s.con.execute("SELECT count(*) FROM tag_sets").fetchone()[0])
    assert loaded == [5, 5]  # one Tags text and four AllocatedTags texts, each parsed once


def test_an_allocated_charges_workload_tag_decides_its_class_as_a_tag_does(tmp_path, cfg, monkeypatch):
    """The workload tag is normalised once per tag set: an allocated charge's AllocatedTags
    workload decides its class before the node's Tags, written as users write it; one that
    names no class goes to the rules, never to the node's tagged class."""
    _real_reader(monkeypatch)
    node = {"ResourceId": "node-1", "ResourceName": "eval-runner",
            "Tags": '{"team": "platform", "workload": " Batch Inference "}'}
    f = frame_file(tmp_path / "in", "split", [
        {**node, "BilledCost": "4", "EffectiveCost": "4"},
        {**node, "BilledCost": "2", "EffectiveCost": "2", "AllocatedMethodId": "even",
         "AllocatedResourceId": "pod-a", "AllocatedTags": '{"Workload": "Fine_Tuning"}'},
        {**node, "BilledCost": "1", "EffectiveCost": "1", "AllocatedMethodId": "even",
         "AllocatedResourceId": "pod-b", "AllocatedTags": '{"workload": "nonsense"}'}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        got = s.monthly(["workload_class"])
        assert {r.workload_class: r.billed_cost for r in got.itertuples()} == {
            "batch-inference": 4.0, "fine-tuning": 2.0, "evaluation": 1.0}
        # the same classes as the expression reads them row by row, without tag sets
        per_row = s.table.drop(dm.TAG_CLASS)
        classes = s.backend.execute(per_row.select(c=dm.workload_class(per_row, cfg)))["c"]
        assert sorted(classes) == ["batch-inference", "evaluation", "fine-tuning"]


def test_builds_left_by_a_killed_process_are_removed_by_the_next_rebuild(tmp_path, cfg):
    """kill -9 during a rebuild leaves the half-built store beside the real one (as large as
    it); the next rebuild removes it. A build of a process still running stays."""
    from workbench.store_rebuild import rebuild
    store = tmp_path / "s.duckdb"
    with Store(store, cfg) as s:
        s.ingest([str(frame_file(tmp_path / "a", "may", [{"BilledCost": "5"}]))])
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    left = [tmp_path / f".s.duckdb.{dead}.rebuilding", tmp_path / f".s.duckdb.{dead}.rebuilding.wal",
            tmp_path / f".s.duckdb.{dead}.building"]
    running = tmp_path / f".s.duckdb.{os.getppid()}.rebuilding"
    for f in [*left, running]:
        f.write_bytes(b"x" * 100)
    rebuild(store, cfg)
    assert not any(f.exists() for f in left) and running.exists()
    assert store_totals_of(store, cfg)["USD"][0] == Decimal("5")


def test_ingest_refuses_an_offset_no_zone_has_and_says_rounded_amounts(cfg, monkeypatch):
    """`ingest` refuses a time with an offset no zone has (+25:00) in one line, whichever
    reader reads the file, and loads nothing; an amount of more than 10 decimal places is
    loaded rounded, with the warning `validate` gives, and keeps the fast path."""
    _real_reader(monkeypatch)
    from corpus.build import csv_bytes, row
    bad = _write_bytes(cfg.root / "bad.csv", csv_bytes(
        [row(), row(ChargePeriodEnd="2026-05-03T00:00:00+25:00")]))
    fine = _write_bytes(cfg.root / "fine.csv", csv_bytes([row(ChargePeriodEnd="2026-05-03T14:00:00+14:00")]))
    rounded = _write_bytes(cfg.root / "rounded.csv", csv_bytes(
        [row(BilledCost="1.00000000005"), row(), row(BilledCost="2.123456789012345")]))
    for fast in (True, False):
        line, _, _ = _load([fine, bad], cfg, fast)
        assert line == (f"{bad}:2: ChargePeriodEnd: an offset from UTC beyond 14 hours, or of 60 "
                        "minutes or more, which no time zone has: '2026-05-03T00:00:00+25:00'")
        with Store(":memory:", cfg) as s:
            s.fast_path = fast
            res = s.ingest([str(rounded)])
            assert res.files[0]["reader"] == ("fast" if fast else "precise")
            said = "more than 10 decimal places, read rounded half away from zero to 10"
            assert res.warnings == [f"{rounded}:1: BilledCost: {said}: '1.00000000005'",
                                    f"{rounded}: BilledCost: {said}: 2 rows in all (first 1 listed)"]
            assert s.con.execute("SELECT sum(BilledCost), count(wb_source_row) FROM charges"
                                 ).fetchone() == (Decimal("13.3734567891"), 0 if fast else 3)


def test_issuers_of_parts_one_manifest_lists_are_two_bills(tmp_path, cfg):
    """One run's parts billed by two issuers (the provider's charges and a reseller's bill of
    the same usage): the export tells them apart, as one file's issuers are, whatever charges
    they share. Without the run's manifest the older name reads as one bill renamed."""
    run = tmp_path / "run"
    provider = _bill(run, "part_0_0001", "Cloud Inc.", "3")
    reseller = _bill(run, "part_0_0002", "Reseller Ltd.", "2")
    os.utime(reseller, ns=(10**18, 10**18))
    os.utime(provider, ns=(2 * 10**18, 2 * 10**18))
    with Store(":memory:", cfg) as s:
        res = s.ingest([str(run)])
        assert "one bill under two issuer names" in res.warnings[0]
        assert store_totals(s)["USD"][0] == Decimal("75")
    (run / "manifest.json").write_text(json.dumps({"blobs": [
        {"blobName": provider.name}, {"blobName": reseller.name}]}))
    with Store(":memory:", cfg) as s:
        res = s.ingest([str(run)])
        assert res.warnings == [] and res.rows == 50
        assert store_totals(s)["USD"][0] == Decimal("125")


def test_a_charge_of_no_length_does_not_stretch_the_coverage(tmp_path, cfg):
    """A purchase written with its period's start and end at one moment covers no time: the
    data still ends where its daily rows end, so May stays incomplete."""
    days = [{"ChargePeriodStart": f"2026-05-{d:02d}", "ChargePeriodEnd": f"2026-05-{d + 1:02d}"}
            for d in range(1, 21)]
    buy = {"ChargePeriodStart": "2026-06-01", "ChargePeriodEnd": "2026-06-01",
           "ChargeCategory": "Purchase", "BillingPeriodStart": "2026-06-01",
           "BillingPeriodEnd": "2026-07-01", "BilledCost": "500"}
    f = frame_file(tmp_path / "in", "zero", [*days, buy])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        assert s.coverage() == (pd.Timestamp("2026-05-01"), pd.Timestamp("2026-05-21"))
        assert s.provider_coverage()["end"].tolist() == [pd.Timestamp("2026-05-21")]
        assert _last_full_month(s)(date(2026, 11, 1)) is None


COMMITMENT = {"CommitmentDiscountId": "ri-1", "ResourceId": "", "Tags": ""}


@pytest.mark.parametrize("fast", [True, False])
def test_a_purchase_in_effective_cost_beside_its_amortized_usage_is_said(tmp_path, cfg,
                                                                        monkeypatch, fast):
    """FOCUS zeroes an amortized purchase's EffectiveCost; one that keeps its price while
    usage rows carry the amortized share is counted twice: said, amounts kept as billed."""
    _real_reader(monkeypatch)
    bought = frame_file(tmp_path / "in", "purchase", [
        {**COMMITMENT, "ChargeCategory": "Purchase", "BilledCost": "1200",
         "EffectiveCost": "1200", "ChargePeriodStart": "2026-05-01",
         "ChargePeriodEnd": "2026-05-01"}])
    usage = frame_file(tmp_path / "in", "usage", [
        {**COMMITMENT, "PricingCategory": "Committed", "CommitmentDiscountStatus": "Used",
         "BilledCost": "0", "EffectiveCost": "30", "ResourceId": "i-1"},
        {**COMMITMENT, "PricingCategory": "Committed", "CommitmentDiscountStatus": "Unused",
         "BilledCost": "0", "EffectiveCost": "3.33"},
        # amortized as FOCUS says: no warning for this one
        {**COMMITMENT, "CommitmentDiscountId": "sp-1", "ChargeCategory": "Purchase",
         "BilledCost": "500", "EffectiveCost": "0"},
        {**COMMITMENT, "CommitmentDiscountId": "sp-1", "CommitmentDiscountStatus": "Used",
         "BilledCost": "0", "EffectiveCost": "400"}])
    with Store(":memory:", cfg) as s:
        s.fast_path = fast
        res = s.ingest([str(bought), str(usage)])
        said = [w for w in res.warnings if "twice" in w]
        assert said == [
            f"{bought}: EffectiveCost: commitment 'ri-1': its purchase is in effective cost at "
            "the price billed ($1,200.00) while its usage rows carry its amortized cost "
            "($33.33), so effective-cost figures count it twice; FOCUS gives an amortized "
            "purchase EffectiveCost 0: ask the provider for a corrected export"]
        assert s.load_warnings() == res.warnings  # the report lists it too
        # nothing is changed: the totals still reconcile to the files
        assert s.totals(exact=True)["effective_cost"].tolist() == [Decimal("1633.33")]


def test_a_purchase_refunded_in_full_is_not_said_to_count_twice(tmp_path, cfg, monkeypatch):
    """A purchase in effective cost and its refund there too add up to nothing: the usage's
    amortized share is then the only count of it, and a net refund is no purchase counted.
    A warning names its file as every message does: relative to the working directory."""
    _real_reader(monkeypatch)
    buy = {**COMMITMENT, "ChargeCategory": "Purchase", "ChargePeriodStart": "2026-05-01",
           "ChargePeriodEnd": "2026-05-01"}
    used = {**COMMITMENT, "PricingCategory": "Committed", "CommitmentDiscountStatus": "Used",
            "BilledCost": "0", "EffectiveCost": "30", "ResourceId": "i-1"}
    refunded = frame_file(tmp_path / "in", "refunded", [
        {**buy, "BilledCost": "1200", "EffectiveCost": "1200"},
        {**buy, "ChargeClass": "Correction", "BilledCost": "-1200", "EffectiveCost": "-1200"},
        {**buy, "CommitmentDiscountId": "ri-2", "ChargeClass": "Correction",
         "BilledCost": "-200", "EffectiveCost": "-200"},  # of an amortized purchase: no price
        used, {**used, "CommitmentDiscountId": "ri-2"}])
    with Store(":memory:", cfg) as s:
        assert [w for w in s.ingest([str(refunded)]).warnings if "count it twice" in w] == []
    twice = frame_file(tmp_path / "in", "twice", [{**buy, "BilledCost": "1200",
                                                   "EffectiveCost": "1200"}, used])
    monkeypatch.chdir(tmp_path)
    with Store(":memory:", cfg) as s:
        said = [w for w in s.ingest([str(twice)]).warnings if "count it twice" in w]
        assert len(said) == 1 and said[0].startswith("in/twice.parquet: EffectiveCost: ")


def test_a_purchase_counted_twice_is_said_of_its_file_not_its_refunds(tmp_path, cfg,
                                                                       monkeypatch):
    """A part refund of the purchase in another file leaves the rest counted twice: the
    warning goes to the file of the purchase, whatever the refund's file is named."""
    _real_reader(monkeypatch)
    buy = {**COMMITMENT, "ChargeCategory": "Purchase", "ChargePeriodStart": "2026-05-01",
           "ChargePeriodEnd": "2026-05-01"}
    refund = frame_file(tmp_path / "in", "a-refund", [
        {**buy, "ChargeClass": "Correction", "BilledCost": "-200", "EffectiveCost": "-200"}])
    bought = frame_file(tmp_path / "in", "b-purchase", [
        {**buy, "BilledCost": "1200", "EffectiveCost": "1200"}])
    used = frame_file(tmp_path / "in", "c-usage", [
        {**COMMITMENT, "CommitmentDiscountStatus": "Used", "BilledCost": "0",
         "EffectiveCost": "30", "ResourceId": "i-1"}])
    with Store(":memory:", cfg) as s:
        said = [w for w in s.ingest([str(refund), str(bought), str(used)]).warnings
                if "count it twice" in w]
        assert [w.split(": ")[0] for w in said] == [str(bought)]
        assert "price billed ($1,000.00)" in said[0]


def test_purchases_counted_twice_are_said_once_a_file(tmp_path, cfg):
    """An export that gets every purchase wrong says so in one warning for its file: how
    many commitments, the first ids and the amounts per currency, not one line each."""
    buy = {**COMMITMENT, "ChargeCategory": "Purchase", "ChargePeriodStart": "2026-05-01",
           "ChargePeriodEnd": "2026-05-01"}
    used = {**COMMITMENT, "PricingCategory": "Committed", "CommitmentDiscountStatus": "Used",
            "BilledCost": "0", "ResourceId": "i-1"}
    rows = []
    for i in range(200):
        cur = {"BillingCurrency": "EUR"} if i % 2 else {}
        ids = {"CommitmentDiscountId": f"ri-{i:03d}", **cur}
        rows += [{**buy, **ids, "BilledCost": "1200.01", "EffectiveCost": "1200.01"},
                 {**used, **ids, "EffectiveCost": "33.33"}]
    f = frame_file(tmp_path / "in", "every", rows)
    with Store(":memory:", cfg) as s:
        said = [w for w in s.ingest([str(f)]).warnings if "twice" in w]
        assert said == [
            f"{f}: EffectiveCost: 200 commitments ('ri-000', 'ri-001', 'ri-002' and 197 more): "
            "their purchases are in effective cost at the price billed (€120,001.00 and "
            "$120,001.00 in all) while their usage rows carry their amortized cost (€3,333.00 "
            "and $3,333.00), so effective-cost figures count them twice; FOCUS gives an "
            "amortized purchase EffectiveCost 0: ask the provider for a corrected export"]
        assert [w for w in s.load_warnings() if "twice" in w] == said  # the report's list too


def test_warnings_that_change_the_figures_come_before_each_files_checks(tmp_path, cfg,
                                                                        monkeypatch, capsys):
    """A load's warnings are kept weightiest first: what may count twice, then a copy set
    aside, then each file's own checks (rows kept at full cost), however many those are,
    so that the 50 `ingest` prints, the index's 20 and the overview's first name them."""
    _real_reader(monkeypatch)
    folder = tmp_path / "in"
    for i in range(12):  # 12 files of 6 rows whose Tags do not read: 72 lines of checks
        frame_file(folder, f"a-tags{i:02d}", [{"Tags": '{"team": "ml"',
                                               "BillingAccountId": f"acct-{i + 2}"}] * 6)
    frame_file(folder, "b-purchase", [{**COMMITMENT, "ChargeCategory": "Purchase",
                                       "BilledCost": "1200", "EffectiveCost": "1200"}])
    frame_file(folder, "c-usage", [{**COMMITMENT, "CommitmentDiscountStatus": "Used",
                                    "BilledCost": "0", "EffectiveCost": "30"}])
    (folder / "d-copy.parquet").write_bytes((folder / "a-tags00.parquet").read_bytes())
    monkeypatch.chdir(tmp_path)
    args = SimpleNamespace(paths=["in"], store=str(tmp_path / "s.duckdb"), json=False,
                           rebuild=False, config=None)
    assert store_mod.run_ingest(args) == 0
    printed = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert printed[0].startswith("warning: in/b-purchase.parquet: EffectiveCost: commitment "
                                 "'ri-1': its purchase is in effective cost")
    # the copy, written last, is the one loaded, read in the place of the first of the two
    assert printed[1] == ("warning: in/a-tags00.parquet: same content as in/d-copy.parquet; "
                          "loaded once")
    assert printed[2].startswith("warning: in/d-copy.parquet:1: Tags: ")
    assert printed[-1] == "warning: ... and 31 more warnings"  # the copy's checks too
    with Store(str(tmp_path / "s.duckdb"), cfg) as s:
        kept = s.load_warnings()
    assert len(kept) == 81 and [w.removeprefix("warning: ") for w in printed[:50]] == kept[:50]


def test_ingest_prints_totals_half_up_in_each_currencys_unit(tmp_path, cfg, monkeypatch, capsys):
    """The console table rounds as validate's summary does: half up (format's half even
    would print 2,152.34) to the currency's smallest unit (no cents on yen)."""
    _real_reader(monkeypatch)
    export = frame_file(tmp_path / "in", "mixed", [
        {"BilledCost": "2152.345", "EffectiveCost": "0.125"},
        {"BillingCurrency": "JPY", "BilledCost": "1500", "EffectiveCost": "1499.5"},
        {"BillingCurrency": "KWD", "BilledCost": "2.0015", "EffectiveCost": "2.0015"}])
    monkeypatch.chdir(tmp_path)
    args = SimpleNamespace(paths=[str(export)], store=str(tmp_path / "s.duckdb"), json=False,
                           rebuild=False, config=None)
    assert store_mod.run_ingest(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1:] for line in lines[-3:]] == [
        ["JPY", "1", "1,500", "1,500"], ["KWD", "1", "2.002", "2.002"],
        ["USD", "1", "2,152.35", "0.13"]]


def test_list_and_contracted_cost_leave_out_amortized_purchases(tmp_path, cfg):
    """FOCUS: summing ListCost or ContractedCost leaves out purchase rows whose EffectiveCost
    is 0, as the usage they cover carries the list price: else savings count twice."""
    f = frame_file(tmp_path / "in", "ri", [
        {**COMMITMENT, "ChargeCategory": "Purchase", "BilledCost": "1200", "EffectiveCost": "0",
         "ListCost": "1500", "ContractedCost": "1400"},
        {**COMMITMENT, "CommitmentDiscountStatus": "Used", "BilledCost": "0",
         "EffectiveCost": "30", "ListCost": "50", "ContractedCost": "45", "ResourceId": "i-1"},
        # a purchase with an effective cost of its own (no commitment to amortize) keeps its
        # list price, and so does a charge of no category
        {"ChargeCategory": "Purchase", "BilledCost": "7", "EffectiveCost": "7", "ListCost": "9",
         "ContractedCost": "8"},
        {"ChargeCategory": "", "BilledCost": "1", "EffectiveCost": "0", "ListCost": "2",
         "ContractedCost": "2"}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        got = s.monthly(exact=True).iloc[0]
        assert (got.billed_cost, got.effective_cost, got.list_cost, got.contracted_cost) == (
            Decimal("1208"), Decimal("37"), Decimal("61"), Decimal("55"))
        assert s.daily(cost="ListCost")["cost"].sum() == 61.0
        assert s.resources("2026-05").set_index("ResourceId")["list_cost"].to_dict() == {
            "i-1": 50.0, "r1": 11.0, "(no resource)": 0.0}


def test_a_marketplace_seller_in_a_clouds_export_goes_by_the_export(tmp_path, cfg):
    """FOCUS 1.3 names a marketplace seller in ServiceProviderName; its charges come in the
    cloud's export, on the cloud's invoice. The breakdown shows the seller, but how far the
    data reaches is the export's: a seller with no charge after the 10th is no export that
    lags, and holds no month back."""
    aws = {"ServiceProviderName": "AWS", "ProviderName": "AWS", "InvoiceIssuerName": "AWS"}
    days = [{**aws, "ChargePeriodStart": str(d.date()),
             "ChargePeriodEnd": str((d + pd.Timedelta(days=1)).date())}
            for d in pd.date_range("2026-05-01", "2026-05-31")]
    seller = {**days[9], "ServiceProviderName": "Datadog", "BilledCost": "80",
              "EffectiveCost": "80"}
    f = frame_file(tmp_path / "in", "aws", [*days, seller])
    with Store(":memory:", cfg) as s:
        s.ingest([str(f)])
        assert s.monthly(["provider"])[["provider", "effective_cost"]].values.tolist() == [
            ["AWS", 31.0], ["Datadog", 80.0]]
        assert s.provider_coverage().values.tolist() == [
            ["AWS", pd.Timestamp("2026-05-01"), pd.Timestamp("2026-06-01")]]
        assert _last_full_month(s)(date(2026, 11, 1)) == "2026-05"


def test_warnings_name_a_billing_period_in_a_zone_east_of_utc_by_its_month(tmp_path, cfg):
    """A provider billing in UTC+8 starts May's period at 2026-04-30T16:00:00Z: warnings
    call it 2026-05, as its invoice does, not 2026-04."""
    east = {"BillingPeriodStart": "2026-04-30T16:00:00", "BillingPeriodEnd": "2026-05-31T16:00:00"}
    edited = frame_file(tmp_path / "v1", "edited", [{**east, "BillingAccountId": "12345678901"}])
    original = frame_file(tmp_path / "v2", "original", [{**east, "BillingAccountId": "012345678901"}])
    with Store(":memory:", cfg) as s:
        s.ingest([str(edited)])
        (said,) = s.ingest([str(original)]).warnings
        assert "'12345678901' of Cloud / 2026-05 differ only in leading zeros" in said


def test_provider_months_are_the_months_its_exports_hold(tmp_path, cfg, monkeypatch):
    """A seller on a cloud's invoice holds the months of that invoice's export: new in May
    when the cloud's April is there; a cloud whose April is not loaded holds no April."""
    _real_reader(monkeypatch)

    def month(m: str, provider: str, seller: str | None = None) -> dict:
        return {"ProviderName": provider, "ServiceProviderName": seller or provider,
                "InvoiceIssuerName": provider,
                "BillingPeriodStart": f"2026-{m}-01", "BillingPeriodEnd": f"2026-{m}-28",
                "ChargePeriodStart": f"2026-{m}-03", "ChargePeriodEnd": f"2026-{m}-04"}
    aws = frame_file(tmp_path / "in", "aws", [month("04", "AWS"), month("05", "AWS"),
                                              month("05", "AWS", "Datadog")])
    azure = frame_file(tmp_path / "in", "azure", [month("03", "Azure"), month("05", "Azure")])
    with Store(":memory:", cfg) as s:
        s.ingest([str(aws), str(azure)])
        assert s.provider_months() == {"AWS": {"2026-04", "2026-05"},
                                       "Datadog": {"2026-04", "2026-05"},
                                       "Azure": {"2026-03", "2026-05"}}


def _older_store(tmp_path, cfg, monkeypatch, version: str, row: str, *updates: str,
                 patch: tuple = ()) -> tuple[Path, Path]:
    """(a one-row CSV, a store of it that a release of store version `version` made: the
    `updates` run on it, with `patch` (module, name, value) in force, as that release read
    the row)."""
    _real_reader(monkeypatch)
    f = csv_file(tmp_path / "in" / "may.csv", [row])
    store = tmp_path / "s.duckdb"
    with monkeypatch.context() as m:
        m.setattr(store_mod, "STORE_VERSION", version)
        if patch:
            m.setattr(*patch)
        with open_store([str(f)], store, cfg, read_only=False) as s:
            for sql in updates:
                s.con.execute(sql)
    return f, store


def test_a_store_that_read_null_as_text_is_read_again(tmp_path, cfg, monkeypatch):
    """A CSV field written NULL is no value since store version 7; a store of version 6 holds
    it as the text 'NULL' (a resource named NULL), which no fresh store of the same files
    holds, so it is loaded again from its files."""
    p = "a1,Cloud,2026-05-01T00:00:00Z,2026-06-01T00:00:00Z,2026-05-02T00:00:00Z,2026-05-03T00:00:00Z"
    f, store = _older_store(tmp_path, cfg, monkeypatch, "6",
                            f"{p},USD,2.50,2.50,3,3,Usage,GPU,NULL,NULL",
                            "UPDATE charges SET ResourceId = 'NULL'")  # as version 6 read it
    with open_store([str(f)], store, cfg) as s:
        assert s.con.execute("SELECT ResourceId, BilledCost FROM charges").fetchall() == [
            (None, Decimal("2.5"))]


def test_a_store_that_holds_a_placeholder_date_is_read_again_and_refused(tmp_path, cfg, monkeypatch):
    """A charge dated 9999 loaded into a store of version 7, which took it, made every report
    of that store fail (year 10000 is out of range); since version 8 the store is loaded
    again from its files, and the load says the row, in one line."""
    from workbench import focus_checks
    p = "a1,Cloud,2026-05-01T00:00:00Z,2026-06-01T00:00:00Z,9999-12-01T00:00:00Z,9999-12-02T00:00:00Z"
    f, store = _older_store(tmp_path, cfg, monkeypatch, "7", f"{p},USD,2.50,2.50,3,3,Usage,GPU,r1,vm",
                            patch=(focus_checks, "PLACED_BY", ()))  # as version 7 read it
    with duckdb.connect(str(store), read_only=True) as con:  # version 7 took it
        assert con.execute("SELECT count(*) FROM charges").fetchone() == (1,)
    with pytest.raises(InputError) as err, open_store([str(f)], store, cfg):
        pass
    assert (err.value.row, err.value.column) == (1, "ChargePeriodStart")
    assert "not a plausible date" in str(err.value)


def test_monthly_gives_the_parts_of_billed_less_effective_cost_a_commitment_explains(tmp_path, cfg):
    """The overview says how much of a month's gap between billed and effective cost is a
    commitment's purchase, its covered usage and its unused part: the store sums each, as
    BilledCost less EffectiveCost of those rows; the rest (a negotiated rate written into
    EffectiveCost, a purchase of no commitment) is in none of them."""
    ri = {"CommitmentDiscountId": "ri-1"}
    rows = [{**ri, "ChargeCategory": "Purchase", "BilledCost": "1200.00", "EffectiveCost": "0"},
            {**ri, "CommitmentDiscountStatus": "Used", "BilledCost": "0", "EffectiveCost": "33.33"},
            {**ri, "CommitmentDiscountStatus": "Unused", "BilledCost": "0", "EffectiveCost": "6.67"},
            {"BilledCost": "10.00", "EffectiveCost": "9.00"},  # a negotiated rate
            {"ChargeCategory": "Purchase", "CommitmentDiscountId": "", "BilledCost": "50.00",
             "EffectiveCost": "0"},  # a purchase of no commitment
            {"ChargeCategory": "Credit", "BilledCost": "-5.00", "EffectiveCost": "-5.00"}]
    (m,) = monthly_of(tmp_path, cfg, rows).to_dict("records")
    assert (m["purchase_gap"], m["covered_gap"], m["unused_gap"]) == (
        Decimal("1200"), Decimal("-33.33"), Decimal("-6.67"))
    assert m["billed_cost"] - m["effective_cost"] == Decimal("1211")
    (said,) = overview.billed_apart(pd.DataFrame([m]), "2026-05")
    assert said == (
        "Billed cost of the month's charges in USD was $1,255.00, $1,211.00 above effective cost "
        "($44.00). Of the gap (billed less effective), +$1,200.00 is commitment purchases billed "
        "this month, whose effective cost is spread over the usage they cover; -$33.33 is usage "
        "that commitments covered, whose effective cost carries its share of the commitment; -$6.67 "
        "is unused commitment, whose effective cost carries the share no usage took; and the "
        "rest, +$51.00, is charges whose export gives them an effective cost other than their "
        "billed cost.")


def test_a_store_that_read_null_as_an_account_keeps_its_rows_when_read_again(tmp_path, cfg,
                                                                            monkeypatch):
    """A BillingAccountId written null was the account 'null' in a store of version 7; loaded
    again, the account is no value, so the partition the store records ('null') is not the
    one the file gives now. The rebuild loaded none of the file's rows: $2.50 became $0."""
    p = "null,Cloud,2026-05-01T00:00:00Z,2026-06-01T00:00:00Z,2026-05-02T00:00:00Z,2026-05-03T00:00:00Z"
    f, store = _older_store(tmp_path, cfg, monkeypatch, "7", f"{p},USD,2.50,2.50,3,3,Usage,GPU,r1,vm",
                            *(f"UPDATE {table} SET BillingAccountId = 'null'"  # as version 7 read it
                              for table in ("charges", "file_partitions")))
    rebuild(store, cfg)  # what `workbench ingest --rebuild` does
    with Store(store, cfg, read_only=True) as s:
        assert s.con.execute("SELECT BillingAccountId, BilledCost FROM charges").fetchall() == [
            (None, Decimal("2.5"))]


def test_the_store_says_how_many_warnings_change_a_figure(tmp_path, cfg, monkeypatch):
    """A file's own checks (tags that do not read; its rows kept at full cost) change no
    figure; a copy set aside does: the overview names a warning as the one that matters most
    to the figures only when one does."""
    _real_reader(monkeypatch)
    folder = tmp_path / "in"
    frame_file(folder, "a-tags", [{"Tags": '{"team": "ml"'}] * 3)
    with Store(str(tmp_path / "s.duckdb"), cfg) as s:
        s.ingest([str(folder)])
        assert s.load_warnings() and s.figure_warnings() == 0
    (folder / "b-copy.parquet").write_bytes((folder / "a-tags.parquet").read_bytes())
    with Store(str(tmp_path / "t.duckdb"), cfg) as s:
        s.ingest([str(folder)])
        assert "loaded once" in s.load_warnings()[0] and s.figure_warnings() == 1
