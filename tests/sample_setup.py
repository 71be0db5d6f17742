"""The sample workbook and config, copied where a test runs xlsdun on them."""

from __future__ import annotations

import shutil
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def copy_sample(folder: Path) -> Path:
    """Copy receivables.xlsx and xlsdun.toml into `folder` (made if missing); the config."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("receivables.xlsx", "xlsdun.toml"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder / "xlsdun.toml"
