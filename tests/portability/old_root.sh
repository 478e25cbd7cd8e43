#!/usr/bin/env bash
# The packaged binaries run on an old system (ctest `portability_old_root`, labels portability, integration).
# 1C servers run on distributions much older than the Debian 12 this is built on; readelf (check_binaries.py)
# says what the binaries ask for, this test shows that an old system gives it. It runs inside the oldest
# Debian root that Debian's package registry still serves (bullseye, glibc 2.31: buster and older are gone
# from deb.debian.org), made with debootstrap --variant=minbase and cached between runs:
#   - the add-in .so from the .deb's zip, loaded by addin_loader (dlopen RTLD_NOW, the exports, one object
#     created, called through its vtable and destroyed);
#   - the .deb's 1chserver --version and 1chserverctl --help;
#   - the .deb's service with its default config and the host emulator with the packaged .so, both in the
#     root, attached over a socket in the root (and a memfd), answering an HTTP request sent from outside (the chroot
#     shares the network) with 200 and the echo of its body; 1chserverctl status from inside sees the worker;
#   - the .deb's Depends against the root: libc6 and libsystemd0 minimums are met by bullseye's packages.
# The root: $HSERVER_OLD_ROOT_CACHE/<suite>-amd64 (default /var/cache/1chserver-tests, outside the build
# tree and the checkout, so CI's fresh clones reuse it); a stamp file marks it complete, anything else there
# is removed and made again. Mirror: $HSERVER_DEBIAN_MIRROR, else the first Debian archive in apt's sources.
# Mounts (/proc, /dev, a fresh /dev/shm) live in a private mount namespace and are unmounted on exit.
# Needs root, debootstrap, chroot, unshare, and, for the first run only, the mirror: exit 77 (skipped)
# otherwise, with the reason.
# Usage: old_root.sh <build dir> <work dir> <cpack> <addin_loader> <1c-host-emulator>
set -euo pipefail

build=$1
work=$2
cpack=$3
loader=$4
emulator=$5
suite=${HSERVER_OLD_ROOT_SUITE:-bullseye}
cache=${HSERVER_OLD_ROOT_CACHE:-/var/cache/1chserver-tests}
root=$cache/$suite-amd64
stamp=$root/.1chserver-root-complete

skip() {
  echo "SKIP: $*"
  exit 77
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || skip "debootstrap and chroot need root"
for tool in debootstrap chroot unshare dpkg-deb curl python3 flock; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done

# Everything below runs in a private mount namespace: whatever happens to this script, its mounts go with it.
if [[ -z ${HSERVER_OLD_ROOT_NAMESPACE:-} ]]; then
  unshare --mount --propagation private true 2>/dev/null || skip "unshare --mount is not permitted here"
  HSERVER_OLD_ROOT_NAMESPACE=1 exec unshare --mount --propagation private "$0" "$@"
fi

# --- the root, made once --------------------------------------------------------------------------------
mirror() {
  if [[ -n ${HSERVER_DEBIAN_MIRROR:-} ]]; then
    echo "$HSERVER_DEBIAN_MIRROR"
    return
  fi
  # apt's own sources: the first URI of the main archive (not debian-security), one-line or deb822 form.
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    sed -n -E 's/^deb(\s+\[[^]]*\])?\s+(\S+).*/\2/p; s/^URIs:\s*(\S+).*/\1/p' |
    grep -E '/debian/?$' | head -1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

mounted_below() { awk -v p="$1" '$2 == p || index($2, p "/") == 1 {print $2}' /proc/self/mounts; }

# A half-made root (no stamp, or a stamp on a root chroot cannot run) is removed; never across a mount.
remove_root() {
  local mounts
  mounts=$(mounted_below "$1" | sort -r)
  if [[ -n $mounts ]]; then
    while read -r m; do umount -l "$m" || true; done <<<"$mounts"
  fi
  [[ -z $(mounted_below "$1") ]] || fail "cannot remove $1: mounts below it: $(mounted_below "$1")"
  rm -rf --one-file-system "$1"
}

mkdir -p "$cache"
exec 9>"$cache/$suite.lock" # one maker at a time; other runs wait for it (bounded by ctest's timeout)
flock -w 900 9 || fail "another run has held $cache/$suite.lock for 15 minutes"
if [[ -f $stamp ]] && chroot "$root" /bin/true 2>/dev/null; then
  echo "root: $root (cached: $(cat "$stamp"))"
else
  mirror_uri=$(mirror)
  curl -fsS --max-time 20 -o /dev/null "$mirror_uri/dists/$suite/Release" 2>/dev/null ||
    skip "no cached root and $mirror_uri/dists/$suite/Release cannot be fetched (no network or the suite is gone)"
  echo "root: making $root: debootstrap --variant=minbase $suite from $mirror_uri"
  [[ -e $root ]] && remove_root "$root"
  [[ -e $root.partial ]] && remove_root "$root.partial"
  started=$(date +%s)
  if ! debootstrap --variant=minbase --arch=amd64 "$suite" "$root.partial" "$mirror_uri" >"$cache/$suite.debootstrap.log" 2>&1; then
    tail -20 "$cache/$suite.debootstrap.log" >&2
    remove_root "$root.partial"
    fail "debootstrap failed (log: $cache/$suite.debootstrap.log)"
  fi
  [[ -z $(mounted_below "$root.partial") ]] || remove_root "$root.partial"
  mv "$root.partial" "$root"
  echo "$suite from $mirror_uri, made $(date -u +%FT%TZ) in $(($(date +%s) - started)) s" >"$stamp"
  echo "root: debootstrap took $(($(date +%s) - started)) s"
fi
flock -u 9
libc_version=$(chroot "$root" dpkg-query -W -f='${Version}' libc6)
echo "root: Debian $(cat "$root/etc/debian_version"), libc6 $libc_version"

# --- this run's files, in the root's /tmp -----------------------------------------------------------------
mkdir -p "$work"
work=$(realpath "$work")
rm -rf "${work:?}"/*
tag="oldroot-$$"
inside=/tmp/$tag # the run's folder as the root sees it
scratch=$root$inside
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for m in $(mounted_below "$root" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$scratch"
  exit "$status"
}
trap cleanup EXIT

"$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$work/package" >"$work/cpack.log" 2>&1 ||
  fail "cpack: $(tail -20 "$work/cpack.log")"
debs=("$work"/package/1chserver_*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || fail "cpack made no single 1chserver_*.deb: ${debs[*]}"
deb=${debs[0]}
mkdir -p "$scratch"
dpkg-deb -x "$deb" "$scratch/pkg"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "$scratch/pkg/usr/share/1chserver/1chserver-addin.zip" "$scratch/addin"
so=$(cd "$scratch/addin" && ls ./*.so)
so=${so#./}
cp "$loader" "$scratch/addin_loader"
cp "$emulator" "$scratch/1c-host-emulator"
echo "package: $(basename "$deb"); add-in $so"

mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount -t tmpfs -o mode=1777,size=256m tmpfs "$root/dev/shm" # the root's own: nothing shared with the host's
# An array, not a function: a function run with & is a subshell, and $! would not be the program's pid.
in_root=(chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin)
in_root() { "${in_root[@]}" "$@"; }

# Each check below runs even when one before it failed, so that one run shows everything that breaks.
failures=()
problem() {
  echo "FAIL: $*"
  failures+=("$*")
}

# --- the .deb's Depends against what the root has -----------------------------------------------------------
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for package in libc6 libsystemd0; do
  wanted=$(sed -n -E "s/.*(^|, *)$package \(>= ([^)]+)\).*/\2/p" <<<"$depends")
  [[ -n $wanted ]] || continue
  if ! have=$(in_root dpkg-query -W -f='${Version}' "$package" 2>/dev/null); then
    problem "Depends names $package; $suite has none"
  elif ! in_root dpkg --compare-versions "$have" ge "$wanted"; then
    problem "Depends asks for $package >= $wanted; $suite has $have: the .deb does not install there"
  else
    echo "  $package >= $wanted: $suite has $have"
  fi
done

# --- the add-in in a minimal host, the programs' first words -------------------------------------------------
# run_step <log> <what failed> <command...>: runs it in the root, prints its output, records a failure.
run_step() {
  local log=$1 what=$2
  shift 2
  echo "--- ${*#"$inside"/}"
  if in_root "$@" >"$log" 2>&1; then
    head -12 "$log"
    return 0
  fi
  head -12 "$log"
  problem "$what"
  return 1
}
run_step "$work/loader.log" "the packaged add-in does not load in $suite" "$inside/addin_loader" "$inside/addin/$so" &&
  { grep -q "^PASS" "$work/loader.log" || problem "addin_loader did not finish"; }
run_step "$work/version.log" "1chserver --version does not run in $suite" "$inside/pkg/usr/bin/1chserver" --version &&
  { grep -q "^1chserver [0-9]" "$work/version.log" || problem "1chserver --version printed no version"; }
run_step "$work/ctl-help.log" "1chserverctl --help does not run in $suite" "$inside/pkg/usr/bin/1chserverctl" --help &&
  { grep -q "status" "$work/ctl-help.log" || problem "1chserverctl --help does not list its commands"; }

# --- a request answered inside the old root -----------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
round_trip() {
  local port metrics body status
  port=$(free_port)
  metrics=$(free_port)
  "${in_root[@]}" "$inside/pkg/usr/bin/1chserver" --config "$inside/pkg/etc/1chserver/1chserver.json" \
    --listen "127.0.0.1:$port" --shm-prefix "$tag" --metrics-listen "127.0.0.1:$metrics" \
    --admin-socket "$inside/admin.sock" --attach-socket "$inside/attach.sock" --log-system none \
    --no-worker-wait-ms 300 >"$work/service.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$metrics/health/live" && break
    kill -0 "${pids[-1]}" 2>/dev/null || {
      problem "the service exited in $suite: $(head -5 "$work/service.log")"
      return
    }
    sleep 0.1
  done
  curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$metrics/health/live" || {
    problem "the service in $suite does not answer /health/live within 10 s: $(head -5 "$work/service.log")"
    return
  }
  echo "service in $suite: listening on $port"
  "${in_root[@]}" HSERVER_SHM_PREFIX="$tag" HSERVER_ATTACH_SOCKET="$inside/attach.sock" "$inside/1c-host-emulator" --addin "$inside/addin/$so" \
    --port "$port" --handler echo --ready-file "$inside/host.ready" --wait-attach --run-seconds 60 \
    >"$work/host.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    [[ -f $scratch/host.ready ]] && break
    kill -0 "${pids[-1]}" 2>/dev/null || {
      problem "the host emulator exited in $suite: $(head -5 "$work/host.log")"
      return
    }
    sleep 0.1
  done
  [[ -f $scratch/host.ready ]] || {
    problem "the add-in did not attach within 10 s: $(head -5 "$work/host.log")"
    return
  }
  echo "host emulator in $suite: the packaged add-in attached"
  body="привет from $suite $$"
  status=$(curl -s -o "$work/answer.body" -w '%{http_code}' --max-time 10 --data-binary "$body" \
    "http://127.0.0.1:$port/echo") || true
  if [[ $status != 200 ]] || ! grep -qF "$body" "$work/answer.body"; then
    problem "expected 200 and the echo from the add-in in $suite, got '$status': $(head -c 300 "$work/answer.body")"
    return
  fi
  echo "HTTP POST from the host: 200, the body echoed by 1C code through the add-in in $suite"
  if ! in_root "$inside/pkg/usr/bin/1chserverctl" --socket "$inside/admin.sock" status --json \
    >"$work/ctl-status.json" 2>&1; then
    problem "1chserverctl status in $suite: $(head -5 "$work/ctl-status.json")"
    return
  fi
  local workers
  workers=$(python3 -c 'import json, sys
routes = json.load(open(sys.argv[1]))["routes"]
print(sum(len(r["workers"]) for r in routes if int(r["port"]) == int(sys.argv[2])))' "$work/ctl-status.json" "$port") ||
    workers="unreadable: $(head -c 300 "$work/ctl-status.json")"
  [[ $workers == 1 ]] || {
    problem "1chserverctl status in $suite shows $workers worker(s) on port $port, expected 1"
    return
  }
  echo "1chserverctl status --json in $suite: 1 worker on port $port"
}
echo "--- service and host emulator in $suite, request from the host"
round_trip

if ((${#failures[@]} > 0)); then
  echo "FAIL: ${#failures[@]} check(s) failed in $suite (glibc $libc_version):"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
echo "PASS: all checks in $suite (glibc $libc_version)"
