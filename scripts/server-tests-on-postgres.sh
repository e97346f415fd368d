#!/usr/bin/env bash
#! Runs the server's integration tests that start in-process servers again, with every such
#! server on PostgreSQL (NIDO_TEST_STORE=postgres, read by testkit's InProcessServer).
# It runs the binaries `cargo test --workspace` built: `cargo test -p nido-server` unifies
# features differently and would build the server and its ~25 test binaries a second time.
# Needs NIDO_TEST_POSTGRES, as scripts/test.sh sets it.
set -euo pipefail
cd "$(dirname "$0")/.."

executables="$(cargo test --workspace --locked --no-run --message-format=json \
    | jq -r 'select(.reason == "compiler-artifact" and .target.kind == ["test"]
                    and (.manifest_path | endswith("/server/Cargo.toml"))) | .executable')"
cd server
for executable in $executables; do
    # The target's name, without the hash cargo appends to the file's.
    name="$(basename "$executable" | sed 's/-[0-9a-f]*$//')"
    # Only the files that start in-process servers read the variable; the others (the
    # multi-node tests, the store's conformance suite, …) already run on PostgreSQL or on
    # separate processes, and would only repeat themselves.
    if grep -q "TestServer::start" "tests/$name.rs"; then
        echo "--- $name on PostgreSQL"
        NIDO_TEST_STORE=postgres "$executable"
    fi
done
