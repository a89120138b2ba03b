"""`workbench validate`: exit codes, human lines and the fixed --json shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from corpus.build import csv_bytes, row

from workbench.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_ok_file_exit_0_and_summary(corpus, capsys):
    code, out, _ = run(capsys, str(corpus["good"]))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (f"{corpus['good']}: ok: FOCUS 1.0, 3 rows, charges 2026-05-02T00:00:00Z to "
                        "2026-05-03T00:00:00Z, 0 errors, 0 warnings")
    assert lines[1].split() == ["EUR", "billed", "0.00", "effective", "100.00"]
    assert lines[2].split() == ["USD", "billed", "7.75", "effective", "7.25"]
    assert lines[-1] == "1 file checked: 1 usable, 0 with errors"


def test_a_summary_names_a_file_whose_name_holds_a_newline_on_one_line(tmp_path, capsys):
    """As a problem line does: a name with a newline would split the summary in two."""
    odd = tmp_path / "may\nx.csv"
    odd.write_bytes(csv_bytes([row()]))
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 0
    assert out.splitlines()[0].startswith(f"{tmp_path}/may\\x0ax.csv: ok: FOCUS 1.0, 1 row, ")


def test_summary_totals_in_each_currencys_smallest_unit(tmp_path, capsys):
    """Yen have no cents and dinars three decimals; halves round up, as the report does."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_bytes([row(BillingCurrency="JPY", BilledCost="1500", EffectiveCost="1499.5"),
                                row(BillingCurrency="KWD", BilledCost="2.0005", EffectiveCost="-0.0001"),
                                row(BillingCurrency="USD", BilledCost="0.125", EffectiveCost="1234567")]))
    code, out, _ = run(capsys, str(path))
    assert code == 0
    assert [line.split() for line in out.splitlines()[1:4]] == [
        ["JPY", "billed", "1,500", "effective", "1,500"],
        ["KWD", "billed", "2.001", "effective", "0.000"],
        ["USD", "billed", "0.13", "effective", "1,234,567.00"]]


def test_missing_optional_columns_are_one_line_and_json_keeps_each(tmp_path, capsys):
    from corpus.build import HEADER
    sparse = [c for c in HEADER if c not in ("ChargeClass", "ListCost", "PricingUnit")]
    path = tmp_path / "sparse.csv"
    path.write_bytes(csv_bytes([row()], sparse))
    code, out, _ = run(capsys, str(path))
    warned = [line for line in out.splitlines() if line.startswith("warning:")]
    assert code == 0 and warned == [
        f"warning: {path}: 3 columns required by FOCUS 1.0 are missing: ChargeClass, ListCost, "
        "PricingUnit"]
    code, out, _ = run(capsys, str(path), "--json")
    listed = json.loads(out)["files"][0]["warnings"]
    assert [(w["column"], w["message"]) for w in listed] == [
        (c, "column required by FOCUS 1.0 is missing") for c in ("ChargeClass", "ListCost", "PricingUnit")]


def test_a_warning_many_files_share_is_said_once(tmp_path, capsys):
    """OCI writes several files a day, each with the same extra columns: a warning about a
    whole file is said at the first file that has it, with how many more have it; each
    file's summary still counts it, its rows' warnings stay its own, and --json lists all."""
    from corpus.build import HEADER
    header = [*HEADER, "oci_CompartmentName"]
    paths = []
    for day, tags in ((2, '{"team": "ml"}'), (3, '{"team"'), (4, '{"team": "ml"}')):
        paths.append(tmp_path / f"0001-{day}.csv")
        paths[-1].write_bytes(csv_bytes([row(ChargePeriodStart=f"2026-05-0{day}T00:00:00Z",
                                             ChargePeriodEnd=f"2026-05-0{day}T01:00:00Z", Tags=tags, oci_CompartmentName="ai")], header))
    code, out, _ = run(capsys, str(tmp_path))
    extra = "oci_CompartmentName: not a FOCUS column (custom columns start with x_); ignored"
    assert code == 0 and [line for line in out.splitlines() if line.startswith("warning:")] == [
        f"warning: {paths[0]}: {extra} (the same in 2 more files)",
        f"warning: {paths[1]}:1: Tags: not a JSON object of unique keys; row kept without tags: "
        "'{\"team\"'"]
    summaries = [line for line in out.splitlines() if ": ok: " in line]
    assert [s.rsplit(", ", 1)[1] for s in summaries] == ["1 warning", "2 warnings", "1 warning"]
    _, out, _ = run(capsys, str(tmp_path), "--json")
    assert [len(f["warnings"]) for f in json.loads(out)["files"]] == [1, 2, 1]


def test_problem_lines_and_exit_1(corpus, capsys):
    code, out, _ = run(capsys, str(corpus["good"]), str(corpus["non_numeric"]),
                       str(corpus["malformed_tags"]))
    assert code == 1
    assert f"error: {corpus['non_numeric']}:2: BilledCost: not a number: '12,50'; write amounts as plain decimals, like -1234.5" in out
    assert f"warning: {corpus['malformed_tags']}:2: Tags: not a JSON object" in out
    assert out.splitlines()[-1] == "3 files checked: 2 usable, 1 with errors"


def test_warnings_only_exit_0(corpus, capsys):
    code, out, _ = run(capsys, str(corpus["hostile_tags"]), str(corpus["header_only"]))
    assert code == 0 and "warning:" in out


def test_json_shape_exact(corpus, capsys):
    code, out, _ = run(capsys, "--json", str(corpus["good"]), str(corpus["non_numeric"]),
                       str(corpus["aws_cur"]))
    assert code == 1
    doc = json.loads(out)
    assert list(doc) == ["files"] and len(doc["files"]) == 3
    keys = ["path", "ok", "focus_version", "rows", "period", "currencies", "errors", "warnings"]
    for f in doc["files"]:
        assert list(f) == keys
        assert isinstance(f["ok"], bool) and isinstance(f["rows"], int)
        assert f["focus_version"] is None or isinstance(f["focus_version"], str)
        assert list(f["period"]) == ["start", "end"]
        for p in f["errors"] + f["warnings"]:
            assert list(p) == ["row", "column", "message"]
            assert p["row"] is None or (isinstance(p["row"], int) and p["row"] >= 1)
            assert isinstance(p["message"], str)
    good, bad, cur = doc["files"]
    assert good == {"path": str(corpus["good"]), "ok": True, "focus_version": "1.0", "rows": 3,
                    "period": {"start": "2026-05-02T00:00:00Z", "end": "2026-05-03T00:00:00Z"},
                    "currencies": {"EUR": {"billed_cost": 1e-10, "effective_cost": 100.0},
                                   "USD": {"billed_cost": 7.75, "effective_cost": 7.25}},
                    "errors": [], "warnings": []}
    assert bad["ok"] is False
    assert bad["errors"] == [{"row": 2, "column": "BilledCost", "message": "not a number: '12,50'; write amounts as plain decimals, like -1234.5"}]
    assert cur["focus_version"] is None and cur["rows"] == 0 and cur["currencies"] == {}
    assert "AWS Data Exports" in cur["errors"][0]["message"]


def test_json_totals_exact_to_the_cent(tmp_path, capsys):
    amounts = ["0.10", "0.20", "1234567.89", "-0.30", "99999999.99"]
    p = tmp_path / "x.csv"
    p.write_bytes(csv_bytes([row(BilledCost=a, EffectiveCost=a) for a in amounts]))
    code, out, _ = run(capsys, "--json", str(p))
    assert code == 0
    billed = json.loads(out)["files"][0]["currencies"]["USD"]["billed_cost"]
    assert f"{billed:.2f}" == "101234567.88"


@pytest.mark.parametrize("cost, total", [
    # 17 significant digits: a float drops the last
    ("123456789012345.01", "123456789012345.01"),
    # 29: Decimal's default context (28 digits) would round the last
    ("1234567890123456789.0123456789", "3703703670370370367.0370370367"),
])
def test_json_amounts_keep_every_digit(tmp_path, capsys, cost, total):
    p = tmp_path / "idr.csv"
    p.write_bytes(csv_bytes([row(BillingCurrency="IDR", BilledCost=cost, EffectiveCost="-0.000")]
                            * (1 if cost == total else 3)))
    code, out, _ = run(capsys, "--json", str(p))
    assert code == 0
    idr = json.loads(out, parse_float=Decimal)["files"][0]["currencies"]["IDR"]
    assert idr == {"billed_cost": Decimal(total), "effective_cost": Decimal("0")}
    assert f'"billed_cost": {total},' in out  # every digit, as written
    code = main(["ingest", "--store", str(tmp_path / "s.duckdb"), "--json", str(p)])
    out, _ = capsys.readouterr()
    period = json.loads(out, parse_float=Decimal)["periods"][0]
    assert code == 0 and period["billed_cost"] == Decimal(total)
    assert period["effective_cost"] == 0


def test_counts_say_how_many_rows_not_how_many_lines(tmp_path, capsys):
    """12 rows with the same error: 5 listed and a count line, but 12 errors."""
    p = tmp_path / "lower.csv"
    p.write_bytes(csv_bytes([row(BillingCurrency="US$") for _ in range(12)]))
    code, out, _ = run(capsys, str(p))
    assert code == 1 and out.splitlines()[-3].endswith(", 12 errors, 0 warnings")
    code = main(["ingest", "--store", str(tmp_path / "s.duckdb"), str(p)])
    _, err = capsys.readouterr()
    assert code == 1 and err.strip().endswith("(and 11 more problems: `workbench validate` lists them)")


def test_missing_path_one_line_exit_1(tmp_path, capsys):
    code, out, err = run(capsys, str(tmp_path / "nope.csv"))
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [f"error: {tmp_path / 'nope.csv'}: no such file or folder, "
                                        "and no file matches it as a glob"]


def test_streams_are_refused_in_one_line(tmp_path, capsys, monkeypatch):
    """A pipe is read once and leaves nothing to record: say to save it, never hang on it."""
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    for path, problem in (("-", "standard input is not read"),
                          ("fifo", "not a regular file (a pipe, socket or device)")):
        code, out, err = run(capsys, path)
        assert code == 1 and out == ""
        assert err.strip().splitlines() == [
            f"error: {path}: {problem}; save the export to a file and name that file"]
    assert main(["ingest", "--store", str(tmp_path / "s.duckdb"), "-"]) == 1
    assert not (tmp_path / "s.duckdb").exists()


@pytest.mark.parametrize("command", ["validate", "ingest"])
def test_usage_error_exit_2(tmp_path, capsys, command):
    """No PATH and no [data].focus paths to fall back on: say what to pass (ingest said it
    with exit 1, as if the data were bad), and make no store."""
    config = tmp_path / "workbench.toml"
    config.write_text("[data]\nfocus = []\n")
    with pytest.raises(SystemExit) as exc:
        main(["--config", str(config), command])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: workbench {command}")
    assert err.strip().splitlines()[-1] == (
        f"workbench {command}: error: no PATH given, and [data] focus in the config lists none: "
        "pass PATH... (a file, folder or glob)")
    assert list(tmp_path.iterdir()) == [config]


def test_json_names_a_path_that_matches_nothing(corpus, tmp_path, capsys):
    """--json prints its document even when a PATH matches nothing: an entry that is not ok."""
    missing = str(tmp_path / "nope" / "*.csv")
    code, out, err = run(capsys, "--json", missing, str(corpus["good"]))
    assert code == 1 and err == ""
    doc = json.loads(out)  # stdout is the JSON document and nothing else
    assert [f["path"] for f in doc["files"]] == [missing, str(corpus["good"])]
    assert doc["files"][0] == {
        "path": missing, "ok": False, "focus_version": None, "rows": 0,
        "period": {"start": None, "end": None}, "currencies": {},
        "errors": [{"row": None, "column": None,
                    "message": "no such file or folder, and no file matches it as a glob"}],
        "warnings": []}
    assert doc["files"][1]["ok"] is True


def test_problems_are_listed_in_row_order(tmp_path, capsys):
    """The checks find problems kind by kind; the lines, the JSON and ingest's first problem
    follow the rows of the file."""
    p = tmp_path / "order.csv"
    p.write_bytes(csv_bytes([row(BillingCurrency="US$"), row(BilledCost="12,50"),
                             row(Tags='{"a"'), row(ChargeCategory="Refund")]))
    code, out, _ = run(capsys, str(p))
    assert code == 1
    listed = [line.split(": ")[1] for line in out.splitlines()[:4]]
    assert listed == [f"{p}:1", f"{p}:2", f"{p}:3", f"{p}:4"]
    code, out, _ = run(capsys, "--json", str(p))
    doc = json.loads(out)["files"][0]
    assert [e["row"] for e in doc["errors"]] == [1, 2] and [w["row"] for w in doc["warnings"]] == [3, 4]
    code = main(["ingest", "--store", str(tmp_path / "s.duckdb"), str(p)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"error: {p}:1: BillingCurrency: ")


def test_counts_are_singular_for_one(tmp_path, capsys):
    p = tmp_path / "one.csv"
    p.write_bytes(csv_bytes([row(BilledCost="12,50"), row(BillingCurrency="US$", Tags='{"a"')]))
    code, out, _ = run(capsys, str(p))
    assert f"{p}: NOT USABLE: FOCUS 1.0, 2 rows, charges 2026-05-02T00:00:00Z to 2026-05-03T00:00:00Z, " \
           "2 errors, 1 warning\n" in out
    assert out.splitlines()[-1] == "1 file checked: 0 usable, 1 with errors"
    code = main(["ingest", "--store", str(tmp_path / "s.duckdb"), str(p)])
    assert capsys.readouterr().err.strip().endswith(
        "(and 1 more problem: `workbench validate` lists them)")
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([row()]))
    code, out, _ = run(capsys, str(good))
    assert ": ok: FOCUS 1.0, 1 row, " in out and ", 0 errors, 0 warnings" in out
    assert main(["ingest", "--store", str(tmp_path / "s.duckdb"), str(good)]) == 0
    assert capsys.readouterr().out.startswith(
        "delivery 1: 1 row from 1 file in ")
    assert main(["ingest", "--store", str(tmp_path / "s.duckdb"), str(good)]) == 0
    assert "; replaced 1 row of earlier deliveries in 1 partition; " in capsys.readouterr().out


def test_a_row_with_too_few_fields_has_no_column(corpus, capsys):
    """The line is FILE:ROW: problem when no one column is at fault, as for a repeated
    header, and the JSON says column null: no column is made up."""
    code, out, _ = run(capsys, str(corpus["ragged"]), str(corpus["header_again"]))
    assert f"error: {corpus['ragged']}:4: row not readable: too few fields in this row" in out
    assert f"error: {corpus['header_again']}:3: this row repeats the header" in out
    code, out, _ = run(capsys, "--json", str(corpus["ragged"]))
    (problem,) = json.loads(out)["files"][0]["errors"]
    assert problem == {"row": 4, "column": None,
                       "message": "row not readable: too few fields in this row"}


def test_a_file_with_unreadable_rows_totals_the_rows_read(tmp_path, capsys):
    """As for any file with errors, the summary gives the span and the totals of the rows
    that could be read, not "no charge period" and nothing."""
    path = tmp_path / "ragged.csv"
    text = csv_bytes([row(), row(BilledCost="1.75", ChargePeriodStart="2026-05-04T00:00:00Z",
                                 ChargePeriodEnd="2026-05-05T00:00:00Z")]).decode()
    path.write_text(text + "acct-1,Example,2026-05-01T00:00:00Z\n")
    code, out, _ = run(capsys, str(path))
    assert code == 1
    assert (f"{path}: NOT USABLE: FOCUS 1.0, 3 rows, charges 2026-05-02T00:00:00Z to "
            "2026-05-05T00:00:00Z, 1 error, 0 warnings") in out
    assert "  USD  billed 12.00  effective 19.50" in out
    assert "(span and totals of the rows that could be read; this file will not be loaded)" in out
    code, out, _ = run(capsys, "--json", str(path))
    assert json.loads(out, parse_float=Decimal)["files"][0]["currencies"] == {
        "USD": {"billed_cost": Decimal("12.00"), "effective_cost": Decimal("19.50")}}



@pytest.mark.parametrize("odd", [{"BilledCost": "12,50"}, {"BillingCurrency": "US$"}])
def test_unreadable_rows_withhold_totals_that_would_leave_out_an_amount(tmp_path, capsys, odd):
    """Beside a row the reader refused, the checks do not run: a row read whose amount or
    currency does not read was left out of the totals with no error to say so (billed 1.75
    for 12,50 + 1.75)."""
    path = tmp_path / "ragged.csv"
    text = csv_bytes([row(**odd), row(BilledCost="1.75")]).decode()
    path.write_text(text + "acct-1,Example,2026-05-01T00:00:00Z\n")
    code, out, _ = run(capsys, str(path))
    assert code == 1 and "billed" not in out
    # the span, still given, is not said as the file's
    assert out.splitlines()[-2] == ("  (span of the rows that could be read; this file will not "
                                    "be loaded)")
    code, out, _ = run(capsys, "--json", str(path))
    assert json.loads(out)["files"][0]["currencies"] == {}

def test_no_path_validates_the_configured_exports(tmp_path, monkeypatch, capsys):
    """Like every command, validate reads [data].focus, relative to the config's folder."""
    project = tmp_path / "project"
    (project / "exports").mkdir(parents=True)
    (project / "exports" / "may.csv").write_bytes(csv_bytes([row()]))
    (project / "workbench.toml").write_text('[data]\nfocus = ["exports"]\n')
    monkeypatch.chdir(tmp_path)  # elsewhere: the paths still resolve from the config
    code, out, _ = run_with_config(capsys, project / "workbench.toml")
    assert code == 0
    assert out.splitlines()[0].startswith(f"{project / 'exports' / 'may.csv'}: ok: FOCUS 1.0, 1 row")


@pytest.mark.parametrize("text, says", [
    ("[data\n", "not valid TOML"),
    ("[data]\nfocuss = []\n", "data.focuss: unknown key"),
])
def test_a_bad_config_is_one_line_exit_1_as_for_ingest(tmp_path, corpus, capsys, text, says):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    for argv in (["validate", str(corpus["good"])], ["validate", "--json", str(corpus["good"])],
                 ["ingest", "--store", str(tmp_path / "s.duckdb"), str(corpus["good"])]):
        assert main(["--config", str(config), *argv]) == 1
        out, err = capsys.readouterr()
        assert out == "" and err.startswith(f"error: {config}: ") and says in err
        assert len(err.splitlines()) == 1
    assert not (tmp_path / "s.duckdb").exists()


def run_with_config(capsys, config, *argv) -> tuple[int, str, str]:
    code = main(["--config", str(config), "validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_console_script_never_shows_a_traceback(corpus):
    """The real process, on every corpus file at once: errors as lines, exit 1."""
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "validate", *map(str, corpus.values())],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr and proc.stderr == ""
    assert f"{len(corpus)} files checked" in proc.stdout.splitlines()[-1]


# -- a commitment counted twice over the files given together -------------------------------

COMMITTED = ["CommitmentDiscountId", "CommitmentDiscountStatus"]
RI = {"CommitmentDiscountId": "ri-1", "Tags": ""}
BUY = row(**RI, ChargeCategory="Purchase", BilledCost="1200", EffectiveCost="1200")
USE = row(**RI, CommitmentDiscountStatus="Used", BilledCost="0", EffectiveCost="33.33")
TWICE = ("EffectiveCost: commitment 'ri-1': its purchase is in effective cost at the price "
         "billed ($1,200.00) while its usage rows carry its amortized cost ($33.33), so "
         "effective-cost figures count it twice; FOCUS gives an amortized purchase "
         "EffectiveCost 0: ask the provider for a corrected export")


def committed(path, rows):
    from corpus.build import HEADER
    path.write_bytes(csv_bytes(rows, HEADER + COMMITTED))
    return str(path)


def test_a_purchase_and_its_usage_in_two_files_are_said_counted_twice(tmp_path, capsys):
    """The purchase month's file keeps the purchase in effective cost, a later month's the
    amortized usage: validated together, the purchase's file is warned as ingest warns it,
    at its row; alone, neither file can tell. The figures stay as the export has them."""
    bought = committed(tmp_path / "2026-05.csv", [row(), BUY])
    used = committed(tmp_path / "2026-06.csv", [USE, row()])
    code, out, _ = run(capsys, bought, used)
    warned = [line for line in out.splitlines() if line.startswith("warning:")]
    assert code == 0 and warned == [f"warning: {bought}:2: {TWICE}"]
    assert f"{bought}: ok: FOCUS 1.0, 2 rows" in out and "0 errors, 1 warning" in out
    code, out, _ = run(capsys, "--json", bought, used)
    first, second = json.loads(out)["files"]
    assert code == 0 and second["warnings"] == []
    assert first["warnings"] == [{"row": 2, "column": "EffectiveCost",
                                  "message": TWICE.split(": ", 1)[1]}]
    assert first["currencies"]["USD"]["effective_cost"] == 1209.75
    for alone in (bought, used):
        code, out, _ = run(capsys, alone)
        assert code == 0 and "warning:" not in out
    # both in one file: said too
    code, out, _ = run(capsys, committed(tmp_path / "both.csv", [USE, row(), BUY]))
    assert out.splitlines()[0] == f"warning: {tmp_path / 'both.csv'}:3: {TWICE}"


def test_a_purchase_refunded_in_full_in_another_file_is_not_said(tmp_path, capsys):
    """A refund of the purchase in a later file leaves nothing of it in effective cost: the
    usage's amortized share is the only count, so nothing is said; nor of a refund alone."""
    refund = {**BUY, "ChargeClass": "Correction", "BilledCost": "-1200",
              "EffectiveCost": "-1200"}
    paths = [committed(tmp_path / "may.csv", [BUY]), committed(tmp_path / "jun.csv", [refund]),
             committed(tmp_path / "use.csv", [USE])]
    code, out, _ = run(capsys, *paths)
    assert code == 0 and "warning:" not in out
    code, out, _ = run(capsys, *paths[1:])
    assert code == 0 and "warning:" not in out
    code, out, _ = run(capsys, paths[0], paths[2])  # without the refund it counts twice
    assert "warning:" in out and "count it twice" in out


def test_a_file_with_errors_takes_no_part_in_counted_twice(tmp_path, capsys):
    """A file that will not be loaded counts nothing twice in the store: its purchases and
    usage are not weighed against the others'."""
    bad = committed(tmp_path / "bad.csv", [BUY, row(BilledCost="x")])
    code, out, _ = run(capsys, bad, committed(tmp_path / "use.csv", [USE]))
    assert code == 1 and "count it twice" not in out


def test_a_copy_of_a_file_counts_its_commitments_once(tmp_path, capsys):
    """Ingest loads a file's byte-for-byte copy (`2026-05 (1).csv`) once: its purchase is
    said at its price, not twice it, on the first of the two as ingest keeps it."""
    import shutil
    bought = committed(tmp_path / "2026-05.csv", [row(), BUY])
    copy = tmp_path / "2026-05 (1).csv"
    shutil.copy(bought, copy)
    used = committed(tmp_path / "2026-06.csv", [USE, row()])
    code, out, _ = run(capsys, str(tmp_path))
    warned = [line for line in out.splitlines() if line.startswith("warning:")]
    assert code == 0 and warned == [f"warning: {copy}:2: {TWICE}"]
    code, out, _ = run(capsys, bought, str(copy), used, used)  # a path named twice is one file
    assert [line for line in out.splitlines() if line.startswith("warning:")] == [
        f"warning: {bought}:2: {TWICE}"]
