"""The data-quality report of a gate run: $UTFALL_HOME/dq/reports/<run_id>/index.html.

One self-contained HTML file (inline CSS, no scripts or links out), Swedish headings with
English beside them, rendered from templates/report.html.j2. It holds what dq.results
holds — files, months, förbund — and never a person_id (the runner removes any).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, select_autoescape

from utfall import __version__
from utfall.dq.gate_model import KAHN_CATEGORIES, SEVERITIES, CatalogueEntry

if TYPE_CHECKING:
    from utfall.dq.gate import GateRun

STATUS_SV = {"pass": "godkänd", "fail": "underkänd", "warn": "varning", "not_applicable": "ej tillämplig",
             "error": "fel"}
SEVERITY_SV = {"blocking": "blockerande", "warning": "varning"}
SUMMARY_STATUSES = ("pass", "fail", "warn", "error", "not_applicable")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("utfall.dq", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["status_sv"] = lambda s: STATUS_SV.get(s, s)
    env.filters["severity_sv"] = lambda s: SEVERITY_SV.get(s, s)
    return env


def summary(run: GateRun) -> list[dict]:
    """Rows Kahn category × severity with a count per status (categories without results too)."""
    counts = Counter((r.kahn_category or "okänd", r.severity, r.status) for r in run.results)
    categories = list(KAHN_CATEGORIES) + (["okänd"] if any(r.kahn_category is None for r in run.results) else [])
    return [{"category": c, "severity": s, "counts": [counts[(c, s, st)] for st in SUMMARY_STATUSES],
             "total": sum(counts[(c, s, st)] for st in SUMMARY_STATUSES)}
            for c in categories for s in SEVERITIES]


def render(run: GateRun, catalogue: dict[str, CatalogueEntry]) -> str:
    used = {r.waiver_id for r in run.results if r.waiver_id is not None}
    return _environment().get_template("report.html.j2").render(
        run=run, catalogue=catalogue, summary=summary(run), summary_statuses=SUMMARY_STATUSES,
        problems=run.problems, used_waivers=used, version=__version__,
        results=sorted(run.results, key=lambda r: (r.level, r.check_id, r.forbund_id or "")),
    )


def write_report(run: GateRun, catalogue: dict[str, CatalogueEntry]) -> None:
    run.report_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = run.report_path.with_name("." + run.report_path.name + ".tmp")
    tmp.write_text(render(run, catalogue), encoding="utf-8")
    tmp.replace(run.report_path)
