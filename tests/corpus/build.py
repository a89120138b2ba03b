"""The bad-input corpus: writes every case into a folder (files are made, not committed).

Each case is (file name, bytes or a writer, expectation). `CASES` maps a case name to the
file written and what `scan_file` must say about it: ok or not, and a phrase that the one
clear message contains.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HEADER = ["BillingAccountId", "BillingAccountName", "BillingPeriodStart", "BillingPeriodEnd",
          "ChargePeriodStart", "ChargePeriodEnd", "BillingCurrency", "BilledCost",
          "EffectiveCost", "ListCost", "ContractedCost", "ChargeCategory", "ChargeClass",
          "ChargeDescription", "ProviderName", "PublisherName", "InvoiceIssuerName",
          "ServiceCategory", "ServiceName", "PricingQuantity", "PricingUnit", "Tags", "x_Note"]


def row(**over) -> dict:
    base = {"BillingAccountId": "acct-1", "BillingAccountName": "Example",
            "BillingPeriodStart": "2026-05-01T00:00:00Z", "BillingPeriodEnd": "2026-06-01T00:00:00Z",
            "ChargePeriodStart": "2026-05-02T00:00:00Z", "ChargePeriodEnd": "2026-05-03T00:00:00Z",
            "BillingCurrency": "USD", "BilledCost": "10.25", "EffectiveCost": "9.75",
            "ListCost": "12.00", "ContractedCost": "11.00", "ChargeCategory": "Usage",
            "ChargeClass": "", "ChargeDescription": "GPU hours", "ProviderName": "Example Cloud",
            "PublisherName": "Example Cloud", "InvoiceIssuerName": "Example Cloud",
            "ServiceCategory": "AI and Machine Learning", "ServiceName": "Training",
            "PricingQuantity": "3", "PricingUnit": "Hours", "Tags": '{"Team":"ml","env":"prod"}',
            "x_Note": "custom"}
    base.update(over)
    return base


def csv_bytes(rows: list[dict], header: list[str] = HEADER, newline: str = "\n") -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator=newline, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


GOOD = [row(), row(BilledCost="-2.50", EffectiveCost="-2.50", ChargeCategory="Credit",
                ListCost="", ContractedCost="", Tags=""),
        row(BillingCurrency="EUR", BilledCost="0.0000000001", EffectiveCost="1e2")]


@dataclass(frozen=True)
class Case:
    name: str  # file name
    ok: bool
    says: str  # a phrase the first error (or a warning when ok) contains
    row: int | None = None  # the row that problem names, when it names one
    column: str | None = None


def _ragged() -> bytes:
    good = csv_bytes(GOOD)
    return good + b"acct-1,Example,2026-05-01,2026-06-01\n"


def _not_utf8() -> bytes:
    data = csv_bytes([row(), row(ChargeDescription="caf\u00e9"), row()])
    return data.replace("caf\u00e9".encode(), b"caf\xe9")


def _parquet(path: Path, cost_type: str) -> None:
    cols = {h: [r[h] or None for r in GOOD] for h in HEADER}
    table = pa.table(cols)
    if cost_type != "string":
        for name in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
            values = [None if v is None else float(v) for v in cols[name]]
            arr = pa.array(values, pa.float64())
            if cost_type == "decimal":
                arr = arr.cast(pa.decimal128(20, 10))
            table = table.set_column(table.schema.get_field_index(name), name, arr)
        ts = pa.array([datetime.fromisoformat(v) for v in cols["ChargePeriodStart"]],
                      pa.timestamp("us", tz="UTC"))
        table = table.set_column(table.schema.get_field_index("ChargePeriodStart"),
                                 "ChargePeriodStart", ts)
    pq.write_table(table, path)


def _parquet_bytes() -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(GOOD), buf)
    return buf.getvalue()


def _cut_parquet() -> bytes:
    """A Parquet file cut short, as an interrupted download leaves it: no footer."""
    whole = _parquet_bytes()
    return whole[:len(whole) // 2]


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")

HOSTILE = {"<script>alert(1)</script>": "x", "Team": "=HYPERLINK(\"http://evil\",\"click\")",
           "k" * 10_000: "<img src=x onerror=alert(1)>", "cost": "-12.5"}

CASES: dict[str, tuple[Case, object]] = {
    "good": (Case("good.csv", True, ""), csv_bytes(GOOD)),
    "empty": (Case("empty.csv", False, "empty file (0 bytes)"), b""),
    "header_only": (Case("header_only.csv", True, "no data rows"), csv_bytes([])),
    "truncated_gzip": (Case("truncated.csv.gz", False, "truncated or corrupt gzip"),
                       gzip.compress(csv_bytes(GOOD * 400))[:600]),
    # a plain CSV download cut short inside a quoted field
    "cut_in_quotes": (Case("cut.csv", False, "a quoted field that never ends", 6,
                           "ChargeDescription"),
                      csv_bytes(GOOD * 2).rsplit(b"GPU hours", 1)[0] + b'"GPU ho'),
    # compressed in pieces (a member per batch, as streaming writers append them), the first
    # ending inside the header: gunzip and DuckDB read it as one text
    "gzip_in_pieces": (Case("pieces.csv.gz", True, ""),
                       gzip.compress(csv_bytes(GOOD)[:40]) + gzip.compress(csv_bytes(GOOD)[40:])),
    "gzip_in_gzip": (Case("twice.csv.gz", False, "compressed twice"),
                     gzip.compress(gzip.compress(csv_bytes(GOOD)))),
    # cut before its header line ends: not an empty file, nor one missing its columns
    "truncated_gzip_in_header": (Case("truncated_head.csv.gz", False, "truncated or corrupt gzip"),
                                 gzip.compress(csv_bytes(GOOD))[:40]),
    "aws_cur": (Case("cur.csv", False, "legacy AWS Cost and Usage Report"),
                b"identity/LineItemId,identity/TimeInterval,bill/PayerAccountId,"
                b"lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/CurrencyCode\n"
                b"abc,2026-05-01T00:00:00Z/2026-05-02T00:00:00Z,1234,2026-05-01,1.5,USD\n"),
    "azure": (Case("azure.csv", False, "Azure usage details"),
              b"InvoiceSectionName,AccountName,SubscriptionGuid,Date,MeterCategory,"
              b"MeterSubCategory,CostInBillingCurrency,BillingCurrency,ResourceGroup\n"
              b"Main,acct,0000-1111,05/01/2026,Virtual Machines,NCv3,12.5,USD,rg-ml\n"),
    "gcp": (Case("gcp.csv", False, "Google Cloud BigQuery billing export"),
            b"billing_account_id,service.id,service.description,sku.id,sku.description,"
            b"usage_start_time,usage_end_time,project.id,cost,currency,invoice.month\n"
            b"0A-1B,6F81,Compute Engine,ABC,N1 GPU,2026-05-01 00:00:00 UTC,"
            b"2026-05-01 01:00:00 UTC,ml-prod,3.2,USD,202605\n"),
    "oci": (Case("oci.csv", False, "Oracle Cloud (OCI) cost report"),
            b"lineItem/referenceNo,lineItem/tenantId,lineItem/intervalUsageStart,"
            b"product/service,product/compartmentId,cost/myCost,cost/currencyCode\n"
            b"r1,ocid1.tenancy,2026-05-01T00:00Z,COMPUTE,ocid1.compartment,1.25,USD\n"),
    "missing_required": (Case("missing.csv", False, "required column is missing",
                              column="EffectiveCost"),
                         csv_bytes(GOOD, [h for h in HEADER if h != "EffectiveCost"])),
    "non_numeric": (Case("non_numeric.csv", False, "not a number: '12,50'", row=2,
                         column="BilledCost"),
                    csv_bytes([row(), row(BilledCost="12,50"), row()])),
    # a spreadsheet's formatting: which separator is the decimal one is not certain in every
    # locale, so neither is read
    "thousands_separator": (Case("thousands.csv", False, "not a number: '1,234.56'", row=2,
                                 column="BilledCost"),
                            csv_bytes([row(), row(BilledCost="1,234.56"), row()])),
    "currency_symbol": (Case("dollar.csv", False, "not a number: '$12.50'", row=1,
                             column="EffectiveCost"), csv_bytes([row(EffectiveCost="$12.50")])),
    "infinite": (Case("infinite.csv", False, "not a finite amount: 'inf'", row=3,
                      column="EffectiveCost"),
                 csv_bytes([row(), row(), row(EffectiveCost="inf")])),
    "nan": (Case("nan.csv", False, "not a finite amount: 'NaN'", row=1, column="BilledCost"),
            csv_bytes([row(BilledCost="NaN")])),
    # Numbers, but beyond DECIMAL(38, 10): no row may read as empty or wrap around.
    "too_large": (Case("too_large.csv", False, "too large: '1e30'", row=2, column="BilledCost"),
                  csv_bytes([row(), row(BilledCost="1e30")])),
    "sum_too_large": (Case("sum_too_large.csv", False, "amounts add up beyond 28 digits"),
                      csv_bytes([row(EffectiveCost="9e27"), row(EffectiveCost="9e27")])),
    # Year 0 is no calendar year (DuckDB would hold it; nothing downstream could show it).
    "year_zero": (Case("year_zero.csv", False, "not an ISO-8601 date or timestamp: '0000-01-01'",
                       row=2, column="ChargePeriodStart"),
                  csv_bytes([row(), row(ChargePeriodStart="0000-01-01")])),
    "empty_cost": (Case("empty_cost.csv", False, "empty; a value is required", row=2,
                        column="BilledCost"), csv_bytes([row(), row(BilledCost="")])),
    "bad_date": (Case("bad_date.csv", False, "not an ISO-8601 date or timestamp: '05/13/2026'",
                      row=2, column="ChargePeriodStart"),
                 csv_bytes([row(), row(ChargePeriodStart="05/13/2026")])),
    "bad_list_cost": (Case("bad_list_cost.csv", False, "not a number: 'n/a'", row=1,
                           column="ListCost"), csv_bytes([row(ListCost="n/a")])),
    # Unit prices and BillingPeriodEnd total and date nothing: unreadable means empty, warned.
    "null_unit_price": (Case("null_price.csv", True, "not a number: '(null)'; read as empty",
                             row=2, column="ListUnitPrice"),
                        csv_bytes([row(), row(ListUnitPrice="(null)")], HEADER + ["ListUnitPrice"])),
    "bad_period_end": (Case("bad_period_end.csv", True, "not an ISO-8601 date or timestamp: "
                            "'2026-06-31'; read as empty", row=1, column="BillingPeriodEnd"),
                       csv_bytes([row(BillingPeriodEnd="2026-06-31")])),
    # DuckDB alone would read this US spreadsheet date as 25 January of the year 10.
    "short_us_date": (Case("us_date.csv", False, "not an ISO-8601 date or timestamp: '10/1/25'",
                           row=2, column="ChargePeriodEnd"),
                      csv_bytes([row(), row(ChargePeriodEnd="10/1/25")])),
    # DuckDB reads an offset no time zone has (+25:00, 75 minutes) and shifts the time by it.
    "offset_beyond": (Case("offset.csv", False, "an offset from UTC beyond 14 hours, or of 60 "
                           "minutes or more, which no time zone has: '2026-05-02T00:00:00+25:00'",
                           row=2, column="ChargePeriodStart"),
                      csv_bytes([row(), row(ChargePeriodStart="2026-05-02T00:00:00+25:00")])),
    "offset_minutes": (Case("offset_minutes.csv", False, "which no time zone has: "
                            "'2026-05-01T00:00:00-05:75'", row=1, column="BillingPeriodStart"),
                       csv_bytes([row(BillingPeriodStart="2026-05-01T00:00:00-05:75"), row()])),
    "offset_period_end": (Case("offset_end.csv", True, "which no time zone has: "
                               "'2026-06-01T00:00:00+14:30'; read as empty", row=2,
                               column="BillingPeriodEnd"),
                          csv_bytes([row(), row(BillingPeriodEnd="2026-06-01T00:00:00+14:30")])),
    # Amounts keep 10 decimal places: a finer one is rounded, and said so.
    "rounded_cost": (Case("rounded.csv", True, "more than 10 decimal places, read rounded half "
                          "away from zero to 10: '9.75000000005'", row=2, column="EffectiveCost"),
                     csv_bytes([row(EffectiveCost="9.7500000000"), row(EffectiveCost="9.75000000005"),
                                row(EffectiveCost="9.75E-11")])),
    # Other FOCUS 1.4 datasets beside a cost export: no charges, so nothing to load.
    "contract_commitment": (Case("contract_commitment.csv", True, "a FOCUS Contract Commitment "
                                 "dataset, not cost and usage"),
                            b"BillingCurrency,ContractCommitmentId,ContractCommitmentCost,"
                            b"ContractId,InvoiceIssuerName,ServiceProviderName\n"
                            b"USD,cc-1,120000.00,k-1,Example Cloud,Example Cloud\n"),
    "invoice_detail": (Case("invoice_detail.csv", True, "a FOCUS Invoice Detail dataset"),
                       b"BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,"
                       b"ChargeCategory,InvoiceDetailGrain,InvoiceDetailId,InvoiceId,"
                       b"InvoiceIssueDate\n"
                       b"1500.00,acct-1,USD,2026-05-01T00:00:00Z,Usage,Charge,d-1,inv-1,"
                       b"2026-06-03T00:00:00Z\n"),
    "long_line": (Case("long_line.csv", False, "line too long (over 2 MB", row=2),
                  csv_bytes([row(), row(Tags=json.dumps({"k": "v" * 2_200_000})), row()])),
    "mac_cr": (Case("mac.csv", True, ""), csv_bytes(GOOD, newline="\r")),  # Excel for Mac
    # a CRLF file written again as text on Windows (Python's csv without newline='')
    "cr_cr_lf": (Case("crcrlf.csv", False, "lines end in two carriage returns and a line feed"),
                 csv_bytes(GOOD, newline="\r\r\n")),
    # files joined, or edited on two systems: DuckDB stops at it without naming a row
    "mixed_line_ends": (Case("mixed_ends.csv", False, "this row ends in LF where the header "
                             "ends in CRLF", row=3),
                        csv_bytes(GOOD[:2], newline="\r\n")
                        + csv_bytes(GOOD[2:]).split(b"\n", 1)[1]),
    # trailing commas after the header's last name (a spreadsheet's empty columns), the rows
    # with or without them
    "header_trailing_commas": (Case("trailing_commas.csv", True, ""),
                               csv_bytes(GOOD[:1]).replace(b"x_Note\n", b"x_Note,,\n")
                               + csv_bytes(GOOD[1:2]).split(b"\n", 1)[1].replace(b"\n", b",,\n")
                               + csv_bytes(GOOD[2:]).split(b"\n", 1)[1]),
    # a value under no name at the end of a row: a field too many, as in any row
    "header_trailing_commas_value": (Case("trailing_value.csv", False, "too many fields", row=2),
                                     csv_bytes(GOOD[:1]).replace(b"x_Note\n", b"x_Note,\n")
                                     + csv_bytes(GOOD[1:]).split(b"\n", 1)[1].replace(
                                         b"custom\n", b"custom,x\n", 1)),
    "header_only_commas": (Case("commas.csv", False, "the first line names no column"),
                           b",,,\n" + csv_bytes(GOOD).split(b"\n", 1)[1]),
    "header_again": (Case("joined.csv", False, "this row repeats the header", row=3),
                     csv_bytes(GOOD[:2]) + csv_bytes(GOOD[2:])),
    "empty_rows": (Case("empty_rows.csv", False, "every field of this row is empty", row=4),
                   csv_bytes(GOOD) + b"," * (len(HEADER) - 1) + b"\n"),
    "not_utf8": (Case("latin1.csv", False, "not UTF-8", row=2), _not_utf8()),
    "bom_crlf": (Case("bom_crlf.csv", True, ""), b"\xef\xbb\xbf" + csv_bytes(GOOD, newline="\r\n")),
    # saved twice by an editor that adds a BOM each time: the first column keeps its name
    "bom_twice": (Case("bom_twice.csv", True, ""), b"\xef\xbb\xbf" * 2 + csv_bytes(GOOD)),
    "ragged": (Case("ragged.csv", False, "too few fields", row=4), _ragged()),
    # a DOS end-of-file mark (Ctrl-Z) after the last line end, as some Windows tools write
    "dos_eof": (Case("dos_eof.csv", True, ""), csv_bytes(GOOD, newline="\r\n") + b"\x1a"),
    "dos_eof_gzip": (Case("dos_eof.csv.gz", True, ""), gzip.compress(csv_bytes(GOOD) + b"\x1a")),
    "dos_eof_twice": (Case("dos_eof_twice.csv", False, "a line of Ctrl-Z alone", row=4),
                      csv_bytes(GOOD) + b"\x1a\x1a"),
    # a copy padded with zeros past the first bytes read to tell binary files from text
    "zero_padded": (Case("zero_padded.csv", False, "a line of zero bytes", row=3001),
                    csv_bytes(GOOD * 1000) + b"\x00" * 4096),
    "blank_line": (Case("blank_line.csv", False, "a line of blanks alone", row=2),
                   b"\n".join([*csv_bytes(GOOD).split(b"\n")[:2], b" \t",
                               *csv_bytes(GOOD).split(b"\n")[2:]])),
    # the mark right after the last value, which it is read as part of: said at that row
    "dos_eof_after_value": (Case("dos_eof_value.csv", False, "not a number: '1e2\\x1a'; write "
                                 "amounts as plain decimals, like -1234.5; the file ends in a "
                                 "Ctrl-Z (a DOS end-of-file mark) right after this row's last "
                                 "value", row=3, column="EffectiveCost"),
                            csv_bytes(GOOD, [*(h for h in HEADER if h != "EffectiveCost"),
                                            "EffectiveCost"])[:-1] + b"\x1a"),
    # two files joined, the first with its mark: the rows after it are not dropped
    "dos_eof_inside": (Case("dos_eof_inside.csv", False, "a line of Ctrl-Z alone", row=3),
                       csv_bytes(GOOD[:2]) + b"\x1a\n" + csv_bytes(GOOD[2:]).split(b"\n", 1)[1]),
    # A purchase's EffectiveCost is 0 only when usage rows carry it under its commitment's id.
    "purchase_of_no_commitment": (
        Case("purchase.csv", True, "a purchase of no commitment", row=2, column="EffectiveCost"),
        csv_bytes([row(ChargeCategory="Purchase", BilledCost="100", EffectiveCost="0",
                       CommitmentDiscountId="ri-1"),
                   row(ChargeCategory="Purchase", BilledCost="674.23", EffectiveCost="0",
                       CommitmentDiscountId=""),
                   row(ChargeCategory="Purchase", BilledCost="5", EffectiveCost="5",
                       CommitmentDiscountId="")], HEADER + ["CommitmentDiscountId"])),
    "malformed_tags": (Case("bad_tags.csv", True, "not a JSON object", row=2, column="Tags"),
                       csv_bytes([row(), row(Tags='{"team": "ml"'), row(Tags="[1,2]")])),
    "hostile_tags": (Case("hostile.csv", True, "looks like a spreadsheet formula", row=1,
                          column="Tags"), csv_bytes([row(Tags=json.dumps(HOSTILE))])),
    "mixed_currencies": (Case("mixed.csv", True, ""), csv_bytes(GOOD)),
    "png": (Case("image.csv", False, "PNG image"), PNG),
    "binary": (Case("random.csv", False, "binary data"), bytes(range(256)) * 8),
    "wrong_currency": (Case("currency.csv", False, "3-letter ISO 4217", row=2,
                            column="BillingCurrency"),
                       csv_bytes([row(), row(BillingCurrency="US$"), row(BillingCurrency="usd ")])),
    # a code in lower case is the same code: read as ISO 4217 writes it
    "lower_case_currency": (Case("lower_currency.csv", True, ""),
                            csv_bytes([row(BillingCurrency="usd"), row(BillingCurrency="Eur")])),
    "unknown_category": (Case("category.csv", True, "unknown value 'Refund'", row=1,
                              column="ChargeCategory"), csv_bytes([row(ChargeCategory="Refund")])),
    "covered_usage": (Case("covered.csv", True, "covered usage", row=1, column="BilledCost"),
                      csv_bytes([row(CommitmentDiscountStatus="Used", CommitmentDiscountId="c1")],
                                HEADER + ["CommitmentDiscountStatus", "CommitmentDiscountId"])),
    "lower_case_header": (Case("lower.csv", True, "FOCUS names are case-sensitive",
                               column="billedcost"),
                          csv_bytes([{**row(), "billedcost": "10.25"}],
                                    [("billedcost" if h == "BilledCost" else h) for h in HEADER])),
    "powershell_type_line": (Case("ps.csv", False, "PowerShell's type line"),
                             b'#TYPE System.Management.Automation.PSCustomObject\r\n'
                             + csv_bytes(GOOD, newline="\r\n")),
    "excel_sep_hint": (Case("sep_hint.csv", False, "a spreadsheet's separator hint ('sep=,')"),
                       b"sep=,\r\n" + csv_bytes(GOOD, newline="\r\n")),
    "semicolons": (Case("semicolon.csv", False, "comma-separated"),
                   b"BilledCost;EffectiveCost;BillingCurrency\n1;1;USD\n"),
    "repeated_column": (Case("repeated.csv", False, "more than once", column="BilledCost"),
                        csv_bytes([row()], HEADER + ["BilledCost"])),
    "quoted_newlines": (Case("multiline.csv", True, ""),
                        csv_bytes([row(ChargeDescription="line one\nline two, \"quoted\""),
                                   row()])),
    "quoted_newlines_resource": (Case("multiline_resource.csv", True, ""),
                                 csv_bytes([row(ResourceName="gpu-node\r\n(a, \"b\")"),
                                            row(ResourceName="x\ny")], HEADER + ["ResourceName"],
                                           newline="\r\n")),
    "parquet_double": (Case("double.parquet", True, ""), "double"),
    "parquet_decimal": (Case("decimal.parquet", True, ""), "decimal"),
    "parquet_string": (Case("string.parquet", True, ""), "string"),
    "parquet_broken": (Case("broken.parquet", False, "not a readable Parquet file"),
                       b"PAR1" + bytes(range(200)) + b"PAR1"),
    "parquet_cut_short": (Case("cut.parquet", False, "cut short"), _cut_parquet()),
    # a Parquet file gzipped by a pipeline that compresses every file it uploads
    "parquet_in_gzip": (Case("pq.csv.gz", False, "a Parquet file compressed with gzip"),
                        gzip.compress(_parquet_bytes())),
    # Excel's "Unicode Text": UTF-16 with its byte-order mark, tab-separated
    "utf16": (Case("unicode.csv", False, "UTF-16 text"),
              csv_bytes(GOOD, newline="\r\n").decode().replace(",", "\t").encode("utf-16")),
    "utf16_gzip": (Case("unicode.csv.gz", False, "UTF-16 text"),
                   gzip.compress(csv_bytes(GOOD).decode().encode("utf-16-be").join(
                       [b"\xfe\xff", b""]))),
    "utf16_bom_only": (Case("bom16.csv", False, "UTF-16 text"), b"\xff\xfe"),
    # UTF-32, whose little-endian mark begins as UTF-16's does; its big-endian one with zeros
    "utf32": (Case("utf32.csv", False, "UTF-32 text"), csv_bytes(GOOD).decode().encode("utf-32")),
    "utf32_be": (Case("utf32be.csv", False, "UTF-32 text"),
                 b"\x00\x00\xfe\xff" + csv_bytes(GOOD).decode().encode("utf-32-be")),
    "bom_only": (Case("bom.csv", False, "empty file (a byte-order mark and nothing else)"),
                 b"\xef\xbb\xbf"),
    "parquet_misnamed": (Case("fake.parquet", False, "not a Parquet file"), csv_bytes(GOOD)),
}


def build(folder: Path) -> dict[str, Path]:
    """Write every case into `folder`; returns case name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (case, content) in CASES.items():
        path = folder / case.name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            _parquet(path, content)
        paths[name] = path
    return paths
