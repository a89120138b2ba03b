"""`workbench report`: the pack on the bundled sample and on a third-party export, opened
in headless Chromium with every request that is not a local file blocked."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from browser import (
    A4_PRINT_WIDTH,
    ACCESSIBILITY_PROBLEMS,
    ERROR_TEXT,
    PRINT_OVERFLOW,
    browser,
    chart_marks,
    guarded_page,
    needs_chromium,
)
from focus_export import write_export
from pypdf import PdfReader

from workbench import overview, render, report, report_index, tables
from workbench.errors import WorkbenchError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "focus"


def workbench(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def open_offline(pack: Path) -> dict:
    """Open index.html and every page it links; return what the browser saw."""
    seen = {}
    with browser() as b:
        page, blocked = guarded_page(b, ("file://",))
        page.goto((pack / "index.html").as_uri())
        links = page.locator("a[href$='.html']").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        seen["index.html"] = {"text": page.inner_text("body"), "marks": chart_marks(page),
                              "accessibility": page.evaluate(ACCESSIBILITY_PROBLEMS)}
        for href in links:
            page.goto((pack / href).as_uri())
            seen[href] = {"text": page.inner_text("body"), "marks": chart_marks(page),
                          "code": page.locator(".jp-CodeCell .jp-InputArea, .jp-InputPrompt").count(),
                          "scripts": page.locator("script").count(),
                          # a chart left to JavaScript (the default Altair HTML) renders nothing here
                          "unrendered": page.locator("[id^='altair-viz'], .vega-embed").count(),
                          "accessibility": page.evaluate(ACCESSIBILITY_PROBLEMS)}
        # As printed on A4 (the width between the margins): nothing cut off, nothing scrolls.
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_PRINT_WIDTH, "height": 1000})
        for href in links:
            page.goto((pack / href).as_uri())
            seen[href]["print_overflow"] = page.evaluate(PRINT_OVERFLOW)
        seen["blocked"] = list(blocked)
    return seen


# -- unit tests -----------------------------------------------------------------------------

def test_remote_references_found_and_scripts_stripped():
    page = ('<link href="https://cdn.example/x.css"><script src="//cdn.example/r.js"></script>'
            '<img src="http://x/y.png"><style>@import "https://f/font.css"; a{b:url(https://f/a.woff)}</style>'
            '<a href="https://example.com/read-more">read</a><svg xmlns="http://www.w3.org/2000/svg"></svg>')
    found = render.remote_references(page)
    assert found == ["https://cdn.example/x.css", "//cdn.example/r.js", "http://x/y.png",
                     "https://f/font.css", "https://f/a.woff"]
    stripped = render.strip_scripts(page)
    assert "<script" not in stripped and "<link" not in stripped and "<img" in stripped


def test_text_that_reads_like_a_url_is_not_a_remote_reference():
    """Names from the data are escaped text: a team tagged "src=https://wiki/team" is shown,
    never fetched, and must not fail the page as one that loads from the network."""
    names = ["src=https://wiki.example.com/team", "see url(https://x.example/a)", "data=//cdn",
             '<img src="https://evil.example/x.png">']
    page = str(tables.table(pd.DataFrame({"team": names})))
    assert render.remote_references(page) == []
    markup = ('<img srcset="a.png 1x, https://x/b.png 2x"><svg><image xlink:href="//x/c.png"/></svg>'
              '<div style="background: url(https://x/d.png)">url(https://x/e.png)</div>')
    assert render.remote_references(markup) == ["https://x/b.png", "//x/c.png", "https://x/d.png"]


def test_notebook_html_has_no_code_no_script_no_remote_reference():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title of the page\n\ntext $1.2M and $3.4k"),
        nbformat.v4.new_code_cell("secret_code = 1", outputs=[
            nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg class='marks'><g/></svg>",
                                                         "text/plain": "chart"}),
            nbformat.v4.new_output("stream", name="stderr", text="a warning for the analyst"),
        ])])
    out = render.notebook_html(nb, render.title_of(nb, "x"), header=render.header_html("T", "2026-05"))
    assert "secret_code" not in out and "<script" not in out.lower()
    assert "a warning for the analyst" not in out
    assert "<svg class='marks'>" in out or '<svg class="marks">' in out
    assert render.remote_references(out) == []
    assert "<title>Title of the page</title>" in out



def test_inline_html_in_markdown_keeps_its_text_and_images_are_embedded(tmp_path, monkeypatch):
    """Markdown's inline HTML wraps its text (a link, an abbreviation) and a block of HTML
    holds markdown (details), while every image beside the notebook, markdown or HTML, is
    embedded."""
    from bs4 import BeautifulSoup

    monkeypatch.chdir(tmp_path)  # the images are beside the notebook, not here
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "file.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    text = ('# Title\n\nSee <a href="#costs">the costs</a> below, in <abbr title="FinOps Open Cost '
            'and Usage Specification">FOCUS</abbr> terms: <strong>effective</strong> '
            '<span class="x">cost</span>.\n\n![a chart](file.png) <img src="file.png" alt="a logo">'
            '\n\n<details>\n<summary>More</summary>\n\nSome **markdown** inside\n\n</details>'
            '\n\n<script>alert(1)</script>')
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
    soup = BeautifulSoup(render.notebook_html(nb, "Title", folder=tmp_path / "notebooks"), "html.parser")
    cell = soup.select_one(".jp-RenderedMarkdown")
    assert cell.select_one('a[href="#costs"]').get_text() == "the costs"
    assert cell.select_one("abbr").get_text() == "FOCUS"
    assert [cell.select_one(t).get_text() for t in ("strong", "span.x")] == ["effective", "cost"]
    assert cell.select_one("details p").get_text() == "Some markdown inside"
    assert [(i["alt"], i["src"]) for i in cell.select("img")] == [
        ("a chart", "data:image/png;base64,iVBORw0KGgo="), ("a logo", "data:image/png;base64,iVBORw0KGgo=")]
    assert soup.find("script") is None and "alert(1)" not in str(soup)
    remote = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        'A <a href="#x">logo</a>: <img src="https://cdn.example/logo.png" alt="logo">')])
    with pytest.raises(WorkbenchError, match="cdn.example/logo.png from the network"):
        render.notebook_html(remote, "Title")

def test_chromium_is_found_or_reported_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert render.find_chromium() is None
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(fake))
    assert render.find_chromium() == str(fake)
    with pytest.raises(WorkbenchError, match="Chromium could not print the page"):
        render.print_pdf(tmp_path / "page.html", tmp_path / "page.pdf", str(fake))


def test_the_samples_business_files_go_with_the_samples_bill_only(tmp_path):
    from workbench.config import parse_config
    sample = tmp_path / "data" / "sample"
    (sample / "focus").mkdir(parents=True)
    for kind in report.BUSINESS_FILES:
        (sample / f"{kind}.csv").write_text("x\n")
    (tmp_path / "ours.csv").write_text("y\n")
    default = parse_config("", root=tmp_path)
    used, missing = report.business_inputs(default, None)
    assert {i["kind"] for i in used} == set(report.BUSINESS_FILES) and not missing
    used, _ = report.business_inputs(default, [str(sample / "focus")])  # named, still the sample
    assert len(used) == len(report.BUSINESS_FILES)
    # another company's export: the sample's drivers would make its unit costs nonsense
    used, missing = report.business_inputs(default, [str(tmp_path / "exports")])
    assert used == [] and all("the default is the sample's" in m["reason"] for m in missing)
    own = parse_config('[data]\nfocus = ["exports"]\ndrivers = "ours.csv"\nbudgets = '
                       '"data/sample/budgets.csv"\norg = "missing.csv"\n', root=tmp_path)
    used, missing = report.business_inputs(own, None)
    assert [i["path"] for i in used] == [str(tmp_path / "ours.csv")]
    reasons = {m["kind"]: m["reason"] for m in missing}
    assert reasons["org"].startswith("file not found") and "sample" in reasons["budgets"]


def test_select_notebooks(tmp_path):
    for name in ("10_b.ipynb", "00_a.ipynb"):
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / name)
    assert [p.name for p in report.select_notebooks(tmp_path, None)] == ["00_a.ipynb", "10_b.ipynb"]
    assert [p.name for p in report.select_notebooks(tmp_path, ["10_b"])] == ["10_b.ipynb"]
    # named twice (`--notebooks 10_b --notebooks 10_b.ipynb`): run once
    assert [p.name for p in report.select_notebooks(tmp_path, ["10_b", "00_a", "10_b.ipynb"])] == [
        "10_b.ipynb", "00_a.ipynb"]
    with pytest.raises(WorkbenchError, match="available: 00_a, 10_b"):
        report.select_notebooks(tmp_path, ["nope"])
    # another notebook of the same name, named by its path: its page would be written over
    (tmp_path / "copy").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "copy" / "10_b.ipynb")
    with pytest.raises(WorkbenchError) as exc:
        report.select_notebooks(tmp_path, ["10_b", str(tmp_path / "copy" / "10_b.ipynb")])
    assert exc.value.line() == (f"--notebooks: {tmp_path / '10_b.ipynb'} and "
                                f"{tmp_path / 'copy' / '10_b.ipynb'} would both write the page "
                                "10_b.html; rename one")


def test_a_data_set_given_on_the_command_line_gets_its_own_store(tmp_path):
    from workbench.config import Config

    cfg = Config(root=tmp_path)
    default = report.store_path(cfg, None)
    mine = report.store_path(cfg, ["/x/a.csv"])
    assert mine != default and mine.parent == default.parent
    assert report.store_path(cfg, ["/x/a.csv"]) == mine != report.store_path(cfg, ["/x/b.csv"])
    # `--data a.csv --data a.csv` (repeated options add up) is the same set: the same store,
    # not a second load of the same files
    assert report.store_path(cfg, ["/x/a.csv", "/x/a.csv"]) == mine
    assert report.store_path(cfg, ["/x/b.csv", "/x/a.csv", "/x/b.csv"]) == report.store_path(
        cfg, ["/x/a.csv", "/x/b.csv"])


def test_data_stores_unused_for_a_month_are_deleted(tmp_path):
    import os
    import time

    from workbench.config import Config

    cfg = Config(root=tmp_path)
    default = report.store_path(cfg, None)
    default.parent.mkdir(parents=True)
    used, old, recent = (report.store_path(cfg, [f"/x/{n}.csv"]) for n in "abc")
    other = default.with_name(f"{default.stem}-mine{default.suffix}")
    old_wal = old.with_name(old.name + ".wal")
    for p in (default, used, old, old_wal, recent, other):
        p.write_text("x")
    month_ago = time.time() - 31 * 86400
    for p in (default, used, old, old_wal, other):
        os.utime(p, (month_ago, month_ago))
    assert report.retire_data_stores(cfg, used) == [old]
    assert not old.exists() and not old_wal.exists()
    assert default.exists() and recent.exists() and other.exists()  # not --data caches, or in use
    assert used.stat().st_mtime > month_ago + 86400  # marked as used now


def test_index_lists_failures_with_their_error():
    head = pd.DataFrame([{"currency": "USD", "month": "2026-05", "cost": 1500.0, "previous_month": "2026-04",
                          "previous": float("nan"), "previous_change": float("nan"),
                          "previous_change_pct": float("nan"), "last_year_month": "2025-05",
                          "last_year": 1000.0, "last_year_change": 500.0, "last_year_change_pct": 0.5,
                          "billed_cost": 1400.0}])
    manifest = {"month": "2026-05", "workbench_version": "0", "finished": "now",
                "pdf": {"warning": "Chromium not found: PDFs skipped"},
                "inputs": [{"kind": "focus", "path": "a.csv", "sha256": "ab" * 32}],
                "missing_inputs": [{"kind": "drivers", "path": None, "reason": "not configured: unit costs need drivers.csv"}],
                "load_warnings": [f"run-{i}/a.csv: an older copy of <X>" for i in range(22)],
                "notebooks": [{"name": "a", "title": "A", "status": "ok", "html": "a.html", "pdf": None,
                               "pdf_error": None, "seconds": 1.0},
                              {"name": "b", "title": "B", "status": "failed", "html": None, "pdf": None,
                               "error": "WorkbenchError: no <budgets>", "seconds": 2.0}]}
    out = report_index.index_html(manifest, head)
    assert "$1.5k" in out and "$1,500.00" in out and "+$500 (+50.0%) vs 2025-05" in out
    assert "no data for the previous month" in out and "Billed in the 2026-05 billing period: $1,400.00" in out
    assert "failed: WorkbenchError: no &lt;budgets&gt;" in out and "1 of 2 pages failed" in out
    assert "Chromium not found" in out and "unit costs need drivers.csv" in out
    assert render.remote_references(out) == [] and "<script" not in out
    assert report_index.headline_records(head)[0]["previous"] is None  # unknown, not zero
    assert "Loading the data gave 22 warnings" in out and "run-19/a.csv: an older copy of &lt;X&gt;" in out
    assert "run-20/a.csv" not in out and "... and 2 more" in out
    # a currency with nothing spent the month before: no percentage, but why
    eur = head.assign(currency="EUR", previous=0.0, previous_change=1500.0)
    out = report_index.index_html(manifest, eur)
    assert "+€1.5k vs 2026-04 (no EUR spend then)" in out and "(n/a)" not in out
    # a currency with no charge in the month (its export missing): no data, no change
    gap = head.assign(currency="EUR", cost=float("nan"), previous=300.0,
                      previous_change=float("nan"), last_year_change=float("nan"),
                      last_year_change_pct=float("nan"))
    out = report_index.index_html(manifest, gap)
    assert "no EUR data for 2026-05" in out and "€300.00 in 2026-04" in out
    assert "credits then" not in out and "€1,000.00 in 2025-05" in out
    credits = head.assign(previous=-1500.0, previous_change=3000.0, previous_change_pct=float("nan"))
    out = report_index.index_html(manifest, credits)
    assert "+$3.0k vs 2026-04 (net USD credits then)" in out
    # a pack made without PDFs has no PDF column, and says so
    assert '<th scope="col">PDF</th>' in out
    out = report_index.index_html({**manifest, "pdf": {"enabled": False, "warning": None}}, head)
    assert ">PDF</th>" not in out and "No PDFs: this pack was made without them" in out


def test_pdfs_that_cannot_be_joined_give_one_line(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(WorkbenchError) as exc:
        render.merge_pdfs([tmp_path / "a.pdf"], tmp_path / "pack.pdf")
    assert "could not join the PDFs" in exc.value.line() and "\n" not in exc.value.line()
    assert list(tmp_path.iterdir()) == [tmp_path / "a.pdf"]  # nothing half-written left


def structure(reader: PdfReader) -> list[tuple[str, str]]:
    """The tagged PDF's structure elements in reading order, as (type, alternative text)."""
    found = []

    def walk(node) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for kid in node:
                walk(kid)
        elif isinstance(node, dict) and node.get("/Type") not in ("/MCR", "/OBJR"):
            if "/S" in node:
                found.append((str(node["/S"]), str(node.get("/Alt", ""))))
            if "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])
    return found


def page_structure_keys(reader: PdfReader) -> tuple[list[int], list[int]]:
    """(every page's and link's structure key, the keys the parent tree holds)."""
    used = [pg["/StructParents"] for pg in reader.pages if "/StructParents" in pg]
    used += [a.get_object()["/StructParent"] for pg in reader.pages
             for a in pg.get("/Annots", []) if "/StructParent" in a.get_object()]
    held = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"][::2]
    return sorted(used), sorted(held)


@pytest.mark.browser
@needs_chromium
def test_the_pack_pdf_keeps_the_tags_of_its_parts(tmp_path):
    """pypdf's append dropped the structure Chromium prints (headings, tables, figures with
    their alternative text), the language and the title: the pack a reader gets by email
    was untagged while each page's PDF was tagged."""
    parts = []
    for name, body in (("cover", '<h1>Monthly report 2026-05</h1><p><a href="a.html">a</a></p>'),
                       ("page", '<h1>Spend overview</h1><svg role="img" aria-label="Which teams '
                                'spent it? USD: search: $300.00" width="50" height="20"><rect width="50" '
                                'height="20" fill="#1f4e79"/></svg>'
                                '<h2>Inputs</h2><p><a href="b.html">b</a></p>')):
        (tmp_path / f"{name}.html").write_text(f'<!DOCTYPE html><html lang="en"><head><title>'
                                               f'{name.title()}</title></head><body>{body}</body></html>')
        render.print_pdf(tmp_path / f"{name}.html", tmp_path / f"{name}.pdf", "/usr/bin/chromium")
        parts.append(tmp_path / f"{name}.pdf")
    render.merge_pdfs(parts, tmp_path / "pack.pdf")
    pack = PdfReader(tmp_path / "pack.pdf")
    root = pack.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] and root["/Lang"] == "en"
    assert pack.metadata["/Title"] == "Cover" and root["/ViewerPreferences"]["/DisplayDocTitle"]
    tags = structure(pack)
    assert [t for t, _ in tags if t in ("/Document", "/Part", "/H1", "/H2")] == [
        "/Document", "/Part", "/H1", "/Part", "/H1", "/H2"]
    assert ("/Figure", "Which teams spent it? USD: search: $300.00") in tags
    used, held = page_structure_keys(pack)
    assert len(used) == len(set(used)) == 4 and set(used) <= set(held)


def test_a_printed_link_keeps_no_path_of_the_machine_that_printed_it(tmp_path):
    folder = tmp_path / "pack"
    assert render.local_href((folder / "index.html").as_uri(), folder) == "index.html"
    assert render.local_href((folder / "a b.html").as_uri() + "#top", folder) == "a%20b.html#top"
    assert render.local_href((folder / "executed" / "x.log").as_uri(), folder) == "executed/x.log"
    assert render.local_href((tmp_path / "secret.html").as_uri(), folder) is None
    assert render.local_href(folder.as_uri(), folder) is None
    assert render.local_href("https://example.com/a?b=1", folder) == "https://example.com/a?b=1"
    parts = {"index.html": render.Part(0), "a b.html": render.Part(3, {"top": (4, 6, 700)})}
    assert render.link_target("a%20b.html#top", parts) == (4, 6, 700)
    assert render.link_target("a%20b.html", parts) == (3, 0, None)
    assert render.link_target("a%20b.html#elsewhere", parts) == (3, 0, None)  # not named: its start
    assert render.link_target("manifest.json", parts) is None
    assert render.link_target("https://example.com/index.html", parts) is None


def test_a_section_whose_id_is_not_ascii_is_found_in_the_pack(tmp_path):
    """Chromium names a section `coût` in a page's PDF as the URL does, `co%C3%BBt`; a link
    of another page to `b.html#coût` or `b.html#co%C3%BBt` jumps to it, not to b's start."""
    from pypdf import PdfWriter
    from pypdf.annotations import Link

    b = PdfWriter()
    for _ in range(2):
        b.add_blank_page(200, 200)
    b.add_named_destination("co%C3%BBt-d%C3%A9tails", 1)  # as Chromium writes it
    b.write(tmp_path / "b.pdf")
    a = PdfWriter()
    a.add_blank_page(200, 200)
    for n, href in enumerate(("b.html#co%C3%BBt-d%C3%A9tails", "b.html#coût-détails")):
        a.add_annotation(0, Link(rect=(10, 10 + 30 * n, 90, 30 + 30 * n), url=href))
    a.write(tmp_path / "a.pdf")
    render.merge_pdfs([tmp_path / "a.pdf", tmp_path / "b.pdf"], tmp_path / "pack.pdf")
    pack = PdfReader(tmp_path / "pack.pdf")
    assert [_goto(pack, annot)[0] for annot in pack.pages[0]["/Annots"]] == [2, 2]


def links(reader: PdfReader) -> list[tuple[int, str | int | None]]:
    """Every link as (its page, the URI it opens or the page it jumps to)."""
    found = []
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []):
            action = annot.get_object().get("/A")
            if action is None:
                found.append((number, None))
            elif action["/S"] == "/GoTo":
                found.append((number, reader.get_page_number(action["/D"][0].get_object())))
            else:
                found.append((number, str(action["/URI"])))
    return found


@pytest.mark.browser
@needs_chromium
def test_links_in_the_pdfs_are_relative_and_the_packs_jump_to_its_pages(tmp_path):
    """Chromium printed every link as a file: URI of the machine that built the pack (a
    temporary folder, for the pack's index): broken for whoever gets the PDF by email."""
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>Index</title></head><body><h1>Index</h1>'
        '<p><a href="page.html">page</a> <a href="page.pdf">PDF</a> <a href="manifest.json">'
        'manifest</a> <a href="https://example.com/a?b=1">elsewhere</a> <a href="../x.html">'
        'outside</a></p></body></html>')
    (tmp_path / "page.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>Page</title></head><body>'
        '<p><a href="index.html">Monthly report</a></p><h1>Page</h1>'
        '<p style="break-before: page">more</p></body></html>')
    for name in ("index", "page"):
        render.print_pdf(tmp_path / f"{name}.html", tmp_path / f"{name}.pdf", "/usr/bin/chromium")
    assert links(PdfReader(tmp_path / "index.pdf")) == [
        (0, "page.html"), (0, "page.pdf"), (0, "manifest.json"), (0, "https://example.com/a?b=1"),
        (0, None)]
    assert links(PdfReader(tmp_path / "page.pdf")) == [(0, "index.html")]
    render.merge_pdfs([tmp_path / "index.pdf", tmp_path / "page.pdf"], tmp_path / "pack.pdf")
    pack = PdfReader(tmp_path / "pack.pdf")
    assert len(pack.pages) == 3
    assert links(pack) == [(0, 1), (0, 1), (0, "manifest.json"), (0, "https://example.com/a?b=1"),
                           (0, None), (1, 0)]
    used, held = page_structure_keys(pack)  # the links keep their tags
    assert len(used) == len(set(used)) == 3 + 6 and set(used) <= set(held)


def _markdown_notebook(path: Path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(cells[0]),
        nbformat.v4.new_code_cell('month = ""', metadata={"tags": ["parameters"]}),
        *(nbformat.v4.new_markdown_cell(c) for c in cells[1:])])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _goto(reader: PdfReader, annot) -> tuple[int, float] | None:
    """The page a link of the pack jumps to and how far down (the top of its view); None
    for a link that jumps to no page of the pack."""
    action = annot.get_object().get("/A")
    if action is None or action["/S"] != "/GoTo":
        return None
    return reader.get_page_number(action["/D"][0].get_object()), float(action["/D"][3])


@pytest.mark.browser
@needs_chromium
def test_the_packs_links_to_a_section_jump_to_it(tmp_path):
    """A link to a section of a page (`#id` in it, `other.html#id`) went nowhere in the pack,
    or to the other page's first page: Chromium writes a name for each section the page's
    own links lead to, and the pack did not keep them."""
    (tmp_path / "notebooks").mkdir()
    _markdown_notebook(tmp_path / "notebooks" / "10_a.ipynb",
                       "# Part A\n\n[The end of A](#a-end), [details of B](20_b.html#b-details), "
                       "[a part of B no link of B leads to](20_b.html#b-unlinked).",
                       '<h2 id="a-end" style="break-before: page">Where A ends</h2>')
    _markdown_notebook(tmp_path / "notebooks" / "20_b.ipynb",
                       "# Part B\n\n[The details](#b-details).",
                       '<h2 id="b-details" style="break-before: page">Details of B</h2>',
                       '<p id="b-unlinked" style="break-before: page">Unlinked part of B</p>')
    (tmp_path / "workbench.toml").write_text('[data]\nfocus = []\nstore = "store/workbench.duckdb"\n')
    export = tmp_path / "export" / "focus.csv"
    write_export(export)
    out = tmp_path / "pack"
    proc = workbench("--config", str(tmp_path / "workbench.toml"), "report", "--data", str(export),
                     "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    pack = PdfReader(out / manifest["pack_pdf"]["path"])
    text = [page.extract_text() for page in pack.pages]

    def page_of(words: str) -> int:
        return next(i for i, t in enumerate(text) if words in t)

    def top_of(name: str, anchor: str) -> float:  # where the page's own PDF puts the section
        return float(PdfReader(out / f"{name}.pdf").named_destinations[f"/{anchor}"].top)

    a, b = page_of("The end of A"), page_of("The details.")  # the parts' first pages
    body = [_goto(pack, annot) for annot in pack.pages[a]["/Annots"]][1:]  # the header's first
    assert body == [(page_of("Where A ends"), top_of("10_a", "a-end")),
                    (page_of("Details of B"), top_of("20_b", "b-details")),
                    (b, float(pack.pages[b].mediabox.top))]  # unnamed in B's PDF: B's start
    assert [_goto(pack, annot) for annot in pack.pages[b]["/Annots"]][1:] == [
        (page_of("Details of B"), top_of("20_b", "b-details"))]
    assert page_of("Where A ends") > a and page_of("Details of B") > b
    assert not [annot for page in pack.pages for annot in page.get("/Annots", [])
                if "/Dest" in annot.get_object()]  # no name left that the pack does not hold


def test_index_says_why_there_is_no_single_pdf():
    head = pd.DataFrame(columns=["currency"])
    manifest = {"month": "2026-05", "workbench_version": "0", "finished": "now",
                "pdf": {"warning": None}, "inputs": [], "missing_inputs": [], "notebooks": [],
                "pack_pdf": {"path": None, "pages": None, "error": "pack.pdf: could not join"}}
    assert "No single PDF of the pack: pack.pdf: could not join" in report_index.index_html(manifest, head)


def test_index_links_and_tables_are_named_for_a_screen_reader():
    """Every page's PDF link read "PDF" alone, and the index's tables had no name."""
    head = pd.DataFrame(columns=["currency"])
    pages = [{"title": t, "status": "ok", "html": f"{n}.html", "pdf": f"{n}.pdf", "seconds": 1.0}
             for n, t in (("00_overview", "Spend overview"), ("10_units", "Unit costs"))]
    manifest = {"month": "2026-05", "workbench_version": "0", "finished": "now",
                "pdf": {"warning": None}, "inputs": [], "missing_inputs": [], "notebooks": pages}
    page = report_index.index_html(manifest, head)
    links = re.findall(r'<a href="([^"]+\.pdf)" aria-label="([^"]+)">PDF</a>', page)
    assert links == [("00_overview.pdf", "Spend overview (PDF)"), ("10_units.pdf", "Unit costs (PDF)")]
    for table in re.findall(r"<table\b[^>]*>.*?</table>", page, re.S):
        named = re.search(r'aria-labelledby="([^"]+)"', table).group(1)
        assert f'id="{named}"' in page
        heads = re.findall(r"<th\b[^>]*>", table)
        assert heads and all('scope="col"' in h for h in heads)


# -- the pack, end to end -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def third_party_pack(tmp_path_factory):
    """A project with no business files, the overview and a notebook that fails, run on a
    one-month export from another provider with no tags."""
    root = tmp_path_factory.mktemp("thirdparty")
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "00_overview.ipynb", root / "notebooks")
    broken = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Budgets"),
        nbformat.v4.new_code_cell('month = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import os\n"
                                  "os.write(2, b'kernel log line\\n')  # the kernel's own stderr\n"
                                  "from workbench.errors import WorkbenchError\n"
                                  "raise WorkbenchError('budgets.csv: file not found')")])
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(broken, root / "notebooks" / "50_budgets.ipynb")
    (root / "workbench.toml").write_text('[data]\nfocus = []\nstore = "store/workbench.duckdb"\n'
                                         "drivers = \"drivers.csv\"\n")
    export = root / "export" / "focus.csv"
    truth = write_export(export)
    out = root / "pack"
    proc = workbench("--config", str(root / "workbench.toml"), "report", "--data", str(export),
                     "--out", str(out), cwd=root)
    return {"root": root, "out": out, "proc": proc, "truth": truth, "export": export}


def test_a_pack_folder_is_a_report_s_to_write_again(third_party_pack):
    """Running again into the folder a report wrote is the common case: its manifest, whole
    or cut short after its command, is taken as a report's."""
    out = third_party_pack["out"]
    report.check_pack_folder(out, "--out")
    text = (out / "manifest.json").read_text(encoding="utf-8")
    assert report.PACK_COMMAND in text[:80]
    (out / "manifest.json").write_text(text[:80], encoding="utf-8")
    try:
        report.check_pack_folder(out, "--out")
    finally:
        (out / "manifest.json").write_text(text, encoding="utf-8")


@pytest.mark.browser
@needs_chromium
def test_third_party_export_completes_with_what_is_missing(third_party_pack):
    p = third_party_pack
    proc, out, truth = p["proc"], p["out"], p["truth"]
    assert proc.returncode == 1, proc.stderr  # one notebook failed
    assert proc.stdout.strip().endswith(str(out / "index.html"))
    assert "Traceback" not in proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    status = {n["name"]: n for n in manifest["notebooks"]}
    assert status["00_overview"]["status"] == "ok"
    assert status["50_budgets"]["status"] == "failed"
    assert status["50_budgets"]["error"] == "WorkbenchError: budgets.csv: file not found"
    assert "kernel log line" not in proc.stderr  # kept beside the executed notebook
    assert status["50_budgets"]["kernel_log"] == "executed/50_budgets.log"
    assert "kernel log line" in (out / "executed" / "50_budgets.log").read_text()
    assert manifest["month"] == "2025-03" and manifest["parameters"]["mode"] == "report"
    focus = [i for i in manifest["inputs"] if i["kind"] == "focus"]
    assert [(i["path"], i["sha256"]) for i in focus] == [(str(p["export"]), sha256(p["export"]))]
    assert {m["kind"] for m in manifest["missing_inputs"]} >= {"drivers", "budgets"}
    assert (out / "00_overview.pdf").read_bytes()[:5] == b"%PDF-"
    assert not (out / "50_budgets.html").exists()
    pack = manifest["pack_pdf"]  # the index, then every page that has a PDF, in one file
    page_pdf = len(PdfReader(out / "00_overview.pdf").pages)
    assert pack["path"] == "pack-2025-03.pdf" and pack["error"] is None
    reader = PdfReader(out / pack["path"])
    text = [pg.extract_text() for pg in reader.pages]
    assert page_pdf + 2 <= pack["pages"] == len(reader.pages)
    assert "Monthly report 2025-03" in text[0] and "Inputs" not in text[0]  # the cover
    first = next(i for i, t in enumerate(text) if "Spend overview" in t and i > 0)
    assert text[first:first + page_pdf] == [pg.extract_text()
                                            for pg in PdfReader(out / "00_overview.pdf").pages]
    assert "Monthly report 2025-03: inputs" in text[-1] and "focus.csv" in text[-1]  # the appendix
    assert 'href="pack-2025-03.pdf"' in (out / "index.html").read_text()
    # tagged as its pages are: every chart a figure whose alternative text is its title
    assert reader.trailer["/Root"]["/Lang"] == "en" and reader.metadata["/Title"] == "Monthly report 2025-03"
    figures = [alt for tag, alt in structure(reader) if tag == "/Figure"]
    titles = [alt for tag, alt in structure(PdfReader(out / "00_overview.pdf")) if tag == "/Figure"]
    assert len(titles) >= 9 and figures == titles and "Which teams spent it?" in " ".join(titles)

    seen = open_offline(out)
    assert seen["blocked"] == []
    index = seen["index.html"]["text"]
    expected = f"\u20ac{truth['months']['2025-03']:,.2f}"  # reconciles to the input to the cent
    assert expected in index
    assert "failed: WorkbenchError: budgets.csv: file not found" in index
    assert "unit costs (cost per request, per 1k tokens) need drivers.csv" in index
    page = seen["00_overview.html"]
    assert page["code"] == 0 and page["scripts"] == 0 and "page.show(" not in page["text"]
    assert len(page["marks"]) >= 9 and all(m > 0 for m in page["marks"])
    assert not ERROR_TEXT.search(page["text"])
    assert page["accessibility"] == [] and seen["index.html"]["accessibility"] == []
    assert ("No team tag in the billing data (keys tried: team, owner_team, squad, group)"
            in page["text"]) and "The data carries no tags at all." in page["text"]
    assert "No data for the month before 2025-03" in page["text"]
    assert expected in page["text"]


@pytest.mark.browser
@needs_chromium
def test_the_keyboard_stops_at_links_and_at_tables_that_scroll(third_party_pack):
    """nbconvert made every cell and output a Tab stop (each heading, chart and note came
    before the next link), and a table too wide for a narrow window was cut off by its
    output's box instead of scrolling in it."""
    built = third_party_pack["out"] / "00_overview.html"
    with browser() as b:
        page = b.new_page(viewport={"width": 380, "height": 900})
        page.goto(built.as_uri())
        links = page.locator("a[href]").count()
        tables = page.locator("table").evaluate_all("ts => ts.map(t => t.caption.textContent.trim())")
        assert links >= 1 and len(tables) >= 2
        stops = []
        for _ in range(links + len(tables) + 1):
            page.keyboard.press("Tab")
            stops.append(page.evaluate("""() => {
              const e = document.activeElement, s = getComputedStyle(e);
              const by = e.getAttribute('aria-labelledby');
              const name = by ? document.getElementById(by).textContent.trim() : e.textContent.trim();
              return [e.tagName, e.getAttribute('role'), name, s.outlineStyle !== 'none'];
            }"""))
        # every link and every table's box once, in page order, each named and showing focus
        assert stops[-1][0] == "BODY"
        regions = [name for tag, role, name, _ in stops if role == "region"]
        assert regions == tables
        assert [tag for tag, role, *_ in stops[:-1] if role != "region"] == ["A"] * links
        assert all(shown for *_, shown in stops[:-1])
        # the widest table scrolls in its box, from the keyboard, and the page does not
        boxes = page.locator("[role=region]")
        widths = boxes.evaluate_all("bs => bs.map(b => b.scrollWidth - b.clientWidth)")
        wide = boxes.nth(max(range(len(widths)), key=widths.__getitem__))
        assert max(widths) > 0
        wide.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("b => b.scrollLeft > 0", arg=wide.element_handle(), timeout=5_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 380


@pytest.mark.browser
@needs_chromium
def test_the_packs_links_lead_inside_it_and_no_pdf_names_a_local_path(third_party_pack):
    out = third_party_pack["out"]
    manifest = json.loads((out / "manifest.json").read_text())
    reader = PdfReader(out / manifest["pack_pdf"]["path"])
    page = PdfReader(out / "00_overview.pdf")
    for pdf in (reader, page):
        assert not [uri for _, uri in links(pdf) if isinstance(uri, str) and uri.startswith("file:")]
    assert (0, "index.html") in links(page)  # its header: the index beside it
    text = [pg.extract_text() for pg in reader.pages]
    first = next(i for i, t in enumerate(text) if "Spend overview" in t and i > 0)
    cover = [target for number, target in links(reader) if number == 0]
    assert cover == [first, first, "manifest.json"]  # the page, its PDF, then the footer's
    headers = [target for number, target in links(reader) if first <= number < len(text) - 1]
    assert headers and set(headers) == {0}  # each page's header jumps to the cover
    assert [target for number, target in links(reader) if number == len(text) - 1] == ["manifest.json"]


@pytest.fixture(scope="module")
def sample_pack(tmp_path_factory):
    if not SAMPLE.is_dir():
        pytest.skip("the bundled sample is missing (make sample)")
    out = tmp_path_factory.mktemp("sample") / "pack"
    proc = workbench("report", "--out", str(out), "--no-pdf", timeout=600)
    return {"out": out, "proc": proc}


@pytest.mark.browser
@needs_chromium
def test_sample_pack_renders_offline(sample_pack):
    out, proc = sample_pack["out"], sample_pack["proc"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert [n["name"] for n in manifest["notebooks"]] == notebooks
    assert all(n["status"] == "ok" and n["seconds"] > 0 for n in manifest["notebooks"])
    assert re.fullmatch(r"\d{4}-\d{2}", manifest["month"])
    # every input listed with its real sha256, and every sample FOCUS file is an input
    for i in manifest["inputs"]:
        assert i["sha256"] == sha256(Path(i["path"])), i["path"]
    listed = {Path(i["path"]).resolve() for i in manifest["inputs"] if i["kind"] == "focus"}
    on_disk = {p.resolve() for p in SAMPLE.rglob("*") if p.is_file()
               and p.name.endswith((".csv", ".csv.gz", ".parquet"))}
    assert listed == on_disk
    assert manifest["started"] <= manifest["finished"]

    seen = open_offline(out)
    assert seen["blocked"] == []
    assert {f"{n}.html" for n in notebooks} <= set(seen)
    for name, page in seen.items():
        if name in ("blocked", "index.html"):
            continue
        assert page["code"] == 0 and page["scripts"] == 0 and page["unrendered"] == 0, name
        assert all(m > 0 for m in page["marks"]), name  # every chart drew its marks
        assert page["print_overflow"] == [], name
        assert page["accessibility"] == [], name
        assert not ERROR_TEXT.search(page["text"]), (name, ERROR_TEXT.search(page["text"]))
    assert len(seen["00_overview.html"]["marks"]) >= 9
    overview = seen["00_overview.html"]["text"]
    assert "Which teams spent it?" in overview and "What changed most since last month?" in overview
    assert f"Monthly report {manifest['month']}" in seen["index.html"]["text"]
    assert seen["index.html"]["accessibility"] == []


def test_an_empty_month_is_refused_not_taken_as_the_default(third_party_pack):
    root, export = third_party_pack["root"], third_party_pack["export"]
    proc = workbench("--config", str(root / "workbench.toml"), "report", "--data", str(export),
                     "--month", "", "--out", str(root / "pack-empty"), cwd=root)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr  # a usage error, before the load
    assert proc.stderr.strip().splitlines()[-1] == (
        "workbench report: error: argument --month: '' is not a month like 2026-05")


def test_a_new_run_clears_what_the_last_run_wrote_into_its_folder(tmp_path):
    """Pages, packs and executed notebooks the last manifest lists go before a new run: a
    run interrupted half way, or one with fewer pages or another month, must not leave an
    index that reads as complete beside them. Other files stay."""
    out = tmp_path / "pack"
    (out / "executed").mkdir(parents=True)
    listed = ["index.html", "manifest.json", "pack-2026-10.pdf", "00_overview.html",
              "00_overview.pdf", "10_extra.html", "executed/00_overview.ipynb",
              "executed/10_extra.ipynb", "executed/10_extra.log"]
    for name in [*listed, "notes.txt", "executed/other.ipynb"]:
        (out / name).write_text("x")
    (tmp_path / "outside.html").write_text("x")
    (out / "manifest.json").write_text(json.dumps({
        "pack_pdf": {"path": "pack-2026-10.pdf"},
        "notebooks": [{"name": "00_overview", "html": "00_overview.html", "pdf": "00_overview.pdf"},
                      {"name": "10_extra", "html": "10_extra.html", "pdf": None,
                       "kernel_log": "executed/10_extra.log"},
                      {"name": "x", "html": "../outside.html"}]}))
    report.clear_previous_pack(out)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "executed/other.ipynb", "notes.txt"]
    assert (tmp_path / "outside.html").exists()  # never outside the folder
    report.clear_previous_pack(out)  # no manifest: nothing to do


# -- coverage and concurrent runs, on a small project with a fast notebook ----------------------

def _months_notebook(path: Path) -> None:
    """A page that opens the store as every page does, and little else (fast)."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Months"),
        nbformat.v4.new_code_cell('month = ""\ndata = []\nstore = ""\nmode = "app"',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("from workbench.store import open_store\n"
                                  "with open_store(data=data or None, store=store or None) as s:\n"
                                  "    print(s.months())")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _report(root: Path, out: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "workbench.cli", "--config", str(root / "workbench.toml"),
            "report", "--no-pdf", "--out", str(root / out), *args]


def _run_at_once(*commands: list[str], cwd: Path) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen(c, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    outputs = [p.communicate(timeout=300) for p in procs]
    return [subprocess.CompletedProcess(c, p.returncode, *o)
            for c, p, o in zip(commands, procs, outputs, strict=True)]


@pytest.fixture(scope="module")
def lagging_runs(tmp_path_factory):
    """Two providers, March to May 2025; Beta Cloud's export stops after 2025-05-20. Two
    reports started at once on it before anything is loaded: the default month, and May."""
    root = tmp_path_factory.mktemp("lagging")
    (root / "notebooks").mkdir()
    _months_notebook(root / "notebooks" / "00_months.ipynb")
    write_export(root / "export" / "alpha.csv", months=3, providers=("Alpha Cloud",))
    beta = root / "export" / "beta.csv"
    write_export(beta, months=3, providers=("Beta Cloud",), until=date(2025, 5, 21))
    beta.write_text(beta.read_text().replace("acct-0", "acct-b"))  # its own billing account
    (root / "workbench.toml").write_text(
        '[data]\nfocus = ["export"]\nstore = "store/workbench.duckdb"\n')
    runs = _run_at_once(_report(root, "default"), _report(root, "may", "--month", "2025-05"),
                        cwd=root)
    return {"root": root, "runs": runs}


def test_reports_started_at_once_on_data_not_loaded_yet_load_it_once(lagging_runs):
    """The first to get the store's lock loads the data; the other waits for it, then uses
    what it loaded."""
    runs = lagging_runs["runs"]
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr and "warning" not in run.stderr
    firsts = sorted(r.stderr.splitlines()[0].split(" ")[0] for r in runs)
    assert firsts in (["loading", "using"], ["loading", "waiting"]), [r.stderr for r in runs]
    assert sum(line.startswith("loading ") for r in runs for line in r.stderr.splitlines()) == 1


def test_a_lagging_provider_holds_the_month_back_and_the_pack_says_so(lagging_runs):
    root = lagging_runs["root"]
    manifest = json.loads((root / "default" / "manifest.json").read_text())
    assert manifest["month"] == "2025-04"  # May: Beta's data stops on the 20th
    cov = manifest["coverage"]
    assert cov["month_complete"] is True and cov["ended_before"] == []
    assert cov["held_back"] == {"month": "2025-05",
                                "lagging": [{"provider": "Beta Cloud", "last_day": "2025-05-20"}]}
    index = (root / "default" / "index.html").read_text()
    says = "2025-05 is not the default month yet: the data of Beta Cloud (last day 2025-05-20)"
    assert says in index
    assert any(f"note: {says}" in r.stderr for r in lagging_runs["runs"])

    cov = json.loads((root / "may" / "manifest.json").read_text())["coverage"]
    assert cov == {"month_complete": False, "in_progress": False,
                   "first_day": "2025-05-01", "last_day": "2025-05-31",
                   "providers": [{"provider": "Alpha Cloud", "last_day": "2025-05-31", "complete": True,
                                  "stopped": False},
                                 {"provider": "Beta Cloud", "last_day": "2025-05-20", "complete": False,
                                  "stopped": False}],
                   "ended_before": [], "held_back": None, "partial_compared": []}
    index = (root / "may" / "index.html").read_text()
    assert ("The data of Beta Cloud (last day 2025-05-20) stops before the end of 2025-05; the "
            "other providers&#x27; data does." in index)


def test_reports_of_a_loaded_store_run_side_by_side(lagging_runs):
    """Reports only read a store that holds their data: two at once both finish, even while
    another process (a notebook, an app kernel) reads it."""
    import duckdb

    root = lagging_runs["root"]
    month = json.loads((root / "default" / "manifest.json").read_text())["month"]
    store = root / "store" / "workbench.duckdb"
    reader = duckdb.connect(str(store), read_only=True)
    try:
        runs = _run_at_once(_report(root, "a"), _report(root, "b"), cwd=root)
    finally:
        reader.close()
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert run.stderr.startswith(f"using the store {store}, already loaded"), run.stderr
        assert json.loads((root / run.args[-1] / "manifest.json").read_text())["month"] == month


# An ingest that holds the store's lock until the test lets it load, then keeps the store
# open a while after loading it (as reading the totals of a large store does).
_HELD_INGEST = """
import sys, time
from pathlib import Path
from workbench import store
from workbench.cli import main

locked, go = Path(sys.argv[1]), Path(sys.argv[2])
load, totals = store.Store._ingest, store.Store.totals

def held_load(self, *args, **kwargs):
    locked.touch()
    while not go.exists():
        time.sleep(0.02)
    return load(self, *args, **kwargs)

def slow_totals(self, *args, **kwargs):
    time.sleep(2)
    return totals(self, *args, **kwargs)

store.Store._ingest, store.Store.totals = held_load, slow_totals
sys.exit(main(sys.argv[3:]))
"""


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_a_report_that_waits_for_an_ingest_uses_what_it_loaded(tmp_path):
    """A report started while `workbench ingest` loads its data waits for the load, then
    reads the store the ingest made, though the ingest still reads its totals after the
    load: it never loads the data again (minutes on a large export), nor counts it twice."""
    root = tmp_path
    (root / "notebooks").mkdir()
    _months_notebook(root / "notebooks" / "00_months.ipynb")
    write_export(root / "export" / "a.csv", months=2)
    (root / "workbench.toml").write_text('[data]\nfocus = ["export"]\nstore = "store/wb.duckdb"\n')
    store = root / "store" / "wb.duckdb"
    locked, go = root / "locked", root / "go"
    ingest = subprocess.Popen(
        [sys.executable, "-c", _HELD_INGEST, str(locked), str(go),
         "--config", str(root / "workbench.toml"), "ingest", "--json"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(locked, ingest)  # the ingest holds the lock, its load not begun
        rep = subprocess.Popen(_report(root, "pack"), cwd=root, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        try:
            first = rep.stderr.readline()
            assert first == f"waiting for another process loading into {store} ...\n", first
            go.touch()
            out, err = rep.communicate(timeout=300)
        finally:
            rep.kill()
        loaded, ingest_err = ingest.communicate(timeout=300)
    finally:
        ingest.kill()
    assert ingest.returncode == 0, ingest_err
    assert rep.returncode == 0, err
    assert err.splitlines()[0] == (f"using the store {store}, already loaded from the [data] "
                                   "focus paths of the config"), err
    assert "loading" not in err
    # The figures are the ingest's: the billing period's exact billed cost, to the digit.
    manifest = json.loads((root / "pack" / "manifest.json").read_text(), parse_float=Decimal)
    periods = json.loads(loaded, parse_float=Decimal)["periods"]
    for head in manifest["headline"]:
        period = [p for p in periods if p["billing_period_start"].startswith(head["month"])
                  and p["currency"] == head["currency"]]
        assert [p["billed_cost"] for p in period] == [head["billed_cost"]]


def test_the_manifest_keeps_every_digit_of_the_headline(tmp_path, monkeypatch):
    """Amounts past a float's 17 digits (an IDR or VND bill) are in manifest.json with every
    digit the store holds: a float would write 123456789014508.35 for ...508.3523456789."""
    import csv

    import duckdb

    from workbench import cli

    monkeypatch.setattr(report, "run_all", lambda jobs, workers: [])  # the notebooks: not here
    monkeypatch.setattr(report, "ensure_kernel", lambda name=report.KERNEL: name)
    for name in ("WORKBENCH_CONFIG", "WORKBENCH_MODE"):  # run_report sets them for its kernels
        monkeypatch.setenv(name, "")
    export = tmp_path / "export" / "idr.csv"
    write_export(export, months=2, currency="IDR")
    rows = list(csv.reader(export.open()))
    cols = rows[0].index("BilledCost"), rows[0].index("EffectiveCost")
    big = {"2025-03": "123456789012345.0123456789", "2025-04": "223456789012345.9876543219"}
    for month, amount in big.items():
        first = next(r for r in rows[1:] if r[rows[0].index("ChargePeriodStart")].startswith(month))
        for c in cols:
            first[c] = amount
    with export.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    (tmp_path / "workbench.toml").write_text('[data]\nfocus = ["export"]\nstore = "wb.duckdb"\n')
    assert cli.main(["--config", str(tmp_path / "workbench.toml"), "report", "--no-pdf",
                     "--month", "2025-04", "--out", str(tmp_path / "pack")]) == 0

    with duckdb.connect(str(tmp_path / "wb.duckdb"), read_only=True) as con:
        sums = dict(con.execute("SELECT strftime(ChargePeriodStart, '%Y-%m'), sum(EffectiveCost) "
                                "FROM charges GROUP BY ALL").fetchall())
        billed = con.execute("SELECT sum(BilledCost) FROM charges WHERE "
                             "BillingPeriodStart = '2025-04-01'").fetchone()[0]
    text = (tmp_path / "pack" / "manifest.json").read_text()
    [head] = json.loads(text, parse_float=Decimal)["headline"]
    assert (head["cost"], head["previous"], head["billed_cost"]) == (
        sums["2025-04"], sums["2025-03"], billed)
    assert head["previous_change"] == sums["2025-04"] - sums["2025-03"]
    assert len(str(head["cost"]).replace(".", "")) > 17  # beyond what a float holds
    assert f'"cost": {str(sums["2025-04"]).rstrip("0")}' in text  # written as a JSON number


@pytest.mark.parametrize("with_file", [True, False])
def test_the_kernels_load_the_config_the_command_read(with_file, tmp_path, monkeypatch):
    """Run in a folder of its own with a workbench.toml and no notebooks/, the report took
    the exports of that config while its kernels, in the checkout's notebooks/, found the
    checkout's workbench.toml: the index gave the user's totals, the pages the sample's (and
    the kernel loaded the sample into the user's store)."""
    from workbench import cli

    seen = {}

    def kernels(jobs, workers):  # what load_config() reads in a kernel, in the notebooks' folder
        monkeypatch.chdir(Path(jobs[0]["path"]).parent)
        seen["config"] = report.load_config()
        return []

    monkeypatch.setattr(report, "run_all", kernels)
    monkeypatch.setattr(report, "ensure_kernel", lambda name=report.KERNEL: name)
    for name in ("WORKBENCH_CONFIG", "WORKBENCH_MODE"):  # run_report sets them for its kernels
        monkeypatch.setenv(name, "")
    write_export(tmp_path / "data" / "sample" / "focus" / "may.csv")  # where defaults look
    if with_file:
        (tmp_path / "workbench.toml").write_text('[tags]\nteam = ["squad"]\n')
    monkeypatch.chdir(tmp_path)
    assert cli.main(["report", "--no-pdf"]) == 0
    assert os.environ["WORKBENCH_CONFIG"] == ""  # as it was: a file written for them is gone
    config = seen["config"]
    assert config.tags.team == (["squad"] if with_file else report.Config().tags.team)
    assert config.path(config.data.store) == tmp_path / "data" / "workbench.duckdb"
    assert [config.path(p) for p in config.data.focus] == [tmp_path / "data" / "sample" / "focus"]
    manifest = json.loads((tmp_path / "reports" / "2025-03" / "manifest.json").read_text())
    assert (manifest["config"] or {}).get("path") == (str(tmp_path / "workbench.toml") if with_file else None)


def test_a_billing_period_in_a_zone_east_of_utc_is_its_own_months(tmp_path):
    """A provider billing in UTC+8 starts May's billing period at 2026-04-30T16:00:00Z: the
    index's billed cost of May is that period's, not the one that starts on 31 May in UTC
    (June's), and April's is not May's."""
    from workbench.config import Config
    from workbench.months import billing_month

    assert [billing_month(s) for s in ("2026-04-30T16:00:00Z", "2026-05-01T00:00:00Z",
                                       "2026-05-01T08:00:00Z", "2026-05-31T16:00:00Z",
                                       "2026-05-31T12:00:00Z", "(none)")] == [
        "2026-05", "2026-05", "2026-05", "2026-06", "2026-06", None]
    path = tmp_path / "east.csv"
    want = write_export(path, year=2025, month=3, months=3)["months"]
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ("BillingPeriodStart", "BillingPeriodEnd"):  # local midnight in UTC+8
        local = pd.to_datetime(df[column]) - pd.Timedelta(hours=8)
        df[column] = local.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    df.to_csv(path, index=False)
    for month in ("2025-04", "2025-05"):
        facts = report.gather(Config(root=tmp_path), [str(path)], ":memory:", month)
        assert facts["headline"]["billed_cost"].tolist() == [Decimal(str(want[month]))]


def test_the_index_compares_no_month_a_provider_has_no_data_for(tmp_path):
    """The headline of a currency with a provider whose data lacks the month compared gives
    no change (it would read as growth) but names the provider and the month."""
    from test_overview import gap_frame
    df = gap_frame()
    head = overview.headline(df, "2026-05", providers=overview.provider_months(df))
    head["billed_cost"] = head["cost"]
    manifest = {"month": "2026-05", "workbench_version": "0", "finished": "now", "pdf": {"warning": None},
                "inputs": [], "missing_inputs": [], "load_warnings": [], "notebooks": []}
    out = report_index.index_html(manifest, head)
    assert "$100.00 in 2026-04, not comparable: Azure has no data for 2026-04" in out
    assert "+$540" not in out and "$640.00" in out
    # from the store: a second provider whose April export is not loaded (its March and May
    # are), as gather reads it
    from workbench.config import Config
    aws = write_export(tmp_path / "aws.csv", year=2026, month=4, months=2, currency="USD",
                       providers=("AWS",))["months"]
    for month in (3, 5):
        write_export(tmp_path / f"azure-{month}.csv", year=2026, month=month, currency="USD",
                     providers=("Azure",))
    paths = [str(tmp_path / f) for f in ("aws.csv", "azure-3.csv", "azure-5.csv")]
    [usd] = report.gather(Config(root=tmp_path), paths, ":memory:",
                          "2026-05")["headline"].to_dict("records")
    assert usd["previous"] == Decimal(str(aws["2026-04"])) and usd["previous_without"] == ["Azure"]
    assert math.isnan(usd["previous_change"]) and usd["cost"] > Decimal(str(aws["2026-05"]))


def test_markdown_images_are_found_by_their_file_name_and_only_inside_the_folder(tmp_path):
    """A markdown src is a URL: a space or a letter beyond ASCII comes percent-encoded, and
    names the file all the same. A file out of the folder, by `..` or by a link, is not read;
    attachments and images of code cells' outputs are as nbconvert writes them."""
    from bs4 import BeautifulSoup

    folder = tmp_path / "notebooks"
    folder.mkdir()
    png = b"\x89PNG\r\n\x1a\n"
    for name in ("my chart.png", "café.png"):
        (folder / name).write_bytes(png)
    (folder / "mark.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "secret.png").write_bytes(b"secret")
    (folder / "link.png").symlink_to(tmp_path / "secret.png")
    text = ("# Title\n\n![a](<my chart.png>) ![b](my%20chart.png) ![c](café.png) ![d](mark.svg) "
            "![e](../secret.png) ![f](link.png) ![g](attachment:x.png) ![h](café.png)")
    cell = nbformat.v4.new_markdown_cell(text, attachments={"x.png": {"image/png": "AAAA"}})
    code = nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": '<img src="my%20chart.png" alt="out">'})])
    nb = nbformat.v4.new_notebook(cells=[cell, code])
    soup = BeautifulSoup(render.notebook_html(nb, "Title", folder=folder), "html.parser")
    srcs = {i["alt"]: i["src"] for i in soup.select("img")}
    data = "data:image/png;base64,iVBORw0KGgo="
    assert srcs == {"a": data, "b": data, "c": data, "h": data,
                    "d": "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=",
                    "e": "../secret.png", "f": "link.png", "g": "data:image/png;base64,AAAA",
                    "out": "my%20chart.png"}
    for src in ("a%00.png", "a" * 5000 + ".png"):  # no file has such a name
        assert render.embedded_images(f'<img src="{src}">', folder) == f'<img src="{src}"/>'


def test_a_tables_box_is_named_by_its_caption_else_table():
    """Two tables of one caption are two boxes named each by its own; a caption's markup is
    part of its name; an empty caption names nothing, so the box is "Table" as with none."""
    from bs4 import BeautifulSoup

    page = ('<div class="jp-Notebook"><table><caption>Spend <b>by</b> team</caption></table>'
            '<table><caption>Spend <b>by</b> team</caption></table><table></table>'
            '<table><caption> </caption></table></div>')
    soup = BeautifulSoup(render.keyboard_stops(page), "html.parser")

    def name(box):
        by = box.get("aria-labelledby")
        return soup.find(id=by).get_text() if by else box["aria-label"]

    boxes = soup.select("div.wb-scroll[role=region][tabindex='0']")
    assert [name(b) for b in boxes] == ["Spend by team", "Spend by team", "Table", "Table"]
    assert len({b.get("aria-labelledby") for b in boxes[:2]}) == 2
