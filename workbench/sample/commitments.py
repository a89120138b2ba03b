"""Commitment discounts: what was bought, and how its cost is spread over the usage it covers.

Amounts are integers in units of 1e-10 of the billing currency (see billing.UNIT). Each
commitment has a fee per day in whole cents; the purchase rows bill those cents (monthly or
once upfront) and the same amount is amortized day by day over covered usage (Status Used)
and whatever is left (Status Unused), so that per CommitmentDiscountId
Used + Unused EffectiveCost == Purchase BilledCost exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from workbench.sample.timeline import Window, add_months, parse_month

CENT = 10**8  # one cent in units of 1e-10
QTY = 10**4  # quantities carry 4 decimals


@dataclass(frozen=True)
class Commitment:
    cid: str
    name: str
    sub: str
    ctype: str  # CommitmentDiscountType
    category: str  # Usage (instance-hours) or Spend (currency per hour)
    payment: str  # monthly | upfront
    per_hour: float  # Usage: instances covered; Spend: committed spend per hour
    rate: float  # Usage: amortized price per instance-hour; Spend: multiplier on list price
    start: date
    end: date  # exclusive
    sku: str

    @property
    def fee_day_cents(self) -> int:
        per_day = self.per_hour * 24 * (self.rate if self.category == "Usage" else 1.0)
        return int(round(per_day * 100))

    @property
    def capacity(self) -> int:
        """Per-day capacity: instance-hours x 1e4 (Usage) or units of 1e-10 (Spend)."""
        if self.category == "Usage":
            return int(round(self.per_hour * 24 * QTY))
        return self.fee_day_cents * CENT

    def daily_amounts(self, win: Window) -> dict[int, int]:
        """Day index -> amortized amount (units) for every day of the term inside the window."""
        term_days = (self.end - self.start).days
        out = {}
        if self.payment == "monthly":
            each = self.fee_day_cents * CENT
            for k in range(term_days):
                i = win.index(self.start + timedelta(days=k))
                if 0 <= i < win.n:
                    out[i] = each
            return out
        total = self.fee_day_cents * term_days * CENT
        base, rem = divmod(total, term_days)
        for k in range(term_days):  # the remainder goes one unit at a time to the first days
            out[win.index(self.start + timedelta(days=k))] = base + (1 if k < rem else 0)
        return out

    def purchases(self, win: Window) -> list[tuple[date, date, int]]:
        """(charge start, charge end, billed units) for each purchase row inside the window."""
        if self.payment == "upfront":
            return [(self.start, self.start + timedelta(days=1),
                     self.fee_day_cents * (self.end - self.start).days * CENT)]
        out = []
        for m in win.month_starts():
            lo, hi = max(m, self.start), min(add_months(m, 1), self.end)
            if lo < hi:
                out.append((lo, hi, self.fee_day_cents * (hi - lo).days * CENT))
        return out

    def fits(self, win: Window) -> bool:
        """Upfront terms are only sold when the whole term lies in the window (else the invariant
        could not be checked on the data); monthly ones balance every month."""
        return self.payment == "monthly" or (win.start <= self.start and self.end <= win.stop)


def by_key(win: Window) -> dict[str, Commitment]:
    """Catalogue pricing keys (Resource.pricing) -> commitments live in the window."""
    end_month = parse_month(win.end_month)
    ri_start = add_months(win.start, 3)
    az_end = add_months(end_month, 2) + timedelta(days=14)  # expires within the next quarter
    items = {
        "aws-sp-compute":         Commitment("arn:aws:savingsplans::210987654321:savingsplan/6b1e0c2a-4f7d-4a55-9c1e-2d8f3a7b9e10",
                   "Compute Savings Plan, 3 years, no upfront, $6.50/hour", "aws-shared",
                   "Savings Plan", "Spend", "monthly", 6.50, 0.72,
                   win.start - timedelta(days=400), win.stop + timedelta(days=600), "ComputeSP:3yrNoUpfront"),
        "aws-ri-p5": Commitment("arn:aws:ec2:us-east-1:334455667788:reserved-instances/5f3c9a1e-7b2d-4e8f-a1c3-0d9e8f7a6b5c",
                   "Reserved Instance p5.48xlarge x2, 1 year, all upfront", "aws-prod",
                   "Reservation", "Usage", "upfront", 2, 55.04 * 0.62,
                   ri_start, ri_start + timedelta(days=365), "p5.48xlarge.us-east-1:RI-1yr-AllUpfront"),
        "az-ri-h100": Commitment("/providers/Microsoft.Capacity/reservationOrders/3e7d1b52-9a4c-4f0e-b6d2-8c1a5e9f7d30",
                   f"Reserved VM Instance ND96isr_H100_v5 x2, 1 year, monthly, ends {az_end.isoformat()}",
                   "az-prod", "Reservation", "Usage", "monthly", 2, 98.32 * 0.58,
                   az_end - timedelta(days=365), az_end, "DZH318Z0BQ4V/ND96isr_H100_v5:RI-1yr"),
        "gcp-cud-a2": Commitment("projects/helio-research-231/regions/us-central1/commitments/cud-a2-highgpu-8g-3yr",
                   "Committed use discount a2-highgpu-8g x4, 3 years, monthly", "gcp-research",
                   "Committed Use Discount", "Usage", "monthly", 4, 29.3873 * 0.55,
                   win.start - timedelta(days=200), win.stop + timedelta(days=700), "CUD-A2-GPU-3Y"),
    }
    return {k: c for k, c in items.items() if c.fits(win)}

