#!/usr/bin/env bash
#! Sets up whatever is missing, builds the app and runs Nido at http://127.0.0.1:8080.
# Extra arguments go to nido-server (see `cargo run -p nido-server -- --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

trunk build --release
exec cargo run --release -p nido-server -- --dist dist "$@"
