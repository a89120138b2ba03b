"""The store against a model of the README's rules, over random sequences of what users do.

A hypothesis state machine keeps a folder of FOCUS CSV exports (two accounts, two billing
periods, one folder per account and period, as AWS lays out BILLING_PERIOD=YYYY-MM) and a
store on disk, and does what users do: ingest the whole folder, again, one period's folder,
one file, one file twice in one command; rewrite a file as a corrected re-export (amounts
changed, rows added and removed); add another part of a period, with the run's manifest.json
listing every part (then a part may bill the same charges at other amounts, as tiered
pricing split over parts does) or without one (a part with other charges); copy a file
under another name, beside it or into a downloads folder (a copy goes stale when its
original is corrected later); a run that rewrites its folder with fewer parts than the last
one; `ingest --rebuild`.

The model knows each file's lineage (the export part it is a version of) and version, and
sums plain Decimals by the README's rules, in a user's terms:
- a delivery replaces, for each (account, period) it holds, what earlier deliveries loaded;
- in a delivery, identical files count once (the newest of them), and so do the copies of
  one part (an older version of it): the newest, from the folder written last, then the
  file written last (a copy made later of an older version is the newest so, as `cp`
  without -p makes it);
- parts count each, also when a manifest lists parts that repeat one another's charges;
- a part a manifest no longer lists, no newer than the manifest, is not loaded when the
  files it lists are;
- a rebuild gives the same figures, or changes nothing when a file it needs changed.

Each file holds 22 charges or more and the same last day (an anchor row no correction
removes): the README's copy rule needs 20 matching charges to call a file a copy, and takes
the file whose charges reach furthest as the newest. Copies are taken only of folders that
never have a manifest, where a copy of a tiered part would read as a corrected re-export of
its sibling (the README says so); that keeps the two rules apart in the model.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from workbench import reads
from workbench.config import Config
from workbench.errors import WorkbenchError
from workbench.store import Store
from workbench.store_rebuild import rebuild

ACCOUNTS = {"a1": "USD", "b2": "EUR"}  # each account bills mostly in its own currency
PERIODS = {"2026-04": 30, "2026-05": 31}  # days
KEYS = [(a, p) for a in ACCOUNTS for p in PERIODS]
HEADER = ("BillingAccountId,ProviderName,ServiceProviderName,BillingPeriodStart,BillingPeriodEnd,"
          "ChargePeriodStart,ChargePeriodEnd,BillingCurrency,BilledCost,EffectiveCost,ListCost,"
          "ContractedCost,ChargeCategory,ServiceName,ResourceId,Tags")
BASE_ROWS = 24  # a part's first version; at most MAX_REMOVED of them are ever removed
MAX_REMOVED = 4
STEP = 10**9  # every write is one second after the one before (file times decide the newest)

cents = st.integers(-50_000, 500_000).map(lambda n: Decimal(n).scaleb(-4))  # 4 places, < 0 too


@dataclass(frozen=True)
class Row:
    charge: str  # ResourceId: what tells charges apart
    day: int
    currency: str
    billed: Decimal
    effective: Decimal


@dataclass
class Part:
    """One export part, as the provider keeps rewriting it (its lineage)."""

    account: str
    period: str
    rows: list[Row]
    path: Path | None = None  # its file in the export folder
    version: int = 0
    removed: int = 0
    tiered: bool = False  # bills the same charges as another part of its run


@dataclass
class Written:
    """A file on disk: which version of which part it holds."""

    part: int
    version: int
    rows: list[Row]
    mtime: int


@dataclass
class Folder:
    listed: set[str] | None = None  # what its manifest.json lists; None: no manifest
    manifest_mtime: int = 0
    copied: bool = False  # a copy was taken of a file of it: never a manifest then
    parts: int = 0  # part numbers used


@dataclass
class Model:
    parts: list[Part] = field(default_factory=list)
    files: dict[Path, Written] = field(default_factory=dict)
    folders: dict[Path, Folder] = field(default_factory=dict)
    # what the store holds: (account, period) -> the files whose rows count there, each
    # with the version it held when it was loaded
    store: dict[tuple[str, str], list[tuple[Path, Written]]] = field(default_factory=dict)


def _csv(part: Part) -> str:
    month = part.period + "-01T00:00:00Z"
    year, mon = map(int, part.period.split("-"))
    end = f"{year + mon // 12}-{mon % 12 + 1:02d}-01T00:00:00Z"
    lines = [HEADER]
    for r in part.rows:
        day = f"{part.period}-{r.day:02d}T00:00:00Z"
        after = end if r.day == PERIODS[part.period] else f"{part.period}-{r.day + 1:02d}T00:00:00Z"
        lines.append(f"{part.account},Cloud,Cloud,{month},{end},{day},{after},{r.currency},"
                     f"{r.billed},{r.effective},0,0,Usage,GPU,{r.charge},")
    return "\r\n".join(lines) + "\r\n"


def _totals(rows) -> dict:
    out: dict = {}
    for period, r in rows:
        key = (period + "-01T00:00:00Z", r.currency)
        n, b, e = out.get(key, (0, Decimal(0), Decimal(0)))
        out[key] = (n + 1, b + r.billed, e + r.effective)
    return out


class StoreSequences(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp())
        self.root = self.tmp / "exports"
        self.downloads = self.root / "downloads"
        self.store_path = self.tmp / "s.duckdb"
        self.config = Config(root=self.tmp)
        self.store = Store(self.store_path, self.config)
        self.m = Model()
        self.clock = 1_700_000_000 * 10**9

    def teardown(self):
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- files ---------------------------------------------------------------------------

    def _tick(self) -> int:
        self.clock += STEP
        return self.clock

    def _folder(self, account: str, period: str) -> Path:
        return self.root / account / f"BILLING_PERIOD={period}"

    def _write(self, path: Path, index: int) -> None:
        part = self.m.parts[index]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_csv(part), encoding="utf-8")
        t = self._tick()
        os.utime(path, ns=(t, t))
        self.m.files[path] = Written(index, part.version, list(part.rows), t)

    def _new_rows(self, data, index: int, count: int, currency: str, days: int,
                  anchor: bool, first: int = 0) -> list[Row]:
        rows = []
        for k in range(first, first + count):
            day = days if anchor and k == first else data.draw(st.integers(1, days - 1))
            cur = currency if data.draw(st.integers(0, 5)) else "JPY"
            rows.append(Row(f"p{index}-r{k}", day, cur, data.draw(cents), data.draw(cents)))
        return rows

    def _add_part(self, data, account: str, period: str, like: int | None) -> None:
        """A new part of (account, period): new charges, or (`like`) the charges of that part
        at other amounts (tiered pricing)."""
        index = len(self.m.parts)
        if like is None:
            rows = self._new_rows(data, index, BASE_ROWS, ACCOUNTS[account], PERIODS[period], True)
        else:
            rows = [Row(r.charge, r.day, r.currency, data.draw(cents), data.draw(cents))
                    for r in self.m.parts[like].rows]
        self.m.parts.append(Part(account, period, rows, tiered=like is not None))
        if like is not None:
            self.m.parts[like].tiered = True
        folder = self.m.folders.setdefault(self._folder(account, period), Folder())
        folder.parts += 1
        self.m.parts[index].path = self._folder(account, period) / f"part-{folder.parts}.csv"
        self._write(self.m.parts[index].path, index)

    def _write_manifest(self, folder: Path, names: set[str]) -> None:
        (folder / "manifest.json").write_text(json.dumps(
            {"blobs": [{"blobName": n} for n in sorted(names)]}), encoding="utf-8")
        t = self._tick()
        os.utime(folder / "manifest.json", ns=(t, t))
        self.m.folders[folder].listed = set(names)
        self.m.folders[folder].manifest_mtime = t

    # -- the model of one delivery --------------------------------------------------------

    def _discover(self, paths: list[Path]) -> list[Path]:
        out = set()
        for p in paths:
            out |= {f for f in self.m.files if f == p or p in f.parents}
        return sorted(out)

    def _counted(self, files: list[Path]) -> dict[tuple[str, str], list[Path]]:
        """The files whose rows a delivery of `files` loads, per (account, period)."""
        keep = []
        for f in files:
            folder = self.m.folders.get(f.parent)
            if folder is not None and folder.listed is not None and f.name not in folder.listed \
                    and self.m.files[f].mtime <= folder.manifest_mtime \
                    and any(g.parent == f.parent and g.name in folder.listed for g in files):
                event("a part an earlier run left behind")
                continue
            keep.append(f)
        # Identical files count once: the newest (no manifest beside a copy), whatever
        # order the command names them in.
        once: dict[tuple[int, int], Path] = {}
        for f in sorted(keep, key=lambda f: (self.m.files[f].mtime, f), reverse=True):
            once.setdefault((self.m.files[f].part, self.m.files[f].version), f)
        # Copies of one part count once: the newest, which is the file of the folder written
        # last, then the file written last (all end on the same day). A copy made later of
        # an older version is the newest so (as `cp` without -p gives it a new time).
        def where(f: Path) -> tuple:  # a folder's files of one account and period
            part = self.m.parts[self.m.files[f].part]
            return part.account, part.period, f.parent

        folder_age: dict[tuple, int] = {}
        for f in once.values():
            folder_age[where(f)] = max(folder_age.get(where(f), 0), self.m.files[f].mtime)
        newest: dict[int, Path] = {}
        for f in sorted(once.values(), key=lambda f: (folder_age[where(f)], self.m.files[f].mtime,
                                                      f), reverse=True):
            w = self.m.files[f]
            if w.part in newest:
                event("copies of one part in one delivery" + (
                    ", the newest an older version" if w.version > self.m.files[
                        newest[w.part]].version else ""))
            newest.setdefault(w.part, f)
        out: dict[tuple[str, str], list[Path]] = {}
        for f in sorted(newest.values()):
            part = self.m.parts[self.m.files[f].part]
            out.setdefault((part.account, part.period), []).append(f)
        for key, counted in out.items():
            tiered = any(self.m.parts[self.m.files[f].part].tiered for f in counted)
            if len(counted) > 1:
                event("parts of one period" + (", tiered" if tiered else ""))
            if len(counted) < len(self.m.store.get(key, [])):
                event("fewer parts replace a period")
            if self.m.store.get(key) and [w.rows for _, w in self.m.store[key]] != [
                    self.m.files[f].rows for f in counted]:
                event("a period's figures change")
        return out

    def _ingest(self, paths: list[Path]) -> None:
        files = self._discover(paths)
        self.store.ingest([str(p) for p in paths])
        for key, counted in self._counted(files).items():
            self.m.store[key] = [(f, self.m.files[f]) for f in counted]
        self._check()

    # -- what users do --------------------------------------------------------------------

    @initialize(data=st.data())
    def exports(self, data):
        """The provider's exports of three periods of the two accounts, one part each."""
        for account, period in data.draw(st.permutations(KEYS))[:3]:
            self._add_part(data, account, period, None)

    @precondition(lambda self: len(self.m.folders) < len(KEYS))
    @rule(data=st.data())
    def new_export(self, data):
        """The export of a period not there yet."""
        account, period = data.draw(st.sampled_from(
            [k for k in KEYS if self._folder(*k) not in self.m.folders]))
        self._add_part(data, account, period, None)

    @rule()
    def ingest_all(self):
        self._ingest([self.root])

    @rule(data=st.data())
    def ingest_one_period(self, data):
        folder = data.draw(st.sampled_from(sorted(self.m.folders)))
        self._ingest([folder])

    @rule(data=st.data(), twice=st.sampled_from(["file", "file and folder"]))
    def ingest_one_file_twice_in_one_command(self, data, twice):
        f = data.draw(st.sampled_from(sorted(self.m.files)))
        self._ingest([f, f] if twice == "file" else [f, f.parent])

    @rule(data=st.data())
    def correct(self, data):
        """The provider re-exports a part with amounts changed, rows added and removed."""
        index = data.draw(st.integers(0, len(self.m.parts) - 1))
        part = self.m.parts[index]
        rows = [Row(r.charge, r.day, r.currency, data.draw(cents), r.effective)
                if data.draw(st.booleans()) else r for r in part.rows]
        removable = [i for i, r in enumerate(rows) if r.day != PERIODS[part.period]]
        drop = data.draw(st.lists(st.sampled_from(removable), max_size=min(
            2, MAX_REMOVED - part.removed), unique=True)) if not part.tiered else []
        rows = [r for i, r in enumerate(rows) if i not in drop]
        part.removed += len(drop)
        if not part.tiered:
            first = 1 + max(int(r.charge.rsplit("r", 1)[1]) for r in part.rows)
            rows += self._new_rows(data, index, data.draw(st.integers(0, 2)),
                                   ACCOUNTS[part.account], PERIODS[part.period], False, first)
        part.rows, part.version = rows, part.version + 1
        self._write(part.path, index)  # its copies keep the older version
        folder = self.m.folders[part.path.parent]
        if folder.listed is not None:  # the run that wrote it lists it
            self._write_manifest(part.path.parent, folder.listed | {part.path.name})

    @rule(data=st.data(), manifest=st.booleans(), tiered=st.booleans())
    def add_part(self, data, manifest, tiered):
        """Another part of a period: with the run's manifest listing every part (then it may
        bill the same charges at other amounts), or without one (other charges)."""
        path = data.draw(st.sampled_from(sorted(self.m.folders)))
        folder = self.m.folders[path]
        if manifest and folder.copied:
            return
        part = self.m.files[min(f for f in self.m.files if f.parent == path)].part
        account, period = self.m.parts[part].account, self.m.parts[part].period
        self._add_part(data, account, period, part if manifest and tiered else None)
        if manifest:
            names = {f.name for f in self.m.files if f.parent == path}
            if folder.listed is not None:  # files a run left behind stay unlisted
                names = folder.listed | {f"part-{folder.parts}.csv"}
            self._write_manifest(path, names)

    @precondition(lambda self: any(f.listed and len(f.listed) > 1 for f in self.m.folders.values()))
    @rule(data=st.data())
    def rerun_with_fewer_parts(self, data):
        """The export's next run writes one part fewer: its manifest leaves the last out, and
        the file of that part stays in the folder."""
        path = data.draw(st.sampled_from(sorted(
            p for p, f in self.m.folders.items() if f.listed and len(f.listed) > 1)))
        listed = sorted(self.m.folders[path].listed, key=lambda n: int(n[5:-4]))
        for name in listed[:-1]:  # rewritten by the run
            self._write(path / name, self.m.files[path / name].part)
        self._write_manifest(path, set(listed[:-1]))

    @precondition(lambda self: any(not self.m.parts[w.part].tiered and
                                   self.m.folders[f.parent].listed is None
                                   for f, w in self.m.files.items() if f.parent in self.m.folders))
    @rule(data=st.data(), beside=st.booleans())
    def copy(self, data, beside):
        """A second download of a file: `part-1 (1).csv` beside it, or into downloads/."""
        f = data.draw(st.sampled_from(sorted(
            f for f, w in self.m.files.items() if f.parent in self.m.folders
            and not self.m.parts[w.part].tiered and self.m.folders[f.parent].listed is None)))
        n = sum(1 for g in self.m.files if g.stem.startswith(f.stem)) if beside else 0
        target = (f.with_name(f"{f.stem} ({n}).csv") if beside else
                  self.downloads / f"{f.parent.parent.name}-{f.parent.name[-7:]}-{f.name}")
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)
        t = self._tick()
        os.utime(target, ns=(t, t))
        w = self.m.files[f]
        self.m.files[target] = Written(w.part, w.version, w.rows, t)
        self.m.folders[f.parent].copied = True

    @precondition(lambda self: self.m.store)
    @rule()
    def rebuild(self):
        """`workbench ingest --rebuild`: the same figures, or nothing changed when a file it
        needs changed since it was loaded."""
        unchanged = all(self.m.files[f].rows == w.rows for held in self.m.store.values() for f, w in held)
        self.store.close()
        try:
            rebuild(self.store_path, self.config)
        except WorkbenchError as exc:
            event("a rebuild refused: a file changed")
            assert not unchanged, str(exc)
            assert "changed since it was loaded" in str(exc)
        finally:
            self.store = Store(self.store_path, self.config)
        self._check(shown=True)

    # -- the figures ------------------------------------------------------------------------

    def _check(self, shown: bool = False):
        """The store's sums per billing period and currency, to the cent, against the
        model's (only ingest and rebuild change the store); `shown`: as `ingest --json` and
        the report show them too (Store.totals: 0.3 s a call, so not after every step)."""
        want = _totals((period, r) for (_, period), held in self.m.store.items()
                       for _, w in held for r in w.rows)
        got = {(f"{start:%Y-%m-%dT%H:%M:%SZ}", cur): (n, b, e) for start, cur, n, b, e in
               self.store.con.execute(
                   "SELECT BillingPeriodStart, BillingCurrency, count(*), sum(BilledCost), "
                   "sum(EffectiveCost) FROM charges GROUP BY ALL").fetchall()}
        assert got == want
        if shown:
            assert {(r.billing_period_start, r.currency): (r.rows, r.billed_cost, r.effective_cost)
                    for r in self.store.totals(exact=True).itertuples(index=False)} == want


# Derandomized: a run checks the same sequences each time, so that it fails on the code and
# never on the draw.
StoreSequences.TestCase.settings = settings(
    max_examples=12, stateful_step_count=12, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_store_follows_the_readme_rules = StoreSequences.TestCase


class TrustedReads(StoreSequences):
    """The same sequences with every file's earlier read trusted at once (no 2 s margin):
    unchanged files are then not read again but taken over from the store (reads.py)."""

    def __init__(self):
        super().__init__()
        self.racy, reads.RACY_NS = reads.RACY_NS, 0

    def teardown(self):
        reads.RACY_NS = self.racy
        super().teardown()


TrustedReads.TestCase.settings = StoreSequences.TestCase.settings
test_store_follows_the_readme_rules_without_reading_unchanged_files = TrustedReads.TestCase

