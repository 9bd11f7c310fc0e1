"""docker-compose.yml and Dockerfile: the deployment shape, checked without a Docker engine.

No engine runs where the tests run, so the file is checked for what would break at
`docker compose up`: wrong Airflow option names, mounts of missing folders, services that
depend on services that do not exist, an image that does not match the pinned Airflow.
`docker-compose config -q` checks the file itself; scripts/install-test-deps.sh installs it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

import pytest
import yaml

from tests.conftest import VENV_BIN
from tests.support.processes import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"

AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
AIRFLOW_SERVICES = {"airflow-init", *AIRFLOW_COMMANDS}
PROJECT_FOLDERS = ("dags", "dbt", "expectations", "seeds")
POOL = "warehouse_writer"  # the DAGs' pool for writers of the warehouse
# Values compose must get from the environment (.env), never from the file.
SECRETS = {"AIRFLOW_JWT_SECRET": "test-jwt-secret", "AIRFLOW_FERNET_KEY": "test-fernet-key",
           "AIRFLOW_DB_PASSWORD": "test-airflow-db", "WAREHOUSE_ADMIN_PASSWORD": "test-admin",
           "WAREHOUSE_DB_PASSWORD": "test-pipeline", "AIRFLOW_ADMIN_PASSWORD": "test-ui-admin"}
ENV_EXAMPLE = REPO / ".env.example"
INSTALL_HINT = "docker-compose is missing: run scripts/install-test-deps.sh (as root)"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the `- KEY=value` form
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def command_text(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def mounts(service: dict) -> list[tuple[str, str]]:
    """(source, container path) of each short-syntax volume."""
    return [tuple(volume.split(":")[:2]) for volume in service.get("volumes", [])]


def is_bind(source: str) -> bool:
    return source.startswith((".", "/", "~"))


def depends_on(service: dict) -> dict[str, str]:
    """Service name → condition (the list form means service_started)."""
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def airflow_options() -> set[tuple[str, str]]:
    """(section, option) of every option the installed Airflow knows.

    Read from its config.yml rather than by importing airflow, which would write an
    airflow.cfg into $AIRFLOW_HOME as a side effect.
    """
    package = Path(importlib.util.find_spec("airflow").submodule_search_locations[0])
    sections = yaml.safe_load((package / "config_templates" / "config.yml").read_text(encoding="utf-8"))
    # CeleryExecutor's options ([celery] …) belong to its provider, which the lock installs.
    from airflow.providers.celery.get_provider_info import get_provider_info

    sections |= get_provider_info()["config"]
    return {(section, option) for section, spec in sections.items() for option in spec["options"]}


def pinned_version(package: str) -> str:
    text = (REPO / "constraints.txt").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(package)}==(\S+)$", text, re.MULTILINE)
    assert match, f"{package} is not pinned in constraints.txt"
    return match.group(1)


# --- services -------------------------------------------------------------------------


def test_required_services_run_the_right_commands(services: dict) -> None:
    assert {"postgres", "warehouse-db", "redis", *AIRFLOW_SERVICES} <= services.keys()
    assert services["postgres"]["image"] == services["warehouse-db"]["image"] == "postgres:16"
    assert services["redis"]["image"].startswith("redis:")
    for name, command in AIRFLOW_COMMANDS.items():
        assert command_text(services[name]) == command, name
    init = command_text(services["airflow-init"])
    assert "airflow db migrate" in init
    # The pool is created once, with one slot, so only one task at a time writes DuckDB.
    assert re.search(rf"airflow pools set {POOL} 1 ", init), init


def test_airflow_services_run_the_project_image_built_here(services: dict) -> None:
    images = {services[name]["image"] for name in AIRFLOW_SERVICES}
    assert len(images) == 1, images
    for name in AIRFLOW_SERVICES:
        build = services[name]["build"]
        context = build if isinstance(build, str) else build["context"]
        assert (REPO / context / "Dockerfile").resolve() == DOCKERFILE, name


def test_dags_use_only_the_pools_the_init_creates(services: dict) -> None:
    init = command_text(services["airflow-init"])
    created = set(re.findall(r"airflow pools set (\S+)", init)) | {"default_pool"}
    # pool="…" in a DAG, or a constant such as WAREHOUSE_WRITER_POOL = "…" it imports.
    assignment = re.compile(r"""pool\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
    for path in [*(REPO / "dags").rglob("*.py"), *(REPO / "src" / "utfall").rglob("*.py")]:
        for pool in assignment.findall(path.read_text(encoding="utf-8")):
            assert pool in created, f"{path.name} names pool {pool!r}, which airflow-init does not create"


# --- environment ----------------------------------------------------------------------


def test_airflow_settings(services: dict) -> None:
    expected = {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
            "postgresql+psycopg2://airflow:${AIRFLOW_DB_PASSWORD:?set AIRFLOW_DB_PASSWORD in .env}@postgres/airflow"
        ),
        "AIRFLOW__CELERY__BROKER_URL": "redis://redis:6379/0",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": "http://airflow-apiserver:8080/execution/",
        "UTFALL_HOME": "/opt/utfall/data",
        "UTFALL_PROJECT_DIR": "/opt/utfall",
    }
    for name in AIRFLOW_SERVICES:
        env = environment(services[name])
        assert {key: env.get(key) for key in expected} == expected, name


def test_every_airflow_setting_names_a_real_option(services: dict) -> None:
    options = airflow_options()
    # The check would catch names that moved in Airflow 3 (not merely any typo).
    assert ("database", "sql_alchemy_conn") in options and ("core", "sql_alchemy_conn") not in options
    for name, service in services.items():
        for key in environment(service):
            if not key.startswith("AIRFLOW__"):
                continue
            match = re.fullmatch(r"AIRFLOW__([A-Z0-9_]+?)__([A-Z0-9_]+)", key)
            assert match, f"{name}: {key} is not AIRFLOW__SECTION__OPTION"
            section, option = match.group(1).lower(), match.group(2).lower()
            version = pinned_version("apache-airflow")
            assert (section, option) in options, f"{name}: {key} is no option of Airflow {version}"


def test_execution_api_url_points_at_the_api_server(services: dict) -> None:
    url = environment(services["airflow-scheduler"])["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
    match = re.fullmatch(r"http://([\w-]+):(\d+)/execution/", url)
    assert match, url
    host, port = match.groups()
    assert command_text(services[host]) == "api-server"
    assert any(str(published).endswith(f":{port}") for published in services[host]["ports"])


def test_secrets_come_from_the_environment(services: dict) -> None:
    for name in AIRFLOW_SERVICES:
        env = environment(services[name])
        # Shared by all components: tokens signed by the scheduler are checked by the API server.
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW_JWT_SECRET:?"), name
        assert env["AIRFLOW__CORE__FERNET_KEY"].startswith("${AIRFLOW_FERNET_KEY:?"), name
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    # no password written into the file: every user:password@ takes its password from .env
    passwords = re.findall(r"://\w+:(\$\{[^}]*\}|[^@\s/]*)@", text)
    assert len(passwords) == 4, passwords  # metadata, Celery results, warehouse connection, its admin
    for password in passwords:
        assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", password), password
    for name in ("postgres", "warehouse-db"):
        assert environment(services[name])["POSTGRES_PASSWORD"].startswith("${"), name


def test_env_example_lists_every_variable_the_file_needs_and_env_is_not_committed() -> None:
    required = set(re.findall(r"\$\{([A-Z_]+):\?", COMPOSE_FILE.read_text(encoding="utf-8")))
    assert required == set(SECRETS)
    listed = set(re.findall(r"^([A-Z_]+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE))
    assert listed == required
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO)
    assert ignored.returncode == 0, ".env must be git-ignored"


# --- executor and warehouse ---------------------------------------------------------


def test_celery_broker_and_results_are_services_of_the_file(services: dict) -> None:
    env = environment(services["airflow-scheduler"])
    broker = re.fullmatch(r"redis://([\w-]+):6379/\d+", env["AIRFLOW__CELERY__BROKER_URL"])
    assert broker and "redis-cli" in " ".join(services[broker.group(1)]["healthcheck"]["test"])
    backend = re.fullmatch(r"db\+postgresql://airflow:[^@]+@([\w-]+)/airflow", env["AIRFLOW__CELERY__RESULT_BACKEND"])
    assert backend and backend.group(1) == "postgres"
    for name in ("airflow-scheduler", "airflow-worker"):
        assert depends_on(services[name])["redis"] == "service_healthy", name
    worker_check = " ".join(services["airflow-worker"]["healthcheck"]["test"])
    assert "celery_executor.app inspect ping" in worker_check
    # a worker may be stopped and scaled: it must not pin a name or a host port
    assert "container_name" not in services["airflow-worker"] and "ports" not in services["airflow-worker"]


def test_the_warehouse_is_its_own_database_reached_through_an_airflow_connection(services: dict) -> None:
    from utfall.db.target import AIRFLOW_CONNECTION_ENV, WAREHOUSE_TYPE_ENV, WAREHOUSE_URL_ENV

    warehouse_env = environment(services["warehouse-db"])
    for name in AIRFLOW_SERVICES:
        # PostgreSQL demanded: a task that cannot resolve the connection fails, never uses DuckDB
        assert environment(services[name])[WAREHOUSE_TYPE_ENV] == "postgresql", name
        dsn = environment(services[name])[AIRFLOW_CONNECTION_ENV]
        match = re.fullmatch(r"postgresql://(\w+):[^@]+@([\w-]+):5432/(\w+)", dsn)
        assert match, (name, dsn)
        user, host, database = match.groups()
        # not Airflow's metadata server: the warehouse's own, with its own volume
        assert (host, database) == ("warehouse-db", warehouse_env["POSTGRES_DB"]), name
    init = services["airflow-init"]
    assert f"--pipeline-user {user}" in command_text(init)
    assert "utfall db init-roles" in command_text(init)
    # the administrator's URL reaches init-roles through the environment, never a command line
    assert environment(init)[WAREHOUSE_URL_ENV].startswith("postgresql://utfall_admin:${WAREHOUSE_ADMIN_PASSWORD:?")
    assert "://" not in command_text(init)
    assert depends_on(init)["warehouse-db"] == "service_healthy"
    assert "warehouse-db" in {source for source, _ in mounts(services["warehouse-db"])}


# --- first start: the UI's admin and unpaused DAGs -------------------------------------

AUTH_USERS = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"
AUTH_PASSWORDS_FILE = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"


def init_steps(services: dict) -> list[str]:
    """The commands of airflow-init's `bash -c` script, in order."""
    script = services["airflow-init"]["command"][-1]
    return [step.strip() for step in script.split("&&")]


def test_the_ui_admin_logs_in_with_the_password_from_env(services: dict) -> None:
    init = services["airflow-init"]
    users = environment(services["airflow-apiserver"])[AUTH_USERS]
    steps = init_steps(services)
    admin_step = [step for step in steps if step.startswith("utfall airflow-admin")]
    assert len(admin_step) == 1, steps
    user = re.fullmatch(r"utfall airflow-admin --user (\w+)", admin_step[0]).group(1)
    assert f"{user}:admin" in users.split(",")
    # the password from .env, in airflow-init's environment only; never on its command line
    assert environment(init)["AIRFLOW_ADMIN_PASSWORD"] == "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD in .env}"
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert "AIRFLOW_ADMIN_PASSWORD" not in environment(services[name]), name
    # every component agrees on the users and on where their passwords are
    for name in AIRFLOW_SERVICES:
        env = environment(services[name])
        assert (env[AUTH_USERS], env[AUTH_PASSWORDS_FILE]) == (users, environment(init)[AUTH_PASSWORDS_FILE]), name


def test_the_passwords_file_is_a_volume_shared_by_init_and_the_api_server_only(compose: dict, services: dict) -> None:
    folder = str(PurePosixPath(environment(services["airflow-init"])[AUTH_PASSWORDS_FILE]).parent)
    holders = {name: source for name in AIRFLOW_SERVICES for source, target in mounts(services[name])
               if target == folder}
    # a named volume (not the container's own disk, gone on re-creation), the same one for both
    assert holders.keys() == {"airflow-init", "airflow-apiserver"}, holders
    assert len(set(holders.values())) == 1 and not is_bind(holders["airflow-init"])
    # …not the data volume that the workers, which run task code, mount too
    assert holders["airflow-init"] not in {source for source, _ in mounts(services["airflow-worker"])}
    # the image creates the folder for the airflow user, so the new volume is writable by it
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(rf"mkdir -p [^\n]*{re.escape(folder)}", text)
    assert re.search(rf"chown airflow:0 [^\n]*{re.escape(folder)}", text)


def test_the_admin_password_is_set_after_the_database_is_migrated(services: dict) -> None:
    steps = init_steps(services)
    assert steps.index("airflow db migrate") < steps.index("utfall airflow-admin --user admin")
    # the api-server starts only once airflow-init has finished: the file is there before it reads it
    assert depends_on(services["airflow-apiserver"])["airflow-init"] == "service_completed_successfully"


def test_dags_are_unpaused_at_creation(services: dict) -> None:
    # The dag-processor creates the DAGs; every component agrees so none reports another default.
    for name in AIRFLOW_SERVICES:
        assert environment(services[name])["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "false", name


# --- mounts ---------------------------------------------------------------------------


def test_bind_mounted_folders_exist_and_named_volumes_are_declared(compose: dict, services: dict) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for source, _ in mounts(service):
            if is_bind(source):
                assert (REPO / source).is_dir(), f"{name} mounts {source}, which is not a folder of the repo"
            else:
                assert source in declared, f"{name} uses volume {source!r}, not declared"


def test_project_folders_are_mounted_where_the_settings_point(services: dict) -> None:
    for name in AIRFLOW_SERVICES:
        service = services[name]
        env = environment(service)
        binds = [(source, target) for source, target in mounts(service) if is_bind(source)]
        by_source = {PurePosixPath(source).name: target for source, target in binds}
        assert by_source["dags"] == env["AIRFLOW__CORE__DAGS_FOLDER"], name
        # utfall.db.config finds dags/, dbt/, expectations/, seeds/ under UTFALL_PROJECT_DIR.
        for folder in PROJECT_FOLDERS:
            assert by_source[folder] == f"{env['UTFALL_PROJECT_DIR']}/{folder}", (name, folder)
        assert env["UTFALL_HOME"] in {target for _, target in mounts(service)}, (
            f"{name}: UTFALL_HOME is not a volume, so the warehouse would go with the container"
        )


# --- health and order -----------------------------------------------------------------


def test_long_running_services_have_healthchecks(services: dict) -> None:
    for name, service in services.items():
        if name != "airflow-init":
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    apiserver_check = " ".join(services["airflow-apiserver"]["healthcheck"]["test"])
    assert "http://localhost:8080/api/v2/monitor/health" in apiserver_check
    assert "8080:8080" in services["airflow-apiserver"]["ports"]


def test_depends_on_names_existing_services_and_valid_conditions(services: dict) -> None:
    for name, service in services.items():
        for dependency, condition in depends_on(service).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            assert condition in {"service_started", "service_healthy", "service_completed_successfully"}
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency} to be healthy"
    assert depends_on(services["airflow-init"]) == {"postgres": "service_healthy", "warehouse-db": "service_healthy"}
    for name in AIRFLOW_COMMANDS:
        # Nothing may start on a database that is not migrated yet.
        assert depends_on(services[name])["airflow-init"] == "service_completed_successfully", name


# --- Dockerfile ---------------------------------------------------------------------


def test_dockerfile_extends_the_pinned_airflow() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    bases = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    airflow = pinned_version("apache-airflow")
    assert airflow.startswith("3.3.")
    assert bases == [f"apache/airflow:{airflow}-python3.11"]
    requires_python = re.search(r'requires-python\s*=\s*"([^"]+)"', (REPO / "pyproject.toml").read_text())
    assert "3.11" in requires_python.group(1)


def test_dockerfile_installs_the_project_with_the_lock(services: dict) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    for source in re.findall(r"^COPY\s+(?:--\S+\s+)*(.+)\s+\S+$", text, re.MULTILINE):
        for path in source.split():
            assert (REPO / path).exists(), f"Dockerfile copies {path}, which is not in the repo"
    assert re.search(r"pip install .*-c constraints\.txt \.", text)
    # What the settings name must be in the image: the project's dependencies bring it.
    conn = environment(services["airflow-scheduler"])["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert conn.startswith("postgresql+psycopg2://")
    dependencies = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for package in ("psycopg2-binary", "apache-airflow-providers-celery", "dbt-postgres", "psycopg[binary]"):
        assert f'"{package}==' in dependencies, package
    assert pinned_version("redis")
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users[-1] == "airflow", "the image must run as the official image's user"


# --- compose itself -------------------------------------------------------------------


# docker-compose 1.29 (Debian's package; scripts/install-test-deps.sh installs it) is the
# validator we can count on here. Compose v2 is not packaged for this machine.
COMPOSE_COMMANDS = [pytest.param(["docker-compose"], id="docker-compose")]


def run_compose(command: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    # An empty env file: a developer's .env must not decide the outcome.
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    return subprocess.run(
        [*command, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


def environment_without_secrets() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in SECRETS}


@pytest.mark.parametrize("command", COMPOSE_COMMANDS)
def test_compose_accepts_the_file(command: list[str], tmp_path: Path) -> None:
    assert shutil.which(command[0]), INSTALL_HINT
    result = run_compose(command, {**environment_without_secrets(), **SECRETS}, tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", COMPOSE_COMMANDS)
@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_run_without_each_secret(command: list[str], missing: str, tmp_path: Path) -> None:
    assert shutil.which(command[0]), INSTALL_HINT
    others = {key: value for key, value in SECRETS.items() if key != missing}
    result = run_compose(command, {**environment_without_secrets(), **others}, tmp_path)
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr


# --- the first start's settings, run without Docker ------------------------------------


def api_json(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, {}
    except OSError:  # not listening yet
        return 0, {}


def test_first_start_admin_logs_in_and_dags_arrive_unpaused(services: dict, home, tmp_path: Path) -> None:
    """airflow-init's admin step, then the api-server and dag-processor with the file's auth and
    pause settings (the passwords file moved into tmp_path): the admin logs in with the
    password from .env, no password is generated, and Utfall's DAGs are parsed unpaused (the
    ingest DAGs and the asset-triggered build), all but the annual evaluation."""
    from tests.orchestration.test_airflow_standalone import airflow_component, local_airflow_env, running
    from utfall.ingest.contracts import FEEDS

    compose_env = environment(services["airflow-apiserver"])
    passwords = tmp_path / "auth" / PurePosixPath(compose_env[AUTH_PASSWORDS_FILE]).name
    port = free_port()
    env = {**local_airflow_env(home), AUTH_USERS: compose_env[AUTH_USERS], AUTH_PASSWORDS_FILE: str(passwords),
           "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": compose_env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"],
           "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
           "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32)}
    setup = subprocess.run([str(VENV_BIN / "utfall"), "airflow-setup"], env=env, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    password = secrets.token_hex(12)
    admin_step = next(step for step in init_steps(services) if step.startswith("utfall airflow-admin"))
    init = subprocess.run(["bash", "-c", admin_step], env={**env, "AIRFLOW_ADMIN_PASSWORD": password},
                          capture_output=True, text=True)
    assert init.returncode == 0, init.stderr

    with running({name: airflow_component(name) for name in ("api-server", "dag-processor")}, env, tmp_path) as logs:
        base = f"http://localhost:{port}"
        wait_for(lambda: api_json("POST", f"{base}/auth/token", {"username": "x", "password": "y"})[0] == 401,
                 180, "the api-server to answer logins")
        status, answer = api_json("POST", f"{base}/auth/token", {"username": "admin", "password": password})
        assert status == 201, logs()
        token = answer["access_token"]
        assert api_json("POST", f"{base}/auth/token", {"username": "admin", "password": password + "x"})[0] == 401

        expected = {f"ingest_{name}" for name in FEEDS} | {"build_warehouse", "feed_freshness", "annual_evaluation"}

        def dags() -> dict[str, bool] | None:
            status, answer = api_json("GET", f"{base}/api/v2/dags?limit=100", token=token)
            found = {d["dag_id"]: d["is_paused"] for d in answer.get("dags", [])} if status == 200 else {}
            return found if found.keys() >= expected else None

        paused = wait_for(dags, 240, "the dag-processor to create every DAG")
        api_log = (tmp_path / "api-server.log").read_text()
    # annual_evaluation keeps itself paused: unpaused, it would evaluate last March at once
    assert paused == {**dict.fromkeys(expected - {"annual_evaluation"}, False), "annual_evaluation": True}
    # the password came from .env: the api-server generated none (it would print it to its log)
    assert json.loads(passwords.read_text()) == {"admin": password}
    assert "Password for user" not in api_log and password not in api_log
