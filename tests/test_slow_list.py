"""The slow list in conftest.py stays true to the tests: each name it holds is a test, and a
module it names only in part keeps fast tests for `make test-fast`."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import SLOW_MODULES, SLOW_TESTS, is_slow

HERE = Path(__file__).parent


def _listed() -> dict[str, set[str]]:
    """{test module: the tests SLOW_TESTS names in it}"""
    listed: dict[str, set[str]] = {}
    for entry in SLOW_TESTS:
        file, test = entry.split("::")
        listed.setdefault(file, set()).add(test)
    return listed


def test_every_slow_module_exists_and_is_not_also_listed_test_by_test() -> None:
    for file in SLOW_MODULES:
        assert (HERE / file).is_file(), file
    assert not SLOW_MODULES & set(_listed())


@pytest.mark.parametrize("file", sorted(_listed()))
def test_each_listed_test_exists_and_its_module_keeps_fast_ones(file: str) -> None:
    module = importlib.import_module(file.removesuffix(".py"))
    tests = {name for name in vars(module) if name.startswith("test_")}
    assert _listed()[file] <= tests
    assert tests - _listed()[file], f"{file}: every test is slow, list the module instead"


def test_every_parametrization_of_a_listed_test_is_slow_and_its_neighbours_are_not() -> None:
    def item(path: Path, name: str) -> SimpleNamespace:
        return SimpleNamespace(path=path, name=name, originalname=name.split("[")[0])

    hostile = HERE / "test_read_hostile.py"
    huge = "test_a_huge_cell_above_or_in_the_header_row_costs_no_memory"
    assert is_slow(item(hostile, f"{huge}[title]")) and is_slow(item(hostile, f"{huge}[header]"))
    assert not is_slow(
        item(hostile, "test_an_absurd_amount_is_a_finding_and_the_others_are_reminded")
    )
    assert is_slow(item(HERE / "test_crash.py", "test_anything_in_a_slow_module"))
    assert not is_slow(item(HERE / "test_policy.py", huge))  # the name alone is not enough


def test_the_run_marks_exactly_the_listed_tests(request: pytest.FixtureRequest) -> None:
    for item in request.session.items:
        assert (item.get_closest_marker("slow") is not None) == is_slow(item), item.nodeid
