"""Spend overview: pure functions over the store's tidy frames.

Inputs have the shapes `Store.monthly` and `Store.daily` return:
  monthly: month ('YYYY-MM'), *dims, currency, effective_cost, ...
  daily:   date, *dims, currency, cost
Amounts are floats or, as the pages read them (exact=True), the store's Decimals; sums go
through tables.exact_sum either way. Every result keeps `currency` as a key: amounts of two
currencies are never added.
Missing tags arrive as "Unallocated", missing FOCUS values as "(none)"; they are kept as
their own lines so totals still reconcile.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping, Sequence

import pandas as pd

from workbench.coverage import STOPPED_AFTER, last_day
from workbench.currencies import to_smallest_unit
from workbench.errors import WorkbenchError
from workbench.months import check_month as check_month  # as pages and report call it
from workbench.months import month_range, months_by, shift_month
from workbench.tables import exact_sum, money, money_exact, percent, signed_money

UNTAGGED = "Unallocated"
NONE = "(none)"
COST = "effective_cost"
# Dimensions the overview breaks spend down by, with the question each chart answers.
BREAKDOWNS = {
    "provider": "Which providers did the money go to?",
    "ServiceCategory": "What kind of services did we pay for?",
    "workload_class": "Which AI workloads drove the spend?",
    "team": "Which teams spent it?",
    "environment": "How much went to production versus other environments?",
}
MOVER_DIMS = ("provider", "ServiceName")
# Everything the overview needs from the store in one monthly frame (filters apply in memory).
MONTHLY_DIMS = ("provider", "ServiceCategory", "ServiceName", "workload_class", "team",
                "environment", "tagged")
DAILY_DIMS = ("provider", "team")


def apply_filters(df: pd.DataFrame, filters: Mapping[str, Sequence[str]] | None) -> pd.DataFrame:
    """Rows whose dims are in the chosen values; an empty choice means everything."""
    for dim, values in (filters or {}).items():
        if values:
            if dim not in df.columns:
                raise WorkbenchError(f"filter: unknown dimension {dim!r}")
            df = df[df[dim].isin(list(values))]
    return df


def _ratio(num, den) -> float:
    """A change as a share of its base; NaN (n/a) when the base is zero or negative: a
    month of net credits makes a percentage of the wrong sign (from -$5k to $0 is not
    -100%)."""
    num, den = float(num), float(den)
    return num / den if den > 0 else float("nan")


# The months the data holds: one list for every currency alike, or per currency (a month
# one currency has no charge in while another has is no data for it, not spend of 0).
Months = Collection[str] | Mapping[str, Collection[str]]


def currency_months(monthly: pd.DataFrame) -> dict[str, frozenset[str]]:
    """The months each currency has charges in: what `headline`, `daily_window` and
    `holds` read as known, given the data before any filter."""
    return months_by(monthly["currency"], monthly["month"], skip=NONE)


def holds(months: Months | None, currency: str, month: str) -> bool:
    """Whether the data holds `month` for `currency` (`months` as currency_months gives them,
    or one collection for every currency)."""
    if months is None:
        return False
    if isinstance(months, Mapping):
        return month in months.get(currency, ())
    return month in months


def provider_months(monthly: pd.DataFrame) -> dict[str, frozenset[str]]:
    """The months each provider has charges in, any currency (given the data before any
    filter): a provider with none in a month has no data for it (an export not loaded), so
    its lines there are not comparable, neither new nor grown."""
    if "provider" not in monthly.columns:
        return {}
    return months_by(monthly["provider"], monthly["month"], skip=NONE)


def without_data(monthly: pd.DataFrame, month: str, other: str,
                 providers: Mapping[str, Collection[str]] | None) -> dict[str, list[str]]:
    """Per currency: the providers with its charges in `month` whose data holds nothing in
    `other`, the month compared with, though it holds a month before it: a gap in their
    exports (`providers` as provider_months gives them). A provider whose data starts after
    `other` is new, and its lines are new."""
    if not providers or "provider" not in monthly.columns:
        return {}
    here = monthly["month"] == month
    # the pairs of the month as a set, not a groupby: its per-group cost showed in every view
    pairs = sorted({(str(c), str(p)) for c, p in zip(monthly.loc[here, "currency"],
                                                     monthly.loc[here, "provider"], strict=True)})
    out: dict[str, list[str]] = {}
    for cur, prov in pairs:
        if has_gap(providers.get(prov, ()), other):
            out.setdefault(cur, []).append(prov)
    return out


def has_gap(held: Collection[str], month: str) -> bool:
    """Whether a provider's months (`held`) lack `month` though they hold one before it: an
    export not loaded. Data that starts after `month` is a new provider, not a gap."""
    return month not in held and any(m < month for m in held)


def lacking_note(providers: Sequence[str], other: str) -> str:
    """'Azure has no data for 2026-04' (or 'Azure and GCP have ...')."""
    names = (providers[0] if len(providers) == 1
             else f"{', '.join(providers[:-1])} and {providers[-1]}")
    return f"{names} {'has' if len(providers) == 1 else 'have'} no data for {other}"


def short_of(ends: pd.DataFrame | None, month: str, end) -> dict[str, dict[str, str]]:
    """Per currency, {provider: the last day its data holds} of the providers whose data
    stops before the last day of `month` the data holds (`end`: the exclusive end of the
    whole data, Store.coverage): an export not delivered past that day, whose lines would
    read as a fall. `ends` as Store.delivery_ends gives them. A provider whose data ends more
    than coverage.STOPPED_AFTER before `end` is taken as no longer used (coverage.py): its
    fall is real; one whose data ends before the month compared has nothing to compare."""
    if ends is None or ends.empty or end is None:
        return {}
    start, stop = (pd.Timestamp(t) for t in month_range(month))
    edge = min(pd.Timestamp(end), stop)
    since = pd.Timestamp(month_range(shift_month(month, -1))[0])
    out: dict[str, dict[str, str]] = {}
    for r in ends.sort_values(["currency", "provider"]).itertuples(index=False):
        stops = pd.Timestamp(r.end)
        if since < stops < edge and stops >= pd.Timestamp(end) - STOPPED_AFTER:
            out.setdefault(str(r.currency), {})[str(r.provider)] = last_day(stops)
    return out


def held_days(end, month: str) -> int | None:
    """The days of `month` the data holds when it ends inside it (`end` exclusive, a day
    begun counts), else None: the month is partial by days_in(month) less these."""
    if end is None:
        return None
    start, stop = (pd.Timestamp(t) for t in month_range(month))
    t = pd.Timestamp(end)
    if not start < t < stop:
        return None
    return -(-(t - start) // pd.Timedelta(days=1))


def short_note(short: Mapping[str, str], currency: str) -> str:
    """"Google Cloud's USD data is not delivered past 2026-11-01 08:00 and Microsoft's past
    2026-10-31": per currency, as one issuer's accounts in two currencies can lag apart."""
    said = [f"{p}'s {currency} data is not delivered past {day}" if i == 0
            else f"{p}'s past {day}"
            for i, (p, day) in enumerate(short.items())]
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"


def month_totals(monthly: pd.DataFrame, value: str = COST) -> pd.DataFrame:
    """month, currency, cost."""
    out = monthly.groupby(["month", "currency"], as_index=False)[value].agg(exact_sum)
    return out.rename(columns={value: "cost"})


# The parts of a month's gap between billed and effective cost that the data names, as
# Store.monthly gives them (BilledCost less EffectiveCost of those rows), and what each is.
GAP_PARTS = {
    "purchase_gap": "commitment purchases billed this month, whose effective cost is spread "
                    "over the usage they cover",
    "covered_gap": "usage that commitments covered, whose effective cost carries its share of the "
                   "commitment",
    "unused_gap": "unused commitment, whose effective cost carries the share no usage took",
}
GAP_REST = "charges whose export gives them an effective cost other than their billed cost"
ROUNDING = "the rounding of the figures shown"


def billed_apart(monthly: pd.DataFrame, month: str) -> list[str]:
    """Per currency whose billed cost differs from its effective cost in the month: the billed
    cost of the month's charges, the gap, and the parts of it the data shows (GAP_PARTS, then
    the rest), each only when there is one. Not "what the invoices charge": a billing
    period's invoices also hold corrections of earlier months, and may leave out charges of
    this one (the index gives that figure).

    Amounts to the smallest unit, and the gap is that of the amounts shown, as the headline's
    changes are; the rest is what the parts shown leave of it, so the parts add up to it."""
    out = []
    for cur, sub in monthly[monthly["month"] == month].groupby("currency", sort=True):
        billed, effective = (to_smallest_unit(exact_sum(sub[c]), cur)
                             for c in ("billed_cost", COST))
        gap = billed - effective
        if gap == 0:  # ¥0.4 apart is "¥0 above"; 4 fils are BHD 0.004
            continue
        head = (f"Billed cost of the month's charges in {cur} was {money_exact(billed, cur)}, "
                f"{money_exact(abs(gap), cur)} {'above' if gap > 0 else 'below'} effective "
                f"cost ({money_exact(effective, cur)})")
        parts = [(to_smallest_unit(exact_sum(sub[c]), cur), what) for c, what in GAP_PARTS.items()]
        parts = [(amount, what) for amount, what in parts if amount != 0]
        rest = gap - sum((amount for amount, _ in parts), start=0)
        # a rest no charge makes (the parts' exact sums leave none) is that of rounding
        unexplained = exact_sum([*sub["billed_cost"], *(-v for v in sub[COST]),
                                 *(-v for c in GAP_PARTS for v in sub[c])])
        why_rest = GAP_REST if to_smallest_unit(unexplained, cur) else ROUNDING
        if not parts:
            out.append(f"{head}: none of it is a commitment's purchase or usage; it is in "
                       f"{GAP_REST}.")
            continue
        if rest == 0 and len(parts) == 1:
            out.append(f"{head}: all of it is {parts[0][1]}.")
            continue
        # a part the other way from the gap (usage covered by a purchase of the same month)
        # is shown with its sign, billed less effective, so the parts still add up
        mixed = any((amount > 0) != (gap > 0) for amount in [a for a, _ in parts] + [rest] if amount)
        said = [f"{_gap_part(amount, cur, mixed)} is {what}" for amount, what in parts]
        if rest:
            said.append(f"the rest, {_gap_part(rest, cur, mixed)}, is {why_rest}")
        frame = " (billed less effective)" if mixed else ""
        out.append(f"{head}. Of the gap{frame}, " + "; ".join(said[:-1]) + f"; and {said[-1]}.")
    return out


def _gap_part(amount, currency: str, signed: bool) -> str:
    """A part of the gap to the smallest unit: with its sign when the parts go both ways."""
    return signed_money(amount, currency, exact=True) if signed else money_exact(abs(amount), currency)


def headline(monthly: pd.DataFrame, month: str, value: str = COST,
             months: Months | None = None,
             providers: Mapping[str, Collection[str]] | None = None,
             short: Mapping[str, Mapping[str, str]] | None = None,
             end=None) -> pd.DataFrame:
    """Per currency: the month's total, the previous month and the same month last year.

    A month the data holds no charge of a currency in is NaN for it (shown as n/a), never 0:
    an export missing for one currency, or a currency that starts later. `months` are the
    months the data holds before any filter (per currency: currency_months): a month there
    with no rows in `monthly` (a filter left none) is 0, not unknown.
    A currency of the month with charges of a provider whose data (`providers`, as
    provider_months gives them) holds nothing in the month compared has no change against
    it (NaN): those charges would read as growth. `{key}_without` names those providers.
    A currency with providers whose data stops before the rest (`short`, as short_of gives
    them) has no change either: their missing days would read as a fall. `short` names
    them with their last day; `days` is how many days of the month the data holds when it
    ends inside it (`end`, the data's exclusive end), else None.
    """
    totals = month_totals(monthly, value)
    prev, ly = shift_month(month, -1), shift_month(month, -12)
    lookup = {(r.month, r.currency): r.cost for r in totals.itertuples()}
    currencies = sorted(set(totals.loc[totals["month"].isin([month, prev, ly]), "currency"]))

    def total(when: str, cur: str):
        if (when, cur) in lookup:
            return lookup[(when, cur)]
        return 0 if holds(months, cur, when) else float("nan")

    lacking = {key: without_data(monthly, month, other, providers)
               for key, other in (("previous", prev), ("last_year", ly))}
    days = held_days(end, month)
    rows = []
    for cur in currencies:
        cost = total(month, cur)
        stopped = dict((short or {}).get(cur, {}))
        row = {"currency": cur, "month": month, "cost": cost, "days": days, "short": stopped}
        for key, other in (("previous", prev), ("last_year", ly)):
            base = total(other, cur)
            row[f"{key}_month"] = other
            row[key] = base
            # [] when every provider holds `other`, or none does (no data then: said apart)
            gone = [] if pd.isna(base) else lacking[key].get(cur, [])
            row[f"{key}_without"] = gone
            row[f"{key}_change"] = (float("nan") if pd.isna(cost) or pd.isna(base) or gone
                                    or stopped
                                    else exact_sum([cost, -base]))  # 292.115935, not ...49998
            row[f"{key}_change_pct"] = (float("nan") if pd.isna(row[f"{key}_change"])
                                        else shown_ratio(cost, base, cur))
        rows.append(row)
    cols = ["currency", "month", "cost", "days", "short", "previous_month", "previous", "previous_change",
            "previous_change_pct", "previous_without", "last_year_month", "last_year",
            "last_year_change", "last_year_change_pct", "last_year_without"]
    return pd.DataFrame(rows, columns=cols)


def shown_change(now, then, currency: str):
    """The change from `then` to `now` as they are shown, each rounded to the currency's
    smallest unit, so that the figures foot: $6.14 against $5.45 is +$0.69, where the exact
    change of 6.1418665 and 5.4460116 would show +$0.70. NaN when either is unknown."""
    if pd.isna(now) or pd.isna(then):
        return float("nan")
    return to_smallest_unit(now, currency) - to_smallest_unit(then, currency)


def headline_change(r: Mapping, key: str):
    """The change a headline row shows against `key` ("previous", "last_year"): shown_change
    of its amounts, NaN where the row gives no change (a provider without data then)."""
    if pd.isna(r[f"{key}_change"]):
        return float("nan")
    return shown_change(r["cost"], r[key], r["currency"])


def shown_ratio(now, then, currency: str) -> float:
    """The change shown (shown_change) as a share of the base shown, so a percentage agrees
    with the figures beside it: ¥500 against ¥500 (¥500.4 and ¥499.6) is flat, 0.0%, not
    +0.2%. NaN when either is unknown, or the base shows as 0 or less: one of $0.004 reads
    $0.00, and a rise from it to $500 is new spend, not +12,499,900%."""
    if pd.isna(now) or pd.isna(then):
        return float("nan")
    return _ratio(shown_change(now, then, currency), to_smallest_unit(then, currency))


def comparisons(head: pd.DataFrame) -> pd.DataFrame:
    """The headline in long form, one row per currency and month compared with (currency,
    cost, against, then, change, change_pct): exact amounts in one row each stay within a
    printed page, where one wide row per currency does not. The change is the one shown
    (shown_change), so each row foots; its percentage is of the amounts shown too."""
    rows = [{"currency": r["currency"], "cost": r["cost"],
             "against": f"{r[f'{key}_month']} ({name}{_days_against(r, key, '; ')})",
             "then": r[key],
             "change": headline_change(r, key),
             "change_pct": r[f"{key}_change_pct"]}
            for r in head.to_dict("records")
            for key, name in (("previous", "previous month"), ("last_year", "a year before"))]
    return pd.DataFrame(rows, columns=["currency", "cost", "against", "then", "change",
                                       "change_pct"])


def days_held(r: Mapping) -> int | None:
    """The days of its month a headline row holds when the data ends inside it, else None."""
    days = r.get("days")
    return None if days is None or pd.isna(days) else int(days)


def _days_against(r: Mapping, key: str, lead: str) -> str:
    """'27 days against 31' when the month is partial: its change is not between whole
    months, and says by how many days."""
    days = days_held(r)
    return "" if days is None else f"{lead}{days} days against {days_in(r[f'{key}_month'])}"


def days_in(month: str) -> int:
    """Calendar days of a 'YYYY-MM' month."""
    year, mon = (int(x) for x in month.split("-"))
    return calendar.monthrange(year, mon)[1]


def per_day_note(head: pd.DataFrame, monthly: pd.DataFrame) -> str | None:
    """Against the previous month, per day, when the two months differ in length (31 days
    against 30, or 28): part of any change between whole months is the calendar (a fee of
    the same amount each day reads +3.3% from September to October). Only spend billed by
    the hour or day (monthly's by_day_cost) is: a monthly fee, a credit or a purchase is the
    same whatever the month's length, so a flat $1,000 subscription does not "fall 9.7%" a
    day. None when the lengths agree, or no currency has a comparable previous month (see
    headline) with such spend in either month."""
    parts = []
    for r in head.to_dict("records"):
        cur, cost, then = r["currency"], r["cost"], r["previous"]
        if (pd.isna(cost) or pd.isna(then) or len(r.get("previous_without") or ())
                or days_in(r["month"]) == days_in(r["previous_month"])):
            continue
        mine = monthly[monthly["currency"] == cur]
        now, before = (exact_sum(mine.loc[mine["month"] == m, "by_day_cost"])
                       for m in (r["month"], r["previous_month"]))
        if to_smallest_unit(now, cur) == 0 == to_smallest_unit(before, cur):
            continue  # none billed by the day (a subscription; a team that spent a year before)
        now_day = now / days_in(r["month"])  # a Decimal stays one: shown to the cent
        then_day = before / days_in(r["previous_month"])
        # the figures a reader checks against the totals: say when they are not all of them
        whole = all(to_smallest_unit(a, cur) == to_smallest_unit(b, cur)
                    for a, b in ((now, cost), (before, then)))
        apart = "" if whole else ", not counting month-long and one-off charges"
        shown = to_smallest_unit(now_day, cur) - to_smallest_unit(then_day, cur)
        if shown == 0:
            parts.append(f"{cur} spend was flat ({money_exact(now_day, cur)} a day in both{apart})")
            continue
        word = "rose" if shown > 0 else "fell"
        pct = shown_ratio(now_day, then_day, cur)
        by = f" {percent(abs(pct))}" if not pd.isna(pct) else ""
        parts.append(f"{cur} spend {word}{by} ({money_exact(now_day, cur)} a day against "
                     f"{money_exact(then_day, cur)}{apart})")
    if not parts:
        return None
    r = head.iloc[0]
    return (f"{r['month']} has {days_in(r['month'])} days and {r['previous_month']} "
            f"{days_in(r['previous_month'])}. Per day, "
            + "; ".join(parts) + ".")


def like_for_like(daily: pd.DataFrame, month: str, days: int | None,
                  short: Mapping[str, Collection[str]] | None = None) -> list[str]:
    """Per currency, when the data ends inside `month` (`days`: held_days), its spend over
    those days against the same first days of the month before, from the daily frame
    (date, provider, currency, cost): a change between like spans, where the whole months
    set 27 days against 31. The providers not delivered that far (`short`) are left out of
    both sides, and named."""
    if days is None or daily.empty:
        return []
    prev = shift_month(month, -1)
    upto = min(days, days_in(prev))
    spans = {month: (pd.Timestamp(f"{month}-01"), days), prev: (pd.Timestamp(f"{prev}-01"), upto)}
    dates = pd.to_datetime(daily["date"])
    out = []
    for cur in sorted(set(daily["currency"])):
        left = sorted((short or {}).get(cur, ()))
        mine = (daily["currency"] == cur) & ~daily["provider"].isin(left)
        sums = {}
        for m, (first, n) in spans.items():
            inside = mine & (dates >= first) & (dates < first + pd.Timedelta(days=n))
            sums[m] = exact_sum(daily.loc[inside, "cost"]) if inside.any() else None
        if sums[month] is None or sums[prev] is None:  # nothing of the currency to set side by side
            continue
        now, then = sums[month], sums[prev]
        shown = shown_change(now, then, cur)
        pct = shown_ratio(now, then, cur)
        moved = ("flat" if shown == 0 else
                 f"{'up' if shown > 0 else 'down'} {money_exact(abs(shown), cur)}"
                 + (f", {percent(pct, signed=True)}" if not pd.isna(pct) else ""))
        apart = (f", leaving out {' and '.join(left)} (not delivered that far)" if left else "")
        out.append(f"Like for like, over the first {days} days of {month} and the first {upto} "
                   f"of {prev}, {cur} spend was {money_exact(now, cur)} against "
                   f"{money_exact(then, cur)}: {moved}{apart}.")
    return out


def partial_month_note(month: str, first_day: str, last_day: str) -> str:
    """The data covers `month` from `first_day` to `last_day` only (coverage.partial_month)."""
    return (f"The data for {month} covers {first_day} to {last_day} only, not the whole "
            "month: set against full months, its figures look low.")


def partial_compared_note(entry: dict, month: str) -> str:
    """A month compared with that the data covers in part (coverage.partial_compared)."""
    if entry["first_day"] is None:
        return (f"The data holds none of the days of {entry['month']}, which {month} is "
                "compared with, only charges billed for the whole month or on a later invoice "
                "(a correction): a change against it is not one between whole months.")
    return (f"The data for {entry['month']}, which {month} is compared with, covers "
            f"{entry['first_day']} to {entry['last_day']} only: a change against it is not one "
            "between whole months.")


def exact_sums(df: pd.DataFrame, keys: Sequence[str], value: str = COST) -> pd.DataFrame:
    """`value` summed per `keys` (sorted by them) with tables.exact_sum: a float sum of
    sub-cent amounts lands on the wrong side of a half cent ($7.383 + $8.072 read $15.45).
    A loop, not groupby().agg(exact_sum), whose per-group overhead tripled the time."""
    groups: dict[tuple, list] = {}
    for *key, v in zip(*(df[k] for k in keys), df[value], strict=True):
        groups.setdefault(tuple(key), []).append(v)
    out = pd.DataFrame([(*k, exact_sum(vs)) for k, vs in groups.items()], columns=[*keys, value])
    return out.sort_values(list(keys), kind="stable", ignore_index=True)


def breakdown(monthly: pd.DataFrame, month: str, dim: str, value: str = COST) -> pd.DataFrame:
    """dim, currency, cost, share (of the currency's month total), largest first."""
    cur = monthly[monthly["month"] == month]
    out = exact_sums(cur, [dim, "currency"], value).rename(columns={value: "cost"})
    totals = out.groupby("currency")["cost"].transform("sum")
    out["share"] = [_ratio(c, t) for c, t in zip(out["cost"], totals, strict=True)]
    return out.sort_values(["currency", "cost"], ascending=[True, False], ignore_index=True)


def top_movers(monthly: pd.DataFrame, month: str, dims: Sequence[str] = MOVER_DIMS, n: int = 10,
               value: str = COST, providers: Mapping[str, Collection[str]] | None = None,
               short: Mapping[str, Collection[str]] | None = None) -> pd.DataFrame:
    """The n largest changes (either direction) against the previous month, per currency.

    label, *dims, currency, previous, cost, change, change_pct (NaN when new this month).
    Lines of a provider whose data (`providers`, as provider_months gives them) has a gap
    in the previous month (has_gap) are left out: not comparable, not new (not_compared);
    so are those of a currency's providers whose data stops before the rest (`short`, as
    short_of gives them): not a fall (not_delivered).
    """
    prev = shift_month(month, -1)
    keys = [*dims, "currency"]
    if providers and "provider" in dims:
        gapped = [p for p in monthly["provider"].unique()  # per provider, not per row
                  if has_gap(providers.get(str(p), ()), prev)]
        monthly = monthly[~monthly["provider"].isin(gapped)]
    if short and "provider" in dims:
        cut = {(cur, prov) for cur, names in short.items() for prov in names}
        kept = [(str(c), str(p)) not in cut for c, p in zip(monthly["currency"],
                                                           monthly["provider"], strict=True)]
        monthly = monthly[pd.Series(kept, index=monthly.index, dtype=bool)]
    both = exact_sums(monthly[monthly["month"].isin([month, prev])], [*keys, "month"], value)
    # one row a cell, sorted by key: spread into the two months in Python, as pivot_table
    # would but without its sums over Decimal objects (a line absent in a month is 0)
    cells: dict[tuple, dict[str, object]] = {}
    for *key, when, amount in zip(*(both[k] for k in keys), both["month"], both[value],
                                  strict=True):
        cells.setdefault(tuple(key), {})[when] = amount
    wide = pd.DataFrame([(*k, v.get(prev, 0), v.get(month, 0)) for k, v in cells.items()],
                        columns=[*keys, "previous", "cost"])
    # the change shown is that of the amounts shown, as in the headline (shown_change)
    wide["change"] = [shown_change(c, p, cur) for c, p, cur in
                      zip(wide["cost"], wide["previous"], wide["currency"], strict=True)]
    wide["change_pct"] = [shown_ratio(c, p, cur) for c, p, cur in
                          zip(wide["cost"], wide["previous"], wide["currency"], strict=True)]
    # joined column by column: a row-wise agg over an empty frame returns a frame, not labels
    wide["label"] = [" / ".join(map(str, row)) for row in zip(*(wide[d] for d in dims), strict=True)]
    # a change the currency cannot show (a fraction of a cent, float noise) is no move
    moved = [to_smallest_unit(ch, cur) != 0 for ch, cur in zip(wide["change"], wide["currency"],
                                                               strict=True)]
    wide = wide[pd.Series(moved, index=wide.index, dtype=bool)]
    wide = wide.assign(_abs=wide["change"].abs().astype(float)).sort_values(
        ["currency", "_abs"], ascending=[True, False])
    out = wide.groupby("currency", group_keys=False).head(n).drop(columns="_abs")
    return out[["label", *dims, "currency", "previous", "cost", "change", "change_pct"]].reset_index(drop=True)


def comparable(movers: pd.DataFrame, month: str, months: Months | None) -> pd.DataFrame:
    """The movers (top_movers) of the currencies the data holds both the month and the one
    before for: without the month before every line would read as new, without the month
    every line as a fall to 0."""
    prev = shift_month(month, -1)
    both = movers["currency"].map(lambda c: holds(months, c, month) and holds(months, c, prev))
    return movers[both.astype(bool)]


def not_compared(monthly: pd.DataFrame, month: str,
                 providers: Mapping[str, Collection[str]] | None,
                 months: Months | None = None) -> list[str]:
    """Per currency, the providers of the month with no data in the month before, and what
    their charges come to: left out of the changes (top_movers), as against nothing they
    would all read as new. A currency with no data at all then (`months`) is said apart."""
    prev = shift_month(month, -1)
    here = monthly[monthly["month"] == month]
    out = []
    for cur, names in without_data(monthly, month, prev, providers).items():
        if months is not None and not holds(months, cur, prev):
            continue
        spent = exact_sum(here.loc[(here["currency"] == cur) & here["provider"].isin(names),
                                   COST])
        their = "its" if len(names) == 1 else "their"
        out.append(f"{lacking_note(names, prev)}: {their} {cur} charges of {month} "
                   f"({money(spent, cur)}) are not compared (no data for the month compared), "
                   "neither new nor grown, and left out of the changes.")
    return out


def not_delivered(monthly: pd.DataFrame, month: str,
                  short: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Per currency, the providers whose data stops before the rest (short_of) and what
    their charges come to in the month and the one before: left out of the changes
    (top_movers), where the days not delivered yet would read as a fall."""
    prev = shift_month(month, -1)
    out = []
    held_now = set(monthly.loc[monthly["month"] == month, "currency"])
    for cur, names in sorted(short.items()):
        if cur not in held_now:  # no data of the currency in the month: the headline says so
            continue
        mine = monthly[(monthly["currency"] == cur) & monthly["provider"].isin(list(names))]
        now, then = (exact_sum(mine.loc[mine["month"] == m, COST]) for m in (month, prev))
        their = "its" if len(names) == 1 else "their"
        out.append(f"{short_note(names, cur)}: {their} {cur} charges ({money(now, cur)} in {month}, "
                   f"{money(then, cur)} in {prev}) are not compared, neither a fall nor a "
                   "rise, and left out of the changes.")
    return out


def untagged_share(monthly: pd.DataFrame, month: str, dim: str = "tagged",
                   untagged_values: Sequence[str] = ("no", UNTAGGED), value: str = COST
                   ) -> pd.DataFrame:
    """Per currency: spend whose `dim` is untagged, the total, and the share."""
    cur = monthly[monthly["month"] == month]
    rows = []
    for c, sub in cur.groupby("currency", sort=True):
        total = exact_sum(sub[value])
        untagged = exact_sum(sub.loc[sub[dim].isin(list(untagged_values)), value])
        rows.append({"currency": c, "untagged": untagged, "total": total,
                     # a share is a part of a positive total: credits on one side (a total
                     # not above zero, untagged below zero or beyond it) make it mean nothing
                     "share": _ratio(untagged, total) if 0 <= untagged <= total and total > 0
                     else float("nan")})
    return pd.DataFrame(rows, columns=["currency", "untagged", "total", "share"])


def daily_window(daily: pd.DataFrame, month: str, months_before: int = 2,
                 coverage: tuple | None = None, months: Months | None = None
                 ) -> pd.DataFrame:
    """Cost per currency and day (date, currency, cost) from `months_before` months before
    the month to its end.

    A day the data covers (`coverage`: the store's start and exclusive end; without it, the
    days between the first and last row) with no charge of a currency is a 0 for it: a line
    drawn straight from one charge to the next would show spend on days that had none.
    A day of a month the data holds no charge of the currency in (`months`: the months it
    holds, per currency as currency_months gives them; an export missing between two others,
    a currency that starts later) is NaN: a gap in its line, not spend of 0.
    """
    start = pd.Timestamp(f"{shift_month(month, -months_before)}-01")
    end = pd.Timestamp(month_range(month)[1])
    dates = pd.to_datetime(daily["date"])
    window = (dates >= start) & (dates < end)
    # the window's dates only: a Series assigned to an empty frame brings its whole index,
    # rows of no currency that made a page fail on a selection with no day in the window
    inside = daily[window].assign(date=dates[window])
    # summed exactly: a float sum puts a day of $0.105 + $0.30 at $0.40 (the tooltip's cent)
    per_day = exact_sums(inside, ["currency", "date"], "cost")
    if per_day.empty:
        return per_day
    if coverage is None:
        first, stop = dates.min(), dates.max() + pd.Timedelta(days=1)
    else:
        first, stop = pd.Timestamp(coverage[0]).normalize(), pd.Timestamp(coverage[1])
    days = pd.date_range(max(first, start), min(stop, end), freq="D", inclusive="left")
    full = pd.MultiIndex.from_product([sorted(set(per_day["currency"])), days],
                                      names=["currency", "date"])
    charged = per_day.set_index(["currency", "date"]).index
    filled = per_day.set_index(["currency", "date"])["cost"].reindex(
        full.union(charged), fill_value=0.0)
    if months is not None:
        when = filled.index.get_level_values("date").strftime("%Y-%m")
        gap = [not (seen or holds(months, c, m)) for c, m, seen in zip(
            filled.index.get_level_values("currency"), when, filled.index.isin(charged),
            strict=True)]
        filled[gap] = float("nan")
    return filled.reset_index()[["date", "currency", "cost"]]


def empty_dimensions(monthly: pd.DataFrame, dims: Sequence[str]) -> list[str]:
    """Dimensions with no real value at all (every cost untagged or none)."""
    return [d for d in dims if d in monthly.columns
            and not monthly.empty and monthly[d].isin([UNTAGGED, NONE]).all()]


def narrative(head: pd.DataFrame, untagged: pd.DataFrame, movers: pd.DataFrame,
              per_day: str | None = None) -> list[str]:
    """Sentences generated from the computed figures, one currency at a time; `per_day`
    (per_day_note) follows the changes it qualifies."""
    out = []
    for r in head.to_dict("records"):
        cur = r["currency"]
        if pd.isna(r["cost"]):  # a currency the month holds no charge of: nothing to compare
            held = [f"{money(r[key], cur)} in {r[f'{key}_month']}"
                    for key in ("previous", "last_year") if not pd.isna(r[key])]
            out.append(f"No {cur} data for {r['month']}: its {cur} spend is unknown, not 0 "
                       f"(the data holds {' and '.join(held)}).")
            continue
        s = f"In {r['month']} effective spend in {cur} was {money(r['cost'], cur)}"
        if days_held(r) is not None:  # a month in progress, or data that ends inside it
            s += f" over {days_held(r)} of its {days_in(r['month'])} days"
        parts = []
        for key, name in (("previous", "the previous month"), ("last_year", "the same month last year")):
            if pd.isna(r[key]):
                parts.append(f"with no data for {name} ({r[f'{key}_month']})")
            elif len(r.get(f"{key}_without") or ()):
                parts.append(f"not comparable with {name} ({r[f'{key}_month']}: "
                             f"{money(r[key], cur)}), as "
                             f"{lacking_note(r[f'{key}_without'], r[f'{key}_month'])}")
            elif r.get("short"):
                parts.append(f"not comparable with {name} ({r[f'{key}_month']}: "
                             f"{money(r[key], cur)}), as {short_note(r['short'], cur)}")
            else:
                pct = r[f"{key}_change_pct"]
                # by the change as shown: one of ¥0.4 is flat, never "up ... ¥0"
                ch = shown = headline_change(r, key)
                word = ("up" if shown > 0 else "down" if shown < 0 else "flat" if shown == 0
                        else "set against")  # unknown (n/a), never "flat"
                detail = f"{signed_money(ch, cur)}" + (f", {percent(pct, signed=True)}" if not pd.isna(pct) else "")
                parts.append(f"{word} on {name} ({r[f'{key}_month']}: {money(r[key], cur)}; "
                             f"{detail}{_days_against(r, key, '; ')})")
        out.append(s + ", " + ", and ".join(parts) + ".")
    if per_day:
        out.append(per_day)
    for r in untagged.to_dict("records"):
        cur = r["currency"]
        if pd.isna(r["share"]) and r["untagged"] == 0:
            continue  # nothing spent, nothing untagged: nothing to say
        if r["untagged"] == 0:  # not "0.0% ... ($0.00) has no team tag"
            out.append(f"All {cur} spend has a team tag.")
            continue
        if pd.isna(r["share"]):
            out.append(f"{money(r['untagged'], cur)} of {cur} spend has no team tag and shows as "
                       f"{UNTAGGED} (the month's {cur} total is {money(r['total'], cur)}).")
        else:
            out.append(f"{percent(r['share'])} of {cur} spend ({money(r['untagged'], cur)}) has "
                       f"no team tag and shows as {UNTAGGED}.")
    partial = {r["currency"]: _days_against(r, "previous", ", ") for r in head.to_dict("records")}
    for cur, sub in movers.groupby("currency", sort=True):
        top = sub.iloc[0]
        verb = "rose" if top["change"] > 0 else "fell"
        out.append(f"The largest mover in {cur} was {top['label']}, which {verb} by "
                   f"{money(abs(top['change']), cur)} from {money(top['previous'], cur)} to "
                   f"{money(top['cost'], cur)}{partial.get(cur, '')}.")
    return out
