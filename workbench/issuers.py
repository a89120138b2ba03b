"""One bill under two invoice issuer names: counted once, the newer export's rows kept.

A delivery replaces by (invoice issuer, BillingAccountId, BillingPeriodStart), so that a
marketplace bill's sellers and the provider's own charges stay apart. An export without
InvoiceIssuerName (its issuer is then its seller or provider) and one of the same period
with it, or an issuer renamed between exports, are then two partitions of one bill. What
tells them from two bills of one account is the charges: two issuers' bills hold different
charges; two names of one bill hold the same ones. So, for an account and period billed by
several issuers:

- a charge is known as an older copy knows it (snapshots.identity_sql), without
  InvoiceIssuerName, by the columns both sides fill (_identity);
- within one delivery, the issuers' rows are compared as the files of one partition are
  (snapshots.superseded: newest first, at least half of an issuer's rows' charges in the
  newer ones, beyond chance): the rows of the older name are not loaded. Two issuers one
  file bills by are never compared: its export tells them apart (a marketplace bill); nor
  are two issuers of files one manifest lists, the parts of one run (manifests.one_run);
- across deliveries, earlier rows of the account and period kept under another issuer
  are replaced when at least half of their charges are in this delivery's rows of it (and
  at least MIN_EVIDENCE of them, or half equal in every amount too);
- anything else counts, with a warning that names it.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from workbench import manifests, snapshots
from workbench.delivery import SET_ASIDE, TOO_MUCH, drop_file_partition, month_label, shown
from workbench.errors import format_problem, plural
from workbench.schema import FOCUS_COLUMNS, MONEY, QUANTITY

# A charge's identity columns (snapshots.identity_sql), without InvoiceIssuerName.
ID_COLUMNS = tuple(c for c, t in FOCUS_COLUMNS.items() if c not in snapshots.NOT_IDENTITY
                   and t not in (MONEY, QUANTITY) and c != "InvoiceIssuerName")
AMOUNTS = snapshots.amounts_sql(FOCUS_COLUMNS)
TAGS = snapshots.tag_joins("c")  # what _identity reads tags from
FILLED = snapshots.filled_sql(ID_COLUMNS)
SAME_GROUP = ("wb_issuer IS NOT DISTINCT FROM ? AND BillingAccountId IS NOT DISTINCT FROM ? "
              "AND BillingPeriodStart IS NOT DISTINCT FROM ?")
SAME_MONTH = ("BillingAccountId IS NOT DISTINCT FROM ? AND "
              "BillingPeriodStart IS NOT DISTINCT FROM ?")
# The same account's period, or the same group, of two tables (aliases a and b).
MONTH_OF = ("{a}.BillingAccountId IS NOT DISTINCT FROM {b}.BillingAccountId AND "
            "{a}.BillingPeriodStart IS NOT DISTINCT FROM {b}.BillingPeriodStart")
GROUP_OF = "{a}.wb_issuer IS NOT DISTINCT FROM {b}.wb_issuer AND " + MONTH_OF


def account_month(account: str | None, start: datetime | None) -> str:
    """How the invoice-issuer warnings name an account's billing period."""
    return f"billing account {account or '(none)'}, {month_label(start)},"


def _name(issuer: str | None) -> str:
    return issuer or "(none)"


def _columns(flags: tuple[bool, ...]) -> frozenset[str]:
    return snapshots.filled_columns(ID_COLUMNS, flags)


def _identity(sets: list[frozenset[str]], number: str) -> str:
    """SQL: a charge of `c` known by the identity columns (without InvoiceIssuerName) both
    sides fill (snapshots.identity_by_sets)."""
    return snapshots.identity_by_sets(ID_COLUMNS, sets, number)


def within_delivery(con: duckdb.DuckDBPyConnection, delivery: int,
                    loaded: list[dict]) -> list[tuple[int, str]]:
    """Warnings (kind, line) for accounts and periods this delivery bills by different
    issuers in different files; the rows of an older name of one bill are deleted, and `loaded` and the
    delivery's file_partitions updated to match."""
    path_of = {e["sha256"]: e["path"] for e in loaded if not e["duplicate_of"]}
    by_part: dict[tuple, dict[str, dict[str, int]]] = {}
    for account, start, issuer, digest, n in con.execute(
            "SELECT BillingAccountId, BillingPeriodStart, wb_issuer, sha256, rows FROM "
            "file_partitions WHERE delivery_id = ? ORDER BY ALL", [delivery]).fetchall():
        by_part.setdefault((account, start), {}).setdefault(path_of[digest], {})[issuer] = n
    entry_of = {e["path"]: e for e in loaded}
    several = {part: files for part, files in by_part.items()
               if len({i for held in files.values() for i in held}) > 1}
    older = _older_names(con, delivery, several, entry_of)
    together = _together(several)
    out = []
    for (account, start), files in several.items():
        for issuer, why in older.get((account, start), {}).items():
            out.append((SET_ASIDE, _set_aside(con, delivery, account, start, issuer, why,
                                              files, entry_of)))
        if (account, start) in older or any(len(held) > 1 for held in files.values()) or all(
                (a, b) in together[(account, start)] for p in files.values() for q in
                files.values() for a in p for b in q):
            continue  # the issuers left are other bills: their charges, one file or one run say so
        (first, held), *others = sorted(files.items())
        named = "; ".join(f"by {_name(i)} in {shown(path)}" for path, h in others for i in h)
        out.append((TOO_MUCH, format_problem(shown(first), None, "InvoiceIssuerName", (
            f"{account_month(account, start)} is billed by {_name(next(iter(held)))} here "
            f"and {named}, and both are counted: their charges differ, as two bills' do; if "
            "they are two exports of one bill, load only the newer"))))
    return out


def _set_aside(con, delivery: int, account, start, issuer, why: snapshots.Superseded,
               files: dict[str, dict[str, int]], entry_of: dict[str, dict]) -> str:
    """Delete this delivery's rows of an account's period under an older issuer name, update
    `files` ({path: {issuer: rows}}) and the load's records; the warning that says so."""
    gone = sorted(p for p, held in files.items() if issuer in held)
    rows = sum(files[p].pop(issuer) for p in gone)
    for path in gone:
        drop_file_partition(con, delivery, entry_of[path], (issuer, account, start))
        if not files[path]:
            del files[path]
    newer = sorted(p for p, held in files.items() if why.newer[0] in held)
    return format_problem(shown(gone[0]), None, "InvoiceIssuerName", (
        f"{account_month(account, start)} billed by {_name(issuer)} here, is billed by "
        f"{_name(why.newer[0])} in {', '.join(map(shown, newer))}, which is newer and holds "
        f"{why.shared:,} of its {plural(why.charges, 'charge')}: one bill under two issuer "
        f"names; its {plural(rows, 'row')} here {'are' if rows != 1 else 'is'} not loaded "
        "(they would count twice)"))


def _together(parts: dict[tuple, dict[str, dict[str, int]]]) -> dict[tuple, set]:
    """{(account, period start): {(issuer, issuer)}}: the issuers one export tells apart,
    whatever charges they share. Those one file bills by (a marketplace bill), and those of
    files one manifest lists, the parts of one run (manifests.one_run)."""
    by = {path: manifests.listed_by(path) for files in parts.values() for path in files}
    return {part: {(a, b) for p, held in files.items() for q, other in files.items()
                   if p == q or manifests.one_run(p, q, by[p], by[q])
                   for a in held for b in other}
            for part, files in parts.items()}


def _older_names(con, delivery: int, parts: dict[tuple, dict[str, dict[str, int]]],
                 entry_of: dict[str, dict]) -> dict[tuple, dict]:
    """{(account, period start): {issuer: why}} for the issuers of an account's period whose
    rows in this delivery are an older copy of another issuer's (snapshots.superseded, one
    side per issuer); `parts` maps each (account, period start) to {path: {issuer: rows}}."""
    together = _together(parts)
    apart = [part for part, files in parts.items()
             if any((a, b) not in together[part] for held in files.values() for a in held
                    for other in files.values() for b in other)]
    if not apart:
        return {}
    con.execute("CREATE OR REPLACE TEMP TABLE wb_apart (BillingAccountId VARCHAR, "
                "BillingPeriodStart TIMESTAMP, cs INTEGER)")
    con.executemany("INSERT INTO wb_apart VALUES (?, ?, 0)", [list(p) for p in apart])
    on = MONTH_OF.format(a="c", b="p")
    # Each account's period is compared on the columns all its issuers' rows fill.
    filled: dict[tuple, frozenset[str]] = {}
    for account, start, _, *flags in con.execute(
            f"SELECT c.BillingAccountId, c.BillingPeriodStart, c.wb_issuer, {FILLED} FROM "
            f"charges c SEMI JOIN wb_apart p ON {on} WHERE c.wb_delivery_id = ? GROUP BY ALL",
            [delivery]).fetchall():
        cols = _columns(tuple(flags))
        filled[(account, start)] = filled.get((account, start), cols) & cols
    sets = sorted(set(filled.values()), key=sorted)
    con.executemany("UPDATE wb_apart SET cs = ? WHERE BillingAccountId IS NOT DISTINCT FROM ? "
                    "AND BillingPeriodStart IS NOT DISTINCT FROM ?",
                    [[sets.index(cols), *part] for part, cols in filled.items()])
    key = "BillingAccountId, BillingPeriodStart"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE wb_issuer_ids AS
        SELECT c.BillingAccountId, c.BillingPeriodStart, c.wb_issuer AS i,
               {_identity(sets, 'p.cs')} AS h, {AMOUNTS} AS a, count(*) AS n,
               max(c.ChargePeriodEnd) AS last_end, max(c.ChargePeriodStart) AS last_start
        FROM charges c {TAGS} JOIN wb_apart p ON {on}
        WHERE c.wb_delivery_id = ? GROUP BY ALL""", [delivery])
    sides = con.execute(f"SELECT {key}, i, sum(n), count(DISTINCT h), max(last_end), "
                        "max(last_start) FROM wb_issuer_ids GROUP BY ALL").fetchall()
    per_charge = f"(SELECT {key}, i, h, sum(n) AS n FROM wb_issuer_ids GROUP BY ALL)"
    pair = ("SELECT a.BillingAccountId, a.BillingPeriodStart, a.i, b.i, sum(least(a.n, b.n)) "
            "FROM {t} a JOIN {t} b ON a.h = b.h {also} AND a.i IS DISTINCT FROM b.i AND "
            + MONTH_OF.format(a="a", b="b") + " GROUP BY ALL")
    counts: dict[tuple, tuple[dict, dict]] = {}
    for at, sql in ((0, pair.format(t=per_charge, also="")),
                    (1, pair.format(t="wb_issuer_ids", also="AND a.a = b.a"))):
        for account, start, a, b, n in con.execute(sql).fetchall():
            if (a, b) not in together[(account, start)]:
                counts.setdefault((account, start), ({}, {}))[at][(a, b)] = int(n)
    con.execute("DROP TABLE wb_issuer_ids")
    con.execute("DROP TABLE wb_apart")
    by_part: dict[tuple, list] = {}
    for account, start, *side in sides:
        by_part.setdefault((account, start), []).append(side)
    out = {}
    for part, rows in by_part.items():
        files = parts[part]
        # Sides are keyed by position, not by name: superseded reads a key as a path.
        key_of = {row[0]: f"{k:06d}" for k, row in enumerate(
            sorted(rows, key=lambda r: (r[0] is not None, r[0] or "")))}
        name = {k: i for i, k in key_of.items()}
        shared, exact = ({(key_of[a], key_of[b]): n for (a, b), n in d.items()
                          if key_of[a] < key_of[b]} for d in counts.get(part, ({}, {})))
        mtime = {i: max(entry_of[p]["mtime_ns"] for p, held in files.items() if i in held)
                 for i in key_of}
        gone = snapshots.superseded(
            [snapshots.FileSide(key_of[i], int(n), last_end, mtime[i], None, None,
                                int(distinct), last_start)
             for i, n, distinct, last_end, last_start in rows], shared, exact)
        if gone:
            out[part] = {name[k]: snapshots.Superseded([name[n] for n in why.newer],
                                                       why.shared, why.charges)
                         for k, why in gone.items()}
    return out


def across_deliveries(con: duckdb.DuckDBPyConnection, delivery: int,
                      loaded: list[dict]) -> tuple[list[tuple[int, str]], int, list]:
    """(warnings as (kind, line), rows deleted, partitions replaced) for rows of an account and period that
    earlier deliveries keep under an issuer this delivery does not bill it by.

    Rows whose charges this delivery holds under its issuer are replaced: the partition
    (issuer, account, period, 0 rows) is to be recorded as this delivery's, so that the
    files they came from are known to be replaced. Any other kept rows are named.
    """
    from workbench.tables import money_exact
    same, month = GROUP_OF, MONTH_OF
    # The groups kept: an account's period this delivery bills, under an issuer it does not.
    groups = con.execute(f"""
        WITH mine AS (SELECT DISTINCT wb_issuer, BillingAccountId, BillingPeriodStart
                      FROM file_partitions WHERE delivery_id = $1)
        SELECT c.wb_issuer, c.BillingAccountId, c.BillingPeriodStart, {FILLED}
        FROM charges c
        WHERE c.wb_delivery_id <> $1
          AND EXISTS (SELECT 1 FROM mine m WHERE {month.format(a='m', b='c')})
          AND NOT EXISTS (SELECT 1 FROM mine m WHERE {same.format(a='m', b='c')})
        GROUP BY ALL""", [delivery]).fetchall()
    if not groups:
        return [], 0, []
    con.execute("CREATE OR REPLACE TEMP TABLE wb_kept_groups (wb_issuer VARCHAR, "
                "BillingAccountId VARCHAR, BillingPeriodStart TIMESTAMP, cs INTEGER)")
    con.executemany("INSERT INTO wb_kept_groups VALUES (?, ?, ?, 0)", [g[:3] for g in groups])
    new = {(account, start): _columns(tuple(flags)) for account, start, *flags in con.execute(
        f"SELECT c.BillingAccountId, c.BillingPeriodStart, {FILLED} FROM charges c SEMI JOIN "
        f"wb_kept_groups g ON {month.format(a='c', b='g')} WHERE c.wb_delivery_id = ? "
        "GROUP BY ALL", [delivery]).fetchall()}
    # Each group is compared on the columns both it and this delivery's rows fill.
    cols = {tuple(g[:3]): _columns(tuple(g[3:])) & new.get(tuple(g[1:3]), frozenset())
            for g in groups}
    sets = sorted(set(cols.values()), key=sorted)
    con.executemany(f"UPDATE wb_kept_groups SET cs = ? WHERE {SAME_GROUP}",
                    [[sets.index(c), *g] for g, c in cols.items()])
    rows = con.execute(f"""
        WITH k AS (SELECT c.wb_issuer, c.BillingAccountId, c.BillingPeriodStart,
                          c.BillingCurrency, g.cs, {_identity(sets, 'g.cs')} AS h,
                          {AMOUNTS} AS a, count(*) AS n, sum(c.BilledCost) AS billed
                   FROM charges c {TAGS} JOIN wb_kept_groups g ON {same.format(a='c', b='g')}
                   WHERE c.wb_delivery_id <> $1 GROUP BY ALL),
             n AS (SELECT c.BillingAccountId, c.BillingPeriodStart, g.cs,
                          {_identity(sets, 'g.cs')} AS h, {AMOUNTS} AS a, count(*) AS n
                   FROM charges c {TAGS} JOIN (SELECT DISTINCT BillingAccountId, BillingPeriodStart,
                                        cs FROM wb_kept_groups) g ON {month.format(a='c', b='g')}
                   WHERE c.wb_delivery_id = $1 GROUP BY ALL),
             kc AS (SELECT wb_issuer, BillingAccountId, BillingPeriodStart, cs, h, sum(n) AS n
                    FROM k GROUP BY ALL),
             nc AS (SELECT BillingAccountId, BillingPeriodStart, cs, h, sum(n) AS n
                    FROM n GROUP BY ALL),
             shared AS (SELECT k.wb_issuer, k.BillingAccountId, k.BillingPeriodStart,
                               sum(least(k.n, n.n)) AS n
                        FROM kc k JOIN nc n ON {month.format(a='k', b='n')} AND k.cs = n.cs
                         AND k.h = n.h GROUP BY ALL),
             exact AS (SELECT k.wb_issuer, k.BillingAccountId, k.BillingPeriodStart,
                              sum(least(k.n, n.n)) AS n
                       FROM k JOIN n ON {month.format(a='k', b='n')} AND k.cs = n.cs
                        AND k.h = n.h AND k.a = n.a GROUP BY ALL)
        SELECT k.wb_issuer, k.BillingAccountId, k.BillingPeriodStart, k.BillingCurrency,
               sum(k.n), sum(k.billed), any_value(s.n), any_value(e.n)
        FROM k
        LEFT JOIN shared s ON {same.format(a='s', b='k')}
        LEFT JOIN exact e ON {same.format(a='e', b='k')}
        GROUP BY ALL ORDER BY ALL""", [delivery]).fetchall()
    con.execute("DROP TABLE wb_kept_groups")
    kept: dict[tuple, list] = {}
    for issuer, account, start, currency, n, billed, shared, exact in rows:
        kept.setdefault((issuer, account, start), []).append(
            (currency, int(n), billed, int(shared or 0), int(exact or 0)))
    out, deleted, replaced = [], 0, []
    sha_of = {e["path"]: e["sha256"] for e in loaded if not e["duplicate_of"]}
    for (issuer, account, start), sums in kept.items():
        new, path = con.execute(
            "SELECT string_agg(DISTINCT wb_issuer, ', ' ORDER BY wb_issuer), "
            f"min(wb_source_file) FROM charges WHERE wb_delivery_id = ? AND {SAME_MONTH}",
            [delivery, account, start]).fetchone()
        amounts = ", ".join(money_exact(b, c) for c, _, b, _, _ in sums)
        n = sum(s[1] for s in sums)
        shared, exact = sums[0][3], sums[0][4]  # per (issuer, account, period): on every row
        half = snapshots.COPY_SHARE * n
        if n and (shared >= snapshots.MIN_EVIDENCE and shared >= half or exact >= half):
            deleted += con.execute(
                f"DELETE FROM charges WHERE wb_delivery_id < ? AND {SAME_GROUP}",
                [delivery, issuer, account, start]).fetchone()[0]
            replaced.append((sha_of[path], issuer, account, start))
            out.append((SET_ASIDE, format_problem(shown(path), None, "InvoiceIssuerName", (
                f"{account_month(account, start)} is billed here by {new}, and holds "
                f"{shared:,} of the {plural(n, 'charge')} an earlier delivery billed by "
                f"{_name(issuer)} ({amounts}): one bill under two issuer names; those rows "
                "are replaced"))))
        else:
            out.append((TOO_MUCH, format_problem(shown(path), None, "InvoiceIssuerName", (
                f"{account_month(account, start)} is billed here by {new}; the store also "
                f"keeps {plural(n, 'row')} of it from an earlier delivery billed by "
                f"{_name(issuer)} ({amounts}), and both are counted: their charges differ, as "
                "two bills' do; if the issuer's name changed between exports, delete the store "
                "and ingest without the earlier files"))))
    return out, deleted, replaced
