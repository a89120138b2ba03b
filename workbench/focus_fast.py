"""The fast path of ingest: a clean FOCUS file goes straight into the store's charge table.

The precise reader (focus.scan_file) reads every value as text, converts it, numbers the
rows and keeps them in file order so that each problem is located as FILE:ROW: COLUMN.
A clean export, the common case, needs none of that. Here DuckDB reads the file with the
store types declared up front and the rows go unordered into the target table in one
statement:

- CSV: a typed `read_csv` (quantities DOUBLE) with the precise reader's dialect; a row
  with a value that does not convert is recorded in a rejects table instead of failing
  the statement. Times and amounts are read as text and converted here, as the precise
  reader converts them, so that their text can be checked too (an offset no time zone has,
  digits beyond the 10th decimal place): a time that does not read becomes the year 1 and
  an amount that does not read marks its row (_marker), for the checks to find;
- Parquet: `read_parquet` with the precise reader's conversions as plain casts, so a value
  that does not convert fails the statement.

Cheap aggregates over the inserted rows (and over the file's distinct Tags values) then
look for every condition the precise reader reports as an error or a warning. When an
error is found, or the statement failed, the caller removes the rows and runs the precise
reader, which gives the located messages. Warnings are located here instead: only the
columns their checks read are read again, numbered (_locate_warnings). Both paths
therefore load the same values and report the same problems; only clean files skip the
row numbering (wb_source_row is NULL once the checks have read its marker).

`validate` (scan_clean) runs the same checks on the typed read itself, streamed, and keeps
no row, only sums (among them those of commitments.counted_twice): the file is read once,
whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal, localcontext
from pathlib import Path

import duckdb

from workbench import commitments
from workbench.focus import Header, drop_dos_eof, read_header, run_checks
from workbench.focus_checks import ERROR, WARNING, Check, build_checks, rounded_column
from workbench.focus_columns import PROVIDER_COLUMNS
from workbench.focus_report import FileReport, Stop
from workbench.focus_sql import (
    can_round,
    count_true,
    csv_source,
    derived_expr,
    fast_time_expr,
    ident,
    literal,
    parquet_source,
    parsed_tag_sets,
    renamed_values_expr,
    rounded_expr,
    rounded_text,
    tag_set_expr,
    typed_expr,
)
from workbench.schema import (
    CANONICAL_COLUMNS,
    EXACT_DIGITS,
    FOCUS_COLUMNS,
    MONEY,
    QUANTITY,
    TEXT,
    TIME,
)

PARTITION_KEY = ("wb_issuer", "BillingAccountId", "BillingPeriodStart")


@dataclass
class FastPlan:
    """How to read one file on the fast path."""

    path: Path
    header: Header
    select: str  # SELECT of the canonical columns (wb_delivery_id last) FROM the file
    rejects: str | None  # CSV: the table of rows the reader refused
    columns: list[str] = field(default_factory=list)  # the SELECT's columns, in order
    source: str = ""  # the FROM of `select`: the typed read of the file
    exprs: dict[str, str] = field(default_factory=dict)  # column -> its expression over source


@dataclass
class FastResult:
    report: FileReport  # as the precise reader would give it for this clean file
    partitions: list[tuple]  # (wb_issuer, BillingAccountId, BillingPeriodStart, rows)
    marked: int = 0  # rows whose wb_source_row holds ROUNDED: the loader sets it back to NULL


def plan(con, path: Path, columns: list[str], delivery: int | None,
         rejects: str) -> FastPlan | None:
    """The fast read of `path` into `columns` (canonical names), or None when its header
    has anything to say beyond warnings (the precise path reports it)."""
    path = Path(path)
    try:
        header, _ = read_header(con, path, rejects)
    except Stop:
        return None
    if header.errors or header.other_dataset:
        return None
    mapping, types = header.mapping, dict(header.columns)
    if header.kind == "parquet":
        src = parquet_source(str(path))
        rejects_table = None
    else:
        # Times and amounts are read as text and converted here, where their text can be
        # checked: an offset no zone has, digits beyond the 10th decimal place.
        wanted = {mapping[c]: TEXT if t in (TIME, MONEY) else t
                  for c, t in FOCUS_COLUMNS.items() if c in mapping}
        types = {n: wanted.get(n, TEXT) for n, _ in header.columns}
        src = csv_source(str(path), types, header.kind == "gzip", rejects)
        rejects_table = rejects
    exprs = {}
    unread, rounded = [], []  # SQL conditions of the row marker (_marker)
    for column, store_type in FOCUS_COLUMNS.items():
        name = mapping.get(column)
        if name is None:
            exprs[column] = derived_expr(column, mapping) or f"CAST(NULL AS {store_type})"
        elif header.kind == "parquet":
            exprs[column] = renamed_values_expr(
                column, typed_expr(column, name, types[name], strict=True)[0])
        elif store_type == TIME:
            exprs[column] = fast_time_expr(ident(name))
        elif store_type == MONEY:
            exprs[column] = f"TRY_CAST({ident(name)} AS {MONEY})"
            unread.append(f"({ident(name)} IS NOT NULL AND {exprs[column]} IS NULL "
                          f"AND trim({ident(name)}) <> '')")
        else:
            exprs[column] = renamed_values_expr(column, ident(name))
        if name is not None and store_type == MONEY:
            text = ident(name) if header.kind != "parquet" else f"CAST({ident(name)} AS VARCHAR)"
            exprs[rounded_column(column)] = rounded_text(exprs[column], text, types[name])
            if can_round(types[name]):
                rounded.append(rounded_expr(text))
    provider = ", ".join(exprs[c] for c in PROVIDER_COLUMNS if c in mapping)
    exprs.update({
        "wb_provider": f"coalesce({provider})",
        "wb_issuer": f"coalesce({exprs['InvoiceIssuerName']}, {provider})",
        "wb_tag_set": tag_set_expr(exprs["Tags"]),
        "wb_alloc_tag_set": tag_set_expr(exprs["AllocatedTags"]),
        "wb_focus_version": literal(header.version),
        "wb_source_file": literal(str(path)),
        "wb_source_row": _marker(unread, rounded),
        "wb_delivery_id": f"CAST({int(delivery)} AS BIGINT)" if delivery is not None
        else "CAST(NULL AS BIGINT)",
    })
    missing = [c for c in columns if c not in exprs]
    if missing:
        raise ValueError(f"no fast-path expression for {missing}")
    select = "SELECT " + ", ".join(f"{exprs[c]} AS {ident(c)}" for c in columns) + f" FROM {src}"
    return FastPlan(path, header, select, rejects_table, list(columns), src, exprs)


# wb_source_row of a fast read, before the check: NULL, or one of these. An amount that does
# not read is not a value a check can see; one rounded to 10 places reads like any other.
UNREAD, ROUNDED = -2, -1


def _marker(unread: list[str], rounded: list[str]) -> str:
    """SQL of a fast-read row's wb_source_row: UNREAD, ROUNDED or NULL (the rounding test
    runs only on rows whose amounts all read, and is cheap unless a text is long)."""
    cases = [f"WHEN {' OR '.join(c)} THEN {m}" for c, m in ((unread, UNREAD), (rounded, ROUNDED))
             if c]
    return f"CAST(CASE {' '.join(cases)} END AS BIGINT)" if cases else "CAST(NULL AS BIGINT)"


def refused_rows(con, p: FastPlan) -> int:
    """Rows the CSV reader recorded as unreadable (0 for Parquet)."""
    if p.rejects is None:
        return 0
    drop_dos_eof(con, p.rejects, p.path, p.header.kind)
    return con.execute(f"SELECT count(DISTINCT line) FROM {ident(p.rejects)}").fetchone()[0]


def drop_rejects(con, p: FastPlan) -> None:
    if p.rejects is not None:
        for name in (p.rejects, p.rejects + "_scan"):
            con.execute(f"DROP TABLE IF EXISTS {ident(name)}")


def check(con, p: FastPlan, rows_sql: str, tag_sets_sql: str | None) -> FastResult | None:
    """Look for any problem in the file's rows; a FastResult when there is none, else None.

    `rows_sql` selects the file's rows as loaded (canonical columns), and `tag_sets_sql` the
    file's distinct Tags values with their parsed map (columns Tags, wb_tags). Without
    `tag_sets_sql`, `rows_sql` reads the file itself: the rows are then streamed once and
    the distinct Tags values collected on the way (validate, which keeps no row).
    """
    present = {c: FOCUS_COLUMNS[c] for c in FOCUS_COLUMNS if c in p.header.mapping}
    checks = build_checks(present, {})
    # Errors, and non-finite quantities (the precise reader shows their text), go the
    # precise way; warnings are located here (_locate_warnings).
    fatal = [c.condition for c in checks if c.level == ERROR]
    fatal += [f"NOT isfinite({ident(c)})" for c, t in present.items() if t == QUANTITY]
    # The typed CSV read takes '10/1/25' for the year 10 (see focus_sql._time): only the
    # precise reader, which reads the text, can say so; so can it of years no date holds.
    fatal += [f"NOT year({ident(c)}) BETWEEN 1000 AND 9999" for c, t in present.items()
              if t == TIME]
    fatal.append(f"wb_source_row = {UNREAD}")  # an amount that does not read (_marker)
    on_rows = [c for c in checks if c.level == WARNING and c.column != "Tags" and not c.text]
    on_tags = [c for c in checks if c.level == WARNING and c.column == "Tags"]
    on_text = [c for c in checks if c.text]  # found by the marker, located by a re-read
    by = ", ".join(ident(c) for c in (*PARTITION_KEY, "BillingCurrency"))
    sums = [("count(*)", "sum"), (" + ".join(count_true(c) for c in fatal) or "0", "sum"),
            ('min("ChargePeriodStart")', "min"), ('max("ChargePeriodEnd")', "max"),
            ('sum("BilledCost")', "sum"), ('sum("EffectiveCost")', "sum"),
            *((count_true(c.condition), "sum") for c in on_rows),
            (count_true(f"wb_source_row = {ROUNDED}"), "sum")]
    streamed = tag_sets_sql is None
    if streamed:
        # Grouped by Tags text too, so that one pass also gives the distinct Tags; every
        # column counted, so that the reader converts (or refuses) each value as a load
        # does instead of skipping the columns no check reads.
        every = " + ".join(f"CAST({ident(c)} IS NULL AS INTEGER)" for c in p.columns)
        # and by commitment, on the rows of one (few), for commitments.counted_twice
        kind = f"({commitments.KIND})"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {FAST_GROUPS} AS SELECT {by}, \"Tags\", "
                    f"{kind} AS wb_bought, CASE WHEN {kind} IS NOT NULL THEN "
                    "\"CommitmentDiscountId\" END AS wb_commitment, "
                    + ", ".join(f"{expr} AS a{i}" for i, (expr, _) in enumerate(sums))
                    + f", sum({every}) AS empty FROM ({rows_sql}) GROUP BY ALL")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {FAST_TAG_SETS} AS " + parsed_tag_sets(
            f"SELECT DISTINCT {tag_set_expr(ident('Tags'))} AS wb_tag_set, \"Tags\" "
            f'FROM {FAST_GROUPS} WHERE "Tags" IS NOT NULL'))
        tag_sets_sql = f"SELECT * FROM {FAST_TAG_SETS}"
        totals = ", ".join(f"{agg}(a{i})" for i, (_, agg) in enumerate(sums))
        groups = con.execute(f"SELECT {by}, {totals} FROM {FAST_GROUPS} GROUP BY ALL").fetchall()
    else:
        groups = con.execute(f"SELECT {by}, {', '.join(expr for expr, _ in sums)} "
                             f"FROM ({rows_sql}) GROUP BY ALL").fetchall()
    if not groups or any(g[5] for g in groups) or refused_rows(con, p):
        return None  # header only, or an error: the precise path says which
    found: dict[Check, int] = {}
    if on_tags:
        counts = con.execute("SELECT " + ", ".join(count_true(c.condition) for c in on_tags)
                             + f" FROM ({tag_sets_sql})").fetchone()
        found.update(zip(on_tags, counts, strict=True))
    found.update((c, sum(g[10 + i] for g in groups)) for i, c in enumerate(on_rows))
    marked = sum(g[10 + len(on_rows)] for g in groups)
    found.update((c, marked) for c in on_text)
    report = FileReport(path=str(p.path), ok=True, focus_version=p.header.version,
                        warnings=list(p.header.warnings))
    if streamed:  # rows not numbered: each purchase's row is found when a warning needs it
        report.commitments = commitments.held(con.execute(
            # a5: sum("EffectiveCost"), as g[9] below
            f'SELECT "BillingCurrency", wb_commitment, wb_bought, sum(a5), NULL '
            f"FROM {FAST_GROUPS} WHERE wb_commitment IS NOT NULL GROUP BY ALL").fetchall())
    warnings = [c for c in checks if found.get(c)]  # in the precise reader's order
    if warnings:
        _locate_warnings(con, p, warnings, tag_sets_sql, report)
    report.rows = sum(g[4] for g in groups)
    report.period_start = min(g[6] for g in groups).replace(tzinfo=UTC)
    report.period_end = max(g[7] for g in groups).replace(tzinfo=UTC)
    with localcontext(prec=EXACT_DIGITS):  # sums of several partitions, added without rounding
        for g in sorted(groups, key=lambda g: g[3]):
            sums = report.currencies.setdefault(g[3], {"billed_cost": Decimal(0),
                                                       "effective_cost": Decimal(0)})
            sums["billed_cost"] += g[8]
            sums["effective_cost"] += g[9]
    parts: dict[tuple, int] = {}
    for g in groups:
        parts[g[:3]] = parts.get(g[:3], 0) + g[4]
    partitions = [(*k, n) for k, n in sorted(parts.items(), key=lambda kv: _sort_key(kv[0]))]
    return FastResult(report, partitions, marked)


WARNED_ROWS = "wb_fast_warned_rows"


def _locate_warnings(con, p: FastPlan, checks: list[Check], tag_sets_sql: str,
                     report: FileReport) -> None:
    """The precise reader's warnings, rows and all, without its full numbered read.

    Only the columns the checks read are read again (DuckDB skips converting the others),
    numbered in file order; the rows a check finds go to a small table on which the precise
    reader's own checks run, so messages, rows and counts are the same.
    """
    sql = " ".join(c.condition + " " + c.value for c in checks)
    columns = [c for c in FOCUS_COLUMNS if f'"{c}"' in sql or (c == "Tags" and "wb_tags" in sql)]
    picked = [f"{p.exprs[c]} AS {ident(c)}" for c in columns]
    picked += [f"{p.exprs[k]} AS {ident(k)}" for k in p.exprs
               if k.startswith("wb_") and k not in FOCUS_COLUMNS and ident(k) in sql
               or k == "wb_provider" and "wb_provider" in sql]
    rows = f"SELECT row_number() OVER () AS wb_source_row, {', '.join(picked)} FROM {p.source}"
    if "Tags" in columns:
        key = tag_set_expr('n."Tags"')
        rows = (f"SELECT n.*, s.wb_tags FROM ({rows}) n LEFT JOIN (SELECT wb_tag_set, wb_tags "
                f"FROM ({tag_sets_sql})) s ON s.wb_tag_set = {key}")
    bad = " OR ".join(f"({c.condition})" for c in checks)
    keep = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")  # row_number() follows the file
    con.execute(f"CREATE OR REPLACE TEMP TABLE {WARNED_ROWS} AS SELECT * FROM ({rows}) "
                f"WHERE {bad}")
    con.execute(f"SET preserve_insertion_order = {bool(keep)}")
    run_checks(con, WARNED_ROWS, checks, report)
    con.execute(f"DROP TABLE {WARNED_ROWS}")


def first_row(con, path: Path, condition: str) -> int | None:
    """The first data row (1-based, as the precise reader numbers them) of a clean file that
    meets `condition` (SQL over canonical columns). Only the columns it reads are read again,
    and the read stops at that row."""
    p = plan(con, Path(path), list(CANONICAL_COLUMNS), None, FAST_REJECTS)
    if p is None:
        return None
    picked = ", ".join(f"{p.exprs[c]} AS {ident(c)}" for c in FOCUS_COLUMNS
                       if f'"{c}"' in condition)
    keep = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")  # row_number() follows the file
    try:
        found = con.execute(f"SELECT n FROM (SELECT row_number() OVER () AS n, {picked} "
                            f"FROM {p.source}) WHERE {condition} LIMIT 1").fetchone()
    except duckdb.Error:  # changed since it was read: the warning goes without its row
        found = None
    finally:
        con.execute(f"SET preserve_insertion_order = {bool(keep)}")
        drop_rejects(con, p)
    return found[0] if found else None


def _sort_key(key: tuple) -> tuple:
    # ORDER BY ALL in SQL puts NULLs last; mirror it so both paths record the same order.
    return tuple((v is None, v if v is not None else 0) for v in key)


FAST_GROUPS, FAST_TAG_SETS, FAST_REJECTS = "wb_fast_groups", "wb_fast_tag_sets", "wb_fast_rejects"


def scan_clean(con, path: Path) -> FileReport | None:
    """`validate` on the fast path: the report of a clean file, the same as the precise
    reader's, or None when the file has anything beyond warnings to say (then the precise
    reader, which locates every problem, reads it)."""
    p = plan(con, path, list(CANONICAL_COLUMNS), None, FAST_REJECTS)
    if p is None:
        return None
    keep = con.execute("SELECT current_setting('preserve_insertion_order'), "
                       "current_setting('TimeZone')").fetchone()
    try:
        con.execute("SET preserve_insertion_order = false")  # order does not matter here
        con.execute("SET TimeZone = 'UTC'")  # naive timestamps are UTC, as in the store
        result = check(con, p, p.select, None)  # streamed: nothing kept but sums and Tags
        return result.report if result is not None else None
    except duckdb.Error:  # a value that does not convert, a read error: the precise reader
        return None
    finally:
        drop_rejects(con, p)
        for table in (FAST_GROUPS, FAST_TAG_SETS):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"SET preserve_insertion_order = {bool(keep[0])}")
        con.execute(f"SET TimeZone = {literal(keep[1])}")
