"""What scanning a FOCUS file found: located problems, per-currency totals, the period."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from workbench.commitments import Held
from workbench.currencies import to_smallest_unit
from workbench.errors import escaped, format_problem, plural


@dataclass
class Problem:
    row: int | None  # 1-based data row, header not counted; None for the whole file
    column: str | None
    message: str
    # How many problems the line stands for: a "N rows in all" line counts the rows not
    # listed, so the counts of a file's lines add up to its problems.
    count: int = 1
    counts_rows: bool = False  # a "N rows in all" line, which goes with its file's listed rows

    def to_json(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class FileReport:
    path: str
    ok: bool = False
    focus_version: str | None = None
    rows: int = 0
    period_start: datetime | None = None  # min ChargePeriodStart, UTC
    period_end: datetime | None = None  # max ChargePeriodEnd, UTC (exclusive)
    currencies: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    dataset: str = "cost and usage"  # FOCUS dataset; only cost and usage holds charges
    rows_read: bool = True  # False: the file stopped before its rows (`rows` is not a count)
    # What its rows hold of commitments, for a warning that looks at every file given
    # (validate); not part of the JSON.
    commitments: Held | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict:
        """The `workbench validate --json` shape; amounts are Decimals, for json_exact.dumps."""
        return {
            "path": self.path, "ok": self.ok, "focus_version": self.focus_version,
            "rows": self.rows,
            "period": {"start": _iso(self.period_start), "end": _iso(self.period_end)},
            "currencies": {cur: dict(sums) for cur, sums in self.currencies.items()},
            "errors": [p.to_json() for p in in_row_order(self.errors)],
            "warnings": [p.to_json() for p in in_row_order(self.warnings)],
        }

    def shown_warnings(self) -> list[Problem]:
        """The warnings as their lines list them (missing columns in one line)."""
        return missing_in_one_line(in_row_order(self.warnings))

    def lines(self, shared: dict[tuple, int] | None = None, said: set | None = None) -> list[str]:
        """Human output: one line per problem, then a summary of the file. A warning about
        the whole file that `shared` counts in more files is said once (`said` keeps which
        were), with how many more files have it; the summary still counts it."""
        out = [f"error: {format_problem(self.path, p.row, p.column, p.message)}"
               for p in in_row_order(self.errors)]
        for p in self.shown_warnings():
            more = (shared or {}).get(_shared_key(p), 1) - 1
            if more and said is not None:
                if _shared_key(p) in said:
                    continue
                said.add(_shared_key(p))
            suffix = f" (the same in {more:,} more file{'s' * (more > 1)})" if more else ""
            out.append(f"warning: {format_problem(self.path, p.row, p.column, p.message)}{suffix}")
        status = "ok" if self.ok else "NOT USABLE"
        version = f"FOCUS {self.focus_version}" if self.focus_version else "not FOCUS"
        if self.dataset != "cost and usage":
            version = f"FOCUS {self.dataset} dataset, not loaded"
        # The span of the charges, not the billing period (a month-to-date export ends early).
        period = (f"charges {_iso(self.period_start)} to {_iso(self.period_end)}"
                  if self.period_start else "no charge period")
        rows = plural(self.rows, "row") if self.rows_read else "rows not read"
        out.append(f"{escaped(str(self.path))}: {status}: {version}, {rows}, {period}, "
                   f"{_count(self.errors, 'error')}, {_count(self.warnings, 'warning')}")
        for cur, sums in self.currencies.items():
            billed, effective = (f"{to_smallest_unit(sums[k], cur):,}"
                                 for k in ("billed_cost", "effective_cost"))
            out.append(f"  {cur}  billed {billed}  effective {effective}")
        if not self.ok and (self.currencies or self.period_start):  # never the whole file's
            what = "span and totals" if self.currencies else "span"
            out.append(f"  ({what} of the rows that could be read; this file will not be loaded)")
        return out


def _shared_key(p: Problem) -> tuple | None:
    """What makes a warning the same in another file: a whole file's, worded alike. A
    "N rows in all" line goes with its file's rows, never shared."""
    return None if p.row is not None or p.counts_rows else (p.column, p.message)


def report_lines(reports: list[FileReport]) -> list[str]:
    """`workbench validate` output for many files: a warning about a whole file that later
    files share word for word (a provider's own columns, in each of its files a day) is
    said at the first one, with how many more have it."""
    shared: Counter = Counter()
    for r in reports:
        shared.update({_shared_key(p) for p in r.shown_warnings()} - {None})
    said: set = set()
    return [line for r in reports for line in r.lines(shared, said)]


def _count(problems: list[Problem], word: str) -> str:
    return plural(sum(p.count for p in problems), word)


def in_row_order(problems: list[Problem]) -> list[Problem]:
    """Problems as they are listed: the earliest row first, whatever check found it, then
    those of no one row (the header, the whole file, "N rows in all" counts) in the order
    found. The checks collect them kind by kind."""
    return sorted(problems, key=lambda p: (p.row is None, p.row or 0))


def _iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Stop(Exception):
    """A problem that ends the scan of one file."""

    def __init__(self, message: str, column: str | None = None, row: int | None = None):
        super().__init__(message)
        self.problem = Problem(row, column, message)


# The warning for a column the FOCUS version requires but the workbench does not need.
MISSING_COLUMN = "column required by FOCUS {version} is missing"
_MISSING_RE = re.compile(re.escape(MISSING_COLUMN).replace(r"\{version\}", "(.+)"))


def missing_in_one_line(problems: list[Problem]) -> list[Problem]:
    """The header's missing optional columns said in one line, where the first stood: a
    sparse export lacks a dozen, which would bury the problems that matter."""
    found = [(p, m.group(1)) for p in problems
             if p.row is None and p.column and (m := _MISSING_RE.fullmatch(p.message))]
    if len(found) < 2:
        return problems
    missing, version = [p for p, _ in found], found[0][1]
    names = ", ".join(p.column for p in missing)
    one = Problem(None, None, f"{len(missing)} columns required by FOCUS {version} are "
                  f"missing: {names}")
    first = problems.index(missing[0])
    rest = [p for p in problems if p not in missing]
    return [*rest[:first], one, *rest[first:]]
