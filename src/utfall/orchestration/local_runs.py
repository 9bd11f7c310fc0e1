"""The project's DAGs run in this process with `dag.test()`: the demo's one Airflow start-up
instead of one per DAG, against the local metadata DB (orchestration.environment)."""

from __future__ import annotations

from airflow.dag_processing.dagbag import DagBag

from utfall.db.config import project_dir


class DagImportError(RuntimeError):
    """A DAG file of the project did not import."""


def project_dags() -> DagBag:
    """Every DAG in the project's dags/ folder; DagImportError naming the files that fail."""
    bag = DagBag(dag_folder=str(project_dir() / "dags"))
    if bag.import_errors:
        raise DagImportError(f"DAG import errors: {bag.import_errors}")
    return bag


def run_to_end(bag: DagBag, dag_id: str, conf: dict | None = None) -> str:
    """Run one DAG to its end with dag.test(); the run's state ('success', 'failed', …)."""
    run = bag.dags[dag_id].test(run_conf=conf)
    return str(getattr(run, "state", "unknown"))
