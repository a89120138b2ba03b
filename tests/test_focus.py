"""workbench.focus: reading, normalising and checking FOCUS exports."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from corpus.build import CASES, GOOD, HEADER, csv_bytes, row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import InputError
from workbench.focus import SCAN_EXTRA_COLUMNS, discover, scan_file, table_columns, validate
from workbench.focus_columns import detect_version, legacy_format
from workbench.schema import CANONICAL_COLUMNS


def scan(path: Path, con=None):
    con = con or duckdb.connect()
    return scan_file(con, path, "t"), con


def write(tmp_path: Path, rows: list[dict], header: list[str] = HEADER, name="f.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(csv_bytes(rows, header))
    return p


# -- the corpus: every case gives one clear message, never a traceback --------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_corpus_case(corpus, name):
    case, _ = CASES[name]
    report, con = scan(corpus[name])
    assert report.ok is case.ok, (report.errors, report.warnings)
    if not case.ok:
        first = report.errors[0]
        assert case.says in first.message
        assert "\n" not in first.message and "Traceback" not in first.message
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'"
                           ).fetchone()[0] == 0  # nothing left behind to load
    else:
        assert not report.errors
        if case.says:
            first = next(w for w in report.warnings if case.says in w.message)
        else:
            assert not report.warnings
            return
    if case.row is not None:
        assert first.row == case.row
    if case.column is not None:
        assert first.column == case.column


def test_good_file_table_shape_and_totals(corpus):
    report, con = scan(corpus["good"])
    assert report.ok and report.rows == 3 and report.focus_version == "1.0"
    cols = con.execute("DESCRIBE t").fetchall()
    assert [c[0] for c in cols] == table_columns()
    types = {**CANONICAL_COLUMNS, **SCAN_EXTRA_COLUMNS}
    assert {c[0]: c[1].replace(" ", "") for c in cols} == {
        c: types[c].replace(" ", "") for c in table_columns()}
    assert report.currencies == {
        "EUR": {"billed_cost": Decimal("0.0000000001"), "effective_cost": Decimal("100")},
        "USD": {"billed_cost": Decimal("7.75"), "effective_cost": Decimal("7.25")}}
    assert report.period_start == datetime(2026, 5, 2, tzinfo=UTC)
    assert report.period_end == datetime(2026, 5, 3, tzinfo=UTC)
    rows = con.execute("SELECT wb_source_row, wb_provider, wb_tags, wb_focus_version, "
                       "wb_source_file, \"Tags\", \"ListCost\" FROM t ORDER BY rowid").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][1] == "Example Cloud" and rows[0][3] == "1.0"
    assert rows[0][4] == str(corpus["good"])
    assert rows[0][2] == {"team": "ml", "env": "prod"}  # keys folded, values as written
    assert rows[0][5] == '{"Team":"ml","env":"prod"}'  # Tags text kept as written
    assert rows[1][2] == {} and rows[1][6] is None  # no tags; empty ListCost allowed


@pytest.mark.parametrize("name", ["bom_crlf", "mac_cr"])
def test_other_line_ends_read_like_plain(corpus, name):
    plain, c1 = scan(corpus["good"])
    other, c2 = scan(corpus[name])
    assert other.ok and other.currencies == plain.currencies
    q = "SELECT * EXCLUDE (wb_source_file) FROM t ORDER BY wb_source_row"
    assert c1.execute(q).fetchall() == c2.execute(q).fetchall()


def test_parquet_cost_types_agree_with_csv(corpus):
    csv_report, _ = scan(corpus["good"])
    for name in ("parquet_double", "parquet_decimal", "parquet_string"):
        report, con = scan(corpus[name])
        assert report.ok, (name, report.errors)
        assert report.currencies == csv_report.currencies, name
        assert report.period_start == csv_report.period_start
        assert [c[0] for c in con.execute("DESCRIBE t").fetchall()] == table_columns()


def test_parquet_text_written_as_binary_reads_as_text(tmp_path):
    """Impala and Hive write text as BINARY without the UTF8 annotation: it is still text
    (read by both the precise and the fast reader); bytes that are not UTF-8 are an error."""
    from workbench.config import Config
    from workbench.store import Store
    rows = [row(ProviderName="Société Cloud", Tags='{"équipe": "données"}'), row()]
    table = pa.Table.from_pylist(rows)
    for name in ("ProviderName", "Tags", "ServiceName"):
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, table.column(name).cast(pa.binary()))
    pq.write_table(table, tmp_path / "impala.parquet")
    report, con = scan(tmp_path / "impala.parquet")
    assert report.ok, report.errors
    assert not [w for w in report.warnings if w.column == "Tags"], report.warnings
    got = con.execute('SELECT "ProviderName", wb_tags FROM t ORDER BY wb_source_row').fetchall()
    assert got[0] == ("Société Cloud", {"équipe": "données"})
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path / "impala.parquet")])
        assert [f["reader"] for f in res.files] == ["fast"]
        names = s.con.execute('SELECT DISTINCT wb_provider FROM charges ORDER BY 1').fetchall()
    assert names == sorted([("Société Cloud",), (row()["ProviderName"],)])
    bad = table.set_column(table.schema.get_field_index("ServiceName"), "ServiceName",
                           pa.array([b"bad \xff name", b"ok"], pa.binary()))
    pq.write_table(bad, tmp_path / "bad.parquet")
    report, _ = scan(tmp_path / "bad.parquet")
    assert not report.ok and "not valid UTF8" in report.errors[0].message


def test_parquet_timestamps_outside_the_calendar_are_errors(tmp_path):
    """Parquet holds years 0 and 10000; Python, JSON and the report do not: an error, on
    the fast reader (which hands over to the precise one) as on the precise one."""
    from workbench.config import Config
    from workbench.store import Store
    for when in ("0000-01-01", "10000-01-01"):
        path = tmp_path / f"y{when[:5]}.parquet"
        duckdb.connect().execute(
            f"COPY (SELECT * REPLACE (TIMESTAMP '{when}' AS ChargePeriodStart) FROM "
            f"read_csv('{write(tmp_path, [row(), row()])}', all_varchar=true)) TO '{path}'")
        report, _ = scan(path)
        assert not report.ok and report.errors[0].column == "ChargePeriodStart", when
        with Store(":memory:", Config(root=tmp_path)) as s, pytest.raises(InputError) as err:
            s.ingest([str(path)])
        assert err.value.column == "ChargePeriodStart" and err.value.row == 1, when


def test_parquet_with_a_repeated_cost_column_is_refused_as_a_csv_is(tmp_path):
    table = pa.Table.from_pylist([row(), row()])
    doubled = pa.Table.from_arrays([*table.columns, table["BilledCost"]],
                                   names=[*table.column_names, "BilledCost"])
    pq.write_table(doubled, tmp_path / "twice.parquet")
    report, _ = scan(tmp_path / "twice.parquet")
    assert not report.ok and report.errors[0].message == (
        "the header names BilledCost more than once; which one to read is ambiguous")
    assert report.focus_version == "1.0"  # a FOCUS file with a header at fault, not "not FOCUS"


def test_a_damaged_parquet_page_and_an_unnamed_column_are_said_plainly(tmp_path):
    """A page that does not decompress: the file looks damaged (not the reader's raw words
    with the path again); a column without a name is shown by its place, as in a CSV."""
    table = pa.Table.from_pylist([row(BilledCost=str(i)) for i in range(3000)])
    damaged = tmp_path / "damaged.parquet"
    pq.write_table(table, damaged, compression="snappy")
    data = bytearray(damaged.read_bytes())
    for i in range(2000, 2400):  # inside the first column chunks, far from the footer
        data[i] ^= 0x5A
    damaged.write_bytes(bytes(data))
    report, _ = scan(damaged)
    assert not report.ok and len(report.errors) == 1
    message = report.errors[0].message
    assert message.startswith("cannot read the file, which looks damaged (") and \
        message.endswith("); export or download it again") and str(damaged) not in message
    unnamed = tmp_path / "unnamed.parquet"
    pq.write_table(table.append_column("", pa.array(["v"] * 3000)), unnamed)
    report, _ = scan(unnamed)
    assert report.ok and [w.column for w in report.warnings] == [
        f"(unnamed column {table.num_columns + 1})"]


def test_a_cost_column_named_twice_in_another_spelling_is_refused(tmp_path):
    """Two `billed_cost` columns (10 and 999): neither is the FOCUS name, so which one holds
    the cost cannot be told; one BilledCost beside a `billed_cost` is read (the other ignored)."""
    header = [h for h in HEADER if h != "BilledCost"] + ["billed_cost", "billed_cost"]
    twice = tmp_path / "twice.csv"
    twice.write_bytes(csv_bytes([{**row(), "billed_cost": "10"}], header))
    report, _ = scan(twice)
    assert not report.ok and report.errors[0].column == "BilledCost"
    assert report.errors[0].message == ("the header names BilledCost more than once (as "
                                        "billed_cost, billed_cost); which one to read is ambiguous")
    assert report.focus_version == "1.0" and len(report.errors) == 1
    beside = tmp_path / "beside.csv"
    beside.write_bytes(csv_bytes([{**row(), "billed_cost": "999"}], [*HEADER, "billed_cost"]))
    report, _ = scan(beside)
    assert report.ok and report.currencies["USD"]["billed_cost"] == Decimal(row()["BilledCost"])


def test_a_folder_that_cannot_be_read_is_an_error_not_skipped(tmp_path, monkeypatch):
    """(Tests run as root, whom permissions do not stop: the walk's refusal is simulated.)"""
    import os

    from workbench import focus
    (tmp_path / "ok").mkdir()
    write(tmp_path / "ok", [row()])
    real = os.walk

    def walk(top, onerror=None, **kw):
        yield from real(top, onerror=onerror, **kw)
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "locked")))
    monkeypatch.setattr(focus.os, "walk", walk)
    with pytest.raises(InputError) as err:
        discover([str(tmp_path)])
    assert err.value.line() == (f"{tmp_path / 'locked'}: cannot read this folder (permission "
                                "denied); its exports would be left out")


def test_parquet_durations_and_times_are_not_amounts(tmp_path):
    """DuckDB reads an Arrow duration as integers: 1 day would cost 86400."""
    table = pa.Table.from_pylist([row(), row()])
    for i, kind in enumerate((pa.duration("s"), pa.time64("us"))):
        costs = pa.array([86400, 172800], pa.int64()).cast(kind) if i == 0 else \
            pa.array([1, 2], pa.int64()).cast(kind)
        odd = table.set_column(table.schema.get_field_index("BilledCost"), "BilledCost", costs)
        pq.write_table(odd, tmp_path / f"odd{i}.parquet")
        report, _ = scan(tmp_path / f"odd{i}.parquet")
        assert not report.ok and report.errors[0].column == "BilledCost"
        assert report.errors[0].message == f"a Parquet {kind} column, not an amount"
        # a FOCUS file with a column of the wrong type, not a file that is no FOCUS
        assert report.focus_version == "1.0" and " NOT USABLE: FOCUS 1.0, " in report.lines()[-1]




@pytest.mark.parametrize("kind", [pa.duration("s"), pa.decimal256(76, 38)])
def test_a_parquet_amount_of_a_refused_type_is_refused_under_another_spelling(tmp_path, kind):
    """The type was checked under the FOCUS name alone: a `billed_cost` duration read as
    86,400.00 and a `billed_cost` decimal256 as a double, in a file said to be ok."""
    table = pa.Table.from_pylist([row()])
    at = table.schema.get_field_index("BilledCost")
    costs = pa.array([86400], pa.int64()).cast(kind) if pa.types.is_duration(kind) else \
        pa.array([Decimal("99999999999999999.99")], kind)
    pq.write_table(table.set_column(at, "billed_cost", costs), tmp_path / "snake.parquet")
    report, _ = scan(tmp_path / "snake.parquet")
    assert not report.ok and report.focus_version == "1.0" and report.currencies == {}
    assert [(e.column, e.message.startswith(f"a Parquet {kind} column")) for e in report.errors] == [
        ("billed_cost", True)]
def test_parquet_amounts_wider_than_38_digits_are_refused_not_rounded(tmp_path):
    """DuckDB reads a decimal256 (BigQuery BIGNUMERIC) as a double: 99999999999999999.99
    would be stored as 1e17. A decimal128 of 38 digits is read exactly."""
    table = pa.Table.from_pylist([row(), row()])
    at = table.schema.get_field_index("BilledCost")
    values = [Decimal("99999999999999999.9999999999"), Decimal("0.01")]
    wide = table.set_column(at, "BilledCost", pa.array(values, pa.decimal256(76, 38)))
    pq.write_table(wide, tmp_path / "wide.parquet")
    report, _ = scan(tmp_path / "wide.parquet")
    assert not report.ok and report.errors[0].column == "BilledCost"
    assert report.errors[0].message.startswith("a Parquet decimal256(76, 38) column: more digits")
    assert report.focus_version == "1.0"
    exact = table.set_column(at, "BilledCost", pa.array(values, pa.decimal128(38, 10)))
    pq.write_table(exact, tmp_path / "exact.parquet")
    report, _ = scan(tmp_path / "exact.parquet")
    assert report.ok and report.currencies["USD"]["billed_cost"] == Decimal("100000000000000000.0099999999")


def test_a_parquet_float_amount_that_is_nan_is_said_so_whatever_the_column_holds(tmp_path):
    """A NaN in a Parquet double column with no nulls: DuckDB's statistics say the column
    converts without a NULL, so the NaN that does not convert went unseen (BilledCost said
    "empty"; ListCost read as empty, and `validate` called the file ok while `ingest`
    refused it); with a null elsewhere in the column, it was said."""
    from workbench.config import Config
    from workbench.store import Store
    table = pa.Table.from_pylist([row(), row()])
    for column in ("BilledCost", "ListCost"):
        nan = table.set_column(table.schema.get_field_index(column), column,
                               pa.array([float("nan"), 1.0], pa.float64()))
        path = tmp_path / f"nan_{column}.parquet"
        pq.write_table(nan, path)
        for report in (scan(path)[0], validate([str(path)])[0]):  # precise, then fast first
            assert not report.ok, column
            assert (report.errors[0].row, report.errors[0].column, report.errors[0].message) == (
                1, column, "not a finite amount: 'nan'")
        with Store(":memory:", Config(root=tmp_path)) as s, pytest.raises(InputError) as err:
            s.ingest([str(path)])
        assert (err.value.row, err.value.column) == (1, column)


def test_a_column_repeated_in_another_case_is_read_as_written_once(tmp_path):
    """DuckDB's names ignore case: BilledCost and billedcost must not clash in the read."""
    path = tmp_path / "cased.csv"
    path.write_bytes(csv_bytes([{**row(), "billedcost": "999"}], [*HEADER, "billedcost"]))
    report, _ = scan(path)
    assert report.ok, report.errors
    assert report.currencies == scan(write(tmp_path, [row()]))[0].currencies
    assert [(w.column, w.message) for w in report.warnings if w.column == "billedcost"] == [
        ("billedcost", "repeats FOCUS column BilledCost in another spelling; ignored")]
    # written first, the other spelling must not take the cost from the FOCUS column
    first = tmp_path / "cased_first.csv"
    first.write_bytes(csv_bytes([{"billedcost": "999", **row()}], ["billedcost", *HEADER]))
    report, _ = scan(first)
    assert report.ok, report.errors
    assert report.currencies == scan(write(tmp_path, [row()]))[0].currencies
    assert any(w.column == "billedcost" and "repeats" in w.message for w in report.warnings)
    # a column without a name is named as dedupe names it; a trailing comma on every line
    # is none (an empty field past the last column)
    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_bytes(csv_bytes([row()]).replace(b"\n", b",,x_more\n", 1)
                        .replace(b"custom\n", b"custom,,\n"))
    assert [(w.column, w.message[:20]) for w in scan(unnamed)[0].warnings][-1] == (
        f"(unnamed column {len(HEADER) + 1})", "not a FOCUS column (")
    trailing = tmp_path / "trailing.csv"
    trailing.write_bytes(csv_bytes([row()]).replace(b"\n", b",\n"))
    assert scan(trailing)[0].ok and not scan(trailing)[0].warnings
    pq.write_table(pa.Table.from_pylist([{"billedcost": "999", **row()}]), tmp_path / "c.parquet")
    report, _ = scan(tmp_path / "c.parquet")
    assert report.ok and report.currencies == scan(write(tmp_path, [row()]))[0].currencies
    nbsp = write(tmp_path, [row(BilledCost="7\u00a0")], name="nbsp.csv")
    assert scan(nbsp)[0].errors[0].message.startswith("not a number: '7\\xa0'")


def test_malformed_tags_keep_row_and_cost(corpus):
    report, con = scan(corpus["malformed_tags"])
    assert report.ok and report.rows == 3
    assert report.currencies["USD"]["billed_cost"] == Decimal("30.75")
    assert con.execute("SELECT wb_tags FROM t ORDER BY wb_source_row").fetchall() == [
        ({"team": "ml", "env": "prod"},), ({},), ({},)]
    assert [w.row for w in report.warnings if w.column == "Tags"] == [2, 3]


def test_hostile_tags_kept_as_data(corpus):
    report, con = scan(corpus["hostile_tags"])
    tags = con.execute("SELECT wb_tags FROM t").fetchone()[0]
    assert tags["<script>alert(1)</script>"] == "x"
    assert tags["k" * 10_000] == "<img src=x onerror=alert(1)>"
    assert tags["team"].startswith("=HYPERLINK(")
    # a negative number is not a formula
    assert [w.row for w in report.warnings if "formula" in w.message] == [1]


@pytest.mark.parametrize("value, formula", [
    ("-12.5", False), ("+1,234.50", False), ("-2e3", False), ("1.5E-07", False),
    ("-2+3", True), ("+1+1", True), ("-1-1", True), ("=1", True), ("@SUM(A1)", True),
])
def test_tag_values_a_spreadsheet_would_compute_are_flagged(tmp_path, value, formula):
    report, _ = scan(write(tmp_path, [row(Tags=json.dumps({"x": value}))]))
    assert any("formula" in w.message for w in report.warnings) is formula


def test_tag_values_and_repeated_keys(tmp_path):
    tags = json.dumps({"Team": "a", "team": "b", "n": 1.5, "b": True, "o": {"x": [1]}, "z": None})
    report, con = scan(write(tmp_path, [row(Tags=tags)]))
    assert report.ok
    got = con.execute("SELECT wb_tags FROM t").fetchone()[0]
    assert got == {"team": "a", "n": "1.5", "b": "true", "o": '{"x":[1]}', "z": None}


@pytest.mark.parametrize("spell", [str.upper, lambda c: re.sub(r"(?<!^)(?=[A-Z])", "_", c).lower()])
def test_a_header_in_warehouse_spelling_reads_with_one_warning(tmp_path, spell):
    """Warehouse exports upper-case (BILLEDCOST) or snake-case (billed_cost) the names."""
    good = row()
    p = tmp_path / "w.csv"
    p.write_bytes(csv_bytes([{spell(c): v for c, v in good.items()}], [spell(c) for c in HEADER]))
    report, con = scan(p)
    assert report.ok, report.errors
    assert [w.message.split(":")[0] for w in report.warnings] == [  # x_Note stays custom
        f"{len(HEADER) - 1} column names differ from FOCUS spelling, read as FOCUS columns"]
    assert f"{spell('BillingAccountId')} as BillingAccountId" in report.warnings[0].message
    assert report.currencies == scan(write(tmp_path, [good]))[0].currencies


def test_blanks_around_column_names_show_in_the_warning(tmp_path):
    """A name with blanks around it reads as its column; the warning shows the blanks,
    which printed bare were invisible, and says they are not part of a FOCUS name."""
    spaced = {"BilledCost": " BilledCost ", "BillingCurrency": "BillingCurrency "}
    p = tmp_path / "spaced.csv"
    p.write_bytes(csv_bytes([{spaced.get(c, c): v for c, v in row().items()}],
                            [spaced.get(c, c) for c in HEADER]))
    report, _ = scan(p)
    assert report.ok, report.errors
    assert report.warnings[0].message == (
        "2 column names differ from FOCUS spelling, read as FOCUS columns: 'BillingCurrency ' "
        "as BillingCurrency, ' BilledCost ' as BilledCost (FOCUS names are case-sensitive, "
        "without underscores or blanks around them)")
    assert report.currencies == scan(write(tmp_path, [row()]))[0].currencies


def test_a_providers_own_columns_give_one_warning(tmp_path):
    """OCI writes its extra columns as oci_*, not x_*: one line for the lot, none per column."""
    extra = [f"oci_Extra{i}" for i in range(6)]
    p = tmp_path / "oci.csv"
    p.write_bytes(csv_bytes([row()], HEADER + extra))
    report, _ = scan(p)
    assert report.ok
    assert [w.message for w in report.warnings] == [
        "6 columns are not FOCUS columns (custom columns start with x_); ignored: oci_Extra0, "
        "oci_Extra1, oci_Extra2, oci_Extra3 and 2 more"]
    p.write_bytes(csv_bytes([row()], [*HEADER, "Comment"]))
    assert [(w.column, w.message) for w in scan(p)[0].warnings] == [
        ("Comment", "not a FOCUS column (custom columns start with x_); ignored")]


def test_tags_written_without_braces_read_as_the_object(tmp_path):
    """Azure's cost details write a tag object's members without its braces."""
    rows = [row(Tags='"env": "prod","Team": "ml"'), row(Tags="team=ml"), row(Tags='"a"')]
    report, con = scan(write(tmp_path, rows))
    assert report.ok
    got = [r[0] for r in con.execute("SELECT wb_tags FROM t ORDER BY wb_source_row").fetchall()]
    assert got == [{"env": "prod", "team": "ml"}, {}, {}]
    assert [w.row for w in report.warnings if w.column == "Tags"] == [2, 3]


def test_tags_as_a_list_of_key_value_pairs(tmp_path):
    """Some exports (and Parquet writers) spell labels as [{"key": ..., "value": ...}]."""
    pairs = [{"key": "Team", "value": "ml"}, {"key": "n", "value": 2}]
    rows = [row(Tags=json.dumps(pairs)), row(Tags="[]"),
            row(Tags=json.dumps([{"key": "a", "value": "1"}, {"key": "a", "value": "2"}])),
            row(Tags=json.dumps([{"name": "a"}])), row(Tags="[1, 2]")]
    report, con = scan(write(tmp_path, rows))
    assert report.ok
    got = [r[0] for r in con.execute("SELECT wb_tags FROM t ORDER BY wb_source_row").fetchall()]
    # a key listed twice keeps its first value; a list of other things is no tag list
    assert got == [{"team": "ml", "n": "2"}, {}, {"a": "1"}, {}, {}]
    assert [w.row for w in report.warnings if w.column == "Tags"] == [4, 5]  # [] holds no tag
    table = pa.table({c: [v] * 2 for c, v in row().items() if c != "Tags"} | {
        "Tags": pa.array([[{"key": "Team", "value": "ml"}], []],
                         pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())])))})
    pq.write_table(table, tmp_path / "pairs.parquet")
    report, con = scan(tmp_path / "pairs.parquet")
    # row() writes '' in empty text columns (ChargeClass): in Parquet that reads as null too
    assert report.ok and not report.warnings, report.warnings
    assert con.execute('SELECT count("ChargeClass") FROM t').fetchone()[0] == 0
    assert [r[0] for r in con.execute("SELECT wb_tags FROM t ORDER BY wb_source_row").fetchall()] == [
        {"team": "ml"}, {}]


def test_timestamps_to_utc_whatever_the_session_zone(tmp_path):
    rows = [row(ChargePeriodStart="2026-05-01T02:00:00+02:00", ChargePeriodEnd="2026-05-01"),
            row(ChargePeriodStart="2026-05-01T00:00:00", ChargePeriodEnd="2026-05-01T05:00:00Z"),
            row(ChargePeriodStart="2026-04-30T19:00:00-0500", ChargePeriodEnd="2026-05-01 01:30")]
    p = write(tmp_path, rows)
    for zone in ("UTC", "America/New_York", "Asia/Kolkata"):
        con = duckdb.connect()
        con.execute(f"SET TimeZone = '{zone}'")
        report, con = scan(p, con)
        assert report.ok
        got = con.execute('SELECT "ChargePeriodStart", "ChargePeriodEnd" FROM t '
                          "ORDER BY wb_source_row").fetchall()
        assert got == [(datetime(2026, 5, 1), datetime(2026, 5, 1)),
                       (datetime(2026, 5, 1), datetime(2026, 5, 1, 5)),
                       (datetime(2026, 5, 1), datetime(2026, 5, 1, 1, 30))], zone
    assert report.warnings == [] or all("ends before" in w.message for w in report.warnings)


def test_many_bad_rows_listed_then_counted(tmp_path):
    rows = [row(BilledCost="n/a") for _ in range(40)]
    report, _ = scan(write(tmp_path, rows))
    assert not report.ok
    listed = [e for e in report.errors if e.row is not None]
    assert [e.row for e in listed] == [1, 2, 3, 4, 5]
    assert report.errors[-1].row is None and "40 rows in all" in report.errors[-1].message
    assert report.errors[-1].message == "not a number: 40 rows in all (first 5 listed)"


def test_a_count_line_names_the_problem_without_its_value(tmp_path):
    rows = [row(ChargeCategory="Credit", BilledCost="-1", EffectiveCost="-2",
                CommitmentDiscountId="") for _ in range(7)]
    report, _ = scan(write(tmp_path, rows, HEADER + ["CommitmentDiscountId"]))
    assert report.warnings[-1].message == ("a credit should have EffectiveCost equal to "
                                           "BilledCost: 7 rows in all (first 5 listed)")


def test_insertion_order_off_gives_the_same_table(tmp_path):
    p = write(tmp_path, [row(BilledCost=str(i)) for i in range(50)])
    _, c1 = scan(p)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    report, c2 = scan(p, con)
    assert report.ok
    q = "SELECT * FROM t ORDER BY wb_source_row"
    assert c1.execute(q).fetchall() == c2.execute(q).fetchall()
    assert c2.execute('SELECT count(*) FROM t WHERE wb_source_row <> "BilledCost" + 1'
                      ).fetchone()[0] == 0
    assert [c[0] for c in c2.execute("DESCRIBE t").fetchall()] == table_columns()
    assert c2.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False


def test_row_numbers_inside_a_transaction(tmp_path):
    p = write(tmp_path, [row(BilledCost=str(i)) for i in range(20)])
    con = duckdb.connect()
    con.execute("BEGIN")
    report, con = scan(p, con)
    assert report.ok
    assert con.execute("SELECT min(wb_source_row), max(wb_source_row) FROM t").fetchone() == (1, 20)
    con.execute("COMMIT")


def test_versions_detected_from_columns():
    base = set(HEADER)
    assert detect_version(base) == "1.0"
    assert detect_version(base | {"SkuMeter"}) == "1.1"
    assert detect_version(base | {"SkuMeter", "InvoiceId"}) == "1.2"
    # Azure's FOCUS 1.0 export already has two 1.2 columns: still 1.0
    assert detect_version(base | {"BillingAccountType", "SubAccountType"}) == "1.0"
    assert detect_version(base | {"ServiceProviderName", "HostProviderName"}) == "1.3"
    assert detect_version(base | {"ServiceProviderName", "InvoiceDetailId"}) == "1.4"


def test_legacy_signatures_do_not_catch_focus_with_provider_extras():
    assert legacy_format(HEADER + ["lineItem/UnblendedCost", "MeterCategory"]) is None
    assert "AWS" in legacy_format(["bill_payer_account_id", "line_item_unblended_cost"])
    assert "Azure" in legacy_format(["Date", "PreTaxCost", "SubscriptionGuid"])
    assert legacy_format(["a", "b"]) is None


def test_unknown_service_category_warns(tmp_path):
    report, _ = scan(write(tmp_path, [row(), row(ServiceCategory="GPU Stuff")]))
    assert report.ok
    assert [(w.row, w.column) for w in report.warnings] == [(2, "ServiceCategory")]


def test_focus_13_provider_column_and_missing_mandatory(tmp_path):
    header = [h for h in HEADER if h not in ("ProviderName", "PublisherName", "ListCost")]
    header += ["ServiceProviderName", "HostProviderName"]
    report, con = scan(write(tmp_path, [row(ServiceProviderName="Reseller")], header))
    assert report.ok and report.focus_version == "1.3"
    assert con.execute("SELECT wb_provider, \"ProviderName\" FROM t").fetchone() == ("Reseller", None)
    assert [w.column for w in report.warnings] == ["ListCost"]  # PublisherName deprecated in 1.3


def test_host_and_service_provider_are_mandatory_from_focus_13(tmp_path):
    """FOCUS 1.3 and 1.4 make ServiceProviderName and HostProviderName mandatory: missing,
    each is warned as other mandatory columns are (the figures do not need them)."""
    base = [h for h in HEADER if h not in ("ProviderName", "PublisherName")]
    no_host = base + ["ServiceProviderName", "InvoiceDetailId"]
    report, _ = scan(write(tmp_path, [row(ServiceProviderName="Cloud", InvoiceDetailId="d-1")],
                           no_host, name="v14.csv"))
    assert report.ok and report.focus_version == "1.4"
    assert [(w.column, w.message) for w in report.warnings] == [
        ("HostProviderName", "column required by FOCUS 1.4 is missing")]
    only_provider = HEADER + ["HostProviderName"]  # 1.3's host, 1.2's provider only
    report, _ = scan(write(tmp_path, [row(HostProviderName="Cloud")], only_provider,
                           name="v13.csv"))
    assert report.ok and report.focus_version == "1.3"
    assert [(w.column, w.message) for w in report.warnings] == [
        ("ServiceProviderName", "column required by FOCUS 1.3 is missing")]
    # no provider column at all: one error that names both, no warning besides
    report, _ = scan(write(tmp_path, [row()], base + ["HostProviderName"], name="none.csv"))
    assert [e.column for e in report.errors] == ["ProviderName"] and report.warnings == []


def test_missing_provider_is_an_error(tmp_path):
    header = [h for h in HEADER if h != "ProviderName"]
    report, _ = scan(write(tmp_path, GOOD, header))
    assert not report.ok and report.errors[0].column == "ProviderName"


def test_discover(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / ".ipynb_checkpoints").mkdir()  # copies a tool keeps: never exports
    for name in ("a/x.csv", "a/b/y.CSV.gz", "a/b/z.parquet", "a/notes.txt", "a/.hidden.csv",
                 "a/.ipynb_checkpoints/x-checkpoint.csv", "a/~$x.csv"):  # Excel has x.csv open
        (tmp_path / name).write_bytes(b"x")
    found = discover([str(tmp_path / "a"), str(tmp_path / "a" / "x.csv")])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a/b/y.CSV.gz", "a/b/z.parquet", "a/x.csv"]
    assert discover([str(tmp_path / "a" / "**" / "*.parquet")]) == [tmp_path / "a/b/z.parquet"]
    assert discover([str(tmp_path / "a" / "notes.txt")]) == [tmp_path / "a/notes.txt"]
    with pytest.raises(InputError, match="no such file"):
        discover([str(tmp_path / "missing*.csv")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no FOCUS files"):
        discover([str(tmp_path / "empty")])


def test_a_folder_whose_exports_are_all_in_dot_folders_says_how_to_read_them(tmp_path):
    """`ingest ~/` with the exports in ~/.cache/focus/ said only "no FOCUS files in this
    folder", as of an empty one."""
    (tmp_path / "home" / ".cache" / "focus").mkdir(parents=True)
    (tmp_path / "home" / ".cache" / "focus" / "2026-10.csv").write_bytes(b"x")
    (tmp_path / "home" / "notes.txt").write_bytes(b"x")
    with pytest.raises(InputError, match=r"in this folder; its sub-folder \.cache/focus holds "
                                         r"2026-10\.csv, but folders whose name starts with a "
                                         r"dot are left out: name that folder to read it$"):
        discover([str(tmp_path / "home")])
    assert discover([str(tmp_path / "home" / ".cache" / "focus")]) == [
        tmp_path / "home" / ".cache" / "focus" / "2026-10.csv"]

@pytest.mark.parametrize("reader", ["fast", "precise"])
def test_a_name_that_begins_with_a_tilde_is_read_where_it_is(tmp_path, monkeypatch, reader):
    """`validate ~old/` (a folder, no user `old`) failed with an internal error, pathlib
    finding no such user's home; `validate ./~/x.csv` (a folder named ~) had DuckDB read
    ~/x.csv in the home folder, which it expands itself."""
    from workbench import focus
    monkeypatch.setattr(focus, "VALIDATE_FAST", reader == "fast")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    write(tmp_path / "home", [row(BilledCost="50")], name="x.csv")  # not the ones named
    pq.write_table(pa.table({"a": [1]}), tmp_path / "home" / "y.parquet")
    (tmp_path / "~old-exports").mkdir()
    write(tmp_path / "~old-exports", [row(BilledCost="1")], name="x.csv")
    (tmp_path / "~").mkdir()
    write(tmp_path / "~", [row(BilledCost="2")], name="x.csv")
    assert discover(["~old-exports"]) == [Path("~old-exports/x.csv")]
    pq.write_table(pa.Table.from_pylist([row(BilledCost="3")]), tmp_path / "~" / "y.parquet")
    reports = validate(["~old-exports", "./~/x.csv", "./~/y.parquet"])
    assert [(r.ok, r.currencies["USD"]["billed_cost"]) for r in reports] == [
        (True, Decimal("1")), (True, Decimal("2")), (True, Decimal("3"))]

@pytest.mark.parametrize("listed", ["as the disk lists them", "the other way round"])
def test_a_symlinked_sub_folder_is_searched_once_and_a_link_back_up_ends(tmp_path, listed,
                                                                         monkeypatch):
    """A folder of exports linked in from another disk holds money: a folder finds its files
    as a `**` glob does. A link back up is followed once, so neither loops."""
    import os

    from workbench import focus
    real = os.walk

    def walk(top, **kw):  # the folders of each folder in the other order
        for root, dirs, files in real(top, **kw):
            dirs.reverse()
            yield root, dirs, files
    if listed != "as the disk lists them":
        monkeypatch.setattr(focus.os, "walk", walk)
    (tmp_path / "disk").mkdir()
    (tmp_path / "disk" / "aws.csv").write_bytes(b"x")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "gcp.csv").write_bytes(b"x")
    (tmp_path / "exports" / "aws").symlink_to(tmp_path / "disk", target_is_directory=True)
    (tmp_path / "exports" / "up").symlink_to(tmp_path / "exports", target_is_directory=True)
    (tmp_path / "exports" / "again").symlink_to(tmp_path / "exports", target_is_directory=True)
    (tmp_path / "exports" / "2026-10").mkdir()  # a link to a folder beside it gives it way
    (tmp_path / "exports" / "2026-10" / "oci.csv").write_bytes(b"x")
    (tmp_path / "exports" / "a_latest").symlink_to("2026-10", target_is_directory=True)
    want = [tmp_path / "exports/2026-10/oci.csv", tmp_path / "exports/aws/aws.csv",
            tmp_path / "exports/gcp.csv"]
    assert discover([str(tmp_path / "exports")]) == want
    assert discover([str(tmp_path / "exports" / "**" / "*.csv")]) == want


@pytest.mark.parametrize("how", ["in a folder", "by a glob", "by name"])
def test_a_symlink_that_leads_nowhere_is_an_error_not_skipped(tmp_path, how):
    """git-annex and DVC leave a symlink for a file not fetched: skipped, its month would be
    left out of every total without a word."""
    (tmp_path / "ok.csv").write_bytes(b"x")
    (tmp_path / "2026-05.csv").symlink_to(tmp_path / ".git" / "annex" / "objects" / "SHA256E")
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    path = {"in a folder": tmp_path, "by a glob": tmp_path / "2*.csv",
            "by name": tmp_path / "2026-05.csv"}[how]
    with pytest.raises(InputError) as err:
        discover([str(path)])
    assert err.value.line() == (f"{tmp_path / '2026-05.csv'}: a symlink to "
                                f"{tmp_path / '.git/annex/objects/SHA256E'}, which is not there; "
                                "fetch the file (git annex get, dvc pull) or remove the link")
    with pytest.raises(InputError) as err:
        discover([str(tmp_path / "loop.csv")])
    assert err.value.line().startswith(f"{tmp_path / 'loop.csv'}: a symlink that leads back")


def test_validate_reports_every_file(corpus):
    reports = validate([str(corpus["good"]), str(corpus["nan"])])
    assert [r.ok for r in reports] == [True, False]


@pytest.mark.parametrize("reader", ["fast", "precise"])
def test_a_name_with_glob_characters_reads_that_file_alone(tmp_path, reader, monkeypatch):
    """DuckDB takes `*`, `?` and `[` in a path for a glob: `[2026].csv` read 2.csv instead,
    and `x*.csv` read itself and xa.csv, its money twice."""
    from workbench import focus
    monkeypatch.setattr(focus, "VALIDATE_FAST", reader == "fast")
    write(tmp_path, [row(BilledCost="1")], name="[2026].csv")
    write(tmp_path, [row(BilledCost="50")] * 2, name="2.csv")
    write(tmp_path, [row(BilledCost="1")], name="x*.csv")
    write(tmp_path, [row(BilledCost="70")] * 3, name="xa.csv")
    write(tmp_path, [row(BilledCost="1")], name="w?.csv")
    write(tmp_path, [row(BilledCost="90")] * 4, name="wb.csv")
    pq.write_table(pa.Table.from_pylist([row(BilledCost="1")]), tmp_path / "p[1].parquet")
    pq.write_table(pa.Table.from_pylist([row(BilledCost="9")] * 5), tmp_path / "p1.parquet")
    reports = validate([str(tmp_path / n) for n in ("[2026].csv", "x*.csv", "w?.csv", "p[1].parquet")])
    assert [(r.ok, r.rows, r.currencies["USD"]["billed_cost"]) for r in reports] == [
        (True, 1, Decimal("1"))] * 4
    from workbench.config import Config
    from workbench.store import Store
    with Store(":memory:", Config(root=tmp_path)) as s:  # and so is each loaded
        s.fast_path = reader == "fast"
        for n in ("[2026].csv", "x*.csv", "w?.csv", "p[1].parquet"):
            s.ingest([str(tmp_path / n)])
            assert s.con.execute("SELECT count(*), sum(BilledCost) FROM charges WHERE "
                                 "wb_source_file LIKE ?", [f"%{n}"]).fetchone() == (1, 1), n



@pytest.mark.parametrize("reader", ["fast", "precise"])
def test_a_name_with_a_backslash_and_glob_characters_is_read(tmp_path, reader, monkeypatch):
    """DuckDB's glob lists no file whose name holds a backslash (a zip made on Windows
    unpacks `exports\\2026-10\\p[1].csv` as one name): escaped as a glob, such a file matched
    nothing and a whole export was refused."""
    from workbench import focus
    monkeypatch.setattr(focus, "VALIDATE_FAST", reader == "fast")
    names = ("a\\[2026].csv", "b\\x*.csv.gz", "c\\?.parquet")
    write(tmp_path, [row(BilledCost="1.25")] * 2, name=names[0])
    (tmp_path / names[1]).write_bytes(gzip.compress(csv_bytes([row(BilledCost="1.25")] * 2)))
    pq.write_table(pa.Table.from_pylist([row(BilledCost="1.25")] * 2), tmp_path / names[2])
    write(tmp_path, [row(BilledCost="50")], name="a\\2.csv")  # what a glob would also take
    reports = validate([str(tmp_path / n) for n in names])
    assert [(r.ok, r.rows, r.currencies["USD"]["billed_cost"]) for r in reports] == [
        (True, 2, Decimal("2.50"))] * 3
    from workbench.config import Config
    from workbench.store import Store
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.fast_path = reader == "fast"
        for n in names:
            s.ingest([str(tmp_path / n)])
            assert s.con.execute("SELECT count(*), sum(BilledCost) FROM charges WHERE "
                                 "wb_source_file = ?", [str(tmp_path / n)]).fetchone() == (
                2, Decimal("2.5")), n

# -- properties: exact totals per currency, repeatable scans ------------------------------------

amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=10,
                      allow_nan=False, allow_infinity=False)
charges = st.lists(st.tuples(st.sampled_from(["USD", "EUR", "JPY"]), amounts, amounts),
                   min_size=1, max_size=30)


def _expected(data) -> dict:
    out: dict[str, dict[str, Decimal]] = {}
    for cur, billed, effective in data:
        sums = out.setdefault(cur, {"billed_cost": Decimal(0), "effective_cost": Decimal(0)})
        sums["billed_cost"] += billed
        sums["effective_cost"] += effective
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=charges)
def test_totals_exact_csv_and_parquet(tmp_path, data):
    rows = [row(BillingCurrency=c, BilledCost=str(b), EffectiveCost=str(e)) for c, b, e in data]
    csv_path = write(tmp_path, rows)
    report, con = scan(csv_path)
    assert report.ok, report.errors
    assert report.currencies == _expected(data)
    again = scan_file(con, csv_path, "t2")
    assert again.currencies == report.currencies
    assert con.execute("SELECT * FROM t EXCEPT ALL SELECT * FROM t2").fetchall() == []
    assert con.execute("SELECT count(*) FROM t2").fetchone()[0] == len(data)
    cols = {h: [r[h] or None for r in rows] for h in HEADER}
    table = pa.table(cols)
    for name in ("BilledCost", "EffectiveCost"):
        table = table.set_column(table.schema.get_field_index(name), name,
                                 pa.array([Decimal(v) for v in cols[name]], pa.decimal128(38, 10)))
    pq_path = tmp_path / "f.parquet"
    pq.write_table(table, pq_path)
    assert scan(pq_path)[0].currencies == _expected(data)


def test_a_parquet_map_of_tags_with_a_key_twice_keeps_its_first_value(tmp_path):
    """As a list of key/value structs does: the map was written as a JSON object of
    repeated keys, which holds no tags, and the row lost all of them (with a warning)."""
    from workbench.config import Config
    from workbench.store import Store
    table = pa.Table.from_pylist([row(), row()]).drop_columns(["Tags"]).append_column(
        "Tags", pa.array([[("team", "ml"), ("env", "prod"), ("team", "data")], [("Team", "a")]],
                         pa.map_(pa.string(), pa.string())))
    p = tmp_path / "twice.parquet"
    pq.write_table(table, p)
    report, con = scan(p)
    assert report.ok and not [w for w in report.warnings if w.column == "Tags"], report.warnings
    tags = con.execute("SELECT wb_tags FROM t ORDER BY wb_source_row").fetchall()
    assert tags == [({"team": "ml", "env": "prod"},), ({"team": "a"},)]
    assert not [w for w in validate([str(p)])[0].warnings if w.column == "Tags"]
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(p)])
        assert s.con.execute("SELECT t.wb_tags FROM charges c JOIN tag_sets t USING (wb_tag_set) "
                             "ORDER BY c.\"Tags\"").fetchall() == [
            ({"team": "ml", "env": "prod"},), ({"team": "a"},)]


def test_parquet_native_types_tags_map_and_timestamps(tmp_path):
    """Parquet exports often carry Tags as a MAP and periods as timestamps with a zone."""
    n = 2
    table = pa.table({
        "BillingPeriodStart": pa.array([datetime(2026, 5, 1, tzinfo=UTC)] * n, pa.timestamp("ms", tz="UTC")),
        "ChargePeriodStart": pa.array([datetime(2026, 5, 2)] * n, pa.timestamp("us")),
        "ChargePeriodEnd": pa.array([datetime(2026, 5, 3).date()] * n, pa.date32()),
        "BillingCurrency": ["USD", "USD"],
        "BilledCost": pa.array([Decimal("1.005"), Decimal("-0.005")], pa.decimal128(12, 4)),
        "EffectiveCost": pa.array([1.1, 2.2], pa.float64()),
        "ChargeCategory": ["Usage", "Credit"],
        "ServiceProviderName": ["Example", "Example"],
        "BillingAccountId": pa.array([123, 456], pa.int64()),
        "Tags": pa.array([[("Team", "ml")], []], pa.map_(pa.string(), pa.string())),
        "SkuPriceDetails": pa.array([{"ModelId": "m-1", "TokenDirection": "Input"}, None],
                                    pa.struct([("ModelId", pa.string()),
                                               ("TokenDirection", pa.string())])),
    })
    p = tmp_path / "native.parquet"
    pq.write_table(table, p)
    report, con = scan(p)
    assert report.ok, report.errors
    assert report.currencies == {"USD": {"billed_cost": Decimal("1.000"),
                                         "effective_cost": Decimal("3.3")}}
    got = con.execute('SELECT "BillingAccountId", "Tags", wb_tags, "ChargePeriodEnd", '
                      '"BillingPeriodStart" FROM t ORDER BY wb_source_row').fetchall()
    assert got[0] == ("123", '{"Team":"ml"}', {"team": "ml"}, datetime(2026, 5, 3),
                      datetime(2026, 5, 1))
    assert got[1][2] == {}
    details = con.execute('SELECT "SkuPriceDetails" FROM t ORDER BY wb_source_row').fetchall()
    assert details == [('{"ModelId":"m-1","TokenDirection":"Input"}',), (None,)]  # JSON text


@pytest.mark.parametrize("start, end, expected", [
    # zone names and UTC suffixes are converted to UTC
    ("2026-05-01 02:00:00 Europe/Paris", "2026-05-01T05:00:00 UTC",
     (datetime(2026, 5, 1), datetime(2026, 5, 1, 5))),
    # an offset after a space: Snowflake's default timestamp output
    ("2026-05-01 02:00:00.000 +0200", "2026-04-30 23:00:00 -05:00",
     (datetime(2026, 5, 1), datetime(2026, 5, 1, 4))),
    # RFC 3339 allows a lower-case t and z
    ("2026-05-01t00:00:00z", "2026-05-01t04:00:00+02:00", (datetime(2026, 5, 1), datetime(2026, 5, 1, 2))),
    # UTC or GMT right after the time, without a space
    ("2026-05-01T00:00:00UTC", "2026-05-01 04:00:00.5gmt",
     (datetime(2026, 5, 1), datetime(2026, 5, 1, 4, 0, 0, 500000))),
])
def test_zones_and_offsets_converted_to_utc(tmp_path, start, end, expected):
    from workbench.config import Config
    from workbench.store import Store
    path = write(tmp_path, [row(ChargePeriodStart=start, ChargePeriodEnd=end)])
    report, con = scan(path)
    assert report.ok, report.errors
    assert con.execute('SELECT "ChargePeriodStart", "ChargePeriodEnd" FROM t').fetchone() == expected
    assert validate([str(path)])[0].period_start == expected[0].replace(tzinfo=UTC)
    with Store(":memory:", Config(root=tmp_path)) as s:
        files = s.ingest([str(path)]).files
        assert s.con.execute('SELECT "ChargePeriodStart", "ChargePeriodEnd" FROM charges'
                             ).fetchone() == expected
    if "UTC" in start:  # read by the fast reader too, not handed to the precise one
        assert [f["reader"] for f in files] == ["fast"]


def test_folder_names_like_key_value_are_not_columns(tmp_path):
    """AWS writes billing_period=2026-10/ folders; DuckDB would read them as columns (and a
    folder named after a FOCUS column would overwrite the file's values)."""
    from workbench.config import Config
    from workbench.store import Store
    folder = tmp_path / "BillingCurrency=usd" / "billing_period=2025-01"
    folder.mkdir(parents=True)
    table = pa.table({c: [v] * 2 for c, v in row().items()})
    pq.write_table(table, folder / "part-0.parquet")
    write(folder, [row(ChargeDescription="CPU hours"), row(ChargeDescription="Disk")], name="part-1.csv")
    for name in ("part-0.parquet", "part-1.csv"):
        report, _ = scan(folder / name)
        assert report.ok and not report.warnings, report.warnings
        assert set(report.currencies) == {row()["BillingCurrency"]}
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(tmp_path)])
        assert {f["reader"] for f in res.files} == {"fast"} and not res.warnings, res.warnings
        assert s.totals().currency.tolist() == [row()["BillingCurrency"]]


def test_focus_preview_names_as_oci_writes_them(tmp_path):
    """OCI's FOCUS cost reports keep the 1.0-preview names that 1.0 renamed."""
    from workbench.config import Config
    from workbench.store import Store
    renamed = {"ProviderName": "Provider", "PublisherName": "Publisher",
               "InvoiceIssuerName": "InvoiceIssuer"}
    header = [renamed.get(c, c) for c in HEADER if c != "ChargeClass"]
    header += ["Region", "UsageQuantity", "UsageUnit", "ChargeSubcategory", "oci_CompartmentName"]
    extra = {"Region": "us-ashburn-1", "UsageQuantity": "3.5", "UsageUnit": "GPU Hours",
             "oci_CompartmentName": "ml"}
    rows = [{**{renamed.get(k, k): v for k, v in row().items()}, **extra, "ChargeSubcategory": sub}
            for sub in ("On-Demand", "Used Commitment", "Unused Commitment", "")]
    path = write(tmp_path, rows, header)
    report, con = scan(path)
    assert report.ok, report.errors
    assert report.warnings[0].message == (
        "FOCUS 1.0-preview column names (OCI's FOCUS reports use them) read as their FOCUS 1.0 "
        "columns: Provider as ProviderName, Publisher as PublisherName, InvoiceIssuer as "
        "InvoiceIssuerName, Region as RegionId, UsageQuantity as ConsumedQuantity, UsageUnit as "
        "ConsumedUnit, ChargeSubcategory as CommitmentDiscountStatus (its Used/Unused Commitment "
        "values)")
    assert not any("ChargeSubcategory" in w.message for w in report.warnings[1:])
    assert "CommitmentDiscountStatus" not in [w.column for w in report.warnings]
    wanted = [("Example Cloud", "us-ashburn-1", 3.5, "GPU Hours", status)
              for status in (None, "Used", "Unused", None)]
    got = con.execute('SELECT "ProviderName", "RegionId", "ConsumedQuantity", "ConsumedUnit", '
                      '"CommitmentDiscountStatus" FROM t ORDER BY wb_source_row').fetchall()
    assert got == wanted
    with Store(":memory:", Config(root=tmp_path)) as s:  # the fast path reads it the same
        res = s.ingest([str(path)])
        assert [f["reader"] for f in res.files] == ["fast"]
        got = s.con.execute('SELECT "ProviderName", "RegionId", "ConsumedQuantity", '
                            '"ConsumedUnit", "CommitmentDiscountStatus" FROM charges '
                            'ORDER BY "CommitmentDiscountStatus" NULLS FIRST').fetchall()
    assert sorted(got, key=lambda r: r[4] or "") == sorted(wanted, key=lambda r: r[4] or "")


def test_preview_commitment_subcategories_in_another_case_read_as_statuses(tmp_path):
    """A 1.0-preview ChargeSubcategory written in another case fills CommitmentDiscountStatus
    as a CommitmentDiscountStatus of its own in that case reads: unused commitment is Unused,
    in both readers (it was no status, and its gap read as covered usage)."""
    from workbench.config import Config
    from workbench.store import Store
    header = [*HEADER, "ChargeSubcategory"]
    subs = ["unused commitment", "USED COMMITMENT", "Unused Commitment", "on-demand"]
    path = write(tmp_path, [row(ChargeSubcategory=sub, BillingAccountId=f"a{i}")
                            for i, sub in enumerate(subs)], header)
    wanted = [("a0", "Unused"), ("a1", "Used"), ("a2", "Unused"), ("a3", None)]
    select = 'SELECT "BillingAccountId", "CommitmentDiscountStatus" FROM {} ORDER BY 1'
    _, con = scan(path)
    assert con.execute(select.format("t")).fetchall() == wanted
    for fast in (True, False):
        with Store(":memory:", Config(root=tmp_path)) as s:
            s.fast_path = fast
            s.ingest([str(path)])
            assert s.con.execute(select.format("charges")).fetchall() == wanted


def test_a_focus_name_in_another_spelling_is_read_before_an_older_name(tmp_path):
    """AmortizedCost (FOCUS 0.5) beside effective_cost: effective_cost is read, wherever the
    header writes it. The first of the two was read, so the order of the columns chose the
    effective cost."""
    from workbench.config import Config
    from workbench.store import Store
    header = [c for c in HEADER if c != "EffectiveCost"]
    for names in (["AmortizedCost", "effective_cost"], ["effective_cost", "AmortizedCost"]):
        path = write(tmp_path, [{**row(), "AmortizedCost": "1.00", "effective_cost": "9.75"}],
                     [*header, *names])
        report, _ = scan(path)
        assert report.ok, report.errors
        assert [(w.column, w.message) for w in report.warnings if w.column == "AmortizedCost"] == [
            ("AmortizedCost", "an older FOCUS name of EffectiveCost, which the file also has; "
             "ignored")]
        with Store(":memory:", Config(root=tmp_path)) as s:
            s.ingest([str(path)])
            assert s.con.execute('SELECT "EffectiveCost" FROM charges').fetchall() == [
                (Decimal("9.75"),)], names


def test_focus_05_names_read_as_their_focus_10_columns(tmp_path):
    """A FOCUS 0.5 export names EffectiveCost AmortizedCost and ChargeCategory ChargeType
    (the 1.0-preview renamed them): read as those columns, not refused as missing."""
    from workbench.config import Config
    from workbench.store import Store
    renamed = {"EffectiveCost": "AmortizedCost", "ChargeCategory": "ChargeType"}
    header = [renamed.get(c, c) for c in HEADER]
    rows = [{renamed.get(k, k): v for k, v in r.items()} for r in GOOD]
    path = write(tmp_path, rows, header)
    report, _ = scan(path)
    assert report.ok, report.errors
    assert report.warnings[0].message == (
        "FOCUS 0.5 column names read as their FOCUS 1.0 columns: AmortizedCost as "
        "EffectiveCost, ChargeType as ChargeCategory")
    assert report.currencies == scan(write(tmp_path, GOOD, name="10.csv"))[0].currencies
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(path)])
        got = s.con.execute('SELECT "BillingCurrency", "ChargeCategory", sum("EffectiveCost") '
                            "FROM charges GROUP BY ALL ORDER BY ALL").fetchall()
    assert got == [("EUR", "Usage", Decimal("100")), ("USD", "Credit", Decimal("-2.5")),
                   ("USD", "Usage", Decimal("9.75"))]


def test_preview_pricing_categories_read_as_their_focus_10_values(tmp_path):
    """OCI's reports write 1.0-preview PricingCategory values, which 1.0 renamed: they read as
    the 1.0 values, in both readers, with no warning on every on-demand row."""
    from workbench.config import Config
    from workbench.store import Store
    header = [*HEADER, "PricingCategory"]
    values = ["On-Demand", "Commitment-Based", "Dynamic", "Standard", ""]
    path = write(tmp_path, [row(PricingCategory=v) for v in values], header)
    wanted = ["Standard", "Committed", "Dynamic", "Standard", None]
    report, con = scan(path)
    assert report.ok and not [w for w in report.warnings if w.column == "PricingCategory"]
    got = con.execute('SELECT "PricingCategory" FROM t ORDER BY wb_source_row').fetchall()
    assert [g for (g,) in got] == wanted
    for fast in (True, False):
        with Store(":memory:", Config(root=tmp_path)) as s:
            s.fast_path = fast
            res = s.ingest([str(path)])
            assert [f["reader"] for f in res.files] == ["fast" if fast else "precise"]
            assert not res.warnings, res.warnings
            got = s.con.execute('SELECT "PricingCategory" FROM charges').fetchall()
        assert sorted(g or "" for (g,) in got) == sorted(w or "" for w in wanted)


def test_focus_values_in_another_case_read_as_focus_spells_them(tmp_path):
    """Google Cloud's FOCUS BigQuery view writes ChargeCategory `usage` and `tax`,
    PricingCategory `committed`, ChargeClass `correction`: they read as FOCUS values, in both
    readers, so a tax row counts as tax and a purchase as a purchase, with no warning."""
    from workbench.config import Config
    from workbench.store import Store
    header = [*HEADER, "PricingCategory", "ChargeFrequency"]
    written = [("usage", "", "committed", "usage-based"), ("TAX", "correction", "", "one-time"),
               ("Purchase", "", "on-demand", "One-Time"), ("refund", "", "Standard", "")]
    path = write(tmp_path, [row(ChargeCategory=c, ChargeClass=k, PricingCategory=p,
                                ChargeFrequency=f, ServiceCategory="compute")
                            for c, k, p, f in written], header)
    wanted = [("Usage", None, "Committed", "Usage-Based", "Compute"),
              ("Tax", "Correction", None, "One-Time", "Compute"),
              ("Purchase", None, "Standard", "One-Time", "Compute"),
              ("refund", None, "Standard", None, "Compute")]
    select = ('SELECT "ChargeCategory", "ChargeClass", "PricingCategory", "ChargeFrequency", '
              '"ServiceCategory" FROM {} ORDER BY "BillingAccountId", "ChargeCategory"')
    report, con = scan(path)
    assert [(w.row, w.column, w.message) for w in report.warnings] == [
        (4, "ChargeCategory", "unknown value 'refund'; expected one of Usage, Purchase, Tax, "
         "Credit, Adjustment")]
    assert con.execute(select.format("t")).fetchall() == sorted(wanted)
    for fast in (True, False):
        with Store(":memory:", Config(root=tmp_path)) as s:
            s.fast_path = fast
            s.ingest([str(path)])
            assert s.con.execute(select.format("charges")).fetchall() == sorted(wanted)


def test_a_billing_period_that_ends_before_it_starts_is_said(tmp_path):
    """The FinOps Foundation's validator samples swap BillingPeriodStart and End: the period
    is then named by the later date, so the row says so, in both readers."""
    from workbench.config import Config
    from workbench.store import Store
    path = write(tmp_path, [row(), row(BillingPeriodStart="2026-05-31T00:00:00Z",
                                       BillingPeriodEnd="2026-05-01T00:00:00Z")])
    said = ("ends before BillingPeriodStart ('2026-05-01 00:00:00'); are the two swapped? "
            "The charge is billed in the period BillingPeriodStart names")
    report, _ = scan(path)
    assert report.ok and [(w.row, w.column, w.message) for w in report.warnings] == [
        (2, "BillingPeriodEnd", said)]
    for fast in (True, False):
        with Store(":memory:", Config(root=tmp_path)) as s:
            s.fast_path = fast
            assert s.ingest([str(path)]).warnings == [f"{path}:2: BillingPeriodEnd: {said}"]


def test_a_header_with_too_few_focus_columns_says_how_many(tmp_path):
    p = tmp_path / "two.csv"
    p.write_text("BilledCost,EffectiveCost\n1,2\n")
    report, _ = scan(p)
    assert not report.ok and report.errors[0].message.startswith(
        "not a FOCUS cost and usage export: only 2 FOCUS columns in the header")
    p.write_text("a,b\n1,2\n")
    assert "no FOCUS columns in the header" in scan(p)[0].errors[0].message


def test_a_header_that_is_not_focus_is_quoted_as_written(tmp_path):
    """A name written twice was shown as the reader renames it (BilledCost__2, a__3)."""
    p = tmp_path / "twice.csv"
    p.write_text("BilledCost,BilledCost,,a,a\n1,2,3,4,5\n")
    assert scan(p)[0].errors[0].message == (
        "not a FOCUS cost and usage export: only 1 FOCUS column in the header (BilledCost, "
        "BilledCost, (unnamed column 3), a, a); expected BilledCost, EffectiveCost, "
        "BillingCurrency, ...")


def test_validate_reads_clean_files_fast_and_reports_the_same(corpus, tmp_path, monkeypatch):
    """`validate` reads a clean file once, typed (focus_fast.scan_clean); a file with anything
    to report goes to the precise reader. Either way the report is the precise reader's."""
    from workbench import focus, focus_fast, json_exact
    clean = [write(tmp_path, [row(), row(BilledCost="-3.5", Tags="not json")], name="warn.csv"),
             write(tmp_path, [row(BillingCurrency="EUR"), row()], name="two.csv")]
    paths = [str(p) for p in [*corpus.values(), *clean]]
    served = []
    real = focus_fast.scan_clean
    monkeypatch.setattr(focus_fast, "scan_clean",
                        lambda con, p: served.append(p) or real(con, p))
    fast = [json_exact.dumps(r.to_json()) for r in focus.validate(paths)]
    monkeypatch.setattr(focus, "VALIDATE_FAST", False)
    precise = [json_exact.dumps(r.to_json()) for r in focus.validate(paths)]
    assert fast == precise
    assert len(served) == len(paths)
    with duckdb.connect() as con:
        assert [focus_fast.scan_clean(con, p) is not None for p in clean] == [True, True]
        bad = corpus[next(n for n, (case, _) in CASES.items() if not case.ok)]
        assert focus_fast.scan_clean(con, bad) is None


def test_both_readers_say_a_commitment_counted_twice_at_its_first_purchase_row(tmp_path,
                                                                               monkeypatch):
    """Several commitments of a file, in two currencies, are one warning on the file of
    their purchases, at its first purchase row of them: the precise reader numbers its rows,
    the fast one (which numbers none) finds it, in CSV and Parquet alike."""
    from workbench import focus, focus_fast, json_exact
    header = HEADER + ["CommitmentDiscountId", "CommitmentDiscountStatus"]
    buy = {"ChargeCategory": "Purchase", "Tags": ""}
    use = {"CommitmentDiscountStatus": "Unused", "BilledCost": "0", "Tags": ""}
    bought = [row(), row(**buy, CommitmentDiscountId="sp-0", EffectiveCost="0"),  # amortized
              row(**buy, CommitmentDiscountId="ri-'b", BilledCost="7.5", EffectiveCost="7.5"),
              row(**buy, CommitmentDiscountId="ri-a", BillingCurrency="EUR", BilledCost="5",
                  EffectiveCost="5")]
    used = [row(**use, CommitmentDiscountId=c, EffectiveCost="0.25", BillingCurrency=cur)
            for c, cur in (("ri-'b", "USD"), ("ri-a", "EUR"), ("ri-a", "USD"), ("sp-0", "USD"))]
    said = ("2 commitments (\"ri-'b\", 'ri-a'): their purchases are in effective cost at the "
            "price billed (€5.00 and $7.50 in all) while their usage rows carry their amortized "
            "cost (€0.25 and $0.25), so effective-cost figures count them twice")
    for kind in ("csv", "parquet"):
        paths = []
        for rows, name in ((bought, f"a.{kind}"), (used, f"b.{kind}")):
            paths.append(str(tmp_path / name))
            if kind == "csv":
                write(tmp_path, rows, header, name)
            else:
                pq.write_table(pa.table({h: [r.get(h) or None for r in rows] for h in header}),
                               paths[-1])
        with duckdb.connect() as con:  # clean files: the fast reader serves them
            assert all(focus_fast.scan_clean(con, p) is not None for p in paths)
        monkeypatch.setattr(focus, "VALIDATE_FAST", True)
        fast = validate(paths)
        monkeypatch.setattr(focus, "VALIDATE_FAST", False)
        precise = validate(paths)
        assert [json_exact.dumps(r.to_json()) for r in fast] == \
            [json_exact.dumps(r.to_json()) for r in precise]
        assert [[(w.row, w.column, w.message.split("; ")[0]) for w in r.warnings]
                for r in fast] == [[(3, "EffectiveCost", said)], []], kind


def test_validate_streams_and_still_reads_every_column(tmp_path):
    """validate's fast path keeps nothing but the distinct Tags: a value no check reads
    (ListCost) is still converted, so a bad one sends the file to the precise reader."""
    from workbench import focus_fast
    bad = write(tmp_path, [row(), row(ListCost="abc")], name="bad.csv")
    good = write(tmp_path, [row(), row(ListCost="")], name="good.csv")
    with duckdb.connect() as con:
        assert focus_fast.scan_clean(con, bad) is None
        assert focus_fast.scan_clean(con, good).rows == 2
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() \
            == (0,)  # nothing left behind
    (report,) = validate([str(bad)])
    assert [(e.row, e.column) for e in report.errors] == [(2, "ListCost")]


def test_a_file_stopped_at_its_header_does_not_claim_zero_rows(corpus):
    """A file refused for its header was never counted: its summary says so, while a
    header-only file has 0 rows. (The JSON keeps "rows": 0 for both.)"""
    def summary(name):
        return scan(corpus[name])[0].lines()[-1]
    assert "rows not read" in summary("missing_required") and "rows not read" in summary("aws_cur")
    assert ", 0 rows," in summary("header_only") and "rows not read" not in summary("header_only")
    assert scan(corpus["missing_required"])[0].to_json()["rows"] == 0


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_carriage_return_alone_in_an_unquoted_field_is_located(tmp_path, newline):
    """DuckDB's reader stops at it without a row ("reached an invalid state"): the row and
    column are found, past a quoted field that spans lines, in plain and gzip files."""
    rows = [row(), row(ChargeDescription="two\nlines"), row(), row(ChargeDescription="a\rb"), row()]
    text = csv_bytes(rows, newline=newline)
    # the csv module quotes a field holding a CR when CR ends its lines: unquote row 4's
    text = text.replace(b'"a\rb"', b"a\rb")
    assert text.count(b"a\rb") == 1
    for name, data in (("cr.csv", text), ("cr.csv.gz", gzip.compress(text))):
        (tmp_path / name).write_bytes(data)
        report, _ = scan(tmp_path / name)
        assert [(e.row, e.column) for e in report.errors] == [(4, "ChargeDescription")], name
        assert report.errors[0].message.startswith("a carriage return alone inside an unquoted")
    # quoted, it is part of the value, and lines ending in CR alone are another kind of file
    (tmp_path / "quoted.csv").write_bytes(text.replace(b"a\rb", b'"a\rb"'))
    assert scan(tmp_path / "quoted.csv")[0].ok


def test_the_end_of_a_file_gone_or_cut_since_it_was_read_is_no_dos_mark(tmp_path):
    """The mark is looked for after the reader took the file: one cut short or removed since
    has no mark (the read said what it found), not an internal error."""
    from workbench.focus_header import before_dos_eof
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(csv_bytes(GOOD) + b"\x1a")[:-12])
    assert before_dos_eof(cut, "gzip") is None
    assert before_dos_eof(tmp_path / "gone.csv", "csv") is None
    whole = tmp_path / "whole.csv.gz"
    whole.write_bytes(gzip.compress(csv_bytes(GOOD) + b"\x1a"))
    assert before_dos_eof(whole, "gzip") == b"\n"


def test_a_dos_mark_after_the_last_value_is_said_only_of_the_value_it_is_read_into(tmp_path):
    """A Ctrl-Z right after the last value is read as part of it: said of the last column
    (under any spelling read as a FOCUS column) or of the whole row, not of another column
    of that row, whose problem the mark has no part in."""
    other = tmp_path / "other.csv"  # x_Note, ignored, takes the mark; BilledCost is empty
    other.write_bytes(csv_bytes([*GOOD, row(BilledCost="")])[:-1] + b"\x1a")
    report, _ = scan(other)
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (4, "BilledCost", "empty; a value is required")]
    spelled = tmp_path / "spelled.csv"  # the mark read into the last column, effective_cost
    header = [*(h for h in HEADER if h != "EffectiveCost"), "EffectiveCost"]
    text = csv_bytes(GOOD, header).replace(b",EffectiveCost", b",effective_cost", 1)
    spelled.write_bytes(text[:-1] + b"\x1a")
    report, _ = scan(spelled)
    assert [(e.row, e.column) for e in report.errors] == [(3, "EffectiveCost")]
    assert report.errors[0].message.endswith("delete the Ctrl-Z, or end the line before it")


@pytest.mark.parametrize("last", ["x_Note", "Tags"])
@pytest.mark.parametrize("first, other", [("\n", "\r\n"), ("\r\n", "\n")])
def test_mixed_line_ends_name_the_first_row_that_ends_otherwise(tmp_path, first, other, last):
    """DuckDB's reader stops at a file whose lines end in LF and CRLF both without a row,
    or, when the last field is quoted (Tags), refuses that row and often the rest as quoted
    fields that never end: the first row that ends otherwise than the header is named, past
    a quoted field that spans lines with the other line end inside it, in plain and gzip
    files."""
    header = [*(h for h in HEADER if h != last), last]

    def line(r: dict, end: str) -> bytes:  # the row and its line end, no header
        return csv_bytes([r], header, newline=end).split(end.encode(), 1)[1]
    text = (csv_bytes([], header, newline=first)
            + line(row(ChargeDescription=f"two{other}lines"), first)
            + line(row(), first) + line(row(), other) + line(row(), first))
    names = {"\n": "LF", "\r\n": "CRLF"}
    for name, data in (("mixed.csv", text), ("mixed.csv.gz", gzip.compress(text))):
        (tmp_path / name).write_bytes(data)
        report, _ = scan(tmp_path / name)
        assert [(e.row, e.column, e.message) for e in report.errors] == [
            (3, None, f"this row ends in {names[other]} where the header ends in "
             f"{names[first]} (line ends mixed, as files joined or edited on two systems have "
             "them); save the file again with one kind of line end")], name


def test_archives_and_other_compressions_say_what_to_do(tmp_path):
    """A ZIP (or bzip2, zstd, xz, 7-Zip) file is named as such, whatever its name, and a
    folder holding only such files says so instead of "no FOCUS files" alone."""
    import bz2
    import lzma
    import zipfile
    plain = csv_bytes([row()])
    with zipfile.ZipFile(tmp_path / "export.csv", "w") as z:  # misnamed on purpose
        z.writestr("export.csv", plain)
    (tmp_path / "e.csv.bz2").write_bytes(bz2.compress(plain))
    (tmp_path / "e.csv.xz").write_bytes(lzma.compress(plain))
    for name, start in (("export.csv", "a ZIP archive, which is not read: unpack it"),
                        ("e.csv.bz2", "bzip2-compressed, which is not read: decompress it"),
                        ("e.csv.xz", "xz-compressed, which is not read: decompress it")):
        report, _ = scan(tmp_path / name)
        assert [e.message.split(" (")[0] for e in report.errors] == [
            start + (" and load the files inside" if "ZIP" in start else "")], name
    (tmp_path / "only").mkdir()
    (tmp_path / "e.csv.bz2").rename(tmp_path / "only" / "e.csv.bz2")
    with pytest.raises(InputError, match=r"in this folder; it holds e.csv.bz2: unpack it first$"):
        discover([str(tmp_path / "only")])
    (tmp_path / "pq").mkdir()
    pq.write_table(pa.Table.from_pylist([row()]), tmp_path / "e.parquet")
    (tmp_path / "pq" / "e.parquet.gz").write_bytes(gzip.compress((tmp_path / "e.parquet").read_bytes()))
    with pytest.raises(InputError, match=r"it holds e.parquet.gz: unpack it first$"):
        discover([str(tmp_path / "pq")])
    # spreadsheets downloaded from a console (Excel): saved as CSV, not unpacked
    (tmp_path / "sheets").mkdir()
    (tmp_path / "sheets" / "costs-2026-05.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=r"in this folder; it holds costs-2026-05.xlsx: save it "
                                         r"as CSV UTF-8 \(comma-separated\) first$"):
        discover([str(tmp_path / "sheets")])
    (tmp_path / "sheets" / "costs-2026-04.XLS").write_bytes(b"x")
    with pytest.raises(InputError, match=r"it holds 2 spreadsheets \(costs-2026-04.XLS, ...\): "
                                         r"save them as CSV UTF-8 \(comma-separated\) first$"):
        discover([str(tmp_path / "sheets")])


def test_a_whole_gzip_followed_by_other_bytes_is_not_called_truncated(tmp_path):
    """A copy padded with zeros (gunzip reads it; DuckDB does not): "truncated, download it
    again" sent the user after an export that is whole."""
    import gzip
    packed = gzip.compress(csv_bytes([row()] * 3))
    for name, tail, what in (("zeros.csv.gz", bytes(512), "512 zero bytes"),
                             ("junk.csv.gz", b"junk\n", "5 bytes that are not gzip")):
        (tmp_path / name).write_bytes(packed + tail)
        report, _ = scan(tmp_path / name)
        assert [e.message for e in report.errors] == [
            f"the compressed data is whole but followed by {what}; decompress it (gunzip "
            "ignores them) and load the CSV"], name
    (tmp_path / "cut.csv.gz").write_bytes(packed[:-12])  # cut short: as before
    assert [e.message for e in scan(tmp_path / "cut.csv.gz")[0].errors] == [
        "truncated or corrupt gzip file; download the export again"]


def test_a_spreadsheet_saved_under_the_exports_name_says_to_save_it_as_csv(tmp_path):
    """An export opened in a spreadsheet and saved in its format keeps its `.csv` name. A
    workbook is a ZIP, but unpacked it gives XML, not the CSV that "unpack it" promised."""
    import zipfile
    with zipfile.ZipFile(tmp_path / "xlsx.csv", "w") as z:  # the members Excel writes first
        for member in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"):
            z.writestr(member, "<x/>")
    with zipfile.ZipFile(tmp_path / "ods.csv", "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<x/>")
    (tmp_path / "xls.csv").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    for name, sheet in (("xlsx.csv", "an Excel workbook (.xlsx)"),
                        ("ods.csv", "an OpenDocument spreadsheet (.ods)"),
                        ("xls.csv", "an Excel 97-2003 workbook (.xls)")):
        report, _ = scan(tmp_path / name)
        assert [e.message for e in report.errors] == [
            f"{sheet}, not CSV text; save it from the spreadsheet as CSV UTF-8 "
            "(comma-separated)"], name


def test_an_offset_no_time_zone_has_is_refused_by_both_readers(tmp_path, monkeypatch):
    """Offsets run from -12:00 to +14:00; DuckDB reads +25:00 or +05:75 all the same and
    shifts the time by them. Refused in every date column a total depends on, in CSV and
    Parquet text, with the same line whichever reader reads the file."""
    from workbench import focus, json_exact
    offsets = {"+14:00": True, "-12:00": True, "+05:45": True, "-1400": True, "+13": True,
               "+25:00": False, "+14:30": False, "-14:01": False, "+05:75": False,
               "+0575": False, "+99": False, "+14:00:30": False}
    paths, expected = [], []
    for n, (offset, ok) in enumerate(offsets.items()):
        when = f"2026-05-02T00:00:00{offset}"
        for column in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart"):
            rows = [row(), row(**{column: when})]
            paths.append(write(tmp_path, rows, name=f"{n}-{column}.csv"))
            paths.append(tmp_path / f"{n}-{column}.parquet")
            pq.write_table(pa.table({h: [r[h] for r in rows] for h in HEADER}), paths[-1])
            problem = [] if ok else [(2, column, "an offset from UTC beyond 14 hours, or of 60 "
                                      f"minutes or more, which no time zone has: '{when}'")]
            expected += [problem, problem]
    fast = validate([str(p) for p in paths])
    monkeypatch.setattr(focus, "VALIDATE_FAST", False)
    precise = validate([str(p) for p in paths])
    assert [json_exact.dumps(r.to_json()) for r in fast] == \
        [json_exact.dumps(r.to_json()) for r in precise]
    assert [[(e.row, e.column, e.message) for e in r.errors] for r in fast] == expected


def test_a_period_end_with_an_offset_no_zone_has_reads_as_empty(tmp_path):
    """BillingPeriodEnd dates nothing the workbench totals: an offset no zone has is warned
    about and the value read as empty, as any other unreadable BillingPeriodEnd."""
    report, con = scan(write(tmp_path, [row(BillingPeriodEnd="2026-06-01T00:00:00+25:00")]))
    assert report.ok and [(w.row, w.column) for w in report.warnings] == [(1, "BillingPeriodEnd")]
    assert "no time zone has: '2026-06-01T00:00:00+25:00'; read as empty" in \
        report.warnings[0].message
    assert con.execute('SELECT "BillingPeriodEnd" FROM t').fetchone() == (None,)


def test_amounts_beyond_ten_decimal_places_are_rounded_with_a_warning(tmp_path, monkeypatch):
    """Amounts keep 10 decimal places, rounded half away from zero: a finer one is said,
    with its column, first row and count, by both readers; trailing zeros and floats whose
    shortest form fits are not. A Parquet decimal of a larger scale and a float whose
    shortest form is longer are rounded and said the same way."""
    from workbench import focus, json_exact
    rows = [row(), row(BilledCost="0.123456789012", ListCost="7.1234567890000"),
            row(BilledCost="-1.25E-11"), row(EffectiveCost="2.00000000005"),
            row(BilledCost="3_000.000000000049")]
    csv_path = write(tmp_path, rows)
    cols = {h: [r[h] or None for r in rows] for h in HEADER}
    cols["BilledCost"] = pa.array([Decimal(v.replace("_", "")) for v in cols["BilledCost"]],
                                  pa.decimal128(38, 15))
    cols["EffectiveCost"] = pa.array([0.1, 1 / 3, 9.75, 2.5, 1e-12], pa.float64())
    pq.write_table(pa.table(cols), tmp_path / "f.parquet")
    paths = [str(csv_path), str(tmp_path / "f.parquet")]
    fast = validate(paths)
    monkeypatch.setattr(focus, "VALIDATE_FAST", False)
    precise = validate(paths)
    assert [json_exact.dumps(r.to_json()) for r in fast] == \
        [json_exact.dumps(r.to_json()) for r in precise]
    said = "more than 10 decimal places, read rounded half away from zero to 10"
    csv_report, parquet_report = fast
    assert [(w.row, w.column, w.message) for w in csv_report.warnings] == [
        (2, "BilledCost", f"{said}: '0.123456789012'"),
        (None, "BilledCost", f"{said}: 3 rows in all (first 1 listed)"),
        (4, "EffectiveCost", f"{said}: '2.00000000005'")]
    # -1.25E-11 rounds to 0, 3_000.000000000049 to 3000, 2.00000000005 to 2.0000000001
    assert csv_report.currencies["USD"] == {
        "billed_cost": Decimal("10.25") * 2 + Decimal("0.1234567890") + 3000,
        "effective_cost": Decimal("9.75") * 4 + Decimal("2.0000000001")}
    assert [(w.row, w.column) for w in parquet_report.warnings] == [
        (2, "BilledCost"), (None, "BilledCost"), (2, "EffectiveCost"),
        (None, "EffectiveCost")]
    assert "'0.3333333333333333'" in parquet_report.warnings[2].message


def _bare_nulls(rows: list[dict], word: str = "NULL", header: list[str] = HEADER) -> bytes:
    """The rows as SQL tools write them: text quoted, a null as the bare word NULL."""
    def field(v):
        return word if v is None else '"' + v.replace('"', '""') + '"'
    lines = [",".join(f'"{c}"' for c in header)]
    lines += [",".join(field(r.get(c)) for c in header) for r in rows]
    return ("\n".join(lines) + "\n").encode()


NULLED = ("ChargeClass", "ListCost", "ContractedCost", "PricingQuantity", "ServiceCategory",
          "Tags", "x_Note")


def test_a_null_written_as_the_word_null_is_no_value(tmp_path):
    """SQL exports (the FinOps Foundation's FOCUS samples among them) write NULL for a null."""
    rows = [row(**dict.fromkeys(NULLED)), row(ChargeClass="Correction")]
    nulls = tmp_path / "nulls.csv"
    nulls.write_bytes(_bare_nulls(rows))
    report, con = scan(nulls)
    assert report.ok and not report.warnings, report.warnings
    got = con.execute('SELECT "ChargeClass", "ListCost", "ContractedCost", "PricingQuantity", '
                      '"ServiceCategory", "Tags" FROM t ORDER BY wb_source_row').fetchall()
    assert got[0] == (None,) * 6 and got[1][0] == "Correction"
    empty = write(tmp_path, [row(**dict.fromkeys(NULLED, "")), rows[1]], name="empty.csv")
    assert report.currencies == scan(empty)[0].currencies
    # a file with an error is read again by the precise reader: NULL is no value there too
    nulls.write_bytes(_bare_nulls(rows + [row(BilledCost=None)]))
    report, _ = scan(nulls)
    assert [(p.row, p.column, p.message) for p in report.errors + report.warnings] == [
        (3, "BilledCost", "empty; a value is required")]


def test_a_null_written_in_lower_case_is_no_value(tmp_path):
    """The FOCUS specification's example data writes null in lower case: an on-demand row's
    CommitmentDiscountId is no commitment named 'null', and its status no unknown value."""
    header = [*HEADER, "CommitmentDiscountId", "CommitmentDiscountStatus", "ConsumedQuantity"]
    rows = [row(**dict.fromkeys(NULLED), CommitmentDiscountId=None, CommitmentDiscountStatus=None,
                ConsumedQuantity=None),
            row(CommitmentDiscountId="ri-1", CommitmentDiscountStatus="Used", BilledCost="0",
                ConsumedQuantity="2")]
    nulls = tmp_path / "nulls.csv"
    nulls.write_bytes(_bare_nulls(rows, "null", header))
    report, con = scan(nulls)
    assert report.ok and not report.warnings, report.warnings
    got = con.execute('SELECT "ChargeClass", "ListCost", "Tags", "CommitmentDiscountId", '
                      '"CommitmentDiscountStatus", "ConsumedQuantity" FROM t '
                      "ORDER BY wb_source_row").fetchall()
    assert got == [(None,) * 6, (None, Decimal("12"), '{"Team":"ml","env":"prod"}', "ri-1",
                                 "Used", 2.0)]


def test_focus_14_columns_are_focus_and_invoice_detail_id_is_conditional(tmp_path):
    """1.4 adds CommitmentProgramEligibilityDetails and InvoiceDetailId, both conditional, and
    drops ProviderName and PublisherName for ServiceProviderName and HostProviderName."""
    header = [h for h in HEADER if h not in ("ProviderName", "PublisherName")]
    header += ["ServiceProviderName", "HostProviderName", "CommitmentProgramEligibilityDetails"]
    eligible = json.dumps({"Elements": [{"CommitmentProgramId": "sp-1"}]})
    report, _ = scan(write(tmp_path, [row(ServiceProviderName="Example Cloud",
                                          CommitmentProgramEligibilityDetails=eligible)], header))
    assert report.ok and report.focus_version == "1.4"
    assert report.warnings == []
