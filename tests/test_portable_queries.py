"""The analysis queries run unchanged on Spark (local mode) and give DuckDB's frames exactly.

The store's two query tables are copied to Parquet and registered in a local Spark session
(workbench/spark.py); `Queries` then runs every query of the report and the apps on that backend. Money must
match to the last bit (both engines sum DECIMAL, then convert once), not just approximately.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import Config
from workbench.dimensions import DERIVED_DIMS
from workbench.spark import local_session, queries_on_spark
from workbench.store import Store

# One Spark session: with `pytest -n 2 --dist loadgroup` these tests share a worker.
pytestmark = pytest.mark.xdist_group("spark")

SAMPLE = Path(__file__).parents[1] / "data" / "sample" / "focus"

# Rows the sample lacks: provider-prefixed and blank tag keys, malformed and empty Tags,
# a credit, a half cent, no resource, a currency without minor units.
EDGES = [
    ("user:team", '{"user:team": "search", "aws:createdBy": "x"}', "USD", "10.005", "r-a"),
    ("oci", '{"FinOps.Team": "ads", "k8s.io/environment": "prod"}', "USD", "3.10", "r-b"),
    ("blank", '{"team": " ", "Workload": "Fine_Tuning"}', "USD", "2.00", "r-c"),
    ("empty", "{}", "JPY", "1200", "r-d"),
    ("malformed", '{"team": ', "USD", "4.00", "r-e"),
    ("credit", "", "USD", "-7.25", ""),
    ("both", '{"Model": "tagged-m"}', "USD", "1.00", "r-f"),
    ("allocated", '{"team": "platform", "env": "prod"}', "USD", "5.50", "r-g"),
]
# FOCUS AI model identity: a row without a model tag takes the ModelId of SkuPriceDetails.
SKU_DETAILS = {"oci": '{"ModelFamily": "Solora", "ModelId": "solora-pro-3", "TokenDirection": "Input"}',
               "blank": '{"x_modelId":"tiny-1"}', "empty": '{"ModelFamily": "Solora"}',
               "both": '{"ModelId": "sku-m"}'}  # the model tag wins
# FOCUS 1.3 split cost allocation: the workload's tags come first (a second join on tag_sets).
ALLOCATED = {"allocated": '{"Team": "search", "workload": "batch-inference"}'}


def _edges_csv(path: Path) -> Path:
    cols = ["BillingAccountId", "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart",
            "ChargePeriodEnd", "BillingCurrency", "BilledCost", "EffectiveCost", "ListCost",
            "ContractedCost", "ChargeCategory", "ProviderName", "PublisherName",
            "InvoiceIssuerName", "ServiceCategory", "ServiceName", "ResourceId", "ResourceName",
            "Tags", "SkuPriceDetails", "AllocatedTags"]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for i, (name, tags, cur, cost, rid) in enumerate(EDGES):
            category = "Credit" if cost.startswith("-") else "Usage"
            # the first a day of local time (07:00 UTC): its provider's start is opened
            hour = "07" if i == 0 else "00"
            w.writerow(["edge-acct", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z",
                        f"2026-10-{i + 3:02d}T{hour}:00:00Z", f"2026-10-{i + 4:02d}T{hour}:00:00Z", cur,
                        cost, cost, cost, cost, category, "Edge Cloud", "Edge Cloud", "Edge Cloud",
                        "AI and Machine Learning", "Edge Models", rid, f"{name}-job", tags,
                        SKU_DETAILS.get(name, ""), ALLOCATED.get(name, "")])
    return path


@pytest.fixture(scope="session")
def engines(tmp_path_factory):
    """(DuckDB store, the same queries on Spark) over the sample plus the edge rows.

    Session scope: a worker may run other modules' tests between these, and a module-scoped
    Spark session would then start again (about 13 s) for each run of them."""
    if not shutil.which("java"):
        pytest.fail("Spark needs a Java runtime: make java (installs Debian's default JRE)")

    tmp = tmp_path_factory.mktemp("portable")
    config = Config(root=tmp)
    store = Store(tmp / "store.duckdb", config)
    store.ingest([str(SAMPLE), str(_edges_csv(tmp / "edges.csv"))])
    spark = local_session()
    on_spark = queries_on_spark(store, tmp / "tables", spark)
    yield store, on_spark
    spark.stop()
    store.close()


MONEY = {"billed_cost", "effective_cost", "list_cost", "contracted_cost", "by_day_cost", "cost",
         "purchase_gap", "covered_gap", "unused_gap"}


def _same(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    """Same rows in the same order; money bit for bit, quantities (DOUBLE sums, whose order
    differs between engines) to 12 significant digits."""
    assert len(duck) > 0
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False, rtol=1e-12)
    for c in MONEY & set(duck.columns):
        assert duck[c].tolist() == spark[c].tolist(), c


def test_totals_months_and_coverage_match(engines):
    duck, spark = engines
    _same(duck.totals(), spark.totals())
    assert set(duck.totals().currency) == {"USD", "EUR", "JPY"}
    assert duck.months() == spark.months()
    assert duck.coverage() == spark.coverage()
    _same(duck.provider_coverage(), spark.provider_coverage())  # each provider's own rows
    edge = duck.provider_coverage().set_index("provider").loc["Edge Cloud"]
    assert edge["start"] == pd.Timestamp("2026-10-03")  # opened on both engines
    assert duck.provider_months() == spark.provider_months() != {}


@pytest.mark.parametrize("dim", DERIVED_DIMS)
def test_every_derived_dimension_matches(engines, dim):
    duck, spark = engines
    _same(duck.monthly([dim]), spark.monthly([dim]))


def test_tag_rules_resolve_alike_on_the_edge_rows(engines):
    duck, spark = engines
    frames = [q.monthly(["team", "environment", "workload_class"], start="2026-10",
                        filters={"provider": "Edge Cloud"}) for q in engines]
    _same(*frames)
    got = frames[1].groupby(["team", "currency"]).effective_cost.sum().round(9).to_dict()
    assert got[("search", "USD")] == 15.505 and got[("ads", "USD")] == 3.1  # 10.005 + 5.50 allocated
    assert got[("Unallocated", "JPY")] == 1200
    assert ("platform", "USD") not in got  # the node's own team pays none of the allocated share
    # keys AllocatedTags lacks come from Tags: the node's environment
    assert {(r.team, r.environment, r.workload_class) for r in frames[1].itertuples()
            if r.team == "search" and r.environment == "prod"} == {
        ("search", "prod", "batch-inference")}
    models = [q.monthly(["model"], start="2026-10", filters={"provider": "Edge Cloud"})
              for q in engines]
    _same(*models)
    got = {(r.model, r.currency): r.effective_cost for r in models[1].itertuples()}
    assert got == {("solora-pro-3", "USD"): 3.1, ("tiny-1", "USD"): 2.0, ("tagged-m", "USD"): 1.0,
                   ("Unallocated", "JPY"): 1200.0, ("Unallocated", "USD"): 12.255}  # 10.005 + 4.00 - 7.25 + 5.50, summed exactly


def test_daily_filters_and_resources_match(engines):
    duck, spark = engines
    month = duck.months()[-2]
    for q in (dict(dims=["provider", "ServiceName"]),
              dict(dims=["model"], start=month, filters={"workload_class": ["training", "fine-tuning"]}),
              dict(dims=["team"], cost="BilledCost", end=month)):
        _same(duck.daily(**q), spark.daily(**q))
    _same(duck.resources(month), spark.resources(month))
    _same(duck.resources("2026-10", filters={"provider": "Edge Cloud"}),
          spark.resources("2026-10", filters={"provider": "Edge Cloud"}))
    assert duck.tag_keys() == spark.tag_keys()
    # every key, each spelled as the data spells it most often (the sample's lower-case
    # workload beside the edges' one Workload), by the same patterns on both engines
    every = duck.tag_keys(limit=100)
    assert every == spark.tag_keys(limit=100)
    assert {"FinOps.Team", "aws:createdBy", "workload"} <= set(every) and "Workload" not in every
