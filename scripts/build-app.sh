#!/usr/bin/env bash
#! Builds the browser app for release into dist/: the whole app, then the families' build
#! (no staff pages, what parents' phones load) into dist/families/.
set -euo pipefail
cd "$(dirname "$0")/.."
# Puts trunk, wasm-bindgen and binaryen 132's wasm-opt on PATH, installing what is missing.
source scripts/setup.sh
# Whole app first: trunk empties dist/ before it writes there.
trunk build --release
# The path must be nido_shared::app_build::FAMILIES_BUILD_PATH.
trunk build --release --no-default-features --dist dist/families --public-url /families/
