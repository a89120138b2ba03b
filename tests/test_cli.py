import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest
from corpus.build import csv_bytes, row

from workbench import cli
from workbench.delivery import file_lock, warning_lines
from workbench.errors import InputError, WorkbenchError, format_problem


def _fake_command(monkeypatch, func):
    monkeypatch.setitem(sys.modules, "fake_command", types.SimpleNamespace(run=func))
    monkeypatch.setitem(cli.COMMANDS, "validate", ("fake_command", "run"))


def test_format_problem_shapes():
    assert format_problem("a.csv", 3, "BilledCost", "not a number") == "a.csv:3: BilledCost: not a number"
    assert format_problem("a.csv", None, None, "empty file") == "a.csv: empty file"
    assert InputError("bad", "f.csv", 2, "Tags").line() == "f.csv:2: Tags: bad"
    # a newline or a terminal escape in a file name is shown escaped: still one line
    assert format_problem("a\nb\x1b[31m é.csv", 1, None, "x") == "a\\x0ab\\x1b[31m é.csv:1: x"
    # a reader's message quoting a damaged file's bytes, or a column name, stays on one line too
    assert format_problem("f.parquet", None, "a\nb", "type: \x0f\n") == "f.parquet: a\\x0ab: type: \\x0f\\x0a"


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
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "ingest", "--bogus"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("argv", [["ingest", "--bogus"], ["validate", "a.csv", "--bogus", "x"],
                                  ["report", "--no-pdf", "--bogus"]])
def test_an_unknown_option_shows_the_commands_usage(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith(f"usage: workbench {argv[0]} ")
    assert err.splitlines()[-1].startswith(f"workbench {argv[0]}: error: unrecognized arguments: ")


def test_a_file_whose_name_starts_with_a_dash_is_told_how_to_name(tmp_path, monkeypatch, capsys):
    """`workbench validate -2026-05.csv` read the file's name as an unknown option only."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-2026-05.csv").write_bytes(csv_bytes([row()]))
    with pytest.raises(SystemExit) as exc:
        cli.main(["validate", "-2026-05.csv"])
    assert exc.value.code == 2 and capsys.readouterr().err.splitlines()[-1] == (
        "workbench validate: error: unrecognized arguments: -2026-05.csv (-2026-05.csv is a "
        "file: write ./-2026-05.csv, or -- before it)")
    assert cli.main(["validate", "--", "-2026-05.csv"]) == 0


@pytest.mark.parametrize("argv", [["report", "--config", "w.toml"], ["validate", "a.csv", "--config=w.toml"]])
def test_config_after_the_command_says_where_it_goes(argv, capsys):
    """`workbench report --config F` said only `unrecognized arguments: --config F`."""
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"workbench {argv[0]}: error: --config goes before the command: "
        f"workbench --config FILE {argv[0]} ...")


@pytest.mark.parametrize("argv, says", [
    (["report", "--month", "2025-13"], "argument --month: '2025-13' is not a month like 2026-05"),
    (["report", "--month", ""], "argument --month: '' is not a month like 2026-05"),
    (["sample", "--months", "0"], "argument --months: '0' is not a number of months"),
    (["sample", "--months", "x"], "argument --months: 'x' is not a number of months"),
    (["sample", "--rows", "0"], "argument --rows: '0' is not a number of rows"),
    (["sample", "--rows", "-5"], "argument --rows: '-5' is not a number of rows"),
    (["sample", "--end", "2026-5"], "argument --end: '2026-5' is not a month like 2026-05"),
    (["sample", "--end", "May"], "argument --end: 'May' is not a month like 2026-05"),
    # a sample's years reach past its months, and a load refuses dates outside 2000 to 2199
    (["sample", "--end", "9999-12"], "'9999-12' is not a month from 2010-01 to 2190-12"),
    (["sample", "--end", "2191-01"], "'2191-01' is not a month from 2010-01 to 2190-12"),
    (["sample", "--end", "2009-12", "--rows", "10"], "'2009-12' is not a month from 2010-01"),
    (["sample", "--seed", "-1"], "argument --seed: '-1' is not a seed"),
])
def test_bad_option_values_are_usage_errors_before_any_load(argv, says, tmp_path, capsys):
    """Exit 2 with the command's usage line; --data names nothing, so a load would fail (1)."""
    extra = (["--data", str(tmp_path / "none"), "--out", str(tmp_path / "pack")]
             if argv[0] == "report" else ["--out", str(tmp_path / "sample")])
    with pytest.raises(SystemExit) as exc:
        cli.main([*argv, *extra])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith(f"usage: workbench {argv[0]} ")
    assert says in err.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []  # nothing made, nothing loaded


def test_a_large_sample_to_a_parquet_name_is_a_usage_error(tmp_path, capsys):
    """`sample --rows N --out x.parquet` made a folder x.parquet holding a CSV."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["sample", "--rows", "10", "--out", str(tmp_path / "x.parquet")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith("usage: workbench sample ")
    assert err.splitlines()[-1] == (f"workbench sample: error: --out: {tmp_path / 'x.parquet'}: "
                                    "--rows writes CSV; name a .csv or .csv.gz file, or a folder")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, gzipped", [("x.CSV", False), ("x.Csv.GZ", True)])
def test_a_large_sample_to_an_upper_case_csv_name_is_that_file(tmp_path, name, gzipped):
    """`--out x.CSV` made a folder x.CSV holding focus-10.csv (the case of .parquet did not
    count either way); a .GZ name is gzipped as .gz is."""
    assert cli.main(["sample", "--rows", "10", "--out", str(tmp_path / name)]) == 0
    out = tmp_path / name
    assert out.is_file() and (out.read_bytes()[:2] == b"\x1f\x8b") == gzipped


def test_store_that_names_an_export_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["ingest", "--store", str(tmp_path / "s.parquet"), str(tmp_path)])
    assert exc.value.code == 2
    assert "the store is a DuckDB database file" in capsys.readouterr().err.splitlines()[-1]


def test_store_that_is_not_a_duckdb_file_is_one_line_and_kept(tmp_path, capsys):
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    notes = tmp_path / "notes.db"
    notes.write_text("my notes\n")
    assert cli.main(["ingest", "--store", str(notes), str(export)]) == 1
    assert capsys.readouterr().err == (
        f"error: {notes}: not a DuckDB database; the store is a DuckDB file (such as "
        "data/workbench.duckdb): name a new file or an existing store\n")
    assert notes.read_text() == "my notes\n"
    # nor does a report or an app, which rebuild the store they are given when it is stale
    from workbench.config import Config
    from workbench.errors import WorkbenchError
    from workbench.store import open_store
    with pytest.raises(WorkbenchError, match="not a DuckDB database"):
        open_store([str(export)], notes, Config(root=tmp_path))
    assert notes.read_text() == "my notes\n"


def test_an_empty_store_file_says_what_to_do_and_is_kept(tmp_path, capsys):
    """A `touch`ed store, or one a killed load left at 0 bytes: DuckDB's own words were
    "exists, but it is not a valid DuckDB database file!"."""
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    store = tmp_path / "s.duckdb"
    store.touch()
    assert cli.main(["ingest", str(export), "--store", str(store)]) == 1
    assert capsys.readouterr().err == (
        f"error: {store}: an empty file (0 bytes), not a DuckDB database; delete it and the "
        "next load makes the store there, or name another\n")
    assert store.read_bytes() == b""


def test_a_store_cut_short_says_so_and_is_kept(tmp_path, capsys):
    """A store a full disk or an interrupted copy cut short: said as such, not as DuckDB's
    `IO Error: Could not read enough bytes ... attempted to read 96 bytes`."""
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    store = tmp_path / "s.duckdb"
    assert cli.main(["ingest", str(export), "--store", str(store)]) == 0
    cut = store.read_bytes()[:4000]
    store.write_bytes(cut)
    capsys.readouterr()
    assert cli.main(["ingest", str(export), "--store", str(store)]) == 1
    assert capsys.readouterr().err == (f"error: {store}: the store is cut short (a disk that "
                                       "filled up, a copy interrupted); delete it and ingest again\n")
    assert store.read_bytes() == cut


def test_a_store_that_names_a_pipe_or_a_device_is_one_line_not_a_wait(tmp_path, capsys):
    """A pipe's first bytes were read to tell a DuckDB file: that read waited forever. And
    /dev/null, empty, was told to be deleted."""
    import os
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    pipe = tmp_path / "s.duckdb"
    os.mkfifo(pipe)
    for store in (Path(os.devnull), pipe):
        assert cli.main(["ingest", str(export), "--store", str(store)]) == 1
        assert capsys.readouterr().err == (
            f"error: {store}: not a regular file (a pipe or a device); the store is a DuckDB "
            "file (such as data/workbench.duckdb): name a new file or an existing store\n")


def test_a_store_that_names_a_folder_says_to_name_a_file(tmp_path, capsys):
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    assert cli.main(["ingest", str(export), "--store", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"error: {tmp_path}: a folder; the store is a DuckDB file: "
                                       f"name one, such as {tmp_path / 'workbench.duckdb'}\n")


def test_a_failed_ingest_into_a_new_store_leaves_no_file(tmp_path, capsys):
    """All or nothing: the store was not there, and is still not there (nor its lock)."""
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row(BilledCost="12,50")]))
    assert cli.main(["ingest", "--store", str(tmp_path / "fresh.duckdb"), str(bad)]) == 1
    assert capsys.readouterr().err.startswith(f"error: {bad}:1: BilledCost: not a number")
    assert [p.name for p in tmp_path.iterdir()] == ["bad.csv"]
    # nor the folders it would have been made in
    assert cli.main(["ingest", "--store", str(tmp_path / "new" / "deep" / "s.duckdb"), str(bad)]) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["bad.csv"]
    capsys.readouterr()
    # a store that was there stays, as it was
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([row()]))
    store = tmp_path / "s.duckdb"
    assert cli.main(["ingest", "--store", str(store), str(good)]) == 0
    before = store.read_bytes()
    assert cli.main(["ingest", "--store", str(store), str(bad)]) == 1
    assert store.read_bytes() == before


def test_commands_leave_no_lock_file(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([row()]))
    for _ in range(2):
        assert cli.main(["ingest", "--store", str(tmp_path / "s.duckdb"), str(good)]) == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv", "s.duckdb"]


def test_the_lock_holds_while_its_file_comes_and_goes(tmp_path):
    """Each holder removes the lock file on release; waiters that locked the removed file
    must not run beside one that locked the new one (no increment is lost)."""
    counter, target = tmp_path / "counter", tmp_path / "s.duckdb"
    counter.write_text("0")

    def bump():
        for _ in range(40):
            with file_lock(target):
                n = int(counter.read_text())
                time.sleep(0.0005)
                counter.write_text(str(n + 1))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.read_text() == "160"
    assert not Path(f"{target}.lock").exists()


def test_warnings_on_stderr_are_capped_with_a_count():
    assert warning_lines(["a", "b"], shown=5) == ["warning: a", "warning: b"]
    assert warning_lines(list("abcdef"), shown=5)[-1] == "warning: ... and 1 more warning"
    assert warning_lines(list("abcdefg"), shown=5)[-1] == "warning: ... and 2 more warnings"


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


def test_a_report_that_stops_at_its_load_leaves_no_out_folder_behind(tmp_path, capsys):
    """--out (or [report] out) is made before the load, to say at once when it cannot be;
    a load that then failed left it there, empty, with its parents."""
    (tmp_path / "reports").mkdir()
    out = tmp_path / "reports" / "may" / "pack"
    assert cli.main(["report", "--data", str(tmp_path / "none"), "--out", str(out)]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    assert list((tmp_path / "reports").iterdir()) == []


def test_report_out_of_the_config_that_cannot_be_a_folder_names_its_key_before_any_load(tmp_path, capsys):
    """[report] out is checked as --out is, before the load, and the line names the key in
    its file (it named `workbench.toml: report.out` only after the data was loaded)."""
    (tmp_path / "taken").write_text("a file\n")
    config = tmp_path / "workbench.toml"
    config.write_text('[report]\nout = "taken"\npdf = false\n')
    assert cli.main(["--config", str(config), "report", "--data", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: {config}: report.out: {tmp_path / 'taken'}: a file is in the way of this folder")


@pytest.mark.parametrize(("name", "text"), [
    # `--out exports/2026-05`, where a provider keeps its export's manifest.json
    ("manifest.json", '{"reportKeys": ["x.csv.gz"]}'),
    # `--out .` in a site's folder: an index.html of its own and no pack's manifest.json
    ("index.html", "<p>my site</p>"),
])
def test_a_report_into_a_folder_with_a_file_it_did_not_write_is_refused(tmp_path, capsys,
                                                                         name, text):
    """The pack wrote its own manifest.json or index.html over the folder's."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / name).write_text(text)
    assert cli.main(["report", "--data", str(tmp_path / "none"), "--out", str(folder)]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: --out: {folder}: its {name} was not written by a report, and the pack "
        "would replace it; choose another folder")
    assert (folder / name).read_text() == text


@pytest.mark.parametrize(("written", "ours"), [
    (b'\xef\xbb\xbf{"reportKeys": ["x.csv.gz"]}', False),  # a provider's, with a byte order mark
    ('{"Name": "Kosten\u00fcbersicht"}'.encode("latin-1"), False),  # in another encoding
    (b"", True),  # a pack's cut short: empty, or up to its command
    (b'{\n  "workbench_version": "0.1.0",\n  "command": "workbench report",\n  "mo', True),
])
def test_a_manifest_that_is_not_json_is_a_packs_only_when_it_begins_as_one(tmp_path, written, ours):
    """Any manifest.json Python could not read as JSON was taken as a pack's cut short and
    replaced: a provider's saved with a byte order mark was lost."""
    from workbench import report

    (tmp_path / "manifest.json").write_bytes(written)
    if ours:
        report.check_pack_folder(tmp_path, "--out")
    else:
        with pytest.raises(WorkbenchError, match="its manifest.json was not written by a report"):
            report.check_pack_folder(tmp_path, "--out")


def test_a_repeated_data_or_notebooks_option_adds_to_the_list():
    """`--data may.csv --data june.csv` read june.csv alone: the last option replaced the first."""
    parser = cli.build_parser()
    args = parser.parse_args(["report", "--data", "a.csv", "--data", "b.csv", "c.csv",
                              "--notebooks", "x", "--notebooks", "y"])
    assert args.data == ["a.csv", "b.csv", "c.csv"] and args.notebooks == ["x", "y"]
    assert parser.parse_args(["app", "--data", "a.csv", "--data", "b.csv"]).data == ["a.csv", "b.csv"]


def test_rebuilding_a_store_that_is_not_there_leaves_nothing_behind(tmp_path, capsys):
    """The lock was taken first: its folder stayed, empty, beside the error."""
    store = tmp_path / "data" / "workbench.duckdb"
    assert cli.main(["ingest", "--rebuild", "--store", str(store)]) == 1
    assert capsys.readouterr().err == f"error: {store}: store not found: nothing to rebuild\n"
    assert list(tmp_path.iterdir()) == []


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


@pytest.mark.parametrize("how", ["--config", "WORKBENCH_CONFIG"])
def test_a_config_that_names_a_folder_or_bad_text_says_so(how, tmp_path, monkeypatch, capsys):
    """Not "config file not found" for a folder that is there, nor Python's own words."""
    export = tmp_path / "a.csv"
    export.write_bytes(csv_bytes([row()]))
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"# caf\xe9\n")
    for config, said in ((tmp_path, f"a folder, not a config file; name the file, such as "
                                    f"{tmp_path / 'workbench.toml'}"),
                         (latin, "cannot read config: not UTF-8 text (byte 6); save it as UTF-8")):
        if how == "WORKBENCH_CONFIG":
            monkeypatch.setenv("WORKBENCH_CONFIG", str(config))
            argv = ["validate", str(export)]
        else:
            argv = ["--config", str(config), "validate", str(export)]
        assert cli.main(argv) == 1
        assert capsys.readouterr().err == f"error: {config}: {said}\n"


@pytest.mark.parametrize(("argv", "how"), [(["validate"], "PATH... (a file, folder or glob)"),
                                           (["ingest"], "PATH... (a file, folder or glob)"),
                                           (["report"], "--data PATH...")])
def test_no_exports_named_and_no_config_says_so(argv, how, tmp_path, monkeypatch, capsys):
    """Run in a folder of one's own exports, a bare command read the default [data] focus,
    the sample's folder, and said only that `data/sample/focus` was not there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_CONFIG", raising=False)
    assert cli.main(argv) == 1
    assert capsys.readouterr().err == (
        f"error: no exports named and no workbench.toml in {tmp_path} or a folder above it (the "
        f"default [data] focus, {tmp_path / 'data/sample/focus'}, is not there): pass {how}, "
        "or set [data] focus in a workbench.toml\n")
    assert not (tmp_path / "data").exists()


def test_report_says_whether_it_loads_and_prints_the_load_warnings(tmp_path, monkeypatch, capsys):
    """The load line is true for a store built now and for one used as it is, and what the
    load warned about goes to stderr as ingest prints it, not only into the pack's index."""
    from workbench import report

    monkeypatch.setattr(report, "run_all", lambda jobs, workers: [])  # the notebooks: not here
    monkeypatch.setattr(report, "ensure_kernel", lambda name=report.KERNEL: name)
    for name in ("WORKBENCH_CONFIG", "WORKBENCH_MODE"):  # run_report sets them for its kernels
        monkeypatch.setenv(name, "")
    export = (tmp_path / "may.csv").resolve()
    export.write_bytes(csv_bytes([row(), row(Tags='{"team"')]))
    config = tmp_path / "workbench.toml"
    config.write_text('[data]\nstore = "s.duckdb"\n')
    store = report.store_path(report.load_config(config), [str(export)])
    argv = ["--config", str(config), "report", "--data", str(export), "--no-pdf",
            "--out", str(tmp_path / "pack")]
    warning = (f"warning: {export}:2: Tags: not a JSON object of unique keys; row kept without "
               "tags: '{\"team\"'")
    assert cli.main(argv) == 0
    assert capsys.readouterr().err.splitlines()[:2] == [f"loading {export} into {store}", warning]
    assert cli.main(argv) == 0
    assert capsys.readouterr().err.splitlines()[:2] == [
        f"using the store {store}, already loaded from {export}", warning]


@pytest.mark.parametrize(("setting", "option", "says"), [
    ('month = "2025-01"', ["--month", "2025-02"], "no billing data for {}; the data covers 2026-05 to 2026-05"),
    ('notebooks = ["overview"]', ["--notebooks", "nope"], "no notebook {!r}; available: "),
])
def test_a_report_setting_from_the_config_is_named_as_its_key(setting, option, says, tmp_path, monkeypatch,
                                                              capsys):
    """A [report] month or notebooks in workbench.toml that cannot be used was said as
    `--month: ...` to a user who had passed no --month."""
    monkeypatch.setenv("WORKBENCH_CONFIG", "")  # run_report sets it for its kernels
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    config = tmp_path / "workbench.toml"
    config.write_text(f'[data]\nfocus = ["may.csv"]\nstore = "s.duckdb"\n[report]\n{setting}\n')
    key = setting.split(" ")[0]
    wrote = setting.split('"')[1]
    assert cli.main(["--config", str(config), "report", "--no-pdf"]) == 1
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith(f"error: {config}: report.{key}: " + says.format(wrote))
    assert cli.main(["--config", str(config), "report", "--no-pdf", *option]) == 1  # the option wins
    assert capsys.readouterr().err.splitlines()[-1].startswith(f"error: {option[0]}: " + says.format(option[1]))


def test_what_the_machine_refuses_is_one_line_not_an_internal_error():
    import duckdb

    from workbench.cli import _environment_error
    assert _environment_error(PermissionError(13, "Permission denied", "rodir/sub")) == \
        "rodir/sub: permission denied"
    assert _environment_error(OSError(28, "No space left on device")) == "no space left on device"
    assert _environment_error(duckdb.InterruptException("INTERRUPT Error: Interrupted!")) == \
        "interrupted"
    assert _environment_error(RuntimeError("Query interrupted")) == "interrupted"
    assert _environment_error(duckdb.IOException(
        'IO Error: Could not write file "s.duckdb": No space left on device')).startswith(
        "no space left on device: IO Error")
    # a store cut short (a disk that filled up, a copy interrupted): not a bug of ours
    assert _environment_error(duckdb.IOException(
        'IO Error: Could not read enough bytes from file "s.duckdb": attempted to read 4096 '
        "bytes from location 90112")) == (
        'Could not read enough bytes from file "s.duckdb": attempted to read 4096 bytes from '
        "location 90112: the file is cut short; if it is the store, delete it and ingest again")
    assert _environment_error(ValueError("a bug of ours")) is None


@pytest.mark.parametrize("limit", ["banana", "2 gigs", "1GB'"])
def test_a_bad_memory_limit_is_named_not_an_internal_error(limit, tmp_path, monkeypatch, capsys):
    """WORKBENCH_MEMORY_LIMIT=banana was `internal error (ParserException ...) ... report it`."""
    from workbench import store

    monkeypatch.setattr(store, "MEMORY_LIMIT", limit)
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    assert cli.main(["ingest", str(export), "--store", str(tmp_path / "s.duckdb")]) == 1
    assert capsys.readouterr().err == (
        f"error: WORKBENCH_MEMORY_LIMIT: {limit!r} is not a memory size like 2GB or 512MB\n")
    assert not (tmp_path / "s.duckdb").exists()


def test_chromium_set_to_no_file_says_so(tmp_path, monkeypatch, capsys):
    """WORKBENCH_CHROMIUM naming no file was told to `set WORKBENCH_CHROMIUM`, as if unset."""
    from workbench import report

    monkeypatch.setattr(report, "run_all", lambda jobs, workers: [])  # the notebooks: not here
    monkeypatch.setattr(report, "ensure_kernel", lambda name=report.KERNEL: name)
    for name in ("WORKBENCH_CONFIG", "WORKBENCH_MODE"):  # run_report sets them for its kernels
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(tmp_path / "chrome"))
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    config = tmp_path / "workbench.toml"
    config.write_text('[data]\nfocus = ["may.csv"]\nstore = "s.duckdb"\n')
    assert cli.main(["--config", str(config), "report", "--out", str(tmp_path / "pack")]) == 0
    assert (f"warning: WORKBENCH_CHROMIUM={tmp_path / 'chrome'}: no such file: PDFs skipped (point "
            "it at a Chromium binary, or unset it to use the installed chromium)"
            in capsys.readouterr().err.splitlines())


def test_a_process_of_the_workbench_does_not_compile_iri_grammars():
    """jsonschema (altair's, nbformat's) would compile rfc3987-syntax's grammars as it is
    imported, about 2 s of every report and of every kernel, for a format nothing checks."""
    code = ("import workbench, altair, nbformat, sys; "
            "print(sys.modules.get('rfc3987_syntax') is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"


def test_a_name_that_is_not_utf8_is_one_line_and_the_other_files_load(tmp_path, capsys):
    """A file or a store named in another encoding (Latin-1 from an old archive): DuckDB
    opens UTF-8 names only, and said `Python Conversion Failure`, or crashed; printed under
    a UTF-8 locale, such a name failed the whole command."""
    import os
    good = tmp_path / "ok.csv"
    good.write_bytes(csv_bytes([row()]))
    latin = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.csv"))
    latin.write_bytes(csv_bytes([row()]))
    said = ("its name is not UTF-8 text (written in another encoding), which the reader "
            "cannot open; rename it")
    assert cli.main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    shown = str(latin).encode("utf-8", "backslashreplace").decode()  # caf\udce9.csv
    assert out.splitlines()[:2] == [
        f"error: {shown}: {said}",
        f"{shown}: NOT USABLE: not FOCUS, rows not read, no charge period, 1 error, 0 warnings"]
    assert "1 usable, 1 with errors" in out
    store = tmp_path / "s.duckdb"
    assert cli.main(["ingest", str(tmp_path), "--store", str(store)]) == 1
    assert capsys.readouterr().err == f"error: {shown}: {said}\n" and not store.exists()
    with pytest.raises(SystemExit) as exc:
        cli.main(["ingest", str(good), "--store", os.fsdecode(b"st\xe9.duckdb")])
    assert exc.value.code == 2 and capsys.readouterr().err.rstrip().endswith(said)


def test_a_working_folder_that_is_gone_says_so(tmp_path, monkeypatch, capsys):
    """A shell left in a folder another command deleted: every relative path starts there.
    Said before as `error: no such file or directory`, naming nothing."""
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert cli.main(["validate", str(export)]) == 1
    assert capsys.readouterr().err == (
        "error: the working folder is not there any more (deleted, or replaced by a new one of "
        "that name); cd to a folder\n")


def test_a_file_written_to_while_it_is_loaded_is_refused_and_the_store_kept(
        tmp_path, monkeypatch, capsys):
    """A sync still writing an export: the rows read, the bytes hashed (recorded for rebuilds)
    and the file as it ends up would be three files. The load is refused, nothing changes."""
    from workbench import store as store_mod
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    store = tmp_path / "s.duckdb"
    assert cli.main(["ingest", str(export), "--store", str(store)]) == 0
    export.write_bytes(csv_bytes([row(), row(BilledCost="5")]))
    real = store_mod.sha256_file

    def hash_while_a_row_arrives(path):
        with open(path, "ab") as fh:
            fh.write(csv_bytes([row(BilledCost="7")]).split(b"\n", 1)[1])
        return real(path)
    monkeypatch.setattr(store_mod, "sha256_file", hash_while_a_row_arrives)
    assert cli.main(["ingest", str(export), "--store", str(store)]) == 1
    assert capsys.readouterr().err == (
        f"error: {export}: changed while it was read (is it still being written or synced?); "
        "ingest again once it is complete\n")
    from decimal import Decimal

    from workbench.store import Store
    with Store(store, read_only=True) as s:  # as the first load left it
        assert s.con.execute("SELECT count(*), sum(BilledCost) FROM charges").fetchone() == (
            1, Decimal("10.25"))


def test_a_store_in_a_folder_this_user_cannot_write_says_so(tmp_path, monkeypatch, capsys):
    """Its lock file cannot be made: said as the store's, not as `s.duckdb.lock: permission
    denied`. (Tests run as root, whom permissions do not stop: the refusal is simulated.)"""
    import builtins

    from workbench import delivery
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    store = tmp_path / "s.duckdb"
    assert cli.main(["ingest", str(export), "--store", str(store)]) == 0
    capsys.readouterr()

    def refused(path, *args, **kw):
        if str(path).endswith(".lock"):
            raise PermissionError(13, "Permission denied", str(path))
        return builtins.open(path, *args, **kw)
    monkeypatch.setattr(delivery, "open", refused, raising=False)
    assert cli.main(["ingest", str(export), "--store", str(store)]) == 1
    assert capsys.readouterr().err == (
        f"error: {store}: cannot write s.duckdb.lock beside the store (permission denied); a "
        "load needs the store's folder writable\n")


def _home_here_and_export(tmp_path: Path, monkeypatch) -> tuple[Path, Path, Path]:
    """A home folder (HOME), a working folder and a one-row export beside them."""
    home, here = tmp_path / "home", tmp_path / "here"
    home.mkdir()
    here.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(here)
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row()]))
    return home, here, export


def test_a_tilde_the_shell_left_as_it_is_means_the_home_folder(tmp_path, monkeypatch, capsys):
    """`--store=~/s.duckdb`: the shell expands no `~` after `=`, and a folder named `~` was
    made in the working folder (the next `rm -rf ~` deletes the home folder)."""
    home, here, export = _home_here_and_export(tmp_path, monkeypatch)
    assert cli.main(["ingest", str(export), "--store=~/s.duckdb"]) == 0
    assert (home / "s.duckdb").is_file() and list(here.iterdir()) == []
    # nor where no shell read it: WORKBENCH_CONFIG from an env file or a service's settings
    (home / "w.toml").write_text('[data]\nfocus = ["nothing-here"]\n')
    monkeypatch.setenv("WORKBENCH_CONFIG", "~/w.toml")
    assert cli.main(["validate"]) == 1
    assert capsys.readouterr().err.startswith(f"error: {home / 'nothing-here'}: no such file")


def test_a_store_named_with_a_leading_tilde_and_no_user_is_made_here(tmp_path, monkeypatch):
    """`--store ~s.duckdb` (no user `s.duckdb`): its lock and folder were here, but DuckDB,
    which expands a leading `~` itself, wrote the store beside the home folder
    (/home/us.duckdb)."""
    home, here, export = _home_here_and_export(tmp_path, monkeypatch)
    assert cli.main(["ingest", str(export), "--store", "~s.duckdb"]) == 0
    assert cli.main(["ingest", "--rebuild", "--store", "~s.duckdb"]) == 0
    assert (here / "~s.duckdb").is_file() and (here / "~s.duckdb.old").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "home", "may.csv"]

def test_a_configured_name_beginning_with_a_tilde_and_no_user_is_a_folder(tmp_path, monkeypatch,
                                                                         capsys):
    """`focus = ["~old"]` (no user `old`) and WORKBENCH_CONFIG=~ops.toml failed with an
    internal error: pathlib found no such user's home."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "~old").mkdir()
    (tmp_path / "~old" / "may.csv").write_bytes(csv_bytes([row()]))
    (tmp_path / "~ops.toml").write_text('[data]\nfocus = ["~old"]\n')
    monkeypatch.setenv("WORKBENCH_CONFIG", "~ops.toml")
    assert cli.main(["validate"]) == 0
    assert "1 file checked: 1 usable" in capsys.readouterr().out

@pytest.mark.parametrize(("column", "when"), [("ChargePeriodStart", "9999-12-01T00:00:00Z"),
                                              ("ChargePeriodEnd", "9999-12-31T00:00:00Z"),
                                              ("ChargePeriodStart", "0001-01-01T00:00:00Z"),
                                              ("BillingPeriodStart", "1900-01-01")])
def test_a_placeholder_date_is_one_line_not_an_internal_error(column, when, tmp_path, monkeypatch,
                                                              capsys):
    """A charge dated 9999 (or 0001, 1900: tools' placeholders for no date) passed validate
    and ingest, then made the report fail with an internal error (year 10000 is out of
    range). It is an error on its row, before anything is loaded."""
    from workbench import report

    monkeypatch.setattr(report, "run_all", lambda jobs, workers: [])  # the notebooks: not here
    monkeypatch.setattr(report, "ensure_kernel", lambda name=report.KERNEL: name)
    for name in ("WORKBENCH_CONFIG", "WORKBENCH_MODE"):
        monkeypatch.setenv(name, "")
    export = tmp_path / "may.csv"
    export.write_bytes(csv_bytes([row(), row(**{column: when})]))
    config = tmp_path / "workbench.toml"
    config.write_text('[data]\nstore = "s.duckdb"\n')
    for argv in (["validate", str(export)], ["ingest", str(export)],
                 ["report", "--data", str(export), "--no-pdf", "--out", str(tmp_path / "pack")]):
        assert cli.main(["--config", str(config), *argv]) == 1, argv
        got = capsys.readouterr()
        said = [line for line in (got.out + got.err).splitlines() if line.startswith("error:")]
        assert said[0].startswith(f"error: {export}:2: {column}: not a plausible date: "), argv
        assert "a charge is dated from 2000 to 2199" in said[0]
    assert not (tmp_path / "pack").exists()


def test_a_charge_of_the_last_day_of_2199_ends_in_2200_and_loads(tmp_path, monkeypatch, capsys):
    """A period's end is exclusive: a charge of 31 December 2199 ends at 2200-01-01T00:00Z,
    which was refused as a date outside 2000 to 2199."""
    for name in ("WORKBENCH_CONFIG", "WORKBENCH_MODE"):
        monkeypatch.setenv(name, "")
    export = tmp_path / "dec.csv"
    export.write_bytes(csv_bytes([row(ChargePeriodStart="2199-12-31T00:00:00Z",
                                      ChargePeriodEnd="2200-01-01T00:00:00Z",
                                      BillingPeriodStart="2199-12-01T00:00:00Z",
                                      BillingPeriodEnd="2200-01-01T00:00:00Z")]))
    store = tmp_path / "s.duckdb"
    for argv in (["validate", str(export)], ["ingest", str(export), f"--store={store}"]):
        assert cli.main(argv) == 0, (argv, capsys.readouterr())
    said = capsys.readouterr().out.splitlines()
    assert said[-1].split() == ["2199-12-01T00:00:00Z", "USD", "1", "10.25", "9.75"]
