"""workbench.sample: the bundled AI-company dataset and the streamed benchmark export."""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from workbench import cli
from workbench.config import WORKLOAD_CLASSES
from workbench.errors import WorkbenchError
from workbench.sample import generate, write_bench_csv, write_sample
from workbench.sample import large as large_mod
from workbench.sample.company import LEXICA_PRICES, ORG
from workbench.sample.writer import to_arrow
from workbench.schema import FOCUS_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "data" / "sample"
SMALL = dict(months=3, end="2026-10", seed=3)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    manifest = write_sample(out, **SMALL)
    return out, manifest


@pytest.fixture(scope="module")
def committed():
    manifest = json.loads((COMMITTED / "manifest.json").read_text())
    return COMMITTED, manifest


def _con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _rows(folder: Path, sql: str) -> list[tuple]:
    glob = (folder / "focus" / "*" / "*.parquet").as_posix()
    return _con().execute(sql.replace("FOCUS", f"read_parquet('{glob}')")).fetchall()


def _planted(folder: Path) -> dict:
    return json.loads((folder / "planted.json").read_text())


# -- determinism ---------------------------------------------------------------------------

def test_same_seed_and_end_give_identical_frames():
    a, b = generate(**SMALL), generate(**SMALL)
    pd.testing.assert_frame_equal(a.focus, b.focus)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.planted == b.planted


def test_another_seed_gives_other_numbers_same_shape():
    a, b = generate(**SMALL), generate(months=3, end="2026-10", seed=4)
    for col in ("ServiceName", "SubAccountId", "SkuId"):  # fleet sizes may differ, the company does not
        assert set(a.focus[col].dropna()) == set(b.focus[col].dropna())
    assert a.focus["EffectiveCost"].sum() != b.focus["EffectiveCost"].sum()


# -- shape ---------------------------------------------------------------------------------

def test_one_file_per_provider_and_month(small):
    out, manifest = small
    files = sorted(p.relative_to(out).as_posix() for p in (out / "focus").glob("*/*.parquet"))
    months = ["2026-08", "2026-09", "2026-10"]
    assert files == [f"focus/{p}/{m}.parquet" for p in ("aws", "azure", "gcp", "lexica") for m in months]
    assert manifest["seed"] == 3 and manifest["end"] == "2026-10" and manifest["months"] == 3


def test_columns_and_types_are_focus(small):
    out, _ = small
    schema = pq.read_schema(next((out / "focus" / "aws").glob("*.parquet")))
    assert schema.names == list(FOCUS_COLUMNS)
    for col in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        assert str(schema.field(col).type) == "decimal128(38, 10)"
    assert str(schema.field("ChargePeriodStart").type) == "timestamp[us, tz=UTC]"


def test_providers_categories_and_workloads(small):
    out, _ = small
    providers = {r[0] for r in _rows(out, "SELECT DISTINCT ServiceProviderName FROM FOCUS")}
    assert providers == {"AWS", "Microsoft", "Google Cloud", "Lexica AI"}
    assert _rows(out, "SELECT count(*) FROM FOCUS WHERE ProviderName IS DISTINCT FROM ServiceProviderName "
                      "OR HostProviderName IS NULL OR InvoiceId IS NULL")[0][0] == 0
    cats = {r[0] for r in _rows(out, "SELECT DISTINCT ServiceCategory FROM FOCUS")}
    assert {"AI and Machine Learning", "Compute", "Storage", "Networking", "Databases", "Analytics",
            "Management and Governance"} <= cats
    workloads = {r[0] for r in _rows(out, "SELECT DISTINCT json_extract_string(Tags, '$.workload') FROM FOCUS")}
    assert set(WORKLOAD_CLASSES) <= workloads
    meters = {r[0] for r in _rows(out, "SELECT DISTINCT SkuMeter FROM FOCUS WHERE ProviderName = 'Lexica AI'")}
    assert {"Input Tokens", "Output Tokens", "Embedding Tokens"} <= meters
    pricing = {r[0] for r in _rows(out, "SELECT DISTINCT PricingCategory FROM FOCUS WHERE ChargeCategory = 'Usage'")}
    assert pricing == {"Standard", "Dynamic", "Committed"}
    envs = {r[0] for r in _rows(out, "SELECT DISTINCT json_extract_string(Tags, '$.environment') FROM FOCUS")}
    assert {"prod", "staging", "dev", "sandbox"} <= envs


def test_daily_charge_periods_in_utc(small):
    out, _ = small
    bad = _rows(out, "SELECT count(*) FROM FOCUS WHERE ChargeCategory = 'Usage' AND "
                     "(ChargePeriodEnd - ChargePeriodStart <> INTERVAL 1 DAY "
                     "OR hour(timezone('UTC', ChargePeriodStart)) <> 0)")
    assert bad[0][0] == 0


# -- money ---------------------------------------------------------------------------------

def _check_commitments(out: Path) -> int:
    rows = _rows(out, """
        SELECT CommitmentDiscountId,
               sum(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus IN ('Used', 'Unused')),
               sum(BilledCost) FILTER (WHERE ChargeCategory = 'Purchase')
        FROM FOCUS WHERE CommitmentDiscountId IS NOT NULL GROUP BY 1""")
    for cid, amortized, purchased in rows:
        assert purchased > 0, cid
        assert amortized == purchased, cid  # exact: DECIMAL(38, 10) end to end
    return len(rows)


def test_commitment_amortization_balances_exactly(small, committed):
    assert _check_commitments(small[0]) == 3  # the upfront RI does not fit three months
    assert _check_commitments(committed[0]) == 4


@pytest.mark.parametrize("which", ["small", "committed"])
def test_focus_cost_invariants(which, request):
    out = request.getfixturevalue(which)[0]
    checks = {
        "covered usage bills nothing": "CommitmentDiscountStatus = 'Used' AND BilledCost <> 0",
        "covered usage is Committed": "CommitmentDiscountStatus = 'Used' AND PricingCategory <> 'Committed'",
        "unused is Usage with cost": "CommitmentDiscountStatus = 'Unused' AND "
                                     "(ChargeCategory <> 'Usage' OR EffectiveCost <= 0)",
        "purchases are amortized": "ChargeCategory = 'Purchase' AND (EffectiveCost <> 0 OR BilledCost <= 0)",
        "credits are effective as billed": "ChargeCategory = 'Credit' AND "
                                           "(EffectiveCost <> BilledCost OR BilledCost >= 0)",
        "list >= contracted >= effective": "ChargeCategory = 'Usage' AND ChargeClass IS NULL AND "
                                           "CommitmentDiscountStatus IS DISTINCT FROM 'Unused' AND "
                                           "NOT (ListCost >= ContractedCost AND ContractedCost >= EffectiveCost)",
        "billed equals effective without commitment": "CommitmentDiscountId IS NULL AND "
                                                      "EffectiveCost <> BilledCost",
    }
    for name, cond in checks.items():
        assert _rows(out, f"SELECT count(*) FROM FOCUS WHERE {cond}")[0][0] == 0, name
    kinds = {r[0] for r in _rows(out, "SELECT DISTINCT ChargeCategory FROM FOCUS")}
    assert kinds == {"Usage", "Purchase", "Credit", "Adjustment", "Tax"}
    fixes = _rows(out, "SELECT count(*) FROM FOCUS WHERE ChargeClass = 'Correction' "
                       "AND ChargePeriodStart < BillingPeriodStart AND BilledCost < 0")
    assert fixes[0][0] == 1


@pytest.mark.parametrize("which", ["small", "committed"])
def test_file_totals_are_exact_and_one_currency_per_account(which, request):
    out, manifest = request.getfixturevalue(which)
    grand: dict[str, Decimal] = {}
    for rel, info in manifest["files"].items():
        if not rel.endswith(".parquet"):
            continue
        got = _con().execute(
            "SELECT BillingCurrency, sum(BilledCost), sum(EffectiveCost), count(DISTINCT BillingAccountId) "
            f"FROM read_parquet('{(out / rel).as_posix()}') GROUP BY 1").fetchall()
        assert {c: {"billed_cost": b, "effective_cost": e} for c, b, e, _ in got} == \
            {c: {k: Decimal(v) for k, v in t.items()} for c, t in info["totals"].items()}, rel
        assert all(n == 1 for *_, n in got), rel  # each currency is one billing account
        for c, b, _, _ in got:
            grand[c] = grand.get(c, Decimal(0)) + b
    assert grand == {c: Decimal(t["billed_cost"]) for c, t in manifest["totals"].items()}
    assert set(grand) == {"USD", "EUR"}


def test_token_spend_is_tokens_times_price(small):
    out, _ = small
    drivers = pd.read_csv(out / "drivers.csv")
    rows = _rows(out, """SELECT ResourceName, SkuMeter, sum(ConsumedQuantity), sum(PricingQuantity),
                                count(*) FILTER (WHERE ListCost <> CAST(PricingQuantity AS DECIMAL(38,10)) * ListUnitPrice)
                         FROM FOCUS WHERE ProviderName = 'Lexica AI' AND ChargeCategory = 'Usage'
                         GROUP BY 1, 2""")
    billed = {(name, meter): (tokens, mtok, wrong) for name, meter, tokens, mtok, wrong in rows}
    assert all(wrong == 0 for *_, wrong in billed.values())
    assert all(tokens == pytest.approx(mtok * 1e6) for tokens, mtok, _ in billed.values())
    app_rows = drivers[(drivers["application"] == "assistant")]
    assert app_rows["input_tokens"].sum() == billed[("assistant-chat-api", "Input Tokens")][0]
    assert app_rows["output_tokens"].sum() == billed[("assistant-chat-api", "Output Tokens")][0]
    doc = drivers[drivers["application"] == "doc-intelligence"]
    assert doc["input_tokens"].sum() == billed[("docai-batch-extractor", "Input Tokens")][0]
    prices = {p for m in LEXICA_PRICES.values() for p in m.values()}
    listed = {float(r[0]) for r in _rows(out, "SELECT DISTINCT ListUnitPrice FROM FOCUS WHERE ProviderName = 'Lexica AI' "
                                               "AND ChargeCategory = 'Usage'")}
    assert listed <= prices


def test_tag_hygiene_share(committed):
    out, _ = committed
    (share,) = _rows(out, """SELECT sum(EffectiveCost) FILTER (WHERE Tags IS NULL OR json_extract_string(Tags, '$.team') IS NULL)
                              / sum(EffectiveCost) FROM FOCUS WHERE ChargeCategory = 'Usage'""")[0]
    assert Decimal("0.10") <= share <= Decimal("0.25")
    unknown = _rows(out, "SELECT count(*) FROM FOCUS WHERE json_extract_string(Tags, '$.team') = 'growth-lab'")
    assert unknown[0][0] > 0 and "growth-lab" not in ORG
    mis = _rows(out, "SELECT count(*) FROM FOCUS WHERE json_extract_string(Tags, '$.Team') IS NOT NULL")
    assert mis[0][0] > 0


# -- planted situations --------------------------------------------------------------------

@pytest.mark.parametrize("which", ["small", "committed"])
def test_every_planted_situation_is_in_the_data(which, request):
    out, _ = request.getfixturevalue(which)
    planted = _planted(out)
    kinds = {s["kind"] for s in planted["situations"]}
    assert {"idle-gpu", "cost-anomaly", "orphaned-storage", "stale-sandbox", "on-demand-could-be-spot",
            "commitment-expiring", "commitment-underused", "correction", "refund"} <= kinds
    tel = pd.read_csv(out / "telemetry.csv")
    drivers = pd.read_csv(out / "drivers.csv")
    window_end = date.fromisoformat(planted["window"]["end"])
    for s in planted["situations"]:
        k = s["kind"]
        if k == "idle-gpu":
            t = tel[(tel["resource_id"] == s["resource_id"]) & (tel["date"] >= s["start"])]
            assert len(t) == s["days"] >= 21 and t["gpu_utilization_pct"].max() < 10
            days = _rows(out, f"SELECT count(DISTINCT ChargePeriodStart) FROM FOCUS WHERE ResourceId = '{s['resource_id']}' "
                              f"AND ChargePeriodStart >= TIMESTAMPTZ '{s['start']} 00:00:00+00'")[0][0]
            assert days == s["days"]
        elif k == "cost-anomaly":
            base = Decimal(s["baseline_daily_effective_cost"])
            first = s["dates"][0]
            assert Decimal(s["effective_cost_by_day"][first]) > 4 * base
            d = drivers[(drivers["application"] == "doc-intelligence")].set_index("date")
            week_before = d.loc[:first].iloc[-8:-1]
            assert d.loc[first, "documents_processed"] < 1.5 * week_before["documents_processed"].max()
            assert d.loc[first, "input_tokens"] > 4 * week_before["input_tokens"].median()
        elif k == "orphaned-storage":
            for r in s["resources"]:
                assert Decimal(r["last_month_effective_cost"]) > 0
                if r["parent_last_seen"]:
                    later = _rows(out, "SELECT count(*) FROM FOCUS WHERE ResourceName LIKE 'llm-train-legacy-_' "
                                       f"AND ChargePeriodStart > TIMESTAMPTZ '{r['parent_last_seen']} 00:00:00+00'")
                    assert later[0][0] == 0
            parents = _rows(out, "SELECT count(*) FROM FOCUS WHERE ResourceName LIKE 'llm-train-legacy-_' "
                                 "AND ChargePeriodStart >= (SELECT max(ChargePeriodStart) FROM FOCUS) - INTERVAL 30 DAY")
            assert parents[0][0] == 0
        elif k == "stale-sandbox":
            for r in s["resources"]:
                rid = r["resource_id"]
                assert tel[tel["resource_id"] == rid]["gpu_utilization_pct"].max() < 8
                env = _rows(out, f"SELECT DISTINCT ResourceName, SubAccountName FROM FOCUS WHERE ResourceId = '{rid}'")
                assert all("sandbox" in (a + b) for a, b in env)
        elif k == "on-demand-could-be-spot":
            ids = ", ".join(f"'{i}'" for i in s["resource_ids"])
            pc = {r[0] for r in _rows(out, f"SELECT DISTINCT PricingCategory FROM FOCUS WHERE ResourceId IN ({ids})")}
            assert pc == {"Standard"} and Decimal(s["potential_savings"]) > 0
            spot = _rows(out, "SELECT count(*) FROM FOCUS WHERE PricingCategory = 'Dynamic' AND "
                              "json_extract_string(Tags, '$.checkpointing') = 'enabled'")
            assert spot[0][0] > 0
        elif k == "commitment-expiring":
            expires = date.fromisoformat(s["expires"])
            assert window_end < expires <= window_end + timedelta(days=92)
            last = _rows(out, f"SELECT max(ChargePeriodStart) FROM FOCUS WHERE CommitmentDiscountId = '{s['commitment_id']}' "
                              "AND ChargeCategory = 'Purchase'")[0][0]
            assert last.date() >= window_end - timedelta(days=31)
        elif k == "commitment-underused":
            n = _rows(out, f"SELECT sum(EffectiveCost) FROM FOCUS WHERE CommitmentDiscountId = '{s['commitment_id']}' "
                           "AND CommitmentDiscountStatus = 'Unused'")[0][0]
            assert n == Decimal(s["unused_effective_cost"]).quantize(Decimal("0.01")) or \
                n.quantize(Decimal("0.01")) == Decimal(s["unused_effective_cost"])
        elif k == "correction":
            fix = _rows(out, "SELECT ResourceId, BilledCost FROM FOCUS WHERE ChargeClass = 'Correction'")
            assert fix[0][0] == s["resource_id"] and fix[0][1] == Decimal(s["amount"])


def test_planted_events_move_the_drivers(committed):
    out, _ = committed
    planted = _planted(out)
    ev = {e["id"]: e["date"] for e in planted["events"]}
    d = pd.read_csv(out / "drivers.csv")
    a = d[d["application"] == "assistant"].set_index("date")
    before = a.loc[:ev["product-launch"]].iloc[-29:-1]["requests"].mean()
    after = a.loc[ev["product-launch"]:].iloc[1:29]["requests"].mean()
    assert after > 1.4 * before
    per_req = a["output_tokens"] / a["requests"]
    assert per_req.loc[ev["model-refresh"]:].iloc[1:15].mean() > 1.5 * per_req.loc[:ev["model-refresh"]].iloc[-15:-1].mean()


# -- the committed sample ------------------------------------------------------------------

def test_committed_sample_is_what_the_generator_writes(committed):
    out, manifest = committed
    s = generate(months=manifest["months"], end=manifest["end"], seed=manifest["seed"])
    month = s.focus["BillingPeriodStart"].dt.strftime("%Y-%m")
    seen = set()
    for (folder, m), g in s.focus.groupby(["folder", month]):
        rel = f"focus/{folder}/{m}.parquet"
        seen.add(rel)
        assert pq.read_table(out / rel).equals(to_arrow(g)), rel
    assert seen == {k for k in manifest["files"] if k.endswith(".parquet")}
    for name, frame in s.tables.items():
        assert (out / f"{name}.csv").read_text() == frame.to_csv(index=False, lineterminator="\n"), name
    planted = _planted(out)
    assert {k: planted[k] for k in s.planted} == json.loads(json.dumps(s.planted))


def test_committed_sample_is_small(committed):
    out, _ = committed
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert size < 20 * 1024 * 1024


@pytest.mark.parametrize("which", ["small", "committed"])
def test_validator_finds_nothing(which, request):
    focus = pytest.importorskip("workbench.focus")
    out, _ = request.getfixturevalue(which)
    reports = focus.validate([str(out / "focus")])
    assert len(reports) == len(list((out / "focus").glob("*/*.parquet")))
    for r in reports:
        assert r.ok and not r.errors and not r.warnings, (r.path, r.errors[:3], r.warnings[:3])


# -- the benchmark export ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["focus.csv", "focus.csv.gz"])
def test_bench_csv_streams_chunks_of_the_same_shape(tmp_path, monkeypatch, name):
    monkeypatch.setattr(large_mod, "CHUNK", 700)  # several chunks on a small file
    path = write_bench_csv(tmp_path / name, 2_000, seed=5, end="2026-10")
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt") as fh:
        header = fh.readline().strip().replace('"', "").split(",")
        lines = sum(1 for _ in fh)
    assert header == list(FOCUS_COLUMNS) and lines == 2_000
    con = _con()
    got = con.execute(f"""SELECT count(*), count(DISTINCT ServiceProviderName), min(ChargePeriodStart),
                                 count(*) FILTER (WHERE json_valid(Tags)),
                                 count(*) FILTER (WHERE EffectiveCost > ListCost)
                          FROM read_csv('{path.as_posix()}', all_varchar = true)""").fetchall()[0]
    assert got[0] == 2_000 and got[1] == 4 and got[2].endswith("T00:00:00Z") and got[3] == 2_000
    again = write_bench_csv(tmp_path / ("again-" + name), 2_000, seed=5, end="2026-10")
    assert opener(path, "rb").read() == opener(again, "rb").read()
    focus = pytest.importorskip("workbench.focus")
    (report,) = focus.validate([str(path)])
    assert report.ok and not report.errors, report.errors[:3]


def test_bench_money_text_is_plain_decimal():
    import numpy as np

    text = large_mod.money_text(np.array([0, -5, 123_456_789_012, 10**10, -(10**10) - 1]))
    assert text.to_pylist() == ["0", "-0.0000000005", "12.3456789012", "1", "-1.0000000001"]


# -- command line --------------------------------------------------------------------------

def test_cli_writes_a_sample_and_rejects_bad_arguments(tmp_path, capsys):
    out = tmp_path / "s"
    assert cli.main(["sample", "--out", str(out), "--months", "2", "--end", "2026-03",
                     "--seed", "1"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["end"] == "2026-03" and manifest["months"] == 2
    assert (out / "focus" / "lexica" / "2026-02.parquet").exists()
    # FOCUS files and business files told apart, and where to point ingest
    focus = sorted(p for p in (out / "focus").rglob("*.parquet"))
    assert capsys.readouterr().out.splitlines() == [
        f"wrote {out}: {manifest['rows']:,} FOCUS rows in {len(focus)} FOCUS files under "
        f"{out / 'focus'}, plus 5 business files (drivers, org, budgets, telemetry, quality); "
        "2 months ending 2026-03, seed 1",
        f"load the FOCUS files with: workbench ingest {out / 'focus'}"]
    for argv in (["--end", "2026-13"], ["--months", "1"], ["--rows", "0"], ["--seed", "-1"]):
        with pytest.raises(SystemExit) as exc:  # usage errors, before anything is written
            cli.main(["sample", "--out", str(tmp_path / "x"), *argv])
        err = capsys.readouterr().err.strip()
        assert exc.value.code == 2 and f"argument {argv[0]}: '{argv[1]}' is not " in err
    assert not (tmp_path / "x").exists()
    with pytest.raises(WorkbenchError):
        write_bench_csv(tmp_path / "c.csv", -3)
    (tmp_path / "file").write_text("")
    with pytest.raises(WorkbenchError, match="cannot write"):
        write_bench_csv(tmp_path / "file" / "c.csv", 10)


def test_a_sample_never_writes_over_a_folder_it_did_not_write(tmp_path, capsys):
    """`--out` naming a folder of real exports laid out as the sample's
    (focus/aws/2026-10.parquet, drivers.csv) deleted and replaced them with fictional ones."""
    mine = tmp_path / "finops"
    (mine / "focus" / "aws").mkdir(parents=True)
    (mine / "focus" / "aws" / "2026-10.parquet").write_bytes(b"the real October")
    (mine / "drivers.csv").write_text("month,requests\n")
    assert cli.main(["sample", "--out", str(mine), "--months", "2", "--end", "2026-10"]) == 1
    assert capsys.readouterr().err == (
        f"error: --out: {mine} holds files that `workbench sample` did not write (it has no "
        "sample manifest.json); name a new or empty folder\n")
    assert (mine / "focus" / "aws" / "2026-10.parquet").read_bytes() == b"the real October"
    assert (mine / "drivers.csv").read_text() == "month,requests\n"
    # a sample's own folder is written again: its stale months go, a file put there stays
    out = tmp_path / "s"
    assert cli.main(["sample", "--out", str(out), "--months", "3", "--end", "2026-10"]) == 0
    (out / "notes.txt").write_text("mine")
    assert cli.main(["sample", "--out", str(out), "--months", "2", "--end", "2026-10"]) == 0
    assert sorted(p.name for p in (out / "focus" / "aws").iterdir()) == [
        "2026-09.parquet", "2026-10.parquet"]
    assert (out / "notes.txt").read_text() == "mine"


def test_a_sample_is_written_into_a_folder_holding_only_hidden_files(tmp_path):
    """A new folder the desktop put a .DS_Store in (macOS Finder) was refused
    as one holding files the sample did not write."""
    out = tmp_path / "demo"
    out.mkdir()
    (out / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    assert cli.main(["sample", "--out", str(out), "--months", "2", "--end", "2026-10"]) == 0
    assert (out / "manifest.json").is_file()
    assert (out / ".DS_Store").read_bytes() == b"\0\0\0\1Bud1"

def test_a_bench_csv_whose_name_is_a_folder_is_refused_before_it_is_written(tmp_path, capsys):
    """The export was written in full beside the folder, then the rename failed, and the
    error named the temporary file, which was gone."""
    (tmp_path / "x.csv").mkdir()
    assert cli.main(["sample", "--rows", "20", "--out", str(tmp_path / "x.csv")]) == 1
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'x.csv'}: cannot write: a folder is in the way of this file\n")
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_a_bench_csv_is_not_written_into_a_folder_of_other_exports(tmp_path, capsys):
    """`--rows N --out exports/` wrote focus-N.csv among the real exports (or over one so
    named): the next `ingest exports/` added its fictional charges to the real ones."""
    real = tmp_path / "exports"
    (real / "aws").mkdir(parents=True)
    (real / "aws" / "cur-00001.csv.gz").write_bytes(b"the real October")
    assert cli.main(["sample", "--rows", "20", "--out", str(real)]) == 1
    assert capsys.readouterr().err == (
        f"error: --out: {real} holds exports `workbench sample --rows` did not write "
        f"(aws/cur-00001.csv.gz), which an ingest of it would add its rows to; name a new "
        "folder or a .csv file\n")
    assert sorted(p.name for p in real.rglob("*")) == ["aws", "cur-00001.csv.gz"]
    # a folder of earlier bench exports is written to again
    bench = tmp_path / "bench"
    assert cli.main(["sample", "--rows", "30", "--out", str(bench)]) == 0
    assert cli.main(["sample", "--rows", "20", "--out", str(bench)]) == 0
    assert sorted(p.name for p in bench.iterdir()) == ["focus-20.csv", "focus-30.csv"]

def test_a_bench_csv_named_by_a_symlink_is_written_where_it_leads(tmp_path):
    """The rename into place replaced the link (data/bench/x.csv -> a larger disk) by the
    file itself, where writing through it had filled the file it leads to."""
    (tmp_path / "big").mkdir()
    link = tmp_path / "focus.csv"
    link.symlink_to(tmp_path / "big" / "focus.csv")
    write_bench_csv(link, 20, end="2026-10")
    assert link.is_symlink() and (tmp_path / "big" / "focus.csv").read_text().startswith(
        "\"BillingAccountId\",")
    assert sorted(p.name for p in (tmp_path / "big").iterdir()) == ["focus.csv"]


def test_a_bench_csv_that_cannot_be_finished_names_its_own_file(tmp_path, monkeypatch):
    """A disk that fills up is said of the file asked for, not of the temporary one."""
    from workbench.sample import large

    def full(raw, *_):
        raw.close()
        raise OSError(28, "No space left on device", str(tmp_path / ".c.csv.1.partial"))

    monkeypatch.setattr(large, "_stream", full)
    with pytest.raises(WorkbenchError) as exc:
        write_bench_csv(tmp_path / "c.csv", 10)
    assert exc.value.line() == f"{tmp_path / 'c.csv'}: cannot write: No space left on device"
    assert list(tmp_path.iterdir()) == []


def test_a_bench_csv_stopped_half_way_leaves_no_file_and_an_earlier_one_intact(tmp_path, monkeypatch):
    """Ctrl-C in `workbench sample --rows` left the rows written so far, whole rows with a
    header: a file that reads as a smaller export of the name asked for."""
    from workbench.sample import large

    path = tmp_path / "focus-30.csv"
    path.write_text("an earlier export\n")
    chunk = large._chunk

    def stop_at_the_second(n, seed, k, *rest):
        if k == 1:
            raise KeyboardInterrupt
        return chunk(n, seed, k, *rest)

    monkeypatch.setattr(large, "CHUNK", 10)
    monkeypatch.setattr(large, "_chunk", stop_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        write_bench_csv(path, 30, end="2026-10")
    assert path.read_text() == "an earlier export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["focus-30.csv"]


def test_cli_rows_honour_months(tmp_path, capsys):
    """--rows with --months: the export spans those months (12 without)."""
    for months, end, first in (("3", "2026-03", "2026-01"), (None, "2026-10", "2025-11")):
        path = tmp_path / f"b{months}.csv"
        argv = ["sample", "--rows", "400", "--end", end, "--out", str(path)]
        assert cli.main(argv + (["--months", months] if months else [])) == 0
        got = _con().execute(f"""SELECT min(BillingPeriodStart), max(BillingPeriodStart), count(*)
                                 FROM read_csv('{path.as_posix()}', all_varchar = true)""").fetchone()
        assert got == (f"{first}-01T00:00:00Z", f"{end}-01T00:00:00Z", 400)
        assert capsys.readouterr().out == (f"wrote {path}: 400 FOCUS rows, {months or 12} months "
                                           f"ending {end}, seed 7\n")


def test_default_end_is_the_last_full_month():
    from workbench.sample.timeline import last_full_month

    assert last_full_month(date(2026, 1, 3)) == "2025-12"
    assert last_full_month(date(2026, 11, 30)) == "2026-10"
