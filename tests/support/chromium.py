"""Headless Chromium lays a page out at a phone's width and says what sticks out: text past
the page's edges, and any amount, date or number kept on one line (`bdi` nowrap) that wrapped
all the same."""

from __future__ import annotations

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


def overflow(page: str, width: int, folder: Path) -> dict[str, list[str]]:
    """{"over": texts past the page, "wrapped": nowrap values on two lines} at `width` px."""
    html = page.replace("</head>", f"<style>html{{width:{width}px}}</style></head>")
    probe = folder / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"), "utf-8")
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--window-size=1000,2000",
                "--dump-dom",
                probe.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    found = re.search(r'data-probe="([^"]*)"', out)
    assert found, (width, out[-500:])
    result: dict[str, list[str]] = json.loads(
        found.group(1).replace("&quot;", '"').replace("&amp;", "&")
    )
    return result
