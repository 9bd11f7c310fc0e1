"""Run every level's checks for a scope and judge them against the catalogue.

`LEVEL_MODULES` is the one list of levels: each module has
`measure(paths, scope) -> list[Measurement]` and `LEVEL`, its catalogue level.
Judging: percent = violated / denominator × 100; pass when it is at most the entry's
threshold (threshold 0: no violation at all), otherwise fail (blocking) or warn (warning).
Every measurement must name a catalogue entry and every entry must be measured: both
mistakes become results with status error, so a check can neither run unlisted nor be
silently skipped.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import ModuleType

from utfall.db.config import Paths
from utfall.dq import completeness, dbt_tests, mart_suites, refused_files
from utfall.dq.gate_model import CatalogueEntry, Measurement, Scope
from utfall.dq.timing import timed

log = logging.getLogger("utfall.dq")

# The levels, in the order they run; each module's LEVEL is its catalogue level.
LEVEL_MODULES: list[ModuleType] = [refused_files, completeness, dbt_tests, mart_suites]

# A pseudonymised person_id (64 hex): it must never reach a result or a report.
PERSON_ID_LIKE = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")
REDACTED = "[borttaget: person_id-liknande värde]"


@dataclass
class Result:
    """One row of dq.results (without run_id and year, which are the run's)."""

    check_id: str
    level: str
    forbund_id: str | None
    kahn_category: str | None
    kahn_subcategory: str | None
    severity: str  # an unlisted check counts as blocking: the catalogue is the contract
    violated_rows: int | None
    denominator: int | None
    percent: float | None
    threshold_pct: float | None
    status: str
    message: str | None  # why error / not applicable / unlisted; None when the figures say it all
    query: str
    examples: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    duration_s: float | None = None
    waiver_id: int | None = None

    @property
    def blocks(self) -> bool:
        return self.severity == "blocking" and self.status in ("fail", "error") and self.waiver_id is None


def level_of(module: ModuleType) -> str:
    return module.LEVEL


def measure_all(paths: Paths, scope: Scope) -> tuple[list[tuple[str, Measurement]], dict[str, str]]:
    """Run each level; ([(level, measurement)], {level: error of a level that could not run})."""
    measured: list[tuple[str, Measurement]] = []
    failed_levels: dict[str, str] = {}
    for module in LEVEL_MODULES:
        level = level_of(module)
        with timed() as t:
            try:
                found = module.measure(paths, scope)
            except Exception as e:  # one broken level must not hide the others' results
                log.exception("level %s could not run", level)
                failed_levels[level] = f"{type(e).__name__}: {e}"
                continue
        for m in found:
            if m.started_at is None:
                m.started_at, m.duration_s = t.started_at, t.duration_s
            measured.append((level, m))
    return measured, failed_levels


def judge(catalogue: dict[str, CatalogueEntry], measured: list[tuple[str, Measurement]],
          failed_levels: dict[str, str]) -> list[Result]:
    results = [_judge_one(catalogue.get(m.check_id), level, m) for level, m in measured]
    ran = {m.check_id for _, m in measured}
    for entry in catalogue.values():
        if entry.check_id in ran:
            continue
        reason = (f"nivån {entry.level} kunde inte köras: {failed_levels[entry.level]}"
                  if entry.level in failed_levels else "kontrollen kördes inte (check did not run)")
        results.append(_from_entry(entry, None, status="error", message=reason, query=""))
    return [_without_person_ids(r) for r in results]


def _judge_one(entry: CatalogueEntry | None, level: str, m: Measurement) -> Result:
    started = datetime.fromisoformat(m.started_at) if m.started_at else None
    if entry is None:
        return Result(m.check_id, level, m.forbund_id, None, None, "blocking", m.violated_rows, m.denominator,
                      None, None, "error", "kontrollen finns inte i katalogen seeds/dq_checks.csv (not in the catalogue)",
                      m.query, list(m.examples), started, m.duration_s)
    common = dict(query=m.query, examples=list(m.examples), started_at=started, duration_s=m.duration_s)
    if m.error:
        return _from_entry(entry, m, status="error", message=m.error, **common)
    if m.not_applicable:
        return _from_entry(entry, m, status="not_applicable", message="inget att kontrollera i omfånget", **common)
    violated, denominator = m.violated_rows, m.denominator
    if violated is None or denominator is None or violated < 0 or denominator < 0 or violated > denominator:
        return _from_entry(entry, m, status="error",
                           message=f"ogiltiga tal från kontrollen: {violated} av {denominator}", **common)
    if denominator == 0:
        return _from_entry(entry, m, status="error" if violated else "not_applicable",
                           message="nämnaren är 0", **common)
    # Integers compared exactly: no rounding decides a pass.
    passed = violated * 100 <= entry.threshold_pct * denominator
    status = "pass" if passed else ("fail" if entry.severity == "blocking" else "warn")
    return _from_entry(entry, m, status=status, message=None, percent=round(violated * 100 / denominator, 4),
                       **common)


def _from_entry(entry: CatalogueEntry, m: Measurement | None, status: str, message: str | None, query: str,
                percent: float | None = None, **rest) -> Result:
    return Result(entry.check_id, entry.level, m.forbund_id if m else None, entry.kahn_category,
                  entry.kahn_subcategory, entry.severity, m.violated_rows if m else None,
                  m.denominator if m else None, percent, entry.threshold_pct, status, message, query, **rest)


def _without_person_ids(r: Result) -> Result:
    """A check that lets a person_id into its query, examples or message is itself in error."""
    texts = [r.query, r.message or "", *r.examples]
    if not any(PERSON_ID_LIKE.search(t) for t in texts):
        return r
    log.error("check %s put a person_id-like value into its result; removed", r.check_id)
    return replace(
        r, status="error", query=PERSON_ID_LIKE.sub(REDACTED, r.query),
        examples=[PERSON_ID_LIKE.sub(REDACTED, e) for e in r.examples],
        message="resultatet innehöll ett person_id-liknande värde (64 hex), som tagits bort; kontrollen måste rättas"
                + (f"; {PERSON_ID_LIKE.sub(REDACTED, r.message)}" if r.message else ""),
    )
