"""A large FOCUS 1.3 CSV of the sample's shape, streamed in chunks (benchmarks, `--rows`).

Rows are drawn from the sample company's resources, replicated under numbered ids so the
number of distinct resources grows with the file, over 12 months (or `months`) of daily charges. Every
chunk is built column by column with Arrow compute (no Python loop per row), so memory
stays bounded by the chunk size whatever the row count.
"""

from __future__ import annotations

import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from workbench.errors import WorkbenchError
from workbench.sample.assemble import PRICING_WORDS, resource_table
from workbench.sample.billing import PRICE, price6
from workbench.sample.commitments import by_key
from workbench.sample.company import CONTRACT_DISCOUNT, PROVIDERS, catalogue, expand_nodes
from workbench.sample.timeline import (
    Window,
    add_months,
    check_seed,
    check_window,
    last_full_month,
    rng,
)
from workbench.schema import FOCUS_COLUMNS, QUANTITY

CHUNK = 100_000
MONTHS = 12
REPLICAS_PER_MILLION = 40  # distinct copies of each resource per million rows


def money_text(units: np.ndarray) -> pa.Array:
    """int64 units of 1e-10 -> plain decimal text ('12.34', '-0.5', '0'), never exponents."""
    a = pa.array(np.abs(units))
    whole = pc.cast(pc.divide(a, 10**10), pa.string())
    frac = pc.utf8_lpad(pc.cast(pc.subtract(a, pc.multiply(pc.divide(a, 10**10), 10**10)), pa.string()), 10, "0")
    frac = pc.utf8_rtrim(frac, "0")
    text = pc.if_else(pc.equal(pc.utf8_length(frac), 0), whole,
                      pc.binary_join_element_wise(whole, frac, "."))
    return pc.if_else(pa.array(units < 0), pc.binary_join_element_wise("-", text, ""), text)


def _catalogue_table(win: Window) -> tuple[pa.Table, dict[str, np.ndarray]]:
    resources = [r for r in expand_nodes(catalogue()) if r.rid]
    live = by_key(Window(win.end_month, 18))
    rt = resource_table(resources)
    info = {k: PROVIDERS[k] for k in PROVIDERS}
    rt["ProviderName"] = rt["pkey"].map(lambda k: info[k]["name"])
    rt["BillingAccountId"] = rt["pkey"].map(lambda k: info[k]["account"][0])
    rt["BillingAccountName"] = rt["pkey"].map(lambda k: info[k]["account"][1])
    rt["BillingAccountType"] = rt["pkey"].map(lambda k: info[k]["account_type"])
    rt["SubAccountType"] = rt["pkey"].map(lambda k: info[k]["sub_type"])
    rt["BillingCurrency"] = rt["pkey"].map(lambda k: info[k]["currency"])
    dynamic = np.array([r.pricing == "Dynamic" for r in resources])
    committed = np.array([r.pricing in live for r in resources])
    for col, attr in (("CommitmentDiscountId", "cid"), ("CommitmentDiscountName", "name"),
                      ("CommitmentDiscountType", "ctype"), ("CommitmentDiscountCategory", "category")):
        rt[col] = [getattr(live[r.pricing], attr) if r.pricing in live else None for r in resources]
    rt["PricingCategory"] = np.where(dynamic, "Dynamic", np.where(committed, "Committed", "Standard"))
    rt["ChargeDescription"] = rt["ChargeDescription"] + " (" + rt["PricingCategory"].map(PRICING_WORDS) + ")"
    rt["SkuPriceId"] = rt["SkuId"] + ":" + rt["PricingCategory"].map(PRICING_WORDS).str.replace(" ", "")
    rt["CommitmentDiscountStatus"] = np.where(committed, "Used", None)
    nums = {
        "list6": np.array([price6(r.price) for r in resources], dtype=np.int64),
        "contracted6": np.array([price6(r.price * (r.spot if r.pricing == "Dynamic" else 1 - CONTRACT_DISCOUNT[r.provider]))
                                 for r in resources], dtype=np.int64),
        "effective6": np.array([price6(r.price * (r.spot if r.pricing == "Dynamic" else 0.62 if committed[i]
                                                  else 1 - CONTRACT_DISCOUNT[r.provider]))
                                for i, r in enumerate(resources)], dtype=np.int64),
        "committed": committed,
        "typical_q": np.array([24.0 if r.unit in ("Hours", "1 Hour", "Hour") else max(r.per_day / 30, 1.0)
                               if r.profile == "storage" else max(r.per_day, 50.0) for r in resources]),
        "tokens": np.array([r.profile == "tokens" for r in resources]),
    }
    text_cols = [c for c in rt.columns if rt[c].dtype == object or str(rt[c].dtype) == "str"]
    table = pa.Table.from_pandas(rt[text_cols].astype(object).where(rt[text_cols].notna(), None),
                                 preserve_index=False)
    return table, nums


def _day_strings(win: Window) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    days = [win.day(i) for i in range(win.n + 1)]
    iso = pa.array([f"{d.isoformat()}T00:00:00Z" for d in days])
    months = [d.replace(day=1) for d in days]
    bps = pa.array([f"{m.isoformat()}T00:00:00Z" for m in months])
    bpe = pa.array([f"{add_months(m, 1).isoformat()}T00:00:00Z" for m in months])
    inv = pa.array([f"INV-{m.strftime('%Y%m')}" for m in months])
    return iso, bps, bpe, inv


def _chunk(n: int, seed: int, k: int, win: Window, cat: pa.Table, nums: dict, strings, replicas: int) -> pa.Table:
    r = rng(seed, "bench", str(k))
    res = r.integers(0, cat.num_rows, n)
    day = r.integers(0, win.n, n)
    rep = r.integers(0, replicas, n)
    iso, bps, bpe, inv = strings
    q = nums["typical_q"][res] * r.lognormal(0, 0.35, n)
    q = np.where(nums["tokens"][res], q * 50, q)
    q4 = np.maximum(np.round(q * 1e4).astype(np.int64), 1)
    list_cost = q4 * nums["list6"][res]
    contracted = q4 * nums["contracted6"][res]
    effective = q4 * nums["effective6"][res]
    billed = np.where(nums["committed"][res], 0, effective)
    rows = cat.take(pa.array(res))
    rep_txt = pc.cast(pa.array(rep), pa.string())
    cols = {}
    for name in FOCUS_COLUMNS:
        if name in rows.column_names:
            cols[name] = rows[name].combine_chunks()
    cols["ResourceId"] = pc.binary_join_element_wise(cols["ResourceId"], rep_txt, "-r")
    cols["ResourceName"] = pc.binary_join_element_wise(cols["ResourceName"], rep_txt, "-r")
    cols["ServiceProviderName"] = cols["PublisherName"] = cols["InvoiceIssuerName"] = \
        cols["HostProviderName"] = cols["ProviderName"]
    day_a, next_a = pa.array(day), pa.array(day + 1)
    cols["ChargePeriodStart"] = iso.take(day_a)
    cols["ChargePeriodEnd"] = iso.take(next_a)
    cols["BillingPeriodStart"] = bps.take(day_a)
    cols["BillingPeriodEnd"] = bpe.take(day_a)
    cols["InvoiceId"] = pc.binary_join_element_wise(inv.take(day_a), cols["BillingAccountId"], "-")
    cols["ChargeCategory"] = pa.array(np.full(n, "Usage"))
    cols["BilledCost"], cols["EffectiveCost"] = money_text(billed), money_text(effective)
    cols["ListCost"], cols["ContractedCost"] = money_text(list_cost), money_text(contracted)
    cols["ListUnitPrice"] = money_text(nums["list6"][res] * (10**10 // PRICE))
    cols["ContractedUnitPrice"] = money_text(nums["contracted6"][res] * (10**10 // PRICE))
    qty = q4 / 1e4
    cols["PricingQuantity"] = pa.array(qty)
    cols["ConsumedQuantity"] = pa.array(np.where(nums["tokens"][res], np.round(qty * 1e6), qty))
    out = []
    for name, kind in FOCUS_COLUMNS.items():
        a = cols.get(name)
        if a is None:
            a = pa.nulls(n, pa.float64() if kind == QUANTITY else pa.string())
        out.append(a)
    return pa.Table.from_arrays(out, names=list(FOCUS_COLUMNS))


def write_bench_csv(path: Path, rows: int, seed: int = 0, end: str | None = None,
                    months: int = MONTHS) -> Path:
    """A FOCUS 1.3 CSV (gzip when the name ends with .gz) of `rows` rows over `months`
    months ending with `end`, streamed in chunks."""
    path = Path(path)
    if not isinstance(rows, int) or rows < 1:
        raise WorkbenchError(f"--rows: {rows!r} must be a positive whole number")
    check_seed(seed)
    win = check_window(months, end or last_full_month())
    cat, nums = _catalogue_table(win)
    strings = _day_strings(win)
    replicas = max(1, rows * REPLICAS_PER_MILLION // 1_000_000)
    # Written beside it, then renamed: a run stopped half way (Ctrl-C, a full disk) leaves no
    # file of whole rows that would read as the export asked for, and an earlier one intact.
    # Through a symlink, as writing the file did: the rename then replaces the file it leads
    # to (on the disk chosen for it), not the link.
    target = path.resolve() if path.is_symlink() else path
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    if path.is_dir():  # said now, not by the rename after the whole export is written
        raise WorkbenchError(f"{path}: cannot write: a folder is in the way of this file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = open(tmp, "wb")  # closed by the `with` below
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        _stream(raw, path, rows, seed, win, cat, nums, strings, replicas)
        os.replace(tmp, target)
    except OSError as exc:  # a full disk, say: named by the file asked for, not the temporary one
        raise WorkbenchError(f"{path}: cannot write: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _stream(raw, path: Path, rows: int, seed: int, win: Window, cat: pa.Table, nums: dict,
            strings, replicas: int) -> None:
    """Write the CSV's chunks to the open file `raw` (gzipped when `path` ends with .gz)."""
    with raw:
        # gzip level 1: the file is for speed tests, and level 6 would triple the run time
        out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) \
            if path.name.lower().endswith(".gz") else raw

        def emit(k: int, t: pa.Table) -> None:  # runs beside the next chunk's build (Arrow frees the GIL)
            buf = pa.BufferOutputStream()
            pacsv.write_csv(t, buf, pacsv.WriteOptions(include_header=k == 0, quoting_style="needed"))
            out.write(buf.getvalue())

        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = None
                for k, start in enumerate(range(0, rows, CHUNK)):
                    t = _chunk(min(CHUNK, rows - start), seed, k, win, cat, nums, strings, replicas)
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(emit, k, t)
                if pending is not None:
                    pending.result()
        finally:
            if out is not raw:
                out.close()
