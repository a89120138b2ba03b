"""Daily quantities per resource: how much of its SKU each resource consumed each day."""

from __future__ import annotations

import numpy as np

from workbench.sample.activity import growth, schedule, weekday
from workbench.sample.company import Resource
from workbench.sample.timeline import Window, rng

HOURLY = ("Hours", "1 Hour", "Hour")
FLAT_STORAGE = ("Volume", "Snapshot", "Disk")  # these do not grow: nothing writes to them
NODE_STAGGER = {"eks-ml-platform-nodes": 0.09}  # platform nodes added over time
SHRINK_AT = {"pretrain-a2-pool": 0.6}  # research moved to a3: only node 0 stays on the a2 pool
MIN_NODES = 2  # serving fleets keep two nodes for availability


def base_name(r: Resource) -> str:
    return r.name.rsplit("-", 1)[0] if r.node >= 0 else r.name


def alive(r: Resource, win: Window) -> np.ndarray:
    i = np.arange(win.n)
    start = r.start + NODE_STAGGER.get(base_name(r), 0.0) * max(r.node, 0)
    stop = SHRINK_AT.get(base_name(r), r.stop) if r.node >= 1 else r.stop
    return (i >= win.at(start)) & (i < win.at(stop))


def daily_quantity(r: Resource, win: Window, seed: int, act: dict[str, np.ndarray]) -> np.ndarray:
    """PricingQuantity per day (0 when the resource did not run), 4 decimals at most."""
    n = win.n
    noise = rng(seed, "qty", r.name, r.sku)
    hourly = r.unit in HOURLY
    if r.profile == "always":
        q = np.full(n, 24.0 * (1 if r.node >= 0 else r.nodes)) if hourly else r.per_day * growth(win) * noise.lognormal(0, 0.05, n)
    elif r.profile == "workhours":
        wd = weekday(win)
        q = np.where(wd < 5, noise.uniform(7, 13, n), noise.uniform(0, 2, n)) * r.nodes
    elif r.profile == "train":
        on, off = ((6, 18), (1, 5)) if r.workload == "training" else ((1, 4), (3, 12))
        runs = schedule(win, seed, base_name(r), on, off)
        q = np.where(runs, 24.0 * np.minimum(1.0, noise.uniform(0.93, 1.08, n)), 0.0)
    elif r.profile == "serve":
        if r.app == "doc-intelligence":
            load = act["docs:doc-intelligence"] * r.share
        else:
            load = act[f"requests:{r.app}"] * r.share
        fleet = r.nodes
        need = np.clip(np.ceil(load / r.capacity), MIN_NODES, fleet)
        if r.node >= 0:
            q = np.where(need > r.node, 24.0, 0.0)
        else:
            q = need * 24.0
    elif r.profile == "storage":
        gb = r.per_day * (1.0 if r.rtype in FLAT_STORAGE else growth(win) ** 1.2)
        days_in_month = _days_in_month(win)
        q = gb * np.ones(n) / days_in_month
    elif r.profile == "usage":
        wd = weekday(win)
        q = r.per_day * growth(win) * np.where(wd >= 5, 0.85, 1.0) * noise.lognormal(0, 0.08, n)
        if r.app:
            q = q * np.where(np.arange(n) >= win.launch, 1.3, 1.0)
    elif r.profile == "monthly":
        q = np.where(win.days.astype("datetime64[D]") == win.days.astype("datetime64[M]").astype("datetime64[D]"), 1.0, 0.0)
    elif r.profile == "tokens":
        q = act[f"tok:{r.name}:{r.model}:{r.meter}"] / 1e6
    else:
        raise ValueError(f"unknown profile {r.profile}")
    return np.round(np.where(alive(r, win), q, 0.0), 4)


def _days_in_month(win: Window) -> np.ndarray:
    m = win.days.astype("datetime64[M]")
    return ((m + 1).astype("datetime64[D]") - m.astype("datetime64[D]")).astype(np.int64).astype(float)
