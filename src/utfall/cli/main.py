"""The `utfall` command line. Thin: parses arguments, calls library code, prints."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from utfall.ingest import pii


class _App(typer.Typer):
    """A warehouse setting that names nothing usable ends any command with its message and
    exit code 2 (a usage error), not a traceback."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except ValueError as e:
            from utfall.db.target import WarehouseSettingError

            if not isinstance(e, WarehouseSettingError):
                raise
            err.print(f"error: {e}", style="red", markup=False)
            raise SystemExit(2) from None


app = _App(
    help="Utfall — the outcome data warehouse for Samordningsförbund.\n\n"
         "Global options go before the command: utfall -v gate --year 2024. Each command's --help "
         "lists its exit codes; 2 is always a usage error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
contracts_app = typer.Typer(help="Feed contracts and what is derived from them.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
db_app = typer.Typer(help="A shared PostgreSQL warehouse: its roles.", no_args_is_help=True)
app.add_typer(db_app, name="db")


class RedactingConsole(Console):
    """stderr: errors quote the command line and input files, never a personnummer (pii.redact)."""

    def print(self, *objects, **kwargs) -> None:
        super().print(*(pii.redact(o) if isinstance(o, str) else o for o in objects), **kwargs)


console = Console(stderr=False)
err = RedactingConsole(stderr=True)
# A terminal table longer than this is unreadable; --csv gives every row.
SQL_TABLE_ROWS = 1000
SQL_PIPED_WIDTH = 10_000


def _print_version(value: bool) -> None:
    if value:
        from utfall import __version__

        print(f"utfall {__version__}")
        raise typer.Exit(0)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also show debug messages")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors (no progress)")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the installed version and exit")] = False,
) -> None:
    """Set-up shared by every command: what is logged to stderr while it works."""
    if verbose and quiet:
        raise typer.BadParameter("--verbose and --quiet exclude each other")
    from utfall.cli.feedback import configure_logging

    configure_logging(err, 1 if verbose else -1 if quiet else 0)


def _plausible_year(year: int) -> int:
    """--year of gate, waive and evaluate: a typo such as 20244 is a usage error (exit 2)."""
    from utfall.dq.gate_model import plausible_year

    try:
        return plausible_year(year)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write deliveries into (one sub-folder per feed)")],
    forbund: Annotated[int, typer.Option(min=1, max=99, help="Number of Samordningsförbund (sf01–sf99, named in "
                                                              "seeds/forbund.csv)")] = 2,
    participants: Annotated[int, typer.Option(help="Participants in all")] = 600,
    from_year: Annotated[int, typer.Option(help="First year of data")] = date.today().year - 4,
    to_year: Annotated[int, typer.Option(help="Last year of data (complete years only)")] = date.today().year - 1,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files")] = 1,
    register_history: Annotated[bool, typer.Option(
        help="Also the deltagare register as extracted at the end of every earlier year (the queue's history)")] = False,
) -> None:
    """Write synthetic, pseudonymised deliveries of every feed, as agencies deliver them.

    Exit codes: 0 written; 2 usage error (e.g. --from-year after --to-year).
    """
    from utfall.synthetic.generator import generate as run_generate

    if from_year > to_year:
        err.print("[red]--from-year must not be after --to-year[/red]")
        raise typer.Exit(2)
    summary = run_generate(
        out,
        forbund=forbund,
        participants=participants,
        from_year=from_year,
        to_year=to_year,
        seed=seed,
        progress=sys.stdout.isatty(),
        register_history=register_history,
    )
    from rich.table import Table

    table = Table(title=f"Synthetic deliveries in {out}")
    table.add_column("feed")
    table.add_column("files", justify="right")
    table.add_column("rows", justify="right")
    for feed, counts in summary.items():
        table.add_row(feed, f"{counts['files']:,}", f"{counts['rows']:,}")
    console.print(table)


@app.command()
def pseudonymise(
    key_file: Annotated[Path, typer.Option("--key-file", help="File holding the secret HMAC key")],
    column: Annotated[str, typer.Option("--column", help="Column holding the personnummer")],
    in_path: Annotated[Path, typer.Argument(metavar="IN", help="Input CSV (';'-separated, UTF-8)")],
    out_path: Annotated[Path, typer.Argument(metavar="OUT", help="Output CSV with person_id instead")],
    refused: Annotated[
        Optional[Path], typer.Option(help="Report of refused rows (default: OUT with .refused.csv)")
    ] = None,
) -> None:
    """Replace a personnummer column by person_id = HMAC-SHA256(key, 12-digit personnummer).

    Exit codes: 0 every row written; 1 some rows refused (see the report of refused rows);
    2 usage error, unreadable key or input, or no such column.
    """
    from utfall.ingest.pseudonymise import PseudonymisationError, pseudonymise_file

    try:
        result = pseudonymise_file(key_file, column, in_path, out_path, refused)
    except PseudonymisationError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2)
    console.print(  # soft_wrap: a path is never broken over lines, whatever the terminal's width
        f"{result.rows_in:,} rows read, {result.rows_out:,} written to {out_path}, "
        f"{result.rows_refused:,} refused" + (f" (see {result.refused_path})" if result.rows_refused else ""),
        soft_wrap=True, markup=False,
    )
    if result.rows_refused:
        raise typer.Exit(1)


@app.command()
def load(
    feed: Annotated[Optional[str], typer.Option(help="Only this feed's inbox folder")] = None,
) -> None:
    """Load new files from $UTFALL_HOME/inbox/<feed>/ into the warehouse (schema raw).

    Exit codes: 0 everything loaded or nothing new; 1 at least one file quarantined, left in the
    inbox or in a folder that cannot be listed; 2 usage error.
    """
    from utfall.cli.load_progress import run_load

    raise typer.Exit(run_load(feed, console, err))


@app.command()
def build(
    select: Annotated[Optional[str], typer.Option(help="dbt selection, e.g. 'staging' or '+fct_episodes'")] = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Rebuild the incremental person-month panel from scratch")] = False,
) -> None:
    """Build the warehouse (dbt: seeds, models, tests), then publish the analysts' copy.

    Exit codes: 0 built (and published); 1 dbt failed or publishing was refused (nothing
    published); 2 usage error.
    """
    from utfall.cli.feedback import working
    from utfall.db.config import Paths
    from utfall.warehouse.analyst_copy import PublishRefused
    from utfall.warehouse.build_and_publish import build_and_publish

    try:
        with working(err, "building the warehouse (dbt build, then publish)"):
            result = build_and_publish(Paths.from_env(), select, full_refresh=full_refresh)
    except PublishRefused as e:
        err.print(str(e), style="red", markup=False)
        raise typer.Exit(1)
    if not result.build.success:
        err.print("[red]dbt build failed (nothing published):[/red]\n" + "\n".join(result.build.failures))
        raise typer.Exit(1)
    if result.published is None:
        console.print("[green]Warehouse built[/green] (PostgreSQL): analysts read its schema marts with their own role.")
        return
    console.print(f"[green]Warehouse built.[/green] Published {len(result.published.tables)} tables "
                  f"to {result.published.path}")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL, e.g. \"SELECT * FROM manifest\"")],
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout instead of a table")] = False,
    db: Annotated[Optional[Path], typer.Option(help="Database file (default: the published analyst file)")] = None,
) -> None:
    """Query the published analyst database, read-only (never locked by a running load or build).

    Exit codes: 0 answered; 1 the query failed or there is no published database; 2 usage error.
    """
    import duckdb

    from utfall.db.config import Paths
    from utfall.warehouse.analyst_copy import NotPublished, analyst_db_path, query_published

    try:
        columns, rows = query_published(db or analyst_db_path(Paths.from_env()), query)
    except (FileNotFoundError, NotPublished, duckdb.Error) as e:
        err.print(str(e), style="red", markup=False)  # DuckDB messages hold [brackets]
        raise typer.Exit(1)
    if as_csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return
    from decimal import Decimal

    from rich.table import Table
    from rich.text import Text

    table = Table()
    for i, name in enumerate(columns):
        numeric = any(isinstance(row[i], (int, float, Decimal)) and not isinstance(row[i], bool) for row in rows)
        table.add_column(name, justify="right" if numeric else "left")
    for row in rows[:SQL_TABLE_ROWS]:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))  # values are data, not markup
    # Piped into a file or a pager there is no width to fit: never cut a value short.
    (console if console.is_terminal else Console(width=SQL_PIPED_WIDTH)).print(table)
    if len(rows) > SQL_TABLE_ROWS:
        console.print(f"first {SQL_TABLE_ROWS:,} of {len(rows):,} rows; --csv gives all")


@app.command()
def docs(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 to serve on (0: any free port)")] = 8580,
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Open the site in a web browser")] = True,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the site; --no-serve only writes it and prints its path")] = True,
    generate: Annotated[bool, typer.Option("--generate/--no-generate", help="Generate the site first; --no-generate serves the one generated last")] = True,
) -> None:
    """The dbt documentation site: every model, column and measure, with the lineage graph.

    Generates it from the warehouse as built (`dbt docs generate --static`, one self-contained
    page), then serves it on http://127.0.0.1:PORT/ until Ctrl-C and opens it in a browser.

    Exit codes: 0 written (and served until stopped); 1 dbt could not generate it, or
    --no-generate and none was generated yet; 2 usage error (or the port is taken).
    """
    from utfall.warehouse import docs_site
    from utfall.db.config import Paths

    paths = Paths.from_env()
    page = docs_site.site_page(paths)
    if generate:
        result = docs_site.generate(paths)
        if not result.success:
            err.print("dbt docs generate failed:\n" + "\n".join(result.failures), style="red", markup=False)
            raise typer.Exit(1)
    elif not page.exists():
        err.print(f"no documentation site at {page} yet: run `utfall docs` without --no-generate", markup=False)
        raise typer.Exit(1)
    if not serve:
        console.print(f"Open {page} in a browser.", markup=False, soft_wrap=True)
        return
    try:
        httpd = docs_site.server(page, port)
    except OSError as e:
        err.print(f"cannot serve on 127.0.0.1:{port}: {e.strerror}; choose another --port", markup=False)
        raise typer.Exit(2)
    url = docs_site.url_of(httpd)
    console.print(f"Serving the dbt docs at {url} (Ctrl-C stops)", markup=False, soft_wrap=True)
    sys.stdout.flush()
    if browser:
        import webbrowser

        webbrowser.open(url)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


@app.command()
def gate(
    year: Annotated[int, typer.Option("--year", callback=_plausible_year, help="Evaluation year, e.g. 2024")],
    forbund: Annotated[Optional[str], typer.Option("--forbund", help="One förbund (default: every förbund)")] = None,
) -> None:
    """Run the quality gate: every data-quality check for the scope, stored in dq.results, with a report.

    Exit codes: 0 passed (no blocking check failed or errored without a waiver); 1 not passed;
    2 usage error.
    """
    from utfall.cli.feedback import working
    from utfall.cli.gate_summary import run_gate_command

    with working(err, f"quality gate {year}, {forbund or 'every förbund'}"):
        code = run_gate_command(year, forbund, console, err)
    raise typer.Exit(code)


@app.command()
def waive(
    check_id: Annotated[str, typer.Argument(metavar="CHECK_ID", help="Check id from the catalogue (seeds/dq_checks.csv)")],
    year: Annotated[int, typer.Option("--year", callback=_plausible_year, help="Evaluation year the waiver is for")],
    reason: Annotated[str, typer.Option("--reason", help="Why the failure may pass (kept for audit)")],
    by: Annotated[str, typer.Option("--by", help="Who decides (name)")],
    forbund: Annotated[Optional[str], typer.Option("--forbund", help="One förbund (default: every förbund)")] = None,
) -> None:
    """Record an audited waiver: that check's failure passes the gate for that year (and förbund).

    Exit codes: 0 recorded; 2 usage error: unknown check id, empty reason or name, unknown förbund.
    """
    from utfall.db.config import Paths
    from utfall.dq.waivers import WaiverRefused, record_waiver

    try:
        w = record_waiver(Paths.from_env(), check_id, year, forbund, reason, by)
    except WaiverRefused as e:
        err.print(str(e), style="red", markup=False)
        raise typer.Exit(2)
    console.print(f"Undantag {w.waiver_id} registrerat: {w.check_id}, år {w.year}, "
                  f"{w.forbund_id or 'alla förbund'}, av {w.waived_by}: {w.reason}", markup=False)


def _socioeconomic_param_help() -> str:
    from utfall.evaluation.socioeconomic import PARAMETER_SPECS  # light: no DuckDB, no warehouse

    return "NAME=VALUE, repeatable; a decimal comma is fine. Names (default from seeds/): " + ", ".join(
        s.name for s in PARAMETER_SPECS)


@app.command()
def socioeconomic(
    persons: Annotated[Path, typer.Argument(metavar="PERSONS.csv", help="One row per person, monthly amounts in kr; ';' or ','")],
    param: Annotated[Optional[list[str]], typer.Option("--param", metavar="NAME=VALUE", help=_socioeconomic_param_help())] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """Socioeconomic calculation for people who moved to work, studies or activity (the table is in Swedish).

    Columns (see docs/analysts.md, "Socioeconomic calculator"): person_id, utfall (arbete/studier/sysselsattning), fk_fore_sek, af_fore_sek, kommun_fore_sek, skatt_fore_sek, lon_sek, lonestod_sek, boendestod_fore_tim_vecka, boendestod_efter_tim_vecka.

    Only totals are printed, never a person_id.

    Exit codes: 0 calculated; 2 usage error, or a bad file or parameter (file, line, column and rule named).
    """
    from utfall.cli.socioeconomic_file import run_socioeconomic_command

    raise typer.Exit(run_socioeconomic_command(persons, param or [], as_json, console, err))


@app.command()
def evaluate(
    year: Annotated[int, typer.Option("--year", callback=_plausible_year, help="Evaluation year, e.g. 2024")],
    forbund: Annotated[Optional[str], typer.Option("--forbund", help="One förbund (default: every förbund)")] = None,
    workers: Annotated[Optional[int], typer.Option(
        "--workers", min=1, help="Reports rendered at once (default: one per core)")] = None,
) -> None:
    """Write the year's evaluation (HTML, PDF, Excel, manifest) for each förbund into the outbox.

    Only when the quality gate passed for the scope and every förbund renders. A förbund's own
    comments, $UTFALL_HOME/comments/<forbund_id>/<year>.md (Markdown), become a section of its report;
    the output lists which förbund have comments for the year.

    Exit codes: 0 written; 1 the gate has not passed, a comment file holds what staff may not see
    (a personnummer), or a report failed to render (nothing written); 2 usage error, unknown or
    malformed förbund id.
    """
    from utfall.cli.feedback import working
    from utfall.db.config import Paths
    from utfall.dq.gate import GateNotPassed
    from utfall.evaluation.evaluate import CommentRefused, EvaluationUsageError, RenderFailed
    from utfall.evaluation.evaluate import evaluate as run_evaluate
    from utfall.ingest.places import PlaceError

    try:
        with working(err, f"evaluation {year}, {forbund or 'every förbund'}"):
            result = run_evaluate(Paths.from_env(), year, forbund, workers)
    except PlaceError as e:
        err.print(f"--forbund: {e}", style="red", markup=False)
        raise typer.Exit(2)
    except EvaluationUsageError as e:
        err.print(f"Nothing written: {e}", style="red", markup=False)
        raise typer.Exit(2)
    except (GateNotPassed, RenderFailed) as e:
        err.print(f"Ingen utvärdering skrevs: {e}", style="red", markup=False)
        raise typer.Exit(1)
    except CommentRefused as e:
        err.print(f"Nothing written: {e}", style="red", markup=False)
        raise typer.Exit(1)
    console.print(f"Utvärdering {year} (kvalitetsgrind {result.gate_run_id}):", markup=False)
    for d in result.delivered:
        console.print(f"  {d.forbund_id}: {d.folder}", markup=False)
    with_comments = {f: p for f, p in result.comments.items() if p is not None}
    console.print(f"Comments from the förbund for {year} (comments/<forbund_id>/{year}.md):", markup=False)
    for f, path in with_comments.items():
        console.print(f"  {f}: {path}", markup=False)
    without = [f for f in result.comments if f not in with_comments]
    if without:
        console.print(f"  none from: {', '.join(without)}", markup=False)


@app.command()
def ledger(
    as_of: Annotated[Optional[datetime], typer.Option("--as-of", formats=["%Y-%m-%d"],
                                                      help="Judge freshness on this day (default: today, UTC)")] = None,
) -> None:
    """Per feed: files loaded, superseded, duplicate and quarantined; current rows; periods; and
    freshness: the latest delivery, when the next is due, whether it is overdue.

    Exit codes: 0 shown; 1 no warehouse yet; 2 usage error.
    """
    from utfall.db.config import Paths
    from utfall.db.connection import warehouse_exists
    from utfall.dq.ledger_summary import freshness_table, ledger_table

    paths = Paths.from_env()
    if not warehouse_exists(paths):
        err.print(f"No warehouse at {paths.warehouse} yet: run `utfall load` first.")
        raise typer.Exit(1)
    console.print(ledger_table(paths))
    console.print(freshness_table(paths, as_of.date() if as_of else datetime.now(timezone.utc).date()))


@app.command("airflow-env")
def airflow_env() -> None:
    """Print the environment for running Airflow locally: eval "$(utfall airflow-env)".

    Exit codes: 0 printed; 2 usage error.
    """
    import shlex

    from utfall.orchestration.environment import airflow_environment
    from utfall.db.config import Paths, home_from_env

    # Airflow's tasks find the warehouse through its connection, so it need not be resolvable here
    for key, value in airflow_environment(Paths(home_from_env())).items():
        print(f"export {key}={shlex.quote(value)}")
    # `airflow standalone` starts its components as `airflow` from PATH.
    print(f'export PATH={shlex.quote(str(Path(sys.executable).parent))}:"$PATH"')


@db_app.command("init-roles")
def db_init_roles(
    dsn: Annotated[str, typer.Option(envvar="UTFALL_WAREHOUSE_URL",
                                     help="postgresql://… of the warehouse database, as a role that may create roles")],
    pipeline_user: Annotated[str | None, typer.Option(
        help="also create this login user for the pipeline (Airflow's connection), member of "
             "utfall_loader and utfall_transform; its password from $UTFALL_PIPELINE_PASSWORD")] = None,
) -> None:
    """Create the roles utfall_loader, utfall_transform, utfall_analyst and utfall_reporter, the
    warehouse schemas, and who may read what (again: changes nothing).

    Exit codes: 0 roles ready; 1 the server refused (its message is shown); 2 usage error or not
    a PostgreSQL DSN.
    """
    if not dsn.startswith(("postgresql://", "postgres://")):
        err.print("init-roles needs a PostgreSQL warehouse: --dsn postgresql://… (or UTFALL_WAREHOUSE_URL)")
        raise typer.Exit(2)
    from utfall.warehouse.roles import ROLES, SCHEMAS, init_roles

    init_roles(dsn, pipeline_user, os.environ.get("UTFALL_PIPELINE_PASSWORD"))
    for schema, access in SCHEMAS.items():
        readers = ", ".join(access.readers) or "no one else"
        console.print(f"{schema:<13} written by {access.creator}; read by {readers}")
    console.print(f"Roles ready: {', '.join(ROLES)}")


@app.command("airflow-setup")
def airflow_setup() -> None:
    """Prepare local Airflow: migrate its metadata DB and create the warehouse writer pool.

    Exit codes: 0 ready; 1 an airflow command failed (its output is shown); 2 usage error.
    """
    from utfall.orchestration.environment import prepare_airflow
    from utfall.db.config import Paths, home_from_env

    paths = Paths(home_from_env())
    prepare_airflow(paths)
    console.print(f"Airflow ready in {paths.airflow_home} (pool warehouse_writer, 1 slot)")


@app.command("airflow-admin")
def airflow_admin(
    passwords_file: Annotated[Path, typer.Option(
        envvar="AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
        help="SimpleAuthManager's passwords file (Airflow's simple_auth_manager_passwords_file)")],
    user: Annotated[str, typer.Option(help="The admin user, as listed in simple_auth_manager_users")] = "admin",
) -> None:
    """Set the Airflow UI admin's password from $AIRFLOW_ADMIN_PASSWORD (never an argument).

    For SimpleAuthManager (docker-compose.yml's airflow-init runs it): the api-server then uses
    this password instead of generating one. Exit codes: 0 written; 2 usage error, the password
    is unset, or the user is not an admin in $AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS.
    """
    from utfall.orchestration.environment import write_admin_password

    users = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS")
    if users is not None and [user, "admin"] not in [u.strip().lower().split(":")[:2] for u in users.split(",")]:
        err.print(f"{user} is not an admin in AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS ({users})", markup=False)
        raise typer.Exit(2)
    password = os.environ.get("AIRFLOW_ADMIN_PASSWORD", "")
    if not password:
        err.print("AIRFLOW_ADMIN_PASSWORD is not set")
        raise typer.Exit(2)
    write_admin_password(passwords_file, user, password)
    console.print(f"Airflow user {user} (admin): password set in {passwords_file}", markup=False)


@contracts_app.command("export")
def contracts_export() -> None:
    """Write the GX suites and dbt sources derived from the feed contracts.

    Exit codes: 0 written; 2 usage error.
    """
    from utfall.ingest.derive import write_derived_files

    for path in write_derived_files():
        console.print(f"wrote {path}")


@contracts_app.command("show")
def contracts_show(feed: Annotated[Optional[str], typer.Argument(help="A feed's name (default: list the feeds)")] = None) -> None:
    """List feeds, or one feed's columns.

    Exit codes: 0 shown; 2 usage error or unknown feed.
    """
    from rich.table import Table

    from utfall.ingest.contracts import FEEDS, get_feed

    if feed is None:
        table = Table(title="Feeds")
        for col in ("feed", "agency", "kind", "schedule", "columns"):
            table.add_column(col)
        for f in FEEDS.values():
            table.add_row(f.name, f.agency, f.kind, f.schedule, str(len(f.columns)))
    else:
        try:
            f = get_feed(feed)
        except KeyError as e:
            err.print(e.args[0], style="red", markup=False)
            raise typer.Exit(2)
        table = Table(title=f"{f.name}: {f.description}")
        for col in ("column", "type", "required", "rule", "description"):
            table.add_column(col)
        for c in f.columns:
            rule = ", ".join(
                x
                for x in (
                    "codes " + "/".join(c.codes) if c.codes else "",
                    f"≥ {c.minimum:g}" if c.minimum is not None else "",
                    f"≤ {c.maximum:g}" if c.maximum is not None else "",
                    f"~ {c.effective_pattern}" if c.effective_pattern else "",
                )
                if x
            )
            table.add_row(c.name, c.type, "yes" if c.required else "", rule, c.description)
    console.print(table)


if __name__ == "__main__":
    app()
