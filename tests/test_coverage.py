"""How far each provider's data reaches: the report's default month, the manifest's
`coverage` and the index's notices when a month is partial or a provider's export lags."""

from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pytest
from focus_export import COLUMNS, write_export

from workbench import coverage, overview, report_index
from workbench.config import Config
from workbench.store import Store

LATER = date(2026, 1, 15)  # "today", months after the data


def spans(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """Store.provider_coverage()'s frame: (provider, start, end exclusive)."""
    return pd.DataFrame({"provider": [r[0] for r in rows],
                         "start": [pd.Timestamp(r[1]) for r in rows],
                         "end": [pd.Timestamp(r[2]) for r in rows]})


def monthly_invoices(path, provider: str, months: list[str]) -> None:
    """An API provider billed in one row a month (no daily rows at all)."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for m in months:
            start, end = f"{m}-01T00:00:00Z", (pd.Timestamp(f"{m}-01") + pd.offsets.MonthBegin(1))
            end = end.strftime("%Y-%m-%dT00:00:00Z")
            w.writerow(["api-1", "Example Ltd", start, end, start, end, "EUR", "90.00", "90.00",
                        "90.00", "90.00", "Usage", "", "Tokens", provider, provider, provider,
                        "AI and Machine Learning", "Models API", "", "", "", "1", "Tokens",
                        "sub-1", "production", ""])


def test_each_provider_is_read_by_its_own_rows(tmp_path):
    """A lagging export's monthly credit must not make its month look complete, and an API
    billed only in monthly rows covers what those rows cover."""
    write_export(tmp_path / "alpha.csv", months=3, providers=("Alpha Cloud",))
    write_export(tmp_path / "beta.csv", months=3, providers=("Beta Cloud",), until=date(2025, 5, 21))
    monthly_invoices(tmp_path / "gamma.csv", "Gamma API", ["2025-03", "2025-04", "2025-05"])
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(tmp_path)])
        got = s.provider_coverage()
        assert got.to_dict("records") == [
            {"provider": "Alpha Cloud", "start": pd.Timestamp("2025-03-01"), "end": pd.Timestamp("2025-06-01")},
            {"provider": "Beta Cloud", "start": pd.Timestamp("2025-03-01"), "end": pd.Timestamp("2025-05-21")},
            {"provider": "Gamma API", "start": pd.Timestamp("2025-03-01"), "end": pd.Timestamp("2025-06-01")}]
        # the whole data reaches May's end (Alpha), but Beta's export stops on the 20th
        assert s.coverage()[1] == pd.Timestamp("2025-06-01")
        assert coverage.last_complete_month(s.months(), s.provider_coverage(), LATER) == "2025-04"
        cov = coverage.month_coverage("2025-05", s.coverage(), got, s.months(), LATER)
    assert cov["month_complete"] is False
    assert (cov["first_day"], cov["last_day"]) == ("2025-05-01", "2025-05-31")
    assert cov["providers"] == [
        {"provider": "Alpha Cloud", "last_day": "2025-05-31", "complete": True, "stopped": False},
        {"provider": "Beta Cloud", "last_day": "2025-05-20", "complete": False, "stopped": False},
        {"provider": "Gamma API", "last_day": "2025-05-31", "complete": True, "stopped": False}]


def test_a_lagging_provider_holds_the_default_month_back_and_is_named():
    data = spans(("AWS", "2025-01-01", "2025-06-29"), ("Azure", "2025-01-01", "2025-07-02"))
    months = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07"]
    assert coverage.last_complete_month(months, data, date(2025, 7, 3)) == "2025-05"
    may = coverage.month_coverage("2025-05", (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-07-02")),
                                  data, months, date(2025, 7, 3))
    assert may["month_complete"] is True and may["ended_before"] == []
    assert may["held_back"] == {"month": "2025-06",
                                "lagging": [{"provider": "AWS", "last_day": "2025-06-28"}]}
    # once AWS catches up, June is the default and nothing is held back
    caught_up = spans(("AWS", "2025-01-01", "2025-07-01"), ("Azure", "2025-01-01", "2025-07-02"))
    assert coverage.last_complete_month(months, caught_up, date(2025, 7, 3)) == "2025-06"
    assert coverage.held_back(months, caught_up, "2025-06", date(2025, 7, 3)) is None


def test_an_invoice_not_delivered_yet_holds_its_month_back():
    """A monthly invoice arrives after its month: until then the API's data ends the day
    before the month begins, and the month is not complete."""
    data = spans(("AWS", "2025-01-01", "2025-07-02"), ("Lexica", "2025-01-01", "2025-06-01"))
    months = ["2025-05", "2025-06", "2025-07"]
    assert coverage.last_complete_month(months, data, date(2025, 7, 3)) == "2025-05"
    june = coverage.month_coverage("2025-06", (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-07-02")),
                                   data, months, date(2025, 7, 3))
    assert june["month_complete"] is False
    assert june["providers"][1] == {"provider": "Lexica", "last_day": "2025-05-31", "complete": False, "stopped": False}


def test_a_provider_no_longer_used_holds_back_its_last_month_only_while_it_may_lag():
    # 17 days behind the newest data: an export that may lag, so its month waits
    lag = spans(("Old Cloud", "2024-01-01", "2025-03-15"), ("AWS", "2024-01-01", "2025-04-01"))
    months = ["2025-02", "2025-03", "2025-04", "2025-05"]
    assert coverage.last_complete_month(months, lag, date(2025, 4, 2)) == "2025-02"
    # more than a month behind: taken as stopped, it holds back no month, and its last says so
    data = spans(("Old Cloud", "2024-01-01", "2025-03-15"), ("AWS", "2024-01-01", "2025-06-01"))
    assert coverage.last_complete_month(months, data, date(2025, 4, 2)) == "2025-03"
    assert coverage.last_complete_month(months, data, date(2025, 6, 2)) == "2025-05"
    whole = (pd.Timestamp("2024-01-01"), pd.Timestamp("2025-06-01"))
    march = coverage.month_coverage("2025-03", whole, data, months, date(2025, 6, 2))
    assert march["month_complete"] is True
    assert march["providers"] == [
        {"provider": "Old Cloud", "last_day": "2025-03-14", "complete": False, "stopped": True},
        {"provider": "AWS", "last_day": "2025-03-31", "complete": True, "stopped": False}]
    april = coverage.month_coverage("2025-04", whole, data, months, date(2025, 6, 2))
    assert april["month_complete"] is True and [p["provider"] for p in april["providers"]] == ["AWS"]
    # the month after it stopped still names it: it may be an export more than a month late
    assert april["ended_before"] == [{"provider": "Old Cloud", "last_day": "2025-03-14"}]
    assert coverage.month_coverage("2025-05", whole, data, months)["ended_before"] == []
    # a provider taken on later is not missing from the months before it
    newer = spans(("AWS", "2024-01-01", "2025-06-01"), ("New AI", "2025-05-10", "2025-06-01"))
    assert coverage.last_complete_month(months, newer, date(2025, 6, 2)) == "2025-05"
    assert [p["provider"] for p in coverage.month_coverage("2025-04", whole, newer, months)["providers"]] == ["AWS"]


def test_the_current_month_is_never_the_default():
    data = spans(("AWS", "2025-05-01", "2025-07-01"))
    assert coverage.last_complete_month(["2025-05", "2025-06"], data, date(2025, 6, 30)) == "2025-05"
    assert coverage.last_complete_month(["2025-06"], data, date(2025, 6, 30)) is None


def test_a_month_the_data_starts_or_ends_inside_is_partial():
    data = spans(("AWS", "2025-05-10", "2025-06-20 12:00"))
    whole = (pd.Timestamp("2025-05-10"), pd.Timestamp("2025-06-20 12:00"))
    may = coverage.month_coverage("2025-05", whole, data, ["2025-05", "2025-06"], LATER)
    assert may["month_complete"] is False and (may["first_day"], may["last_day"]) == ("2025-05-10", "2025-05-31")
    assert may["providers"] == [{"provider": "AWS", "last_day": "2025-05-31", "complete": True, "stopped": False}]
    june = coverage.month_coverage("2025-06", whole, data, ["2025-05", "2025-06"], LATER)
    assert (june["first_day"], june["last_day"]) == ("2025-06-01", "2025-06-20 12:00")
    assert june["providers"] == [{"provider": "AWS", "last_day": "2025-06-20 12:00", "complete": False, "stopped": False}]


def test_a_month_compared_with_that_the_data_covers_in_part_is_named():
    """Data that starts inside the month before makes the month look like a rise: the
    months compared with (the one before, the same a year before) that the data covers in
    part are named, with the days it covers."""
    months = ["2024-06", "2024-07", "2025-05", "2025-06", "2025-07"]
    data = spans(("AWS", "2025-05-16", "2025-08-01"))
    whole = (pd.Timestamp("2025-05-16"), pd.Timestamp("2025-08-01"))
    june = coverage.month_coverage("2025-06", whole, data, months, LATER)
    assert june["month_complete"] is True
    # 2024-06 is a month of the data that its days do not reach (month-long rows only)
    assert june["partial_compared"] == [{"month": "2025-05", "first_day": "2025-05-16",
                                         "last_day": "2025-05-31"},
                                        {"month": "2024-06", "first_day": None, "last_day": None}]
    assert coverage.month_coverage("2025-07", whole, data, months, LATER)["partial_compared"] == [
        {"month": "2024-07", "first_day": None, "last_day": None}]  # June is whole
    year = (pd.Timestamp("2024-06-20"), pd.Timestamp("2025-08-01"))
    assert coverage.partial_compared(year, "2025-06", months) == [
        {"month": "2024-06", "first_day": "2024-06-20", "last_day": "2024-06-30"}]
    notes = report_index.coverage_notes(june, "2025-06")
    assert notes[0] == ("The data for 2025-05, which 2025-06 is compared with, covers "
                        "2025-05-16 to 2025-05-31 only: a change against it is not one between "
                        "whole months.")


@pytest.mark.parametrize("cov, says", [
    ({"month_complete": True, "first_day": "2025-05-01", "last_day": "2025-05-31",
      "providers": [{"provider": "AWS", "last_day": "2025-05-31", "complete": True, "stopped": False}],
      "ended_before": [], "held_back": None}, []),
    ({"month_complete": False, "first_day": "2025-05-10", "last_day": "2025-05-31",
      "providers": [{"provider": "AWS", "last_day": "2025-05-31", "complete": True, "stopped": False}],
      "ended_before": [], "held_back": None},
     ["The data for 2025-05 covers 2025-05-10 to 2025-05-31 only, not the whole month"]),
    ({"month_complete": False, "first_day": "2025-05-01", "last_day": "2025-05-31",
      "providers": [{"provider": "AWS", "last_day": "2025-05-20", "complete": False, "stopped": False},
                    {"provider": "Azure", "last_day": "2025-05-31", "complete": True, "stopped": False}],
      "ended_before": [{"provider": "Old <Cloud>", "last_day": "2025-04-14"}],
      "held_back": {"month": "2025-06", "lagging": [{"provider": "AWS", "last_day": "2025-05-20"}]}},
     ["The data of AWS (last day 2025-05-20) stops before the end of 2025-05; the other "
      "providers' data does.",
      "No charges in 2025-05 from Old <Cloud> (last day 2025-04-14)",
      "2025-06 is not the default month yet: the data of AWS (last day 2025-05-20) stops"]),
])
def test_the_index_says_what_the_month_lacks_before_its_figures(cov, says):
    head = pd.DataFrame([{"currency": "EUR", "month": "2025-05", "cost": 10.0, "previous_month": "2025-04",
                          "previous": 5.0, "previous_change": 5.0, "previous_change_pct": 1.0,
                          "last_year_month": "2024-05", "last_year": float("nan"),
                          "last_year_change": float("nan"), "last_year_change_pct": float("nan"),
                          "billed_cost": 10.0}])
    manifest = {"month": "2025-05", "workbench_version": "0", "finished": "now",
                "pdf": {"enabled": False, "warning": None}, "inputs": [], "missing_inputs": [],
                "notebooks": [], "coverage": cov}
    out = report_index.index_html(manifest, head)
    notes = report_index.coverage_notes(cov, "2025-05")
    assert len(notes) == len(says) and all(n.startswith(s) for n, s in zip(notes, says, strict=True))
    assert out.count('class="wb-notice wb-coverage"') == len(says)
    if says:  # read before the figures they qualify
        assert out.index('class="wb-notice wb-coverage"') < out.index('<div class="wb-figures')
    assert "<Cloud>" not in out and ("Old &lt;Cloud&gt;" in out) == (len(says) == 3)


@pytest.mark.parametrize("lagging, says", [
    (["AWS"], "What was charged after that day is missing from this report."),
    (["AWS", "OCI"], "What was charged after those days is missing from this report."),
])
def test_what_lagging_providers_leave_out_is_said_in_one_sentence(lagging, says):
    cov = {"month_complete": False, "first_day": "2025-05-01", "last_day": "2025-05-31",
           "providers": [{"provider": p, "last_day": "2025-05-20", "complete": p not in lagging,
                          "stopped": False} for p in ("AWS", "Azure", "OCI")],
           "ended_before": [], "held_back": None}
    assert report_index.coverage_notes(cov, "2025-05")[0].endswith(says)


def test_inclusive_ends_and_rows_with_no_provider_hold_no_month_back(tmp_path):
    """An export that ends its days at 23:59:59 covers them, and a few rows with no provider
    name (a blank cell, not an export) are no provider that lags."""
    write_export(tmp_path / "alpha.csv", months=3, providers=("Alpha Cloud",))
    write_export(tmp_path / "oci.csv", months=3, providers=("Oracle Cloud",))
    oci = pd.read_csv(tmp_path / "oci.csv", dtype=str, keep_default_na=False)
    end = pd.to_datetime(oci["ChargePeriodEnd"]) - pd.Timedelta(seconds=1)
    oci["ChargePeriodEnd"] = end.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    oci.to_csv(tmp_path / "oci.csv", index=False)
    alpha = pd.read_csv(tmp_path / "alpha.csv", dtype=str, keep_default_na=False)
    early = alpha.index[alpha["ChargePeriodStart"].str.startswith("2025-04-1")][:2]
    alpha.loc[early, ["ProviderName", "PublisherName", "InvoiceIssuerName"]] = ""
    alpha.to_csv(tmp_path / "alpha.csv", index=False)
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(tmp_path)])
        got = s.provider_coverage()
        assert "(none)" in set(got["provider"])  # the blank rows are there, under no name
        assert got.set_index("provider").loc["Oracle Cloud", "end"] == pd.Timestamp("2025-06-01")
        assert s.coverage()[1] == pd.Timestamp("2025-06-01")
        assert coverage.last_complete_month(s.months(), s.provider_coverage(), LATER) == "2025-05"
        cov = coverage.month_coverage("2025-05", s.coverage(), got, s.months(), LATER)
    assert cov["month_complete"] is True
    assert [p["provider"] for p in cov["providers"]] == ["Alpha Cloud", "Oracle Cloud"]


def test_a_later_month_held_back_is_said_on_the_default_month_only_and_a_month_in_progress_is():
    data = spans(("AWS", "2025-01-01", "2025-06-29"), ("Azure", "2025-01-01", "2025-07-02"))
    months = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07"]
    whole = (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-07-02"))
    today = date(2025, 7, 3)
    assert coverage.month_coverage("2025-05", whole, data, months, today)["held_back"]["month"] == "2025-06"
    assert coverage.month_coverage("2025-03", whole, data, months, today)["held_back"] is None
    july = coverage.month_coverage("2025-07", whole, data, months, today)
    assert july["in_progress"] is True and july["month_complete"] is False
    notes = report_index.coverage_notes(july, "2025-07")
    assert notes[0] == "2025-07 is not over yet: the data runs to 2025-07-01, and its figures are month-to-date."
    assert not coverage.month_coverage("2025-05", whole, data, months, today)["in_progress"]


def test_a_provider_with_none_of_the_held_month_is_said_to_be_maybe_renamed_or_closed():
    data = spans(("AWS", "2025-01-01", "2025-06-01"), ("Amazon Web Services", "2025-06-01", "2025-07-01"))
    months = ["2025-04", "2025-05", "2025-06"]
    whole = (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-07-01"))
    may = coverage.month_coverage("2025-05", whole, data, months, date(2025, 7, 2))
    assert may["held_back"] == {"month": "2025-06", "lagging": [{"provider": "AWS", "last_day": "2025-05-31"}]}
    assert "renamed or no longer used" in report_index.coverage_notes(may, "2025-05")[-1]
    # a month on, with no newer AWS data, the rename holds nothing back
    later = pd.concat([data.iloc[:1], spans(("Amazon Web Services", "2025-06-01", "2025-08-02"))])
    assert coverage.last_complete_month([*months, "2025-07"], later, date(2025, 8, 3)) == "2025-07"


def test_an_export_is_named_by_its_issuer_with_the_sellers_the_charts_show():
    assert coverage.export_label("AWS", ["AWS", "Datadog"]) == "AWS"
    assert coverage.export_label("Amazon Web Services, Inc.", ["AWS"]) == "Amazon Web Services, Inc. (AWS)"
    assert coverage.export_label("Google", ["Google Cloud", "(none)"]) == "Google (Google Cloud)"
    assert (coverage.export_label("Big Marketplace", list("EDCBA"))
            == "Big Marketplace (A, B, C, 2 more)")
    assert coverage.export_label("(none)", ["AWS"]) == "(none)"


def test_notes_name_an_issuer_with_the_provider_its_charts_show(tmp_path):
    """An export whose invoice issuer is named otherwise than its provider: a lagging export's
    note says which provider of the charts it is about."""
    write_export(tmp_path / "aws.csv", months=3, providers=("AWS",))
    aws = pd.read_csv(tmp_path / "aws.csv", dtype=str, keep_default_na=False)
    aws["InvoiceIssuerName"] = "Amazon Web Services, Inc."
    aws.to_csv(tmp_path / "aws.csv", index=False)
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(tmp_path)])
        assert s.provider_coverage()["provider"].tolist() == ["Amazon Web Services, Inc. (AWS)"]


def test_a_day_in_local_time_the_clocks_go_back_in_is_covered_to_its_end(tmp_path):
    """Google Cloud dates its rows by Pacific days: 2025-11-02 runs 25 hours in UTC (07:00
    to 08:00 the next day). It is a day of the export's like the others: its data reaches
    08:00 on 2025-11-03, and the export begins at that day's start when it begins with it."""
    from zoneinfo import ZoneInfo
    pacific = ZoneInfo("America/Los_Angeles")

    def day(d: date) -> list[str]:
        start, end = (pd.Timestamp(x).tz_localize(pacific).tz_convert("UTC")
                      for x in (d, d + pd.Timedelta(days=1)))
        at = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (start, end)]
        return ["gcp-1", "Example Ltd", "2025-11-01T00:00:00Z", "2025-12-01T00:00:00Z", *at,
                "USD", "10.00", "10.00", "10.00", "10.00", "Usage", "", "Compute", "Google Cloud",
                "Google Cloud", "Google Cloud", "Compute", "Compute Engine", "", "", "", "1",
                "Hours", "sub-1", "production", ""]

    for name, days in (("ends.csv", [date(2025, 10, 31), date(2025, 11, 1), date(2025, 11, 2)]),
                       ("starts.csv", [date(2025, 11, 2), date(2025, 11, 3)])):
        with open(tmp_path / name, "w", newline="") as fh:
            csv.writer(fh).writerows([COLUMNS, *map(day, days)])
        with Store(":memory:", Config(root=tmp_path)) as s:
            s.ingest([str(tmp_path / name)])
            got = s.provider_coverage().iloc[0]
        # a first row that is a day of local time begins its UTC day (coverage.opening)
        expected = {"ends.csv": ("2025-10-31", "2025-11-03 08:00"),
                    "starts.csv": ("2025-11-02", "2025-11-04 08:00")}[name]
        assert (got["start"], got["end"]) == tuple(map(pd.Timestamp, expected))


def _rows(first: str, hours: int, count: int) -> list[list[str]]:
    """`count` rows of `hours` each from `first` (UTC), in the columns of focus_export."""
    out = []
    for i in range(count):
        start = pd.Timestamp(first) + pd.Timedelta(hours=hours * i)
        at = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (start, start + pd.Timedelta(hours=hours))]
        out.append(["gcp-1", "Example Ltd", "2025-08-01T07:00:00Z", "2025-09-01T07:00:00Z", *at,
                    "USD", "10.00", "10.00", "10.00", "10.00", "Usage", "", "Compute",
                    "Google Cloud", "Google Cloud", "Google Cloud", "Compute", "Compute Engine",
                    "", "", "", "1", "Hours", "sub-1", "production", ""])
    return out


@pytest.mark.parametrize("hours, count, whole", [(24, 31, True), (1, 31 * 24, False)])
def test_an_export_that_begins_with_a_day_of_local_time_covers_its_first_month(tmp_path, hours,
                                                                               count, whole):
    """Google Cloud's export begins with its first invoice month, whose first Pacific day
    starts at 07:00 UTC. A charge counts in the month its period starts, so August holds its
    31 days whole: no note may call it partial and its figures low. Hourly rows from 07:00
    leave August's first seven hours out, and that month stays partial."""
    with open(tmp_path / "gcp.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([COLUMNS, *_rows("2025-08-01 07:00", hours, count)])
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(tmp_path / "gcp.csv")])
        got = coverage.month_coverage("2025-08", s.coverage(), s.provider_coverage(), s.months(),
                                      LATER)
    assert got["month_complete"] is whole
    assert got["first_day"] == ("2025-08-01" if whole else "2025-08-01 07:00")
    notes = report_index.coverage_notes(got, "2025-08")
    assert any("not the whole month" in n for n in notes) is not whole


def test_a_refund_of_a_month_before_the_export_does_not_date_the_data_back(tmp_path):
    """A refund of a July charge on August's invoice, in an export that begins in August: July
    holds that refund and none of its days. The data is not said to cover July from the
    refunded day, and August's comparison with July says July has none of its days."""
    path = tmp_path / "aws.csv"
    write_export(path, year=2025, month=8, currency="USD", months=2)
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    refund = list(rows[1])
    refund[COLUMNS.index("ChargePeriodStart")] = "2025-07-20T00:00:00Z"
    refund[COLUMNS.index("ChargePeriodEnd")] = "2025-07-21T00:00:00Z"
    for c in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        refund[COLUMNS.index(c)] = "-33.10"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows([*rows, refund])
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(path)])
        assert "2025-07" in s.months()  # the refund counts in the month it corrects
        assert s.coverage()[0] == pd.Timestamp("2025-08-01")
        assert s.provider_coverage()["start"].tolist() == [pd.Timestamp("2025-08-01")]
        got = coverage.month_coverage("2025-08", s.coverage(), s.provider_coverage(), s.months(),
                                      LATER)
    assert got["month_complete"] is True
    assert got["partial_compared"] == [{"month": "2025-07", "first_day": None, "last_day": None}]
    assert report_index.coverage_notes(got, "2025-08") == [
        "The data holds none of the days of 2025-07, which 2025-08 is compared with, only "
        "charges billed for the whole month or on a later invoice (a correction): a change "
        "against it is not one between whole months."]


def test_how_far_each_provider_is_delivered_goes_per_currency(tmp_path):
    """Store.delivery_ends reads each export per currency by its daily rows (a monthly
    credit or invoice row does not make it reach the month's end; an API billed only by
    the month reaches what its rows cover), so the overview can tell an export not
    delivered past a day from a fall."""
    write_export(tmp_path / "alpha.csv", months=3, providers=("Alpha Cloud",), currency="USD")
    write_export(tmp_path / "beta.csv", months=3, providers=("Beta Cloud",), until=date(2025, 5, 21))
    monthly_invoices(tmp_path / "gamma.csv", "Gamma API", ["2025-03", "2025-04", "2025-05"])
    with Store(":memory:", Config(root=tmp_path)) as s:
        s.ingest([str(tmp_path)])
        ends = s.delivery_ends()
        end = s.coverage()[1]
    assert ends.to_dict("records") == [
        {"provider": "Alpha Cloud", "currency": "USD", "end": pd.Timestamp("2025-06-01")},
        {"provider": "Beta Cloud", "currency": "EUR", "end": pd.Timestamp("2025-05-21")},
        {"provider": "Gamma API", "currency": "EUR", "end": pd.Timestamp("2025-06-01")}]
    assert overview.short_of(ends, "2025-05", end) == {"EUR": {"Beta Cloud": "2025-05-20"}}
    assert overview.short_of(ends, "2025-04", end) == {}  # whole for everyone
