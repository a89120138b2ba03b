"""forecast_series / backtest: the contract, awkward cost series, and interval calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import WorkbenchError
from workbench.forecast import backtest, forecast_series


def daily(values, start="2024-01-01", freq="D") -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float),
                     index=pd.date_range(start, periods=len(values), freq=freq))


def weekly_pattern(n, level=100.0, amp=30.0, noise=5.0, seed=0, trend=0.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return level + trend * t + amp * np.sin(2 * np.pi * t / 7) + rng.normal(0, noise, n)


def assert_ordered(f: pd.DataFrame):
    assert np.isfinite(f.to_numpy()).all()
    cols = ["lo_95", "lo_80", "mean", "hi_80", "hi_95"]
    vals = f[cols].to_numpy()
    assert (np.diff(vals, axis=1) >= -1e-9).all()


# --- the contract ----------------------------------------------------------------------------

def test_contract_index_columns_and_attrs():
    y = daily(weekly_pattern(120))
    f = forecast_series(y, 10)
    assert list(f.columns) == ["mean", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert len(f) == 10
    assert f.index[0] == y.index[-1] + pd.Timedelta(days=1)
    assert f.index.freqstr == "D"
    assert_ordered(f)
    a = f.attrs
    assert a["model"] and a["reason"]
    assert a["season_length"] == [7]
    assert a["freq"] == "D"
    assert a["model"] in a["backtest_mase"]
    assert a["backtest_windows"] >= 3


@pytest.mark.parametrize("freq,season,step", [
    ("h", [24], pd.Timedelta(hours=1)),
    ("W-SUN", [52], pd.Timedelta(days=7)),
    ("MS", [12], None),
    ("ME", [12], None),
])
def test_frequency_inferred_when_index_has_none(freq, season, step):
    n = 150 if freq.startswith("W") else (60 if freq in ("MS", "ME") else 400)
    idx = pd.date_range("2020-01-01", periods=n, freq=freq)
    y = pd.Series(weekly_pattern(n) + 50, index=pd.DatetimeIndex(list(idx)))  # no freq
    assert y.index.freq is None
    f = forecast_series(y, 6)
    expected = pd.date_range(idx[-1], periods=7, freq=freq)[1:]
    assert list(f.index) == list(expected)
    assert f.attrs["season_length"] == season
    assert_ordered(f)


def test_levels_and_name_kept():
    y = daily(weekly_pattern(90)).rename_axis("date")
    f = forecast_series(y, 5, levels=(50, 99))
    assert list(f.columns) == ["mean", "lo_50", "hi_50", "lo_99", "hi_99"]
    assert f.index.name == "date"
    assert (f["hi_99"] - f["lo_99"] >= f["hi_50"] - f["lo_50"]).all()


@pytest.mark.parametrize("factor", [1e-9, 1e12])
def test_scale_invariant(factor):
    y = daily(weekly_pattern(150, seed=10))
    base, scaled = forecast_series(y, 14), forecast_series(y * factor, 14)
    np.testing.assert_allclose(scaled.to_numpy() / factor, base.to_numpy(), rtol=1e-6)
    assert scaled.attrs["model"] == base.attrs["model"]


def test_decimal_money_is_accepted():
    from decimal import Decimal

    y = daily(weekly_pattern(60))
    f = forecast_series(y.map(lambda v: Decimal(str(round(v, 2)))).astype(object), 5)
    assert_ordered(f)


def test_timezone_aware_index():
    y = daily(weekly_pattern(60)).tz_localize("UTC")
    f = forecast_series(y, 3)
    assert str(f.index.tz) == "UTC" and f.index[0] == y.index[-1] + pd.Timedelta(days=1)


def test_season_lengths_from_history():
    hourly = pd.Series(weekly_pattern(24 * 22) + 50,
                       index=pd.date_range("2024-01-01", periods=24 * 22, freq="h"))
    assert forecast_series(hourly, 24).attrs["season_length"] == [24, 168]
    two_years = daily(weekly_pattern(800))
    assert forecast_series(two_years, 14).attrs["season_length"] == [7, 365.25]
    assert forecast_series(daily(weekly_pattern(100)), 7, season_length=1).attrs[
        "season_length"] == []
    # less than two years of weeks: no yearly season, models still chosen by backtest
    weeks = pd.Series(weekly_pattern(80) + 50, index=pd.date_range("2024-01-07", periods=80,
                                                                   freq="W-SUN"))
    f = forecast_series(weeks, 8)
    assert f.attrs["season_length"] == [] and "backtest" in f.attrs["reason"]


# --- invalid input ---------------------------------------------------------------------------

@pytest.mark.parametrize("make,horizon,match", [
    (lambda: [1.0, 2.0, 3.0], 3, "pandas Series"),
    (lambda: pd.DataFrame({"a": [1.0, 2.0]}), 3, "pandas Series"),
    (lambda: pd.Series([1.0, 2.0, 3.0]), 3, "DatetimeIndex"),
    (lambda: daily([1.0, np.nan, 3.0, 4.0]), 3, "NaN/inf"),
    (lambda: daily([1.0, np.inf, 3.0, 4.0]), 3, "NaN/inf"),
    (lambda: daily([1.0, 2.0, 3.0]), 0, "horizon"),
    (lambda: daily([1.0, 2.0, 3.0]), 2.5, "horizon"),
    (lambda: daily([1, 2, 3]).astype(str), 3, "numeric"),
    (lambda: daily([True, False, True]).astype(bool), 3, "numeric"),
    (lambda: daily([1.0]), 3, "at least 2"),
    (lambda: pd.Series([1.0, 2, 3, 4], index=pd.DatetimeIndex(
        ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"])), 3, "duplicate"),
    (lambda: pd.Series([1.0, 2, 3, 4, 5], index=pd.DatetimeIndex(
        ["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 02:30", "2024-01-01 03:00",
         "2024-01-01 05:10"])), 3, "regular"),
    (lambda: pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2024-01-01", "2024-01-05"])), 3,
     "frequency"),
])
def test_invalid_input_names_the_problem(make, horizon, match):
    with pytest.raises(WorkbenchError, match=match):
        forecast_series(make(), horizon)


def test_invalid_levels_and_season_length():
    y = daily(weekly_pattern(60))
    with pytest.raises(WorkbenchError, match="levels"):
        forecast_series(y, 3, levels=(80, 120))
    with pytest.raises(WorkbenchError, match="season_length"):
        forecast_series(y, 3, season_length=0)
    with pytest.raises(WorkbenchError, match="season_length"):
        forecast_series(y, 3, season_length="weekly")
    # a text is not levels ("95" would read as 9 and 5), nor is an infinite or unknown season
    for levels in ("95", ("80.5",), (80, "95")):
        with pytest.raises(WorkbenchError, match="levels"):
            forecast_series(y, 3, levels=levels)
    for season in (float("inf"), float("nan")):
        with pytest.raises(WorkbenchError, match="season_length must be a finite number"):
            forecast_series(y, 3, season_length=season)


# --- awkward cost series ---------------------------------------------------------------------

def test_missing_days_are_filled_and_said():
    y = daily(weekly_pattern(120))
    y = y.drop(y.index[[10, 11, 50, 80, 81]])
    f = forecast_series(y, 7)
    assert f.attrs["filled_gaps"] == 5
    assert f.index[0] == pd.Timestamp("2024-04-30")
    assert_ordered(f)


def test_constant_series():
    f = forecast_series(daily([42.0] * 30), 5)
    assert f.attrs["model"] == "constant"
    assert (f.to_numpy() == 42.0).all()


def test_a_decline_run_past_zero_keeps_its_interval_above_zero():
    """Spend falling to a few a day: the trend runs below zero, the forecast stops at zero,
    and the interval still says how much could come, not "certainly nothing"."""
    v = np.linspace(200, 5, 120) + np.random.default_rng(3).normal(0, 2, 120)
    v[0] = 0.0  # no log model: the straight trend crosses zero within the horizon
    f = forecast_series(daily(v), 30)
    assert (f["mean"] == 0).any() and (f["mean"] >= 0).all()
    assert (f["hi_80"] > 0).all() and (f["hi_95"] >= f["hi_80"]).all()
    assert_ordered(f)


def test_two_weeks_of_history_falls_back_to_seasonal_naive():
    y = daily(weekly_pattern(14))
    f = forecast_series(y, 10)
    assert f.attrs["model"] == "seasonal_naive"
    assert "too short" in f.attrs["reason"]
    np.testing.assert_allclose(f["mean"].to_numpy()[:7], y.to_numpy()[-7:])
    assert_ordered(f)
    assert (f["hi_95"] > f["lo_95"]).all()


def test_ten_days_with_weekends_repeat_the_last_week():
    """One week and three days of spend that drops at weekends: the recent mean missed every
    day by the weekday-weekend gap (MASE 5.7 against 4.8 for the last day repeated, on 100
    such series) and its intervals covered every day; the last week repeats."""
    errors, inside = [], {80: [], 95: []}
    for seed in range(20):
        r = np.random.default_rng(seed)
        idx = pd.date_range("2024-01-03", periods=17, freq="D")
        y = pd.Series(1000 * np.where(idx.day_of_week >= 5, 0.3, 1.0)
                      * (1 + r.normal(0, 0.05, 17)), idx)
        f = forecast_series(y.iloc[:10], 7)
        assert f.attrs["model"] == "seasonal_naive" and "last whole season" in f.attrs["reason"]
        assert_ordered(f)
        errors.append(np.abs(f["mean"] - y.iloc[10:]).mean())
        for lv in inside:
            inside[lv] += list((y.iloc[10:] >= f[f"lo_{lv}"]) & (y.iloc[10:] <= f[f"hi_{lv}"]))
    assert np.mean(errors) < 100  # the recent mean's: about 300
    assert 0.7 <= np.mean(inside[80]) <= 0.95 and np.mean(inside[95]) >= 0.9
    flat = daily(1000 + np.random.default_rng(0).normal(0, 50, 10))
    assert forecast_series(flat, 7).attrs["model"] == "recent_mean"


def test_eight_or_nine_days_with_weekends_repeat_the_last_week():
    """One week and a day or two of spend that drops at weekends was forecast at its recent
    mean, off every day by the weekday-weekend gap (mean error about 300 a day here), with
    intervals that covered every day; and a history ending on a weekend read its dip as a
    level only a few days old. The one pair of days a week apart shows the week repeats."""
    errors, inside = [], {80: [], 95: []}
    for seed in range(28):
        r = np.random.default_rng(seed)
        n = 8 + seed % 2
        idx = pd.date_range("2024-01-01", periods=n + 28, freq="D") + pd.Timedelta(days=seed % 7)
        y = pd.Series(1000 * np.where(idx.day_of_week >= 5, 0.3, 1.0)
                      * (1 + r.normal(0, 0.05, len(idx))), idx)
        f = forecast_series(y.iloc[:n], 28)
        assert f.attrs["model"] == "seasonal_naive" and "young_level" not in f.attrs
        assert_ordered(f)
        errors.append(np.abs(f["mean"] - y.iloc[n:]).mean())
        for lv in inside:
            inside[lv] += list((y.iloc[n:] >= f[f"lo_{lv}"]) & (y.iloc[n:] <= f[f"hi_{lv}"]))
    assert np.mean(errors) < 100
    assert 0.7 <= np.mean(inside[80]) <= 0.95 and 0.9 <= np.mean(inside[95]) <= 0.99


def test_five_points_fall_back_to_recent_mean():
    f = forecast_series(daily([3.0, 5.0, 4.0, 6.0, 5.0]), 4)
    assert f.attrs["model"] == "recent_mean"
    np.testing.assert_allclose(f["mean"], 4.6)
    assert_ordered(f)


def test_finished_campaign_forecasts_the_idle_level():
    rng = np.random.default_rng(3)
    v = np.abs(rng.normal(0, 1, 200))  # a little idle spend
    v[120:170] += 500.0  # a training campaign that stopped a month ago
    f = forecast_series(daily(v), 14)
    assert f["mean"].max() < 10
    assert (f.to_numpy() >= 0).all() and f.attrs["clipped_at_zero"]


def test_credits_keep_negative_values_possible():
    v = weekly_pattern(150, level=20, amp=5, noise=3, seed=4)
    v[[40, 90, 140]] = -60.0  # credits
    f = forecast_series(daily(v), 14)
    assert "clipped_at_zero" not in f.attrs
    assert_ordered(f)


def test_level_shift_after_launch_uses_the_new_level():
    v = weekly_pattern(360, level=100, amp=10, noise=3, seed=5)
    v[300:] += 100.0
    f = forecast_series(daily(v), 28)
    assert abs(f["mean"].mean() - 200) < 10
    assert f.attrs["level_shifts_at"] == ["2024-10-27 00:00:00"]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("before, after, noise", [(10.0, 100.0, 1.0), (100.0, 150.0, 3.0),
                                                   (100.0, 10.0, 1.0)])
def test_a_step_is_placed_on_its_day_so_the_history_gains_no_spike(seed, before, after, noise):
    """Window medians differ by the full step over several days around it. Placed a day late,
    the first day at the new level was aligned as an old one (x10 on the log scale: a 976
    among 100s), and the 95% interval came out +-55 around 100. After a drop to a tenth with
    the same noise in dollars, the log scale made every noisy day look like another step
    (+-60 around 10)."""
    v = np.r_[np.full(60, before), np.full(30, after)] + np.random.default_rng(seed).normal(0, noise, 90)
    f = forecast_series(daily(v), 7)
    assert f.attrs["level_shifts_at"] == ["2024-03-01 00:00:00"]
    assert (f["hi_95"].iloc[0] - f["mean"].iloc[0]) < 4 * noise
    assert abs(f["mean"].mean() - after) < 0.05 * after


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_intervals_after_a_step_are_sized_by_the_noise_since_it(factor):
    """Spend halved 30 days ago (a commitment bought), its noise with it: sized by the weeks
    before the step too, the 80 % / 95 % intervals covered 98 % / 100 % of the next month."""
    inside = {80: [], 95: []}
    for seed in range(12):
        r = np.random.default_rng(seed)
        idx = pd.date_range("2024-01-01", periods=395, freq="D")
        y = 1000 * np.where(idx.day_of_week >= 5, 0.7, 1.0) * (1 + r.normal(0, 0.05, len(idx)))
        y[335:] *= factor
        y = pd.Series(y, idx)
        f = forecast_series(y.iloc[:365], 30)
        for lv in inside:
            ok = (y.iloc[365:] >= f[f"lo_{lv}"]) & (y.iloc[365:] <= f[f"hi_{lv}"])
            inside[lv].append(ok.mean())
    assert 0.7 <= np.mean(inside[80]) <= 0.9 and 0.88 <= np.mean(inside[95]) <= 0.99


def test_launch_a_few_days_ago_is_seen():
    v = weekly_pattern(200, level=100, amp=10, noise=3, seed=9)
    v[-4:] += 100.0
    f = forecast_series(daily(v), 14)
    assert abs(f["mean"].mean() - 200) < 15
    assert f.attrs["level_shifts_at"][-1].startswith("2024-07-15")


@pytest.mark.parametrize("days,amount", [([-3, -1], -300.0), ([-4, -2], 10_000.0)])
def test_two_one_off_charges_near_the_end_are_not_a_new_level(days, amount):
    """Two credits (or purchases) among the last days, a normal day between: not a launch,
    so the forecast does not sit at their level (it did: -300 or 9,240 a day for a month)."""
    v = 100 + np.random.default_rng(0).normal(0, 5, 120)
    v[days] = amount
    f = forecast_series(daily(v), 30)
    assert "level_shifts_at" not in f.attrs
    assert abs(f["mean"].mean() - 100) < 0.1 * abs(amount - 100)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_ramp_in_the_last_weeks_is_not_forecast_back_down(seed):
    """A workload scaling up over the last 20 days (after the last backtest window began):
    the next week is forecast near today's level, not halfway back to where it started."""
    v = np.r_[np.full(100, 10.0), np.linspace(10, 100, 20)]
    v += np.random.default_rng(seed).normal(0, 1, 120)
    f = forecast_series(daily(v), 30)
    assert f["mean"].iloc[:7].mean() > 0.85 * v[-1]
    assert_ordered(f)


def test_a_job_every_other_day_with_season_length_2():
    rng = np.random.default_rng(0)
    v = np.where(np.arange(120) % 2 == 0, 0, 100 + rng.normal(0, 5, 120))
    f = forecast_series(daily(v), 30, season_length=2)
    assert "level_shifts_at" not in f.attrs
    assert f.attrs["backtest_mase"][f.attrs["model"]] < 2
    assert f["hi_95"].max() < 2 * v.max()
    assert_ordered(f)


@pytest.mark.parametrize("freq,season", [("B", [5]), ("2D", [])])
def test_business_days_and_every_other_day(freq, season):
    y = pd.Series(weekly_pattern(120) + 50, index=pd.date_range("2024-01-01", periods=120, freq=freq))
    f = forecast_series(y, 10)
    assert f.attrs["season_length"] == season
    assert list(f.index) == list(pd.date_range(y.index[-1], periods=11, freq=freq)[1:])
    assert_ordered(f)


@pytest.mark.parametrize("freq,label", [("YS", "YS-JAN"), ("YE", "YE-DEC"),
                                         (pd.DateOffset(months=12), "12 months")])
def test_yearly_series_without_a_freq_are_read_as_yearly(freq, label):
    """Years of 365 and 366 days are one step: no leap year reads as a gap."""
    idx = pd.date_range("2010-03-10" if label == "12 months" else "2010-01-01", periods=15, freq=freq)
    y = pd.Series(100 + 3 * np.arange(15.0), index=pd.DatetimeIndex(list(idx)))
    f = forecast_series(y, 3)
    assert f.attrs["freq"] == label and "filled_gaps" not in f.attrs
    assert list(f.index) == list(pd.date_range(idx[-1], periods=4, freq=freq)[1:])
    assert_ordered(f)


def test_weekdays_without_a_freq_are_business_days_not_daily_gaps():
    idx = pd.date_range("2024-01-01", periods=120, freq="B")
    y = pd.Series(weekly_pattern(120) + 50, index=pd.DatetimeIndex(list(idx)))
    f = forecast_series(y, 5)
    assert f.attrs["freq"] == "B" and "filled_gaps" not in f.attrs
    assert (f.index.day_of_week < 5).all()  # no Saturday forecast for a weekday-only spend
    # one weekday missing is a gap in business days, still not a weekend to fill
    g = forecast_series(y.drop(y.index[50]), 5)
    assert g.attrs["freq"] == "B" and g.attrs["filled_gaps"] == 1


@pytest.mark.parametrize("with_freq", [True, False])
def test_monthly_billing_on_the_15th(with_freq):
    idx = pd.date_range("2021-01-15", periods=36, freq=pd.DateOffset(months=1))
    y = pd.Series(100 + np.arange(36.0), index=idx if with_freq else pd.DatetimeIndex(list(idx)))
    f = forecast_series(y, 6)
    assert list(f.index) == list(pd.date_range("2024-01-15", periods=6, freq=pd.DateOffset(months=1)))
    assert f.attrs["season_length"] == [12] and f.attrs["freq"] == "1 month"
    assert_ordered(f)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_compound_growth_is_followed_not_read_as_level_shifts(seed):
    """Spend growing 6 % a month for seven years: an accelerating trend, not a run of launches."""
    rng = np.random.default_rng(seed)
    n, h = 84, 12
    t = np.arange(n + h)
    season = 1 + 0.15 * np.sin(2 * np.pi * t / 12)
    v = 100 * 1.06 ** t * season * np.exp(rng.normal(0, 0.05, n + h))
    f = forecast_series(daily(v[:n], start="2019-01-01", freq="MS"), h)
    assert "level_shifts_at" not in f.attrs
    assert np.mean(np.abs(f["mean"].to_numpy() / v[n:] - 1)) < 0.15
    assert_ordered(f)


def test_one_day_spike_does_not_move_the_forecast():
    v = weekly_pattern(200, level=100, amp=10, noise=2, seed=6)
    base = forecast_series(daily(v), 14)
    v[195] += 5000.0
    f = forecast_series(daily(v), 14)
    assert f.attrs.get("winsorized_points", 0) >= 1
    assert abs(f["mean"].mean() - base["mean"].mean()) < 5


def test_strongly_seasonal_trend_beats_seasonal_naive_on_held_out_tail():
    maes, naive = [], []
    for seed in range(5):
        v = weekly_pattern(400, level=200, amp=40, noise=8, seed=seed, trend=0.3)
        y, tail = daily(v[:370]), v[370:]
        f = forecast_series(y, 30)
        maes.append(np.mean(np.abs(f["mean"].to_numpy() - tail)))
        naive.append(np.mean(np.abs(np.tile(v[363:370], 5)[:30] - tail)))
    assert np.mean(maes) < 0.8 * np.mean(naive)


def test_hourly_weekend_drop_is_forecast():
    idx = pd.date_range("2024-01-01", periods=24 * 7 * 5 - 24 * 3, freq="h")  # ends on a Thursday
    rng = np.random.default_rng(8)
    v = (100 + 20 * np.sin(2 * np.pi * idx.hour / 24) - 50 * (idx.day_of_week >= 5)
         + rng.normal(0, 3, len(idx)))
    f = forecast_series(pd.Series(v, index=idx), 96)
    weekend = f["mean"][f.index.day_of_week >= 5].mean()
    weekday = f["mean"][f.index.day_of_week < 5].mean()
    assert weekday - weekend > 35


# --- calibration -----------------------------------------------------------------------------

def test_interval_growth_follows_the_backtest_and_has_a_floor_beyond_it():
    """Backtest errors that do not grow keep the same size over the steps backtested (a floor
    of sqrt(h) there made the first days' intervals too narrow, the last days' too wide), and
    widen like sqrt(h) beyond them, where nothing was seen."""
    from workbench.forecast import MIN_GROWTH, _profile

    flat = np.ones((6, 5))
    prof = _profile(flat, 20)
    np.testing.assert_allclose(prof[:5], prof[0])
    np.testing.assert_allclose(prof[4:] / prof[4], (np.arange(5, 21) / 5) ** MIN_GROWTH)
    steep = np.tile(np.arange(1.0, 6.0) ** 3, (6, 1))  # growth faster than linear is capped at h^1
    prof = _profile(steep, 10)
    np.testing.assert_allclose(prof / prof[0], np.arange(1, 11), rtol=1e-9)


def test_interval_coverage_on_simulated_series_with_known_noise():
    """Seasonal series with AR(1) noise: held-out coverage close to the stated levels."""
    inside80, inside95 = [], []
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        n, h = 220, 14
        e = rng.normal(0, 10, n + h)
        ar = np.zeros(n + h)
        for t in range(1, n + h):
            ar[t] = 0.5 * ar[t - 1] + e[t]
        t = np.arange(n + h)
        v = 500 + 0.2 * t + 40 * np.sin(2 * np.pi * t / 7 + seed) + ar
        f = forecast_series(daily(v[:n]), h)
        actual = v[n:]
        inside80.append(np.mean((actual >= f["lo_80"]) & (actual <= f["hi_80"])))
        inside95.append(np.mean((actual >= f["lo_95"]) & (actual <= f["hi_95"])))
    assert 0.72 <= np.mean(inside80) <= 0.90
    assert 0.89 <= np.mean(inside95) <= 0.99


def test_interval_coverage_on_short_monthly_series_whose_level_wanders():
    """48 months (a yearly season, 1 % growth, 5 % noise, a level wandering 1.5 % a month),
    12 ahead: the backtest windows overlap and forecast the same few months, and their
    errors, counted as independent, gave intervals that held 69 % / 88 %. Each quantile now
    counts the months its errors were made on: within 0.09 of 80 % and 0.04 of 95 %."""
    inside = {80: [], 95: []}
    for seed in range(60):
        rng = np.random.default_rng(seed)
        n, h = 48, 12
        t = np.arange(n + h)
        level = 1000 * np.exp(np.cumsum(rng.normal(0, 0.015, n + h)))
        season = 1 + 0.15 * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 6.3))
        v = level * (1 + 0.01 * t) * season * (1 + rng.normal(0, 0.05, n + h))
        f = forecast_series(daily(v[:n], start="2020-01-01", freq="MS"), h)
        for lv in inside:
            inside[lv].append(np.mean((v[n:] >= f[f"lo_{lv}"]) & (v[n:] <= f[f"hi_{lv}"])))
    cov = {lv: float(np.mean(a)) for lv, a in inside.items()}
    assert 0.71 <= cov[80] <= 0.89, cov
    assert 0.91 <= cov[95] <= 0.99, cov


def _band_coverage(series_and_tails, horizon, bands):
    """Share of held-out actuals inside the 80 % and 95 % intervals, per band of steps."""
    inside = {80: [], 95: []}
    for hist, tail in series_and_tails:
        f = forecast_series(hist, horizon)
        for lv in inside:
            inside[lv].append((tail >= f[f"lo_{lv}"].to_numpy()) & (tail <= f[f"hi_{lv}"].to_numpy()))
    return {lv: [float(np.mean(np.array(a)[:, lo - 1:hi])) for lo, hi in bands]
            for lv, a in inside.items()}


def test_interval_coverage_holds_step_by_step_not_only_over_the_horizon():
    """Weekly season with noise that does not grow: the first week's intervals were sized as
    if errors grew like sqrt(h) from there (80 % intervals held 45 % of the first week's
    actuals, 95 % days 31-60), now every band of steps holds its level."""
    cases = []
    for seed in range(24):
        rng = np.random.default_rng(300 + seed)
        n, h = 300, 60
        t = np.arange(n + h)
        v = 400 + 0.1 * t + 60 * np.sin(2 * np.pi * t / 7 + seed) + rng.normal(0, 12, n + h)
        cases.append((daily(v[:n]), v[n:]))
    cov = _band_coverage(cases, 60, [(1, 7), (8, 30), (31, 60)])
    assert all(0.70 <= c <= 0.90 for c in cov[80]), cov
    assert all(0.88 <= c <= 0.99 for c in cov[95]), cov


def _shaped(shape: str, seed: int, n: int) -> pd.Series:
    if shape == "flat":
        return daily(weekly_pattern(n, level=500, amp=60, noise=40, seed=seed))
    if shape == "trend":
        return daily(weekly_pattern(n, level=300, amp=40, noise=25, seed=seed, trend=1.5))
    v = weekly_pattern(n, level=400, amp=40, noise=20, seed=seed)
    v[int(n * 0.6):] += 300  # a launch
    return daily(v)


@pytest.mark.parametrize("shape", ["flat", "trend", "step"])
def test_intervals_never_narrow_as_the_horizon_grows(shape):
    """A later band's quantile below an earlier one's made the interval narrow with the step
    (on 104 of 240 such simulated series, by up to half); it now never does."""
    for seed in range(4):
        for n in (120, 300):
            f = forecast_series(_shaped(shape, seed, n), 60)
            assert_ordered(f)  # the 80 % interval inside the 95 %
            for lv in (80, 95):
                w = (f[f"hi_{lv}"] - f[f"lo_{lv}"]).to_numpy()
                assert (np.diff(w) >= -1e-9 * w[1:]).all(), (seed, n, lv, w.min() / w.max())


def test_a_band_multiplier_never_outruns_the_growth_it_multiplies():
    """Band quantiles falling with the step are pooled into one level (the bands' weighted
    mean), not followed down."""
    from workbench.forecast import _band_multiplier

    steps, growth = 40, 0.3
    z = np.tile(np.linspace(3.0, 0.3, steps), (8, 1))  # errors shrinking with the step
    width = _band_multiplier(z, 80, steps, growth) * np.arange(1, steps + 1) ** growth
    np.testing.assert_allclose(width, width[0])
    assert z.min() < width[0] < z.max() * steps ** growth  # between the bands' widths


def _spiky(seed: int, n: int = 240) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 20 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 5, n)


@pytest.mark.parametrize("day", [-45, -20, -4])
def test_one_runaway_day_does_not_widen_every_interval(day):
    """A retry loop billed 20 times a normal day, once in the last two months: the forecast
    left it out but every interval came out about ten times as wide. It is a one-off spike,
    left out of the interval sizing too."""
    for seed in range(3):
        v = _spiky(seed)
        calm = forecast_series(daily(v), 60)
        v[day] *= 20
        f = forecast_series(daily(v), 60)
        assert f.attrs["winsorized_points"] == 1
        for lv in (80, 95):
            ratio = (f[f"hi_{lv}"] - f[f"lo_{lv}"]) / (calm[f"hi_{lv}"] - calm[f"lo_{lv}"])
            assert 0.8 < ratio.mean() < 1.2 and ratio.max() < 1.3, (seed, lv, ratio.describe())


def test_a_series_with_frequent_big_swings_keeps_wide_intervals():
    """Swings of 3-6 times a normal day on one day in seven are how the series behaves, not
    one-off spikes: its intervals stay several times wider than the calm series' and hold
    their level on the held-out days (as they did before one-off spikes were left out)."""
    inside80, inside95 = [], []
    for seed in range(6):
        rng = np.random.default_rng(60 + seed)
        n, h = 240, 60
        v = _spiky(60 + seed, n + h)
        calm = forecast_series(daily(v[:n]), h)
        swings = rng.random(n + h) < 0.15
        v = np.where(swings, v * rng.uniform(3, 6, n + h), v)
        f = forecast_series(daily(v[:n]), h)
        assert ((f["hi_95"] - f["lo_95"]) > 3 * (calm["hi_95"] - calm["lo_95"])).all()
        inside80.append(np.mean((v[n:] >= f["lo_80"]) & (v[n:] <= f["hi_80"])))
        inside95.append(np.mean((v[n:] >= f["lo_95"]) & (v[n:] <= f["hi_95"])))
    assert np.mean(inside80) >= 0.72 and np.mean(inside95) >= 0.9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.just(0.0), st.floats(-50, 1e4, allow_nan=False)),
                min_size=2, max_size=80),
       st.integers(1, 20))
def test_never_nan_and_ordered(values, horizon):
    f = forecast_series(daily(values), horizon)
    assert len(f) == horizon
    assert_ordered(f)


# --- launches, jobs and stopped services ------------------------------------------------------

@pytest.mark.parametrize("zeros", [30, 100])
def test_zeros_before_a_launch_are_not_history(zeros):
    """A service launched part-way and ramping: fitted across the zeros, its 80 % interval
    was 0 to 9,827 around 1,178 (or 24 wide), and the ramp read as steps."""
    rng = np.random.default_rng(1)
    ramp = np.abs(np.linspace(0, 1000, 60) + rng.normal(0, 20, 60))
    f = forecast_series(daily(np.r_[np.zeros(zeros), ramp]), 30)
    assert f.attrs["leading_zeros_dropped"] == zeros and "level_shifts_at" not in f.attrs
    assert 1300 < f["mean"].iloc[-1] < 1700  # the ramp goes on (1,500 if it holds)
    width = f["hi_80"] - f["lo_80"]
    assert (width > 0).all() and width.iloc[-1] < 0.5 * f["mean"].iloc[-1]
    assert_ordered(f)


def test_a_launch_yesterday_keeps_two_points():
    f = forecast_series(daily(np.r_[np.zeros(50), 80.0]), 7)
    assert f.attrs["leading_zeros_dropped"] == 49 and len(f) == 7
    assert_ordered(f)


@pytest.mark.parametrize("share", [0.05, 0.15, 0.3])
def test_sporadic_jobs_are_forecast_at_their_rate_not_at_the_typical_zero(share):
    """Jobs on a few days: every candidate the backtest prefers forecasts the typical day,
    zero, so a budget summed from them was 0 against about 1,000 x share a day."""
    sums, inside = [], []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        v = np.where(rng.random(460) < share, rng.uniform(500, 1500, 460), 0.0)
        f = forecast_series(daily(v[:400]), 60)
        assert f.attrs["model"] == "intermittent_rate" and "intermittent" in f.attrs["reason"]
        assert f.attrs["backtest_mase"]["intermittent_rate"] > 0
        sums.append(f["mean"].sum() / (1000 * share * 60))
        inside.append(np.mean((v[400:] >= f["lo_80"]) & (v[400:] <= f["hi_80"])))
        assert_ordered(f)
    assert 0.75 < np.median(sums) < 1.25
    assert 0.7 < np.mean(inside) <= 0.95


def test_a_weekly_job_stays_on_its_day():
    rng = np.random.default_rng(0)
    v = np.where(np.arange(300) % 7 == 2, rng.uniform(800, 1200, 300), 0.0)
    f = forecast_series(daily(v), 14)
    assert f.attrs["model"] == "intermittent_rate"
    on_day = f.index.day_of_week == daily(v).index[2].day_of_week
    assert f["mean"][on_day].min() > 500 and f["mean"][~on_day].max() == 0


def test_a_weekly_job_in_hourly_data_stays_on_its_day_and_hours():
    rng = np.random.default_rng(0)
    idx = pd.date_range("2025-01-06", periods=24 * 7 * 8, freq="h")  # eight weeks from a Monday
    job = (idx.day_of_week == 0) & (idx.hour >= 2) & (idx.hour < 6)
    f = forecast_series(pd.Series(np.where(job, rng.uniform(80, 120, len(idx)), 0.0), index=idx), 168)
    assert f.attrs["model"] == "intermittent_rate"
    ahead = (f.index.day_of_week == 0) & (f.index.hour >= 2) & (f.index.hour < 6)
    assert f["mean"][ahead].min() > 70 and f["mean"][~ahead].max() == 0  # not 1/7 of it daily


@pytest.mark.parametrize("off", [20, 40, 80])
def test_a_stopped_service_is_not_read_as_jobs(off):
    """Zeros since the last spend for longer than any pause before: the service stopped."""
    rng = np.random.default_rng(3)
    f = forecast_series(daily(np.r_[500 + rng.normal(0, 20, 300), np.zeros(off)]), 30)
    assert f.attrs["model"] != "intermittent_rate"
    assert f["mean"].sum() < 0.05 * 500 * 30


def test_backtest_shows_the_rate_for_jobs():
    rng = np.random.default_rng(0)
    bt = backtest(daily(np.where(rng.random(300) < 0.1, 1000.0, 0.0)), 30)
    assert "intermittent_rate" in bt.index and bt["total_error"].notna().all()


# --- backtest --------------------------------------------------------------------------------

def test_backtest_table():
    y = daily(weekly_pattern(300, trend=0.1))
    bt = backtest(y, 14, windows=4)
    assert {"seasonal_naive", "stl_theta", "stl_holt", "combination"} <= set(bt.index)
    assert list(bt.columns) == ["mase", "total_error", "coverage_80", "coverage_95"]
    assert (bt["total_error"] >= 0).all() and "intermittent_rate" not in bt.index
    assert bt["mase"].is_monotonic_increasing
    assert bt.attrs["windows"] == 4 and bt.attrs["steps"] == 14
    assert bt.loc["stl_theta", "mase"] < bt.loc["seasonal_naive", "mase"]
    assert ((bt[["coverage_80", "coverage_95"]] >= 0) & (bt[["coverage_80", "coverage_95"]] <= 1)).all().all()


def test_backtest_rejects_bad_windows_and_short_history():
    with pytest.raises(WorkbenchError, match="windows"):
        backtest(daily(weekly_pattern(100)), 7, windows=1)
    with pytest.raises(WorkbenchError, match="no room"):
        backtest(daily(weekly_pattern(15)), 7)
    with pytest.raises(WorkbenchError, match="a horizon of 1 step"):
        backtest(daily(weekly_pattern(400)), 1)


def test_a_one_step_forecast_is_calibrated_as_the_first_step_of_two():
    """One step ahead is backtested on two: the same model and first day as horizon 2, not
    the fallback for a history too short to backtest."""
    y = daily(weekly_pattern(400))
    one, two = forecast_series(y, horizon=1), forecast_series(y, horizon=2)
    assert "too short" not in one.attrs["reason"] and one.attrs["model"] == two.attrs["model"]
    pd.testing.assert_frame_equal(one, two.iloc[:1], check_freq=False)


def _with_fees(seed: int, fees: dict) -> pd.Series:
    idx = pd.date_range("2025-05-01", "2025-10-31", freq="D")
    v = 100 + np.random.default_rng(seed).normal(0, 5, len(idx))
    for day, amount in fees.items():
        v = v + np.where(idx.is_month_end if day == "last" else idx.day == day, amount, 0.0)
    return pd.Series(v, index=idx)


@pytest.mark.parametrize("fees", [{1: 3000.0}, {"last": 3000.0}, {1: 3000.0, 20: 500.0},
                                  {15: -50.0}])
def test_a_fee_billed_on_one_day_of_every_month_is_forecast_on_that_day(fees):
    """A support plan on the 1st is a spike to a daily model: clipped, two months' forecast
    came out at half the spend (6,132 against about 12,100)."""
    f = forecast_series(_with_fees(0, fees), 61)  # November and December
    got = f.attrs["monthly_charges"]
    assert set(got) == set(fees) and all(abs(got[d] - a) < 0.05 * abs(a) + 20 for d, a in fees.items())
    truth = 61 * 100 + 2 * sum(fees.values())
    assert abs(f["mean"].sum() - truth) < 0.02 * truth
    day = pd.Timestamp("2025-11-30") if "last" in fees else pd.Timestamp(f"2025-11-{min(fees):02d}")
    assert abs(f.loc[day, "mean"] - 100 - sum(a for d, a in fees.items() if d in ("last", day.day))) < 20
    assert_ordered(f)
    assert backtest(_with_fees(0, fees), 30).loc["combination", "mase"] < 1.5


def test_a_monthly_bill_that_varies_keeps_its_day_inside_the_interval():
    """An API bill on the 1st follows last month's usage (here +-15 %): its day was outside
    the 95 % interval 18 times in 20 (now 3), as the interval was the daily spend's alone."""
    inside = {80: [], 95: []}
    for seed in range(10):
        r = np.random.default_rng(seed)
        idx = pd.date_range("2024-01-01", periods=460, freq="D")
        bill = np.where(idx.day == 1, 8000 * r.uniform(0.85, 1.15, len(idx)), 0.0)
        y = pd.Series(1000 + 200 * (idx.day_of_week < 5) + r.normal(0, 50, len(idx)) + bill, idx)
        f = forecast_series(y.iloc[:400], 60)
        day1 = f.index.day == 1
        assert f.attrs["monthly_charges"] and day1.sum() == 2
        for lv in inside:
            ok = (y.iloc[400:] >= f[f"lo_{lv}"]) & (y.iloc[400:] <= f[f"hi_{lv}"])
            inside[lv] += list(ok[day1])
        width = (f["hi_95"] - f["lo_95"]).to_numpy()
        assert width[day1].min() > 2 * width[~day1].max()  # the rest keeps its own interval
    assert np.mean(inside[80]) >= 0.5 and np.mean(inside[95]) >= 0.8


def test_the_reason_names_monthly_charges():
    """A subscription billed on the 1st with nothing else was forecast with the reason
    "history is constant", and a reason never said the fees were forecast apart."""
    idx = pd.date_range("2024-01-01", periods=200, freq="D")
    fee = pd.Series(np.where(idx.day == 1, 5000.0, 0.0), idx)
    why = forecast_series(fee, 60).attrs["reason"]
    assert why.startswith("history apart from its monthly charges is constant")
    assert "charges on day 1 of every month repeat" in why
    why = forecast_series(_with_fees(0, {1: 3000.0, "last": 500.0}), 30).attrs["reason"]
    assert "charges on the last day and day 1 of every month" in why


def test_jobs_that_run_some_days_are_not_taken_for_monthly_fees():
    found = 0
    for seed in range(20):
        r = np.random.default_rng(seed)
        runs, t = np.zeros(300), 0
        while t < 300:  # jobs of 1-4 days, 3-11 days apart
            on = int(r.integers(1, 5))
            runs[t:t + on] = 1
            t += on + int(r.integers(3, 12))
        f = forecast_series(daily(700 + 1500 * runs * r.uniform(0.9, 1.1, 300)), 30)
        found += "monthly_charges" in f.attrs
    assert found <= 1


def test_an_hourly_series_keeps_a_fee_at_its_hour():
    idx = pd.date_range("2025-06-01", "2025-10-31 23:00", freq="h")
    v = (10 + 3 * np.sin(2 * np.pi * idx.hour / 24) + np.random.default_rng(0).normal(0, 0.5, len(idx))
         + np.where((idx.day == 1) & (idx.hour == 0), 3000.0, 0.0))
    f = forecast_series(pd.Series(v, index=idx), 24 * 40)  # to 10 December: two fees
    assert list(f.attrs["monthly_charges"]) == ["1 00:00"]
    assert abs(f.loc["2025-12-01 00:00", "mean"] - 3010) < 20 and f.loc["2025-12-01 01:00", "mean"] < 20
    assert abs(f["mean"].sum() - (24 * 40 * 10 + 2 * 3000)) < 0.02 * 15600


# --- a level only a few days old --------------------------------------------------------------

def _runaway(k: int, seed: int = 1, n: int = 240) -> pd.Series:
    """About 1,000 a day with a weekly season, the last k days at 20,000 (a retry loop)."""
    v = 1000 + 50 * np.sin(np.arange(n) * 2 * np.pi / 7) + np.random.default_rng(seed).normal(0, 20, n)
    v[-k:] = 20000.0
    return daily(v, start="2026-03-01")


@pytest.mark.parametrize("k", [2, 3, 5])
def test_a_level_a_few_days_old_keeps_both_levels_in_its_intervals(k):
    """A runaway of k days (or a launch k days ago): whether it lasts is unknown. Two days
    were clipped as a spike yet forecast 1,639 falling to 1,028 with a 95 % interval of
    1,587-1,690 on day 1 (neither a normal day nor the runaway); three were a launch, 20,000 a
    day with a 95 % interval of +-0.3 %. Every interval now spans the old level and the new."""
    f = forecast_series(_runaway(k), 30)
    for lv in (80, 95):
        assert (f[f"lo_{lv}"] < 1050).all() and (f[f"hi_{lv}"] > 19_900).all(), (lv, f.head())
    assert "only" in f.attrs["reason"] and f"{k} days old" in f.attrs["reason"]
    assert "may not last" in f.attrs["reason"]
    assert f.attrs["young_level"]["points"] == k
    assert_ordered(f)


def test_two_runaway_days_are_forecast_at_the_normal_level():
    """Read as a spike, as one day is: the forecast is a normal day, not a remnant of it."""
    f, one = forecast_series(_runaway(2), 30), forecast_series(_runaway(1), 30)
    assert f.attrs["young_level"]["forecast_at"] == "level before it"
    assert abs(f["mean"].iloc[:7].mean() - one["mean"].iloc[:7].mean()) < 30
    assert "young_level" not in one.attrs  # one day is a spike, as before


@pytest.mark.parametrize("k", [20, 30])
def test_a_launch_weeks_old_keeps_tight_intervals(k):
    f = forecast_series(_runaway(k), 30)
    assert "young_level" not in f.attrs and "may not last" not in f.attrs["reason"]
    assert abs(f["mean"].mean() - 20000) < 1000
    assert ((f["hi_95"] - f["lo_95"]) < 0.15 * 20000).all()


def test_a_step_a_few_days_before_the_end_is_placed_on_its_day():
    """Fewer points after a step than the shift window: it was placed a day early, and the
    first day of the new level aligned as an old one (a spike)."""
    f = forecast_series(_runaway(6), 14)
    assert f.attrs["level_shifts_at"] == [str(_runaway(6).index[-6])]
    assert "winsorized_points" not in f.attrs


@pytest.mark.parametrize("values,freq", [([3.0, 5.0], "D"), ([3.0, 5.0, 4.0, 6.0, 5.0], "D"),
                                         ([1e5, 1.1e5, 1.05e5, 1.2e5], "MS")])
def test_short_history_intervals_widen_with_the_step(values, freq):
    """Too short to backtest: the interval around the recent mean was as wide on day 30 as on
    day 1; it now grows like the square root of the step."""
    f = forecast_series(daily(values, freq=freq), 30 if freq == "D" else 6)
    assert f.attrs["model"] == "recent_mean"
    w = (f["hi_80"] - f["mean"]).to_numpy()  # the lower end may stop at zero
    assert (np.diff(w) > 0).all()
    np.testing.assert_allclose(w[-1] / w[0], np.sqrt((len(w) + 1 / len(values)) / (1 + 1 / len(values))),
                               rtol=1e-6)



def _months(values) -> pd.Series:
    return pd.Series(values, index=pd.date_range("2021-01-01", periods=len(values), freq="MS"))


def test_a_yearly_season_the_history_does_not_show_is_left_out():
    """Monthly spend growing 1 % a month with noise and no yearly cycle: a season fitted from
    four years of noise missed the next year by 1.7 times as much as no season (20 series:
    mean absolute error 83 against 48)."""
    fitted, plain, absent = [], [], 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        y = _months(1000 * (1 + 0.01 * np.arange(60)) + rng.normal(0, 50, 60))
        hist, actual = y.iloc[:48], y.to_numpy()[48:]
        f = forecast_series(hist, 12)
        assert f.attrs["season_length"] == [12]
        absent += "season_absent" in f.attrs
        fitted.append(np.mean(np.abs(f["mean"].to_numpy() - actual)))
        plain.append(np.mean(np.abs(forecast_series(hist, 12, season_length=1)["mean"].to_numpy()
                                    - actual)))
    assert absent >= 10
    assert np.mean(fitted) <= 1.05 * np.mean(plain)


def test_a_yearly_season_the_history_shows_is_kept():
    rng = np.random.default_rng(1)
    season = np.array([60.0, -20, -70, 30])
    y = pd.Series(1000 + 3 * np.arange(80) + np.tile(season, 20) + rng.normal(0, 15, 80),
                  index=pd.date_range("1990-01-01", periods=80, freq="QS"))
    f = forecast_series(y, 8)
    assert "season_absent" not in f.attrs and f.attrs["season_length"] == [4]
    mean = f["mean"].to_numpy()[:4]
    np.testing.assert_allclose(mean - mean.mean(), season, atol=15)


def test_a_step_two_quarters_before_the_end_of_a_wandering_level():
    """A step two quarters before the end moves the last window medians only partly: judged
    against how far the medians wander, it went unseen in 21 series of 24 (6 of 24 without the
    rule), and the forecast stayed at the old level. The step itself is judged against it."""
    found, ratio = 0, []
    for seed in range(24):
        rng = np.random.default_rng(seed)
        v = 1000 * np.exp(np.cumsum(rng.normal(0.01, 0.02, 88))) * (1 + rng.normal(0, 0.03, 88))
        v[78:] *= 2 if seed % 2 else 0.5
        y = pd.Series(v[:80], index=pd.date_range("1990-01-01", periods=80, freq="QS"))
        f = forecast_series(y, 8)
        found += str(y.index[78]) in map(str, f.attrs.get("level_shifts_at", []))
        ratio.append(np.mean(np.abs(f["mean"].to_numpy() - v[80:])) / np.mean(np.abs(v[79] - v[80:])))
    assert found >= 6
    assert np.mean(ratio) < 14.5


def test_a_wandering_level_is_not_read_as_level_shifts():
    """Quarterly series whose growth persists (unemployment, interest rates): window medians
    a few quarters apart differ everywhere, and every recession was aligned away as a launch
    (12 series in 12), the forecast missing by 1.6 times the last value's error on average."""
    from scipy.signal import lfilter

    shifted, ratio = 0, []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        v = 100 + np.cumsum(lfilter([1.0], [1.0, -0.7], rng.normal(0, 1, 208)))
        y = pd.Series(v[:200], index=pd.date_range("1960-01-01", periods=200, freq="QS"))
        f = forecast_series(y, 8)
        shifted += "level_shifts_at" in f.attrs
        ratio.append(np.mean(np.abs(f["mean"].to_numpy() - v[200:])) / np.mean(np.abs(v[199] - v[200:])))
    assert shifted <= 2
    assert np.mean(ratio) < 1.2


def test_a_quarterly_series_turning_up_is_not_forecast_at_its_older_cycles():
    # Danish real money (statsmodels' bundled data), 43 quarters: a decline, then two years
    # of rise. Judged on the 7 quarters before the end, the mean of the last cycles (anchored
    # on the older, higher level) looked as if it had seen the rise: the forecast fell back
    # below the last year's level (11.71 against 11.82).
    from benchmarks.real_series import quarterly

    s = next(x for x in quarterly() if x.name == "danish_lrm").iloc[:43]
    f = forecast_series(s, 8)
    assert f["mean"].mean() > s.iloc[-4:].mean()


def test_a_yearly_purchase_keeps_the_yearly_season():
    """A commitment bought every April (2-4 times a month's spend) is the yearly season, not a
    spike: with deviations clipped only, 36 months of it read as no season (9 series in 12),
    and the next April was forecast as an ordinary month (error 0.88 of a flat forecast's)."""
    kept, ratio = 0, []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        level = 1000 * 1.01 ** np.arange(48)
        v = level * (1 + rng.normal(0, 0.05, 48))
        v[3::12] += level[3::12] * rng.uniform(1, 3, 4)
        f = forecast_series(_months(v[:36]), 12)
        kept += "season_absent" not in f.attrs
        mean = f["mean"].to_numpy()
        ratio.append(np.mean(np.abs(mean - v[36:])) / np.mean(np.abs(np.median(mean) - v[36:])))
    assert kept >= 11
    assert np.mean(ratio) < 0.7
