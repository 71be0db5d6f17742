"""The templates live in the top-level templates/ folder and ship as the package
`xlsdun.templates`: the editable install, an sdist, a wheel built from it and that wheel
installed elsewhere all find the same files, and an installed `xlsdun init` copies them out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from setuptools import find_packages

from xlsdun import templates as templates_package
from xlsdun.builtin_templates import BUILTIN_TEMPLATES, DIGEST_TEMPLATES
from xlsdun.render import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"
]


def _message_templates(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for language in LANGUAGES
        for p in (root / language).glob("*.j2")
    }


def _all_templates(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.j2")}


def test_every_package_is_listed_for_setuptools() -> None:
    """An explicit package list (the price of mapping templates/ into the package) must not
    forget a package added under src/ later, nor a template folder."""
    template_folders = {
        f"xlsdun.templates.{p.name}"
        for p in TEMPLATES.iterdir()
        if p.is_dir() and any(p.glob("*.j2"))
    }
    expected = {*find_packages("src"), "xlsdun.templates", *template_folders}
    assert set(SETUPTOOLS["packages"]) == expected
    assert SETUPTOOLS["package-dir"] == {"": "src", "xlsdun.templates": "templates"}


def test_the_editable_install_reads_the_top_level_folder() -> None:
    assert BUILTIN_TEMPLATES.resolve() == TEMPLATES.resolve()
    assert Path(templates_package.__file__ or "").resolve().parent == TEMPLATES.resolve()
    assert (DIGEST_TEMPLATES / "digest.html.j2").is_file()
    assert not (ROOT / "src" / "xlsdun" / "templates").exists()  # one copy only
    files = _message_templates(TEMPLATES)
    for language in LANGUAGES:
        for tier in ("courtesy", "friendly", "direct", "plan", "final"):
            for part in ("subject", "txt", "html"):
                assert f"{language}/{tier}.{part}.j2" in files


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _clean_copy(dest: Path) -> Path:
    """What a fresh checkout holds for packaging: no build/, egg-info or caches left by an
    earlier build that could hide a file the configuration forgot."""
    dest.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in ("src", "templates"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")
def test_a_wheel_built_from_the_sdist_installs_templates_that_init_copies(
    tmp_path: Path,
) -> None:
    """sdist -> wheel (what `python -m build` does) -> a throwaway venv -> `xlsdun init`."""
    source = _clean_copy(tmp_path / "source")
    dist = tmp_path / "dist"
    py = sys.executable
    _run(py, "-c", "import setuptools; setuptools.setup()", "-q", "sdist", "-d", dist, cwd=source)
    (sdist,) = dist.glob("xlsdun-*.tar.gz")
    _run(
        py,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        dist,
        sdist,
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("xlsdun-*.whl")

    venv = tmp_path / "venv"
    _run(py, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    venv_py = venv / "bin" / "python"
    _run(py, "-m", "pip", "--python", venv_py, "install", "-q", "--no-deps", wheel, cwd=tmp_path)
    # The dependencies come from the test environment's site-packages, added after the
    # venv's own: its .pth files (the editable install of xlsdun) are not processed there.
    site = Path(
        _run(
            venv_py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).strip()
    )
    here = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "zz_test_deps.pth").write_text("\n".join(here) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}

    probe = (
        "import xlsdun, xlsdun.builtin_templates as b; from xlsdun.render import builtin_renderer;"
        "print(xlsdun.__file__); print(b.BUILTIN_TEMPLATES); print(b.DIGEST_TEMPLATES);"
        "print(builtin_renderer().check())"
    )
    module, templates, digest, problems = _run(
        venv_py, "-c", probe, cwd=tmp_path, env=env
    ).splitlines()
    assert Path(module).is_relative_to(site) and Path(templates).is_relative_to(site)
    assert Path(digest) == Path(templates) / "digest"
    assert _all_templates(Path(templates)) == _all_templates(TEMPLATES)  # digest/ too
    assert problems == "[]"  # every message renders from the installed templates

    work = tmp_path / "work"
    _run(venv / "bin" / "xlsdun", "init", work, cwd=tmp_path, env=env)
    copied = _message_templates(work / "templates")
    assert copied == _message_templates(TEMPLATES)
    assert not (work / "templates" / "digest").exists()
