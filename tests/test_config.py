from pathlib import Path

import pytest
from pydantic import ValidationError

from workbench.config import (
    DEFAULT_WORKLOAD_RULES,
    Config,
    ConfigError,
    find_config,
    load_config,
    parse_config,
)


def test_defaults_without_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config()
    assert cfg.data.store == "data/workbench.duckdb"
    assert cfg.workloads == DEFAULT_WORKLOAD_RULES
    assert cfg.tags.team[0] == "team"


def test_repository_config_is_valid():
    cfg = load_config(Path(__file__).parents[1] / "workbench.toml")
    assert cfg.report.pdf is True
    assert cfg.path(cfg.data.store).is_absolute()


def test_found_in_parent_folder(tmp_path, monkeypatch):
    (tmp_path / "workbench.toml").write_text('[data]\nstore = "x.duckdb"\n')
    sub = tmp_path / "notebooks"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert find_config() == tmp_path / "workbench.toml"
    cfg = load_config()
    assert cfg.path(cfg.data.store) == tmp_path / "x.duckdb"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[data]\nstroe = "x"\n', "data.stroe: unknown key"),
        ('[tags]\nteam = []\n', "tags.team:"),
        ('[tags]\nteam = "team"\n', 'tags.team: should be a list, like ["team"]'),
        ('[data]\nfocus = "exports"\n', 'data.focus: should be a list, like ["exports"]'),
        ("data = 1\n", "data: should be a table (a [section] or { key = value, ... })"),
        ('[workloads]\nclass = "training"\nmatch = { ResourceName = "x" }\n',
         "workloads: should be a list of tables: write each one as [[workloads]]"),
        ('[[workloads]]\nclass = "training"\nmatch = "(?i)train"\n', "workloads[0].match: should be a table"),
        ('[[workloads]]\nclass = "gaming"\nmatch = { ResourceName = "x" }\n', "workloads[0].class: unknown workload class 'gaming'"),
        ('[[workloads]]\nclass = "training"\nmatch = { Colour = "x" }\n', "workloads[0].match: cannot match on 'Colour'"),
        ('[[workloads]]\nclass = "training"\nmatch = { ResourceName = "(" }\n', "bad regular expression"),
        ('[report]\nmonth = "2026-13"\n', "report.month: '2026-13' is not a month"),
        ('[app]\nport = 0\n', "app.port:"),
        # an empty path would be the config's own folder: scanned as exports, or the store
        ('[data]\nfocus = [""]\n', "data.focus[0]: an empty path"),
        ('[data]\nstore = " "\n', "data.store: an empty path"),
        ('[data]\ndrivers = ""\n', "data.drivers: an empty path"),
        ('[report]\nout = ""\n', "report.out: an empty path"),
        # no tag is keyed "": the dimension would be Unallocated without a word
        ('[tags]\nteam = ["team", " "]\n', "tags.team[1]: an empty tag key"),
        # TOML has types: a value of another is named, never converted
        ('[report]\npdf = "no"\n', 'report.pdf: should be true or false, not "no"'),
        ('[app]\npool_size = true\n', "app.pool_size: should be a whole number, not true"),
        ('[app]\nport = "8866"\n', 'app.port: should be a whole number, not "8866"'),
        ('[report]\nmonth = 2026-05-01\n', "report.month: should be a quoted string, not 2026-05-01"),
        # the value quoted as TOML writes it, not as Python shows it ({'a': 1}, ['a'], NaN)
        ('[data]\ndrivers = { path = "d.csv" }\n',
         'data.drivers: should be a quoted string, not { path = "d.csv" }'),
        ('[data]\nfocus = [["a"]]\n', 'data.focus[0]: should be a quoted string, not ["a"]'),
        ('[app]\nport = nan\n', "app.port: should be a whole number, not nan"),
        ('[report]\nout = 2026-01-01T00:00:00Z\n',
         "report.out: should be a quoted string, not 2026-01-01T00:00:00+00:00"),
        ('[data]\nfocus = 1\n', "data.focus: should be a list, not 1"),
        # a list of names written as a table: no [[...]] advice, which is for [[workloads]]
        ('[tags.team]\nkey = "team"\n', 'tags.team: should be a list, not { key = "team" }'),
        ("[report.notebooks]\n", "report.notebooks: should be a list, not {}"),
        ('workloads = "x"\n', "workloads: should be a list of tables: write each one as [[workloads]]"),
        # an empty host serves on every interface
        ('[app]\nhost = ""\n', "app.host: an empty host would serve on every interface"),
        # sections kept for later capabilities hold no key yet: none is taken silently
        ('[forecast]\nhorizon = 90\n', "forecast.horizon: unknown key"),
        ('[budgets]\nmonthly = 1000\n', "budgets.monthly: unknown key"),
        ('[chargeback]\n', "chargeback: unknown key"),
        ('root = "/elsewhere"\n', "root: unknown key"),
        ("[data\n", "not valid TOML"),
    ],
)
def test_errors_name_the_key(text, expected):
    with pytest.raises(ConfigError) as exc:
        parse_config(text, "workbench.toml")
    assert expected in str(exc.value)
    assert str(exc.value).startswith("workbench.toml: ")


def test_user_rules_replace_defaults():
    cfg = parse_config('[[workloads]]\nclass = "training"\nmatch = { ResourceName = "(?i)gpu" }\n')
    assert len(cfg.workloads) == 1
    assert cfg.workloads[0].workload_class == "training"
    assert parse_config("workloads = []\n").workloads == []  # every rule off, as the README says


def test_a_file_saved_with_a_byte_order_mark_reads(tmp_path):
    """Notepad may save UTF-8 with a BOM: TOML read it as a statement it did not know."""
    path = tmp_path / "workbench.toml"
    path.write_bytes(b"\xef\xbb\xbf[app]\r\nport = 8870\r\n")
    assert load_config(path).app.port == 8870


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_config_is_immutable():
    with pytest.raises(ValidationError, match="frozen"):
        Config().data.store = "elsewhere"


def test_sections_kept_for_later_may_be_there_empty():
    cfg = parse_config("[allocation]\n[budgets]\n[scenarios]\n[forecast]\n")
    assert cfg.data.store == "data/workbench.duckdb"
