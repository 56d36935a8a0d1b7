#!/usr/bin/env bash
# "Where the time goes" in BENCHMARKS.md: instructions per request of a release emulator under a
# fixed request mix, counted by callgrind (instruction counts are stable on a noisy shared
# machine, where wall-clock profiles are not).
#
#   bench/profile.sh signed     # mns-loadgen cycle: signed SendMessage + ReceiveMessage + DeleteMessage
#   bench/profile.sh send       # wrk bench/wrk/send.lua: SendMessage, --accept-any-signature
#   bench/profile.sh client     # the client side: mns-loadgen cycle (signed) against a native emulator
#   EMU=path/mns-emulator LG=path/mns-loadgen bench/profile.sh signed   # prebuilt binaries
#   ANALYZE_ONLY=1 OUT=file bench/profile.sh   # summarise an earlier callgrind output again
#
# Prints the instructions per request (total over requests served; requests are counted as calls
# of the authentication check, which every request passes through, or for `client` of
# `Client::url_for`, which every request the client sends passes through) and the top functions,
# both inclusive and exclusive, per request. Needs valgrind (callgrind_annotate), python3, and wrk for
# `send`. The callgrind output stays in $OUT (default /tmp/mns-profile.<mode>.out).
#
# Note: valgrind hides the CPU's SHA extensions, so SHA-1 (request signatures) runs the portable
# code under callgrind and weighs more here than on the real CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-signed}
SECS=${SECS:-6}
PORT=${PORT:-9931}
OUT=${OUT:-/tmp/mns-profile.$MODE.out}
if [[ -z ${ANALYZE_ONLY:-} ]] && [[ -z ${EMU:-} || -z ${LG:-} ]]; then
  cargo build --release -q -p mns-loadgen
  cargo build --release -q -p mns-emulator --bin mns-emulator
  TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
  EMU=${EMU:-$TARGET_DIR/release/mns-emulator}
  LG=${LG:-$TARGET_DIR/release/mns-loadgen}
fi

if [[ -n ${ANALYZE_ONLY:-} ]]; then
  : # re-read an existing $OUT
else
args=(--bind "127.0.0.1:$PORT" --log-level warn)
[[ $MODE == send ]] && args+=(--accept-any-signature)
if [[ $MODE == client ]]; then
  "$EMU" "${args[@]}" >/dev/null 2>&1 &
else
  valgrind --tool=callgrind --callgrind-out-file="$OUT" "$EMU" "${args[@]}" >/dev/null 2>"$OUT.log" &
fi
PID=$!
trap 'kill -INT $PID 2>/dev/null || true' EXIT
for _ in $(seq 200); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
case $MODE in
  signed)
    "$LG" cycle --endpoint "http://127.0.0.1:$PORT" --clients 8 --seconds "$SECS" --warmup 1 | tail -1
    ;;
  client)
    valgrind --tool=callgrind --callgrind-out-file="$OUT" "$LG" cycle \
      --endpoint "http://127.0.0.1:$PORT" --clients 16 --seconds "$SECS" --warmup 1 2>"$OUT.log" | tail -1
    ;;
  send)
    curl -s -o /dev/null -X PUT -H 'x-mns-version: 2015-06-06' -H 'Authorization: MNS testid:x' \
      --data '<Queue xmlns="http://mns.aliyuncs.com/doc/v1/"/>' "http://127.0.0.1:$PORT/queues/wrk"
    wrk -t1 -c16 -d"${SECS}s" -s bench/wrk/send.lua "http://127.0.0.1:$PORT" | grep "requests in"
    ;;
  *)
    echo "mode must be signed or send" >&2
    exit 2
    ;;
esac
kill -INT $PID
wait $PID || true
trap - EXIT
fi

python3 - "$OUT" "$MODE" <<'EOF'
import re, subprocess, sys
path, mode = sys.argv[1], sys.argv[2]
counted = ("mns_client::transport::<impl mns_client::client::Client>::url_for" if mode == "client"
           else "mns_emulator::auth::Authenticator::verify")
# Requests = calls of `counted` (once per request on the profiled side).
names, calls, cur = {}, 0, None
for line in open(path, errors="replace"):
    if line.startswith(("fn=", "cfn=")):
        m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.strip())
        if m.group(2):
            names[m.group(1)] = m.group(2)
        cur = names.get(m.group(1)) if line.startswith("cfn=") else None
    elif line.startswith("calls=") and cur == counted:
        calls += int(line.split()[0][6:])
        cur = None
total = next(int(l.split()[1]) for l in open(path) if l.startswith("summary:"))
print(f"requests: {calls}  instructions: {total:,}  per request: {total / max(calls, 1):,.0f}")
for inclusive in ("yes", "no"):
    print(f"\ntop functions ({'inclusive' if inclusive == 'yes' else 'exclusive'}), instructions per request:")
    out = subprocess.run(["callgrind_annotate", f"--inclusive={inclusive}", path],
                         capture_output=True, text=True).stdout
    shown = 0
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?)(?: \[.*\])?$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        # Drop the file part: "???:" or "./malloc/./malloc/malloc.c:".
        name = re.sub(r"^(\?\?\?|\S*?\.[chS]):", "", m.group(2))
        if inclusive == "yes" and not re.search(
                r"mns_emulator::|mns_client::|reqwest::|url::|hyper::proto|axum::routing|sha1|md5|malloc|free", name):
            continue
        print(f"  {int(m.group(1).replace(',', '')) / max(calls, 1):>9,.0f}  {name[:110]}")
        shown += 1
        if shown == 25:
            break
EOF
