"""`make bench`: run every benchmarks/bench_*.py, print their tables, write results.json.

Each bench module exposes `run() -> dict` (figures, ratios against a baseline measured in
the same process) and `table(result) -> str`. Benchmarks measure; tests assert behaviour.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> dict:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = fh.readline().split(":")[1].strip()
    except OSError:
        pass
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory": mem, "cpu": cpu,
            "python": platform.python_version(), "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("only", nargs="*", help="bench names (e.g. ingest forecast); default all")
    p.add_argument("--out", default=str(HERE / "results.json"))
    args = p.parse_args(argv)
    names = sorted(f.stem.removeprefix("bench_") for f in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n in args.only]
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for name in names:
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        res = mod.run()
        res["bench_seconds"] = round(time.perf_counter() - t0, 1)
        results[name] = res
        print(mod.table(res), flush=True)
    out = Path(args.out)
    if out.exists():
        old = json.loads(out.read_text())
        if args.only:  # keep the other sections of an earlier full run
            results = {**old, **results}
        # an opt-in bench left out of this run keeps its last figures (README quotes them)
        results.update({k: old[k] for k, v in results.items()
                        if isinstance(v, dict) and "skipped" in v and k in old
                        and "skipped" not in old[k]})
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
