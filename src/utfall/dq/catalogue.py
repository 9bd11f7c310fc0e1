"""The check catalogue, seeds/dq_checks.csv: read once, validated, as `CatalogueEntry`s.

The seed is the one list of checks (dbt also loads it as `reference.dq_checks`); the
runner holds every measurement against it, so a check cannot run without an entry and an
entry cannot be silently skipped.
"""

from __future__ import annotations

import csv
from pathlib import Path

from utfall.db.config import project_dir
from utfall.dq.gate_model import KAHN_CATEGORIES, LEVELS, SEVERITIES, CatalogueEntry

COLUMNS = ("check_id", "level", "table_name", "column_name", "kahn_category", "kahn_subcategory", "severity",
           "threshold_pct", "description_sv", "description_en")
REQUIRED = ("check_id", "level", "table_name", "kahn_category", "severity", "threshold_pct", "description_sv",
            "description_en")


class CatalogueError(ValueError):
    """seeds/dq_checks.csv is malformed; the message names the line and the problem."""


def catalogue_path() -> Path:
    return project_dir() / "seeds" / "dq_checks.csv"


def load_catalogue(path: Path | None = None) -> dict[str, CatalogueEntry]:
    """check_id → entry, in file order; raises CatalogueError naming every bad line."""
    path = path or catalogue_path()
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise CatalogueError(f"{path}: header must be {','.join(COLUMNS)}, not {','.join(reader.fieldnames or [])}")
        entries: dict[str, CatalogueEntry] = {}
        problems: list[str] = []
        for line, row in enumerate(reader, start=2):
            try:
                entry = _entry(row)
            except ValueError as e:
                problems.append(f"line {line}: {e}")
                continue
            if entry.check_id in entries:
                problems.append(f"line {line}: check_id {entry.check_id!r} appears twice")
            entries[entry.check_id] = entry
    if problems:
        raise CatalogueError(f"{path} is not a valid check catalogue:\n  " + "\n  ".join(problems))
    return entries


def _entry(row: dict[str, str | None]) -> CatalogueEntry:
    if None in row or any(v is None for v in row.values()):
        raise ValueError("wrong number of fields (quote descriptions that hold a comma)")
    values = {k: (v or "").strip() for k, v in row.items()}
    missing = [k for k in REQUIRED if not values[k]]
    if missing:
        raise ValueError(f"empty {', '.join(missing)}")
    if any(c.isspace() for c in values["check_id"]):
        raise ValueError(f"check_id {values['check_id']!r} holds whitespace")
    for column, allowed in (("level", LEVELS), ("kahn_category", KAHN_CATEGORIES), ("severity", SEVERITIES)):
        if values[column] not in allowed:
            raise ValueError(f"{column} {values[column]!r} is not one of {', '.join(allowed)}")
    try:
        threshold = float(values["threshold_pct"])
    except ValueError:
        raise ValueError(f"threshold_pct {values['threshold_pct']!r} is not a number") from None
    if not 0 <= threshold <= 100:
        raise ValueError(f"threshold_pct {threshold:g} is not within 0–100")
    return CatalogueEntry(
        check_id=values["check_id"],
        level=values["level"],
        table_name=values["table_name"],
        column_name=values["column_name"] or None,
        kahn_category=values["kahn_category"],
        kahn_subcategory=values["kahn_subcategory"],
        severity=values["severity"],
        threshold_pct=threshold,
        description_sv=values["description_sv"],
        description_en=values["description_en"],
    )
