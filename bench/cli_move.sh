#!/usr/bin/env bash
# `mns move` throughput: N messages (default 10,000) from a DLQ back to its source queue, against
# the standalone emulator in release mode, next to `mns send --lines` of the same messages.
#
#   bench/cli_move.sh             # N=10000 RUNS=3
#   N=10000 RUNS=5 bench/cli_move.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-10000}"
RUNS="${RUNS:-3}"
export CARGO_TERM_COLOR=never

cargo build --release -q -p mns-client --features cli --bin mns -p mns-emulator --bin mns-emulator
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
MNS="$TARGET_DIR/release/mns"
EMULATOR="$TARGET_DIR/release/mns-emulator"

PORT="${PORT:-19911}"
"$EMULATOR" --bind "127.0.0.1:$PORT" --log-level warn &
EMU_PID=$!
trap 'kill "$EMU_PID" 2>/dev/null || true' EXIT
export MNS_ENDPOINT="http://127.0.0.1:$PORT"
export ALIBABA_CLOUD_ACCESS_KEY_ID=testid ALIBABA_CLOUD_ACCESS_KEY_SECRET=testsecret
for _ in $(seq 50); do "$MNS" queue list >/dev/null 2>&1 && break; sleep 0.1; done

INPUT="$(mktemp)"
trap 'kill "$EMU_PID" 2>/dev/null || true; rm -f "$INPUT"' EXIT
seq -f "order-%05g" 0 $((N - 1)) > "$INPUT"

uname -srm; nproc; uptime
echo "run  send_s  send_msg_per_s  move_s  move_msg_per_s  move/send"
for run in $(seq "$RUNS"); do
  "$MNS" queue create "dlq-$run" --visibility-timeout 60 >/dev/null
  "$MNS" queue create "orders-$run" >/dev/null
  t0=$(date +%s.%N)
  "$MNS" -q send "dlq-$run" --lines --file "$INPUT" >/dev/null
  t1=$(date +%s.%N)
  moved=$("$MNS" -q -o json move "dlq-$run" "orders-$run" --wait 0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["moved"])')
  t2=$(date +%s.%N)
  [ "$moved" = "$N" ] || { echo "moved $moved of $N" >&2; exit 1; }
  python3 - "$run" "$N" "$t0" "$t1" "$t2" <<'PY'
import sys
run, n, t0, t1, t2 = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:])
send, move = t1 - t0, t2 - t1
print(f"{run:>3}  {send:6.2f}  {n / send:14,.0f}  {move:6.2f}  {n / move:14,.0f}  {move / send:9.2f}")
PY
done
