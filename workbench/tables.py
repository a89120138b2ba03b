"""Money formatting and small HTML tables.

Amounts are always shown with their currency ($1.2M, EUR 34.5k); nothing here ever adds
two currencies. Functions return `Html`, a str that Jupyter, Voila and nbconvert render
as HTML, so the same call works in a notebook, a report and an app.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal, localcontext

import pandas as pd

from workbench.currencies import half_up, minor_units, to_smallest_unit
from workbench.schema import EXACT_DIGITS

SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3", "JPY": "\u00a5", "INR": "\u20b9",
           "CAD": "CA$", "AUD": "A$", "CNY": "CN\u00a5"}
UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))

# MathJax (JupyterLab, Voila) reads "$...$" as math; these classes tell it not to.
NO_MATH = "tex2jax_ignore mathjax_ignore"
# A word longer than this (an ARN, an Azure resource id, a path) cannot be kept whole in a
# column of a printed page.
LONG_WORD = 24


class Html(str):
    """An HTML fragment that notebooks display as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


def _missing(amount) -> bool:
    if amount is None or amount is pd.NA:
        return True
    try:
        return math.isnan(float(amount))
    except (TypeError, ValueError):
        return True


def _with_currency(text: str, currency: str | None, negative: bool) -> str:
    sign = "-" if negative else ""
    cur = (currency or "").upper()
    if cur in SYMBOLS:
        return f"{sign}{SYMBOLS[cur]}{text}"
    return f"{sign}{cur} {text}".strip() if cur else f"{sign}{text}"


def exact_sum(values) -> float | Decimal:
    """The sum of money amounts as the store's exact sums would give it.

    Amounts the store gave as decimals add up exactly, to a Decimal (whole numbers and
    floats beside them, such as a 0 filled in, count as the decimals they show). Amounts
    that are all floats are each an exact decimal sum the store turned into the nearest
    float; adding floats can move a total that sits on a half cent to the wrong side of it
    ($100.805 as 100.80499...), so they are added as the decimals their shortest text
    shows, to a float.
    """
    values = list(values)
    exact = [isinstance(v, Decimal | int) and not isinstance(v, bool) for v in values]
    with localcontext(prec=EXACT_DIGITS):
        total = sum((v if e else Decimal(repr(float(v))) for v, e in zip(values, exact, strict=True)),
                    Decimal(0))
    if values and (all(exact) or any(isinstance(v, Decimal) for v in values)):
        return total
    return float(total)


def money(amount, currency: str | None = "USD", digits: int = 1) -> str:
    """Short money: $1.2M, $34.5k, $950, $4.56, -EUR 2.0k; 'n/a' when missing."""
    if _missing(amount):
        return "n/a"
    # a Decimal stays exact: $0.0049999999999999999 is $0.00, where its float reads $0.01
    value = amount if isinstance(amount, Decimal) else float(amount)
    a = abs(value)
    # rounded half up, as exact amounts are: a float's own rounding read CHF 400.50 as
    # "CHF 400" beside CHF 600.75 as "CHF 601", and $1,250 as "$1.2k"
    if a >= Decimal("999.5"):  # would print as 1000 or more: the smallest unit under 1000
        for size, suffix in reversed(UNITS):
            with localcontext(prec=EXACT_DIGITS):
                scaled = half_up(a / type(a)(size), digits)
            if scaled < 1000 or suffix == "T":
                text = f"{scaled:,.{digits}f}{suffix}"
                break
    else:
        places = 0 if a >= 100 else minor_units(currency)
        text = f"{half_up(a, places):,.{places}f}"
    negative = value < 0 and text.strip("0.,") != ""
    return _with_currency(text, currency, negative)


def money_exact(amount, currency: str | None = "USD") -> str:
    """Money to the cent (the currency's smallest unit) with thousands separators:
    $1,234,567.89, ¥1,839,619.

    A float gives back any 15 significant digits: past 10**15 smallest units (1e13 with
    cents) it may not hold the cent, and is shown short and marked approximate
    (≈IDR 2,858.1T) rather than with a wrong cent. Decimal amounts are exact at any size.
    """
    if _missing(amount):
        return "n/a"
    digits = minor_units(currency)
    if isinstance(amount, float) and abs(amount) * 10 ** digits >= 10 ** 15:
        return "≈" + money(amount, currency)
    d = to_smallest_unit(amount, currency)
    return _with_currency(f"{abs(d):,.{digits}f}", currency, d < 0)


def signed_money(amount, currency: str | None = "USD", exact: bool = False) -> str:
    """A change in money with an explicit sign: +$1.2k, -$300 (exact: +$1,234.56), ≈+IDR 2.2T.

    The sign goes by the text shown, after an approximate figure's "≈": a change that shows
    as zero in the currency's smallest unit (¥0.4) has none, and one that does not (BHD 0.004)
    has one.
    """
    if _missing(amount):
        return "n/a"
    text = (money_exact if exact else money)(amount, currency)
    approx, body = ("≈", text[1:]) if text.startswith("≈") else ("", text)
    if body.startswith("-") or not any(ch in "123456789" for ch in body):
        return text
    return f"{approx}+{body}"


def percent(ratio, digits: int = 1, signed: bool = False) -> str:
    """0.123 -> '12.3%' ('+12.3%' when signed); 'n/a' when missing or infinite. Rounded
    half up as amounts are: a share of amounts shown to the cent often ends on a half (¥5
    of ¥400 is 1.25%, +1.3%), which a float's rounding (half even, on its binary value)
    reads one way or the other."""
    if _missing(ratio) or math.isinf(float(ratio)):
        return "n/a"
    value = half_up(Decimal(str(ratio)).scaleb(2), digits)
    value = value.copy_abs() if value == 0 else value  # no "-0.0%" for a tiny fall
    text = f"{value:,.{digits}f}%"  # a rise from a few cents runs to millions of percent
    return f"+{text}" if signed and value > 0 else text


def paragraph(text: str) -> Html:
    """Narrative text: escaped, and protected from MathJax reading dollar signs as math."""
    return Html(f'<p class="wb-note {NO_MATH}">{html.escape(text)}</p>')


def details(summary: str, lines: list[str]) -> Html:
    """A list the reader opens when wanted (closed by default), escaped like a notice."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return Html(f'<details class="wb-details {NO_MATH}"><summary>{html.escape(summary)}</summary>'
                f"<ul>{items}</ul></details>")


def notice(text: str) -> Html:
    """Something the reader must know is missing (e.g. no drivers configured)."""
    return Html(f'<div class="wb-notice {NO_MATH}" role="note">{html.escape(text)}</div>')


def wrap_class(text: str) -> str:
    """The class of a table cell that holds a word too long to keep whole: "wb-wrap" lets
    it break anywhere (see report.css), so the table fits the page; a cell of ordinary
    words gets "" and keeps them whole."""
    return "wb-wrap" if any(len(word) > LONG_WORD for word in str(text).split()) else ""


def table(df: pd.DataFrame, money_cols: Mapping[str, str] | Iterable[str] = (),
          percent_cols: Iterable[str] = (), signed_cols: Iterable[str] = (),
          currency_col: str = "currency", labels: Mapping[str, str] | None = None,
          title: str | None = None, exact: bool = False) -> Html:
    """An HTML table; money columns are formatted with each row's own currency.

    money_cols: columns holding amounts in the row's `currency_col`.
    signed_cols: money columns shown with an explicit sign (changes).
    """
    money_cols = list(money_cols)
    percent_cols, signed_cols = set(percent_cols), set(signed_cols)
    labels = dict(labels or {})
    fmt = money_exact if exact else money
    numeric = set(money_cols) | percent_cols | signed_cols  # headed right, over their amounts
    head = "".join(("<th scope=\"col\" class=\"num\">" if c in numeric else "<th scope=\"col\">")
                   + f"{html.escape(labels.get(c, str(c)))}</th>" for c in df.columns)
    rows = []
    for rec in df.to_dict("records"):
        cur = rec.get(currency_col)
        cells = []
        for col in df.columns:
            val = rec[col]
            if col in signed_cols:
                text, cls = signed_money(val, cur, exact), "num"
            elif col in money_cols:
                text, cls = fmt(val, cur), "num"
            elif col in percent_cols:
                text, cls = percent(val, signed=True), "num"
            else:
                text = "" if _missing(val) and not isinstance(val, str) else str(val)
                cls = wrap_class(text)
            cells.append(f'<td class="{cls}">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:  # a header over nothing reads as a page that failed to load
        rows = [f'<tr><td colspan="{len(df.columns)}">nothing in this selection</td></tr>']
    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    return Html(f'<table class="wb-table {NO_MATH}">{caption}<thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table>')
