"""Reference data kept as dbt seeds (seeds/*.csv), read from Python where it is needed too."""

from __future__ import annotations

import csv

from utfall.db.config import project_dir


def seed_rows(name: str) -> list[dict[str, str]]:
    """The rows of seeds/<name>.csv, as text."""
    with (project_dir() / "seeds" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_kommuner() -> dict[str, str]:
    """SCB kommun code → name, from seeds/kommuner.csv."""
    return {row["kommun_kod"]: row["kommun_namn"] for row in seed_rows("kommuner")}


def load_parameters() -> dict[str, str]:
    """Parameter name → value (text), from seeds/parameters.csv: the one definition."""
    return {row["parameter"]: row["value"] for row in seed_rows("parameters")}


def load_status_names() -> dict[str, str]:
    """Försörjning status → its Swedish name, in the seed's priority order (seeds/status_priority.csv)."""
    rows = sorted(seed_rows("status_priority"), key=lambda row: int(row["priority"]))
    return {row["status"]: row["name_sv"] for row in rows}


def parameter(name: str) -> float:
    """One numeric parameter of seeds/parameters.csv; a clear error when it is missing."""
    values = load_parameters()
    if name not in values:
        raise KeyError(f"parameter {name!r} is missing from seeds/parameters.csv")
    return float(values[name])
