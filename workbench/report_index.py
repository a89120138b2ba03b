"""The pack's index.html: the month, headline figures from the store, links, failures.

Plain HTML with the report stylesheet inline: no script, nothing fetched.
"""

from __future__ import annotations

import html
import math

import pandas as pd

from workbench import coverage, overview, render
from workbench.currencies import to_smallest_unit
from workbench.tables import NO_MATH, money, money_exact, percent, signed_money, wrap_class


def _e(text) -> str:
    return html.escape("" if text is None else str(text))


def _td(text, inner: str | None = None) -> str:
    """A text cell; one holding a path or an error with a long path breaks inside it."""
    text = "" if text is None else str(text)
    return f'<td class="{wrap_class(text)}">{_e(text) if inner is None else inner}</td>'


def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def headline_records(head: pd.DataFrame) -> list[dict]:
    """The headline frame as JSON-safe records (NaN -> null: unknown, not zero); a count of
    days stays a whole number, though a column with nulls holds it as a float."""
    return [{k: (_num(v) if k != "days" or _num(v) is None else int(v))
             if isinstance(v, float | int) and not isinstance(v, bool) else v
             for k, v in r.items()} for r in head.to_dict("records")]


def _versus(r: dict, key: str, unknown: str) -> str:
    """'+$1.2k (+4.0%) vs 2026-08'; with nothing spent then, no percentage but why."""
    cur = r["currency"]
    if pd.isna(r[key]):
        return unknown
    if pd.isna(r["cost"]):  # no charge of the currency in the month: no change to give
        return f"{money_exact(r[key], cur)} in {r[f'{key}_month']}"
    if len(r.get(f"{key}_without") or ()):  # some of the month's spend has nothing to compare
        return (f"{money_exact(r[key], cur)} in {r[f'{key}_month']}, not comparable: "
                f"{overview.lacking_note(r[f'{key}_without'], r[f'{key}_month'])}")
    if r.get("short"):  # some providers' data stops early: their missing days are no fall
        return (f"{money_exact(r[key], cur)} in {r[f'{key}_month']}, not comparable: "
                f"{overview.short_note(r['short'], cur)}")
    days = overview.days_held(r)  # a month the data ends inside: by how many days
    span = "" if days is None else f" ({days} days against {overview.days_in(r[f'{key}_month'])})"
    change = signed_money(overview.headline_change(r, key), cur)  # as the page's
    if pd.isna(r[f"{key}_change_pct"]):
        # no percentage of a zero or negative base (a month of net credits)
        why = (f"no {cur} spend then" if to_smallest_unit(r[key], cur) == 0
               else f"net {cur} credits then")
        return f"{change} vs {r[f'{key}_month']}{span} ({why})"
    return (f"{change} ({percent(r[f'{key}_change_pct'], signed=True)}) vs "
            f"{r[f'{key}_month']}{span}")


def _figures(head: pd.DataFrame) -> str:
    cards = []
    for r in head.to_dict("records"):
        cur = r["currency"]
        prev = _versus(r, "previous", "no data for the previous month")
        ly = _versus(r, "last_year", "no data a year earlier")
        billed = (f"Billed in the {r['month']} billing period: "
                  + ("no such billing period" if pd.isna(r["billed_cost"])
                     else money_exact(r["billed_cost"], cur)))
        exact = (f"no {cur} data for {r['month']}" if pd.isna(r["cost"])
                 else money_exact(r["cost"], cur))
        cards.append(
            f'<div class="wb-figure"><div class="label">Effective cost, {_e(cur)}</div>'
            f'<div class="value">{_e(money(r["cost"], cur))}</div>'
            f'<div class="label">{_e(exact)}</div>'
            f'<div class="label">{_e(prev)}</div><div class="label">{_e(ly)}</div>'
            f'<div class="label">{_e(billed)}</div></div>')
    return f'<div class="wb-figures {NO_MATH}">{"".join(cards)}</div>'


def _pages(notebooks: list[dict], pdf: bool = True) -> str:
    """The pages table; without its PDF column when PDFs were not asked for."""
    rows = []
    for r in notebooks:
        if r["status"] == "ok":
            page = _td(r["title"], f'<a href="{_e(r["html"])}">{_e(r["title"])}</a>')
            status = _td("ok")
        else:
            page = _td(r["title"])
            error = f"failed: {r['error']}"
            status = _td(error, f'<span class="wb-failed">{_e(error)}</span>')
        # every row's link reads "PDF": its name says which page it is
        link = (_td("PDF", f'<a href="{_e(r["pdf"])}" aria-label="{_e(r["title"])} (PDF)">PDF</a>')
                if r.get("pdf")
                else _td(f"no PDF: {r['pdf_error']}") if r.get("pdf_error") else _td(""))
        secs = "" if r.get("seconds") is None else f"{r['seconds']:.1f} s"
        cell = link if pdf else ""
        rows.append(f'<tr>{page}{cell}{status}<td class="num">{_e(secs)}</td></tr>')
    head = _heads(["page", "PDF", "status", "time"] if pdf else ["page", "status", "time"])
    return (f'<table class="wb-table" aria-labelledby="wb-pages"><thead>{head}</thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _heads(names: list[str]) -> str:
    """A table's header row: one column header (scope="col") per name."""
    return "<tr>" + "".join(f'<th scope="col">{_e(n)}</th>' for n in names) + "</tr>"


def _pack(pack: dict | None) -> str:
    if not pack:
        return ""
    if pack["error"]:
        return f'<div class="wb-notice">No single PDF of the pack: {_e(pack["error"])}</div>'
    return (f'<p>The whole pack as one PDF, this index first: '
            f'<a href="{_e(pack["path"])}">{_e(pack["path"])}</a></p>')


def _inputs(manifest: dict) -> str:
    rows = [f"<tr>{_td(i['kind'])}{_td(i['path'])}"
            f"<td><code>{_e(i['sha256'][:16])}</code></td></tr>" for i in manifest["inputs"]]
    rows += [f"<tr>{_td(m['kind'])}{_td(m['path'])}{_td(m['reason'])}</tr>"
             for m in manifest["missing_inputs"]]
    return (f'<table class="wb-table" aria-labelledby="wb-inputs">'
            f'<thead>{_heads(["input", "path", "sha256 or what is missing"])}'
            f'</thead><tbody>{"".join(rows)}</tbody></table>')


def _load_warnings(manifest: dict, shown: int = 20) -> str:
    """What loading the data warned about (older copies set aside, tags kept out, ...)."""
    found = manifest.get("load_warnings") or []
    if not found:
        return ""
    items = "".join(f"<li>{_e(w)}</li>" for w in found[:shown])
    more = (f"<p>... and {len(found) - shown:,} more; <code>workbench validate</code> lists "
            "each file's problems.</p>" if len(found) > shown else "")
    return f"<h2>Warnings from loading the data</h2>\n<ul class=\"wb-warnings\">{items}</ul>{more}"


def _last_days(providers: list[dict]) -> str:
    """'AWS (last day 2026-06-29) and Lexica AI (last day 2026-05-31)'."""
    named = [f"{p['provider']} (last day {p['last_day']})" for p in providers]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


def coverage_notes(cov: dict | None, month: str) -> list[str]:
    """What the data lacks of the month (the manifest's `coverage`), as sentences: said
    first, since a partial month's figures look low beside whole ones."""
    if not cov:
        return []
    notes = []
    start, stop = overview.month_range(month)
    days = (cov["first_day"], cov["last_day"])
    if days == (None, None):
        notes.append(f"The data does not cover the days of {month}: its figures are incomplete.")
    elif cov.get("in_progress"):
        notes.append(f"{month} is not over yet: the data runs to {days[1]}, and its figures "
                     "are month-to-date.")
    elif days != (coverage.first_day(start), coverage.last_day(stop)):
        notes.append(overview.partial_month_note(month, *days))
    notes += [overview.partial_compared_note(e, month) for e in cov.get("partial_compared") or []]
    lagging = [p for p in cov["providers"] if not p["complete"] and not p.get("stopped")]
    if lagging:
        others = "; the other providers' data does" if len(lagging) < len(cov["providers"]) else ""
        after = "that day" if len(lagging) == 1 else "those days"
        notes.append(f"The data of {_last_days(lagging)} stops before the end of {month}{others}. "
                     f"What was charged after {after} is missing from this report.")
    gone = [p for p in cov["providers"] if p.get("stopped")]
    if gone:
        notes.append(f"The data of {_last_days(gone)} ends inside {month}, more than a month "
                     "before the other providers' newest data: taken as no longer used (or an "
                     "export more than a month late), it does not hold the month back. Its "
                     "charges up to that day are in this report.")
    if cov.get("ended_before"):
        notes.append(f"No charges in {month} from {_last_days(cov['ended_before'])}: stopped "
                     "being used, or an export more than a month late.")
    later = cov.get("held_back")
    if later:
        notes.append(f"{later['month']} is not the default month yet: the data of "
                     f"{_last_days(later['lagging'])} stops before its end, while the other "
                     f"providers' reaches it. `workbench report --month {later['month']}` "
                     "reports what there is."
                     + (" A provider with no data in that month may also be a monthly invoice "
                        "not delivered yet, or a provider renamed or no longer used: after a "
                        "month with no newer data it no longer holds the month back."
                        if any(p["last_day"] < f"{later['month']}-01" for p in later["lagging"])
                        else ""))
    return notes


def index_html(manifest: dict, head: pd.DataFrame, part: str = "index") -> str:
    """The index page; for the pack PDF, its `cover` (no inputs) and its `inputs` (the end)."""
    month = manifest["month"]
    failed = [r for r in manifest["notebooks"] if r["status"] != "ok"]
    notes = []
    if failed:
        notes.append(f'<div class="wb-notice wb-failed">{len(failed)} of {len(manifest["notebooks"])} '
                     "pages failed; their errors are listed below.</div>")
    pdf = manifest["pdf"].get("enabled", True)
    if manifest["pdf"]["warning"]:
        notes.append(f'<div class="wb-notice">{_e(manifest["pdf"]["warning"])}</div>')
    elif not pdf:
        notes.append('<div class="wb-notice">No PDFs: this pack was made without them '
                     '(<code>--no-pdf</code> or <code>pdf = false</code> under '
                     '<code>[report]</code> in the config).</div>')
    if manifest.get("load_warnings"):
        n = len(manifest["load_warnings"])
        notes.append(f'<div class="wb-notice">Loading the data gave {n:,} warning'
                     f'{"s" * (n > 1)}; see "Warnings from loading the data" with the inputs.</div>')
    covered = "".join(f'<div class="wb-notice wb-coverage">{_e(n)}</div>'
                      for n in coverage_notes(manifest.get("coverage"), month))
    summary = f"""<h1>Monthly report {_e(month)}</h1>
{covered}
{_figures(head)}
{''.join(notes)}
<h2 id="wb-pages">Pages</h2>
{_pack(manifest.get('pack_pdf')) if part == "index" else ""}
{_pages(manifest['notebooks'], pdf)}"""
    inputs = f'<h2 id="wb-inputs">Inputs</h2>\n{_inputs(manifest)}\n{_load_warnings(manifest)}'
    where = {"index": "listed above", "cover": "listed on the last pages",
             "inputs": "listed above"}[part]
    body = {"index": f"{summary}\n{inputs}", "cover": summary,
            "inputs": f"<h1>Monthly report {_e(month)}: inputs</h1>\n{inputs}"}[part]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Monthly report {_e(month)}</title>
<style>{render.css()}</style></head>
<body><main class="wb-page">
<header class="wb-header"><span>AI FinOps workbench {_e(manifest['workbench_version'])}</span>
<span>generated {_e(manifest['finished'])}</span></header>
{body}
<footer class="wb-footer">Every figure is computed from the inputs {where}; amounts in
different currencies are never added. Details: <a href="manifest.json">manifest.json</a>.</footer>
</main></body></html>
"""
