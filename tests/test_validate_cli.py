"""`workbench validate`: exit codes, human lines and the fixed --json shape."""

from __future__ import annotations

import json
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
    assert lines[0] == (f"{corpus['good']}: ok: FOCUS 1.0, 3 rows, 2026-05-02T00:00:00Z to "
                        "2026-05-03T00:00:00Z, 0 errors, 0 warnings")
    assert lines[1].split() == ["EUR", "billed", "0.00", "effective", "100.00"]
    assert lines[2].split() == ["USD", "billed", "7.75", "effective", "7.25"]
    assert lines[-1] == "1 files checked: 1 usable, 0 with errors"


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
    p.write_bytes(csv_bytes([row(BillingCurrency="usd") for _ in range(12)]))
    code, out, _ = run(capsys, str(p))
    assert code == 1 and out.splitlines()[-2].endswith(", 12 errors, 0 warnings")
    code = main(["ingest", "--store", str(tmp_path / "s.duckdb"), str(p)])
    _, err = capsys.readouterr()
    assert code == 1 and err.strip().endswith("(and 11 more problems: `workbench validate` lists them)")


def test_missing_path_one_line_exit_1(tmp_path, capsys):
    code, out, err = run(capsys, str(tmp_path / "nope.csv"))
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [f"error: {tmp_path / 'nope.csv'}: no such file or folder, "
                                        "and no file matches it as a glob"]


def test_usage_error_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2


def test_console_script_never_shows_a_traceback(corpus):
    """The real process, on every corpus file at once: errors as lines, exit 1."""
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "validate", *map(str, corpus.values())],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr and proc.stderr == ""
    assert f"{len(corpus)} files checked" in proc.stdout.splitlines()[-1]
