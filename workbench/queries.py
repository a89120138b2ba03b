"""The analysis queries: Ibis expressions over the store's `charges` and `tag_sets` tables.

They name no engine. The Store runs them on its DuckDB file; the same class runs them
unchanged on any Ibis backend that holds the two tables (tests/test_portable_queries.py
runs them on Spark in local mode and compares every frame with DuckDB's; see spark.py):

    Queries(ibis.pyspark.connect(spark), config).monthly(["team"])

Every method returns a plain pandas frame with documented columns; amounts are summed
exactly in the engine (DECIMAL) and converted to float64 once, at the end (or, with
`exact`, kept as Decimal: what the pages show to the cent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

import ibis
import pandas as pd

from workbench import dimensions as dm
from workbench.config import Config
from workbench.coverage import closing, export_label, opening
from workbench.errors import WorkbenchError
from workbench.months import months_by
from workbench.schema import COST_COLUMNS

QUERY_TABLES = ("charges", "tag_sets")  # all a backend needs to hold
NO_RESOURCE = "(no resource)"
RESOURCE_ATTRS = ("provider", "ServiceCategory", "ServiceName", "ResourceName", "ResourceType",
                  "RegionId", "SubAccountName", "team", "cost_center", "environment",
                  "workload_class", "application", "model", "owner")


def _issuer(t):
    """Who sends a row's export: its invoice issuer (wb_issuer), "(none)" when blank."""
    return dm._blank_to_null(t.wb_issuer).fill_null(dm.NONE)


def _commitment_rows(t) -> dict:
    """{gap column: condition}: the rows of a commitment (CommitmentDiscountId) whose billed
    and effective cost FOCUS has differ: its purchase, billed when bought and amortized
    (EffectiveCost 0); usage it covers (Used, or a status not given), billed 0 and carrying
    its amortized share; its unused part (Unused), the same."""
    named = dm._blank_to_null(t.CommitmentDiscountId).notnull()
    unused = (t.CommitmentDiscountStatus == "Unused").fill_null(False)
    bought = (t.ChargeCategory == "Purchase").fill_null(False)
    return {"purchase_gap": named & bought,
            "covered_gap": named & (t.ChargeCategory == "Usage").fill_null(False) & ~unused,
            "unused_gap": named & unused & ~bought}  # each row in one part at most


GAPS = ("purchase_gap", "covered_gap", "unused_gap")


def _timed_short(t):
    """The rows whose period covers time (a charge whose period starts and ends at one
    moment, a purchase, covers none), and of those the ones no longer than a day: what the
    data's coverage is read from. A day of local time is 25 hours when the clocks go back
    (00:00-04:00 to 00:00-05:00): it is a day all the same. A charge that ends before its
    billing period starts (a refund of July on August's invoice) is left out: the export
    that holds it need not hold its month, so it would date the data's start back to it. A
    day of local time that overlaps its period's start stays."""
    own = (t.ChargePeriodEnd > t.BillingPeriodStart).fill_null(True)
    timed = (t.ChargePeriodEnd > t.ChargePeriodStart) & own
    return timed, timed & (t.ChargePeriodEnd <= t.ChargePeriodStart + ibis.interval(hours=25))


class Queries:
    """Aggregated frames (totals, months, daily, monthly, resources) from an Ibis backend."""

    def __init__(self, backend, config: Config):
        self.backend = backend
        self.config = config
        self._t = None

    @property
    def table(self):
        """The charge table as an Ibis expression, with each row's parsed tags (wb_tags) and
        tag dimensions (wb_tag_team, ...) joined from tag_sets on its tag-set key."""
        if self._t is None:
            charges, tag_sets = (self.backend.table(t) for t in QUERY_TABLES)
            # Only split cost allocation fills AllocatedTags: without any, no second join.
            allocated = charges.filter(charges.wb_alloc_tag_set.notnull()).limit(1).count()
            self._t = dm.with_tags(charges, tag_sets, self.config,
                                   allocated=bool(self.backend.execute(allocated)))
        return self._t

    def _run(self, expr) -> pd.DataFrame:
        return self.backend.execute(expr)

    def _money(self, t, column: str, exact: bool = False):
        # ListCost and ContractedCost leave out amortized purchases (Purchase, EffectiveCost
        # 0): the usage rows the commitment covers carry their list and contracted price, so
        # counting the purchase's too would count the savings twice (FOCUS).
        where = None
        if column in LIST_PRICED:
            where = ~((t.ChargeCategory == "Purchase") & (t.EffectiveCost == 0)).fill_null(False)
        total = t[column].sum(where=where).fill_null(0)
        return total if exact else total.cast("float64")

    def totals(self, exact: bool = False) -> pd.DataFrame:
        """Rows and billed/effective cost per billing period and currency, summed exactly;
        float64 amounts, or with `exact` the engine's decimals (for JSON and the console)."""
        t = self.table
        # Grouped by the second, formatted per group (not per row: the text cost more than
        # the sums); date and time apart: Spark has no pattern for a literal "T" inside one.
        agg = (t.group_by(start=t.BillingPeriodStart.truncate("s"),
                          currency=dm.dim_expr(t, "BillingCurrency", self.config))
               .aggregate(rows=t.count(), billed_cost=self._money(t, "BilledCost", exact),
                          effective_cost=self._money(t, "EffectiveCost", exact)))
        start = agg.start.strftime("%Y-%m-%d") + "T" + agg.start.strftime("%H:%M:%S") + "Z"
        expr = (agg.mutate(billing_period_start=start.fill_null(dm.NONE))
                .order_by(["billing_period_start", "currency"]))
        columns = ["billing_period_start", "currency", "rows", "billed_cost", "effective_cost"]
        if exact:
            df = self._run(expr)[columns].reset_index(drop=True)
            df["rows"] = df["rows"].astype("int64")
            for c in ("billed_cost", "effective_cost"):
                df[c] = df[c].map(Decimal)
            return df
        return _frame(self._run(expr), columns)

    def months(self) -> list[str]:
        t = self.table
        firsts = (t.filter(t.ChargePeriodStart.notnull())
                  .select(first=t.ChargePeriodStart.truncate("M")).distinct())
        expr = firsts.select(month=dm.month_text(firsts.first)).order_by("month")
        return [str(m) for m in self._run(expr)["month"]]

    def coverage(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """(start, end exclusive) of the time the data covers (naive UTC), or None without data.

        Read from the rows no longer than a day (hourly or daily usage) when there are any, so
        that a monthly fee running from the month's first to its last day does not make a
        month look complete; an export of monthly rows only (API and marketplace invoices)
        covers what those rows cover.
        """
        t = self.table
        timed, short = _timed_short(t)
        for n, rows in enumerate((t.filter(short), t.filter(timed), t)):
            # aggregate, not select: a selected reduction is a window, no row over no rows
            got = self._run(rows.aggregate(start=rows.ChargePeriodStart.min(),
                                           end=rows.ChargePeriodEnd.max())).iloc[0]
            if not pd.isna(got["end"]) and not pd.isna(got["start"]):
                start = pd.Timestamp(got["start"])
                if n == 0:  # days of local time: see coverage.opening
                    start = opening(start, self._first_ends(rows, {start}).get((None, start)))
                return start, closing(got["end"])
        return None

    def _first_ends(self, rows, starts: set, by=None) -> dict:
        """{(group or None, start): the earliest end of `rows` that begin at that start}, for
        the starts inside a day only (one at midnight needs no opening); `by` groups them."""
        inside = sorted(s for s in starts if s != s.normalize())
        if not inside:
            return {}
        rows = rows.filter(rows.ChargePeriodStart.isin([s.to_pydatetime() for s in inside]))
        keys = {"start": rows.ChargePeriodStart} | ({"group": by(rows)} if by else {})
        df = self._run(rows.group_by(**keys).aggregate(end=rows.ChargePeriodEnd.min()))
        groups = df["group"].astype(str) if by else [None] * len(df)
        return {(g, pd.Timestamp(s)): pd.Timestamp(e)
                for g, s, e in zip(groups, df["start"], df["end"], strict=True)}

    def provider_coverage(self) -> pd.DataFrame:
        """(provider, start, end exclusive) of the time each provider's data covers, read as
        coverage() reads the whole data's: from its rows no longer than a day when it has any
        (a monthly fee does not make a month look complete), else from all its rows.

        A provider here is whoever sends the export: the invoice issuer (wb_issuer), not the
        seller. A marketplace seller (FOCUS 1.3 ServiceProviderName) comes in the cloud's
        export, so a seller with no charge after the 10th is no export that lags. It is
        named with the sellers it bills when they are named otherwise (export_label)."""
        t = self.table
        t = t.filter(t.ChargePeriodStart.notnull() & t.ChargePeriodEnd.notnull())
        timed, short = _timed_short(t)
        expr = (t.group_by(provider=_issuer(t))
                .aggregate(short_start=t.ChargePeriodStart.min(where=short),
                           short_end=t.ChargePeriodEnd.max(where=short),
                           timed_start=t.ChargePeriodStart.min(where=timed),
                           timed_end=t.ChargePeriodEnd.max(where=timed),
                           any_start=t.ChargePeriodStart.min(), any_end=t.ChargePeriodEnd.max())
                .order_by("provider"))
        df = self._run(expr)
        start, end = df["any_start"], df["any_end"]
        for kind in ("timed", "short"):  # the first that has rows, from the last of these
            has = df[f"{kind}_end"].notna()
            start, end = df[f"{kind}_start"].where(has, start), df[f"{kind}_end"].where(has, end)
        # a provider whose first row is a day of local time begins at its midnight (opening)
        firsts = self._first_ends(t.filter(short), set(pd.to_datetime(df["short_start"].dropna())),
                                  by=_issuer)
        start = [opening(s, firsts.get((str(p), pd.Timestamp(s)))) if has_short else s
                 for p, s, has_short in zip(df["provider"], pd.to_datetime(start),
                                            df["short_end"].notna(), strict=True)]
        billed: dict[str, list[str]] = {}
        pairs = self._run(self._sellers(t))
        for issuer, seller in zip(pairs["issuer"], pairs["provider"], strict=True):
            billed.setdefault(str(issuer), []).append(str(seller))
        out = pd.DataFrame({
            "provider": [export_label(p, billed.get(p, [])) for p in df["provider"].astype(str)],
            "start": pd.to_datetime(start),
            "end": [closing(e) for e in pd.to_datetime(end)]})
        return _frame(out, ["provider", "start", "end"])

    def provider_months(self) -> dict[str, frozenset[str]]:
        """{provider (the overview's seller): the months the exports that bill it hold}.

        A month its export holds with no charge of it is 0 for it (a seller on a cloud's
        invoice that starts in May is new in May); a month no export of it holds is no data
        (an export not loaded): its lines there are not comparable (overview.headline)."""
        t = self.table
        t = t.filter(t.ChargePeriodStart.notnull())
        held = t.select(issuer=_issuer(t), month=t.ChargePeriodStart.strftime("%Y-%m")).distinct()
        pairs = self._run(self._sellers(t).join(held, "issuer").select("provider", "month").distinct())
        return months_by(pairs["provider"], pairs["month"])

    def delivery_ends(self) -> pd.DataFrame:
        """(provider, currency, end exclusive): how far the data of each provider (the
        overview's seller) reaches in each currency, read as provider_coverage() reads a
        provider's, from the rows no longer than a day when its export has any in that
        currency. Per export (issuer) and currency: a billing account in EUR whose daily
        usage stops while the same issuer's USD account runs on is an export not delivered,
        though its monthly payment is there; a seller on a cloud's invoice reaches as far
        as the export that bills it."""
        t = self.table
        t = t.filter(t.ChargePeriodStart.notnull() & t.ChargePeriodEnd.notnull())
        timed, short = _timed_short(t)
        cur = dm.dim_expr(t, "BillingCurrency", self.config)
        ends = (t.group_by(issuer=_issuer(t), currency=cur)
                .aggregate(short_end=t.ChargePeriodEnd.max(where=short),
                           timed_end=t.ChargePeriodEnd.max(where=timed),
                           any_end=t.ChargePeriodEnd.max()))
        pairs = t.select(issuer=_issuer(t), provider=dm.dim_expr(t, "provider", self.config),
                         currency=cur).distinct()
        df = self._run(pairs.join(ends, ["issuer", "currency"]))
        end = df["short_end"].fillna(df["timed_end"]).fillna(df["any_end"])
        out = pd.DataFrame({"provider": df["provider"].astype(str),
                            "currency": df["currency"].astype(str),
                            "end": [closing(e) for e in pd.to_datetime(end)]})
        out = out.groupby(["provider", "currency"], as_index=False)["end"].max()
        return _frame(out, ["provider", "currency", "end"])

    def _sellers(self, t):
        """The distinct (issuer, provider) pairs of `t`: each export's issuer and the sellers
        (the overview's provider) it bills."""
        return t.select(issuer=_issuer(t), provider=dm.dim_expr(t, "provider", self.config)).distinct()

    def _filtered(self, start=None, end=None, filters=None):
        return dm.apply_filters(self.table, self.config, start, end, filters)

    def daily(self, dims: Sequence[str] = (), start: str | None = None, end: str | None = None,
              filters: Mapping[str, object] | None = None, cost: str = "EffectiveCost",
              exact: bool = False) -> pd.DataFrame:
        """Cost per day (UTC, ChargePeriodStart) x dims x currency; float64 amounts, or with
        `exact` Decimal ones."""
        dims = dm.check_dims(dims)
        if cost not in COST_COLUMNS:
            raise WorkbenchError(f"unknown cost column {cost!r}; use one of: {', '.join(COST_COLUMNS)}")
        t = self._filtered(start, end, filters)
        keys = {"date": t.ChargePeriodStart.truncate("D"),
                **{d: dm.dim_expr(t, d, self.config) for d in dims},
                "currency": dm.dim_expr(t, "BillingCurrency", self.config)}
        expr = t.group_by(**keys).aggregate(cost=self._money(t, cost, exact)).order_by(list(keys))
        df = self._run(expr)
        if exact:
            df["cost"] = df["cost"].map(Decimal)
        df = _frame(df, ["date", *dims, "currency", "cost"], exact)
        df["date"] = pd.to_datetime(df["date"])
        return df

    def monthly(self, dims: Sequence[str] = (), start: str | None = None, end: str | None = None,
                filters: Mapping[str, object] | None = None, exact: bool = False) -> pd.DataFrame:
        """All four cost columns, the effective cost billed by the hour or day and row
        counts per month x dims x currency; float64 amounts, or with `exact` Decimal ones
        (figures printed to the cent at any size). list_cost and contracted_cost leave out
        amortized purchases (see _money).

        by_day_cost: EffectiveCost of the charges whose period is a day or less and that
        are not one-time (ChargeFrequency), the part of a month's spend that its length
        drives (not a monthly fee, credit or purchase).
        purchase_gap, covered_gap, unused_gap: BilledCost less EffectiveCost of the
        commitment purchases, the usage commitments cover and the unused commitment
        (_commitment_rows): the parts of the month's gap between the two that the data
        names (overview.billed_apart)."""
        dims = dm.check_dims([d for d in dims if d != "month"])
        t = self._filtered(start, end, filters)
        keys = {"month": t.ChargePeriodStart.truncate("M"),  # formatted per group, below
                **{d: dm.dim_expr(t, d, self.config) for d in dims},
                "currency": dm.dim_expr(t, "BillingCurrency", self.config)}
        money = {c: self._money(t, col, exact) for c, col in MONEY.items()}
        # a one-time charge is billed once, however long its period: some exports date
        # every row by the day, a one-off purchase included
        by_day = t.EffectiveCost.sum(where=_timed_short(t)[1] & (
            t.ChargeFrequency != "One-Time").fill_null(True)).fill_null(0)
        money["by_day_cost"] = by_day if exact else by_day.cast("float64")
        for name, where in _commitment_rows(t).items():
            gap = (t.BilledCost - t.EffectiveCost).sum(where=where).fill_null(0)
            money[name] = gap if exact else gap.cast("float64")
        agg = t.group_by(**keys).aggregate(**money, rows=t.count())
        expr = agg.mutate(month=dm.month_text(agg.month)).order_by(list(keys))
        df = self._run(expr)
        if exact:
            for c in money:
                df[c] = df[c].map(Decimal)
        return _frame(df, ["month", *dims, "currency", *money, "rows"], exact)

    def resources(self, month: str, filters: Mapping[str, object] | None = None) -> pd.DataFrame:
        """One row per resource x currency for a month; attributes from its latest charge."""
        lo = dm.parse_day(month, "month")
        if lo is None or len(str(month).strip()) != 7:
            raise WorkbenchError(f"month: {month!r} is not a month like 2026-05")
        hi = (pd.Timestamp(lo) + pd.offsets.MonthBegin(1)).strftime("%Y-%m-%d")
        t = self._filtered(month, hi, filters)
        cfg = self.config
        base = t.mutate(
            ResourceId=dm._blank_to_null(t.ResourceId).fill_null(NO_RESOURCE),
            currency=dm.dim_expr(t, "BillingCurrency", cfg),
            PricingCategory=dm.dim_expr(t, "PricingCategory", cfg),
            **{a: dm.dim_expr(t, a, cfg) for a in RESOURCE_ATTRS},
            tags_json=t.Tags.fill_null("{}"),  # DuckDB names are case-insensitive: not "tags"
        )
        key = ["ResourceId", "currency"]
        agg = base.group_by(key).aggregate(
            billed_cost=self._money(base, "BilledCost"),
            effective_cost=self._money(base, "EffectiveCost"),
            list_cost=self._money(base, "ListCost"),
            consumed_quantity=base.ConsumedQuantity.sum().fill_null(0.0).cast("float64"),
            first_seen=base.ChargePeriodStart.min(), last_seen=base.ChargePeriodStart.max(),
            active_days=base.ChargePeriodStart.truncate("D").nunique())
        # Deterministic "latest charge" per resource: ties broken by cost, then source position
        # (NULL for files loaded by the fast path), then the attributes themselves.
        order = [ibis.desc(base.ChargePeriodStart), ibis.desc(base.EffectiveCost),
                 base.wb_source_file, base.wb_source_row, *(base[a] for a in RESOURCE_ATTRS),
                 base.tags_json]
        rn = ibis.row_number().over(group_by=[base.ResourceId, base.currency], order_by=order)
        latest = base.mutate(_rn=rn).filter(lambda x: x._rn == 0).select(*key, *RESOURCE_ATTRS, "tags_json")
        pc = base.group_by([*key, "PricingCategory"]).aggregate(_c=base.EffectiveCost.sum())
        prn = ibis.row_number().over(group_by=[pc.ResourceId, pc.currency],
                                     order_by=[ibis.desc(pc._c), pc.PricingCategory])
        top_pc = pc.mutate(_rn=prn).filter(lambda x: x._rn == 0).select(*key, "PricingCategory")
        expr = agg.join(latest, key).join(top_pc, key).order_by(
            [ibis.desc("effective_cost"), "ResourceId", "currency"])
        cols = ["provider", "ServiceCategory", "ServiceName", "ResourceId", "ResourceName",
                "ResourceType", "RegionId", "SubAccountName", "team", "cost_center", "environment",
                "workload_class", "application", "model", "owner", "PricingCategory", "currency",
                "billed_cost", "effective_cost", "list_cost", "consumed_quantity", "first_seen",
                "last_seen", "active_days", "tags"]
        df = _frame(self._run(expr).rename(columns={"tags_json": "tags"}), cols)
        for c in ("first_seen", "last_seen"):
            df[c] = pd.to_datetime(df[c])
        df["active_days"] = df["active_days"].astype("int64")
        return df

    def tag_keys(self, limit: int = 5) -> list[str]:
        """The tag keys on the most charges, most first, counted whatever their case, each
        spelled as the charges' tags spell it most often (`CostCenter`: what [tags] takes as
        the data shows it). A charge's keys are those of its Tags and of its AllocatedTags
        (split cost allocation), each once."""
        charges, tag_sets = self.backend.table("charges"), self.backend.table("tag_sets")
        pair = ["wb_tag_set", "wb_alloc_tag_set"]
        per_pair = charges.group_by(pair).aggregate(n=charges.count())
        sides = []
        for column in pair:
            sets = per_pair.join(tag_sets, per_pair[column] == tag_sets.wb_tag_set)
            sides.append(sets.select(*(sets[c] for c in pair), n=sets.n, text=sets.Tags,
                                     k=sets.wb_tags.keys().unnest()))
        # distinct: a key in both texts of one pair of tag sets counts once for its charges
        keys = sides[0].drop("text").union(sides[1].drop("text"), distinct=True)
        expr = (keys.group_by("k").aggregate(n=keys.n.sum())
                .order_by([ibis.desc("n"), "k"]).limit(limit))
        top = [str(k) for k in self._run(expr)["k"]]
        patterns = {k: p for k in top if (p := _written_key(k))}
        if not patterns:
            return top
        # The map's keys are folded: each top key's spelling is read from the texts (a
        # literal pattern per key, compiled once), each text counted for the charges it tags.
        texts = sides[0].union(sides[1])
        texts = texts.filter(texts.k.isin(list(patterns)))
        # A list's own member names ("key", "value") are no tag keys: a list is read by the
        # item pattern only, an object by the member pattern only.
        listed = texts.text.re_search(r"^\s*\[")
        spelled = ibis.cases(*((texts.k == k, ibis.ifelse(
            listed, texts.text.re_extract(item, 1), texts.text.re_extract(member, 1)).nullif(""))
            for k, (member, item) in patterns.items()))
        found = texts.select(texts.k, texts.n, spelled=spelled)
        found = found.group_by(["k", "spelled"]).aggregate(n=found.n.sum())
        most: dict[str, tuple] = {}
        for k, written, n in self._run(found).itertuples(index=False):
            if isinstance(written, str):  # NULL: no pattern found it (an escape in the key)
                most[k] = min(most.get(k, (0, "")), (-int(n), written))
        return [most[k][1] if k in most else k for k in top]


# Columns summed without amortized purchase rows (Queries._money).
LIST_PRICED = ("ListCost", "ContractedCost")
# The four cost columns of the frames, by the FOCUS column each sums.
MONEY = {"billed_cost": "BilledCost", "effective_cost": "EffectiveCost", "list_cost": "ListCost",
         "contracted_cost": "ContractedCost"}
# Direction overrides and isolates: a tag value "\u202eevil" would display as "live".
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _written_key(key: str) -> tuple[str, str] | None:
    """Regular expressions whose group 1 is a (case-folded) tag key as a Tags text writes
    it: (an object's member name, a {"key": ..., "value": ...} item's key). A letter is a class
    of its two cases ([cC]), not (?i), so that DuckDB (RE2) and Spark (Java) agree; None for
    a key a class cannot hold, which then shows folded."""
    if any(c in '[]\\^"' for c in key):
        return None
    body = "".join(f"[{c}{c.upper()}]" if len(c.upper()) == 1 and c.upper() != c
                   else c if c.isalnum() or c in " _-:/@=" else f"[{c}]" for c in key)
    return f'"({body})"\\s*:', f'"key"\\s*:\\s*"({body})"'


def _frame(df: pd.DataFrame, columns: list[str], exact: bool = False) -> pd.DataFrame:
    """The columns asked for: amounts float64 (kept Decimal with `exact`), counts int64, and
    text without direction overrides."""
    df = df[columns].reset_index(drop=True)
    for c in df.columns:
        if c in (*MONEY, *GAPS, "by_day_cost", "cost", "consumed_quantity"):
            if not exact:
                df[c] = df[c].astype("float64")
        elif c == "rows":
            df[c] = df[c].astype("int64")
        elif df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            df[c] = df[c].map(lambda v: _BIDI.sub("", v) if isinstance(v, str) else v)
    return df
