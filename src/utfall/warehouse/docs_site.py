"""`utfall docs`: the dbt documentation site (every model, column and measure), served on loopback.

`dbt docs generate --static` writes one self-contained page (manifest and catalog inside), so
serving it needs no dbt process and no other file: the server answers `/` with that page and
nothing else (the target folder beside it holds compiled SQL and run logs, not for browsers).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from utfall.db import connection
from utfall.warehouse.dbt_build import BuildResult, dbt_target_path, run_dbt
from utfall.db.config import Paths

log = logging.getLogger("utfall.docs")

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8580  # not dbt's 8080, which Airflow's api-server takes


def site_page(paths: Paths) -> Path:
    return dbt_target_path(paths) / "static_index.html"


def generate(paths: Paths) -> BuildResult:
    """Write the page from the project and the warehouse as built (the catalog reads its tables)."""
    if not paths.warehouse_dsn:
        # dbt opens the DuckDB file itself and fails at once while a load or build holds it:
        # wait for it first (and say so), as `utfall build` does
        connection.connect(paths.warehouse).close()
    return run_dbt(paths, "docs", "generate", "--static")


def server(page: Path, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """An HTTP server on loopback answering `/` with `page` (port 0: any free port)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            if self.path.split("?", 1)[0] not in ("/", "/index.html"):
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            body = page.read_bytes()  # read per request: a regenerated page shows on reload
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's name)
            log.debug("%s %s", self.address_string(), format % args)

    return ThreadingHTTPServer((LOOPBACK, port), Handler)


def url_of(httpd: ThreadingHTTPServer) -> str:
    host, port = httpd.server_address[:2]
    return f"http://{host}:{port}/"
