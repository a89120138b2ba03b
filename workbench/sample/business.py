"""The business files beside the bill: drivers, org, budgets, GPU telemetry, quality."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sample import planted
from workbench.sample.activity import growth
from workbench.sample.company import APPLICATIONS, ORG, Resource
from workbench.sample.timeline import Window, rng
from workbench.sample.usage import base_name

UTILIZATION = {  # typical daily GPU utilization (mean, spread) by workload class
    "training": (84, 6), "fine-tuning": (72, 9), "batch-inference": (66, 9),
    "realtime-inference": (52, 10), "embeddings": (58, 8), "evaluation": (38, 12),
    "experimentation": (16, 7),
}


def _dates(win: Window) -> pd.Series:
    return pd.Series(win.days.astype("datetime64[D]").astype(str))


def drivers(win: Window, act: dict[str, np.ndarray], resources: list[Resource],
            quantities: list[np.ndarray]) -> pd.DataFrame:
    z = np.zeros(win.n, dtype=np.int64)

    def tok(name: str, meter: str) -> np.ndarray:
        return sum((v for k, v in act.items() if k.startswith(f"tok:{name}:") and k.endswith(meter)), z)

    def running(names: tuple[str, ...]) -> np.ndarray:
        # one run per cluster or job that ran that day
        bases = {base_name(r) for r in resources if base_name(r) in names}
        return sum((np.any([q > 0 for r, q in zip(resources, quantities, strict=True) if base_name(r) == b], axis=0)
                    .astype(np.int64) for b in sorted(bases)), z)

    a = act
    rows = [
        ("assistant", "realtime-inference", a["requests:assistant"], tok("assistant-chat-api", "Input Tokens"),
         tok("assistant-chat-api", "Output Tokens"), z, a["users:assistant"], z),
        ("semantic-search", "retrieval", a["requests:semantic-search"], z, z, z, a["users:semantic-search"], z),
        ("semantic-search", "embeddings", a["requests:semantic-search"], tok("search-embed-api", "Embedding Tokens"),
         z, z, z, a["docs:semantic-search"]),
        ("doc-intelligence", "batch-inference", a["requests:doc-intelligence"],
         tok("docai-batch-extractor", "Input Tokens"), tok("docai-batch-extractor", "Output Tokens"), z,
         a["users:doc-intelligence"], a["docs:doc-intelligence"]),
        ("foundation-models", "training", z, z, z,
         running(("llm-train-cluster-a", "llm-train-cluster-b", "llm-train-legacy", "pretrain-a3-pool",
                  "pretrain-a2-pool")), z, z),
        ("applied-ml", "fine-tuning", z, z, z, running(("ft-assistant-sft", "aml-finetune-a100")), z, z),
        ("evals", "evaluation", a["requests:evaluation"], tok("eval-judge-api", "Input Tokens"),
         tok("eval-judge-api", "Output Tokens"), z, z, z),
    ]
    dates = _dates(win)
    frames = [pd.DataFrame({"date": dates, "application": app, "workload_class": wc, "requests": req,
                            "input_tokens": tin, "output_tokens": tout, "training_runs": runs,
                            "active_users": users, "documents_processed": docs})
              for app, wc, req, tin, tout, runs, users, docs in rows]
    return pd.concat(frames, ignore_index=True).sort_values(["date", "application", "workload_class"],
                                                            ignore_index=True)


def org() -> pd.DataFrame:
    return pd.DataFrame([(t, cc, bu, owner) for t, (cc, bu, owner) in ORG.items()],
                        columns=["team", "cost_center", "business_unit", "owner"])


def budgets(win: Window, seed: int, focus: pd.DataFrame, resources: list[Resource]) -> pd.DataFrame:
    """Monthly budgets per team x workload class x currency, planned from a smooth growth trend.

    A plan is the average monthly spend scaled by the growth curve and a per-line planning
    error of -15%..+20%: some teams end up over budget, most under.
    """
    # finance plans what it can see: resources nobody tagged are not in any plan
    owner = {r.rid: (r.team, r.workload) for r in resources if r.rid and r.tagging != "none"}
    usage = focus[(focus["ChargeCategory"] == "Usage") & focus["ResourceId"].isin(owner)]
    team_wc = usage["ResourceId"].map(owner)
    spend = pd.DataFrame({"team": team_wc.str[0], "workload_class": team_wc.str[1],
                          "currency": usage["BillingCurrency"], "cost": usage["EffectiveCost"].astype(np.int64)})
    spend = spend[spend["team"].isin(ORG)]
    months = [m.strftime("%Y-%m") for m in win.month_starts()]
    g = growth(win)
    mids = np.array([g[min(win.index(m) + 14, win.n - 1)] for m in win.month_starts()])
    curve = mids / mids.mean()
    rows = []
    for (team, wc, cur), grp in spend.groupby(["team", "workload_class", "currency"]):
        avg = grp["cost"].sum() / 1e10 / win.months
        if avg < 100:
            continue
        err = rng(seed, "budget", team, wc, cur).uniform(0.85, 1.2)
        for m, c in zip(months, curve, strict=True):
            rows.append((m, team, wc, cur, int(np.ceil(avg * c * err / 500.0) * 500)))
    return pd.DataFrame(rows, columns=["month", "team", "workload_class", "currency", "budget"])


def telemetry(win: Window, seed: int, resources: list[Resource], quantities: list[np.ndarray],
              act: dict[str, np.ndarray]) -> pd.DataFrame:
    dates = _dates(win).to_numpy()
    idle_from = planted.idle_from(win)
    frames = []
    for r, q in zip(resources, quantities, strict=True):
        if not r.gpus or not r.rid:
            continue
        days = np.nonzero(q > 0)[0]
        if not len(days):
            continue
        rr = rng(seed, "telemetry", r.name)
        mean, sd = UTILIZATION.get(r.workload, (50, 10))
        util = rr.normal(mean, sd, len(days))
        if r.profile == "serve" and r.app in APPLICATIONS:
            load = act.get(f"requests:{r.app}", act.get("docs:doc-intelligence"))[days]
            util = util * (0.75 + 0.5 * load / load.max())
        idle = np.zeros(len(days), dtype=bool)
        if r.name in planted.IDLE_GPUS:
            idle = days >= idle_from
        if base_name(r) in planted.STALE_SANDBOXES or r.name in planted.STALE_SANDBOXES:
            idle = np.ones(len(days), dtype=bool)
        util = np.where(idle, rr.uniform(0.5, 7.5, len(days)), util)
        memory = np.where(idle, rr.uniform(3, 11, len(days)), util * 0.8 + rr.normal(15, 4, len(days)))
        frames.append(pd.DataFrame({"date": dates[days], "resource_id": r.rid,
                                    "gpu_utilization_pct": np.round(np.clip(util, 0.2, 99.5), 1),
                                    "gpu_memory_pct": np.round(np.clip(memory, 1, 99), 1),
                                    "gpu_count": r.gpus}))
    return pd.concat(frames, ignore_index=True).sort_values(["date", "resource_id"], ignore_index=True)


def quality(win: Window, seed: int, act: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    refreshed = np.arange(win.n) >= win.refresh
    anomaly = planted.anomaly_days(win)
    for app in APPLICATIONS:
        rr = rng(seed, "quality", app)
        load = act.get(f"requests:{app}")
        rel = load / load.mean()
        if app == "assistant":  # longer answers after the refresh: slower, slightly better
            p95 = np.where(refreshed, 2300, 1700) * (0.9 + 0.15 * rel) * rr.lognormal(0, 0.04, win.n)
            ok = np.where(refreshed, 0.996, 0.993) - rr.gamma(1.0, 0.0015, win.n)
        elif app == "semantic-search":
            p95 = 320 * (0.85 + 0.2 * rel) * rr.lognormal(0, 0.05, win.n)
            ok = 0.998 - rr.gamma(1.0, 0.0008, win.n)
        else:
            p95 = 5200 * (0.9 + 0.1 * rel) * rr.lognormal(0, 0.06, win.n)
            ok = 0.985 - rr.gamma(1.0, 0.003, win.n)
            for day, mult in anomaly.items():  # the retry loop: most calls fail and are retried
                ok[day] = 1.0 / mult + 0.06
                p95[day] *= 3.5
        rows.append(pd.DataFrame({"date": _dates(win), "application": app,
                                  "success_rate": np.round(np.clip(ok, 0, 1), 4),
                                  "p95_latency_ms": np.round(p95).astype(np.int64)}))
    return pd.concat(rows, ignore_index=True).sort_values(["date", "application"], ignore_index=True)


def tables(win: Window, seed: int, act, resources, quantities, focus) -> dict[str, pd.DataFrame]:
    return {
        "drivers": drivers(win, act, resources, quantities),
        "org": org(),
        "budgets": budgets(win, seed, focus, resources),
        "telemetry": telemetry(win, seed, resources, quantities, act),
        "quality": quality(win, seed, act),
    }
