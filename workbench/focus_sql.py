"""SQL that turns a FOCUS file's columns into the canonical typed table, in one DuckDB pass.

Every typed column sits next to a `wb_bad_<Column>` text column that holds the value as
written when it could not be converted (NULL otherwise), so bad rows are found with SQL
afterwards and never with Python loops. Nothing here depends on session settings
(time zone, locale): offsets are applied explicitly and naive times are UTC.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import tempfile

from workbench.focus_columns import ENUMERATED, PREVIEW_DERIVED, derived_from, value_spellings
from workbench.schema import FOCUS_COLUMNS, MONEY, MONEY_SCALE, QUANTITY, TEXT, TIME

# Text columns that hold a JSON object: a Parquet MAP or STRUCT of them is written as JSON.
JSON_COLUMNS = ("Tags", "AllocatedTags", "SkuPriceDetails")


def ident(name: str) -> str:
    """A quoted SQL identifier (column names come from files: never trust them)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parquet_source(path: str) -> str:
    """read_parquet of one file, as both readers see it. Folders named key=value (AWS writes
    billing_period=2026-10/) are not columns; text written as BINARY without the UTF8
    annotation (Impala, Hive) is text, not bytes shown as escapes."""
    return (f"read_parquet({literal(one_file(path))}, hive_partitioning=false, "
            "binary_as_string=true)")


def one_file(path: str) -> str:
    """`path` as DuckDB reads that file alone: it takes `*`, `?` and `[` in a path for a glob,
    so `[2026].csv` read 2.csv and `x*.csv` every x...csv beside it. In brackets, each is
    itself. Its glob lists no name that holds a backslash (a zip made on Windows unpacks
    `exports\\p[1].csv` as one name): such a path is read through a link without one. A
    leading `~` DuckDB takes for the home folder (also after `./`): `~/x.csv` here is read
    by its absolute path."""
    if path.startswith("~"):
        path = os.path.abspath(path)
    if GLOB.search(path) and "\\" in path and os.sep == "/":
        path = _plain_link(path)
    return GLOB.sub(r"[\1]", path)


GLOB = re.compile(r"([*?\[])")


@functools.cache
def _plain_link(path: str) -> str:
    """A symlink to `path` whose name holds no backslash and no glob character, kept until
    the process ends (one SQL text may be run more than once)."""
    folder = _links_folder()
    link = os.path.join(folder, str(len(os.listdir(folder))))
    os.symlink(os.path.abspath(path), link)
    return link


@functools.cache
def _links_folder() -> str:
    folder = tempfile.mkdtemp(prefix="workbench-links-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _text(src: str, src_type: str) -> str:
    return src if src_type == "VARCHAR" else f"CAST({src} AS VARCHAR)"


def _money(src: str, src_type: str, cast: str) -> str:
    if src_type.startswith("DECIMAL") or src_type in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT"):
        return f"{cast}({src} AS {MONEY})"
    # Doubles go through their shortest text form, so 0.1 stays 0.1; NaN and inf fail the cast.
    typed = f"{cast}({_text(src, src_type)} AS {MONEY})"
    if src_type in ("DOUBLE", "FLOAT"):
        # Parquet statistics leave NaN out, and DuckDB then takes the conversion of a column
        # without nulls for one that gives no NULL and no error: `IS NULL` is answered
        # without converting, and a NaN went unseen. A value tested first cannot be assumed.
        other = "error('not a finite amount')" if cast == "CAST" else "NULL"
        return f"(CASE WHEN NOT isfinite({src}) THEN {other} ELSE {typed} END)"
    return typed


def can_round(src_type: str) -> bool:
    """Whether a source column of this type can hold an amount finer than MONEY's 10 decimal
    places: text, a decimal of a greater scale, a float (by its shortest text form)."""
    if src_type.startswith("DECIMAL"):
        return int(src_type.rstrip(")").split(",")[-1]) > MONEY_SCALE
    return src_type in ("VARCHAR", "DOUBLE", "FLOAT")


def rounded_expr(text: str) -> str:
    """SQL: the amount written as `text` has a non-zero digit beyond the 10th decimal place,
    which MONEY rounds away. Exact, from the digits as written (exponents included); most
    texts are told by their length alone, so the regular expressions rarely run."""
    plain = (f"regexp_matches(replace({text}, '_', ''), "
             f"'\\.[0-9]{{{MONEY_SCALE}}}[0-9]*[1-9]')")
    # 1.25E-11: the mantissa's fraction digits, less the exponent, less its trailing zeros
    # (parsed once, as the one element of a list, so the lambda can name its parts)
    parts = (f"[regexp_extract(replace({text}, '_', ''), "
             f"'^\\s*[+-]?([0-9]*)\\.?([0-9]*)[eE]([+-]?[0-9]+)\\s*$', ['i', 'f', 'x'])]")
    places = ("length(p.f) - TRY_CAST(p.x AS HUGEINT) "
              "- (length(p.i || p.f) - length(rtrim(p.i || p.f, '0')))")
    exponent = (f"list_transform({parts}, lambda p: trim(p.i || p.f, '0') <> '' AND "
                f"coalesce({places} > {MONEY_SCALE}, starts_with(p.x, '-')))[1]")
    return (f"(CASE WHEN contains({text}, 'e') OR contains({text}, 'E') THEN {exponent} "
            f"WHEN strlen({text}) - instr({text}, '.') > {MONEY_SCALE} THEN {plain} "
            "ELSE false END)")


def rounded_text(value: str, text: str, src_type: str) -> str:
    """SQL: the amount's `text` as written where its read `value` was rounded to MONEY_SCALE
    places (a non-zero digit beyond them), else NULL; always NULL from a source column of a
    type that cannot hold such an amount."""
    if not can_round(src_type):
        return "CAST(NULL AS VARCHAR)"
    return f"CASE WHEN {value} IS NOT NULL AND {rounded_expr(text)} THEN {text} END"


# A numeric UTC offset after a time of day that no time zone has: beyond ±14:00, or 60 minutes
# or seconds and more. DuckDB reads +25:00 or +05:75 all the same and shifts the time by them.
_BAD_OFFSET = (r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?([.,][0-9]*)?\s*[+-]("
               r"(1[5-9]|[2-9][0-9])(:?[0-9]{2})?(:?[0-9]{2})?"  # hours past 14
               r"|14:?(0[1-9]|[1-9][0-9])(:?[0-9]{2})?|14:?00:?(0[1-9]|[1-9][0-9])"  # past 14:00
               r"|[0-9]{2}:?[6-9][0-9](:?[0-9]{2})?|[0-9]{2}:?[0-9]{2}:?[6-9][0-9]"  # 60 or more
               r")\s*$")
# (no colon before the value: a count line is the message up to the first one)
BAD_OFFSET_MESSAGE = ("an offset from UTC beyond 14 hours, or of 60 minutes or more, which "
                      "no time zone has")


def offset_beyond(text: str) -> str:
    """SQL: the time `text` ends in a UTC offset no time zone has. Texts that end in Z or
    +00:00, as most exports write them, skip the regular expression."""
    return (f"(CASE WHEN suffix({text}, 'Z') OR suffix({text}, '+00:00') THEN false "
            f"ELSE regexp_matches({text}, {literal(_BAD_OFFSET)}) END)")


def zone_spaced(text: str) -> str:
    """SQL: the time `text` with a space before a UTC or GMT written right after the time
    (`2026-05-01T00:00:00UTC`), which DuckDB reads only after a space."""
    return f"regexp_replace({text}, '([0-9])(UTC|GMT)(\\s*)$', '\\1 \\2\\3', 'i')"


def fast_time_expr(text: str) -> str:
    """The fast CSV read of a time column's text, as UTC. A text that does not read, or
    with an offset no zone has, reads as the year 1, which the fast path's checks send to
    the precise reader (it names the row and the problem)."""
    unreadable = "TIMESTAMP '0001-01-01'"
    # (the second reading runs only for a text the first does not read)
    read = (f"coalesce(timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ)), "
            f"timezone('UTC', TRY_CAST({zone_spaced(text)} AS TIMESTAMPTZ)), "
            f"CASE WHEN trim({text}) <> '' THEN {unreadable} END)")
    return f"(CASE WHEN {offset_beyond(text)} THEN {unreadable} ELSE {read} END)"


def _time(src: str, src_type: str, cast: str) -> str:
    if src_type == "TIMESTAMP WITH TIME ZONE":
        return _in_calendar(f"timezone('UTC', {src})", cast)
    if src_type.startswith("TIMESTAMP") or src_type == "DATE":
        return _in_calendar(f"CAST({src} AS TIMESTAMP)", cast)
    raw = _text(src, src_type)
    # RFC 3339 allows a lower-case t and z (2026-05-02t00:00:00z), which DuckDB does not read.
    s = (f"(CASE WHEN contains({raw}, 't') OR contains({raw}, 'z') THEN regexp_replace("
         f"regexp_replace({raw}, '^(\\s*[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})t', '\\1T'), "
         f"'z(\\s*)$', 'Z\\1') ELSE {raw} END)")
    # An explicit offset (Z, +hh:mm, -hhmm, UTC) or zone name (Europe/Paris) goes through
    # TIMESTAMPTZ and is converted to UTC; anything after the date part without one is naive
    # and read as UTC. A date-only value is 10 characters, so its own dashes are never taken
    # for an offset.
    has_offset = (f"(length({s}) > 10 AND (suffix(upper({s}), 'Z') OR suffix(upper({s}), 'UTC') "
                  f"OR contains(substr({s}, 11), '+') OR contains(substr({s}, 11), '-') "
                  f"OR regexp_matches(substr({s}, 12), '[A-Za-z]{{2}}')))")
    # Snowflake and others write a space before the offset ("... 00:00:00.000 +0000"),
    # which DuckDB does not read: the space goes.
    joined = f"regexp_replace({zone_spaced(s)}, '\\s+([+-][0-9]{{2}}:?[0-9]{{2}})\\s*$', '\\1')"
    typed = (f"(CASE WHEN {has_offset} THEN timezone('UTC', {cast}({joined} AS TIMESTAMPTZ)) "
             f"ELSE {cast}({s} AS TIMESTAMP) END)")
    # DuckDB reads any date year first: '10/1/25' (1 October 2025 in a US spreadsheet) would
    # be 25 January of the year 10. Only a four-digit year first is read; anything else is
    # not a date (and fails the statement on the strict path).
    year_first = (f"regexp_matches({s}, '^\\s*[0-9]{{4}}[-/]') AND NOT "
                  f"regexp_matches({s}, '^\\s*0000')")  # no year 0 in the calendar
    beyond = f"coalesce({offset_beyond(s)}, false)"
    if cast == "CAST":
        return (f"(CASE WHEN {beyond} THEN error({literal(BAD_OFFSET_MESSAGE)}) "
                f"WHEN {s} IS NULL OR trim({s}) = '' OR {year_first} THEN {typed} "
                f"ELSE error('not an ISO-8601 date') END)")
    return f"(CASE WHEN {year_first} AND NOT {beyond} THEN {typed} END)"


def _in_calendar(typed: str, cast: str) -> str:
    """A typed time within years 1 to 9999, the calendar dates are written in (DuckDB holds
    year 0 and years past 9999; no report or JSON can show them): else not a date."""
    inside = f"year({typed}) BETWEEN 1 AND 9999"
    if cast == "CAST":
        return f"(CASE WHEN {typed} IS NULL OR {inside} THEN {typed} ELSE error('not a date') END)"
    return f"(CASE WHEN {inside} THEN {typed} END)"


def _quantity(src: str, src_type: str, cast: str) -> str:
    return f"{cast}({_text(src, src_type)} AS DOUBLE)"


def typed_expr(column: str, src_name: str | None, src_type: str,
               strict: bool = False) -> tuple[str, str | None]:
    """(conversion of the source column, text of the source column) for one canonical column.

    The text is None when there is nothing to check (absent or text columns). The caller
    computes the conversion once and derives the bad value from it (see bad_expr). With
    `strict` a value that does not convert fails the statement instead of reading as NULL
    (the fast path of ingest, which then falls back to the precise one).
    """
    cast = "CAST" if strict else "TRY_CAST"
    store_type = FOCUS_COLUMNS[column]
    if src_name is None:
        return f"CAST(NULL AS {store_type})", None
    src = ident(src_name)
    if store_type == TEXT:
        if column in JSON_COLUMNS and src_type.startswith("MAP("):
            # A map that holds a key twice (Parquet writers allow it) would be a JSON object
            # of repeated keys, which holds no tags: written as its list of entries, the
            # first value of the key is kept, as in a list of key/value structs.
            return (f"CAST(CASE WHEN len(list_distinct(map_keys({src}))) < len(map_keys({src})) "
                    f"THEN to_json(map_entries({src})) ELSE to_json({src}) END AS VARCHAR)"), None
        if column in JSON_COLUMNS and src_type != "VARCHAR":  # e.g. a Parquet STRUCT
            return f"CAST(to_json({src}) AS VARCHAR)", None
        # An empty text is no value: the CSV reader already reads it as NULL, and Parquet
        # writers (pandas among them) often write '' where they mean null.
        return f"NULLIF({_text(src, src_type)}, '')", None
    if store_type == MONEY:
        typed = _money(src, src_type, cast)
    elif store_type == TIME:
        typed = _time(src, src_type, cast)
    elif store_type == QUANTITY:
        typed = _quantity(src, src_type, cast)
    else:
        raise ValueError(f"no conversion for {store_type}")
    return typed, _text(src, src_type)


def derived_expr(column: str, mapping: dict[str, str]) -> str | None:
    """SQL filling an absent FOCUS column from a 1.0-preview column, or None (PREVIEW_DERIVED)."""
    source = derived_from(column, mapping)
    if source is None:
        return None
    # in any case, as the values a column of its own names (renamed_values_expr)
    cases = " ".join(f"WHEN {literal(k.lower())} THEN {literal(v)}"
                     for k, v in PREVIEW_DERIVED[column][1].items())
    return f"(CASE lower(trim(CAST({ident(mapping[source])} AS VARCHAR))) {cases} END)"


def renamed_values_expr(column: str, expr: str) -> str:
    """`expr` with a value FOCUS names written in another case, or by its 1.0-preview name,
    read as the FOCUS value (value_spellings), and a currency code in upper case. Values
    spelled right skip the lookup."""
    if column == "BillingCurrency":  # an ISO 4217 code means the same in any case: usd is USD
        return f"(CASE WHEN regexp_full_match({expr}, '[a-zA-Z]{{3}}') THEN upper({expr}) " \
               f"ELSE {expr} END)"
    spellings = value_spellings(column)
    if not spellings:
        return expr
    # A CASE, not IN: DuckDB runs an IN list as a join, which loses the file's row order
    # that the precise reader numbers rows by.
    spelled = " ".join(f"WHEN {literal(v)} THEN {literal(v)}" for v in ENUMERATED[column])
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in spellings.items())
    return (f"(CASE {expr} {spelled} "
            f"ELSE (CASE lower({expr}) {cases} ELSE {expr} END) END)")


def count_true(condition: str) -> str:
    """How many rows the condition holds for: 0, never NULL. (DuckDB's count_if gives NULL
    when the condition is NULL on every row, and one NULL term makes a sum of counts NULL.)"""
    return f"count_if(({condition}) IS TRUE)"


def finite_expr(column: str, converted: str) -> str:
    """Non-finite quantities (NaN, inf) read as NULL; the bad value then shows them."""
    return f"(CASE WHEN isfinite({converted}) THEN {converted} END)" \
        if FOCUS_COLUMNS[column] == QUANTITY else converted


def bad_expr(converted: str, text: str) -> str:
    """The value as written when it is not empty but did not convert, else NULL."""
    return (f"(CASE WHEN {converted} IS NULL AND {text} IS NOT NULL AND trim({text}) <> '' "
            f"THEN {text} END)")


# Tags that hold no tag at all: not a malformed value (no warning).
EMPTY_TAGS_RE = r"\s*(\{\s*\}|\[\s*\])\s*"


def tags_map_expr(tags_text: str) -> str:
    """MAP(VARCHAR, VARCHAR) of a Tags JSON object with lower-cased keys, first key wins.

    Values keep their text; numbers, booleans and nested objects are rendered as JSON text.
    A list of {"key": ..., "value": ...} objects (how some exports and Parquet writers spell
    labels) reads as the same map; a key listed twice keeps its first value (GCP lists a
    project's label and a resource's label of the same name). Azure's cost details write the
    object's members without the braces ("env": "prod","team": "ml"): read as the object.
    Anything else (or a key written twice inside one JSON object) gives an empty map; the
    caller warns.
    """
    braced = f"('{{' || CAST({tags_text} AS VARCHAR) || '}}')"
    pairs = f"""json_transform({tags_text}, '[{{"key": "VARCHAR", "value": "VARCHAR"}}]')"""
    first = (f"list_filter({pairs}, lambda e, i: "
             f"list_position(list_transform({pairs}, lambda p: p.key), e.key) = i)")
    m = (f"(CASE WHEN json_valid({tags_text}) THEN CASE json_type({tags_text}) "
         f"WHEN 'OBJECT' THEN json_transform({tags_text}, '\"MAP(VARCHAR, VARCHAR)\"') "
         f"WHEN 'ARRAY' THEN try(map_from_entries({first})) END "
         f"WHEN json_valid({braced}) AND json_type({braced}) = 'OBJECT' "
         f"THEN json_transform({braced}, '\"MAP(VARCHAR, VARCHAR)\"') END)")
    folded = ("list_filter(list_transform(map_entries(__m), lambda e: {'key': lower(e.key), "
              "'value': e.value}), lambda e, i: list_position(list_transform(map_keys(__m), "
              "lambda k: lower(k)), e.key) = i)")
    empty = "MAP {}::MAP(VARCHAR, VARCHAR)"
    # Rebuilding a map is the costly part: skip it when every key is already lower case.
    lower_already = "list_transform(map_keys(__m), lambda k: lower(k)) = map_keys(__m)"
    return m, (f"(CASE WHEN __m IS NULL THEN {empty} WHEN {lower_already} THEN __m "
               f"ELSE coalesce(map_from_entries({folded}), {empty}) END)")


def parsed_tag_sets(tag_sets: str) -> str:
    """SQL of the tag sets `tag_sets` selects (columns wb_tag_set, "Tags"), each with its
    parsed map as wb_tags: the rows the store's tag_sets table holds."""
    inner, folded = tags_map_expr('"Tags"')
    return (f'SELECT wb_tag_set, "Tags", {folded} AS wb_tags FROM (SELECT wb_tag_set, "Tags", '
            f"{inner} AS __m FROM ({tag_sets}))")


def tag_set_expr(tags_text: str) -> str:
    """The tag-set key of a Tags text: a 63-bit hash (a non-negative BIGINT), NULL without Tags.

    Equal texts share a key; the store checks that different texts never do (see store.py).
    """
    return f"(CASE WHEN {tags_text} IS NOT NULL THEN CAST(hash({tags_text}) >> 1 AS BIGINT) END)"


def csv_read_type(store_type: str) -> str:
    """The store type a fully typed CSV read asks for (timestamps with their offsets): the
    benchmark's bare typed pass. The fast path reads times and amounts as text instead."""
    return "TIMESTAMPTZ" if store_type == TIME else store_type


# The dialect of every CSV read. A field that is empty or the word NULL or null is no value:
# SQL tools write a null so (the FinOps Foundation's FOCUS sample exports among them, and the
# FOCUS specification's example data in lower case), and read as text it would be a
# resource, a commitment, a tag or an amount named "null".
CSV_DIALECT = ("delim=',', quote='\"', escape='\"', strict_mode=true, null_padding=false, "
               "nullstr=['', 'NULL', 'null'], encoding='utf-8'")


def csv_source(path: str, columns: dict[str, str], gzip: bool, rejects: str) -> str:
    """The FROM clause that reads a CSV (gzipped or not) with the given column types (name
    -> DuckDB type, in the header's order), rows the reader refuses kept in `rejects` (and
    `rejects`_scan) for their line numbers."""
    cols = "{" + ", ".join(f"{literal(n)}: {literal(t)}" for n, t in columns.items()) + "}"
    return (f"read_csv({literal(one_file(path))}, columns={cols}, header=true, auto_detect=false, "
            f"{CSV_DIALECT}, compression={literal('gzip' if gzip else 'none')}, "
            f"store_rejects=true, rejects_table={literal(rejects)}, "
            f"rejects_scan={literal(rejects + '_scan')}, rejects_limit=0, hive_partitioning=false)")


FORMULA_PREFIX = r"^[=+\-@\t\r]"  # spreadsheet formula injection (OWASP CSV injection)
# A number a spreadsheet shows as itself ("-1.5", "1,234", "2e3"); "-2+3" it would compute.
PLAIN_NUMBER = r"^[+-]?[0-9][0-9.,]*([eE][+-]?[0-9]+)?$"
