#!/bin/bash
# Captures the bb-tsprobe parser fixtures (test/fixtures/tsprobe/) from real runs, and writes a
# .json next to each output saying exactly how it was made. Needs root; creates its own network
# namespaces (prefix $PREFIX, addresses 10.235.x.x) and removes them on exit.
#   usage: native/tsprobe/capture-fixtures.sh [OUTDIR]
set -euo pipefail

PREFIX=${PREFIX:-h5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/native/build/bb-tsprobe"
OUT=${1:-$ROOT/test/fixtures/tsprobe}
A=${PREFIX}a B=${PREFIX}b R1=${PREFIX}r1 R2=${PREFIX}r2
mkdir -p "$OUT"
make -s -C "$ROOT/native" build/bb-tsprobe

PIDS=()
teardown() {
  for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for ns in "$A" "$B" "$R1" "$R2"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap teardown EXIT

# client A --(10.235.0.0/24)-- server B                      (bare pair)
# client A --(10.235.1.0/24)-- R1 --(10.235.2.0/24)-- R2 --(10.235.3.0/24)-- server B
for ns in "$A" "$B" "$R1" "$R2"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
veth() { # ns1 if1 addr1 ns2 if2 addr2
  ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
  ip -n "$1" addr add "$3" dev "$2"; ip -n "$4" addr add "$6" dev "$5"
  ip -n "$1" link set "$2" up; ip -n "$4" link set "$5" up
}
veth "$A" "${A}0" 10.235.0.1/24 "$B" "${B}0" 10.235.0.2/24
veth "$A" "${A}1" 10.235.1.1/24 "$R1" "${R1}a" 10.235.1.2/24
veth "$R1" "${R1}b" 10.235.2.1/24 "$R2" "${R2}a" 10.235.2.2/24
veth "$R2" "${R2}b" 10.235.3.1/24 "$B" "${B}3" 10.235.3.2/24
SETUP_BARE="netns $A (client, 10.235.0.1/24 on veth ${A}0) <-> netns $B (server, 10.235.0.2/24 on veth ${B}0), default veth offloads, no pinning; 2-vCPU Firecracker VM shared with other workers (noisy)"
SETUP_HOPS="netns $A (client, 10.235.1.1 on ${A}1) <-> $R1 (relay 10.235.1.2 -> 10.235.2.2) <-> $R2 (relay 10.235.2.2 -> 10.235.3.2) <-> $B (server 10.235.3.2 on ${B}3), one /24 per veth pair, no pinning; 2-vCPU Firecracker VM shared with other workers (noisy)"

start() { # name ns args... : a long-running role, output captured as fixture <name>
  local name=$1 ns=$2; shift 2
  ip netns exec "$ns" "$BIN" "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr" &
  PIDS+=($!)
  printf '%s\n' "$ns" "$BIN" "$@" > "$OUT/$name.argv.tmp"
}

stop_all() {
  for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

meta() { # name exitcode setup [records] : writes <name>.json from <name>.argv.tmp
  python3 - "$OUT" "$1" "$2" "$3" "${4:-}" "$(uname -r)" "$(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns 2>/dev/null || echo null)" "$("$BIN" --version)" <<'PY'
import json, sys, datetime, os
out, name, code, setup, records, kernel, haltpoll, version = sys.argv[1:9]
with open(os.path.join(out, name + '.argv.tmp')) as f:
    lines = f.read().splitlines()
ns, tool = lines[0], lines[1:]
meta = {
    'argv': ['ip', 'netns', 'exec', ns, *tool],
    'toolArgv': tool,
    'exitCode': int(code),
    'capturedAt': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
    'setup': setup,
    'toolVersion': version + ' (native/tsprobe, gcc -O2, libjansson 2.14)',
    'kernel': kernel,
    'haltpollNs': None if haltpoll == 'null' else int(haltpoll),
}
if records:
    meta['records'] = records
with open(os.path.join(out, name + '.json'), 'w') as f:
    json.dump(meta, f, indent=2)
    f.write('\n')
os.remove(os.path.join(out, name + '.argv.tmp'))
PY
}

client() { # name ns setup args... : runs a client to completion
  local name=$1 ns=$2 setup=$3; shift 3
  printf '%s\n' "$ns" "$BIN" "$@" > "$OUT/$name.argv.tmp"
  local code=0
  ip netns exec "$ns" "$BIN" "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr" || code=$?
  local rec=""
  [ -f "$OUT/$name.records.csv" ] && rec="$name.records.csv"
  meta "$name" "$code" "$setup" "$rec"
}

# (a) bare raw 64 B at 1k / 5k / 20k pps; records kept to ~1000 rows each.
start bare-server "$B" server --bind 10.235.0.2:7000 --codec raw
sleep 0.3
for spec in "1k 1000 1" "5k 5000 0.2" "20k 20000 0.05"; do
  set -- $spec
  client "bare-raw64-$1" "$A" "$SETUP_BARE; server: bb-tsprobe server --bind 10.235.0.2:7000 --codec raw (fixture bare-server)" \
    client --server 10.235.0.2:7000 --size 64 --codec raw --rate "$2" --arrivals fixed --duration "$3" --warmup 0.2 \
    --records "$OUT/bare-raw64-$1.records.csv"
done
# The same at 1k pps with a sleeping (not spinning) client: the baseline for the hop scenario.
client bare-raw64-1k-sleep "$A" "$SETUP_BARE; server as in bare-raw64-1k" \
  client --server 10.235.0.2:7000 --size 64 --codec raw --rate 1000 --arrivals fixed --duration 1 --warmup 0.2 \
  --records "$OUT/bare-raw64-1k-sleep.records.csv" --pacing sleep
# Hardware timestamps requested on veth: the summary must say they are unsupported.
client bare-raw64-hwts "$A" "$SETUP_BARE; server as in bare-raw64-1k" \
  client --server 10.235.0.2:7000 --size 64 --rate 1000 --duration 0.2 --warmup 0.1 --hw-timestamps --iface "${A}0"
# TX_SCHED stamps and ids named per datagram (SCM_TS_OPT_ID) instead of the kernel counter.
client bare-raw64-txsched-cmsg "$A" "$SETUP_BARE; server as in bare-raw64-1k" \
  client --server 10.235.0.2:7000 --size 64 --rate 1000 --duration 0.3 --warmup 0.1 \
  --records "$OUT/bare-raw64-txsched-cmsg.records.csv" --tx-sched --tx-id cmsg
# Poisson arrivals, JSON codec, no hops.
client bare-json256-poisson-2k "$A" "$SETUP_BARE; server as in bare-raw64-1k (the server decodes the codec named in each request)" \
  client --server 10.235.0.2:7000 --size 256 --codec json --fields 8 --rate 2000 --arrivals poisson --seed 7 --duration 0.5 --warmup 0.2
stop_all
meta bare-server 0 "$SETUP_BARE; served the bare-raw64-* and bare-json256-* clients, stopped with SIGINT"

# (b) JSON 512 B, 16 fields, two relay hops, 2000 us pauses every 50 ms. The client sleeps between
# sends: with four busy processes on two vCPUs a spinning client is penalised by the scheduler
# and its replies wait milliseconds to be read, which would swamp what this case is about.
start hops-server "$B" server --bind 10.235.3.2:7000 --codec json --pause-us 2000 --pause-every-ms 50
start hops-relay2 "$R2" relay --bind 10.235.2.2:7000 --next 10.235.3.2:7000
start hops-relay1 "$R1" relay --bind 10.235.1.2:7000 --next 10.235.2.2:7000
sleep 0.3
client json512-2hops-pause-1k "$A" "$SETUP_HOPS; started in order: hops-server, hops-relay2, hops-relay1" \
  client --server 10.235.1.2:7000 --size 512 --codec json --fields 16 --rate 1000 --duration 1 --warmup 0.2 \
  --records "$OUT/json512-2hops-pause-1k.records.csv" --pacing sleep
stop_all
for name in hops-server hops-relay2 hops-relay1; do
  meta "$name" 0 "$SETUP_HOPS; served json512-2hops-pause-1k, stopped with SIGINT"
done

# Failures: nothing listens on port 7999 (ICMP port unreachable), and a bad argument.
client noserver "$A" "$SETUP_BARE; no process listens on 10.235.0.2:7999" \
  client --server 10.235.0.2:7999 --size 64 --rate 1000 --duration 0.2 --warmup 0 --drain-ms 50
client badrate "$A" "$SETUP_BARE; argument error, no traffic sent" \
  client --server 10.235.0.2:7000 --rate 0 --duration 1

# The records path inside each .json is the fixture's own name; the argv keeps the path used.
echo "fixtures written to $OUT"
