"""Input checks and cleaning for the forecaster: frequency, season lengths, gaps, spikes, shifts.

Everything here is a pure function of a Series or a numpy array. `forecast.py` calls it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from workbench.errors import WorkbenchError

HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
MAX_HISTORY = 4000  # points; older history costs time and rarely helps the next horizon


@dataclass
class Prepared:
    values: np.ndarray  # float, gaps filled, oldest first
    index: pd.DatetimeIndex  # regular, with freq
    periods: tuple[float, ...]  # main season first (int), then longer ones (Fourier terms)
    notes: dict = field(default_factory=dict)
    # the default main season when the history holds one cycle of it but not two (10 days of a
    # daily series): too few to estimate a season, enough to see the last one repeat
    one_cycle: int = 0

    @property
    def m(self) -> int:
        """Main season length in steps (1 when the series has none)."""
        return int(self.periods[0]) if self.periods else 1


def prepare(y, horizon, levels, season_length=None) -> Prepared:
    """Validate the contract's inputs and return regular, finite values with their index."""
    if not isinstance(y, pd.Series):
        raise WorkbenchError(f"forecast: y must be a pandas Series, got {type(y).__name__}")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise WorkbenchError(f"forecast: horizon must be an integer >= 1, got {horizon!r}")
    _check_levels(levels)
    if not isinstance(y.index, pd.DatetimeIndex):
        raise WorkbenchError(
            f"forecast: y needs a DatetimeIndex, got {type(y.index).__name__}")
    if y.dtype == object:  # e.g. Decimal money from a database driver
        try:
            y = pd.to_numeric(y)
        except (TypeError, ValueError):
            pass
    if not (pd.api.types.is_numeric_dtype(y.dtype) and not pd.api.types.is_bool_dtype(y.dtype)):
        raise WorkbenchError(f"forecast: y must be numeric, got dtype {y.dtype}")
    if len(y) < 2:
        raise WorkbenchError(f"forecast: y needs at least 2 observations, got {len(y)}")
    if y.index.hasnans:
        raise WorkbenchError("forecast: y.index contains NaT")
    if y.index.has_duplicates:
        dup = y.index[y.index.duplicated()][0]
        raise WorkbenchError(f"forecast: y.index has duplicate timestamps (first: {dup})")
    vals = y.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(vals)
    if bad.any():
        raise WorkbenchError(
            f"forecast: y has {int(bad.sum())} NaN/inf values (first at {y.index[bad][0]}); "
            "drop those rows (missing timestamps are filled) or fill them")
    name = y.index.name
    y = pd.Series(vals, index=y.index).sort_index()
    freq = infer_freq(y.index)
    full = pd.date_range(y.index[0], y.index[-1], freq=freq)
    if not y.index.isin(full).all():
        raise WorkbenchError(
            f"forecast: timestamps do not sit on a regular {freq_label(freq)} grid")
    notes: dict = {"freq": freq_label(freq)}
    missing = len(full) - len(y)
    if missing > len(y):
        raise WorkbenchError(
            f"forecast: {missing} of {len(full)} {freq_label(freq)} timestamps are missing; "
            "too irregular to forecast")
    if missing:
        # Missing timestamps are read as missing data, not as zero spend: interpolate.
        y = y.reindex(full).interpolate(method="linear")
        notes["filled_gaps"] = int(missing)
    else:
        y = pd.Series(y.to_numpy(), index=full)
    # Zeros before the first charge are before a launch, not spend that stayed at zero: a
    # model fitted across them reads the launch as a step and calibrates its intervals on
    # windows with nothing to scale by. Two points are always kept.
    nonzero = np.flatnonzero(y.to_numpy() != 0)
    first = min(int(nonzero[0]), len(y) - 2) if len(nonzero) else 0
    if first > 0:
        y = y.iloc[first:]
        notes["leading_zeros_dropped"] = first
    if len(y) > MAX_HISTORY:
        y = y.iloc[-MAX_HISTORY:]
        notes["history_truncated_to"] = MAX_HISTORY
    idx = pd.DatetimeIndex(y.index, freq=freq, name=name)
    periods = season_periods(freq, len(y), season_length)
    default = _default_periods(freq, len(y)) if season_length is None else ()
    if default and periods and default[0] in YEARLY and not shows_season(y.to_numpy(), int(default[0])):
        # a yearly season the history does not show (seasonally adjusted data, spend without
        # a yearly cycle) is left out: fitted, it is noise from a few cycles
        notes["season_absent"] = int(default[0])
        periods = ()
    one_cycle = (int(default[0]) if default and not periods and len(y) > default[0]
                 and "season_absent" not in notes else 0)
    return Prepared(y.to_numpy(dtype=float), idx, periods, notes, one_cycle)


YEARLY = (4.0, 12.0, 52.0)  # default seasons that are the year: quarterly, monthly, weekly data
SEASON_Z = 1.645


def shows_season(v: np.ndarray, m: int) -> bool:
    """Whether the history shows a season of m steps: the autocorrelation at lag m of its
    deviations from a centred one-cycle mean, or from a centred one-cycle median, exceeds
    the white-noise limit SEASON_Z / sqrt(n). The mean takes out a steep trend, which a
    median follows point by point; the median keeps a launch's step out of the deviations,
    which a mean spreads over a cycle. Seasonally adjusted series (US GDP, payrolls) stay
    below the limit; housing starts, CO2 and electricity demand reach 0.5-0.95. Deviations
    are clipped (a few one-off spikes do not hide a season), and also not: a spike that
    comes back a year later (a commitment bought every year) is the season itself."""
    trims = (pd.Series(v).rolling(m + 1 - m % 2, center=True).mean().to_numpy(),
             _cycle_median(v, m))
    return any(_lag_correlation((v - t)[m // 2:len(v) - m // 2], m, clip) > SEASON_Z / math.sqrt(
        max(len(v) - 2 * (m // 2), 1)) for t in trims for clip in (True, False))


def _lag_correlation(d: np.ndarray, m: int, clip: bool = True) -> float:
    """Autocorrelation at lag m, deviations clipped at 3 robust sigmas first (with clip) so
    that a few spikes do not hide a season; 1 when there are too few points to tell (the
    season is kept)."""
    d = d[np.isfinite(d)]
    if len(d) <= m:
        return 1.0
    d = d - np.median(d)
    lim = 3 * robust_sigma(d)
    d = np.clip(d, -lim, lim) if clip and lim > 0 else d
    d = d - d.mean()
    den = float(d @ d)
    return float(d[m:] @ d[:-m]) / den if den > 0 else 0.0


def _plain_months(freq: pd.DateOffset) -> int | None:
    """Months per step of a plain DateOffset(months=k) (billing on a fixed day, the 15th
    say), which has no pandas alias; None for any other offset."""
    kwds = getattr(freq, "kwds", None) or {}
    if type(freq) is pd.DateOffset and set(kwds) == {"months"}:
        return int(kwds["months"] * freq.n)
    return None


def freq_label(freq: pd.DateOffset) -> str:
    """'D', 'MS', ...; a plain DateOffset(months=1) reads '1 month', not '<DateOffset: ...>'."""
    n = _plain_months(freq)
    return freq.freqstr if n is None else f"{n} month{'s' * (n != 1)}"


def _check_levels(levels) -> None:
    try:  # numbers: a text "95" would be read as the levels 9 and 5
        ok = (len(levels) > 0 and not isinstance(levels, str)
              and all(not isinstance(v, str) and 0 < float(v) < 100 for v in levels))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise WorkbenchError(f"forecast: levels must be percentages in (0, 100), got {levels!r}")


def infer_freq(idx: pd.DatetimeIndex) -> pd.DateOffset:
    """The index's freq, or the one its most common step implies (gaps allowed)."""
    if idx.freq is not None:
        return idx.freq
    idx = idx.sort_values()
    if len(idx) < 3:
        raise WorkbenchError(
            "forecast: cannot infer the frequency from fewer than 3 timestamps; set index.freq")
    steps = pd.Series(idx[1:] - idx[:-1])
    step = steps.mode().iloc[0]
    days = step / DAY
    if 28 <= days <= 31:
        if (idx.day == 1).all():
            return to_offset("MS")
        if idx.is_month_end.all():
            return to_offset("ME")
        if (idx.day == idx[0].day).all() and idx[0].day <= 28:
            return pd.DateOffset(months=1)  # billed on the 15th, say
    elif 89 <= days <= 92:
        if (idx.day == 1).all():
            return to_offset(f"QS-{idx[0].strftime('%b').upper()}")
        if idx.is_quarter_end.all():
            return to_offset("QE")
        if (idx.day == idx[0].day).all() and idx[0].day <= 28:
            return pd.DateOffset(months=3)
    elif 365 <= days <= 366:
        if (idx.day == 1).all() and (idx.month == idx[0].month).all():
            return to_offset(f"YS-{idx[0].strftime('%b').upper()}")
        if idx.is_year_end.all():
            return to_offset("YE")
        if (idx.day == idx[0].day).all() and (idx.month == idx[0].month).all() and idx[0].day <= 28:
            return pd.DateOffset(months=12)
    elif step == 7 * DAY:
        return to_offset(f"W-{idx[0].strftime('%a').upper()}")
    elif step == DAY:
        # Weekdays only, over at least two whole weeks: business days, not daily data
        # with every weekend missing (which would be filled in as if it were data).
        weekdays_only = (idx.day_of_week < 5).all() and (idx[-1] - idx[0]) >= 14 * DAY
        return to_offset("B" if weekdays_only else "D")
    elif step > pd.Timedelta(0) and days < 28:
        return to_offset(step)
    raise WorkbenchError(
        f"forecast: cannot infer a regular frequency (most common step {step})")


def season_periods(freq: pd.DateOffset, n: int, season_length=None) -> tuple[float, ...]:
    """Season lengths in steps: main (integer) first, then longer ones fitted as Fourier terms."""
    if season_length is not None:
        sl = season_length if isinstance(season_length, (list, tuple)) else [season_length]
        try:
            sl = [float(s) for s in sl]
        except (TypeError, ValueError):
            raise WorkbenchError(
                f"forecast: season_length must be a number or a list of numbers, got {season_length!r}"
            ) from None
        if any(not math.isfinite(s) or s < 1 for s in sl):
            raise WorkbenchError(f"forecast: season_length must be a finite number >= 1, got "
                                 f"{season_length!r}")
        sl = sorted(s for s in sl if s > 1)
        if sl and sl[0] != int(sl[0]):
            raise WorkbenchError("forecast: the shortest season_length must be a whole number")
        return tuple(s for i, s in enumerate(sl) if i == 0 or n >= 1.5 * s)
    # the main season needs two whole cycles to be estimated; longer ones are Fourier terms
    periods = _default_periods(freq, n)
    if periods and n < 2 * periods[0]:
        return ()
    return periods


def _rule_code(freq: pd.DateOffset) -> str:
    # A plain DateOffset(months=1) has no rule code: pandas raises NotImplementedError.
    try:
        return freq.rule_code
    except (AttributeError, NotImplementedError):
        return freq.freqstr


def _default_periods(freq: pd.DateOffset, n: int) -> tuple[float, ...]:
    months = _plain_months(freq)
    if months in (1, 3):
        return (12.0,) if months == 1 else (4.0,)  # monthly or quarterly on a fixed day
    code = _rule_code(freq)
    step = None
    try:
        step = pd.Timedelta(freq)
    except (TypeError, ValueError):
        pass
    if step == HOUR:
        return (24.0, 168.0) if n >= 3 * 168 else (24.0,)
    if step == DAY:  # not every "D" offset: 2D data has no whole week in steps
        return (7.0, 365.25) if n >= 2 * 365 else (7.0,)
    if code == "B":  # business days: the week is five of them
        return (5.0,)
    if code.startswith("W"):
        return (52.0,)
    if code in ("MS", "ME", "BMS", "BME"):
        return (12.0,)
    if code.startswith(("QS", "QE", "BQ")):
        return (4.0,)
    if step is not None and step < DAY and (DAY / step) == int(DAY / step) and DAY / step <= 288:
        return (float(DAY / step),)
    return ()


def robust_sigma(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def _median_filter(x: np.ndarray, w: int) -> np.ndarray:
    """Centered rolling median: keeps steps sharp and ignores one-off spikes."""
    w = max(3, min(w, len(x)) | 1)
    return pd.Series(x).rolling(w, center=True, min_periods=1).median().to_numpy()


def _cycle_median(x: np.ndarray, p: int) -> np.ndarray:
    """Rolling median over about one cycle, centred on each point. A window of p + 1 (made
    odd) counts one or two phases twice; over a long cycle that is noise, but over a cycle
    of 2 (a job every other day) the median then follows the alternation instead of the
    level. There the medians of the two windows of p points around each point are averaged."""
    if p != 2:
        return _median_filter(x, p + 1)
    med = pd.Series(x).rolling(p, min_periods=1).median()
    before = med.shift(-(p // 2) + 1)  # window t-p/2 .. t+p/2-1
    after = med.shift(-(p // 2))  # window t-p/2+1 .. t+p/2
    return ((before + after) / 2).fillna(before).fillna(after).fillna(med).to_numpy()


def robust_seasonal(v: np.ndarray, periods: tuple[float, ...]) -> np.ndarray:
    """Seasonal profile robust to spikes, launches and campaigns: the median over cycles of the
    deviation from a one-cycle rolling median, for the main season and a longer whole cycle."""
    n = len(v)
    seasonal = np.zeros(n)
    t = np.arange(n)
    for p in periods:
        if p != int(p) or n < 2 * p:
            continue
        p = int(p)
        dev = pd.Series(v - seasonal - _cycle_median(v - seasonal, p))
        prof = dev.groupby(t % p).median().to_numpy()
        seasonal = seasonal + (prof - prof.mean())[t % p]
    return seasonal


def winsorize(d: np.ndarray, k: float = 5.0) -> tuple[np.ndarray, int, np.ndarray]:
    """Clip one-off spikes of a deseasonalized series (beyond k robust sigmas of the deviation
    from a 7-point rolling median) for fitting; returns (values, count, one-off mask).

    The mask marks the spikes when they are few (one-off incidents: a retry loop, a mistaken
    job), which interval sizing leaves out. When they are many, they are how the series
    behaves: only the top 1 % is tamed, and the mask is empty, so the intervals keep them."""
    none = np.zeros(len(d), dtype=bool)
    rem = d - _median_filter(d, 7)
    sig = max(robust_sigma(rem), robust_sigma(np.diff(d)) / np.sqrt(2))
    if sig == 0:
        return d, 0, none
    # a few spikes are clipped; many are how the series behaves (jobs that come and go), which
    # the forecast and its intervals must keep, so then only the top 1 % is tamed
    lim = k * sig
    many = (np.abs(rem) > lim).sum() > max(3, 0.02 * len(d))
    if many:
        lim = max(lim, float(np.quantile(np.abs(rem), 0.99)))
    clipped = np.clip(rem, -lim, lim)
    hit = clipped != rem
    return d - rem + clipped, int(hit.sum()), none if many else hit


def find_level_shift(d: np.ndarray, w: int, k: float = 6.0) -> tuple[int, float] | None:
    """Most recent sudden level change in a deseasonalized series: (position, delta) or None.

    Compares medians of the w points before and after each position; a straight trend gives a
    constant difference (subtracted), a step gives a peak well above the noise of the medians.
    """
    n = len(d)
    if n < 4 * w or w < 2:
        return None
    win = np.lib.stride_tricks.sliding_window_view(d, w)
    med = np.median(win, axis=1)  # med[i] = median(d[i:i+w])
    delta = med[w:] - med[: len(med) - w]  # position t = i + w: after minus before
    pos = np.arange(w, w + len(delta))
    sig = robust_sigma(np.diff(d)) / np.sqrt(2)
    base = np.median(delta)
    thresh = max(k * 1.25 * np.sqrt(2) * sig / np.sqrt(w), 0.1 * np.median(np.abs(d)), 1e-12)
    excess = np.abs(delta - base)
    if len(delta) >= 8 * w:
        # a level that wanders (unemployment, interest rates) moves the window medians apart
        # everywhere; a step must stand out from how far they usually move, not only from the
        # point-to-point noise. A launch's bump spans 2w positions, too few to move this.
        wander = k * robust_sigma(delta - base)
        # A step fewer than w points before the end moves the last medians only partly (2
        # quarters of 7 at a doubled level, by a fifth of the level): there the step itself,
        # its points against the w before them, must stand out from the wander.
        tail = np.flatnonzero(excess[-w:] > thresh) + len(delta) - w
        if wander > thresh and len(tail):
            found = _step_at(d, w, med, delta, base, int(pos[tail[np.argmax(excess[tail])]]))
            if found is not None and abs(found[1]) > wander:
                return found
        thresh = max(thresh, wander)
    hits = np.flatnonzero(excess > thresh)
    if len(hits) == 0:
        return None
    # last run of consecutive hits, then its peak
    breaks = np.flatnonzero(np.diff(hits) > 1)
    run = hits[breaks[-1] + 1:] if len(breaks) else hits
    return _step_at(d, w, med, delta, base, int(pos[run[np.argmax(excess[run])]]))


def _step_at(d, w, med, delta, base, t) -> tuple[int, float] | None:
    """The step near position t (window medians differing most there): (its day, its size),
    or None when the points after it do not all sit at the new level."""
    n = len(d)
    # the step's day, even within w points of the end (the medians' last position is n - w)
    t0 = split_point(d, t, w)
    j = t0 - w
    if j < len(delta):
        step = float(delta[max(j, 0)] - base)
    else:  # fewer than w points after it: the step is theirs against the w points before
        step = float(np.median(d[t0:]) - med[j] - base * (n - t0 + w) / (2 * w))
    # a shift persists: everything after it sits at the new level (minus the straight-line
    # drift), not a burst of jobs that came and went
    after = np.median(d[t0:]) - base * (n - t0) / (2 * w)
    if abs(after - med[t0 - w]) < 0.5 * abs(step) or np.sign(after - med[t0 - w]) != np.sign(step):
        return None
    return t0, step


def split_point(d: np.ndarray, t0: int, w: int) -> int:
    """The step's position near t0: where the points on either side sit closest to their own
    medians. Window medians differ by about the full step over several points around it,
    so the largest difference can fall a few points off the step, and the first points at
    the new level would then be aligned as old ones: a spike of the step's size.
    """
    n = len(d)
    lo, hi = max(0, t0 - 2 * w), min(n, t0 + 2 * w)
    best, cost = t0, np.inf
    for c in range(max(lo + 1, t0 - w), min(hi - 1, t0 + w) + 1):
        left, right = d[lo:c], d[c:hi]
        here = np.abs(left - np.median(left)).sum() + np.abs(right - np.median(right)).sum()
        if here < cost:
            best, cost = c, here
    return best


def shift_window(periods: tuple[float, ...], n: int) -> int:
    """Window for the level-shift medians: long enough to average out what the seasonal profile
    leaves, i.e. a whole longer cycle (a week of hours) when the history holds four of them."""
    m = int(periods[0]) if periods else 1
    for p in periods[1:]:
        if p == int(p) and 4 * p <= n:
            return int(p)
    return max(m, 7) if m <= 24 else max(7, m // 4)


def find_recent_shift(d: np.ndarray, w: int, k: int, start: int = 0,
                      z: float = 6.0) -> tuple[int, float] | None:
    """A shift in the last w points, too recent for `find_level_shift` (a launch yesterday): the
    median of everything after each candidate start against the median of the w points before."""
    n = len(d)
    if n < 3 * w or k >= w:
        return None
    sig = robust_sigma(np.diff(d)) / np.sqrt(2)
    floor = 0.1 * np.median(np.abs(d))
    best = None
    for t0 in range(max(n - w + 1, start), n - k + 1):
        after, before = np.median(d[t0:]), np.median(d[t0 - w:t0])
        noise = 1.25 * sig * np.sqrt(1 / (n - t0) + 1 / w)
        thresh = max(z * noise, floor, 1e-12)
        score = abs(after - before) / thresh
        # the reference window must itself be steady, not the end of a campaign
        h = w // 2
        steady = abs(np.median(d[t0 - w:t0 - h]) - np.median(d[t0 - h:t0])) < 0.25 * abs(after - before)
        # and the new level must hold on (nearly) every point since: two one-off credits among
        # the last three days are not a new level
        seg = d[t0:]
        holds = np.mean(np.abs(seg - after) < np.abs(seg - before)) >= 0.8
        if score > 1 and steady and holds and (best is None or score > best[0]):
            best = (score, t0)
    if best is None:
        return None
    t0 = max(start, split_point(d, best[1], w))
    return t0, float(np.median(d[t0:]) - np.median(d[max(0, t0 - w):t0]))


def remove_level_shifts(d: np.ndarray, w: int, k: int, max_shifts: int = 3
                        ) -> tuple[np.ndarray, list[int]]:
    """Align a deseasonalized history before recent level shifts (launches, migrations, campaigns
    switched on or off) with the current level: returns (adjusted series, shift positions).
    w: window of the medians; k: the fewest points after a shift that can reveal it."""
    d = d.copy()
    shifts: list[int] = []
    end = len(d)
    older = find_level_shift(d, w)  # a shift the recent check must not find a second time
    recent = find_recent_shift(d, w, k, start=older[0] + w // 2 if older else 0)
    if recent is not None:
        t0, delta = recent
        d[:t0] += delta
        shifts.append(t0)
        end = t0
    for _ in range(max_shifts):
        found = find_level_shift(d[:end], w)
        if found is None:
            break
        t0, delta = found
        d[:t0] += delta
        shifts.append(t0)
        end = t0  # earlier shifts are searched in the history before this one
    return d, shifts


MONTHS_FOR_CHARGE = 3  # a charge must recur on its day in this many months in a row at least
TOP_OF_MONTH = 2  # ... and be among this many steps of each month that stand out most
LAST_DAY = 0  # day-of-month key of a charge on each month's last day


def _slot_keys(ts: pd.Timestamp, daily: bool) -> tuple:
    """The monthly slots a step answers to: its day (1-28) and LAST_DAY at month end, with
    the time of day in a series finer than days (a fee lands at 00:00 on the 1st)."""
    days = ((ts.day,) if ts.day <= 28 else ()) + ((LAST_DAY,) if ts.is_month_end else ())
    return days if daily else tuple((day, ts.strftime("%H:%M")) for day in days)


def slot_label(key) -> int | str:
    """How attrs name a slot: 1, "last", or "1 00:00" / "last 00:00" below a day."""
    day, time = (key, None) if isinstance(key, int) else key
    name = "last" if day == LAST_DAY else day
    return name if time is None else f"{name} {time}"


def _steps_within_a_day(index: pd.DatetimeIndex) -> bool | None:
    """True for days, False for finer steps (hours, minutes), None for anything else (weeks,
    months, every other day: no step is a day of the month)."""
    freq = index.freq
    if isinstance(freq, pd.offsets.Day):  # a calendar day in pandas 3, not a fixed span
        return True if freq.n == 1 else None
    if isinstance(freq, pd.offsets.Tick) and freq.nanos < DAY.value:
        return False
    return None


def monthly_charges(values: np.ndarray, index: pd.DatetimeIndex, k: float = 6.0
                    ) -> tuple[np.ndarray, dict, dict]:
    """Charges billed at the same point of every month in a daily or hourly series (a support
    plan, a subscription, a reservation paid monthly): (values without them, {slot: amount},
    {slot: its changes from one month to the next}).

    A model of days or hours sees such a charge as a one-off spike: clipped, it forecasts
    none, and a month's forecast misses the fee. A slot (a day of the month, and below a day
    its time) counts when, in each of the last MONTHS_FOR_CHARGE months, it stands out from
    the points around it, with the same sign, by more than k robust sigmas of the noise, and
    as one of the TOP_OF_MONTH points of its month that stand out most: jobs that run some
    days and not others land on one date three months running often enough, but rarely as
    the month's largest. Its amount is the latest month's; how much it changed from month to
    month (a bill that follows usage, such as an LLM API billed monthly) sizes its interval.
    """
    daily = _steps_within_a_day(index)
    if daily is None or len(values) < 7:
        return values, {}, {}
    excess = values - _median_filter(values, 7)
    lim = k * max(robust_sigma(excess), 1e-12 * float(np.max(np.abs(values))))
    size = pd.Series(np.abs(excess))
    top = size.groupby(np.asarray(index.year * 12 + index.month)).transform(
        lambda x: x.nlargest(TOP_OF_MONTH).min()).to_numpy()
    excess = np.where(size.to_numpy() >= top, excess, 0.0)  # only the month's largest count
    by_slot: dict = {}
    for i, ts in enumerate(index):
        for key in _slot_keys(ts, daily):
            by_slot.setdefault(key, []).append(i)
    out, charges, changes = values.copy(), {}, {}
    for key, rows in by_slot.items():
        recent = excess[rows[-MONTHS_FOR_CHARGE:]]
        if len(rows) < MONTHS_FOR_CHARGE or not (np.all(recent > lim) or np.all(recent < -lim)):
            continue
        sign = np.sign(recent[-1])
        hit = [i for i in rows if np.sign(excess[i]) == sign and abs(excess[i]) > lim]
        out[hit] -= excess[hit]
        charges[key] = float(excess[rows[-1]])
        changes[key] = np.diff(excess[hit])
    return out, charges, changes


def charges_on(index: pd.DatetimeIndex, charges: dict) -> np.ndarray:
    """The monthly charges that fall on each step of `index` (a date can be day 28 and the
    last day of February at once: both apply)."""
    daily = bool(_steps_within_a_day(index))
    return np.array([sum(charges.get(key, 0.0) for key in _slot_keys(ts, daily)) for ts in index])


def young_points(freq: pd.DateOffset) -> int:
    """Points a new level needs before it is taken as lasting: a week's worth for steps of a
    day or less (7 days, 168 hours, 5 business days), 3 for longer steps (weeks, months)."""
    if _rule_code(freq) == "B":
        return 5
    try:
        step = pd.Timedelta(freq)
    except (TypeError, ValueError):
        return 3
    return max(3, int(7 * DAY / step)) if step <= DAY else 3


def _robust_line(x: np.ndarray) -> tuple[float, float]:
    """(intercept, slope) of a line through x at positions 0..len-1, from the medians of its
    halves: a few points off the line (the first of a new level) barely move it."""
    n = len(x)
    h = n // 2
    slope = (np.median(x[n - h:]) - np.median(x[:h])) / (n - h) if h >= 2 else 0.0
    return float(np.median(x - slope * np.arange(n))), float(slope)


def level_before(d: np.ndarray, t0: int, young: int) -> tuple[np.ndarray, float] | None:
    """(level the history before t0 leads to at t0..end, its noise): a line through the 4
    young spans before t0 (at least 6 points), and the robust sigma around it."""
    ref = d[max(0, t0 - 4 * young):t0]
    if len(ref) < 6:
        return None
    a, b = _robust_line(ref)
    t = np.arange(len(ref))
    expect = a + b * np.arange(len(ref), len(ref) + len(d) - t0)
    return expect, robust_sigma(ref - (a + b * t))


def find_young_run(d: np.ndarray, young: int, z: float = 5.0) -> tuple[int, float] | None:
    """A run at the end of a deseasonalized series, 2 to young-1 points long, every point of
    it more than z sigmas (and a tenth of the level) off the line the history before it
    leads to, all on one side: (start, step from the old level to the run's), else None.

    A run as long as `young` or longer is a level that has held: None."""
    n = len(d)
    best = None
    for k in range(2, young + 1):
        t0 = n - k
        before = level_before(d, t0, young)
        if before is None:
            break
        expect, sig = before
        r = d[t0:] - expect
        floor = 0.1 * float(np.median(np.abs(d[max(0, t0 - 4 * young):t0])))
        thresh = max(z * sig, floor, 1e-12)
        if not (np.all(np.abs(r) > thresh) and (np.all(r > 0) or np.all(r < 0))):
            break
        best = (t0, float(np.median(r)))
    if best is None or n - best[0] >= young:
        return None
    return best
