#!/bin/bash
# Bench (not a test): what the wake-up tracer costs, by mechanism and by the probe's RTT. The
# bare probe (bb-tsprobe, blocking receivers sharing CPU 0, 64 B, RATE pps for 2 s) runs with
# no tracer, with the project's tracer (events kept in a BPF map, dumped at the end) and with the
# earlier one (bench/wakeup-printf.bt: a printf per event), alternated ROUNDS times. For each run
# it prints bpftrace's CPU ticks and context switches while the probe ran (counts, robust to a
# loaded machine) and the probe's p50/p99 (directional on a shared VM).
# Needs root, bpftrace and native/build/bb-tsprobe. Creates namespaces hvm{a,b} (10.238.0.0/24),
# mounts tracefs only if it is not mounted; undoes both on exit.
#   usage: bench/wakeup-tracer-cost.sh [ROUNDS=3] [RATE=10000]
set -euo pipefail
ROUNDS=${1:-3} RATE=${2:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/native/build/bb-tsprobe"
OUT=$(mktemp -d /tmp/bb-tracer-cost.XXXXXX)
A=hvma B=hvmb MOUNTED=0 SP= BP=
stop() { [ -n "$1" ] && kill -INT "$1" 2>/dev/null && wait "$1" || true; }
teardown() {
  set +e
  stop "$SP"; stop "$BP"
  ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
  [ "$MOUNTED" = 1 ] && umount /sys/kernel/tracing
}
trap teardown EXIT INT TERM
if ! grep -q ' /sys/kernel/tracing tracefs' /proc/mounts; then mount -t tracefs nodev /sys/kernel/tracing; MOUNTED=1; fi
ip netns add $A; ip netns add $B
ip link add hvmv0 netns $A type veth peer name hvmv1 netns $B
ip -n $A addr add 10.238.0.1/24 dev hvmv0; ip -n $B addr add 10.238.0.2/24 dev hvmv1
ip -n $A link set hvmv0 up; ip -n $B link set hvmv1 up
node -e "import('$ROOT/dist/drivers/bpftrace/wakeup.js').then(m => process.stdout.write(m.WAKEUP_SCRIPT))" > "$OUT/map.bt"
cp "$ROOT/bench/wakeup-printf.bt" "$OUT/printf.bt"
# utime+stime ticks, then voluntary+involuntary context switches, of the tracer.
counters() { if [ -n "$BP" ]; then awk '{print $14+$15}' /proc/$BP/stat; awk '/^(non)?voluntary_ctxt_switches/ {s+=$2} END {print s}' /proc/$BP/status; else echo 0; echo 0; fi; }
one() {
  local kind=$1 tag=$2
  BP=
  if [ "$kind" != none ]; then
    BPFTRACE_MAP_KEYS_MAX=$((RATE * 2 * 8 + 10000)) bpftrace "$OUT/$kind.bt" > "$OUT/$tag.wake" 2>/dev/null & BP=$!
    for _ in $(seq 300); do grep -qs Attaching "$OUT/$tag.wake" && break; sleep 0.1; done
    sleep 0.5
  fi
  ip netns exec $B taskset -c 0 "$BIN" server --bind 10.238.0.2:7100 --rx-mode block > /dev/null 2>&1 & SP=$!
  sleep 0.3
  local s0 s1
  s0=($(counters))
  ip netns exec $A taskset -c 0 "$BIN" client --server 10.238.0.2:7100 --rate "$RATE" --duration 2 --warmup 0 --pacing sleep --rx-mode block > "$OUT/$tag.client.json"
  s1=($(counters))
  stop "$SP"; SP=; stop "$BP"; BP=
  node -e 'const j = require(process.argv[1]); const [k, t, c] = process.argv.slice(2);
    console.log(`${k.padEnd(6)} tracer cpu ${t} ticks, ${c} context switches | probe p50 ${j.rttUs.p50.toFixed(1)} µs p99 ${j.rttUs.p99.toFixed(1)} µs, ${j.received} replies`);' \
    "$OUT/$tag.client.json" "$kind" "$(( s1[0] - s0[0] ))" "$(( s1[1] - s0[1] ))"
}
echo "64 B, $RATE pps, 2 s per run, $ROUNDS rounds; $(getconf CLK_TCK) ticks/s; $(uptime)"
for r in $(seq "$ROUNDS"); do
  for kind in none map printf; do one $kind "r$r-$kind"; done
done
