"""`workbench report`: the monthly pack. Notebooks -> Papermill -> offline HTML (+ PDF).

The store is ingested once, here, before any notebook runs; the notebooks then open it
read-only side by side (DuckDB allows many readers or one writer). Notebooks are
independent, so they run in parallel worker processes, each with its own kernel.
A failing notebook is recorded with its error; the others still render; the exit code
is then 1. Everything the pack shows is computed: the index figures from the store,
each page by its notebook.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

from workbench import __version__, json_exact
from workbench.config import Config, DataConfig, load_config
from workbench.errors import WorkbenchError
from workbench.months import billing_month

KERNEL = "workbench"
CELL_TIMEOUT = 900  # seconds for one cell; a pack on a large export may scan for minutes
# Business files beside the bill, and what is missing without each.
BUSINESS_FILES = {
    "drivers": "unit costs (cost per request, per 1k tokens) need drivers.csv",
    "org": "chargeback by cost center and business unit needs org.csv",
    "budgets": "budget tracking needs budgets.csv",
    "telemetry": "GPU utilisation and idle cost need telemetry.csv",
    "quality": "cost against model quality needs quality.csv",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ensure_kernel(name: str = KERNEL) -> str:
    """A kernelspec that runs this interpreter, installed into its prefix when missing.

    A fresh clone has no kernelspec pointing at the project's venv; a `python3` spec from
    elsewhere could start an interpreter without the workbench installed.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
        # jupyter_client runs a bare "python" as the interpreter it runs in
        bare = {"python", f"python{sys.version_info[0]}", f"python{sys.version_info[0]}.{sys.version_info[1]}"}
        if spec.argv and (spec.argv[0] in bare or
                          Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()):
            return name
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    try:
        install(kernel_name=name, display_name="Python (workbench)", prefix=sys.prefix)
    except OSError:
        install(kernel_name=name, display_name="Python (workbench)", user=True)
    return name


def notebooks_dir(config: Config) -> Path:
    """notebooks/ beside the config, else in the working directory, else in this checkout."""
    checkout = Path(__file__).resolve().parents[1] / "notebooks"
    for folder in (config.root / "notebooks", Path.cwd() / "notebooks", checkout):
        if folder.is_dir():
            return folder
    raise WorkbenchError(f"{config.root / 'notebooks'}: notebooks folder not found")


def select_notebooks(folder: Path, names: list[str] | None, option: str = "--notebooks") -> list[Path]:
    """Every notebook in `folder` (sorted), or the named ones (with or without .ipynb);
    `option` is where the names came from, for the error."""
    available = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not names:
        if not available:
            raise WorkbenchError(f"{folder}: no notebooks to run")
        return available
    chosen = []
    for name in names:
        p = Path(name)
        cand = p if p.suffix == ".ipynb" and p.is_file() else folder / (p.stem + ".ipynb")
        if not cand.is_file():
            raise WorkbenchError(f"{option}: no notebook {name!r}; available: "
                                 f"{', '.join(a.stem for a in available) or 'none'}")
        chosen.append(cand.resolve())
    # once each: two runs of one notebook would write the same page at the same time, and so
    # would two notebooks of one name (pages are named after their notebook)
    chosen = list(dict.fromkeys(chosen))
    by_name: dict[str, Path] = {}
    for nb in chosen:
        other = by_name.setdefault(nb.stem, nb)
        if other != nb:
            raise WorkbenchError(f"{option}: {other} and {nb} would both write the page "
                                 f"{nb.stem}.html; rename one")
    return chosen


def setting_name(config: Config, key: str, given) -> str:
    """How to name a [report] setting in an error: its option when given on the command line,
    else its key in the config file (a user who passed no --month looks for it there)."""
    name = key.split(".")[1]
    if given or config.file is None or not getattr(config.report, name):
        return f"--{name}"
    return f"{config.file}: {key}"


def store_path(config: Config, data: list[str] | None) -> Path:
    """The configured store; a separate one per --data set so the default store is untouched."""
    base = config.path(config.data.store)
    if not data:
        return base
    import hashlib

    # a set: the order given and a path given twice (--data a --data a) name the same data
    key = hashlib.sha256("\n".join(sorted(set(data))).encode()).hexdigest()[:10]
    return base.with_name(f"{base.stem}-{key}{base.suffix}")


DATA_STORE_DAYS = 30  # a --data store unused this long is deleted (it is rebuilt when needed)


def retire_data_stores(config: Config, used: Path, days: int = DATA_STORE_DAYS) -> list[Path]:
    """Mark `used` as used now and delete the other --data stores unused for `days`.

    Each --data set gets its own store (see store_path); they are caches of the exports,
    rebuilt from them on demand, so old ones would otherwise pile up in the data folder.
    The configured store is never touched. Returns the stores deleted.
    """
    import re

    base = config.path(config.data.store)
    if used.is_file():
        os.utime(used)
    pattern = re.compile(re.escape(base.stem) + r"-[0-9a-f]{10}" + re.escape(base.suffix))
    cutoff = time.time() - days * 86400
    gone = []
    for p in base.parent.glob(f"{base.stem}-*{base.suffix}"):
        if p != used and pattern.fullmatch(p.name) and p.stat().st_mtime < cutoff:
            for f in (p, Path(f"{p}.wal"), Path(f"{p}.lock")):
                f.unlink(missing_ok=True)
            gone.append(p)
    return gone


def _sha256(path: Path) -> str:
    from workbench.store import sha256_file

    return sha256_file(path)


def gather(config: Config, data: list[str] | None, store: Path, month: str | None,
           on_load=None, on_wait=None) -> dict:
    """Ingest (once) and read what the index and manifest need from the store; `on_load()`
    is called when the data is loaded now, `on_wait()` when another process is loading
    it first (see open_store)."""
    from workbench import coverage, overview
    from workbench.store import open_store
    from workbench.tables import exact_sum

    # Read-only: reports of the same data run side by side (a load, when the store lacks
    # the data, builds a new file under the store's lock and renames it into place).
    with open_store(data=data, store=store, config=config, read_only=True,
                    on_load=on_load, on_wait=on_wait) as s:
        months = s.months()
        if not months:
            raise WorkbenchError(f"{store}: the store holds no charges")
        if month is not None and not month.strip():  # `--month ''`: a mistake, not "default"
            raise WorkbenchError("--month: '' is not a month like 2026-05")
        spans = s.provider_coverage()
        option = setting_name(config, "report.month", month)
        month = (month or config.report.month or coverage.last_complete_month(months, spans)
                 or months[-1])
        try:
            overview.check_month(month)
        except WorkbenchError as exc:
            raise WorkbenchError(f"--{exc}") from None
        if month not in months:
            raise WorkbenchError(f"{option}: no billing data for {month}; the data covers "
                                 f"{months[0]} to {months[-1]}")
        periods = s.totals(exact=True)
        files = s.files()
        warnings = s.load_warnings()
        covered = coverage.month_coverage(month, s.coverage(), spans, months)
        # Decimal amounts: the pack's headline is exact to the cent at any size (a float
        # holds the cent up to 1e13, which an IDR or VND bill can pass). Per provider: one
        # with no data in a month compared has no change against it (not growth).
        monthly = s.monthly(dims=("provider",), start=f"{overview.shift_month(month, -12)}-01",
                            end=overview.month_range(month)[1], exact=True)
        by_provider = s.provider_months()
        end = (s.coverage() or (None, None))[1]
        short = overview.short_of(s.delivery_ends(), month, end)  # no fall of days not delivered
    head = overview.headline(monthly, month, providers=by_provider, short=short, end=end)
    # What the month's invoices say: BilledCost of the billing period that starts in the month
    # (it includes corrections of earlier usage), beside the cost of the month's charges. A
    # provider billing in a zone east of UTC starts it on the last day of the month before,
    # in UTC (months.billing_month).
    period = periods[[billing_month(start) == month for start in periods["billing_period_start"]]]
    billed = period.groupby("currency")["billed_cost"].agg(exact_sum)
    head["billed_cost"] = [billed[c] if c in billed else float("nan") for c in head["currency"]]
    files = files[files["duplicate_of"].isna()] if "duplicate_of" in files else files
    inputs = [{"kind": "focus", "path": str(r["path"]), "sha256": str(r["sha256"]),
               "size": int(r["size"]), "rows": int(r["rows"]),
               "focus_version": None if r["focus_version"] is None else str(r["focus_version"])}
              for r in files.drop_duplicates("sha256", keep="last").to_dict("records")]
    business, missing = business_inputs(config, data)
    inputs += business
    return {"month": month, "months": months, "headline": head, "inputs": inputs, "missing": missing,
            "load_warnings": warnings, "coverage": covered}


def business_inputs(config: Config, data: list[str] | None) -> tuple[list[dict], list[dict]]:
    """(inputs, missing) among the business files beside the bill.

    The shipped defaults are the sample company's files: they go with the sample's bill
    only. Beside any other FOCUS data an unchanged default is left out and listed as
    missing, so that no figure pairs one company's bill with another's business files.
    """
    shipped = DataConfig()
    focus = [Path(d).resolve() for d in data] if data else [
        config.path(p).resolve() for p in config.data.focus]
    sample = focus == [config.path(p).resolve() for p in shipped.focus]
    inputs, missing = [], []
    for kind, needs in BUSINESS_FILES.items():
        value = getattr(config.data, kind)
        if value is None:
            missing.append({"kind": kind, "path": None, "reason": f"not configured: {needs}"})
            continue
        if value == getattr(shipped, kind) and not sample:
            missing.append({"kind": kind, "path": None, "reason": (
                f"not configured for this data (the default is the sample's): set [data] "
                f"{kind} in workbench.toml: {needs}")})
            continue
        p = config.path(value)
        if p.is_file():
            inputs.append({"kind": kind, "path": str(p), "sha256": _sha256(p), "size": p.stat().st_size})
        else:
            missing.append({"kind": kind, "path": str(p), "reason": f"file not found: {needs}"})
    return inputs, missing


# -- one notebook (runs in a worker process) ---------------------------------------------

def execute_one(job: dict) -> dict:
    """Execute one notebook with Papermill, write its page (and PDF). Never raises."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from workbench import render

    src, out = Path(job["path"]), Path(job["out"])
    stem = src.stem
    executed = out / "executed" / src.name
    result = {"name": stem, "notebook": str(src), "title": stem, "status": "ok", "error": None,
              "html": None, "pdf": None, "pdf_error": None, "started": _now()}
    for stale in (out / f"{stem}.html", out / f"{stem}.pdf"):  # a failure must not leave an old page
        stale.unlink(missing_ok=True)
    t0 = time.perf_counter()
    sockets = tempfile.TemporaryDirectory(prefix="wb-kernel-")
    log = out / "executed" / f"{stem}.log"
    try:
        with _stderr_to(log):  # the kernel's own log lines, not the pack's progress
            nb = pm.execute_notebook(
                str(src), str(executed), parameters=job["parameters"], kernel_name=job["kernel"],
                cwd=str(src.parent), progress_bar=False, log_output=False,
                execution_timeout=CELL_TIMEOUT, language="python", report_mode=False,
                config=_kernel_config(sockets.name))
        result["title"] = render.title_of(nb, stem)
        page = render.notebook_html(nb, result["title"],
                                    header=render.header_html(result["title"], job["month"]),
                                    folder=src.parent)
        (out / f"{stem}.html").write_text(page, encoding="utf-8")
        result["html"] = f"{stem}.html"
    except PapermillExecutionError as exc:
        result.update(status="failed", error=_one_line(f"{exc.ename}: {exc.evalue}"),
                      cell=exc.exec_count)
    except WorkbenchError as exc:
        result.update(status="failed", error=_one_line(exc.line()))
    except Exception as exc:  # a kernel that died, a bad notebook file: still one line
        result.update(status="failed", error=_one_line(f"{type(exc).__name__}: {exc}"))
    finally:
        sockets.cleanup()
    if log.is_file() and log.stat().st_size:
        result["kernel_log"] = str(log.relative_to(out))
    else:
        log.unlink(missing_ok=True)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    if result["html"] and job.get("chromium"):
        t1 = time.perf_counter()
        try:
            render.print_pdf(out / result["html"], out / f"{stem}.pdf", job["chromium"])
            result["pdf"] = f"{stem}.pdf"
        except WorkbenchError as exc:
            result["pdf_error"] = exc.line()
        result["pdf_seconds"] = round(time.perf_counter() - t1, 2)
    return result


@contextmanager
def _stderr_to(path: Path):
    """Send this process's stderr (so a kernel's, which inherits it) to a file meanwhile.

    jupyter_client interrupts a kernel before shutting it down, which sometimes makes the
    kernel log "KeyboardInterrupt caught in kernel" at ERROR level: noise in the pack's
    progress, kept in the log beside the executed notebook instead.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "wb") as fh:
            os.dup2(fh.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _kernel_config(folder: str):
    """Kernels talk to us over Unix sockets in a private folder, not over localhost TCP."""
    from traitlets.config import Config as TraitletsConfig

    if os.name != "posix":
        return TraitletsConfig()
    return TraitletsConfig({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "k")}})


def _one_line(text: str) -> str:
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))  # ANSI colours from the kernel
    first = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return first[:500]


def run_all(jobs: list[dict], workers: int) -> list[dict]:
    """Run jobs in parallel worker processes, printing progress as they finish."""
    results: list[dict] = []
    total = len(jobs)
    print(f"running {total} notebook{'s' * (total != 1)} on {workers} worker{'s' * (workers != 1)}: "
          + ", ".join(Path(j["path"]).stem for j in jobs), file=sys.stderr, flush=True)
    if workers <= 1:
        for i, job in enumerate(jobs, 1):
            print(f"[{i}/{total}] {Path(job['path']).stem} ...", file=sys.stderr, flush=True)
            results.append(_progress(execute_one(job), len(results) + 1, total))
        return results
    # spawn, not fork: the parent holds DuckDB and ZeroMQ state that must not be copied
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(execute_one, job): job for job in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # the worker process itself died
                res = {"name": Path(job["path"]).stem, "notebook": job["path"],
                       "title": Path(job["path"]).stem, "status": "failed", "html": None,
                       "pdf": None, "pdf_error": None, "seconds": None,
                       "error": _one_line(f"{type(exc).__name__}: {exc}")}
            results.append(_progress(res, len(results) + 1, total))
    order = {Path(j["path"]).stem: i for i, j in enumerate(jobs)}
    return sorted(results, key=lambda r: order[r["name"]])


def _progress(res: dict, done: int, total: int) -> dict:
    what = "ok" if res["status"] == "ok" else f"FAILED: {res['error']}"
    pdf = f", pdf {res['pdf_seconds']} s" if res.get("pdf_seconds") is not None else ""
    print(f"[{done}/{total}] {res['name']}: {what} ({res['seconds']} s{pdf})",
          file=sys.stderr, flush=True)
    return res


# -- the pack -----------------------------------------------------------------------------

def make_folder(path: Path, option: str) -> None:
    """Create `path` (and its parents), or say in one line why it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise WorkbenchError(f"{option}: {path}: a file is in the way of this folder") from None
    except OSError as exc:
        raise WorkbenchError(f"{option}: {path}: cannot create this folder "
                             f"({exc.strerror or exc})") from None


def run_report(args) -> int:
    """`workbench report [--data PATH...] [--month YYYY-MM] [--out DIR] [--notebooks NAME...] [--no-pdf]`."""
    from workbench.app import kernels_config

    config = load_config(getattr(args, "config", None))
    with kernels_config(config):  # the kernels load the config this command read
        return _report(args, config)


def _report(args, config: Config) -> int:
    from workbench import render, report_index
    from workbench.delivery import warning_lines

    started, t0 = _now(), time.perf_counter()
    data = [str(Path(d).resolve()) for d in args.data] if getattr(args, "data", None) else None
    names = getattr(args, "notebooks", None)
    notebooks = select_notebooks(notebooks_dir(config), names or config.report.notebooks or None,
                                 setting_name(config, "report.notebooks", names))
    given_out = getattr(args, "out", None)
    out_option = setting_name(config, "report.out", given_out)
    chosen_out = Path(given_out) if given_out else (
        config.path(config.report.out) if config.report.out else None)
    made = []  # the folders made for the pack now: gone again if the load fails
    if chosen_out:  # before a load that may take minutes
        made = [d for d in (chosen_out.absolute(), *chosen_out.absolute().parents) if not d.exists()]
        make_folder(chosen_out, out_option)
        check_pack_folder(chosen_out, out_option)
    store = store_path(config, data)
    if data:
        retire_data_stores(config, store)
    # What happens to the data before the pack: loaded now, or a store that holds it used.
    where = "; ".join(data) if data else "the [data] focus paths of the config"
    loaded = []

    def say_loading() -> None:
        loaded.append(True)
        print(f"loading {where} into {store}", file=sys.stderr, flush=True)

    def say_waiting() -> None:
        print(f"waiting for another process loading into {store} ...", file=sys.stderr, flush=True)

    try:
        facts = gather(config, data, store, getattr(args, "month", None), on_load=say_loading,
                       on_wait=say_waiting)
    except BaseException:
        remove_empty(made)
        raise
    if not loaded:
        print(f"using the store {store}, already loaded from {where}", file=sys.stderr, flush=True)
    for line in warning_lines(facts["load_warnings"]):  # the index lists them too
        print(line, file=sys.stderr, flush=True)
    month = facts["month"]
    for line in report_index.coverage_notes(facts["coverage"], month):  # the index says them first
        print(f"note: {line}", file=sys.stderr, flush=True)
    out = (chosen_out or config.path("reports") / month).resolve()
    make_folder(out / "executed", out_option)
    check_pack_folder(out, out_option)
    clear_previous_pack(out)

    pdf_wanted = config.report.pdf and not getattr(args, "no_pdf", False)
    chromium = render.find_chromium() if pdf_wanted else None
    pdf_warning = None
    if pdf_wanted and not chromium:
        pdf_warning = render.no_chromium_warning()
        print(f"warning: {pdf_warning}", file=sys.stderr, flush=True)

    parameters = {"month": month, "data": data or [], "store": str(store), "mode": "report"}
    os.environ["WORKBENCH_MODE"] = "report"  # kernels: offline SVG charts (see charts.py)
    kernel = ensure_kernel()
    jobs = [{"path": str(nb), "out": str(out), "parameters": parameters, "kernel": kernel,
             "month": month, "chromium": chromium} for nb in notebooks]
    workers = max(1, min(len(jobs), os.cpu_count() or 1, 2))
    results = run_all(jobs, workers)

    finished = _now()
    manifest = {
        "workbench_version": __version__,
        "command": "workbench report",
        "month": month,
        "parameters": parameters,
        "config": ({"path": str(Path(config.file).resolve()), "sha256": _sha256(Path(config.file))}
                   if config.file else None),
        "inputs": facts["inputs"],
        "missing_inputs": facts["missing"],
        "load_warnings": facts["load_warnings"],
        "months_in_data": facts["months"],
        "coverage": facts["coverage"],
        "started": started,
        "finished": finished,
        "seconds": round(time.perf_counter() - t0, 2),
        "pdf": {"enabled": bool(pdf_wanted), "chromium": chromium, "warning": pdf_warning},
        "headline": report_index.headline_records(facts["headline"]),
        "notebooks": results,
    }
    pages = [out / r["pdf"] for r in results if r.get("pdf")]
    pack = out / f"pack-{month}.pdf"
    pack.unlink(missing_ok=True)  # never leave an older pack beside this index
    # The cover and the inputs do not mention the pack, so it is made before the index.
    manifest["pack_pdf"] = _pack_pdf(
        {part: report_index.index_html(manifest, facts["headline"], part)
         for part in ("cover", "inputs")}, pages, pack, chromium) if pages else None
    (out / "index.html").write_text(report_index.index_html(manifest, facts["headline"]),
                                    encoding="utf-8")
    (out / "manifest.json").write_text(json_exact.dumps(manifest, indent=2, default=str),
                                       encoding="utf-8")
    for r in results:  # PDFs were asked for: one that could not be printed is said
        if r.get("pdf_error"):
            print(f"warning: {r['name']}: no PDF: {r['pdf_error']}", file=sys.stderr, flush=True)
    failed = [r for r in results if r["status"] != "ok"]
    for r in failed:
        print(f"error: {r['name']}: {r['error']}", file=sys.stderr)
    print(out / "index.html")
    return 1 if failed else 0


PACK_COMMAND = '"command": "workbench report"'  # the manifest's second key, as written


def remove_empty(folders: list[Path]) -> None:
    """Remove each folder while it is empty, innermost first."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (another process wrote into it), or gone
            pass


def check_pack_folder(out: Path, option: str) -> None:
    """Refuse a folder whose manifest.json no report wrote (a provider's export manifest,
    say): the pack writes its own under that name. One that is not JSON is a pack's cut
    short only when it is empty or begins as a pack's does: a provider's saved with a byte
    order mark, or in another encoding, is not JSON to Python either."""
    try:
        text = (out / "manifest.json").read_bytes().decode("utf-8", "replace")
    except OSError:
        # A pack writes its index.html with its manifest, last: one without it is a
        # folder's own (a web page's, the working folder's), not a run's cut short.
        if (out / "index.html").exists():
            raise WorkbenchError(f"{option}: {out}: its index.html was not written by a "
                                 "report, and the pack would replace it; choose another "
                                 "folder") from None
        return
    try:
        old = json.loads(text)
        ours = isinstance(old, dict) and old.get("command") == "workbench report"
    except ValueError:
        ours = not text.strip() or PACK_COMMAND in text
    if not ours:
        raise WorkbenchError(f"{option}: {out}: its manifest.json was not written by a report, "
                             "and the pack would replace it; choose another folder")


def clear_previous_pack(out: Path) -> None:
    """Remove what an earlier run wrote into `out`, as its manifest lists it: an index left
    beside pages a run interrupted half replaced, or pages and packs this run does not make,
    would read as this run's. Files the manifest does not name are left alone."""
    try:
        old = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    old = old if isinstance(old, dict) else {}
    names = ["index.html", "manifest.json"]
    pack = old.get("pack_pdf")
    if isinstance(pack, dict) and isinstance(pack.get("path"), str):
        names.append(pack["path"])
    for page in old.get("notebooks") or []:
        if isinstance(page, dict):
            names += [page[k] for k in ("html", "pdf", "kernel_log") if isinstance(page.get(k), str)]
            if isinstance(page.get("name"), str):
                names.append(f"executed/{page['name']}.ipynb")
    root = out.resolve()
    for name in names:
        target = (root / name).resolve()
        if root in target.parents:  # never a path the manifest leads out of the folder
            target.unlink(missing_ok=True)


def _pack_pdf(html: dict[str, str], pages: list[Path], pack: Path, chromium: str) -> dict:
    """The whole pack as one PDF to attach to an email: the index without its list of
    inputs, every page, then the inputs (a long list of files is an appendix, not a cover)."""
    from workbench import render

    # The cover is printed as index.html: in the pack, the pages' links to the index (and
    # the cover's to the pages) jump to it (render.merge_pdfs goes by the parts' names).
    files = {"cover": "index", "inputs": "inputs"}
    with tempfile.TemporaryDirectory(prefix="wb-pack-") as tmp:
        printed = {part: Path(tmp) / f"{files[part]}.pdf" for part in html}
        for part, text in html.items():
            printed[part].with_suffix(".html").write_text(text, encoding="utf-8")
        try:
            with ThreadPoolExecutor(max_workers=len(html)) as pool:  # one Chromium each
                for done in [pool.submit(render.print_pdf, pdf.with_suffix(".html"), pdf, chromium)
                             for pdf in printed.values()]:
                    done.result()
            count = render.merge_pdfs([printed["cover"], *pages, printed["inputs"]], pack)
        except WorkbenchError as exc:
            print(f"warning: {exc.line()}", file=sys.stderr, flush=True)
            return {"path": None, "pages": None, "error": exc.line()}
    return {"path": pack.name, "pages": count, "error": None}
