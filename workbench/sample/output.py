"""Writing the sample folder: FOCUS files, business CSVs, planted.json, manifest.json, README.md."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.sample.build import Sample
from workbench.sample.readme import readme
from workbench.sample.writer import write_csv, write_parquet

FOCUS_FILE = re.compile(r"\d{4}-\d{2}\.parquet")
BUSINESS = ("drivers", "org", "budgets", "telemetry", "quality")


def money(units: int) -> str:
    return str(Decimal(int(units)) / Decimal(10**10))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def earlier_sample(out: Path) -> dict:
    """The manifest of the sample `out` holds, {} for a new or empty folder (hidden files, a
    .DS_Store a desktop leaves, are no content). A folder holding anything else is refused:
    writing a sample replaces files by name (drivers.csv, focus/aws/2026-05.parquet) and
    removes the FOCUS files of the sample before it, which in a folder of real exports
    would be the exports."""
    if not out.is_dir() or all(p.name.startswith(".") for p in out.iterdir()):
        return {}
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("generator") != "workbench sample":
        raise WorkbenchError(f"--out: {out} holds files that `workbench sample` did not write "
                             "(it has no sample manifest.json); name a new or empty folder")
    return manifest


def _clear_old(out: Path, manifest: dict) -> None:
    """Remove the FOCUS files the sample before wrote, and only those (a different --months
    would leave stale ones)."""
    for name in manifest.get("files", {}):
        f = out / name
        if name.startswith("focus/") and FOCUS_FILE.fullmatch(f.name) and out in f.parents:
            f.unlink(missing_ok=True)


def write_sample(sample: Sample, out) -> dict:
    out = Path(out)
    earlier = earlier_sample(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkbenchError(f"--out: cannot create {out}: {exc.strerror}") from None
    _clear_old(out, earlier)
    f = sample.focus
    files, totals = {}, {}
    month = f["BillingPeriodStart"].dt.strftime("%Y-%m")
    for (folder, m), g in f.groupby(["folder", month], sort=True):
        path = out / "focus" / folder / f"{m}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(g, path)
        per_cur = {}
        for cur, gc in g.groupby("BillingCurrency"):
            b, e = int(gc["BilledCost"].astype(object).sum()), int(gc["EffectiveCost"].astype(object).sum())
            per_cur[cur] = {"billed_cost": money(b), "effective_cost": money(e)}
            t = totals.setdefault(cur, [0, 0])
            t[0] += b
            t[1] += e
        files[path.relative_to(out).as_posix()] = {"rows": len(g), "sha256": sha256(path), "totals": per_cur}
    for name in BUSINESS:
        path = out / f"{name}.csv"
        write_csv(sample.tables[name], path)
        files[path.name] = {"rows": len(sample.tables[name]), "sha256": sha256(path)}
    planted = {"seed": sample.seed, "end": sample.window.end_month, "months": sample.window.months,
               "window": {"start": sample.window.start.isoformat(), "end": sample.window.stop.isoformat()},
               **sample.planted}
    (out / "planted.json").write_text(json.dumps(planted, indent=2) + "\n", encoding="utf-8")
    manifest = {
        "generator": "workbench sample", "focus_version": "1.3", "seed": sample.seed,
        "end": sample.window.end_month, "months": sample.window.months, "rows": len(f),
        "totals": {c: {"billed_cost": money(b), "effective_cost": money(e)} for c, (b, e) in sorted(totals.items())},
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (out / "README.md").write_text(readme(sample, manifest), encoding="utf-8")
    return manifest
