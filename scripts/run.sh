#!/usr/bin/env bash
#! Sets up whatever is missing, builds the app into one self-contained release binary
#! (target/release/nido-server) and runs Nido at http://127.0.0.1:8080.
# Extra arguments go to nido-server (see `target/release/nido-server --help`), for example
# `scripts/run.sh --listen 0.0.0.0:8443 --tls-self-signed` for tablets on the network.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

scripts/build-app.sh
cargo build --release --locked -p nido-server --features embed-app
exec target/release/nido-server "$@"
