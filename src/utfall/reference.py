"""Reference data kept as dbt seeds (seeds/*.csv), read from Python where it is needed too."""

from __future__ import annotations

import csv

from utfall.config import project_dir


def load_kommuner() -> dict[str, str]:
    """SCB kommun code → name, from seeds/kommuner.csv."""
    with (project_dir() / "seeds" / "kommuner.csv").open(encoding="utf-8", newline="") as fh:
        return {row["kommun_kod"]: row["kommun_namn"] for row in csv.DictReader(fh)}
