"""The check report as a town sends it to its vendor: ``ris-connector check`` writes Markdown and
HTML; both are rendered in headless Chromium (Markdown through a CommonMark renderer with tables
and raw HTML enabled, as code hosts show it), screenshot, checked for contrast, and hostile
text from the endpoint stays text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from ris_connector.sample.server import OParlServer
from tests.support.browser import chromium, dialogs_of, low_contrast, screenshot
from tests.support.recorded_oparl import RecordedOParl, karlsruhe, wuppertal

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)> | `tick` [link](javascript:alert(3))"
MD_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>report.md</title><style>
body{{max-width:70rem;margin:0 auto;padding:1rem;font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff}}
table{{border-collapse:collapse}}th,td{{border:1px solid #c8c8c8;padding:.3rem .5rem;overflow-wrap:anywhere}}
</style></head><body>{body}</body></html>"""


def hostile() -> RecordedOParl:
    origin = "https://ris.evil.example"
    system = {
        "id": f"{origin}/oparl/system",
        "type": "https://schema.oparl.org/1.1/System",
        "oparlVersion": "https://schema.oparl.org/1.1/",
        "name": EVIL,
        "body": f"{origin}/oparl/bodies",
    }
    lists_of = {k: f"{origin}/oparl/bodies/1/{k}s" for k in ("organization", "person", "meeting", "paper")}
    body = {
        "id": f"{origin}/oparl/bodies/1",
        "type": "https://schema.oparl.org/1.1/Body",
        "name": EVIL,
        "legislativeTerm": [],
    }
    body.update(lists_of)
    papers = [
        {"id": f"{origin}/oparl/papers/1", "type": "https://schema.oparl.org/1.1/Paper", "name": EVIL, "reference": ""},
        {"type": "https://schema.oparl.org/1.1/Paper", "name": EVIL},  # no id: quarantined
    ]
    lists = {lists_of["paper"]: papers, lists_of["meeting"]: [], lists_of["organization"]: [], lists_of["person"]: []}
    return RecordedOParl(origin, system, [body], lists)


def _check_cli(url: str, out: Path) -> int:
    cmd = [sys.executable, "-m", "ris_connector", "-q", "check", url, "--out", str(out), "--rate-limit", "0"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.exists(), done.stderr
    return done.returncode


def _show(browser: Any, tmp_path: Path, name: str, url: str) -> None:
    md_file, html_file = tmp_path / f"{name}.md", tmp_path / f"{name}.html"
    assert _check_cli(url, md_file) == 1  # deviations found
    assert _check_cli(url, html_file) == 1
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(md_file.read_text(encoding="utf-8"))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs = dialogs_of(page)
    for kind, load in (("md", lambda: page.set_content(MD_PAGE.format(body=rendered))),
                       ("html", lambda: page.goto(html_file.as_uri()))):  # fmt: skip
        load()
        assert page.evaluate("() => document.scripts.length + document.images.length") == 0, kind
        assert (
            page.evaluate(
                "() => [...document.querySelectorAll('a')].filter(a => a.href.startsWith('javascript')).length"
            )
            == 0
        )
        headings = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
        assert "Deviations from the specification" in headings and "Compared with oparl-validator-rs" in headings, kind
        poor = low_contrast(page)
        assert not poor, f"{name} {kind}: {poor[:5]}"
        screenshot(page, f"check-{name}-{kind}")
    assert not dialogs


def test_check_reports_rendered_in_chromium(tmp_path: Path) -> None:
    with chromium() as browser:
        with OParlServer(scale=0.02) as demo:  # the data `ris-connector demo` serves
            _show(browser, tmp_path, "demo", demo.system_url)
        for name, server in (("karlsruhe", karlsruhe()), ("wuppertal", wuppertal()), ("hostile", hostile())):
            with server:
                _show(browser, tmp_path, name, server.system_url)
    hostile_md = (tmp_path / "hostile.md").read_text(encoding="utf-8")
    assert "<script>" not in hostile_md and "\\<script\\>" in hostile_md
    table_rows = [line for line in hostile_md.splitlines() if line.startswith("| ")]
    assert all(line.count(" | ") == table_rows[0].count(" | ") for line in table_rows[:2])


def test_check_of_a_missing_out_directory(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "ris_connector",
        "check",
        "http://127.0.0.1:9/system",
        "--out",
        str(tmp_path / "no" / "r.md"),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no such directory" in done.stderr


def test_check_of_an_unreachable_endpoint_says_so(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    cmd = [sys.executable, "-m", "ris_connector", "check", "http://127.0.0.1:9/system", "--out", str(out)]
    cmd += ["--read-timeout", "2"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    text = out.read_text(encoding="utf-8")
    assert "cannot be read" in text and "request-failed" in text


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_format_follows_the_file_name(tmp_path: Path, suffix: str) -> None:
    with wuppertal() as srv:
        out = tmp_path / f"r{suffix}"
        assert _check_cli(srv.system_url, out) == 1
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>" if suffix == ".html" else "# Conformance")
