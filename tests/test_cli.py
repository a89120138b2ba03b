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
