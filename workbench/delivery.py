"""What one ingest call (a delivery) needs besides SQL: hashing, locking, progress, records.

Kept apart from store.py so the store reads as queries; nothing here runs a query except
the progress meter, which only asks DuckDB how far the running statement is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from workbench.errors import InputError, WorkbenchError, format_problem, plural
from workbench.focus_report import in_row_order
from workbench.months import period_month


def source_path(path: str | Path) -> str:
    """A source file as the store records it: its folder absolute, with `.`, `..` and
    symlinks resolved, so that a folder named `exports/aws`, `./exports/aws/`, by its
    absolute path, through a symlink or from another working directory is the same folder.
    The file keeps its own name, even as a symlink (git-annex, DVC): manifests list names,
    and the parts of an export are told by them. A relative path (recorded by an earlier
    version) resolves from the working directory, the best guess at the one it was loaded
    from."""
    p = Path(path)
    try:
        return str(p.parent.resolve() / p.name)
    except (OSError, RuntimeError):  # a symlink loop: as far as the path itself goes
        return os.path.abspath(p)


def shown(path: str | Path) -> str:
    """A recorded source path as messages print it: relative to the working directory when
    it is under it (as a user names files there), else as recorded."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except (ValueError, OSError):  # elsewhere, relative already, or no working directory
        return str(path)


def store_file(path: str | Path) -> Path:
    """The store's own file, a symlink to it followed: its lock and the file a rebuild renames
    into place are then the store's, not the link's (which a rebuild would replace by a
    file, leaving the store it leads to stale, and whose lock another name would not see)."""
    p = Path(path)
    try:
        return p.resolve() if p.is_symlink() else p
    except (OSError, RuntimeError):  # a symlink loop: as named, which then fails to open
        return p


def sha256_file(path: Path) -> str:
    """Content fingerprint of a file, read in blocks (bounded memory). file_digest reads into
    one reused buffer: no copy of each block, which on a multi-GB export is a few % of the
    hash, paid beside the load."""
    with open(path, "rb", buffering=0) as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


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
def file_lock(target: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """An exclusive inter-process lock on `target`.lock (several kernels may start at once);
    `on_wait()` is called once when another process holds it, before waiting for it.

    The lock file is removed on release, while still locked. A process that was waiting on
    it then holds a lock on a file no longer there, so it checks after locking that the
    name still leads to the file it locked, and starts again when not: two processes never
    both hold the lock through two files of the same name.
    """
    lock_path = Path(str(store_file(target)) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:
        fcntl = None
    if fcntl is None:  # Windows: msvcrt locks a byte range; an open file cannot be removed
        import msvcrt
        with open(lock_path, "a+") as fh:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    while True:
        try:
            fh = open(lock_path, "a+")
        except PermissionError:  # the store's folder is read-only to this user
            raise WorkbenchError(f"{target}: cannot write {lock_path.name} beside the store "
                                 "(permission denied); a load needs the store's folder "
                                 "writable") from None
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                    on_wait = None  # said once, however often the holder changes
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            if _same_file(fh, lock_path):
                break
        except BaseException:
            fh.close()
            raise
        fh.close()  # its holder removed it while we waited: lock the file there now
    try:
        yield
    finally:
        lock_path.unlink(missing_ok=True)
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


def _same_file(fh, path: Path) -> bool:
    try:
        here, there = os.fstat(fh.fileno()), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


WARNINGS_SHOWN = 50  # a big load can warn thousands of times; the store keeps them all

# What a load warning means for the figures, weightiest first: the order the store keeps
# them in, since a command prints the first WARNINGS_SHOWN, the report's index the first
# 20, and the overview names the first. A file's own checks can run to thousands of lines
# and keep every row at its full cost, so they come last.
SHORT = 0  # rows of earlier deliveries gone, files a manifest lists missing: figures lack money
TOO_MUCH = 1  # counted though it may be a copy or a leftover (or is counted twice)
SET_ASIDE = 2  # a copy's rows not loaded (or withdrawn): counted once, as billed
CHECKED = 3  # a file's own checks: its rows are loaded, each with its full cost
NO_CHARGES = 4  # a file of another FOCUS dataset (Contract Commitment, ...): not in any figure


def weightiest_first(found: list[tuple[int, str]]) -> list[str]:
    """The lines of (kind, line) pairs by kind, in the order found within a kind."""
    return [line for _, line in sorted(found, key=lambda f: f[0])]


def warning_lines(warnings: list[str], shown: int = WARNINGS_SHOWN) -> list[str]:
    """The `warning: ...` lines a command prints on stderr: the first `shown`, then a count."""
    lines = [f"warning: {w}" for w in warnings[:shown]]
    if len(warnings) > shown:
        lines.append(f"warning: ... and {plural(len(warnings) - shown, 'more warning')}")
    return lines


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


def month_label(start: datetime | None) -> str:
    """A billing period as warnings name it: YYYY-MM, the month it bills (a period of a
    provider in UTC+8 starts on the month before's last day in UTC: months.period_month)."""
    return period_month(start) if start is not None else "(no period)"


def partition_dict(row) -> dict:
    """(invoice issuer, billing account, billing period start, rows) as the load records show it."""
    return {"invoice_issuer": row[0], "billing_account_id": row[1],
            "billing_period_start": iso_utc(row[2]), "rows": int(row[3])}


def drop_file_partition(con: duckdb.DuckDBPyConnection, delivery: int, entry: dict,
                        part: tuple) -> int:
    """Take one partition (invoice issuer, billing account, period start) of a file this
    delivery loaded out of it: its rows, its file_partitions record, and its share of the
    load's `entry` (partitions, rows). Returns the rows it held."""
    match = " AND ".join(f"{k} IS NOT DISTINCT FROM ?"
                         for k in ("wb_issuer", "BillingAccountId", "BillingPeriodStart"))
    con.execute(f"DELETE FROM charges WHERE wb_delivery_id = ? AND wb_source_file = ? AND {match}",
                [delivery, entry["path"], *part])
    con.execute(f"DELETE FROM file_partitions WHERE delivery_id = ? AND sha256 = ? AND {match}",
                [delivery, entry["sha256"], *part])
    mine = partition_dict((*part, 0))
    rows = sum(p["rows"] for p in entry["partitions"] if {**p, "rows": 0} == mine)
    entry["partitions"] = [p for p in entry["partitions"] if {**p, "rows": 0} != mine]
    entry["rows"] -= rows
    return rows


def same_in_many_files(found: list) -> list[str]:
    """Warnings as lines, where a problem about a whole file (no row) that many files share
    is said once, for the first file, with how many more have it: a provider's daily files
    all carry the same extra columns. `found` holds (path, Problem) pairs."""
    lines: list[list] = []
    first: dict[tuple, list] = {}
    for path, p in found:
        shared = p.row is None and not p.counts_rows
        if shared and (p.column, p.message) in first:
            first[(p.column, p.message)][1] += 1
            continue
        line = [format_problem(path, p.row, p.column, p.message), 0]
        if shared:
            first[(p.column, p.message)] = line
        lines.append(line)
    return [x[0] + (f" (the same in {x[1]:,} more file{'s' * (x[1] > 1)})" if x[1] else "")
            for x in lines]


def first_problem(path: Path, report) -> InputError:
    """Why a file cannot be loaded: its first problem as `workbench validate` lists them
    (the earliest row), as FILE:ROW: COLUMN: message."""
    p = in_row_order(report.errors)[0] if report.errors else None
    if p is None:
        return InputError("file is not usable FOCUS cost data", path=str(path))
    n = sum(e.count for e in report.errors) - 1
    more = (f" (and {plural(n, 'more problem')}: `workbench validate` lists them)"
            if n > 0 else "")
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
        print(f"\r{done}/{self.total} files  {plural(self.rows, 'row')}  {rate:,.0f} rows/s{cur}\033[K",
              end="", file=sys.stderr, flush=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(duckdb.Error):
            self.con.execute(f"SET enable_progress_bar_print = {bool(self._saved[0])}")
            self.con.execute(f"SET progress_bar_time = {int(self._saved[1])}")
        print(file=sys.stderr, flush=True)
