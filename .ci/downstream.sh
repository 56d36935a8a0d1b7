#!/usr/bin/env bash
# A dependent crate's view of the workspace, as CI checks it:
#  1. a temporary crate outside the workspace depends on the three crates by path and runs, in a
#     debug build, an HTTP-push test and the README testing example (tests/examples/readme_testing.rs);
#  2. `cargo install` of mns-emulator (debug, from the path, into a temporary root) gives a
#     binary that prints --help and answers a request.
# Both build in the workspace's target dir so registry dependencies are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export CARGO_TARGET_DIR="$TARGET_DIR"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mns-downstream.XXXXXX")"
EMU_PID=""
cleanup() {
  if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "[downstream] dependent crate in $WORK/crate (debug build)"
mkdir -p "$WORK/crate/src" "$WORK/crate/tests"
sed "s|@ROOT@|$ROOT|g" .ci/downstream/Cargo.toml.in >"$WORK/crate/Cargo.toml"
echo '//! Nothing here: the tests are the point.' >"$WORK/crate/src/lib.rs"
cp .ci/downstream/tests/*.rs tests/examples/readme_testing.rs "$WORK/crate/tests/"
# readme_testing.rs checks that the README shows it verbatim; it reads `../../README.md` from
# its own directory (in the workspace it lives one level deeper, in tests/examples/).
cp README.md "$WORK/"
# Start from the workspace's lock file so the same dependency versions (and builds) are used.
cp Cargo.lock "$WORK/crate/Cargo.lock"
(cd "$WORK/crate" && timeout 1200 cargo test --quiet -- --nocapture 2>&1 | grep -vE '^\s*$')

echo "[downstream] cargo install --debug --path mns-emulator"
timeout 1200 cargo install --quiet --debug --locked --path mns-emulator --root "$WORK/install"
BIN="$WORK/install/bin/mns-emulator"
"$BIN" --help | grep -q -- "--generate-push-signing-key"
# Created here: the background job's own redirection may not have run when the loop first reads.
: >"$WORK/emu.out"
"$BIN" --bind 127.0.0.1:0 --log-level warn >"$WORK/emu.out" 2>&1 &
EMU_PID=$!
ENDPOINT=""
for _ in $(seq 1 100); do
  ENDPOINT="$(sed -n 's/^mns-emulator listening on //p' "$WORK/emu.out")"
  [ -n "$ENDPOINT" ] && break
  sleep 0.1
done
[ -n "$ENDPOINT" ] || { echo "installed emulator did not start"; cat "$WORK/emu.out"; exit 1; }
# One request: unsigned, so MNS's own error document must come back.
ANSWER="$(curl -s -m 10 "$ENDPOINT/queues" || true)"
echo "$ANSWER" | grep -q "<Code>MissingAuthorizationHeader</Code>" ||
  { echo "unexpected answer from the installed emulator: $ANSWER"; exit 1; }
echo "[downstream] OK"
