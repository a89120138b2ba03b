"""The DuckDB store: the one module that runs queries.

Ingest reads FOCUS exports through workbench.focus (DuckDB SQL) into the `charges`
table; every question the analysis asks is an Ibis expression over that table
(dimensions.py), so the same queries compile for Spark or a warehouse. Frames come
back already aggregated; money is summed exactly as DECIMAL and only the result is
converted to float64.

Idempotency rule: one ingest call is one delivery. Every (invoice issuer, BillingAccountId,
BillingPeriodStart) partition present in a delivery replaces that partition's rows
from earlier deliveries, so loading the same files twice changes nothing and a
corrected re-export of a billing period replaces the old one. Files of one delivery
never replace each other (a period split over several files is loaded whole), which
means a corrected re-export must be delivered with all the files of its period.
Files with identical content (sha256) in one delivery are loaded once, with a warning.
Files of one delivery that are copies of the same partition (runs of an export kept side by
side, told from parts by the charges they repeat: snapshots.py) load only the newest copy.
One bill under two invoice issuer names (an export without InvoiceIssuerName, then one
with it) counts once, told from two bills by its charges too (issuers.py). A part an earlier
run of an export left beside the last run's files, which the run's manifest does not list,
is set aside when that leaves no doubt, and named otherwise (manifests.py).
A delivery is one transaction: a file with errors aborts it and the store is unchanged.
The `deliveries`, `files` and `file_partitions` tables record what was loaded. A file
unchanged since a read the store records is not read again: the delivery takes over its
rows, and the rest goes as for a file read (reads.py, _take_rows).

Two ways in, one result. A clean file takes the fast path (focus_fast.py): one typed read
straight into `charges`, then cheap aggregate checks over the rows it inserted. When those
find anything the precise reader would report (an unreadable value, an empty required
value, an unknown category, a malformed or formula-like tag, a broken commitment
invariant, ...), the file's rows are removed and the precise reader (focus.scan_file) loads
it instead, with row numbers and located FILE:ROW: COLUMN messages. Both paths load the
same values; only wb_source_row differs (NULL on the fast path).

Tags are parsed once per distinct Tags value into `tag_sets` (tag-set key, Tags, wb_tags
map with case-folded keys, wb_tags_ok); each charge row carries the key (wb_tag_set) and
queries join the two (dimensions.with_tags). AllocatedTags texts (FOCUS 1.3 split cost
allocation) go into the same table; a row carries their key as wb_alloc_tag_set.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import ibis
import pandas as pd

from workbench import commitments, issuers, json_exact, manifests, reads, snapshots, store_reuse
from workbench.config import Config, focus_paths, load_config
from workbench.currencies import to_smallest_unit
from workbench.delivery import (
    CHECKED,
    NO_CHARGES,
    SET_ASIDE,
    SHORT,
    TOO_MUCH,
    IngestResult,
    Progress,
    drop_file_partition,
    file_lock,
    first_problem,
    month_label,
    naive_utc,
    partition_dict,
    same_in_many_files,
    sha256_file,
    shown,
    source_path,
    store_file,
    warning_lines,
    weightiest_first,
)
from workbench.errors import InputError, WorkbenchError, escaped, format_problem, plural
from workbench.focus_report import in_row_order, missing_in_one_line
from workbench.queries import QUERY_TABLES, Queries
from workbench.schema import CANONICAL_COLUMNS, FOCUS_COLUMNS, MONEY_DIGITS

STORE_VERSION = "8"  # 8: a charge dated before 2000 or after 2199 is refused
SCAN_TABLE = "wb_scan"
FAST_REJECTS = "wb_fast_rejects"
FILE_TAGS = "wb_file_tags"
PARTITION_KEY = ("wb_issuer", "BillingAccountId", "BillingPeriodStart")
MEMORY_LIMIT = os.environ.get("WORKBENCH_MEMORY_LIMIT", "1GB")


def _schema_fingerprint() -> str:
    text = json.dumps([STORE_VERSION, list(CANONICAL_COLUMNS.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _same_partition(a: str, b: str) -> str:
    """SQL condition: rows of tables aliased a and b are in the same partition (NULLs match)."""
    return " AND ".join(f"{a}.{k} IS NOT DISTINCT FROM {b}.{k}" for k in PARTITION_KEY)


def _partition_label(part: tuple, account: bool = True) -> str:
    """invoice issuer / billing account / YYYY-MM, as warnings name a partition (without the
    account when the warning names it already)."""
    issuer, account_id, start = part
    names = [issuer or "(no provider)", account_id or "(no billing account)", month_label(start)]
    return " / ".join(names if account else names[::2])


def _set_aside(part: tuple, why: snapshots.Superseded, rows: int, others: int = 0,
               path: str = "") -> str:
    """The warning for the file `path` whose rows of a partition are not loaded (with
    `others` more files of its export run, said in the same line)."""
    newer = _first_of(why.newer)
    if why.unlisted:
        files = f" ({newer})" if newer else ""
        found = manifests.listing(path)
        manifest = ("the manifest.json beside it" if found is None
                    or found.manifest.parent == Path(path).parent else shown(found.manifest))
        return (f"a part an earlier run left behind: {manifest} lists the last "
                f"run's files{files}, not this one; its {plural(rows, 'row')} of "
                f"{_partition_label(part)} are not loaded (they would count twice)")
    if why.shared is None:
        run = f"with {plural(others, 'more file')} of its run, " if others else ""
        return (f"{run}an older run of the export of {_partition_label(part)}: the run of "
                f"{newer} was submitted later (manifest.json); "
                f"{'their' if others else 'its'} {plural(rows, 'row')} of that billing "
                "period are not loaded (runs loaded together count twice)")
    verb, newer_verb = ("is" if why.shared == 1 else "are"), ("are" if len(why.newer) > 1 else "is")
    # Beside the files that hold its charges, it may be another part of their run (tiers of
    # one charge split over parts, at other amounts): the run's manifest would say so.
    beside = path and why.newer and all(Path(k).parent == Path(path).parent for k in why.newer)
    hint = ("; if they are parts of one export run, put the run's manifest beside them "
            "(Azure's manifest.json, or the AWS export's metadata/ folder) and ingest again: "
            "files one manifest lists are all loaded") if beside else ""
    return (f"an older copy of {_partition_label(part)}: {why.shared:,} of its "
            f"{plural(why.charges, 'charge')} {verb} also in {newer}, which {newer_verb} newer; "
            f"its {plural(rows, 'row')} of that billing period are not loaded (copies loaded "
            f"together count twice){hint}")


def _file_rows(delivery: int, path: Path) -> str:
    """SQL condition for the rows one file of this delivery put into charges."""
    return f"wb_delivery_id = {int(delivery)} AND wb_source_file = {_literal(str(path))}"


class _Relabelled(Exception):
    """The delivery touched rows of a file whose earlier rows it took over in place (see
    _take_rows): rolled back, to copy them instead."""


class _FastFailed(Exception):
    """The fast load of files[index] failed a statement; the transaction was rolled back."""

    def __init__(self, index: int):
        super().__init__(index)
        self.index = index


COLUMNS_SQL = ", ".join(f"{_ident(c)} {t}" for c, t in CANONICAL_COLUMNS.items())
DDL = f"""
CREATE TABLE IF NOT EXISTS wb_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS charges ({COLUMNS_SQL});
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id BIGINT PRIMARY KEY, loaded_at TIMESTAMP, files INTEGER, rows BIGINT,
    replaced_rows BIGINT, partitions VARCHAR);
CREATE TABLE IF NOT EXISTS files (
    delivery_id BIGINT, path VARCHAR, sha256 VARCHAR, size BIGINT, rows BIGINT,
    focus_version VARCHAR, period_start TIMESTAMP, period_end TIMESTAMP,
    duplicate_of VARCHAR, loaded_at TIMESTAMP, partitions VARCHAR, mtime_ns BIGINT);
CREATE TABLE IF NOT EXISTS tag_sets (
    wb_tag_set BIGINT, Tags VARCHAR, wb_tags MAP(VARCHAR, VARCHAR), wb_tags_ok BOOLEAN);
CREATE TABLE IF NOT EXISTS file_partitions (
    delivery_id BIGINT, sha256 VARCHAR, wb_issuer VARCHAR, BillingAccountId VARCHAR,
    BillingPeriodStart TIMESTAMP, rows BIGINT);
"""


# Indirections to the reader so unit tests can feed frames; focus.py is imported lazily.
def discover(paths: Sequence[str]) -> list[Path]:
    from workbench import focus
    return focus.discover(paths)


def scan_file(con: duckdb.DuckDBPyConnection, path: Path, table: str):
    from workbench import focus
    return focus.scan_file(con, path, table)


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        msg = str(exc).splitlines()[0]
        if "lock" in msg.lower():
            raise WorkbenchError(f"{path}: the store is in use by another process "
                                 "(one writer or many readers); close it and retry") from None
        if "Could not read enough bytes" in msg:
            raise WorkbenchError(f"{path}: the store is cut short (a disk that filled up, a "
                                 "copy interrupted); delete it and ingest again") from None
        raise WorkbenchError(f"{path}: cannot open the store: {msg}") from None
    except duckdb.Error as exc:
        raise WorkbenchError(f"{path}: cannot open the store: {str(exc).splitlines()[0]}") from None
    return con


def _configure(con: duckdb.DuckDBPyConnection, path: str) -> None:
    # In a notebook DuckDB draws a widget for queries past 2 s, which a report prints as
    # the text "FloatProgress(...)"; the CLI draws its own progress line (delivery.Progress).
    con.execute("SET enable_progress_bar_print = false")
    # Bounded memory: big loads spill to a temp folder beside the store.
    try:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT.replace(chr(39), chr(39) * 2)}'")
    except duckdb.Error:  # the user's setting, not a bug of ours
        raise WorkbenchError(f"WORKBENCH_MEMORY_LIMIT: {MEMORY_LIMIT!r} is not a memory size "
                             "like 2GB or 512MB") from None
    if path != ":memory:":
        tmp = Path(path).parent / ".duckdb_tmp"
        con.execute(f"SET temp_directory = '{str(tmp).replace(chr(39), chr(39) * 2)}'")


def _file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, None when there is none."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _check_duckdb_file(path: Path) -> None:
    """A file there must be a DuckDB database (its header says DUCK): DuckDB would open a
    Parquet export as a database of views, and other files fail with a long IO Error."""
    if path.is_dir():  # `--store data/`: DuckDB says only "Is a directory"
        raise WorkbenchError(f"{path}: a folder; the store is a DuckDB file: name one, such as "
                             f"{path / 'workbench.duckdb'}")
    if path.exists() and not path.is_file():  # reading a pipe's first bytes would wait forever
        raise WorkbenchError(f"{path}: not a regular file (a pipe or a device); the store is a "
                             "DuckDB file (such as data/workbench.duckdb): name a new file or "
                             "an existing store")
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return  # no file yet (a new store), or DuckDB says why it cannot open it
    if not head:  # `touch`ed, or a load killed as it made the file: DuckDB will not open it
        raise WorkbenchError(f"{path}: an empty file (0 bytes), not a DuckDB database; delete "
                             "it and the next load makes the store there, or name another")
    if head[8:12] != b"DUCK":
        raise WorkbenchError(f"{path}: not a DuckDB database; the store is a DuckDB file "
                             "(such as data/workbench.duckdb): name a new file or an existing "
                             "store")


class StoreVersionError(WorkbenchError):
    """The store was made by another version of the workbench (its schema differs)."""


class Store(Queries):
    """A DuckDB file (or ':memory:') holding the `charges` table and the load history."""

    # Clean files take the fast path (focus_fast.py); False sends every file through the
    # precise reader (same rows and totals, rows numbered; slower).
    fast_path = True
    _moved: set = frozenset()  # (delivery, path) of rows a delivery took over (_take_rows)
    _seeded = False  # a rebuild's store whose rows are only there to take over (store_reuse.py)

    def __init__(self, path: str | Path | None = None, config: Config | None = None,
                 read_only: bool = False):
        self.config = config or load_config()
        if path is None:
            path = self.config.path(self.config.data.store)
        self.path = local_path(path)
        memory = self.path == ":memory:"
        self.read_only = read_only and not memory
        self._locked = False  # this process holds <store>.lock (see locked)
        if not memory:
            if self.read_only and not Path(self.path).is_file():
                raise WorkbenchError(f"{self.path}: store not found; run `workbench ingest` first")
            _check_duckdb_file(Path(self.path))
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._open()

    def _open(self) -> None:
        made = self.path != ":memory:" and not Path(self.path).exists()
        self.con = None
        try:
            self.con = _connect(self.path, self.read_only)
            _configure(self.con, self.path)
            self._check_schema()
            self._file_id = None if self.path == ":memory:" else _file_id(Path(self.path))
            Queries.__init__(self, ibis.duckdb.from_connection(self.con), self.config)
        except BaseException as exc:
            if self.con is not None:
                self.con.close()
            # Interrupted while made (Ctrl-C): not there before, not there after. A store
            # another process made meanwhile is in use: that error leaves it alone.
            if made and not (self.con is None and isinstance(exc, WorkbenchError)):
                for f in (Path(self.path), Path(self.path + ".wal")):
                    f.unlink(missing_ok=True)
            raise

    # -- lifecycle -------------------------------------------------------------------

    def _check_schema(self) -> None:
        have = {r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        if "wb_meta" not in have:
            if have:
                raise WorkbenchError(f"{self.path}: not a workbench store (tables: {', '.join(sorted(have))})")
            if self.read_only:
                raise WorkbenchError(f"{self.path}: empty store; run `workbench ingest` first")
            # One transaction: an interrupt leaves an empty file, never half a schema that
            # every later ingest would refuse.
            self.con.execute("BEGIN TRANSACTION")
            try:
                self.con.execute(DDL)
                self.con.execute("INSERT INTO wb_meta VALUES ('schema', ?)", [_schema_fingerprint()])
                self.con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    self.con.execute("ROLLBACK")
                raise
            return
        row = self.con.execute("SELECT value FROM wb_meta WHERE key = 'schema'").fetchone()
        if not row or row[0] != _schema_fingerprint():
            raise StoreVersionError(f"{self.path}: store made by another version of the "
                                    "workbench; `workbench ingest --rebuild` loads it again from "
                                    "its files")

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.path!r}, read_only={self.read_only})"

    # -- ingest ------------------------------------------------------------------------

    def ingest(self, paths: Sequence[str | Path], progress: bool = False,
               mtimes: Mapping[str, int] | None = None,
               recorded: Collection[tuple] | None = None) -> IngestResult:
        """Load FOCUS exports as one delivery (see the module docstring for the replacement rule).

        `mtimes` (path -> modification time in ns) stand in for the files' own: a rebuild
        replays a delivery with the times it was loaded with (a restored backup or a copy
        gives every file a new time). `recorded` (sha256, invoice issuer, billing account, period
        start) are the partitions the delivery loaded of each file: a rebuild loads those
        and no others, and sets nothing else aside (what a manifest or a copy beside the
        files says may have changed since).
        """
        if self.read_only:
            raise WorkbenchError(f"{self.path}: store opened read-only; cannot ingest")
        files = discover([str(p) for p in paths])
        if not files:
            if not paths:
                raise WorkbenchError("no FOCUS files to load: pass PATH..., or list folders "
                                     "under [data] focus in workbench.toml")
            raise WorkbenchError(f"no FOCUS files found in {', '.join(map(str, paths))}")
        with self.locked():
            return self._ingest(files, progress, mtimes, recorded)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock file (`<store>.lock`) meanwhile, on the file now at the
        store's path (see _reopen_if_replaced). An ingest inside it does not lock again.

        Whoever gets the lock next (a report that waits for this load) opens the store at
        once, read-only, and rebuilds it when it cannot: close the store inside this block
        when it was written to, so that a reader gets what was just loaded.
        """
        if self.path == ":memory:" or self._locked:
            yield
            return
        with file_lock(Path(self.path)):
            self._locked = True
            try:
                self._reopen_if_replaced()
                yield
            finally:
                self._locked = False

    def _reopen_if_replaced(self) -> None:
        """Open the store again when its file was replaced while this one waited for the lock
        (a rebuild, or a report's, renames a new file into place): rows written to the
        replaced file would be lost with it."""
        if self._file_id is not None and _file_id(Path(self.path)) != self._file_id:
            self.con.close()
            self._open()

    def reader(self) -> str:
        """What a file's rows depend on besides its bytes: a record of a read by another
        store format, code or reader is not used (reads.py)."""
        return (f"{_schema_fingerprint()}/{reads.code_fingerprint()}/"
                f"{'fast' if self.fast_path else 'precise'}")

    def _ingest(self, files: list[Path], progress: bool,
                mtimes: Mapping[str, int] | None = None,
                recorded: Collection[tuple] | None = None) -> IngestResult:
        t0 = time.perf_counter()
        # Recorded resolved: how a path was written, or where from, must not make a file
        # that is already in the store another file (_left_behind, _withdraw_earlier).
        files = [Path(source_path(f)) for f in files]
        mtimes = {source_path(k): t for k, t in (mtimes or {}).items()}
        con = self.con
        # Each file as it is before anything reads it: a record of the read is kept only
        # when the file is still so after it (reads.py).
        checked_at = time.time_ns()
        stats = {str(f): reads.stat_of(f) for f in files}
        known = reads.known(con, files, stats, self.reader())
        files, hashed = _identical_newest_first(files, mtimes, stats, {
            f: rec["sha256"] for f, rec in known.items()})
        meter = Progress(con, len(files)) if progress else None
        saved = con.execute("SELECT current_setting('preserve_insertion_order'), "
                            "current_setting('TimeZone')").fetchone()
        precise: set[int] = set()  # files whose fast load failed: the precise reader says why
        # Hash each file while DuckDB reads it (hashlib releases the GIL on big blocks); a
        # file unchanged since a read the store records is not hashed again.
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                digests = [_done(hashed[str(f)]) if str(f) in hashed
                           else pool.submit(sha256_file, f) for f in files]
                in_place = True
                while True:
                    try:
                        out = self._deliver(files, digests, precise, meter, mtimes,
                                            (known, stats, checked_at), in_place,
                                            recorded)
                        break
                    except _FastFailed as failed:  # rolled back: load again, that file precisely
                        precise.add(failed.index)
                    except _Relabelled:  # rolled back: load again, copying those rows
                        in_place = False
        except InputError as exc:  # FILE:ROW: named as every message names a file (shown)
            exc.path = exc.path and shown(exc.path)
            raise
        finally:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"SET preserve_insertion_order = {bool(saved[0])}")
                con.execute(f"SET TimeZone = {_literal(saved[1])}")
            if meter:
                meter.stop()
        if self.path != ":memory:":
            with contextlib.suppress(duckdb.Error):
                con.execute("CHECKPOINT")
        return IngestResult(*out, round(time.perf_counter() - t0, 3))

    def _deliver(self, files: list[Path], digests: list, precise: set[int],
                 meter: Progress | None, mtimes: Mapping[str, int], before: tuple,
                 in_place: bool = False,
                 recorded: Collection[tuple] | None = None) -> tuple:
        """One delivery in one transaction; the IngestResult fields but the time.

        A file unchanged since a read the store records (`before`: those records, each file's
        stat before the ingest, and when it was taken) is not read: the rest of its read
        comes from the record, and its rows from the delivery that holds them (_take_rows)."""
        con = self.con
        known, stats, checked_at = before
        manifest_stats = _manifest_stats(files)  # before they are read, as `stats`
        reader = self.reader()
        checked: list = []  # (path, Problem) of each file's own checks
        no_charges: list = []  # the same, of files of other FOCUS datasets (not loaded)
        same: list[str] = []  # files with the bytes of one before them
        loaded: list[dict] = []
        seen: dict[str, str] = {}
        copied: list[tuple[int, str, int]] = []  # (delivery, path, rows) of the rows to take
        records: dict[str, dict] = {}  # path -> the record of its read (reads.py)
        self._t = None  # the query table is built for what the store holds (Queries.table)
        con.execute("BEGIN TRANSACTION")
        try:
            delivery = con.execute(
                "SELECT coalesce(max(delivery_id), 0) + 1 FROM deliveries").fetchone()[0]
            now = datetime.now(UTC).replace(tzinfo=None)
            for i, path in enumerate(files):
                if meter:
                    meter.start(i, path)
                fast = None
                rec = known.get(str(path))
                # a file changed since `known` trusted its record stops the load below
                again = rec is not None and (rec["intact"] or rec["sha256"] in seen)
                if again:
                    report = SimpleNamespace(focus_version=rec["focus_version"],
                                             dataset=rec["dataset"])
                    report.period_start, report.period_end = reads.period_of(rec)
                    problems, kind = reads.warnings_of(rec), rec["kind"]
                    parts = reads.partitions_of(rec) if rec["intact"] else []
                else:
                    if self.fast_path and i not in precise:
                        fast = self._fast_load(i, path, delivery)
                    if fast is not None:
                        report, parts = fast.report, fast.partitions
                    else:
                        report = scan_file(con, path, SCAN_TABLE)
                        if not report.ok:
                            raise first_problem(path, report)
                    problems = missing_in_one_line(in_row_order(report.warnings))
                    kind = "fast" if fast is not None else "precise"
                (checked if report.dataset == "cost and usage" else no_charges).extend(
                    (shown(path), p) for p in problems)
                digest = digests[i].result()
                stat = path.stat()
                if reads.stat_of(path) != stats[str(path)]:
                    # the rows read, the bytes hashed and the file now may be three files
                    raise InputError("changed while it was read (is it still being written or "
                                     "synced?); ingest again once it is complete",
                                     path=str(path))
                entry = {"path": str(path), "sha256": digest, "size": stat.st_size,
                         "mtime_ns": mtimes.get(str(path), stat.st_mtime_ns),
                         "rows": 0, "focus_version": report.focus_version,
                         "period_start": report.period_start, "period_end": report.period_end,
                         "duplicate_of": seen.get(digest), "partitions": [],
                         "reader": kind}
                if entry["duplicate_of"]:
                    same.append(format_problem(
                        shown(path), None, None,
                        f"same content as {shown(entry['duplicate_of'])}; loaded once"))
                    if fast is not None:
                        con.execute(f"DELETE FROM charges WHERE {_file_rows(delivery, path)}")
                    elif again and self._seeded:  # as a read's would be: taken by none
                        con.execute(f"DELETE FROM charges WHERE {_file_rows(rec['delivery'], path)}")
                else:
                    seen[digest] = str(path)
                    if again:
                        copied.append((rec["delivery"], str(path), sum(p[3] for p in parts)))
                    elif fast is None:
                        parts = self._append(delivery, path)
                    if parts:  # a header-only file has none
                        con.executemany("INSERT INTO file_partitions VALUES (?, ?, ?, ?, ?, ?)",
                                        [[delivery, digest, *p] for p in parts])
                    entry["rows"] = sum(p[3] for p in parts)
                    entry["partitions"] = [partition_dict(p) for p in parts]
                con.execute(f"DROP TABLE IF EXISTS {SCAN_TABLE}")
                loaded.append(entry)
                kept = None if entry["duplicate_of"] else parts
                if again:
                    records[str(path)] = {**rec, "delivery": delivery, "partitions": (
                        None if kept is None else rec["partitions"])}
                    records[str(path)].pop("intact")
                elif stats[str(path)] is not None:  # unchanged while read: checked above
                    records[str(path)] = reads.record(delivery, reader, checked_at,
                                                      stats[str(path)], digest, kind, report,
                                                      problems, kept)
                if meter:
                    meter.done(i, entry["rows"])
            self._moved = {(d, f) for d, f, _ in copied} if in_place else set()
            self._take_rows(delivery, copied, in_place)
            if self._seeded and con.execute("SELECT count(*) FROM charges WHERE wb_delivery_id "
                                            "< ?", [delivery]).fetchone()[0]:
                raise store_reuse.NotSeeded  # a file changed since: not a fresh build's store
            copies = [(SET_ASIDE, w) for w in same]
            if recorded is None or not self._keep_only(delivery, loaded, recorded):
                copies += self._sort_out(delivery, loaded)
            rows_total = sum(e["rows"] for e in loaded)
            subs = self._sub_accounts_gone(delivery)
            left = self._left_behind(delivery, loaded, {path for path, _ in subs})
            named = {path for path, _ in left}  # one warning a file at most
            subs = [(path, w) for path, w in subs if path not in named]
            found = [(SHORT, w) for _, w in left + subs] + copies
            found += [(CHECKED, w) for w in same_in_many_files(checked)]
            found += [(NO_CHARGES, w) for w in same_in_many_files(no_charges)]
            # Rows taken over in place were the earlier delivery's: the copies of them were
            # not loaded yet, which _replace_partitions would have removed as replaced.
            replaced = self._replace_partitions(delivery) + self._taken(delivery, copied, in_place)
            found += [(TOO_MUCH, w) for w in self._accounts_like_others(delivery)]
            found += [(TOO_MUCH, w) for w in self._purchases_counted_twice(delivery)]
            kept, renamed, renamed_parts = issuers.across_deliveries(con, delivery, loaded)
            replaced += renamed
            warnings = weightiest_first(found + kept)
            # how many of them, the first ones, change a figure (a file's own checks do not)
            weighing = sum(kind < CHECKED for kind, _ in found + kept)
            parts = self._delivery_partitions(delivery)
            # Recorded as replaced by this delivery, so the files they came from no longer count.
            if renamed_parts:
                con.executemany("INSERT INTO file_partitions VALUES (?, ?, ?, ?, ?, 0)",
                                [[delivery, *r] for r in renamed_parts])
            con.executemany(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [[delivery, e["path"], e["sha256"], e["size"], e["rows"], e["focus_version"],
                  naive_utc(e["period_start"]), naive_utc(e["period_end"]), e["duplicate_of"], now,
                  json.dumps(e["partitions"]), e["mtime_ns"]] for e in loaded])
            con.execute("INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?)",
                        [delivery, now, len(loaded), rows_total, replaced, json.dumps(parts)])
            # Kept so that whoever reads the store later (the report) can say them too.
            con.execute("INSERT OR REPLACE INTO wb_meta VALUES (?, ?)",
                        [f"warnings/{delivery}", json.dumps(warnings)])
            con.execute("INSERT OR REPLACE INTO wb_meta VALUES (?, ?)",
                        [f"figure_warnings/{delivery}", str(weighing)])
            con.execute("INSERT OR REPLACE INTO wb_meta VALUES (?, ?)",
                        [f"manifests/{delivery}", json.dumps(manifest_stats)])
            reads.save(con, {**reads.load(con), **records})
            self._check_totals_fit()
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        return delivery, loaded, rows_total, replaced, parts, warnings

    def _take_rows(self, delivery: int, copied: list[tuple[int, str, int]],
                   in_place: bool) -> None:
        """Give this delivery the rows of unchanged files, (delivery, path, rows) that hold
        them: the rows a read of the same bytes would give (reads.py).

        In place, the earlier delivery's rows become this one's (an update of one column:
        copying 5M rows costs as much as reading them). That is what copying them gives once
        _replace_partitions has removed the earlier rows, as it does when nothing before it
        touches either: _taken checks that, and _withdraw_earlier, which would remove earlier
        rows first, says so; otherwise the delivery starts again copying them.
        """
        if not copied:
            return
        keys = "(SELECT UNNEST(?::BIGINT[]) AS d, UNNEST(?::VARCHAR[]) AS f) k"
        match = "wb_delivery_id = k.d AND wb_source_file = k.f"
        pairs = [[d for d, _, _ in copied], [f for _, f, _ in copied]]
        if in_place:
            self.con.execute(f"UPDATE charges SET wb_delivery_id = {int(delivery)} "
                             f"FROM {keys} WHERE {match}", pairs)
        else:
            self.con.execute(f"INSERT INTO charges SELECT * REPLACE ({int(delivery)} AS "
                             f"wb_delivery_id) FROM charges SEMI JOIN {keys} ON {match}", pairs)

    def _taken(self, delivery: int, copied: list[tuple[int, str, int]], in_place: bool) -> int:
        """The rows taken over in place, when every one is still there; else _Relabelled."""
        if not in_place or not copied or self._seeded:  # no earlier delivery held them
            return 0
        held = dict(self.con.execute(
            "SELECT wb_source_file, count(*) FROM charges WHERE wb_delivery_id = ? AND "
            "wb_source_file IN (SELECT UNNEST(?::VARCHAR[])) GROUP BY 1",
            [delivery, [f for _, f, _ in copied]]).fetchall())
        if any(held.get(f, 0) != n for _, f, n in copied):
            raise _Relabelled
        return sum(n for _, _, n in copied)

    def _sort_out(self, delivery: int, loaded: list[dict]) -> list[tuple[int, str]]:
        """Set aside the rows of this delivery that copies, an issuer's older name or a part
        an earlier run left behind would count twice; warnings (kind, line) that say so."""
        out = self._drop_copies(delivery, loaded)
        out += issuers.within_delivery(self.con, delivery, loaded)
        # what manifests say of the files left: parts no other file repeats
        verdicts = manifests.judge(_copies_as_their_file(loaded))
        out += [(SET_ASIDE, w) for w in self._left_by_earlier_runs(delivery, loaded, verdicts)]
        out += [(TOO_MUCH, w) for w in _unlisted_kept(loaded, verdicts)]
        out += [(SHORT, format_problem(shown(one.manifest), None, None, (
            f"lists {len(gone):,} file{'s' * (len(gone) > 1)} its folder does not hold "
            f"({_first_of(gone)}): the run's data is short of what it billed; fetch "
            f"{'them' if len(gone) > 1 else 'it'} and ingest again")))
            for one, gone in manifests.missing(loaded)]
        return out

    def _keep_only(self, delivery: int, loaded: list[dict], recorded: Collection[tuple]) -> bool:
        """Take out of this delivery each file's partitions but those `recorded` (sha256,
        invoice issuer, billing account, period start): a replay loads what the delivery
        loaded, whatever a manifest or a copy beside the files says now. False, and nothing
        taken out, when a recorded partition is not one this version reads from the file:
        an earlier version read its keys otherwise (an account written null was the text
        'null'), and the records cannot say which of the file's rows it loaded."""
        entry_of = {e["sha256"]: e for e in loaded if not e["duplicate_of"]}
        rows = {(sha, *part) for sha, *part in self.con.execute(
            f"SELECT sha256, {', '.join(PARTITION_KEY)} FROM file_partitions "
            "WHERE delivery_id = ?", [delivery]).fetchall()}
        if any(r[0] in entry_of and r not in rows for r in recorded):
            return False
        for sha, *part in sorted(rows - set(recorded), key=str):
            drop_file_partition(self.con, delivery, entry_of[sha], tuple(part))
        return True

    def _check_totals_fit(self) -> None:
        """Every period's total per currency must stay exact: amounts that fit one by one may
        add up, with those of other files, beyond DECIMAL(38, 10). Said before the commit,
        so the store keeps what it had instead of holding totals no query can add up."""
        try:
            self.con.execute('SELECT sum("BilledCost"), sum("EffectiveCost") FROM charges '
                             'GROUP BY "BillingPeriodStart", "BillingCurrency"').fetchall()
        except duckdb.OutOfRangeException:  # the transaction is aborted: no query says which
            raise WorkbenchError(
                f"a billing period's amounts in one currency add up beyond {MONEY_DIGITS} digits "
                "before the decimal point with what the store holds, and no total could be kept "
                "exact: nothing was loaded") from None

    def _fast_load(self, index: int, path: Path, delivery: int):
        """Load a file the fast way (focus_fast.py): a FastResult, or None after removing its
        rows when the file has anything to report (the precise reader then says what).

        A statement that fails (a Parquet value that does not convert, a read error) leaves
        the transaction unusable: _FastFailed makes the caller roll back and start again.
        """
        from workbench import focus_fast
        con = self.con
        where = _file_rows(delivery, path)
        try:
            plan = focus_fast.plan(con, path, list(CANONICAL_COLUMNS), delivery, FAST_REJECTS)
            if plan is None:
                # The precise reader reports the header's problem; a statement that failed
                # reading it (a broken Parquet footer) aborted the transaction: start again.
                con.execute("SELECT 1")
                return None
            # Row order in charges carries no meaning, and an unordered insert is much faster;
            # naive timestamps are UTC (the reader reads them in the session's zone). _ingest
            # puts both settings back.
            keep = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
            con.execute("SET preserve_insertion_order = false")
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"INSERT INTO charges {plan.select}")
            con.execute(f"SET preserve_insertion_order = {bool(keep)}")
            self._add_tag_sets(where)
            result = focus_fast.check(
                con, plan, f"SELECT * FROM charges WHERE {where}",
                f"SELECT s.* FROM tag_sets s JOIN {FILE_TAGS} f USING (wb_tag_set)")
            focus_fast.drop_rejects(con, plan)
            con.execute(f"DROP TABLE IF EXISTS {FILE_TAGS}")
            if result is None:
                con.execute(f"DELETE FROM charges WHERE {where}")
            elif result.marked:  # rows of rounded amounts, marked for the check: unmarked
                con.execute(f"UPDATE charges SET wb_source_row = NULL WHERE {where} "
                            "AND wb_source_row IS NOT NULL")
            return result
        except duckdb.Error:
            raise _FastFailed(index) from None

    def _add_tag_sets(self, where: str) -> None:
        """Record the distinct Tags and AllocatedTags values of the rows `where` selects in
        tag_sets (each text parsed once; one text is one tag set, whichever column held it).

        Leaves the keys of the Tags values in the temp table FILE_TAGS. Different texts
        sharing a key (a 63-bit hash: about one chance in 10**7 with a million distinct
        values) are refused loudly.
        """
        self._add_texts(where, "AllocatedTags", "wb_alloc_tag_set")
        self._add_texts(where, "Tags", "wb_tag_set")

    def _add_texts(self, where: str, column: str, key: str) -> None:
        from workbench.focus_sql import EMPTY_TAGS_RE, parsed_tag_sets
        con, text = self.con, _ident(column)
        # A second, independent hash tells different texts under one key apart: min and max
        # of the texts themselves would hold two copies of every long Tags value.
        con.execute(f"CREATE OR REPLACE TEMP TABLE {FILE_TAGS} AS SELECT {key} AS wb_tag_set, "
                    f"any_value({text}) AS lo, min(md5_number({text})) <> "
                    f"max(md5_number({text})) AS mixed FROM charges WHERE {where} "
                    f"AND {key} IS NOT NULL GROUP BY 1")
        clash = con.execute(f"SELECT count(*) FROM {FILE_TAGS} f LEFT JOIN tag_sets s "
                            "USING (wb_tag_set) WHERE f.mixed OR s.Tags <> f.lo").fetchone()[0]
        if clash:
            raise WorkbenchError(f"two different {column} values share a tag-set key; this "
                                 "store cannot hold both (please report it)")
        empty_ok = f"regexp_full_match(\"Tags\", '{EMPTY_TAGS_RE}')"
        new = parsed_tag_sets(f'SELECT wb_tag_set, lo AS "Tags" FROM {FILE_TAGS} '
                              "WHERE wb_tag_set NOT IN (SELECT wb_tag_set FROM tag_sets)")
        con.execute(f'INSERT INTO tag_sets SELECT wb_tag_set, "Tags", wb_tags, '
                    f"cardinality(wb_tags) > 0 OR {empty_ok} FROM ({new})")

    def _append(self, delivery: int, path: Path) -> list[tuple]:
        """Copy the precisely scanned file into charges. Returns its partitions with row counts."""
        cols = [c for c in CANONICAL_COLUMNS if c != "wb_delivery_id"]
        select = ", ".join(_ident(c) for c in cols)
        # Row order in charges carries no meaning (wb_source_row keeps it), and an unordered
        # insert runs about 40% faster; the reader relies on the setting, so put it back.
        keep = self.con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
        self.con.execute("SET preserve_insertion_order = false")
        try:
            self.con.execute(f"INSERT INTO charges ({select}, wb_delivery_id) "
                             f"SELECT {select}, {int(delivery)} FROM {SCAN_TABLE}")
        finally:
            self.con.execute(f"SET preserve_insertion_order = {bool(keep)}")
        self._add_tag_sets(_file_rows(delivery, path))
        self.con.execute(f"DROP TABLE IF EXISTS {FILE_TAGS}")
        key = ", ".join(PARTITION_KEY)
        return self.con.execute(
            f"SELECT {key}, count(*) FROM {SCAN_TABLE} GROUP BY ALL ORDER BY ALL").fetchall()

    def _replace_partitions(self, delivery: int) -> int:
        """Delete earlier deliveries' rows of every partition this delivery holds."""
        match = _same_partition("c", "p")
        key = ", ".join(PARTITION_KEY)
        return self.con.execute(
            f"DELETE FROM charges c USING (SELECT DISTINCT {key} FROM file_partitions "
            f"WHERE delivery_id = ?) p WHERE c.wb_delivery_id < ? AND {match}",
            [delivery, delivery]).fetchone()[0]

    def _left_behind(self, delivery: int, loaded: list[dict],
                     said: set[str] = frozenset()) -> list[tuple[str, str]]:
        """(path, warning) for a billing period replaced by only some of the files it came from.

        The usual cause is one part of a period split over several files loaded again on its
        own: the rule (a delivery replaces what it covers) then removes the other parts'
        rows too. An earlier file counts as sent again when its path or its content is in
        this delivery. When none of a period's files is sent again (a corrected export under
        new names), an earlier file counts as sent again when at least half of its charges
        (snapshots.identity_sql) are in this delivery, as in a full re-export; files in
        `said` (a sub account's rows gone, which _sub_accounts_gone says better) are not checked.
        """
        key = ", ".join(PARTITION_KEY)
        match = _same_partition("old", "new")
        rows = self.con.execute(f"""
            WITH new AS (SELECT DISTINCT {key} FROM file_partitions WHERE delivery_id = $1),
            earlier AS (
                SELECT old.*, max(old.delivery_id) OVER (PARTITION BY {', '.join(
                    'old.' + k for k in PARTITION_KEY)}) AS latest
                FROM file_partitions old JOIN new ON {match} WHERE old.delivery_id < $1)
            SELECT e.wb_issuer, e.BillingAccountId, e.BillingPeriodStart, f.path, e.sha256, e.rows,
                   e.delivery_id
            FROM earlier e JOIN files f ON f.delivery_id = e.delivery_id
             AND f.sha256 = e.sha256 AND f.duplicate_of IS NULL
            WHERE e.delivery_id = e.latest AND e.rows > 0  -- 0: replaced under another issuer
            ORDER BY ALL""", [delivery]).fetchall()
        now = self.con.execute(f"SELECT {key}, sha256 FROM file_partitions WHERE delivery_id = ?",
                               [delivery]).fetchall()
        path_of = {e["sha256"]: e["path"] for e in loaded if not e["duplicate_of"]}
        sent: dict[tuple, set[str]] = {}
        for *part, sha in now:
            sent.setdefault(tuple(part), set()).update((sha, path_of[sha]))
        before: dict[tuple, list[tuple]] = {}
        for *part, path, sha, n, old in rows:
            before.setdefault(tuple(part), []).append((path, sha, n, old))
        gone: list[tuple[tuple, str, int, str]] = []
        renamed = []  # (part, path, rows, delivery) of periods none of whose files came again
        for part, files in before.items():
            again = sent.get(part, set())
            # resolved: an earlier version recorded paths as they were written
            missing = [(path, n, old) for path, sha, n, old in files
                       if source_path(path) not in again and sha not in again]
            if missing and len(missing) < len(files):
                gone += [(part, path, n, "") for path, n, _ in missing]
            elif missing:
                renamed += [(part, path, n, old) for path, n, old in missing if path not in said]
        gone += self._not_in_the_new_export(delivery, renamed)
        return [(path, format_problem(shown(path), None, None, (
            f"not in this delivery, which replaces {_partition_label(part)}: its "
            f"{plural(n, 'row')} of that billing period {'is' if n == 1 else 'are'} gone{why} "
            "(load every file of a "
            "billing period in the same ingest, files of corrections too)")))
            for part, path, n, why in gone]

    def _not_in_the_new_export(self, delivery: int, files: list[tuple]) -> list[tuple]:
        """Of (part, path, rows, delivery) earlier files, those fewer than half of whose
        charges are in this delivery's rows of the same period, with the share as a reason."""
        if not files:
            return []
        identity = snapshots.identity_sql(FOCUS_COLUMNS)
        tags = snapshots.tag_joins("c")
        key = ", ".join(PARTITION_KEY)
        wanted = " OR ".join(f"(wb_delivery_id = {int(old)} AND wb_source_file = {_literal(path)})"
                             for _, path, _, old in files)
        counts = self.con.execute(f"""
            WITH o AS (SELECT DISTINCT {key}, wb_source_file AS f, {identity} AS h
                       FROM charges c {tags} WHERE {wanted}),
                 n AS (SELECT DISTINCT {key}, {identity} AS h FROM charges c {tags}
                       WHERE wb_delivery_id = $1)
            SELECT o.f, {', '.join('o.' + k for k in PARTITION_KEY)}, count(*),
                   count(n.h) FROM o LEFT JOIN n ON {_same_partition("o", "n")} AND o.h = n.h
            GROUP BY ALL""", [delivery]).fetchall()
        shares = {(f, tuple(part)): (total, kept) for f, *part, total, kept in counts}
        out = []
        for part, path, n, _ in files:
            total, kept = shares.get((path, part), (0, 0))
            if total and kept < snapshots.COPY_SHARE * total:
                out.append((part, path, n, f": only {kept:,} of its {total:,} charges are in it"))
        return out

    def _sub_accounts_gone(self, delivery: int) -> list[tuple[str, str]]:
        """(path, warning) for sub accounts whose earlier rows this delivery replaces without holding
        any row of them: usually exports scoped to one sub account (an Azure subscription)
        loaded one at a time, where each replaces the billing account's whole period."""
        key = ", ".join(PARTITION_KEY)
        match, held = _same_partition("c", "p"), _same_partition("n", "c")
        rows = self.con.execute(f"""
            SELECT c.wb_source_file, {', '.join('c.' + k for k in PARTITION_KEY)},
                   list(DISTINCT coalesce(c.SubAccountId, '(none)') ORDER BY 1), count(*)
            FROM charges c SEMI JOIN (SELECT DISTINCT {key} FROM file_partitions
                                      WHERE delivery_id = $1) p ON {match}
            WHERE c.wb_delivery_id < $1 AND NOT EXISTS (
                SELECT 1 FROM charges n WHERE n.wb_delivery_id = $1 AND {held}
                  AND n.SubAccountId IS NOT DISTINCT FROM c.SubAccountId)
            GROUP BY ALL ORDER BY ALL""", [delivery]).fetchall()
        out = []
        for path, *part, subs, n in rows:
            names = ", ".join(subs[:3]) + (f" and {len(subs) - 3} more" if len(subs) > 3 else "")
            out.append((path, format_problem(shown(path), None, "SubAccountId", (
                f"this delivery replaces {_partition_label(tuple(part))} but holds no row of "
                f"sub account{'s' * (len(subs) > 1)} {names}: its {plural(n, 'row')} of them "
                f"{'is' if n == 1 else 'are'} gone (load every export of a billing period in the "
                "same ingest)"))))
        return out

    def _accounts_like_others(self, delivery: int) -> list[str]:
        """Billing accounts of this delivery that another partition of the store spells with
        other leading zeros: a spreadsheet drops them from an id like 012345678901, and the
        edited file then counts beside the original instead of replacing it."""
        rows = self.con.execute("""
            WITH mine AS (SELECT DISTINCT wb_issuer, BillingAccountId, BillingPeriodStart
                          FROM file_partitions WHERE delivery_id = $1),
                 every AS (SELECT DISTINCT wb_issuer, BillingAccountId, BillingPeriodStart
                           FROM file_partitions)
            SELECT m.wb_issuer, m.BillingAccountId, e.BillingAccountId, m.BillingPeriodStart
            FROM mine m JOIN every e
              ON m.wb_issuer IS NOT DISTINCT FROM e.wb_issuer
             AND m.BillingPeriodStart IS NOT DISTINCT FROM e.BillingPeriodStart
            WHERE m.BillingAccountId <> e.BillingAccountId
              AND ltrim(m.BillingAccountId, '0') = ltrim(e.BillingAccountId, '0')
            ORDER BY ALL""", [delivery]).fetchall()
        out = []
        for issuer, mine, other, start in rows:
            path = self.con.execute(
                "SELECT min(wb_source_file) FROM charges WHERE wb_delivery_id = ? AND "
                "wb_issuer IS NOT DISTINCT FROM ? AND BillingAccountId = ? AND "
                "BillingPeriodStart IS NOT DISTINCT FROM ?", [delivery, issuer, mine, start]
            ).fetchone()[0]
            out.append(format_problem(shown(path), None, "BillingAccountId", (
                f"billing accounts {mine!r} and {other!r} of "
                f"{_partition_label((issuer, mine, start), account=False)} differ only in "
                "leading zeros, and both are counted: if a spreadsheet dropped the zeros, delete "
                "the store and ingest the original files without the edited one")))
        return out

    def _purchases_counted_twice(self, delivery: int) -> list[str]:
        """Commitments of this delivery counted twice (commitments.counted_twice), one
        warning a file: an export that gets every purchase wrong says it once. Read over the
        whole store, as a purchase and its usage often come in other files."""
        rows = self.con.execute(f"""
            WITH mine AS (SELECT DISTINCT BillingCurrency, CommitmentDiscountId FROM charges
                          WHERE wb_delivery_id = $1 AND CommitmentDiscountId IS NOT NULL)
            SELECT wb_source_file, BillingCurrency, CommitmentDiscountId, {commitments.KIND},
                   sum(EffectiveCost), NULL
            FROM charges JOIN mine USING (BillingCurrency, CommitmentDiscountId)
            WHERE {commitments.BOUGHT} OR {commitments.USED}
            GROUP BY ALL""", [delivery]).fetchall()
        by_file: dict[str, list[tuple]] = {}
        for path, *held in rows:
            by_file.setdefault(path, []).append(held)
        found = commitments.counted_twice(
            {path: commitments.held(held) for path, held in by_file.items()})
        return [format_problem(shown(f.path), None, "EffectiveCost", commitments.said(f.items))
                for f in found]

    def _left_by_earlier_runs(self, delivery: int, loaded: list[dict],
                              verdicts: dict[str, manifests.Verdict]) -> list[str]:
        """Take out of the store the parts an earlier run left behind, beyond doubt
        (manifests.judge), whose charges no other file holds (_drop_copies took those): the
        last run of their export bills their periods without them. Their rows are set aside
        whatever copy of the bytes this delivery read first (a backup without the manifest),
        and those an earlier ingest loaded from them are withdrawn, so the store holds what a
        fresh one would. Warnings that name them."""
        out, done = [], set()
        by_path = {e["path"]: e for e in loaded}
        for entry in loaded:
            why = verdicts.get(entry["path"])
            if why is None or why.doubt:
                continue
            target = by_path[entry["duplicate_of"]] if entry["duplicate_of"] else entry
            if target["path"] in done:
                continue
            done.add(target["path"])
            if any(manifests.listed_by(e["path"]) for e in loaded
                   if e["sha256"] == target["sha256"]):
                continue  # another folder's manifest lists these bytes: a part of its run
            parts = self.con.execute(
                f"SELECT {', '.join(PARTITION_KEY)} FROM file_partitions WHERE delivery_id = ? "
                "AND sha256 = ? ORDER BY ALL", [delivery, target["sha256"]]).fetchall()
            if not parts:
                continue
            rows = sum(drop_file_partition(self.con, delivery, target, part) for part in parts)
            gone = self._withdraw_earlier(delivery, target["sha256"],
                                          {entry["path"], target["path"]},
                                          Path(entry["path"]).parent, parts)
            more = f" and {plural(len(parts) - 1, 'more partition')}" if len(parts) > 1 else ""
            months = sorted({month_label(p[2]) for p in parts})
            same = f" (the same file as {shown(entry['path'])})" if entry is not target else ""
            out.append(format_problem(shown(target["path"]), None, None, (
                f"a part an earlier run left behind{same}: {shown(why.listing.manifest)} lists the last "
                f"run's files ({_first_of(why.listed)}), not this one, and they bill "
                f"{', '.join(months)} without it; its {plural(rows, 'row')} of "
                f"{_partition_label(parts[0])}{more} are not loaded (the export's last run no "
                "longer holds them)" + (f", and the {gone:,} an earlier ingest loaded of "
                                        f"{'those' if more else 'that'} account and period "
                                        "are withdrawn" if gone else ""))))
        return out

    def _withdraw_earlier(self, delivery: int, sha: str, paths: set[str], folder: Path,
                          parts: list[tuple]) -> int:
        """Delete the rows of `parts` earlier deliveries loaded from a file with these bytes,
        at these paths or in the export's `folder`, and record that they hold none; the rows
        deleted.

        Any file of the folder: the export's earlier runs wrote these partitions there, maybe
        in a part the last run rewrote with other accounts, and the last run bills the period
        without them. Left there, they would be part of the partition's earlier rows, which
        no fresh store of the folder holds. The same bytes elsewhere stay when the manifest
        of their own folder lists them: a part of another export's run, as in one delivery."""
        match = " AND ".join(f"{k} IS NOT DISTINCT FROM ?" for k in PARTITION_KEY)
        # Compared resolved: a store of an earlier version records paths as written.
        files = [(old, path, old_sha) for old, path, old_sha in self.con.execute(
            "SELECT delivery_id, path, sha256 FROM files WHERE delivery_id < ? AND "
            "duplicate_of IS NULL", [delivery]).fetchall()
            if (where := source_path(path)) in paths or Path(where).parent == folder
            or old_sha == sha and not manifests.listed_by(where)]
        if any((old, path) in self._moved for old, path, _ in files):
            raise _Relabelled  # those rows are this delivery's now: copy them instead
        gone = 0
        for old, path, old_sha in files:
            for part in parts:
                gone += self.con.execute(
                    f"DELETE FROM charges WHERE wb_delivery_id = ? AND wb_source_file = ? "
                    f"AND {match}", [old, path, *part]).fetchone()[0]
                self.con.execute(f"UPDATE file_partitions SET rows = 0 WHERE delivery_id = ? "
                                 f"AND sha256 = ? AND {match}", [old, old_sha, *part])
        return gone

    def _drop_copies(self, delivery: int, loaded: list[dict]) -> list[tuple[int, str]]:
        """Keep one export of each partition that several files of this delivery hold as
        copies (snapshots.py says how they are told from parts); warnings (kind, line) for
        the others.

        Updates the entries in `loaded` and the delivery's file_partitions to match.
        """
        con = self.con
        key = ", ".join(PARTITION_KEY)
        match, shared_key = _same_partition("c", "m"), _same_partition("a", "b")
        many = con.execute(f"SELECT count(*) FROM (SELECT {key} FROM file_partitions WHERE "
                           f"delivery_id = ? GROUP BY ALL HAVING count(*) > 1)",
                           [delivery]).fetchone()[0]
        if not many:
            return []
        # Two files are compared on the columns the older FOCUS version of the two has (a
        # re-export in a later version fills columns the older one lacks), so each row is
        # known at every version of its partition's files up to its own (`lvl`), and counted
        # as its file's at that file's own version (`own`).
        own = snapshots.version_level_sql("c")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE wb_levels AS
            SELECT {', '.join('c.' + k for k in PARTITION_KEY)}, {own} AS lvl FROM charges c
            SEMI JOIN (SELECT {key} FROM file_partitions WHERE delivery_id = $1
                       GROUP BY ALL HAVING count(*) > 1) m ON {match}
            WHERE c.wb_delivery_id = $1 GROUP BY ALL""", [delivery])
        ids = snapshots.identity_columns(FOCUS_COLUMNS)
        # Each file's rows of a shared partition, counted per charge (h) and amounts (a).
        con.execute(f"""CREATE OR REPLACE TEMP TABLE wb_charge_ids AS
            SELECT {', '.join('c.' + k for k in PARTITION_KEY)}, c.wb_source_file AS f,
                   {own} AS own, m.lvl, {snapshots.identity_by_version(ids, 'm.lvl')} AS h,
                   {snapshots.amounts_sql(FOCUS_COLUMNS)} AS a,
                   count(*) AS n, max(c."ChargePeriodEnd") AS last_end,
                   max(c."ChargePeriodStart") AS last_start
            FROM charges c {snapshots.tag_joins("c")} JOIN wb_levels m ON {match} AND m.lvl <= {own}
            WHERE c.wb_delivery_id = $1 GROUP BY ALL""", [delivery])
        sides = con.execute(f"SELECT {key}, f, sum(n), max(last_end), count(DISTINCT h), "
                            "max(last_start) FROM wb_charge_ids WHERE lvl = own "
                            "GROUP BY ALL").fetchall()
        per_charge = f"(SELECT {key}, f, own, lvl, h, sum(n) AS n FROM wb_charge_ids GROUP BY ALL)"
        pair_cols = ", ".join("a." + k for k in PARTITION_KEY)
        same_charge = (f"{shared_key} AND a.h = b.h AND a.lvl = b.lvl "
                       "AND a.lvl = least(a.own, b.own) AND a.f < b.f")
        pairs = con.execute(
            f"SELECT {pair_cols}, a.f, b.f, sum(least(a.n, b.n)) FROM {per_charge} a "
            f"JOIN {per_charge} b ON {same_charge} GROUP BY ALL").fetchall()
        exact = con.execute(
            f"SELECT {pair_cols}, a.f, b.f, sum(least(a.n, b.n)) FROM wb_charge_ids a "
            f"JOIN wb_charge_ids b ON {same_charge} AND a.a = b.a GROUP BY ALL").fetchall()
        con.execute("DROP TABLE wb_charge_ids")
        con.execute("DROP TABLE wb_levels")
        entry_of = {e["path"]: e for e in loaded}
        files: dict[tuple, list] = {}
        for *part, path, n, last_end, distinct, last_start in sides:
            files.setdefault(tuple(part), []).append(snapshots.side_of(
                path, int(n), last_end, entry_of[path]["mtime_ns"], int(distinct), last_start))
        shared: dict[tuple, dict] = {}
        for *part, a, b, n in pairs:
            shared.setdefault(tuple(part), {})[(a, b)] = int(n)
        same: dict[tuple, dict] = {}
        for *part, a, b, n in exact:
            same.setdefault(tuple(part), {})[(a, b)] = int(n)
        out: list = []
        both: list[str] = []  # files kept though they may be copies
        runs: dict[tuple, list] = {}  # the files of one older run: said in one line
        for part, sides_of in sorted(files.items(), key=lambda kv: str(kv[0])):
            gone, doubtful = snapshots.sort_out(sides_of, shared.get(part, {}),
                                                same.get(part, {}))
            for path, why in sorted(doubtful.items()):
                both.append(format_problem(shown(path), None, None, (
                    f"{why.shared} of its {why.charges} charges of {_partition_label(part)} "
                    f"are also in {_first_of(why.newer)}"
                    ", which reaches further, at other amounts: too few to tell an earlier "
                    "run of one export from a part of it, so both are counted; if it is an "
                    "earlier run, load only the newer")))
            for path, why in sorted(gone.items()):
                rows = drop_file_partition(con, delivery, entry_of[path], part)
                if why.shared is None and not why.unlisted:
                    run = (part, str(Path(path).parent), tuple(why.newer))
                    if run in runs:
                        runs[run][1] += 1
                        runs[run][2] += rows
                        continue
                    runs[run] = [path, 0, rows, why]
                    out.append(run)
                else:
                    out.append(format_problem(shown(path), None, None,
                                              _set_aside(part, why, rows, path=path)))
        return [(TOO_MUCH, line) for line in both] + [(SET_ASIDE, line if isinstance(
            line, str) else format_problem(shown(runs[line][0]), None, None, _set_aside(
                line[0], runs[line][3], runs[line][2], runs[line][1]))) for line in out]

    def _delivery_partitions(self, delivery: int) -> list[dict]:
        key = ", ".join(PARTITION_KEY)
        rows = self.con.execute(f"SELECT {key}, sum(rows) FROM file_partitions "
                                f"WHERE delivery_id = ? GROUP BY ALL ORDER BY ALL", [delivery]).fetchall()
        return [partition_dict(r) for r in rows]

    def live_files(self) -> set[str]:
        """sha256 of loaded files none of whose partitions a later delivery replaced."""
        rows = self.con.execute(f"""
            SELECT DISTINCT f.sha256 FROM files f
            WHERE f.duplicate_of IS NULL AND NOT EXISTS (
                SELECT 1 FROM file_partitions mine JOIN file_partitions later
                  ON {_same_partition("later", "mine")} AND later.delivery_id > mine.delivery_id
                WHERE mine.delivery_id = f.delivery_id AND mine.sha256 = f.sha256)
        """).fetchall()
        return {r[0] for r in rows}

    def export_tables(self, folder: str | Path) -> dict[str, Path]:
        """The query tables (charges, tag_sets) as Parquet files in `folder`, for another engine."""
        Path(folder).mkdir(parents=True, exist_ok=True)
        out = {}
        for table in QUERY_TABLES:
            out[table] = Path(folder) / f"{table}.parquet"
            self.con.execute(f"COPY {table} TO {_literal(str(out[table]))} (FORMAT parquet)")
        return out

    def deliveries(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM deliveries ORDER BY delivery_id").df()

    def files(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM files ORDER BY delivery_id, path").df()

    def load_warnings(self) -> list[str]:
        """The warnings of the latest delivery, as `workbench ingest` printed them."""
        # fetchall: a result left unfinished would refuse the next Ibis query on this connection
        rows = self.con.execute(
            "SELECT value FROM wb_meta WHERE key = (SELECT 'warnings/' || max(delivery_id) "
            "FROM deliveries)").fetchall()
        return json.loads(rows[0][0]) if rows else []

    def figure_warnings(self) -> int | None:
        """How many of load_warnings(), the first ones, change a figure (rows not counted,
        or counted though they may be a copy); None when the store does not say (loaded by
        an older version, or rebuilt)."""
        rows = self.con.execute(
            "SELECT value FROM wb_meta WHERE key = (SELECT 'figure_warnings/' || max(delivery_id) "
            "FROM deliveries)").fetchall()
        return int(rows[0][0]) if rows else None


def _identical_newest_first(files: list[Path], mtimes: Mapping[str, int],
                            stats: Mapping[str, list[int] | None], known: Mapping[str, str]
                            ) -> tuple[list[Path], dict[str, str]]:
    """`files` with identical ones put newest first in the places they held, and the sha256
    of each file hashed to tell (path -> digest; `known` are those a record gives). Of
    identical files a delivery loads the first and sets the others aside; which one that is
    decides the folder, run and file time the rule for copies weighs, so it must not depend
    on the order the command named them in: the newest, as that rule orders the same bytes
    at two paths (snapshots.twin_age: a run's file before a later download of it).

    Only files of one size can be identical. A file a record vouches for is not read (its
    digest is recorded); another one is hashed now when a file of its size is one of those,
    or has its first and last bytes: the rest are hashed while they are read, which a hash
    now does not overlap (parts of an export of one size)."""
    by_size: dict[int, list[Path]] = {}
    for f in files:
        if stats[str(f)] is not None:
            by_size.setdefault(stats[str(f)][0], []).append(f)
    hashed = dict(known)
    alike: dict[tuple[int, bytes], list[Path]] = {}
    for size, group in by_size.items():
        if len(group) < 2:
            continue
        vouched = any(str(f) in hashed for f in group)
        for f in group:
            try:
                key = b"" if vouched else _ends_digest(f, size)
            except OSError:  # its read says why, in its place
                continue
            alike.setdefault((size, key), []).append(f)
    groups: dict[str, list[Path]] = {}
    for group in (g for g in alike.values() if len(g) > 1):
        for f in group:
            if str(f) not in hashed:
                try:
                    hashed[str(f)] = sha256_file(f)
                except OSError:
                    continue
            groups.setdefault(hashed[str(f)], []).append(f)
    ranked: dict[str, Iterator[Path]] = {}
    for group in (g for g in groups.values() if len(g) > 1):
        newest = iter(sorted(group, key=lambda f: snapshots.twin_age(
            str(f), mtimes.get(str(f), stats[str(f)][1])), reverse=True))
        ranked.update((str(f), newest) for f in group)
    return [next(ranked[str(f)]) if str(f) in ranked else f for f in files], hashed


ENDS = 64 * 1024  # bytes read at each end of a file of the size of another


def _ends_digest(path: Path, size: int) -> bytes:
    """A digest of the first and last ENDS bytes: files of one size that differ mostly
    differ there (a CSV's first rows, a Parquet footer's statistics): parts of an export of
    one size are then hashed while they are read, not before."""
    with open(path, "rb") as fh:
        head = fh.read(ENDS)
        fh.seek(max(size - ENDS, len(head)))
        return hashlib.sha256(head + fh.read(ENDS)).digest()


def _done(value) -> Future:
    """A future that holds `value` already."""
    fut: Future = Future()
    fut.set_result(value)
    return fut


def _first_of(paths: list[str]) -> str:
    more = len(paths) - 1
    return shown(paths[0]) + (f" and {more} more" if more > 0 else "") if paths else ""


def _copies_as_their_file(loaded: list[dict]) -> list[dict]:
    """The entries, each copy (same bytes as a file read before it) with that file's
    partitions: what a manifest beside the copy says of it holds for the bytes."""
    parts = {e["path"]: e["partitions"] for e in loaded if not e["duplicate_of"]}
    return [dict(e, partitions=parts[e["duplicate_of"]]) if e["duplicate_of"] else e
            for e in loaded]


def _unlisted_kept(loaded: list[dict], verdicts: dict[str, manifests.Verdict]) -> list[str]:
    """Warnings for the files still loaded that a manifest beside them does not list."""
    return [format_problem(shown(e["path"]), None, None, (
        f"not among the files {shown(why.listing.manifest)} lists, while its folder holds them; "
        f"loaded, since {why.doubt}: if it is a part an earlier run of the export left behind, "
        "move it away and ingest again"))
        for e in loaded if (why := verdicts.get(e["path"])) is not None and e["rows"]]


# -- opening the store from notebooks and apps -----------------------------------------

def _data_paths(data: Sequence[str] | None, config: Config, how: str = "--data PATH...") -> list[str]:
    if data:
        return [str(d) for d in data]
    return focus_paths(config, how)


def _manifest_stats(files: Sequence[Path]) -> list:
    """[path, [size, mtime_ns, ctime_ns, inode] or None] of each manifest that may say which
    of `files` a delivery loads (manifests.sources), sorted."""
    folders = {Path(f).parent for f in files}
    return sorted([str(m), reads.stat_of(m)] for folder in folders
                  for m in manifests.sources(folder))


def _store_state(path: Path, config: Config) -> tuple | None:
    """(the records of the store's reads, sha256 of live files, its reader, and for a store
    of one delivery (as open_store builds) the paths it read with their modification times
    and its manifests' stats, else None); None if unusable."""
    if not path.is_file():
        return None
    try:
        with Store(path, config, read_only=True) as s:
            one = None
            if s.con.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 1:
                got = s.con.execute("SELECT value FROM wb_meta WHERE key = "
                                    "'manifests/' || (SELECT max(delivery_id) FROM deliveries)"
                                    ).fetchall()
                read = dict(s.con.execute("SELECT path, mtime_ns FROM files").fetchall())
                one = (read, json.loads(got[0][0]) if got else None)
            return reads.load(s.con), s.live_files(), s.reader(), one
    except WorkbenchError:
        return None


def _digests(files: list[Path], records: dict, reader: str) -> set[str]:
    # A file unchanged since a read the store records is not hashed again (reads.trusted).
    out = set()
    for f in files:
        r = records.get(source_path(f))
        out.add(r["sha256"] if r is not None and reads.trusted(r, reads.stat_of(f), reader)
                else sha256_file(f))
    return out


def _holds(path: Path, files: list[Path], config: Config) -> bool:
    """Whether the store holds what a fresh build of `files` would: their bytes, and for a
    store of one delivery (the report's) also the same paths, modification times and
    manifests, which decide what counts of identical files, copies (the newer one counts)
    and parts left behind. A store of several deliveries (`workbench ingest` run by hand)
    is compared by bytes only: what its deliveries replaced is the user's to say."""
    state = _store_state(path, config)
    if state is None or _digests(files, state[0], state[2]) != state[1]:
        return False
    if state[3] is None:
        return True
    read, manifest_stats = state[3]
    now = {source_path(f): (reads.stat_of(f) or [None] * 2)[1] for f in files}
    return read == now and manifest_stats == _manifest_stats([Path(p) for p in now])


def open_store(data: Sequence[str] | None = None, store: str | Path | None = None,
               config: Config | None = None, read_only: bool = True,
               on_load: Callable[[], None] | None = None,
               on_wait: Callable[[], None] | None = None) -> Store:
    """The store for `data`, (re)built first when it lacks those files or they changed
    (`on_load()` is called first, to say so; `on_wait()` when another process holds the
    store's lock, loading it, and this one waits for it).

    Files are compared by sha256 (a file unchanged since a read the store records is not
    hashed again: reads.trusted). The store then mirrors `data` exactly: a rebuild loads
    every file as one delivery into a new file that atomically replaces the old one, so
    readers still open keep a consistent (older) view and no process sees a half-built store.
    The new file starts from the old one's rows of unchanged files when it can, which are
    then not read again, and ends as a store built from nothing would (store_reuse.py).
    """
    config = config or load_config()
    path = store if store is not None else config.path(config.data.store)
    files = discover(_data_paths(data, config))
    if not files:
        where = ", ".join(_data_paths(data, config))
        raise WorkbenchError(f"no FOCUS files found in {where}" if where else
                             "no FOCUS files to load: pass --data PATH, or list folders under "
                             "[data] focus in workbench.toml")
    say = on_load or (lambda: None)
    if str(path) == ":memory:":
        say()
        s = Store(":memory:", config)
        s.ingest([str(f) for f in files])
        return s
    path = store_file(path)
    _check_duckdb_file(path)  # a rebuild replaces the file: never a user's export or other file
    if not _holds(path, files, config):
        with file_lock(path, on_wait):
            if not _holds(path, files, config):
                from workbench.store_rebuild import remove_stale_builds

                remove_stale_builds(path)
                say()
                tmp = path.with_name(f".{path.name}.{os.getpid()}.building")
                tmp.unlink(missing_ok=True)
                try:  # tmp is private: the lock above covers it
                    if not store_reuse.build(path, tmp, files, config):
                        with Store(tmp, config) as s:
                            s._ingest(files, progress=False)
                    # The old store's log (a writer killed before its checkpoint) does not
                    # match the new file: DuckDB would refuse to open it beside it.
                    Path(f"{path}.wal").unlink(missing_ok=True)
                    os.replace(tmp, path)
                finally:
                    tmp.unlink(missing_ok=True)
                    Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return Store(path, config, read_only=read_only)


# -- CLI ---------------------------------------------------------------------------------

def totals_json(totals: pd.DataFrame) -> dict:
    """The `ingest --json` shape of exact totals (amounts as Decimal, for json_exact.dumps)."""
    return {"periods": [
        {"billing_period_start": r.billing_period_start, "currency": r.currency, "rows": int(r.rows),
         "billed_cost": r.billed_cost, "effective_cost": r.effective_cost}
        for r in totals.itertuples(index=False)]}


def _store_for_ingest(target, config: Config, read_only: bool) -> Store:
    """The store at `target`; one made by another version is rebuilt from its files first."""
    try:
        return Store(target, config, read_only=read_only)
    except StoreVersionError:
        from workbench.store_rebuild import rebuild

        files, _ = rebuild(Path(target), config)
        print(f"{target}: made by another version of the workbench; rebuilt from its {files} "
              f"file{'s' * (files != 1)} first (the old store is {target}.old)", file=sys.stderr)
        return Store(target, config, read_only=read_only)


def local_path(path: str | Path) -> str:
    """A store's path as DuckDB must be given it: DuckDB takes a leading `~` for the home
    folder, and `~s.duckdb` (no user `s.duckdb`, so left as it is) is a file here."""
    return os.path.abspath(path) if str(path).startswith("~") else str(path)


def _remove_store(path: Path) -> None:
    """Remove a store this ingest made, with its write-ahead log (file_lock removes its
    own lock file)."""
    for f in (path, Path(f"{path}.wal")):
        f.unlink(missing_ok=True)


def run_ingest(args) -> int:
    """`workbench ingest PATH... [--store FILE] [--json] [--rebuild]`."""
    config = load_config(getattr(args, "config", None))
    target = local_path(getattr(args, "store", None) or config.path(config.data.store))
    given = getattr(args, "paths", None)
    rebuild_only = getattr(args, "rebuild", False) and not given
    if not rebuild_only:  # before any store is made, as `validate` says it
        from workbench.focus import validate_paths

        given = validate_paths(given, config)
    if getattr(args, "rebuild", False):
        from workbench.store_rebuild import rebuild

        files, deliveries = rebuild(Path(target), config)
        print(f"rebuilt {target} from {files} file{'s' * (files != 1)} in {deliveries} "
              f"deliver{'ies' if deliveries != 1 else 'y'}; the old store is {target}.old",
              file=sys.stderr)
    result = None
    made = target != ":memory:" and not Path(target).exists()
    # The folders the store would be the first thing in: gone again with it on failure.
    new_dirs = [d for d in Path(target).absolute().parents if not d.exists()] if made else []
    mine = False  # a store another ingest made at the same moment is not ours to remove
    try:
        with _store_for_ingest(target, config, rebuild_only) as store:
            mine = made
            # Loaded, counted and closed before the lock goes: a report waiting for this load
            # then opens the store it holds. Released with the store still open, the store
            # would look in use to the report, which would load it all again (seconds to
            # minutes) instead.
            with store.locked():
                try:
                    if not rebuild_only:
                        result = store.ingest(_data_paths(given, config, "PATH..."),
                                              progress=sys.stderr.isatty())
                    totals = store.totals(exact=True)
                except BaseException:
                    store.close()
                    if mine:  # the store stays as it was: not there (removed under the lock)
                        _remove_store(Path(target))
                        mine = False
                    raise
                store.close()
    except BaseException:
        if made:  # the store stays as it was: not there
            if mine:
                _remove_store(Path(target))
            for d in new_dirs:  # innermost first; only while empty
                with contextlib.suppress(OSError):
                    d.rmdir()
        raise
    for line in warning_lines(result.warnings if result else []):
        print(line, file=sys.stderr)
    if getattr(args, "json", False):
        print(json_exact.dumps(totals_json(totals)))
        return 0
    if result is not None:
        print(f"delivery {result.delivery_id}: {plural(result.rows, 'row')} from "
              f"{plural(len(result.files), 'file')} in {result.seconds:.1f}s; replaced "
              f"{plural(result.replaced_rows, 'row')} of earlier deliveries in "
              f"{plural(len(result.partitions), 'partition')}; store {escaped(str(target))}")
    print(f"{'billing period':<22} {'currency':<8} {'rows':>12} {'billed cost':>18} {'effective cost':>18}")
    for r in totals.itertuples(index=False):
        # as validate's summary: half up to the currency's unit (2,152.345 is 2,152.35, not
        # 2,152.34 as format's half even has it; JPY 1,500, not 1,500.00)
        billed, effective = (f"{to_smallest_unit(v, r.currency):,}"
                             for v in (r.billed_cost, r.effective_cost))
        print(f"{r.billing_period_start:<22} {r.currency:<8} {r.rows:>12,} "
              f"{billed:>18} {effective:>18}")
    return 0
