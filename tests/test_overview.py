"""Overview analysis on small hand-made frames shaped like Store.monthly / Store.daily."""

import json
import math
import re
from decimal import Decimal

import pandas as pd
import pytest

from workbench import charts, coverage, overview, report_index, tables
from workbench.errors import WorkbenchError


def monthly_frame():
    rows = [
        # month, provider, service, team, tagged, currency, cost
        ("2025-06", "AWS", "Amazon EC2", "search", "yes", "USD", 50.0),
        ("2026-05", "AWS", "Amazon EC2", "search", "yes", "USD", 100.0),
        ("2026-05", "AWS", "Amazon S3", "Unallocated", "no", "USD", 20.0),
        ("2026-05", "Azure", "Azure OpenAI", "chat", "yes", "EUR", 300.0),
        ("2026-06", "AWS", "Amazon EC2", "search", "yes", "USD", 160.0),
        ("2026-06", "AWS", "Amazon S3", "Unallocated", "no", "USD", 15.0),
        ("2026-06", "AWS", "Amazon Bedrock", "chat", "yes", "USD", 25.0),
        ("2026-06", "Azure", "Azure OpenAI", "chat", "yes", "EUR", 240.0),
        ("2026-06", "Azure", "Credits", "Unallocated", "no", "EUR", -40.0),
    ]
    df = pd.DataFrame(rows, columns=["month", "provider", "ServiceName", "team", "tagged",
                                     "currency", "effective_cost"])
    df["ServiceCategory"] = "Compute"
    df["billed_cost"] = df["effective_cost"]
    return df.assign(purchase_gap=0.0, covered_gap=0.0, unused_gap=0.0)


def test_shift_month_and_range():
    assert overview.shift_month("2026-01", -1) == "2025-12"
    assert overview.shift_month("2026-12", 1) == "2027-01"
    assert overview.shift_month("2026-06", -12) == "2025-06"
    assert overview.month_range("2026-12") == ("2026-12-01", "2027-01-01")
    with pytest.raises(WorkbenchError):
        overview.shift_month("2026-13", 1)


def test_headline_per_currency_with_missing_comparisons():
    head = overview.headline(monthly_frame(), "2026-06").set_index("currency")
    assert list(head.index) == ["EUR", "USD"]  # never one mixed total
    usd, eur = head.loc["USD"], head.loc["EUR"]
    assert usd["cost"] == 200.0 and usd["previous"] == 120.0
    assert usd["previous_change"] == 80.0
    assert math.isclose(usd["previous_change_pct"], 80 / 120)
    assert usd["last_year"] == 50.0 and usd["last_year_change"] == 150.0
    assert eur["cost"] == 200.0 and eur["previous"] == 300.0
    # 2025-06 is in the data but holds no EUR (EUR starts later): no EUR data, not EUR 0
    assert math.isnan(eur["last_year"]) and math.isnan(eur["last_year_change"])
    assert math.isnan(eur["last_year_change_pct"])
    # the months the data holds for EUR before a filter: a filter leaving none reads 0
    held = {"EUR": ["2025-06", "2026-05", "2026-06"], "USD": ["2025-06"]}
    eur = overview.headline(monthly_frame(), "2026-06", months=held).set_index("currency").loc["EUR"]
    assert eur["last_year"] == 0 and math.isnan(eur["last_year_change_pct"])
    # a comparison month outside the data is unknown, not zero
    one = overview.headline(monthly_frame(), "2026-05").set_index("currency")
    assert math.isnan(one.loc["USD", "last_year"]) and math.isnan(one.loc["USD", "previous"])


def test_breakdown_shares_and_reconciliation():
    df = monthly_frame()
    out = overview.breakdown(df, "2026-06", "team")
    for cur, sub in out.groupby("currency"):
        month = df[(df["month"] == "2026-06") & (df["currency"] == cur)]
        assert sub["cost"].sum() == month["effective_cost"].sum()  # nothing dropped
        assert math.isclose(sub["share"].sum(), 1.0)
    usd = out[out["currency"] == "USD"]
    assert list(usd["team"]) == ["search", "chat", "Unallocated"]


def test_top_movers_both_directions_and_new_items():
    mv = overview.top_movers(monthly_frame(), "2026-06", n=2)
    usd = mv[mv["currency"] == "USD"]
    assert list(usd["label"]) == ["AWS / Amazon EC2", "AWS / Amazon Bedrock"]
    assert usd.iloc[0]["change"] == 60.0
    assert math.isnan(usd.iloc[1]["change_pct"])  # new this month
    eur = mv[mv["currency"] == "EUR"]
    assert set(eur["change"]) == {-60.0, -40.0}
    assert len(overview.top_movers(monthly_frame(), "2026-06", n=10)) == 5


def test_untagged_share():
    un = overview.untagged_share(monthly_frame(), "2026-06").set_index("currency")
    assert un.loc["USD", "untagged"] == 15.0 and math.isclose(un.loc["USD", "share"], 15 / 200)
    assert un.loc["EUR", "untagged"] == -40.0
    # A month whose total is a credit has no meaningful share: said as an amount instead.
    credit = monthly_frame()
    credit.loc[credit["currency"] == "USD", "effective_cost"] *= -1
    un = overview.untagged_share(credit, "2026-06").set_index("currency")
    assert math.isnan(un.loc["USD", "share"])
    text = " ".join(overview.narrative(overview.headline(credit, "2026-06"),
                                       un.reset_index(), credit.iloc[:0].assign(label=[])))
    assert "-$15.00 of USD spend has no team tag" in text and "total is -$200" in text
    # Untagged credits under a positive total, or untagged spend beyond it (credits tagged):
    # no share of the total, which would read -7.5% or 125%.
    for untagged, tagged in ((-15.0, 200.0), (250.0, -50.0)):
        m = pd.DataFrame({"month": "2026-06", "currency": "USD", "tagged": ["no", "yes"],
                          "team": [overview.UNTAGGED, "a"], "effective_cost": [untagged, tagged]})
        un = overview.untagged_share(m, "2026-06")
        assert math.isnan(un.loc[0, "share"])
        text = " ".join(overview.narrative(overview.headline(m, "2026-06"), un, m.iloc[:0].assign(label=[])))
        assert f"{tables.money(untagged, 'USD')} of USD spend has no team tag" in text
        assert "%" not in text and "the month's USD total is" in text


def test_filters_and_empty_dimensions():
    df = monthly_frame()
    only = overview.apply_filters(df, {"provider": ["Azure"], "team": []})
    assert set(only["provider"]) == {"Azure"}
    with pytest.raises(WorkbenchError):
        overview.apply_filters(df, {"nope": ["x"]})
    df["environment"] = "Unallocated"
    assert overview.empty_dimensions(df, ["team", "environment"]) == ["environment"]


def test_daily_window():
    daily = pd.DataFrame({"date": pd.date_range("2026-01-01", "2026-07-31", freq="D")})
    daily["currency"], daily["cost"] = "USD", 1.0
    win = overview.daily_window(daily, "2026-06", months_before=2)
    assert str(win["date"].min().date()) == "2026-04-01"
    assert str(win["date"].max().date()) == "2026-06-30"


def test_daily_window_shows_days_without_charges_as_zero():
    """A charge on the 1st and the 20th only: the days between, which the data covers, are
    0, not a line drawn from one charge to the next; days before the data begins stay out."""
    daily = pd.DataFrame({"date": pd.to_datetime(["2026-06-01", "2026-06-20", "2026-06-20"]),
                          "currency": ["USD", "USD", "EUR"], "team": ["a", "b", "a"],
                          "cost": [5.0, 2.0, 3.0]})
    coverage = (pd.Timestamp("2026-05-15"), pd.Timestamp("2026-07-01"))
    win = overview.daily_window(daily, "2026-06", months_before=2, coverage=coverage)
    usd = win[win.currency == "USD"].set_index("date")["cost"]
    assert str(usd.index.min().date()) == "2026-05-15" and len(usd) == 47
    assert usd["2026-06-01"] == 5.0 and usd["2026-06-20"] == 2.0 and usd.sum() == 7.0
    eur = win[win.currency == "EUR"].set_index("date")["cost"]
    assert len(eur) == 47 and eur.sum() == 3.0 and (eur.drop(pd.Timestamp("2026-06-20")) == 0).all()
    # Without coverage, the days between the first and the last row.
    assert len(overview.daily_window(daily, "2026-06")) == 2 * 20


def test_narrative_is_generated_from_figures():
    df = monthly_frame()
    text = overview.narrative(overview.headline(df, "2026-06"),
                              overview.untagged_share(df, "2026-06"),
                              overview.top_movers(df, "2026-06"))
    joined = " ".join(text)
    assert "In 2026-06 effective spend in USD was $200" in joined
    assert "up on the previous month (2026-05: $120; +$80.00, +66.7%)" in joined
    assert "7.5% of USD spend" in joined
    assert "AWS / Amazon EC2, which rose by $60.00 from $100 to $160" in joined
    one = overview.narrative(overview.headline(df, "2026-05"), df.iloc[:0], df.iloc[:0].assign(label=[]))
    assert "no data for the same month last year (2025-05)" in " ".join(one)


def test_a_change_is_that_of_the_amounts_shown_so_the_figures_foot():
    """Exports carry fractions of a cent: $6.1418665 against $5.4460116 show as $6.14 and
    $5.45, and the change beside them must read +$0.69 (not the exact change's +$0.70)
    in the table, the sentences, the chart of changes and the index; ¥1,880.795 against
    ¥1,618.396 show as ¥1,881 and ¥1,618, a change of +¥263 (not +¥262)."""
    from decimal import Decimal

    from workbench import report_index
    m = pd.DataFrame({"month": ["2026-02", "2026-03", "2026-02", "2026-03"],
                      "provider": "AWS", "ServiceName": "EC2", "currency": ["USD", "USD", "JPY", "JPY"],
                      "effective_cost": [Decimal("5.4460115835"), Decimal("6.1418665316"),
                                         Decimal("1618.3960"), Decimal("1880.7950")]})
    head = overview.headline(m, "2026-03")
    table = overview.comparisons(head).dropna(subset=["change"])
    assert dict(zip(table["currency"], table["change"], strict=True)) == {
        "JPY": Decimal("263"), "USD": Decimal("0.69")}
    assert head["previous_change"].tolist() == [Decimal("262.3990"), Decimal("0.6958549481")]  # exact
    movers = overview.top_movers(m, "2026-03")
    said = " ".join(overview.narrative(head, m.iloc[:0].assign(untagged=[], share=[]), movers))
    # and the percentage is of the amounts shown too: 0.69 / 5.45, 263 / 1,618
    assert "(2026-02: $5.45; +$0.69, +12.7%)" in said and "+¥263, +16.3%" in said
    assert "rose by $0.69 from $5.45 to $6.14" in said
    assert sorted(movers["change"]) == [Decimal("0.69"), Decimal("263")]
    index = report_index._figures(head.assign(billed_cost=head["cost"]))
    assert "+$0.69 (+12.7%) vs 2026-02" in index and "+¥263 (+16.3%) vs 2026-02" in index


def test_a_change_that_shows_as_none_has_no_percentage_either():
    """¥500.4 against ¥499.6 both show as ¥500: the row reads ¥0 and flat, so its
    percentage is 0.0%, not the exact amounts' +0.2%, in the table, the sentences, the
    chart of changes and the index."""
    from decimal import Decimal

    from workbench import report_index
    m = pd.DataFrame({"month": ["2026-02", "2026-03"], "provider": "AWS", "ServiceName": "EC2",
                      "currency": "JPY", "effective_cost": [Decimal("499.6"), Decimal("500.4")]})
    head = overview.headline(m, "2026-03")
    assert head["previous_change_pct"][0] == 0
    assert overview.comparisons(head)["change_pct"][0] == 0
    said = " ".join(overview.narrative(head, m.iloc[:0].assign(untagged=[], share=[]),
                                       overview.top_movers(m, "2026-03")))
    assert "flat on the previous month (2026-02: ¥500; ¥0, 0.0%)" in said
    assert "¥0 (0.0%) vs 2026-02" in report_index._figures(head.assign(billed_cost=head["cost"]))
    # a line whose change shows is as a share of its base as shown: ¥2 of ¥499.6 (¥500)
    up = m.assign(effective_cost=[Decimal("499.6"), Decimal("501.5")])
    assert overview.top_movers(up, "2026-03")["change_pct"].tolist() == [0.004]


def test_no_percentage_of_a_base_that_shows_as_zero():
    """A service billed $0.004 in February (it shows as $0.00) and $500 in March is new
    spend, not +12,499,900%: in the table, the sentences, the chart of changes and the
    index."""
    from decimal import Decimal

    from workbench import report_index
    m = pd.DataFrame({"month": ["2026-02", "2026-03"], "provider": "AWS", "ServiceName": "S3",
                      "currency": "USD", "effective_cost": [Decimal("0.004"), Decimal("500")]})
    head = overview.headline(m, "2026-03")
    assert math.isnan(head["previous_change_pct"][0])
    assert head["previous_change"][0] == Decimal("499.996")  # the exact change is kept
    said = " ".join(overview.narrative(head, m.iloc[:0].assign(untagged=[], share=[]),
                                       overview.top_movers(m, "2026-03")))
    assert "(2026-02: $0.00; +$500)" in said and "%" not in said
    movers = overview.top_movers(m, "2026-03")
    assert math.isnan(movers["change_pct"][0])
    assert "+$500.00 (new)" in json.dumps(charts.movers(movers, "label", "Q?").to_dict()["datasets"])
    index = report_index._figures(head.assign(billed_cost=head["cost"]))
    assert "+$500 vs 2026-02 (no USD spend then)" in index


def test_top_movers_of_an_empty_selection_is_empty_not_an_error():
    m = monthly_frame()
    out = overview.top_movers(overview.apply_filters(m, {"team": ["nobody"]}), "2026-06")
    assert out.empty and list(out.columns)[:1] == ["label"]


def test_totals_on_a_half_cent_round_like_the_store():
    """$100.80 + $0.005 is $100.805, which rounds to $100.81 (half up) as the index shows it;
    added as floats it is 100.80499... and would show $100.80."""
    m = pd.DataFrame({"month": "2026-06", "currency": "USD", "tagged": ["yes", "no"],
                      "team": ["a", "b"], "effective_cost": [100.8, 0.005]})
    head = overview.headline(m, "2026-06")
    assert tables.money_exact(head.loc[0, "cost"], "USD") == "$100.81"
    un = overview.untagged_share(m, "2026-06")
    assert tables.money_exact(un.loc[0, "total"], "USD") == "$100.81"


def test_a_filter_that_leaves_no_spend_in_a_month_reads_zero_not_unknown():
    m = pd.DataFrame({"month": ["2026-05"], "currency": "USD", "effective_cost": [3000.0]})
    head = overview.headline(m, "2026-06", months=["2026-05", "2026-06"]).iloc[0]
    assert head["cost"] == 0 and head["previous_change_pct"] == -1
    text = " ".join(overview.narrative(overview.headline(m, "2026-06", months=["2026-05", "2026-06"]),
                                       m.iloc[:0].assign(untagged=[], total=[], share=[]),
                                       m.iloc[:0].assign(label=[])))
    assert "was $0.00, down on the previous month" in text
    unknown = overview.narrative(overview.headline(m, "2026-06"), m.iloc[:0].assign(
        untagged=[], total=[], share=[]), m.iloc[:0].assign(label=[]))
    assert "flat" not in " ".join(unknown)


def test_changes_go_by_the_currency_smallest_unit():
    """A change of a fraction of a yen reads flat (not "up ... ¥0") and is no mover."""
    m = pd.DataFrame({"month": ["2026-05", "2026-06", "2026-05", "2026-06"], "currency": "JPY",
                      "provider": "Cloud", "ServiceName": ["VMs", "VMs", "GPU", "GPU"],
                      "effective_cost": [1000.0, 1000.4, 500.0, 800.0]})
    movers = overview.top_movers(m.assign(ServiceName=["VMs", "VMs", "GPU", "GPU"]), "2026-06")
    assert list(movers["ServiceName"]) == ["GPU"]
    vms = m[m["ServiceName"] == "VMs"]
    (text,) = overview.narrative(overview.headline(vms, "2026-06"),
                                 vms.iloc[:0].assign(untagged=[], total=[], share=[]),
                                 movers.iloc[:0])
    assert "flat on the previous month" in text and "up" not in text


def test_a_month_the_data_starts_or_ends_in_is_partial():
    covered = (pd.Timestamp("2026-04-15"), pd.Timestamp("2026-06-11"))  # end exclusive
    assert coverage.partial_month(covered, "2026-06") == ("2026-06-01", "2026-06-10")
    assert coverage.partial_month(covered, "2026-04") == ("2026-04-15", "2026-04-30")
    assert coverage.partial_month(covered, "2026-05") is None
    assert coverage.partial_month(covered, "2026-09") is None
    assert coverage.partial_month(None, "2026-05") is None
    # hourly data one hour short, or starting in a day: the time says what is missing
    hourly = (pd.Timestamp("2026-05-01 06:00"), pd.Timestamp("2026-05-31 23:00"))
    assert coverage.partial_month(hourly, "2026-05") == ("2026-05-01 06:00", "2026-05-31 23:00")
    # a month billed in one row that runs to the next month's first instant is whole
    invoice = (pd.Timestamp("2026-05-01"), pd.Timestamp("2026-06-01"))
    assert coverage.partial_month(invoice, "2026-05") is None
    assert coverage.partial_month(invoice, "2026-06") is None


def test_a_change_from_a_month_of_net_credits_has_no_percentage():
    """From -$5,000 (credits outweighed charges) to $0 is up $5,000: as a share of a negative
    base it would read -100%, the wrong sign, so it reads n/a."""
    m = pd.DataFrame({"month": ["2026-05", "2026-06"], "currency": "USD",
                      "effective_cost": [-5000.0, 0.0]})
    head = overview.headline(m, "2026-06")
    assert head.loc[0, "previous_change"] == 5000 and math.isnan(head.loc[0, "previous_change_pct"])
    text = " ".join(overview.narrative(head, m.iloc[:0].assign(untagged=[], total=[], share=[]),
                                       m.iloc[:0].assign(label=[])))
    assert "up on the previous month (2026-05: -$5.0k; +$5.0k)" in text, text
    movers = overview.top_movers(m.assign(ServiceName="GPU"), "2026-06", dims=["ServiceName"])
    assert math.isnan(movers.loc[0, "change_pct"])


def test_comparisons_put_each_month_compared_with_on_its_own_row():
    long = overview.comparisons(overview.headline(monthly_frame(), "2026-06"))
    usd = long[long.currency == "USD"].to_dict("records")
    assert [r["against"] for r in usd] == ["2026-05 (previous month)", "2025-06 (a year before)"]
    assert usd[0]["cost"] == 200 and usd[0]["then"] == 120 and usd[0]["change"] == 80
    assert usd[1]["then"] == 50 and usd[1]["change"] == 150
    gone = overview.comparisons(overview.headline(monthly_frame(), "2026-05"))
    assert pd.isna(gone.loc[1, "then"]) and pd.isna(gone.loc[1, "change_pct"])  # no data: n/a


def month_of(*charges: dict) -> pd.DataFrame:
    """A monthly frame (Store.monthly's columns) of USD charges in 2026-06: each a dict of
    billed and effective cost and the gap part it is in (`part`), if any."""
    rows = []
    for c in charges:
        gaps = dict.fromkeys(overview.GAP_PARTS, 0.0)
        if c.get("part"):
            gaps[c["part"]] = c["billed"] - c["effective"]
        rows.append({"month": "2026-06", "provider": "AWS", "currency": "USD",
                     "billed_cost": c["billed"], "effective_cost": c["effective"], **gaps})
    return pd.DataFrame(rows)


PURCHASE = {"billed": 84854.13, "effective": 0.0, "part": "purchase_gap"}
COVERED = {"billed": 0.0, "effective": 2357.06, "part": "covered_gap"}
USAGE = {"billed": 500.0, "effective": 500.0}
NEGOTIATED = {"billed": 1000.0, "effective": 912.5}  # a provider writes its rate in EffectiveCost


@pytest.mark.parametrize(("charges", "says"), [
    ((USAGE, PURCHASE), "Billed cost of the month's charges in USD was $85,354.13, $84,854.13 "
     "above effective cost ($500.00): all of it is commitment purchases billed this month, whose "
     "effective cost is spread over the usage they cover."),
    ((USAGE, COVERED), "Billed cost of the month's charges in USD was $500.00, $2,357.06 below "
     "effective cost ($2,857.06): all of it is usage that commitments covered, whose effective cost "
     "carries its share of the commitment."),
    ((USAGE, PURCHASE, COVERED), "Billed cost of the month's charges in USD was $85,354.13, "
     "$82,497.07 above effective cost ($2,857.06). Of the gap (billed less effective), "
     "+$84,854.13 is commitment purchases billed this month, whose effective cost is spread over "
     "the usage they cover; and -$2,357.06 is usage that commitments covered, whose effective cost "
     "carries its share of the commitment."),
    ((USAGE, NEGOTIATED), "Billed cost of the month's charges in USD was $1,500.00, $87.50 above "
     "effective cost ($1,412.50): none of it is a commitment's purchase or usage; it is in "
     "charges whose export gives them an effective cost other than their billed cost."),
    ((USAGE, PURCHASE, NEGOTIATED), "Billed cost of the month's charges in USD was $86,354.13, "
     "$84,941.63 above effective cost ($1,412.50). Of the gap, $84,854.13 is commitment "
     "purchases billed this month, whose effective cost is spread over the usage they cover; "
     "and the rest, $87.50, is charges whose export gives them an effective cost other than "
     "their billed cost."),
])
def test_the_gap_between_billed_and_effective_cost_is_said_by_what_the_data_holds(charges, says):
    """Billed cost apart from effective cost was always "a commitment purchase or
    prepayment", also in a month with none (a provider that writes its negotiated rate into
    EffectiveCost). The sentence names only the parts the month holds, to the cent, and the
    billed cost of the month's charges, never "what the invoices charge" (the billing
    period's figure, with corrections of earlier months in it)."""
    assert overview.billed_apart(month_of(*charges), "2026-06") == [says]


def test_no_gap_between_billed_and_effective_cost_says_nothing():
    assert overview.billed_apart(month_of(USAGE, USAGE), "2026-06") == []
    assert overview.billed_apart(monthly_frame(), "2026-06") == []


def test_the_parts_of_the_gap_add_up_to_it_to_the_cent():
    """Sub-cent parts: each is shown to the cent and the rest is what they leave of the gap
    shown, so the figures of the sentence add up ($0.005 and $0.005 are not $0.02)."""
    charges = ({"billed": 100.005, "effective": 0.0, "part": "purchase_gap"},
               {"billed": 50.005, "effective": 0.0, "part": "purchase_gap"},
               {"billed": 0.0, "effective": 20.004, "part": "covered_gap"},
               {"billed": 10.0, "effective": 9.996})
    (said,) = overview.billed_apart(month_of(*charges), "2026-06")
    figures = [Decimal(f.replace(",", "")) for f in re.findall(r"([+-]?)\$([\d,.]+)", said)
               for f in [f[0] + f[1]]]
    billed, gap, effective, *parts = figures
    assert billed - effective == gap == sum(parts)


def test_a_rest_only_rounding_makes_is_said_as_rounding():
    """A purchase of $100.005 is the whole gap; shown to the cent, the purchase is $100.01 and
    the gap $100.00: the cent left is rounding, not charges whose export gives them another
    effective cost (there are none)."""
    charges = ({"billed": 100.005, "effective": 0.0, "part": "purchase_gap"},
               {"billed": 0.005, "effective": 0.005})
    (said,) = overview.billed_apart(month_of(*charges), "2026-06")
    assert said.endswith("; and the rest, -$0.01, is the rounding of the figures shown."), said
    charges += ({"billed": 2.0, "effective": 1.0},)
    (said,) = overview.billed_apart(month_of(*charges), "2026-06")
    assert said.endswith(f"; and the rest, $0.99, is {overview.GAP_REST}."), said


def test_billed_cost_apart_goes_by_the_currency_smallest_unit():
    """A gap a currency cannot show (a fraction of a yen) says nothing, where it read
    "¥0 above effective cost"; one of a few fils (3 decimals) is said."""
    def frame(cur, billed, effective):
        return month_of({"billed": billed, "effective": effective}).assign(currency=cur)

    assert overview.billed_apart(frame("JPY", 1000000.0, 999999.6), "2026-06") == []
    (said,) = overview.billed_apart(frame("BHD", 10.004, 10.0), "2026-06")
    assert "BHD 0.004 above effective cost" in said


def test_a_movers_change_is_exact_as_the_headline_s():
    """Bills carry sub-cent amounts: $100.00 against $100.145 is -$0.145, which shows as
    -$0.15 in the headline; float subtraction (-0.14499999999999602) made the mover -$0.14,
    and made a change of half a fils no change at all."""
    rows = [("2026-05", "AWS", "EC2", "USD", 100.145), ("2026-06", "AWS", "EC2", "USD", 100.0),
            ("2026-05", "Gulf", "VMs", "BHD", 0.0155), ("2026-06", "Gulf", "VMs", "BHD", 0.014)]
    df = pd.DataFrame(rows, columns=["month", "provider", "ServiceName", "currency",
                                     "effective_cost"])
    mv = overview.top_movers(df, "2026-06").set_index("currency")
    head = overview.headline(df, "2026-06").set_index("currency")
    for cur in ("USD", "BHD"):
        assert (tables.signed_money(mv.loc[cur, "change"], cur)
                == tables.signed_money(head.loc[cur, "previous_change"], cur))
    assert tables.signed_money(mv.loc["USD", "change"], "USD") == "-$0.15"


def test_a_breakdown_adds_its_rows_exactly():
    """$7.383 and $8.072 (two environments of one team) are $15.455, $15.46 to the cent; a
    float sum (15.454999...) showed $15.45 on the bar and in the list of full names."""
    rows = [("2026-06", "search", "prod", "USD", 7.383), ("2026-06", "search", "dev", "USD", 8.072)]
    df = pd.DataFrame(rows, columns=["month", "team", "environment", "currency", "effective_cost"])
    cost = overview.breakdown(df, "2026-06", "team")["cost"].iloc[0]
    assert tables.money_exact(cost, "USD") == "$15.46"


def test_a_month_the_data_lacks_is_a_gap_in_the_trend_not_zero_spend():
    """Exports of January and March, February's file missing: February is not a month of no
    spend. Its days are left empty (the line breaks), not drawn as 0."""
    days = pd.date_range("2026-01-01", "2026-03-31", freq="D")
    daily = pd.DataFrame({"date": days[days.month != 2], "currency": "USD", "cost": 4.0})
    coverage = (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01"))
    win = overview.daily_window(daily, "2026-03", coverage=coverage,
                                months=["2026-01", "2026-03"]).set_index("date")["cost"]
    assert win[win.index.month == 2].isna().all() and len(win[win.index.month == 2]) == 28
    assert (win[win.index.month != 2] == 4.0).all()
    trend = charts.trend(win.reset_index().assign(currency="USD"), "2026-03-01", "2026-04-01", "q?")
    rows = trend.to_dict()["datasets"]
    drawn = [r["cost"] for rows_ in rows.values() for r in rows_ if r.get("kind") == "day"]
    assert drawn.count(None) == 28 and 0 not in drawn


def test_spend_all_tagged_is_said_so():
    m = pd.DataFrame({"month": "2026-06", "currency": "USD", "tagged": "yes", "team": ["a", "b"],
                      "effective_cost": [10.0, 5.0]})
    text = overview.narrative(overview.headline(m, "2026-06"), overview.untagged_share(m, "2026-06"),
                              m.iloc[:0].assign(label=[]))
    assert "All USD spend has a team tag." in text and not any("0.0%" in t for t in text)


def test_a_selection_with_no_day_in_the_window_has_no_trend():
    """A provider that starts in March, viewed in February: no day of its data falls in
    the window, so the window is empty (the chart says so), not days of no currency."""
    daily = pd.DataFrame({"date": pd.date_range("2026-03-01", "2026-03-31", freq="D"),
                          "currency": "JPY", "cost": 1.0})
    win = overview.daily_window(daily, "2026-02", coverage=(pd.Timestamp("2026-01-01"),
                                                            pd.Timestamp("2026-04-01")))
    assert win.empty
    chart = charts.trend(win, "2026-02-01", "2026-03-01", "How did daily spend move?")
    assert "no spend in this selection" in json.dumps(chart.to_dict())


def gap_frame():
    """USD from AWS and Azure; Azure's April export is not loaded (it has March)."""
    rows = [("2026-03", "Azure", "Azure OpenAI", 50.0),
            ("2026-04", "AWS", "Amazon EC2", 100.0),
            ("2026-05", "AWS", "Amazon EC2", 110.0),
            ("2026-05", "AWS", "Amazon Bedrock", 30.0),  # new: AWS has April, not this line
            ("2026-05", "Azure", "Azure OpenAI", 500.0)]
    df = pd.DataFrame(rows, columns=["month", "provider", "ServiceName", "effective_cost"])
    return df.assign(currency="USD", team="a", tagged="yes", billed_cost=df["effective_cost"])


def test_a_provider_with_no_data_in_the_month_compared_is_not_compared_nor_new():
    """Azure's May against an April its data lacks is no growth: the change is n/a with
    the provider named, and its lines are no movers; AWS's new line stays new."""
    df = gap_frame()
    held = overview.provider_months(df)
    assert held["Azure"] == {"2026-03", "2026-05"}
    usd = overview.headline(df, "2026-05", providers=held).iloc[0]
    assert usd["cost"] == 640.0 and usd["previous"] == 100.0  # totals kept whole
    assert math.isnan(usd["previous_change"]) and math.isnan(usd["previous_change_pct"])
    assert usd["previous_without"] == ["Azure"] and usd["last_year_without"] == []  # no data
    text = " ".join(overview.narrative(overview.headline(df, "2026-05", providers=held),
                                       df.iloc[:0], df.iloc[:0].assign(label=[])))
    assert ("not comparable with the previous month (2026-04: $100), as Azure has no data "
            "for 2026-04") in text and "up on the previous month" not in text
    # the selection of AWS alone compares whole
    aws = overview.apply_filters(df, {"provider": ["AWS"]})
    assert overview.headline(aws, "2026-05", providers=held).iloc[0]["previous_change"] == 40.0
    mv = overview.top_movers(df, "2026-05", providers=held)
    assert list(mv["label"]) == ["AWS / Amazon Bedrock", "AWS / Amazon EC2"]
    assert mv.iloc[0]["previous"] == 0 and math.isnan(mv.iloc[0]["change_pct"])  # new
    assert overview.not_compared(df, "2026-05", held) == [
        "Azure has no data for 2026-04: its USD charges of 2026-05 ($500) are not compared "
        "(no data for the month compared), neither new nor grown, and left out of the changes."]
    # a currency with no data at all the month before is said apart, not per provider
    assert overview.not_compared(df, "2026-05", held, {"USD": {"2026-05"}}) == []


def test_a_provider_whose_data_starts_after_the_month_compared_is_new_not_missing():
    """Azure onboarded in May (no month of its data before): its spend is growth and its
    lines are new movers; a gap reads only inside a provider's months."""
    df = gap_frame()
    df = df[df["month"] != "2026-03"]  # Azure's first month is now May
    held = overview.provider_months(df)
    usd = overview.headline(df, "2026-05", providers=held).iloc[0]
    assert usd["previous_change"] == 540.0 and usd["previous_without"] == []
    mv = overview.top_movers(df, "2026-05", providers=held)
    assert "Azure / Azure OpenAI" in list(mv["label"])
    assert overview.not_compared(df, "2026-05", held) == []


def test_months_of_other_lengths_are_also_compared_per_day():
    """A fee of the same amount each day reads +3.3% from September to October; per day it
    is flat, and a real rise shows at its size per day."""
    from decimal import Decimal
    m = pd.DataFrame({"month": ["2026-09", "2026-10", "2026-09", "2026-10"],
                      "currency": ["EUR", "EUR", "USD", "USD"],
                      "effective_cost": [Decimal("2938.80"), Decimal("3036.76"),
                                         Decimal("3000"), Decimal("3410")]})
    m["by_day_cost"] = m["effective_cost"]  # billed by the day

    def per_day_note(df, month):
        return overview.per_day_note(overview.headline(df, month), df)

    note = per_day_note(m, "2026-10")
    assert note == ("2026-10 has 31 days and 2026-09 30. "
                    "Per day, EUR spend was flat (€97.96 a day in both); USD spend rose 10.0% "
                    "($110.00 a day against $100.00).")
    # same lengths, or nothing comparable: no note
    same = m.assign(month=m["month"].map({"2026-09": "2026-07", "2026-10": "2026-08"}))
    assert per_day_note(same, "2026-08") is None
    assert per_day_note(m[m["month"] == "2026-10"], "2026-10") is None
    feb = m.assign(month=m["month"].map({"2026-09": "2026-02", "2026-10": "2026-03"}))
    assert "2026-03 has 31 days and 2026-02 28" in per_day_note(feb, "2026-03")


def test_per_day_leaves_out_what_a_months_length_does_not_drive():
    """A $1,000 subscription each month is flat, not 9.7% lower a day in March than in
    February; beside usage, a monthly credit is left out of the per-day figures, and said."""
    from decimal import Decimal
    fee = pd.DataFrame({"month": ["2026-02", "2026-03"], "currency": "USD",
                        "effective_cost": [Decimal("1000"), Decimal("1000")],
                        "by_day_cost": [Decimal("0"), Decimal("0")]})
    assert overview.per_day_note(overview.headline(fee, "2026-03"), fee) is None
    # $100 a day of usage and a $500 credit each month: per day, usage is flat
    usage = pd.DataFrame({"month": ["2026-02", "2026-03"], "currency": "USD",
                          "effective_cost": [Decimal("2300"), Decimal("2600")],
                          "by_day_cost": [Decimal("2800"), Decimal("3100")]})
    assert overview.per_day_note(overview.headline(usage, "2026-03"), usage) == (
        "2026-03 has 31 days and 2026-02 28. Per day, USD spend was flat ($100.00 a day in "
        "both, not counting month-long and one-off charges).")


def test_no_per_day_sentence_for_a_currency_with_no_spend_in_either_month():
    """A filter's team that spent only a year before: $0.00 in both months is no change the
    calendar is part of."""
    from decimal import Decimal
    m = pd.DataFrame({"month": ["2025-10", "2026-09", "2026-10", "2026-09", "2026-10"],
                      "currency": ["USD", "USD", "USD", "EUR", "EUR"],
                      "effective_cost": [Decimal("310"), Decimal("0"), Decimal("0"),
                                         Decimal("3000"), Decimal("3100")]})
    m["by_day_cost"] = m["effective_cost"]
    note = overview.per_day_note(overview.headline(m, "2026-10"), m)
    assert note.endswith("Per day, EUR spend was flat (€100.00 a day in both).")
    usd = m[m["currency"] == "USD"]
    assert overview.per_day_note(overview.headline(usd, "2026-10"), usd) is None


def lagging_frame():
    """2026-11 in progress, the data to the 27th (AWS). Google Cloud's USD export is not
    delivered past 2026-10-31 (Pacific), Microsoft's EUR account past 2026-10-31 (only its
    monthly reservation payment, of effective cost 0, in November) while its USD account
    runs on; Old Cloud stopped in early October (no longer used)."""
    rows = [("2026-10", "AWS", "Amazon EC2", "USD", 310.0), ("2026-11", "AWS", "Amazon EC2", "USD", 270.0),
            ("2026-10", "Google Cloud", "Compute Engine", "USD", 1860.0),
            ("2026-11", "Google Cloud", "Compute Engine", "USD", 0.0),
            ("2026-10", "Microsoft", "Virtual Machines", "USD", 100.0),
            ("2026-11", "Microsoft", "Virtual Machines", "USD", 90.0),
            ("2026-10", "Old Cloud", "Old VMs", "USD", 40.0),
            ("2026-10", "Microsoft", "Virtual Machines", "EUR", 1705.0),
            ("2026-11", "Microsoft", "Virtual Machines", "EUR", 0.0)]
    df = pd.DataFrame(rows, columns=["month", "provider", "ServiceName", "currency", "effective_cost"])
    df = df.assign(team="a", tagged="yes", billed_cost=df["effective_cost"])
    ends = pd.DataFrame([("AWS", "USD", "2026-11-28"), ("Google Cloud", "USD", "2026-11-01 08:00"),
                         ("Microsoft", "USD", "2026-11-28"), ("Microsoft", "EUR", "2026-11-01"),
                         ("Old Cloud", "USD", "2026-10-11")], columns=["provider", "currency", "end"])
    return df, ends.assign(end=[pd.Timestamp(e) for e in ends["end"]]), pd.Timestamp("2026-11-28")


def test_data_not_delivered_past_a_day_is_no_fall():
    """A provider whose data stops before the rest reads as 'not delivered past DATE', not
    as a fall to 0: no change in the headline, its lines out of the movers and named with
    their amounts; a provider that stopped long ago falls for real."""
    df, ends, end = lagging_frame()
    short = overview.short_of(ends, "2026-11", end)
    assert short == {"EUR": {"Microsoft": "2026-10-31"}, "USD": {"Google Cloud": "2026-11-01 08:00"}}
    head = overview.headline(df, "2026-11", short=short, end=end).set_index("currency")
    assert head.loc["USD", "cost"] == 360.0 and head.loc["USD", "previous"] == 2310.0  # kept whole
    assert math.isnan(head.loc["USD", "previous_change"]) and math.isnan(head.loc["EUR", "previous_change"])
    mv = overview.top_movers(df, "2026-11", short=short)
    assert list(mv["label"]) == ["AWS / Amazon EC2", "Old Cloud / Old VMs",
                                 "Microsoft / Virtual Machines"]
    assert list(mv["currency"]) == ["USD"] * 3
    text = " ".join(overview.narrative(head.reset_index(), df.iloc[:0], mv))
    assert ("In 2026-11 effective spend in EUR was €0.00 over 27 of its 30 days, not comparable "
            "with the previous month (2026-10: €1.7k), as Microsoft's EUR data is not delivered "
            "past 2026-10-31") in text
    assert ("as Google Cloud's USD data is not delivered past 2026-11-01 08:00") in text
    assert "-100" not in text and "down on" not in text
    assert overview.not_delivered(df, "2026-11", short) == [
        "Microsoft's EUR data is not delivered past 2026-10-31: its EUR charges (€0.00 in "
        "2026-11, €1.7k in 2026-10) are not compared, neither a fall nor a rise, and left out "
        "of the changes.",
        "Google Cloud's USD data is not delivered past 2026-11-01 08:00: its USD charges ($0.00 "
        "in 2026-11, $1.9k in 2026-10) are not compared, neither a fall nor a rise, and left "
        "out of the changes."]


def test_a_change_against_a_partial_month_says_by_how_many_days():
    """Every provider to the data's end (the 27th): a change, said as 27 days against 31."""
    df, ends, end = lagging_frame()
    df, ends = (overview.apply_filters(x, {"provider": ["AWS", "Microsoft"]}) for x in (df, ends))
    df, ends = df[df["currency"] == "USD"], ends[ends["currency"] == "USD"]
    short = overview.short_of(ends, "2026-11", end)
    assert short == {}
    head = overview.headline(df, "2026-11", short=short, end=end)
    assert head.iloc[0]["previous_change"] == -50.0 and head.iloc[0]["days"] == 27
    both = pd.concat([head, overview.headline(df, "2026-10", short=short, end=end)])
    assert json.dumps([r["days"] for r in report_index.headline_records(both)]) == "[27, null]"
    mv = overview.top_movers(df, "2026-11", short=short)
    text = " ".join(overview.narrative(head, df.iloc[:0], mv))
    assert ("In 2026-11 effective spend in USD was $360 over 27 of its 30 days, down on the "
            "previous month (2026-10: $410; -$50.00, -12.2%; 27 days against 31)") in text
    assert "fell by $40.00 from $310 to $270, 27 days against 31." in text
    assert overview.comparisons(head)["against"].iloc[0] == "2026-10 (previous month; 27 days against 31)"
    # a whole month says nothing of days, and nothing is short of it
    assert overview.short_of(ends, "2026-10", end) == {}
    whole = overview.headline(df, "2026-10", short={}, end=end)
    assert whole.iloc[0]["days"] is None
    assert overview.comparisons(whole)["against"].iloc[0] == "2026-09 (previous month)"


def test_a_partial_month_is_also_compared_like_for_like():
    """Data to the 27th: the same first 27 days of the month before set against them, the
    providers not delivered that far left out of both sides; nothing for a whole month."""
    days = lambda a, b: pd.date_range(a, b)  # noqa: E731
    rows = ([(d, "AWS", "USD", 10.0) for d in days("2026-10-01", "2026-10-31")]
            + [(d, "AWS", "USD", 11.0) for d in days("2026-11-01", "2026-11-27")]
            + [(d, "Google Cloud", "USD", 60.0) for d in days("2026-10-01", "2026-10-31")]
            + [(d, "Microsoft", "EUR", 55.0) for d in days("2026-10-01", "2026-10-31")])
    daily = pd.DataFrame(rows, columns=["date", "provider", "currency", "cost"])
    short = {"USD": {"Google Cloud": "2026-10-31"}, "EUR": {"Microsoft": "2026-10-31"}}
    assert overview.like_for_like(daily, "2026-11", 27, short) == [
        "Like for like, over the first 27 days of 2026-11 and the first 27 of 2026-10, USD "
        "spend was $297.00 against $270.00: up $27.00, +10.0%, leaving out Google Cloud (not "
        "delivered that far)."]
    assert overview.like_for_like(daily, "2026-11", None, short) == []
