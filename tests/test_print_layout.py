"""Long unbroken names (an AWS ARN, an Azure resource id, a path, a tag value) on a printed
page: the overview page and the index, rendered as the report renders them, printed to A4
by Chromium. Everything stays on the page, names wrap, amounts stay whole."""

from __future__ import annotations

import re
import unicodedata

import nbformat
import pandas as pd
import pytest
from browser import A4_PRINT_WIDTH, PRINT_OVERFLOW, browser, needs_chromium
from pypdf import PdfReader
from test_pages import FakeStore

from workbench import charts, pages, render, report_index, tables

ARN = ("arn:aws:sagemaker:us-east-1:123456789012:endpoint/"
       "very-long-endpoint-name-without-spaces-for-the-realtime-inference-fleet-of-team-search")
AZURE = ("/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ml-production"
         "/providers/Microsoft.MachineLearningServices/workspaces/ws-chat-fine-tuning-westeurope")
TAG = "environment-" + "x" * 140  # a 150-character tag value
WIDE = "MACHINE-LEARNING-PLATFORM-INFRASTRUCTURE"  # 40 characters, too wide for a name axis
PATH = "/srv/exports/" + "/".join(f"billing-account-{i:04d}-focus-1.3-daily-export" for i in range(3))
AMOUNT = 1234567.89  # shown to the cent: must never be cut or broken
RESOURCE_AMOUNT = 7654321.09  # in the resources table only, last but one column


class LongNames(FakeStore):
    def tag_keys(self):
        return ["team", "x_" + "k" * 60]

    def load_warnings(self):
        return [f"{PATH}/part-0.csv: an older copy of {PATH}/part-1.csv", f"{ARN}: tags unreadable"]


def overview_data() -> pages.OverviewData:
    rows = [("2026-05", "AWS", "Amazon SageMaker", ARN, "prod", 900.0, "USD"),
            ("2026-06", "AWS", "Amazon SageMaker", ARN, "prod", AMOUNT, "USD"),
            ("2026-05", "Azure", AZURE, "chat", TAG, 300.0, "EUR"),
            ("2026-06", "Azure", AZURE, "chat", TAG, 240.0, "EUR"),
            ("2026-06", "AWS", "Amazon S3", "search", "prod", 15.0, "USD"),
            ("2026-06", "AWS", "Amazon S3", WIDE, "prod", 5.0, "USD")]
    m = pd.DataFrame(rows, columns=["month", "provider", "ServiceName", "team", "environment",
                                    "effective_cost", "currency"])
    m = m.assign(billed_cost=m["effective_cost"], ServiceCategory="AI and Machine Learning",
                 workload_class="realtime-inference", tagged="yes")
    daily = pd.DataFrame([(d, "AWS", ARN, "USD", 40.0) for d in pd.date_range("2026-05-01", "2026-06-30")],
                         columns=["date", "provider", "team", "currency", "cost"])
    return pages.load_overview(LongNames(m, daily))


def overview_html() -> str:
    """The overview's sections as the report shows them (SVG charts, HTML tables), with a
    table of resources, through the report's own HTML template."""
    charts.use("report")
    sections = pages.overview_sections(overview_data(), {"month": "2026-06", "filters": {}})
    resources = pd.DataFrame({"ResourceId": [ARN, AZURE, "i-0abc"], "team": [TAG, "chat", "search"],
                              "currency": ["USD", "EUR", "USD"],
                              "cost": [RESOURCE_AMOUNT, 240.0, 15.0], "share": [0.99, 0.01, 0.0]})
    sections["resources"] = tables.table(resources, money_cols=["cost"], percent_cols=["share"],
                                         exact=True, title="Resources by cost")
    outputs = []
    for content in sections.values():
        if hasattr(content, "to_dict"):
            bundle = content._repr_mimebundle_()
            bundle = bundle[0] if isinstance(bundle, tuple) else bundle
            data = {"image/svg+xml": bundle["image/svg+xml"]}
        else:
            data = {"text/html": str(pages._html(content))}
        outputs.append(nbformat.v4.new_output("display_data", data=data))
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"# Endpoint {ARN}\n\nSpend of {AZURE} and {TAG}."),
        nbformat.v4.new_code_cell("page.show()", outputs=outputs)])
    return render.notebook_html(nb, "Long names", header=render.header_html(f"Endpoint {ARN}", "2026-06"))


def index_html() -> str:
    head = pd.DataFrame([{"currency": "USD", "month": "2026-06", "cost": AMOUNT, "previous_month": "2026-05",
                          "previous": 900.0, "previous_change": AMOUNT - 900, "previous_change_pct": 1370.7,
                          "last_year_month": "2025-06", "last_year": float("nan"),
                          "last_year_change": float("nan"), "last_year_change_pct": float("nan"),
                          "billed_cost": AMOUNT}])
    manifest = {"month": "2026-06", "workbench_version": "0", "finished": "now",
                "pdf": {"warning": None, "enabled": True},
                "inputs": [{"kind": "focus", "path": f"{PATH}/part-{i}.csv.gz", "sha256": "ab" * 32}
                           for i in range(2)],
                "missing_inputs": [{"kind": "drivers", "path": f"{PATH}/drivers.csv",
                                    "reason": "file not found: unit costs need drivers.csv"}],
                "load_warnings": LongNames(None, None).load_warnings(),
                "notebooks": [{"name": "a", "title": "A", "status": "ok", "html": "a.html",
                               "pdf": None, "pdf_error": f"{PATH}/a.pdf: Chromium could not print",
                               "seconds": 1.0},
                              {"name": "b", "title": "B", "status": "failed", "html": None, "pdf": None,
                               "error": f"WorkbenchError: {PATH}/budgets.csv: file not found",
                               "seconds": 2.0}]}
    return report_index.index_html(manifest, head)


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """{name: (HTML file, its PDF printed by Chromium as the report prints it)}."""
    folder = tmp_path_factory.mktemp("long-names")
    out = {}
    for name, page in (("overview", overview_html()), ("index", index_html())):
        html_file = folder / f"{name}.html"
        html_file.write_text(page, encoding="utf-8")
        if render.find_chromium():
            render.print_pdf(html_file, folder / f"{name}.pdf", render.find_chromium())
        out[name] = (html_file, folder / f"{name}.pdf")
    return out


def squeezed(text: str) -> str:
    """Text without white space (a name wrapped over lines reads as one again) or ligatures
    (a PDF's text gives "fi" as one letter)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.mark.browser
@needs_chromium
def test_nothing_runs_past_the_right_edge_of_an_a4_page(printed):
    with browser() as b:
        page = b.new_page(viewport={"width": A4_PRINT_WIDTH, "height": 1000})
        page.emulate_media(media="print")
        for name, (html_file, _) in printed.items():
            page.goto(html_file.as_uri())
            assert page.evaluate(PRINT_OVERFLOW) == [], name
            # amounts keep one line and stay right-aligned; long names got a column of their own
            amounts = page.locator("td.num").evaluate_all(
                "tds => tds.map(td => { const r = document.createRange(); r.selectNodeContents(td);"
                " return [td.textContent, r.getClientRects().length, getComputedStyle(td).textAlign]; })")
            assert amounts and all(lines <= 1 and align == "right"
                                   for _, lines, align in amounts), (name, amounts)
            widths = page.locator("td.wb-wrap").evaluate_all(
                "tds => tds.map(td => td.getBoundingClientRect().width)")
            assert widths and min(widths) >= 100, (name, widths)


@pytest.mark.browser
@needs_chromium
def test_the_pdf_holds_every_long_name_and_amount_in_full(printed):
    overview = squeezed("".join(p.extract_text() for p in PdfReader(printed["overview"][1]).pages))
    for text in (ARN, AZURE, TAG, "$1,234,567.89", "$7,654,321.09+99.0%", "Resources by cost"):
        assert squeezed(text) in overview, text
    # a chart's axis shows a long or wide name's start and end around an ellipsis, and the
    # table under the charts gives that label beside the name in full
    for name in (ARN, WIDE):
        (label,) = charts.axis_labels([name])
        assert label.startswith(name[:10]) and label.endswith(name[-7:]) and label != name
        assert squeezed(label) in overview and overview.count(squeezed(label)) >= 2, label
    assert squeezed(f"{charts.axis_labels([ARN])[0]}{ARN}USD$1,234,567.89") in overview
    assert squeezed(f"{charts.axis_labels([WIDE])[0]}{WIDE}USD$5.00") in overview
    index = squeezed("".join(p.extract_text() for p in PdfReader(printed["index"][1]).pages))
    for text in (f"{PATH}/part-1.csv.gz", f"failed: WorkbenchError: {PATH}/budgets.csv",
                 f"{PATH}/a.pdf", f"{ARN}: tags unreadable", "$1,234,567.89"):
        assert squeezed(text) in index, text


@pytest.mark.browser
@needs_chromium
def test_a_narrow_window_does_not_scroll_sideways(printed):
    with browser() as b:
        page = b.new_page(viewport={"width": 400, "height": 800})
        for name, (html_file, _) in printed.items():
            page.goto(html_file.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= 400, name
            # a long name wraps inside the window rather than widening its table
            right = page.locator("td.wb-wrap").evaluate_all(
                "tds => Math.max(...tds.map(td => td.getBoundingClientRect().width))")
            assert right <= 400, name


def test_the_overview_lists_the_names_its_charts_shorten():
    sections = pages.overview_sections(overview_data(), {"month": "2026-06", "filters": {}})
    names = str(sections["full_names"])
    assert ARN in names and AZURE in names and TAG in names and "$1,234,567.89" in names
    assert "Amazon S3" not in names  # a name the charts show whole is not repeated
    assert 'class="wb-wrap"' in names and '<td class="num">' in names
    assert all(charts.shortened(n) for n in (ARN, f"Azure / {AZURE}", TAG, WIDE))
    # a name cut for its width, not its length, is listed with the label the chart shows
    assert f">{charts.axis_labels([WIDE])[0]}</td>" in names and f">{WIDE}</td>" in names
    # the chart of changes shows a change: so does its table (the Azure service: 300 -> 240)
    changes = names.split("Names the chart of changes")[1]
    assert f"Azure / {AZURE}" in changes and "-\u20ac60.00" in changes and "\u20ac240.00" not in changes
    assert not charts.shortened("AWS / Amazon Elastic Compute Cloud")


def test_names_summed_into_other_are_not_listed():
    names = [f"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/model-{i:03d}" for i in range(30)]
    rows = pd.DataFrame({"team": names, "currency": "USD", "cost": [float(i) for i in range(30)]})
    listed = str(pages._html(pages.full_names({"team": charts.bar_rows(rows, "team")})))
    assert all(n in listed for n in names[-11:])  # eleven bars of their own, then "other"
    assert not any(n in listed for n in names[:-11])


def printed_fonts(tmp_path, names: list[str]) -> tuple[list[str], str]:
    """The fonts and the text of a table of `names` printed to PDF by Chromium (Type3 fonts
    included)."""
    rows = "".join(f"<tr><td>{n}</td><td class='num'>{i + 1},000.00</td></tr>"
                   for i, n in enumerate(names))
    page = tmp_path / "names.html"
    page.write_text(f"<!doctype html><meta charset='utf-8'><style>{render.css()}</style>"
                    f"<table>{rows}</table>", encoding="utf-8")
    render.print_pdf(page, tmp_path / "names.pdf", render.find_chromium())
    pdf = PdfReader(tmp_path / "names.pdf").pages[0]
    fonts = [str(font.get_object().get("/FontDescriptor", {}).get("/FontName"))
             for font in pdf["/Resources"]["/Font"].values()]
    return fonts, pdf.extract_text()


@pytest.mark.browser
@needs_chromium
def test_names_in_japanese_chinese_and_korean_print_as_letters_not_boxes(tmp_path):
    """A team named in CJK script prints with a font that has its letters (`make browser`
    installs Debian's Noto CJK when no such font is there): not as empty boxes."""
    names = ["検索チーム", "推荐系统", "검색팀"]
    fonts, text = printed_fonts(tmp_path, names)
    assert any("CJK" in f for f in fonts), fonts
    assert all(n in squeezed(text) for n in names)


@pytest.mark.browser
@needs_chromium
def test_emoji_in_names_print_as_emoji_not_boxes(tmp_path):
    """Tag values carry emoji ("🚀 launch"): `make browser` installs Debian's Noto Color Emoji
    when no emoji font is there, so they print as emoji, not as empty boxes."""
    names = ["🚀 launch", "🤖 agents"]
    fonts, text = printed_fonts(tmp_path, names)
    assert any("Emoji" in f for f in fonts), fonts
    assert all(n.split()[0] in text for n in names)
