"""Months as the workbench reads and writes them: YYYY-MM."""

from __future__ import annotations

import re

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def is_month(text) -> bool:
    """'2026-05' is a month; '2026-5', '2025-13', '' and None are not."""
    return isinstance(text, str) and _MONTH.fullmatch(text) is not None
