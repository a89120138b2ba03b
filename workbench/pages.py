"""Notebook pages: named sections that render statically in reports and live in apps.

A page is built from a function `build(state) -> {name: content}` where content is an
Altair chart, an `Html` fragment or a list of fragments. A notebook shows one section
per cell (`page.show("provider")`). In report mode a section is displayed once (SVG
charts, static HTML). In app mode each section becomes a widget (live_chart.LiveChart or
ipywidgets.HTML) and `page.update(...)` recomputes every section and redraws the
widgets in place, so a control change never re-executes the notebook.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd

from workbench import charts, coverage, overview, tables
from workbench.errors import WorkbenchError
from workbench.live_chart import LiveChart, split_spec

Content = Any  # alt.TopLevelMixin | tables.Html | list[tables.Html]
CACHED_STATES = 64


def _html(content) -> tables.Html:
    if isinstance(content, list | tuple):
        return tables.Html("".join(str(c) for c in content))
    return tables.Html(str(content))


def _without_none(value):
    """A state with unset choices removed: {"team": None} and {} are the same view."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    return value


@dataclass
class Page:
    build: Callable[[dict], Mapping[str, Content]]
    state: dict
    mode: str = "report"
    options: dict = field(default_factory=dict)  # control name -> choices (app mode)
    sections: dict = field(init=False)
    live: dict = field(init=False, default_factory=dict)
    _rendered: dict = field(init=False, default_factory=dict)  # state -> (sections, specs/HTML)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _building: dict = field(init=False, default_factory=dict)  # state -> Event set when built
    _quiet: threading.Condition = field(init=False, default_factory=threading.Condition)
    _busy: bool = field(init=False, default=False)  # a visitor's change is being served
    _prefetches: int = field(init=False, default=0)  # a newer prefetch stops older ones

    def __post_init__(self) -> None:
        charts.use(self.mode)
        self.sections = dict(self.build(self.state))

    def content(self, name: str) -> Content:
        if name not in self.sections:
            raise WorkbenchError(f"page has no section {name!r}; sections: {', '.join(self.sections)}")
        return self.sections[name]

    def widget(self, name: str):
        """The live widget for a section (app mode), created on first use."""
        if name not in self.live:
            import ipywidgets as w

            c = self.content(name)
            self.live[name] = (LiveChart(c.to_dict()) if isinstance(c, alt.TopLevelMixin)
                               else w.HTML(_html(c)))
        return self.live[name]

    def show(self, name: str) -> None:
        from IPython.display import display

        if self.mode == "app":
            display(self.widget(name))
        else:
            c = self.content(name)
            chart = isinstance(c, alt.TopLevelMixin)
            shown = c if chart else _html(c)
            if chart or shown:  # nothing to say: no output
                display(shown)

    def show_controls(self, filters: tuple[str, ...] = ("provider", "team")) -> None:
        """The controls (app mode only: a report shows the state in each chart's subtitle)."""
        from IPython.display import display

        if self.mode == "app":
            from workbench import widgets

            display(widgets.controls(self, filters))

    def _render(self, state: dict) -> tuple[dict, dict]:
        """(sections, {section: split Vega-Lite spec or HTML}) for a state, kept for reuse.

        Specs are made without validation: the same charts were validated when first drawn
        and only their data differs, so validating again costs time and finds nothing.
        The lock guards only the kept states, never a build: a control change does not
        wait for a background prefetch to finish building another view, only for one
        already building the view it asks for.
        """
        key = json.dumps(_without_none(state), sort_keys=True, default=str)
        while True:
            with self._lock:
                kept = self._rendered.pop(key, None)
                if kept is not None:  # most recently used last: evicted last
                    self._rendered[key] = kept
                    return kept
                other = self._building.get(key)
                if other is None:
                    done = self._building[key] = threading.Event()
                    break
            # Another thread is building this view (a prefetch the visitor caught up
            # with): finishing it is sooner than starting again. If it failed, build here.
            # A visitor lets background builds run while it waits for one of them.
            if _background.page is self:
                other.wait()
            else:
                self._set_busy(False)
                try:
                    other.wait()
                finally:
                    self._set_busy(True)
        try:
            sections = dict(self.build(state))
            specs = {}
            for name, c in sections.items():
                checkpoint()
                specs[name] = (split_spec(c.to_dict(validate=False))
                               if isinstance(c, alt.TopLevelMixin) else _html(c))
            kept = (sections, specs)
            with self._lock:
                kept = self._rendered.setdefault(key, kept)
                while len(self._rendered) > CACHED_STATES:
                    self._rendered.pop(next(iter(self._rendered)))
            return kept
        finally:
            with self._lock:
                if self._building.get(key) is done:
                    del self._building[key]
            done.set()

    def update(self, **state) -> None:
        """Recompute every section for the new state and redraw the live widgets in place.

        A widget whose content is unchanged sends nothing (traitlets skips equal values);
        a chart whose shape is unchanged gets only its new data and title, which the browser
        swaps into the running view (see live_chart.py).
        """
        self._set_busy(True)
        try:
            new = {**self.state, **state}
            self.sections, rendered = self._render(new)  # a view that fails changes nothing
            self.state = new
            for name, wid in self.live.items():
                if isinstance(wid, LiveChart):
                    wid.draw(rendered[name])
                else:
                    wid.value = rendered[name]
        finally:
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        with self._quiet:
            self._busy = busy
            self._quiet.notify_all()

    def prefetch(self, changes: list[dict]) -> threading.Thread:
        """Render the states one control change away, in the background.

        In a preheated app kernel this runs before any visitor arrives, so the first
        changes a visitor makes redraw from kept specs instead of rebuilding charts. The
        thread runs at a lower CPU priority (on Linux), pauses at every checkpoint while a
        control change is being served (Python threads share one interpreter, so a build
        running beside the visitor's would halve its speed) and stops when a newer prefetch
        starts (the visitor moved on), so it never holds up what a visitor is waiting for.
        """
        base = dict(self.state)
        with self._lock:
            self._prefetches += 1
            mine = self._prefetches

        def work() -> None:
            _lower_priority()
            _background.page = self
            for change in changes:
                checkpoint()
                if self._prefetches != mine:
                    return
                try:
                    self._render({**base, **change})
                except Exception:  # said when a visitor picks that view (widgets.controls)
                    continue

        thread = threading.Thread(target=work, name="page-prefetch", daemon=True)
        thread.start()
        return thread


class _Background(threading.local):
    page: Page | None = None  # in a prefetch thread: the page it renders for


_background = _Background()


def checkpoint() -> None:
    """In a prefetch thread, wait while a visitor's change is being served; elsewhere, do
    nothing. Builds call it between sections, so a visitor shares the interpreter with a
    background build for one section at most. A thread holds no lock of its own here."""
    page = _background.page
    if page is not None:
        with page._quiet:
            page._quiet.wait_for(lambda: not page._busy)


def _lower_priority(niceness: int = 10) -> None:
    """Lower the calling thread's CPU priority (Linux: a thread id is a process id here)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):
        pass


# -- the spend overview ----------------------------------------------------------------

@dataclass(frozen=True)
class OverviewData:
    """What the overview needs from the store, fetched once (filters apply in memory)."""

    monthly: pd.DataFrame
    daily: pd.DataFrame
    months: list[str]
    default_month: str | None
    coverage: tuple | None = None  # (start, end exclusive) of the time the data covers
    tag_keys: list[str] = field(default_factory=list)  # the most common keys in the data
    keys_tried: dict[str, list[str]] = field(default_factory=dict)  # [tags] per dimension
    load_warnings: list[str] = field(default_factory=list)  # what loading the data warned about
    provider_spans: pd.DataFrame | None = None  # Store.provider_coverage(): each provider's time
    # the months each currency has charges in (overview.currency_months), read from
    # `monthly` (so never stale after dataclasses.replace): a month one lacks is no data for it
    currency_months: dict[str, frozenset[str]] = field(init=False, repr=False)
    # the months each provider's exports hold (Store.provider_months; without them, the
    # months it has charges in): a month they lack is no data for its lines, not 0
    provider_months: dict[str, frozenset[str]] | None = None
    # Store.delivery_ends(): how far each provider's data reaches, per currency
    delivery_ends: pd.DataFrame | None = None
    # Store.figure_warnings(): how many of load_warnings change a figure (None: unknown)
    figure_warnings: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "currency_months", overview.currency_months(self.monthly))
        if self.provider_months is None:
            object.__setattr__(self, "provider_months", overview.provider_months(self.monthly))


def load_overview(store) -> OverviewData:
    """One monthly and one daily query; everything else is computed from these frames."""
    # Decimal amounts: what the pages show is exact to the cent at any size (a float holds
    # 15 to 17 digits: $1,234,567.0049999999 read as 1234567.005, shown $1,234,567.01)
    monthly = store.monthly(dims=overview.MONTHLY_DIMS, exact=True)
    daily = store.daily(dims=overview.DAILY_DIMS, exact=True)
    months = sorted(set(monthly["month"]) - {overview.NONE})
    tried = {d: list(getattr(store.config.tags, d)) for d in ("team", "environment")}
    spans = store.provider_coverage()  # one query for the default month and the notices
    # the keys the data has are named only when a dimension has no value at all
    # (overview_notices); reading their spellings is a pass over every tag set, kept off
    # a store whose tags fill both
    keys = store.tag_keys() if overview.empty_dimensions(monthly, list(tried)) else []
    return OverviewData(monthly, daily, months, coverage.last_complete_month(months, spans),
                        store.coverage(), keys, tried, store.load_warnings(), spans,
                        store.provider_months(), store.delivery_ends(), store.figure_warnings())


def overview_sections(data: OverviewData, state: Mapping) -> dict[str, Content]:
    """Every figure of the overview for one month and a set of filters."""
    month = state["month"]
    filters = {k: [v] for k, v in (state.get("filters") or {}).items() if v}
    monthly = overview.apply_filters(data.monthly, filters)
    daily = overview.apply_filters(data.daily, {k: v for k, v in filters.items()
                                                if k in data.daily.columns})
    where = "; ".join(f"{k} = {v[0]}" for k, v in filters.items())
    chosen = f", {where}" if where else ""  # every chart names the selection it shows
    sub = f"{month}{chosen}, effective cost"

    held = data.currency_months
    by_provider = data.provider_months
    end = data.coverage[1] if data.coverage else None
    # providers whose data stops before the rest: their missing days are no fall
    short = overview.short_of(data.delivery_ends, month, end)
    head = overview.headline(monthly, month, months=held, providers=by_provider, short=short,
                             end=end)
    untagged = overview.untagged_share(monthly, month)
    prev = overview.shift_month(month, -1)
    # everything would look "new": no movers of a currency without a baseline, nor lines of
    # a provider without one
    movers = overview.comparable(overview.top_movers(monthly, month, providers=by_provider,
                                                     short=short), month, held)
    notes = [tables.notice(n) for n in overview_notices(data, month)
             + overview.not_compared(monthly, month, by_provider, held)
             + overview.not_delivered(monthly, month, short)]
    if len(data.load_warnings) > 1:
        notes.append(tables.details(f"All {len(data.load_warnings):,} warnings of the load",
                                    data.load_warnings))
    # a month the data covers in part has its own note; per day of the calendar would mislead
    per_day = (overview.per_day_note(head, monthly)
               if covers_whole(data, month) and covers_whole(data, prev) else None)
    story = (overview.narrative(head, untagged, movers, per_day)
             + overview.like_for_like(daily, month, overview.held_days(end, month), short)
             + overview.billed_apart(monthly, month)
             or [f"No spend in {month} for this selection."])
    prev_m, ly_m = overview.shift_month(month, -1), overview.shift_month(month, -12)
    summary = [tables.table(
        overview.comparisons(head), money_cols=["cost", "then"], signed_cols=["change"],
        percent_cols=["change_pct"],
        labels={"cost": month, "against": "compared with", "then": "spend then",
                "change_pct": "change %"},
        title=f"Effective spend in {month} against {prev_m} and {ly_m}, per currency", exact=True),
        *[tables.paragraph(s) for s in story], *notes]

    checkpoint()
    out: dict[str, Content] = {
        "summary": summary,
        "comparison": charts.comparison(head, "How does this month compare with last month "
                                              "and last year?", sub),
    }
    shown = {}  # the rows each chart names on its axis, for the names it shortens
    for dim, question in overview.BREAKDOWNS.items():
        checkpoint()
        rows = overview.breakdown(monthly, month, dim)
        out[dim] = charts.bar(rows, dim, question, subtitle=sub)
        shown[dim] = charts.bar_rows(rows, dim)
    checkpoint()
    question = "What changed most since last month?"
    days = overview.held_days(end, month)
    span = "" if days is None else f" ({days} days against {overview.days_in(prev)})"
    out["movers"] = (charts.movers(movers, "label", question,
                                   f"top 10 provider / service changes, {sub}{span}")
                     if not movers.empty else
                     charts.empty(question, no_movers_reason(monthly, month, held), sub))
    changes = movers.assign(**{charts.LABEL: charts.axis_labels(movers["label"])})
    out["full_names"] = full_names(shown, changes, prev)  # no movers without `prev`
    checkpoint()
    start, end = overview.month_range(month)
    out["trend"] = charts.trend(overview.daily_window(daily, month, coverage=data.coverage,
                                                     months=held), start, end,
                                "How did daily spend move into this month?",
                                f"daily effective cost{chosen}, {month} shaded")
    checkpoint()
    share = overview.breakdown(monthly, month, "tagged")
    out["untagged"] = charts.bar(share.assign(tagged=share["tagged"].map(
        {"yes": "attributed", "no": overview.UNTAGGED}).fillna(share["tagged"])), "tagged",
        "How much spend can we not attribute to a team?", subtitle=sub)
    out["untagged_table"] = tables.table(
        untagged.assign(share=[tables.percent(v) for v in untagged["share"]]),
        money_cols=["untagged", "total"],
        labels={"untagged": "unallocated spend", "total": "total spend", "share": "share of spend"},
        title="Spend with no team tag (Unallocated), per currency", exact=True)
    return out


def no_movers_reason(monthly: pd.DataFrame, month: str, months: overview.Months) -> str:
    """Why the chart of changes has no bar: no month to compare with (for any currency of
    the selection; `months` as overview.headline takes them), spend that did not move (a
    flat monthly fee), or no spend at all in the selection."""
    prev = overview.shift_month(month, -1)
    here = (set(monthly.loc[monthly["month"].isin([month, prev]), "currency"])
            or set(months if isinstance(months, Mapping) else [""]))
    if not any(overview.holds(months, c, month) and overview.holds(months, c, prev) for c in here):
        missing = prev if any(overview.holds(months, c, month) for c in here) else month
        return f"no data for {missing}: nothing to compare with"
    if monthly["month"].isin([month, prev]).any():
        return f"no change since {prev} in this selection"
    return "no spend in this selection"


NAME_LABELS = {"ServiceCategory": "service category", "workload_class": "workload"}


def full_names(shown: Mapping[str, pd.DataFrame], changes: pd.DataFrame | None = None,
               since: str = "") -> list[tables.Html] | tables.Html:
    """Every name a chart's axis shows as anything but itself (charts.axis_labels: cut
    short, or told apart from another), in full beside the label the chart shows and the
    amount its bar shows: a printed page has no tooltip. Nothing when every name shows whole.

    shown: {a breakdown chart's name column: the rows it draws as bars (that column,
    charts.LABEL, currency, cost)}, as charts.bar_rows gives them.
    changes: the movers chart's rows (label, charts.LABEL, currency, change), whose bars
    show the change since the month `since`: a table of their own.
    """
    out = []
    rows = [{"chart": NAME_LABELS.get(col, col), "shown": shown_as, "name": str(name),
             "currency": cur, "cost": cost}
            for col, df in shown.items()
            for name, shown_as, cur, cost in zip(df[col], df[charts.LABEL], df["currency"],
                                                 df["cost"], strict=True)
            if shown_as != str(name)]
    if rows:
        out.append(tables.table(
            pd.DataFrame(rows).drop_duplicates(), money_cols=["cost"],
            labels={"chart": "bars by", "shown": "shown as", "name": "full name",
                    "cost": "effective cost"},
            title="Names the charts above shorten, in full", exact=True))
    if changes is not None:
        moved = [{"shown": shown_as, "name": str(name), "currency": cur, "change": change}
                 for name, shown_as, cur, change in zip(
                     changes["label"], changes[charts.LABEL], changes["currency"],
                     changes["change"], strict=True)
                 if shown_as != str(name)]
        if moved:
            out.append(tables.table(
                pd.DataFrame(moved), signed_cols=["change"],
                labels={"shown": "shown as", "name": "provider / service in full",
                        "change": f"change since {since}" if since else "change"},
                title="Names the chart of changes shortens, in full, with the change its "
                      "bars show", exact=True))
    return out or tables.Html("")


def _provider_notices(spans: pd.DataFrame | None, month: str, months: list[str]) -> list[str]:
    """Providers whose data falls short of `month` while another's reaches its end (the
    month's total reads as complete, but their part is short), and those taken as no longer
    used (coverage.py's rules, as the report's index says them)."""
    if spans is None or spans.empty:
        return []
    cov = coverage.month_coverage(month, None, spans, months)
    start = f"{month}-01"
    out = []
    short = [p for p in cov["providers"] if not p["complete"] and not p["stopped"]]
    if short and len(short) < len(cov["providers"]):  # all short: the partial notice says it
        out += [(f"{p['provider']} has no daily data for {month} (its data ends on "
                 f"{p['last_day']}), while other providers' data reaches the month's end: a "
                 "monthly invoice not delivered yet, an export a month late, or a provider "
                 "renamed or no longer used." if p["last_day"] < start else
                 f"{p['provider']}'s data for {month} ends on {p['last_day']}, while other "
                 "providers' data reaches the month's end: its part of the month is incomplete "
                 "(an export that lags).") for p in short]
    out += [f"{p['provider']}'s data ends on {p['last_day']}, more than a month before the "
            "other providers' newest data: taken as no longer used (or an export more than a "
            "month late). Its charges up to that day are here." for p in cov["providers"]
            if p["stopped"]]
    out += [f"No charges in {month} from {p['provider']} (its data ends on {p['last_day']}): "
            "no longer used, or an export more than a month late." for p in cov["ended_before"]]
    return out


def outside(span: tuple | None, month: str) -> bool:
    """Whether a span of time the data covers (Store.coverage, or a provider's) misses
    `month` altogether: a month that only month-long rows reach (a fee or a purchase billed
    ahead of the daily usage)."""
    if span is None:
        return False
    start, stop = (pd.Timestamp(t) for t in overview.month_range(month))
    return pd.Timestamp(span[1]) <= start or pd.Timestamp(span[0]) >= stop


def covers_whole(data: OverviewData, month: str) -> bool:
    """Whether the data covers every day of `month`, each provider's part too: not a month
    it starts or ends in, one only month-long rows reach, or one a provider's export falls
    short of (overview_notices says each)."""
    if (data.coverage is None or coverage.partial_month(data.coverage, month)
            or outside(data.coverage, month)):
        return False
    if data.provider_spans is None or data.provider_spans.empty:
        return True
    cov = coverage.month_coverage(month, data.coverage, data.provider_spans, data.months)
    return all(p["complete"] or p["stopped"] for p in cov["providers"])


def warnings_note(warnings: list[str], weighing: int | None) -> str:
    """What loading the data warned about: the first warning, which the store keeps
    weightiest first (delivery.SHORT, ...), named as the one that matters most to the
    figures only when it changes one (`weighing`: how many do, Store.figure_warnings); an
    older name of a column or a column ignored changes none, and the note says so."""
    n = len(warnings)
    head = f"Loading the data gave {n:,} warning{'s' * (n > 1)}" + (" (all of them below)" if n > 1 else "")
    kept = "every row is counted once, at its full cost"
    if weighing == 0:
        return (f"{head}, which changes no figure ({kept}): {warnings[0]}" if n == 1
                else f"{head}; none of them changes a figure ({kept}).")
    if weighing is None:
        return f"{head}, the first: {warnings[0]}" if n > 1 else f"{head}: {warnings[0]}"
    return (f"{head}, the one that matters most to the figures: {warnings[0]}" if n > 1
            else f"{head}: {warnings[0]}")


def overview_notices(data: OverviewData, month: str) -> list[str]:
    """What the data lacks, said plainly instead of failing."""
    out = []
    if data.load_warnings:
        out.append(warnings_note(data.load_warnings, data.figure_warnings))
    for dim in overview.empty_dimensions(data.monthly, ["team", "environment"]):
        tried = ", ".join(data.keys_tried.get(dim, [])) or "none listed"
        seen = (f" Tag keys most used in this data: {', '.join(data.tag_keys)}."
                if data.tag_keys else " The data carries no tags at all.")
        out.append(f"No {dim} tag in the billing data (keys tried: {tried}): every cost shows "
                   f"as {overview.UNTAGGED}. List your key under [tags] {dim} in "
                   f"workbench.toml.{seen}")
    if not data.monthly.empty and (data.monthly["workload_class"] == "unclassified").all():
        out.append("No AI workloads recognised: every cost is 'unclassified'. Tag resources "
                   "with a workload tag or add [[workloads]] rules in workbench.toml.")
    partial = coverage.partial_month(data.coverage, month)
    if partial:
        out.append(overview.partial_month_note(month, *partial))
    elif outside(data.coverage, month) and (data.provider_spans is None or all(
            outside((r.start, r.end), month) for r in data.provider_spans.itertuples())):
        out.append(f"The data does not cover the days of {month} (its daily charges run "
                   f"{coverage.first_day(data.coverage[0])} to {coverage.last_day(data.coverage[1])}): "
                   "only charges billed for a whole month (a fee, a purchase, a credit) reach it, "
                   "so its figures are incomplete.")
    out.extend(overview.partial_compared_note(e, month)
               for e in coverage.partial_compared(data.coverage, month, data.months))
    out.extend(_provider_notices(data.provider_spans, month, data.months))
    if overview.shift_month(month, -1) not in data.months:
        out.append(f"No data for the month before {month}: month-on-month changes are not available.")
    if overview.shift_month(month, -12) not in data.months:
        out.append(f"No data for {overview.shift_month(month, -12)}: year-on-year comparison is not available.")
    # a month other currencies have: the one lacking it has no data then, not spend of 0
    for cur, held in sorted(data.currency_months.items()):
        for other, what in ((overview.shift_month(month, -1), "month-on-month changes are"),
                            (overview.shift_month(month, -12), "year-on-year comparison is")):
            if month in held and other in data.months and other not in held:
                out.append(f"No {cur} data for {other}, though other currencies have some: "
                           f"{cur} {what} not available.")
    return out


def resolve_month(month: str, data: OverviewData) -> str:
    """The requested month, else the last full month, else the latest month in the data."""
    if month:
        overview.check_month(month)
        if month not in data.months:
            raise WorkbenchError(f"month: no billing data for {month}; the data covers "
                                 f"{data.months[0]} to {data.months[-1]}" if data.months
                                 else f"month: no billing data for {month}")
        return month
    if data.default_month:
        return data.default_month
    if data.months:
        return data.months[-1]
    raise WorkbenchError("the store holds no charges")


@dataclass(frozen=True)
class ProblemPage:
    """An app page whose data cannot be read: the problem in the one line the command line
    prints (FILE:ROW: COLUMN: problem), where a failed cell would say only that a cell failed."""

    problem: str

    def show_controls(self, filters: tuple[str, ...] = ()) -> None:
        from IPython.display import display

        display(_html(tables.notice(f"The data cannot be read: {self.problem}. Fix the file "
                                    "(workbench validate lists every problem), then reload.")))

    def show(self, name: str) -> None:
        """Nothing to show: the problem is said once, above."""


def overview_page(month: str = "", data=(), store: str = "", mode: str = "report",
                  filters: Mapping[str, str] | None = None) -> Page | ProblemPage:
    """The spend overview page from notebook parameters (empty means the configured default).

    A report fails on data it cannot read (its index says why); an app says why on the page.
    """
    from workbench.store import open_store

    try:
        with open_store(data=list(data) or None, store=store or None) as s:
            base = load_overview(s)
    except WorkbenchError as exc:
        if mode != "app":
            raise
        return ProblemPage(exc.line())
    month = resolve_month(month, base)
    options = {"month": sorted(base.months, reverse=True),
               "provider": sorted(set(base.monthly["provider"])),
               "team": sorted(set(base.monthly["team"]))}
    return Page(lambda st: overview_sections(base, st),
                {"month": month, "filters": dict(filters or {})}, mode, options)
