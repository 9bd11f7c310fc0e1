"""The `build_warehouse` DAG: after any raw feed, one dbt build in the writer pool, then publish."""

from __future__ import annotations

import shutil

import duckdb

from tests.conftest import REPO, deliver, pid
from tests.support.airflow_runs import asset_events, task_states
from utfall.ingest.contracts import FEEDS
from utfall.orchestration.assets import WAREHOUSE_WRITER_POOL
from utfall.ingest.loader import load
from utfall.warehouse.analyst_copy import analyst_db_path


def test_build_warehouse_runs_after_any_raw_feed_in_the_writer_pool(dagbag):
    from airflow.sdk import Asset, AssetAny

    dag = dagbag.dags["build_warehouse"]
    condition = dag.timetable.asset_condition
    assert isinstance(condition, AssetAny)  # any one feed, not all of them
    assert sorted(a.uri for a in condition.objects) == sorted(f"x-utfall://warehouse/raw/{f}" for f in FEEDS)
    # exactly the Assets the ingest DAGs update
    ingest_outlets = [o for d in dagbag.dags.values() if d.dag_id.startswith("ingest_") for t in d.tasks
                      for o in t.outlets]
    assert len(ingest_outlets) == len(FEEDS) == 11
    assert set(condition.objects) == set(ingest_outlets)
    task, gate = dag.get_task("build_and_publish"), dag.get_task("quality_gate")
    assert len(dag.tasks) == 2 and gate.upstream_task_ids == {"build_and_publish"}
    assert task.pool == gate.pool == WAREHOUSE_WRITER_POOL
    assert task.retries == 1
    assert task.outlets == [Asset(name="marts", uri="x-utfall://warehouse/marts")]
    assert "warnings only" in dag.doc_md
    assert set(dag.tags) == {"warehouse"}
    assert dag.max_active_runs == 1
    assert "without retry" in dag.doc_md


def test_build_warehouse_builds_and_publishes(airflow_db, dagbag, home):
    deliver(home, "region_vard", "region_vard_202401.csv",
            f"person_id;manad;oppenvardsbesok;slutenvardsdagar\n{pid(1)};2024-01;2;0\n")
    load(home)
    run = dagbag.dags["build_warehouse"].test()
    assert str(run.state) == "success"
    # the gate ran after the build, warnings only: one month of one feed fails it, the DAG does not
    assert task_states(run) == {"build_and_publish": ("success", 1), "quality_gate": ("success", 1)}
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute("SELECT year, forbund_id, passed FROM dq.runs").fetchall() == [(2023, None, False)]
    with duckdb.connect(str(analyst_db_path(home)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reference.kommuner").fetchall() == [(290,)]
        assert con.execute("SELECT DISTINCT run_id FROM manifest").fetchall() == [(run.run_id,)]
    assert asset_events(run, "marts") == 1


def test_a_failing_dbt_test_fails_at_once_and_publishes_nothing(airflow_db, dagbag, home, tmp_path, monkeypatch,
                                                                 capfd):
    project = tmp_path / "project"
    shutil.copytree(REPO / "dbt", project / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copytree(REPO / "seeds", project / "seeds")
    (project / "dbt" / "tests" / "always_fails.sql").write_text("-- one offending row\nSELECT 1 AS offending_row\n")
    monkeypatch.setenv("UTFALL_PROJECT_DIR", str(project))
    run = dagbag.dags["build_warehouse"].test()
    assert str(run.state) == "failed"
    # not retried, and no gate after a failed build
    assert task_states(run) == {"build_and_publish": ("failed", 1), "quality_gate": ("upstream_failed", 0)}
    out = capfd.readouterr().out
    assert "dbt build failed; nothing published" in out and "test.utfall.always_fails: " in out
    assert not analyst_db_path(home).exists()


def test_annual_evaluation_gates_then_evaluates_a_year_given_or_the_previous_one(dagbag):
    from utfall.orchestration.tasks import evaluation_year

    dag = dagbag.dags["annual_evaluation"]
    assert {t.task_id for t in dag.tasks} == {"scope", "quality_gate.run_checks", "quality_gate.verdict", "evaluate"}
    assert "quality_gate" in dag.task_group.children  # the gate is a task group
    assert dag.get_task("quality_gate.verdict").upstream_task_ids == {"quality_gate.run_checks", "scope"}
    assert dag.get_task("evaluate").upstream_task_ids == {"quality_gate.verdict", "scope"}
    assert dag.get_task("quality_gate.verdict").retries == 0  # a failed gate does not pass by retrying
    assert dag.get_task("quality_gate.run_checks").pool == dag.get_task("evaluate").pool == WAREHOUSE_WRITER_POOL
    assert set(dag.params.keys()) == {"year", "forbund"}
    assert dag.schedule == "0 6 15 3 *"  # 15 March, when the follow-up months are in
    # run in March 2026 without a year: 2025; a past year on request
    assert evaluation_year(None, 2026) == 2025
    assert evaluation_year(2021, 2026) == 2021
