"""`utfall load` presentation: progress while files load, a summary table at the end."""

from __future__ import annotations

import stat

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from utfall.ingest import pii
from utfall.cli.feedback import shows_progress
from utfall.db.config import Paths
from utfall.ingest.loader import LoadReport, UsageError, load

STATUS_STYLE = {"loaded": "green", "quarantined": "bold red", "duplicate": "yellow", "superseded": "cyan"}


def run_load(feed: str | None, console: Console, err: Console) -> int:
    paths = Paths.from_env()
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
            console=err, disable=not shows_progress(err),
        ) as progress:
            task = progress.add_task("loading", total=None)
            sizes: dict = {}
            done = 0

            def started(files) -> None:
                # Sizes once the warehouse is held: another load may have taken files meanwhile.
                sizes.update({p: _size(p) for _, p in files})
                progress.update(task, total=sum(sizes.values()))

            def within_file(path, fraction) -> None:
                progress.update(task, completed=done + fraction * sizes.get(path, 0), description=pii.redact(path.name))

            def file_done(path, outcome) -> None:
                nonlocal done
                done += sizes.get(path, 0)
                progress.update(task, completed=done)

            report = load(paths, feed, on_file=file_done, on_progress=within_file, on_start=started)
    except UsageError as e:
        err.print(str(e), style="red", markup=False)
        return 2
    print_summary(report, console)
    return report.exit_code


def _size(path) -> int:
    """Bytes of a regular file; 0 for anything else (never followed, never opened)."""
    st = path.lstat()
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def print_summary(report: LoadReport, console: Console) -> None:
    """Per feed: files by status and rows; then every file that needs a look."""
    for problem in report.unhandled:
        console.print(f"[bold red]not handled[/bold red] {problem}", highlight=False)
    if not report.outcomes:
        if not report.unhandled:
            console.print("Nothing new in the inbox.")
        return
    statuses = ("loaded", "superseded", "duplicate", "quarantined")
    per_feed: dict[str, dict[str, int]] = {}
    for o in report.outcomes:
        counts = per_feed.setdefault(o.feed or "(okänt flöde)", dict.fromkeys((*statuses, "rows"), 0))
        counts[o.status] += 1
        counts["rows"] += o.rows_loaded
    table = Table(title="Load summary")
    table.add_column("feed")
    for s in statuses:
        table.add_column(s, justify="right", style=STATUS_STYLE[s])
    table.add_column("rows loaded", justify="right")
    for feed, counts in per_feed.items():
        table.add_row(feed, *(str(counts[s]) for s in statuses), f"{counts['rows']:,}")
    if len(per_feed) > 1:
        table.add_row("total", *(str(sum(c[s] for c in per_feed.values())) for s in statuses),
                      f"{sum(c['rows'] for c in per_feed.values()):,}", style="bold")
    console.print(table)
    for o in report.outcomes:
        if o.status == "quarantined":
            console.print(f"[red]quarantined[/red] {o.file_name}: {o.reason}\n  reason: {o.stored_path}.reason.txt")
        elif o.reason:
            console.print(f"[{STATUS_STYLE[o.status]}]{o.status}[/] {o.file_name} (load {o.load_id}): {o.reason}")
