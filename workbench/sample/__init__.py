"""The bundled sample: Helio Labs, a mid-size AI company, billed in FOCUS 1.3 by four providers.

`workbench sample` writes data/sample/ (committed, so a fresh clone has data with no step);
`workbench sample --rows N` streams a large export of the same shape for benchmarks.
"""

from __future__ import annotations

import re
from pathlib import Path

from workbench.errors import UsageError, WorkbenchError, plural
from workbench.sample.large import MONTHS, write_bench_csv

SAMPLE_MONTHS = 18  # the bundled sample's length; the large CSV has MONTHS

__all__ = ["generate", "run_sample", "write_bench_csv", "write_sample"]


def generate(months: int = SAMPLE_MONTHS, end: str | None = None, seed: int = 7):
    """The sample in memory (see generate.Sample); `end` defaults to the last full month."""
    from workbench.sample.build import generate as _generate
    from workbench.sample.timeline import last_full_month

    return _generate(months, end or last_full_month(), seed)


def write_sample(out, months: int = SAMPLE_MONTHS, end: str | None = None, seed: int = 7):
    """Generate and write the sample folder; returns the manifest dict."""
    from workbench.sample.output import earlier_sample
    from workbench.sample.output import write_sample as _write

    earlier_sample(Path(out))  # a folder it may not write to: said before generating
    return _write(generate(months, end, seed), out)


def run_sample(args) -> int:
    """`workbench sample [--out DIR] [--months N] [--seed S] [--end YYYY-MM] [--rows N]`."""
    from workbench.sample.timeline import last_full_month

    end = getattr(args, "end", None) or last_full_month()
    months = getattr(args, "months", None)
    if args.rows is not None:
        out = Path("data/bench" if args.out == "data/sample" else args.out)  # never the committed sample
        if out.suffix.lower() == ".parquet":  # else a folder of that name, holding a CSV
            raise UsageError(f"--out: {args.out}: --rows writes CSV; name a .csv or .csv.gz "
                             "file, or a folder")
        if out.suffix.lower() in (".csv", ".gz"):
            path = out
        else:
            _check_bench_folder(out)
            path = out / f"focus-{args.rows}.csv"
        months = months or MONTHS
        write_bench_csv(path, args.rows, seed=args.seed, end=end, months=months)
        print(f"wrote {path}: {plural(args.rows, 'FOCUS row')}, {months} months ending {end}, "
              f"seed {args.seed}")
        return 0
    months = months or SAMPLE_MONTHS
    manifest = write_sample(args.out, months, end, args.seed)
    print(_summary(args.out, manifest, months, end, args.seed))
    return 0


BENCH_FILE = re.compile(r"focus-\d+\.csv")


def _check_bench_folder(out: Path) -> None:
    """Refuse a folder holding exports other than earlier bench CSVs: an ingest of it would
    add the fictional rows to theirs (or the bench CSV replace one named focus-N.csv)."""
    from workbench.focus import SUFFIXES

    if not out.is_dir():
        return
    for f in sorted(out.rglob("*")):
        name = f.relative_to(out)
        if (f.name.lower().endswith(SUFFIXES) and not f.name.startswith(".")
                and not (name.name == str(name) and BENCH_FILE.fullmatch(f.name))):
            raise WorkbenchError(f"--out: {out} holds exports `workbench sample --rows` did not "
                             f"write ({name.as_posix()}), which an ingest of it would add its "
                             "rows to; name a new folder or a .csv file")

def _summary(out, manifest: dict, months: int, end: str, seed: int) -> str:
    """What `workbench sample` wrote, telling the FOCUS files (what to ingest) from the
    business files beside them."""
    focus = [f for f in manifest["files"] if f.startswith("focus/")]
    business = [Path(f).stem for f in manifest["files"] if not f.startswith("focus/")]
    where = Path(out) / "focus"
    return (f"wrote {out}: {plural(manifest['rows'], 'FOCUS row')} in "
            f"{plural(len(focus), 'FOCUS file')} under {where}, plus "
            f"{plural(len(business), 'business file')} ({', '.join(business)}); "
            f"{months} months ending {end}, seed {seed}\n"
            f"load the FOCUS files with: workbench ingest {where}")
