"""Row checks over a staged FOCUS table, as SQL conditions run in one aggregate pass.

Each check names its column, whether it is an error or a warning, the condition that
finds bad rows and the value shown in the message. Errors are problems that would make
a total wrong or unplaceable (unreadable or empty costs, dates, currencies); warnings are
everything the workbench can still count correctly.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.focus_columns import SERVICE_CATEGORIES
from workbench.focus_sql import (
    BAD_OFFSET_MESSAGE,
    EMPTY_TAGS_RE,
    FORMULA_PREFIX,
    PLAIN_NUMBER,
    ident,
    literal,
    offset_beyond,
    tags_map_expr,
)
from workbench.schema import (
    CHARGE_CATEGORIES,
    CHARGE_FREQUENCIES,
    COMMITMENT_STATUSES,
    MONEY,
    MONEY_DIGITS,
    MONEY_SCALE,
    PRICING_CATEGORIES,
    TIME,
)

ERROR, WARNING = "error", "warning"
LISTED_PER_CHECK = 5  # rows listed per problem kind before a count


@dataclass(frozen=True)
class Check:
    level: str
    column: str | None
    condition: str  # SQL over the staged table, true for a bad row
    value: str  # SQL shown as {value} in the message
    message: str  # may hold {value}
    listed: int = LISTED_PER_CHECK  # rows listed before a count line
    # Reads the text as written (a ROUNDED column), which only the precise reader's table and
    # the fast path's numbered re-read hold: the fast path counts such rows by its marker.
    text: bool = False


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(literal(v) for v in values)


def _allowed(column: str, values: tuple[str, ...], level: str = WARNING) -> Check:
    col = ident(column)
    return Check(level, column, f"{col} IS NOT NULL AND {col} NOT IN ({_in(values)})", col,
                 "unknown value {value}; expected one of " + ", ".join(values))


# Costs and the dates that place a charge: a value that does not read is an error, since a
# total would be wrong or unplaceable. Any other typed column (unit prices, quantities,
# BillingPeriodEnd) reads as empty with a warning: nothing is totalled or dated by it.
MUST_READ = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ChargePeriodStart",
             "ChargePeriodEnd", "BillingPeriodStart")

# Required non-empty columns: a missing value here means a charge cannot be totalled or dated.
NOT_EMPTY = ("BilledCost", "EffectiveCost", "BillingCurrency", "ChargePeriodStart",
             "ChargePeriodEnd", "BillingPeriodStart")


# The dates that place a charge in a month must be of years a cloud bill can have: 0001,
# 1900 or 9999 is a tool's placeholder for "no date", and a month the calendar the report
# computes with (pandas: 1677 to 2262) cannot hold, or a month no report shows.
PLACED_BY = ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart")
FIRST_YEAR, LAST_YEAR = 2000, 2199
IMPLAUSIBLE = (f"not a plausible date: {{value}}; a charge is dated from {FIRST_YEAR} to "
               f"{LAST_YEAR} (a year such as 0001, 1900 or 9999 is a placeholder for no date), "
               "and no month of a report could hold it")


def build_checks(present: dict[str, str], bad_columns: dict[str, str]) -> list[Check]:
    """Checks for the canonical columns `present` (name -> store type) of one file.

    `bad_columns` maps a canonical column to its `wb_bad_` column (unconvertible values).
    """
    checks: list[Check] = []
    non_finite = "('nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity')"
    for column, bad in bad_columns.items():
        kind = present[column]
        b = ident(bad)
        what = {MONEY: "a number", TIME: "an ISO-8601 date or timestamp"}.get(kind, "a finite number")
        # An offset no zone has (+25:00, which DuckDB reads) is said so, not as 'not a date'.
        seen = f"{b} IS NOT NULL"
        if kind == TIME:
            beyond = f"coalesce({offset_beyond(b)}, false)"
            level, empty = (ERROR, "") if column in MUST_READ else (WARNING, "; read as empty")
            checks.append(Check(level, column, f"{seen} AND {beyond}", b,
                                f"{BAD_OFFSET_MESSAGE}: {{value}}{empty}"))
            seen += f" AND NOT {beyond}"
        if column not in MUST_READ:
            checks.append(Check(WARNING, column, seen, b,
                                f"not {what}: {{value}}; read as empty"))
        elif kind == MONEY:
            checks.append(Check(ERROR, column, f"{b} IS NOT NULL AND lower(trim({b})) IN "
                                f"{non_finite}", b, "not a finite amount: {value}"))
            # A number beyond DECIMAL(38, 10) is no typo but would still be a wrong total.
            too_large = (f"abs(TRY_CAST(trim({b}) AS DOUBLE)) BETWEEN 1e{MONEY_DIGITS - 1} "
                         "AND 1.7e308")
            checks.append(Check(ERROR, column, f"{b} IS NOT NULL AND {too_large}", b,
                                f"too large: {{value}}; amounts are read up to {MONEY_DIGITS} "
                                "digits before the decimal point"))
            checks.append(Check(ERROR, column, f"{b} IS NOT NULL AND lower(trim({b})) NOT IN "
                                f"{non_finite} AND NOT coalesce({too_large}, false)", b,
                                "not a number: {value}; write amounts as plain decimals, like -1234.5"))
        else:
            checks.append(Check(ERROR, column, seen, b, f"not {what}: {{value}}"))
    for column in NOT_EMPTY:
        if column in present:
            cond = f"{ident(column)} IS NULL"
            if column in bad_columns:
                cond += f" AND {ident(bad_columns[column])} IS NULL"
            checks.append(Check(ERROR, column, cond, "NULL", "empty; a value is required"))
    for column in PLACED_BY:
        if column in present:
            col = ident(column)
            # an end is exclusive: a charge of 31 December 2199 ends at 2200-01-01T00:00:00Z
            below = "<=" if column == "ChargePeriodEnd" else "<"
            checks.append(Check(ERROR, column, f"NOT ({col} >= TIMESTAMP '{FIRST_YEAR}-01-01' "
                                f"AND {col} {below} TIMESTAMP '{LAST_YEAR + 1}-01-01')",
                                f"CAST({col} AS VARCHAR)", IMPLAUSIBLE))
    if "BillingCurrency" in present:
        checks.append(Check(ERROR, "BillingCurrency",
                            "NOT regexp_full_match(\"BillingCurrency\", '[A-Z]{3}')",
                            '"BillingCurrency"', "not a 3-letter ISO 4217 currency code: {value}"))
    checks.append(Check(WARNING, "ChargeCategory", '"ChargeCategory" IS NULL', "NULL",
                        "empty; expected one of " + ", ".join(CHARGE_CATEGORIES)))
    checks.append(_allowed("ChargeCategory", CHARGE_CATEGORIES))
    optional_values = (("ChargeClass", ("Correction",)), ("PricingCategory", PRICING_CATEGORIES),
                       ("ChargeFrequency", CHARGE_FREQUENCIES),
                       ("CommitmentDiscountStatus", COMMITMENT_STATUSES),
                       ("ServiceCategory", SERVICE_CATEGORIES))
    for column, values in optional_values:
        if column in present:
            checks.append(_allowed(column, values))
    checks.append(Check(WARNING, "ChargePeriodEnd",
                        '"ChargePeriodEnd" < "ChargePeriodStart"', 'CAST("ChargePeriodEnd" AS VARCHAR)',
                        "ends before ChargePeriodStart ({value})"))
    if "BillingPeriodEnd" in present:  # swapped: the period would go by its end's month
        checks.append(Check(WARNING, "BillingPeriodEnd",
                            '"BillingPeriodEnd" < "BillingPeriodStart"',
                            'CAST("BillingPeriodEnd" AS VARCHAR)',
                            "ends before BillingPeriodStart ({value}); are the two swapped? "
                            "The charge is billed in the period BillingPeriodStart names"))
    checks.append(Check(WARNING, None, "wb_provider IS NULL", "NULL",
                        "no provider name (ServiceProviderName / ProviderName empty)"))
    if "Tags" in present:
        checks.append(Check(WARNING, "Tags", _no_tag_object("Tags", "wb_tags"), '"Tags"',
                            "not a JSON object of unique keys; row kept without tags: {value}"))
        formula = (f"list_filter(map_values(wb_tags), lambda v: regexp_matches(v, '{FORMULA_PREFIX}') "
                   f"AND NOT regexp_matches(v, '{PLAIN_NUMBER}'))")
        checks.append(Check(WARNING, "Tags", f"len({formula}) > 0", f"{formula}[1]",
                            "tag value looks like a spreadsheet formula: {value}; kept as text, "
                            "never evaluated (take care when opening exports in a spreadsheet)"))
    if "AllocatedTags" in present:
        parsed = tags_map_expr(ident("AllocatedTags"))[0]
        checks.append(Check(WARNING, "AllocatedTags", _no_tag_object("AllocatedTags", parsed),
                            '"AllocatedTags"', "not a JSON object of unique keys; the charge "
                            "goes by its Tags: {value}"))
    if "CommitmentDiscountStatus" in present:
        checks.append(Check(WARNING, "BilledCost",
                            "\"CommitmentDiscountStatus\" = 'Used' AND \"BilledCost\" <> 0",
                            'CAST(CAST("BilledCost" AS DOUBLE) AS VARCHAR)',
                            "covered usage (CommitmentDiscountStatus Used) should have BilledCost "
                            "0, not {value}: the commitment purchase already billed it"))
        checks.append(Check(WARNING, "ChargeCategory",
                            "\"CommitmentDiscountStatus\" = 'Unused' AND \"ChargeCategory\" <> 'Usage'",
                            '"ChargeCategory"',
                            "unused commitment rows should have ChargeCategory Usage, not {value}"))
    if "CommitmentDiscountId" in present:
        checks.append(Check(WARNING, "EffectiveCost",
                            "\"ChargeCategory\" = 'Credit' AND \"CommitmentDiscountId\" IS NULL "
                            "AND \"EffectiveCost\" <> \"BilledCost\"",
                            'CAST(CAST("EffectiveCost" AS DOUBLE) AS VARCHAR)',
                            "a credit should have EffectiveCost equal to BilledCost, not {value}"))
    # FOCUS zeroes a purchase's EffectiveCost when usage rows carry it, amortized under the
    # commitment's id; a purchase that names no commitment leaves no row to carry it.
    no_commitment = ("\"CommitmentDiscountId\" IS NULL AND " if "CommitmentDiscountId" in present
                     else "")
    checks.append(Check(WARNING, "EffectiveCost",
                        f"\"ChargeCategory\" = 'Purchase' AND {no_commitment}"
                        "\"EffectiveCost\" = 0 AND \"BilledCost\" <> 0",
                        'CAST(CAST("BilledCost" AS DOUBLE) AS VARCHAR)',
                        "a purchase of no commitment (CommitmentDiscountId empty) has "
                        "EffectiveCost 0 against BilledCost {value}: with no commitment to "
                        "amortize it over, effective-cost figures leave it out"))
    for column in (c for c, kind in present.items() if kind == MONEY):
        text = ident(rounded_column(column))
        checks.append(Check(WARNING, column, f"{text} IS NOT NULL", text,
                            f"more than {MONEY_SCALE} decimal places, read rounded half away from "
                            f"zero to {MONEY_SCALE}: {{value}}", listed=1, text=True))
    return checks


def rounded_column(column: str) -> str:
    """The column that holds an amount's text where it had digits beyond MONEY_SCALE."""
    return f"wb_round_{column}"


def _no_tag_object(column: str, parsed: str) -> str:
    """A tags text that holds text but no tag: `parsed` is its map (empty or NULL when the
    text is no JSON object of unique keys); `{}` and `[]` hold no tag and are fine."""
    text = ident(column)
    return (f"{text} IS NOT NULL AND coalesce(cardinality({parsed}), 0) = 0 AND "
            f"NOT regexp_full_match({text}, '{EMPTY_TAGS_RE}')")


def structural_checks(present: dict[str, str], names: dict[str, str],
                      bad_columns: dict[str, str]) -> list[Check]:
    """Rows that are no charge at all, said once each instead of once per column: the header
    again (two exports joined with `cat`) and rows with every field empty (a spreadsheet's
    trailing ",,,,"). `names` maps a canonical column to its name in the file."""
    header_again = " AND ".join(f"{ident(c)} = {literal(names[c])}"
                                for c in ("BillingCurrency", "ChargeCategory"))
    values = ([f"CAST({ident(c)} AS VARCHAR)" for c in present]
              + [ident(b) for b in bad_columns.values()])
    return [Check(ERROR, None, header_again, "NULL",
                  "this row repeats the header (files joined one after the other?); remove it"),
            Check(ERROR, None, f"coalesce({', '.join(values)}) IS NULL", "NULL",
                  "every field of this row is empty; remove the row")]
