"""Cost forecasts with intervals whose stated level is the coverage seen in backtests.

`forecast_series(y, horizon)` picks, per series, the best of a few cheap candidates (or the mean
of the best three) by rolling-origin backtest, and sizes its intervals from that backtest's
errors at each horizon step. `backtest(y, horizon)` shows the evaluation behind the choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError, plural
from workbench.forecast_models import candidate_paths
from workbench.forecast_prep import (
    Prepared,
    charges_on,
    find_young_run,
    level_before,
    monthly_charges,
    prepare,
    remove_level_shifts,
    robust_seasonal,
    robust_sigma,
    shift_window,
    slot_label,
    winsorize,
    young_points,
)

COMBINATION = "combination"
TOP_K = 3
COMBINE_TOLERANCE = 1.05  # keep the combination unless one model beats it by more than 5 %
CALIBRATION_WINDOWS = 8  # backtest origins behind each forecast
# Error growth over the horizon is fitted as a * h^b (0 <= b <= 1) on the backtested steps.
# Beyond them, a level that wanders (a random walk) makes errors grow like sqrt(h) though a few
# short backtest windows barely show it, so the growth is kept at or above that there.
MIN_GROWTH = 0.5
BAND_ERRORS = 40  # backtest errors behind each band's quantile, at least
MAX_TILT = 0.5  # the band multiplier changes at most like h^0.5 (a few bands can be noisy)
GROWTH_FOR_LOG = 3.0  # level shifts are looked for on the log scale of series growing this much
# A series with no spend on at least half of its recent steps (jobs now and then) is
# intermittent: the candidates the backtest prefers there forecast the typical step, which
# is zero, and a budget summed from them would miss every job to come.
INTERMITTENT_ZEROS = 0.5
JOBS_FOR_RATE = 10  # spends the rate of an intermittent series is averaged over, at least


@dataclass
class YoungLevel:
    """A level only a few points old at the end of the history (a launch, or a runaway that
    may stop tomorrow): whether it lasts is unknown, so the intervals span it and the level
    before it."""
    start: int  # position of its first point
    points: int
    step: float  # new level minus old, in the series' units
    forecast_at_new: bool  # the mean follows the new level (read as a launch), else the old


@dataclass
class Evaluation:
    names: list[str]
    errors: dict[str, np.ndarray]  # model -> (windows, steps) actual minus forecast
    mase_scale: np.ndarray  # (windows,) in-sample seasonal-naive MAE of each training window
    width_scale: np.ndarray  # (windows,) recent seasonal-naive MAE at each origin, no spikes
    origins: list[int]
    steps: int
    left_out: np.ndarray  # (windows, steps) NaN where the actual is a one-off spike, else 0

    def width_errors(self, name: str) -> np.ndarray:
        """The model's errors with one-off spikes (winsorize's) left out as NaN: a runaway day
        in a target window is not a forecast error the intervals should cover."""
        return self.errors[name] + self.left_out


# --- helpers shared by forecast_series and backtest ------------------------------------------

def _snaive_mae(v: np.ndarray, m: int, recent: int | None = None) -> float:
    """Mean absolute seasonal difference (lag m, else lag 1), optionally over the recent tail."""
    for lag in (m, 1):
        if lag >= 1 and len(v) > lag:
            d = np.abs(v[lag:] - v[:-lag])
            if recent:
                d = d[-recent:]
            d = d[np.isfinite(d)]  # NaN: a one-off spike left out
            s = float(d.mean()) if len(d) else 0.0
            if s > 0:
                return s
    return 0.0


def _recent(m: int) -> int:
    return max(8 * m, 56)


def _grows(v: np.ndarray, m: int) -> bool:
    """Strictly positive, and grown (or shrunk) by more than a factor GROWTH_FOR_LOG from the
    start of the history to its end (medians of the first and last few seasons)."""
    if np.min(v) <= 0:
        return False
    lv = np.log(v)
    span = max(1, min(len(v) // 3, 4 * max(m, 7)))
    grown = abs(float(np.median(lv[-span:]) - np.median(lv[:span]))) > math.log(GROWTH_FOR_LOG)
    # ... and its noise grew (or shrank) with it: the log scale then evens the noise out. A
    # tenth of the spend with the same noise in dollars (most jobs stopped) is ten times as
    # noisy on the log scale, where every noisy day would look like another step.
    return grown and _unevenness(lv, span) <= _unevenness(v, span)


def _unevenness(x: np.ndarray, span: int) -> float:
    """How many times larger the step-to-step noise is at one end of x than at the other."""
    a, b = robust_sigma(np.diff(x[:span])), robust_sigma(np.diff(x[-span:]))
    if a <= 0 or b <= 0:
        return math.inf
    return max(a / b, b / a)


def _clean(p: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict, YoungLevel | None,
                                  int]:
    """(target, fit values, calibration values, notes, young level, position of the latest
    level shift or 0): level shifts removed from the first three, spikes clipped in the fit
    values, one-off spikes NaN in the calibration values (the intervals are sized without
    them)."""
    v = p.values
    seasonal = robust_seasonal(v, p.periods)
    # half a season after a launch is enough to see it (12 hours, 3 days, 6 months)
    w, k = shift_window(p.periods, len(v)), max(3, p.m // 2)
    if _grows(v, p.m):
        # Compound growth: the shift finder allows for a straight trend only, so on the raw
        # scale an accelerating one looks like a run of upward steps, and removing them would
        # flatten the growth. On the log scale the growth is straight; steps found there are
        # removed as ratios.
        lv = np.log(v)
        ls = robust_seasonal(lv, p.periods)
        dl, shifts = remove_level_shifts(lv - ls, w, k)
        d = v * np.exp(dl - (lv - ls)) - seasonal
    else:
        d, shifts = remove_level_shifts(v - seasonal, w, k)
    target = d + seasonal
    d_fit, n_clipped, one_off = winsorize(d)
    calib = np.where(one_off, np.nan, target)
    # frequent big swings are how the series behaves: a run of them at the end is not a level
    swings = n_clipped > 0 and not one_off.any()
    # a level is young for a week (3 steps of a week or longer), and at least until it is
    # long enough to be read as a launch (half a season, or the shift window's length)
    span = max(young_points(p.index.freq), min(k, w))
    young = None if swings else _young_level(v - seasonal, d, shifts, p.index, span)
    if young is not None and not young.forecast_at_new:
        # a run too short to be read as a launch is left out like a spike: the fit sees the
        # level the history before it leads to, not a clipped remnant of the run
        expect, _ = level_before(d, young.start, span)
        d_fit = d_fit.copy()
        d_fit[young.start:] = expect
        calib[young.start:] = np.nan
    notes = {}
    if n_clipped:
        notes["winsorized_points"] = n_clipped
    if shifts:
        notes["level_shifts_at"] = [str(p.index[t]) for t in sorted(shifts)]
    return target, d_fit + seasonal, calib, notes, young, max(shifts, default=0)


def _young_level(raw: np.ndarray, d: np.ndarray, shifts: list[int], index: pd.DatetimeIndex,
                 young: int) -> YoungLevel | None:
    """The level at the end of the history when it is younger than `young` points: a launch
    found fewer points ago (the mean follows it), or a run of points too short to be read
    as one (the mean stays at the level before it). `raw`: deseasonalized, no shift removed;
    `d`: with the shifts removed."""
    n = len(raw)
    recent = [t for t in shifts if n - t < young]
    if recent:
        t0 = max(recent)
        before = level_before(raw, t0, young)
        if before is None:
            return None
        step = float(np.median(raw[t0:] - before[0]))
        return YoungLevel(t0, n - t0, step, True) if np.isfinite(step) else None
    run = find_young_run(d, young)
    if run is None:
        return None
    return YoungLevel(run[0], n - run[0], run[1], False)


def _plan(n: int, m: int, horizon: int, windows: int, overlap: bool) -> tuple[list[int], int]:
    """Backtest origins and steps per window; ([], 0) when the history is too short.

    Steps are capped so three disjoint windows fit after a minimal training set. With
    `overlap`, up to `windows` origins are spread over the later half of the history (each
    window still sees a whole horizon), which gives the interval calibration more independent
    starting points than disjoint windows could on short series.
    """
    min_train = max(2 * m, 10)
    room = n - min_train
    steps = min(horizon, room // 3) if room > 0 else 0
    if steps < 1 or steps * 3 < 6:
        return [], 0
    last = n - steps
    if not overlap:
        count = min(windows, room // steps)
        return [last - k * steps for k in range(count - 1, -1, -1)], steps
    span = last - max(min_train, n // 2)
    count = max(1, min(windows, span + 1))
    stride = max(1, min(steps, span // max(count - 1, 1)))
    origins = [last - k * stride for k in range(count - 1, -1, -1)]
    return [o for o in origins if o >= min_train], steps


def _origin_scales(v: np.ndarray, m: int, origins, calib: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(MASE scale, width scale) at each backtest origin: the seasonal-naive MAE of the
    history before it, over all of it and over its recent part (of `calib` when given)."""
    w = v if calib is None else calib
    mase_scale = [_snaive_mae(v[:o], m) for o in origins]
    width_scale = [_snaive_mae(w[:o], m, _recent(m)) for o in origins]
    return _safe(np.array(mase_scale)), _safe(np.array(width_scale))


def _evaluate(target, fit, calib, periods, m, origins, steps) -> Evaluation:
    """Every candidate's errors from each origin. Intervals are sized without one-off spikes
    (`calib`): one runaway day (a retry loop billed 20 times over) neither inflates the
    recent scale nor counts as a forecast error."""
    errors: dict[str, list] = {}
    for o in origins:
        paths = candidate_paths(fit[:o], steps, periods, log=bool(np.min(fit) > 0))
        actual = target[o:o + steps]
        for name, path in paths.items():
            errors.setdefault(name, []).append(actual - path)
    full = {k: np.array(v) for k, v in errors.items()
            if len(v) == len(origins) and np.isfinite(np.array(v)).all()}
    left_out = np.array([calib[o:o + steps] - target[o:o + steps] for o in origins])
    return Evaluation(list(full), full, *_origin_scales(target, m, origins, calib), origins, steps,
                      left_out)


def _safe(scale: np.ndarray) -> np.ndarray:
    """Zero scales (flat training data) fall back to the mean positive scale, else 1."""
    pos = scale[scale > 0]
    return np.where(scale > 0, scale, pos.mean() if len(pos) else 1.0)


def _mase(err: np.ndarray, scale: np.ndarray) -> float:
    return float(np.mean(np.abs(err).mean(axis=1) / scale))


def _rank(ev: Evaluation, recent: dict[str, float] | None = None
          ) -> tuple[dict[str, float], list[str]]:
    """MASE of each candidate and of the mean of the best TOP_K; best first. With `recent`
    (each candidate's MASE on the last season, _recent_mase), candidates are ranked on the
    mean of both, so a regime the backtest windows cannot see yet still counts."""
    mase = {k: _mase(ev.errors[k], ev.mase_scale) for k in ev.names}
    score = {k: (v + recent[k]) / 2 if recent and k in recent else v for k, v in mase.items()}
    order = sorted(mase, key=score.get)
    top = order[:TOP_K]
    if len(top) > 1:
        ev.errors[COMBINATION] = np.mean([ev.errors[k] for k in top], axis=0)
        mase[COMBINATION] = _mase(ev.errors[COMBINATION], ev.mase_scale)
    return mase, top


# --- interval calibration --------------------------------------------------------------------
#
# Backtest errors are scaled by the recent seasonal-naive MAE at their origin. Their size per
# step is fitted as a * h^b; each band of steps then gets the conformal quantile of its errors
# over that size, and a curve through the bands' quantiles gives the multiplier at each step.
# Intervals so hold their level step by step (band by band), not only over the horizon: a
# floor of sqrt(h) growth inside the backtested steps made the first days' intervals too
# narrow and the last days' too wide whenever errors barely grow (noise around a steady
# season). Beyond the backtested steps nothing is seen, and the floor stays.

def _profile(scaled: np.ndarray, horizon: int) -> np.ndarray:
    """Smooth error size per step 1..horizon: a power law a * h^b (0 <= b <= 1) fitted to the
    mean scaled absolute error per step (NaN errors, one-off spikes, left out). Beyond the
    steps the backtest saw, it grows at least like h^MIN_GROWTH from the last of them."""
    size = np.abs(scaled)
    seen = np.isfinite(size).sum(axis=0)
    per_step = np.where(seen > 0, np.nansum(size, axis=0) / np.maximum(seen, 1), 0.0)
    steps = len(per_step)
    h = np.arange(1, steps + 1)
    ok = per_step > 0
    if ok.sum() == 0:
        return np.zeros(horizon)
    if ok.sum() == 1:
        b = MIN_GROWTH
        a = per_step[ok][0] / h[ok][0] ** b
    else:
        b, _ = np.polyfit(np.log(h[ok]), np.log(per_step[ok]), 1)
        b = float(np.clip(b, 0.0, 1.0))
        a = float(np.exp(np.mean(np.log(per_step[ok]) - b * np.log(h[ok]))))
    out = a * np.arange(1, horizon + 1, dtype=float) ** b
    if horizon > steps:
        far = np.arange(steps + 1, horizon + 1, dtype=float)
        out[steps:] = out[steps - 1] * (far / steps) ** max(b, MIN_GROWTH)
    return out


def _bands(steps: int, windows: int) -> list[tuple[int, int]]:
    """Bands of steps [start, end) for the per-band quantiles: the first holds BAND_ERRORS
    errors at least, and each next one ends twice as far out (steps 1-5, 6-10, 11-20, 21-40,
    41-80 with 8 windows); a last band with too few errors joins the one before."""
    first = max(1, math.ceil(BAND_ERRORS / max(windows, 1)))
    edges = [0]
    end = first
    while end < steps:
        edges.append(end)
        end *= 2
    edges.append(steps)
    if len(edges) > 2 and (edges[-1] - edges[-2]) * windows < BAND_ERRORS:
        del edges[-2]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _conformal_quantile(z: np.ndarray, level: float, points: float | None = None) -> float:
    """Split-conformal quantile of the finite z: the ceil((N+1) L)-th smallest; beyond the
    sample, stretch the max. `points`: how many independent actuals the N errors stand for,
    when fewer (windows that overlap forecast the same actuals): the level then takes the
    correction of that many, L (P+1) / P, since the quantile of a few actuals falls short of
    the level by about L / (P+1)."""
    z = np.sort(z[np.isfinite(z)].ravel())
    n = len(z)
    if n == 0:
        return 0.0
    p = n if points is None else min(float(points), n)
    k = math.ceil(round(n * level / 100 * (p + 1) / p, 9))
    if k <= n:
        return float(z[k - 1])
    return float(z[-1] * (1 + (k - n) / n))


def _actuals(targets: np.ndarray | None, z: np.ndarray) -> int | None:
    """How many distinct actuals the finite errors in z were made on (`targets`: the position
    in the history each error's actual has), None when not known."""
    if targets is None:
        return None
    return int(np.unique(targets[np.isfinite(z)]).size)


def _band_multiplier(z: np.ndarray, level: float, length: int, growth: float = 0.0,
                     targets: np.ndarray | None = None) -> np.ndarray:
    """Multiplier of the error size at steps 1..length: the conformal quantile of z in each
    band of steps, through which exp(c) * h^d is fitted (weighted by the band's errors), so
    each band holds the level without a step at each band's edge from its few largest
    errors. Past the backtested steps it stays at the last step's. `targets` (the position of
    each error's actual) lets a band's quantile count the actuals its errors stand for.

    The error size it multiplies grows like h^growth, and d is kept at -growth or above: a
    later band's quantile below an earlier one's comes from a few errors each, not from a
    forecast that gets surer further out, so the interval never narrows with the step. The
    fit with d held there is the weighted mean of the bands, which keeps their level."""
    steps = z.shape[1]
    qs, centres, counts = [], [], []
    for lo, hi in _bands(steps, z.shape[0]):
        band = None if targets is None else targets[:, lo:hi]
        qs.append(_conformal_quantile(z[:, lo:hi], level, _actuals(band, z[:, lo:hi])))
        centres.append(math.sqrt((lo + 1) * hi))  # geometric middle of steps lo+1..hi
        counts.append(float(np.isfinite(z[:, lo:hi]).sum()))
    q, x, w = np.array(qs), np.log(centres), np.sqrt(counts)
    ok = q > 0
    if ok.sum() < 2:
        return np.full(length, _conformal_quantile(z, level, _actuals(targets, z)))
    slope = np.polyfit(x[ok], np.log(q[ok]), 1, w=w[ok])[0]
    d = float(np.clip(slope, max(-MAX_TILT, -growth), MAX_TILT))
    c = float(np.average(np.log(q[ok]) - d * x[ok], weights=w[ok]))
    h = np.minimum(np.arange(1, length + 1), steps)
    return np.exp(c + d * np.log(h))


def _growth(ref: np.ndarray) -> float:
    """Exponent b of the error size a * h^b over the backtested steps (_profile's)."""
    if len(ref) < 2 or ref[0] <= 0:
        return 0.0
    return float(math.log(ref[-1] / ref[0]) / math.log(len(ref)))


def _half_widths(err: np.ndarray, scale: np.ndarray, horizon: int, levels, scale_now: float,
                 origins) -> dict:
    """Half width per level and step from backtest errors (NaN: left out) scaled by the
    origin's recent MAE: the fitted error size at each step times its band's multiplier.

    Windows from `origins` that overlap (a short history) forecast the same actuals (8
    windows of 12 months, 2 apart, hold 96 errors on 26 months), so each band's quantile is
    corrected for the actuals its errors were made on, not for its errors: counted as
    independent, they gave 80 % / 95 % intervals that held 69 % / 88 % of the next year on
    48-month series whose level wanders."""
    scaled = err / scale[:, None]
    steps = err.shape[1]
    length = max(horizon, steps)  # a horizon of 1 is backtested on 2
    prof = _profile(scaled, length)
    ref = prof[:steps]
    z = np.abs(scaled) / np.where(ref > 0, ref, 1.0)[None, :]
    growth = _growth(ref)
    targets = np.asarray(origins)[:, None] + np.arange(steps)[None, :]
    out, below = {}, np.zeros(horizon)
    for lv in sorted(levels):  # a higher level is never narrower at any step
        mult = _band_multiplier(z, lv, length, growth, targets)
        below = np.maximum(below, (mult * prof)[:horizon] * scale_now)
        out[lv] = below
    return out


# --- public API ------------------------------------------------------------------------------

def _frame(index, mean, widths, levels, nonneg: bool, span=None) -> pd.DataFrame:
    # A history with no credits or refunds forecasts no negative spend. Where the model's mean
    # falls below zero (a decline run on past zero), the forecast is zero and the interval
    # keeps its width above it: "none, or up to this much", not "certainly none".
    centre = np.maximum(mean, 0.0) if nonneg else mean
    # `span`: (below, above) added to every interval to reach a level that may or may not last
    below, above = span if span is not None else (0.0, 0.0)
    cols = {"mean": centre}
    for lv in sorted(levels):
        cols[f"lo_{_fmt(lv)}"] = mean - widths[lv] - below
        cols[f"hi_{_fmt(lv)}"] = (centre if nonneg else mean) + widths[lv] + above
    df = pd.DataFrame(cols, index=index)
    if nonneg:
        df = df.clip(lower=0.0)
    return df


def _fmt(level) -> str:
    return str(int(level)) if float(level) == int(level) else str(level).replace(".", "_")


def _future_index(p: Prepared, horizon: int) -> pd.DatetimeIndex:
    freq = p.index.freq
    idx = pd.date_range(p.index[-1] + freq, periods=horizon, freq=freq)
    idx.name = p.index.name
    return idx


def _fallback(p: Prepared, target, horizon, levels, why: str):
    """Seasonal naive (or the recent mean without a full season) with textbook normal intervals."""
    from scipy.stats import norm, t

    v, m = target, p.m
    steps = np.arange(horizon)
    q = {lv: norm.ppf(0.5 + lv / 200) for lv in levels}
    c = p.one_cycle
    if m > 1 and len(v) >= 2 * m:
        mean = v[-m:][steps % m]
        sd = np.std(v[m:] - v[:-m], ddof=1)
        growth = np.sqrt(steps // m + 1)
        model = "seasonal_naive"
    elif c > 1 and _repeats(v, c):
        # Weekends in 10 days of spend: the recent mean missed every day by the weekday-weekend
        # gap (a third of the spend, against 7 % for the last week repeated). Its few seasonal
        # differences size the interval through Student's t, as an sd from 3 is uncertain.
        d = v[c:] - v[:-c]
        mean = v[-c:][steps % c]
        sd = float(np.sqrt(np.mean(d ** 2)))
        q = {lv: t.ppf(0.5 + lv / 200, df=len(d)) for lv in levels}
        growth = np.sqrt(steps // c + 1)
        model = "seasonal_naive"
        why += f" to its last whole season ({c} points), which repeats closer than the points keep to their mean"
    else:
        k = min(len(v), 7)
        mean = np.full(horizon, v[-k:].mean())
        # a level seen over a few points may wander: the error grows like a random walk's,
        # sqrt(h) from the first step's (the spread of the points around their mean)
        sd = np.std(v, ddof=1)
        growth = np.sqrt(steps + 1 + 1 / k)
        model = "recent_mean"
    sd = 0.0 if not np.isfinite(sd) else sd
    widths = {lv: q[lv] * sd * growth for lv in levels}
    return mean, widths, model, why


REPEAT_SHARE = 0.7  # the seasonal differences' size, at most, as a share of the spread


def _repeats(v: np.ndarray, c: int) -> bool:
    """A season seen once repeats: the points a season apart (one pair or more: 8 days hold
    one) differ by less than REPEAT_SHARE of how far the points lie from their mean (a week
    of noise does not)."""
    if c < 2 or len(v) < c + 1:
        return False
    spread = float(np.mean(np.abs(v - v.mean())))
    return float(np.mean(np.abs(v[c:] - v[:-c]))) < REPEAT_SHARE * spread


def _unit(p: Prepared) -> float:
    """Work on values of order one (1e-9 or 1e12 dollars alike); results are scaled back."""
    top = float(np.max(np.abs(p.values)))
    if top > 0:
        p.values = p.values / top
    return top or 1.0


def forecast_series(y: pd.Series, horizon: int, levels=(80, 95), season_length=None) -> pd.DataFrame:
    """Forecast the `horizon` steps after `y` with lo_<L>/hi_<L> intervals for each level.

    `result.attrs`: `model` and `reason` (how it was chosen, or why it fell back),
    `season_length`, `freq`, `levels`, `backtest_mase` (every candidate and the combination),
    `backtest_windows`, `backtest_steps`, and what was done to the input when it was:
    `filled_gaps`, `leading_zeros_dropped`, `winsorized_points`, `level_shifts_at`,
    `clipped_at_zero`, `history_truncated_to`, `monthly_charges`, `season_absent`. Invalid input raises
    WorkbenchError naming the problem.
    """
    p = prepare(y, horizon, levels, season_length)
    unit = _unit(p)
    levels = tuple(float(lv) if float(lv) != int(lv) else int(lv) for lv in levels)
    idx = _future_index(p, horizon)
    # the frequency's season, also when the history does not show it (`season_absent`)
    seasons = p.periods or ([p.notes["season_absent"]] if "season_absent" in p.notes else [])
    attrs = {"season_length": [int(s) if s == int(s) else s for s in seasons], **p.notes}
    nonneg = bool(np.min(p.values) >= 0)
    # fees billed on one day of every month are forecast apart, repeated on their day
    p.values, charges, changes = monthly_charges(p.values, p.index)
    young, span = None, None
    if np.ptp(p.values) == 0:
        mean = np.full(horizon, p.values[-1])
        widths = {lv: np.zeros(horizon) for lv in levels}
        rest = "history apart from its monthly charges" if charges else "history"
        model, why = "constant", f"{rest} is constant; forecast repeats it with zero width"
    else:
        target, fit, calib, notes, young, since = _clean(p)
        attrs.update(notes)
        # A forecast of one step is calibrated on backtests of two: _plan asks for two at
        # least, and one step per window gives too few errors to size an interval by.
        origins, steps = _plan(len(target), p.m, max(horizon, 2), CALIBRATION_WINDOWS,
                               overlap=True)
        cycle, window = _intermittent(p)
        if origins and window:
            mean, widths, model, why, mase = _intermittent_fit(
                p, origins, steps, horizon, levels, cycle, window)
            attrs.update(backtest_mase=mase, backtest_windows=len(origins), backtest_steps=steps)
        elif not origins:
            if young is not None and _repeats(target, p.one_cycle):
                # the dip at the end (a weekend) was there a season before: the season's, not
                # a new level
                young = None
            # a run left out as a spike is left out of the fallback too
            mean, widths, model, why = _fallback(
                p, fit if young and not young.forecast_at_new else target, horizon, levels,
                f"history of {len(target)} points is too short to backtest; fell back")
        else:
            mean, widths, model, why, mase = _select_and_fit(
                p, target, fit, calib, origins, steps, horizon, levels, since)
            attrs["backtest_mase"] = {k: round(v, 4) for k, v in mase.items()}
            attrs["backtest_windows"] = len(origins)
            attrs["backtest_steps"] = steps
        if not np.isfinite(mean).all() or not all(np.isfinite(w).all() for w in widths.values()):
            mean, widths, model, why = _fallback(
                p, target, horizon, levels, "chosen model produced non-finite values; fell back")
        if young is not None and not (origins and window):
            span = _young_span(young)
            why += "; " + _young_reason(young, p, unit)
            attrs["young_level"] = {
                "since": str(p.index[young.start]), "points": young.points,
                "step": young.step * unit,
                "forecast_at": "new level" if young.forecast_at_new else "level before it"}
    if charges:
        mean = mean + charges_on(idx, charges)
        extra = _charge_widths(idx, changes, levels)
        # the charge's change and the rest of the spend's error are independent
        widths = {lv: np.hypot(w, extra[lv]) for lv, w in widths.items()}
        attrs["monthly_charges"] = {slot_label(key): amount * unit
                                    for key, amount in sorted(charges.items(), key=str)}
        slots = " and ".join(_slot_words(k) for k in attrs["monthly_charges"])
        why += (f"; charges on {slots} of every month repeat at the latest month's amount, "
                f"their intervals widened by how much they changed from month to month")
    attrs.update({"model": model, "reason": why, "levels": list(levels)})
    if nonneg:
        attrs["clipped_at_zero"] = True
    out = _frame(idx, mean * unit, {lv: w * unit for lv, w in widths.items()}, levels, nonneg,
                 None if span is None else (span[0] * unit, span[1] * unit))
    out.attrs = attrs
    return out


def _slot_words(label) -> str:
    """1 -> "day 1", "last" -> "the last day", "1 00:00" -> "day 1 00:00"."""
    day, _, time = str(label).partition(" ")
    return ("the last day" if day == "last" else f"day {day}") + (f" {time}" if time else "")


def _charge_widths(index: pd.DatetimeIndex, changes: dict, levels) -> dict:
    """Half width per level that monthly charges add on their steps: the conformal quantile
    of each charge's month-to-month changes. The rest of the spend's interval knows nothing
    of a bill that follows usage: bills varying by up to 15 % fell outside the 95 % interval
    93 times in 100."""
    return {lv: charges_on(index, {key: _conformal_quantile(np.abs(c), lv)
                                   for key, c in changes.items()})
            for lv in levels}


def _young_span(young: YoungLevel) -> tuple[float, float]:
    """(below, above) the mean that the intervals add to reach the other level: the one
    before a young level when the mean follows it, the young one when the mean stays at the
    level before it. Whether the young level lasts is as unknown on day 30 as on day 1."""
    to_other = -young.step if young.forecast_at_new else young.step
    return max(0.0, -to_other), max(0.0, to_other)


def _unit_name(label: str) -> str:
    names = {"D": "day", "h": "hour", "B": "business day", "MS": "month", "ME": "month"}
    if label in names:
        return names[label]
    if label.startswith("W"):
        return "week"
    if label.endswith(("month", "months")):
        return "month"
    return "step"


def _amount(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _young_reason(young: YoungLevel, p: Prepared, unit: float) -> str:
    name = _unit_name(p.notes.get("freq", ""))
    ago = plural(young.points, name)
    side = "higher" if young.step > 0 else "lower"
    reading = ("forecast at the new level" if young.forecast_at_new
               else "too short to be read as a launch, forecast at the level before it")
    return (f"a level only {ago} old (since {p.index[young.start].date()}, "
            f"{_amount(abs(young.step) * unit)} {side}): it may not last; {reading}, with intervals "
            f"that span both levels")


def _intermittent(p: Prepared) -> tuple[int, int]:
    """(cycle, window) of an intermittent series, window 0 for any other. Its rate is kept
    per position in the cycle: the main season, or a longer whole one (the week of an hourly
    series) once the history holds four of them, so a Monday job stays on Mondays."""
    v = p.values
    cycle = max([int(s) for s in p.periods if s == int(s) and len(v) >= 4 * s] or [p.m])
    w = min(len(v), max(8 * cycle, 56))
    if np.min(v) < 0 or np.mean(v[-w:] == 0) < INTERMITTENT_ZEROS:
        return cycle, 0
    # Zeros since the last spend for longer than any pause before: the spend has stopped
    # (a service shut down), which the other candidates forecast as it is.
    spent = np.flatnonzero(v)
    pauses = np.diff(spent) - 1
    if len(spent) < 2 or len(v) - 1 - spent[-1] > pauses.max():
        return cycle, 0
    # the rate of rare jobs needs a window that holds several of them
    return cycle, max(w, len(v) - spent[max(0, len(spent) - JOBS_FOR_RATE)])


def _rate_path(v: np.ndarray, horizon: int, cycle: int, window: int) -> np.ndarray:
    """Mean spend per step over the window, per position in the cycle when it holds two or
    more: the path sums to the recent spend rate."""
    steps = np.arange(horizon)
    k = min(window, len(v)) // cycle if cycle > 1 else 0
    if k >= 2:
        return v[len(v) - k * cycle:].reshape(k, cycle).mean(axis=0)[steps % cycle]
    return np.full(horizon, v[-min(window, len(v)):].mean())


def _rate_errors(v: np.ndarray, cycle: int, origins, steps: int, window: int) -> np.ndarray:
    return np.array([v[o:o + steps] - _rate_path(v[:o], steps, cycle, window) for o in origins])


def _intermittent_fit(p, origins, steps, horizon, levels, cycle: int, window: int):
    """The recent rate as the mean (unbiased in sum), intervals from its backtest errors."""
    v, m = p.values, p.m
    err = _rate_errors(v, cycle, origins, steps, window)
    mase_scale, scale = _origin_scales(v, m, origins)
    mase = _mase(err, mase_scale)
    scale_now = _snaive_mae(v, m, _recent(m)) or float(scale.mean())
    widths = _half_widths(err, scale, horizon, levels, scale_now, origins)
    share = float(np.mean(v[-window:] == 0))
    why = (f"intermittent: no spend on {share:.0%} of the last {window} steps; the mean is the "
           f"recent spend per step, intervals from a rolling-origin backtest "
           f"({len(origins)} windows of {steps} steps)")
    model = "intermittent_rate"
    return _rate_path(v, horizon, cycle, window), widths, model, why, {model: round(mase, 4)}


def _recent_mase(target, fit, periods, m: int) -> dict[str, float]:
    """Each candidate's MASE forecasting the last season (7 steps without one) from the
    history before it. The backtest windows end a horizon before the data does; a ramp that
    began since shows here. Seven quarters (nearly two years) reached back before a turn in
    Danish real money, where models anchored on older cycles looked as if they had seen the
    rise coming."""
    h = m if m > 1 else 7
    o = len(target) - h
    if o < max(2 * m, 10):
        return {}
    scale = _snaive_mae(target[:o], m) or 1.0
    paths = candidate_paths(fit[:o], h, periods, log=bool(np.min(fit) > 0))
    # against the spike-clipped values: two one-off credits in the last days are not a regime
    out = {k: float(np.mean(np.abs(fit[o:] - v)) / scale) for k, v in paths.items()}
    return {k: v for k, v in out.items() if np.isfinite(v)}


def _scale_now(calib: np.ndarray, m: int, since: int) -> float:
    """The recent seasonal-naive MAE the intervals are sized by, over the points since the
    latest level shift when they hold 2 seasons of differences (14 at least): the noise of a
    level cut by a third (a commitment bought) shrinks with it, and the weeks before the
    shift kept 80 % intervals covering 93 % of the next month."""
    recent = _recent(m)
    after = len(calib) - since - m  # seasonal differences wholly after the shift
    if since > 0 and after >= max(2 * m, 14):
        recent = min(recent, after)
    return _snaive_mae(calib, m, recent)


def _select_and_fit(p, target, fit, calib, origins, steps, horizon, levels, since=0):
    ev = _evaluate(target, fit, calib, p.periods, p.m, origins, steps)
    mase, top = _rank(ev, _recent_mase(target, fit, p.periods, p.m))
    best = top[0]
    use_comb = COMBINATION in mase and mase[COMBINATION] <= mase[best] * COMBINE_TOLERANCE
    chosen = COMBINATION if use_comb else best
    members = top if use_comb else [best]
    paths = candidate_paths(fit, horizon, p.periods, log=bool(np.min(fit) > 0))
    mean = np.mean([paths[k] for k in members], axis=0)
    scale_now = _scale_now(calib, p.m, since) or float(ev.width_scale.mean())
    widths = _half_widths(ev.width_errors(chosen), ev.width_scale, horizon, levels, scale_now,
                          ev.origins)
    # The chosen model's backtest errors are optimistic because it was chosen on them; widen
    # by how much better it looked than the best three did on average.
    widen = float(np.clip(np.mean([mase[k] for k in top]) / max(mase[chosen], 1e-12), 1.0, 1.25))
    widths = {lv: w * widen for lv, w in widths.items()}
    if use_comb:
        why = (f"mean of the {len(members)} best of {len(ev.names)} candidates by rolling-origin "
               f"backtest ({len(origins)} windows of {steps} steps): {', '.join(members)}")
    else:
        why = (f"best of {len(ev.names)} candidates by rolling-origin backtest "
               f"({len(origins)} windows of {steps} steps), beating the combination")
    why += "; intervals from the backtest errors at each step"
    return mean, widths, chosen, why, mase


def backtest(y: pd.Series, horizon: int, windows: int = 3, levels=(80, 95),
             season_length=None) -> pd.DataFrame:
    """Rolling-origin evaluation of every candidate and of the combination of the best three.

    One row per model: `mase` (mean absolute error over the windows, scaled by the in-sample
    seasonal-naive error of each training window), `total_error` (|forecast total - actual
    total| summed over the windows, over the actual totals: the error of a budget summed from
    the forecast), and `coverage_<L>`: the share of actuals inside intervals calibrated on
    the other windows' errors (cross-conformal), i.e. an honest estimate of the coverage the
    forecaster's intervals reach.
    """
    p = prepare(y, horizon, levels, season_length)
    if isinstance(windows, bool) or not isinstance(windows, (int, np.integer)) or windows < 2:
        raise WorkbenchError(f"backtest: windows must be an integer >= 2, got {windows!r}")
    _unit(p)
    p.values, _, _ = monthly_charges(p.values, p.index)  # as forecast_series: fees apart
    target, fit, calib, _, _, _ = _clean(p)
    origins, steps = _plan(len(target), p.m, horizon, windows, overlap=False)
    if horizon < 2:
        raise WorkbenchError("backtest: a horizon of 1 step gives one error a window, too few "
                             "to judge a model by; backtest 2 steps or more")
    if len(origins) < 2:
        raise WorkbenchError(
            f"backtest: {len(target)} points leave no room for {windows} windows "
            f"with a season of {p.m}")
    ev = _evaluate(target, fit, calib, p.periods, p.m, origins, steps)
    mase, _ = _rank(ev)
    cycle, window = _intermittent(p)
    if window:  # what forecast_series uses for such a series
        name = "intermittent_rate"
        ev.errors[name] = _rate_errors(p.values, cycle, origins, steps, window)
        mase[name] = _mase(ev.errors[name], ev.mase_scale)
    rows = []
    actual_totals = sum(abs(float(np.sum(target[o:o + steps]))) for o in origins)
    for name in sorted(mase, key=mase.get):
        err = ev.errors[name]
        # sized as forecast_series sizes them (one-off spikes left out), judged on every actual
        sized = err if name == "intermittent_rate" else ev.width_errors(name)
        row = {"model": name, "mase": mase[name],
               "total_error": float(np.abs(err.sum(axis=1)).sum() / actual_totals)
               if actual_totals else math.nan}
        for lv in levels:
            inside = []
            for w in range(len(origins)):
                rest = [i for i in range(len(origins)) if i != w]
                hw = _half_widths(sized[rest], ev.width_scale[rest], steps, [lv],
                                  ev.width_scale[w], [origins[i] for i in rest])[lv]
                inside.append(np.abs(err[w]) <= hw)
            row[f"coverage_{_fmt(lv)}"] = float(np.mean(inside))
        rows.append(row)
    out = pd.DataFrame(rows).set_index("model")
    out.attrs = {"windows": len(origins), "steps": steps,
                 "origins": [str(p.index[o]) for o in origins]}
    return out
