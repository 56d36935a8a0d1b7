#!/usr/bin/env bash
# Official-SDK interop: runs the official Python SDKs (aliyun-mns-sdk 1.3.0 and the control-plane
# alibabacloud-mns-open20220119 1.4.1, PyPI) and Node SDK
# (@alicloud/mns 1.2.0, npm) against the standalone mns-emulator binary, through the whole queue
# lifecycle and the topic lifecycle (with delivery into queues). Installs everything it needs (a
# venv under interop/.venv, interop/node_modules), is bounded in time, kills the emulator on exit
# and prints its log on failure.
#
#   interop/run.sh            # both SDKs
#   interop/run.sh python     # one SDK (python | node)
#
# Environment: INTEROP_TIMEOUT (whole run, seconds, default 1500), PIP_TIMEOUT (per pip
# network request, default 60), MNS_EMULATOR_BIN (use this binary instead of building one).
set -euo pipefail

# Bound the whole run: re-execute under timeout(1) once.
if [ -z "${MNS_INTEROP_BOUNDED:-}" ]; then
  export MNS_INTEROP_BOUNDED=1
  exec timeout --kill-after=15 "${INTEROP_TIMEOUT:-1500}" "$0" "$@"
fi

INTEROP_DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$INTEROP_DIR/.." && pwd)"
cd "$ROOT"

ACCOUNT_ID=1234567890123456
REGION=cn-hangzhou
ACCESS_KEY_ID=testid
ACCESS_KEY_SECRET=testsecret
if [ "$#" -eq 0 ]; then set -- python node; fi
SDKS=("$@")

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mns-interop.XXXXXX")"
EMULATOR_LOG="$LOG_DIR/emulator.log"
EMULATOR_PID=""
FAILED=0

say() { echo "[interop] $*"; }

cleanup() {
  local status=$?
  if [ -n "$EMULATOR_PID" ] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] || [ "$FAILED" -ne 0 ]; then
    if [ -s "$EMULATOR_LOG" ]; then
      echo "----- emulator log (last 200 lines of $EMULATOR_LOG) -----"
      tail -n 200 "$EMULATOR_LOG"
      echo "----- end of emulator log -----"
    fi
  else
    rm -rf "$LOG_DIR"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- emulator
if [ -n "${MNS_EMULATOR_BIN:-}" ]; then
  EMULATOR_BIN="$MNS_EMULATOR_BIN"
else
  say "building mns-emulator"
  timeout 1200 cargo build --quiet -p mns-emulator --bin mns-emulator
  EMULATOR_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/mns-emulator"
fi

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ENDPOINT="http://127.0.0.1:$PORT"
say "starting $EMULATOR_BIN on $ENDPOINT (log: $EMULATOR_LOG)"
"$EMULATOR_BIN" --bind "127.0.0.1:$PORT" --account-id "$ACCOUNT_ID" --region "$REGION" \
  --access-key "$ACCESS_KEY_ID:$ACCESS_KEY_SECRET" >"$EMULATOR_LOG" 2>&1 &
EMULATOR_PID=$!

# Wait until it answers HTTP (any status counts: an unsigned request gets an <Error>).
answered=0
for _ in $(seq 1 150); do
  if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
    say "the emulator exited before answering"
    exit 1
  fi
  if python3 - "$ENDPOINT" <<'EOF' 2>/dev/null; then
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/queues", timeout=1)
except urllib.error.HTTPError:
    pass
EOF
    answered=1
    break
  fi
  sleep 0.2
done
if [ "$answered" -ne 1 ]; then
  say "the emulator did not answer within 30 s"
  exit 1
fi
say "emulator answers"

export MNS_ENDPOINT="$ENDPOINT" MNS_ACCOUNT_ID="$ACCOUNT_ID"
export MNS_ACCESS_KEY_ID="$ACCESS_KEY_ID" MNS_ACCESS_KEY_SECRET="$ACCESS_KEY_SECRET"

# ---------------------------------------------------------------- python
# Installs the pinned SDK into interop/.venv (or, without venv/ensurepip, interop/.pydeps via
# `pip install --target`) and prints the interpreter to use plus an optional PYTHONPATH.
setup_python() {
  local req="$INTEROP_DIR/python/requirements.txt"
  local stamp_value
  stamp_value="$(cat "$req")"
  local venv="$INTEROP_DIR/.venv"
  local target="$INTEROP_DIR/.pydeps"
  local pip_opts=(--disable-pip-version-check --no-input --timeout "${PIP_TIMEOUT:-60}" --retries 3)

  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.interop-stamp" 2>/dev/null)" = "$stamp_value" ]; then
    PYTHON="$venv/bin/python"; PY_PATH=""; return 0
  fi
  if [ -d "$target/mns" ] && [ -d "$target/alibabacloud_mns_open20220119" ] && [ "$(cat "$target/.interop-stamp" 2>/dev/null)" = "$stamp_value" ]; then
    PYTHON="python3"; PY_PATH="$target"; return 0
  fi

  rm -rf "$venv"
  if python3 -m venv "$venv" >/dev/null 2>&1 && [ -x "$venv/bin/pip" ]; then
    say "installing the Python SDK into $venv"
    timeout 600 "$venv/bin/pip" install --quiet "${pip_opts[@]}" -r "$req" || return 1
    echo "$stamp_value" >"$venv/.interop-stamp"
    PYTHON="$venv/bin/python"; PY_PATH=""
  else
    say "python3 -m venv unavailable (no venv/ensurepip): using pip install --target $target"
    rm -rf "$venv" "$target"
    if ! python3 -m pip --version >/dev/null 2>&1; then
      say "python3 has no pip either: install python3-venv or python3-pip"
      return 1
    fi
    timeout 600 python3 -m pip install --quiet "${pip_opts[@]}" --target "$target" -r "$req" || return 1
    echo "$stamp_value" >"$target/.interop-stamp"
    PYTHON="python3"; PY_PATH="$target"
  fi
}

run_python() {
  say "official Python SDK"
  setup_python || return 1
  (cd "$INTEROP_DIR/python" && PYTHONPATH="${PY_PATH}" PYTHONDONTWRITEBYTECODE=1 \
    timeout 300 "$PYTHON" run_sdk_tests.py) || return 1
  run_python_properties || return 1
  run_python_openapi
}

# The control plane (issue 15): the official OpenAPI SDK (alibabacloud-mns-open20220119, ACS3)
# creates a FIFO queue with a DLQ policy and tags, lists, updates and deletes queues, topics and
# subscriptions; the data-plane SDK then uses the queue; last a raw RPC-v1 request as Terraform
# sends it.
run_python_openapi() {
  say "control plane: official Python OpenAPI SDK and a Terraform-style RPC-v1 request"
  (cd "$INTEROP_DIR/python" && PYTHONPATH="${PY_PATH}" PYTHONDONTWRITEBYTECODE=1 \
    timeout 120 "$PYTHON" openapi_interop.py) || return 1
}

# Message properties across SDKs (issue 13): mns-client sends the canonical message (every user
# property type, trace-context system properties, a group id) and the Python SDK checks it, then
# the other way round. The Rust side is `examples/message_properties.rs`.
run_python_properties() {
  say "message properties: mns-client <-> official Python SDK"
  local rust=(env ALIBABA_CLOUD_ACCESS_KEY_ID="$ACCESS_KEY_ID" ALIBABA_CLOUD_ACCESS_KEY_SECRET="$ACCESS_KEY_SECRET"
    timeout 600 cargo run --quiet --example message_properties --)
  local py=(env PYTHONPATH="${PY_PATH}" PYTHONDONTWRITEBYTECODE=1 timeout 60 "$PYTHON" properties_interop.py)
  local rs_to_py="interop-rs-to-py-$$" py_to_rs="interop-py-to-rs-$$"
  "${rust[@]}" send "$rs_to_py" || return 1
  (cd "$INTEROP_DIR/python" && "${py[@]}" check "$rs_to_py") || return 1
  (cd "$INTEROP_DIR/python" && "${py[@]}" send "$py_to_rs") || return 1
  "${rust[@]}" check "$py_to_rs" || return 1
}

# ---------------------------------------------------------------- node
run_node() {
  say "official Node SDK"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    say "node/npm missing: installing Debian's nodejs and npm"
    (timeout 300 apt-get update -qq && timeout 600 apt-get install -y -qq nodejs npm >/dev/null) || return 1
  fi
  local stamp="$INTEROP_DIR/node_modules/.interop-stamp"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$(cat "$INTEROP_DIR/package-lock.json")" ]; then
    say "installing the Node SDK into $INTEROP_DIR/node_modules (npm ci)"
    (cd "$INTEROP_DIR" && timeout 600 npm ci --no-audit --no-fund --loglevel=error) || return 1
    cp "$INTEROP_DIR/package-lock.json" "$stamp"
  fi
  (cd "$INTEROP_DIR/node" && timeout 300 node run_sdk_tests.js)
}

for sdk in "${SDKS[@]}"; do
  case "$sdk" in
    python) run_python || FAILED=1 ;;
    node) run_node || FAILED=1 ;;
    *) say "unknown SDK '$sdk' (python | node)"; FAILED=1 ;;
  esac
done

if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
  say "the emulator died during the run"
  FAILED=1
fi
if [ "$FAILED" -ne 0 ]; then
  say "FAILED"
  exit 1
fi
say "all official SDK interop checks passed"
