"""`utfall gate`: run the quality gate for a scope and print what failed, with reasons."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from utfall.db.config import Paths
from utfall.dq.catalogue import CatalogueError
from utfall.dq.gate import GateUsageError, describe, run_gate
from utfall.dq.gate_model import Scope
from utfall.dq.report import STATUS_SV


def run_gate_command(year: int, forbund: str | None, console: Console, err: Console) -> int:
    try:
        run = run_gate(Paths.from_env(), Scope(year, forbund or None))
    except (GateUsageError, CatalogueError) as e:
        err.print(str(e), style="red", markup=False)
        return 2
    counts = {s: sum(1 for r in run.results if r.status == s) for s in STATUS_SV}
    console.print(f"Kvalitetsgrind {year}, {forbund or 'alla förbund'} (körning {run.run_id}): "
                  + ", ".join(f"{n} {STATUS_SV[s]}" for s, n in counts.items() if n), markup=False)
    if run.problems:
        table = Table(title="Underkända kontroller och fel (failing checks)")
        for name in ("kontroll", "förbund", "status", "allvarlighet", "varför (reason)"):
            table.add_column(name, overflow="fold", no_wrap=name == "kontroll")
        for r in run.problems:
            status = STATUS_SV[r.status] + (f" – undantag {r.waiver_id}" if r.waiver_id is not None else "")
            style = "red" if r.blocks else ("yellow" if r.status == "warn" else "")
            table.add_row(Text(r.check_id, style=style), r.forbund_id or "riket", status, r.severity,
                          Text(describe(r)))
        console.print(table)
    verdict = "[green]GODKÄND (passed)[/green]" if run.passed else (
        f"[red]INTE GODKÄND (not passed): {len(run.blocking)} blockerande[/red]")
    console.print(f"{verdict}  Rapport: {run.report_path}")
    if run.data_docs:
        console.print(f"GX Data Docs: {run.data_docs}")
    return 0 if run.passed else 1
