"""What the store remembers of each file it read, so that a file loaded before and not
changed since is not read again: its rows are copied from the store, and its own checks'
warnings, FOCUS version, span and partitions come from the record. The delivery then goes
on as after a read (copies, replacements, every warning), so the store ends the same.

A file is unchanged, as make and rsync decide, when its path, size, modification time,
status-change time (ctime, which no tool sets back: `touch -d` and `cp -p` set it to now)
and inode are those it had before it was read. A record is trusted only when both times
are more than RACY_NS before that read began: a rewrite within the file system's timestamp
tick of the read (2 s on FAT) could otherwise keep every one of them ("racy git"). A
record of another store format or reader, or made by other code (code_fingerprint), is not
used.

Kept as one JSON value in wb_meta (`reads`): path -> the record of its latest read, with
the delivery whose rows are its rows.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

import duckdb

from workbench.focus_report import Problem

KEY = "reads"
RACY_NS = 2 * 10**9  # FAT's mtime tick, the coarsest a file system in use has


@functools.cache
def code_fingerprint(folder: Path = Path(__file__).parent) -> str:
    """The workbench's code (the modules in `folder`) and DuckDB's version, which read a
    file: between two installs of one version number, a fix, a new check or a reworded
    message changes what reading a file gives, and a record of the old reads must not stand
    for it."""
    from workbench import __version__

    digest = hashlib.sha256(f"{__version__}/{duckdb.__version__}".encode())
    for f in sorted(folder.glob("*.py")):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


def stat_of(path: Path) -> list[int] | None:
    """[size, mtime_ns, ctime_ns, inode] of the file, None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def trusted(record: dict, stat: list[int] | None, reader: str) -> bool:
    """The file is as the record read it, beyond doubt."""
    return (stat is not None and record.get("reader") == reader and record["stat"] == stat
            and max(stat[1], stat[2]) < record["checked_at"] - RACY_NS)


def load(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    rows = con.execute("SELECT value FROM wb_meta WHERE key = ?", [KEY]).fetchall()
    return json.loads(rows[0][0]) if rows else {}


def save(con: duckdb.DuckDBPyConnection, records: dict[str, dict]) -> None:
    con.execute("INSERT OR REPLACE INTO wb_meta VALUES (?, ?)", [KEY, json.dumps(records)])


def known(con: duckdb.DuckDBPyConnection, files: list[Path], stats: dict[str, list[int] | None],
          reader: str) -> dict[str, dict]:
    """The trusted records of `files`, each with `intact`: the store still holds every row
    the read gave (only deletes ever touch a delivery's rows, so the count tells)."""
    records = load(con)
    found = {str(f): r for f in files if (r := records.get(str(f))) is not None
             and trusted(r, stats.get(str(f)), reader)}
    if not found:
        return {}
    counts = {(d, f): n for d, f, n in con.execute(
        "SELECT wb_delivery_id, wb_source_file, count(*) FROM charges SEMI JOIN (SELECT "
        "UNNEST(?::BIGINT[]) AS d, UNNEST(?::VARCHAR[]) AS f) k ON wb_delivery_id = k.d "
        "AND wb_source_file = k.f GROUP BY ALL",
        [[r["delivery"] for r in found.values()], list(found)]).fetchall()}
    for path, r in found.items():
        r["intact"] = r["partitions"] is not None and counts.get(
            (r["delivery"], path), 0) == sum(p[3] for p in r["partitions"])
    return found


def record(delivery: int, reader: str, checked_at: int, stat: list[int], sha256: str,
           kind: str, report, warnings: list[Problem], parts: list[tuple] | None) -> dict:
    """What to remember of a file read in `delivery` (`parts` None: a copy of a file read
    before it in the delivery, whose rows were not kept)."""
    return {"delivery": delivery, "reader": reader, "checked_at": checked_at, "stat": stat,
            "sha256": sha256, "kind": kind, "focus_version": report.focus_version,
            "dataset": report.dataset,
            "period": [_iso(report.period_start), _iso(report.period_end)],
            "warnings": [[p.row, p.column, p.message, p.count, p.counts_rows] for p in warnings],
            "partitions": None if parts is None else [[*p[:2], _iso(p[2]), p[3]] for p in parts]}


def warnings_of(r: dict) -> list[Problem]:
    return [Problem(*w) for w in r["warnings"]]


def period_of(r: dict) -> tuple[datetime | None, datetime | None]:
    return tuple(_time(t) for t in r["period"])


def partitions_of(r: dict) -> list[tuple]:
    return [(*p[:2], _time(p[2]), p[3]) for p in r["partitions"]]


def _iso(value) -> str | None:
    return value if value is None or isinstance(value, str) else value.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
