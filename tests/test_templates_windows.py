"""Templates edited on Windows (issue 17): Notepad saves CRLF line ends and, as "UTF-8 with
BOM", a byte-order mark. A user's template folder holding such copies of the built-in
templates renders every message exactly as the originals do."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from xlsdun.builtin_templates import BUILTIN_TEMPLATES
from xlsdun.render.catalog import EMAIL_TIERS, VARIANT_TEMPLATES
from xlsdun.render.renderer import builtin_renderer
from xlsdun.render.samples import sample_action

TODAY = date(2026, 11, 26)


def _windows_copy(folder: Path) -> Path:
    """The built-in templates as Notepad would save them: CRLF, and a BOM on each file."""
    shutil.copytree(BUILTIN_TEMPLATES, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for path in folder.rglob("*.j2"):
        text = path.read_text("utf-8").replace("\n", "\r\n")
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return folder


@pytest.mark.parametrize("language", ["en", "he"])
def test_crlf_and_bom_templates_render_as_the_originals(tmp_path: Path, language: str) -> None:
    edited = builtin_renderer(template_dir=_windows_copy(tmp_path / "templates"))
    original = builtin_renderer()
    cases = [(tier, "standard") for tier in EMAIL_TIERS]
    cases += [("plan", variant) for variant in VARIANT_TEMPLATES]
    for tier, variant in cases:
        act = sample_action(language, tier, variant, today=TODAY)
        mine = edited.render_parts(act, today=TODAY)
        theirs = original.render_parts(act, today=TODAY)
        assert mine == theirs, (tier, variant)
        assert "\ufeff" not in mine.subject + mine.text + mine.html
        assert "\r" not in mine.text
