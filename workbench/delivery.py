"""What one ingest call (a delivery) needs besides SQL: hashing, locking, progress, records.

Kept apart from store.py so the store reads as queries; nothing here runs a query except
the progress meter, which only asks DuckDB how far the running statement is.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from workbench.errors import InputError, format_problem


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Content fingerprint of a file, read in blocks (bounded memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass
class IngestResult:
    delivery_id: int
    files: list[dict]
    rows: int
    replaced_rows: int
    partitions: list[dict]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@contextlib.contextmanager
def file_lock(target: Path) -> Iterator[None]:
    """An exclusive inter-process lock on `target`.lock (several kernels may start at once)."""
    lock_path = Path(str(target) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        try:
            import fcntl
        except ImportError:  # Windows: msvcrt locks a byte range
            import msvcrt
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
            return
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def naive_utc(value):
    """A timestamp as naive UTC, the way the store keeps TIMESTAMP columns."""
    if isinstance(value, str):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def iso_utc(value) -> str | None:
    return None if value is None else pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def partition_dict(row) -> dict:
    """(provider, billing account, billing period start, rows) as the load records show it."""
    return {"provider": row[0], "billing_account_id": row[1],
            "billing_period_start": iso_utc(row[2]), "rows": int(row[3])}


def same_in_many_files(found: list) -> list[str]:
    """Warnings as lines, where a problem about a whole file (no row) that many files share
    is said once, for the first file, with how many more have it: a provider's daily files
    all carry the same extra columns. `found` holds (path, Problem) pairs or ready lines."""
    lines: list[str | list] = []
    first: dict[tuple, list] = {}
    for item in found:
        if isinstance(item, str):
            lines.append(item)
            continue
        path, p = item
        if p.row is None and (p.column, p.message) in first:
            first[(p.column, p.message)][1] += 1
            continue
        line = [format_problem(path, p.row, p.column, p.message), 0]
        if p.row is None:
            first[(p.column, p.message)] = line
        lines.append(line)
    return [x if isinstance(x, str) else x[0] + (
        f" (the same in {x[1]:,} more file{'s' * (x[1] > 1)})" if x[1] else "") for x in lines]


def first_problem(path: Path, report) -> InputError:
    """Why a file cannot be loaded: its first problem, as FILE:ROW: COLUMN: message."""
    p = report.errors[0] if report.errors else None
    if p is None:
        return InputError("file is not usable FOCUS cost data", path=str(path))
    n = sum(e.count for e in report.errors) - 1
    more = f" (and {n:,} more problems: `workbench validate` lists them)" if n > 0 else ""
    return InputError(p.message + more, path=str(path), row=p.row, column=p.column)


class Progress:
    """files done/total, rows and rows/s on stderr, refreshed while DuckDB scans a file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, total: int):
        self.con, self.total, self.rows, self.t0 = con, total, 0, time.perf_counter()
        self.index, self.name = 0, ""
        # DuckDB tracks a statement's progress only past progress_bar_time; draw our own line.
        self._saved = con.execute("SELECT current_setting('enable_progress_bar_print'), "
                                  "current_setting('progress_bar_time')").fetchone()
        con.execute("SET enable_progress_bar_print = false")
        con.execute("SET progress_bar_time = 0")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def start(self, index: int, path: Path) -> None:
        self.index, self.name = index, path.name

    def done(self, index: int, rows: int) -> None:
        self.rows += rows
        self._print(index + 1, None)

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            with contextlib.suppress(Exception):
                pct = self.con.query_progress()
                self._print(self.index, pct if pct >= 0 else None)

    def _print(self, done: int, pct: float | None) -> None:
        rate = self.rows / max(time.perf_counter() - self.t0, 1e-9)
        cur = f"  reading {self.name} {pct:.0f}%" if pct is not None and done < self.total else ""
        print(f"\r{done}/{self.total} files  {self.rows:,} rows  {rate:,.0f} rows/s{cur}\033[K",
              end="", file=sys.stderr, flush=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(duckdb.Error):
            self.con.execute(f"SET enable_progress_bar_print = {bool(self._saved[0])}")
            self.con.execute(f"SET progress_bar_time = {int(self._saved[1])}")
        print(file=sys.stderr, flush=True)
