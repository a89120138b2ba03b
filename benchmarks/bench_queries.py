"""The analysis queries on DuckDB (the store) and unchanged on Spark in local mode.

A 1M-row FOCUS CSV (`workbench sample --rows`, cached under data/bench/) is ingested into a
store; its `charges` and `tag_sets` tables are copied to Parquet and registered in a local
Spark session (2 threads). Each query of the report runs once to warm up, then is timed,
on both engines; the frames must be equal (money exactly). DuckDB is the baseline.
Set BENCH_QUERY_ROWS to try another size.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.bench_ingest import make_csv

ROOT = Path(__file__).resolve().parent.parent
ROWS = int(os.environ.get("BENCH_QUERY_ROWS", 1_000_000))
CSV = ROOT / "data" / "bench" / f"focus_{ROWS}.csv"

QUERIES = {
    "totals": lambda q, month: q.totals(),
    "monthly_3_tag_dims": lambda q, month: q.monthly(["team", "environment", "workload_class"]),
    "daily_by_provider": lambda q, month: q.daily(["provider"]),
    "resources_of_a_month": lambda q, month: q.resources(month),
}


def _timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run() -> dict:
    import pandas as pd

    from workbench.config import Config
    from workbench.spark import local_session, queries_on_spark
    from workbench.store import Store

    csv = make_csv(CSV, ROWS)
    res: dict = {"rows": ROWS, "spark": "local[2]"}
    with tempfile.TemporaryDirectory(dir=csv.parent) as tmp:
        config = Config(root=Path(tmp))
        store = Store(Path(tmp) / "q.duckdb", config)
        res["ingest_s"] = round(_timed(lambda: store.ingest([str(csv)]))[0], 2)
        t_up, spark = _timed(local_session)
        res["spark_start_s"] = round(t_up, 2)
        on_spark = queries_on_spark(store, tmp, spark)
        month = store.months()[-2]
        res["queries"] = {}
        for name, query in QUERIES.items():
            row = {}
            for engine, q in (("duckdb", store), ("spark", on_spark)):
                first, _ = _timed(lambda q=q, query=query: query(q, month))
                warm, frame = _timed(lambda q=q, query=query: query(q, month))
                row[engine] = {"first_s": round(first, 3), "warm_s": round(warm, 3)}
                row[f"{engine}_frame"] = frame
            duck, sp = row.pop("duckdb_frame"), row.pop("spark_frame")
            money = [c for c in duck.columns if c.endswith("cost") or c == "cost"]
            row["same"] = bool(duck[money].equals(sp[money])) and len(duck) == len(sp)
            pd.testing.assert_frame_equal(duck, sp, check_dtype=False, rtol=1e-12)
            row["spark_vs_duckdb"] = round(row["spark"]["warm_s"] / row["duckdb"]["warm_s"], 1)
            res["queries"][name] = row
        spark.stop()
        store.close()
    res["all_same"] = all(r["same"] for r in res["queries"].values())
    return res


def table(res: dict) -> str:
    lines = [f"{res['rows']:,} rows; Spark {res['spark']} started in {res['spark_start_s']:.1f}s",
             f"{'query':<22} {'duckdb s':>9} {'spark s':>9} {'spark/duckdb':>13} {'same':>5}"]
    for name, r in res["queries"].items():
        lines.append(f"{name:<22} {r['duckdb']['warm_s']:>9.3f} {r['spark']['warm_s']:>9.3f} "
                     f"{r['spark_vs_duckdb']:>12.1f}x {str(r['same']):>5}")
    lines.append(f"every frame equal (money exactly): {res['all_same']}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
