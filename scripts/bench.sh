#!/usr/bin/env bash
#! Runs the relay comparison of docs/performance.md: release builds, every relay pinned to
#! core 0 and the load generator to core 1. Writes docs/bench/results.{json,md}.
#! Extra options go to nido-bench (see `--help`), e.g. `scripts/bench.sh --seconds 5`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh --test

say "building the app (its size is reported)"
scripts/build-app.sh
say "building the relays and the load generator (release)"
cargo build --release --locked -p nido-server -p nido-bench
say "running the comparison"
exec taskset -c 1 target/release/nido-bench --server-core 0 "$@"
