"""Small FOCUS 1.0 exports written by the tests (no dependency on the bundled sample).

`write_export` defaults to a third-party-like file: one month, one provider, no tags at
all, a credit line. With `months`, `providers` and `tags` it becomes a small multi-month,
multi-provider, tagged export whose filters visibly change the charts.
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

COLUMNS = ["BillingAccountId", "BillingAccountName", "BillingPeriodStart", "BillingPeriodEnd",
           "ChargePeriodStart", "ChargePeriodEnd", "BillingCurrency", "BilledCost", "EffectiveCost",
           "ListCost", "ContractedCost", "ChargeCategory", "ChargeClass", "ChargeDescription",
           "ProviderName", "PublisherName", "InvoiceIssuerName", "ServiceCategory", "ServiceName",
           "ResourceId", "ResourceName", "RegionId", "PricingQuantity", "PricingUnit",
           "SubAccountId", "SubAccountName", "Tags"]
SERVICES = [("Compute", "Virtual Machines", "vm-web-1", 41.25, "web"),
            ("Storage", "Object Storage", "bkt-logs", 7.5, "data"),
            ("Databases", "Managed Postgres", "pg-main", 18.0, "web")]


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def write_export(path: Path, year: int = 2025, month: int = 3, currency: str = "EUR",
                 months: int = 1, providers: tuple[str, ...] = ("Example Cloud",),
                 tags: bool = False, until: date | None = None) -> dict:
    """Write the export; returns each month's effective total to the cent (what the pack must show).
    `until`: no daily rows from that day on (an export that lags), the monthly credit still."""
    first = date(year, month, 1)
    totals: dict[str, float] = {}
    rows = []
    start = first
    for m in range(months):
        end = _next_month(start)
        key = f"{start.year:04d}-{start.month:02d}"
        day = start
        while day < min(end, until or end):
            for p, provider in enumerate(providers):
                for i, (cat, svc, res, cost, team) in enumerate(SERVICES):
                    # providers differ in size and grow at different rates: filters change charts
                    amount = round((cost + (day.day % 5) * 0.37 + i) * (1 + 2 * p) * (1 + 0.1 * m * p), 2)
                    totals[key] = totals.get(key, 0.0) + amount
                    tag = json.dumps({"team": team, "env": "prod"}) if tags else ""
                    rows.append([
                        f"acct-{p}", "Example Ltd", f"{start}T00:00:00Z", f"{end}T00:00:00Z",
                        f"{day}T00:00:00Z", f"{day + timedelta(days=1)}T00:00:00Z", currency,
                        f"{amount:.2f}", f"{amount:.2f}", f"{amount:.2f}", f"{amount:.2f}", "Usage",
                        "", f"{svc} usage", provider, provider, provider, cat, svc,
                        f"{provider[:3].lower()}-{res}", res, "eu-west", "24", "Hours", "sub-1",
                        "production", tag])
            day += timedelta(days=1)
        # a credit with no resource and no tags: must show up, never be dropped
        rows.append([f"acct-{0}", "Example Ltd", f"{start}T00:00:00Z", f"{end}T00:00:00Z",
                     f"{start}T00:00:00Z", f"{end}T00:00:00Z", currency, "-25.00", "-25.00", "0",
                     "0", "Credit", "", "Promotional credit", providers[0], providers[0],
                     providers[0], "Compute", "Virtual Machines", "", "", "", "", "", "sub-1",
                     "production", ""])
        totals[key] = totals.get(key, 0.0) - 25.0
        start = end
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        w.writerows(rows)
    return {"months": {k: round(v, 2) for k, v in totals.items()}, "currency": currency,
            "last_month": max(totals)}
