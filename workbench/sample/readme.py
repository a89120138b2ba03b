"""data/sample/README.md, written from the generated sample so its figures always match the data."""

from __future__ import annotations

from workbench.sample.company import COMPANY, ORG, UNKNOWN_TEAM
from workbench.schema import FOCUS_COLUMNS

FOCUS_COLUMN_NOTES = {
    "BillingAccountId": "payer account, EA/MCA billing account, GCP billing account, Lexica organization",
    "BillingAccountName": "its display name (`Helio Labs GmbH MCA` is the EUR account)",
    "BillingAccountType": "Billing Account, Billing Profile or Organization",
    "SubAccountId": "linked account, subscription, project or API workspace",
    "SubAccountName": "its name (`helio-sandbox` accounts hold the sandboxes)",
    "SubAccountType": "Linked Account, Subscription, Project or Workspace",
    "ProviderName": "AWS, Microsoft, Google Cloud, Lexica AI (deprecated in 1.3, still filled)",
    "PublisherName": "same as ProviderName",
    "InvoiceIssuerName": "same as ProviderName",
    "ServiceProviderName": "who sold the service; same values as ProviderName",
    "HostProviderName": "who hosts it; same values as ProviderName",
    "InvoiceId": "one invoice per billing account and billing period",
    "BillingPeriodStart": "first day of the billing month, 00:00Z",
    "BillingPeriodEnd": "first day of the next month (exclusive)",
    "ChargePeriodStart": "the day (usage, unused) or the month (purchases, credits, tax)",
    "ChargePeriodEnd": "exclusive end of the charge period",
    "BillingCurrency": "USD, or EUR for the German account",
    "BilledCost": "invoiced amount; 0 on covered usage",
    "EffectiveCost": "amortized amount; 0 on purchases",
    "ListCost": "list price x quantity; 0 on unused commitment",
    "ContractedCost": "negotiated price x quantity; 0 on unused commitment",
    "ListUnitPrice": "public price per PricingUnit (usage rows)",
    "ContractedUnitPrice": "negotiated (or spot) price per PricingUnit (usage rows)",
    "ChargeCategory": "Usage, Purchase, Credit, Adjustment (the refund), Tax",
    "ChargeClass": "Correction on the one correction row, else empty",
    "ChargeDescription": "service and meter, with On Demand / Spot / Committed",
    "ChargeFrequency": "Usage-Based, Recurring (monthly fees, tax), One-Time (upfront purchase, credits)",
    "PricingCategory": "Standard, Dynamic (spot), Committed; Standard on purchases",
    "PricingQuantity": "quantity in PricingUnit (4 decimals)",
    "PricingUnit": "Hours, GB-Mo, GB, DPU-Hour, 1M Tokens, USD (spend commitments), ...",
    "ConsumedQuantity": "as PricingQuantity; tokens for Lexica rows",
    "ConsumedUnit": "as PricingUnit; Tokens for Lexica rows",
    "CommitmentDiscountId": "the commitment on purchase, covered and unused rows",
    "CommitmentDiscountName": "its name (the Azure one states its end date)",
    "CommitmentDiscountType": "Savings Plan, Reservation, Committed Use Discount",
    "CommitmentDiscountCategory": "Spend or Usage",
    "CommitmentDiscountStatus": "Used (covered usage), Unused, else empty",
    "CommitmentDiscountQuantity": "hours or currency of the commitment consumed or left",
    "CommitmentDiscountUnit": "Hours or USD",
    "CapacityReservationId": "empty",
    "CapacityReservationStatus": "empty",
    "ServiceCategory": "AI and Machine Learning, Compute, Storage, Databases, Analytics, Networking, Management and Governance, Other",
    "ServiceSubcategory": "Virtual Machines, Containers, Generative AI, Machine Learning, Object/Block/Backup Storage, ...",
    "ServiceName": "provider service (Amazon Elastic Compute Cloud, Azure AI Search, Vertex AI Vector Search, Lexica AI API, ...)",
    "SkuId": "provider SKU",
    "SkuPriceId": "SkuId plus the pricing model",
    "SkuMeter": "what is metered (BoxUsage:p5.48xlarge, Input Tokens, ...)",
    "SkuPriceDetails": "JSON; on LLM API rows the ModelId and TokenType (FOCUS AI model identity)",
    "ResourceId": "provider-shaped id; the commitment id on purchase and unused rows; empty on support, credits, tax",
    "ResourceName": "resource name (node names end in -0, -1, ...)",
    "ResourceType": "Instance, Virtual machine, Endpoint, Bucket, Volume, Snapshot, ...",
    "RegionId": "us-east-1, eastus, westus3, westeurope, us-central1, us, global",
    "RegionName": "its display name",
    "AvailabilityZone": "AWS and GCP instances only",
    "AllocatedMethodId": "empty (no split cost allocation in the sample)",
    "AllocatedResourceId": "empty",
    "AllocatedResourceName": "empty",
    "AllocatedTags": "empty",
    "Tags": "JSON object text; see Tags below; empty on purchases, unused, credits, tax",
}


def _situations(planted: dict) -> str:
    lines = []
    for s in planted["situations"]:
        k = s["kind"]
        if k == "idle-gpu":
            text = (f"`{s['resource_name']}` ({s['provider']}, {s['gpu_count']} GPUs, {s['workload_class']}): "
                    f"utilization at most {s['max_gpu_utilization_pct']}% from {s['start']} to {s['end']} "
                    f"({s['days']} days), {s['effective_cost']} {s['currency']} spent meanwhile.")
        elif k == "cost-anomaly":
            days = ", ".join(f"{d}: {v}" for d, v in s["effective_cost_by_day"].items())
            text = (f"`{s['resource_name']}` (Lexica AI tokens): a retry loop; daily EffectiveCost {days} "
                    f"against a baseline of {s['baseline_daily_effective_cost']} {s['currency']} "
                    f"(excess {s['excess_effective_cost']}).")
        elif k == "orphaned-storage":
            names = ", ".join(f"`{r['resource_name']}`" for r in s["resources"])
            text = (f"{names}: volumes, snapshots and a disk of instances that no longer exist "
                    f"({s['last_month_effective_cost']} {s['currency']} in the last month).")
        elif k == "stale-sandbox":
            text = "; ".join(f"`{r['resource_name']}` ({r['provider']}, {r['days_running']} days, {r['tagging']})"
                             for r in s["resources"]) + ": sandbox environment, running around the clock, GPU idle."
        elif k == "on-demand-could-be-spot":
            text = (f"`llm-train-cluster-b-*` (AWS p4d.24xlarge, tag checkpointing=enabled) runs on demand: "
                    f"{s['on_demand_effective_cost']} {s['currency']}; at the spot share of its sister "
                    f"cluster it would cost {s['spot_equivalent_cost']} (savings {s['potential_savings']}).")
        elif k == "commitment-expiring":
            text = (f"{s['commitment_name']} expires {s['expires']} ({s['days_after_window']} days after the "
                    f"window); last monthly purchase {s['last_monthly_purchase']} {s['currency']}.")
        elif k == "commitment-underused":
            text = (f"{s['commitment_name']}: Unused from {s['unused_from']}, "
                    f"{s['unused_effective_cost']} {s['currency']} of unused EffectiveCost.")
        elif k == "commitment-lapsed":
            text = (f"{s['commitment_name']} ran {s['start']} to {s['expired']} "
                    f"({s['purchase_billed']} {s['currency']} billed once) and was not renewed.")
        elif k == "correction":
            text = (f"`{s['resource_name']}` was billed twice its hours on {s['charge_date']}; the "
                    f"{s['billing_period']} invoice carries a ChargeClass Correction row of {s['amount']}.")
        elif k == "refund":
            text = f"a duplicate AWS Support fee refunded in {s['billing_period']} ({s['amount']} {s['currency']})."
        else:
            text = s.get("note", "")
        lines.append(f"| `{s['id']}` | {k} | {text} |")
    return "\n".join(lines)


def readme(sample, manifest: dict) -> str:
    p = sample.planted
    w = sample.window
    teams = "\n".join(f"| {t} | {cc} | {bu} | {o} |" for t, (cc, bu, o) in ORG.items())
    totals = "\n".join(f"| {c} | {v['billed_cost']} | {v['effective_cost']} |" for c, v in manifest["totals"].items())
    columns = "\n".join(f"| {c} | {FOCUS_COLUMN_NOTES[c]} |" for c in FOCUS_COLUMNS)
    tags = ", ".join(f"{k.replace('_', ' ')} {v:.1%}" for k, v in p["tagging"].items())
    events = "\n".join(f"- {e['date']}: {e['id']} ({e['application']}): {e['effect']}" for e in p["events"])
    return f"""# The sample dataset: {COMPANY}

Generated by `workbench sample` (seed {sample.seed}, {w.months} months ending {w.end_month}:
{w.start.isoformat()} to {w.stop.isoformat()}, end exclusive). Do not edit by hand:
regenerate with

    workbench sample --seed {sample.seed} --months {w.months} --end {w.end_month}

The same seed and end month always give the same data (`manifest.json` records both, the
row counts, the per-currency totals of every file and their SHA-256).

{COMPANY} is a fictional mid-size AI product company: a chat assistant, a semantic search
product and a document intelligence service, plus a research group that trains its own
models. It buys compute from AWS, Microsoft Azure and Google Cloud, and tokens from Lexica AI,
a (fictional) LLM API provider billed per million tokens.

## Files

| path | what |
|---|---|
| `focus/<provider>/<YYYY-MM>.parquet` | FOCUS 1.3 cost and usage rows, one file per provider folder and billing period |
| `drivers.csv` | daily business drivers per application and workload class |
| `org.csv` | team, cost center, business unit, owner |
| `budgets.csv` | monthly budget per team, workload class and currency |
| `telemetry.csv` | daily GPU utilization per GPU resource |
| `quality.csv` | daily success rate and p95 latency per application |
| `planted.json` | the hidden situations below, machine-readable (ids, dates, amounts) |
| `manifest.json` | seed, end month, rows, totals and checksums of every file |

Totals over all files ({manifest['rows']} FOCUS rows):

| currency | BilledCost | EffectiveCost |
|---|---|---|
{totals}

Never add the two currencies: the EUR rows are a small German subsidiary's Azure billing
account (`Helio Labs GmbH MCA`, in the `azure` folder with its own InvoiceId).

## The FOCUS files

- Columns: every FOCUS column the workbench keeps (`workbench/schema.py`), with
  ServiceProviderName and ProviderName both filled, HostProviderName, InvoiceId,
  BillingAccountType/SubAccountType. Costs are DECIMAL(38,10) (exact), quantities DOUBLE,
  timestamps UTC (`TIMESTAMP WITH TIME ZONE`), periods end-exclusive. Tags is JSON object text.
- Column by column:

| column | in this sample |
|---|---|
{columns}

- Daily rows (ChargePeriodStart at 00:00Z, ChargePeriodEnd the next day). Clusters are billed
  per node (`llm-train-cluster-a-0` ... `-3`), serving fleets add nodes as traffic grows.
- ProviderName values: `AWS`, `Microsoft`, `Google Cloud`, `Lexica AI`.
- Prices are late-2025 public list prices (p5.48xlarge 55.04 USD/h, ND96isr_H100_v5 98.32,
  a3-highgpu-8g 88.2494, ...). ContractedUnitPrice carries a negotiated discount (AWS 6%,
  Azure 5%, GCP 4%, Lexica 10%); spot rows (PricingCategory Dynamic) bill a share of list.
- Lexica AI rows: ServiceCategory "AI and Machine Learning", SkuMeter "Input Tokens",
  "Output Tokens" or "Embedding Tokens", PricingUnit "1M Tokens", ConsumedQuantity in tokens.
  Token spend is exactly drivers tokens x price.

### Commitments

| id (short) | what | payment |
|---|---|---|
| AWS Compute Savings Plan | Spend, $6.50/hour at 72% of list, covers platform nodes, staging endpoint, eval CPUs | monthly Purchase (Recurring) |
| AWS RI p5.48xlarge x2 | Usage, 1 year, covers `chat-endpoint-prod` | all upfront, one Purchase row (One-Time); only when the term fits the window |
| Azure reservation ND96isr_H100_v5 x2 | Usage, 1 year, covers `assistant-serving-eastus` | monthly |
| GCP CUD a2-highgpu-8g x4 | Usage, 3 years, covers `pretrain-a2-pool` | monthly |

- Purchase rows: ChargeCategory Purchase, BilledCost > 0, EffectiveCost 0, List = Contracted = Billed.
- Covered usage: PricingCategory Committed, CommitmentDiscountStatus Used, BilledCost 0,
  EffectiveCost the amortized share; usage beyond the commitment is split into a Standard row.
- Unused capacity: ChargeCategory Usage, Status Unused, EffectiveCost > 0, ListCost and
  ContractedCost 0 (no list price applies to capacity nobody used).
- Per CommitmentDiscountId, Used + Unused EffectiveCost equals Purchase BilledCost to the 1e-10.

### Credits, refund, tax, correction

- Credits (ChargeCategory Credit, EffectiveCost = BilledCost < 0): AWS Generative AI
  Accelerator credits in the first months; a Lexica startup credit in the first month.
- A refund (ChargeCategory Adjustment, negative) of a duplicate AWS Support fee.
- Tax (ChargeCategory Tax): illustrative US sales tax on the AWS invoice (4%), German VAT (19%)
  on the EUR account; rounded to the cent per invoice.
- A correction (ChargeClass Correction) in a later billing period for an earlier charge period.

### Tags

Keys `team`, `environment`, `workload`, `application`, `model`, `cost_center`, `owner` on most
resources. Shares of usage EffectiveCost: {tags}.
Mis-keyed resources use `Team`, `env`, `CostCenter`, `Workload`, `app`,
`model_name` (case-insensitive lookup and the `[tags]` aliases in workbench.toml resolve
them); "no team key" resources carry only `environment` and `owner`. Some resources carry team `{UNKNOWN_TEAM}`, which is not in org.csv. Several AI
resources have no `workload` tag and must be classified by name (`pretrain-a2-pool`,
`chat-endpoint-prod`, `vertex-vector-index-prod`, ...). Training clusters that checkpoint carry
`checkpointing=enabled`.

## Business files

`drivers.csv`: one row per date x application x workload_class.

| column | meaning |
|---|---|
| date | UTC day, YYYY-MM-DD |
| application | assistant, semantic-search, doc-intelligence; research teams (foundation-models, applied-ml, evals) for their own rows |
| workload_class | one of the workbench workload classes |
| requests | user requests (assistant, search), pages (doc-intelligence), judged prompts (evaluation) |
| input_tokens, output_tokens | Lexica AI tokens billed for this application and class (embeddings: in input_tokens) |
| training_runs | training or fine-tuning clusters/jobs running that day |
| active_users | distinct daily users |
| documents_processed | documents processed (doc-intelligence) or indexed (semantic-search embeddings) |

`org.csv`: team, cost_center, business_unit, owner.

| team | cost_center | business_unit | owner |
|---|---|---|---|
{teams}

`budgets.csv`: month (YYYY-MM), team, workload_class, currency, budget (whole currency units,
planned from a growth trend with a planning error per line; some lines run over).

`telemetry.csv`: date, resource_id (FOCUS ResourceId), gpu_utilization_pct and gpu_memory_pct
(daily mean, 0-100), gpu_count; one row per GPU resource and day it ran.

`quality.csv`: date, application, success_rate (0-1), p95_latency_ms.

## What the data hides

Story events:
{events}

| id | kind | what |
|---|---|---|
{_situations(p)}

Every amount above is measured on the generated files (EffectiveCost unless stated); the
same facts are in `planted.json` for tests.
"""
