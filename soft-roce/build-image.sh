#!/bin/bash
# Build the Soft-RoCE guest from Debian packages only: Debian's own kernel (it ships rdma_rxe.ko,
# which the host kernel lacks) and a small initramfs holding static busybox, perftest, rdma-core,
# iproute2 and the libraries they need, plus guest/init.sh as /init.
#
#   build-image.sh inputs            print "package<TAB>version" for everything the image contains
#   build-image.sh build OUT_DIR     write OUT_DIR/{vmlinuz,initrd.img,packages.tsv,kernel-release}
#
# runners/softroce-vm.ts hashes the `inputs` output together with this script and the init script
# to name the cache entry, so any package upgrade or script edit gives a new image.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
init_script="$here/guest/init.sh"
# x86_64 multiarch paths; Debian on amd64 only.
libdir=/usr/lib/x86_64-linux-gnu
rxe_provider="$libdir/libibverbs/librxe-rdmav34.so"

# Programs copied from the host's Debian packages into the guest, at the same paths.
binaries=(
  /usr/bin/ib_write_lat /usr/bin/ib_send_lat /usr/bin/ib_read_lat
  /usr/bin/ib_write_bw /usr/bin/ib_send_bw /usr/bin/ib_read_bw
  /usr/bin/ib_atomic_lat /usr/bin/ib_atomic_bw
  /usr/bin/ibv_devinfo /usr/bin/ibv_devices
  /usr/bin/rdma /usr/sbin/ip
  # busybox has no `nice`, and its `timeout` exit codes differ from GNU's. stdbuf keeps perftest's
  # stdout line-buffered, so a process stopped at its timeout still leaves the rows it printed.
  /usr/bin/nice /usr/bin/timeout /usr/bin/stdbuf
)
extra_files=(/etc/libibverbs.d/rxe.driver "$rxe_provider" /usr/libexec/coreutils/libstdbuf.so)
# Loaded in this order by the guest; modprobe --show-depends adds each one's dependencies first.
# crc32_generic must be explicit: rxe cannot autoload it without udev.
modules=(crc32_generic rdma_rxe rdma_ucm veth virtio_pci 9pnet_virtio 9p virtio_blk)

die() { echo "build-image: $*" >&2; exit 1; }

kernel_package() {
  local dep
  dep=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
  [ -n "$dep" ] || die "apt-cache knows no linux-image-amd64 dependency; run apt-get update"
  echo "$dep"
}

candidate_version() {
  apt-cache policy "$1" | awk '/Candidate:/ {print $2; exit}'
}

# Shared libraries a program needs, as absolute paths (ldd's "=>" targets and the loader).
shared_libs() {
  ldd "$1" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'
}

all_host_files() {
  local f
  for f in "${binaries[@]}" "${extra_files[@]}" /bin/busybox; do echo "$f"; done
  for f in "${binaries[@]}" "$rxe_provider"; do shared_libs "$f"; done
}

# "package<TAB>path" for each file. dpkg records usr-merged files under either /lib or /usr/lib
# and symlinks under their own name, so every spelling is asked in one dpkg -S call.
owning_packages() {
  local f real c
  local -a spellings=()
  for f in "$@"; do
    real=$(readlink -f "$f")
    for c in "$f" "$real"; do
      case $c in
        /usr/*) spellings+=("$c" "${c#/usr}") ;;
        *) spellings+=("$c" "/usr$c") ;;
      esac
    done
  done
  # "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6" -> package, path; diversions are skipped.
  local owners
  owners=$(dpkg -S "${spellings[@]}" 2>/dev/null | awk -F': ' '!/^diversion/ {sub(/:.*/, "", $1); print $1 "\t" $2}') || true
  for f in "$@"; do
    real=$(readlink -f "$f")
    local pkg=
    for c in "$f" "$real" "/usr$f" "${f#/usr}" "/usr$real" "${real#/usr}"; do
      pkg=$(awk -F'\t' -v p="$c" '$2 == p {print $1; exit}' <<<"$owners")
      [ -n "$pkg" ] && break
    done
    [ -n "$pkg" ] || die "no Debian package owns $f"
    printf '%s\t%s\n' "$pkg" "$f"
  done
}

cmd_inputs() {
  local kpkg kver f pkg
  local -a files
  kpkg=$(kernel_package)
  kver=$(candidate_version "$kpkg")
  [ -n "$kver" ] && [ "$kver" != "(none)" ] || die "no candidate version for $kpkg; run apt-get update"
  mapfile -t files < <(all_host_files | sort -u)
  for f in "${files[@]}"; do
    [ -e "$f" ] || die "$f is missing; install perftest rdma-core ibverbs-providers ibverbs-utils iproute2 busybox-static"
  done
  # The kernel comes first: cmd_build reads it from line 1.
  printf '%s\t%s\n' "$kpkg" "$kver"
  owning_packages "${files[@]}" | cut -f1 | sort -u | while read -r pkg; do
    printf '%s\t%s\n' "$pkg" "$(dpkg-query -W -f '${Version}' "$pkg")"
  done
}

copy_into_root() {
  local src=$1 root=$2
  mkdir -p "$root$(dirname "$src")"
  cp -L "$src" "$root$src"
}

work=
cleanup() { if [ -n "$work" ]; then rm -rf "$work"; fi; }
trap cleanup EXIT
# A signal ends the script through `exit`, so the EXIT trap still removes the work folder.
trap 'exit 130' INT
trap 'exit 143' TERM

cmd_build() {
  local out=$1 kroot root kpkg kver deb krel f line
  [ -n "$out" ] || die "usage: build-image.sh build OUT_DIR"
  mkdir -p "$out"
  work=$(mktemp -d "$out/work.XXXXXX")
  kroot=$work/kernel
  root=$work/root

  cmd_inputs >"$out/packages.tsv"
  kpkg=$(head -n1 "$out/packages.tsv" | cut -f1)
  kver=$(head -n1 "$out/packages.tsv" | cut -f2)

  echo "build-image: downloading $kpkg $kver" >&2
  (cd "$work" && apt-get download -q "$kpkg=$kver" >&2)
  deb=$(ls "$work"/"${kpkg}"_*.deb)
  [ "$(dpkg-deb -f "$deb" Version)" = "$kver" ] || die "downloaded $deb is not version $kver"
  dpkg-deb -x "$deb" "$kroot"
  rm -f "$deb"
  krel=$(ls "$kroot/lib/modules")
  # The package ships no modules.dep; modprobe --show-depends needs it.
  depmod -b "$kroot" "$krel"
  cp "$kroot/boot/vmlinuz-$krel" "$out/vmlinuz"
  echo "$krel" >"$out/kernel-release"

  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,share,etc/softroce}
  cp /bin/busybox "$root/bin/busybox"
  for f in $(all_host_files | sort -u); do
    [ "$f" = /bin/busybox ] || copy_into_root "$f" "$root"
  done

  : >"$root/etc/softroce/modules"
  for m in "${modules[@]}"; do
    modprobe -d "$kroot" -S "$krel" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
  done | awk '!seen[$0]++' | while read -r line; do
    rel=${line#"$kroot"}
    mkdir -p "$root$(dirname "$rel")"
    cp "$line" "$root$rel"
    echo "$rel" >>"$root/etc/softroce/modules"
  done
  echo "$krel" >"$root/etc/softroce/kernel-release"

  cp "$init_script" "$root/init"
  chmod 755 "$root/init"

  # Fixed timestamps and sorted names so the same inputs give the same initrd bytes.
  find "$root" -exec touch -h -d @0 {} +
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --reproducible --quiet) | gzip -9 -n >"$out/initrd.img"
  echo "build-image: done, kernel $krel, initrd $(du -h "$out/initrd.img" | cut -f1)" >&2
}

case ${1:-} in
  inputs) cmd_inputs ;;
  build) cmd_build "${2:-}" ;;
  *) die "usage: build-image.sh inputs | build OUT_DIR" ;;
esac
