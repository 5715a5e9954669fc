#!/bin/bash
# Captures the receive-mode fixtures (test/fixtures/tsprobe/rxmode-*): one bare client per receive
# mode at 5 kpps, 64 B, from real runs, with a .json next to each output saying how it was made
# (the format of capture-fixtures.sh). block: client and server block, both on CPU 1 (sockperf's
# default layout); spin: both poll, the server on CPU 0 and the client on CPU 1 (a spinner needs a
# CPU of its own). Needs root; creates namespaces $PREFIX{a,b} (10.237.0.0/24), removes them on exit.
#   usage: native/tsprobe/capture-rxmode-fixtures.sh [OUTDIR]
set -euo pipefail
PREFIX=${PREFIX:-rxm}
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
ip -n "$A" addr add 10.237.0.1/24 dev ${A}0; ip -n "$B" addr add 10.237.0.2/24 dev ${B}0
ip -n "$A" link set ${A}0 up; ip -n "$B" link set ${B}0 up

capture() { # name mode server-cpu : server + one client run, writes <name>.{stdout,stderr,json,records.csv}
  local name=$1 mode=$2 scpu=$3 code=0
  local setup="netns $A (client, 10.237.0.1/24 on veth ${A}0, CPU 1) <-> netns $B (server, 10.237.0.2/24 on veth ${B}0, CPU $scpu), default veth offloads; 2-vCPU Firecracker VM shared with other workers (noisy); server: taskset -c $scpu bb-tsprobe server --bind 10.237.0.2:7000 --rx-mode $mode"
  ip netns exec "$B" taskset -c "$scpu" "$BIN" server --bind 10.237.0.2:7000 --rx-mode "$mode" > /dev/null 2>&1 & SP=$!
  sleep 0.3
  local tool=(client --server 10.237.0.2:7000 --size 64 --rate 5000 --duration 0.5 --warmup 0.2 --records "$OUT/$name.records.csv" --rx-mode "$mode")
  ip netns exec "$A" taskset -c 1 "$BIN" "${tool[@]}" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr" || code=$?
  kill -INT "$SP"; wait "$SP" || true; SP=
  python3 - "$OUT/$name.json" "$A" "$code" "$setup" "$(uname -r)" "$("$BIN" --version)" "$name.records.csv" taskset -c 1 "$BIN" "${tool[@]}" <<'PY'
import json, sys, datetime
path, ns, code, setup, kernel, version, records, *tool = sys.argv[1:]
json.dump({'argv': ['ip', 'netns', 'exec', ns, *tool], 'toolArgv': tool[3:], 'exitCode': int(code),
           'capturedAt': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
           'setup': setup, 'toolVersion': version + ' (native/tsprobe, gcc -O2, libjansson 2.14)', 'kernel': kernel,
           'records': records}, open(path, 'w'), indent=2)
open(path, 'a').write('\n')
PY
}

capture rxmode-raw64-5k-block block 1
capture rxmode-raw64-5k-spin spin 0
echo "fixtures written to $OUT"
