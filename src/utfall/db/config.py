"""Where things live. Runtime data under $UTFALL_HOME; project files beside the package."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def project_dir() -> Path:
    """The project root (dags/, dbt/, expectations/, seeds/); $UTFALL_PROJECT_DIR overrides."""
    env = os.environ.get("UTFALL_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Paths:
    home: Path
    # A shared PostgreSQL warehouse instead of warehouse.duckdb (see utfall.db.target); inbox,
    # archive, quarantine and reports stay under home either way.
    warehouse_dsn: str | None = field(default=None, repr=False)  # may hold a password

    @classmethod
    def from_env(cls) -> "Paths":
        """For the CLI: the warehouse from the environment (utfall.db.target.postgres_dsn)."""
        from utfall.db.target import postgres_dsn

        return cls(home_from_env(), postgres_dsn())

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def archive(self) -> Path:
        """Loaded (and duplicate) files, kept: nothing delivered is ever deleted."""
        return self.home / "archive"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"


def home_from_env() -> Path:
    """$UTFALL_HOME; commands that never touch the warehouse need only this."""
    return Path(os.environ.get("UTFALL_HOME", "data")).resolve()


def expectations_dir() -> Path:
    return project_dir() / "expectations"


def dbt_dir() -> Path:
    return project_dir() / "dbt"
