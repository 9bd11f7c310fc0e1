"""The `utfall` command line's habits: --version, one logging set-up for every command
(-v/-q), English help texts with the exit codes, and `utfall airflow-admin`."""

from __future__ import annotations

import inspect
import json
import logging
import re
import stat
import subprocess
import tomllib
from importlib.metadata import version

import pytest
import typer
from typer.testing import CliRunner

from tests.conftest import REPO, VENV_BIN, cli_env, deliver, pid, query
from utfall.evaluation import socioeconomic
from utfall.cli.main import app


@pytest.fixture(autouse=True)
def logging_left_as_it_was():
    """Commands run in this process (CliRunner) set up logging: undo it for the tests after."""
    root, ours = logging.getLogger(), logging.getLogger("utfall")
    handlers, root_level, our_level = root.handlers[:], root.level, ours.level
    yield
    root.handlers[:] = handlers
    root.setLevel(root_level)
    ours.setLevel(our_level)


def utfall(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "utfall"), *args], env=env, capture_output=True, text=True, timeout=300)


def region_file(month: int) -> tuple[str, str, str]:
    return ("region_vard", f"region_vard_2024{month:02d}.csv",
            f"person_id;manad;oppenvardsbesok;slutenvardsdagar\n{pid(1)};2024-{month:02d};2;0\n"
            f"{pid(2)};2024-{month:02d};0;4\n")


# --- --version and logging --------------------------------------------------------------


def test_version_prints_the_installed_version(home) -> None:
    result = utfall(cli_env(home), "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"utfall {version('utfall')}\n"
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert version("utfall") == project["version"] == "0.1.0"


def test_info_logs_show_by_default_and_quiet_silences_them(home) -> None:
    env = cli_env(home)
    deliver(home, *region_file(1))
    shown = utfall(env, "load")
    assert shown.returncode == 0, shown.stderr
    assert "region_vard_202401.csv: 2 rows loaded into raw.region_vard" in shown.stderr

    deliver(home, *region_file(2))
    quiet = utfall(env, "-q", "load")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""  # not the INFO line of the file it loaded
    assert "Load summary" in quiet.stdout  # the result itself is not logging: -q keeps it
    assert query(home, "SELECT file_name, rows_loaded FROM raw.loads ORDER BY file_name") == [
        ("region_vard_202401.csv", 2), ("region_vard_202402.csv", 2)]


def test_verbose_shows_debug_messages_for_any_command(home) -> None:
    env = cli_env(home)
    deliver(home, *region_file(1))
    assert utfall(env, "-q", "load").returncode == 0
    # ledger logs nothing of its own: the set-up is the callback's, shared by every command
    plain = utfall(env, "ledger")
    verbose = utfall(env, "-v", "ledger")
    assert plain.returncode == verbose.returncode == 0, verbose.stderr
    assert "DEBUG" not in plain.stderr
    assert re.search(rf"DEBUG\s+utfall {re.escape(version('utfall'))}, UTFALL_HOME={re.escape(str(home.home))}",
                     verbose.stderr), verbose.stderr
    assert "region_vard" in verbose.stdout


def test_verbose_and_quiet_exclude_each_other(home) -> None:
    result = utfall(cli_env(home), "-v", "-q", "ledger")
    assert result.returncode == 2
    assert "--verbose and --quiet exclude each other" in result.stderr


# --- help texts -------------------------------------------------------------------------

# Words that only a Swedish sentence has (no English word is spelt so).
SWEDISH_WORDS = {
    "och", "eller", "för", "att", "som", "inte", "med", "på", "är", "till", "ska", "bara", "aldrig",
    "utan", "varje", "alla", "finns", "saknas", "anges", "skrivs", "upprepas", "kolumner", "kolumn",
    "rad", "rader", "filen", "fil", "värde", "slutkod", "tabell", "stället", "beräknad", "felaktig",
    "se", "ur", "standardvärden", "ett", "av", "om", "personer", "kalkyl",
}
# Names English text keeps: the product, the organisations, and the values a command accepts.
ALLOWED = {"utfall", "förbund", "samordningsförbund", "personnummer",
           *socioeconomic.OUTCOMES, *(s.name for s in socioeconomic.PARAMETER_SPECS)}


def is_group(command) -> bool:
    return hasattr(command, "commands")  # typer's own (vendored) click: no click.Group to test against


def all_commands() -> list[tuple[list[str], object]]:
    """(words after `utfall`, command) of every command and group, from the typer app itself."""
    found: list[tuple[list[str], object]] = []

    def walk(path: list[str], command) -> None:
        found.append((path, command))
        if is_group(command):
            for name, sub in command.commands.items():
                walk([*path, name], sub)

    walk([], typer.main.get_command(app))
    return found


def rendered_help(path: list[str]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "120", "TERMINAL_WIDTH": "120"})
    assert result.exit_code == 0, result.output
    # one line of plain words: no box drawing, no line breaks of the layout
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


def swedish_words(text: str) -> set[str]:
    words = {w.lower() for w in re.findall(r"\w+", text) if "_" not in w and not any(c.isdigit() for c in w)}
    return {w for w in words - ALLOWED if w in SWEDISH_WORDS or set(w) & set("åäö")}


def documented_exit_codes(help_text: str) -> set[int]:
    """The codes of 'Exit codes: 0 …; 1 …; 2 …' in the description (before the option boxes)."""
    description = help_text.split("Exit codes:", 1)[1].split("Options", 1)[0].split("Arguments", 1)[0]
    return {int(code) for code in re.findall(r"(?:^|;)\s*(\d)\b", description)}


def test_the_command_list_is_complete() -> None:
    names = {" ".join(path) for path, command in all_commands() if not is_group(command)}
    assert {"load", "build", "gate", "evaluate", "waive", "sql", "ledger", "socioeconomic",
            "db init-roles", "contracts show", "airflow-admin"} <= names
    assert len(names) == 17, sorted(names)


@pytest.mark.parametrize("path", [p for p, c in all_commands() if not is_group(c)], ids=" ".join)
def test_every_command_help_is_english_and_lists_its_exit_codes(path: list[str]) -> None:
    text = rendered_help(path)
    assert not swedish_words(text), (path, swedish_words(text))
    assert "Exit codes:" in text, text
    codes = documented_exit_codes(text)
    # 0 for success and 2 for a usage error (click's), and every code the command's own body raises
    command = dict((tuple(p), c) for p, c in all_commands())[tuple(path)]
    raised = {int(n) for n in re.findall(r"typer\.Exit\((\d)\)", inspect.getsource(command.callback))}
    assert {0, 2} | raised <= codes, (path, codes, raised)


@pytest.mark.parametrize("path", [p for p, c in all_commands() if is_group(c)], ids=" ".join)
def test_group_help_is_english_and_names_the_global_options(path: list[str]) -> None:
    text = rendered_help(path)
    assert not swedish_words(text), (path, swedish_words(text))
    if not path:
        assert all(option in text for option in ("--verbose", "-v", "--quiet", "-q", "--version"))


def test_the_swedish_check_finds_the_old_texts() -> None:
    # The calculator's help before it was translated: the check must catch it.
    old = "Slutkod 0: beräknad. 2: felaktig fil eller parameter (fil, rad, kolumn och regel anges)."
    assert {"slutkod", "beräknad", "felaktig", "eller", "och"} <= swedish_words(old)
    assert documented_exit_codes("Exit codes: 0 shown; 2 usage error or unknown feed. Options --help") == {0, 2}


def test_contracts_show_refuses_an_unknown_feed_with_exit_2(home) -> None:
    result = utfall(cli_env(home), "contracts", "show", "no_such_feed")
    assert result.returncode == 2
    assert "unknown feed 'no_such_feed'" in result.stderr
    assert "Traceback" not in result.stderr


# --- airflow-admin ----------------------------------------------------------------------


def test_airflow_admin_sets_the_password_and_keeps_other_users(home, tmp_path) -> None:
    passwords = tmp_path / "auth" / "passwords.json"
    passwords.parent.mkdir()
    passwords.write_text('{"viewer1": "generated-by-airflow"}\n')
    env = {**cli_env(home), "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer1:viewer",
           "AIRFLOW_ADMIN_PASSWORD": "Secret42fromEnv"}
    result = utfall(env, "airflow-admin", "--user", "admin")
    assert result.returncode == 0, result.stderr
    assert json.loads(passwords.read_text()) == {"viewer1": "generated-by-airflow", "admin": "Secret42fromEnv"}
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
    assert "Secret42fromEnv" not in result.stdout + result.stderr
    assert list(passwords.parent.iterdir()) == [passwords]  # no staged copy left behind

    # again with a new password: replaced, not added
    result = utfall({**env, "AIRFLOW_ADMIN_PASSWORD": "Changed7"}, "airflow-admin")
    assert result.returncode == 0, result.stderr
    assert json.loads(passwords.read_text()) == {"viewer1": "generated-by-airflow", "admin": "Changed7"}


@pytest.mark.parametrize(("change", "message"), [
    ({"AIRFLOW_ADMIN_PASSWORD": ""}, "AIRFLOW_ADMIN_PASSWORD is not set"),
    ({"AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:viewer"}, "admin is not an admin"),
])
def test_airflow_admin_refuses_without_password_or_admin_user(home, tmp_path, change, message) -> None:
    passwords = tmp_path / "passwords.json"
    env = {**cli_env(home), "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin", "AIRFLOW_ADMIN_PASSWORD": "Secret42", **change}
    result = utfall(env, "airflow-admin")
    assert result.returncode == 2
    assert message in result.stderr
    assert not passwords.exists()


# --- progress ---------------------------------------------------------------------------


@pytest.mark.parametrize(("terminal", "verbosity", "shown"), [(True, 0, True), (True, -1, False), (False, 0, False)])
def test_the_spinner_shows_on_a_terminal_unless_quiet(terminal: bool, verbosity: int, shown: bool) -> None:
    import io

    from rich.console import Console

    from utfall.cli.feedback import configure_logging, working

    out = io.StringIO()
    err = Console(file=out, force_terminal=terminal, width=100)
    configure_logging(err, verbosity)
    with working(err, "quality gate 2024, every förbund"):
        logging.getLogger("utfall.dq").warning("a warning prints above the spinner")
    assert ("quality gate 2024, every förbund" in out.getvalue()) is shown
    assert "a warning prints above the spinner" in out.getvalue()
