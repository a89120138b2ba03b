"""Live charts for apps: a Vega-Lite chart widget that redraws by swapping data.

Altair's JupyterChart re-embeds the whole chart on every change and, offline, ships its own
900 kB copy of Vega with every chart (each one is parsed again by the browser). Here:

- `VegaRuntime`: one widget per kernel whose module is the offline Vega bundle; it hands
  Vega to the charts of the page, so the library is sent and parsed once.
- `LiveChart`: a small widget holding a chart as four parts (`split_spec`): its shape,
  its datasets under stable names, its title, and its description (the data in words,
  its accessible name with the title). When only data, title or description change (a
  control moved), the browser updates the running view in place (assets/live_chart.js).

Nothing is loaded from a CDN: the bundle is made by vl-convert from the libraries it ships.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import anywidget
import traitlets

ASSETS = Path(__file__).resolve().parent / "assets"
TITLE_PLACEHOLDER = "title"  # replaced by a signal in the browser, never drawn
# Sets the page-wide slot the chart module waits on (see assets/live_chart.js).
RUNTIME_SNIPPET = """
const slot = (globalThis.__workbenchVega ??= (() => {
  let resolve;
  const ready = new Promise((r) => { resolve = r; });
  return { ready, resolve };
})());
slot.resolve({ vegaEmbed, vegaLite, vega });
export default { initialize() {} };
"""


def split_spec(spec: dict) -> dict[str, Any]:
    """A Vega-Lite spec (dict) as {shape, datasets, title, description}.

    Datasets are renamed in order of appearance (wb_data_0, ...) so that two charts of the
    same kind with other data have the same shape; the title's text and subtitle move to
    `title` and leave placeholders behind (the browser binds them to signals). The chart's
    description (what it shows in words: it changes with the data) is a part of its own;
    the browser makes title and description the chart's accessible name (live_chart.js).
    """
    datasets = spec.get("datasets") or {}
    names = {old: f"wb_data_{i}" for i, old in enumerate(datasets)}
    shape = _renamed({k: v for k, v in spec.items() if k not in ("datasets", "description")},
                     names)
    title: dict[str, Any] = {}
    raw = shape.get("title")
    if raw is not None:
        params = dict(raw) if isinstance(raw, dict) else {"text": raw}
        title["text"] = params.get("text", "")
        params["text"] = TITLE_PLACEHOLDER
        if "subtitle" in params:
            title["subtitle"] = params["subtitle"]
            params["subtitle"] = TITLE_PLACEHOLDER
        shape["title"] = params
    return {"shape": shape, "datasets": {names[k]: v for k, v in datasets.items()},
            "title": title, "description": str(spec.get("description") or "")}


def _renamed(node, names: dict[str, str]):
    """A copy of a spec with every named-data reference {"name": old} renamed."""
    if isinstance(node, dict):
        out = {k: _renamed(v, names) for k, v in node.items()}
        ref = out.get("data")
        if isinstance(ref, dict) and ref.get("name") in names:
            out["data"] = {**ref, "name": names[ref["name"]]}
        return out
    if isinstance(node, list):
        return [_renamed(v, names) for v in node]
    return node


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one ES module (made once, then read from a cache
    file: bundling takes about a second and every app kernel needs it)."""
    import vl_convert as vlc

    key = hashlib.sha256(f"{vlc.__version__}\n{RUNTIME_SNIPPET}".encode()).hexdigest()[:16]
    cache_dir = _cache_root() / "workbench"
    path = cache_dir / f"vega-{key}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    text = vlc.javascript_bundle(RUNTIME_SNIPPET)
    try:  # written whole or not at all: kernels may start together
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: bundle again next time
    return text


def _cache_root() -> Path:
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"])
    try:
        return Path.home() / ".cache"
    except RuntimeError:  # no home directory (a service account): the temp folder will do
        return Path(tempfile.gettempdir())


class VegaRuntime(anywidget.AnyWidget):
    """Loads the offline Vega bundle once for the whole page (never displayed)."""


_runtime: VegaRuntime | None = None


def runtime() -> VegaRuntime:
    """This kernel's runtime widget, made on first use (again if it was closed)."""
    global _runtime
    if _runtime is None or _runtime.comm is None:
        _runtime = VegaRuntime(_esm=vega_bundle())
    return _runtime


class LiveChart(anywidget.AnyWidget):
    """A chart that redraws in place; `show(spec)` sends only the parts that changed."""

    _esm = ASSETS / "live_chart.js"
    shape = traitlets.Dict().tag(sync=True)
    datasets = traitlets.Dict().tag(sync=True)
    title = traitlets.Dict().tag(sync=True)
    description = traitlets.Unicode().tag(sync=True)

    def __init__(self, spec: dict | None = None, **kwargs):
        runtime()
        super().__init__(**kwargs)
        if spec is not None:
            self.show(spec)

    def show(self, spec: dict) -> None:
        """Draw a Vega-Lite spec (as Altair's `to_dict()` gives it)."""
        self.draw(split_spec(spec))

    def draw(self, parts: dict[str, Any]) -> None:
        """Draw a chart already split by `split_spec`; unchanged parts send nothing."""
        with self.hold_sync():  # one message, one redraw in the browser
            for name, value in parts.items():
                setattr(self, name, value)

    @property
    def spec(self) -> dict:
        """The Vega-Lite spec the chart shows (shape, data and title put back together)."""
        spec = json.loads(json.dumps(self.shape))
        if self.datasets:
            spec["datasets"] = self.datasets
        if self.description:
            spec["description"] = self.description
        if "title" in spec:
            spec["title"] = {**spec["title"], **self.title}
        return spec
