"""`workbench app`: Voila on a free port, driven by Playwright in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from browser import ACCESSIBILITY_PROBLEMS, ERROR_TEXT, browser, guarded_page, needs_chromium
from focus_export import write_export

from workbench import app
from workbench.config import Config, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]


# -- unit tests -----------------------------------------------------------------------------

def test_catalog_lists_apps_by_title_and_purpose(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Unit costs\n\nWhat one inference costs,\nper model."),
        nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(nb, tmp_path / "10_units.ipynb")
    (tmp_path / "20_broken.ipynb").write_text("{not json")
    nbformat.write(nb, tmp_path / ".30_hidden.ipynb")
    apps = app.catalog(tmp_path)
    assert apps == {"10_units.ipynb": {"title": "Unit costs",
                                       "summary": "What one inference costs, per model."}}
    config = {"baseUrl": "/"}
    assert app.landing_hook(apps)(config, notebook_path="") == {"baseUrl": "/", "workbenchApps": apps}


def test_voila_is_locked_down_and_preheated():
    argv = app.voila_argv(Path("/nb"), "127.0.0.1", 8899, 2)
    assert "--VoilaConfiguration.show_tracebacks=False" in argv
    assert "--VoilaConfiguration.preheat_kernel=True" in argv
    assert "--VoilaConfiguration.default_pool_size=2" in argv
    allowed = next(a for a in argv if a.startswith("--MappingKernelManager.allowed_message_types="))
    types = json.loads(allowed.split("=", 1)[1])
    assert "execute_request" not in types and "comm_msg" in types
    assert not any("preheat" in a for a in app.voila_argv(Path("/nb"), "127.0.0.1", 8899, 0))


def test_generated_config_keeps_every_key_and_makes_data_paths_absolute(tmp_path):
    cfg = parse_config('[data]\nfocus = ["exports"]\nstore = "s/w.duckdb"\n[tags]\nteam = ["squad"]\n'
                       '[[workloads]]\nclass = "training"\nmatch = { ResourceName = "(?i)train" }\n'
                       "[app]\nport = 9000\n", root=tmp_path)
    again = parse_config(app.config_toml(cfg), root=Path("/elsewhere"))
    assert again.data.focus == [str(tmp_path / "exports")]
    assert again.data.store == str(tmp_path / "s/w.duckdb")
    assert again.tags.team == ["squad"] and again.app.port == 9000
    assert again.workloads == cfg.workloads
    new, path = app.app_config(Config(root=tmp_path), [str(tmp_path / "x.csv")])
    try:
        assert new.data.focus == [str(tmp_path / "x.csv")]
        assert parse_config(Path(path).read_text()).data.store == new.data.store
    finally:
        Path(path).unlink()


def test_the_kernels_get_the_config_the_app_read(tmp_path, monkeypatch):
    """The kernels run in notebooks/, where a workbench.toml of the working folder is not
    found: they get the command's file, or its defaults written out with absolute paths."""
    (tmp_path / "workbench.toml").write_text('[tags]\nteam = ["squad"]\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_CONFIG", raising=False)
    assert app.kernel_config_file(load_config()) == (str(tmp_path / "workbench.toml"), False)
    (tmp_path / "workbench.toml").unlink()
    path, made = app.kernel_config_file(load_config())
    try:
        assert made
        again = load_config(path)
        assert again.path(again.data.store) == tmp_path / "data" / "workbench.duckdb"
        assert again.tags == Config().tags
    finally:
        Path(path).unlink()


def test_an_address_the_apps_cannot_be_served_at_is_one_line_before_the_load(tmp_path, capsys):
    """A port in use or a host of no interface printed `serving the apps at ...`, then only
    Voila's "no available port could be found" or "cannot assign requested address"."""
    from workbench import cli

    todo = "pass --host H and --port N, or set [app] host and port in workbench.toml"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        argv = ["app", "--data", str(tmp_path / "none.csv"), "--port", str(port)]
        assert cli.main(argv) == 1
        assert capsys.readouterr().err == (
            f"error: 127.0.0.1:{port}: cannot serve the apps there (the port is in use: is the "
            f"app already running?); {todo}\n")
    assert cli.main(["app", "--data", str(tmp_path / "none.csv"), "--host", "192.0.2.1"]) == 1
    assert capsys.readouterr().err == (
        f"error: 192.0.2.1:8866: cannot serve the apps there (cannot assign requested address); "
        f"{todo}\n")


def test_only_a_file_of_a_templates_static_folder_is_a_template_file():
    assert app.template_file("workbench/static/index.css")
    assert app.template_file("lab/static/fonts/a.woff2")
    for path in ("", "workbench", "workbench/", "workbench/static", "workbench/static/",
                 "workbench/conf.json", "workbench/static/a/..", "workbench/static/../../../etc/passwd",
                 "workbench//static/index.css", "workbench/static/./index.css", "../static/x.css",
                 "/etc/static/passwd"):
        assert not app.template_file(path), path


def test_only_a_notebook_of_the_app_folder_itself_renders():
    assert app.listed_app("00_overview.ipynb") and app.listed_app("spend by team.ipynb")
    for path in ("", "drafts/draft.ipynb", "drafts\\draft.ipynb", "../notebooks/00_overview.ipynb",
                 ".hidden.ipynb", "notes.txt", "drafts/"):
        assert not app.listed_app(path), path


def test_only_a_notebook_that_renders_gets_preheated_kernels(tmp_path):
    """Voila preheats a kernel pool for every notebook under its folder, each kernel running
    the notebook: a draft in a subfolder or a hidden notebook, which never render, would be
    run at start and hold kernels. The command line's denylist, read and matched as Voila
    does (against each notebook's path under its absolute folder)."""
    from types import SimpleNamespace

    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from voila.app import Voila
    from voila.voila_kernel_manager import voila_kernel_manager_factory

    for folder in (tmp_path / "note books" / "apps (v2)", Path("notebooks")):
        voila = Voila()
        voila.parse_command_line(app.voila_argv(folder, "127.0.0.1", 8899, 2)[1:])
        manager = voila_kernel_manager_factory(AsyncMappingKernelManager, True, 2)
        trait = manager.class_traits()["preheat_denylist"]
        raw = voila.config.VoilaKernelManager.get("preheat_denylist", "[]")
        denied = SimpleNamespace(preheat_denylist=raw.get_value(trait)
                                 if hasattr(raw, "get_value") else trait.from_string(raw))
        for path in ("00_overview.ipynb", "spend by team.ipynb", "dépenses.ipynb",
                     "drafts/draft.ipynb", ".hidden.ipynb", "drafts/.old.ipynb"):
            notebook = Path(os.path.abspath(folder)) / path  # as Voila finds it
            assert manager._notebook_filter(denied, notebook) == app.listed_app(path), path


def test_a_visitor_cannot_pick_another_template_or_theme():
    """Voila lets a URL choose the page's template (`?template=lab`, classic, reveal): those
    load Font Awesome, jQuery and reveal.js from CDNs, and bypass the preheated kernels."""
    argv = app.voila_argv(Path("/nb"), "127.0.0.1", 8899, 2)
    assert "--VoilaConfiguration.allow_template_override=NO" in argv
    assert "--VoilaConfiguration.allow_theme_override=NO" in argv


# -- the app, end to end -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("app")
    export = root / "export.csv"
    write_export(export, year=2025, month=1, currency="USD", months=3,
                 providers=("Alpha Cloud", "Beta Cloud"), tags=True)
    (root / "workbench.toml").write_text(
        f'[data]\nfocus = []\nstore = "{root}/store.duckdb"\n[app]\npool_size = 1\n')
    # the checkout's notebooks beside the config (the app serves these), and a folder a
    # visitor must not browse
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".*"))
    (root / "notebooks" / "drafts").mkdir()
    (root / "notebooks" / "drafts" / "notes.txt").write_text("not for visitors")
    # a draft notebook and a hidden one: neither is an app, so neither renders
    shutil.copy(root / "notebooks" / "00_overview.ipynb", root / "notebooks" / "drafts" / "draft.ipynb")
    shutil.copy(root / "notebooks" / "00_overview.ipynb", root / "notebooks" / ".hidden.ipynb")
    port = free_port()
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "--config", str(root / "workbench.toml"), "app",
         "--port", str(port), "--data", str(export)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"workbench app exited: {(root / 'server.log').read_text()[-2000:]}")
        try:
            if get(base + "/")[0] == 200 and "filled" in (root / "server.log").read_text():
                break
        except OSError:
            pass
        time.sleep(0.5)
    else:
        pytest.fail("workbench app did not start in 90 s")
    yield {"base": base, "root": root}
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def options(select) -> list[str]:
    return [t.replace("\xa0", " ") for t in select.locator("option").all_inner_texts()]


SVGS = "() => Array.from(document.querySelectorAll('.vega-embed svg')).map(s => s.outerHTML).join('|')"


# Charts whose bars or labels fall outside their SVG (a view that did not grow with its data).
OUTSIDE = """() => {
  const bad = [];
  document.querySelectorAll('.vega-embed svg').forEach((svg, i) => {
    const box = svg.getBoundingClientRect();
    svg.querySelectorAll('.mark-rect path, .mark-text text').forEach(el => {
      const r = el.getBoundingClientRect();
      if ((r.width || r.height) && (r.bottom > box.bottom + 1 || r.top < box.top - 1)) bad.push(i);
    });
  });
  return [...new Set(bad)];
}"""


def keyboard_focus(page) -> tuple[str, str, bool]:
    """Press Tab: the element it focuses, its label, and whether its focus shows (an outline
    or a ring)."""
    page.keyboard.press("Tab")
    return tuple(page.evaluate("""() => {
      const e = document.activeElement, s = getComputedStyle(e);
      const label = e.labels && e.labels.length ? e.labels[0].textContent.trim() : '';
      const shown = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) ||
                    s.boxShadow !== 'none';
      return [e.tagName, label, shown];
    }"""))


@pytest.mark.browser
@needs_chromium
def test_app_renders_offline_redraws_on_a_control_and_is_locked_down(server):
    base = server["base"]
    with browser() as b:
        page, blocked = guarded_page(b, (base,))
        page.goto(base + "/")
        # the landing page lists each app by its title, with what it is for, and links to it
        link = page.locator(".wb-apps a", has_text="Spend overview")
        link.wait_for(timeout=30_000)
        assert link.get_attribute("href").endswith("/voila/render/00_overview.ipynb")
        assert "What we spent in the month" in link.inner_text()
        assert page.locator("script").count() == 0
        assert page.evaluate(ACCESSIBILITY_PROBLEMS) == []
        apps = page.locator(".wb-apps a").all_inner_texts()
        page.goto(base + "/?classic-tree=false")  # asks for Voila's file browser: the same list
        assert page.locator(".wb-apps a").all_inner_texts() == apps
        assert page.locator("script").count() == 0
        t0 = time.perf_counter()
        page.goto(base + "/voila/render/00_overview.ipynb")
        page.wait_for_selector(".vega-embed svg g.role-mark > *", timeout=60_000)
        first_chart = time.perf_counter() - t0
        page.wait_for_function("n => document.querySelectorAll('.vega-embed svg').length >= n", arg=9)
        # mark every chart's SVG element: a chart redrawn in place keeps its element
        page.evaluate("() => document.querySelectorAll('.vega-embed svg')"
                      ".forEach(s => { s.dataset.wbBefore = '1'; })")
        before = page.evaluate(SVGS)
        assert "Alpha Cloud" in before and "Beta Cloud" in before
        assert page.title() == "Spend overview"  # the browser tab names the page, not its file
        # every chart is named by its title and what it shows, every control by its label,
        # and the keyboard reaches each control with a visible focus
        assert page.evaluate(ACCESSIBILITY_PROBLEMS) == []
        assert "Alpha Cloud: $" in page.locator(".vega-embed").nth(1).get_attribute("aria-label")
        assert [keyboard_focus(page) for _ in range(3)] == [
            ("SELECT", label, True) for label in ("Month", "Provider", "Team")]
        provider = page.locator(".wb-controls select").nth(1)
        assert options(provider) == ["All", "Alpha Cloud", "Beta Cloud"]
        t1 = time.perf_counter()
        provider.select_option(index=2)
        page.wait_for_function(f"before => ({SVGS})() !== before", arg=before, timeout=15_000)
        redraw = time.perf_counter() - t1
        page.wait_for_function(f"() => ({SVGS})().includes('provider = Beta Cloud')", timeout=15_000)
        page.wait_for_timeout(500)
        after = page.evaluate(SVGS)
        assert "provider = Beta Cloud" in after and "Alpha Cloud" not in after
        named = page.locator(".vega-embed").evaluate_all("es => es.map(e => e.getAttribute('aria-label'))")
        assert all("provider = Beta Cloud" in n for n in named[1:]), named  # said anew
        # charts of the same kind were redrawn in place (new data in the same view), not rebuilt
        kept = page.evaluate("() => document.querySelectorAll('.vega-embed svg[data-wb-before]').length")
        assert kept >= 6, kept
        provider.select_option(index=0)  # back to every provider: charts grow and must still fit
        page.wait_for_function(f"() => ({SVGS})().includes('Alpha Cloud')", timeout=15_000)
        page.wait_for_timeout(500)
        assert page.evaluate(OUTSIDE) == [], "marks drawn outside their chart"
        month = page.locator(".wb-controls select").first
        assert options(month) == ["2025-03", "2025-02", "2025-01"]
        text = page.inner_text("body")
        assert not ERROR_TEXT.search(text), ERROR_TEXT.search(text)
        assert "page.show(" not in text  # no code shown
    assert blocked == []
    assert first_chart < 60 and redraw < 15
    # in the same test: one server per test session, even when tests are spread over workers
    visitors_cannot_read_files_or_run_code(server)


def visitors_cannot_read_files_or_run_code(server):
    base, root = server["base"], server["root"]
    # a notebook that does not render is not run in a preheated kernel either
    pools = re.findall(r"Kernel pool of (.+) is filled", (root / "server.log").read_text())
    assert pools and all(app.listed_app(nb) for nb in pools), pools
    for path in ("/voila/files/00_overview.ipynb", "/voila/files/../workbench.toml",
                 "/api/contents/", "/terminals/websocket/1", "/lab", "/tree",
                 # Voila's own file browser reads the folder from its contents API
                 "/voila/api/contents", "/voila/api/contents/", "/voila/api/contents/00_overview.ipynb",
                 "/voila/api/contents/drafts", "/voila/tree/drafts", "/voila/tree/drafts?classic-tree=true",
                 "/voila/tree/00_overview.ipynb",
                 # folders of the templates' files, and paths out of them: Voila's handler fails
                 # on them with a 500; and a logout page with no login
                 "/voila/templates/", "/voila/templates/workbench", "/voila/templates/workbench/",
                 "/voila/templates/workbench/static", "/voila/templates/workbench/static/",
                 "/voila/templates/workbench/static/nothing.css", "/voila/templates/lab/static/a/..",
                 "/voila/templates/lab/static/../../../../../../etc/passwd", "/logout",
                 # notebooks the landing page does not list
                 "/voila/render/drafts/draft.ipynb", "/voila/render/drafts%2Fdraft.ipynb",
                 "/voila/render/.hidden.ipynb", "/voila/render/drafts/notes.txt"):
        assert get(base + path)[0] in (403, 404), path
    assert get(base + "/voila/templates/workbench/static/index.css")[0] == 200  # the page's styles
    # the query string picks Voila's file browser (`tree-lab.html`, a script that lists the
    # folder) over the landing page: every one still gets the list of apps, with no script
    for query in ("/?classic-tree=false", "/voila/tree?classic-tree=false", "/voila/tree/?classic-tree=FALSE",
                  "/?classic-tree=false&theme=dark&template=lab", "/voila/tree?classic-tree=true"):
        status, html = get(base + query)
        assert status == 200 and 'class="wb-apps"' in html and "Spend overview" in html, query
        assert "<script" not in html and "00_overview.ipynb</" not in html, query
    status, html = get(base + "/voila/render/00_overview.ipynb")
    assert status == 200
    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', html)
    assert kernel, "no kernel id in the page"
    marker = root / "visitor-ran-code"

    from tornado import gen
    from tornado.ioloop import IOLoop
    from tornado.websocket import websocket_connect

    async def try_execute() -> list[str]:
        ws = await websocket_connect(f"{base.replace('http', 'ws')}/api/kernels/{kernel.group(1)}/channels")
        msg_id = uuid.uuid4().hex
        ws.write_message(json.dumps({
            "channel": "shell", "parent_header": {}, "metadata": {}, "buffers": [],
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": uuid.uuid4().hex,
                       "username": "visitor", "version": "5.3", "date": "2026-01-01T00:00:00Z"},
            "content": {"code": f"open({str(marker)!r}, 'w').write('x')", "silent": False,
                        "store_history": False, "user_expressions": {}, "allow_stdin": False}}))
        replies = []
        deadline = time.time() + 4
        pending = ws.read_message()
        while time.time() < deadline:
            try:  # with_timeout leaves `pending` running: keep waiting on the same read
                msg = await gen.with_timeout(timedelta(seconds=0.5), pending)
            except gen.TimeoutError:
                continue
            if msg is None:
                break
            m = json.loads(msg) if isinstance(msg, str) else {}
            if m.get("parent_header", {}).get("msg_id") == msg_id:
                replies.append(m["header"]["msg_type"])
            pending = ws.read_message()
        ws.close()
        return replies

    replies = IOLoop.current().run_sync(try_execute)
    assert "execute_reply" not in replies
    assert not marker.exists()
    log = (root / "server.log").read_text()
    assert 'Received message of type "execute_request", which is not allowed' in log
