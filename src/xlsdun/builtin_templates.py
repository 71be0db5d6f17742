"""Where xlsdun's built-in templates are: the project's top-level templates/ folder,
installed as the package `xlsdun.templates` (pyproject.toml maps it).

Found through importlib.resources, not beside this file: in the source tree the folder is
not next to the code, and the package mapping resolves it in an editable install and an
installed wheel alike. Kept apart from render/ so the digest can find its templates without
importing the message renderer (Babel, the sandbox).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder() -> Path:
    """The templates folder on disk: Jinja's FileSystemLoader and `xlsdun init` read files.

    pip always installs a package as files, so anything else (a zip import) is a broken
    install rather than something to work around."""
    folder = files("xlsdun.templates")
    if not isinstance(folder, Path):
        raise ImportError(f"xlsdun's templates are not files on disk ({folder}): reinstall xlsdun")
    return folder


BUILTIN_TEMPLATES: Path = _folder()
"""en/ and he/ (the messages, which `xlsdun init` copies out) and digest/ (the owner's)."""

DIGEST_TEMPLATES: Path = BUILTIN_TEMPLATES / "digest"

__all__ = ["BUILTIN_TEMPLATES", "DIGEST_TEMPLATES"]
