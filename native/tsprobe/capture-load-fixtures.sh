#!/bin/bash
# Captures the bb-tsprobe load fixtures (test/fixtures/tsprobe/load-*): on/off arrivals and a rate
# the client cannot reach (unsent slots, latency from the schedule), from real runs, with a .json
# next to each output saying how it was made (the format of capture-fixtures.sh). Needs root;
# creates namespaces $PREFIX{a,b} (10.236.0.0/24) and removes them on exit.
#   usage: native/tsprobe/capture-load-fixtures.sh [OUTDIR]
set -euo pipefail
PREFIX=${PREFIX:-ld}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/native/build/bb-tsprobe"
OUT=${1:-$ROOT/test/fixtures/tsprobe}
A=${PREFIX}a B=${PREFIX}b SP=
make -s -C "$ROOT/native" build/bb-tsprobe
teardown() {
  set +e
  [ -n "$SP" ] && kill -INT "$SP" 2>/dev/null && wait "$SP"
  ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
}
trap teardown EXIT INT TERM
ip netns add "$A"; ip netns add "$B"
ip link add ${A}0 netns "$A" type veth peer name ${B}0 netns "$B"
ip -n "$A" addr add 10.236.0.1/24 dev ${A}0; ip -n "$B" addr add 10.236.0.2/24 dev ${B}0
ip -n "$A" link set ${A}0 up; ip -n "$B" link set ${B}0 up
SETUP="netns $A (client, 10.236.0.1/24 on veth ${A}0) <-> netns $B (server, 10.236.0.2/24 on veth ${B}0), default veth offloads, no pinning; 2-vCPU Firecracker VM shared with other workers (noisy); server: bb-tsprobe server --bind 10.236.0.2:7000"
ip netns exec "$B" "$BIN" server --bind 10.236.0.2:7000 > /dev/null 2>&1 & SP=$!
sleep 0.3

client() { # name args... : runs a client to completion and writes <name>.{stdout,stderr,json}
  local name=$1; shift
  local code=0
  ip netns exec "$A" "$BIN" "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr" || code=$?
  python3 - "$OUT/$name.json" "$A" "$code" "$SETUP" "$(uname -r)" "$("$BIN" --version)" "$BIN" "$@" <<'PY'
import json, sys, datetime
path, ns, code, setup, kernel, version, *tool = sys.argv[1:]
json.dump({'argv': ['ip', 'netns', 'exec', ns, *tool], 'toolArgv': tool, 'exitCode': int(code),
           'capturedAt': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
           'setup': setup, 'toolVersion': version + ' (native/tsprobe, gcc -O2, libjansson 2.14)', 'kernel': kernel},
          open(path, 'w'), indent=2)
open(path, 'a').write('\n')
PY
}

# On/off bursts at a mean 2000 pps: 10 ms of sending at 10 kpps, then 40 ms of silence.
client load-raw64-2k-onoff client --server 10.236.0.2:7000 --size 64 --rate 2000 --arrivals onoff --on-ms 10 --off-ms 40 --duration 0.5 --warmup 0.1
# The same mean rate at fixed gaps, for comparison.
client load-raw64-2k-fixed client --server 10.236.0.2:7000 --size 64 --rate 2000 --arrivals fixed --duration 0.5 --warmup 0.1
# A rate the client cannot reach: it falls behind, skips and counts overdue slots (unsent).
client load-raw64-overload client --server 10.236.0.2:7000 --size 64 --rate 500000 --duration 0.2 --warmup 0.1
echo "fixtures written to $OUT"
