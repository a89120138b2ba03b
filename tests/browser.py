"""Headless Chromium (Debian's, through Playwright) for the report and app tests."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|\b[A-Z]\w*(Error|Exception)\b")

A4_PRINT_WIDTH = 703  # px at 96 dpi: 210 mm less the report's 12 mm side margins
# Elements that stick out of the page or scroll sideways, as "tag.class" strings.
PRINT_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    const x = getComputedStyle(e).overflowX;
    return r.width > 0 && (r.right > width + 1 ||
      (['auto', 'scroll'].includes(x) && e.scrollWidth > e.clientWidth + 1));
  }).map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'));
}"""

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(), reason=f"{CHROMIUM} not installed (`make browser` installs it)")


@contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def guarded_page(b, allowed: tuple[str, ...]):
    """A page whose requests outside `allowed` prefixes are blocked and recorded."""
    page = b.new_page(viewport={"width": 1100, "height": 900})
    blocked: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(allowed) or url.startswith(("data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    return page, blocked


def chart_marks(page, selector: str = "svg.marks") -> list[int]:
    """For every chart SVG on the page: how many mark elements it drew."""
    return page.locator(selector).evaluate_all(
        "els => els.map(s => s.querySelectorAll('g.role-mark > *').length)")
