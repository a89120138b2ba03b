"""Commitment purchases counted twice in effective cost.

FOCUS gives an amortized commitment purchase EffectiveCost 0, since its usage rows
(CommitmentDiscountStatus Used and Unused) carry its cost. A purchase kept in effective cost
at the price billed, beside usage rows of the same CommitmentDiscountId and currency that
carry amortized cost, counts the commitment twice. The store (over what it holds) and
`validate` (over the files given together) collect the same small sums per file in the
pass they already make; `counted_twice` judges them and `said` words the warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from workbench.schema import EXACT_DIGITS

# SQL over the canonical columns. A purchase row kept at its price (a refund of one too,
# which takes it back out), and a usage row that carries a commitment's amortized cost.
BOUGHT = ("\"ChargeCategory\" = 'Purchase' AND \"EffectiveCost\" <> 0 "
          "AND \"EffectiveCost\" = \"BilledCost\"")
USED = ("\"ChargeCategory\" <> 'Purchase' "
        "AND \"CommitmentDiscountStatus\" IN ('Used', 'Unused')")
# Per row: true for BOUGHT, false for USED, NULL for a row of no commitment or neither.
KIND = (f"CASE WHEN \"CommitmentDiscountId\" IS NULL THEN NULL WHEN {BOUGHT} THEN true "
        f"WHEN {USED} THEN false END")

NAMED = 3  # ids a grouped warning names before "and N more"

Key = tuple[str, str]  # (BillingCurrency, CommitmentDiscountId)


@dataclass
class Held:
    """One file's commitments: the EffectiveCost of its BOUGHT rows per key, with the first
    row of a positive one (None when the reader numbers no row), and of its USED rows."""

    bought: dict[Key, tuple[Decimal, int | None]] = field(default_factory=dict)
    used: dict[Key, Decimal] = field(default_factory=dict)


def held(rows: Iterable[tuple]) -> Held:
    """A Held from (currency, commitment, KIND, sum of EffectiveCost, first positive row)."""
    out = Held()
    for cur, commitment, bought, cost, row in rows:
        if bought:
            out.bought[(cur, commitment)] = (cost, row)
        else:
            out.used[(cur, commitment)] = cost
    return out


@dataclass
class CountedTwice:
    """Commitments whose purchase is in `path`, each (commitment, currency, bought, used)."""

    path: str
    row: int | None  # the file's first purchase row of them, when every one is known
    items: list[tuple[str, str, Decimal, Decimal]]


def counted_twice(files: Mapping[str, Held]) -> list[CountedTwice]:
    """The commitments counted twice over `files` together, by the file of their purchase
    (in path order): bought in all at a price above nothing (a purchase refunded in full,
    or a refund alone, counts nothing again) while their usage carries amortized cost."""
    bought: dict[Key, Decimal] = {}
    used: dict[Key, Decimal] = {}
    with localcontext(prec=EXACT_DIGITS):  # sums of several files, added without rounding
        for one in files.values():
            for key, (cost, _) in one.bought.items():
                bought[key] = bought.get(key, Decimal(0)) + cost
            for key, cost in one.used.items():
                used[key] = used.get(key, Decimal(0)) + cost
    by_file: dict[str, list[Key]] = {}
    for key in (k for k, cost in bought.items() if cost > 0 and used.get(k, 0) != 0):
        # the purchase's file, not that of a refund of it
        path = min(p for p, one in files.items() if one.bought.get(key, (0,))[0] > 0)
        by_file.setdefault(path, []).append(key)
    out = []
    for path in sorted(by_file):
        keys = sorted(by_file[path], key=lambda k: (k[1], k[0]))
        rows = [files[path].bought[k][1] for k in keys]
        out.append(CountedTwice(path, None if None in rows else min(rows),
                                [(k[1], k[0], bought[k], used[k]) for k in keys]))
    return out


def said(items: list[tuple]) -> str:
    """The warning for a file's commitments counted twice: one with its amounts, several by
    count, first ids and totals per currency (never added across currencies). One id in two
    currencies is one commitment."""
    from workbench.tables import money_exact  # presentation of amounts, loaded when needed
    fix = ("FOCUS gives an amortized purchase EffectiveCost 0: ask the provider for a "
           "corrected export")
    totals: dict[str, list] = {}
    with localcontext(prec=EXACT_DIGITS):
        for _, cur, bought, used in items:
            sums = totals.setdefault(cur, [Decimal(0), Decimal(0)])
            sums[0] += bought
            sums[1] += used

    def per_currency(i: int) -> str:
        return " and ".join(money_exact(sums[i], cur) for cur, sums in sorted(totals.items()))
    ids = list(dict.fromkeys(c for c, *_ in items))
    if len(ids) == 1:
        return (f"commitment {ids[0]!r}: its purchase is in effective cost at the price "
                f"billed ({per_currency(0)}) while its usage rows carry its amortized cost "
                f"({per_currency(1)}), so effective-cost figures count it twice; " + fix)
    more = len(ids) - NAMED
    named = ", ".join(repr(c) for c in ids[:NAMED]) + (f" and {more:,} more" if more > 0 else "")
    return (f"{len(ids):,} commitments ({named}): their purchases are in effective cost at "
            f"the price billed ({per_currency(0)} in all) while their usage rows carry their "
            f"amortized cost ({per_currency(1)}), so effective-cost figures count them twice; "
            + fix)
