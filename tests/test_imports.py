"""`import xlsdun` stays cheap: the API (`run_once`, `make_plan`, `plan`, `config`) loads
when first used (PEP 562), so a script or a submodule that needs the errors, the models or
the policy does not pay for the workbook reader, the renderer and the terminal."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = {"jinja2", "lxml", "python_calamine", "pandas", "openpyxl", "babel", "rich", "click"}


def loaded_after(statement: str) -> set[str]:
    """The top-level packages a fresh interpreter has loaded after running `statement`."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_import_xlsdun_loads_no_heavy_library() -> None:
    assert loaded_after("import xlsdun") & HEAVY == set()


def test_the_api_loads_when_it_is_used() -> None:
    assert {"jinja2", "lxml"} <= loaded_after("import xlsdun\nxlsdun.run_once")
    assert "click" not in loaded_after("from xlsdun import config, make_plan, plan, run_once")


def test_the_lazy_names_are_the_library_s_own() -> None:
    import xlsdun
    from xlsdun import config, engine, policy

    assert xlsdun.run_once is engine.run_once and xlsdun.make_plan is engine.make_plan
    assert xlsdun.plan is policy.plan and xlsdun.config is config
    assert {"config", "make_plan", "plan", "run_once", "__version__"} <= set(dir(xlsdun))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = xlsdun.nope  # type: ignore[attr-defined]


def test_import_policy_loads_no_template_engine() -> None:
    assert loaded_after("import xlsdun.policy") & {"jinja2", "babel", "rich", "click"} == set()


def test_import_policy_loads_no_workbook_library() -> None:
    assert loaded_after("import xlsdun.policy") & {"lxml", "python_calamine"} == set()
