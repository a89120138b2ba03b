"""A file loaded before and unchanged since is not read again (workbench/reads.py), and the
store, the warnings and the output are what reading it again gives."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest
from corpus.build import csv_bytes, row

from workbench import reads
from workbench import store as store_mod
from workbench.cli import main
from workbench.config import Config
from workbench.store import Store, open_store

# Files with something to say, each as its own checks say it (a copy set aside, an
# unknown category, bad tags, a rounded amount), of two accounts and months.
FILES = {
    "may/a.csv": [row(), row(BilledCost="1.5", Tags='{"team": "search"'),
                  row(ChargeCategory="Refund", BilledCost="-2")],
    "may/b.csv": [row(BillingAccountId="acct-2", BilledCost="0.123456789012"),
                  row(BillingAccountId="acct-2", Tags='{"team": "=1+2"}')],
    "june/c.csv": [row(BillingPeriodStart="2026-06-01T00:00:00Z",
                       ChargePeriodStart=f"2026-06-{d:02d}T00:00:00Z",
                       ChargePeriodEnd=f"2026-06-{d + 1:02d}T00:00:00Z", BilledCost=str(d))
                   for d in range(1, 25)],
}


def _write(root: Path, name: str, rows: list[dict]) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(rows))
    return path


@pytest.fixture
def exports(tmp_path) -> Path:
    root = tmp_path / "exports"
    for name, rows in FILES.items():
        _write(root, name, rows)
    return root


@pytest.fixture
def reading(monkeypatch) -> dict[str, list[Path]]:
    """The files each ingest reads and hashes (reset by the caller); a stat is trusted at once
    (files written a moment ago would otherwise be too young for it)."""
    monkeypatch.setattr(reads, "RACY_NS", 0)
    seen: dict[str, list[Path]] = {"read": [], "hashed": []}
    fast, scan, sha = Store._fast_load, store_mod.scan_file, store_mod.sha256_file
    monkeypatch.setattr(Store, "_fast_load", lambda self, i, path, d: (
        seen["read"].append(Path(path)), fast(self, i, path, d))[1])
    monkeypatch.setattr(store_mod, "scan_file", lambda con, path, table: (
        seen["read"].append(Path(path)), scan(con, path, table))[1])
    monkeypatch.setattr(store_mod, "sha256_file", lambda path: (
        seen["hashed"].append(Path(path)), sha(path))[1])
    return seen


def _ingest(store: Path, exports: Path, cfg: Config, seen: dict) -> list[Path]:
    for v in seen.values():
        v.clear()
    with Store(store, cfg) as s:
        s.ingest([str(exports)])
    return sorted(set(seen["read"]))


def test_an_unchanged_file_is_not_read_again_and_a_changed_one_is(tmp_path, exports, reading):
    cfg, store = Config(root=tmp_path), tmp_path / "s.duckdb"
    files = sorted(exports.rglob("*.csv"))
    assert _ingest(store, exports, cfg, reading) == files
    assert _ingest(store, exports, cfg, reading) == [] and reading["hashed"] == []
    a = exports / "may" / "a.csv"
    before = a.stat()
    data = a.read_bytes()
    a.write_bytes(data.replace(b"10.25", b"10.35"))  # same size, same time: a rewrite
    os.utime(a, ns=(before.st_atime_ns, before.st_mtime_ns))  # touched back
    assert a.stat().st_size == before.st_size and a.stat().st_mtime_ns == before.st_mtime_ns
    assert _ingest(store, exports, cfg, reading) == [a]
    with Store(store, cfg, read_only=True) as s:
        assert s.con.execute("SELECT count(*) FROM charges WHERE BilledCost = 10.35").fetchone()[0]
    assert _ingest(store, exports, cfg, reading) == []


def test_a_file_written_just_before_its_load_is_read_again(tmp_path, exports, reading,
                                                           monkeypatch):
    """Within the file system's timestamp tick of a read, a rewrite could keep every stat."""
    monkeypatch.setattr(reads, "RACY_NS", 3_600 * 10**9)  # every file is "just written"
    cfg, store = Config(root=tmp_path), tmp_path / "s.duckdb"
    files = sorted(exports.rglob("*.csv"))
    _ingest(store, exports, cfg, reading)
    assert _ingest(store, exports, cfg, reading) == files and sorted(reading["hashed"]) == files


def test_a_record_of_another_reader_is_not_used(tmp_path, exports, reading, monkeypatch):
    cfg, store = Config(root=tmp_path), tmp_path / "s.duckdb"
    _ingest(store, exports, cfg, reading)
    monkeypatch.setattr(Store, "fast_path", False)  # rows then say their row numbers
    assert _ingest(store, exports, cfg, reading) == sorted(exports.rglob("*.csv"))


def _tables(store: Path) -> dict[str, list]:
    """Every table of the store, rows sorted, without the times of the loads and the records
    of the reads."""
    import duckdb

    out = {}
    with duckdb.connect(str(store), read_only=True) as con:
        for (name,) in con.execute("SELECT table_name FROM information_schema.tables "
                                   "WHERE table_schema = 'main' ORDER BY 1").fetchall():
            cols = [c[0] for c in con.execute(f'DESCRIBE "{name}"').fetchall()
                    if c[0] != "loaded_at"]
            where = f"WHERE key <> '{reads.KEY}'" if name == "wb_meta" else ""
            out[name] = con.execute(f"SELECT {', '.join(cols)} FROM \"{name}\" {where} "
                                    "ORDER BY ALL").fetchall()
    return out


def _cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_store_and_the_output_are_those_of_reading_every_file(tmp_path, exports, reading,
                                                                   capsys, monkeypatch):
    """Ingest after ingest, with files unchanged, changed, gone, added and copied: the store
    that skips unchanged files holds what the one that reads them all holds, and says the same."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "workbench.toml").write_text("")
    taken = []  # in place, or copied (after the delivery touched rows it took over)
    take = Store._take_rows
    monkeypatch.setattr(Store, "_take_rows", lambda self, d, copied, in_place: (
        taken.append(in_place) if copied else None, take(self, d, copied, in_place))[1])
    with_records, without = tmp_path / "fast.duckdb", tmp_path / "full.duckdb"
    real_known = reads.known

    def both() -> None:
        ran = []
        for store, known in ((without, lambda *a: {}), (with_records, real_known)):
            monkeypatch.setattr(reads, "known", known)
            reading["read"].clear()
            ran.append((_cli(["ingest", "exports", "--store", str(store), "--json"], capsys),
                        sorted(set(reading["read"]))))
        assert ran[0][0] == ran[1][0]  # exit status, totals (stdout) and warnings (stderr)
        assert _tables(with_records) == _tables(without)
        return ran[0][1], ran[1][1]

    files = sorted(exports.rglob("*.csv"))
    assert both() == (files, files)
    assert both() == (files, [])
    a, c = exports / "may" / "a.csv", exports / "june" / "c.csv"
    _write(exports, "may/a.csv", FILES["may/a.csv"][:2])  # corrected
    twice = exports / "june" / "c (1).csv"
    shutil.copy(c, twice)  # downloaded twice: a new path, read; then c is its copy
    (exports / "may" / "b.csv").unlink()  # gone: its rows with it, and said
    assert both()[1] == [twice, a]
    old = _write(exports, "may/old.csv", [row(BilledCost="3"), *FILES["may/a.csv"][:1]])
    os.utime(old, ns=(1, 1))  # an older copy of a
    gz = exports / "june" / "c2.csv.gz"
    gz.write_bytes(gzip.compress(c.read_bytes()))  # the same charges: c (1) is an older copy
    assert both()[1] == [gz, old]
    # Files set aside keep no rows to copy: they are read each time, as they may count again.
    assert both()[1] == [twice, old]
    twice.unlink()
    gz.unlink()  # c now holds the rows: read, not copied from rows it never held
    assert c in both()[1]
    assert c not in both()[1]
    assert True in taken and False in taken

def test_open_store_trusts_only_what_the_store_read(tmp_path, exports, reading):
    """A report's load hashes a file rewritten and touched back to its old time (same size):
    its figures are the new ones."""
    cfg, store = Config(root=tmp_path), tmp_path / "s.duckdb"
    for f in exports.rglob("*.csv"):  # written an hour before the load
        hour_ago = f.stat().st_mtime_ns - 3_600 * 10**9
        os.utime(f, ns=(hour_ago, hour_ago))
    with open_store([str(exports)], store, cfg) as s:
        before = s.totals().billed_cost.sum()
    reading["hashed"].clear()
    open_store([str(exports)], store, cfg).close()
    assert reading["hashed"] == []
    a = exports / "may" / "a.csv"
    st = a.stat()
    a.write_bytes(a.read_bytes().replace(b"10.25", b"10.35"))
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    with open_store([str(exports)], store, cfg) as s:
        assert a in reading["hashed"]
        assert s.totals().billed_cost.sum() == pytest.approx(before + 0.1)


def test_the_code_that_reads_a_file_is_part_of_its_record(tmp_path, monkeypatch):
    """Between two installs of one version number the code that reads files may change: a
    record of the old code's read is not used."""
    code = tmp_path / "workbench"
    shutil.copytree(Path(reads.__file__).parent, code)
    before = reads.code_fingerprint.__wrapped__(code)
    assert reads.code_fingerprint.__wrapped__(code) == before
    with open(code / "focus_fast.py", "a") as fh:
        fh.write("# a fix\n")
    assert reads.code_fingerprint.__wrapped__(code) != before
    after = reads.code_fingerprint.__wrapped__(code)
    monkeypatch.setattr(reads.duckdb, "__version__", "0.0.0")
    assert reads.code_fingerprint.__wrapped__(code) != after


def test_a_new_check_of_the_code_warns_of_an_unchanged_file(tmp_path, exports, reading,
                                                           monkeypatch):
    """What another build of the workbench warns of a file is what reading it gives, not the
    record of the last build's read."""
    cfg, store = Config(root=tmp_path), tmp_path / "s.duckdb"
    _ingest(store, exports, cfg, reading)
    new = reads.Problem(None, "x_Note", "a check this build adds")
    monkeypatch.setattr(store_mod, "missing_in_one_line", lambda found: [*found, new])
    monkeypatch.setattr(reads, "code_fingerprint", lambda: "another build", raising=False)
    assert _ingest(store, exports, cfg, reading) == sorted(exports.rglob("*.csv"))
    with Store(store, cfg, read_only=True) as s:
        assert sum("a check this build adds" in w for w in s.load_warnings()) == 1


def test_a_delivery_that_fails_after_taking_rows_over_leaves_the_store_as_it_was(
        tmp_path, exports, reading, monkeypatch):
    """The rows an unchanged file's delivery took over in place go back to the delivery that
    held them when a later step refuses the load (here, totals no sum can keep exact)."""
    cfg, store = Config(root=tmp_path), tmp_path / "s.duckdb"
    huge = "9" * 28
    _write(exports, "may/big.csv", [row(BillingAccountId="acct-3", BillingCurrency="JPY",
                                        BilledCost=huge)])
    _ingest(store, exports, cfg, reading)
    before = _tables(store)
    with Store(store, cfg, read_only=True) as s:
        records = reads.load(s.con)
    _write(exports, "may/bigger.csv", [row(BillingAccountId="acct-4", BillingCurrency="JPY",
                                           BilledCost=huge)])
    taken, take = [], Store._take_rows
    monkeypatch.setattr(Store, "_take_rows", lambda self, d, copied, in_place: (
        taken.append((in_place, len(copied))), take(self, d, copied, in_place))[1])
    with pytest.raises(store_mod.WorkbenchError, match="add up beyond 28 digits"):
        _ingest(store, exports, cfg, reading)
    assert taken == [(True, 4)] and _tables(store) == before
    with Store(store, cfg, read_only=True) as s:
        assert reads.load(s.con) == records
    (exports / "may" / "bigger.csv").unlink()
    assert _ingest(store, exports, cfg, reading) == []  # from delivery 1, whole
    with Store(store, cfg, read_only=True) as s:
        assert s.con.execute("SELECT wb_delivery_id, count(*) FROM charges GROUP BY 1"
                             ).fetchall() == [(2, len(before["charges"]))]


def _records(store: Path) -> dict:
    """The records of the reads but when each was made: a store built reusing rows keeps
    the time of the read that gave them (as `workbench ingest` does), a fresh one has now."""
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        return {p: {k: v for k, v in r.items() if k != "checked_at"}
                for p, r in reads.load(con).items()}


def _azure_run(exports: Path, listed: list[str]) -> None:
    run = exports / "azure" / "focus" / "20260501-20260531" / "run-2"
    for n, account in ((1, "acct-7"), (2, "acct-7"), (3, "acct-9")):
        if not (run / f"part_0_000{n}.csv").exists():  # kept as they are: taken over
            _write(run, f"part_0_000{n}.csv", [row(BillingAccountId=account,
                                                   ResourceId=f"r{i}", BilledCost=f"{n}.{i:02d}")
                                               for i in range(10)])
    (run / "manifest.json").write_text(json.dumps({"blobs": [
        {"blobName": f"focus/20260501-20260531/run-2/{name}.csv"} for name in listed]}))


def test_a_report_store_rebuilt_from_the_old_one_is_the_fresh_one(tmp_path, exports, reading,
                                                                  monkeypatch):
    """Change after change of the folder, the store open_store builds from the rows the old
    one holds of unchanged files is, table by table and row by row, the store a fresh build
    makes, warnings and records included; and it reads only the files that changed."""
    from workbench import store_reuse

    cfg, kept = Config(root=tmp_path), tmp_path / "kept.duckdb"
    built, build = [], store_reuse.build
    monkeypatch.setattr(store_reuse, "build", lambda *a: (built.append(build(*a)), built[-1])[1])
    a, c = exports / "may" / "a.csv", exports / "june" / "c.csv"

    hashed = []

    def both(step: str) -> list[Path]:
        for seen in (reading["read"], reading["hashed"], built, hashed):
            seen.clear()
        with open_store([str(exports)], kept, cfg) as s:
            said, totals = s.load_warnings(), s.totals(exact=True)
        read, hashed[:] = sorted(set(reading["read"])), sorted(set(reading["hashed"]))
        fresh = tmp_path / f"fresh-{step}.duckdb"
        with open_store([str(exports)], fresh, cfg) as s:
            assert s.load_warnings() == said and s.totals(exact=True).equals(totals), step
        assert _tables(kept) == _tables(fresh), step
        assert _records(kept) == _records(fresh), step
        assert built[0] is True, step  # the old store's rows were used
        return read

    open_store([str(exports)], kept, cfg).close()
    d = _write(exports, "june/d.csv", [row(BillingAccountId="acct-3", BilledCost="7.77")])
    assert both("added") == [d] and hashed == [d]
    _write(exports, "may/a.csv", FILES["may/a.csv"][:2])  # a corrected re-export
    assert both("changed") == [a]
    (exports / "may" / "b.csv").unlink()
    assert both("removed") == []
    # identical bytes: the newer read, c taken over as its copy (alone, the store holds them)
    twice = exports / "june" / "c (1).csv"
    shutil.copy(c, twice)  # alone: the bytes the store holds are the same
    assert both("identical") == [twice]
    gz = exports / "june" / "c2.csv.gz"
    gz.write_bytes(gzip.compress(c.read_bytes()))  # newer: c, taken over, is set aside
    assert both("newer copy") == [gz]
    _azure_run(exports, ["part_0_0001", "part_0_0002", "part_0_0003"])
    both("run")
    _azure_run(exports, ["part_0_0001", "part_0_0002"])  # part 3 is now left behind
    assert both("manifest") == [twice]  # alone; twice: set aside, so read each time
    old = _write(exports, "may/old.csv", [row(BilledCost="3"), *FILES["may/a.csv"][:1]])
    os.utime(old, ns=(1, 1))  # an older copy of a
    assert old in both("older copy")
    with Store(kept, cfg, read_only=True) as s:
        assert any("left behind" in w for w in s.load_warnings())
        assert any("older copy" in w for w in s.load_warnings())


def test_a_file_changed_while_the_old_rows_are_copied_gives_the_fresh_build(
        tmp_path, exports, reading, monkeypatch):
    """A row of the old store that the new delivery does not take over (its file changed
    after the copy vouched for it) is no fresh build's: the store is built afresh."""
    from workbench import store_reuse

    cfg, kept = Config(root=tmp_path), tmp_path / "kept.duckdb"
    open_store([str(exports)], kept, cfg).close()
    a = exports / "may" / "a.csv"
    seed, built, build = store_reuse._seed, [], store_reuse.build

    def seed_then_change(s, files):
        out = seed(s, files)
        _write(exports, "may/a.csv", FILES["may/a.csv"][:1])
        return out

    monkeypatch.setattr(store_reuse, "_seed", seed_then_change)
    monkeypatch.setattr(store_reuse, "build", lambda *a: (built.append(build(*a)), built[-1])[1])
    _write(exports, "june/d.csv", [row(BillingAccountId="acct-3")])
    open_store([str(exports)], kept, cfg).close()
    assert built == [False]
    fresh = tmp_path / "fresh.duckdb"
    monkeypatch.setattr(store_reuse, "_seed", seed)
    open_store([str(exports)], fresh, cfg).close()
    assert _tables(kept) == _tables(fresh)
    assert a.read_bytes() == csv_bytes(FILES["may/a.csv"][:1])
    assert not list(tmp_path.glob(".kept.duckdb.*"))


@pytest.mark.parametrize("unusual", ["a table of its own", "another version",
                                     "another reader"])
def test_a_store_the_copy_cannot_vouch_for_is_rebuilt_afresh(tmp_path, exports, reading,
                                                             monkeypatch, unusual):
    """Anything the copy cannot vouch for leaves the fresh build, which reads every file."""
    import duckdb

    cfg, kept = Config(root=tmp_path), tmp_path / "kept.duckdb"
    open_store([str(exports)], kept, cfg).close()
    with duckdb.connect(str(kept)) as con:
        if unusual == "a table of its own":
            con.execute("CREATE TABLE notes (x INTEGER)")
        elif unusual == "another version":
            con.execute("UPDATE wb_meta SET value = 'older' WHERE key = 'schema'")
    if unusual == "another reader":
        monkeypatch.setattr(Store, "fast_path", False)
    _write(exports, "june/d.csv", [row(BillingAccountId="acct-3")])
    reading["read"].clear()
    with open_store([str(exports)], kept, cfg) as s:
        assert "notes" not in {r[0] for r in s.con.execute("SHOW TABLES").fetchall()}
    assert sorted(set(reading["read"])) == sorted(exports.rglob("*.csv"))
    fresh = tmp_path / "fresh.duckdb"
    open_store([str(exports)], fresh, cfg).close()
    assert _tables(kept) == _tables(fresh)


def test_a_copy_made_newer_by_its_time_alone_rebuilds_the_report_store(tmp_path, exports,
                                                                      reading):
    """Of two copies of a billing period the newer counts: a copy touched (or synced again
    with the same bytes) becomes the newer one, and the report's store follows, as a fresh
    build of the folder does."""
    cfg, kept = Config(root=tmp_path), tmp_path / "kept.duckdb"
    old = _write(exports, "may/old.csv", [row(BilledCost="3"), *FILES["may/a.csv"][:1]])
    os.utime(old, ns=(1, 1))  # an older copy of a
    with open_store([str(exports)], kept, cfg) as s:
        before = s.load_warnings()
    later = (exports / "may" / "a.csv").stat().st_mtime_ns + 10**9
    os.utime(old, ns=(later, later))  # now the newer copy; its bytes unchanged
    loads = []
    with open_store([str(exports)], kept, cfg, on_load=lambda: loads.append(1)) as s:
        said, totals = s.load_warnings(), s.totals(exact=True)
    with open_store([str(exports)], tmp_path / "fresh.duckdb", cfg) as s:
        assert s.load_warnings() == said and s.totals(exact=True).equals(totals)
    assert loads == [1] and _tables(kept) == _tables(tmp_path / "fresh.duckdb")
    assert said != before  # old.csv is no longer the older copy
    open_store([str(exports)], kept, cfg, on_load=lambda: loads.append(2)).close()
    assert loads == [1]  # and it holds


def test_a_report_store_rebuilt_beside_a_log_a_killed_writer_left_opens(tmp_path, exports,
                                                                        reading):
    """A writer killed before its checkpoint leaves the store's write-ahead log: the store
    rebuilt in its place is a new file, which DuckDB refuses to open beside the old log."""
    import subprocess
    import sys

    cfg, kept = Config(root=tmp_path), tmp_path / "kept.duckdb"
    open_store([str(exports)], kept, cfg).close()
    killed = ("import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
              "con.execute(\"SET checkpoint_threshold = '1TB'\"); "
              "con.execute(\"INSERT INTO wb_meta VALUES ('note', 'x')\"); os._exit(9)")
    subprocess.run([sys.executable, "-c", killed, str(kept)], check=False)
    assert Path(f"{kept}.wal").stat().st_size > 0
    _write(exports, "june/d.csv", [row(BillingAccountId="acct-3", BilledCost="7.77")])
    with open_store([str(exports)], kept, cfg) as s:
        totals = s.totals(exact=True)
    with open_store([str(exports)], tmp_path / "fresh.duckdb", cfg) as s:
        assert s.totals(exact=True).equals(totals)
    assert _tables(kept) == _tables(tmp_path / "fresh.duckdb")
    assert not Path(f"{kept}.wal").exists()
