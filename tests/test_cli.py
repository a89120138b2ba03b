import subprocess
import sys
import types

import pytest

from workbench import cli
from workbench.errors import InputError, WorkbenchError, format_problem


def _fake_command(monkeypatch, func):
    monkeypatch.setitem(sys.modules, "fake_command", types.SimpleNamespace(run=func))
    monkeypatch.setitem(cli.COMMANDS, "validate", ("fake_command", "run"))


def test_format_problem_shapes():
    assert format_problem("a.csv", 3, "BilledCost", "not a number") == "a.csv:3: BilledCost: not a number"
    assert format_problem("a.csv", None, None, "empty file") == "a.csv: empty file"
    assert InputError("bad", "f.csv", 2, "Tags").line() == "f.csv:2: Tags: bad"


def test_workbench_error_is_one_line_and_exit_1(monkeypatch, capsys):
    def boom(args):
        raise InputError("not a number", "x.csv", 7, "BilledCost")

    _fake_command(monkeypatch, boom)
    assert cli.main(["validate", "x.csv"]) == 1
    err = capsys.readouterr().err
    assert err == "error: x.csv:7: BilledCost: not a number\n"


def test_unexpected_failure_has_no_traceback(monkeypatch, capsys):
    def bug(args):
        raise KeyError("oops")

    _fake_command(monkeypatch, bug)
    monkeypatch.delenv("WORKBENCH_DEBUG", raising=False)
    assert cli.main(["validate", "x.csv"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: internal error")


def test_usage_error_exits_2():
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "validate"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_version():
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0


def test_error_family():
    assert issubclass(InputError, WorkbenchError)


@pytest.mark.parametrize("port", ["0", "65536", "99999", "abc", "-1"])
def test_app_port_out_of_range_is_a_usage_error(port, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["app", "--port", port])
    assert exc.value.code == 2
    assert f"argument --port: '{port}' is not a port" in capsys.readouterr().err


def test_report_out_that_cannot_be_a_folder_is_one_line_before_any_load(tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("a file\n")
    for out, why in ((blocker, "a file is in the way of this folder"),
                     (blocker / "pack", "cannot create this folder (Not a directory)")):
        # --data names nothing: the load would fail too, so the --out line shows it came first
        assert cli.main(["report", "--data", str(tmp_path / "none"), "--out", str(out)]) == 1
        assert capsys.readouterr().err.splitlines()[-1] == f"error: --out: {out}: {why}"


@pytest.mark.parametrize("argv", [["validate", ""], ["validate", "a.csv", " "], ["ingest", "--store", ""],
                                  ["report", "--out", ""], ["report", "--data", ""],
                                  ["sample", "--out", ""], ["app", "--data", ""], ["--config", "", "validate", "a.csv"]])
def test_an_empty_path_is_a_usage_error_not_the_current_folder(argv, capsys):
    """`workbench validate "$EXPORTS"` with the variable unset scanned the whole working folder."""
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "an empty path (is a shell variable unset?)" in capsys.readouterr().err


def test_a_missing_config_file_is_an_error_for_every_command(tmp_path, capsys):
    export = tmp_path / "a.csv"
    export.write_text("x\n")
    assert cli.main(["--config", str(tmp_path / "none.toml"), "validate", str(export)]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'none.toml'}: config file not found\n"
