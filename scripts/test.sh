#!/usr/bin/env bash
#! Sets up whatever is missing (Chromium and its driver too) and runs every check and test:
#! formatting, clippy, the app's release build, unit and integration tests, the
#! end-to-end browser test (screenshots land in e2e/artifacts/) and the quick benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh --test

say "formatting"
cargo fmt --all --check
say "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
say "building the app"
trunk build --release
say "tests"
cargo test --workspace --locked
say "quick benchmark (correctness only: every frame whole, 99 % delivered, no chat lost)"
cargo build --locked -q -p nido-server -p nido-bench
target/debug/nido-bench --quick --seconds 5
