#!/usr/bin/env bash
#! Runs the relay comparison of docs/performance.md: release builds, every relay pinned to
#! core 0 and the load generator to core 1. Writes docs/bench/results.{json,md}.
#! Extra options go to nido-bench (see `--help`), e.g. `scripts/bench.sh --seconds 5`;
#! `scripts/bench.sh --nodes 3` runs the multi-node mode (docs/bench/multi-node.{json,md}),
#! `scripts/bench.sh --codec` JPEG's and VP8's quality per byte in Chromium
#! (docs/bench/codec-quality.{json,md}), `scripts/bench.sh --layered` a VP8 stream through
#! the relay: late joiners, a viewer at 150 kbit/s, the relay's CPU against JPEG
#! (docs/bench/layered.{json,md}), `scripts/bench.sh --latency --seconds 60` capture to screen
#! with VP8 and with JPEG in Chromium (docs/bench/capture-to-screen.{json,md}),
#! `scripts/bench.sh --slow-viewer --seconds 60` a viewer on a 150 kbit/s link beside a
#! full-rate one in Chromium (docs/bench/slow-viewer.{json,md}).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh --test

say "building the app (its size is reported)"
scripts/build-app.sh
say "building the relays and the load generator (release)"
cargo build --release --locked -p nido-server -p nido-bench
# The multi-node mode (--nodes N) runs its nodes on a throwaway PostgreSQL, stopped with
# this script.
NIDO_TEST_POSTGRES="$(scripts/test-postgres.sh $$)"
export NIDO_TEST_POSTGRES
say "running the comparison"
case " $* " in
    # Nido in the benchmark's process and two Chromiums: pinned to one core, they would
    # measure their contention.
    *" --codec "* | *" --latency "* | *" --slow-viewer "*) exec target/release/nido-bench "$@" ;;
esac
exec taskset -c 1 target/release/nido-bench --server-core 0 "$@"
