#!/usr/bin/env bash
#! Checks that a release nido-server carries the whole browser app: run from an empty
#! directory, it serves every file of dist/ byte for byte and each page from its build (the
#! families' or the whole app), then stops cleanly on SIGTERM.
# Usage: scripts/check-binary.sh target/release/nido-server
set -euo pipefail
binary="$(realpath "$1")"
dist="$(realpath "$(dirname "$0")/../dist")"
place="$(mktemp -d)"
trap 'rm -rf "$place"' EXIT
cp "$binary" "$place/nido-server"
cd "$place"

./nido-server --version | grep -q "browser app built in"
./nido-server --listen 127.0.0.1:0 --data-dir data 2> log &
server=$!
for _ in $(seq 100); do
    address="$(sed -n 's/.*Nido is running at \(http:\/\/[0-9.:]*\).*/\1/p' log)"
    [[ -n "$address" ]] && break
    sleep 0.1
done
[[ -n "$address" ]] || { cat log; exit 1; }
files=0
while IFS= read -r -d '' file; do
    name="${file#"$dist"/}"
    curl -sf "$address/$name" -o served
    cmp -s served "$file" || { echo "$address/$name differs from $file"; exit 1; }
    files=$((files + 1))
done < <(find "$dist" -type f -print0)
# A family's page gets the families' build, a staff page the whole app.
for route in /:families/index.html /watch/sala-1:families/index.html /camera/sala-1:index.html; do
    curl -sf "$address${route%%:*}" -o served
    cmp -s served "$dist/${route#*:}" || { echo "$address${route%%:*} is not ${route#*:}"; exit 1; }
done
kill -TERM "$server"
wait "$server"
echo "the binary serves all of dist/ ($files files), each page its build, and stopped cleanly"
