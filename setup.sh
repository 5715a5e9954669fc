#!/usr/bin/env bash
# One-time (and idempotent) set-up for bypassbench on Debian 12 as root: installs the Debian
# packages it needs, the npm dependencies, and builds the TypeScript and the native programs.
# Safe to run again: it only installs what is missing and rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it installs Debian packages and the benchmarks create namespaces)"
command -v apt-get >/dev/null || die "this set-up is for Debian 12 (apt-get not found); see README 'Running elsewhere'"

# Node.js: Debian 12's own nodejs is 18, too old; the machines this targets ship Node 20.19+.
if ! command -v node >/dev/null; then
  die "Node.js 20.19 or newer is required and none is installed; install it (e.g. from NodeSource or your distribution) and run ./setup.sh again"
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js 20.19 or newer is required, found $(node --version)"

# Debian packages, one line per purpose. Keep README 'What setup installs' in step.
PACKAGES=(
  iproute2 util-linux procps ethtool iputils-ping kmod git   # topology, pinning, checks
  sockperf                                                  # kernel UDP/TCP path
  gcc make libc6-dev pkg-config libxdp-dev libbpf-dev        # native AF_XDP program
  libjansson-dev                                            # native timestamping probe (JSON codec)
  bpftrace                                                  # attribution: wake-up measured by sched tracepoints
  openjdk-17-jdk-headless                                   # the Java demo service (services/java, G1)
  dpdk dpdk-dev                                             # DPDK testpmd (in dpdk-dev)
  librte-net-af-xdp23 librte-net-af-packet23 librte-net-null23 librte-mempool-ring23   # the PMDs and pool it uses
  perftest rdma-core ibverbs-utils ibverbs-providers rdmacm-utils   # RDMA verbs tests
  qemu-system-x86 busybox-static cpio                      # the Soft-RoCE VM
  chromium fonts-dejavu-core                                # the HTML report test; text in PNG charts
  openssh-client openssh-server                             # lab mode (ssh to hosts); its tests run sshd in namespaces
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages: all ${#PACKAGES[@]} present"
fi

# npm dependencies, reinstalled only when package-lock.json changed.
stamp=node_modules/.bypassbench-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  say "npm dependencies: up to date"
fi

say "building TypeScript (dist/) and native programs (native/build/)"
npx tsc -p tsconfig.build.json
chmod +x dist/cli/main.js
make -s -C native
say "building the demo services (services/build/)"
mkdir -p services/build/java
javac -d services/build/java services/java/*.java
say "ready: ./bypassbench --help"
