#!/usr/bin/env bash
#! Starts a throwaway PostgreSQL server for the tests on a free loopback port (as the
#! `postgres` user when run as root: PostgreSQL refuses to run as root), prints its admin URL
#! on standard output, and stops it and deletes its files when the process PID exits.
# Usage: NIDO_TEST_POSTGRES="$(scripts/test-postgres.sh PID)"
set -euo pipefail

bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
dir="$(mktemp -d /tmp/nido-test-postgres.XXXXXX)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_owner=()
if [[ "$(id -u)" == 0 ]]; then
    chown postgres "$dir"
    as_owner=(runuser -u postgres --)
fi
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
# Stops the server once the test run has ended.
parent="$1"
(
    while kill -0 "$parent" 2>/dev/null; do sleep 1; done
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -s stop || true
    rm -rf "$dir"
) >/dev/null 2>&1 &
disown
echo "postgres://postgres@127.0.0.1:$port/postgres"
