"""One exception family. The CLI turns any of these into one line and a non-zero exit."""

from __future__ import annotations

import re


class WorkbenchError(Exception):
    """Anything the user can fix: bad input, bad config, bad parameters."""

    def line(self) -> str:
        return str(self)


class InputError(WorkbenchError):
    """A problem located in an input file: `FILE:ROW: COLUMN: message` (row 1-based, header not counted)."""

    def __init__(self, message: str, path: str | None = None, row: int | None = None,
                 column: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.row = row
        self.column = column

    def line(self) -> str:
        return format_problem(self.path, self.row, self.column, self.message)


class ConfigError(WorkbenchError):
    """workbench.toml is missing a key, has a wrong type or an unknown key; names the key."""


class UsageError(WorkbenchError):
    """The command line is incomplete (found out only after the config is read): exit status 2."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def format_problem(path: str | None, row: int | None, column: str | None, message: str) -> str:
    """The one shape every located problem is printed in: `FILE:ROW: COLUMN: message`, with
    ROW or COLUMN left out when the problem is not about one row or one column (never made up)."""
    # A file name, a column name or a reader's message (a damaged file's bytes) may hold a
    # newline or a terminal escape: shown escaped, the line stays one.
    where = escaped(str(path)) if path else "<input>"
    if row is not None:
        where += f":{row}"
    message = escaped(message)
    return f"{where}: {escaped(column)}: {message}" if column else f"{where}: {message}"


def escaped(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 file`, `2 files`, `1,204 rows`: a count and its noun, as human output prints them."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"
