"""The README's recipe: `utfall airflow-setup` + `airflow standalone`, and the scheduler runs an ingest DAG."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request

from tests.conftest import VENV_BIN, deliver, pid, query


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def airflow(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=120)


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}")


def test_standalone_scheduler_runs_an_ingest_dag(home, tmp_path):
    env_text = subprocess.run([str(VENV_BIN / "utfall"), "airflow-env"], env={**os.environ, "UTFALL_HOME": str(home.home)},
                              capture_output=True, text=True, check=True).stdout
    env = dict(os.environ)
    for line in env_text.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip("'").replace(':"$PATH"', ":" + os.environ["PATH"])
    port = free_port()
    env["AIRFLOW__API__PORT"] = str(port)
    env["AIRFLOW__API__BASE_URL"] = f"http://localhost:{port}"
    assert subprocess.run([str(VENV_BIN / "utfall"), "airflow-setup"], env=env, capture_output=True).returncode == 0
    deliver(home, "region_vard", "region_vard_202401.csv",
            f"person_id;manad;oppenvardsbesok;slutenvardsdagar\n{pid(1)};2024-01;2;0\n{pid(2)};2024-01;0;4\n")

    log = open(tmp_path / "standalone.log", "w")
    server = subprocess.Popen([str(VENV_BIN / "airflow"), "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        def healthy():
            try:
                with urllib.request.urlopen(f"http://localhost:{port}/api/v2/monitor/health", timeout=5) as r:
                    return b'"scheduler":{"status":"healthy"' in r.read()
            except OSError:
                return False

        wait_for(healthy, 180, "airflow standalone to report a healthy scheduler")
        wait_for(lambda: "ingest_region_vard" in airflow(env, "dags", "list").stdout, 120, "the DAG to be parsed")
        assert airflow(env, "dags", "unpause", "ingest_region_vard").returncode == 0
        assert airflow(env, "dags", "trigger", "ingest_region_vard").returncode == 0

        def finished() -> str | None:
            # Unpausing may add the latest scheduled run beside the triggered one: wait for all.
            out = airflow(env, "dags", "list-runs", "ingest_region_vard", "-o", "plain").stdout
            done = ("success" in out or "failed" in out) and "running" not in out and "queued" not in out
            return out if done else None

        runs = wait_for(finished, 240, "the triggered run to finish")
        assert "failed" not in runs, (tmp_path / "standalone.log").read_text()[-3000:]
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # standalone stops only when its whole group is told
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    assert query(home, "SELECT count(*) FROM raw.region_vard") == [(2,)]
    assert query(home, "SELECT status FROM raw.loads") == [("loaded",)]
