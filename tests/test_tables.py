"""Money formatting: units, signs, currencies never mixed, HTML escaping."""

import math
from decimal import Decimal

import pandas as pd
import pytest

from workbench import tables


@pytest.mark.parametrize("amount,currency,expected", [
    (1_234_567, "USD", "$1.2M"),
    (34_500, "USD", "$34.5k"),
    (999.6, "USD", "$1.0k"),          # would print as 1000: next unit
    (999_960, "USD", "$1.0M"),
    (950, "USD", "$950"),
    (4.5, "USD", "$4.50"),
    (-2_000, "USD", "-$2.0k"),
    (-0.001, "USD", "$0.00"),         # no "-$0.00"
    (2_500, "EUR", "\u20ac2.5k"),
    (2_500, "CHF", "CHF 2.5k"),       # no symbol known: the ISO code
    (3.2e9, "USD", "$3.2B"),
    (None, "USD", "n/a"),
    (math.nan, "USD", "n/a"),
    (45.6, "JPY", "\u00a546"),        # no sen: the yen's smallest unit
    (4.5, "KWD", "KWD 4.500"),
])
def test_money(amount, currency, expected):
    assert tables.money(amount, currency) == expected


def test_money_exact_rounds_half_up_to_the_cent():
    assert tables.money_exact(1234567.005, "USD") == "$1,234,567.01"
    assert tables.money_exact(-12.345, "EUR") == "-\u20ac12.35"
    assert tables.money_exact(float("nan")) == "n/a"
    assert tables.money_exact(1839619.13, "JPY") == "\u00a51,839,619"


def test_money_exact_never_prints_a_cent_a_float_cannot_hold():
    # 2858115771362327.43 as a float is ...327.5: past 15 significant digits it is marked
    assert tables.money_exact(2858115771362327.43, "IDR") == "\u2248IDR 2,858.1T"
    assert tables.money_exact(Decimal("2858115771362327.43"), "IDR") == "IDR 2,858,115,771,362,327.43"
    assert tables.money_exact(999_999_999_999_999.0, "JPY") == "\u00a5999,999,999,999,999"
    assert tables.money_exact(9_999_999_999_999.99, "USD") == "$9,999,999,999,999.99"
    assert tables.money_exact(89_999_999_999_999.99, "USD") == "\u2248$90.0T"  # 16 digits
    big = [Decimal("2858115771362327.43"), Decimal("-0.01"), 1]
    assert tables.exact_sum(big) == Decimal("2858115771362328.42")
    assert tables.exact_sum([0.1, 0.2]) == 0.3 and tables.exact_sum([]) == 0.0


def test_exact_sums_and_cents_hold_every_digit_the_store_keeps():
    """The store keeps DECIMAL(38, 10); Python's default 28 digits would round its sums."""
    widest = Decimal("9" * 28 + "." + "9" * 10)  # the largest amount the store holds
    assert tables.exact_sum([widest, Decimal("-0.0000000001")]) == Decimal("9" * 28 + ".9999999998")
    assert tables.exact_sum([Decimal("1234567890123456789.1234567891"),
                             Decimal("0.0000000009")]) == Decimal("1234567890123456789.12345679")
    assert tables.money_exact(Decimal("6" + "0" * 27), "EUR") == "\u20ac6," + ",".join(["000"] * 9) + ".00"
    assert tables.money_exact(widest, "USD") == "$10," + ",".join(["000"] * 9) + ".00"


def test_short_money_rounds_half_up_as_the_exact_figures_do():
    # a float rounds half to even on its binary value: CHF 400.50 read "CHF 400" beside
    # CHF 600.75 as "CHF 601"
    assert tables.money(400.5, "CHF") == "CHF 401"
    assert tables.money(1250, "USD") == "$1.3k" and tables.money(-1250, "USD") == "-$1.3k"
    assert tables.money(2.675, "USD") == "$2.68" and tables.money(12.5, "JPY") == "¥13"
    assert tables.money(999949, "USD") == "$999.9k" and tables.money(999950, "USD") == "$1.0M"


def test_signed_money_sign_follows_the_figure_shown():
    # an IDR change past what a float holds to the cent is approximate: its sign follows the
    # mark ("+≈-IDR" read as a rise)
    assert tables.signed_money(-2222222202222240.06, "IDR", exact=True) == "≈-IDR 2,222.2T"
    assert tables.signed_money(2222222202222240.06, "IDR", exact=True) == "≈+IDR 2,222.2T"
    # a sign goes with the currency's own smallest unit, not with cents
    assert tables.signed_money(0.004, "BHD") == "+BHD 0.004"
    assert tables.signed_money(-0.004, "BHD", exact=True) == "-BHD 0.004"
    assert tables.signed_money(0.4, "JPY") == "¥0"
    assert tables.signed_money(0.004, "USD") == "$0.00"


def test_signed_money_and_percent():
    assert tables.signed_money(1500, "USD") == "+$1.5k"
    assert tables.signed_money(-1500, "USD") == "-$1.5k"
    assert tables.signed_money(0, "USD") == "$0.00"
    assert tables.signed_money(103544.18, "USD", exact=True) == "+$103,544.18"
    assert tables.signed_money(-1500, "JPY", exact=True) == "-¥1,500"
    # an exact table shows its changes exactly too, beside the amounts they join
    out = str(tables.table(pd.DataFrame({"currency": ["USD"], "cost": [808222.70],
                                         "change": [103544.18]}),
                           money_cols=["cost"], signed_cols=["change"], exact=True))
    assert "$808,222.70" in out and "+$103,544.18" in out
    empty = str(tables.table(pd.DataFrame(columns=["currency", "cost"]), money_cols=["cost"]))
    assert '<td colspan="2">nothing in this selection</td>' in empty
    assert tables.percent(0.1234) == "12.3%"
    assert tables.percent(0.1234, signed=True) == "+12.3%"
    assert tables.percent(float("inf")) == "n/a"
    assert tables.percent(999999.0, signed=True) == "+99,999,900.0%"  # from $0.01 to $10k
    assert tables.percent(-0.00004, signed=True) == "0.0%" == tables.percent(0.00004, signed=True)


def test_table_formats_each_row_in_its_own_currency():
    df = pd.DataFrame({"currency": ["USD", "EUR"], "cost": [1500.0, 2500.0],
                       "change": [-10.0, 20.0], "pct": [0.5, float("nan")]})
    out = tables.table(df, money_cols=["cost"], signed_cols=["change"], percent_cols=["pct"],
                       labels={"cost": "this month"}, title="A <title>")
    assert '<th scope="col" class="num">this month</th>' in out and '<th scope="col">currency</th>' in out
    assert "$1.5k" in out and "\u20ac2.5k" in out and "-$10.00" in out and "+\u20ac20.00" in out
    assert "+50.0%" in out and "n/a" in out
    assert "A &lt;title&gt;" in out  # escaped
    assert tables.NO_MATH in out and out._repr_html_() == str(out)
    exact = tables.table(df, money_cols=["cost"], exact=True)
    assert "$1,500.00" in exact


def test_paragraph_escapes_and_protects_dollars_from_mathjax():
    p = tables.paragraph("spend was $1.2M <b>")
    assert "&lt;b&gt;" in p and "mathjax_ignore" in p and "$1.2M" in p


def test_a_cell_with_a_long_unbroken_name_may_break_inside_it_and_amounts_never():
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/an-endpoint-name-without-spaces"
    df = pd.DataFrame({"resource": [arn, "vm web 1 of the search team fleet"], "currency": ["USD"] * 2,
                       "cost": [1234567.89, 1.0]})
    out = tables.table(df, money_cols=["cost"], exact=True)
    assert f'<td class="wb-wrap">{arn}</td>' in out  # report.css: overflow-wrap: anywhere
    assert '<td class="">vm web 1 of the search team fleet</td>' in out  # words stay whole
    assert '<td class="num">$1,234,567.89</td>' in out
    assert tables.wrap_class("/subscriptions/0000/resourceGroups/rg/providers/x") == "wb-wrap"
    assert tables.wrap_class("AWS / Amazon Elastic Compute Cloud") == ""


def test_units_of_account_show_their_four_digits():
    """Chile's UF (CLF) and Uruguay's UYW have four minor digits: a summary to the cent
    would drop what they bill."""
    from workbench.currencies import to_smallest_unit
    assert str(to_smallest_unit("12.34567", "CLF")) == "12.3457"
    assert str(to_smallest_unit("0.00005", "UYW")) == "0.0001"
    assert str(to_smallest_unit("7.5", "UYI")) == "8"


def test_decimals_stay_exact_in_sums_and_short_money():
    """The pages' frames hold the store's decimals: a 0 filled in beside them keeps a sum
    exact, and short money reads the decimal, not its float ($0.0049999999999999999 is
    0.005 as a float, which showed $0.01)."""
    near = Decimal("1234567.0049999999")
    assert tables.exact_sum([near, 0.0]) == near and isinstance(tables.exact_sum([near, 0.0]), Decimal)
    assert tables.money(Decimal("0.0049999999999999999"), "USD") == "$0.00"
    assert tables.money(Decimal("999.4999999999999999"), "USD") == "$999"
    assert tables.money(Decimal("1249.9999999999999999"), "USD") == "$1.2k"
    assert tables.money(Decimal("-2858115771362327.43"), "IDR") == "-IDR 2,858.1T"


def test_a_percentage_is_rounded_half_up_as_amounts_are():
    """A percentage of amounts shown to the smallest unit often ends on a half (¥5 of ¥400
    is 1.25%): it reads as money rounds, half away from zero, not by a float's binary value
    (1.2% there, yet 0.4% for 0.35%)."""
    assert [tables.percent(r) for r in (5 / 400, 7 / 2000, 0.0045, 0.0015)] == [
        "1.3%", "0.4%", "0.5%", "0.2%"]
    assert tables.percent(-5 / 400, signed=True) == "-1.3%"
    assert tables.percent(0.1234, digits=0) == "12%" and tables.percent(0.125, digits=0) == "13%"
    from decimal import Decimal
    assert tables.percent(Decimal(5) / Decimal(400), signed=True) == "+1.3%"
