"""A throwaway PostgreSQL server for the tests: `initdb` in a temporary folder, `pg_ctl` on a
free loopback port, stopped and removed afterwards.

The binaries are Debian's PostgreSQL 15 (scripts/install-test-deps.sh installs them when
missing). initdb refuses to run as root, so as root the server runs as the `postgres` user
that the Debian package creates. Authentication is `trust` on 127.0.0.1 only: the tests
check what each role may read (authorisation), not passwords.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tests.support.processes import free_port

SUPERUSER = "postgres"


def binaries() -> Path:
    """The folder with initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<n>/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run scripts/install-test-deps.sh "
                           "(or run pytest with --without-postgresql to skip these tests explicitly)")
    return Path(found[-1]).parent


class LocalPostgres:
    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.data = folder / "data"

    def dsn(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        command = [str(binaries() / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, SUPERUSER)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        # Loopback only, socket in our own folder (not /var/run/postgresql); fsync off: a test
        # server that is thrown away need not survive a power cut.
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w",
                  "-t", "60", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)


@contextmanager
def local_postgres() -> Iterator[LocalPostgres]:
    folder = Path(tempfile.mkdtemp(prefix="utfall-pg-"))
    server = LocalPostgres(folder, free_port())
    try:
        server.start()
        yield server
    finally:
        try:
            if (server.data / "postmaster.pid").exists():
                server.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
