"""`workbench` command line. Parsers live here; each command's work lives in its module.

Every user-fixable problem is a WorkbenchError and prints as one line
(`error: FILE:ROW: COLUMN: problem`) with exit status 1; usage errors exit 2.
Set WORKBENCH_DEBUG=1 to see a traceback for an unexpected failure.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys

from workbench import __version__
from workbench.errors import UsageError, WorkbenchError
from workbench.focus_header import NOT_UTF8_NAME, utf8_name
from workbench.months import is_month

# command -> (module, function); imported lazily so `workbench validate` starts fast.
COMMANDS = {
    "validate": ("workbench.focus", "run_validate"),
    "ingest": ("workbench.store", "run_ingest"),
    "sample": ("workbench.sample", "run_sample"),
    "report": ("workbench.report", "run_report"),
    "app": ("workbench.app", "run_app"),
}


class _CommandParser(argparse.ArgumentParser):
    """A command's parser: an option it does not know is its usage error, shown with its
    own usage line (argparse would hand it up to the top-level parser)."""

    def parse_known_args(self, args=None, namespace=None):
        namespace, extra = super().parse_known_args(args, namespace)
        if any(e == "--config" or e.startswith("--config=") for e in extra):
            # an option of `workbench` itself, which argparse reads only before the command
            command = self.prog.split()[-1]
            self.error(f"--config goes before the command: workbench --config FILE {command} ...")
        if extra:
            named = next((e for e in extra if e.startswith("-") and os.path.lexists(e)), None)
            hint = f" ({named} is a file: write ./{named}, or -- before it)" if named else ""
            self.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
        return namespace, extra


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="workbench", description="AI FinOps workbench: FOCUS billing exports in, answers out.")
    p.add_argument("--version", action="version", version=f"workbench {__version__}")
    p.add_argument("--config", metavar="FILE", type=_path, help="workbench.toml to use (default: $WORKBENCH_CONFIG, else the nearest "
                        "workbench.toml in the working folder or a folder above it)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_CommandParser)
    p.commands = sub.choices  # name -> parser, for usage errors found after parsing

    v = sub.add_parser("validate", help="check FOCUS exports; one line per problem")
    v.add_argument("paths", nargs="*", metavar="PATH", type=_path,
                   help="file, folder (recursive) or glob (default: [data].focus from the config)")
    v.add_argument("--json", action="store_true", help="machine-readable report on stdout")

    i = sub.add_parser("ingest", help="load FOCUS exports into the DuckDB store")
    i.add_argument("paths", nargs="*", metavar="PATH", type=_path, help="default: [data].focus from the config")
    i.add_argument("--store", metavar="FILE", type=_store_file, help="DuckDB file (default: [data].store)")
    i.add_argument("--json", action="store_true", help="print the store's totals as JSON")
    i.add_argument("--rebuild", action="store_true",
                   help="first load the store again from the files it records (after an upgrade)")

    s = sub.add_parser("sample", help="generate the AI-company sample dataset (FOCUS 1.3)")
    s.add_argument("--out", metavar="DIR", type=_path, default="data/sample",
                   help="folder to write, from the working folder (default: data/sample)")
    s.add_argument("--months", metavar="N", type=_months, default=None,
                   help="months of billing (default: 18; 12 with --rows)")
    s.add_argument("--seed", metavar="S", type=_seed, default=7, help="default: 7")
    s.add_argument("--end", metavar="YYYY-MM", type=_sample_end, default=None,
                   help="last month of the sample (default: the last full month before today)")
    s.add_argument("--rows", metavar="N", type=_rows, default=None,
                   help="stream a larger export of about N rows (benchmarks) to data/bench/, "
                        "or to --out when it names a .csv/.csv.gz file or another folder")

    r = sub.add_parser("report", help="execute the notebooks into an offline HTML/PDF pack")
    # extend: `--data a.csv --data b.csv` reads both (a repeated option would keep the last)
    r.add_argument("--data", nargs="+", action="extend", metavar="PATH", type=_path,
                   help="FOCUS exports (default: config)")
    r.add_argument("--month", metavar="YYYY-MM", type=_month,
                   help="default: [report].month, else the last month every provider's data covers to its end")
    r.add_argument("--out", metavar="DIR", type=_path,
                   help="default: [report].out, else reports/<YYYY-MM>/ beside the config")
    r.add_argument("--notebooks", nargs="+", action="extend", metavar="NAME",
                   help="default: [report].notebooks, else every notebook")
    r.add_argument("--no-pdf", action="store_true", help="skip the PDF copies (as [report].pdf = false does)")

    a = sub.add_parser("app", help="serve the notebooks as Voila apps")
    a.add_argument("--port", metavar="N", type=_port, help="default: [app].port, 8866")
    a.add_argument("--host", metavar="H",
                   help="default: [app].host, 127.0.0.1 (anything else exposes the apps)")
    a.add_argument("--data", nargs="+", action="extend", metavar="PATH", type=_path,
                   help="FOCUS exports (default: config)")
    return p


def _path(text: str) -> str:
    # An empty argument is most often an unset shell variable ("$EXPORTS"); read as the
    # current folder it would scan or write somewhere nobody asked for.
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path (is a shell variable unset?)")
    # `--store=~/x.duckdb`: the shell leaves a `~` after `=` as it is, and it would make a
    # folder named `~` here (which `rm -rf ~` then deletes along with the home folder)
    return os.path.expanduser(text)


# Option values are checked as the command line is read, so a typo is a usage error
# (exit 2) before a load that may take minutes.

def _store_file(text: str) -> str:
    text = _path(text)
    if not utf8_name(text):
        raise argparse.ArgumentTypeError(f"{text!r}: {NOT_UTF8_NAME}")
    if text.lower().endswith((".csv", ".csv.gz", ".parquet")):
        raise argparse.ArgumentTypeError(
            f"{text!r} names a FOCUS export; the store is a DuckDB database file (such as "
            "data/workbench.duckdb), and the exports to load are the PATH arguments")
    return text


def _whole(what: str, low: int, high: int | None = None):
    """An argparse type: a whole number from `low` to `high`, else a usage error saying `what`."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = None
        if n is None or n < low or (high is not None and n > high):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return n
    return parse


_port = _whole("a port (a whole number from 1 to 65535)", 1, 65535)
_months = _whole("a number of months (a whole number from 2 to 60)", 2, 60)
_rows = _whole("a number of rows (a whole number, 1 or more)", 1)
_seed = _whole("a seed (a whole number, 0 or more)", 0)


def _month(text: str) -> str:
    if not is_month(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2026-05")
    return text


def _sample_end(text: str) -> str:
    # The sample's commitments and billing periods reach years either side of its months,
    # and a load refuses a charge dated outside 2000 to 2199 (focus_checks.PLACED_BY).
    if _month(text) and not "2010-01" <= text <= "2190-12":
        raise argparse.ArgumentTypeError(f"{text!r} is not a month from 2010-01 to 2190-12")
    return text


def main(argv: list[str] | None = None) -> int:
    # Python keeps a file name in another encoding as surrogates, and under a UTF-8 locale
    # its stdout refuses them: one such name printed would fail the whole command.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    module, func = COMMANDS[args.command]
    try:
        try:  # every relative path, and the search for workbench.toml, starts from it
            os.getcwd()
        except FileNotFoundError:
            raise WorkbenchError("the working folder is not there any more (deleted, or "
                                 "replaced by a new one of that name); cd to a folder") from None
        if args.config and not os.path.isfile(args.config):  # even where no setting is read
            from workbench.config import load_config
            load_config(args.config)  # says why: not there, a folder
            raise WorkbenchError(f"{args.config}: not a regular file")
        return int(getattr(importlib.import_module(module), func)(args) or 0)
    except UsageError as exc:  # the command's usage line, exit 2, as argparse does
        parser.commands[args.command].error(exc.line())
    except WorkbenchError as exc:
        print(f"error: {exc.line()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `workbench ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug of ours: still one line, traceback on request
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        said = _environment_error(exc)
        if said:  # not a bug: the machine said no (Ctrl-C inside a query, permissions, disk)
            print(f"error: {said}", file=sys.stderr)
            return 130 if said == "interrupted" else 1
        print(f"error: internal error ({type(exc).__name__}: {exc}); "
              "rerun with WORKBENCH_DEBUG=1 and report it", file=sys.stderr)
        return 1


def _environment_error(exc: Exception) -> str | None:
    """One line for what the machine refused, or None for a bug of ours. Ctrl-C inside a
    DuckDB query arrives as its interrupt, not as KeyboardInterrupt."""
    text = str(exc)
    if type(exc).__name__ == "InterruptException" or text.startswith("Query interrupted"):
        return "interrupted"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror.lower()}" if exc.filename else exc.strerror.lower()
    if "No space left on device" in text:
        return "no space left on device: " + text.splitlines()[0][:200]
    if type(exc).__name__ == "IOException" and "Could not read enough bytes" in text:
        # a store cut short (a disk that filled up, a copy interrupted)
        return (text.splitlines()[0].removeprefix("IO Error: ")[:300] + ": the file is cut "
                "short; if it is the store, delete it and ingest again")
    return None


if __name__ == "__main__":
    sys.exit(main())
