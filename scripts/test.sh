#!/usr/bin/env bash
#! Sets up whatever is missing (Chromium and its driver too) and runs every check and test:
#! formatting, clippy, the app's release build, the release binary with the app built in,
#! unit and integration tests (the server's on SQLite and again on PostgreSQL, the multi-node
#! ones with real PostgreSQL and NATS servers), the end-to-end browser tests (screenshots land
#! in e2e/artifacts/) and the quick benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh --test

say "formatting"
cargo fmt --all --check
say "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The families' build of the app (without the staff pages), as it ships.
cargo clippy --locked -p nido-client --no-default-features --target wasm32-unknown-unknown -- -D warnings
say "building the app"
scripts/build-app.sh
say "the self-contained release binary (the app built in)"
cargo build --release --locked -p nido-server --features embed-app
scripts/check-binary.sh target/release/nido-server
say "tests (with a throwaway PostgreSQL server, and NATS for the multi-node tests)"
NIDO_TEST_POSTGRES="$(scripts/test-postgres.sh $$)"
export NIDO_TEST_POSTGRES
cargo test --workspace --locked
say "the server's tests again, every in-process server on PostgreSQL instead of SQLite"
scripts/server-tests-on-postgres.sh
say "quick benchmark (correctness only: every frame whole, 99 % delivered, no chat lost)"
# The whole workspace, as the tests built it: `-p` would unify features differently and
# build the server again.
cargo build --workspace --locked -q
target/debug/nido-bench --quick --seconds 5
