"""Steps a scenario test takes: load, build and pass the gate; read a förbund's Excel tables back."""

from __future__ import annotations

import io
from datetime import date

import openpyxl

from utfall.db.config import Paths
from utfall.dq.gate import run_gate
from utfall.dq.gate_model import Scope
from utfall.evaluation.evaluate import outbox_folder
from utfall.evaluation.render_excel import ABOUT_SHEET, SHEET_LABELS
from utfall.ingest.loader import load
from utfall.warehouse.dbt_build import build

# The gate's own sheet names its run and when it finished: different by design in a re-run.
RUN_SHEETS = {ABOUT_SHEET, SHEET_LABELS["kvalitetskontroll"]}


def load_build_gate(paths: Paths, year: int) -> None:
    report = load(paths, today=date(2025, 3, 1))
    assert not report.quarantined, [(o.file_name, o.reason) for o in report.quarantined]
    result = build(paths)
    assert result.success, result.failures
    run = run_gate(paths, Scope(year))
    assert run.passed, [(r.check_id, r.forbund_id) for r in run.results if r.status == "fail"]


def tables(paths: Paths, forbund_id: str, year: int) -> dict[str, list[tuple]]:
    """Every sheet of the förbund's tabeller.xlsx but the run's own, as rows of cell values."""
    data = (outbox_folder(paths, forbund_id, year) / "tabeller.xlsx").read_bytes()
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)]
            for ws in book.worksheets if ws.title not in RUN_SHEETS}
