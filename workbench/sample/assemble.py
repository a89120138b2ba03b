"""Lines (integers, day indexes, resource indexes) -> the FOCUS 1.3 frame, with tax and invoices."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from workbench.sample.billing import CENT, TAX
from workbench.sample.commitments import QTY, Commitment
from workbench.sample.company import FOLDER, PROVIDERS, SUB_ACCOUNTS, Resource
from workbench.sample.tags import tags_for
from workbench.sample.timeline import Window, add_months
from workbench.schema import COST_COLUMNS, FOCUS_COLUMNS

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "eastus": "East US", "westus3": "West US 3",
    "westeurope": "West Europe", "us-central1": "Iowa", "us": "United States (multi-region)",
    "global": "Global",
}
PRICING_WORDS = {"Standard": "On Demand", "Dynamic": "Spot", "Committed": "Committed"}


def resource_table(resources: list[Resource]) -> pd.DataFrame:
    recs = []
    for r in resources:
        _, sub_id, sub_name = SUB_ACCOUNTS[r.sub]
        az = None
        if r.rtype == "Instance" and r.provider == "aws":
            az = r.region + "ab"[max(r.node, 0) % 2]
        elif r.rtype == "Instance" and r.provider == "gcp":
            az = r.region + "-" + "ab"[max(r.node, 0) % 2]
        recs.append(dict(
            pkey=r.provider, SubAccountId=sub_id, SubAccountName=sub_name,
            ServiceName=r.service, ServiceCategory=r.category, ServiceSubcategory=r.subcategory,
            SkuId=r.sku, SkuMeter=r.meter, ResourceId=r.rid or None, ResourceName=r.name if r.rid else None,
            ResourceType=r.rtype or None, RegionId=r.region, RegionName=REGION_NAMES[r.region],
            AvailabilityZone=az, PricingUnit=r.unit, ConsumedUnit=r.cunit or r.unit, Tags=tags_for(r),
            ChargeDescription=f"{r.service}: {r.meter}", tokens=r.profile == "tokens",
            SkuPriceDetails=_price_details(r),
            ChargeFrequency="Recurring" if r.profile == "monthly" else "Usage-Based",
        ))
    return pd.DataFrame(recs)


def _price_details(r: Resource) -> str | None:
    """An LLM API's SKU names its model as FOCUS AI model identity does."""
    if r.profile != "tokens" or not r.model:
        return None
    return json.dumps({"ModelId": r.model, "TokenType": r.meter.split()[0]})


def _sub_cols(sub: str) -> dict:
    pkey, sid, sname = SUB_ACCOUNTS[sub]
    return dict(pkey=pkey, SubAccountId=sid, SubAccountName=sname)


def special_frame(specials: list[dict], win: Window) -> pd.DataFrame:
    """Purchases, unused commitment, credits, refund as rows with every column set."""
    recs = []
    for s in specials:
        kind = s["kind"]
        if kind in ("purchase", "unused"):
            c: Commitment = s["commitment"]
            start = s["start"] if kind == "purchase" else win.day(s["day"])
            end = s["end"] if kind == "purchase" else win.day(s["day"] + 1)
            usage_based = c.category == "Usage"
            rec = dict(**_sub_cols(c.sub), start=start, end=end,
                       ServiceName=_commit_service(c), ServiceCategory="Compute",
                       ServiceSubcategory="Virtual Machines", SkuId=c.sku, SkuMeter=c.ctype,
                       ResourceId=c.cid, ResourceName=c.name, ResourceType=c.ctype, RegionId=None,
                       RegionName=None, Tags=None, CommitmentDiscountId=c.cid, CommitmentDiscountName=c.name,
                       CommitmentDiscountType=c.ctype, CommitmentDiscountCategory=c.category,
                       CommitmentDiscountUnit="Hours" if usage_based else "USD",
                       PricingUnit="Hours" if usage_based else "USD",
                       ConsumedUnit=None)
            if kind == "purchase":
                rec.update(ChargeCategory="Purchase", PricingCategory="Standard",
                           ChargeFrequency="One-Time" if c.payment == "upfront" else "Recurring",
                           ChargeDescription=f"Purchase: {c.name}", q=s["qty"], BilledCost=s["amount"],
                           EffectiveCost=0, ListCost=s["amount"], ContractedCost=s["amount"],
                           CommitmentDiscountQuantity=s["qty"])
            else:
                rec.update(ChargeCategory="Usage", PricingCategory="Committed", ChargeFrequency="Usage-Based",
                           ChargeDescription=f"Unused commitment: {c.name}", q=s["qty"], BilledCost=0,
                           EffectiveCost=s["amount"], ListCost=0, ContractedCost=0,
                           CommitmentDiscountStatus="Unused", CommitmentDiscountQuantity=s["qty"])
        elif kind in ("credit", "refund", "tax"):
            rec = dict(**_sub_cols(s["sub"]), start=s["start"], end=s["end"], ServiceName=s["service"],
                       ServiceCategory="Other", ServiceSubcategory="Other (Other)", Tags=None,
                       ChargeCategory={"credit": "Credit", "refund": "Adjustment", "tax": "Tax"}[kind],
                       ChargeFrequency="One-Time" if kind != "tax" else "Recurring",
                       ChargeDescription=s["description"], BilledCost=s["amount"], EffectiveCost=s["amount"],
                       ListCost=s["amount"], ContractedCost=s["amount"], q=None, PricingUnit=None)
        else:
            raise ValueError(kind)
        recs.append(rec)
    return pd.DataFrame(recs)


def _commit_service(c: Commitment) -> str:
    if c.ctype == "Savings Plan":
        return "Savings Plans for AWS Compute usage"
    return {"aws": "Amazon Elastic Compute Cloud", "azure": "Virtual Machines", "gcp": "Compute Engine"}[
        SUB_ACCOUNTS[c.sub][0]]


def usage_frame(lines: pd.DataFrame, resources: list[Resource], win: Window) -> pd.DataFrame:
    rt = resource_table(resources)
    f = lines.join(rt, on="res")
    days = np.datetime64(win.start) + f["day"].to_numpy().astype("timedelta64[D]")
    f["start"] = days
    f["end"] = days + np.timedelta64(1, "D")
    q = f["q4"].to_numpy() / QTY
    f["q"] = q
    f["ConsumedQuantity"] = np.where(f["tokens"], np.round(q * 1e6), q)
    f["ChargeDescription"] = f["ChargeDescription"] + " (" + f["PricingCategory"].map(PRICING_WORDS) + ")"
    f["ChargeCategory"] = "Usage"
    f["SkuPriceId"] = f["SkuId"] + ":" + f["PricingCategory"].map(PRICING_WORDS).str.replace(" ", "")
    return f


def finish(parts: list[pd.DataFrame], win: Window) -> pd.DataFrame:
    """Common columns, billing periods, invoice ids, tax; exactly the FOCUS columns + pkey."""
    f = pd.concat(parts, ignore_index=True)
    f["start"] = pd.to_datetime(f["start"]).astype("datetime64[s]")
    f["end"] = pd.to_datetime(f["end"]).astype("datetime64[s]")
    bm = f["start"].dt.to_period("M").dt.to_timestamp()
    if "billing_month" in f:
        override = pd.to_datetime(f["billing_month"])
        bm = override.where(override.notna(), bm)
    f["BillingPeriodStart"] = bm.astype("datetime64[s]")
    f = _with_tax(f, win)
    f["BillingPeriodEnd"] = (f["BillingPeriodStart"].dt.to_period("M") + 1).dt.to_timestamp().astype("datetime64[s]")
    f["ChargePeriodStart"], f["ChargePeriodEnd"] = f["start"], f["end"]
    info = PROVIDERS
    f["ProviderName"] = f["pkey"].map(lambda k: info[k]["name"])
    f["ServiceProviderName"] = f["ProviderName"]
    f["PublisherName"] = f["ProviderName"]
    f["InvoiceIssuerName"] = f["ProviderName"]
    f["HostProviderName"] = f["ProviderName"]
    f["BillingAccountId"] = f["pkey"].map(lambda k: info[k]["account"][0])
    f["BillingAccountName"] = f["pkey"].map(lambda k: info[k]["account"][1])
    f["BillingAccountType"] = f["pkey"].map(lambda k: info[k]["account_type"])
    f["SubAccountType"] = f["pkey"].map(lambda k: info[k]["sub_type"])
    f["BillingCurrency"] = f["pkey"].map(lambda k: info[k]["currency"])
    f["InvoiceId"] = [_invoice(k, m) for k, m in zip(f["pkey"], f["BillingPeriodStart"], strict=True)]
    f["PricingQuantity"] = f["q"]
    if "cdq" in f:
        f["CommitmentDiscountQuantity"] = f["CommitmentDiscountQuantity"].fillna(f["cdq"]) \
            if "CommitmentDiscountQuantity" in f else f["cdq"]
    _commit_columns(f)
    f["folder"] = f["pkey"].map(FOLDER)
    for col in FOCUS_COLUMNS:
        if col not in f:
            f[col] = None
    for col in COST_COLUMNS:
        f[col] = f[col].astype(np.int64)
    for col in ("ListUnitPrice", "ContractedUnitPrice"):
        f[col] = f[col].astype("Int64")
    for col in ("PricingQuantity", "ConsumedQuantity", "CommitmentDiscountQuantity"):
        f[col] = pd.to_numeric(f[col]).astype("float64")
    f = f.sort_values(["folder", "BillingPeriodStart", "ChargePeriodStart", "pkey", "ChargeCategory",
                       "ResourceId", "SkuId", "PricingCategory"], na_position="first", kind="stable")
    return f[[*FOCUS_COLUMNS, "folder"]].reset_index(drop=True)


def _commit_columns(f: pd.DataFrame) -> None:
    """Covered usage lines carry their commitment's id/name/type (looked up by pricing key)."""
    if "commit_obj" not in f:
        return
    has = f["commit_obj"].notna()
    for col, attr in (("CommitmentDiscountId", "cid"), ("CommitmentDiscountName", "name"),
                      ("CommitmentDiscountType", "ctype"), ("CommitmentDiscountCategory", "category")):
        vals = f.loc[has, "commit_obj"].map(lambda c, a=attr: getattr(c, a))
        f[col] = f[col].astype(object) if col in f else None
        f.loc[has, col] = vals
    f.loc[has, "CommitmentDiscountUnit"] = f.loc[has, "commit_obj"].map(
        lambda c: "Hours" if c.category == "Usage" else "USD")


def _invoice(pkey: str, month) -> str:
    ym = pd.Timestamp(month).strftime("%Y%m")
    acct = PROVIDERS[pkey]["account"][0]
    return {"aws": f"EUINUS{ym}-{acct[-4:]}", "azure": f"G0{ym}{acct[2:6].upper()}",
            "azure-eu": f"E0{ym}{acct[2:6].upper()}", "gcp": f"5{ym}{acct[:2]}77",
            "lexica": f"LX-{ym}-{acct[-4:]}"}[pkey]


def _with_tax(f: pd.DataFrame, win: Window) -> pd.DataFrame:
    """One Tax row per taxed billing account and billing period, rounded to the cent."""
    rows = []
    for (pkey, month), g in f[f["pkey"].isin(TAX)].groupby(["pkey", "BillingPeriodStart"]):
        base = int(g["BilledCost"].astype(object).sum())
        cents = round(base * TAX[pkey] / CENT)
        if cents == 0:
            continue
        sub = {"aws": "aws-shared", "azure-eu": "az-eu"}[pkey]
        m = pd.Timestamp(month).date()
        rows.append(dict(kind="tax", sub=sub, start=m, end=add_months(m, 1), amount=cents * CENT,
                         service="Tax", description="US sales tax" if pkey == "aws" else "VAT 19% (DE)"))
    if not rows:
        return f
    t = special_frame(rows, win)
    t["start"] = pd.to_datetime(t["start"]).astype("datetime64[s]")
    t["end"] = pd.to_datetime(t["end"]).astype("datetime64[s]")
    t["BillingPeriodStart"] = t["start"]
    return pd.concat([f, t], ignore_index=True)
