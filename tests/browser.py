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


# WCAG 2.1 AA checks a page can fail by its markup, as "what: where" strings (none: []).
# Charts must be one image named by every title they draw (and, in reports, the amounts);
# tables need a name and column headers; text needs 4.5:1 contrast on its background.
ACCESSIBILITY_PROBLEMS = """() => {
  const out = [];
  const lang = document.documentElement.lang;
  if (!lang) out.push('html without lang');
  if (!document.title.trim()) out.push('no <title>');
  const heads = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')];
  const ones = heads.filter(h => h.tagName === 'H1').length;
  if (ones !== 1) out.push(`${ones} h1 elements`);
  heads.forEach((h, i) => {
    const level = +h.tagName[1], before = i ? +heads[i - 1].tagName[1] : 0;
    if (level > before + 1) out.push(`heading skips a level: ${h.tagName} ${h.textContent.trim()}`);
  });
  document.querySelectorAll('svg.marks').forEach((svg, i) => {
    const host = svg.closest('[aria-label]');
    const name = host ? host.getAttribute('aria-label') : '';
    const role = host ? host.getAttribute('role') : null;
    if (!['img', 'graphics-document'].includes(role)) out.push(`chart ${i}: role ${role}`);
    svg.querySelectorAll('.role-title-text text, .role-title-subtitle text').forEach(t => {
      if (!name.includes(t.textContent.trim())) out.push(`chart ${i}: name lacks "${t.textContent.trim()}"`);
    });
  });
  document.querySelectorAll('table').forEach((t, i) => {
    const by = t.getAttribute('aria-labelledby');
    const named = (t.caption && t.caption.textContent.trim()) || (by && document.getElementById(by));
    if (!named) out.push(`table ${i}: no caption or name`);
    if (!t.querySelector('thead th')) out.push(`table ${i}: no header row`);
    if (t.querySelector('th:not([scope])')) out.push(`table ${i}: th without scope`);
  });
  document.querySelectorAll('a[href]').forEach(a => {
    if (!(a.getAttribute('aria-label') || a.textContent).trim()) out.push(`link without text: ${a.href}`);
  });
  const lum = (c) => {
    const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (e) => {
    for (; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (c !== 'transparent' && !/^rgba\\(.*, 0\\)$/.test(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  document.querySelectorAll('body *').forEach(e => {
    if (e.closest('svg') || !e.offsetParent) return;
    if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) return;
    const [a, b] = [lum(getComputedStyle(e).color), lum(background(e))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) out.push(`contrast ${ratio.toFixed(2)}: ${e.textContent.trim().slice(0, 40)}`);
  });
  return out;
}"""
