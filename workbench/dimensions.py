"""Dimensions the store groups and filters by, as Ibis expressions over the charge table.

A dimension is either a TEXT column of the canonical FOCUS schema (ServiceName,
RegionId, ...) or a derived one:

- provider: who sold the service (wb_provider);
- team, cost_center, environment, workload, model, application, owner: the first tag
  key of the configured list ([tags] in workbench.toml) present on the row, compared
  case-insensitively; a row with no model tag takes the ModelId of its SkuPriceDetails,
  where FOCUS puts an AI model's identity;
- workload_class: the workload tag when it names a known class, else the first
  matching [[workloads]] rule, else "unclassified";
- month: 'YYYY-MM' of ChargePeriodStart;
- tagged: "yes" when the team tag resolves to a team, else "no" (a value of "Unallocated"
  is none).

Tags are parsed once per distinct Tags value at ingest: the store keeps them in a small
`tag_sets` table (tag-set key, Tags text, wb_tags map with case-folded keys) and each
charge row carries the key (wb_tag_set). `with_tags` joins the two and resolves the tag
dimensions once per tag set, so a query reads them as if every row had its own map.

An allocated charge of a FOCUS 1.3 split cost allocation (a shared node's cost split over
the workloads that ran on it) carries the workload's tags in AllocatedTags, beside the
node's Tags: a tag dimension takes its value from AllocatedTags first, so the workload's
team pays for its share, and from Tags for a key AllocatedTags lacks.

Every expression is total: a missing tag value reads "Unallocated", a missing FOCUS
value "(none)", so grouping never drops a row and per-currency totals always
reconcile with the store. Expressions are plain Ibis so they compile for any backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import ibis
import ibis.expr.types as ir

from workbench.config import MODEL_ID_KEY, UNCLASSIFIED, WORKLOAD_CLASSES, Config
from workbench.errors import WorkbenchError
from workbench.schema import FOCUS_COLUMNS, TEXT

UNTAGGED = "Unallocated"
NONE = "(none)"

TAG_DIMS = ("team", "cost_center", "environment", "workload", "model", "application", "owner")
DERIVED_DIMS = ("provider", *TAG_DIMS, "workload_class", "month", "tagged")
FOCUS_TEXT_DIMS = tuple(c for c, t in FOCUS_COLUMNS.items() if t == TEXT and c != "Tags")
VALID_DIMS = (*DERIVED_DIMS, *FOCUS_TEXT_DIMS)

# The workload tag as workload_class compares it, resolved per tag set by with_tags. Taken
# from AllocatedTags first like the tag itself: normalising never turns a value into NULL,
# so the first non-NULL of the normalised values is the normalised first non-NULL value.
TAG_CLASS = "wb_tag_workload_class"


def check_dims(dims: Sequence[str]) -> list[str]:
    """The dims as a list; an unknown or repeated name is a WorkbenchError naming the valid ones."""
    if isinstance(dims, str):
        dims = [dims]
    out = list(dims)
    for d in out:
        if d not in VALID_DIMS:
            raise WorkbenchError(f"unknown dimension {d!r}; use one of: {', '.join(VALID_DIMS)}")
    if len(set(out)) != len(out):
        raise WorkbenchError(f"dimension listed twice in {out}")
    return out


def with_tags(charges: ir.Table, tag_sets: ir.Table, config: Config | None = None,
              allocated: bool = True) -> ir.Table:
    """The charge table with a `wb_tags` column from tag_sets (left join: no row is lost).

    With a config, each tag dimension is also resolved once per tag set (a few dozen rows,
    not one per charge) into a `wb_tag_<dim>` column that dim_expr then reads, from the
    row's AllocatedTags first, then its Tags (`allocated` False: the caller knows no row
    has AllocatedTags, and the second join is left out). Rows without either, or with keys
    tag_sets lacks, get NULLs: every tag dimension reads "Unallocated".
    """
    cols = {"wb_tags": tag_sets.wb_tags}
    dims = {f"wb_tag_{d}": tag_value(tag_sets, getattr(config.tags, d))
            for d in TAG_DIMS} if config is not None else {}
    if dims:  # once per tag set: per charge row it took a third of the overview's monthly query
        dims[TAG_CLASS] = _normalised_class(dims["wb_tag_workload"])
    tags = tag_sets.select(_tag_key=tag_sets.wb_tag_set, **cols, **dims)
    joined = charges.left_join(tags, charges.wb_tag_set == tags._tag_key)
    joined = joined.select(*charges.columns, *cols, *dims)
    if not dims or not allocated:
        return joined
    alloc = tag_sets.select(_alloc_key=tag_sets.wb_tag_set,
                            **{f"_alloc_{d}": v for d, v in dims.items()})
    joined = joined.left_join(alloc, joined.wb_alloc_tag_set == alloc._alloc_key)
    return joined.select(*charges.columns, *cols,
                         **{d: ibis.coalesce(joined[f"_alloc_{d}"], joined[d]) for d in dims})


def _tag_dim(t: ir.Table, dim: str, config: Config) -> ir.StringValue:
    """A tag dimension: resolved per tag set when the table has it (with_tags), else per row."""
    name = f"wb_tag_{dim}"
    return t[name] if name in t.columns else tag_value(t, getattr(config.tags, dim))


def _blank_to_null(value: ir.StringValue) -> ir.StringValue:
    return value.strip().nullif("")


# A provider's prefix before a tag key: AWS user:team, OCI defined tags FinOps.Team,
# Kubernetes-style example.com/team. What follows the last separator is the key's name.
KEY_PREFIX = r"^.*[:./]"


def tag_value(t: ir.Table, keys: Sequence[str]) -> ir.StringValue:
    """The first configured key present with a non-blank value (wb_tags keys are case-folded);
    failing that, the first configured key found after a provider's prefix (user:team for
    team); NULL if none."""
    values = [_blank_to_null(t.wb_tags.get(k.lower())) for k in keys]
    prefixed = t.wb_tags.keys().filter(lambda key: key.re_search(KEY_PREFIX)).sort()
    for k in keys:
        named = prefixed.filter(_named(k.lower()))
        # Guarded: Spark (ANSI mode) fails on [0] of an empty array where DuckDB gives NULL.
        values.append(ibis.ifelse(named.length() > 0, _blank_to_null(t.wb_tags.get(named[0])), None))
    return ibis.coalesce(*values)


def _named(name: str):
    return lambda key: key.re_replace(KEY_PREFIX, "") == name


# "ModelId": "solora-reasoning-pro" in SkuPriceDetails (FOCUS AI model identity); a regex,
# not a JSON function, so that it compiles alike for every backend.
SKU_MODEL_ID = r"(?i)" + MODEL_ID_KEY + r'([^"]+)"'


def sku_model(t: ir.Table) -> ir.StringValue:
    """The model a SKU price names in SkuPriceDetails, or NULL."""
    return _blank_to_null(t.SkuPriceDetails.re_extract(SKU_MODEL_ID, 1))


def _normalised_class(value: ir.StringValue) -> ir.StringValue:
    # "Fine_Tuning", " batch inference " -> "fine-tuning", "batch-inference"
    return value.lower().strip().re_replace(r"[_\s]+", "-")


def workload_class(t: ir.Table, config: Config) -> ir.StringValue:
    """Tagged class when valid, else the first rule whose every regex matches (search), else unclassified."""
    tagged = (t[TAG_CLASS] if TAG_CLASS in t.columns
              else _normalised_class(_tag_dim(t, "workload", config)))
    branches = [(tagged.isin(list(WORKLOAD_CLASSES)).fill_null(False), tagged)]
    for rule in config.workloads:
        conds = [t[col].re_search(pattern).fill_null(False) for col, pattern in rule.match.items()]
        cond = conds[0]
        for c in conds[1:]:
            cond = cond & c
        branches.append((cond, ibis.literal(rule.workload_class)))
    return ibis.cases(*branches, else_=UNCLASSIFIED)


def dim_expr(t: ir.Table, dim: str, config: Config) -> ir.StringValue:
    """One dimension as a never-NULL string expression."""
    if dim == "provider":
        return _blank_to_null(t.wb_provider).fill_null(NONE)
    if dim == "model":
        return ibis.coalesce(_tag_dim(t, dim, config), sku_model(t)).fill_null(UNTAGGED)
    if dim in TAG_DIMS:
        return _tag_dim(t, dim, config).fill_null(UNTAGGED)
    if dim == "workload_class":
        return workload_class(t, config)
    if dim == "month":
        return month_text(t.ChargePeriodStart)
    if dim == "tagged":
        # a team tag of "Unallocated" shows in the team chart as untagged spend does (one
        # bar): it counts as no team here too, so the two charts of a page agree
        team = _tag_dim(t, "team", config)
        return ibis.ifelse(team.notnull() & (team != UNTAGGED), "yes", "no")
    check_dims([dim])
    return _blank_to_null(t[dim]).fill_null(NONE)


def month_text(when: ir.TimestampValue) -> ir.StringValue:
    """'YYYY-MM' of a timestamp, "(none)" for NULL. Grouping by `when.truncate("M")` and
    formatting the groups gives the same months: formatting each of millions of rows cost
    more than their grouping."""
    return when.strftime("%Y-%m").fill_null(NONE)


def parse_day(value: str | None, what: str) -> datetime | None:
    """'YYYY-MM-DD' or 'YYYY-MM' (first day of the month) as a datetime; None passes through."""
    if value is None:
        return None
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y-%m"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    raise WorkbenchError(f"{what}: {value!r} is not a date like 2026-05-01 or a month like 2026-05")


def apply_filters(t: ir.Table, config: Config, start: str | None = None, end: str | None = None,
                  filters: Mapping[str, object] | None = None) -> ir.Table:
    """Rows with start <= ChargePeriodStart < end and every dimension equal to (one of) its values.

    Filter values are the displayed ones ("Unallocated", "(none)"); None means "all" (no
    filter on that dimension) and a value that never occurs matches no row.
    """
    lo, hi = parse_day(start, "start"), parse_day(end, "end")
    preds = []
    if lo is not None:
        preds.append(t.ChargePeriodStart >= lo)
    if hi is not None:
        preds.append(t.ChargePeriodStart < hi)
    for dim, wanted in (filters or {}).items():
        dim = "BillingCurrency" if dim == "currency" else dim  # frames call it currency
        check_dims([dim])
        if wanted is None:  # like an "all" choice in a picker
            continue
        values = [str(wanted)] if isinstance(wanted, str) else [str(v) for v in wanted]
        preds.append(dim_expr(t, dim, config).isin(values))
    return t.filter(*preds) if preds else t
