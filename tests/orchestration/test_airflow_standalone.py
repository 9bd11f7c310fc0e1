"""Airflow running for real, and the scheduler running an ingest DAG: the recipe in docs/deployment.md
(`utfall airflow-setup` + `airflow standalone`), and the production configuration (metadata in
PostgreSQL, LocalExecutor, each component its own process)."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import urllib.request

import psycopg

from tests.conftest import VENV_BIN, WAREHOUSE_SETTINGS, deliver, pid, query
from tests.support.processes import free_port, stop_group, wait_for


def airflow(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=120)


def local_airflow_env(home) -> dict[str, str]:
    """What `eval "$(utfall airflow-env)"` sets, as a dict over this process's environment."""
    env_text = subprocess.run([str(VENV_BIN / "utfall"), "airflow-env"], env={**os.environ, "UTFALL_HOME": str(home.home)},
                              capture_output=True, text=True, check=True).stdout
    env = {k: v for k, v in os.environ.items() if k not in WAREHOUSE_SETTINGS}
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


def services_env(home, postgres, executor: str) -> tuple[dict[str, str], int, str]:
    """(environment, api port, metadata DSN) of Airflow as services, as docker-compose.yml runs it:
    metadata in PostgreSQL, one JWT secret shared by every component."""
    env = local_airflow_env(home)
    port = free_port()
    metadata = postgres.create_database(f"airflow_{executor.lower()}")
    env.update({
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata.replace("postgresql://", "postgresql+psycopg2://"),
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        # shared by every component: the scheduler signs the task tokens the api-server checks
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
    })
    return env, port, metadata


@contextlib.contextmanager
def running(commands: dict[str, list[str]], env: dict[str, str], folder):
    """Each command as its own process (group), logging to <folder>/<name>.log; stopped after.
    Yields a function giving the end of every log, for a failure message."""
    processes, logs = {}, []

    def tails() -> str:
        return "\n".join(f"--- {n}\n" + (folder / f"{n}.log").read_text()[-2000:] for n in commands)

    try:
        for name, command in commands.items():
            logs.append(open(folder / f"{name}.log", "w"))
            processes[name] = subprocess.Popen(command, env=env, stdout=logs[-1], stderr=subprocess.STDOUT,
                                               start_new_session=True)
        yield tails
    finally:
        for process in processes.values():
            stop_group(process)
        for log in logs:
            log.close()


def airflow_component(name: str) -> list[str]:
    return [str(VENV_BIN / "airflow"), *name.split()]


def test_services_with_postgresql_metadata_and_local_executor_run_an_ingest_dag(home, tmp_path, postgres):
    """The production configuration without Docker: Airflow's metadata in PostgreSQL, and the
    api-server, scheduler (LocalExecutor) and dag-processor as separate processes, as
    docker-compose.yml runs them."""
    env, port, metadata = services_env(home, postgres, "LocalExecutor")
    setup = subprocess.run([str(VENV_BIN / "utfall"), "airflow-setup"], env=env, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    deliver(home, *REGION_FILE)

    components = {name: airflow_component(name) for name in ("api-server", "scheduler", "dag-processor")}
    with running(components, env, tmp_path) as logs:
        wait_for(lambda: reports_healthy(port, "scheduler", "dag_processor"), 180,
                 "the scheduler and dag-processor to report healthy")
        runs = run_triggered_ingest(env)
        assert "failed" not in runs, logs()
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


def test_celery_workers_run_an_ingest_dag_into_the_postgresql_warehouse(home, tmp_path, postgres):
    """docker-compose.yml's shape, run here without Docker: CeleryExecutor with a Redis broker
    and a worker process, results in Airflow's PostgreSQL, and the warehouse a separate
    PostgreSQL database reached through the Airflow connection utfall_warehouse, prepared by
    `utfall db init-roles --pipeline-user` as airflow-init does."""
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is missing: run scripts/install-test-deps.sh (as root)"
    env, port, metadata = services_env(home, postgres, "CeleryExecutor")
    warehouse_admin = postgres.create_database("warehouse_celery")
    subprocess.run([str(VENV_BIN / "utfall"), "db", "init-roles", "--dsn", warehouse_admin,
                    "--pipeline-user", "celery_pipeline"], check=True, capture_output=True)
    redis_port = free_port()
    env.update({
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata,
        # as docker-compose.yml: PostgreSQL demanded, the connection in Airflow's environment form
        "UTFALL_WAREHOUSE_TYPE": "postgresql",
        "AIRFLOW_CONN_UTFALL_WAREHOUSE": postgres.dsn("warehouse_celery", user="celery_pipeline"),
    })
    setup = subprocess.run([str(VENV_BIN / "utfall"), "airflow-setup"], env=env, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    deliver(home, *REGION_FILE)

    components = {
        "redis": [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        **{name: airflow_component(name) for name in ("api-server", "scheduler", "dag-processor")},
        "celery worker": airflow_component("celery worker") + ["--concurrency", "1"],
    }
    with running(components, env, tmp_path) as logs:
        wait_for(lambda: reports_healthy(port, "scheduler", "dag_processor"), 180,
                 "the scheduler and dag-processor to report healthy")
        runs = run_triggered_ingest(env)
        assert "failed" not in runs, logs()
    with psycopg.connect(metadata) as con:
        states = {s for (s,) in con.execute("SELECT state FROM dag_run WHERE dag_id = 'ingest_region_vard'")}
        # CeleryExecutor records the Celery task id of each task instance it sent to a worker
        celery_ids = con.execute("SELECT state, external_executor_id FROM task_instance "
                                 "WHERE dag_id = 'ingest_region_vard'").fetchall()
    assert states == {"success"}
    assert celery_ids and all(state == "success" and task_id for state, task_id in celery_ids), celery_ids
    # the rows went to the PostgreSQL warehouse, written as utfall_loader; no DuckDB file was made
    with psycopg.connect(warehouse_admin) as con:
        assert con.execute("SELECT count(*) FROM raw.region_vard").fetchone()[0] == 2
        assert con.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'raw' AND tablename = 'region_vard'"
                           ).fetchone()[0] == "utfall_loader"
    assert not home.warehouse.exists()
