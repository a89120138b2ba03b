"""The canonical charge table: FOCUS column names and the types the store keeps them in.

focus.py normalises every supported FOCUS version (1.0-1.4 cost and usage) into exactly
these columns; store.py creates its `charges` table from them; the sample generator
writes FOCUS 1.3 files whose columns are a superset of the FOCUS ones here.

Money is DECIMAL(38, 10): exact sums to the cent and beyond; quantities are DOUBLE;
timestamps are TIMESTAMP holding UTC (FOCUS periods are UTC, end exclusive).
Columns that are not FOCUS carry the prefix `wb_` and are filled by ingest. Tags are not
parsed per row: a row keeps its Tags text and a tag-set key (wb_tag_set); the parsed map
lives once per distinct Tags value in the store's `tag_sets` table (see store.py).
"""

from __future__ import annotations

MONEY = "DECIMAL(38, 10)"
MONEY_SCALE = 10  # decimal places kept; finer amounts are rounded (with a warning)
MONEY_DIGITS = 38 - MONEY_SCALE  # before the decimal point
# Python Decimal precision for adding MONEY sums (the default 28 digits would round them).
EXACT_DIGITS = 80
QUANTITY = "DOUBLE"
TIME = "TIMESTAMP"
TEXT = "VARCHAR"

COST_COLUMNS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")

# FOCUS columns kept in the store, in this order, with their store types.
FOCUS_COLUMNS: dict[str, str] = {
    "BillingAccountId": TEXT,
    "BillingAccountName": TEXT,
    "BillingAccountType": TEXT,
    "SubAccountId": TEXT,
    "SubAccountName": TEXT,
    "SubAccountType": TEXT,
    "ProviderName": TEXT,
    "PublisherName": TEXT,
    "InvoiceIssuerName": TEXT,
    "ServiceProviderName": TEXT,
    "HostProviderName": TEXT,
    "InvoiceId": TEXT,
    "BillingPeriodStart": TIME,
    "BillingPeriodEnd": TIME,
    "ChargePeriodStart": TIME,
    "ChargePeriodEnd": TIME,
    "BillingCurrency": TEXT,
    "BilledCost": MONEY,
    "EffectiveCost": MONEY,
    "ListCost": MONEY,
    "ContractedCost": MONEY,
    "ListUnitPrice": MONEY,
    "ContractedUnitPrice": MONEY,
    "ChargeCategory": TEXT,
    "ChargeClass": TEXT,
    "ChargeDescription": TEXT,
    "ChargeFrequency": TEXT,
    "PricingCategory": TEXT,
    "PricingQuantity": QUANTITY,
    "PricingUnit": TEXT,
    "ConsumedQuantity": QUANTITY,
    "ConsumedUnit": TEXT,
    "CommitmentDiscountId": TEXT,
    "CommitmentDiscountName": TEXT,
    "CommitmentDiscountType": TEXT,
    "CommitmentDiscountCategory": TEXT,
    "CommitmentDiscountStatus": TEXT,
    "CommitmentDiscountQuantity": QUANTITY,
    "CommitmentDiscountUnit": TEXT,
    "CapacityReservationId": TEXT,
    "CapacityReservationStatus": TEXT,
    "ServiceCategory": TEXT,
    "ServiceSubcategory": TEXT,
    "ServiceName": TEXT,
    "SkuId": TEXT,
    "SkuPriceId": TEXT,
    "SkuMeter": TEXT,
    "SkuPriceDetails": TEXT,  # JSON as written; FOCUS puts an AI model's ModelId here
    "ResourceId": TEXT,
    "ResourceName": TEXT,
    "ResourceType": TEXT,
    "RegionId": TEXT,
    "RegionName": TEXT,
    "AvailabilityZone": TEXT,
    "AllocatedMethodId": TEXT,
    "AllocatedResourceId": TEXT,
    "AllocatedResourceName": TEXT,
    # 1.3 split cost allocation: the tags of the workload an allocated charge went to (JSON as
    # written); they decide its team, cost center, ... before the host's Tags (dimensions.py).
    "AllocatedTags": TEXT,
    "Tags": TEXT,  # the JSON object as written in the file (keys as written)
}

# Columns the workbench adds at ingest.
WB_COLUMNS: dict[str, str] = {
    "wb_provider": TEXT,  # ServiceProviderName (1.3+) else ProviderName: who sold the service
    # InvoiceIssuerName, else wb_provider: who bills the account. With BillingAccountId and
    # BillingPeriodStart it keys what a delivery replaces (store.py), so a corrected export
    # of a bill from many sellers (marketplace, SaaS) replaces every seller's rows.
    "wb_issuer": TEXT,
    # Key of the row's Tags text in the `tag_sets` table (store.py), which holds the parsed
    # map with case-folded keys once per distinct Tags value; NULL when the row has no Tags.
    "wb_tag_set": "BIGINT",
    "wb_alloc_tag_set": "BIGINT",  # the same for AllocatedTags, in the same tag_sets table
    "wb_focus_version": TEXT,  # detected from the columns: 1.0, 1.1, 1.2, 1.3, 1.4
    "wb_source_file": TEXT,  # path as given to ingest
    # 1-based data row in the source file (header not counted). Filled when the file went
    # through the precise reader (a file with warnings); NULL for files loaded by the fast
    # path (clean files), which never numbers rows.
    "wb_source_row": "BIGINT",
    "wb_delivery_id": "BIGINT",  # which ingest call loaded the row (see store.py: idempotency)
}

CANONICAL_COLUMNS: dict[str, str] = {**FOCUS_COLUMNS, **WB_COLUMNS}

# Allowed values (FOCUS 1.0-1.4); others are kept but warned about.
CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
PRICING_CATEGORIES = ("Standard", "Dynamic", "Committed", "Other")
CHARGE_FREQUENCIES = ("One-Time", "Recurring", "Usage-Based")
COMMITMENT_STATUSES = ("Used", "Unused")
