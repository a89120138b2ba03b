"""Forecast candidates: numpy arrays in, mean paths out.

Speed matters (apps call the forecaster interactively and the backtest refits every candidate
in every window), so there is no iterative optimiser: simple exponential smoothing is a linear
filter (scipy.signal.lfilter) whose initial level comes from least squares, and damped Holt runs
its whole parameter grid in one vectorized pass. The seasonal part comes from one STL per
training window, shared by all decomposition candidates.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.signal import lfilter

SES_ALPHAS = np.array([0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0])
HOLT_ALPHAS = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9])
HOLT_BETA_SHARE = np.array([0.02, 0.1, 0.3])  # beta as a share of alpha
HOLT_PHIS = np.array([0.8, 0.9, 0.98])
STL_SEASONAL = 51  # cycles in the seasonal smoother: cost seasons are stable, noise is not
FOURIER_TERMS = {168.0: 5, 365.25: 6}


# --- level models: exponential smoothing, Theta, autoregression --------------------------------

def ses_fit(y: np.ndarray, alpha: float) -> tuple[float, float]:
    """(sum of squared one-step errors, final level) of simple exponential smoothing."""
    n = len(y)
    conv = lfilter([alpha], [1.0, alpha - 1.0], y)  # level with a zero initial level
    r = y - np.concatenate(([0.0], conv[:-1]))
    h = (1.0 - alpha) ** np.arange(n)  # weight of the initial level in each forecast
    l0 = float(h @ r) / float(h @ h)
    sse = float(np.sum((r - h * l0) ** 2))
    return sse, float(conv[-1] + l0 * (1.0 - alpha) ** n)


def ses_best(y: np.ndarray) -> tuple[float, float]:
    """(alpha, final level) with the smallest one-step squared error on the grid."""
    best = min((ses_fit(y, a) + (a,) for a in SES_ALPHAS), key=lambda t: t[0])
    return best[2], best[1]


def _holt_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # phi = 1 is Holt's linear trend: steady growth goes on; the others damp it
    a, share, phi = np.meshgrid(HOLT_ALPHAS, HOLT_BETA_SHARE, np.append(HOLT_PHIS, 1.0),
                                indexing="ij")
    return a.ravel(), (a * share).ravel(), phi.ravel()


HOLT_GRID = _holt_grid()


def holt(y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(damped trend, linear trend) paths of additive exponential smoothing. The whole parameter
    grid runs at once (one pass over time with a vector of states); within each family (phi < 1,
    phi = 1) the smallest one-step SSE wins."""
    alpha, beta, phi = HOLT_GRID
    k = max(1, min(len(y) // 4, 7))
    lev = np.full(len(alpha), y[:k].mean())
    tr = np.full(len(alpha), (y[k:2 * k].mean() - y[:k].mean()) / k if len(y) >= 2 * k else 0.0)
    sse = np.zeros(len(alpha))
    for yt in y:
        pred = lev + phi * tr
        e = yt - pred
        sse += e * e
        lev = pred + alpha * e
        tr = phi * tr + beta * e
    sse[~np.isfinite(sse)] = np.inf
    paths = []
    for family in (phi < 1, phi == 1):
        j = int(np.flatnonzero(family)[np.argmin(sse[family])])
        damp = np.cumsum(phi[j] ** np.arange(1, horizon + 1))
        paths.append(lev[j] + damp * tr[j])
    return paths[0], paths[1]


def theta(y: np.ndarray, horizon: int) -> np.ndarray:
    """Theta method (Hyndman & Billah form): SES plus half the straight-line slope."""
    n = len(y)
    alpha, level = ses_best(y)
    slope = np.polyfit(np.arange(n), y, 1)[0] if n > 2 else 0.0
    j = np.arange(1, horizon + 1)
    return level + 0.5 * slope * (j - 1 + 1 / alpha - (1 - alpha) ** n / alpha)


def ar(y: np.ndarray, horizon: int, p: int = 3) -> np.ndarray:
    """Autoregression with intercept by least squares: short-term momentum of the remainder,
    reverting to the mean of the recent history (the last 4p..n points)."""
    n = len(y)
    if n < 4 * p + 2:
        return np.full(horizon, y.mean())
    x = np.column_stack([np.ones(n - p)] + [y[p - i - 1:n - i - 1] for i in range(p)])
    coef = np.linalg.solve(x.T @ x + 1e-9 * np.eye(p + 1), x.T @ y[p:])
    if np.sum(np.abs(coef[1:])) >= 1:  # keep it stationary: no explosive paths
        return np.full(horizon, y[-p:].mean())
    hist = list(y[-p:])
    out = np.empty(horizon)
    for j in range(horizon):
        nxt = coef[0] + sum(coef[i + 1] * hist[-i - 1] for i in range(p))
        out[j] = nxt
        hist.append(nxt)
    return out


def ses(y: np.ndarray, horizon: int) -> np.ndarray:
    return np.full(horizon, ses_best(y)[1])


# --- seasonality -----------------------------------------------------------------------------

def fourier(t: np.ndarray, period: float, k: int) -> np.ndarray:
    cols = []
    for i in range(1, k + 1):
        if period / i <= 2:
            break
        cols += [np.sin(2 * np.pi * i * t / period), np.cos(2 * np.pi * i * t / period)]
    return np.column_stack(cols) if cols else np.empty((len(t), 0))


def deseasonalize(y: np.ndarray, periods: tuple[float, ...], horizon: int):
    """(seasonally adjusted y, seasonal path for the next `horizon` steps).

    Main season by STL (its last cycle repeats). A longer whole cycle made of main cycles (a
    week of hours) gets one effect per main cycle (day of week); other longer seasons (yearly on
    daily data) get Fourier terms fitted next to a straight line on the adjusted series.
    """
    n = len(y)
    sa, future = y.astype(float), np.zeros(horizon)
    m = int(periods[0]) if periods else 1
    if m > 1 and n >= 2 * m:
        from statsmodels.tsa.seasonal import STL

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # few cycles: a local mean across cycles, not a line through two or three points
            deg = 0 if n < 5 * m else 1
            seas = np.asarray(STL(y, period=m, seasonal=STL_SEASONAL, seasonal_deg=deg)
                              .fit(inner_iter=1).seasonal)
        sa = y - seas
        last = seas[-m:]
        future = last[np.arange(horizon) % m]
    longer = [p for p in periods[1:] if n >= 1.5 * p]
    blocky = [p for p in longer if m > 1 and p == int(p) and int(p) % m == 0 and n >= 2 * p]
    for p in blocky:  # a week of hours: one effect per day of week catches weekend steps
        p = int(p)
        t = np.arange(n + horizon)
        block = (t % p) // m
        level = pd.Series(sa).rolling(p, center=True, min_periods=p // 2).mean().to_numpy()
        eff = pd.Series(sa - level).groupby(block[:n]).mean().reindex(range(p // m)).fillna(0.0)
        eff = (eff - eff.mean()).to_numpy()
        sa = sa - eff[block[:n]]
        future = future + eff[block[n:]]
    longer = [p for p in longer if p not in blocky]
    if longer:
        t = np.arange(n + horizon, dtype=float)
        f = np.column_stack([fourier(t, p, FOURIER_TERMS.get(p, 4)) for p in longer])
        x = np.column_stack([np.ones(n + horizon), t / n, f])
        xt = x[:n]
        # normal equations: a few columns, and far quicker than lstsq's SVD on a busy machine
        coef = np.linalg.solve(xt.T @ xt + 1e-9 * np.eye(xt.shape[1]), xt.T @ sa)
        fpart = f @ coef[2:]
        sa = sa - fpart[:n]
        future = future + fpart[n:]
    return sa, future


# --- all candidates --------------------------------------------------------------------------

def candidate_paths(y: np.ndarray, horizon: int, periods: tuple[float, ...],
                    log: bool = False) -> dict[str, np.ndarray]:
    """Mean path of every candidate for the `horizon` steps after `y`.

    `log` adds the multiplicative (log-scale) variants; the caller decides it once per series
    (strictly positive history) so every backtest window sees the same candidates.
    """
    n = len(y)
    m = int(periods[0]) if periods else 1
    m_eff = m if n >= m else 1
    steps = np.arange(horizon)
    out: dict[str, np.ndarray] = {}
    out["seasonal_naive"] = y[n - m_eff:][steps % m_eff]
    k = min(4, n // m_eff) if m_eff > 1 else min(n, 7)
    if m_eff > 1:
        block = y[n - k * m_eff:].reshape(k, m_eff).mean(axis=0)
        out["seasonal_mean"] = block[steps % m_eff]
    else:
        out["seasonal_mean"] = np.full(horizon, y[n - k:].mean())
    k = min(5, n // m_eff) if m_eff > 1 else min(n, 7)
    if m_eff > 1:  # robust to jobs that come and go: the typical value at this position
        block = y[n - k * m_eff:].reshape(k, m_eff)
        out["seasonal_median"] = np.median(block, axis=0)[steps % m_eff]
    else:
        out["seasonal_median"] = np.full(horizon, np.median(y[n - k:]))
    for p in periods[1:]:
        if p == int(p) and n >= 2 * p:
            # a longer whole cycle (a week of hours) replaces the main one: a Monday forecast
            # from the weekend's hours would be biased
            p = int(p)
            k = min(4, n // p)
            out["seasonal_naive"] = y[n - p:][steps % p]
            out["seasonal_mean"] = y[n - k * p:].reshape(k, p).mean(axis=0)[steps % p]
            break
    sa, fut = deseasonalize(y, periods, horizon)
    out["stl_ses"] = ses(sa, horizon) + fut
    out["stl_theta"] = theta(sa, horizon) + fut
    # the undamped trend follows steady growth (cloud spend ramping up) that damping would
    # flatten too soon; the backtest decides which one a series gets
    damped, linear = holt(sa, horizon)
    out["stl_holt_damped"] = damped + fut
    out["stl_holt"] = linear + fut
    out["stl_ar"] = ar(sa, horizon) + fut
    if log and np.min(y) > 0:  # multiplicative season and trend: the same models on log scale
        ly = np.log(y)
        lsa, lfut = deseasonalize(ly, periods, horizon)
        out["stl_theta_log"] = np.exp(theta(lsa, horizon) + lfut)
        damped, linear = holt(lsa, horizon)
        out["stl_holt_damped_log"] = np.exp(damped + lfut)
        out["stl_holt_log"] = np.exp(linear + lfut)
    return out
