"""Reading and checking FOCUS cost-and-usage exports (CSV, CSV.gz, Parquet; FOCUS 1.0-1.4).

`scan_file` reads one file in a single DuckDB pass into a temporary table of the canonical
columns (workbench.schema), then finds bad rows with SQL: a 5M-row file never goes through
a Python loop. Every problem is reported as `FILE:ROW: COLUMN: message` with ROW the 1-based
data row (header not counted). Nothing is dropped silently: a file with errors is not ok and
is not loaded; rows with warnings are kept with their full cost.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from glob import escape, glob
from pathlib import Path

import duckdb

from workbench import commitments, json_exact
from workbench.errors import InputError, UsageError, plural
from workbench.focus_checks import (
    ERROR,
    LISTED_PER_CHECK,
    Check,
    build_checks,
    rounded_column,
    structural_checks,
)
from workbench.focus_columns import (
    PROVIDER_COLUMNS,
    detect_version,
    legacy_format,
    other_dataset,
)
from workbench.focus_header import (
    DOS_EOF,
    TRUNCATED_GZIP,
    before_dos_eof,
    column_problems,
    csv_header,
    dedupe,
    doubled_line_ends,
    gzip_problem,
    match_columns,
    named_twice,
    sniff,
    stray_line_end,
)
from workbench.focus_report import FileReport, Problem, Stop, report_lines
from workbench.focus_sql import (
    bad_expr,
    count_true,
    csv_source,
    derived_expr,
    finite_expr,
    ident,
    literal,
    parquet_source,
    renamed_values_expr,
    rounded_text,
    tag_set_expr,
    tags_map_expr,
    typed_expr,
)
from workbench.schema import CANONICAL_COLUMNS, FOCUS_COLUMNS, MONEY, MONEY_DIGITS

SUFFIXES = (".csv", ".csv.gz", ".parquet")
# read by no reader here: said so (Parquet is read by seeking, not as a gzip stream)
PACKED_SUFFIXES = (".zip", ".7z", ".bz2", ".zst", ".xz", ".parquet.gz")
SHEET_SUFFIXES = (".xlsx", ".xls", ".ods")  # nor these
VALIDATE_MEMORY = "1GB"  # DuckDB memory limit of `validate`; larger files spill to disk


# -- finding files ----------------------------------------------------------------------------

def _is_export(p: Path) -> bool:
    """A file named as an export. One so named that cannot be read as a file is an
    InputError: skipped, its money would be left out without a word. Hidden files and the
    owner file Excel writes beside a file it has open (`~$2026-05.csv`) are none."""
    if not p.name.lower().endswith(SUFFIXES) or p.name.startswith((".", "~$")):
        return False
    if p.is_file():
        return True
    if p.is_dir():
        return False  # a folder named x.csv: searched as a folder
    raise _not_a_file(p)


def _is_export_file(p: Path) -> bool:
    """An export that is a readable file (no error for one that is not)."""
    try:
        return _is_export(p)
    except InputError:
        return False


def _not_a_file(p: Path) -> InputError:
    """What a path that names no regular file is: a symlink that leads nowhere (git-annex and
    DVC leave one for a file not fetched) or a stream."""
    if p.is_symlink():
        try:
            os.stat(p)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return InputError("a symlink that leads back to itself (a loop); link it to "
                                  "the export or remove it", path=str(p))
        return InputError(f"a symlink to {os.readlink(p)}, which is not there; fetch the file "
                          "(git annex get, dvc pull) or remove the link", path=str(p))
    return InputError("not a regular file (a pipe, socket or device); save the export to a "
                      "file and name that file", path=str(p))


def discover(paths: Sequence[str]) -> list[Path]:
    """Files named, files under folders (recursively) and glob matches; sorted, no repeats.

    A file named explicitly is taken whatever its extension (the scan says what it is);
    folders and globs contribute *.csv, *.csv.gz and *.parquet files. A path that matches
    nothing is an InputError.
    """
    found = find_exports(paths)
    for item in found:
        if isinstance(item, InputError):
            raise item
    return found


def find_exports(paths: Sequence[str]) -> list[Path | InputError]:
    """discover's files in order, where a path that matches nothing stands as its error."""
    found: list[Path | InputError] = []
    seen: set[Path] = set()
    for raw in paths:
        try:
            hits = _matches(raw)
        except InputError as exc:
            found.append(exc)
            continue
        for f in hits:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                found.append(f)
    return found


def _exports_under(folder: Path) -> list[Path]:
    """The exports in a folder and its sub-folders. A folder that cannot be read is an
    InputError: skipping it would leave its money out without a word. Sub-folders whose
    name starts with a dot are left out, as hidden files are and as `**` leaves them: they
    hold copies made by tools (.ipynb_checkpoints, .Trash-1000, .snapshot, .git/annex),
    which would count as exports."""
    def refuse(err: OSError):
        raise InputError(f"cannot read this folder ({(err.strerror or str(err)).lower()}); "
                         "its exports would be left out", path=err.filename)
    found = []
    for root, files in _folders(folder, refuse):
        found += [root / f for f in files]
    return sorted(f for f in found if _is_export(f))


def _folders(top: Path, onerror=None) -> Iterator[tuple[Path, list[str]]]:
    """`top` and the folders under it, each with the names of its files, but those whose
    name starts with a dot. A sub-folder that is a symlink is followed (an export folder
    linked in from another disk holds money too), each real folder once: a link back up
    (`current -> ..`) would loop."""
    seen: set[str] = set()
    for root, dirs, files in os.walk(top, onerror=onerror, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        # real folders first, so that a link to one beside it (`latest -> 2026-10`) is
        # the one left out, whatever order the disk lists them in
        dirs[:] = sorted((d for d in dirs if not d.startswith(".")),
                         key=lambda d: (os.path.islink(os.path.join(root, d)), d))
        yield Path(root), files


def _glob(pattern: str) -> list[str]:
    """glob's matches, `**` searched as folders are (_folders): glob follows a symlink back
    up 40 levels deep, twice as often at each level for two such links, and never ends."""
    parts = pattern.split(os.sep)
    if "**" not in parts:
        return glob(pattern)
    i = parts.index("**")
    head, tail = os.sep.join(parts[:i]) or (os.sep if i else os.curdir), os.sep.join(parts[i + 1:])
    hits: list[str] = []
    for root in glob(head):
        if not os.path.isdir(root):
            continue
        if not tail:  # `a/**`: everything under a
            hits.append(root)
            continue
        for folder, _ in _folders(Path(root)):
            hits += _glob(os.path.join(escape(str(folder)), tail))
    return hits


def _packed_hint(folder: Path) -> str:
    """What a folder without exports holds instead, when that is exports in a dot folder
    (left out), archives to unpack or spreadsheets to save as CSV (a cloud console's
    "Download" offers Excel)."""
    hidden = next((f for f in sorted(folder.rglob("*")) if _is_export_file(f)), None)
    if hidden is not None:  # then under a dot folder: _exports_under found none
        return (f"; its sub-folder {hidden.parent.relative_to(folder).as_posix()} holds "
                f"{hidden.name}, but folders whose name starts with a dot are left out: name "
                "that folder to read it")
    names = sorted(f.name for f in folder.rglob("*"))
    sheets = [n for n in names if n.lower().endswith(SHEET_SUFFIXES)]
    if len(sheets) == 1:
        return f"; it holds {sheets[0]}: save it as CSV UTF-8 (comma-separated) first"
    if sheets:
        return (f"; it holds {len(sheets):,} spreadsheets ({sheets[0]}, ...): save them as "
                "CSV UTF-8 (comma-separated) first")
    packed = [n for n in names if n.lower().endswith(PACKED_SUFFIXES)]
    if not packed:
        return ""
    if len(packed) == 1:
        return f"; it holds {packed[0]}: unpack it first"
    return (f"; it holds {len(packed):,} archives or compressed files ({packed[0]}, ...): "
            "unpack them first")


def _matches(raw: str) -> list[Path]:
    p = Path(os.path.expanduser(raw))  # `~old/`, no such user: as it is (pathlib raises)
    if p.is_file():
        return [p]
    # Every file is read more than once (header, then typed; the precise reader on a
    # problem), and its path and sha256 are recorded for later rebuilds: a stream is neither.
    if raw == "-" and not p.exists():
        raise InputError("standard input is not read; save the export to a file and name "
                         "that file", path=raw)
    if p.is_symlink() and not p.exists() or p.exists() and not p.is_dir():
        raise _not_a_file(p)
    if p.is_dir():
        hits = _exports_under(p)
        if not hits:
            raise InputError(f"no FOCUS files ({', '.join('*' + s for s in SUFFIXES)}) "
                             f"in this folder{_packed_hint(p)}", path=raw)
        return hits
    hits = []
    for m in sorted(set(_glob(str(p)))):
        mp = Path(m)
        hits += [mp] if _is_export(mp) else _exports_under(mp) if mp.is_dir() else []
    if not hits:
        raise InputError("no such file or folder, and no file matches it as a glob", path=raw)
    return hits


# -- staging ----------------------------------------------------------------------------------

def _source(con, path: Path, kind: str, head: bytes,
            rejects: str) -> tuple[str, list[tuple[str, str]], list[str], dict]:
    """(FROM clause, [(unique column name, type)], header as written, {column name: its
    Parquet type}) for the file; no Parquet types for a CSV."""
    if kind == "parquet":
        src = parquet_source(str(path))
        try:
            cols = [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        except duckdb.Error as exc:
            if "No magic bytes found at end of file" in str(exc):  # the footer is missing
                raise Stop("a Parquet file cut short (it has no footer): export or download "
                           "it again") from None
            raise Stop(f"not a readable Parquet file: {_first_line(exc)}") from None
        # DuckDB renames a repeated column (BilledCost, BilledCost_1): the header as written
        # is the file's own schema, so a repeated cost column is refused as in a CSV.
        import pyarrow.parquet as pq
        try:
            schema = pq.read_schema(path)
        except Exception:  # DuckDB read it; its names will do
            return src, cols, [c for c, _ in cols], {}
        types = dict(zip([c for c, _ in cols], schema.types, strict=True)) \
            if len(cols) == len(schema) else {f.name: f.type for f in schema}
        # a column without a name is shown by its place, as in a CSV (DuckDB calls it C9)
        return src, cols, [n if n.strip() else f"(unnamed column {i + 1})"
                           for i, n in enumerate(schema.names)], types
    header = csv_header(head)
    names = dedupe(header)
    src = csv_source(str(path), dict.fromkeys(names, "VARCHAR"), kind == "gzip", rejects)
    return src, [(n, "VARCHAR") for n in names], header, {}


def _refused_amounts(mapping: dict[str, str], types: dict) -> list[Problem]:
    """The amount columns (under any spelling read as one) of a Parquet type DuckDB would
    not read as the amount, in the file's order."""
    import pyarrow as pa

    amounts = {name: c for c, name in mapping.items() if FOCUS_COLUMNS.get(c) == MONEY}
    refused = []
    for name, kind in types.items():
        if name not in amounts:
            continue
        # DuckDB reads a duration or a time as plain integers: 1 day would cost 86400.
        if pa.types.is_duration(kind) or pa.types.is_temporal(kind):
            refused.append(Problem(None, name, f"a Parquet {kind} column, not an amount"))
        # DuckDB reads a decimal of more than 38 digits (BigQuery's BIGNUMERIC) as a
        # double, which keeps about 16: the cents of a large amount would be lost.
        elif pa.types.is_decimal(kind) and kind.precision > 38:
            refused.append(Problem(None, name, (
                f"a Parquet {kind} column: more digits than an amount is read with exactly "
                "(38); write it as a decimal of at most 38 digits (BigQuery NUMERIC) or as text")))
    return refused


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.split(": ", 1)[1] if text.split(": ", 1)[0].endswith("Error") else text


def _stage_sql(table: str, src: str, types: dict[str, str], mapping: dict[str, str],
               version: str, path: Path) -> tuple[str, dict[str, str]]:
    """CREATE TEMP TABLE statement and the canonical -> wb_bad_ column map.

    The inner SELECT converts each column once and keeps its text beside it; the outer one
    derives the bad values and the tag map from those, so no conversion runs twice.
    """
    inner, outer, bad_columns, rounded = [], [], {}, []
    for i, column in enumerate(FOCUS_COLUMNS):
        src_name = mapping.get(column)
        src_type = types.get(src_name, "VARCHAR")
        converted, text = typed_expr(column, src_name, src_type)
        converted = derived_expr(column, mapping) or renamed_values_expr(column, converted)
        inner.append(f"{converted} AS {ident(column)}")
        if text is None:
            outer.append(ident(column))
            continue
        raw = f"__raw{i}"
        inner.append(f"{text} AS {raw}")
        value = finite_expr(column, ident(column))
        outer.append(f"{value} AS {ident(column)}")
        bad_columns[column] = f"wb_bad_{column}"
        if FOCUS_COLUMNS[column] == MONEY:  # its text where digits beyond the 10th were rounded
            rounded.append(f"{rounded_text(ident(column), raw, src_type)} "
                           f"AS {ident(rounded_column(column))}")
    # parsed from the text that is kept (a Parquet MAP as typed_expr writes it), not from the
    # file's column, so that the tags read are those the store keeps
    tags = mapping.get("Tags")
    inner_m, wb_tags = tags_map_expr(typed_expr("Tags", tags, types.get(tags, "VARCHAR"))[0])
    provider = ", ".join(ident(c) for c in PROVIDER_COLUMNS if c in mapping)
    outer += [
        f"coalesce({provider}) AS wb_provider",
        f"coalesce({ident('InvoiceIssuerName')}, {provider}) AS wb_issuer",
        f"{tag_set_expr(ident('Tags'))} AS wb_tag_set",
        f"{tag_set_expr(ident('AllocatedTags'))} AS wb_alloc_tag_set",
        f"{literal(version)} AS wb_focus_version",
        f"{literal(str(path))} AS wb_source_file",
        f"{wb_tags} AS wb_tags",  # per row, for the checks and their row numbers
    ]
    for i, column in enumerate(FOCUS_COLUMNS):
        if column in bad_columns:
            value = finite_expr(column, ident(column))
            outer.append(f"{bad_expr(value, f'__raw{i}')} AS {ident(bad_columns[column])}")
    outer += rounded
    sql = (f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS SELECT {', '.join(outer)} FROM "
           f"(SELECT {', '.join(inner)}, {inner_m} AS __m FROM {src})")
    return sql, bad_columns


def _rejects(con, rejects: str) -> tuple[list[Problem], int]:
    """Rows the CSV reader refused (wrong field count, bad UTF-8, stray quotes)."""
    rows = con.execute(
        f"SELECT line, column_name, error_type, error_message, csv_line FROM {ident(rejects)} "
        "ORDER BY line").fetchall()
    reasons = {
        "MISSING COLUMNS": "too few fields in this row",
        "TOO MANY COLUMNS": "too many fields in this row",
        "INVALID ENCODING": "bytes that are not UTF-8 text; save the export as UTF-8",
        "INVALID UNICODE": "bytes that are not UTF-8 text; save the export as UTF-8",
        "UNQUOTED VALUE": "a quote in the middle of an unquoted field",
        "LINE SIZE OVER MAXIMUM": "line too long (over 2 MB, the CSV reader's limit for one row)",
    }
    problems, lines = [], set()
    for line, column, kind, message, csv_line in rows:
        if line in lines:
            continue
        lines.add(line)
        if len(problems) < LISTED_PER_CHECK * 4:
            text = reasons.get(kind) or message.splitlines()[0]
            text = _filler(csv_line) or text
            if kind == "UNQUOTED VALUE" and "unterminated" in message.lower():
                # DuckDB files a quote that opens a field and never closes under the same kind
                text = ("a quoted field that never ends (a quote opened and not closed: the "
                        "file cut short, or a quote inside a value not doubled)")
            problems.append(Problem(int(line) - 1 if line else None,
                                    None if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS")
                                    else column, f"row not readable: {text}"))
    if len(lines) > len(problems):
        problems.append(Problem(None, None, f"{len(lines)} rows in all are not readable "
                                f"(first {len(problems)} listed); nothing was loaded",
                                len(lines) - len(problems), counts_rows=True))
    return problems, len(lines)


def _unterminated_first(con, rejects: str) -> bool:
    """Whether the first line the reader refused holds a quoted field that never ends."""
    return con.execute(f"SELECT bool_or(error_type = 'UNQUOTED VALUE') FROM {ident(rejects)} "
                       f"WHERE line = (SELECT min(line) FROM {ident(rejects)})").fetchone()[0]


def _filler(line: str | None) -> str | None:
    """What a refused line that holds no value at all is, or None."""
    body = (line or "").strip("\r\n")
    if not body:
        return None
    if set(body) == {DOS_EOF.decode()}:  # one after the last line end is read (drop_dos_eof)
        return ("a line of Ctrl-Z alone (a DOS end-of-file mark), which is read only as the one "
                "last byte after the last line end; delete it")
    if set(body) == {"\x00"}:
        return ("a line of zero bytes (a copy padded with them, or the file damaged); delete "
                "them, or download the export again")
    if not body.strip():
        return "a line of blanks alone; delete it"
    return None


def drop_dos_eof(con, rejects: str, path: Path, kind: str) -> None:
    """Forget the refusal of a last line that is a DOS end-of-file mark (one Ctrl-Z after the
    last line end): the reader reads it as a row of one field, and no charge is in it."""
    last = con.execute(f"SELECT line, error_type, csv_line FROM {ident(rejects)} "
                       "ORDER BY line DESC LIMIT 1").fetchone()
    if (last and last[1] == "MISSING COLUMNS" and last[2].strip("\r\n") == DOS_EOF.decode()
            and before_dos_eof(path, kind) in (b"\r", b"\n")):
        con.execute(f"DELETE FROM {ident(rejects)} WHERE line = {int(last[0])}")


def _fmt(value) -> str:
    text = repr(value if len(str(value)) <= 60 else str(value)[:57] + "...")
    return text


def run_checks(con, table: str, checks: list[Check], report: FileReport) -> None:
    """Count each check over `table` (with wb_source_row) and list its first rows in `report`."""
    t = ident(table)
    if not checks:
        return
    counts = con.execute("SELECT " + ", ".join(count_true(c.condition) for c in checks)
                         + f" FROM {t}").fetchone()
    for check, n in zip(checks, counts, strict=True):
        if not n:
            continue
        target = report.errors if check.level == ERROR else report.warnings
        listed = con.execute(f"SELECT wb_source_row, {check.value} FROM {t} WHERE "
                             f"{check.condition} ORDER BY wb_source_row LIMIT {check.listed}"
                             ).fetchall()
        for row, value in listed:
            message = check.message.replace("{value}", _fmt(value) if value is not None else "")
            target.append(Problem(int(row), check.column, message))
        if n > len(listed):
            # the message up to its value: "..., not {value}" reads "..." in a count line
            first = re.split(r"[:;]|\{value\}", check.message)[0].rstrip(" ,(")
            first = re.sub(r",? not$", "", first)
            target.append(Problem(None, check.column, f"{first}: {n:,} rows in all "
                                  f"(first {len(listed)} listed)", n - len(listed),
                                  counts_rows=True))


def _summarise(con, table: str, report: FileReport) -> None:
    t = ident(table)
    report.rows = con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
    start, end = con.execute(f'SELECT min("ChargePeriodStart"), max("ChargePeriodEnd") FROM {t}'
                             ).fetchone()
    report.period_start = start.replace(tzinfo=UTC) if start else None
    report.period_end = end.replace(tzinfo=UTC) if end else None
    for cur, billed, effective in con.execute(
            f'SELECT "BillingCurrency", sum("BilledCost"), sum("EffectiveCost") FROM {t} '
            "WHERE regexp_full_match(\"BillingCurrency\", '[A-Z]{3}') GROUP BY 1 ORDER BY 1"
    ).fetchall():
        report.currencies[cur] = {"billed_cost": billed if billed is not None else Decimal(0),
                                  "effective_cost": effective if effective is not None
                                  else Decimal(0)}


def _amounts_unread(con, table: str, bad_columns: dict[str, str]) -> bool:
    """Whether a row read holds an amount the totals leave out: one that does not read, or
    one in a currency that is no code. The checks that would say which rows are not run on a
    file with rows the reader refused, whose row numbers they would get wrong."""
    amounts = ("BilledCost", "EffectiveCost")
    unread = [f"{ident(bad_columns[c])} IS NOT NULL" for c in amounts if c in bad_columns]
    no_code = ("NOT coalesce(regexp_full_match(\"BillingCurrency\", '[A-Z]{3}'), false) AND "
               "coalesce(\"BilledCost\", \"EffectiveCost\") IS NOT NULL")
    return con.execute(f"SELECT count(*) FROM {ident(table)} WHERE "
                       f"{' OR '.join([*unread, no_code])}").fetchone()[0] > 0


def _commitments(con, table: str) -> commitments.Held:
    """The sums commitments.counted_twice needs, with the first row of each purchase."""
    return commitments.held(con.execute(
        f'SELECT "BillingCurrency", "CommitmentDiscountId", {commitments.KIND} AS kind, '
        'sum("EffectiveCost"), min(wb_source_row) FILTER (WHERE "EffectiveCost" > 0) '
        f"FROM {ident(table)} WHERE kind IS NOT NULL GROUP BY ALL").fetchall())


def _create_in_file_order(con, sql: str) -> None:
    """Run the CREATE with insertion order kept, so rowid follows the file's rows.

    The setting is the caller's: when it is off it is turned on for this one statement.
    """
    keep = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    if str(keep).lower() in ("true", "1"):
        con.execute(sql)
        return
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(sql)
    finally:
        # After a read error inside a caller's transaction the SET fails too: the error that
        # matters is the first one, and the caller (store ingest) restores its settings.
        with contextlib.suppress(duckdb.TransactionException):
            con.execute("SET preserve_insertion_order = false")


def scan_file(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> FileReport:
    """Read and check one FOCUS file; when the report is ok, TEMP TABLE `table` holds its rows.

    The table has the columns of `table_columns()` (the canonical ones of workbench.schema
    except wb_delivery_id, and each row's parsed tags), rows in file order. When the report
    is not ok, no such table is left behind. This is the precise path: every row numbered,
    every problem located; the store runs it for files the fast path (focus_fast.py) finds
    anything to say about.
    """
    path = Path(path)
    report = FileReport(path=str(path))
    rejects = f"{table}_rejects"
    try:
        _scan(con, path, table, rejects, report)
    except Stop as stop:
        report.errors.append(stop.problem)
        report.rows_read = report.rows > 0
    except duckdb.Error as exc:
        report.errors.append(_located(path, exc) or Problem(None, None, _read_error(exc, path)))
        report.rows_read = report.rows > 0
    finally:
        # A read error inside a caller's transaction leaves it aborted: nothing to clean up
        # then, the caller rolls back.
        with contextlib.suppress(duckdb.TransactionException):
            for name in (rejects, rejects + "_scan"):
                con.execute(f"DROP TABLE IF EXISTS {ident(name)}")
    report.ok = not report.errors
    if not report.ok:
        _note_dos_eof(path, report)
        with contextlib.suppress(duckdb.TransactionException):
            con.execute(f"DROP TABLE IF EXISTS {ident(table)}")
    return report


def _note_dos_eof(path: Path, report: FileReport) -> None:
    """A Ctrl-Z right after the last value, not on a line of its own, is read as part of that
    value (an amount that is no number, a quote that never closes): said at that row, of
    the last column or of the whole row, not of another column that has a problem of its
    own (an empty BilledCost)."""
    last = [e for e in report.errors if e.row is not None and e.row == report.rows]
    if not last:
        return
    try:
        kind, head = sniff(path)
        before = before_dos_eof(path, kind) if kind != "parquet" else None
        if not before or before in b"\r\n" + DOS_EOF:
            return
        header = csv_header(head)
    except (Stop, OSError, EOFError, zlib.error):
        return
    names = dedupe(header)
    read_into = {names[-1], *(c for c, n in match_columns(names, header)[0].items()
                              if n == names[-1])}
    for e in last:
        if e.column is None or e.column in read_into:
            e.message += ("; the file ends in a Ctrl-Z (a DOS end-of-file mark) right after "
                          "this row's last value, which is read as part of it: delete the "
                          "Ctrl-Z, or end the line before it")


def _located(path: Path, exc: Exception) -> Problem | None:
    """The row and column of a CSV read error DuckDB names no row for, when it can be found."""
    if "invalid state" not in str(exc):
        return None
    try:
        kind, head = sniff(path)
        if kind != "parquet" and doubled_line_ends(head):
            return Problem(None, None, "lines end in two carriage returns and a line feed "
                           "(CR CR LF: a file with CRLF line ends written again as text on "
                           "Windows); save it again with one kind of line end")
    except (Stop, OSError, EOFError, zlib.error):
        return None
    return _stray_line_end(path, kind, head) if kind != "parquet" else None


def _stray_line_end(path: Path, kind: str, head: bytes, until: int | None = None
                    ) -> Problem | None:
    """focus_header.stray_line_end as a Problem with its column, or None."""
    try:
        found = stray_line_end(path, kind, until)
        header = csv_header(head) if found else []
    except (Stop, OSError, EOFError, zlib.error):
        return None
    if found is None:
        return None
    row, field, problem = found
    return Problem(row, header[field] if field is not None and field < len(header) else None,
                   problem)


def _read_error(exc: Exception, path: Path) -> str:
    text = str(exc)
    if "GZIP" in text.upper() or "gzip" in text:
        try:
            return gzip_problem(path)
        except OSError:  # gone since it was opened
            return TRUNCATED_GZIP
    if isinstance(exc, duckdb.OutOfRangeException):  # each amount fits, their sum does not
        return (f"amounts add up beyond {MONEY_DIGITS} digits before the decimal point; "
                "no total can be kept exact")
    try:
        parquet = sniff(path)[0] == "parquet"
    except Stop:  # gone since it was opened: the reader's own words
        parquet = False
    if parquet:  # its footer was read, then a page or a column chunk was not: damaged
        why = re.sub(r'^Failed to read file "[^"]*": ', "", _first_line(exc))
        return f"cannot read the file, which looks damaged ({why}); export or download it again"
    return f"cannot read the file: {_first_line(exc)}"


@dataclass
class Header:
    """What the first bytes of a file say: its kind, columns and FOCUS version."""

    kind: str  # csv, gzip, parquet
    head: bytes
    columns: list[tuple[str, str]]  # (unique column name, type as read by the precise path)
    mapping: dict[str, str]  # canonical (and other FOCUS) name -> column name in the file
    version: str
    warnings: list[Problem]  # about the header (no row)
    errors: list[Problem]  # about the header: the file cannot be loaded
    other_dataset: str | None = None  # another FOCUS dataset (no charges): nothing to load


def read_header(con, path: Path, rejects: str) -> tuple[Header, str]:
    """(the header, the precise path's FROM clause); Stop when the file is not FOCUS at all."""
    kind, head = sniff(path)
    src, columns, header, types = _source(con, path, kind, head, rejects)
    names = [c for c, _ in columns]
    repeated = named_twice(header)
    refused = []  # said with the file's FOCUS version, as the header's errors
    if repeated:
        focus, spellings = repeated[0]
        written = "" if set(spellings) == {focus} else f" (as {', '.join(spellings)})"
        refused.append(Problem(None, focus, f"the header names {focus} more than once"
                               f"{written}; which one to read is ambiguous"))
    legacy = legacy_format(names)
    if legacy:
        raise Stop(legacy)
    mapping, warnings = match_columns(names, header)
    other = other_dataset(names)
    if other:
        note = Problem(None, None, f"a FOCUS {other} dataset, not cost and usage: it holds no "
                       "charges and is not loaded")
        return Header(kind, head, columns, mapping, "", [note], [], other), src
    if len(mapping) < 3 and len(names) == 1 and any(d in names[0] for d in ";\t|"):
        raise Stop("the header has one column: FOCUS CSV files are comma-separated "
                    f"(found {names[0][:80]!r})")
    if len(mapping) < 3:
        # as written (`names` has a repeated name renamed, a__2), a blank one by its place
        written = [h if h.strip() else f"(unnamed column {i + 1})" for i, h in enumerate(header)]
        shown = ", ".join(written[:6]) + (", ..." if len(written) > 6 else "")
        found = f"only {len(mapping)} FOCUS column{'s' * (len(mapping) > 1)}" if mapping else "no FOCUS columns"
        raise Stop(f"not a FOCUS cost and usage export: {found} in the header "
                    f"({shown}); expected BilledCost, EffectiveCost, BillingCurrency, ...")
    version = detect_version(set(mapping))
    errors, missing = column_problems(mapping, version, names)
    refused = [*_refused_amounts(mapping, types), *refused]
    return Header(kind, head, columns, mapping, version, warnings + missing, refused + errors), src


def _scan(con, path: Path, table: str, rejects: str, report: FileReport) -> None:
    h, src = read_header(con, path, rejects)
    kind, columns, mapping, version = h.kind, h.columns, h.mapping, h.version
    report.focus_version = version or None
    report.warnings += h.warnings
    if h.errors:
        report.errors += h.errors
        report.rows_read = False
        return
    if h.other_dataset:
        report.dataset = h.other_dataset
        report.rows_read = False
        _create_empty(con, table)
        return
    types = dict(columns)
    sql, bad_columns = _stage_sql(table, src, types, mapping, version, path)
    for name in (rejects, rejects + "_scan"):
        con.execute(f"DROP TABLE IF EXISTS {ident(name)}")
    _create_in_file_order(con, sql)
    t = ident(table)
    if kind != "parquet":
        drop_dos_eof(con, rejects, path, kind)
        problems, refused = _rejects(con, rejects)
        # A row that ends otherwise than the header makes the reader refuse it, and often
        # the rows after it, as a quoted field that never ends (its last one quoted): that
        # row's line end is the one problem. The file is read up to it on that case only.
        if problems and _unterminated_first(con, rejects):
            stray = _stray_line_end(path, kind, h.head, problems[0].row)
            if stray and stray.row == problems[0].row:
                problems = [stray]
        if problems:  # the rows read still give their span and totals, as in any file with errors
            report.errors += problems
            _summarise(con, table, report)
            report.rows += refused
            if _amounts_unread(con, table, bad_columns):
                report.currencies = {}  # totals that leave out money no error names
            return
    con.execute(f"ALTER TABLE {t} ADD COLUMN wb_source_row BIGINT")
    # Inside a caller's transaction (store ingest) rowids start at a large base, not 0.
    con.execute(f"UPDATE {t} SET wb_source_row = rowid + 1 - (SELECT min(rowid) FROM {t})")
    present = {c: FOCUS_COLUMNS[c] for c in FOCUS_COLUMNS if c in mapping}
    run_checks(con, table, structural_checks(present, mapping, bad_columns), report)
    if not report.errors:  # rows that are no charge would fail every check of a column
        run_checks(con, table, build_checks(present, bad_columns), report)
    _summarise(con, table, report)
    if report.rows == 0:
        report.warnings.append(Problem(None, None, "no data rows (header only)"))
    for bad in bad_columns.values():
        con.execute(f"ALTER TABLE {t} DROP COLUMN {ident(bad)}")
    for column in (c for c in bad_columns if FOCUS_COLUMNS[c] == MONEY):
        con.execute(f"ALTER TABLE {t} DROP COLUMN {ident(rounded_column(column))}")


# Besides the canonical columns, scan_file's table holds each row's parsed tags.
SCAN_EXTRA_COLUMNS = {"wb_tags": "MAP(VARCHAR, VARCHAR)"}


def _create_empty(con, table: str) -> None:
    """scan_file's table with no rows (a file that holds no charges)."""
    types = {**CANONICAL_COLUMNS, **SCAN_EXTRA_COLUMNS}
    columns = ", ".join(f"{ident(c)} {types[c]}" for c in table_columns())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} ({columns})")


def table_columns() -> list[str]:
    """The columns scan_file's table has, in order (canonical ones, then SCAN_EXTRA_COLUMNS)."""
    out = [c for c in CANONICAL_COLUMNS if c not in ("wb_delivery_id", "wb_source_row")]
    return [*out, *SCAN_EXTRA_COLUMNS, "wb_source_row"]


VALIDATE_FAST = True  # False: every file through the precise reader (tests compare both)


def validate(paths: Sequence[str], missing_as_reports: bool = False) -> list[FileReport]:
    """Scan every file under `paths` with a private in-memory DuckDB connection, then look
    for commitments counted twice over the usable ones together, as ingest does.

    A path that matches nothing raises its InputError, or with `missing_as_reports` stands
    in the result as a report that is not ok (`validate --json` still prints a document).
    """
    from workbench import focus_fast  # it builds on this module
    found = find_exports(paths) if missing_as_reports else discover(paths)
    # A memory limit with a spill folder keeps a multi-GB export within bounded memory.
    with tempfile.TemporaryDirectory(prefix="workbench-validate-") as spill:
        con = duckdb.connect(config={"memory_limit": VALIDATE_MEMORY, "temp_directory": spill})
        try:
            reports = []
            for f in found:
                if isinstance(f, InputError):
                    reports.append(FileReport(f.path, errors=[Problem(None, None, f.message)]))
                    continue
                # A clean file, the common case, is streamed with its types (focus_fast);
                # anything to report sends it to the precise reader, which locates it.
                report = focus_fast.scan_clean(con, f) if VALIDATE_FAST else None
                if report is None:
                    report = scan_file(con, f, "wb_validate")
                    if report.ok:  # its rows, numbered, are in the table
                        report.commitments = _commitments(con, "wb_validate")
                reports.append(report)
                con.execute("DROP TABLE IF EXISTS wb_validate")
            _warn_counted_twice(con, reports)
            return reports
        finally:
            con.close()


def _warn_counted_twice(con, reports: list[FileReport]) -> None:
    """Warn on the file of each purchase counted twice over the usable files given together,
    as ingest would; the fast reader numbers no row, so its file's first purchase row of
    them is looked for then."""
    from workbench import focus_fast
    usable = {r.path: r for r in reports if r.ok and r.commitments is not None}
    held = {path: r.commitments for path, r in usable.items()
            if r.commitments.bought or r.commitments.used}
    for copy in _copies(list(held)):  # ingest loads a file's copy once: its sums count once
        del held[copy]
    found = commitments.counted_twice(held)
    for twice in found:
        row = twice.row
        if row is None:
            keys = ", ".join(f"({literal(cur)}, {literal(c)})" for c, cur, *_ in twice.items)
            row = focus_fast.first_row(con, Path(twice.path), (
                f'{commitments.BOUGHT} AND "EffectiveCost" > 0 AND '
                f'("BillingCurrency", "CommitmentDiscountId") IN ({keys})'))
        usable[twice.path].warnings.append(
            Problem(row, "EffectiveCost", commitments.said(twice.items)))


def _copies(paths: list[str]) -> set[str]:
    """The files of `paths` with the same bytes as one before them. Only files of one size
    are hashed: a copy is rare, and reading a large export again is not."""
    from workbench.delivery import sha256_file
    by_size: dict[int, list[str]] = {}
    for path in paths:
        with contextlib.suppress(OSError):  # gone since it was read: no copy of anything
            by_size.setdefault(os.stat(path).st_size, []).append(path)
    seen, out = set(), set()
    for same in (group for group in by_size.values() if len(group) > 1):
        for path in same:
            try:
                digest = sha256_file(Path(path))
            except OSError:
                continue
            if digest in seen:
                out.add(path)
            seen.add(digest)
    return out


def validate_paths(given: Sequence[str], config) -> list[str]:
    """What `validate` checks: the PATHs given, else the config's [data].focus paths."""
    from workbench.config import focus_paths

    if given:
        return list(given)
    paths = focus_paths(config, "PATH... (a file, folder or glob)")
    if not paths:
        raise UsageError("no PATH given, and [data] focus in the config lists none: pass "
                         "PATH... (a file, folder or glob)")
    return paths


def run_validate(args) -> int:
    """`workbench validate [PATH...] [--json]`: 0 when every file is usable, 1 otherwise."""
    from workbench.config import load_config

    config = load_config(getattr(args, "config", None))  # a bad config is an error here too
    paths = validate_paths(getattr(args, "paths", None), config)
    as_json = getattr(args, "json", False)
    reports = validate(paths, missing_as_reports=as_json)
    if as_json:
        print(json_exact.dumps({"files": [r.to_json() for r in reports]}, indent=2,
                               ensure_ascii=False))
    else:
        for line in report_lines(reports):
            print(line)
        bad = sum(not r.ok for r in reports)
        print(f"{plural(len(reports), 'file')} checked: {len(reports) - bad} usable, "
              f"{bad} with errors")
    return 0 if all(r.ok for r in reports) else 1
