"""Executed notebook -> self-contained HTML page (no code, no remote resource) -> PDF.

The HTML comes from nbconvert's lab template with every script and CDN reference
removed (assets/report/index.html.j2); charts are already inline SVG because report
mode renders Altair with vl-convert. PDFs are printed by headless Chromium.
"""

from __future__ import annotations

import base64
import functools
import html
import mimetypes
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from urllib.request import url2pathname

import nbformat

from workbench.errors import WorkbenchError

ASSETS = Path(str(resources.files("workbench") / "assets"))
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-extensions", "--no-first-run", "--no-pdf-header-footer")

# Anything that makes a browser fetch: src/href/srcset/data/poster/action attributes and CSS
# url()/@import (in <style> and style attributes).
_FETCHING = {"src", "href", "srcset", "data", "poster", "action"}
_REMOTE_URL = re.compile(r"\s*((?:https?:)?//\S+)", re.I)
_REMOTE_CSS = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*((?:https?:)?//[^"')\s]+)""", re.I)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.I | re.S)
_LINK = re.compile(r"<link\b[^>]*>", re.I)


def css() -> str:
    return (ASSETS / "report.css").read_text(encoding="utf-8")


class _Fetches(HTMLParser):
    """Collects the URLs a page's markup fetches, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self._in_style = tag == "style"
        for name, value in attrs:
            name = name.rsplit(":", 1)[-1]  # xlink:href
            if value is None:
                continue
            if name == "style":
                self.found += _REMOTE_CSS.findall(value)
            elif name in _FETCHING and not (name == "href" and tag == "a"):
                # a hyperlink is fetched only when clicked; srcset lists candidates
                for part in value.split(",") if name == "srcset" else [value]:
                    if m := _REMOTE_URL.match(part):
                        self.found.append(m.group(1))

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.found += _REMOTE_CSS.findall(data)


def remote_references(page: str) -> list[str]:
    """Every URL in `page` a browser would fetch by itself (links a reader clicks excluded).

    Only markup counts: text on the page (a tag value reading "src=https://wiki/team") is
    escaped data, shown and never fetched, and must not fail the page.
    """
    parser = _Fetches()
    parser.feed(page)
    parser.close()
    return parser.found


def strip_scripts(page: str) -> str:
    """Drop every <script> and <link> element: a report page runs no code and links no files."""
    return _LINK.sub("", _SCRIPT.sub("", page))


# The blocks nbconvert makes Tab stops (tabindex="0"): every cell's input and every output.
_NBCONVERT_STOPS = ".jp-Notebook div.jp-Cell-inputWrapper, .jp-Notebook div.jp-OutputArea-output"


def keyboard_stops(page: str) -> str:
    """`page` with Tab stops at its links and its tables' scrolling boxes only.

    nbconvert makes every cell and output a Tab stop, so the keyboard stops at each heading,
    chart and note before it reaches a link. A table too wide for a narrow window needs a
    box that scrolls sideways (JupyterLab's layout of an output cuts it off), and that box a
    stop, since the keyboard scrolls what has focus: a region named by the table's caption.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    for block in soup.select(_NBCONVERT_STOPS):
        del block["tabindex"]
    for n, table in enumerate(soup.select(".jp-Notebook table")):
        if table.find_parent("table"):
            continue  # scrolls with the table around it
        box = table.wrap(soup.new_tag("div", attrs={"class": "wb-scroll", "role": "region",
                                                     "tabindex": "0"}))
        by, caption = table.get("aria-labelledby"), table.find("caption", recursive=False)
        if not by and caption is not None and caption.get_text(strip=True):  # else no name
            by = caption["id"] = caption.get("id") or f"wb-caption-{n}"
        if by:
            box["aria-labelledby"] = by
        else:
            box["aria-label"] = "Table"
    return str(soup)


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first markdown heading of the notebook."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def summary_of(nb: nbformat.NotebookNode) -> str:
    """The first paragraph of text after the notebook's title (what the page is for)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            paragraphs = [p.strip() for p in cell.source.split("\n\n")]
            text = [p for p in paragraphs if p and not p.startswith("#")]
            return " ".join(text[0].split()) if text else ""
    return ""


def embedded_images(cell: str, folder: Path) -> str:
    """`cell` (a markdown cell's HTML) with every image whose file lies in `folder` or below
    it written into the page as a data: URL; any other image is left as it is.

    A src is a URL: `my%20chart.png` names the file `my chart.png` (markdown writes spaces and
    letters beyond ASCII so). The file is found by its real path, so neither `..` nor a link
    in the folder reads a file outside it.
    """
    from bs4 import BeautifulSoup

    root = folder.resolve()
    soup = BeautifulSoup(cell, "html.parser")
    for img in soup.find_all("img", src=True):
        url = urlsplit(img["src"])
        if url.scheme or url.netloc or not url.path:
            continue  # data:, attachments (already data:), the web, a link within the page
        try:  # a name no file has (a NUL, too long) is left as it is, as a missing file
            path = (root / unquote(url.path)).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                continue
        except (OSError, ValueError):
            continue
        try:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
        except OSError as exc:
            raise WorkbenchError(f"{path}: cannot read the image ({exc.strerror})") from None
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        img["src"] = f"data:{mime};base64,{data}"
    return str(soup)


@functools.cache
def _page_exporter():
    """nbconvert's HTMLExporter, with the images of each markdown cell (or markdown output)
    embedded once its HTML is whole.

    nbconvert's own embed_images parses each piece of inline HTML alone, one tag at a time:
    `<a href="#x">text</a>` comes out as `<a href="#x"></a>text`, a link with no name, and a
    `<details>` block loses the markdown inside it. Here markdown renders as without
    embed_images, then embedded_images embeds the images of the cell's HTML in one pass.
    """
    from jinja2 import pass_context
    from nbconvert import HTMLExporter

    class PageExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            whole = super().markdown2html(context, source)
            path = context.get("resources", {}).get("metadata", {}).get("path", "")
            return embedded_images(whole, Path(path or "."))

    return PageExporter


def notebook_html(nb: nbformat.NotebookNode, title: str, header: str = "", footer: str = "",
                  folder: Path | None = None) -> str:
    """A self-contained page of the notebook's outputs and markdown, without code. `folder`:
    the notebook's, where its markdown's images are (else the working folder), as for
    `jupyter nbconvert --embed-images`."""
    exporter = _page_exporter()(
        extra_template_basedirs=[str(ASSETS)], template_name="report",
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        exclude_anchor_links=True)
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    nb.metadata.pop("widgets", None)  # widget state needs a widget manager from a CDN
    body, _ = exporter.from_notebook_node(
        nb, resources={"wb_css": css(), "wb_header": header, "wb_footer": footer,
                       "metadata": {"path": str(folder or "")}})
    body = strip_scripts(keyboard_stops(body))
    remote = remote_references(body)
    if remote:
        raise WorkbenchError(f"{title}: page would load {remote[0]} from the network")
    return body


def header_html(title: str, month: str, index: str = "index.html") -> str:
    return (f'<header class="wb-header"><span><a href="{html.escape(index)}">Monthly report '
            f'{html.escape(month)}</a> / {html.escape(title)}</span>'
            f'<span>effective cost unless stated</span></header>')


def find_chromium() -> str | None:
    """WORKBENCH_CHROMIUM, else Debian's chromium, else one on PATH."""
    env = os.environ.get("WORKBENCH_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for cand in CHROMIUM_CANDIDATES:
        found = cand if Path(cand).is_file() else shutil.which(cand)
        if found:
            return found
    return None


def no_chromium_warning() -> str:
    """Why PDFs are skipped when find_chromium finds none, and what to do."""
    env = os.environ.get("WORKBENCH_CHROMIUM")
    if env:  # set, but to no file: "set WORKBENCH_CHROMIUM" would not help
        return (f"WORKBENCH_CHROMIUM={env}: no such file: PDFs skipped (point it at a Chromium "
                "binary, or unset it to use the installed chromium)")
    return ("Chromium not found: PDFs skipped (install chromium, e.g. `make browser`, "
            "or set WORKBENCH_CHROMIUM)")


def print_pdf(html_path: Path, pdf_path: Path, chromium: str, timeout: float = 120) -> None:
    """Print a local HTML file to PDF with headless Chromium (its own throwaway profile)."""
    with tempfile.TemporaryDirectory(prefix="wb-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={pdf_path}", Path(html_path).resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise WorkbenchError(f"{pdf_path}: Chromium did not finish printing in {timeout:.0f} s") from None
    if proc.returncode != 0 or not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise WorkbenchError(f"{pdf_path}: Chromium could not print the page ({last})")
    relative_links(pdf_path, Path(html_path).resolve().parent)


def local_href(uri: str, folder: Path) -> str | None:
    """What a printed link should keep of `uri`: a file: URI inside `folder` (where the
    page and the rest of its pack lie) as a path relative to it, any other file: URI None,
    any other URI as it is.

    Chromium writes every link as an absolute URI, so a link to the page beside it names a
    path of the machine that printed it: broken for whoever gets the PDF, and a leak.
    """
    parts = urlsplit(uri)
    if parts.scheme.lower() != "file":
        return uri
    try:
        rel = Path(url2pathname(parts.path)).resolve().relative_to(folder.resolve())
    except ValueError:
        return None
    if not rel.parts:
        return None
    return quote(rel.as_posix()) + (f"#{parts.fragment}" if parts.fragment else "")


def relative_links(pdf_path: Path, folder: Path) -> None:
    """Rewrite the PDF's link URIs with local_href; a link it gives None keeps its area
    (and its tag) but goes nowhere."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError
    from pypdf.generic import NameObject, TextStringObject

    tmp = pdf_path.with_name(f".{pdf_path.name}.partial")
    try:
        writer = PdfWriter(clone_from=PdfReader(str(pdf_path)))
        changed = False
        for annot, uri in _uri_links(writer):
            href = local_href(uri, folder)
            if href is None:
                del annot["/A"]
            elif href != uri:
                annot["/A"].get_object()[NameObject("/URI")] = TextStringObject(href)
            changed |= href != uri
        if changed:
            with open(tmp, "wb") as fh:
                writer.write(fh)
            os.replace(tmp, pdf_path)
    except (PyPdfError, OSError) as exc:
        raise WorkbenchError(f"{pdf_path}: could not make its links relative ({exc})") from None
    finally:
        tmp.unlink(missing_ok=True)


def _uri_links(writer) -> list[tuple]:
    """(annotation, URI) of every link of `writer` that opens a URI."""
    found = []
    for page in writer.pages:
        for annot in page.get("/Annots", []):
            annot = annot.get_object()
            action = annot.get("/A")
            if action is not None and action.get_object().get("/S") == "/URI":
                found.append((annot, str(action.get_object()["/URI"])))
    return found


@dataclass(frozen=True)
class Part:
    """A part of the joined PDF: its first page there, and its anchors as anchor -> (page of
    the joined PDF, left, top). Chromium writes a named destination only for an anchor the
    page's own links lead to, so another part's link to any other anchor jumps to the part's
    first page."""

    first: int
    anchors: dict[str, tuple[int, float, float]] = field(default_factory=dict)

    def place(self, anchor: str) -> tuple[int, float, float | None]:
        """(page, left, top) of `anchor`, else of the part's start (top None: the page's top)."""
        return self.anchors.get(anchor) or (self.first, 0, None)


def link_target(href: str, parts: dict[str, Part]) -> tuple[int, float, float | None] | None:
    """Where a relative link to a part (`name.html`, `name.html#section`) leads in the
    joined PDF (see Part.place); None for a URI with a scheme or a file that is not a part."""
    url = urlsplit(href)
    if url.scheme or url.netloc or unquote(url.path) not in parts:
        return None
    return parts[unquote(url.path)].place(unquote(url.fragment))


def _anchor(name) -> str:
    """A destination's name as link_target reads a URL's fragment: Chromium's `/Dests` keys
    are PDF names (`/later`), which pypdf's append turns into strings that keep the slash,
    and an id beyond ASCII or with a space is written percent-encoded (`/co%C3%BBt`)."""
    return unquote(str(name).removeprefix("/"))


def _anchors(reader, first: int) -> dict[str, tuple[int, float, float]]:
    """The named destinations of a part that starts at page `first` of the joined PDF."""
    out = {}
    for name, dest in reader.named_destinations.items():
        page = reader.get_destination_page_number(dest)
        if page >= 0:
            out[_anchor(name)] = (first + page, dest.left or 0, dest.top)
    return out


def _internal_links(writer, parts: dict[str, Part], owners: list[Part]) -> None:
    """Links to a part of the joined PDF, or to an anchor of a part, jump there: whoever gets
    the pack by email has no file beside it, and the parts' named destinations are not
    joined (a page's names would clash with another's). `owners`: the part of each page."""
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NullObject

    def goto(page: int, left: float, top: float | None) -> DictionaryObject:
        target = writer.pages[page]
        return DictionaryObject({
            NameObject("/S"): NameObject("/GoTo"),
            NameObject("/D"): ArrayObject([target.indirect_reference, NameObject("/XYZ"),
                                           FloatObject(left), FloatObject(target.mediabox.top if top is None else top),
                                           NullObject()])})

    for number, page in enumerate(writer.pages):
        for annot in page.get("/Annots", []):
            annot = annot.get_object()
            dest, action = annot.get("/Dest"), annot.get("/A")
            if dest is not None and not isinstance(dest.get_object(), list):
                # an anchor of the page's own part, named in the part's /Dests
                annot[NameObject("/A")] = goto(*owners[number].place(_anchor(dest.get_object())))
                del annot["/Dest"]
            elif action is not None and action.get_object().get("/S") == "/URI":
                target = link_target(str(action.get_object()["/URI"]), parts)
                if target is not None:
                    annot[NameObject("/A")] = goto(*target)


def merge_pdfs(parts: list[Path], out: Path) -> int:
    """Concatenate PDFs into one (written beside, then moved into place); returns its pages.

    A relative link to a part (`name.html` or `name.pdf` for a part `name.pdf`, as print_pdf
    leaves links to pages beside the page) jumps to that part's first page; one to a section
    (`name.html#id`, or `#id` within a page) to the section when the part's PDF names it,
    else to the part's first page (see Part).

    When every part is tagged (Chromium tags what it prints: headings, tables, figures with
    their alternative text), so is the whole: a screen reader reads the pack as it reads
    each page, in order, in its language, under the first part's title.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    tmp = out.with_name(f".{out.name}.partial")
    try:
        readers = [PdfReader(str(part)) for part in parts]
        writer = PdfWriter()
        if readers and all("/StructTreeRoot" in r.trailer["/Root"] for r in readers):
            _join_tagged(readers, writer)
        else:
            for reader in readers:
                writer.append(reader)
        named, owners = {}, []
        for path, reader in zip(parts, readers, strict=True):  # a part answers to its page's names
            part = Part(len(owners), _anchors(reader, len(owners)))
            for name in (f"{Path(path).stem}.html", Path(path).name):
                named.setdefault(name, part)
            owners += [part] * len(reader.pages)
        _internal_links(writer, named, owners)
        with open(tmp, "wb") as fh:
            writer.write(fh)
        pages = len(writer.pages)
        os.replace(tmp, out)
    except (PyPdfError, OSError) as exc:
        raise WorkbenchError(f"{out}: could not join the PDFs ({exc})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return pages


def _numbers(tree) -> list:
    """A number tree's /Nums as one flat [key, value, ...] list (its /Kids walked in order)."""
    tree = tree.get_object()
    flat = list(tree.get("/Nums", []))
    for kid in tree.get("/Kids", []):
        flat += _numbers(kid)
    return flat


def _join_tagged(readers: list, writer) -> None:
    """Every page of `readers` into `writer` with their structure trees as one: each part's
    document element becomes a /Part of one /Document, and the keys by which pages and
    links find their structure (/StructParents, /StructParent) move past the parts before."""
    from pypdf.generic import (
        ArrayObject,
        BooleanObject,
        DictionaryObject,
        NameObject,
        NumberObject,
    )

    document = DictionaryObject({NameObject("/Type"): NameObject("/StructElem"),
                                 NameObject("/S"): NameObject("/Document")})
    document_ref = writer._add_object(document)
    nums, parts, offset = ArrayObject(), ArrayObject(), 0
    for reader in readers:
        tree = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
        for page in reader.pages:
            added = writer.add_page(page)  # pypdf leaves /StructParents out: set it again
            if "/StructParents" in page:
                added[NameObject("/StructParents")] = NumberObject(page["/StructParents"] + offset)
            for annot in added.get("/Annots", []):
                annot = annot.get_object()
                if "/StructParent" in annot:
                    annot[NameObject("/StructParent")] = NumberObject(annot["/StructParent"] + offset)
        kids = tree.get("/K")
        for elem in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            elem.get_object().pop("/P", None)  # not the part's own root: cloned, it is this one
            part = elem.clone(writer)
            part.get_object()[NameObject("/P")] = document_ref
            if part.get_object().get("/S") == "/Document":
                part.get_object()[NameObject("/S")] = NameObject("/Part")
            parts.append(part.indirect_reference or part)
        flat = _numbers(tree["/ParentTree"]) if "/ParentTree" in tree else []
        for key, value in zip(flat[::2], flat[1::2], strict=True):
            nums += [NumberObject(key + offset), value.clone(writer)]
        offset += int(tree.get("/ParentTreeNextKey", max(flat[::2], default=-1) + 1))
    root = DictionaryObject({
        NameObject("/Type"): NameObject("/StructTreeRoot"), NameObject("/K"): document_ref,
        NameObject("/ParentTree"): writer._add_object(DictionaryObject({NameObject("/Nums"): nums})),
        NameObject("/ParentTreeNextKey"): NumberObject(offset)})
    root_ref = writer._add_object(root)
    document[NameObject("/P")] = root_ref
    document[NameObject("/K")] = parts
    first = readers[0].trailer["/Root"]
    catalog = writer._root_object
    catalog[NameObject("/StructTreeRoot")] = root_ref
    catalog[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})
    catalog[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)})
    if "/Lang" in first:
        catalog[NameObject("/Lang")] = first["/Lang"]
        document[NameObject("/Lang")] = first["/Lang"]
    title = (readers[0].metadata or {}).get("/Title")
    if title:
        writer.add_metadata({"/Title": title})
