"""Copies of one billing period in one delivery: told from parts, the newest kept once."""

from __future__ import annotations

import json
import os
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_store import BASE, _real_reader, exact_totals, frame_file, frames_reader, store_totals  # noqa: F401

from workbench.config import Config
from workbench.snapshots import FileSide, Run, Superseded, run_of, superseded
from workbench.store import Store

MAY_20, MAY_31 = datetime(2026, 5, 20), datetime(2026, 6, 1)


def side(path: str, charges: int, end=MAY_31, mtime: int = 0) -> FileSide:
    return FileSide(path, charges, end, mtime)


def test_parts_of_one_export_are_all_kept():
    files = [side("run/part-1", 500), side("run/part-2", 480), side("run/part-3", 20)]
    assert superseded(files, {("run/part-1", "run/part-2"): 3}) == {}


def test_an_earlier_run_gives_way_to_the_run_that_reaches_further():
    files = [side("run-b/part-1", 300, MAY_20, mtime=9), side("run-a/part-1", 500, MAY_31)]
    assert superseded(files, {("run-a/part-1", "run-b/part-1"): 290}) == {
        "run-b/part-1": Superseded(["run-a/part-1"], 290, 300)}


def test_runs_in_several_parts_are_compared_with_all_newer_parts():
    # Each part of the early run shares less than half its charges with any one part of the
    # late run, but nearly all of them with the late run's parts together.
    files = [side("early/p1", 100, MAY_20), side("early/p2", 100, MAY_20),
             side("late/p1", 150), side("late/p2", 150)]
    shared = {("early/p1", "late/p1"): 45, ("early/p1", "late/p2"): 40,
              ("early/p2", "late/p1"): 45, ("early/p2", "late/p2"): 45}
    assert superseded(files, shared) == {"early/p1": Superseded(["late/p1", "late/p2"], 85, 100),
                                         "early/p2": Superseded(["late/p1", "late/p2"], 90, 100)}


def test_two_refreshes_in_parts_in_one_folder():
    files = [side("d/a-1", 100, MAY_20, mtime=1), side("d/a-2", 100, MAY_20, mtime=1),
             side("d/b-1", 150, mtime=2), side("d/b-2", 150, mtime=2)]
    shared = {("d/a-1", "d/b-1"): 45, ("d/a-1", "d/b-2"): 45,
              ("d/a-2", "d/b-1"): 45, ("d/a-2", "d/b-2"): 45}
    assert set(superseded(files, shared)) == {"d/a-1", "d/a-2"}


def test_copies_in_one_folder():
    files = [side("dl/export.csv", 100, mtime=1), side("dl/export (1).csv", 100, mtime=2),
             side("dl/other-account-part.csv", 50)]
    assert superseded(files, {("dl/export (1).csv", "dl/export.csv"): 100}) == {
        "dl/export.csv": Superseded(["dl/export (1).csv"], 100, 100)}


def test_a_full_month_rerun_gives_way_to_the_later_file_then_the_greater_path():
    files = [side("a/x", 10, mtime=5), side("b/x", 10, mtime=7)]
    assert superseded(files, {("a/x", "b/x"): 10}) == {"a/x": Superseded(["b/x"], 10, 10)}
    files = [side("a/x", 10, mtime=7), side("b/x", 10, mtime=7)]
    assert superseded(files, {("a/x", "b/x"): 10}) == {"a/x": Superseded(["b/x"], 10, 10)}


def test_a_closed_month_rerun_is_ordered_by_its_run_record_before_file_times():
    files = [FileSide("a/x", 10, MAY_31, 9, datetime(2026, 6, 3)),
             FileSide("b/x", 10, MAY_31, 1, datetime(2026, 6, 5))]
    assert superseded(files, {("a/x", "b/x"): 10}) == {"a/x": Superseded(["b/x"], 10, 10)}


def test_run_of_reads_azures_manifest(tmp_path):
    run = tmp_path / "20260603" / "guid"
    run.mkdir(parents=True)
    part = run / "part_0_0001.csv"
    assert run_of(part) is None  # no manifest
    (run / "manifest.json").write_text(
        '\ufeff{"runInfo": {"submittedTime": "2026-06-03T18:33:03.1032074Z"}}', "utf-8")
    assert run_of(part) == Run((), "", datetime(2026, 6, 3, 18, 33, 3, 103207))
    (run / "manifest.json").write_text(json.dumps({
        "exportConfig": {"exportName": "focus-daily", "resourceId": "/billingAccounts/1",
                         "type": "FocusCost"},
        "runInfo": {"submittedTime": "2026-06-03T20:00:00+02:00", "runId": "r-7"}}))
    assert run_of(part) == Run(("focus-daily", "/billingAccounts/1", "FocusCost"), "r-7",
                               datetime(2026, 6, 3, 18, 0))
    for bad in ("{", '{"runInfo": 3}', "[]", '{"runInfo": {}, "exportConfig": 5}'):
        (run / "manifest.json").write_text(bad)
        assert run_of(part) is None, bad
    (run / "manifest.json").write_text('{"runInfo": {"submittedTime": "soon"}}')
    assert run_of(part) == Run((), "", None)


def test_runs_of_one_export_keep_the_run_submitted_last_whatever_they_share():
    """Tag inheritance or a reservation applied after the fact changes most charges of the
    later run: by content it would be another part, but the manifest says it is a run."""
    export = ("focus", "/billingAccounts/1", "FocusCost")
    early = Run(export, "run-1", datetime(2026, 5, 21))
    late = Run(export, "run-2", datetime(2026, 5, 28))
    other = Run(("focus", "/subscriptions/2", "FocusCost"), "run-9", datetime(2026, 5, 2))
    files = [FileSide("r1/part_1", 100, MAY_20, 9, early.submitted, early),
             FileSide("r1/part_2", 80, MAY_20, 9, early.submitted, early),
             FileSide("r2/part_1", 150, MAY_31, 1, late.submitted, late),
             FileSide("r9/part_1", 40, MAY_31, 1, other.submitted, other),
             side("hand/extra.csv", 10)]
    assert superseded(files, {("r1/part_1", "r2/part_1"): 3}) == {
        "r1/part_1": Superseded(["r2/part_1"], None, 100),
        "r1/part_2": Superseded(["r2/part_1"], None, 80)}
    # parts of one run that share most charges (rows that differ in x_ columns) are parts
    both = [FileSide("r2/part_1", 100, MAY_31, 1, late.submitted, late),
            FileSide("r2/part_2", 100, MAY_31, 2, late.submitted, late)]
    assert superseded(both, {("r2/part_1", "r2/part_2"): 100}) == {}


def test_little_in_common_is_not_a_copy():
    files = [side("a/x", 100), side("b/x", 100, mtime=1)]
    assert superseded(files, {("a/x", "b/x"): 49}) == {}
    assert superseded(files, {("a/x", "b/x"): 50}) != {}


def test_copies_of_copies_keep_only_the_newest():
    files = [side("d1/x", 10, datetime(2026, 5, 5)), side("d2/x", 20, MAY_20), side("d3/x", 30)]
    shared = {("d1/x", "d2/x"): 10, ("d1/x", "d3/x"): 10, ("d2/x", "d3/x"): 20}
    assert set(superseded(files, shared)) == {"d1/x", "d2/x"}


def _runs(tmp_path):
    day = [{"ChargePeriodStart": f"2026-05-{d:02d}", "ChargePeriodEnd": f"2026-05-{d + 1:02d}",
            "ResourceId": r, "BilledCost": f"{d}.{i}1", "EffectiveCost": f"{d}.{i}1"}
           for d in range(1, 29) for i, r in enumerate(("gpu-1", "llm-api", "bucket"))]
    # Run 1 saw 19 days; by run 2 the provider had restated some of them (other amounts).
    early = [dict(r, BilledCost="7.77") if r["ResourceId"] == "bucket" else r for r in day[:57]]
    june = [{"BillingPeriodStart": "2026-06-01", "ChargePeriodStart": "2026-06-02",
             "ChargePeriodEnd": "2026-06-03", "BilledCost": "5", "EffectiveCost": "5"}]
    run1 = frame_file(tmp_path / "exp" / "run-1", "part_0", early)
    run2a = frame_file(tmp_path / "exp" / "run-2", "part_0", day[:40])
    run2b = frame_file(tmp_path / "exp" / "run-2", "part_1", day[40:])
    other = frame_file(tmp_path / "exp" / "run-1", "june", june)
    os.utime(run1, ns=(run2a.stat().st_mtime_ns + 10**9,) * 2)  # copied later: still older data
    return run1, run2a, run2b, other


def test_an_export_folder_with_two_runs_counts_the_period_once(tmp_path):
    run1, run2a, run2b, other = _runs(tmp_path)
    with Store(tmp_path / "s.duckdb", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "exp")])
        assert store_totals(s) == exact_totals([run2a, run2b, other])
        # Run 2 restated 19 of the 57 charges' amounts: they are still the same charges.
        assert res.warnings == [
            f"{run1}: an older copy of Cloud / acct-1 / 2026-05: 57 of its 57 charges are also "
            f"in {run2a} and 1 more, which are newer; its 57 rows of that billing period are "
            "not loaded (copies loaded together count twice)"]
        assert s.load_warnings() == res.warnings  # kept for the report to say
        by_path = {f["path"]: f for f in res.files}
        assert by_path[str(run1)]["rows"] == 0 and by_path[str(other)]["rows"] == 1
        assert res.rows == 85
        recorded = s.con.execute("SELECT path, rows FROM files ORDER BY path").fetchall()
        assert recorded == sorted((f["path"], f["rows"]) for f in res.files)
        # Again as a second delivery: nothing changes, and the totals stay.
        again = s.ingest([str(tmp_path / "exp")])
        assert again.rows == 85 and store_totals(s) == exact_totals([run2a, run2b, other])


def test_two_runs_of_a_closed_month_keep_the_run_submitted_last(tmp_path):
    """Re-runs of a closed month end on the same day; copied folders get new file times.
    Azure's manifest.json in each run folder says which run is newer."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(10)]
    later = frame_file(tmp_path / "exp" / "run-b", "part_0",
                       [dict(r, BilledCost="99.5") if r["ResourceId"] == "r0" else r for r in rows])
    earlier = frame_file(tmp_path / "exp" / "run-a", "part_0", rows)
    os.utime(earlier, ns=(later.stat().st_mtime_ns + 10**9,) * 2)  # copied last
    for run, when in ((earlier, "2026-06-02T01:00:00Z"), (later, "2026-06-04T01:00:00Z")):
        (run.parent / "manifest.json").write_text(
            json.dumps({"runInfo": {"submittedTime": when}}))
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "exp")])
        assert store_totals(s) == exact_totals([later])
        assert [w.split(":")[0] for w in res.warnings] == [str(earlier)]


def test_a_later_run_that_retags_most_rows_still_replaces_the_earlier_run(tmp_path):
    """Azure's tag inheritance adds a tag to the current month's rows in the next run: the
    charges differ, but the manifests name one export, so the runs are not loaded twice."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(10)]
    early = frame_file(tmp_path / "exp" / "run-a", "part_1_0001", rows)
    late = frame_file(tmp_path / "exp" / "run-b", "part_1_0001",
                      [dict(r, Tags='{"costcenter": "cc-1"}') for r in rows[:8]] + rows[8:])
    for part, run, when in ((early, "run-a", "2026-05-21T06:00:00Z"),
                            (late, "run-b", "2026-05-28T06:00:00Z")):
        (part.parent / "manifest.json").write_text(json.dumps({
            "exportConfig": {"exportName": "focus", "resourceId": "/billingAccounts/1",
                             "type": "FocusCost"},
            "runInfo": {"runId": run, "submittedTime": when}}))
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "exp")])
        assert store_totals(s) == exact_totals([late])
        assert res.warnings == [
            f"{early}: an older run of the export of Cloud / acct-1 / 2026-05: the run of {late} "
            "was submitted later (manifest.json); its 10 rows of that billing period are not "
            "loaded (runs loaded together count twice)"]


def test_a_later_run_that_restates_every_amount_replaces_the_earlier_one(tmp_path):
    """Runs after the month closes restate amounts (late discounts, currency rates): the
    charges are the same, so the newer run is loaded alone, in another folder or the same."""
    rows = [{"ResourceId": f"r{i}", "ChargePeriodStart": f"2026-05-{i % 28 + 1:02d}",
             "BilledCost": f"{i}.10", "EffectiveCost": f"{i}.05"} for i in range(60)]
    restated = [dict(r, BilledCost=f"{i * 1.03:.2f}", EffectiveCost=f"{i * 1.02:.2f}")
                for i, r in enumerate(rows)]
    for layout in ("folders", "one folder"):
        root = tmp_path / layout.replace(" ", "-")
        first = frame_file(root / ("run-1" if layout == "folders" else "dl"), "export", rows)
        second = frame_file(root / ("run-2" if layout == "folders" else "dl"), "export (1)",
                            restated)
        os.utime(first, ns=(second.stat().st_mtime_ns - 10**9,) * 2)
        with Store(":memory:", Config(root=tmp_path)) as s:
            res = s.ingest([str(root)])
            assert store_totals(s) == exact_totals([second]), layout
            assert [w.split(":")[0] for w in res.warnings] == [str(first)], layout


def test_an_export_of_one_sub_account_says_which_others_it_replaces(tmp_path):
    a = frame_file(tmp_path / "sub-a", "x", [{"SubAccountId": "sub-a", "BilledCost": "3"}])
    b = frame_file(tmp_path / "sub-b", "x", [{"SubAccountId": "sub-b", "BilledCost": "4"},
                                             {"SubAccountId": "sub-b", "ResourceId": "r9"}])
    with Store(tmp_path / "s.duckdb", Config(root=tmp_path)) as s:
        assert s.ingest([str(a), str(b)]).warnings == []  # together: both load
        assert store_totals(s) == exact_totals([a, b])
        assert len(s.ingest([str(a)]).warnings) == 1  # b is not sent again: said once
        s.ingest([str(a), str(b)])
        a2 = frame_file(tmp_path / "sub-a-fixed", "x", [{"SubAccountId": "sub-a", "BilledCost": "5"}])
        assert s.ingest([str(a2)]).warnings == [
            f"{b}: SubAccountId: this delivery replaces Cloud / acct-1 / 2026-05 but holds no "
            "row of sub account sub-b: its 2 rows of them are gone (load every export of a "
            "billing period in the same ingest)"]
        assert store_totals(s) == exact_totals([a2])


def test_one_row_of_a_sub_account_gone_is_said_in_the_singular(tmp_path):
    a = frame_file(tmp_path / "sub-a", "x", [{"SubAccountId": "sub-a", "BilledCost": "3"}])
    c = frame_file(tmp_path / "sub-c", "x", [{"SubAccountId": "sub-c", "BilledCost": "4"}])
    with Store(tmp_path / "s.duckdb", Config(root=tmp_path)) as s:
        s.ingest([str(a), str(c)])
        a2 = frame_file(tmp_path / "sub-a-fixed", "x", [{"SubAccountId": "sub-a", "BilledCost": "5"}])
        assert s.ingest([str(a2)]).warnings == [
            f"{c}: SubAccountId: this delivery replaces Cloud / acct-1 / 2026-05 but holds no "
            "row of sub account sub-c: its 1 row of them is gone (load every export of a "
            "billing period in the same ingest)"]


def test_parts_that_differ_only_in_tags_or_amount_are_all_loaded(tmp_path):
    # One node's cost split by namespace (tags), paged over two files; an API key's usage
    # paged by project, with no resource and the project only in its tags.
    node = {"ResourceId": "gke-node-1", "ChargePeriodStart": "2026-05-03"}
    a = frame_file(tmp_path / "bq", "000000000000", [
        {**node, "Tags": '{"k8s-namespace": "search"}', "BilledCost": "3.10"},
        {**node, "Tags": '{"k8s-namespace": "ads"}', "BilledCost": "1.20"}])
    b = frame_file(tmp_path / "bq", "000000000001", [
        {**node, "Tags": '{"k8s-namespace": "ranking"}', "BilledCost": "2.00"},
        {**node, "Tags": '{"k8s-namespace": "eval"}', "BilledCost": "1.20"}])
    api = {"ResourceId": "None", "ServiceName": "LLM API"}
    p1 = frame_file(tmp_path / "api", "page1", [{**api, "Tags": '{"project": "assistant"}'}])
    p2 = frame_file(tmp_path / "api", "page2", [{**api, "Tags": '{"project": "search"}'}])
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(a), str(b), str(p1), str(p2)])
        assert res.warnings == [] and res.rows == 6
        assert store_totals(s) == exact_totals([a, b, p1, p2])


def test_a_few_rows_that_differ_only_in_amounts_are_a_part_not_a_copy(tmp_path):
    """A large export paged over many files: a small account's row in one part may repeat a
    charge of another part but for its amounts (tiered pricing, split usage). A handful of
    such rows is no evidence of a copy: every part is loaded, every cent counted."""
    big = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.50", "EffectiveCost": f"{i}.50"}
           for i in range(100)]
    tier = {"ResourceId": "api", "BilledCost": "1.25", "EffectiveCost": "1.25",
            "ConsumedQuantity": 5.0}
    paths = [frame_file(tmp_path / "export", "part_0001", big + [tier]),
             frame_file(tmp_path / "export", "part_0002",
                        [dict(tier, BilledCost="0.40", EffectiveCost="0.40", ConsumedQuantity=2.0)])]
    os.utime(paths[1], ns=(paths[0].stat().st_mtime_ns - 10**9,) * 2)
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "export")])
        assert res.warnings == [] and res.rows == 102
        assert store_totals(s) == exact_totals(paths)


def test_a_charge_repeated_in_one_file_is_matched_once_per_repeat(tmp_path):
    """Tiered pricing bills one charge as several rows. A part holding every charge in two
    tiers is not a copy of the file that holds each charge once, in a third."""
    rows = [{"ResourceId": f"r{i % 30}", "ChargePeriodStart": f"2026-05-{i // 30 + 1:02d}",
             "ChargePeriodEnd": f"2026-05-{i // 30 + 2:02d}", "BilledCost": f"{i}.10",
             "EffectiveCost": f"{i}.10"} for i in range(60)]
    first = frame_file(tmp_path / "export", "part_1", rows)
    tiers = frame_file(tmp_path / "export", "part_2",
                       [dict(r, BilledCost=f"{i}.90", EffectiveCost=f"{i}.90")
                        for i, r in enumerate(rows * 2)])
    os.utime(tiers, ns=(first.stat().st_mtime_ns - 10**9,) * 2)
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "export")])
        assert not [w for w in res.warnings if "copy" in w] and res.rows == 180
        assert store_totals(s) == exact_totals([first, tiers])


def test_charges_a_file_repeats_within_itself_are_what_chance_gives():
    """Where one file already holds most of its charges twice or more, the store's columns
    do not tell this export's charges apart: another part matching them is no copy."""
    a = FileSide("d/part-1", 100, MAY_31, 2, distinct=40)
    b = FileSide("d/part-2", 100, MAY_31, 1, distinct=45)
    assert superseded([a, b], {("d/part-1", "d/part-2"): 55}, {}) == {}
    # each file's charges once: the same 55 of 100 make the older one a copy
    a, b = side("d/part-1", 100, mtime=2), side("d/part-2", 100, mtime=1)
    assert set(superseded([a, b], {("d/part-1", "d/part-2"): 55}, {})) == {"d/part-2"}


def test_a_small_copy_left_unchanged_is_still_a_copy():
    files = [side("a/x", 6, mtime=1), side("b/x", 6, mtime=2)]
    # six charges in common, amounts all restated: too little evidence, both are parts
    assert superseded(files, {("a/x", "b/x"): 6}, {("a/x", "b/x"): 0}) == {}
    # the same six rows, amounts and all: a copy
    assert superseded(files, {("a/x", "b/x"): 6}, {("a/x", "b/x"): 6}) == {
        "a/x": Superseded(["b/x"], 6, 6)}


def test_parts_that_share_many_charges_by_chance_are_all_kept():
    """Where the store's columns do not tell charges apart, the parts of one large export
    match many of one another's charges: a part matching no more than they do is a part;
    an older copy, matching rows amounts and all, is still a copy."""
    parts = [side(f"run/p{i:02d}", 100, mtime=5) for i in range(10)]
    shared = {(a.path, b.path): 10 for a in parts for b in parts if a.path < b.path}
    assert superseded(parts, shared, {}) == {}
    old = side("old/p01", 100, mtime=1)
    shared[("old/p01", "run/p01")] = 100
    assert superseded([*parts, old], shared, {("old/p01", "run/p01"): 100}) == {
        "old/p01": Superseded(["run/p01"], 100, 100)}
    # without matching amounts, a copy must stand out from what the parts share by chance
    assert superseded([*parts, old], shared, {}) == {}


def test_a_month_to_date_run_copied_last_still_gives_way_to_the_final_run(tmp_path):
    """A month-to-date run already holds the month-long rows (tax, credits) that end with
    the month, as the final run does; copied or downloaded last, it is still the older run:
    its daily charges stop earlier."""
    days = [{"ResourceId": f"r{i % 4}", "ChargePeriodStart": f"2026-05-{d:02d}",
             "ChargePeriodEnd": f"2026-05-{d + 1:02d}", "BilledCost": f"{d}.{i}5",
             "EffectiveCost": f"{d}.{i}5"} for d in range(1, 29) for i in range(4)]
    tax = {"ResourceId": "", "ChargeCategory": "Tax", "ChargePeriodStart": "2026-05-01",
           "ChargePeriodEnd": "2026-06-01", "BilledCost": "40.00", "EffectiveCost": "40.00"}
    final = frame_file(tmp_path / "exp" / "run-0603", "export-00001", [*days, tax])
    mtd = frame_file(tmp_path / "exp" / "run-0511", "export-00001",
                     [dict(r, BilledCost="1.11") for r in days[:40]] + [dict(tax, BilledCost="9")])
    os.utime(mtd, ns=(final.stat().st_mtime_ns + 10**9,) * 2)  # downloaded last
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "exp")])
        assert store_totals(s) == exact_totals([final]) and res.rows == len(days) + 1
        assert [w.split(":")[0] for w in res.warnings] == [str(mtd)]


def test_a_refresh_that_applies_a_savings_plan_replaces_the_earlier_refresh(tmp_path):
    """AWS can keep every refresh of a month. A later one that applies a Savings Plan moves
    most usage to committed (commitment columns filled, BilledCost 0): the same charges,
    paid otherwise, so the earlier refresh is a copy and the month counts once."""
    rows = [{"ResourceId": f"r{i % 7}", "ChargePeriodStart": f"2026-05-{d:02d}",
             "ChargePeriodEnd": f"2026-05-{d + 1:02d}", "BilledCost": f"{d}.{i}0",
             "EffectiveCost": f"{d}.{i}0"} for d in range(1, 21) for i in range(5)]
    covered = {"CommitmentDiscountId": "arn:sp-1", "CommitmentDiscountName": "sp-1",
               "CommitmentDiscountType": "Savings Plan", "CommitmentDiscountCategory": "Spend",
               "CommitmentDiscountStatus": "Used", "PricingCategory": "Committed",
               "BilledCost": "0"}
    later = [dict(r, **covered) if i % 5 < 3 else r for i, r in enumerate(rows)]
    early = frame_file(tmp_path / "BILLING_PERIOD=2026-05" / "20260516T0300", "part-1",
                       rows[:75])
    late = frame_file(tmp_path / "BILLING_PERIOD=2026-05" / "20260521T0300", "part-1", later)
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path)])
        assert store_totals(s) == exact_totals([late]) and res.rows == len(later)
        assert [w.split(":")[0] for w in res.warnings] == [str(early)]


def test_a_part_an_earlier_run_left_behind_is_not_loaded(tmp_path):
    """A run that overwrites its folder with fewer parts leaves the last ones of an earlier
    run there; the manifest lists the files the run wrote, so the others are not loaded. A
    folder none of whose files the manifest lists (renamed, unpacked) loads as before."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(30)]
    run = tmp_path / "exp" / "focus" / "20260501-20260531"
    parts = [frame_file(run, f"part_0_000{n}", rows[n * 10:n * 10 + 10]) for n in range(2)]
    stale = frame_file(run, "part_0_0003",  # the earlier run's third part
                       [dict(r, BilledCost="1.11") for r in rows[:10]])
    manifest = {"exportConfig": {"exportName": "focus", "resourceId": "/billingAccounts/1",
                                 "type": "FocusCost"},
                "runInfo": {"runId": "run-2", "submittedTime": "2026-06-05T05:03:11Z"},
                "blobs": [{"blobName": f"exports/focus/20260501-20260531/{p.name}.gz"}
                          for p in parts]}
    (run / "manifest.json").write_text(json.dumps(manifest))
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "exp")])
        assert store_totals(s) == exact_totals(parts) and res.rows == 20
        assert res.warnings == [
            f"{stale}: a part an earlier run left behind: the manifest.json beside it lists the "
            f"last run's files ({parts[0]} and 1 more), not this one; its 10 rows of Cloud / "
            "acct-1 / 2026-05 are not loaded (they would count twice)"]
    stale.unlink()
    other = frame_file(run, "renamed", rows[20:])
    manifest["blobs"] = [{"blobName": "exports/focus/x/part_9.csv"}]
    (run / "manifest.json").write_text(json.dumps(manifest))
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "exp")])
        assert store_totals(s) == exact_totals([*parts, other]) and not res.warnings


def test_an_older_run_in_several_parts_is_one_warning(tmp_path):
    """Azure writes a run in parts; a later run sets the whole older run aside, said once."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(30)]
    runs = {}
    for run, when, cost in (("run-a", "2026-05-21T06:00:00Z", "1.11"),
                            ("run-b", "2026-05-28T06:00:00Z", None)):
        runs[run] = [frame_file(tmp_path / "exp" / run, f"part_1_000{n}",
                                [dict(r, BilledCost=cost or r["BilledCost"])
                                 for r in rows[n * 10:n * 10 + 10]]) for n in range(3)]
        (tmp_path / "exp" / run / "manifest.json").write_text(json.dumps({
            "exportConfig": {"exportName": "focus", "resourceId": "/billingAccounts/1",
                             "type": "FocusCost"},
            "runInfo": {"runId": run, "submittedTime": when}}))
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "exp")])
        assert store_totals(s) == exact_totals(runs["run-b"])
        assert res.warnings == [
            f"{runs['run-a'][0]}: with 2 more files of its run, an older run of the export of "
            f"Cloud / acct-1 / 2026-05: the run of {runs['run-b'][0]} and 2 more was submitted "
            "later (manifest.json); their 30 rows of that billing period are not loaded (runs "
            "loaded together count twice)"]


def test_a_reexport_in_another_format_is_a_copy_whatever_its_tags_spelling(tmp_path, monkeypatch):
    """A month saved as CSV (tags as spaced JSON, none as an empty cell), then exported again
    as Parquet (tags as a MAP, none as an empty MAP): the same charges, counted once."""
    _real_reader(monkeypatch)
    tags = [{"Team": "ml", "env": "prod"} if i % 3 else None for i in range(30)]
    rows = [{**BASE, "ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(30)]
    folder = tmp_path / "exports"
    folder.mkdir()
    old = folder / "2026-05.csv"
    pd.DataFrame([{**r, "Tags": json.dumps(t) if t else ""} for r, t in zip(rows, tags, strict=True)]
                 ).to_csv(old, index=False)
    new = folder / "2026-05.parquet"
    table = pa.table({c: [str(r[c]) for r in rows] for c in BASE if c != "Tags"})
    pq.write_table(table.append_column("Tags", pa.array(
        [list(t.items()) if t else [] for t in tags], pa.map_(pa.string(), pa.string()))), new)
    os.utime(old, ns=(10**18, 10**18))
    os.utime(new, ns=(2 * 10**18, 2 * 10**18))
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(folder)])
        copies = [w for w in res.warnings if "older copy" in w]
        assert res.rows == 30 and len(copies) == 1
        assert copies[0].startswith(f"{old}: an older copy of Cloud / acct-1 / 2026-05: "
                                    f"30 of its 30 charges are also in {new}")
        assert store_totals(s) == exact_totals([new])
        # Loaded on its own afterwards, the CSV replaces the month: no part is left behind.
        again = s.ingest([str(old)])
        assert not [w for w in again.warnings if "not in this delivery" in w]


def test_a_few_charges_of_an_earlier_month_to_date_run_are_counted_but_said(tmp_path):
    """Month-to-date runs of a small account kept side by side, each restating the days
    before: too few charges to tell an earlier run from a part of the export, so every run
    counts, but never silently."""
    def run(day: int, amount: str):
        return frame_file(tmp_path / "mtd", f"run-day{day}", [
            {"ResourceId": f"r{i}", "ChargePeriodStart": f"2026-05-{d:02d}",
             "ChargePeriodEnd": f"2026-05-{d + 1:02d}", "BilledCost": amount}
            for d in range(1, day + 1) for i in range(3)])
    day1, day2 = run(1, "1.00"), run(2, "1.05")
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "mtd")])
        assert res.rows == 9 and res.warnings == [
            f"{day1}: 3 of its 3 charges of Cloud / acct-1 / 2026-05 are also in {day2}, which "
            "reaches further, at other amounts: too few to tell an earlier run of one export "
            "from a part of it, so both are counted; if it is an earlier run, load only the newer"]


def _aws_export(root, parts: dict[str, list[dict]], listed: list[str]):
    """An AWS Data Exports folder as `aws s3 sync` copies it: data/BILLING_PERIOD=.../ parts
    and the run's metadata/BILLING_PERIOD=.../<export>-Manifest.json listing `listed`."""
    data = root / "focus" / "data" / "BILLING_PERIOD=2026-05"
    files = {name: frame_file(data, name, rows) for name, rows in parts.items()}
    meta = root / "focus" / "metadata" / "BILLING_PERIOD=2026-05"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "focus-Manifest.json").write_text(json.dumps({
        "executionId": "e-2", "exportArn": "arn:aws:bcm-data-exports:us-east-1:1:export/focus",
        "dataFiles": [f"s3://bucket/cur/focus/data/BILLING_PERIOD=2026-05/{n}.parquet"
                      for n in listed]}))
    return files


def test_a_stale_part_of_an_account_the_last_run_no_longer_bills_is_not_loaded(tmp_path):
    """An export in parts per billing period, rewritten in place: the last run wrote two
    parts, an earlier one three. The third, left behind, holds an account the last run no
    longer bills (it moved to another export), so no other file repeats its charges; the
    manifest of the run (AWS Data Exports' metadata/, or Azure's manifest.json) lists the
    run's files, and the part is named as they are: it is set aside, said once."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(20)]
    files = _aws_export(tmp_path / "aws", {
        "focus-00001": rows[:10], "focus-00002": [dict(r, BillingAccountId="acct-2")
                                                  for r in rows[10:]],
        "focus-00003": [dict(r, BillingAccountId="acct-9") for r in rows[:5]],
        "focus-00004": [dict(r, BilledCost="1.11") for r in rows[:10]]},  # acct-1 again
        ["focus-00001", "focus-00002"])
    stale, manifest = files["focus-00003"], (tmp_path / "aws" / "focus" / "metadata" /
                                             "BILLING_PERIOD=2026-05" / "focus-Manifest.json")
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "aws")])
        assert store_totals(s) == exact_totals([files["focus-00001"], files["focus-00002"]])
        assert res.rows == 20 and res.warnings == [
            f"{files['focus-00004']}: a part an earlier run left behind: {manifest} lists the "
            f"last run's files ({files['focus-00001']}), not this one; its 10 rows of Cloud / "
            "acct-1 / 2026-05 are not loaded (they would count twice)",
            f"{stale}: a part an earlier run left behind: {manifest} lists the last run's files "
            f"({files['focus-00001']} and 1 more), not this one, and they bill 2026-05 without "
            "it; its 5 rows of Cloud / acct-9 / 2026-05 are not loaded (the export's last run "
            "no longer holds them)"]
    azure = tmp_path / "azure" / "focus" / "20260501-20260531" / "run-2"
    parts = [frame_file(azure, f"part_0_000{n + 1}", rows[n * 10:n * 10 + 10]) for n in (0, 1)]
    left = frame_file(azure, "part_0_0003", [dict(r, BillingAccountId="acct-9") for r in rows])
    (azure / "manifest.json").write_text(json.dumps({"blobs": [
        {"blobName": f"focus/20260501-20260531/run-2/{p.name}"} for p in parts]}))
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(azure)])
        assert store_totals(s) == exact_totals(parts)
        assert [w.split(": ")[:2] for w in res.warnings] == [
            [str(left), "a part an earlier run left behind"]]


def test_an_unlisted_file_that_may_be_data_of_its_own_is_loaded_and_named(tmp_path):
    """A file beside a manifest that does not list it is set aside only beyond doubt. Named
    otherwise than the export's parts (put there by hand), holding a month the last run does
    not, or loaded without the files the manifest lists, it is loaded, with a warning."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(10)]
    other = [dict(r, BillingAccountId="acct-9") for r in rows]
    april = [dict(r, BillingPeriodStart="2026-04-01", ChargePeriodStart="2026-04-03",
                  ChargePeriodEnd="2026-04-04") for r in other]
    for name, extra, doubt, paths in [
            ("by-hand", other, "its name differs from theirs by more than a part number",
             None),
            ("focus-00002", april, "it holds a billing period they do not", None),
            ("focus-00002", other, "the listed files are not in this delivery", "alone")]:
        root = tmp_path / f"{name}-{len(doubt)}"
        files = _aws_export(root, {"focus-00001": rows, name: extra}, ["focus-00001"])
        manifest = root / "focus" / "metadata" / "BILLING_PERIOD=2026-05" / "focus-Manifest.json"
        with Store(":memory:", Config(root=tmp_path)) as s:
            res = s.ingest([str(files[name])] if paths else [str(root)])
            loaded = [files[name]] if paths else list(files.values())
            assert store_totals(s) == exact_totals(loaded), doubt
            assert res.warnings == [
                f"{files[name]}: not among the files {manifest} lists, while its folder holds "
                f"them; loaded, since {doubt}: if it is a part an earlier run of the export "
                "left behind, move it away and ingest again"]


def _tiers(folder, names=("part_0_0001", "part_0_0002")):
    """Tiered pricing split over two parts of one run: every charge in each part, at other
    amounts (the first tier in one file, the second in the other)."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(30)]
    first = frame_file(folder, names[0], rows)
    second = frame_file(folder, names[1], [dict(r, BilledCost=f"0.{i:02d}", EffectiveCost="0.10")
                                           for i, r in enumerate(rows)])
    os.utime(second, ns=(first.stat().st_mtime_ns - 10**9,) * 2)
    return first, second


def test_parts_one_manifest_lists_are_all_loaded_whatever_charges_they_share(tmp_path):
    """Two parts of one run that bill the same charges at other amounts (tiers split over
    files) look like a corrected re-export. The run's manifest lists both, Azure's blobs or
    AWS's dataFiles, whether or not it names the export: they are parts, and both count."""
    azure = tmp_path / "azure" / "focus" / "20260501-20260531" / "run-1"
    parts = _tiers(azure)
    (azure / "manifest.json").write_text(json.dumps({"blobs": [
        {"blobName": f"focus/20260501-20260531/run-1/{p.name}.gz"} for p in parts]}))
    aws = _tiers(tmp_path / "aws" / "focus" / "data" / "BILLING_PERIOD=2026-05",
                 ("focus-00001", "focus-00002"))
    meta = tmp_path / "aws" / "focus" / "metadata" / "BILLING_PERIOD=2026-05"
    meta.mkdir(parents=True)
    (meta / "focus-Manifest.json").write_text(json.dumps({
        "executionId": "e-1", "dataFiles": [
            f"s3://bucket/focus/data/BILLING_PERIOD=2026-05/{p.name}" for p in aws]}))
    for root, files in ((tmp_path / "azure", parts), (tmp_path / "aws", aws)):
        with Store(":memory:", Config(root=tmp_path)) as s:
            res = s.ingest([str(root)])
            assert res.rows == 60 and res.warnings == [], root
            assert store_totals(s) == exact_totals(list(files)), root


def test_parts_without_a_manifest_still_read_as_a_copy_and_the_warning_says_how_to_tell(tmp_path):
    """Without a manifest nothing tells tiers split over two files from a corrected
    re-export: the older is set aside, as before, and the warning says what would keep it."""
    first, second = _tiers(tmp_path / "dl")
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "dl")])
        assert store_totals(s) == exact_totals([first]) and res.rows == 30
        assert res.warnings == [
            f"{second}: an older copy of Cloud / acct-1 / 2026-05: 30 of its 30 charges are also "
            f"in {first}, which is newer; its 30 rows of that billing period are not loaded "
            "(copies loaded together count twice); if they are parts of one export run, put "
            "the run's manifest beside them (Azure's manifest.json, or the AWS export's "
            "metadata/ folder) and ingest again: files one manifest lists are all loaded"]
    (tmp_path / "dl" / "manifest.json").write_text(json.dumps({"blobs": [
        {"blobName": first.name}, {"blobName": second.name}]}))
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "dl")])
        assert store_totals(s) == exact_totals([first, second]) and res.warnings == []


def test_runs_each_with_its_own_manifest_still_replace_one_another(tmp_path):
    """Manifests of two runs do not make their files parts of one run: a re-export in a
    later run folder replaces the earlier run, and so does a later run whose manifest sits
    beside another run's in one AWS metadata folder."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(30)]
    restated = [dict(r, BilledCost=f"{i}.30") for i, r in enumerate(rows)]
    exp = tmp_path / "azure" / "focus" / "20260501-20260531"
    early = frame_file(exp / "run-1", "part_0_0001", rows)
    late = frame_file(exp / "run-2", "part_0_0001", restated)
    os.utime(early, ns=(late.stat().st_mtime_ns - 10**9,) * 2)
    for part in (early, late):
        (part.parent / "manifest.json").write_text(json.dumps({"blobs": [
            {"blobName": f"focus/20260501-20260531/{part.parent.name}/{part.name}"}]}))
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "azure")])
        assert store_totals(s) == exact_totals([late]) and res.rows == 30
        assert [w.split(": ")[:2] for w in res.warnings] == [[str(early), "an older copy of "
                                                              "Cloud / acct-1 / 2026-05"]]
    data = tmp_path / "aws" / "focus" / "data" / "BILLING_PERIOD=2026-05"
    old = frame_file(data, "focus-e1-00001", rows)
    new = frame_file(data, "focus-e2-00001", restated)
    os.utime(old, ns=(new.stat().st_mtime_ns - 10**9,) * 2)
    meta = tmp_path / "aws" / "focus" / "metadata" / "BILLING_PERIOD=2026-05"
    meta.mkdir(parents=True)
    for run, part in (("e1", old), ("e2", new)):
        (meta / f"focus-{run}-Manifest.json").write_text(json.dumps({
            "executionId": run,
            "dataFiles": [f"s3://bucket/focus/data/BILLING_PERIOD=2026-05/{part.name}"]}))
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "aws")])
        assert store_totals(s) == exact_totals([new]) and res.rows == 30
        assert [w.split(":")[0] for w in res.warnings] == [str(old)]


def test_one_listed_part_packed_and_unpacked_is_still_one_file():
    """A manifest lists `part.csv.gz`; the folder holds it and the same part unpacked. Both
    are that one listed file, not two parts: the older is a copy."""
    listed = frozenset({"d/manifest.json"})
    files = [FileSide("d/part.csv", 40, MAY_31, 1, listed_by=listed),
             FileSide("d/part.csv.gz", 40, MAY_31, 2, listed_by=listed),
             FileSide("d/other.csv", 40, MAY_31, 0, listed_by=listed)]
    assert superseded(files, {("d/part.csv", "d/part.csv.gz"): 40,
                              ("d/other.csv", "d/part.csv.gz"): 40}) == {
        "d/part.csv": Superseded(["d/part.csv.gz"], 40, 40)}
    # listed by two manifests (two runs), or by none: compared by their charges
    one, two = frozenset({"m/e1-Manifest.json"}), frozenset({"m/e2-Manifest.json"})
    files = [FileSide("d/a.csv", 40, MAY_31, 1, listed_by=one),
             FileSide("d/b.csv", 40, MAY_31, 2, listed_by=two)]
    assert set(superseded(files, {("d/a.csv", "d/b.csv"): 40})) == {"d/a.csv"}


def _age(path, days: float):
    """Give `path` the time of a file written `days` ago."""
    when = path.stat().st_mtime - days * 86400
    os.utime(path, (when, when))


def test_the_newest_of_two_manifests_speaks_for_the_folder(tmp_path):
    """An older run's manifest kept beside the newest one (it listed three parts; the newest
    run wrote two): the part only the older lists is left behind, not a part of the newest
    run, and its charges, which the newest run bills again, count once."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(20)]
    files = _aws_export(tmp_path / "aws", {"focus-00001": rows[:10], "focus-00002": rows[10:],
                                           "focus-00003": [dict(r, BilledCost="9.99") for r in rows[10:15]]},
                        ["focus-00001", "focus-00002"])
    meta = tmp_path / "aws" / "focus" / "metadata" / "BILLING_PERIOD=2026-05"
    (meta / "old-focus-Manifest.json").write_text(json.dumps({"dataFiles": [
        f"s3://bucket/cur/focus/data/BILLING_PERIOD=2026-05/focus-0000{n}.parquet" for n in (1, 2, 3)]}))
    for old in (files["focus-00003"], meta / "old-focus-Manifest.json"):
        _age(old, 10)
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "aws")])
        assert store_totals(s) == exact_totals([files["focus-00001"], files["focus-00002"]])
        assert [w.split(": ")[:2] for w in res.warnings] == [
            [str(files["focus-00003"]), "a part an earlier run left behind"]]


def test_parts_written_after_the_manifest_are_loaded_and_named(tmp_path):
    """A sync that fetched a new run's parts before its manifest: the parts the manifest
    does not list yet are newer than it, so they are data, never a part left behind."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(40)]
    files = _aws_export(tmp_path / "aws", {f"focus-0000{n + 1}": rows[n * 10:n * 10 + 10]
                                           for n in range(4)}, ["focus-00001", "focus-00002"])
    meta = tmp_path / "aws" / "focus" / "metadata" / "BILLING_PERIOD=2026-05" / "focus-Manifest.json"
    _age(meta, 1)
    for name in ("focus-00001", "focus-00002"):
        _age(files[name], 2)
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "aws")])
        assert store_totals(s) == exact_totals(list(files.values())) and res.rows == 40
        assert sorted(w.split(": ")[0] for w in res.warnings) == [
            str(files["focus-00003"]), str(files["focus-00004"])]
        assert all("written after the manifest" in w for w in res.warnings)


def test_a_file_put_beside_a_run_by_hand_is_loaded_and_names_match_as_a_disk_does(tmp_path):
    """A file named otherwise (adjustments a user put there) that bills the account of the
    run is data, not a part left behind; a manifest's names match the files whatever their
    case, a URL's query (a SAS token) or blanks around them; a manifest nested deeper than
    Python decodes says nothing, and the load goes on."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(20)]
    run = tmp_path / "azure" / "focus" / "20260501-20260531" / "run-2"
    first, second = _tiers(run)
    extra = frame_file(run, "adjustments", [dict(r, ResourceId=f"adj{i}") for i, r in enumerate(rows[:3])])
    (run / "manifest.json").write_text(json.dumps({"blobs": [
        {"blobName": f"https://acct.blob.core.windows.net/c/focus/{p.name.upper()}?sv=2024&sig=x "}
        for p in (first, second)]}))
    _age(extra, 1)
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(run)])
        assert store_totals(s) == exact_totals([first, second, extra])
        assert [w.split(": ", 1)[1] for w in res.warnings if "manifest" in w] == [
            f"not among the files {run / 'manifest.json'} lists, while its folder holds them; "
            "loaded, since its name differs from theirs by more than a part number: if it is a "
            "part an earlier run of the export left behind, move it away and ingest again"]
    (run / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(run)])  # no manifest to go by: the tiers read as a re-export, said
        assert store_totals(s) == exact_totals([first, extra])


def test_a_file_the_manifest_lists_but_the_folder_lacks_is_said(tmp_path):
    """A sync cut short: the month loads what is there, and the manifest says what is not."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(20)]
    files = _aws_export(tmp_path / "aws", {"focus-00001": rows[:10], "focus-00002": rows[10:]},
                        ["focus-00001", "focus-00002", "focus-00003"])
    meta = tmp_path / "aws" / "focus" / "metadata" / "BILLING_PERIOD=2026-05" / "focus-Manifest.json"
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "aws")])
        assert store_totals(s) == exact_totals(list(files.values()))
        assert [w for w in res.warnings if "manifest" in w.lower()] == [
            f"{meta}: lists 1 file its folder does not hold (focus-00003.parquet): the run's data "
            "is short of what it billed; fetch it and ingest again"]


def _fresh_totals(folder) -> dict:
    """What a fresh store of the folder holds (beside it, where the test's data lives)."""
    with Store(folder.parent / "fresh.duckdb", Config(root=folder.parent)) as fresh:
        fresh.ingest([str(folder)])
        return store_totals(fresh)


def _older(path, seconds: int = 3600) -> None:
    """Backdate a file: a part an earlier run wrote, before the last run's manifest."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 10**9))


def test_ingesting_again_after_a_run_dropped_a_part_withdraws_its_earlier_rows(tmp_path):
    """The store holds a folder's three parts; the export's next run writes two, leaving the
    third, an account it no longer bills. Ingested again, the store must hold what a fresh
    store of the folder holds: the third part's rows an earlier ingest loaded are withdrawn,
    and a later ingest of the same folder changes nothing."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(20)]
    names = ["focus-00001", "focus-00002", "focus-00003"]
    first = {names[0]: rows[:10], names[1]: [dict(r, BillingAccountId="acct-2") for r in rows[10:]],
             names[2]: [dict(r, BillingAccountId="acct-9") for r in rows[:5]]}
    store = tmp_path / "s.duckdb"
    files = _aws_export(tmp_path / "aws", first, names)
    with Store(store, Config(root=tmp_path)) as s:
        assert s.ingest([str(tmp_path / "aws")]).rows == 25
    stale = files[names[2]]
    _older(stale)
    files = _aws_export(tmp_path / "aws", {names[0]: [dict(r, BilledCost="2.50") for r in rows[:10]],
                                           names[1]: first[names[1]]}, names[:2])
    with Store(store, Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "aws")])
        want = exact_totals([files[names[0]], files[names[1]]])
        assert store_totals(s) == want
        left = [w for w in res.warnings if w.startswith(str(stale))]
        assert len(left) == 1 and left[0].endswith(
            "its 5 rows of Cloud / acct-9 / 2026-05 are not loaded (the export's last run no "
            "longer holds them), and the 5 an earlier ingest loaded of that account and period "
            "are withdrawn")
        assert s.ingest([str(tmp_path / "aws")]).rows == 20 and store_totals(s) == want
    assert _fresh_totals(tmp_path / "aws") == want


def test_a_backup_of_an_export_folder_does_not_bring_back_a_part_left_behind(tmp_path):
    """A data-only copy of an export folder (no manifest), read first in the same ingest,
    holds the same bytes as the folder's left-behind part: the content is set aside, whatever
    path it was read from. A rename of the copy that differs in content is still data."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(20)]
    run = tmp_path / "export" / "focus" / "20260501-20260531"
    parts = [frame_file(run, f"part_0_000{n + 1}", rows[n * 10:n * 10 + 10]) for n in (0, 1)]
    stale = frame_file(run, "part_0_0003", [dict(r, BillingAccountId="acct-9") for r in rows[:5]])
    (run / "manifest.json").write_text(json.dumps({"blobs": [
        {"blobName": f"focus/20260501-20260531/{p.name}"} for p in parts]}))
    _older(stale)
    backup = tmp_path / "a-backup"
    backup.mkdir()
    for p in (*parts, stale):
        (backup / p.name).write_bytes(p.read_bytes())
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(backup), str(tmp_path / "export")])
        assert store_totals(s) == exact_totals(parts) and res.rows == 20
        assert [w.split(": ")[:2] for w in res.warnings if "left behind" in w] == [
            [str(backup / stale.name), f"a part an earlier run left behind (the same file as {stale})"]]
    with Store(":memory:", Config(root=tmp_path)) as s:  # the copy alone: data, as it says
        assert s.ingest([str(backup)]).rows == 25


def _listed_here_left_behind_there(tmp_path, rows: list[dict], own_rows: list[dict]):
    """Folder a: a run's two parts of `rows`' first 20, its manifest listing both. Folder b:
    its own run's one part of `own_rows`, listed, and the bytes of a's second part left
    behind beside it (older than b's manifest). Returns (a's parts, b's own part)."""
    a = tmp_path / "a" / "focus" / "20260501-20260531"
    listed = [frame_file(a, f"part_0_000{n + 1}", rows[n * 10:n * 10 + 10]) for n in (0, 1)]
    (a / "manifest.json").write_text(json.dumps({"blobs": [
        {"blobName": f"focus/20260501-20260531/{p.name}"} for p in listed]}))
    b = tmp_path / "b" / "focus" / "20260501-20260531"
    own = frame_file(b, "part_0_0001", own_rows)
    (b / "part_0_0002.parquet").write_bytes(listed[1].read_bytes())
    (b / "manifest.json").write_text(json.dumps({"blobs": [
        {"blobName": f"focus/20260501-20260531/{own.name}"}]}))
    _older(b / "part_0_0002.parquet")
    return listed, own


def test_bytes_one_manifest_lists_are_loaded_though_another_folder_left_them_behind(tmp_path):
    """The same part in two export folders: the run of one lists it, the other's last run
    left it behind. It is a part of the first run, loaded once."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(20)]
    listed, own = _listed_here_left_behind_there(
        tmp_path, rows, [dict(r, BillingAccountId="acct-7") for r in rows[:5]])
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "a"), str(tmp_path / "b")])
        assert store_totals(s) == exact_totals([*listed, own]) and res.rows == 25


def test_two_parts_left_behind_of_an_account_the_last_run_no_longer_bills(tmp_path):
    """The last run no longer bills an account that an earlier run wrote in two parts: both
    are left behind, and they hold the account's rows together, so neither is a copy of a
    listed file. Ingested again, the store holds what a fresh store of the folder holds:
    the rows an earlier ingest loaded from both parts are withdrawn."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(30)]
    names = ["focus-00001", "focus-00002", "focus-00003"]
    gone = [[dict(r, BillingAccountId="acct-9") for r in rows[n:n + 10]] for n in (10, 20)]
    store = tmp_path / "s.duckdb"
    files = _aws_export(tmp_path / "aws", dict(zip(names, [rows[:10], *gone], strict=True)), names)
    with Store(store, Config(root=tmp_path)) as s:
        assert s.ingest([str(tmp_path / "aws")]).rows == 30
    for name in names[1:]:
        _older(files[name])
    files = _aws_export(tmp_path / "aws", {names[0]: [dict(r, BilledCost="2.50") for r in rows[:10]]},
                        names[:1])
    want = exact_totals([files[names[0]]])
    assert _fresh_totals(tmp_path / "aws") == want
    with Store(store, Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "aws")])
        assert store_totals(s) == want and res.rows == 10
        assert [w.split(": ")[1] for w in res.warnings if "left behind" in w] == [
            "a part an earlier run left behind"] * 2
        assert s.ingest([str(tmp_path / "aws")]).rows == 10 and store_totals(s) == want


def test_a_part_left_behind_withdraws_its_account_from_the_parts_the_last_run_rewrote(tmp_path):
    """An earlier run billed acct-1 in two parts; the last run bills acct-2 alone, in the
    first part's name, and leaves the second behind. The store must not keep the acct-1
    rows an earlier ingest loaded from the first part: a fresh store of the folder holds
    none of acct-1, and half of them would be neither the old figure nor the new."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(20)]
    names = ["focus-00001", "focus-00002"]
    store = tmp_path / "s.duckdb"
    files = _aws_export(tmp_path / "aws", {names[0]: rows[:10], names[1]: rows[10:]}, names)
    with Store(store, Config(root=tmp_path)) as s:
        assert s.ingest([str(tmp_path / "aws")]).rows == 20
    _older(files[names[1]])
    files = _aws_export(tmp_path / "aws", {names[0]: [dict(r, BillingAccountId="acct-2")
                                                      for r in rows[:5]]}, names[:1])
    want = exact_totals([files[names[0]]])
    assert _fresh_totals(tmp_path / "aws") == want
    with Store(store, Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "aws")])
        assert store_totals(s) == want and res.rows == 5
        assert [w for w in res.warnings if "left behind" in w][0].endswith(
            "and the 20 an earlier ingest loaded of that account and period are withdrawn")
        assert s.ingest([str(tmp_path / "aws")]).rows == 5 and store_totals(s) == want


def test_a_part_left_behind_in_one_folder_leaves_the_same_bytes_another_run_lists(tmp_path):
    """Folder b's last run left a part behind whose bytes folder a's run lists. Ingested
    together, a keeps them; ingested one after the other, b must not withdraw a's rows."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(10)]
    a = tmp_path / "a" / "focus" / "20260501-20260531"
    listed = [frame_file(a, "part_0_0001", rows),
              frame_file(a, "part_0_0002", [dict(r, BillingAccountId="acct-8") for r in rows])]
    (a / "manifest.json").write_text(json.dumps({"blobs": [{"blobName": p.name} for p in listed]}))
    b = tmp_path / "b" / "focus" / "20260501-20260531"
    own = frame_file(b, "part_0_0001", [dict(r, BillingAccountId="acct-7") for r in rows])
    (b / "part_0_0002.parquet").write_bytes(listed[1].read_bytes())
    (b / "manifest.json").write_text(json.dumps({"blobs": [{"blobName": own.name}]}))
    _older(b / "part_0_0002.parquet")
    want = exact_totals([*listed, own])
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(tmp_path / "a"), str(tmp_path / "b")])
        assert store_totals(s) == want
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(tmp_path / "a")])
        res = s.ingest([str(tmp_path / "b")])
        assert store_totals(s) == want and res.rows == 10


@pytest.mark.parametrize("again", ["absolute", "./aws/", "aws/../aws", "another folder",
                                   "a symlink", "recorded as written"])
def test_a_folder_ingested_again_under_another_spelling_is_the_same_folder(
        tmp_path, monkeypatch, again):
    """The folder first ingested as `aws` from its parent, then by its absolute path, with
    `./` or `..` in it, from another working directory or through a symlink to it: the same
    files (also in a store of an earlier version, which recorded `aws/...` as written, read
    from the working directory it was loaded from). The last run rewrote the first part
    with another account and left the second behind; the rows an earlier ingest loaded of
    the account it no longer bills are withdrawn from both, and the store holds what a
    fresh store of the folder holds."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(20)]
    names = ["focus-00001", "focus-00002"]
    store = tmp_path / "s.duckdb"
    files = _aws_export(tmp_path / "aws", {names[0]: rows[:10], names[1]: rows[10:]}, names)
    monkeypatch.chdir(tmp_path)
    with Store(store, Config(root=tmp_path)) as s:
        assert s.ingest(["aws"]).rows == 20
        if again == "recorded as written":
            for table, column in (("files", "path"), ("charges", "wb_source_file")):
                s.con.execute(f"UPDATE {table} SET {column} = replace({column}, ?, '')",
                              [f"{tmp_path}/"])
            assert s.files().path.str.startswith("aws/").all()
    stale = files[names[1]]
    _older(stale)
    files = _aws_export(tmp_path / "aws", {names[0]: [dict(r, BillingAccountId="acct-2")
                                                      for r in rows[:5]]}, names[:1])
    want = exact_totals([files[names[0]]])
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "link").symlink_to(tmp_path / "aws", target_is_directory=True)
    path = {"absolute": str(tmp_path / "aws"), "recorded as written": str(tmp_path / "aws"),
            "another folder": "../aws", "a symlink": "link"}.get(again, again)
    if again in ("another folder", "a symlink"):
        monkeypatch.chdir(tmp_path / "elsewhere")
    with Store(store, Config(root=tmp_path)) as s:
        res = s.ingest([path])
        assert store_totals(s) == want and res.rows == 5
        left = [w for w in res.warnings if "left behind" in w]
        assert left[0].endswith(
            "and the 20 an earlier ingest loaded of that account and period are withdrawn")
        # named as from the working directory: relative under it, else absolute
        here = again not in ("another folder", "a symlink")
        assert left[0].startswith(f"{stale.relative_to(tmp_path) if here else stale.resolve()}: ")
    assert _fresh_totals(tmp_path / "aws") == want


def test_files_that_are_symlinks_keep_their_names(tmp_path):
    """An export folder whose files are symlinks into a content store (git-annex, DVC):
    each file is known by its own name in its folder, which the manifest lists, not by
    the object it points to. The part the last run left behind is still set aside."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(20)]
    files = _aws_export(tmp_path / "aws", {
        "focus-00001": rows[:10], "focus-00002": [dict(r, BillingAccountId="acct-2")
                                                  for r in rows[10:]],
        "focus-00003": [dict(r, BillingAccountId="acct-9") for r in rows[:5]]},
        ["focus-00001", "focus-00002"])
    objects = tmp_path / "objects"
    objects.mkdir()
    for n, f in enumerate(files.values()):
        _older(f)
        f.rename(objects / f"SHA256E-s{n}--{n}ab.parquet")
        f.symlink_to(objects / f"SHA256E-s{n}--{n}ab.parquet")
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "aws")])
        assert store_totals(s) == exact_totals([files["focus-00001"], files["focus-00002"]])
        assert [w.split(": ")[:2] for w in res.warnings] == [
            [str(files["focus-00003"]), "a part an earlier run left behind"]]


def test_a_re_export_in_a_later_focus_version_replaces_the_older_export(tmp_path):
    """Moving an export to a later FOCUS version (a new export, backfilled) bills the same
    charges with the columns that version adds filled: the two are copies, compared on the
    columns both fill, and the newer is loaded alone."""
    rows = [{"ResourceId": f"r{i}", "ChargePeriodStart": f"2026-05-{i % 28 + 1:02d}",
             "BilledCost": f"{i}.10", "EffectiveCost": f"{i}.05"} for i in range(30)]
    later = {"BillingAccountType": "Payer Account", "SubAccountType": "Linked Account",
             "ServiceSubcategory": "Virtual Machines", "SkuMeter": "Compute"}
    v10 = ("ServiceProviderName",)  # BASE's only column a FOCUS version after 1.0 adds
    old = frame_file(tmp_path / "focus-1.0", "2026-05", rows, without=v10)
    new = frame_file(tmp_path / "focus-1.3", "2026-05", [{**r, **later} for r in rows])
    os.utime(old, ns=(new.stat().st_mtime_ns - 10**9,) * 2)
    # a part of the old export that the new one does not hold is a part, not a copy
    other = frame_file(tmp_path / "focus-1.0", "2026-05-part2",
                       [dict(r, ResourceId=f"x{i}") for i, r in enumerate(rows)], without=v10)
    os.utime(other, ns=(new.stat().st_mtime_ns - 10**9,) * 2)
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path)])
        assert store_totals(s) == exact_totals([new, other])
        assert [w.split(":")[0] for w in res.warnings] == [str(old)]


@pytest.mark.parametrize("apart", ["Tags", "ResourceId"])
def test_parts_are_told_apart_by_a_column_a_part_of_tax_rows_leaves_empty(tmp_path, apart):
    """The parts of one export (one node's cost split by namespace, or resources paged over
    files) differ only in a column that a third part, of tax rows, never fills: they stay
    parts. Compared on the columns every part fills, one was taken for a copy of the other."""
    days = [f"2026-05-{i % 28 + 1:02d}" for i in range(30)]
    parts = [frame_file(tmp_path / "run", f"part-{k}", [
        {"ChargePeriodStart": d, "ResourceId": f"r{i}", "Tags": '{"ns": "a"}',
         apart: {"Tags": f'{{"ns": "{k}"}}', "ResourceId": f"r{k}-{i}"}[apart],
         "BilledCost": f"{i}.{k}", "EffectiveCost": f"{i}.{k}"} for i, d in enumerate(days)])
        for k in (1, 2)]
    tax = frame_file(tmp_path / "run", "part-3", [
        {"ChargeCategory": "Tax", "ResourceId": None, "ResourceName": None, "Tags": None,
         "BilledCost": "5.01", "EffectiveCost": "5.01"}])
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path)])
        assert store_totals(s) == exact_totals([*parts, tax])
        assert res.warnings == []


@pytest.mark.parametrize("beside", ["an older export", "a part of tax rows"])
def test_parts_of_a_later_version_stay_parts_beside_a_file_of_an_older_one(tmp_path, beside):
    """A 1.3 export in two parts, each node's cost split by pod (AllocatedResourceId), one
    pod of each node per part: the parts differ only in 1.3's columns. Beside them a file of
    the month detected as 1.0 (an older export of it, or a part of tax rows written without
    the columns it does not fill): the parts are still compared with each other on every
    column. Compared on 1.0's, one part was taken for a copy of the other."""
    rows = [{"ResourceId": f"node{i}", "ChargePeriodStart": f"2026-05-{i % 28 + 1:02d}",
             "EffectiveCost": f"{i}.05"} for i in range(30)]
    parts = [frame_file(tmp_path / "new", f"part-{k}", [
        dict(r, AllocatedResourceId=f"pod-{k}-{i}", BilledCost=f"{i}.1{k}")
        for i, r in enumerate(rows)]) for k in (1, 2)]
    v10 = ("ServiceProviderName",)  # BASE's only column a FOCUS version after 1.0 adds
    if beside == "an older export":
        old = frame_file(tmp_path / "old", "may", [dict(r, BilledCost="1.00") for r in rows],
                         without=v10)
        os.utime(old, ns=(parts[0].stat().st_mtime_ns - 10**9,) * 2)
        kept, warned = parts, [str(old)]
    else:
        tax = frame_file(tmp_path / "new", "part-3", [
            {"ChargeCategory": "Tax", "ResourceId": None, "ResourceName": None,
             "BilledCost": "5.01", "EffectiveCost": "5.01"}], without=v10)
        kept, warned = [*parts, tax], []
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path)])
        assert store_totals(s) == exact_totals(kept)
        assert [w.split(":")[0] for w in res.warnings] == warned


def test_of_identical_copies_the_newest_is_weighed_whatever_order_they_are_named_in(tmp_path):
    """Two identical downloads of an old run, `x (1)` and `x (2)` (copied later, a new
    time), beside the corrected export `x`, written between them. The copy rule weighs the
    newest of the bytes, so the later download wins over `x` (as `cp` without -p makes it,
    the README says), and naming the older download first in the command changes nothing:
    the identical file loaded is the newest, not the first named."""
    old = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
           for i in range(24)]
    folder = tmp_path / "exp"
    first = frame_file(folder, "x (1)", old)
    x = frame_file(folder, "x", [dict(r, BilledCost="3.50") for r in old])
    later = folder / "x (2).parquet"
    later.write_bytes(first.read_bytes())
    for age, f in enumerate((first, x, later)):
        os.utime(f, ns=(10**18 + age * 10**9,) * 2)
    sums = {}
    for named in ([folder], [first, folder], [later, folder], [x, first, later]):
        with Store(":memory:", Config(root=tmp_path)) as s:
            res = s.ingest([str(p) for p in named])
            sums[tuple(map(str, named))] = store_totals(s)
            assert f"{first}: same content as {later}; loaded once" in res.warnings
    assert list(sums.values()) == [exact_totals([later])] * 4


def test_of_identical_files_the_one_of_the_run_submitted_last_is_loaded_not_a_later_download(
        tmp_path):
    """Two runs of an Azure export (the later restates amounts) and a download of the later
    run's file, made after both: the download is the most recently modified of the two
    identical files, but the one loaded is the run's, whose manifest says it is the later
    run: a loose copy, without the run's record, would be taken for an older copy of the
    earlier run, whose manifest outranks file times, and the earlier run's figures loaded."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(24)]
    runs = [frame_file(tmp_path / "exp" / run, "part_0", [dict(r, BilledCost=cost) for r in rows])
            for run, cost in (("run-1", "1.25"), ("run-2", "3.50"))]
    for part, when in zip(runs, ("2026-06-03T00:00:00Z", "2026-06-05T00:00:00Z"), strict=True):
        (part.parent / "manifest.json").write_text(json.dumps({
            "exportConfig": {"exportName": "focus", "resourceId": "/billingAccounts/1",
                             "type": "FocusCost"},
            "runInfo": {"runId": part.parent.name, "submittedTime": when}}))
    download = tmp_path / "downloads" / "part_0.parquet"
    download.parent.mkdir()
    download.write_bytes(runs[1].read_bytes())
    for age, f in enumerate((runs[1], runs[0], download)):
        os.utime(f, ns=(10**18 + age * 10**9,) * 2)
    for named in ([tmp_path], [tmp_path / "exp", download], [download, tmp_path / "exp"]):
        with Store(":memory:", Config(root=tmp_path)) as s:
            res = s.ingest([str(p) for p in named])
            assert store_totals(s) == exact_totals([runs[1]]), named
            assert res.warnings[0] == f"{download}: same content as {runs[1]}; loaded once"


def test_of_identical_files_one_a_manifest_lists_is_loaded_not_one_another_run_left_behind(
        tmp_path):
    """The same part in two export folders: the run of one lists it, the last run of the
    other left it behind beside a part of the same account, and was copied later (a newer
    file time). The bytes are a part of the first run, loaded once, from where it lists
    them: from the other folder they would be set aside as left behind."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(30)]
    listed, own = _listed_here_left_behind_there(tmp_path, rows, rows[20:])
    _older(listed[1], 7200)
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "a"), str(tmp_path / "b")])
        assert store_totals(s) == exact_totals([*listed, own]) and res.rows == 30


def test_of_identical_files_of_one_time_the_last_by_path_is_loaded(tmp_path):
    """Files restored with one time (an archive, a coarse file system): of two identical
    ones the rule for copies takes the last by path, as it does of any two files, so that
    the identical file loaded is the one it would keep of them beside a corrected file."""
    rows = [{"ResourceId": f"r{i}", "BilledCost": f"{i}.25", "EffectiveCost": f"{i}.25"}
            for i in range(24)]
    first, last = (frame_file(tmp_path / name, "x", rows) for name in ("a", "c"))
    corrected = frame_file(tmp_path / "b", "x", [dict(r, BilledCost="3.50") for r in rows])
    for f in (first, last, corrected):
        os.utime(f, ns=(10**18,) * 2)
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path)])
        assert store_totals(s) == exact_totals([last])
        assert res.warnings[0] == f"{first}: same content as {last}; loaded once"
