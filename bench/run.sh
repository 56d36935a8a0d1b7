#!/usr/bin/env bash
# Produces every figure in BENCHMARKS.md, in one run on one machine.
#
#   bench/run.sh            # everything (needs wrk: `apt-get install wrk`)
#   SECONDS_PER=10 bench/run.sh
#
# Builds release binaries, then runs: the client criterion benchmarks, the in-process load
# generator scenarios (over mns-client, signed), and wrk against the standalone emulator and the
# canned do-nothing server (accept-any-signature; wrk cannot sign).
set -euo pipefail
cd "$(dirname "$0")/.."
S="${SECONDS_PER:-10}"
export CARGO_TERM_COLOR=never

echo "== machine"
uname -srm
nproc
grep -m1 "model name" /proc/cpuinfo || true
uptime
git rev-parse --short HEAD 2>/dev/null || echo "(not a git checkout)"

cargo build --release -q -p mns-loadgen -p mns-emulator --bin mns-emulator
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
LOADGEN="$TARGET_DIR/release/mns-loadgen"
EMULATOR="$TARGET_DIR/release/mns-emulator"

echo; echo "== mns-client criterion: cargo bench -p mns-client --bench client -- --warm-up-time 1 --measurement-time 3"
cargo bench -q -p mns-client --bench client -- --warm-up-time 1 --measurement-time 3 2>&1 | grep -E "time:|^[a-z_/ ]+$" || true

echo; echo "== loadgen (in-process emulator, mns-client, signed requests)"
"$LOADGEN" cycle --seconds "$S"
"$LOADGEN" cycle --batch 16 --seconds "$S"
"$LOADGEN" baseline --seconds "$S"
"$LOADGEN" wakeup
"$LOADGEN" startup
"$LOADGEN" memory

if command -v wrk >/dev/null; then
  echo; echo "== wrk -t1 -c16 -d${S}s (standalone emulator --accept-any-signature, canned server)"
  create_queue() {
    curl -s -o /dev/null -w "create queue: %{http_code}\n" -X PUT -H 'x-mns-version: 2015-06-06' \
      -H 'Authorization: MNS testid:x' -H 'Content-Type: text/xml' \
      --data '<?xml version="1.0"?><Queue xmlns="http://mns.aliyuncs.com/doc/v1/"></Queue>' \
      "http://127.0.0.1:$1/queues/wrk"
  }
  "$LOADGEN" canned --bind 127.0.0.1:9912 >/dev/null & CANNED=$!
  "$EMULATOR" --bind 127.0.0.1:9911 --accept-any-signature --log-level warn >/dev/null & EMU=$!
  trap 'kill $CANNED $EMU 2>/dev/null || true' EXIT
  sleep 0.5
  create_queue 9911
  echo "-- SendMessage, canned server"
  wrk -t1 -c16 -d"${S}s" -s bench/wrk/send.lua http://127.0.0.1:9912 | grep -E "Requests/sec"
  echo "-- SendMessage, emulator"
  wrk -t1 -c16 -d"${S}s" -s bench/wrk/send.lua http://127.0.0.1:9911 | grep -E "Requests/sec"
  kill $EMU; wait $EMU 2>/dev/null || true
  "$EMULATOR" --bind 127.0.0.1:9911 --accept-any-signature --log-level warn >/dev/null & EMU=$!
  sleep 0.5; create_queue 9911
  echo "-- full cycle (send, receive, delete), emulator"
  wrk -t1 -c16 -d"${S}s" -s bench/wrk/cycle.lua http://127.0.0.1:9911 | grep -E "Requests/sec|cycled"
  echo "-- batched full cycle (16 per call), emulator"
  wrk -t1 -c16 -d"${S}s" -s bench/wrk/cycle_batch.lua http://127.0.0.1:9911 | grep -E "Requests/sec|cycled"
fi
echo; uptime
