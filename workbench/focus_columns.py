"""What a header says: FOCUS version, required and mandatory columns, legacy (non-FOCUS) formats.

Column sets follow the FOCUS specification (cost and usage dataset), each version listing
the columns it introduced. A version is detected as the newest one whose new columns
appear in the header; because most new columns are conditional, a sparse 1.3 export can
read as an older version, which changes no figure (only which warnings are given).
"""

from __future__ import annotations

from workbench.schema import (
    CHARGE_CATEGORIES,
    CHARGE_FREQUENCIES,
    COMMITMENT_STATUSES,
    PRICING_CATEGORIES,
)

FOCUS_1_0 = (
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName",
    "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory",
    "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd",
    "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId",
    "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory",
    "ServiceName", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags",
)

# Columns each later version introduced (the detection markers).
INTRODUCED: dict[str, tuple[str, ...]] = {
    "1.1": ("CapacityReservationId", "CapacityReservationStatus", "CommitmentDiscountQuantity",
            "CommitmentDiscountUnit", "ServiceSubcategory", "SkuMeter", "SkuPriceDetails"),
    "1.2": ("BillingAccountType", "SubAccountType", "InvoiceId", "PricingCurrency",
            "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
            "PricingCurrencyListUnitPrice"),
    "1.3": ("ServiceProviderName", "HostProviderName", "ContractApplied", "AllocatedMethodId",
            "AllocatedMethodDetails", "AllocatedResourceId", "AllocatedResourceName",
            "AllocatedTags"),
    "1.4": ("InvoiceDetailId", "CommitmentProgramEligibilityDetails", "TagDetails"),
}


# FOCUS 1.0-preview names that 1.0 renamed; OCI's FOCUS cost reports still use them.
PREVIEW_NAMES = {"Provider": "ProviderName", "Publisher": "PublisherName",
                 "InvoiceIssuer": "InvoiceIssuerName", "Region": "RegionId",
                 "UsageQuantity": "ConsumedQuantity", "UsageUnit": "ConsumedUnit"}

# FOCUS 0.5 names the 1.0-preview renamed; exports made with FOCUS 0.5 tools (the first
# converters and FinOps toolkit releases) still carry them.
FOCUS_05_NAMES = {"AmortizedCost": "EffectiveCost", "ChargeType": "ChargeCategory"}

# 1.0-preview columns 1.0 dropped, and the 1.0 column their values fill when it is absent:
# preview ChargeSubcategory "Used Commitment" / "Unused Commitment" is 1.0's
# CommitmentDiscountStatus "Used" / "Unused" (its other values have no 1.0 column).
PREVIEW_DERIVED = {"CommitmentDiscountStatus": (
    "ChargeSubcategory", {"Used Commitment": "Used", "Unused Commitment": "Unused"})}


# 1.0-preview values that 1.0 renamed, read as their 1.0 values in any file (no 1.0 value is
# spelled so, and OCI's reports write them on every on-demand or committed row).
PREVIEW_VALUES = {"PricingCategory": {"On-Demand": "Standard", "Commitment-Based": "Committed"}}


def value_spellings(column: str) -> dict[str, str]:
    """Lower-cased value -> the FOCUS value it reads as, for a column of named values.

    FOCUS values are case-sensitive, but Google Cloud's FOCUS BigQuery view writes some in
    lower case (ChargeCategory `usage`, `tax`; PricingCategory `committed`; ChargeClass
    `correction`): read as FOCUS spells them, a tax row is tax and a purchase a purchase.
    Empty for a column of free text."""
    values = ENUMERATED.get(column, ())
    return ({v.lower(): v for v in values}
            | {k.lower(): v for k, v in PREVIEW_VALUES.get(column, {}).items()})


def derived_from(column: str, mapping: dict[str, str]) -> str | None:
    """The preview column that fills `column` in a file whose columns are `mapping`, or None
    (the file has the column itself, or nothing to fill it from)."""
    source = PREVIEW_DERIVED.get(column, ("",))[0]
    return source if column not in mapping and source in mapping else None


SERVICE_CATEGORIES = (
    "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases",
    "Developer Tools", "Multicloud", "Identity", "Integration", "Internet of Things",
    "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security",
    "Storage", "Web", "Other",
)

# The columns whose values FOCUS names, with those values (1.0-1.4).
ENUMERATED: dict[str, tuple[str, ...]] = {
    "ChargeCategory": CHARGE_CATEGORIES, "ChargeClass": ("Correction",),
    "ChargeFrequency": CHARGE_FREQUENCIES, "PricingCategory": PRICING_CATEGORIES,
    "CommitmentDiscountStatus": COMMITMENT_STATUSES,
    "CommitmentDiscountCategory": ("Spend", "Usage"), "ServiceCategory": SERVICE_CATEGORIES,
}

ALL_FOCUS_COLUMNS: frozenset[str] = frozenset(FOCUS_1_0).union(*INTRODUCED.values())

# Without these the workbench cannot total, date or label a charge: missing means error.
REQUIRED = ("BilledCost", "EffectiveCost", "BillingCurrency", "ChargePeriodStart",
            "ChargePeriodEnd", "ChargeCategory", "BillingPeriodStart")
PROVIDER_COLUMNS = ("ServiceProviderName", "ProviderName")  # either one (1.3 renamed it)

# Mandatory in the spec but not needed by the workbench: missing means a warning.
_MANDATORY_1_0 = ("BillingAccountId", "BillingAccountName", "BillingPeriodEnd", "ChargeClass",
                  "ChargeDescription", "ContractedCost", "InvoiceIssuerName", "ListCost",
                  "PricingQuantity", "PricingUnit", "ServiceCategory", "ServiceName")
MANDATORY: dict[str, tuple[str, ...]] = {
    "1.0": (*_MANDATORY_1_0, "PublisherName"),
    "1.1": (*_MANDATORY_1_0, "PublisherName"),
    "1.2": (*_MANDATORY_1_0, "PublisherName"),
    # 1.3 adds ServiceProviderName and HostProviderName, and deprecates ProviderName and
    # PublisherName (still mandatory in 1.3, but a 1.4 export, which drops them, reads as
    # 1.3 when it lacks the conditional columns that mark 1.4: not warned).
    "1.3": (*_MANDATORY_1_0, "ServiceProviderName", "HostProviderName"),
    # 1.4's InvoiceDetailId is conditional: only an export of payable invoices has it.
    "1.4": (*_MANDATORY_1_0, "ServiceProviderName", "HostProviderName"),
}


# Columns a provider wrote before the version that introduced them: Azure's FOCUS 1.0
# export carries BillingAccountType and SubAccountType (1.2). They do not mark a version.
EARLY_COLUMNS = frozenset({"BillingAccountType", "SubAccountType"})


def detect_version(columns: set[str]) -> str:
    """The newest FOCUS version whose introduced columns appear in `columns` (exact names)."""
    found = "1.0"
    for version, markers in INTRODUCED.items():
        if columns.intersection(markers).difference(EARLY_COLUMNS):
            found = version
    return found


# FOCUS datasets other than cost and usage (1.4 adds Contract Commitment, Billing Period and
# Invoice Detail; a provider may write them beside the cost export), by columns only they
# have. They hold no charges: a folder that mixes them in loads its cost files.
OTHER_DATASETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Contract Commitment", ("ContractCommitmentId", "ContractCommitmentCategory")),
    ("Invoice Detail", ("InvoiceDetailGrain", "InvoiceIssueDate", "PaymentDueDate")),
    ("Billing Period", ("BillingPeriodStatus", "BillingPeriodCreated")),
    ("SKU Price", ("SkuPriceEffectiveStart", "SkuPriceCreated")),
    ("Recommendation", ("RecommendationId", "RecommendationCategory")),
)


def other_dataset(columns: list[str]) -> str | None:
    """The name of the other FOCUS dataset a header is, or None. Only a header that lacks a
    column cost and usage requires counts: a cost export with extra columns is read as one."""
    names = set(columns)
    if all(c in names for c in REQUIRED):
        return None
    for name, markers in OTHER_DATASETS:
        if names.intersection(markers):
            return name
    return None


# Billing formats that are not FOCUS, recognised by columns no FOCUS export has.
# Checked in order: OCI shares the `lineItem/` prefix with AWS, so it goes first.
LEGACY_FORMATS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("oci", ("cost/mycost", "lineitem/referenceno", "lineitem/tenantid", "product/compartmentid"),
     "looks like an Oracle Cloud (OCI) cost report, not FOCUS; export the FOCUS cost report "
     "from OCI Cost Management"),
    ("aws", ("identity/lineitemid", "lineitem/unblendedcost", "bill/payeraccountid",
             "line_item_unblended_cost", "identity_line_item_id", "bill_payer_account_id"),
     "looks like a legacy AWS Cost and Usage Report, not FOCUS; export FOCUS from AWS Data "
     "Exports"),
    ("azure", ("metercategory", "costinbillingcurrency", "pretaxcost", "subscriptionguid",
               "metersubcategory", "consumedservice", "instanceid"),
     "looks like an Azure usage details (cost details) export, not FOCUS; export the FOCUS "
     "cost dataset from Azure Cost Management exports"),
    ("gcp", ("usage_start_time", "service.description", "sku.description", "project.id",
             "invoice.month", "cost_at_list", "service_description", "sku_description"),
     "looks like a Google Cloud BigQuery billing export, not FOCUS; export Google Cloud's "
     "FOCUS BigQuery view instead"),
)


def legacy_format(columns: list[str]) -> str | None:
    """The message for a known non-FOCUS billing header, or None.

    A header with most FOCUS required columns is treated as FOCUS even when it also carries
    provider columns (some exports append them), so only near-FOCUS-free headers match.
    """
    lowered = {c.strip().lower() for c in columns}
    focus_like = sum(1 for c in REQUIRED if c.lower() in lowered)
    if focus_like >= 3:
        return None
    for _name, signature, message in LEGACY_FORMATS:
        if lowered.intersection(signature):
            return message
    return None
