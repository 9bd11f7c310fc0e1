"""The Airflow environment Utfall runs in locally: AIRFLOW_HOME inside the data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from utfall.config import Paths, project_dir
from utfall.ingest import WAREHOUSE_WRITER_POOL


def airflow_environment(paths: Paths) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(paths.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project_dir() / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "UTFALL_HOME": str(paths.home),
        "UTFALL_PROJECT_DIR": str(project_dir()),
    }


def airflow_command() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def prepare_airflow(paths: Paths) -> None:
    """Migrate the metadata DB (SQLite under AIRFLOW_HOME) and create the writer pool; idempotent."""
    env = {**os.environ, **airflow_environment(paths)}
    paths.airflow_home.mkdir(parents=True, exist_ok=True)
    for args in (
        ["db", "migrate"],
        ["pools", "set", WAREHOUSE_WRITER_POOL, "1", "Serialises writers of the DuckDB warehouse"],
    ):
        result = subprocess.run([airflow_command(), *args], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
