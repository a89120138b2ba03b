"""Property tests for workbench.store: money is conserved, re-ingest is a no-op, queries reconcile."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_store import (  # noqa: F401
    REAL_DISCOVER,
    REAL_SCAN,
    exact_totals,
    frame_file,
    frames_reader,
    store_totals,
)

from workbench import store as store_mod
from workbench.config import Config
from workbench.store import Store

SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

money = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4,
                    allow_nan=False, allow_infinity=False)
row = st.fixed_dictionaries({
    "BilledCost": money, "EffectiveCost": money,
    "BillingCurrency": st.sampled_from(["USD", "EUR", "JPY"]),
    "BillingAccountId": st.sampled_from(["a1", "a2"]),
    "BillingPeriodStart": st.sampled_from(["2026-04-01", "2026-05-01"]),
    "ChargePeriodStart": st.sampled_from(["2026-04-10", "2026-05-02", "2026-05-31"]),
    "Tags": st.sampled_from(['{}', '{"Team": "x"}', '{"team": "y", "ENV": "prod"}', '{"team": ""}']),
    "ServiceName": st.sampled_from(["None", "GPU", "LLM API"]),
    "ResourceId": st.sampled_from(["None", "r1", "r2"]),
})
files = st.lists(st.lists(row, min_size=1, max_size=12), min_size=1, max_size=3)


def _write(folder: Path, batches: list[list[dict]], parts: bool = True) -> list[Path]:
    """One file per batch. As `parts` of one export, files hold different charges (here:
    different resources); otherwise they may repeat each other's charges."""
    out = []
    for i, rows in enumerate(batches):
        text = [{**r, "BilledCost": format(r["BilledCost"], "f"),
                 "EffectiveCost": format(r["EffectiveCost"], "f"),
                 "ChargePeriodEnd": END[r["ChargePeriodStart"]],
                 "ResourceId": f"{r['ResourceId']}-{i}" if parts else r["ResourceId"]}
                for r in rows]
        out.append(frame_file(folder, f"f{i}", text))
    return out


END = {"2026-04-10": "2026-04-11", "2026-05-02": "2026-05-03", "2026-05-31": "2026-06-01"}
# The frames reader of test_store, and the real one on either path (the files are Parquet
# with costs as text, which the real reader converts exactly).
READERS = ("frames", "fast", "precise")


@contextlib.contextmanager
def reader(name: str):
    with pytest.MonkeyPatch.context() as mp:
        if name != "frames":
            mp.setattr(store_mod, "scan_file", REAL_SCAN)
            mp.setattr(store_mod, "discover", REAL_DISCOVER)
            mp.setattr(Store, "fast_path", name == "fast")
        yield


@pytest.mark.parametrize("path", READERS)
@SETTINGS
@given(batches=files)
def test_ingest_preserves_totals_per_currency_and_reingest_changes_nothing(path, batches):
    with tempfile.TemporaryDirectory() as tmp, reader(path):
        paths = _write(Path(tmp), batches)
        # Files with identical content in one delivery are loaded once (documented rule).
        unique = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in paths}
        expected = exact_totals(list(unique.values()))
        with Store(":memory:", Config(root=Path(tmp))) as s:
            res = s.ingest([str(p) for p in paths])
            if path != "frames":
                assert {f["reader"] for f in res.files} == {path}
            assert store_totals(s) == expected  # exact, Decimal against Decimal
            first = s.totals()
            by_cur = first.groupby("currency")[["billed_cost", "effective_cost"]].sum()
            for cur, (billed, effective) in expected.items():
                assert abs(by_cur.loc[cur, "billed_cost"] - float(billed)) < 0.005
                assert abs(by_cur.loc[cur, "effective_cost"] - float(effective)) < 0.005
            s.ingest([str(p) for p in paths])
            assert store_totals(s) == expected
            assert s.totals().equals(first)


@pytest.mark.parametrize("path", ("frames", "fast"))
@SETTINGS
@given(rows=st.lists(row, min_size=1, max_size=12), cut=st.integers(0, 11))
def test_an_older_copy_beside_a_newer_one_is_loaded_once(path, rows, cut):
    """An early run of an export (some of the rows) kept beside the final run counts once:
    the totals are the final run's, to the cent."""
    with tempfile.TemporaryDirectory() as tmp, reader(path):
        final = _write(Path(tmp) / "run-2", [rows])[0]
        early = _write(Path(tmp) / "run-1", [rows[:cut + 1]])[0]
        os.utime(early, ns=(final.stat().st_mtime_ns - 10**9,) * 2)
        with Store(":memory:", Config(root=Path(tmp))) as s:
            res = s.ingest([str(early), str(final)])
            assert store_totals(s) == exact_totals([final])
            same = early.read_bytes() == final.read_bytes()
            assert same or any(w.startswith(f"{early}: an older copy of") for w in res.warnings)


@pytest.mark.parametrize("path", READERS)
@SETTINGS
@given(batches=files, dims=st.lists(st.sampled_from(
    ["team", "environment", "ServiceName", "ResourceId", "workload_class", "tagged", "provider"]),
    max_size=3, unique=True))
def test_query_totals_equal_store_totals(path, batches, dims):
    with tempfile.TemporaryDirectory() as tmp, reader(path):
        paths = _write(Path(tmp), batches)
        with Store(":memory:", Config(root=Path(tmp))) as s:
            s.ingest([str(p) for p in paths])
            exact = store_totals(s)
            monthly = s.monthly(dims).groupby("currency")["effective_cost"].sum()
            daily = s.daily(dims, cost="BilledCost").groupby("currency")["cost"].sum()
            res = [s.resources(m) for m in s.months()]
            for cur, (billed, effective) in exact.items():
                assert monthly[cur] == pytest.approx(float(effective), abs=0.005)
                assert daily[cur] == pytest.approx(float(billed), abs=0.005)
                assert sum(r[r.currency == cur].effective_cost.sum() for r in res) == pytest.approx(
                    float(effective), abs=0.005)


@pytest.mark.parametrize("path", ("frames", "fast"))
@SETTINGS
@given(rows=st.lists(row, min_size=2, max_size=40, unique_by=lambda r: r["BilledCost"]),
       cuts=st.lists(st.integers(1, 39), min_size=1, max_size=3, unique=True))
def test_parts_of_one_export_are_all_loaded_whatever_charges_they_repeat(path, rows, cuts):
    """One export split into parts in one folder, its rows free to repeat one another's
    charges but for their amounts (tiered pricing, rows that differ in x_ columns): every
    part is loaded, every cent counted."""
    # One resource, one service, no tags: rows of a day and currency are one charge.
    rows = [{**r, "Tags": "{}", "ServiceName": "GPU", "ResourceId": "r1"} for r in rows]
    bounds = [0, *sorted(c for c in cuts if c < len(rows)), len(rows)]
    batches = [rows[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    with tempfile.TemporaryDirectory() as tmp, reader(path):
        paths = _write(Path(tmp) / "export", batches, parts=False)
        with Store(":memory:", Config(root=Path(tmp))) as s:
            res = s.ingest([str(Path(tmp) / "export")])
            assert not [w for w in res.warnings if "copy" in w] and res.rows == len(rows)
            assert store_totals(s) == exact_totals(paths)


@pytest.mark.parametrize("path", ("frames", "fast"))
@SETTINGS
@given(batches=files, together=st.booleans())
def test_one_bill_under_a_renamed_issuer_counts_once(path, batches, together):
    """An export without InvoiceIssuerName and its re-export that names the issuer (the same
    rows): counted once, to the cent, loaded in one delivery or one after the other; a
    marketplace seller's charges, another bill of the same accounts, are all kept."""
    with tempfile.TemporaryDirectory() as tmp, reader(path):
        old = _write(Path(tmp) / "old", batches)
        seller = [{**r, "ServiceProviderName": "Seller", "ServiceName": "Model API"}
                  for r in batches[0]]
        old.append(frame_file(Path(tmp) / "old", "seller", seller))
        renamed = [[{**r, "InvoiceIssuerName": "Cloud Inc."} for r in rows] for rows in batches]
        new = _write(Path(tmp) / "new", renamed)
        for p in new:
            os.utime(p, ns=(old[0].stat().st_mtime_ns + 10**9,) * 2)
        expected = exact_totals([*new, old[-1]])
        with Store(":memory:", Config(root=Path(tmp))) as s:
            if together:
                s.ingest([str(p) for p in old + new])
            else:
                s.ingest([str(p) for p in old])
                s.ingest([str(p) for p in new])
            assert store_totals(s) == expected
