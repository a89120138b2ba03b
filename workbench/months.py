"""Months as the workbench reads and writes them: YYYY-MM."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from workbench.errors import WorkbenchError

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def is_month(text) -> bool:
    """'2026-05' is a month; '2026-5', '2025-13', '' and None are not."""
    return isinstance(text, str) and _MONTH.fullmatch(text) is not None


def check_month(month: str) -> str:
    if not is_month(month):
        raise WorkbenchError(f"month: {month!r} is not a month like 2026-05")
    return month


def shift_month(month: str, n: int) -> str:
    """'2026-01' shifted by n months (negative goes back)."""
    y, m = map(int, check_month(month).split("-"))
    k = y * 12 + (m - 1) + n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def month_range(month: str) -> tuple[str, str]:
    """First day of the month and of the next month (end exclusive, like FOCUS periods)."""
    return f"{month}-01", f"{shift_month(month, 1)}-01"


# The zone furthest east is UTC+14: read that much later, a billing period that starts at
# local midnight in any zone starts on its own month's date.
_EAST_MOST = timedelta(hours=14)


def billing_month(start: str) -> str | None:
    """The month a billing period is billed for, from its start as the store writes it
    (`2026-05-01T00:00:00Z`); None when it is no time (`(none)`).

    A provider that bills in its own time zone starts May at 2026-04-30T16:00:00Z (UTC+8):
    that period is May's, not April's, and the one starting 2026-05-31T16:00:00Z is June's.
    """
    try:
        when = datetime.fromisoformat(start)
    except (TypeError, ValueError):
        return None
    return period_month(when)


def period_month(start: datetime) -> str:
    """billing_month of a billing period's start as a (UTC) datetime."""
    return (start + _EAST_MOST).strftime("%Y-%m")


def months_by(keys: Iterable, months: Iterable, skip: str | None = None) -> dict[str, frozenset[str]]:
    """{key: the months it has rows in}, from a key column and a month column side by side,
    keys in order; a month equal to `skip` (such as "(none)") is no month, and a key that is
    missing (None, NaN) no key."""
    out: dict[str, set[str]] = {}
    for key, month in zip(keys, months, strict=True):
        if key is None or key != key:  # NaN is not equal to itself
            continue
        held = out.setdefault(str(key), set())
        if str(month) != skip:
            held.add(str(month))
    return {k: frozenset(out[k]) for k in sorted(out)}
