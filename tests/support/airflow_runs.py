"""What a test reads back from a DAG run in Airflow's metadata DB."""

from __future__ import annotations


def task_states(run) -> dict[str, str]:
    from airflow.utils.session import create_session
    from airflow.models.taskinstance import TaskInstance

    with create_session() as session:
        tis = session.query(TaskInstance).filter(TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)
        return {ti.task_id: (str(ti.state), ti.try_number) for ti in tis}


def asset_events(run, asset_name: str) -> int:
    """How many events of the asset the run emitted."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return (session.query(AssetEvent)
                .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
                .filter(AssetModel.name == asset_name, AssetEvent.source_run_id == run.run_id)
                .count())
