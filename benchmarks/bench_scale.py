"""The monthly report and the app on a large store (opt-in: BENCH_SCALE=1).

The ingest bench's 5M-row CSV (BENCH_ROWS, BENCH_CSV as there) is loaded once into a store
that is kept (BENCH_SCALE_STORE, default data/bench/<csv name>.duckdb) and reused while it
holds that file. Each pass runs in its own child process, so its peak RSS is its own:

- queries: each query the report and the overview run, on a warm store;
- overview: the overview's data load (`pages.load_overview`), then every section built for
  the report (static charts) and for the app (live charts), and one filtered view;
- app: the app page as a preheated kernel builds it (`overview_page(mode="app")` and
  every section's widget), what stands between a visitor and the first chart;
- report: `workbench report` on the store, PDFs included (peak RSS: the largest process,
  the report's or a notebook kernel's).

Opt-in because the first run ingests the 4.8 GB CSV; `make bench` skips it without
BENCH_SCALE=1.
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

from benchmarks.bench_ingest import CSV, ROWS, make_csv
from benchmarks.child import measure, serve

ROOT = Path(__file__).resolve().parent.parent
STORE = Path(os.environ.get("BENCH_SCALE_STORE") or ROOT / "data" / "bench" / f"{CSV.stem}.duckdb")


def _config(folder: Path) -> Path:
    """A workbench.toml whose data is the CSV and whose store is STORE (no business files:
    they belong to the sample)."""
    path = folder / "workbench.toml"
    path.write_text(f"[data]\nfocus = [{json.dumps(str(CSV))}]\nstore = {json.dumps(str(STORE))}\n")
    return path


def _cpu() -> float:
    """CPU seconds of this process, all its threads (DuckDB's too): unlike wall time, hardly
    moved by other work on a shared machine."""
    t = os.times()
    return t.user + t.system


def _timed(out: dict, name: str, fn):
    """fn(); its wall seconds as out[name], its CPU seconds as out["cpu"][name]."""
    t0, c0 = time.perf_counter(), _cpu()
    value = fn()
    out[name] = round(time.perf_counter() - t0, 2)
    out.setdefault("cpu", {})[name] = round(_cpu() - c0, 2)
    return value


# -- the passes (each runs in a child: `python -m benchmarks.bench_scale PASS CONFIG`) ----

def pass_queries(config: Path) -> dict:
    from workbench import overview
    from workbench.config import load_config
    from workbench.store import Store

    out: dict = {}
    with Store(STORE, load_config(config), read_only=True) as s:
        s.months()  # the first query also reads the store's tables: warm
        month = s.months()[-2]
        for name, fn in {
            "months": s.months, "coverage": s.coverage, "provider_coverage": s.provider_coverage,
            "totals": lambda: s.totals(exact=True),
            "monthly_13_months": lambda: s.monthly(start=f"{overview.shift_month(month, -12)}-01",
                                                   end=overview.month_range(month)[1], exact=True),
            "monthly_overview_dims": lambda: s.monthly(overview.MONTHLY_DIMS, exact=True),
            "daily_overview_dims": lambda: s.daily(overview.DAILY_DIMS, exact=True),
            "tag_keys": s.tag_keys,
        }.items():
            _timed(out, name, fn)
    return out


def pass_overview(config: Path) -> dict:
    from workbench import charts, pages
    from workbench.config import load_config
    from workbench.store import Store

    out: dict = {}
    with Store(STORE, load_config(config), read_only=True) as s:
        data = _timed(out, "load_s", lambda: pages.load_overview(s))
    out["monthly_rows"], out["daily_rows"] = len(data.monthly), len(data.daily)
    month = pages.resolve_month("", data)
    for mode in ("report", "app"):
        charts.use(mode)
        _timed(out, f"sections_{mode}_s", lambda: pages.overview_sections(data, {"month": month}))
    provider = sorted(set(data.monthly["provider"]))[0]
    _timed(out, "sections_app_filtered_s", lambda: pages.overview_sections(
        data, {"month": month, "filters": {"provider": provider}}))
    return out


def pass_app(config: Path) -> dict:
    os.environ["WORKBENCH_CONFIG"] = str(config)
    from workbench.pages import overview_page

    out: dict = {}
    page = _timed(out, "page_s", lambda: overview_page(mode="app"))
    _timed(out, "widgets_s", lambda: [page.widget(name) for name in page.sections])
    out["rss_after_mb"] = _rss_now()  # what a preheated kernel keeps while it waits
    return out


def _rss_now() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) // 1024 for line in fh if line.startswith("VmRSS"))


def pass_report(config: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="wb-bench-scale-") as pack:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "workbench.cli", "--config", str(config),
                               "report", "--out", pack], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        manifest = json.loads((Path(pack) / "manifest.json").read_text())
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"pack_s": round(wall, 1), "exit": proc.returncode,
            "pack_cpu_s": round(children.ru_utime + children.ru_stime, 1),
            "notebooks": {n["name"]: n["seconds"] for n in manifest["notebooks"]},
            "pdf_s": {n["name"]: n.get("pdf_seconds") for n in manifest["notebooks"]},
            "largest_process_rss_mb": round(children.ru_maxrss / 1024)}


PASSES = {"queries": pass_queries, "overview": pass_overview, "app": pass_app,
          "report": pass_report}




def _load(config: Path) -> float:
    """Ingest the CSV into STORE unless it holds it already; the seconds it took."""
    from workbench.config import load_config
    from workbench.store import open_store

    t0 = time.perf_counter()
    STORE.parent.mkdir(parents=True, exist_ok=True)
    open_store(store=STORE, config=load_config(config)).close()
    return round(time.perf_counter() - t0, 1)


def run() -> dict:
    if os.environ.get("BENCH_SCALE") != "1":
        return {"skipped": "set BENCH_SCALE=1 (the first run ingests the "
                           f"{ROWS:,}-row CSV into {STORE})"}
    csv = make_csv()
    with tempfile.TemporaryDirectory(prefix="wb-bench-scale-") as tmp:
        config = _config(Path(tmp))
        res: dict = {"rows": ROWS, "csv": str(csv), "store": str(STORE),
                     "load_or_reuse_s": _load(config)}
        for name in PASSES:
            res[name] = measure("benchmarks.bench_scale", name, config)
    return res


def _both(r: dict, name: str) -> str:
    return f"{r[name]:.2f} s ({r['cpu'][name]:.2f} s CPU)"


def table(res: dict) -> str:
    if "skipped" in res:
        return f"skipped: {res['skipped']}"
    q, o, a, r = (res[n] for n in ("queries", "overview", "app", "report"))
    lines = [f"{res['rows']:,} rows in {res['store']} (loaded or reused in {res['load_or_reuse_s']} s)",
             "queries, warm: " + ", ".join(f"{k} {_both(q, k)}" for k in q["cpu"])
             + f"; peak RSS {q['peak_rss_mb']} MB",
             f"overview data load {_both(o, 'load_s')} ({o['monthly_rows']:,} monthly and "
             f"{o['daily_rows']:,} daily rows); sections: report {_both(o, 'sections_report_s')}, "
             f"app {_both(o, 'sections_app_s')}, app filtered {_both(o, 'sections_app_filtered_s')}; "
             f"peak RSS {o['peak_rss_mb']} MB",
             f"app page as a kernel builds it {_both(a, 'page_s')}, widgets {_both(a, 'widgets_s')}; "
             f"peak RSS {a['peak_rss_mb']} MB, {a['rss_after_mb']} MB once built",
             f"report pack {r['pack_s']} s ({r['pack_cpu_s']} s CPU; exit {r['exit']}; notebooks "
             + ", ".join(f"{k} {v} s, pdf {r['pdf_s'][k]} s" for k, v in r["notebooks"].items())
             + f"); largest process RSS {r['largest_process_rss_mb']} MB"]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        serve(PASSES, sys.argv[1], sys.argv[2])
    else:
        print(table(run()))
