"""JSON whose amounts are the decimals the workbench summed, digit for digit.

A float holds about 16 significant digits: 123456789012345.01 (an IDR or VND total of a
large account) would print as ...345.02. Decimal values are written as JSON numbers with
all their digits instead; readers that parse numbers as floats lose what floats lose, and
readers that keep decimals (Python's json with parse_float=Decimal) get the exact amount.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

_MARK = "\x00decimal:"  # no text the workbench writes holds NUL
_MARKED = re.compile(r'"\\u0000decimal:(-?[0-9]+(?:\.[0-9]+)?)"')


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    text = format(value, "f")  # every digit, no exponent (normalize() would round to 28)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text


def dumps(obj, default=None, **kwargs) -> str:
    """json.dumps, with Decimal values written as exact JSON numbers (`default` for others)."""
    def exact(value):
        if isinstance(value, Decimal):
            return _MARK + _number(value)
        if default is not None:
            return default(value)
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    return _MARKED.sub(r"\1", json.dumps(obj, default=exact, **kwargs))
