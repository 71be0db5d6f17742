"""The README, run as a new user runs it: its quick start on the files `xlsdun init` writes,
untouched, and every command and code example it shows. The examples are read from
README.md itself, so the README cannot drift from what works."""

from __future__ import annotations

import copy
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import click
import pytest

from support.sample_setup import SAMPLE, copy_sample, invoke
from xlsdun import config as config_mod
from xlsdun.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
WORKING_DAY, FRIDAY = "2026-11-26", "2026-11-27"  # a Thursday and a Friday in Israel
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in _BLOCK.findall(README.read_text("utf-8")) if lang == language]


def commands(block: str, *, windows: bool = False) -> list[list[str]]:
    """Each line of a shell block as argv (comments dropped); PowerShell paths made POSIX."""
    lines = []
    for line in block.splitlines():
        if windows:
            line = line.replace("\\", "/").replace(".venv/Scripts/xlsdun", "xlsdun")
        argv = shlex.split(line, comments=True)
        if argv:
            lines.append(argv)
    return lines


def xlsdun_lines(block: str, *, windows: bool = False) -> list[list[str]]:
    return [a[1:] for a in commands(block, windows=windows) if a[0] == "xlsdun"]


def quick_start() -> list[list[str]]:
    """The README's "Using it on your own workbook" block: the one that starts with init."""
    found = [c for b in blocks("sh") if (c := commands(b)) and c[0][:2] == ["xlsdun", "init"]]
    assert len(found) == 1, "the README has one quick start block starting with 'xlsdun init'"
    return found[0]


def as_of(args: list[str], today: str) -> list[str]:
    """`xlsdun ARGS` as of `today`: with --today for a command that takes a date (`init`,
    `check`, `doctor` and `resolve` take none)."""
    takes = any(p.name == "today" for p in main.commands[args[0]].params)
    return [*args, "--today", today] if takes else args


def follow(steps: list[list[str]], start: Path, today: str) -> list[tuple[list[str], str]]:
    """Run the steps as a shell would (cd moves), every xlsdun command as of `today`; each
    must exit 0. Returns (argv, stdout) per xlsdun command."""
    cwd, outputs = start, []
    for argv in steps:
        if argv[0] == "cd":
            cwd = cwd / argv[1]
            continue
        assert argv[0] == "xlsdun", f"the quick start runs only xlsdun and cd: {argv}"
        args = as_of(argv[1:], today)
        old = Path.cwd()
        os.chdir(cwd)
        try:
            code, out, err = invoke(*args)
        finally:
            os.chdir(old)
        assert code == 0, f"xlsdun {' '.join(args)} -> exit {code}\n{out}\n{err}"
        if argv[1] == "init":  # "copy a workbook in": the one init's config names
            shutil.copy(SAMPLE / "receivables.xlsx", cwd / argv[2] / "receivables.xlsx")
        outputs.append((argv, out))
    return outputs


@pytest.mark.parametrize("today", [WORKING_DAY, FRIDAY])
def test_quick_start_on_the_files_init_writes(
    tmp_path: Path, today: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """init -> check -> plan -> run --dry-run -> run, then a second run that sends nothing.
    The config and templates are init's, untouched (issue 12: check failed on them and every
    working-day run refused to send, while a Friday run said all was well)."""
    steps = quick_start()
    outputs = follow(steps, tmp_path, today)
    folder = tmp_path / steps[0][2]
    assert (folder / "templates" / "he" / "friendly.txt.j2").exists()
    check_out = dict((" ".join(a), o) for a, o in outputs)["xlsdun check"]
    assert "every tier renders in every language" in check_out
    emls = sorted((folder / "outbox").rglob("*.eml"))
    reminders = [p for p in emls if not p.name.startswith("digest")]
    again = follow([["xlsdun", "run"]], folder, today)[0][1]
    if today == WORKING_DAY:
        assert len(reminders) >= 10  # the sample has a dozen debtors due a reminder
        assert "Nothing new to send today" in again
    else:
        assert reminders == []
        assert "not a send day" in outputs[-1][1] and "2026-11-29" in outputs[-1][1]
    assert sorted((folder / "outbox").rglob("*.eml")) == emls  # the second run sent nothing


def test_a_broken_template_stops_run_dry_run_and_preview_alike(tmp_path: Path) -> None:
    """The same template check before a real run, a dry run and a preview (exit 2, the file
    named), on a working day and a Friday alike."""
    follow([["xlsdun", "init", "biz"]], tmp_path, WORKING_DAY)
    bad = tmp_path / "biz" / "templates" / "en" / "direct.txt.j2"
    bad.write_text("{{ customer | no_such_filter }}\n", encoding="utf-8")
    config = str(tmp_path / "biz" / "xlsdun.toml")
    for args in (
        ["run", "--dry-run"],
        ["preview"],
        ["preview", "--all-tiers"],
        ["run"],
        ["check"],
    ):
        for today in (WORKING_DAY, FRIDAY):
            code, out, err = invoke(*as_of([*args, "--config", config], today))
            assert code == 2, (args, today, out, err)
            assert "direct.txt.j2" in err and "Traceback" not in err + out
    assert not (tmp_path / "biz" / "outbox").exists()


def test_windows_lines_run_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PowerShell block's xlsdun line, on a copy made as its own lines make it."""
    (block,) = blocks("powershell")
    lines = xlsdun_lines(block, windows=True)
    assert lines == [["run", "--config", "demo-out/xlsdun.toml", "--today", WORKING_DAY]]
    copy_sample(tmp_path / "demo-out")
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke(*lines[0])
    assert code == 0, err
    assert "written to outbox" in out


def test_install_schedule_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each install-schedule line of the README, as written (into a temporary home)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(copy_sample(tmp_path / "shop").parent)
    copy_sample(tmp_path / "books" / "clients" / "bakery")  # the README's /home/books
    lines = [a for b in blocks("sh") for a in xlsdun_lines(b) if a[0] == "install-schedule"]
    assert len(lines) >= 3
    for args in lines:
        args = [a.replace("/home/books", str(tmp_path / "books")) for a in args]
        code, out, err = invoke(*args)
        assert code == 0, (args, out, err)
        assert "To enable it" in out


def test_several_clients_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run` and `schedule` over a glob of client folders, as the bookkeepers' block shows."""
    for name in ("bakery", "garage"):
        copy_sample(tmp_path / "clients" / name)
    monkeypatch.chdir(tmp_path)
    lines = {a[0]: a for b in blocks("sh") for a in xlsdun_lines(b) if "--config" in a}
    code, out, err = invoke(*lines["run"], "--today", WORKING_DAY)
    assert code == 0, err
    assert "bakery" in out and "garage" in out
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    daemon = subprocess.Popen(
        [sys.executable, "-m", "xlsdun", *lines["schedule"]],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and daemon.poll() is None:
            logs = list((tmp_path / "clients").glob("*/.xlsdun/logs/xlsdun.log"))
            if any("scheduler" in p.read_text("utf-8") for p in logs):
                break
            time.sleep(0.2)
        assert daemon.poll() is None, daemon.communicate()
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, err
    assert "Traceback" not in err


def test_the_commands_table(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command in the README's table runs (with a customer or answer where it needs
    one), and the table lists no command this test does not run."""
    shown = set(_commands_table())
    monkeypatch.chdir(demo)
    monkeypatch.setenv("HOME", str(demo / "home"))
    runs = [
        ["init", "elsewhere"],
        ["check"],
        ["plan"],
        ["preview", "--all-tiers"],
        ["preview"],
        ["run", "--dry-run"],
        ["approve", "Meridian Print House"],
        ["run"],
        ["report"],
        ["doctor", "--no-login"],
        ["install-schedule", "--cron"],
    ]
    ran = {r[0] for r in runs}
    assert shown - {"schedule", "resolve"} <= ran, shown - ran  # those two: below
    for args in runs:
        argv = args if args[0] == "install-schedule" else as_of(args, WORKING_DAY)
        code, out, err = invoke(*argv)
        # doctor warns (no schedule enabled here), which is exit 0; exit 1 is a crash
        assert code == 0, (args, out, err)
        assert "Traceback" not in out + err
    code, _, err = invoke("resolve", "Meridian", "--sent")
    assert code == 2 and "waiting to be resolved" in err  # nothing ambiguous: said plainly


def _options(command: click.Command) -> set[str]:
    """The long options of a command, as its --help lists them (hidden ones and --help aside)."""
    return {
        name
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden
        for name in p.opts
        if name.startswith("--") and name != "--help"
    }


def _commands_table() -> dict[str, str]:
    """The README's table of commands: command -> its row."""
    table = README.read_text("utf-8").split("All the commands:")[1].split("\n\n")[1]
    rows = (re.match(r"\| `xlsdun ([a-z-]+)", line) for line in table.splitlines())
    return {row.group(1): row.string for row in rows if row}


def _shared_options(commands: set[str]) -> dict[str, set[str]]:
    """The README's table of shared options: option -> the commands it says take it."""
    table = README.read_text("utf-8").split("The options commands share")[1].split("\n\n")[1]
    shared = {}
    for line in table.splitlines()[2:]:  # after the header and its rule
        option, taken_by, _ = (cell.strip() for cell in line.strip().strip("|").split("|", 2))
        named = set(re.findall(r"`([a-z-]+)`", taken_by))
        every = taken_by.startswith("every command but")
        shared[option.strip("`").split()[0]] = commands - named if every else named
    return shared


def undocumented(group: click.Group) -> list[str]:
    """What the README gets wrong about the commands of `group`: a command without a row in
    its table of commands, an option neither in the command's row nor given to it by the
    table of shared options, an option the README gives a command that does not take it."""
    commands = {name: c for name, c in group.commands.items() if not c.hidden}
    rows = _commands_table()
    shared = _shared_options(set(commands))
    problems = [f"xlsdun {name}: no row" for name in sorted(set(commands) - set(rows))]
    problems += [f"xlsdun {name}: no such command" for name in sorted(set(rows) - set(commands))]
    for name in sorted(set(commands) & set(rows)):
        said = set(re.findall(r"--[a-z][a-z-]*", rows[name]))
        said |= {option for option, taken_by in shared.items() if name in taken_by}
        real = _options(commands[name])
        problems += [f"xlsdun {name} {o}: not in the README" for o in sorted(real - said)]
        problems += [f"xlsdun {name} {o}: in the README, not taken" for o in sorted(said - real)]
    text = README.read_text("utf-8")
    problems += [
        f"xlsdun {o}: not in the README" for o in _options(group) if f"xlsdun {o}" not in text
    ]
    return problems


def test_the_readme_documents_every_command_and_option() -> None:
    """Every command has a row in the README's table, every option is in that row or in the
    table of shared options, and the README gives no command an option it does not take (as
    sqlite-utils checks its docs)."""
    assert undocumented(main) == []


def test_a_command_or_option_added_without_docs_is_caught() -> None:
    """The check above bites: a new command, a new option, a shared option given to one more
    command (`--json` was accepted and ignored by `approve`), one a command no longer takes,
    each is named."""
    approve = copy.copy(main.commands["approve"])
    approve.params = [*approve.params, click.Option(["--json"], is_flag=True)]
    plan = copy.copy(main.commands["plan"])
    plan.params = [*(p for p in plan.params if p.name != "as_json"), click.Option(["--colour"])]
    group = click.Group(
        "xlsdun",
        commands={**main.commands, "approve": approve, "plan": plan, "new": click.Command("new")},
        params=main.params,
    )
    assert undocumented(group) == [
        "xlsdun new: no row",
        "xlsdun approve --json: not in the README",
        "xlsdun plan --colour: not in the README",
        "xlsdun plan --json: in the README, not taken",
    ]
    del group.commands["check"]
    assert "xlsdun check: no such command" in undocumented(group)


def test_the_config_example_loads(tmp_path: Path) -> None:
    """The README's configuration block is a valid config, key for key."""
    (example,) = [b for b in blocks("toml") if "[workbook]" in b]
    tomllib.loads(example)
    path = tmp_path / "xlsdun.toml"
    path.write_text(example, encoding="utf-8")
    (tmp_path / "templates").mkdir()  # what `xlsdun init` made beside it
    cfg = config_mod.load(path)
    assert cfg.policy.early_payment_discount > 0 and cfg.delivery.max_per_day == 400


def test_python_examples(demo: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """The 'Using it from Python' snippets, run as they are, in a folder with the sample."""
    monkeypatch.chdir(demo)
    snippets = blocks("python")
    assert len(snippets) >= 2
    for code in snippets:
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own examples
    printed = capsys.readouterr().out
    assert "Meridian Print House" in printed
    assert (demo / "outbox" / WORKING_DAY).is_dir()
    # Plan.to_frame()'s aging: tiers down, a balance column per currency across
    aging = next(line for line in printed.splitlines() if "balance_ILS" in line)
    assert "balance_EUR" in aging and "balance_USD" in aging
    assert re.search(r"^escalate\s+[\d.]+\s+[\d.]+\s+[\d.]+$", printed, re.MULTILINE)
    # read_frame's aging: tiers down, a column per currency across, ILS owed at two tiers
    assert re.search(r"^currency\s+EUR\s+ILS\s+USD$", printed, re.MULTILINE)
    assert re.search(r"^(escalate|final)\s+NaN\s+[\d.]+\s+NaN$", printed, re.MULTILINE)
