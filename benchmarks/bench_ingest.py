"""Ingest of a 5M-row FOCUS CSV beside a bare DuckDB pass and a plain pandas pass.

Each pass runs in its own child process so its peak RSS (ru_maxrss) is its own; wall time
is measured inside the child around the work only (imports excluded). The CSV is generated
once and cached under data/bench/. Targets: ingest within 2x of bare DuckDB, RSS < 2 GB.
Set BENCH_ROWS to try another size.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = int(os.environ.get("BENCH_ROWS", 5_000_000))
CSV = ROOT / "data" / "bench" / f"focus_{ROWS}.csv"
COSTS = ("BilledCost", "EffectiveCost")


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


# -- the three passes (each runs in a child: `python -m benchmarks.bench_ingest PASS CSV`) --

def pass_ingest(csv: Path) -> dict:
    from workbench import store as store_mod
    from workbench.config import Config
    from workbench.store import Store
    scan_s = []
    real_scan = store_mod.scan_file

    def timed_scan(con, path, table):  # split the wall time: reading/checking vs storing
        t = time.perf_counter()
        try:
            return real_scan(con, path, table)
        finally:
            scan_s.append(time.perf_counter() - t)

    store_mod.scan_file = timed_scan
    with tempfile.TemporaryDirectory(dir=csv.parent) as tmp:
        t0 = time.perf_counter()
        with Store(Path(tmp) / "bench.duckdb", Config(root=Path(tmp))) as s:
            res = s.ingest([str(csv)])
            totals = s.totals().groupby("currency")[["billed_cost", "effective_cost"]].sum()
        wall = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in Path(tmp).glob("*.duckdb"))
    return {"wall_s": wall, "rows": res.rows, "store_mb": round(size / 2**20, 1),
            "scan_s": round(sum(scan_s), 2), "store_s": round(wall - sum(scan_s), 2),
            "totals": {c: [round(v, 2) for v in r] for c, r in totals.iterrows()}}


def pass_duckdb(csv: Path) -> dict:
    import duckdb
    con = duckdb.connect()
    t0 = time.perf_counter()
    rows = con.execute(
        f"SELECT BillingCurrency, count(*), sum(BilledCost::DECIMAL(38, 10)), "
        f"sum(EffectiveCost::DECIMAL(38, 10)) FROM read_csv('{csv}', header=true, all_varchar=true) "
        f"GROUP BY 1 ORDER BY 1").fetchall()
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "rows": sum(r[1] for r in rows),
            "totals": {r[0]: [round(float(r[2]), 2), round(float(r[3]), 2)] for r in rows}}


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


PASSES = {"ingest": pass_ingest, "duckdb": pass_duckdb, "pandas": pass_pandas}


def _child(name: str, csv: str) -> None:
    out = PASSES[name](Path(csv))
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


def _measure(name: str, csv: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_ingest", name, str(csv)],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} pass failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run() -> dict:
    t0 = time.perf_counter()
    csv = make_csv()
    gen = time.perf_counter() - t0
    res = {"rows": ROWS, "csv_mb": round(csv.stat().st_size / 2**20, 1),
           "generate_s": round(gen, 1)}
    for name in ("duckdb", "ingest", "pandas"):
        r = _measure(name, csv)
        r["rows_per_s"] = round(r["rows"] / r["wall_s"])
        r["wall_s"] = round(r["wall_s"], 2)
        res[name] = r
    base = res["duckdb"]["wall_s"]
    res["ingest_vs_duckdb"] = round(res["ingest"]["wall_s"] / base, 2)
    res["pandas_vs_duckdb"] = round(res["pandas"]["wall_s"] / base, 2)
    res["totals_agree"] = res["ingest"]["totals"] == res["duckdb"]["totals"]
    res["targets"] = {"ingest_within_2x": res["ingest_vs_duckdb"] <= 2.0,
                      "ingest_rss_under_2gb": res["ingest"]["peak_rss_mb"] < 2048}
    return res


def table(res: dict) -> str:
    lines = [f"{res['rows']:,} rows, {res['csv_mb']} MB CSV",
             f"{'pass':<8} {'wall s':>8} {'rows/s':>12} {'peak RSS MB':>12} {'vs duckdb':>10}"]
    for name in ("ingest", "duckdb", "pandas"):
        r = res[name]
        ratio = r["wall_s"] / res["duckdb"]["wall_s"]
        lines.append(f"{name:<8} {r['wall_s']:>8.2f} {r['rows_per_s']:>12,} "
                     f"{r['peak_rss_mb']:>12,.0f} {ratio:>9.2f}x")
    lines.append(f"ingest split: scan_file (read, convert, check) {res['ingest']['scan_s']:.1f}s, "
                 f"store (hash, insert, replace, commit, totals) {res['ingest']['store_s']:.1f}s; "
                 f"store file {res['ingest']['store_mb']} MB")
    lines.append(f"totals agree: {res['totals_agree']}; targets: {res['targets']}")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        _child(sys.argv[1], sys.argv[2])
    else:
        r = run()
        print(table(r))
