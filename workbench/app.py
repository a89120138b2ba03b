"""`workbench app`: the notebooks as Voila apps, locked down for visitors.

- Listens on 127.0.0.1 unless --host says otherwise.
- The landing page `/` lists the apps (the notebooks of notebooks/) by title, with what each
  is for, whatever the query string (`?classic-tree=false` asks Voila for its file browser);
  nothing else is browsable: no contents API, no tree of a subfolder, and only those apps
  render (a notebook kept in a subfolder, a draft say, does not).
- Visitors use the controls but cannot run code: the kernel websocket accepts only widget
  and kernel-info messages (no execute, complete or inspect requests); no static file is
  served from the notebook folder; tracebacks are not sent to the browser; a URL cannot pick
  another template or theme. Voila has no terminals and no file editor. An address that
  serves nothing answers 404 or 403, not 500.
- Kernels are preheated (a pool per app that has already run the notebook with its
  defaults), so a visitor sees the first chart without waiting for a kernel. A notebook
  that does not render (a draft, a hidden one) gets no pool: it is never run.
- The store is ingested once here, before Voila starts, so kernels open it read-only.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import posixpath
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from workbench.config import Config, load_config
from workbench.errors import WorkbenchError

ASSETS_JUPYTER = Path(__file__).resolve().parent / "assets" / "jupyter"
# Messages a visitor's browser may send to a kernel: widget traffic and kernel info.
ALLOWED_MESSAGES = ("comm_open", "comm_msg", "comm_close", "comm_info_request", "kernel_info_request")


def catalog(folder: Path) -> dict[str, dict[str, str]]:
    """Notebook file name -> {title, summary}, from each notebook's first markdown cell, for
    the landing page (a notebook that cannot be read is listed by its file name)."""
    import nbformat

    from workbench.render import summary_of, title_of

    out = {}
    for path in sorted(folder.glob("*.ipynb")):
        if not listed_app(path.name):  # a hidden notebook is not for visitors
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # listed by name; opening it shows the problem
            continue
        out[path.name] = {"title": title_of(nb, path.stem), "summary": summary_of(nb)}
    return out


def landing_hook(apps: dict[str, dict[str, str]]):
    """A Voila page-config hook that hands the catalog to the landing page (tree.html)."""

    def hook(page_config: dict, **_) -> dict:
        page_config["workbenchApps"] = apps
        return page_config  # the notebook page uses what the hook returns

    return hook


def template_file(path: str) -> bool:
    """Whether `path` (what follows `/voila/templates/`) is a file of a template's static
    folder, `TEMPLATE/static/FILE`, written plainly (no `.`, `..`, `//` or final slash).

    Voila's handler of these addresses takes every path to be so: a folder
    (`workbench/static/`) or a path that climbs out of one fails in it with a 500."""
    template, static, file = (path.split("/", 2) + ["", ""])[:3]
    return (posixpath.normpath(path) == path and template not in ("", "..")
            and static == "static" and file != "")


def template_files_handler():
    """Voila's handler of template files, answering 404 to what template_file refuses."""
    from tornado.web import HTTPError
    from voila.static_file_handler import TemplateStaticFileHandler

    class TemplateFiles(TemplateStaticFileHandler):
        def parse_url_path(self, path):
            if not template_file(path):
                raise HTTPError(404)
            return super().parse_url_path(path)

    return TemplateFiles


def listed_app(path: str) -> bool:
    """Whether `path` (what follows `/voila/render/`, decoded) names a notebook of the app
    folder itself, as the landing page lists them: Voila renders any notebook under its
    folder, a draft kept in a subfolder included, and `%2F` in an address is a slash."""
    return "/" not in path and "\\" not in path and path.endswith(".ipynb") and not path.startswith(".")


def not_preheated(folder: Path) -> str:
    """The pattern of the notebooks under `folder` that Voila is to preheat no kernel for:
    those listed_app refuses, in a subfolder or hidden. Voila preheats every notebook under
    its folder and matches the pattern from the start of the notebook's absolute path."""
    return re.escape(os.path.join(os.path.abspath(folder), "")) + r"(.*[/\\]|\.)"


def render_handler():
    """Voila's notebook handler, answering 404 to what listed_app refuses."""
    from tornado.web import HTTPError
    from voila.tornado.handler import TornadoVoilaHandler

    class ListedApps(TornadoVoilaHandler):
        async def get(self, path=None):
            if not listed_app(path or ""):
                raise HTTPError(404)
            return await super().get(path)

    return ListedApps


def locked_handlers(handlers: list) -> list:
    """Voila's routes less those that list the notebook folder: the contents API (which
    Voila's own file browser reads) and the tree of a subfolder. `/` and `/voila/tree` stay,
    and render the landing page (tree.html; tree-lab.html is the same page). `/logout` goes
    too (there is no login, and its page fails with a 500), and template files are served
    by template_files_handler and notebooks by render_handler."""
    from jupyter_server.auth.logout import LogoutHandler
    from voila.static_file_handler import TemplateStaticFileHandler
    from voila.tornado.contentshandler import VoilaContentsHandler
    from voila.tornado.handler import TornadoVoilaHandler
    from voila.tornado.treehandler import TornadoVoilaTreeHandler

    out = []
    for pattern, handler, *rest in handlers:
        if handler is VoilaContentsHandler or (isinstance(handler, type) and issubclass(handler, LogoutHandler)):
            continue
        if handler is TornadoVoilaTreeHandler and "(?P<path>" in pattern:
            pattern = pattern[:pattern.index("(?P<path>")] + "/?"  # the root folder only
        if handler is TemplateStaticFileHandler:
            handler = template_files_handler()
        if handler is TornadoVoilaHandler:
            handler = render_handler()
        out.append((pattern, handler, *rest))
    return out


def locked_voila():
    """Voila's application class, serving only the routes of locked_handlers."""
    from voila.app import Voila

    class LockedVoila(Voila):
        def init_handlers(self) -> list:
            return locked_handlers(super().init_handlers())

    return LockedVoila


def voila_argv(notebooks: Path, host: str, port: int, pool_size: int) -> list[str]:
    """Voila's command line for a locked-down, preheated, offline app server."""
    argv = [
        str(notebooks),
        "--no-browser",
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.file_allowlist=a^",  # a pattern no path matches: serve no files
        "--VoilaConfiguration.theme=light",
        "--VoilaConfiguration.classic_tree=True",  # our tree.html: the apps by title, no script
        "--VoilaConfiguration.template=workbench",  # assets/jupyter/voila/templates: no CDN
        # and no other: a URL's ?template=lab (classic, reveal) would load from CDNs
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        f"--MappingKernelManager.allowed_message_types={json.dumps(list(ALLOWED_MESSAGES))}",
        # a visitor who leaves must not keep a kernel (and its memory) forever
        "--MappingKernelManager.cull_idle_timeout=1800",
        "--MappingKernelManager.cull_interval=300",
    ]
    if pool_size > 0:
        argv += ["--VoilaConfiguration.preheat_kernel=True",
                 f"--VoilaConfiguration.default_pool_size={pool_size}",
                 f"--VoilaKernelManager.preheat_denylist={json.dumps([not_preheated(notebooks)])}"]
    return argv


def check_address(host: str, port: int) -> None:
    """Fail in one line, before the data is loaded, when the apps cannot be served at
    host:port; Voila would say only "name or service not known" or "no available port"."""
    import socket

    todo = "pass --host H and --port N, or set [app] host and port in workbench.toml"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        why = (getattr(exc, "strerror", None) or str(exc)).lower()
        raise WorkbenchError(f"{host}: not a name or address to serve on ({why}); {todo}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
        try:
            probe.bind(address)
        except OSError as exc:
            why = ("the port is in use: is the app already running?" if exc.errno == errno.EADDRINUSE
                   else (exc.strerror or str(exc)).lower())
            raise WorkbenchError(f"{host}:{port}: cannot serve the apps there ({why}); {todo}") from None


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise WorkbenchError(f"cannot write {type(v).__name__} to a config file")


def config_toml(config: Config) -> str:
    """The config as TOML, every data path absolute (the file is read from elsewhere)."""
    raw = config.model_dump(by_alias=True, exclude={"root"}, exclude_none=True)
    data = raw["data"]
    data["focus"] = [str(config.path(p)) for p in config.data.focus]
    for key, value in list(data.items()):
        if key != "focus" and isinstance(value, str):
            data[key] = str(config.path(value))
    lines = []
    for section, body in raw.items():
        if isinstance(body, list):  # [[workloads]]
            for item in body:
                lines += [f"[[{section}]]", *(f"{k} = {_toml_value(v)}" for k, v in item.items()), ""]
        else:
            lines += [f"[{section}]", *(f"{k} = {_toml_value(v)}" for k, v in body.items()), ""]
    return "\n".join(lines)


def kernel_config_file(config: Config) -> tuple[str, bool]:
    """The config file the notebooks' kernels load (WORKBENCH_CONFIG), and whether it was
    written for them (to remove afterwards).

    Kernels run in the notebooks' folder, where looking for workbench.toml finds the
    checkout's, not the one the command found in the working folder (or no file): its pages
    would show another config's data. So they get the file the command read, or, when it
    read none, its defaults written out with absolute paths."""
    if config.file is not None:
        return str(Path(config.file).resolve()), False
    fd, path = tempfile.mkstemp(prefix="workbench-config-", suffix=".toml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(config_toml(config))
    return path, True


@contextlib.contextmanager
def kernels_config(config: Config, written: str | None = None) -> Iterator[str]:
    """WORKBENCH_CONFIG for the notebooks' kernels while the block runs (see
    kernel_config_file; `written`: a file already written for them), then as it was, and a
    file written for them removed."""
    path, made = (written, True) if written else kernel_config_file(config)
    before = os.environ.get("WORKBENCH_CONFIG")
    os.environ["WORKBENCH_CONFIG"] = path
    try:
        yield path
    finally:
        if before is None:
            os.environ.pop("WORKBENCH_CONFIG", None)
        else:
            os.environ["WORKBENCH_CONFIG"] = before
        if made:
            Path(path).unlink(missing_ok=True)


def app_config(config: Config, data: list[str] | None) -> tuple[Config, str | None]:
    """With --data: the same config reading those files into their own store, written to a
    file the kernels load (WORKBENCH_CONFIG). Returns (config, path or None)."""
    if not data:
        return config, None
    from workbench.report import retire_data_stores, store_path

    store = store_path(config, data)
    retire_data_stores(config, store)
    new = config.model_copy(update={"data": config.data.model_copy(
        update={"focus": data, "store": str(store)})})
    fd, path = tempfile.mkstemp(prefix="workbench-app-", suffix=".toml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(config_toml(new))
    return new, path


def run_app(args) -> int:
    """`workbench app [--port N] [--host H] [--data PATH...]`."""
    config = load_config(getattr(args, "config", None))
    data = [str(Path(d).resolve()) for d in args.data] if getattr(args, "data", None) else None
    config, generated = app_config(config, data)
    with kernels_config(config, generated):
        return _serve(args, config, data)


def _serve(args, config: Config, data: list[str] | None) -> int:
    from workbench.report import ensure_kernel, notebooks_dir
    from workbench.store import open_store

    host = getattr(args, "host", None) or config.app.host
    port = getattr(args, "port", None) or config.app.port
    folder = notebooks_dir(config)
    if not any(folder.glob("*.ipynb")):
        raise WorkbenchError(f"{folder}: no notebooks to serve")
    check_address(host, port)

    print("loading the billing data ...", file=sys.stderr, flush=True)
    with open_store(data=data, config=config) as s:  # ingest once, then close (read-only)
        months = s.months()
    if not months:
        raise WorkbenchError("the store holds no charges")
    ensure_kernel("python3")
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {host}: anyone who can reach this address can use the apps",
              file=sys.stderr, flush=True)
    print(f"serving the apps at http://{'[' + host + ']' if ':' in host else host}:{port}/ "
          "(Ctrl-C stops)", file=sys.stderr, flush=True)
    os.environ["WORKBENCH_MODE"] = "app"  # kernels: offline live charts (see charts.py)
    # our Voila template (assets/jupyter/voila/templates/workbench) comes first
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(ASSETS_JUPYTER), *filter(None, [os.environ.get("JUPYTER_PATH")])])
    from traitlets.config import Config as TraitletsConfig

    hook = TraitletsConfig({"VoilaConfiguration": {"page_config_hook": landing_hook(catalog(folder))}})
    locked_voila().launch_instance(argv=voila_argv(folder, host, port, config.app.pool_size), config=hook)
    return 0
