"""Shared fixtures: the sample in a temporary folder, log files closed after each test, and a
scripted SMTP server with the sample set up to use it; and which tests are `slow`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.imap_server import Dovecot
from support.sample_setup import copy_sample
from support.smtp_server import PASSWORD, SmtpServer
from support.spamassassin import SpamAssassin, find
from xlsdun import logs

# The tests that take a second or more where most take a fraction of one (measured with
# pytest --durations): real processes killed with SIGKILL, a 120-day simulation, generated
# benchmark workbooks, huge cells, many-example hypothesis properties, a wheel build, a
# headless browser, several CLI runs in a row, a month of runs scored by SpamAssassin, the
# inbox's SIGKILL and month against Dovecot. One list here rather than a mark in each file;
# `make test-fast` (pytest -m "not slow") leaves them out, `make test` and CI run everything.
# Every module not listed whole keeps its fast tests (test_slow_list.py checks it).
SLOW_MODULES = frozenset(
    {
        "test_crash.py",
        "test_inbox_month.py",
        "test_inbox_oauth2.py",
        "test_simulation.py",
        "test_writer_crash.py",
    }
)
SLOW_TESTS = frozenset(
    {
        "test_attachments.py::test_a_run_refuses_each_hostile_attachment_and_sends_everyone_else",
        "test_attachments.py::test_dry_run_and_preview_refuse_the_same_files_and_copy_nothing",
        "test_bench_smoke.py::test_benchmark_runs_on_200_invoices",
        "test_bench_smoke.py::test_the_speedups_benchmark_runs_a_pair",
        "test_cli_e2e.py::test_wheel_ships_the_templates",
        "test_corpus_fidelity.py::test_corpus_second_write_changes_only_owned_cells",
        "test_delivery_backends.py::test_wrong_password_with_debug_never_shows_the_password",
        "test_inbox_imap.py::test_replies_bounces_and_auto_replies_steer_the_next_plan",
        "test_digest.py::test_report_opens_in_headless_chromium",
        "test_ledger.py::test_random_sequences_follow_the_table",
        "test_mime_differential.py::test_any_name_and_subject_read_the_same",
        "test_owner_words.py::test_the_digest_and_report_fit_a_phone_in_chromium",
        "test_packaging.py::test_a_wheel_built_from_the_sdist_installs_templates_that_init_copies",
        "test_speedups.py::test_the_portable_paths_do_the_same_work",
        "test_policy_properties.py::test_no_rule_changes_the_context_it_is_given",
        "test_policy_properties.py::test_no_send_to_excluded_paid_held_promised_or_disputed",
        "test_policy_properties.py::test_one_action_per_debtor",
        "test_policy_properties.py::test_plan_leaves_its_inputs_as_they_were",
        "test_policy_properties.py::test_replaying_the_day_with_recorded_history_plans_nothing_new",
        "test_policy_properties.py::test_tiers_rise_at_most_one_step_and_first_contact_at_most_plan",
        "test_private.py::test_a_run_under_umask_022_creates_nothing_others_can_read",
        "test_read_chunks.py::test_a_wide_sheet_is_read_in_fewer_rows_at_a_time_with_the_same_result",
        "test_read_hostile.py::test_a_huge_cell_above_or_in_the_header_row_costs_no_memory",
        "test_read_hostile.py::test_a_huge_cell_in_a_field_is_a_finding_without_reading_it_whole",
        "test_read_hostile.py::test_the_benchmark_workbook_passes_the_package_checks",
        "test_read_layouts.py::test_sidecar_open_in_excel_keeps_outcomes_for_next_run",
        "test_readme.py::test_a_broken_template_stops_run_dry_run_and_preview_alike",
        "test_readme.py::test_quick_start_on_the_files_init_writes",
        "test_readme.py::test_several_clients_lines",
        "test_readme.py::test_the_commands_table",
        "test_runlock.py::test_sigkill_leaves_no_orphan_and_the_next_run_sends_the_rest_once",
        "test_spam_score.py::test_a_month_of_daily_runs_scores_under_2",
    }
)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests SLOW_MODULES and SLOW_TESTS name (every parametrization of a test)."""
    _check_slow_names(items)
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)


def is_slow(item: pytest.Item) -> bool:
    name = getattr(item, "originalname", item.name)
    return item.path.name in SLOW_MODULES or f"{item.path.name}::{name}" in SLOW_TESTS


def _check_slow_names(items: list[pytest.Item]) -> None:
    """A renamed or deleted test would silently leave the slow list (and join the fast
    suite): refuse to run until the list is brought up to date."""
    here = Path(__file__).parent
    modules = {item.path.name: item.module for item in items if isinstance(item, pytest.Function)}
    stale = sorted(name for name in SLOW_MODULES if not (here / name).is_file())
    for entry in sorted(SLOW_TESTS):
        file, test = entry.split("::")
        module = modules.get(file)
        if module is not None and not hasattr(module, test):
            stale.append(entry)
    if stale:
        raise pytest.UsageError(f"tests/conftest.py names tests that do not exist: {stale}")


@pytest.fixture(autouse=True)
def _close_logs() -> Iterator[None]:
    """A run attaches log files, and remembers secrets to redact; each test leaves neither
    behind (a 2-letter test password would otherwise be redacted in every later test)."""
    kept = [(store, list(store)) for store in (logs._secrets, logs._short, logs._by_length)]
    yield
    logs.detach_all()
    for store, before in kept:
        store.clear()
        if isinstance(store, set):
            store.update(before)
        else:
            store.extend(before)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A folder with the sample workbook and config, as `make demo` starts from."""
    copy_sample(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def spamassassin(tmp_path_factory: pytest.TempPathFactory) -> SpamAssassin:
    """The installed SpamAssassin with a fresh home directory for the session (skips, or
    fails where XLSDUN_REQUIRE_SPAMASSASSIN is set, if it is not installed)."""
    return find(tmp_path_factory.mktemp("spamassassin-home"))


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[Callable[..., SmtpServer]]:
    """Start servers on 127.0.0.1: `smtp_server(security="starttls", login=..., script=...)`."""
    started: list[SmtpServer] = []

    def start(**kwargs: object) -> SmtpServer:
        server = SmtpServer(tmp_path, **kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[SmtpServer], None]:
    """The password in the environment and the server's test CA trusted, as a user sets up."""

    def apply(server: SmtpServer, password: str = PASSWORD) -> None:
        monkeypatch.setenv("XLSDUN_SMTP_PASSWORD", password)
        if server.ca_file:
            monkeypatch.setenv("XLSDUN_SMTP_CAFILE", str(server.ca_file))

    return apply


@pytest.fixture
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set this machine's time zone (TZ) for the test; restored after."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    """One real Dovecot for the session (tests/support/imap_server.py); skips without it."""
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def imap(dovecot_server: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Dovecot:
    """The session's Dovecot with an empty INBOX, its password in XLSDUN_IMAP_PASSWORD and
    its test CA trusted (as a user sets up)."""
    from support.imap_server import PASSWORD

    dovecot_server.empty()
    monkeypatch.setenv("XLSDUN_IMAP_PASSWORD", PASSWORD)
    if dovecot_server.ca_file:
        monkeypatch.setenv("XLSDUN_SMTP_CAFILE", str(dovecot_server.ca_file))
    return dovecot_server
