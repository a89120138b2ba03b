"""Several exports of the same billing period in one delivery: keep the newest, once.

Providers deliver a billing period again and again: Azure writes each scheduled run of a
month-to-date export to a new run folder, AWS Data Exports can keep every refresh, and a
hand download gets `export (1).csv` beside `export.csv`. Loaded together, those copies
would count the period several times. Parts of one large export (one period split over
several files, or paged by project) must all be loaded, though. Both look alike by name
and by partition (invoice issuer, BillingAccountId, BillingPeriodStart); what tells them apart
is the charges: parts hold different charges, a copy repeats the charges of a newer one.

The rule, per partition held by more than one file of a delivery:
- a charge is known by what, when, where and for whom it was charged: all its FOCUS
  columns but its amounts (costs, unit prices, quantities, which a later run may restate),
  how it was paid (PricingCategory and the commitment discount columns, which a refresh
  restates once a Savings Plan or reservation is applied) and InvoiceId (which a run after
  the invoice adds to every row), among the columns the older FOCUS version of the two
  files compared has (a re-export in a later version fills columns the earlier one lacks).
  Two files of one version are compared on all of them, whatever a third file of the
  partition lacks: parts of a 1.3 export split by AllocatedResourceId stay parts beside a
  1.0 export of the month, or beside a part written without the columns it does not fill.
  Not among the columns every file fills either: a part whose rows all lack a column (a
  part of tax rows, without resource or tags) would then make the other parts, told apart
  by it, copies. Rows of two parts that differ in tags (one node's cost split by namespace,
  one API key's usage split by project) are different charges;
- files are taken newest first: the newest folder first (the folder whose charges reach
  furthest: latest ChargePeriodStart, then latest ChargePeriodEnd; then the run submitted
  last, when the folder holds the manifest.json Azure writes beside each run's files;
  then the most recently modified), and in a folder the newest file first, by the same
  order, then the greatest path;
- charges are counted with their repeats (tiered pricing bills one charge as several rows
  that differ only in amounts): a file's charge held k times is matched by at most k rows
  of the files already taken;
- a file at least half of whose charges are in files already taken, beyond what chance
  explains, is an older copy: its rows of the partition are not loaded, with a warning.
  So is a file at least half of whose rows are there amounts and all (a copy left
  unchanged), beyond chance likewise. Any other file is taken. Chance is the share of
  their charges (rows) that the files already taken, all parts of one another, hold in
  common, or the share of rows that repeat a charge within those files or within the file
  itself, whichever is greater: where the store's columns do not tell every charge apart
  (rows that differ only in amounts or in x_ columns), a part of a large export matches
  many charges of the other parts, and only a file that matches clearly more is a copy;
- a handful of matching charges is not evidence enough: a small account's rows in a part
  of a large export may look like another part's rows but for their amounts. Below
  MIN_EVIDENCE matching charges only rows equal in every amount make a copy (one that
  would be a copy but for this, held by a file whose charges start later, as an earlier
  month-to-date run of a small account is, is loaded with a warning: sort_out);
- before that, runs of one export say so themselves: when the manifest.json beside the
  files names the export (Azure writes one per run: export name, scope, dataset type, run
  id), only the run submitted last is taken for the partition, whatever its charges. A later
  run may retag most rows (tag inheritance) or apply a reservation to them, so that its
  charges no longer match, and would otherwise count as another part. Files of one run are
  its parts and never copies of one another: so are two files (under two names) that one
  manifest lists, Azure's blobs or AWS's dataFiles, whether or not it names the export
  (tiered pricing split over parts bills one charge in two files at other amounts, which
  would otherwise read as a corrected re-export). A file beside a manifest that lists the
  run's files (Azure's "blobs", or the dataFiles of the AWS Data Exports manifest of its
  folder: manifests.py), some of them there but not this one, is a part an earlier run
  left behind (a run that overwrites the folder with fewer parts leaves the rest): where
  files of the last run in its folder hold the partition, it is not taken; where none do
  (an account the last run no longer bills, in one part or several), manifests.judge
  decides on each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workbench import manifests
from workbench.focus_columns import INTRODUCED
from workbench.schema import MONEY, QUANTITY

# A run after the invoice fills InvoiceId on every row; a later run restates amounts, and
# how a charge was paid: a refresh after a Savings Plan or reservation was applied moves
# usage from on-demand to committed (AWS refreshes the month's rows so).
NOT_IDENTITY = ("InvoiceId", "PricingCategory", "CommitmentDiscountId", "CommitmentDiscountName",
                "CommitmentDiscountType", "CommitmentDiscountCategory",
                "CommitmentDiscountStatus", "CommitmentDiscountUnit")
COPY_SHARE = 0.5  # share of a file's charges found in newer files that makes it a copy
MIN_EVIDENCE = 20  # fewer matching charges than this must also match in their amounts


@dataclass(frozen=True)
class Run:
    """The export run that wrote a file, as its manifest.json says."""

    export: tuple[str, ...]  # export name, scope, dataset type: the same for every run; () unnamed
    run_id: str
    submitted: datetime | None


@dataclass(frozen=True)
class FileSide:
    """One file's rows of one partition."""

    path: str
    charges: int  # rows: charges counted with their repeats
    last_end: datetime | None  # latest ChargePeriodEnd
    mtime_ns: int
    submitted: datetime | None = None  # when its export run was submitted (run_of)
    run: Run | None = None  # the run, when its manifest names the export
    distinct: int | None = None  # distinct charges (None: as many as rows)
    last_start: datetime | None = None  # latest ChargePeriodStart
    unlisted: bool = False  # beside a run's manifest that lists other files, not this one
    listed_by: frozenset[str] = frozenset()  # the manifests of its folder that list it

    @property
    def repeats(self) -> int:
        """Rows that repeat a charge of another row of the file (tiered pricing, or rows
        the store's columns do not tell apart)."""
        return 0 if self.distinct is None else self.charges - self.distinct


def side_of(path: str, charges: int, last_end: datetime | None, mtime_ns: int,
            distinct: int | None = None, last_start: datetime | None = None) -> FileSide:
    """A file's side of a partition, with what its run's manifest says."""
    run = run_of(path)
    # Not among the files its run's manifest lists, while others are: a part an earlier run
    # wrote that the last run did not overwrite (it wrote fewer parts); manifests.py.
    return FileSide(path, charges, last_end, mtime_ns, run.submitted if run else None,
                    run if run is not None and run.export else None, distinct, last_start,
                    manifests.unlisted(path) is not None, manifests.listed_by(path))


@dataclass(frozen=True)
class Superseded:
    """Why a file's rows of a partition are not loaded."""

    newer: list[str]  # the files that replace it, most shared first
    shared: int | None  # how many of its charges they hold; None: an older run of the export
    charges: int
    unlisted: bool = False  # left beside a later run's files, which its manifest lists


def superseded(files: Sequence[FileSide], shared: Mapping[tuple[str, str], int],
               exact: Mapping[tuple[str, str], int] | None = None) -> dict[str, Superseded]:
    """Files of one partition that are older copies of others.

    `shared[(a, b)]` (a < b) counts the charges files a and b both hold (a charge held m
    times by a and n times by b counts min(m, n)); `exact[(a, b)]` counts the rows they
    both hold equal in every amount too (None: as `shared`). Returns {path: Superseded}
    for each file whose rows of the partition are not to be loaded.
    """
    return sort_out(files, shared, exact)[0]


def sort_out(files: Sequence[FileSide], shared: Mapping[tuple[str, str], int],
             exact: Mapping[tuple[str, str], int] | None = None
             ) -> tuple[dict[str, Superseded], dict[str, Superseded]]:
    """(superseded files, files too few charges to tell): the second are files kept that
    look like an earlier month-to-date run but for MIN_EVIDENCE: at least half their
    charges are in files whose charges start later, at other amounts, but fewer than
    MIN_EVIDENCE (a small account's few rows a day). Parts of a paged export look so too
    when the amounts differ; both are counted, and the caller says so."""
    exact = shared if exact is None else exact
    out = {f.path: Superseded(newer, None, f.charges, unlisted=True)
           for f in files if f.unlisted and (newer := _listed_beside(f, files))}
    # Left behind where no file of the last run holds the partition: no copy of anything
    # here, but the rows of an account the run no longer bills, one part or several;
    # manifests.judge decides on each, as on a lone part, and the store withdraws what an
    # earlier ingest loaded from them.
    files = [f for f in files if not f.unlisted]
    out.update(_older_runs(files))
    files = [f for f in files if f.path not in out]
    folder_age: dict[str, tuple] = {}
    for f in files:
        folder = str(Path(f.path).parent)
        folder_age[folder] = max(folder_age.get(folder, _age(f)), _age(f))
    order = sorted(files, key=lambda f: (folder_age[str(Path(f.path).parent)], _age(f)),
                   reverse=True)
    taken: list[FileSide] = []
    doubts: dict[str, Superseded] = {}
    # What the taken files, parts of one another, hold in common (each side counted), by
    # charge and by whole row, and the charges they repeat within themselves: the matches
    # that chance alone gives a part.
    common, common_rows, repeats, rows = 0, 0, 0, 0
    for f in order:
        # Files of one run are its parts, whatever they share (rows may differ only in the
        # custom x_ columns the store does not keep; tiers of one charge split over parts
        # differ only in amounts).
        pairs = {k.path: (min(f.path, k.path), max(f.path, k.path)) for k in taken
                 if not _same_run(f, k)}
        seen = {k: shared.get(pair, 0) for k, pair in pairs.items()}
        seen = {k: n for k, n in seen.items() if n}
        same_rows = sum(exact.get(pair, 0) for pair in pairs.values())
        # Files taken are parts of one another (they share less than half), so their counts
        # add up to nearly the union; capped at what the file holds.
        n, same = min(f.charges, sum(seen.values())), min(f.charges, same_rows)
        half = COPY_SHARE * f.charges
        chance = max(common / max(rows, 1), repeats / max(rows, 1), f.repeats / f.charges
                     if f.charges else 0.0)
        by_charge = n >= MIN_EVIDENCE and n - chance * f.charges >= half
        by_row = same - common_rows / max(rows, 1) * f.charges >= half
        newer = sorted(seen, key=lambda k: (-seen[k], k))
        if f.charges and (by_charge or by_row):
            out[f.path] = Superseded(newer, n, f.charges)
        else:
            reach = [k.last_start for k in taken if k.path in seen and k.last_start]
            if f.charges and n and n - chance * f.charges >= half and f.last_start and reach \
                    and max(reach) > f.last_start:
                doubts[f.path] = Superseded(newer, n, f.charges)
            taken.append(f)
            common += 2 * sum(seen.values())
            common_rows += 2 * same_rows
            repeats += f.repeats
            rows += f.charges
    return out, doubts


def _listed_beside(f: FileSide, files: Sequence[FileSide]) -> list[str]:
    """The files of `f`'s folder, not left behind, that hold its partition: the last run's
    rows of it, which a part left behind would count twice."""
    return sorted(k.path for k in files if not k.unlisted
                  and Path(k.path).parent == Path(f.path).parent)


def _older_runs(files: Sequence[FileSide]) -> dict[str, Superseded]:
    """Files written by a run of an export that a later run of the same export replaces."""
    latest: dict[tuple, FileSide] = {}
    for f in files:
        if f.run is not None:
            best = latest.get(f.run.export)
            if best is None or _run_age(f) > _run_age(best):
                latest[f.run.export] = f
    out = {}
    for f in files:
        if f.run is not None and f.run != latest[f.run.export].run:
            last = latest[f.run.export].run
            newer = sorted(k.path for k in files if k.run == last)
            out[f.path] = Superseded(newer, None, f.charges)
    return out


def _same_run(a: FileSide, b: FileSide) -> bool:
    """Whether a and b are files of one run: its manifest names the export and the run, or
    one manifest lists them both (manifests.one_run)."""
    return (a.run is not None and b.run is not None and a.run == b.run) or \
        manifests.one_run(a.path, b.path, a.listed_by, b.listed_by)


def _run_age(f: FileSide) -> tuple:
    return (f.run.submitted or datetime.min, _age(f))


def _age(f: FileSide) -> tuple:
    # Runs of a closed month end on the same day: the run's own record beats file times,
    # which a copy or a sync rewrites.
    # A month-to-date run holds the month-long rows (tax, credits, purchases) that end
    # with the month, as the final run does: the charges that start latest tell them apart.
    return (f.last_start or datetime.min, f.last_end or datetime.min,
            f.submitted or datetime.min, f.mtime_ns, f.path)


def twin_age(path: str, mtime_ns: int) -> tuple:
    """Where a file stands among files of the same bytes (the same charges, reaching as far)
    in the order sort_out takes files, the newest greatest: a part an earlier run left behind
    first set aside, then as _age orders them (the run submitted last, the file modified
    last, the greater path). Of identical files a delivery loads one: the one these rules,
    weighing its folder and time, would keep of them."""
    run = run_of(path)
    return (manifests.unlisted(path) is None, (run.submitted if run else None) or datetime.min,
            mtime_ns, path)


def run_of(path: str | Path) -> Run | None:
    """The export run that wrote `path`, from the manifest.json Azure writes beside each
    run's files (export name, scope and type; run id; submittedTime as naive UTC); None
    without a readable one."""
    text = manifests.read_json(Path(path).parent / "manifest.json")
    try:
        info = text["runInfo"]
        config = text.get("exportConfig") or {}
    except (KeyError, TypeError, AttributeError):
        return None
    if not isinstance(info, dict) or not isinstance(config, dict):
        return None
    submitted = _utc(info.get("submittedTime"))
    name = config.get("exportName")
    if not name:  # no export named: the run can only order files (by when it was submitted)
        return Run((), "", submitted)
    export = (str(name), str(config.get("resourceId") or ""), str(config.get("type") or ""))
    return Run(export, str(info.get("runId") or Path(path).parent), submitted)


def _utc(stamp) -> datetime | None:
    if not isinstance(stamp, str):
        return None
    # Azure writes 7 fractional digits ("...18:33:03.1032074Z"); Python reads at most 6.
    stamp = re.sub(r"(\.\d{6})\d+", r"\1", stamp.strip()).replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


# Columns that hold tags are compared by the tags they hold, not by how they are written.
TAG_KEYS = {"Tags": "wb_tag_set", "AllocatedTags": "wb_alloc_tag_set"}


def identity_columns(columns: Mapping[str, str]) -> tuple[str, ...]:
    """The columns of the store's FOCUS `columns` (name -> type) a charge is known by."""
    return tuple(c for c, t in columns.items() if c not in NOT_IDENTITY and t not in (MONEY, QUANTITY))


def identity_sql(columns: Mapping[str, str], row: str = "c") -> str:
    """SQL hash of a charge's identity over the store's FOCUS `columns` (name -> type) of
    the charges row aliased `row`."""
    return "hash(" + ", ".join(column_sql(c, row) for c in identity_columns(columns)) + ")"


VERSIONS = ("1.0", *INTRODUCED)  # FOCUS versions, oldest first


def version_columns(ids: Sequence[str], level: int) -> frozenset[str]:
    """The columns of `ids` that FOCUS version VERSIONS[level] has."""
    later = {c for v in VERSIONS[level + 1:] for c in INTRODUCED[v]}
    return frozenset(c for c in ids if c not in later)


def version_level_sql(row: str = "c") -> str:
    """SQL: the index in VERSIONS of the FOCUS version of charges row `row`; one not known
    as the newest, whose columns are all of them."""
    names = ", ".join(f"'{v}'" for v in VERSIONS)
    return f"coalesce(list_position([{names}], {row}.wb_focus_version), {len(VERSIONS)}) - 1"


def identity_by_version(ids: Sequence[str], level: str, row: str = "c") -> str:
    """SQL: a charge of `row` known by the columns of `ids` that the FOCUS version of index
    `level` (an SQL expression) has."""
    sets = [version_columns(ids, k) for k in range(len(VERSIONS))]
    return identity_by_sets(ids, sets, level, row)


def filled_sql(ids: Sequence[str], row: str = "c") -> str:
    """SQL flags, one per column of `ids`: whether any row of the group fills it."""
    return ", ".join(f'count({row}."{c}") > 0' for c in ids)


def filled_columns(ids: Sequence[str], flags: Sequence[bool]) -> frozenset[str]:
    """The columns of `ids` whose filled_sql flag is set."""
    return frozenset(c for c, filled in zip(ids, flags, strict=True) if filled)


def identity_by_sets(ids: Sequence[str], sets: Sequence[frozenset[str]], number: str,
                     row: str = "c") -> str:
    """SQL: a charge of `row` known by the columns of `ids` in column set `number` (an SQL
    expression indexing `sets`): the columns the sides compared have in common (an export of
    an older FOCUS version lacks the columns a later one adds: NULL in its rows)."""
    def one(cols: frozenset[str]) -> str:
        names = [column_sql(c, row) for c in ids if c in cols]
        return f"hash({', '.join(names)})" if names else "NULL"  # NULL: equal to none
    return f"CASE {number} " + " ".join(f"WHEN {k} THEN {one(cols)}"
                                        for k, cols in enumerate(sets)) + " END"


def column_sql(column: str, row: str) -> str:
    """SQL of one identity column of charges row `row`; tags are read from the joins
    tag_joins(row) adds."""
    return f"{row}_{column}.wb_tags_key" if column in TAG_KEYS else f'{row}."{column}"'


def tag_joins(row: str) -> str:
    """The joins an identity of charges row `row` needs (after `FROM charges {row}`).

    Tags are compared as the tags they hold: a re-export in another format writes them
    another way (`{"team": "ml"}`, a Parquet MAP, a list of key/value pairs; no tags as an
    empty cell or `{}`), and the charge is the same. Their parsed, case-folded map in
    tag_sets is taken in key order; a text that is not tags is compared as written. (A join,
    not a subquery per row: about as fast as comparing the texts.)
    """
    keys = ("(SELECT wb_tag_set, CASE WHEN NOT wb_tags_ok THEN hash(Tags) "
            "WHEN cardinality(wb_tags) > 0 THEN hash(list_sort(map_entries(wb_tags))) END "
            "AS wb_tags_key FROM tag_sets)")
    return " ".join(f"LEFT JOIN {keys} {row}_{column} ON {row}_{column}.wb_tag_set = {row}.{key}"
                    for column, key in TAG_KEYS.items())


def amounts_sql(columns: Mapping[str, str]) -> str:
    """SQL hash of a row's amounts (costs, unit prices, quantities) over `columns`."""
    return "hash(" + ", ".join(f'"{c}"' for c, t in columns.items() if t in (MONEY, QUANTITY)) + ")"
