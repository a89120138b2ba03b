"""A store the report and the apps rebuild (open_store), made without reading again the files
the current store read and that have not changed since (reads.py).

A fresh build loads every file into an empty store as one delivery. This one starts from a
copy of the current store that keeps only the rows of files it vouches for (reads.known,
intact), relabelled delivery 0, with their tag sets parsed again and their records of the
reads; every other table is emptied. The one delivery then takes those rows over in place
(Store._take_rows) and reads the other files. Delivery 0 is no delivery: once every one of
its rows is the new delivery's, the store holds what a fresh build holds at that point, so
everything after it (copies, replacements, warnings) runs as in a fresh build. A row of it
left untaken (a file changed meanwhile), or anything unusual (a write-ahead log, other
tables, another store version, any error), gives up, and the caller builds afresh.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import duckdb

from workbench import reads
from workbench.config import Config
from workbench.delivery import source_path

SEED = 0  # the delivery id of the rows taken over: below the new delivery's 1
TABLES = {"wb_meta", "charges", "deliveries", "files", "tag_sets", "file_partitions"}


class NotSeeded(Exception):
    """The copy cannot stand for an empty store (no row to take over), or a row of it was not
    taken over (its file changed meanwhile): not what a fresh build gives."""


def build(store: Path, tmp: Path, files: list[Path], config: Config) -> bool:
    """Build at `tmp` the store a fresh load of `files` gives, from `store` (held under its
    lock by the caller); False, with nothing left at `tmp`, when it could not be vouched for."""
    from workbench.store import Store

    if not store.is_file() or Path(f"{store}.wal").exists():  # a log: the file is not all
        return False
    try:
        shutil.copyfile(store, tmp)
        with Store(tmp, config) as s:
            if not _seed(s, files):
                raise NotSeeded
            s._seeded = True
            s._ingest(files, progress=False)
        return True
    except Exception:  # anything unusual: the fresh build decides, and says any error
        for f in (tmp, Path(f"{tmp}.wal")):
            f.unlink(missing_ok=True)
        return False


def _seed(s, files: list[Path]) -> bool:
    """Leave in the store only the rows of `files` it read and still holds whole, as delivery
    SEED, with their tag sets and the records of their reads; False when there are none."""
    from workbench.store import FILE_TAGS

    con = s.con
    have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = 'main'").fetchall()}
    if have != TABLES:
        return False
    files = [Path(source_path(f)) for f in files]
    stats = {str(f): reads.stat_of(f) for f in files}
    known = reads.known(con, files, stats, s.reader())
    whole = [(r["delivery"], path) for path, r in known.items() if r["intact"]]
    if not whole:
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE TEMP TABLE wb_seed AS SELECT UNNEST(?::BIGINT[]) AS d, "
                    "UNNEST(?::VARCHAR[]) AS f", [[d for d, _ in whole], [f for _, f in whole]])
        con.execute("DELETE FROM charges c WHERE NOT EXISTS (SELECT 1 FROM wb_seed k "
                    "WHERE c.wb_delivery_id = k.d AND c.wb_source_file = k.f)")
        con.execute("DROP TABLE wb_seed")
        con.execute(f"UPDATE charges SET wb_delivery_id = {SEED}")
        for table in ("tag_sets", "files", "file_partitions", "deliveries"):
            con.execute(f"DELETE FROM {table}")
        con.execute("DELETE FROM wb_meta WHERE key <> 'schema'")
        # parsed again, as a read parses them: a tag set may date from other code
        s._add_tag_sets(f"wb_delivery_id = {SEED}")
        con.execute(f"DROP TABLE IF EXISTS {FILE_TAGS}")
        reads.save(con, {path: {**{k: v for k, v in r.items() if k != "intact"},
                                "delivery": SEED} for path, r in known.items()})
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    con.execute("CHECKPOINT")
    return True
