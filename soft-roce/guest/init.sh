#!/bin/busybox sh
# /init of the Soft-RoCE guest. Loads the modules, builds a veth pair with an rxe device on each
# end, runs the plan the host left on the 9p share, writes every output back to the share and
# powers off. The host decides what runs: each case is a server argv and a client argv, one
# argument per line, so nothing here ever evaluates text from the plan as shell code.
#
# Share layout (host writes):  cases.list, cases/ID/{server.args,client.args,settings}
# Share layout (guest writes): guest/*, cases/ID/attempt-N/{server,client}/{stdout,stderr,exit-code},
#                              cases/ID/attempt-N/inf-detected, cases/ID/attempts, guest/status

/bin/busybox mkdir -p /proc /sys /dev /tmp /share
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
# Existing files win: GNU nice/timeout and iproute2's ip stay as copied from Debian packages.
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
IP=/usr/sbin/ip
RDMA=/usr/bin/rdma
SHARE=/share
SERVER_IP=10.231.0.1
CLIENT_IP=10.231.0.2

uptime_s() { cut -d' ' -f1 /proc/uptime; }
log() { echo "softroce-guest: $*" >/dev/console; }
mark() {
  [ -d "$SHARE/guest" ] && echo "$1 $(uptime_s)" >>"$SHARE/guest/timeline"
  log "$1"
}
finish() {
  [ -d "$SHARE/guest" ] && echo "$1" >"$SHARE/guest/status"
  log "status: $1"
  sync
  /bin/busybox umount "$SHARE" 2>/dev/null
  poweroff -f
  reboot -f
}

while read -r mod; do
  insmod "$mod" || log "insmod $mod failed"
done </etc/softroce/modules

# The virtio device can appear a moment after its driver loads.
mounted=0
for try in 1 2 3 4 5 6 7 8 9 10; do
  if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 bbshare "$SHARE" 2>/dev/null; then
    mounted=1
    break
  fi
  sleep 0.5
done
if [ "$mounted" != 1 ]; then
  log "cannot mount the 9p share bbshare"
  finish "setup-failed: no 9p share"
fi
mkdir -p "$SHARE/guest"
: >"$SHARE/guest/timeline"
mark "share-mounted"

# Both addresses are local to this one kernel. Policy routes keyed on the output interface make
# rxe's lookups (which set oif) leave through the veth instead of short-cutting over loopback;
# the local table moves behind them, and accept_local/rp_filter let the looped packets in.
setup_network() {
  $IP link set lo up &&
    $IP link add veth0 type veth peer name veth1 &&
    $IP addr add "$SERVER_IP/24" dev veth0 &&
    $IP addr add "$CLIENT_IP/24" dev veth1 &&
    $IP link set veth0 up &&
    $IP link set veth1 up &&
    $IP route add "$CLIENT_IP" dev veth0 src "$SERVER_IP" table 231 &&
    $IP route add "$SERVER_IP" dev veth1 src "$CLIENT_IP" table 232 &&
    $IP rule add pref 100 oif veth0 lookup 231 &&
    $IP rule add pref 101 oif veth1 lookup 232 &&
    $IP rule add pref 1000 lookup local &&
    $IP rule del pref 0 lookup local || return 1
  for conf in all default veth0 veth1; do
    echo 1 >"/proc/sys/net/ipv4/conf/$conf/accept_local"
    echo 0 >"/proc/sys/net/ipv4/conf/$conf/rp_filter"
  done
}

if ! setup_network; then
  finish "setup-failed: network"
fi
if ! $RDMA link add rxe0 type rxe netdev veth0 || ! $RDMA link add rxe1 type rxe netdev veth1; then
  dmesg >"$SHARE/guest/dmesg"
  finish "setup-failed: rdma link add"
fi
mark "rxe-ready"

uname -a >"$SHARE/guest/uname"
cat /etc/softroce/kernel-release >"$SHARE/guest/kernel-release"
nproc >"$SHARE/guest/nproc"
grep -m1 'model name' /proc/cpuinfo >"$SHARE/guest/cpu-model"
cat /sys/devices/system/clocksource/clocksource0/current_clocksource >"$SHARE/guest/clocksource"
{
  $RDMA link show
  $IP -d addr show
  $IP rule show
  $IP route show table 231
  $IP route show table 232
} >"$SHARE/guest/network" 2>&1
ibv_devinfo >"$SHARE/guest/ibv_devinfo" 2>&1
ibv_devinfo -v >"$SHARE/guest/ibv_devinfo-v" 2>&1
for dev in rxe0 rxe1; do
  for i in 0 1 2 3; do
    gid=$(cat "/sys/class/infiniband/$dev/ports/1/gids/$i" 2>/dev/null)
    kind=$(cat "/sys/class/infiniband/$dev/ports/1/gid_attrs/types/$i" 2>/dev/null)
    echo "$dev $i $gid $kind"
  done
done >"$SHARE/guest/gids"

setting() {
  # settings: "key value" lines; prints the value of $2 from file $1, or $3.
  value=$(awk -v k="$2" '$1 == k {print $2; exit}' "$1" 2>/dev/null)
  echo "${value:-$3}"
}

tcp_listening() {
  hexport=$(printf '%04X' "$1")
  awk -v p=":$hexport" 'substr($2, length($2) - 4) == p && $4 == "0A" {found = 1} END {exit !found}' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Start one process from an args file in its own directory; sets started_pid (not printed:
# a command substitution would make the process a grandchild that `wait` cannot reap).
start_process() {
  args_file=$1
  dir=$2
  nice_level=$3
  timeout_s=$4
  mkdir -p "$dir"
  (
    set --
    while IFS= read -r arg || [ -n "$arg" ]; do
      set -- "$@" "$arg"
    done <"$args_file"
    cd "$dir" || exit 126
    echo "$(uptime_s)" >started-uptime-s
    exec /usr/bin/timeout -k 5 "$timeout_s" /usr/bin/nice -n "$nice_level" /usr/bin/stdbuf -oL "$@"
  ) >"$dir/stdout" 2>"$dir/stderr" </dev/null &
  started_pid=$!
}

finish_process() {
  pid=$1
  dir=$2
  wait "$pid"
  code=$?
  echo "$code" >"$dir/exit-code"
  echo "$(uptime_s)" >"$dir/ended-uptime-s"
}

# perftest prints "inf" in a row when its cycles-per-µs calibration fails under emulation. A lone
# "-nan" standard deviation is not a calibration failure, so it does not trigger a retry.
has_inf_rows() {
  grep -qE '[[:space:]]-?inf([[:space:]]|$)' "$1/stdout" 2>/dev/null
}

run_attempt() {
  case_dir=$1
  attempt_dir=$2
  settings=$case_dir/settings
  ready_port=$(setting "$settings" readyTcpPort 0)
  start_delay=$(setting "$settings" startDelayS 1)
  server_nice=$(setting "$settings" serverNice 0)
  client_nice=$(setting "$settings" clientNice 19)
  client_timeout=$(setting "$settings" clientTimeoutS 120)
  server_timeout=$(setting "$settings" serverTimeoutS 180)
  server_grace=$(setting "$settings" serverGraceS 15)

  start_process "$case_dir/server.args" "$attempt_dir/server" "$server_nice" "$server_timeout"
  spid=$started_pid
  if [ "$ready_port" -gt 0 ]; then
    # Poll for the server's TCP listener instead of guessing how long it takes to start.
    waited=0
    until tcp_listening "$ready_port" || [ "$waited" -ge 300 ] || ! kill -0 "$spid" 2>/dev/null; do
      sleep 0.1
      waited=$((waited + 1))
    done
  else
    sleep "$start_delay"
  fi
  start_process "$case_dir/client.args" "$attempt_dir/client" "$client_nice" "$client_timeout"
  finish_process "$started_pid" "$attempt_dir/client"

  # A server whose client died waits for ever: give it a grace period, then stop it.
  waited=0
  while kill -0 "$spid" 2>/dev/null && [ "$waited" -lt $((server_grace * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$spid" 2>/dev/null; then
    echo "stopped after client exit" >"$attempt_dir/server/killed"
    kill -TERM "$spid" 2>/dev/null
    sleep 1
    kill -KILL "$spid" 2>/dev/null
  fi
  finish_process "$spid" "$attempt_dir/server"
}

# veth counters before and after the plan show that rxe traffic crossed the pair, not loopback.
$IP -s link show dev veth0 >"$SHARE/guest/veth-stats-before" 2>&1
mark "plan-start"
while IFS= read -r case_id || [ -n "$case_id" ]; do
  [ -n "$case_id" ] || continue
  case_dir=$SHARE/cases/$case_id
  max_attempts=$(setting "$case_dir/settings" maxAttempts 3)
  attempt=1
  while :; do
    attempt_dir=$case_dir/attempt-$attempt
    mark "case-start $case_id $attempt"
    run_attempt "$case_dir" "$attempt_dir"
    mark "case-end $case_id $attempt"
    if has_inf_rows "$attempt_dir/client" || has_inf_rows "$attempt_dir/server"; then
      echo "inf" >"$attempt_dir/inf-detected"
      if [ "$attempt" -lt "$max_attempts" ]; then
        attempt=$((attempt + 1))
        continue
      fi
    fi
    break
  done
  echo "$attempt" >"$case_dir/attempts"
done <"$SHARE/cases.list"
mark "plan-end"
$IP -s link show dev veth0 >"$SHARE/guest/veth-stats-after" 2>&1

dmesg >"$SHARE/guest/dmesg"
finish "plan-done"
