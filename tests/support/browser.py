"""Headless Chromium from the Debian package, driven by playwright (never ``playwright install``).

``.ci/setup.d/30-chromium.sh`` installs ``chromium`` on a fresh machine. Helpers check what a
person with a keyboard or weak eyesight needs: every link reachable with Tab and visibly
focused, and text contrast (WCAG 2 ratio of text and background colours, computed in the page).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Where screenshots go (kept after the run; the final report names them).
SCREENS = Path(os.environ.get("RIS_SCREENS_DIR") or Path(__file__).resolve().parents[1] / "output" / "screens")

# Contrast of every visible text node with the background it is drawn on (first opaque
# background of its ancestors, white at the root); alpha of the text colour blended in.
CONTRAST_JS = """
() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return [0,0,0,1];
    const p = m[1].split(',').map(x => parseFloat(x)); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r,g,b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v/12.92 : Math.pow((v+0.055)/1.055, 2.4); };
    return 0.2126*f(r) + 0.7152*f(g) + 0.0722*f(b); };
  const bgOf = el => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0.99) return c; } return [255,255,255,1]; };
  const out = []; const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) { const n = walker.currentNode; if (!n.textContent.trim()) continue;
    const el = n.parentElement; const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || st.visibility === 'hidden') continue;
    const fg = parse(st.color), bg = bgOf(el);
    const mix = fg.slice(0,3).map((v,i) => v*fg[3] + bg[i]*(1-fg[3]));
    const a = lum(mix), b = lum(bg); const ratio = (Math.max(a,b)+0.05)/(Math.min(a,b)+0.05);
    out.push({text: n.textContent.trim().slice(0,40), tag: el.tagName, ratio: Math.round(ratio*100)/100}); }
  return out; }
"""

# The focused element: its href/text and whether its focus is visible (an outline or a changed background).
FOCUS_JS = """
() => { const el = document.activeElement; if (!el || el === document.body) return null;
  const st = getComputedStyle(el);
  return {tag: el.tagName, href: el.getAttribute('href'), text: (el.textContent || '').trim().slice(0, 60),
          outline: st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2, outlineWidth: st.outlineWidth,
          background: st.backgroundColor}; }
"""


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (skips the test where the Debian package is missing)."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("chromium is not installed; .ci/setup.d/30-chromium.sh installs it (CI skips nothing)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot in :data:`SCREENS`."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def low_contrast(page: Any, minimum: float = 4.5) -> list[dict[str, Any]]:
    """Text nodes of the page whose contrast ratio is below ``minimum``."""
    return [t for t in page.evaluate(CONTRAST_JS) if t["ratio"] < minimum]


def tab_through(page: Any, limit: int = 400) -> list[dict[str, Any]]:
    """Press Tab from the top until focus comes back round; the focused elements in order."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_JS)
        if focused is None or (seen and focused == seen[0] and len(seen) > 1):
            break
        seen.append(focused)
    return seen


def link_count(page: Any) -> int:
    return int(page.evaluate("() => document.querySelectorAll('a[href]').length"))


def dialogs_of(page: Any) -> list[str]:
    """The messages of the dialogs ``page`` opens from now on (each dismissed): a script that ran
    (``alert(1)`` in hostile text) shows up here."""
    seen: list[str] = []

    def dismiss(dialog: Any) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return seen
