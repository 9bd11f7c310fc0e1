"""Reference data kept as dbt seeds (seeds/*.csv), read from Python where it is needed too."""

from __future__ import annotations

import csv

from utfall.config import project_dir


def load_kommuner() -> dict[str, str]:
    """SCB kommun code → name, from seeds/kommuner.csv."""
    with (project_dir() / "seeds" / "kommuner.csv").open(encoding="utf-8", newline="") as fh:
        return {row["kommun_kod"]: row["kommun_namn"] for row in csv.DictReader(fh)}


def load_parameters() -> dict[str, str]:
    """Parameter name → value (text), from seeds/parameters.csv: the one definition."""
    with (project_dir() / "seeds" / "parameters.csv").open(encoding="utf-8", newline="") as fh:
        return {row["parameter"]: row["value"] for row in csv.DictReader(fh)}


def parameter(name: str) -> float:
    """One numeric parameter of seeds/parameters.csv; a clear error when it is missing."""
    values = load_parameters()
    if name not in values:
        raise KeyError(f"parameter {name!r} is missing from seeds/parameters.csv")
    return float(values[name])
