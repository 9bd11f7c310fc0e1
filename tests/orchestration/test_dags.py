"""DAG integrity, and the ingest DAGs run by real Airflow (dag.test) against a real warehouse."""

from __future__ import annotations

from tests.conftest import REPO, deliver, pid, query
from tests.support.airflow_runs import asset_events, task_states
from tests.support.samples import FK_ROWS, GOOD_FK, fk
from utfall.ingest.contracts import AGENCY_NAMES, FEEDS
from utfall.orchestration.assets import WAREHOUSE_WRITER_POOL


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert not list((REPO / "dags").glob("dbt_*.py")), "dbt's plugin loader would import dbt_*.py DAG files"


def test_one_ingest_dag_per_feed_wired_from_the_contract(dagbag):
    assert {d for d in dagbag.dag_ids if d.startswith("ingest_")} == {f"ingest_{name}" for name in FEEDS}
    for name, feed in FEEDS.items():
        dag = dagbag.dags[f"ingest_{name}"]
        assert f"agency:{feed.agency}" in dag.tags
        assert feed.agency in AGENCY_NAMES
        assert dag.timetable.expression == feed.schedule
        assert dag.doc_md and f"inbox/{name}/" in dag.doc_md
        [task] = dag.tasks
        assert task.pool == WAREHOUSE_WRITER_POOL
        assert task.retries == 2
        assert [o.name for o in task.outlets] == [f"raw.{name}"]
        # No cycles: a topological order covers every task.
        assert len(list(dag.topological_sort())) == len(dag.tasks)


def test_monthly_feeds_are_scheduled_monthly_and_snapshots_daily(dagbag):
    for name, feed in FEEDS.items():
        cron = feed.schedule.split()
        if feed.kind == "monthly":
            assert cron[2] != "*" and cron[3] == "*", name
        else:
            assert cron[2:] == ["*", "*", "*"], name


def test_ingest_dag_loads_good_files_then_fails_red_on_quarantine(airflow_db, dagbag, home):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202402.csv",
            fk(FK_ROWS[0].replace("2024-01", "2024-02"), f"{pid(9)};2024-02;SJP;100;31;-5;0"))
    run = dagbag.dags["ingest_fk_utbetalningar"].test()
    assert str(run.state) == "failed"
    # failed at once, not retried: the same file would only fail again
    assert task_states(run) == {"load": ("failed", 1)}
    assert query(home, "SELECT file_name, status FROM raw.loads ORDER BY load_id") == [
        ("fk_utbetalningar_202401.csv", "loaded"),
        ("fk_utbetalningar_202402.csv", "quarantined"),
    ]
    assert query(home, "SELECT count(*) FROM raw.fk_utbetalningar") == [(3,)]
    assert (home.quarantine / "fk_utbetalningar" / "fk_utbetalningar_202402.csv.reason.txt").exists()


def test_ingest_dag_success_updates_the_raw_asset(airflow_db, dagbag, home):
    deliver(home, "region_vard", "region_vard_202401.csv",
            f"person_id;manad;oppenvardsbesok;slutenvardsdagar\n{pid(1)};2024-01;2;0\n")
    run = dagbag.dags["ingest_region_vard"].test()
    assert str(run.state) == "success"
    assert query(home, "SELECT count(*) FROM raw.region_vard") == [(1,)]
    assert asset_events(run, "raw.region_vard") == 1
