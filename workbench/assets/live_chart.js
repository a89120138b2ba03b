// A live Vega-Lite chart that redraws by swapping its data, not by re-embedding.
//
// The kernel sends four parts (see live_chart.py): `shape` (the spec without its data and
// title text), `datasets` (rows by stable name), `title` ({text, subtitle}) and
// `description` (what the chart shows in words). A change of
// data or title only updates the running Vega view (view.data, title signals): no compile,
// no parse, no new DOM. A change of shape (another kind of chart, such as "no spend in this
// selection") embeds the chart again. Vega itself comes from the page's one runtime widget
// (VegaRuntime), so the 900 kB library is loaded once per page, not once per chart.

const slot = (globalThis.__workbenchVega ??= (() => {
  let resolve;
  const ready = new Promise((r) => { resolve = r; });
  return { ready, resolve };
})());

const TITLE = "wb_title";
const SUBTITLE = "wb_subtitle";

// A swap changes how many bars or panels a chart has: lay the view out again on every
// update (Vega sizes a view once by default, which would clip a chart that grows).
function resizable(vg) {
  const autosize = typeof vg.autosize === "string" ? { type: vg.autosize } : (vg.autosize ?? { type: "pad" });
  vg.autosize = { ...autosize, resize: true };
}

// Vega titles accept signals: bind text and subtitle to two signals the swap can set.
function titleSignals(vg, title) {
  if (vg.title == null) return false;
  if (typeof vg.title === "string" || Array.isArray(vg.title)) vg.title = { text: vg.title };
  vg.signals = [...(vg.signals ?? []),
    { name: TITLE, value: title.text ?? "" },
    { name: SUBTITLE, value: title.subtitle ?? "" }];
  vg.title.text = { signal: TITLE };
  if ("subtitle" in vg.title) vg.title.subtitle = { signal: SUBTITLE };
  return true;
}

// The chart's accessible name: its title, subtitle and what it shows in words (the kernel's
// `description`, charts.py). Vega puts it on the container, as role graphics-document.
function label(model) {
  const title = model.get("title") ?? {};
  const sub = Array.isArray(title.subtitle) ? title.subtitle.join(" ") : (title.subtitle ?? "");
  const head = sub ? `${title.text ?? ""} (${sub})` : (title.text ?? "");
  const said = model.get("description") ?? "";
  if (!(head && said)) return head || said;
  return `${head}${/[.?!]$/.test(head) ? "" : "."} ${said}`;
}

function showError(el, error) {
  el.textContent = "This chart could not be drawn: " + (error?.message ?? error);
  el.style.color = "#a33";
}

const WAIT_MS = 30000; // for the runtime widget's module (900 kB) on a slow machine

async function render({ model, el }) {
  const waited = await Promise.race([
    slot.ready,
    new Promise((resolve) => setTimeout(() => resolve(null), WAIT_MS)),
  ]);
  if (waited === null) {
    showError(el, new Error("the chart library did not load; reload the page"));
    return () => {};
  }
  const { vegaEmbed } = waited;
  let view = null;
  let shown = null; // JSON of the shape the view was embedded with
  let titled = false;
  let queued = false;
  let chain = Promise.resolve();

  const embed = async () => {
    const shape = model.get("shape");
    const spec = structuredClone(shape);
    spec.datasets = structuredClone(model.get("datasets"));
    const title = model.get("title") ?? {};
    if (view) view.finalize();
    const result = await vegaEmbed(el, spec, {
      renderer: "svg", actions: false, mode: "vega-lite",
      patch: (vg) => {
        resizable(vg);
        titled = titleSignals(vg, title);
        vg.description = label(model);
        return vg;
      },
    });
    view = result.view;
    shown = JSON.stringify(shape);
  };

  const swap = async () => {
    for (const [name, rows] of Object.entries(model.get("datasets"))) {
      view.data(name, structuredClone(rows));
    }
    if (titled) {
      const title = model.get("title") ?? {};
      view.signal(TITLE, title.text ?? "").signal(SUBTITLE, title.subtitle ?? "");
    }
    view.description(label(model));
    await view.runAsync();
  };

  const apply = async () => {
    queued = false;
    if (view === null || JSON.stringify(model.get("shape")) !== shown) await embed();
    else await swap();
  };

  // One kernel message may change all three parts: draw once, after the last of them.
  const schedule = () => {
    if (queued) return;
    queued = true;
    chain = chain.then(apply).catch((error) => showError(el, error));
  };

  model.on("change:shape", schedule);
  model.on("change:datasets", schedule);
  model.on("change:title", schedule);
  model.on("change:description", schedule);
  schedule();
  return () => {
    model.off("change:shape", schedule);
    model.off("change:datasets", schedule);
    model.off("change:title", schedule);
    model.off("change:description", schedule);
    if (view) view.finalize();
  };
}

export default { render };
