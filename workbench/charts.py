"""Altair charts with one theme. Every chart is titled with the question it answers.

Charts never add currencies: a frame with several currencies becomes one panel per
currency, each with its own axes and headed by its code. Rendering depends on where the
chart is shown (see `use`): static SVG (vl-convert) in reports, live widgets
(live_chart.LiveChart) in apps. Neither loads anything from a CDN. Whatever depends on the
data is data (the currencies are facet rows, bar orders a `rank` field), so that an app
redraws a chart of the same kind by swapping its data.
"""

from __future__ import annotations

import functools
import html
import os
import re
from collections.abc import Callable
from decimal import Decimal

import altair as alt
import pandas as pd
from pandas.api.types import infer_dtype

from workbench.currencies import to_smallest_unit
from workbench.tables import UNITS, exact_sum, money, money_exact, percent, signed_money

THEME = "workbench"
WIDTH = 560
FONT = "Helvetica, Arial, sans-serif"
PALETTE = ["#1f4e79", "#e07b39", "#3a9d8f", "#c44e52", "#8172b2", "#937860", "#da8bc3",
           "#8c8c8c", "#ccb974", "#64b5cd"]
UP, DOWN = "#c44e52", "#3a9d8f"  # spend up is bad news, spend down is good news
# Contrast on white (WCAG 2.1 AA): text at least 4.5:1, bars at least 3:1 (every colour here).
MUTED = "#666"  # 5.7:1
EARLIER = ("#7690b4", "#4a6d96")  # the comparison's last year and previous month: 3.3, 5.4:1
MODES = ("report", "app")
SPARSE_DAYS = 7  # a daily trend with this many days or fewer draws large points
# Encodings are channel objects (alt.Text(...)), never shorthand strings: Altair resolves a
# string by hashing its whole schema, which made up half the time to build a chart.


def _amount_label_expr() -> str:
    """A Vega expression for an amount axis's tick labels with the suffixes the bars' labels
    use (k, M, B, T: tables.money). SI prefixes would read 0.2 as "200m", taken for 200
    million, and a billion as "1G"."""
    v = "datum.value"
    steps = [f"abs({v}) >= {size:.0f} ? format({v} / {size:.0f}, ',~r') + '{suffix}'"
             for size, suffix in UNITS]
    return " : ".join([*steps, f"format({v}, '~r')"])


# Axes of amounts: short suffixes, and few enough ticks that the last label (flushed left to
# stay inside the chart) never runs into the one before it.
AMOUNT_AXIS = alt.Axis(labelExpr=_amount_label_expr(), tickCount=5)

# Names on a bar axis. The label a bar shows is computed here, in the data (column LABEL):
# a name longer than NAME_CHARS, or wider than NAME_PX at the axis's font size, shows its
# start and its end around an ellipsis (an ARN or a resource id differs at the end), and
# two names that would show the same label are told apart (see axis_labels). The bars are
# drawn on that column, so no two bars share a label; tooltips and filters keep the full
# name, and the page lists every name shown otherwise in full (pages.full_names).
NAME_CHARS, NAME_HEAD = 40, 24
NAME_PX, NAME_FONT_PX = 260, 11  # the y axes' labelLimit and label font size (the theme)
LABEL = "axis_label"
ELLIPSIS = "\u2026"
NAME_AXIS = alt.Axis(labelLimit=NAME_PX)

# Advance widths of Helvetica (Arial and Liberation Sans share them), in thousandths of an
# em, from space to "~". Fonts differ (a page without Helvetica or Arial falls back to a
# wider sans-serif such as DejaVu Sans), so a label's width is estimated generously from
# these: 1.2 times, at least 0.34 em a character, and a full em for anything not ASCII (a
# CJK character is one em wide). A label that fits by this estimate is never cut by
# labelLimit, whatever the font.
_HELVETICA = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 "
    "556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 "
    "722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 "
    "556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 "
    "260 334 584")
_EM = {chr(32 + i): max(1.2 * int(w) / 1000, 0.34) for i, w in enumerate(_HELVETICA.split())}


def label_width(text: str) -> float:
    """A generous estimate of `text`'s width in pixels on a name axis (see _HELVETICA)."""
    return NAME_FONT_PX * sum(_EM.get(ch, 1.0) for ch in text)


def _fits(label: str) -> bool:
    return len(label) <= NAME_CHARS and label_width(label) <= NAME_PX


def _cut(name: str, kept: int, head: int) -> str:
    return name[:head] + ELLIPSIS + name[len(name) - (kept - head):]


def _short(name: str, suffix: str = "") -> str:
    """`name` as its axis shows it, `suffix` added: whole if it fits, else as many of its
    first and last characters (NAME_HEAD to NAME_CHARS - NAME_HEAD - 1) as fit around an
    ellipsis."""
    if _fits(name + suffix):
        return name + suffix
    for kept in range(min(NAME_CHARS - 1 - len(suffix), len(name) - 1), 1, -1):
        head = max(1, min(kept - 1, round(kept * NAME_HEAD / (NAME_CHARS - 1))))
        if _fits(label := _cut(name, kept, head) + suffix):
            return label
    return name[:1] + ELLIPSIS + suffix


def _told_apart(names: list[str], taken: set[str]) -> list[str] | None:
    """Labels for names that shorten alike, each unique and none in `taken`: as many
    characters as fit, split elsewhere between start and end so as to show as much as
    possible of where the names differ, then nearest the usual split. None if no split
    tells them apart."""
    prefix = len(os.path.commonprefix(names))
    suffix = len(os.path.commonprefix([n[::-1] for n in names]))
    if min(prefix, suffix) >= NAME_CHARS - 2:  # neither a start nor an end shows a difference
        return None

    def differing_shown(kept: int, head: int) -> int:  # of each name's differing part
        return min(max(0, min(head, len(n) - suffix) - prefix)
                   + max(0, len(n) - suffix - max(len(n) - (kept - head), prefix, head))
                   for n in names)

    for kept in range(NAME_CHARS - 1, 1, -1):
        usual = round(kept * NAME_HEAD / (NAME_CHARS - 1))
        splits = []
        for head in range(1, kept):
            labels = [_cut(n, kept, head) for n in names]
            if (all(map(_fits, labels)) and len(set(labels)) == len(labels)
                    and not taken.intersection(labels)):
                splits.append((-differing_shown(kept, head), abs(head - usual), head, labels))
        if splits:
            return min(splits)[3]
    return None


def axis_labels(names) -> list[str]:
    """The label each name shows on a bar axis, in the order given (a name given twice, as
    in two currencies' panels, shows the same label).

    A name that fits shows whole; a longer or wider one its start and end around an
    ellipsis (see _short). Names that would show the same label show other parts of
    themselves, or, when only the part between their start and end differs, the label
    followed by " [1]", " [2]", ... in the names' order. Labels depend on the set of
    names only, so two charts of the same names label them alike.
    """
    names = [str(n) for n in names]
    unique = sorted(set(names))
    label = {n: _short(n) for n in unique}
    taken = {n for n in unique if label[n] == n}  # names shown whole keep their label
    groups: dict[str, list[str]] = {}
    for n in unique:
        if label[n] != n:
            groups.setdefault(label[n], []).append(n)
    for shown, group in groups.items():
        if len(group) == 1 and shown not in taken:
            taken.add(shown)
            continue
        others = taken | {s for s in groups if s != shown}
        labels = _told_apart(group, others)
        if labels is None:
            labels, i = [], 0
            for n in group:
                while (candidate := _short(n, f" [{(i := i + 1)}]")) in others:
                    pass
                labels.append(candidate)
        label.update(zip(group, labels, strict=True))
        taken.update(labels)
    return [label[n] for n in names]


def shortened(name: str) -> bool:
    """Whether a bar's axis shows `name` as anything but itself, on its own (see axis_labels:
    names that would share a label are shown otherwise too)."""
    return _short(str(name)) != str(name)


# Bars in the order of a `rank` column; `min` because layered charts (bars + labels) merge
# their sorts, which Vega-Lite allows only for min, max and count.
RANK = alt.EncodingSortField(field="rank", op="min", order="ascending")


@alt.theme.register(THEME, enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "view": {"stroke": None, "continuousWidth": WIDTH, "continuousHeight": 260},
            "title": {"anchor": "start", "fontSize": 15, "fontWeight": 600, "offset": 10,
                      "subtitleColor": "#555", "subtitleFontSize": 12},
            "axis": {"labelFontSize": NAME_FONT_PX, "titleFontSize": 12, "grid": False,
                     "domainColor": "#888", "tickColor": "#888"},
            # Provider / service names run long ("AWS / Amazon Elastic Compute Cloud").
            "axisY": {"grid": True, "gridColor": "#eee", "labelLimit": NAME_PX},
            "range": {"category": PALETTE},
            "bar": {"color": PALETTE[0]},
            "line": {"color": PALETTE[0], "strokeWidth": 2},
            "legend": {"orient": "bottom", "labelFontSize": 11, "titleFontSize": 11},
        }
    }


def use(mode: str) -> None:
    """Pick the offline renderer: 'report' -> inline SVG with a text alternative, 'app' ->
    a live chart widget.

    Either way any chart a notebook displays, even a plain `alt.Chart`, loads nothing
    from a CDN (Altair's default HTML output does).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    alt.theme.enable(THEME)
    if mode == "report":
        alt.renderers.enable(SVG)
    else:
        alt.renderers.enable(LIVE)


LIVE = "workbench-live"
SVG = "workbench-svg"


def text_alternative(spec: dict) -> str:
    """What a chart shows, in words: its title and subtitle, then its `description` (each
    bar's name and exact amount, ...): "Which teams spent it? (2026-06, effective cost).
    USD: search: $300.00, chat: $120.50." The accessible name of the chart, in a page and
    in its PDF, where a reader who cannot see the bars hears the amounts instead; the apps
    make the same text in the browser (assets/live_chart.js)."""
    raw = spec.get("title")
    params = raw if isinstance(raw, dict) else {"text": raw or ""}

    def lines(value) -> str:
        return " ".join(value) if isinstance(value, list) else str(value or "")

    text, sub = lines(params.get("text")), lines(params.get("subtitle"))
    head = f"{text} ({sub})" if sub else text
    said = str(spec.get("description") or "")
    if not (head and said):
        return head or said
    return f"{head}{'' if head.endswith(('.', '?', '!')) else '.'} {said}"


_SVG_ROOT = re.compile(r"<svg\b[^>]*>")


def accessible_svg(svg: str, label: str) -> str:
    """`svg` as one image to assistive technology: role="img" and `label` on its root.

    Vega marks each bar with a float ("cost: 1234.5599") and each axis with its scale; a
    reader needs the question and the exact amounts instead. A chart's PDF keeps it as a
    figure with `label` as its alternative text (Chromium tags the PDF from these roles).
    """
    root = _SVG_ROOT.search(svg)
    if root is None or not label:
        return svg
    tag = root.group(0)
    tag = tag[:-1].rstrip("/") + f' role="img" aria-label="{html.escape(label)}">'
    return svg[:root.start()] + tag + svg[root.end():]


def _svg_renderer(spec: dict, **metadata) -> dict:
    """Altair's SVG (vl-convert, offline) with the chart's text alternative on it."""
    import importlib

    # Altair's own renderer, of the Vega-Lite version it speaks (altair.vegalite.v6, ...)
    display = importlib.import_module(f"altair.vegalite.{alt.SCHEMA_VERSION.split('.')[0]}.display")
    bundle = display.svg_renderer(spec, **metadata)
    bundle["image/svg+xml"] = accessible_svg(bundle["image/svg+xml"], text_alternative(spec))
    return bundle


alt.renderers.register(SVG, _svg_renderer)


def _live_renderer(spec: dict, **_) -> tuple[dict, dict]:
    """Any chart displayed in an app becomes a LiveChart (offline Vega, loaded once)."""
    from workbench.live_chart import LiveChart

    return LiveChart(spec)._repr_mimebundle_()


alt.renderers.register(LIVE, _live_renderer)


# `workbench report` and `workbench app` set WORKBENCH_MODE for their kernels, so that a
# notebook that never calls `use` still renders offline.
if os.environ.get("WORKBENCH_MODE") in MODES:
    use(os.environ["WORKBENCH_MODE"])


def show(chart: alt.TopLevelMixin, mode: str):
    """What to display: the chart itself (SVG renderer) in reports, a live widget in apps."""
    if mode != "app":
        return chart
    from workbench.live_chart import LiveChart

    return LiveChart(chart.to_dict())


def _title(question: str, subtitle: str | None = None) -> alt.TitleParams:
    return alt.TitleParams(question, subtitle=[subtitle] if subtitle else alt.Undefined)


CURRENCY_HEADER = alt.Header(labelOrient="top", labelAnchor="start", labelAngle=0,
                             labelFontWeight="bold", labelFontSize=12, labelPadding=4)


def _per_currency(df: pd.DataFrame, prepare: Callable[[pd.DataFrame, str], pd.DataFrame],
                  panel: alt.LayerChart, question: str, subtitle: str | None = None,
                  shared_x: bool = False, name: str | None = None,
                  say: Callable[[pd.DataFrame], str] | None = None) -> alt.TopLevelMixin:
    """One panel per currency, headed by its code: amounts of two currencies never share an
    axis. The panels are one faceted chart, so the number of currencies is data: an app
    redraws a chart that goes from two currencies to one in place.

    `prepare(rows of one currency, currency)` gives the panel's rows; `panel` draws them.
    `name`: the column of names the bars are labelled by (their axis labels become LABEL).
    `say(prepared rows of one currency)`: what its panel shows in words, for the chart's
    text alternative (its `description`: see accessible_svg).
    """
    if df.empty:  # still subtitled: a reader must see which selection has no spend
        return empty(question, "no spend in this selection", subtitle)
    parts = [prepare(sub, cur).assign(currency=cur)
             for cur, sub in df.groupby("currency", sort=True)]
    data = pd.concat(parts, ignore_index=True)
    description = " ".join(f"{p['currency'].iloc[0]}: {say(p)}." for p in parts) if say else ""
    for col in data.columns:  # amounts are drawn as floats (their texts were made exact)
        if data[col].dtype == object and _holds_decimal(data[col]):
            data[col] = data[col].astype(float)
    if name is not None:
        data[LABEL] = axis_labels(data[name])
    # One constructor call: every chained method (resolve_scale, properties) deep-copies the
    # whole chart, which was a third of the time to build a view.
    scale = alt.ScaleResolveMap(x="shared" if shared_x else "independent", y="independent")
    return panel.facet(row=alt.Row("currency:N", title=None, header=CURRENCY_HEADER), data=data,
                       resolve=alt.Resolve(scale=scale), title=_title(question, subtitle),
                       description=description or alt.Undefined)


def _holds_decimal(col: pd.Series) -> bool:
    """Whether an object column holds a Decimal. pandas' type inference (in C) settles the
    common cases, names and all-Decimal amounts, without a Python loop over every row: that
    loop was a twentieth of the time to build a view."""
    kind = infer_dtype(col, skipna=True)
    return kind == "decimal" or (kind.startswith("mixed")
                                 and any(isinstance(v, Decimal) for v in col))


def empty(question: str, reason: str, subtitle: str | None = None) -> alt.Chart:
    """A titled chart that says why there is nothing to show (still renders as a chart)."""
    data = pd.DataFrame({"text": [reason]})
    return (alt.Chart(data).mark_text(fontSize=13, color=MUTED)
            .encode(text=alt.Text("text:N")).properties(width=WIDTH, height=60, title=_title(question, subtitle),
                                                     description=reason))


def _with_labels(df: pd.DataFrame, value: str, cur: str) -> pd.DataFrame:
    """`value` as a float to draw, with the texts shown from the exact amount: "amount" on
    the chart, short ($1.2k), and "exact" in the tooltip, to the cent as the tables print it."""
    out = df.copy()
    out["amount"] = [money(v, cur) for v in out[value]]
    out["exact"] = [money_exact(v, cur) for v in out[value]]
    out[value] = out[value].astype(float)
    return out


def _exact_per_day(sub: pd.DataFrame) -> pd.DataFrame:
    """date, cost: each day's costs added exactly (tables.exact_sum: a float sum put $7.383 +
    $8.072 at $15.45); a day with no known cost (NaN: no data) stays NaN, a gap."""
    days: dict = {}
    for day, cost in zip(sub["date"], sub["cost"], strict=True):
        days.setdefault(day, [])
        if not pd.isna(cost):
            days[day].append(cost)
    return pd.DataFrame({"date": sorted(days), "cost": [exact_sum(days[d]) if days[d] else
                                                      float("nan") for d in sorted(days)]})


def bar(df: pd.DataFrame, dim: str, question: str, value: str = "cost",
        subtitle: str | None = None, limit: int = 12) -> alt.TopLevelMixin:
    """Horizontal bars of `value` by `dim`, largest first, per currency. Past `limit` bars
    the rest (the smallest in size) is one bar, "other (N more)", so that the bars still add
    up to the total."""

    def prepare(sub: pd.DataFrame, cur: str) -> pd.DataFrame:
        other_row = None
        if len(sub) > limit:
            top = _own_bars(sub, value, limit)
            rest = sub.drop(top.index)
            other = {dim: _other(rest), value: exact_sum(rest[value])}
            sub = pd.concat([top, pd.DataFrame([{**sub.iloc[0].to_dict(), **other}])],
                            ignore_index=True)
            other_row = limit - 1
        sub = _with_labels(sub, value, cur)
        # Largest first and "other" last (the bars' own sort would be by name: the labels'
        # layer encodes another x); ties keep the frame's order, so a view is stable.
        sub["rank"] = sub[value].rank(ascending=False, method="first")
        if other_row is not None:
            sub.loc[other_row, "rank"] = len(sub) + 1
        return sub

    return _per_currency(df, prepare, _bar_panel(dim, value), question, subtitle, name=dim,
                         say=lambda sub: _listed(sub, dim))


def _listed(sub: pd.DataFrame, name: str, amount: str = "exact") -> str:
    """Each bar of a panel in its order, by its full name with its exact amount."""
    # sorted in Python: a frame's sort_values per panel cost more than the words it orders
    rows = sorted(zip(sub["rank"], sub[name], sub[amount], strict=True), key=lambda r: r[0])
    return ", ".join(f"{n}: {a}" for _, n, a in rows)


def _other(rest: pd.DataFrame) -> str:
    return f"other ({len(rest):,} more)"


def _own_bars(sub: pd.DataFrame, value: str, limit: int) -> pd.DataFrame:
    """The rows of one currency that `bar` draws as bars of their own: the largest in size,
    so a big credit (a team's refund, untagged credits as Unallocated) is not netted away
    unseen in "other"."""
    if len(sub) <= limit:
        return sub
    return sub.loc[sub[value].astype(float).abs().nlargest(limit - 1).index]


def bar_rows(df: pd.DataFrame, dim: str, value: str = "cost", limit: int = 12) -> pd.DataFrame:
    """The rows `bar` draws as bars of their own (not those it sums into "other"), as given,
    with the label each shows on the axis (column LABEL)."""
    parts, others = [], []
    for _, sub in df.groupby("currency", sort=True):
        parts.append(own := _own_bars(sub, value, limit))
        if len(own) < len(sub):
            others.append(_other(sub.drop(own.index)))
    rows = pd.concat(parts, ignore_index=True) if parts else df.iloc[0:0].copy()
    rows[LABEL] = axis_labels([*rows[dim], *others])[:len(rows)]  # as the chart labels them
    return rows


# Panels hold no data, so one per kind of chart serves every view (building one is most of
# the time Altair takes); nothing here changes a chart in place.
@functools.lru_cache(maxsize=64)
def _bar_panel(dim: str, value: str) -> alt.LayerChart:
    base = alt.Chart().encode(
        y=alt.Y(f"{LABEL}:N", sort=RANK, title=None, axis=NAME_AXIS),
        x=alt.X(f"{value}:Q", title="Effective cost", axis=AMOUNT_AXIS),
        tooltip=[alt.Tooltip(f"{dim}:N"), alt.Tooltip("exact:N", title="cost")])
    # Labels start at the bar's end, or at zero for a negative bar (a credit): never on the bar.
    text = base.transform_calculate(label_x=f"max(datum['{value}'], 0)").mark_text(
        align="left", dx=4, fontSize=11).encode(x=alt.X("label_x:Q"), text=alt.Text("amount:N"))
    return alt.layer(base.mark_bar(), text).properties(width=WIDTH - 140, height=alt.Step(22))


def movers(df: pd.DataFrame, label: str, question: str, subtitle: str | None = None
           ) -> alt.TopLevelMixin:
    """Diverging bars of `change` by `label` (increases red, decreases green)."""

    def prepare(sub: pd.DataFrame, cur: str) -> pd.DataFrame:
        sub = sub.copy()
        sub["direction"] = ["up" if c > 0 else "down" for c in sub["change"]]
        sub["amount"] = [signed_money(c, cur) for c in sub["change"]]
        sub["exact"] = [signed_money(c, cur, exact=True) for c in sub["change"]]
        sub["pct"] = [percent(p, signed=True) for p in sub["change_pct"]]
        sub["change"] = sub["change"].astype(float)
        sub["rank"] = sub["change"].rank(ascending=False, method="first")
        # No percentage of a base of 0 (new) or below (a credit that ended): the base instead.
        sub["bar_text"] = _changes(sub["amount"], sub["pct"], sub["previous"], cur)
        # said in words too: a reader who cannot tell the bars' red from green hears "up"
        sub["said"] = [f"{'up' if c > 0 else 'down'} {t}" for c, t in
                       zip(sub["change"], _changes(sub["exact"], sub["pct"], sub["previous"], cur,
                                                   exact=True), strict=True)]
        return sub

    return _per_currency(df, prepare, _movers_panel(label), question, subtitle, name=label,
                         say=lambda sub: _listed(sub, label, "said"))


def _changes(amounts, pcts, previous, cur: str, exact: bool = False) -> list[str]:
    """"+$1.2k (+4.0%)"; no percentage of a base of 0 (new) or below (a credit that ended):
    the base instead."""
    base = money_exact if exact else money
    return [f"{a} ({p})" if p != "n/a" else f"{a} (new)" if _shows_zero(before, cur)
            else f"{a} (was {base(before, cur)})"
            for a, p, before in zip(amounts, pcts, previous, strict=True)]


def _shows_zero(amount, cur: str) -> bool:
    """A base that reads 0 in the currency's smallest unit ($0.004): a change from it is new."""
    return not pd.isna(amount) and to_smallest_unit(amount, cur) == 0


@functools.lru_cache(maxsize=16)
def _movers_panel(label: str) -> alt.LayerChart:
    base = alt.Chart().encode(
        y=alt.Y(f"{LABEL}:N", sort=RANK, title=None, axis=NAME_AXIS),
        x=alt.X("change:Q", title="Change in effective cost", axis=AMOUNT_AXIS),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip("exact:N", title="change"),
                 alt.Tooltip("pct:N", title="change %")])
    bars = base.mark_bar().encode(color=alt.Color(
        "direction:N", scale=alt.Scale(domain=["up", "down"], range=[UP, DOWN]), legend=None))
    ups = base.transform_filter("datum.change >= 0").mark_text(align="left", dx=4, fontSize=11)
    # A decrease is labelled right of the zero line: at the bar's end it would run into the
    # row names when the bar reaches the left edge.
    downs = base.transform_filter("datum.change < 0").mark_text(
        align="left", dx=4, fontSize=11).encode(x=alt.datum(0))
    labels = [layer.encode(text=alt.Text("bar_text:N")) for layer in (ups, downs)]
    return alt.layer(bars, *labels).properties(width=WIDTH - 260, height=alt.Step(22))


def trend(daily: pd.DataFrame, month_start: str, month_end: str, question: str,
          subtitle: str | None = None) -> alt.TopLevelMixin:
    """Daily cost line with the report month shaded (end exclusive), its start marked by a
    dashed line and its name: the shade alone (1.1:1 on white) is seen by few.

    The shaded band is one more row per currency (kind "month") beside the daily rows (kind
    "day"), so that every layer draws from the panel's one data set.
    """
    band = {"kind": "month", "start": pd.Timestamp(month_start),
            "end": pd.Timestamp(month_end) - pd.Timedelta(days=1), "month": month_start[:7]}

    def prepare(sub: pd.DataFrame, cur: str) -> pd.DataFrame:
        sub = _with_labels(_exact_per_day(sub), "cost", cur)  # one currency: safe to add
        sub["date"] = pd.to_datetime(sub["date"])
        return pd.concat([sub.assign(kind="day"), pd.DataFrame([band])], ignore_index=True)

    # A few days of data (a monthly invoice is one day) are points a reader must see; on a
    # dense series the line carries the shape and points stay small.
    # days without charges are 0s, days the data lacks NaN (overview.daily_window)
    charged = daily[daily["cost"].notna() & (daily["cost"] != 0)]
    days = charged.groupby("currency")["date"].nunique().max() if len(charged) else 0
    panel = _trend_panel(days <= SPARSE_DAYS)
    return _per_currency(daily, prepare, panel, question, subtitle, shared_x=True,
                         say=_trend_said)


def _trend_said(sub: pd.DataFrame) -> str:
    """A daily line in words: the days it runs over, its highest and lowest day, and its
    last day (each to the cent)."""
    # (date, cost, exact) in plain Python: frame filters and sorts cost more than a panel's
    # few dozen days
    days = sorted(((d, c, e) for k, d, c, e in zip(sub["kind"], sub["date"], sub["cost"],
                                                  sub["exact"], strict=True)
                   if k == "day" and not pd.isna(c)), key=lambda r: r[0])
    if not days:
        return "no charges"

    def day(row) -> str:
        return f"{row[2]} on {row[0]:%Y-%m-%d}"

    # the first day of the highest and of the lowest cost
    high, low = max(days, key=lambda r: r[1]), min(days, key=lambda r: r[1])
    return (f"daily cost from {days[0][0]:%Y-%m-%d} to {days[-1][0]:%Y-%m-%d}, "
            f"highest {day(high)}, lowest {day(low)}, last {day(days[-1])}")


@functools.lru_cache(maxsize=2)
def _trend_panel(sparse: bool = False) -> alt.LayerChart:
    month = alt.Chart().transform_filter("datum.kind == 'month'")
    shade = month.mark_rect(color="#1f4e79", opacity=0.08).encode(
        x=alt.X("start:T", title=None), x2=alt.X2("end:T"))
    start = month.mark_rule(color="#888", strokeDash=[4, 3]).encode(x=alt.X("start:T"))  # 3.5:1
    name = month.mark_text(align="left", baseline="top", dx=4, dy=2, fontSize=11, color=MUTED).encode(
        x=alt.X("start:T"), y=alt.value(0), text=alt.Text("month:N"))
    # Points as well: a single day of data is a point, where a line draws nothing.
    line = alt.Chart().transform_filter("datum.kind == 'day'").mark_line(
        point=alt.OverlayMarkDef(size=60 if sparse else 10, filled=True, clip=False,
                                 color=PALETTE[0])).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("cost:Q", title="Effective cost per day", axis=AMOUNT_AXIS),
        tooltip=[alt.Tooltip("date:T"), alt.Tooltip("exact:N", title="cost")])
    return alt.layer(shade, start, name, line).properties(width=WIDTH, height=220)


def comparison(headline: pd.DataFrame, question: str, subtitle: str | None = None
               ) -> alt.TopLevelMixin:
    """This month vs the previous month and the same month last year, per currency."""
    rows = []
    for rec in headline.to_dict("records"):
        for period, col in (("same month last year", "last_year"), ("previous month", "previous"),
                            ("this month", "cost")):
            if not pd.isna(rec[col]):
                rows.append({"currency": rec["currency"], "period": f"{period}",
                             "month": rec[{"cost": "month", "previous": "previous_month",
                                           "last_year": "last_year_month"}[col]],
                             "cost": rec[col]})
    df = pd.DataFrame(rows, columns=["currency", "period", "month", "cost"])
    order = ["same month last year", "previous month", "this month"]

    def prepare(sub: pd.DataFrame, cur: str) -> pd.DataFrame:
        sub = _with_labels(sub, "cost", cur)
        sub["bar"] = sub["period"] + " (" + sub["month"] + ")"
        sub["rank"] = sub["period"].map(order.index)
        return sub

    return _per_currency(df, prepare, _comparison_panel(tuple(order)), question, subtitle,
                         say=lambda sub: _listed(sub, "bar"))


@functools.lru_cache(maxsize=1)
def _comparison_panel(order: tuple[str, ...]) -> alt.LayerChart:
    base = alt.Chart().encode(
        y=alt.Y("bar:N", sort=RANK, title=None),
        x=alt.X("cost:Q", title="Effective cost", axis=AMOUNT_AXIS),
        tooltip=[alt.Tooltip("bar:N", title="period"), alt.Tooltip("exact:N", title="cost")])
    bars = base.mark_bar().encode(color=alt.Color(
        "period:N", scale=alt.Scale(domain=list(order), range=[*EARLIER, PALETTE[0]]),
        legend=None))
    # As on the other bars: a month of net credits is labelled from zero, not on its dark bar.
    text = base.transform_calculate(label_x="max(datum.cost, 0)").mark_text(
        align="left", dx=4, fontSize=11, color="#222").encode(
        x=alt.X("label_x:Q"), text=alt.Text("amount:N"))
    return alt.layer(bars, text).properties(width=WIDTH - 200, height=alt.Step(26))
