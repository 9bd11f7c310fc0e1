"""The Airflow environment Utfall runs in locally: AIRFLOW_HOME inside the data folder.

Imports no Airflow module: Airflow reads its configuration when first imported, so this
module's environment must be in place before that (the demo, `utfall airflow-env`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from utfall.db.config import Paths, project_dir
from utfall.orchestration.pools import WAREHOUSE_WRITER_POOL


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


def write_admin_password(passwords_file: Path, user: str, password: str) -> None:
    """Give `user` this password in SimpleAuthManager's passwords file, keeping other users'.

    The api-server generates (and prints only into its own log) a password for a configured
    user missing from this file; one written here first is used instead. Plain text, as
    SimpleAuthManager keeps it: readable by its owner only.
    """
    if not password:
        raise ValueError("the admin password is empty")
    passwords = json.loads(passwords_file.read_text(encoding="utf-8") or "{}") if passwords_file.exists() else {}
    passwords[user] = password
    passwords_file.parent.mkdir(parents=True, exist_ok=True)
    staged = passwords_file.with_name(passwords_file.name + ".new")
    # Created 0600 before the password is written: never readable by others, not even briefly.
    with os.fdopen(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        f.write(json.dumps(passwords) + "\n")
    os.replace(staged, passwords_file)
