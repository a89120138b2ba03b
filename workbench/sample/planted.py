"""The situations the sample hides, and the facts (dates, ids, amounts) that tests assert.

Every magnitude in planted.json is measured on the generated bill itself, so it can never
disagree with the data.
"""

from __future__ import annotations

from datetime import date

from workbench.sample.timeline import Window, parse_month

ANOMALY_RESOURCE = "docai-batch-extractor"
ANOMALY_DAY_OF_MONTH = 9  # in the last month; the retry loop runs for two days
ANOMALY_MULTIPLIERS = (9.0, 5.0)
IDLE_GPUS = ("ft-llama-a100-sweep", "eval-a100-runner-2")
IDLE_DAYS = 42  # the last six weeks of the window
STALE_SANDBOXES = ("sandbox-jlee-notebook", "sandbox-growth-demo", "sandbox-search-poc-vm")
ORPHANS = ("llm-train-legacy-data", "llm-train-legacy-snapshot-0", "llm-train-legacy-snapshot-1",
           "llm-train-legacy-snapshot-2", "pd-dataprep-old-vm-disk")
SPOT_CANDIDATE = "llm-train-cluster-b"  # on-demand, checkpointing enabled: could run on spot
SPOT_SHARE = 0.42  # what its sister cluster pays on spot, as a share of list


def anomaly_days(win: Window) -> dict[int, float]:
    first = parse_month(win.end_month)
    day = win.index(date(first.year, first.month, ANOMALY_DAY_OF_MONTH))
    return {day + k: m for k, m in enumerate(ANOMALY_MULTIPLIERS)}


def idle_from(win: Window) -> int:
    return win.n - IDLE_DAYS


def _money(units) -> str:
    """Exact decimal text of an integer amount in units of 1e-10."""
    from decimal import Decimal

    return str((Decimal(int(units)) / Decimal(10**10)).quantize(Decimal("0.01")))


def _cost(focus, mask, col: str = "EffectiveCost") -> int:
    return int(focus.loc[mask, col].astype(object).sum())


def describe(win: Window, focus, resources, quantities, tables, facts: dict) -> dict:
    """planted.json: each hidden situation with ids, dates and magnitudes measured on the bill."""
    import numpy as np
    import pandas as pd

    from workbench.sample.commitments import by_key
    from workbench.sample.usage import base_name

    day = lambda i: win.day(i).isoformat()  # noqa: E731
    start = pd.Timestamp(win.start)
    cps = focus["ChargePeriodStart"]
    by_name = {}
    for r in resources:
        by_name.setdefault(base_name(r), []).append(r)
    names = focus["ResourceName"]
    usage = focus["ChargeCategory"] == "Usage"
    situations = []

    # Idle GPUs: telemetry below 10% for the last six weeks while billed every day.
    tel = tables["telemetry"]
    for name in IDLE_GPUS:
        r = by_name[name][0]
        lo = max(idle_from(win), int(np.nonzero(quantities[resources.index(r)])[0][0]))
        when = (cps >= start + pd.Timedelta(days=lo)) & (names == name)
        t = tel[(tel["resource_id"] == r.rid) & (tel["date"] >= day(lo))]
        situations.append(dict(
            id=f"idle-gpu-{name}", kind="idle-gpu", provider=r.provider, resource_id=r.rid, resource_name=name,
            workload_class=r.workload, gpu_count=r.gpus, start=day(lo), end=day(win.n - 1), days=win.n - lo,
            max_gpu_utilization_pct=float(t["gpu_utilization_pct"].max()),
            effective_cost=_money(_cost(focus, when)), currency="USD",
            note="billed every day while GPU utilization stays under 10%"))

    # The retry loop: two days of multiplied tokens on one Lexica workspace resource.
    anomaly = anomaly_days(win)
    rid = by_name[ANOMALY_RESOURCE][0].rid
    daily = focus[usage & (focus["ResourceId"] == rid)].groupby("ChargePeriodStart")["EffectiveCost"] \
        .apply(lambda s: int(s.astype(object).sum()))
    first = min(anomaly)
    before = daily[(daily.index < start + pd.Timedelta(days=first))
                   & (daily.index >= start + pd.Timedelta(days=first - 28))]
    baseline = int(np.median([int(v) for v in before])) if len(before) else 0
    spikes = {day(d): _money(daily.get(start + pd.Timedelta(days=d), 0)) for d in sorted(anomaly)}
    excess = sum(int(daily.get(start + pd.Timedelta(days=d), 0)) - baseline for d in anomaly)
    situations.append(dict(
        id="anomaly-docai-retry-loop", kind="cost-anomaly", provider="lexica", resource_id=rid,
        resource_name=ANOMALY_RESOURCE, dates=sorted(spikes), effective_cost_by_day=spikes,
        baseline_daily_effective_cost=_money(baseline), excess_effective_cost=_money(excess), currency="USD",
        token_multipliers=list(ANOMALY_MULTIPLIERS),
        note="a retry loop multiplied tokens; documents_processed in drivers.csv did not move and "
             "quality.csv shows the failure rate"))

    # Orphaned storage: volumes and snapshots whose instance is gone (or never in the window).
    legacy_last = max((int(np.nonzero(quantities[resources.index(r)])[0].max(initial=-1))
                       for r in by_name["llm-train-legacy"]), default=-1)
    last_month = cps >= pd.Timestamp(win.month_starts()[-1])
    orphans, orphan_total = [], 0
    for name in ORPHANS:
        r = by_name[name][0]
        parent = "llm-train-legacy" if name.startswith("llm-train-legacy") else "dataprep-old-vm (deleted before the window)"
        cost = _cost(focus, last_month & (names == name))
        orphan_total += cost
        orphans.append(dict(resource_id=r.rid, resource_name=name, provider=r.provider, resource_type=r.rtype,
                            parent=parent, parent_last_seen=day(legacy_last) if legacy_last >= 0 and
                            parent == "llm-train-legacy" else None, last_month_effective_cost=_money(cost)))
    situations.append(dict(id="orphaned-storage", kind="orphaned-storage", resources=orphans, currency="USD",
                           last_month_effective_cost=_money(orphan_total)))

    # Stale sandboxes: sandbox environment, running around the clock, idle GPU, no owner in the org.
    stale = []
    for name in STALE_SANDBOXES:
        r = by_name[name][0]
        stale.append(dict(resource_id=r.rid, resource_name=name, provider=r.provider,
                          days_running=int((quantities[resources.index(r)] > 0).sum()),
                          tagging={"partial": "owner and environment only", "unknown": f"team {r.team} (not in org.csv)",
                                   "none": "untagged"}.get(r.tagging, r.tagging),
                          effective_cost=_money(_cost(focus, names == name))))
    situations.append(dict(id="stale-sandboxes", kind="stale-sandbox", resources=stale, currency="USD",
                           note="GPU utilization under 8% every day in telemetry.csv"))

    # On-demand training that could run on spot: same workload, checkpointing enabled.
    nodes = by_name[SPOT_CANDIDATE]
    mask = usage & focus["ResourceId"].isin([r.rid for r in nodes]) & (focus["PricingCategory"] == "Standard")
    on_demand = _cost(focus, mask)
    spot = _cost(focus, mask, "ListCost") * SPOT_SHARE
    situations.append(dict(
        id="spot-opportunity-llm-train-cluster-b", kind="on-demand-could-be-spot",
        resource_ids=[r.rid for r in nodes], resource_names=[r.name for r in nodes], provider="aws",
        tag="checkpointing=enabled", on_demand_effective_cost=_money(on_demand),
        spot_equivalent_cost=_money(int(spot)), potential_savings=_money(on_demand - int(spot)),
        spot_share_of_list=SPOT_SHARE, currency="USD",
        note="llm-train-cluster-a runs the same kind of job on spot (PricingCategory Dynamic)"))

    # Commitments: the expiring one, the under-used one, and the lapsed upfront RI if in the window.
    live = by_key(win)
    end_day = win.stop
    c = live["az-ri-h100"]
    month_rows = (focus["CommitmentDiscountId"] == c.cid) & (focus["ChargeCategory"] == "Purchase")
    last_fee = focus.loc[month_rows, "BilledCost"].iloc[-1] if month_rows.any() else 0
    situations.append(dict(
        id="expiring-commitment-az-ri-h100", kind="commitment-expiring", provider="azure", commitment_id=c.cid,
        commitment_name=c.name, expires=c.end.isoformat(), days_after_window=(c.end - end_day).days,
        last_monthly_purchase=_money(last_fee),
        covered_resource_ids=[r.rid for r in by_name["assistant-serving-eastus"]], currency="USD",
        note="covers the H100 inference fleet; without renewal that usage moves to on-demand"))
    c = live["gcp-cud-a2"]
    unused = (focus["CommitmentDiscountId"] == c.cid) & (focus["CommitmentDiscountStatus"] == "Unused")
    first_unused = focus.loc[unused, "ChargePeriodStart"].min()
    situations.append(dict(
        id="underused-commitment-gcp-cud-a2", kind="commitment-underused", provider="gcp", commitment_id=c.cid,
        commitment_name=c.name, unused_effective_cost=_money(_cost(focus, unused)),
        unused_from=first_unused.date().isoformat() if unused.any() else None, currency="USD",
        note="research moved to a3 machines; three of the four committed a2 machines stand unused"))
    if "aws-ri-p5" in live:
        c = live["aws-ri-p5"]
        situations.append(dict(
            id="lapsed-commitment-aws-ri-p5", kind="commitment-lapsed", provider="aws", commitment_id=c.cid,
            commitment_name=c.name, start=c.start.isoformat(), expired=c.end.isoformat(),
            purchase_billed=_money(c.fee_day_cents * (c.end - c.start).days * 10**8), currency="USD",
            note="all-upfront RI bought and fully amortized inside the window, not renewed: "
                 "chat-endpoint-prod runs on-demand after it"))
    if "correction" in facts:
        situations.append(dict(id="correction-llm-train-cluster-b", kind="correction", provider="aws",
                               currency="USD", **facts["correction"]))
    if "refund" in facts:
        situations.append(dict(id="refund-aws-support", kind="refund", provider="aws", currency="USD",
                               **{k: v for k, v in facts["refund"].items() if k != "provider"}))
    return dict(
        tagging=tagging(focus),
        events=[dict(id="product-launch", date=day(win.launch), application="assistant",
                     effect="requests x1.6 (semantic-search x1.25)"),
                dict(id="model-refresh", date=day(win.refresh), application="assistant",
                     effect="atlas-1 -> atlas-2: more output tokens per request, new prices; cost per "
                            "request rises")],
        situations=situations,
    )


def tagging(focus) -> dict:
    """Shares of Usage EffectiveCost by tag habit (a `team` key exactly as configured, or not)."""
    import json

    from workbench.sample.company import ORG

    usage = focus[focus["ChargeCategory"] == "Usage"]
    cost = usage["EffectiveCost"].astype(object)

    def habit(text) -> str:
        t = json.loads(text) if isinstance(text, str) else {}
        if not t:
            return "untagged"
        if "team" in t:
            return "tagged" if t["team"] in ORG else "unknown_team"
        return "miskeyed" if any(k.lower() == "team" for k in t) else "no_team_key"

    habits = usage["Tags"].map(habit)
    total = int(cost.sum())
    return {h: round(int(cost[habits == h].sum()) / total, 4) for h in
            ("tagged", "miskeyed", "no_team_key", "untagged", "unknown_team")}
