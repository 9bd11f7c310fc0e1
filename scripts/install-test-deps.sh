#!/usr/bin/env bash
# System packages the test suite needs beyond the venv. Idempotent: installs only what
# is missing, so `make test` can call it every time.
#   docker-compose — tests/orchestration/test_compose.py validates docker-compose.yml with
#                    `docker-compose config -q` (no Docker engine is needed for that).
#   poppler-utils  — tests/evaluation/test_evaluation_render.py reads the evaluation PDF back with
#                    `pdftotext` (and `pdftoppm` for page images).
#   chromium, chromium-driver — tests/evaluation/test_evaluation_render.py opens the evaluation HTML
#                    in headless Chromium (no console errors, every chart drawn).
#   redis-server   — tests/orchestration/test_airflow_standalone.py runs Airflow's CeleryExecutor with a
#                    Redis broker of its own (a redis-server on a free loopback port).
#   postgresql     — the PostgreSQL tests start a server of their own (tests/support/postgres_server.py:
#                    initdb + pg_ctl in a temporary folder; as root it runs as the package's
#                    `postgres` user). Debian keeps pg_ctl off PATH, in /usr/lib/postgresql/<n>/bin.
set -euo pipefail

# command that proves the package is there -> Debian package
declare -A NEEDED=(
    [docker-compose]=docker-compose
    [pdftotext]=poppler-utils
    [chromium]=chromium
    [chromedriver]=chromium-driver
    [redis-server]=redis-server
)

missing=()
for cmd in "${!NEEDED[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}")
done
if ! command -v pg_ctl >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    missing+=(postgresql)
fi
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing: ${missing[*]}; this is not a Debian-like system; install them by hand" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo -n)  # -n: fail rather than hang on a password prompt in CI
else
    echo "missing: ${missing[*]}; run $0 as root (or: apt-get install ${missing[*]})" >&2
    exit 1
fi

# Quiet unless it fails: apt's chatter is shown only then.
quietly() {
    local log
    if ! log=$("$@" 2>&1); then
        printf '%s\n' "$log" >&2
        return 1
    fi
}
quietly "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
quietly "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
