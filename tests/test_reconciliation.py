"""Money reconciles through every layer: random small FOCUS exports give the same totals per
currency and month from an exact sum of the rows, `validate --json`, the store, the query
frames, the overview's headline and breakdowns, and the report index's headline figures.

Amounts are compared exactly where a layer keeps decimals, and in the currency's smallest
unit (rounded half up) where it gives floats: the cent a page shows must be the cent of
the exact total, and every breakdown's parts, Unallocated included, add up to it.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import re
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from focus_export import COLUMNS
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from workbench import json_exact, overview, pages, report, report_index
from workbench.cli import main
from workbench.config import Config
from workbench.currencies import to_smallest_unit
from workbench.store import Store
from workbench.tables import exact_sum, money_exact, signed_money

# About 2 s an example (two loads of the export, every layer). Shrinking is left out: at that
# pace it runs for minutes; a failure prints its example, and an @example keeps it.
SETTINGS = settings(max_examples=15, deadline=None,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

MONTHS = ("2025-05", "2026-03", "2026-04", "2026-05")  # 2026-05 has a year-earlier month
CURRENCIES = ("USD", "EUR", "JPY", "BHD")  # 2, 2, 0 and 3 digits in the smallest unit
PROVIDERS = ("AWS", "Microsoft Azure", "Lexica AI")
SERVICES = (("Compute", "Virtual Machines"), ("AI and Machine Learning", "LLM API"),
            ("Storage", "Object Storage"))
# Tags as written -> (team, environment) they resolve to under the default [tags] keys;
# None reads "Unallocated". The last one is malformed: kept, without tags, with a warning.
TAGS = {"": (None, None), "{}": (None, None), '{"team": "ml"}': ("ml", None),
        '{"Team": "search", "env": "prod"}': ("search", "prod"), '{"team": ""}': (None, None),
        '{"env": "dev"}': (None, "dev"), '{"user:team": "ops"}': ("ops", None),
        '{"team": "ml"': (None, None)}
UNALLOCATED = overview.UNTAGGED


def _decimal(units: int, places: int) -> Decimal:
    return Decimal(units).scaleb(-places)


# Up to 10 decimals, credits included; plus amounts on and next to half a smallest unit.
# At most 13 significant digits an amount, 15 a sum: a float holds no more, and the pages'
# frames are floats (see test_a_float_cannot_tell_a_total_below_half_a_cent_from_one_on_it).
amount = st.one_of(
    st.builds(_decimal, st.integers(-10**12, 10**12), st.integers(0, 10)),
    st.builds(_decimal, st.integers(-10**6, 10**6), st.integers(0, 4)),
    st.sampled_from([Decimal(x) for x in ("0.005", "-0.005", "0.0005", "0.5", "0.0049999999",
                                          "0.0050000001", "1.0000000001", "-0.0000000001", "0",
                                          "0.015", "0.025", "100.805")]),
)
charge = st.fixed_dictionaries({
    # daily: one day; monthly: the month's first day to the next month's; offset: one day
    # from 01:00 on the 1st at +02:00, which is the month before in UTC
    "kind": st.sampled_from(["daily", "daily", "monthly", "offset"]),
    "month": st.sampled_from(MONTHS), "day": st.integers(1, 28),
    "currency": st.sampled_from(CURRENCIES), "provider": st.sampled_from(PROVIDERS),
    "service": st.sampled_from(SERVICES), "tags": st.sampled_from(list(TAGS)),
    "category": st.sampled_from(["Usage", "Usage", "Credit", "Tax", "Adjustment"]),
    "account": st.sampled_from(["acct-1", "acct-2"]),
    "billed": amount, "effective": amount,
})
charges = st.lists(charge, min_size=1, max_size=30)


# -- the generated export and its exact sums -----------------------------------------------

def _next_day(day: str) -> str:
    return (pd.Timestamp(day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")


def focus_row(c: dict, i: int) -> dict:
    month, nxt = c["month"], overview.shift_month(c["month"], 1)
    day = f"{month}-{c['day']:02d}"
    start, end = {"daily": (day, _next_day(day)),
                  "monthly": (f"{month}-01", f"{nxt}-01"),
                  "offset": (f"{month}-01T01:00:00+02:00", f"{month}-02T01:00:00+02:00")}[c["kind"]]
    billed, effective = c["billed"], c["effective"]
    if c["category"] == "Credit":
        billed, effective = -abs(billed), -abs(effective)
    category, service = c["service"]
    row = dict.fromkeys(COLUMNS, "")
    row.update(BillingAccountId=c["account"], BillingPeriodStart=f"{month}-01T00:00:00Z",
               BillingPeriodEnd=f"{nxt}-01T00:00:00Z", ChargePeriodStart=start,
               ChargePeriodEnd=end, BillingCurrency=c["currency"], BilledCost=format(billed, "f"),
               EffectiveCost=format(effective, "f"), ChargeCategory=c["category"],
               ProviderName=c["provider"], PublisherName=c["provider"],
               InvoiceIssuerName=c["provider"], ServiceCategory=category, ServiceName=service,
               ResourceId=f"r-{i % 4}" if i % 5 else "", Tags=c["tags"])
    return row


def write_export(folder: Path, rows: list[dict]) -> list[Path]:
    """One file per provider (one issuer each, so no file is taken for another's copy); the
    first gzipped."""
    out = []
    for n, provider in enumerate(PROVIDERS):
        mine = [r for r in rows if r["ProviderName"] == provider]
        if not mine:
            continue
        text = io.StringIO()
        w = csv.DictWriter(text, COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(mine)
        path = folder / (f"p{n}.csv.gz" if n == 0 else f"p{n}.csv")
        data = text.getvalue().encode()
        path.write_bytes(gzip.compress(data) if n == 0 else data)
        out.append(path)
    return out


def utc_day(row: dict) -> str:
    ts = pd.Timestamp(row["ChargePeriodStart"])
    return (ts.tz_convert("UTC") if ts.tzinfo else ts).strftime("%Y-%m-%d")


def model(rows: list[dict]) -> pd.DataFrame:
    """The rows as exact decimals with what each layer groups them by, read independently of
    the workbench (UTC day and month, tag dimensions under the default keys)."""
    recs = []
    for r in rows:
        team, env = TAGS[r["Tags"]]
        day = utc_day(r)
        recs.append({"month": day[:7], "date": day, "period": r["BillingPeriodStart"],
                     "currency": r["BillingCurrency"], "provider": r["ProviderName"],
                     "ServiceCategory": r["ServiceCategory"], "ServiceName": r["ServiceName"],
                     "team": team or UNALLOCATED, "environment": env or UNALLOCATED,
                     "tagged": "yes" if team else "no",
                     "billed": Decimal(r["BilledCost"]), "effective": Decimal(r["EffectiveCost"])})
    return pd.DataFrame(recs)


def sums(df: pd.DataFrame, keys: list[str], value: str = "effective") -> dict[tuple, Decimal]:
    out: dict[tuple, Decimal] = defaultdict(Decimal)
    for key, v in zip(zip(*(df[k] for k in keys), strict=True), df[value], strict=True):
        out[key] += v
    return dict(out)


def unit(amount, currency: str) -> Decimal:
    """What a page shows of an amount: its currency's smallest unit."""
    return to_smallest_unit(amount, currency)


def shown(values, currency: str) -> Decimal:
    """The smallest-unit figure of parts added as the pages add them."""
    return unit(exact_sum(list(values)), currency)


# -- the layers ------------------------------------------------------------------------------

def validate_totals(paths: list[Path], folder: Path) -> dict[tuple, Decimal]:
    """(currency, billed_cost|effective_cost) -> total over the files of `validate --json`."""
    config = folder / "workbench.toml"
    config.write_text("")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--config", str(config), "validate", "--json", *map(str, paths)])
    doc = json.loads(out.getvalue(), parse_float=Decimal)
    assert code == 0, doc
    got: dict[tuple, Decimal] = defaultdict(Decimal)
    for f in doc["files"]:
        for cur, amounts in f["currencies"].items():
            for k, v in amounts.items():
                got[(cur, k)] += Decimal(v)
    return dict(got)


def check_store(s: Store, m: pd.DataFrame) -> None:
    totals = s.totals(exact=True)
    got = {(r.billing_period_start[:10], r.currency): (r.billed_cost, r.effective_cost, r.rows)
           for r in totals.itertuples()}
    m = m.assign(period=m["period"].str[:10])
    billed, effective = sums(m, ["period", "currency"], "billed"), sums(m, ["period", "currency"])
    rows = m.groupby(["period", "currency"]).size()
    assert got == {k: (billed[k], effective[k], rows[k]) for k in effective}

    exact = s.monthly(exact=True)
    assert sums(exact, ["month", "currency"], "effective_cost") == sums(m, ["month", "currency"])
    assert sums(exact, ["month", "currency"], "billed_cost") == sums(m, ["month", "currency"], "billed")


def check_frames(data: pages.OverviewData, m: pd.DataFrame) -> None:
    """The overview's monthly and daily frames (the store's decimals), per month, day and
    dimension."""
    for keys in (["month", "currency"], ["month", "provider", "currency"],
                 ["month", "team", "currency"], ["month", "environment", "currency"],
                 ["month", "tagged", "currency"], ["month", "ServiceName", "currency"]):
        want = sums(m, keys)
        got = defaultdict(list)
        for key, v in zip(zip(*(data.monthly[k] for k in keys), strict=True),
                          data.monthly["effective_cost"], strict=True):
            got[key].append(v)
        assert set(got) == set(want), keys
        for key, total in want.items():
            assert shown(got[key], key[-1]) == unit(total, key[-1]), (keys, key)
    daily = data.daily.assign(date=data.daily["date"].dt.strftime("%Y-%m-%d"))
    for keys in (["date", "currency"], ["date", "provider", "team", "currency"]):
        want = sums(m, keys)
        got = defaultdict(list)
        for key, v in zip(zip(*(daily[k] for k in keys), strict=True), daily["cost"], strict=True):
            got[key].append(v)
        assert set(got) == set(want), keys
        for key, total in want.items():
            assert shown(got[key], key[-1]) == unit(total, key[-1]), (keys, key)


def check_overview(data: pages.OverviewData, m: pd.DataFrame, month: str) -> None:
    """Headline, breakdowns (parts add up to it, Unallocated included), untagged share,
    movers and the daily trend of one month, against the exact sums."""
    per_month = sums(m, ["month", "currency"])
    head = overview.headline(data.monthly, month, months=data.currency_months)
    prev, ly = overview.shift_month(month, -1), overview.shift_month(month, -12)
    want_currencies = sorted({c for (mo, c) in per_month if mo in (month, prev, ly)})
    assert list(head["currency"]) == want_currencies
    for r in head.to_dict("records"):
        cur = r["currency"]
        if (month, cur) not in per_month:  # no charge of the currency: no data, not 0
            assert pd.isna(r["cost"]) and pd.isna(r["previous_change"])
            continue
        cost = per_month[(month, cur)]
        assert unit(r["cost"], cur) == unit(cost, cur)
        for key, other in (("previous", prev), ("last_year", ly)):
            if (other, cur) not in per_month:
                assert pd.isna(r[key]) and pd.isna(r[f"{key}_change"])
                continue
            base = per_month[(other, cur)]
            assert unit(r[key], cur) == unit(base, cur)
            assert unit(r[f"{key}_change"], cur) == unit(cost - base, cur)
        total = unit(r["cost"], cur)
        for dim in (*overview.BREAKDOWNS, "tagged"):
            parts = overview.breakdown(data.monthly, month, dim)
            parts = parts[parts["currency"] == cur]
            if (month, cur) not in per_month:
                assert parts.empty
                continue
            assert shown(parts["cost"], cur) == total, dim
            if dim in m.columns:
                want = sums(m[(m["month"] == month) & (m["currency"] == cur)], [dim])
                assert {k[0]: unit(v, cur) for k, v in want.items()} == {
                    k: unit(v, cur) for k, v in zip(parts[dim], parts["cost"], strict=True)}, dim
    untagged = overview.untagged_share(data.monthly, month)
    here = m[m["month"] == month]
    for r in untagged.to_dict("records"):
        cur = r["currency"]
        mine = here[here["currency"] == cur]
        assert unit(r["total"], cur) == unit(sum(mine["effective"], Decimal(0)), cur)
        assert unit(r["untagged"], cur) == unit(
            sum(mine.loc[mine["team"] == UNALLOCATED, "effective"], Decimal(0)), cur)
    movers = overview.top_movers(data.monthly, month)
    pair = sums(m, ["month", "provider", "ServiceName", "currency"])
    for r in movers.to_dict("records"):
        cur = r["currency"]
        now = pair.get((month, r["provider"], r["ServiceName"], cur), Decimal(0))
        then = pair.get((prev, r["provider"], r["ServiceName"], cur), Decimal(0))
        # the change is that of the amounts as shown, so a line foots (overview.shown_change)
        assert (unit(r["cost"], cur), unit(r["previous"], cur), unit(r["change"], cur)) == (
            unit(now, cur), unit(then, cur), unit(now, cur) - unit(then, cur))
    trend = overview.daily_window(data.daily, month, coverage=data.coverage,
                                  months=data.currency_months)
    per_day = sums(m, ["date", "currency"])
    for r in trend.to_dict("records"):
        day, cur = r["date"].strftime("%Y-%m-%d"), r["currency"]
        if (day, cur) in per_day:
            assert unit(r["cost"], cur) == unit(per_day[(day, cur)], cur), (day, cur)
        elif not pd.isna(r["cost"]):
            assert r["cost"] == 0


def money_value(text: str) -> Decimal:
    """The amount a money_exact text shows ("-$1,234.50", "KWD 0.125", "¥1,500")."""
    amount = Decimal(re.sub(r"[^\d.]", "", text))  # no currency code holds a digit
    return -amount if text.startswith("-") else amount


def cells(fragment: str) -> list[list[str]]:
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", fragment)]
    return [r for r in rows if r]  # the header row has no <td>


def check_page(data: pages.OverviewData, m: pd.DataFrame, month: str) -> None:
    """The summary table the overview page prints: each currency's month to the cent."""
    per_month = sums(m, ["month", "currency"])
    summary = pages._html(pages.overview_sections(data, {"month": month})["summary"])
    table = summary.split("</table>")[0]
    printed = {(r[0], r[1]) for r in cells(table)}
    for cur in {c for (mo, c) in per_month if mo == month}:
        assert (cur, money_exact(per_month[(month, cur)], cur)) in printed, (cur, printed)
    # each row foots: the change printed is the month shown less the month compared shown
    for cur, now, against, then, change, _ in cells(table):
        if change != "n/a":
            assert change == signed_money(money_value(now) - money_value(then), cur,
                                          exact=True), (cur, against)


def check_report(paths: list[Path], folder: Path, m: pd.DataFrame, month: str) -> None:
    """The report's headline (manifest.json and index.html) from report.gather: no notebook."""
    facts = report.gather(Config(root=folder), [str(p) for p in paths], ":memory:", month)
    head = facts["headline"]
    records = json.loads(json_exact.dumps(report_index.headline_records(head)),
                         parse_float=Decimal)
    per_month = sums(m, ["month", "currency"])
    billed = sums(m.assign(period=m["period"].str[:7]), ["period", "currency"], "billed")
    prev = overview.shift_month(month, -1)
    for r in records:
        cur = r["currency"]
        for key, when in (("cost", month), ("previous", prev)):  # exact; no charge: no data
            if (when, cur) in per_month:
                assert Decimal(r[key]) == per_month[(when, cur)]
            else:
                assert r[key] is None
        if (month, cur) in billed:
            assert Decimal(r["billed_cost"]) == billed[(month, cur)]
        else:
            assert r["billed_cost"] is None
    figures = report_index._figures(head)
    for r in records:
        cur = r["currency"]
        if (month, cur) in per_month:
            assert money_exact(per_month[(month, cur)], cur) in figures


def check_all(charges_: list[dict]) -> None:
    rows = [focus_row(c, i) for i, c in enumerate(charges_)]
    m = model(rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = write_export(folder, rows)
        got = validate_totals(paths, folder)
        for cur in set(m["currency"]):
            mine = m[m["currency"] == cur]
            assert got[(cur, "billed_cost")] == sum(mine["billed"], Decimal(0))
            assert got[(cur, "effective_cost")] == sum(mine["effective"], Decimal(0))
        assert {c for c, _ in got} == set(m["currency"])
        with Store(":memory:", Config(root=folder)) as s:
            s.ingest([str(p) for p in paths])
            check_store(s, m)
            data = pages.load_overview(s)
        assert data.months == sorted(set(m["month"]))
        check_frames(data, m)
        for month in data.months:
            check_overview(data, m, month)
        last = data.months[-1]
        check_page(data, m, last)
        check_report(paths, folder, m, last)


def _charge(**kw) -> dict:
    return {"kind": "daily", "month": "2026-05", "day": 3, "currency": "USD",
            "provider": "AWS", "service": SERVICES[0], "tags": "{}", "category": "Usage",
            "account": "acct-1", "billed": Decimal(0), "effective": Decimal(0), **kw}


# A day charged by two providers: $0.105 + $0.30 added as floats is 0.40499999999999997.
TWO_PROVIDERS_ONE_DAY = [_charge(effective=Decimal("0.105")),
                         _charge(provider="Microsoft Azure", effective=Decimal("0.3"))]


@SETTINGS
@example(charges_=TWO_PROVIDERS_ONE_DAY)
@example(charges_=[_charge(kind=k, month=mo, currency=c, tags=t, provider=p,
                           billed=Decimal("-0.0049999999"), effective=Decimal("100.805"))
                   for k, mo, c, t, p in (("monthly", "2025-05", "JPY", "", "Lexica AI"),
                                          ("offset", "2026-05", "BHD", '{"team": ""}', "AWS"),
                                          ("daily", "2026-04", "EUR", '{"team": "ml"}', "AWS"))])
@given(charges_=charges)
def test_every_layer_gives_the_exact_totals_per_currency_and_month(charges_):
    check_all(charges_)


def test_a_day_charged_by_two_providers_shows_its_exact_cent():
    """The daily trend adds a day's charges exactly: $0.105 + $0.30 is $0.41, where a float
    sum (0.40499999999999997) showed $0.40 in the chart's tooltip."""
    daily = pd.DataFrame({"date": pd.to_datetime(["2026-05-03"] * 2), "provider": ["AWS", "Azure"],
                          "team": [UNALLOCATED] * 2, "currency": ["USD"] * 2, "cost": [0.105, 0.3]})
    trend = overview.daily_window(daily, "2026-05")
    assert list(trend["cost"]) == [0.405]
    assert money_exact(trend["cost"].iloc[0], "USD") == "$0.41"


def test_a_total_just_below_half_a_cent_shows_the_cent_below_on_every_layer():
    """$1,234,567.0049999999 is $1,234,567.00 in the report's index and on the overview page:
    the pages' frames hold the store's decimals, where its nearest float, 1234567.005, showed
    $1,234,567.01."""
    check_all([_charge(effective=Decimal("1234567.0049999999"))])


# -- each provider's own export shape, end to end -------------------------------------------

def _charge_rows(provider: str, currencies: tuple[str, ...], periods: list[str]) -> list[dict]:
    """Two billing periods of one provider's charges, as the tests below write them: usage
    with and without a team tag, a commitment amortized per FOCUS (purchase billed with
    EffectiveCost 0, covered usage at EffectiveCost only, the unused rest), a credit and tax."""
    rows = []
    gpu, api = ("Compute", "GPU VMs"), ("AI and Machine Learning", "Model API")
    for p, period in enumerate(periods):
        start = pd.Timestamp(period)
        month = (start + pd.Timedelta(hours=12)).strftime("%Y-%m")
        nxt = pd.Timestamp(f"{overview.shift_month(month, 1)}-01") + (start - start.normalize())
        for cur in currencies:
            base = {"period": start, "next": nxt, "currency": cur, "provider": provider,
                    "scale": Decimal(150) if cur == "JPY" else Decimal(1)}
            mine = []
            for d in range(0, 20, 3):
                at = start + pd.Timedelta(days=d, hours=2)
                mine += [_one_charge(base, "Usage", f"{12 + d + p}.4375", f"{12 + d + p}.4375", at, 1,
                                 api, team=("assistant", "search")[d % 2],
                                 env="prod" if d % 3 else None),
                         _one_charge(base, "Usage", "0", f"{30 + d}.125", at, 24, gpu,
                                 team="ml-research", status="Used"),
                         _one_charge(base, "Usage", "0.0000000005", "0.0000000005", at, 1, api)]
            fee = Decimal(400) * base["scale"]
            used = sum(r["effective"] for r in mine if r["status"] == "Used")
            month_long = (nxt - start) / pd.Timedelta(hours=1)
            mine += [_one_charge(base, "Purchase", fee, "0", start, month_long, gpu, scaled=False),
                     _one_charge(base, "Usage", "0", fee - used, start, month_long, gpu,
                             status="Unused", scaled=False),
                     _one_charge(base, "Credit", "-25.005", "-25.005", start, 24, api),
                     _one_charge(base, "Tax", "3.3333333333", "3.3333333333", start, 24, (None, "Tax"))]
            rows += mine
    return rows


def _one_charge(base: dict, category: str, billed, effective, at, hours, service, team=None,
            env=None, status=None, scaled=True) -> dict:
    scale = base["scale"] if scaled else Decimal(1)
    return {**base, "category": category, "billed": Decimal(billed) * scale,
            "effective": Decimal(effective) * scale, "start": at,
            "end": at + pd.Timedelta(hours=hours), "service": service, "team": team,
            "env": env, "status": status}


def _provider_model(rows: list[dict]) -> pd.DataFrame:
    """What each layer must show, from the rows alone (UTC day and month of the charge)."""
    return pd.DataFrame([{
        "month": r["start"].strftime("%Y-%m"), "date": r["start"].strftime("%Y-%m-%d"),
        "period": r["period"].strftime("%Y-%m-%dT%H:%M:%SZ"), "currency": r["currency"],
        "provider": r["provider"], "ServiceCategory": r["service"][0] or "(none)",
        "ServiceName": r["service"][1], "team": r["team"] or UNALLOCATED,
        "environment": r["env"] or UNALLOCATED, "tagged": "yes" if r["team"] else "no",
        "billed": r["billed"], "effective": r["effective"]} for r in rows])


def _aws_parquet(folder: Path) -> tuple[list[Path], list[dict]]:
    """AWS Data Exports FOCUS 1.2: Parquet, UTC timestamps, double amounts, Tags and
    x_CostCategories as MAPs with `user:` keys, a Savings Plan, x_ columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    rows = _charge_rows("AWS", ("USD",), ["2026-03-01", "2026-04-01"])
    ts = pa.timestamp("ms", tz="UTC")
    tags = [[(f"user:{k}", v) for k, v in (("team", r["team"]), ("env", r["env"])) if v]
            + [("aws:createdBy", "IAMUser:alice")] for r in rows]
    table = pa.table({
        "BilledCost": pa.array([float(r["billed"]) for r in rows]),
        "EffectiveCost": pa.array([float(r["effective"]) for r in rows]),
        "BillingAccountId": ["123456789012"] * len(rows), "BillingAccountType": ["Billing Account"] * len(rows),
        "BillingCurrency": [r["currency"] for r in rows],
        "BillingPeriodStart": pa.array([r["period"].to_pydatetime() for r in rows], ts),
        "BillingPeriodEnd": pa.array([r["next"].to_pydatetime() for r in rows], ts),
        "ChargePeriodStart": pa.array([r["start"].tz_localize("UTC").to_pydatetime() for r in rows], ts),
        "ChargePeriodEnd": pa.array([r["end"].tz_localize("UTC").to_pydatetime() for r in rows], ts),
        "ChargeCategory": [r["category"] for r in rows],
        "CommitmentDiscountId": ["arn:aws:savingsplans::123456789012:savingsplan/sp-1"
                                 if r["status"] or r["category"] == "Purchase" else None for r in rows],
        "CommitmentDiscountStatus": [r["status"] for r in rows],
        "PricingCategory": [("Committed" if r["status"] else "Standard")
                            if r["category"] in ("Usage", "Purchase") else None for r in rows],
        "InvoiceIssuerName": ["Amazon Web Services, Inc."] * len(rows),
        "ProviderName": [r["provider"] for r in rows], "PublisherName": ["Amazon Web Services, Inc."] * len(rows),
        "ServiceCategory": [r["service"][0] for r in rows], "ServiceName": [r["service"][1] for r in rows],
        "SkuPriceDetails": ['{"ModelId": "claude-3-5-sonnet"}'] * len(rows),
        "Tags": pa.array(tags, pa.map_(pa.string(), pa.string())),
        "x_CostCategories": pa.array([[("BusinessUnit", "AI")]] * len(rows), pa.map_(pa.string(), pa.string())),
        "x_UsageType": ["USE1-BoxUsage:p4d.24xlarge"] * len(rows)})
    path = folder / "focus-export-00001.snappy.parquet"
    pq.write_table(table, path)
    return [path], rows


def _azure_csv(folder: Path) -> tuple[list[Path], list[dict]]:
    """Azure Cost Management FOCUS 1.0r2: CSV with CRLF, timestamps with seven fractional
    digits (1.0) or none (1.0r2), Tags without braces, EUR and USD, x_ columns."""
    rows = _charge_rows("Microsoft", ("EUR", "USD"), ["2026-03-01", "2026-04-01"])
    paths = []
    for i, cur in enumerate(("EUR", "USD")):
        def ts(t, frac=".0000000" if i == 0 else ""):
            return t.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(["BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd",
                    "BillingPeriodStart", "ChargeCategory", "ChargePeriodEnd", "ChargePeriodStart",
                    "CommitmentDiscountId", "CommitmentDiscountStatus", "EffectiveCost",
                    "InvoiceIssuerName", "ProviderName", "PublisherName", "ServiceCategory",
                    "ServiceName", "Tags", "x_BilledCostInUsd", "x_ResourceGroupName"])
        for r in (r for r in rows if r["currency"] == cur):
            tags = json.dumps({k: v for k, v in (("team", r["team"]), ("env", r["env"])) if v})
            w.writerow([r["billed"], "/providers/Microsoft.Billing/billingAccounts/1234", cur,
                        ts(r["next"]), ts(r["period"]), r["category"], ts(r["end"]), ts(r["start"]),
                        "ri-1" if r["status"] or r["category"] == "Purchase" else "",
                        r["status"] or "", r["effective"], "Microsoft", r["provider"], "Microsoft",
                        r["service"][0] or "", r["service"][1], tags[1:-1], r["billed"], "rg-ai"])
        paths.append(folder / f"part_{i}_0001.csv")
        paths[-1].write_bytes(out.getvalue().encode())
    return paths, rows


def _gcp_csv(folder: Path) -> tuple[list[Path], list[dict]]:
    """Google Cloud's FOCUS view exported to CSV: `... UTC` timestamps, the invoice month
    from midnight Pacific time (08:00 UTC in March, 07:00 in April), labels as a JSON list
    of key/value, USD and JPY, x_ columns."""
    rows = _charge_rows("Google Cloud", ("USD", "JPY"), ["2026-03-01T08:00", "2026-04-01T07:00"])
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd",
                "BillingPeriodStart", "ChargeCategory", "ChargePeriodEnd", "ChargePeriodStart",
                "CommitmentDiscountId", "CommitmentDiscountStatus", "EffectiveCost",
                "InvoiceIssuerName", "ProviderName", "PublisherName", "ServiceCategory",
                "ServiceName", "Tags", "x_Credits", "x_ExportTime"])
    for r in rows:
        def ts(t):
            return t.strftime("%Y-%m-%d %H:%M:%S UTC")
        labels = [{"key": k, "value": v} for k, v in (("team", r["team"]), ("env", r["env"])) if v]
        w.writerow([r["billed"], f"01AB23-{r['currency']}", r["currency"], ts(r["next"]),
                    ts(r["period"]), r["category"], ts(r["end"]), ts(r["start"]),
                    "cud-1" if r["status"] or r["category"] == "Purchase" else "", r["status"] or "",
                    r["effective"], "Google", r["provider"], "Google", r["service"][0] or "",
                    r["service"][1], json.dumps(labels), "[]", ts(r["next"])])
    path = folder / "focus_export.csv"
    path.write_bytes(out.getvalue().encode())
    return [path], rows


def _oci_csv_gz(folder: Path) -> tuple[list[Path], list[dict]]:
    """OCI FOCUS reports: gzip CSV, FOCUS 1.0-preview names and PricingCategory values,
    ChargeSubcategory for the commitment status, oci_ columns, defined tags (FinOps.Team),
    `2026-03-01T02:00Z` timestamps, several files a day."""
    rows = _charge_rows("Oracle", ("GBP",), ["2026-03-01", "2026-04-01"])
    header = ["BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd",
              "BillingPeriodStart", "ChargeCategory", "ChargePeriodEnd", "ChargePeriodStart",
              "ChargeSubcategory", "CommitmentDiscountId", "EffectiveCost", "InvoiceIssuer",
              "PricingCategory", "Provider",
              "Publisher", "ServiceCategory", "ServiceName", "Tags", "oci_CompartmentName"]
    def ts(t):
        return t.strftime("%Y-%m-%dT%H:%MZ")
    outs = [io.StringIO() for _ in range(4)]  # each day's rows spread over the files
    for out in outs:
        csv.writer(out, lineterminator="\n").writerow(header)
    for n, r in enumerate(rows):
        tags = {f"FinOps.{k}": v for k, v in (("Team", r["team"]), ("env", r["env"])) if v}
        sub = {"Used": "Used Commitment", "Unused": "Unused Commitment"}.get(r["status"], "On-Demand")
        csv.writer(outs[n % 4], lineterminator="\n").writerow([r["billed"], "ocid1.tenancy.oc1..aaaa", r["currency"], ts(r["next"]),
                    ts(r["period"]), r["category"], ts(r["end"]), ts(r["start"]), sub,
                    "ocid1.subscription.oc1..ucm" if r["status"] or r["category"] == "Purchase"
                    else "", r["effective"], "Oracle", "Commitment-Based" if r["status"] else "On-Demand",
                    r["provider"], "Oracle", r["service"][0] or "", r["service"][1],
                    json.dumps({**tags, "Oracle-Tags.CreatedBy": "alice"}), "ai"])
    paths = [folder / f"00010000010000{n}-00001.csv.gz" for n in range(len(outs))]
    for path, out in zip(paths, outs, strict=True):
        path.write_bytes(gzip.compress(out.getvalue().encode()))
    return paths, rows


@pytest.mark.parametrize("write", [_aws_parquet, _azure_csv, _gcp_csv, _oci_csv_gz],
                         ids=["aws", "azure", "gcp", "oci"])
def test_a_providers_own_export_reconciles_on_every_layer(write, tmp_path):
    paths, rows = write(tmp_path)
    m = _provider_model(rows)
    got = validate_totals(paths, tmp_path)
    assert got == {**{(c, "billed_cost"): v for (c,), v in sums(m, ["currency"], "billed").items()},
                   **{(c, "effective_cost"): v for (c,), v in sums(m, ["currency"]).items()}}
    with Store(":memory:", Config(root=tmp_path)) as s:
        res = s.ingest([str(p) for p in paths])
        row_warnings = [w for w in res.warnings if re.search(r":\d+: ", w)]
        assert not row_warnings, row_warnings  # a normal export: nothing about its rows
        check_store(s, m)
        data = pages.load_overview(s)
    assert data.months == ["2026-03", "2026-04"]
    check_frames(data, m)
    for month in data.months:
        check_overview(data, m, month)
    assert UNALLOCATED in set(overview.breakdown(data.monthly, "2026-04", "team")["team"])
