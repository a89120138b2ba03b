"""The sample's calendar: the window of months, its key dates, and seeded random streams."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from workbench.errors import WorkbenchError
from workbench.months import is_month


def parse_month(text: str) -> date:
    if not is_month(text):
        raise WorkbenchError(f"--end: {text!r} is not a month like 2026-05")
    return date(int(text[:4]), int(text[5:7]), 1)


def add_months(d: date, n: int) -> date:
    m = d.year * 12 + d.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def last_full_month(today: date | None = None) -> str:
    today = today or datetime.now(UTC).date()  # billing months are UTC months
    return add_months(today.replace(day=1), -1).strftime("%Y-%m")


@dataclass(frozen=True)
class Window:
    """`months` whole months ending with `end` (YYYY-MM); days are UTC calendar days."""

    end_month: str
    months: int

    @property
    def start(self) -> date:
        return add_months(parse_month(self.end_month), 1 - self.months)

    @property
    def stop(self) -> date:  # exclusive
        return add_months(parse_month(self.end_month), 1)

    @property
    def n(self) -> int:
        return (self.stop - self.start).days

    @property
    def days(self) -> np.ndarray:
        return np.arange(np.datetime64(self.start), np.datetime64(self.stop))

    def day(self, i: int) -> date:
        return self.start + timedelta(days=int(i))

    def index(self, d: date) -> int:
        return (d - self.start).days

    def at(self, share: float) -> int:
        return int(round(share * self.n))

    def month_starts(self) -> list[date]:
        return [add_months(self.start, k) for k in range(self.months)]

    # Key dates of the story, relative to the window so that any length works.
    @property
    def launch(self) -> int:  # "Assistant for Teams" launch: inference volume steps up
        return self.at(0.55)

    @property
    def refresh(self) -> int:  # the assistant moves from atlas-1 to atlas-2
        return self.at(0.72)


def check_seed(seed: int) -> int:
    if not isinstance(seed, int) or seed < 0:
        raise WorkbenchError(f"--seed: {seed!r} must be a whole number, 0 or more")
    return seed


def check_window(months: int, end: str) -> Window:
    if not isinstance(months, int) or months < 2 or months > 60:
        raise WorkbenchError(f"--months: {months!r} must be a whole number from 2 to 60")
    parse_month(end)
    return Window(end, months)


def rng(seed: int, *names: str) -> np.random.Generator:
    """An independent stream per name: adding a resource never shifts another's numbers."""
    return np.random.default_rng([seed, *(zlib.crc32(n.encode()) for n in names)])
