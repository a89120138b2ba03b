"""The report's store after one small file of its folder changed: built from the rows the old
store holds of the unchanged files (store_reuse.py), against a fresh build that reads them all.

    python -m benchmarks.bench_reuse [DIR] [ROWS]

DIR (default data/bench/reuse) gets a ROWS-row FOCUS CSV (default 1M) and a 1,000-row one of
another month, rewritten before each timed open_store. Not part of `make bench`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from workbench import store_reuse
from workbench.config import Config
from workbench.sample.large import write_bench_csv
from workbench.store import open_store


def _timed(data: Path, store: Path, cfg: Config, seed: int, reuse: bool) -> float:
    write_bench_csv(data / "small.csv", 1_000, seed=seed, end="2020-02", months=2)
    time.sleep(2.5)  # older than a read by reads.RACY_NS, as a month-old file is
    build = store_reuse.build
    if not reuse:
        store_reuse.build = lambda *a: False
    try:
        t0 = time.perf_counter()
        open_store([str(data)], store, cfg).close()
        return time.perf_counter() - t0
    finally:
        store_reuse.build = build


def main(argv: list[str]) -> None:
    root = Path(argv[0] if argv else "data/bench/reuse")
    rows = int(argv[1]) if len(argv) > 1 else 1_000_000
    data, store, cfg = root / "exports", root / "reuse.duckdb", Config(root=root)
    if not (data / "big.csv").is_file():
        write_bench_csv(data / "big.csv", rows, seed=0)
    for seed in range(1, 7):  # alternated, each after the same change
        reuse = seed % 2 == 0
        print(f"{'reusing rows' if reuse else 'fresh build'}: "
              f"{_timed(data, store, cfg, seed, reuse):.2f} s "
              f"(store {store.stat().st_size / 1e6:.0f} MB)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
