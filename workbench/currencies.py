"""What a currency's smallest unit is: the digits an amount shows (JPY none, KWD three)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

from workbench.schema import EXACT_DIGITS

# ISO 4217 minor units where they are not 2.
MINOR_UNITS = {**dict.fromkeys(("JPY", "KRW", "VND", "CLP", "ISK", "UGX", "PYG", "XAF", "XOF",
                                "XPF", "RWF", "KMF", "GNF", "DJF", "BIF", "VUV", "UYI"), 0),
               **dict.fromkeys(("BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD"), 3),
               **dict.fromkeys(("CLF", "UYW"), 4)}  # units of account (Chile, Uruguay)


def minor_units(currency: str | None) -> int:
    """Digits after the decimal point in the currency's smallest unit (2 when unknown)."""
    return MINOR_UNITS.get((currency or "").upper(), 2)


def half_up(amount, digits: int) -> Decimal:
    """The amount rounded half up to `digits` places as its shortest text reads, exactly at
    any size (a float's own rounding is half even, on its binary value)."""
    with localcontext(prec=EXACT_DIGITS):
        return Decimal(str(amount)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def to_smallest_unit(amount, currency: str | None) -> Decimal:
    """The amount rounded half up to the currency's smallest unit, exactly at any size."""
    d = half_up(amount, minor_units(currency))
    return d.copy_abs() if d == 0 else d  # no "-0.00"
