"""Ingest of a 5M-row FOCUS CSV beside bare DuckDB passes and a plain pandas pass.

Passes, each in its own child process so that its peak RSS (ru_maxrss) is its own; wall
time is measured inside the child around the work only (imports excluded):

- ingest: `Store.ingest` into a new store file, closed (so checkpointed) at the end;
- duckdb: bare `read_csv` + group-by per currency (three columns parsed; the baseline);
- scan: bare DuckDB typed read of every FOCUS column, nothing kept: what reading the whole
  file costs before anything is stored;
- floor: bare DuckDB full-width typed load of every FOCUS column into a file table,
  closed at the end: what any loader that keeps all columns pays at least;
- parquet: the same typed columns written to one snappy Parquet file instead: whether
  another storage format would close the gap;
- pandas: chunked `read_csv` + group-by;
- validate: `workbench validate` of the file (clean: one typed read, as ingest reads it,
  streamed: nothing kept but sums per partition, currency and distinct Tags value);
- validate_precise: the same through the precise reader alone (every value read as text,
  every row numbered), which a file with problems gets.

The CSV is generated once and cached under data/bench/, and read once before each pass so
that every pass finds it in the page cache. Targets: ingest within 2x of bare DuckDB,
RSS < 2 GB. Set BENCH_ROWS to try another size, BENCH_CSV to use another file.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.child import measure, serve

ROOT = Path(__file__).resolve().parent.parent
ROWS = int(os.environ.get("BENCH_ROWS", 5_000_000))
CSV = Path(os.environ.get("BENCH_CSV") or ROOT / "data" / "bench" / f"focus_{ROWS}.csv")
COSTS = ("BilledCost", "EffectiveCost")
MEMORY = "1GB"  # DuckDB memory limit of every DuckDB pass (the store's default)


def make_csv(path: Path = CSV, rows: int = ROWS) -> Path:
    if path.is_file() and path.stat().st_size > 0:
        return path
    try:
        from workbench.sample import write_bench_csv
    except ImportError:
        from workbench.sample.large import write_bench_csv
    tmp = path.with_suffix(".partial.csv")
    write_bench_csv(tmp, rows, seed=0)
    os.replace(tmp, path)
    return path


# -- the passes (each runs in a child: `python -m benchmarks.bench_ingest PASS CSV`) ------

def pass_ingest(csv: Path) -> dict:
    from workbench.config import Config
    from workbench.delivery import sha256_file
    from workbench.store import Store
    with tempfile.TemporaryDirectory(dir=csv.parent) as tmp:
        t0 = time.perf_counter()
        s = Store(Path(tmp) / "bench.duckdb", Config(root=Path(tmp)))
        res = s.ingest([str(csv)])
        t1 = time.perf_counter()
        s.close()
        wall = time.perf_counter() - t0
        close = time.perf_counter() - t1
        # The file again, unchanged: taken over from the store, not read (reads.py).
        t4 = time.perf_counter()
        with Store(Path(tmp) / "bench.duckdb", Config(root=Path(tmp))) as s:
            again = s.ingest([str(csv)])
        again_s = time.perf_counter() - t4
        with Store(Path(tmp) / "bench.duckdb", Config(root=Path(tmp)), read_only=True) as r:
            totals = r.totals().groupby("currency")[["billed_cost", "effective_cost"]].sum()
            t2 = time.perf_counter()
            r.monthly(["team", "environment", "workload_class"])
            query = time.perf_counter() - t2
        size = sum(f.stat().st_size for f in Path(tmp).glob("*.duckdb"))
    t3 = time.perf_counter()
    sha256_file(csv)  # runs beside the load during ingest; alone here to show its share
    hash_s = time.perf_counter() - t3
    return {"wall_s": wall, "rows": res.rows, "store_mb": round(size / 2**20, 1),
            "reader": [f["reader"] for f in res.files], "close_s": round(close, 2),
            "hash_s": round(hash_s, 2), "monthly_3_dims_s": round(query, 3),
            "again_s": round(again_s, 2), "again_reader": [f["reader"] for f in again.files],
            "totals": {c: [round(v, 2) for v in r] for c, r in totals.iterrows()}}


def _csv(csv: Path, columns: str = "") -> str:
    return f"read_csv('{csv}', header=true{columns})"


def pass_duckdb(csv: Path) -> dict:
    import duckdb
    con = duckdb.connect(config={"memory_limit": MEMORY})
    types = ", types={" + ", ".join(f"'{c}': 'DECIMAL(38, 10)'" for c in COSTS) + "}"
    t0 = time.perf_counter()
    rows = con.execute(
        f"SELECT BillingCurrency, count(*), sum(BilledCost), sum(EffectiveCost) "
        f"FROM {_csv(csv, types)} GROUP BY 1 ORDER BY 1").fetchall()
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "rows": sum(r[1] for r in rows),
            "totals": {r[0]: [round(float(r[2]), 2), round(float(r[3]), 2)] for r in rows}}


def _typed_csv(csv: Path) -> str:
    """The CSV with every column of its header typed as the store keeps it (a file written
    before a column joined the schema, or another export, has other columns)."""
    from workbench.focus_sql import csv_read_type
    from workbench.schema import FOCUS_COLUMNS
    with csv.open(encoding="utf-8-sig") as f:
        header = f.readline().rstrip("\r\n").split(",")
    return _csv(csv, ", columns={" + ", ".join(
        f"'{c}': '{csv_read_type(FOCUS_COLUMNS.get(c, 'VARCHAR'))}'" for c in header) + "}")


def pass_scan(csv: Path) -> dict:
    import duckdb
    con = duckdb.connect(config={"memory_limit": MEMORY})
    con.execute("SET TimeZone = 'UTC'")
    t0 = time.perf_counter()
    n = con.execute(f"SELECT count(*), min(COLUMNS(*)) FROM {_typed_csv(csv)}").fetchone()[0]
    return {"wall_s": time.perf_counter() - t0, "rows": n}


def pass_floor(csv: Path) -> dict:
    import duckdb
    with tempfile.TemporaryDirectory(dir=csv.parent) as tmp:
        t0 = time.perf_counter()
        con = duckdb.connect(str(Path(tmp) / "floor.duckdb"), config={"memory_limit": MEMORY})
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"CREATE TABLE charges AS SELECT * FROM {_typed_csv(csv)}")
        n = con.execute("SELECT count(*) FROM charges").fetchone()[0]
        con.close()
        wall = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in Path(tmp).glob("*.duckdb"))
    return {"wall_s": wall, "rows": n, "store_mb": round(size / 2**20, 1)}


def pass_parquet(csv: Path) -> dict:
    import duckdb
    with tempfile.TemporaryDirectory(dir=csv.parent) as tmp:
        con = duckdb.connect(config={"memory_limit": MEMORY})
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET TimeZone = 'UTC'")
        out = Path(tmp) / "charges.parquet"
        t0 = time.perf_counter()
        con.execute(f"COPY (SELECT * FROM {_typed_csv(csv)}) TO '{out}' "
                    "(FORMAT parquet, COMPRESSION snappy)")
        wall = time.perf_counter() - t0
        n = con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]
        return {"wall_s": wall, "rows": n, "store_mb": round(out.stat().st_size / 2**20, 1)}


def pass_pandas(csv: Path) -> dict:
    import pandas as pd
    t0 = time.perf_counter()
    parts = []
    n = 0
    for chunk in pd.read_csv(csv, chunksize=500_000, dtype=str, keep_default_na=False,
                             engine="c"):
        n += len(chunk)
        for c in COSTS:
            chunk[c] = pd.to_numeric(chunk[c])
        parts.append(chunk.groupby("BillingCurrency")[list(COSTS)].sum())
    totals = pd.concat(parts).groupby(level=0).sum()
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "rows": n,
            "totals": {c: [round(v, 2) for v in r] for c, r in totals.iterrows()}}


def _validate(csv: Path, fast: bool) -> dict:
    from workbench import focus
    focus.VALIDATE_FAST = fast
    t0 = time.perf_counter()
    (report,) = focus.validate([str(csv)])
    wall = time.perf_counter() - t0
    assert report.ok, report.lines()[:3]
    return {"wall_s": wall, "rows": report.rows,
            "totals": {c: [round(float(v["billed_cost"]), 2), round(float(v["effective_cost"]), 2)]
                       for c, v in sorted(report.currencies.items())}}


PASSES = {"ingest": pass_ingest, "duckdb": pass_duckdb, "scan": pass_scan,
          "floor": pass_floor, "parquet": pass_parquet, "pandas": pass_pandas,
          "validate": lambda csv: _validate(csv, True),
          "validate_precise": lambda csv: _validate(csv, False)}
NAMES = tuple(PASSES)



def warm_cache(path: Path, block: int = 8 << 20) -> float:
    """Read the file once so that every pass finds it in the page cache (the first pass
    would otherwise pay for the disk alone). Returns the seconds the read took."""
    t0 = time.perf_counter()
    with open(path, "rb", buffering=0) as fh:
        while fh.read(block):
            pass
    return time.perf_counter() - t0



def run() -> dict:
    t0 = time.perf_counter()
    csv = make_csv()
    gen = time.perf_counter() - t0
    res = {"rows": ROWS, "csv": str(csv), "csv_mb": round(csv.stat().st_size / 2**20, 1),
           "generate_s": round(gen, 1)}
    res["warm_read_s"] = round(warm_cache(csv), 2)
    for name in ("duckdb", *(n for n in NAMES if n != "duckdb")):
        warm_cache(csv)
        r = measure("benchmarks.bench_ingest", name, csv)
        r["rows_per_s"] = round(r["rows"] / r["wall_s"])
        r["wall_s"] = round(r["wall_s"], 2)
        res[name] = r
    res["rows"] = res["duckdb"]["rows"]
    base = res["duckdb"]["wall_s"]
    for name in (n for n in NAMES if n != "duckdb"):
        res[f"{name}_vs_duckdb"] = round(res[name]["wall_s"] / base, 2)
    res["validate_vs_precise"] = round(res["validate"]["wall_s"]
                                       / res["validate_precise"]["wall_s"], 2)
    res["ingest_vs_floor"] = round(res["ingest"]["wall_s"] / res["floor"]["wall_s"], 2)
    res["totals_agree"] = all(res[n]["totals"] == res["duckdb"]["totals"]
                              for n in ("ingest", "validate", "validate_precise"))
    res["targets"] = {"ingest_within_2x": res["ingest_vs_duckdb"] <= 2.0,
                      "ingest_rss_under_2gb": res["ingest"]["peak_rss_mb"] < 2048}
    return res


def table(res: dict) -> str:
    lines = [f"{res['rows']:,} rows, {res['csv_mb']} MB CSV",
             f"{'pass':<16} {'wall s':>8} {'rows/s':>12} {'peak RSS MB':>12} {'vs duckdb':>10}"]
    for name in ("ingest", *(n for n in NAMES if n != "ingest")):
        r = res[name]
        ratio = r["wall_s"] / res["duckdb"]["wall_s"]
        lines.append(f"{name:<16} {r['wall_s']:>8.2f} {r['rows_per_s']:>12,} "
                     f"{r['peak_rss_mb']:>12,.0f} {ratio:>9.2f}x")
    ing = res["ingest"]
    lines.append(f"ingest: {'/'.join(ing['reader'])} path, {res['ingest_vs_floor']:.2f}x the "
                 f"full-width floor; close (checkpoint) {ing['close_s']:.1f}s; sha256 of the "
                 f"file alone {ing['hash_s']:.1f}s (overlapped with the load); store file "
                 f"{ing['store_mb']} MB; monthly x 3 tag dims {ing['monthly_3_dims_s']:.2f}s; "
                 f"the file again, unchanged: {ing['again_s']:.1f}s")
    lines.append(f"totals agree: {res['totals_agree']}; targets: {res['targets']}")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        serve(PASSES, sys.argv[1], sys.argv[2])
    else:
        r = run()
        print(table(r))
