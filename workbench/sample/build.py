"""The whole sample in memory: the FOCUS frame, the business frames and the planted facts."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workbench.sample import planted
from workbench.sample.activity import activity
from workbench.sample.assemble import finish, special_frame, usage_frame
from workbench.sample.billing import adjustments, cover, purchase_rows, usage_lines
from workbench.sample.company import catalogue, expand_nodes
from workbench.sample.timeline import Window, check_seed, check_window
from workbench.sample.usage import daily_quantity


@dataclass
class Sample:
    window: Window
    seed: int
    focus: pd.DataFrame  # FOCUS columns (money as int64 units of 1e-10) + `folder`
    tables: dict[str, pd.DataFrame]  # drivers, org, budgets, telemetry, quality
    planted: dict


def generate(months: int, end: str, seed: int) -> Sample:
    from workbench.sample import business

    win = check_window(months, end)
    check_seed(seed)
    act = activity(win, seed, planted.anomaly_days(win))
    resources = expand_nodes(catalogue())
    quantities = [daily_quantity(r, win, seed, act) for r in resources]
    lines = usage_lines(resources, quantities, win)
    adj, facts = adjustments(win, lines, resources)
    lines, unused = cover(lines, resources, win)
    corrections = [a["line"] for a in adj if a["kind"] == "correction"]
    specials = purchase_rows(win) + unused + [a for a in adj if a["kind"] != "correction"]
    parts = [usage_frame(lines, resources, win), special_frame(specials, win)]
    if corrections:
        parts.append(usage_frame(pd.DataFrame(corrections), resources, win))
    focus = finish(parts, win)
    tables = business.tables(win, seed, act, resources, quantities, focus)
    facts = planted.describe(win, focus, resources, quantities, tables, facts)
    return Sample(win, seed, focus, tables, facts)
