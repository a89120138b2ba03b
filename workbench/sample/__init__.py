"""The bundled sample: Helio Labs, a mid-size AI company, billed in FOCUS 1.3 by four providers.

`workbench sample` writes data/sample/ (committed, so a fresh clone has data with no step);
`workbench sample --rows N` streams a large export of the same shape for benchmarks.
"""

from __future__ import annotations

from workbench.sample.large import write_bench_csv

__all__ = ["generate", "run_sample", "write_bench_csv", "write_sample"]


def generate(months: int = 18, end: str | None = None, seed: int = 7):
    """The sample in memory (see generate.Sample); `end` defaults to the last full month."""
    from workbench.sample.build import generate as _generate
    from workbench.sample.timeline import last_full_month

    return _generate(months, end or last_full_month(), seed)


def write_sample(out, months: int = 18, end: str | None = None, seed: int = 7):
    """Generate and write the sample folder; returns the manifest dict."""
    from workbench.sample.output import write_sample as _write

    return _write(generate(months, end, seed), out)


def run_sample(args) -> int:
    """`workbench sample [--out DIR] [--months N] [--seed S] [--end YYYY-MM] [--rows N]`."""
    from pathlib import Path

    from workbench.sample.timeline import last_full_month

    end = getattr(args, "end", None) or last_full_month()
    if args.rows is not None:
        out = Path("data/bench" if args.out == "data/sample" else args.out)  # never the committed sample
        path = out if out.suffix in (".csv", ".gz") else out / f"focus-{args.rows}.csv"
        write_bench_csv(path, args.rows, seed=args.seed, end=end)
        print(f"wrote {path} ({args.rows} rows)")
        return 0
    manifest = write_sample(args.out, args.months, end, args.seed)
    print(f"wrote {args.out}: {manifest['rows']} FOCUS rows in {len(manifest['files'])} files, "
          f"{args.months} months ending {end}, seed {args.seed}")
    return 0
