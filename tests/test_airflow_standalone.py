"""Airflow running for real, and the scheduler running an ingest DAG: the README's recipe
(`utfall airflow-setup` + `airflow standalone`), and the production configuration (metadata in
PostgreSQL, LocalExecutor, each component its own process)."""

from __future__ import annotations

import os
import secrets
import subprocess
import urllib.request

import psycopg

from tests.conftest import VENV_BIN, deliver, pid, query
from tests.processes import free_port, stop_group, wait_for


def airflow(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=120)


def local_airflow_env(home) -> dict[str, str]:
    """What `eval "$(utfall airflow-env)"` sets, as a dict over this process's environment."""
    env_text = subprocess.run([str(VENV_BIN / "utfall"), "airflow-env"], env={**os.environ, "UTFALL_HOME": str(home.home)},
                              capture_output=True, text=True, check=True).stdout
    env = dict(os.environ)
    for line in env_text.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip("'").replace(':"$PATH"', ":" + os.environ["PATH"])
    return env


def run_triggered_ingest(env: dict) -> str:
    """Unpause and trigger ingest_region_vard once the DAG is parsed; its runs once all finished."""
    wait_for(lambda: "ingest_region_vard" in airflow(env, "dags", "list").stdout, 120, "the DAG to be parsed")
    assert airflow(env, "dags", "unpause", "ingest_region_vard").returncode == 0
    assert airflow(env, "dags", "trigger", "ingest_region_vard").returncode == 0

    def finished() -> str | None:
        # Unpausing may add the latest scheduled run beside the triggered one: wait for all.
        out = airflow(env, "dags", "list-runs", "ingest_region_vard", "-o", "plain").stdout
        done = ("success" in out or "failed" in out) and "running" not in out and "queued" not in out
        return out if done else None

    return wait_for(finished, 240, "the triggered run to finish")


def reports_healthy(port: int, *components: str) -> bool:
    """The api-server's health endpoint answers and says each component is healthy."""
    try:
        with urllib.request.urlopen(f"http://localhost:{port}/api/v2/monitor/health", timeout=5) as r:
            body = r.read()
    except OSError:
        return False
    return all(f'"{c}":{{"status":"healthy"'.encode() in body for c in components)


REGION_FILE = ("region_vard", "region_vard_202401.csv",
               f"person_id;manad;oppenvardsbesok;slutenvardsdagar\n{pid(1)};2024-01;2;0\n{pid(2)};2024-01;0;4\n")


def test_standalone_scheduler_runs_an_ingest_dag(home, tmp_path):
    env = local_airflow_env(home)
    port = free_port()
    env["AIRFLOW__API__PORT"] = str(port)
    env["AIRFLOW__API__BASE_URL"] = f"http://localhost:{port}"
    assert subprocess.run([str(VENV_BIN / "utfall"), "airflow-setup"], env=env, capture_output=True).returncode == 0
    deliver(home, *REGION_FILE)

    log = open(tmp_path / "standalone.log", "w")
    server = subprocess.Popen([str(VENV_BIN / "airflow"), "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        wait_for(lambda: reports_healthy(port, "scheduler"), 180, "airflow standalone to report a healthy scheduler")
        runs = run_triggered_ingest(env)
        assert "failed" not in runs, (tmp_path / "standalone.log").read_text()[-3000:]
    finally:
        stop_group(server)  # standalone stops only when its whole group is told
        log.close()
    assert query(home, "SELECT count(*) FROM raw.region_vard") == [(2,)]
    assert query(home, "SELECT status FROM raw.loads") == [("loaded",)]


def test_services_with_postgresql_metadata_and_local_executor_run_an_ingest_dag(home, tmp_path, postgres):
    """The production configuration without Docker: Airflow's metadata in PostgreSQL, and the
    api-server, scheduler (LocalExecutor) and dag-processor as separate processes, as
    docker-compose.yml runs them."""
    env = local_airflow_env(home)
    port = free_port()
    metadata = postgres.create_database("airflow")
    env.update({
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata.replace("postgresql://", "postgresql+psycopg2://"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        # shared by every component: the scheduler signs the task tokens the api-server checks
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
    })
    setup = subprocess.run([str(VENV_BIN / "utfall"), "airflow-setup"], env=env, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    deliver(home, *REGION_FILE)

    services, logs = {}, []
    try:
        for name in ("api-server", "scheduler", "dag-processor"):
            logs.append(open(tmp_path / f"{name}.log", "w"))
            services[name] = subprocess.Popen([str(VENV_BIN / "airflow"), name], env=env, stdout=logs[-1],
                                              stderr=subprocess.STDOUT, start_new_session=True)

        wait_for(lambda: reports_healthy(port, "scheduler", "dag_processor"), 180,
                 "the scheduler and dag-processor to report healthy")
        runs = run_triggered_ingest(env)
        assert "failed" not in runs, "\n".join((tmp_path / f"{n}.log").read_text()[-2000:] for n in services)
    finally:
        for process in services.values():
            stop_group(process)
        for log in logs:
            log.close()
    assert query(home, "SELECT count(*) FROM raw.region_vard") == [(2,)]
    # The runs, the task instances and the scheduler's job are in PostgreSQL (Airflow 3.3 leaves
    # job.executor_class empty; the executor is the LocalExecutor set above)
    with psycopg.connect(metadata) as con:
        states = {s for (s,) in con.execute("SELECT state FROM dag_run WHERE dag_id = 'ingest_region_vard'")}
        schedulers = con.execute("SELECT count(*) FROM job WHERE job_type = 'SchedulerJob'").fetchone()[0]
        task_states = con.execute("SELECT DISTINCT state FROM task_instance WHERE dag_id = 'ingest_region_vard'"
                                  ).fetchall()
    assert states == {"success"}
    assert schedulers >= 1
    assert task_states == [("success",)]
