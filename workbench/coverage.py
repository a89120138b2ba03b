"""How far the data reaches into a month, provider by provider.

A provider here is whoever sends an export, its invoice issuer (InvoiceIssuerName, else the
seller): a marketplace seller's charges come in the cloud's export, on its schedule.
Each provider's export arrives on its own schedule, so one can lag days behind the others
while the whole data's end (Store.coverage) reaches the month's last day. A month is
complete when every provider it counts on covers it to its last day.

A month counts on a provider whose data reaches its first day: the provider has charges in
it, or its data ends the day before it begins (a monthly invoice not delivered yet). A
provider whose data ended earlier has stopped being used, or lags by more than a month:
it holds no later month back, and the month after it names the provider (`ended_before`)
instead of leaving it unsaid. One whose data ends more than STOPPED_AFTER before the newest
data of any provider is taken as stopped: it holds back no month, not even the one it ended
in (an account closed mid-month would otherwise hold that month back for good), and that
month names it (`providers[].stopped`). Rows with no provider name count on no one while
named providers are there: a few blank cells are not an export that lags.

Pure functions over the store's coverage frames (Store.coverage, Store.provider_coverage);
the store layer uses them for its default month, so they import nothing above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pandas as pd

from workbench.dimensions import NONE as UNNAMED  # the provider of a row that names none
from workbench.months import month_range, shift_month


def _bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First moment of `month` and of the month after it (end exclusive)."""
    start, stop = month_range(month)
    return pd.Timestamp(start), pd.Timestamp(stop)


# Whole days by their dates; a bound inside a day with its time, or data one hour short
# would read as the whole month.
def first_day(start) -> str:
    """The day data starting at `start` begins on ('2026-05-03', or '2026-05-03 14:00')."""
    t = pd.Timestamp(start)
    return t.strftime("%Y-%m-%d" if t == t.normalize() else "%Y-%m-%d %H:%M")


def last_day(end) -> str:
    """The last day of data ending at `end`, exclusive: at midnight, the day before."""
    t = pd.Timestamp(end)
    return first_day(t - pd.Timedelta(days=1) if t == t.normalize() else t)


def opening(start, first_end) -> pd.Timestamp:
    """A start inside a day read as that day's midnight when the data's first row is as long
    as the time since it, or longer: a day of local time (Google Cloud's Pacific day begins at
    07:00 or 08:00 UTC). The row before it would begin the day before, and a charge counts on
    the day its period starts, so the data misses nothing of that day; its first month is
    whole. Hourly rows that begin at 07:00 leave the hours before out: their start stays.
    `first_end` is the end of the shortest row that begins at `start`."""
    t = pd.Timestamp(start)
    midnight = t.normalize()
    if first_end is None or pd.isna(first_end):
        return t
    return midnight if t - (pd.Timestamp(first_end) - t) < midnight else t


STOPPED_AFTER = pd.Timedelta(days=31)


def closing(end) -> pd.Timestamp:
    """An end written as the last second of a day (23:59:59, 23:59:59.999: an export that
    gives periods inclusive ends) read as the midnight after it, as FOCUS's exclusive ends
    are; any other end as it is."""
    t = pd.Timestamp(end)
    midnight = t.normalize() + pd.Timedelta(days=1)
    return midnight if midnight - t <= pd.Timedelta(seconds=1) else t


def export_label(issuer: str, sellers: Sequence[str], most: int = 3) -> str:
    """How notes name an issuer's export: by the issuer, with the sellers it bills when the
    charts show none of them by the issuer's name ("Amazon Web Services, Inc. (AWS)"), so a
    note and a chart of one export can be told to be about the same provider."""
    others = sorted({s for s in sellers if s != UNNAMED})
    if issuer == UNNAMED or issuer in others or not others:
        return issuer
    shown = others[:most] + ([f"{len(others) - most} more"] if len(others) > most else [])
    return f"{issuer} ({', '.join(shown)})"


def named(spans: pd.DataFrame) -> pd.DataFrame:
    """Store.provider_coverage() without the rows of no provider name while some provider
    is named."""
    some = spans["provider"] != UNNAMED
    return spans[some] if some.any() else spans


def stopped(spans: pd.DataFrame) -> pd.Series:
    """The providers whose data ends more than STOPPED_AFTER before anyone's newest data."""
    return spans["end"] < spans["end"].max() - STOPPED_AFTER


def partial_month(coverage: tuple | None, month: str) -> tuple[str, str] | None:
    """(first day, last day) of the data in `month` when the data starts or ends inside it.

    `coverage` is the store's (start, end exclusive) of the time the data covers."""
    if coverage is None:
        return None
    first, end = (pd.Timestamp(t) for t in coverage)
    start, stop = _bounds(month)
    if first <= start and end >= stop:
        return None
    lo, hi = max(first, start), min(end, stop)
    if lo >= hi:
        return None
    return first_day(lo), last_day(hi)


def partial_compared(coverage: tuple | None, month: str, months: Sequence[str]) -> list[dict]:
    """The months `month` is compared with (the one before, the same a year before) that the
    data covers in part, as {"month", "first_day", "last_day"}: data that starts inside the
    month before makes its spend look low, and the change against it a rise that is not.
    A month the data holds charges of but none of its days (a refund of it billed later, a
    month-long fee) has both days None."""
    out = []
    for back in (1, 12):
        other = shift_month(month, -back)
        if other not in months or coverage is None:
            continue
        days = partial_month(coverage, other)
        if days:
            out.append({"month": other, "first_day": days[0], "last_day": days[1]})
        elif not _reaches(coverage, other):  # only month-long rows or later corrections
            out.append({"month": other, "first_day": None, "last_day": None})
    return out


def _reaches(coverage: tuple, month: str) -> bool:
    """Whether the time the data covers reaches into `month` at all."""
    start, stop = _bounds(month)
    return pd.Timestamp(coverage[0]) < stop and pd.Timestamp(coverage[1]) > start


def _in(spans: pd.DataFrame, month: str) -> pd.DataFrame:
    """The named providers whose data reaches `month`'s first day and starts before its end
    (a provider taken on later is not missing from earlier months)."""
    start, stop = _bounds(month)
    return spans[(spans["end"] >= start) & (spans["start"] < stop)]


def counted(spans: pd.DataFrame, month: str) -> pd.DataFrame:
    """The providers `month` counts on: those of `_in` that have not stopped."""
    spans = named(spans)
    return _in(spans[~stopped(spans)], month)


def _this_month(today: date | None) -> str:
    today = today or datetime.now(UTC).date()
    return f"{today.year:04d}-{today.month:02d}"


def last_complete_month(months: Sequence[str], spans: pd.DataFrame,
                        today: date | None = None) -> str | None:
    """The latest month before today's that every provider it counts on covers to its end."""
    now = _this_month(today)
    for month in sorted(months, reverse=True):
        on = counted(spans, month)
        if month < now and len(on) and (on["end"] >= _bounds(month)[1]).all():
            return month
    return None


def _lagging(on: pd.DataFrame, stop: pd.Timestamp) -> list[dict]:
    return [{"provider": r.provider, "last_day": last_day(r.end)}
            for r in on[on["end"] < stop].itertuples(index=False)]


def held_back(months: Sequence[str], spans: pd.DataFrame, after: str,
              today: date | None = None) -> dict | None:
    """The latest month after `after` (and before today's) that some providers' data covers
    to its end but not every one's: {"month", "lagging": [{"provider", "last_day"}]}."""
    now = _this_month(today)
    for month in sorted(months, reverse=True):
        if not after < month < now:
            continue
        on = counted(spans, month)
        lagging = _lagging(on, _bounds(month)[1])
        if lagging and len(lagging) < len(on):
            return {"month": month, "lagging": lagging}
    return None


def _days(coverage: tuple | None, on: pd.DataFrame, month: str) -> tuple:
    """(first day, last day) of `month` the data covers, as the overview reads them (the
    whole data, its hourly and daily rows first); when only monthly rows reach into the
    month, the days those cover; (None, None) when nothing does."""
    start, stop = _bounds(month)
    if coverage is not None and coverage[0] <= start and coverage[1] >= stop:
        return first_day(start), last_day(stop)
    days = partial_month(coverage, month)
    if days is None and len(on):
        lo, hi = max(on["start"].min(), start), min(on["end"].max(), stop)
        days = (first_day(lo), last_day(hi)) if lo < hi else None
    return days or (None, None)


def month_coverage(month: str, coverage: tuple | None, spans: pd.DataFrame,
                   months: Sequence[str], today: date | None = None) -> dict:
    """What the data covers of `month`, in the manifest's `coverage` shape (README);
    `coverage` is Store.coverage(), `spans` Store.provider_coverage()."""
    start, stop = _bounds(month)
    spans = named(spans)
    spans = spans.assign(stopped=stopped(spans))
    first, last = _days(coverage, counted(spans, month), month)
    providers = [{"provider": r.provider, "last_day": last_day(min(r.end, stop)),
                  "complete": bool(r.end >= stop), "stopped": bool(r.stopped and r.end < stop)}
                 for r in _in(spans, month).itertuples(index=False)]
    before = start - pd.offsets.MonthBegin(1)
    ended = spans[(spans["end"] < start) & (spans["end"] > before)]
    whole = (first, last) == (first_day(start), last_day(stop))
    default = last_complete_month(months, spans, today)
    return {
        "month_complete": bool(whole and providers
                               and all(p["complete"] or p["stopped"] for p in providers)),
        "in_progress": month >= _this_month(today),
        "first_day": first,
        "last_day": last,
        "providers": providers,
        "ended_before": [{"provider": r.provider, "last_day": last_day(r.end)}
                         for r in ended.itertuples(index=False)],
        # a later month the default passed over, said when this month is that default
        "held_back": held_back(months, spans, month, today) if month == default else None,
        "partial_compared": partial_compared(coverage, month, months),
    }
