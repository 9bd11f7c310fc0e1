"""The shapes shared by every level of checks: catalogue entries, scopes and measurements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

LEVELS = ("delivery", "warehouse", "evaluation", "completeness")
KAHN_CATEGORIES = ("conformance", "completeness", "plausibility")
SEVERITIES = ("blocking", "warning")
STATUSES = ("pass", "fail", "warn", "not_applicable", "error")


@dataclass(frozen=True)
class CatalogueEntry:
    """One row of seeds/dq_checks.csv."""

    check_id: str
    level: str
    table_name: str
    column_name: str | None
    kahn_category: str
    kahn_subcategory: str
    severity: str
    threshold_pct: float  # share of rows allowed to violate, in percent; 0 = none
    description_sv: str
    description_en: str


# Evaluation years Utfall accepts: no förbund data before 2000, no evaluation of a year
# that has not begun (next year: the gate may run on the first deliveries).
FIRST_YEAR = 2000


def plausible_year(year: int) -> int:
    """The year, or ValueError when no evaluation can be of it."""
    last = date.today().year + 1
    if not FIRST_YEAR <= year <= last:
        raise ValueError(f"year {year} is not plausible: between {FIRST_YEAR} and {last}")
    return year


@dataclass(frozen=True)
class Scope:
    """What a gate run covers: one evaluation year, one förbund or all (None)."""

    year: int
    forbund_id: str | None = None


@dataclass
class Measurement:
    """What one check found for one scope, before threshold, severity and waivers apply.

    `forbund_id` None means the check is not per förbund (e.g. a national feed's month).
    `examples` are offending keys shown in the report: never a person_id.
    """

    check_id: str
    forbund_id: str | None
    violated_rows: int | None
    denominator: int | None
    query: str
    examples: list[str] = field(default_factory=list)
    error: str | None = None  # the check could not run: status 'error'
    not_applicable: bool = False  # nothing to check in this scope: status 'not_applicable'
    started_at: str | None = None  # ISO UTC, set by the runner when the level does not
    duration_s: float | None = None
