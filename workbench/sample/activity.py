"""Business activity behind the bill: requests, documents, tokens and training schedules.

One place computes the drivers, and both the bill (billing.py) and drivers.csv read them,
so that token spend is exactly tokens x price and fleet sizes follow traffic.
"""

from __future__ import annotations

import numpy as np

from workbench.sample.company import APPLICATIONS
from workbench.sample.timeline import Window, rng

GROWTH_PER_YEAR = 0.5  # continuous rate: about +65% a year
WEEKEND = {"assistant": 0.72, "semantic-search": 0.8, "doc-intelligence": 0.35}
LAUNCH_STEP = {"assistant": 1.6, "semantic-search": 1.25, "doc-intelligence": 1.0}
# Tokens per request (input, output) for the assistant before and after the model refresh.
ASSISTANT_TOKENS = {"atlas-1": (1200, 350), "atlas-2": (1400, 650)}
API_SHARE = 0.6  # share of assistant requests answered through the Lexica API
DOC_TOKENS = (9000, 1500)  # per document processed by doc-intelligence
EMBED_PER_QUERY, EMBED_PER_DOC = 40, 900


def growth(win: Window) -> np.ndarray:
    return np.exp(GROWTH_PER_YEAR * np.arange(win.n) / 365.0)


def weekday(win: Window) -> np.ndarray:
    """0 = Monday ... 6 = Sunday for every day of the window."""
    return (win.days.astype("datetime64[D]").astype(np.int64) + 3) % 7


def _tokens(x: np.ndarray) -> np.ndarray:
    """Whole hundreds of tokens, so that PricingQuantity in 1M tokens has 4 decimals exactly."""
    return (np.round(x / 100.0) * 100).astype(np.int64)


def schedule(win: Window, seed: int, name: str, on: tuple[int, int], off: tuple[int, int]) -> np.ndarray:
    """Training campaigns: True on the days a cluster runs (on/off lengths drawn per campaign)."""
    r = rng(seed, "schedule", name)
    out = np.zeros(win.n, dtype=bool)
    i = int(r.integers(0, off[1] + 1))
    while i < win.n:
        length = int(r.integers(on[0], on[1] + 1))
        out[i:i + length] = True
        i += length + int(r.integers(off[0], off[1] + 1))
    return out


def activity(win: Window, seed: int, anomaly: dict[int, float]) -> dict[str, np.ndarray]:
    """Daily series keyed by name; `anomaly` maps day index -> token multiplier (retry loop)."""
    g, wd = growth(win), weekday(win)
    launched = np.arange(win.n) >= win.launch
    refreshed = np.arange(win.n) >= win.refresh
    out: dict[str, np.ndarray] = {}
    for app, spec in APPLICATIONS.items():
        r = rng(seed, "app", app)
        noise = r.lognormal(0.0, 0.05, win.n)
        week = np.where(wd >= 5, WEEKEND[app], 1.0)
        step = np.where(launched, LAUNCH_STEP[app], 1.0)
        level = g * week * step * noise
        if app == "doc-intelligence":
            out["docs:doc-intelligence"] = np.round(spec["base_documents"] * level).astype(np.int64)
            out["requests:doc-intelligence"] = out["docs:doc-intelligence"] * 3  # pages
        else:
            out[f"requests:{app}"] = np.round(spec["base_requests"] * level).astype(np.int64)
        req = out[f"requests:{app}"]
        users_rate = spec.get("users_per_request", 0.02)
        out[f"users:{app}"] = np.round(req * users_rate * r.lognormal(0, 0.03, win.n)).astype(np.int64)

    # Assistant through the API: atlas-1 until the refresh, atlas-2 after.
    r = rng(seed, "tokens", "assistant")
    api_req = out["requests:assistant"] * API_SHARE
    for model, (tin, tout) in ASSISTANT_TOKENS.items():
        live = ~refreshed if model == "atlas-1" else refreshed
        out[f"tok:assistant-chat-api:{model}:Input Tokens"] = _tokens(api_req * tin * r.lognormal(0, 0.04, win.n) * live)
        out[f"tok:assistant-chat-api:{model}:Output Tokens"] = _tokens(api_req * tout * r.lognormal(0, 0.05, win.n) * live)

    # Semantic search: queries and newly indexed documents are embedded.
    r = rng(seed, "tokens", "search")
    docs_indexed = np.round(out["requests:semantic-search"] * 0.12 * r.lognormal(0, 0.2, win.n)).astype(np.int64)
    out["docs:semantic-search"] = docs_indexed
    out["tok:search-embed-api:embed-3:Embedding Tokens"] = _tokens(
        out["requests:semantic-search"] * EMBED_PER_QUERY + docs_indexed * EMBED_PER_DOC)

    # Document intelligence: a retry loop multiplies tokens without processing more documents.
    r = rng(seed, "tokens", "docai")
    mult = np.ones(win.n)
    for day, m in anomaly.items():
        mult[day] = m
    docs = out["docs:doc-intelligence"]
    out["tok:docai-batch-extractor:swift-1:Input Tokens"] = _tokens(docs * DOC_TOKENS[0] * mult * r.lognormal(0, 0.04, win.n))
    out["tok:docai-batch-extractor:swift-1:Output Tokens"] = _tokens(docs * DOC_TOKENS[1] * mult * r.lognormal(0, 0.05, win.n))

    # Evaluation: LLM-as-judge runs on weekdays, bigger around the launch and the refresh.
    r = rng(seed, "tokens", "evals")
    evals = np.where(wd < 5, 1.0, 0.1) * r.lognormal(0, 0.3, win.n) * g
    near = (np.abs(np.arange(win.n) - win.launch) < 14) | (np.abs(np.arange(win.n) - win.refresh) < 14)
    evals = evals * np.where(near, 3.0, 1.0)
    out["requests:evaluation"] = np.round(evals * 4000).astype(np.int64)
    out["tok:eval-judge-api:atlas-2:Input Tokens"] = _tokens(out["requests:evaluation"] * 2600.0)
    out["tok:eval-judge-api:atlas-2:Output Tokens"] = _tokens(out["requests:evaluation"] * 300.0)
    return out
