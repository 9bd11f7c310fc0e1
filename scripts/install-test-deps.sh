#!/usr/bin/env bash
# System packages the test suite needs beyond the venv. Idempotent: installs only what
# is missing, so `make test` can call it every time.
#   docker-compose — tests/test_compose.py validates docker-compose.yml with
#                    `docker-compose config -q` (no Docker engine is needed for that).
set -euo pipefail

if command -v docker-compose >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "docker-compose is missing; run $0 as root (or: sudo apt-get install docker-compose)" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "docker-compose is missing and this is not a Debian-like system; install it by hand" >&2
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
export DEBIAN_FRONTEND=noninteractive
quietly apt-get update -qq
quietly apt-get install -y -qq docker-compose
