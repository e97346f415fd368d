#!/usr/bin/env bash
#! Sets up whatever is missing (Chromium and its driver too) and runs every check and test:
#! formatting, clippy, the app's release build, unit and integration tests, and the
#! end-to-end browser test (screenshots land in e2e/artifacts/).
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
