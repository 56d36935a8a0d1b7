#!/usr/bin/env bash
# Per-core scaling of the standalone emulator, with the canned do-nothing server measured in the
# same run, as one Markdown table (the scaling table in BENCHMARKS.md).
#
#   bench/scaling.sh                          # builds release binaries, NS from the core count
#   NS="1 2 4 8" LOADCORES=8-15 S=6 bench/scaling.sh
#   EMU=path/mns-emulator LG=path/mns-loadgen WRK=path/wrk bench/scaling.sh   # prebuilt (no cargo)
#
# For each N in NS the server under test (canned server, then the emulator) is pinned to cores
# 0..N-1 with taskset and the load (wrk, mns-loadgen) runs on LOADCORES. LOADCORES defaults to
# the cores the server does not use; when N is every core of the machine there are none, and
# the load shares the server's cores (the row is marked "shared"). Columns:
#
# * canned / emulator SendMessage req/s: wrk, bench/wrk/send.lua, 64 connections,
#   --accept-any-signature; ratio = emulator / canned.
# * wrk cycle msg/s: bench/wrk/cycle.lua (send, receive, delete on one queue), 64 connections.
# * signed cycle msg/s: mns-loadgen cycle --clients 64 (64 queues, signed requests).
# * signed batch-16 msg/s: the same with 16-message batch calls.
# * loadgen / wrk: the signed cycle's request rate over wrk's cycle request rate against the
#   same emulator (how close one mns-loadgen process comes to driving it as hard as wrk).
#
# Needs taskset (util-linux), wrk and bash's /dev/tcp. Every server listens on loopback only.
# Figures are wall-clock rates: note the load (printed) and compare ratios within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${S:-6}
CONNS=${CONNS:-64}
CORES=$(nproc)
if [[ -z ${EMU:-} || -z ${LG:-} ]]; then
  cargo build --release -q -p mns-loadgen
  cargo build --release -q -p mns-emulator --bin mns-emulator
  TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
  EMU=${EMU:-$TARGET_DIR/release/mns-emulator}
  LG=${LG:-$TARGET_DIR/release/mns-loadgen}
fi
WRK=${WRK:-wrk}
SCR=bench/wrk
if [[ -z ${NS:-} ]]; then
  NS=""
  for n in 1 2 4 8 16 32; do ((n <= CORES)) && NS="$NS $n"; done
fi
EMU_PORT=${EMU_PORT:-9911}
CANNED_PORT=${CANNED_PORT:-9912}

echo "== $(uname -srm), $CORES cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), ${S}s per figure, $CONNS connections"
echo "== commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), load:$(uptime | sed 's/.*load average://')"

PID=""
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# Starts a server pinned to $1 (a taskset core list); the rest is its command line.
start() {
  local cores=$1
  shift
  taskset -c "$cores" "$@" >/dev/null 2>&1 &
  PID=$!
}
stop() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}

create_wrk_queue() {
  local body='<?xml version="1.0"?><Queue xmlns="http://mns.aliyuncs.com/doc/v1/"></Queue>'
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'PUT /queues/wrk HTTP/1.1\r\nHost: 127.0.0.1\r\nx-mns-version: 2015-06-06\r\nAuthorization: MNS testid:x\r\nContent-Type: text/xml\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' ${#body} "$body" >&3
  head -1 <&3 >/dev/null
  exec 3>&-
}

echo
echo "| cores | load on | canned SendMessage req/s | emulator SendMessage req/s | ratio | wrk cycle msg/s | signed cycle msg/s | signed batch-16 msg/s | loadgen / wrk req/s |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $NS; do
  server="0-$((n - 1))"
  if [[ -n ${LOADCORES:-} ]]; then
    load=$LOADCORES
  elif ((n < CORES)); then
    load="$n-$((CORES - 1))"
  else
    load="0-$((CORES - 1))"
  fi
  label=$load
  if [[ -z ${LOADCORES:-} ]] && ((n >= CORES)); then label="$load (shared)"; fi
  nload=$(taskset -c "$load" nproc)
  wrk_load() { taskset -c "$load" "$WRK" -t"$nload" -c"$CONNS" -d"${S}s" "$@"; }

  start "$server" "$LG" canned --bind "127.0.0.1:$CANNED_PORT"
  wait_port "$CANNED_PORT"
  canned=$(wrk_load -s $SCR/send.lua "http://127.0.0.1:$CANNED_PORT" | awk '/Requests\/sec/ {print $2}')
  stop

  emu=("$EMU" --bind "127.0.0.1:$EMU_PORT" --log-level warn)
  start "$server" "${emu[@]}" --accept-any-signature
  wait_port "$EMU_PORT"
  create_wrk_queue "$EMU_PORT"
  send=$(wrk_load -s $SCR/send.lua "http://127.0.0.1:$EMU_PORT" | awk '/Requests\/sec/ {print $2}')
  stop

  start "$server" "${emu[@]}" --accept-any-signature
  wait_port "$EMU_PORT"
  create_wrk_queue "$EMU_PORT"
  out=$(wrk_load -s $SCR/cycle.lua "http://127.0.0.1:$EMU_PORT")
  wrk_cycle=$(awk '/cycled messages\/s/ {print $NF}' <<<"$out")
  wrk_rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  stop

  start "$server" "${emu[@]}"
  wait_port "$EMU_PORT"
  lg() { taskset -c "$load" "$LG" cycle --endpoint "http://127.0.0.1:$EMU_PORT" --clients "$CONNS" --seconds "$S" --warmup 1 "$@" 2>&1; }
  out=$(lg)
  signed=$(awk '/messages\/s/ {print $4}' <<<"$out")
  signed_rps=$(awk '/requests\/s:/ {print $6}' <<<"$out")
  batch=$(lg --batch 16 | awk '/messages\/s/ {print $4}')
  stop

  ratio=$(awk -v a="${send:-0}" -v b="${canned:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  lgwrk=$(awk -v a="${signed_rps:-0}" -v b="${wrk_rps:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  echo "| $n | $label | ${canned:-?} | ${send:-?} | $ratio | ${wrk_cycle:-?} | ${signed:-?} | ${batch:-?} | $lgwrk |"
done
echo
echo "== load at end:$(uptime | sed 's/.*load average://')"
