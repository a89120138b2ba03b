"""The first bytes and the header of a file: what it is, which columns it has."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from pathlib import Path

from workbench.focus_columns import (
    ALL_FOCUS_COLUMNS,
    FOCUS_05_NAMES,
    MANDATORY,
    PREVIEW_DERIVED,
    PREVIEW_NAMES,
    PROVIDER_COLUMNS,
    REQUIRED,
    derived_from,
)
from workbench.focus_report import MISSING_COLUMN, Problem, Stop

HEAD_BYTES = 1 << 20  # enough for any header line
BOM = b"\xef\xbb\xbf"  # UTF-8's byte-order mark
# Archives and compressions an export may come in that are not read as they are.
UNPACK = "unpack it and load the files inside"
DECOMPRESS = "decompress it (a CSV compressed with gzip is read as it is)"
PACKED = ((b"PK\x03\x04", "a ZIP archive", UNPACK),
          (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", UNPACK),
          (b"BZh", "bzip2-compressed", DECOMPRESS),
          (b"\x28\xb5\x2f\xfd", "zstd-compressed", DECOMPRESS),
          (b"\xfd7zXZ\x00", "xz-compressed", DECOMPRESS))


# DuckDB opens a file by a UTF-8 name only; Python keeps the bytes of another encoding
# (Latin-1 from an old archive) as surrogates, which DuckDB cannot take.
NOT_UTF8_NAME = ("its name is not UTF-8 text (written in another encoding), which the reader "
                 "cannot open; rename it")


def utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def sniff(path: Path) -> tuple[str, bytes]:
    """('csv' | 'gzip' | 'parquet', first bytes of the text) or Stop."""
    if not utf8_name(str(path)):
        raise Stop(NOT_UTF8_NAME)
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise Stop(f"cannot read the file: {exc.strerror or exc}") from None
    if not head:
        raise Stop("empty file (0 bytes); expected a FOCUS export with a header row")
    if head[:4] == b"PAR1":
        return "parquet", b""
    _utf16(head)
    sheet = spreadsheet(head)
    if sheet:
        raise Stop(f"{sheet}, not CSV text; save it from the spreadsheet as CSV UTF-8 "
                   "(comma-separated)")
    for magic, what, do in PACKED:
        if head.startswith(magic):
            raise Stop(f"{what}, which is not read: {do}")
    if path.name.lower().endswith(".parquet"):
        raise Stop("not a Parquet file (no PAR1 signature); is it a CSV with the wrong name?")
    kind = "csv"
    if head[:2] == b"\x1f\x8b":
        kind = "gzip"
        head = gunzip_head(head)
        if not head:
            raise Stop("empty file (the gzip holds no data); expected a FOCUS export")
        if head[:2] == b"\x1f\x8b":  # saved still compressed by a server that sent it gzipped
            raise Stop("compressed twice: the gzip holds another gzip; decompress it once "
                       "(gunzip) and load the file that comes out")
        if head[:4] == b"PAR1":  # Parquet is read by seeking to its footer, not as a stream
            raise Stop("a Parquet file compressed with gzip, which is not read so (Parquet "
                       "compresses its own data): decompress it (gunzip) and load the "
                       ".parquet file that comes out")
        _utf16(head)
    if not head.replace(BOM, b""):
        raise Stop("empty file (a byte-order mark and nothing else); expected a FOCUS export "
                   "with a header row")
    if head.startswith(b"\x89PNG"):
        raise Stop("a PNG image, not a CSV or Parquet FOCUS export")
    if b"\x00" in head[:65536]:
        raise Stop("binary data, not CSV text (or a UTF-16 file: save it as UTF-8)")
    return kind, head


def _utf16(head: bytes) -> None:
    """Stop at a UTF-16 byte-order mark: Excel's "Unicode Text" and some Windows tools write
    UTF-16, which the reader, reading UTF-8, would call binary data. UTF-32's mark begins
    as UTF-16's little-endian one does, so it is told first."""
    if head[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        raise Stop("UTF-32 text, not UTF-8; save the export as CSV UTF-8 (comma-separated)")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise Stop("UTF-16 text (Excel's \"Unicode Text\" writes it), not UTF-8; save the "
                   "export as CSV UTF-8 (comma-separated)")


def spreadsheet(head: bytes) -> str | None:
    """What kind of spreadsheet the first bytes are, or None. An export opened in a
    spreadsheet and saved in its own format keeps its name: unpacked as any ZIP would be,
    it gives XML files, not the CSV."""
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2, Excel 97-2003
        return "an Excel 97-2003 workbook (.xls)"
    if head.startswith(b"PK\x03\x04"):  # the names of a ZIP's first members are in its head
        if b"xl/workbook.xml" in head or b"[Content_Types].xml" in head:
            return "an Excel workbook (.xlsx)"
        if b"application/vnd.oasis.opendocument.spreadsheet" in head[:200]:
            return "an OpenDocument spreadsheet (.ods)"
    return None


TRUNCATED_GZIP = "truncated or corrupt gzip file; download the export again"


def gzip_problem(path: Path) -> str:
    """Why DuckDB could not read a gzip file: cut short or damaged, or whole but followed by
    bytes that are not gzip (a copy padded with zeros: gunzip ignores them, DuckDB does not).
    Read through once, on that error path only."""
    with open(path, "rb") as fh:
        unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = b""
        while True:
            chunk = pending or fh.read(1 << 20)
            pending = b""
            if not chunk:
                return TRUNCATED_GZIP  # the file ended inside a member
            try:
                unpack.decompress(chunk, 0)
            except zlib.error:
                return TRUNCATED_GZIP
            if unpack.eof:
                rest = unpack.unused_data + fh.read(2)
                if not rest:
                    return TRUNCATED_GZIP  # whole: DuckDB failed for another reason
                if rest[:2] == b"\x1f\x8b":  # the next member
                    unpack, pending = zlib.decompressobj(16 + zlib.MAX_WBITS), rest
                    continue
                tail = rest + fh.read()
                what = "zero bytes" if not tail.strip(b"\x00") else "bytes that are not gzip"
                return (f"the compressed data is whole but followed by {len(tail):,} {what}; "
                        "decompress it (gunzip ignores them) and load the CSV")


def gunzip_head(packed: bytes) -> bytes:
    """Up to HEAD_BYTES of the text the first bytes of a gzip file hold, read through every
    member: a file compressed in pieces (streaming writers append a member per batch) reads
    as one text, as gunzip and DuckDB read it, even when the first piece ends inside the
    header. Stop when the file ends inside a member: cut short, it would be called empty or
    missing its columns."""
    whole = len(packed) < HEAD_BYTES  # the file ended within the bytes read
    head = b""
    while packed and len(head) < HEAD_BYTES:
        unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            head += unpack.decompress(packed, HEAD_BYTES - len(head))
        except zlib.error as exc:
            if head:  # bytes after a member: the read of the whole file says what they are
                break
            raise Stop(f"corrupt gzip file ({exc})") from None
        if not unpack.eof:
            if whole and not unpack.unconsumed_tail and len(head) < HEAD_BYTES:
                raise Stop(TRUNCATED_GZIP)
            break
        packed = unpack.unused_data
    return head


LINE_ENDS = {b"\r\n": "CRLF", b"\n": "LF", b"\r": "CR"}
MIXED_ENDS = ("this row ends in {} where the header ends in {} (line ends mixed, as files "
              "joined or edited on two systems have them); save the file again with one kind "
              "of line end")
BARE_CR = ("a carriage return alone inside an unquoted field (a line end of another kind?): "
           "quote the field, or save the file again with one kind of line end")


def stray_line_end(path: Path, kind: str,
                   until: int | None = None) -> tuple[int, int | None, str] | None:
    """(data row, 0-based field, problem) of the first carriage return alone in an unquoted
    field of a CSV whose lines end in LF or CRLF, or (data row, None, problem) of the first
    row that ends otherwise than the header, or None (also when none is found up to data
    row `until`). DuckDB's reader stops at either ("reached an invalid state") without
    saying where, or refuses the rows after it as quoted fields that never end; this finds
    it, on those error paths only."""
    record, field, quoted, first = 0, 0, False, b""  # record 0 is the header
    with (gzip.open if kind == "gzip" else open)(path, "rb") as fh:
        for n, line in enumerate(fh):
            if until is not None and record > until:
                return None
            body = line[:-1] if line.endswith(b"\n") else line
            body = body[:-1] if body.endswith(b"\r") else body
            if n == 0 and b"\r" in body:
                return None  # lines end in CR alone (old Mac files): DuckDB reads those
            # a line that opens and closes its quotes holds no state to track
            if quoted or b"\r" in body or body.count(b'"') % 2:
                for ch in body:
                    if ch == 0x22:
                        quoted = not quoted
                    elif not quoted and ch == 0x2C:
                        field += 1
                    elif not quoted and ch == 0x0D:
                        return record, field, BARE_CR
            if not quoted:
                end = line[len(body):]
                first = first or end
                if end and end != first:  # a line end inside quotes is the value's own
                    return record, None, MIXED_ENDS.format(LINE_ENDS[end], LINE_ENDS[first])
                record, field = record + 1, 0
    return None


DOS_EOF = b"\x1a"  # Ctrl-Z: DOS marked a text file's end so, and some Windows tools still do


def before_dos_eof(path: Path, kind: str) -> bytes | None:
    """The byte before a Ctrl-Z that ends the text (b"" when it is the whole text), or None
    when the text ends otherwise or cannot be read to its end (changed since it was read).
    Read on the paths that need it only (a gzip is read through)."""
    try:
        if kind == "gzip":
            tail = b""
            with gzip.open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    tail = (tail + chunk)[-2:]
        else:
            with open(path, "rb") as fh:
                fh.seek(max(fh.seek(0, io.SEEK_END) - 2, 0))
                tail = fh.read()
    except (OSError, EOFError, zlib.error):
        return None
    return tail[:-1] if tail.endswith(DOS_EOF) else None


def doubled_line_ends(head: bytes) -> bool:
    """Whether the first line ends in CR CR LF: a CRLF file written again by a writer that
    turns each LF into CRLF (Python's csv module on Windows, without newline=''). DuckDB's
    reader stops at such a file without saying why."""
    first, newline, _ = head.partition(b"\n")
    return bool(newline) and first.endswith(b"\r\r")


def csv_header(head: bytes) -> list[str]:
    # Excel's "CSV (Macintosh)" ends lines with a carriage return alone (DuckDB reads those).
    line = head.split(b"\n", 1)[0].rstrip(b"\r").split(b"\r", 1)[0]
    try:
        text = line.decode("utf-8-sig").lstrip("\ufeff")  # a file saved twice has two BOMs
    except UnicodeDecodeError as exc:
        raise Stop(f"the header row is not UTF-8 text (byte {exc.start + 1}); "
                    "save the export as UTF-8") from None
    if not text.strip():
        raise Stop("the first line is empty; expected a header row of FOCUS column names")
    if text.strip().lower().startswith("sep=") and len(text.strip()) <= 5:
        raise Stop(f"the first line is a spreadsheet's separator hint ({text.strip()!r}), not the "
                   "header row; delete that line")
    if text.startswith("#TYPE "):  # Windows PowerShell's Export-Csv writes it by default
        raise Stop(f"the first line is PowerShell's type line ({text.strip()[:60]!r}), not the "
                   "header row; delete that line (Export-Csv -NoTypeInformation leaves it out)")
    try:
        names = next(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise Stop(f"the header row is not readable CSV ({exc})") from None
    # Empty names past the last column (a spreadsheet's trailing commas) name no column, as
    # empty fields past a row's last column are no value: rows with or without them read.
    while names and not names[-1].strip():
        names.pop()
    if not names:
        raise Stop("the first line names no column; expected a header row of FOCUS column names")
    return names


def _fold(name: str) -> str:
    """A column name without case or underscores: BILLED_COST, billedcost -> billedcost."""
    return name.strip().lower().replace("_", "")


def named_twice(header: list[str]) -> list[tuple[str, list[str]]]:
    """(FOCUS column, its spellings) for each column the header names more than once with
    no way to tell which to read: written exactly twice, or only in other spellings
    (billed_cost, BILLED_COST). One exact name beside other spellings is read, the others
    ignored with a warning (match_columns)."""
    folded_focus = {_fold(c): c for c in ALL_FOCUS_COLUMNS}
    spellings: dict[str, list[str]] = {}
    for name in header:
        focus = name if name in ALL_FOCUS_COLUMNS else folded_focus.get(_fold(name))
        if focus is not None:
            spellings.setdefault(focus, []).append(name)
    return [(focus, names) for focus, names in sorted(spellings.items())
            if len(names) > 1 and names.count(focus) != 1]


def match_columns(names: list[str], written: list[str] | None = None) -> tuple[
        dict[str, str], list[Problem]]:
    """Canonical (and other FOCUS) name -> name in the file.

    `written` is the header as the file spells it, beside `names` as DuckDB reads them (a
    repeat renamed by `dedupe`): a warning names the column as the user wrote it.

    Names that differ from a FOCUS name only in case or underscores (warehouse exports
    often upper-case or snake-case them) are read as that column, with one warning; so are
    the FOCUS 1.0-preview names 1.0 renamed (Provider, Region, UsageQuantity, ...) and the
    FOCUS 0.5 names the preview renamed (AmortizedCost, ChargeType).
    """
    if written is None or len(written) != len(names):
        written = names
    # a column without a name keeps the one dedupe gave it: "(unnamed column 12)"
    shown = {n: w if w.strip() else n for n, w in zip(names, written, strict=True)}
    exact = set(shown.values())
    folded_focus = {_fold(c): c for c in ALL_FOCUS_COLUMNS}
    preview_names = {_fold(old): new for old, new in PREVIEW_NAMES.items()}
    names_05 = {_fold(old): new for old, new in FOCUS_05_NAMES.items()}
    folded_focus.update(preview_names, **names_05)
    derived_from = {_fold(source): (source, target)
                    for target, (source, _) in PREVIEW_DERIVED.items()}
    mapping: dict[str, str] = {}
    warnings: list[Problem] = []
    respelled: list[tuple[str, str]] = []
    preview: list[tuple[str, str]] = []
    early: list[tuple[str, str]] = []  # FOCUS 0.5 names
    unknown: list[str] = []  # e.g. a provider's own prefix (OCI writes oci_*, not x_*)
    for name in names:
        if shown[name] in ALL_FOCUS_COLUMNS:
            mapping.setdefault(shown[name], name)
    # a FOCUS name in another spelling first: it is read before an older name of the same
    # column (AmortizedCost beside effective_cost), whichever the header writes first
    older = preview_names.keys() | names_05.keys() | derived_from.keys()
    for name in sorted(names, key=lambda n: _fold(shown[n]) in older):
        written_as = shown[name]
        if written_as in ALL_FOCUS_COLUMNS or written_as.lower().startswith("x_"):
            continue
        if _fold(written_as) in derived_from:  # kept under its preview name; derived_expr reads it
            source, target = derived_from[_fold(written_as)]
            mapping.setdefault(source, name)
            if target not in exact:
                preview.append((written_as, f"{target} (its Used/Unused Commitment values)"))
            continue
        focus = folded_focus.get(_fold(written_as))
        if focus is None:
            unknown.append(written_as)
        elif focus in exact or focus in mapping:
            said = (f"an older FOCUS name of {focus}, which the file also has; ignored"
                    if _fold(written_as) in preview_names.keys() | names_05.keys()
                    else f"repeats FOCUS column {focus} in another spelling; ignored")
            warnings.append(Problem(None, written_as, said))
        else:
            mapping[focus] = name
            found = (preview if _fold(written_as) in preview_names
                     else early if _fold(written_as) in names_05 else respelled)
            found.append((written_as, focus))
    # blanks around a name do not show in a message: such names are quoted, and said
    rule = "FOCUS names are case-sensitive, without underscores" + (
        " or blanks around them" if any(n != n.strip() for n, _ in respelled) else "")
    if len(respelled) == 1:
        name, focus = respelled[0]
        warnings.insert(0, Problem(None, name, f"read as FOCUS column {focus}; {rule}"))
    elif respelled:  # a whole header in another spelling: one line, not one per column
        warnings.insert(0, Problem(None, None, (
            f"{len(respelled)} column names differ from FOCUS spelling, read as FOCUS columns: "
            f"{_listed([f'{_as_written(n)} as {f}' for n, f in respelled])} ({rule})")))
    if preview:
        warnings.insert(0, Problem(None, None, (
            "FOCUS 1.0-preview column names (OCI's FOCUS reports use them) read as their "
            f"FOCUS 1.0 columns: {_listed([f'{n} as {f}' for n, f in preview], len(preview))}")))
    if early:
        warnings.insert(0, Problem(None, None, (
            "FOCUS 0.5 column names read as their FOCUS 1.0 columns: "
            f"{_listed([f'{n} as {f}' for n, f in early], len(early))}")))
    if len(unknown) == 1:
        warnings.append(Problem(None, unknown[0], "not a FOCUS column (custom columns start "
                                "with x_); ignored"))
    elif unknown:  # one line for a provider's whole set of extra columns
        warnings.append(Problem(None, None, f"{len(unknown)} columns are not FOCUS columns "
                                f"(custom columns start with x_); ignored: {_listed(unknown)}"))
    return mapping, warnings


def _as_written(name: str) -> str:
    """A column name as a message shows it: quoted when blanks surround it."""
    return repr(name) if name != name.strip() else name


def _listed(items: list[str], shown: int = 4) -> str:
    """The first few items, then how many more: a header can have hundreds of columns."""
    rest = len(items) - shown
    return ", ".join(items[:shown]) + (f" and {rest} more" if rest > 0 else "")


def column_problems(mapping: dict[str, str], version: str, names: list[str]) -> tuple[
        list[Problem], list[Problem]]:
    errors = [Problem(None, c, "required column is missing") for c in REQUIRED if c not in mapping]
    said = set()  # what the error about the provider names already
    if not any(c in mapping for c in PROVIDER_COLUMNS):
        said = set(PROVIDER_COLUMNS)
        errors.append(Problem(None, "ProviderName", "required column is missing (or "
                              "ServiceProviderName, FOCUS 1.3+)"))
    warnings = [Problem(None, c, MISSING_COLUMN.format(version=version))
                for c in MANDATORY[version]
                if c not in mapping and c not in said and not derived_from(c, mapping)]
    return errors, warnings


def dedupe(names: list[str]) -> list[str]:
    """Unique, non-empty names for DuckDB; later repeats get a suffix (they are never used)."""
    out, seen = [], set()
    for i, n in enumerate(names):
        name = n if n.strip() else f"(unnamed column {i + 1})"
        while name.lower() in seen:  # DuckDB names are case-insensitive
            name = f"{name}__{i + 1}"
        seen.add(name.lower())
        out.append(name)
    return out
