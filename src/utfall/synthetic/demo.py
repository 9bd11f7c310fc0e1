"""`make demo`: synthetic deliveries → the ingest DAGs and `build_warehouse` run by real
Airflow → a load summary and what was published for analysts.

Runs every DAG with `dag.test()` in one process (one Airflow start-up instead of twelve)
against a SQLite metadata DB under $UTFALL_HOME/airflow.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb

from rich.console import Console

from utfall.db.config import Paths
from utfall.ingest.loader import delivered_name

DEMO_MARKER = ".utfall-demo"
# Piped output (make, CI) would otherwise be cut at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 110)


@contextlib.contextmanager
def output_to(log_path: Path):
    """Send everything written to stdout/stderr (Airflow's task logs) to a file, at fd level."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def run_dag(bag, dag_id: str, paths: Paths, conf: dict | None = None) -> str:
    from utfall.orchestration.local_runs import run_to_end

    log_path = paths.airflow_home / "demo-logs" / f"{dag_id}.log"
    with output_to(log_path):
        state = run_to_end(bag, dag_id, conf)
    console.print(f"{dag_id:32} {'[green]' if state == 'success' else '[red]'}{state}[/]  log: {log_path}")
    return state


def deliver_correction(paths: Paths) -> Path:
    """Re-deliver the latest FK month with one amount changed, as Försäkringskassan would."""
    latest = max((paths.archive / "fk_utbetalningar").glob("*.csv"), key=delivered_name)
    lines = latest.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[5] = str(int(fields[5]) + 100)  # belopp_sek
    lines[1] = ";".join(fields)
    target = paths.inbox / "fk_utbetalningar" / delivered_name(latest)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


DEMO_COMMENTS = """# Förbundets syn på året

Styrelsen ser med tillfredsställelse att fler deltagare än tidigare gick vidare till arbete eller
studier. Kön till insatsen växte under hösten, och förbundet har därför *beslutat att utöka
bemanningen* med en coach från våren.

## Det vi tar med oss till nästa år

- Samverkan med Arbetsförmedlingen har fungerat väl och fortsätter i samma form.
- Kontakterna med arbetsgivare behöver breddas till fler branscher.
- Uppföljningen efter avslut ska göras varje månad, inte bara vid årets slut.

Frågor om kommentarerna besvaras av förbundets kansli.
"""


def write_demo_comments(paths: Paths, forbund_id: str, year: int) -> Path:
    """The first förbund's own comments on its evaluation, as its staff would write them (evaluation.comments)."""
    from utfall.evaluation.comments import comments_file

    path = comments_file(paths, forbund_id, year)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEMO_COMMENTS, encoding="utf-8")
    return path


def reset_demo_home(paths: Paths) -> None:
    """Start from an empty demo folder; never touch a folder holding real deliveries."""
    if paths.home.exists() and any(paths.home.iterdir()) and not (paths.home / DEMO_MARKER).exists():
        console.print(f"[red]{paths.home} holds data that is not from the demo; "
                      "set UTFALL_HOME to an empty folder for the demo.[/red]")
        sys.exit(2)
    for name in ("inbox", "archive", "quarantine", "published", "comments", "warehouse.duckdb", "warehouse.duckdb.wal"):
        target = paths.home / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    paths.home.mkdir(parents=True, exist_ok=True)
    (paths.home / DEMO_MARKER).write_text("synthetic demo data; `make demo` may reset this folder\n")


HEADLINES_SQL = """
SELECT year, participants_active, new_entries, ended, direct_work_or_studies, share_direct_work_or_studies,
       followable_12m, share_self_supporting_12m, episodes_with_complete_windows, support_fte_before,
       support_fte_after
FROM marts.mart_national_year
WHERE forbund_id = 'riket'
ORDER BY year
"""


def print_headlines(paths: Paths) -> None:
    """What analysts can query now: the published tables, and the national headline figures."""
    from rich.table import Table

    from utfall.warehouse.analyst_copy import analyst_db_path, query_published

    path = analyst_db_path(paths)
    _, rows = query_published(path, "SELECT table_name, row_count, published_at FROM manifest ORDER BY 1")
    published = Table(title=f"Published for analysts ({path})")
    published.add_column("table")
    published.add_column("rows", justify="right")
    for name, count, _ in rows:
        published.add_row(name, f"{count:,}")
    console.print(published)

    _, years = query_published(path, HEADLINES_SQL)
    headlines = Table(title="Riket: headline figures per year (marts.mart_national_year)")
    for name in ("year", "active", "new", "ended", "→ work/studies", "followable 12 m", "self-supp. 12 m",
                 "hel.ekv. before", "hel.ekv. after"):
        headlines.add_column(name, justify="right")

    def share(value) -> str:
        return "–" if value is None else f"{value:.0%}"

    for (year, active, new, ended, direct, direct_share, followable_12m, self_supporting_12m, complete,
         fte_before, fte_after) in years:
        headlines.add_row(
            str(year), f"{active:,}", f"{new:,}", f"{ended:,}", f"{direct:,} ({share(direct_share)})",
            f"{followable_12m:,}", share(self_supporting_12m),
            f"{fte_before:,.1f}" if complete else "–", f"{fte_after:,.1f}" if complete else "–",
        )
    console.print(headlines)
    console.print("→ work/studies: ended participants in work or studies the month after exit (SUS's headline); "
                  "hel.ekv.: helårsekvivalenter of public support in the 12 months before inskrivning and after "
                  "exit, over episodes with both windows in the data.")


def print_gate(paths: Paths, year: int) -> None:
    """The verdict of the latest gate run for the year (the annual_evaluation DAG's task group)."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        run_id, passed, blocking, report = con.execute(
            "SELECT run_id, passed, blocking_failures, report_path FROM dq.runs WHERE year = ? "
            "ORDER BY started_at DESC LIMIT 1", [year]).fetchone()
        results = con.execute("SELECT count(*) FROM dq.results WHERE run_id = ?", [run_id]).fetchone()[0]
    verdict = "[green]PASSED (godkänd)[/green]" if passed else f"[red]NOT PASSED (inte godkänd): {blocking} blocking[/red]"
    console.print(f"Quality gate {year}: {verdict}, {results} results in dq.results (run {run_id})")
    console.print(f"Report: {report}")


def print_outbox(paths: Paths, year: int) -> None:
    from utfall.evaluation.evaluate import REPORT_FILES, outbox_folder

    for folder in sorted((paths.home / "outbox").glob(f"*/{year}")):
        forbund_id = folder.parent.name
        assert folder == outbox_folder(paths, forbund_id, year)
        # soft_wrap: a path is one line however narrow the terminal, so it can be copied
        console.print(f"{forbund_id}: {folder}/ " + ", ".join(name for name in (*REPORT_FILES, "manifest.json")
                                                              if (folder / name).exists()),
                      markup=False, soft_wrap=True)


def main() -> None:
    paths = Paths.from_env()
    from utfall.orchestration.environment import airflow_environment, prepare_airflow

    os.environ.update(airflow_environment(paths))
    reset_demo_home(paths)
    to_year = date.today().year - 1
    console.rule("1. Synthetic deliveries into the inbox")
    from utfall.synthetic.generator import generate

    # register_history: the registers of earlier year-ends too, so the queue has a history
    summary = generate(paths.inbox, forbund=2, participants=600, from_year=to_year - 3, to_year=to_year, seed=1,
                       progress=sys.stdout.isatty(), register_history=True)
    console.print(f"{sum(c['files'] for c in summary.values())} files, "
                  f"{sum(c['rows'] for c in summary.values()):,} rows in {paths.inbox}")

    console.rule("2. Airflow: metadata DB and the warehouse writer pool")
    prepare_airflow(paths)
    console.print(f"AIRFLOW_HOME={paths.airflow_home}")

    console.rule("3. Ingest DAGs, run by Airflow (dag.test)")
    from utfall.orchestration.local_runs import DagImportError, project_dags

    try:
        bag = project_dags()
    except DagImportError as e:
        console.print(str(e), style="red", markup=False)
        sys.exit(1)
    failed = []
    for dag_id in sorted(d for d in bag.dag_ids if d.startswith("ingest_")):
        if run_dag(bag, dag_id, paths) != "success":
            failed.append(dag_id)

    console.rule("4. A corrected delivery supersedes the earlier file")
    corrected = deliver_correction(paths)
    console.print(f"Försäkringskassan re-delivers {corrected.name} with one amount changed")
    if run_dag(bag, "ingest_fk_utbetalningar", paths) != "success":
        failed.append("ingest_fk_utbetalningar (correction)")

    console.rule("5. Load summary")
    from utfall.dq.ledger_summary import ledger_table

    console.print(ledger_table(paths))

    console.rule("6. Warehouse build (dbt) and the analysts' copy, run by Airflow")
    if run_dag(bag, "build_warehouse", paths) == "success":
        print_headlines(paths)
    else:
        failed.append("build_warehouse")
    if failed:
        console.print(f"[red]failed DAG runs: {', '.join(failed)}[/red]")
        sys.exit(1)

    console.rule(f"7. The annual evaluation of {to_year}, run by Airflow: quality gate, then reports")
    comments = write_demo_comments(paths, "sf01", to_year)
    console.print(f"The förbund's own comments for the report: {comments}")
    state = run_dag(bag, "annual_evaluation", paths, conf={"year": to_year})
    print_gate(paths, to_year)
    if state != "success":
        console.print("[red]annual_evaluation failed: see the gate report above and the log[/red]")
        sys.exit(1)
    print_outbox(paths, to_year)
    from utfall.warehouse.analyst_copy import analyst_db_path

    console.print('[green]Demo complete.[/green] Query as an analyst: utfall sql "SELECT * FROM manifest"  '
                  f"(or duckdb -readonly {analyst_db_path(paths)})")


if __name__ == "__main__":
    main()
