"""Headless Chromium lays a page out at a phone's width and says what sticks out: text past
the page's edges, and any amount, date or number kept on one line (`bdi` nowrap) that wrapped
all the same."""

from __future__ import annotations

import html
import json
import re
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
PROBE = """<script>
addEventListener('load', () => {
  const page = document.documentElement.getBoundingClientRect();
  const over = [];  // text laid out beyond the page's edges
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) {
      if (r.width > 0 && (r.right > page.right + 0.5 || r.left < page.left - 0.5)) {
        over.push(n.textContent.trim().slice(0, 60));
        break;
      }
    }
  }
  const wrapped = [...document.querySelectorAll('bdi[style*=nowrap]')]
    .filter(e => e.getClientRects().length > 1).map(e => e.textContent);
  document.body.setAttribute('data-probe', JSON.stringify({over, wrapped}));
});
</script>"""


def headless(options: list[str], uri: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on `uri` with `options` (a screenshot, a DOM dump), in a profile of
    its own that is gone afterwards; its stderr carries the page's console."""
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                *options,
                uri,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )


def overflow(page: str, width: int, folder: Path) -> dict[str, list[str]]:
    """{"over": texts past the page, "wrapped": nowrap values on two lines} at `width` px."""
    html = page.replace("</head>", f"<style>html{{width:{width}px}}</style></head>")
    probe = folder / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"), "utf-8")
    out = headless(["--window-size=1000,2000", "--dump-dom"], probe.as_uri()).stdout
    found = re.search(r'data-probe="([^"]*)"', out)
    assert found, (width, out[-500:])
    result: dict[str, list[str]] = json.loads(
        found.group(1).replace("&quot;", '"').replace("&amp;", "&")
    )
    return result


FRAMES_PROBE = """<script>
addEventListener('load', () => {
  const found = {};
  for (const frame of document.querySelectorAll('iframe')) {
    const doc = frame.contentDocument;
    const edge = doc.documentElement.clientWidth;
    const over = [];  // text laid out beyond the frame's own viewport
    const walk = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const range = doc.createRange();
      range.selectNodeContents(n);
      for (const r of range.getClientRects()) {
        if (r.width > 0 && (r.right > edge + 0.5 || r.left < -0.5)) {
          over.push(n.textContent.trim().slice(0, 60));
          break;
        }
      }
    }
    const wrapped = [...doc.querySelectorAll('[style*=nowrap]')]
      .filter(e => new Set([...e.getClientRects()].map(r => Math.round(r.top))).size > 1)
      .map(e => e.textContent);
    found[frame.name] = {over, wrapped};
  }
  document.body.setAttribute('data-probe', JSON.stringify(found));
});
</script>"""


def overflow_on_phones(
    pages: dict[str, str], widths: tuple[int, ...], folder: Path
) -> dict[str, dict[str, list[str]]]:
    """{"name@width": {"over": ..., "wrapped": ...}} for each page laid out in a viewport of
    each width: an iframe is its page's viewport, so the page's media queries apply as on a
    phone (`overflow` only narrows the page inside a wide window). srcdoc frames share the
    probe's origin, so one Chromium reads them all."""
    frames = "".join(
        f'<iframe name="{html.escape(name)}@{width}" width="{width}" height="2400" '
        f'style="border:0;display:block" srcdoc="{html.escape(page)}"></iframe>'
        for name, page in pages.items()
        for width in widths
    )
    probe = folder / "phones.html"
    probe.write_text(f"<!doctype html><html><body>{frames}{FRAMES_PROBE}</body></html>", "utf-8")
    out = headless(["--window-size=1000,2000", "--dump-dom"], probe.as_uri()).stdout
    found = re.search(r'data-probe="([^"]*)"', out)
    assert found, out[-500:]
    result: dict[str, dict[str, list[str]]] = json.loads(html.unescape(found.group(1)))
    return result
