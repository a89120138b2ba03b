"""Forecast accuracy on held-out tails: the engine beside seasonal naive and plain statsmodels ETS.

Series: the sample's daily spend per workload class (when a sample store exists), simulated
cost series (trend, seasons, launches, campaigns, credits, spikes) at hourly, daily, weekly and
monthly frequency, and simulated daily job spend (sporadic jobs, training campaigns, weekly
jobs, a service launched part-way); then real series that ship with statsmodels (hourly and
daily electricity demand, weekly CO2, monthly and quarterly economic series: see
real_series.py) from several rolling origins each, beside seasonal naive and a damped
statsmodels ETS. For each group: mean MASE (scaled by the in-sample
seasonal naive error), 80 % / 95 % interval coverage of the held-out actuals, over the horizon
and per band of steps (1-7, 8-30, 31-90: intervals should hold their level at each step, not
only on average), the error of the horizon's total (what a budget is summed from: sum over
series of |forecast total - actual total| / sum of actual totals), and seconds per series.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from scipy.stats import norm

from benchmarks import real_series
from workbench.forecast import forecast_series
from workbench.forecast_prep import infer_freq

LEVELS = (80, 95)
BANDS = ((1, 7), (8, 30), (31, 90))  # steps over which coverage is also reported
# frequency, season, history length, horizon, number of simulated series
SIM = {
    "hourly": ("h", 24, 24 * 42, 48, 24),
    "daily": ("D", 7, 540, 60, 30),
    "weekly": ("W-MON", 52, 160, 13, 24),
    "monthly": ("MS", 12, 60, 12, 24),
    "jobs": ("D", 7, 400, 60, 30),
}


def simulate(kind: str, seed: int) -> pd.Series:
    """A cost-like series: level, trend, season, noise, and some of launch, campaign, spikes,
    credits; history plus horizon points."""
    freq, m, n, h, _ = SIM[kind]
    rng = np.random.default_rng(seed)
    total = n + h
    if kind == "jobs":
        return _jobs(rng, total)
    t = np.arange(total)
    level = rng.uniform(50, 5000)
    trend = rng.choice([0.0, rng.uniform(-0.3, 1.0)]) / total  # share of level gained per step
    amp = rng.uniform(0.05, 0.4)
    season = amp * np.sin(2 * np.pi * t / m + rng.uniform(0, 6.3))
    if kind == "daily":  # weekends drop
        season = np.where(pd.date_range("2024-01-01", periods=total, freq="D").day_of_week >= 5,
                          -amp, amp / 3)
    if kind == "hourly":  # weekly effect on top of the daily cycle
        dow = (t // 24) % 7
        season = season + np.where(dow >= 5, -amp / 2, 0.0)
    base = level * (1 + trend * t)
    mult = rng.random() < 0.5
    y = base * (1 + season) if mult else base + level * season
    noise = rng.uniform(0.02, 0.15) * level
    if rng.random() < 0.5:
        y = y + rng.normal(0, noise, total)
    else:  # skewed noise
        y = y + noise * (rng.lognormal(0, 0.6, total) - np.exp(0.18))
    if rng.random() < 0.3:  # persistent launch in the second half of the history
        at = int(rng.uniform(0.5, 0.85) * n)
        y[at:] += rng.uniform(0.3, 1.0) * level
    if rng.random() < 0.2:  # finished training campaign inside the history
        a = int(rng.uniform(0.2, 0.6) * n)
        y[a:a + max(3, n // 10)] += rng.uniform(0.5, 2) * level
    if rng.random() < 0.4:  # one-step spikes
        for i in rng.choice(n, size=max(1, n // 100), replace=False):
            y[i] += rng.uniform(3, 8) * level
    if rng.random() < 0.15:  # a credit
        y[rng.integers(n // 2, n)] -= rng.uniform(0.5, 1.5) * level
    idx = pd.date_range("2023-01-02", periods=total, freq=freq)
    s = pd.Series(y, index=idx, name="cost")
    if kind == "hourly":  # end at any hour of the week, not always on Sunday night
        s = s.iloc[:total - int(rng.integers(0, 168))]
    return s


def _jobs(rng: np.random.Generator, total: int) -> pd.Series:
    """Daily spend of jobs: no spend on most days, which models of the typical day miss."""
    t = np.arange(total)
    size = rng.uniform(200, 5000)
    pattern = rng.integers(4)
    if pattern == 0:  # sporadic jobs
        y = np.where(rng.random(total) < rng.uniform(0.03, 0.3), size * rng.uniform(0.5, 1.5, total), 0.0)
    elif pattern == 1:  # training campaigns: days on, weeks off
        on, every = rng.integers(3, 15), rng.integers(20, 45)
        y = np.where((t + rng.integers(every)) % every < on, size * rng.uniform(0.9, 1.1, total), 0.0)
    elif pattern == 2:  # a weekly job that sometimes does not run
        y = np.where((t % 7 == rng.integers(7)) & (rng.random(total) < 0.85),
                     size * rng.uniform(0.8, 1.2, total), 0.0)
    else:  # a service launched part-way, ramping up
        at = int(rng.uniform(0.3, 0.8) * (total - 60))
        ramp = np.clip((t - at) / rng.uniform(20, 90), 0, None) * size / 10
        y = np.where(t >= at, size / 10 + ramp * rng.uniform(0.9, 1.1, total), 0.0)
    return pd.Series(y, index=pd.date_range("2023-01-02", periods=total, freq="D"), name="cost")


def mase(actual, pred, hist, m) -> float:
    lag = m if len(hist) > m else 1
    scale = np.mean(np.abs(hist[lag:] - hist[:-lag]))
    return float(np.mean(np.abs(actual - pred)) / (scale if scale > 0 else 1.0))


def coverage(actual, lo, hi) -> float:
    return float(np.mean((actual >= lo) & (actual <= hi)))


def band_coverage(inside: list[np.ndarray], h: int) -> dict:
    """Share of actuals inside the interval per band of steps, over all series."""
    a = np.array(inside)
    return {f"{lo}-{min(hi, h)}": round(float(a[:, lo - 1:hi].mean()), 4)
            for lo, hi in BANDS if lo <= h}


def seasonal_naive(hist: np.ndarray, h: int, m: int) -> dict:
    m = m if len(hist) >= 2 * m else 1
    steps = np.arange(h)
    mean = hist[-m:][steps % m]
    sd = np.std(hist[m:] - hist[:-m], ddof=1)
    out = {"mean": mean}
    for lv in LEVELS:
        w = norm.ppf(0.5 + lv / 200) * sd * np.sqrt(steps // m + 1)
        out[f"lo_{lv}"], out[f"hi_{lv}"] = mean - w, mean + w
    return out


def ets_forecast(res, n: int, h: int) -> dict:
    """A fitted ETSModel's mean and prediction intervals for the `h` steps after `n` points."""
    pred = res.get_prediction(start=n, end=n + h - 1)
    out = {"mean": np.asarray(pred.predicted_mean)}
    for lv in LEVELS:
        sf = pred.summary_frame(alpha=1 - lv / 100)
        out[f"lo_{lv}"], out[f"hi_{lv}"] = sf["pi_lower"].to_numpy(), sf["pi_upper"].to_numpy()
    return out


def plain_ets(hist: pd.Series, h: int, m: int) -> dict:
    """statsmodels ETSModel, additive error, trend and season, defaults otherwise."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = "add" if len(hist) >= 2 * m + 2 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ETSModel(hist.reset_index(drop=True), error="add", trend="add", seasonal=seasonal,
                       seasonal_periods=m if seasonal else None).fit(disp=False)
        return ets_forecast(res, len(hist), h)


def predict(name: str, hist: pd.Series, h: int, m: int, baseline) -> tuple[dict | None, str]:
    """One model's forecast as arrays by column, and the engine's model name: the engine,
    seasonal naive, or `baseline` (an ETS); None for a baseline that fails (scored missing)."""
    if name == "engine":
        f = forecast_series(hist, h)
        return {c: f[c].to_numpy() for c in f.columns}, f.attrs["model"]
    if name == "seasonal_naive":
        return seasonal_naive(hist.to_numpy(), h, m), ""
    try:
        return baseline(hist, h, m), ""
    except Exception:  # noqa: BLE001 - a baseline that fails scores as missing
        return None, ""


def evaluate(series: list[pd.Series], h: int, m: int) -> dict:
    """Engine, seasonal naive and plain ETS on the last h points of each series."""
    rows = {k: {"mase": [], "cov80": [], "cov95": [], "sec": [], "total": [], "actual": [],
                "in80": [], "in95": []}
            for k in ("engine", "seasonal_naive", "plain_ets")}
    models = []
    for s in series:
        hist, actual = s.iloc[:-h], s.to_numpy()[-h:]
        for name in rows:
            t0 = time.perf_counter()
            f, model = predict(name, hist, h, m, plain_ets)
            if f is None:
                continue
            if name == "engine":
                models.append(model)
            rows[name]["sec"].append(time.perf_counter() - t0)
            rows[name]["mase"].append(mase(actual, f["mean"], hist.to_numpy(), m))
            rows[name]["cov80"].append(coverage(actual, f["lo_80"], f["hi_80"]))
            rows[name]["cov95"].append(coverage(actual, f["lo_95"], f["hi_95"]))
            for lv in LEVELS:
                rows[name][f"in{lv}"].append((actual >= f[f"lo_{lv}"]) & (actual <= f[f"hi_{lv}"]))
            rows[name]["total"].append(abs(float(np.sum(f["mean"]) - np.sum(actual))))
            rows[name]["actual"].append(abs(float(np.sum(actual))))
    out = {}
    for name, r in rows.items():
        total, actual = r.pop("total"), r.pop("actual")
        inside = {lv: r.pop(f"in{lv}") for lv in LEVELS}
        out[name] = {k: round(float(np.mean(v)), 4) if v else None for k, v in r.items()}
        for lv in LEVELS:
            out[name][f"cov{lv}_by_steps"] = band_coverage(inside[lv], h) if inside[lv] else None
        out[name]["total_err"] = round(sum(total) / sum(actual), 4) if sum(actual) else None
    out["n_series"] = len(series)
    out["horizon"] = h
    out["engine_models"] = pd.Series(models).value_counts().to_dict()
    return out


def sample_series() -> tuple[list[pd.Series], str]:
    """Daily spend per workload class from the bundled sample, when a store can be opened."""
    try:
        from workbench.store import open_store

        with open_store() as store:  # closed after the query: no connection left open
            daily = store.daily(["workload_class"])
    except Exception as exc:  # noqa: BLE001 - the sample is optional for this benchmark
        return [], f"sample skipped: {type(exc).__name__}: {exc}"
    out = []
    for (cls, cur), g in daily.groupby(["workload_class", "currency"]):
        s = g.set_index("date")["cost"].astype(float).sort_index()
        s = s.asfreq("D", fill_value=0.0)
        if len(s) >= 120 and s.abs().sum() > 0:
            out.append(s.rename(f"{cls} {cur}"))
    return out, f"sample: {len(out)} workload-class series"


# --- held-out real series ----------------------------------------------------------------------
# frequency: (season, horizon, origins per series, step between origins)
REAL = {
    "hourly": (24, 48, 6, 72),
    "daily": (7, 30, 3, 15),
    "weekly": (52, 13, 8, 26),
    "monthly": (12, 12, 4, 12),
    "quarterly": (4, 8, 4, 4),
}


def damped_ets(hist: pd.Series, h: int, m: int) -> dict:
    """statsmodels ETSModel: additive error, additive damped trend, additive season when the
    history holds two cycles and a bit; initial states by the heuristic (estimating them took
    10 s a fit on 60 years of months), defaults otherwise."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = "add" if m > 1 and len(hist) >= 2 * m + 2 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ETSModel(hist.reset_index(drop=True).astype(float), error="add", trend="add",
                       damped_trend=True, seasonal=seasonal,
                       seasonal_periods=m if seasonal else None,
                       initialization_method="heuristic" if seasonal else "estimated"
                       ).fit(disp=False)
        return ets_forecast(res, len(hist), h)


def rolling_windows(s: pd.Series, h: int, origins: int, step: int):
    """(history, actual) at each of the last `origins` origins, `step` apart, latest last."""
    for k in range(origins - 1, -1, -1):
        cut = len(s) - h - k * step
        yield s.iloc[:cut], s.to_numpy(dtype=float)[cut:cut + h]


def evaluate_real(series: list[pd.Series], m: int, h: int, origins: int, step: int,
                  detail: list | None = None) -> dict:
    """Engine, seasonal naive and damped ETS from several origins of each series."""
    names = ("engine", "seasonal_naive", "damped_ets")
    rows = {k: {"mase": [], "cov80": [], "cov95": [], "sec": []} for k in names}
    for s in series:
        for hist, actual in rolling_windows(s, h, origins, step):
            filled = hist.asfreq(infer_freq(hist.index)).interpolate()  # for the baselines
            for name in names:
                t0 = time.perf_counter()
                # the engine reads the history as it is; the baselines need it regular
                f, model = predict(name, hist if name == "engine" else filled, h, m, damped_ets)
                if f is None:
                    continue
                sec = time.perf_counter() - t0
                r = rows[name]
                r["sec"].append(sec)
                r["mase"].append(mase(actual, f["mean"], filled.to_numpy(), m))
                r["cov80"].append(coverage(actual, f["lo_80"], f["hi_80"]))
                r["cov95"].append(coverage(actual, f["lo_95"], f["hi_95"]))
                if detail is not None:
                    detail.append({"series": s.name, "origin": str(hist.index[-1].date()),
                                   "model": name, "mase": r["mase"][-1], "cov80": r["cov80"][-1],
                                   "cov95": r["cov95"][-1], "sec": sec,
                                   "engine_model": model if name == "engine" else ""})
    out = {k: {c: round(float(np.mean(v)), 4) if v else None for c, v in r.items()}
           for k, r in rows.items()}
    for k in names:  # seconds per series: all its origins
        out[k]["sec"] = round(out[k]["sec"] * origins, 3) if out[k]["sec"] else None
    out.update(n_series=len(series), horizon=h, origins=origins)
    return out


def run() -> dict:
    res: dict = {}
    samples, note = sample_series()
    res["sample_note"] = note
    if samples:
        h = 30
        res["sample_daily"] = evaluate(samples, h, 7)
    for kind, (_, m, _, h, count) in SIM.items():
        res[f"sim_{kind}"] = evaluate([simulate(kind, 1000 * i + 7) for i in range(count)], h, m)
    # the same daily series with their last 90 days held out: coverage up to 90 steps ahead
    res["sim_daily_h90"] = evaluate([simulate("daily", 1000 * i + 7) for i in range(SIM["daily"][4])],
                                    90, 7)
    # real series (not cost data) at five frequencies, several origins each
    for freq, spec in REAL.items():
        series = getattr(real_series, freq)()
        res[f"real_{freq}"] = evaluate_real(series, *spec)
        res[f"real_{freq}"]["series"] = [str(s.name) for s in series]
    # speed: one daily series of 540 points, horizon 60; then 50 of them
    s = simulate("daily", 1)
    t0 = time.perf_counter()
    forecast_series(s.iloc[:540], 60)
    res["one_daily_540_h60_s"] = round(time.perf_counter() - t0, 3)
    batch = [simulate("daily", 500 + i).iloc[:540] for i in range(50)]
    t0 = time.perf_counter()
    for b in batch:
        forecast_series(b, 60)
    res["fifty_daily_540_h60_s"] = round(time.perf_counter() - t0, 2)
    return res


def table(res: dict) -> str:
    lines = [res.get("sample_note", ""),
             "| series | n | h | model | mean MASE | cov 80 | cov 95 | total err | s/series |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, r in res.items():
        if not isinstance(r, dict) or "engine" not in r or key.startswith("real_"):
            continue
        for name in ("engine", "seasonal_naive", "plain_ets"):
            x = r[name]
            lines.append(f"| {key} | {r['n_series']} | {r['horizon']} | {name} | {x['mase']} | "
                         f"{x['cov80']} | {x['cov95']} | {x.get('total_err')} | {x['sec']} |")
    lines += ["", "| series | model | 80 % / 95 % coverage per band of steps |", "|---|---|---|"]
    for key, r in res.items():
        if not isinstance(r, dict) or "engine" not in r or key.startswith("real_"):
            continue
        for name in ("engine", "seasonal_naive", "plain_ets"):
            c80, c95 = r[name].get("cov80_by_steps") or {}, r[name].get("cov95_by_steps") or {}
            cells = "; ".join(f"steps {b}: {c80[b]} / {c95[b]}" for b in c80)
            lines.append(f"| {key} | {name} | {cells} |")
    lines += ["", "Real series, rolling origins (s/series: all its origins)",
              "| series | n | origins | h | model | mean MASE | cov 80 | cov 95 | s/series |",
              "|---|---|---|---|---|---|---|---|---|"]
    for key, r in res.items():
        if not key.startswith("real_") or not isinstance(r, dict):
            continue
        for name in ("engine", "seasonal_naive", "damped_ets"):
            x = r[name]
            lines.append(f"| {key} | {r['n_series']} | {r['origins']} | {r['horizon']} | {name} | "
                         f"{x['mase']} | {x['cov80']} | {x['cov95']} | {x['sec']} |")
    lines.append(f"one daily series (540 points, h=60): {res.get('one_daily_540_h60_s')} s; "
                 f"50 series: {res.get('fifty_daily_540_h60_s')} s")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))

