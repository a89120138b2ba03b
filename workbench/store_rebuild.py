"""`workbench ingest --rebuild`: load a store again from the files it records.

A store made by another version of the workbench cannot be read by this one. Its `files`
table still says which files each delivery loaded, and `file_partitions` which of their
billing periods it kept, so the same deliveries, replayed in their order into a new store,
give the same rows under the same replacement rule: what a manifest or a copy beside the
files says now (a later run's manifest, new file times) does not change them. Every
file that still has rows in the store must be there with the content it had (same
sha256); otherwise the rebuild stops before anything changes. The old store is kept beside the new one as `<store>.old`.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from workbench.config import Config
from workbench.delivery import file_lock, sha256_file, shown, store_file
from workbench.errors import WorkbenchError

# Files some of whose rows are still in the store: a file whose every billing period a
# later delivery replaced adds nothing to the result, so it need not be there any more
# (a partition of 0 rows records rows a delivery replaced under another issuer name).
# Partitions are keyed by the store's own first key column: stores before wb_issuer keyed
# them by wb_provider.
LIVE_FILES = """
SELECT f.delivery_id, f.path, f.sha256, {mtime} FROM files f
WHERE f.duplicate_of IS NULL AND EXISTS (
    SELECT 1 FROM file_partitions mine
    WHERE mine.delivery_id = f.delivery_id AND mine.sha256 = f.sha256 AND mine.rows > 0
      AND NOT EXISTS (
        SELECT 1 FROM file_partitions later
        WHERE later.delivery_id > mine.delivery_id
          AND later.{key} IS NOT DISTINCT FROM mine.{key}
          AND later.BillingAccountId IS NOT DISTINCT FROM mine.BillingAccountId
          AND later.BillingPeriodStart IS NOT DISTINCT FROM mine.BillingPeriodStart))
ORDER BY f.delivery_id, f.path
"""


# The partitions each file loaded: a replay loads those and no others (a partition of 0
# rows is one a later delivery withdrew, or replaced under another issuer name).
LOADED_PARTITIONS = """
SELECT delivery_id, sha256, wb_issuer, BillingAccountId, BillingPeriodStart FROM file_partitions
WHERE rows > 0
"""


@dataclass(frozen=True)
class Load:
    """A delivery as the store records it, to be loaded again."""

    files: dict[Path, int | None]  # the files that still count, with the times they had
    partitions: frozenset[tuple] | None  # (sha256, issuer, account, period start); None: unknown
    warnings: str | None  # what the delivery said (JSON), said again after the replay


def recorded_deliveries(store: Path) -> list[dict[Path, int | None]]:
    """The files of each delivery that still count, in load order, as the store records them,
    each with the modification time it was loaded with (None where it was not recorded)."""
    return [load.files for load in recorded_loads(store)]


def recorded_loads(store: Path) -> list[Load]:
    """The deliveries that still count, in load order, as the store records them."""
    _must_exist(store)
    try:
        with duckdb.connect(str(store), read_only=True) as con:
            have = {r[0] for r in con.execute("DESCRIBE file_partitions").fetchall()}
            key = next((k for k in ("wb_issuer", "wb_provider") if k in have), "wb_issuer")
            timed = "mtime_ns" in {r[0] for r in con.execute("DESCRIBE files").fetchall()}
            rows = con.execute(LIVE_FILES.format(
                key=key, mtime="f.mtime_ns" if timed else "NULL")).fetchall()
            # Stores keyed by provider name name other partitions than this version's.
            parts = con.execute(LOADED_PARTITIONS).fetchall() if key == "wb_issuer" else None
            said = dict(con.execute("SELECT key, value FROM wb_meta WHERE key LIKE 'warnings/%'")
                        .fetchall())
    except duckdb.Error as exc:
        raise WorkbenchError(f"{store}: cannot rebuild: the store does not say which files it was "
                             f"loaded from ({str(exc).splitlines()[0]}); delete it and ingest "
                             "again") from None
    deliveries: dict[int, dict[Path, int | None]] = {}
    for delivery, path, digest, mtime in rows:
        p = Path(path)
        if not p.is_file():
            raise WorkbenchError(f"{shown(path)}: missing (loaded in delivery {delivery}); cannot "
                                 "rebuild the store without it")
        if sha256_file(p) != digest:
            raise WorkbenchError(f"{shown(path)}: changed since it was loaded in delivery {delivery}; "
                                 "cannot rebuild the same store (delete it and ingest again)")
        deliveries.setdefault(delivery, {})[p] = mtime
    if not deliveries:
        raise WorkbenchError(f"{store}: the store records no files: nothing to rebuild")
    loaded: dict[int, set[tuple]] = {}
    for delivery, *part in parts or ():
        loaded.setdefault(delivery, set()).add(tuple(part))
    return [Load(files, None if parts is None else frozenset(loaded.get(d, ())),
                 said.get(f"warnings/{d}")) for d, files in deliveries.items()]


def _must_exist(store: Path) -> None:
    if not store.is_file():
        raise WorkbenchError(f"{store}: store not found: nothing to rebuild")


def remove_stale_builds(store: Path) -> None:
    """Delete the new stores (`.<store>.<pid>.rebuilding` or `.building`, with their logs and
    lock files) that a process killed while it built them left beside the store: they can be
    as large as the store. A build of a process still running is left alone."""
    for leftover in store.parent.glob(f".{glob.escape(store.name)}.*"):
        parts = leftover.name[len(store.name) + 2:].split(".")
        if len(parts) < 2 or parts[1] not in ("rebuilding", "building") or not parts[0].isdigit():
            continue
        try:
            os.kill(int(parts[0]), 0)
        except ProcessLookupError:
            leftover.unlink(missing_ok=True)
        except OSError:  # alive, another user's
            continue


def rebuild(store: Path, config: Config) -> tuple[int, int]:
    """Replay the store's deliveries into a new store that then takes its place.

    Returns (files, deliveries). The old file moves to `<store>.old`; on any error the
    store is left as it was.
    """
    from workbench.store import Store

    store = store_file(store)
    _must_exist(store)  # before the lock, which would leave its folder behind
    with file_lock(store):
        remove_stale_builds(store)
        deliveries = recorded_loads(store)
        tmp = store.with_name(f".{store.name}.{os.getpid()}.rebuilding")
        tmp.unlink(missing_ok=True)
        try:
            with Store(tmp, config) as s:
                for load in deliveries:  # with the times they were loaded with
                    done = s.ingest([str(f) for f in load.files], recorded=load.partitions,
                                    mtimes={str(f): t for f, t in load.files.items()
                                            if t is not None})
                    if load.warnings is not None:  # what the delivery said, not the replay
                        s.con.execute("INSERT OR REPLACE INTO wb_meta VALUES (?, ?)",
                                      [f"warnings/{done.delivery_id}", load.warnings])
                        # the replay's count need not fit the warnings said: unknown
                        s.con.execute("DELETE FROM wb_meta WHERE key = ?",
                                      [f"figure_warnings/{done.delivery_id}"])
            os.replace(store, store.with_name(store.name + ".old"))
            Path(str(store) + ".wal").unlink(missing_ok=True)
            os.replace(tmp, store)
        finally:  # the new store's lock file too: its name carries this process's id
            for leftover in (tmp, Path(str(tmp) + ".wal"), Path(str(tmp) + ".lock")):
                leftover.unlink(missing_ok=True)
    return sum(len(load.files) for load in deliveries), len(deliveries)
