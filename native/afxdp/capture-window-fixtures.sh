#!/bin/bash
# Captures the achieved-rate fixtures of the open-loop generators the throughput search uses, from
# real runs, with a .json next to each output saying how it was made (the format of the other
# fixtures): bb-afxdp load and sock-load (test/fixtures/afxdp/window-*; achievedPps = requests sent
# within the requested window ÷ that window) and sockperf under-load (test/fixtures/sockperf/
# udp-underload-window-*; its -t is the window). Needs root; creates namespaces $PREFIX{a,b}
# (10.237.0.0/24) and removes them, and the processes it started, on exit.
#   usage: native/afxdp/capture-window-fixtures.sh
set -euo pipefail
PREFIX=${PREFIX:-hw}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=native/build/bb-afxdp
A=${PREFIX}a B=${PREFIX}b RP=
make -s -C native build/bb-afxdp
teardown() {
  set +e
  [ -n "$RP" ] && kill -INT "$RP" 2>/dev/null && wait "$RP"
  ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
}
trap teardown EXIT INT TERM
ip netns add "$A"; ip netns add "$B"
ip link add ${A}0 netns "$A" address 02:37:00:00:00:01 type veth peer name ${B}0 netns "$B" address 02:37:00:00:00:02
ip -n "$A" addr add 10.237.0.1/24 dev ${A}0; ip -n "$B" addr add 10.237.0.2/24 dev ${B}0
ip -n "$A" link set ${A}0 up; ip -n "$B" link set ${B}0 up
ip -n "$A" neigh replace 10.237.0.2 lladdr 02:37:00:00:00:02 dev ${A}0 nud permanent
ip -n "$B" neigh replace 10.237.0.1 lladdr 02:37:00:00:00:01 dev ${B}0 nud permanent
ip netns exec "$A" ethtool -K ${A}0 tx off > /dev/null
KERNEL=$(uname -r)
HALTPOLL=$(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns 2>/dev/null || echo null)

record() { # out-dir name setup tool-version code ns tool-argv... : writes <name>.json
  python3 - "$@" "$KERNEL" "$HALTPOLL" <<'PY'
import json, sys, datetime
out, name, setup, version, code, ns, *rest = sys.argv[1:]
tool, kernel, haltpoll = rest[:-2], rest[-2], rest[-1]
argv = ['ip', 'netns', 'exec', ns, *tool]
json.dump({'argv': argv, 'toolArgv': tool[3:] if tool[:1] == ['taskset'] else tool, 'exitCode': int(code),
           'capturedAt': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
           'capturedWith': 'native/afxdp/capture-window-fixtures.sh',
           'setup': setup, 'toolVersion': version, 'kernel': kernel,
           'haltpollNs': None if haltpoll == 'null' else int(haltpoll)},
          open(f'{out}/{name}.json', 'w'), indent=2)
open(f'{out}/{name}.json', 'a').write('\n')
PY
}

run() { # out-dir name setup tool-version tool-argv... : runs a client in $A to completion
  local out=$1 name=$2 setup=$3 version=$4; shift 4
  local code=0
  ip netns exec "$A" "$@" > "$out/$name.stdout" 2> "$out/$name.stderr" || code=$?
  record "$out" "$name" "$setup" "$version" "$code" "$A" "$@"
}

NET="netns $A (client, 10.237.0.1/24 on veth ${A}0, MAC 02:37:00:00:00:01) <-> netns $B (10.237.0.2/24 on veth ${B}0, MAC 02:37:00:00:00:02); static neighbour entries both ways; TX checksum offload off on ${A}0; 2-vCPU Firecracker VM shared with other workers (noisy)"
AFXDP_VERSION="bb-afxdp $($BIN --version 2>/dev/null | head -1 | awk '{print $NF}') (libxdp1 $(dpkg-query -W -f='${Version}' libxdp1), libbpf1 $(dpkg-query -W -f='${Version}' libbpf1))"

# bb-afxdp against its own AF_XDP reflector.
ip netns exec "$B" taskset -c 1 $BIN reflect --ifname ${B}0 --busy-poll --json > /dev/null 2>&1 & RP=$!
sleep 1.5
SETUP="$NET; reflector: ip netns exec $B taskset -c 1 $BIN reflect --ifname ${B}0 --busy-poll --json (stopped with SIGINT afterwards)"
OUT=test/fixtures/afxdp
run $OUT window-load-20k "$SETUP" "$AFXDP_VERSION" taskset -c 0 $BIN load --ifname ${A}0 --dst-mac 02:37:00:00:00:02 --dst-ip 10.237.0.2 --size 64 --rate 20000 --duration 2 --warmup 0.2 --busy-poll --json
run $OUT window-sock-load-20k "$SETUP" "$AFXDP_VERSION" taskset -c 0 $BIN sock-load --bind-ip 10.237.0.1 --dst-ip 10.237.0.2 --size 64 --rate 20000 --duration 2 --warmup 0.2 --json
# A rate the client cannot reach here: requests left unsent at the window's end.
run $OUT window-load-overload "$SETUP" "$AFXDP_VERSION" taskset -c 0 $BIN load --ifname ${A}0 --dst-mac 02:37:00:00:00:02 --dst-ip 10.237.0.2 --size 64 --rate 3000000 --duration 1 --warmup 0.1 --busy-poll --json
kill -INT "$RP"; wait "$RP" || true; RP=

# sockperf under-load, every message answered (the search's kernel-udp generator).
ip netns exec "$B" taskset -c 1 sockperf server -i 10.237.0.2 -p 12237 > /dev/null 2>&1 & RP=$!
sleep 0.5
SETUP="$NET; server: ip netns exec $B taskset -c 1 sockperf server -i 10.237.0.2 -p 12237 (stopped with SIGINT afterwards)"
SOCKPERF_VERSION="sockperf $(dpkg-query -W -f='${Version}' sockperf) (Debian)"
run test/fixtures/sockperf udp-underload-window-20k "$SETUP" "$SOCKPERF_VERSION" taskset -c 0 sockperf under-load -i 10.237.0.2 -p 12237 -m 64 -t 3 --mps 20000 --reply-every 1 --full-rtt
echo "fixtures written"
