"""FOCUS 1.3 charge rows for the whole window: usage, commitments, credits, refund, tax, correction.

Money is held as Python/NumPy integers in units of 1e-10 of the billing currency (UNIT), so
every sum is exact; writer.py turns them into DECIMAL(38, 10). Prices carry 6 decimals and
quantities 4, so quantity x price is always a whole number of units.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from workbench.sample.commitments import CENT, QTY, Commitment, by_key
from workbench.sample.company import CONTRACT_DISCOUNT, Resource
from workbench.sample.timeline import Window, add_months

UNIT = 10**10  # units per currency unit
PRICE = 10**6  # prices carry 6 decimals: cost units = q4 * price6


def price6(x: float) -> int:
    return int(round(x * PRICE))


def list_and_contracted(r: Resource) -> tuple[int, int]:
    lp = price6(r.price)
    return lp, price6(r.price * (1 - CONTRACT_DISCOUNT[r.provider]))


def _block(ri: int, days: np.ndarray, q4: np.ndarray, **cols) -> pd.DataFrame:
    n = len(days)
    data = {"day": days.astype(np.int64), "res": np.full(n, ri, dtype=np.int64), "q4": q4.astype(np.int64)}
    for k, v in cols.items():
        data[k] = v if isinstance(v, np.ndarray) else [v] * n
    return pd.DataFrame(data)


def usage_lines(resources: list[Resource], quantities: list[np.ndarray], win: Window) -> pd.DataFrame:
    """One line per resource-day with a quantity; commitments are applied after (cover())."""
    blocks = []
    for ri, (r, q) in enumerate(zip(resources, quantities, strict=True)):
        days = np.nonzero(q > 0)[0]
        if not len(days):
            continue
        q4 = np.round(q[days] * QTY).astype(np.int64)
        lp, cp = list_and_contracted(r)
        if r.pricing == "Dynamic":
            cp = price6(r.price * r.spot)
        category = "Dynamic" if r.pricing == "Dynamic" else "Standard"
        blocks.append(_block(ri, days, q4, PricingCategory=category, ListUnitPrice=lp * (UNIT // PRICE),
                             ContractedUnitPrice=cp * (UNIT // PRICE), ListCost=q4 * lp, ContractedCost=q4 * cp,
                             BilledCost=q4 * cp, EffectiveCost=q4 * cp, commit=r.pricing))
    return pd.concat(blocks, ignore_index=True)


def cover(lines: pd.DataFrame, resources: list[Resource], win: Window) -> tuple[pd.DataFrame, list[dict]]:
    """Apply each live commitment day by day: covered lines (Used), overflow at Standard, Unused.

    Lines priced by a commitment that is not live that day (before or after its term, or an
    upfront term that does not fit the window) stay at Standard.
    """
    live = by_key(win)
    out = [lines[~lines["commit"].isin(live)]]
    unused: list[dict] = []
    for key, c in live.items():
        amounts = c.daily_amounts(win)
        mine = lines[lines["commit"] == key].sort_values(["day", "res"])
        out.append(mine[~mine["day"].isin(amounts)])
        by_day = {d: g.to_dict("records") for d, g in mine[mine["day"].isin(amounts)].groupby("day")}
        for day, amount in sorted(amounts.items()):
            rows, left, spare = _cover_day(c, amount, by_day.get(day, []), resources)
            out.append(pd.DataFrame(rows) if rows else None)
            if left:
                unused.append(dict(kind="unused", commitment=c, day=day, amount=left,
                                   qty=spare / (QTY if c.category == "Usage" else UNIT)))
    frame = pd.concat([f for f in out if f is not None], ignore_index=True)
    frame.loc[~frame["PricingCategory"].eq("Committed") & ~frame["commit"].isin(("Standard", "Dynamic")),
              "commit"] = None
    return frame, unused


def _cover_day(c: Commitment, amount: int, recs: list[dict], resources: list[Resource]) -> tuple[list[dict], int, int]:
    """One day of one commitment: (rows, unused amount, unused capacity).

    Capacity is instance-hours (Usage) or spend at the commitment rate (Spend). A line that
    does not fit is split: the covered part at Committed, the rest at Standard.
    """
    spare, used, rows = c.capacity, 0, []
    for rec in recs:
        r = resources[rec["res"]]
        lp, cp = list_and_contracted(r)
        per_q4 = 1 if c.category == "Usage" else price6(r.price * c.rate)  # capacity per 1e-4 unit
        q4c = min(rec["q4"], spare // per_q4)
        rest = rec["q4"] - q4c
        if q4c:
            take = q4c * per_q4
            spare -= take
            eff = amount * take // c.capacity
            used += eff
            rows.append({**rec, "q4": q4c, "PricingCategory": "Committed", "ListCost": q4c * lp,
                         "ContractedCost": q4c * cp, "BilledCost": 0, "EffectiveCost": eff,
                         "ContractedUnitPrice": cp * (UNIT // PRICE), "CommitmentDiscountStatus": "Used",
                         "commit_obj": c, "cdq": take / (QTY if c.category == "Usage" else UNIT)})
        if rest:
            rows.append({**rec, "q4": rest, "ListCost": rest * lp, "ContractedCost": rest * cp,
                         "BilledCost": rest * cp, "EffectiveCost": rest * cp, "PricingCategory": "Standard"})
    left = amount - used
    if rows and spare * 10_000 < c.capacity:  # fully used but for rounding: no dust Unused row
        last = max(i for i, x in enumerate(rows) if x["PricingCategory"] == "Committed")
        rows[last]["EffectiveCost"] += left
        left, spare = 0, 0
    return rows, left, spare


def purchase_rows(win: Window) -> list[dict]:
    rows = []
    for c in by_key(win).values():
        for lo, hi, amount in c.purchases(win):
            rows.append(dict(kind="purchase", commitment=c, start=lo, end=hi, amount=amount,
                             qty=c.per_hour * 24 * (hi - lo).days))
    return rows


def money_cents(cents: int) -> int:
    """Whole cents -> units of 1e-10."""
    return cents * CENT


def adjustments(win: Window, lines: pd.DataFrame, resources: list[Resource]) -> tuple[list[dict], dict]:
    """Credits, a refund and a correction; returns rows and facts about them for planted.json."""
    rows: list[dict] = []
    facts: dict = {}
    months = win.month_starts()
    # Promotional credits for the research account in the first months of the window.
    for m in months[: min(4, len(months) - 1)]:
        rows.append(dict(kind="credit", sub="aws-research", start=m, end=add_months(m, 1),
                         amount=-money_cents(2_500_000), service="AWS Credits",
                         description="Generative AI Accelerator program credit"))
    rows.append(dict(kind="credit", sub="lx-assistant", start=months[0], end=add_months(months[0], 1),
                     amount=-money_cents(500_000), service="Lexica AI API",
                     description="Startup program promotional credit"))
    # A refund of one month's support fee, charged twice by mistake, in the middle of the window.
    mid = months[len(months) // 2]
    rows.append(dict(kind="refund", sub="aws-shared", start=mid, end=add_months(mid, 1),
                     amount=-money_cents(940_000), service="AWS Support (Business)",
                     description="Refund: duplicate AWS Support (Business) fee"))
    facts["refund"] = dict(provider="AWS", billing_period=mid.strftime("%Y-%m"), amount="-9400.00")
    # A metering error: one node of llm-train-cluster-b billed twice its hours on one day,
    # corrected in the next billing period.
    target = next(i for i, r in enumerate(resources) if r.name == "llm-train-cluster-b-0")
    month = months[max(0, len(months) - 3)]
    lo, hi = win.index(month), win.index(add_months(month, 1))
    cand = lines.index[(lines["res"] == target) & (lines["day"] >= lo) & (lines["day"] < hi)]
    if len(cand):
        i = cand[0]
        rec = lines.loc[i].to_dict()
        lines.loc[i, ["q4", "ListCost", "ContractedCost", "BilledCost", "EffectiveCost"]] = [
            rec["q4"] * 2, rec["ListCost"] * 2, rec["ContractedCost"] * 2, rec["BilledCost"] * 2, rec["EffectiveCost"] * 2]
        fix = {**rec, "q4": -rec["q4"], "ListCost": -rec["ListCost"], "ContractedCost": -rec["ContractedCost"],
               "BilledCost": -rec["BilledCost"], "EffectiveCost": -rec["EffectiveCost"], "ChargeClass": "Correction",
               "billing_month": add_months(month, 1)}
        rows.append(dict(kind="correction", line=fix))
        day = win.day(rec["day"])
        facts["correction"] = dict(resource_id=resources[target].rid, resource_name=resources[target].name,
                                   charge_date=day.isoformat(), billing_period=add_months(month, 1).strftime("%Y-%m"),
                                   amount=str(Decimal(-int(rec["BilledCost"])) / UNIT))
    return rows, facts


TAX = {"aws": 0.04, "azure-eu": 0.19}  # US state sales tax (illustrative) and German VAT
