#!/bin/bash
# Captures the wake-up fixtures (test/fixtures/bpftrace/): bpftrace's sched_wakeup → sched_switch
# events for bb-tsprobe threads, with the probe's records and thread-info files, from one real
# run per receive mode. Needs root and bpftrace; creates namespaces $PREFIX{a,b} (10.239.0.0/24),
# mounts tracefs only if it is not mounted, and undoes both on exit.
#   usage: native/tsprobe/capture-wakeup-fixtures.sh block|spin OUTBASE   (spin: the server spins)
set -euo pipefail
MODE=$1 OUT=$2 PREFIX=${PREFIX:-wk}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/native/build/bb-tsprobe"
A=${PREFIX}a B=${PREFIX}b MOUNTED=0 SP= BP=
teardown() {
  set +e
  [ -n "$SP" ] && kill -INT "$SP" 2>/dev/null && wait "$SP"
  [ -n "$BP" ] && kill -INT "$BP" 2>/dev/null && wait "$BP"
  ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
  [ "$MOUNTED" = 1 ] && umount /sys/kernel/tracing
}
trap teardown EXIT INT TERM
if ! grep -q ' /sys/kernel/tracing tracefs' /proc/mounts; then mount -t tracefs nodev /sys/kernel/tracing; MOUNTED=1; fi
ip netns add "$A"; ip netns add "$B"
ip link add ${PREFIX}v0 netns "$A" type veth peer name ${PREFIX}v1 netns "$B"
ip -n "$A" addr add 10.239.0.1/24 dev ${PREFIX}v0; ip -n "$B" addr add 10.239.0.2/24 dev ${PREFIX}v1
ip -n "$A" link set ${PREFIX}v0 up; ip -n "$B" link set ${PREFIX}v1 up
SCRIPT=$(cd "$ROOT" && node -e "import('./dist/drivers/bpftrace/wakeup.js').then(m => process.stdout.write(m.WAKEUP_SCRIPT))")
BPFTRACE_MAP_KEYS_MAX=$(cd "$ROOT" && node -e "import('./dist/drivers/bpftrace/wakeup.js').then(m => process.stdout.write(String(m.WAKEUP_MAP_ENTRIES_DEFAULT)))") bpftrace -e "$SCRIPT" > "$OUT.wake" 2> "$OUT.bt.stderr" & BP=$!
for _ in $(seq 100); do grep -qs Attaching "$OUT.wake" && break; sleep 0.1; done
# block: both roles block, sharing CPU 0 (the attribution default). spin: the server spins on
# CPU 1 of its own while the client still blocks on CPU 0; with both spinning, the two vCPUs of
# the shared development VM starved everything else (round trips of milliseconds).
SCPU=0; [ "$MODE" = spin ] && SCPU=1
ip netns exec "$B" taskset -c $SCPU "$BIN" server --bind 10.239.0.2:7100 --rx-mode "$MODE" --thread-info "$OUT.server-info" > "$OUT.server.json" 2>/dev/null & SP=$!
sleep 0.3
ip netns exec "$A" taskset -c 0 "$BIN" client --server 10.239.0.2:7100 --rate 2000 --duration 1 --warmup 0.2 --records "$OUT.records.csv" \
  --rx-mode block --pacing sleep --thread-info "$OUT.client-info" > "$OUT.client.json"
printf '{"command":"native/tsprobe/capture-wakeup-fixtures.sh %s","server":"taskset -c %s bb-tsprobe server --rx-mode %s","client":"taskset -c 0 bb-tsprobe client --rate 2000 --duration 1 --warmup 0.2 --pacing sleep --rx-mode block","kernel":"%s","capturedAt":"%s"}\n' \
  "$MODE" "$SCPU" "$MODE" "$(uname -r)" "$(date -u +%FT%TZ)" > "$OUT.json"
