"""Notebooks executed with Papermill and non-default parameters (nbval runs the defaults)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from focus_export import write_export

from workbench.report import KERNEL, ensure_kernel

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# `name = literal  # comment`: papermill replaces the cell, so nothing in it may be derived
LITERAL = re.compile(r"""\s*(#.*)?|\w+\s*=\s*("[^"]*"|'[^']*'|\[.*\]|\{.*\}|\(.*\)|-?[\d.]+(e-?\d+)?|True|False|None)\s*(#.*)?""")


def outputs(nb, mime: str) -> list[str]:
    return [o["data"][mime] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if mime in o.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_stored_thin_and_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    # the browser tab of the app reads the title from the metadata: the same as the heading
    assert nb.metadata.get("title") == nb.cells[0].source.splitlines()[0][2:].strip()
    params = nb.cells[1]
    assert "parameters" in params.metadata.get("tags", [])
    for line in params.source.splitlines():  # literals only: papermill replaces this cell
        assert LITERAL.fullmatch(line), line
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None
            assert not re.search(r"\bSELECT\b|read_csv|read_parquet|(?<![\w.])open\(", cell.source), cell.source


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    root = tmp_path_factory.mktemp("nbdata")
    truth = write_export(root / "focus.csv", year=2024, month=11, currency="USD", months=3,
                         providers=("Alpha Cloud", "Beta Cloud"), tags=True)
    return {"root": root, "path": root / "focus.csv", "truth": truth}


def test_overview_with_another_month_data_and_report_mode(export, tmp_path):
    ensure_kernel()
    out = tmp_path / "out.ipynb"
    nb = pm.execute_notebook(
        str(ROOT / "notebooks" / "00_overview.ipynb"), str(out), kernel_name=KERNEL,
        parameters={"month": "2024-12", "data": [str(export["path"])],
                    "store": str(export["root"] / "store.duckdb"), "mode": "report"},
        cwd=str(ROOT / "notebooks"), progress_bar=False)
    svgs = outputs(nb, "image/svg+xml")
    assert len(svgs) >= 9 and all("role-mark" in s for s in svgs)  # static charts, no widgets
    assert not outputs(nb, "application/vnd.jupyter.widget-view+json")
    html = "".join(outputs(nb, "text/html"))
    total = export["truth"]["months"]["2024-12"]
    assert f"${total:,.2f}" in html  # the month asked for, to the cent
    assert "In 2024-12 effective spend in USD" in html
    assert "Alpha Cloud" in "".join(svgs) and "Beta Cloud" in "".join(svgs)


def test_overview_app_mode_gives_live_widgets(export, tmp_path):
    nb = pm.execute_notebook(
        str(ROOT / "notebooks" / "00_overview.ipynb"), str(tmp_path / "out.ipynb"),
        kernel_name=ensure_kernel(),
        parameters={"month": "", "data": [str(export["path"])],
                    "store": str(export["root"] / "store.duckdb"), "mode": "app"},
        cwd=str(ROOT / "notebooks"), progress_bar=False)
    assert len(outputs(nb, "application/vnd.jupyter.widget-view+json")) >= 10
    assert not outputs(nb, "image/svg+xml")


def test_a_month_outside_the_data_is_one_clear_error(export, tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(
            str(ROOT / "notebooks" / "00_overview.ipynb"), str(tmp_path / "out.ipynb"),
            kernel_name=ensure_kernel(),
            parameters={"month": "2023-01", "data": [str(export["path"])],
                        "store": str(export["root"] / "store.duckdb"), "mode": "report"},
            cwd=str(ROOT / "notebooks"), progress_bar=False)
    assert err.value.ename == "WorkbenchError"
    assert err.value.evalue == "month: no billing data for 2023-01; the data covers 2024-11 to 2025-01"
