#!/usr/bin/env bash
# The Debian package end to end (ctest `deb_package`, label integration): cpack -G DEB builds it, dpkg
# installs it (twice: the second run is the upgrade path), then the installed service is started the way
# its unit starts it — as user 1chserver, with the installed config, NOTIFY_SOCKET pointing at a socket
# this script listens on — and must send READY=1, answer 503 with no worker and 200 once an add-in
# (unpacked from the installed zip, run as another user in group 1chserver) has attached, and send
# STOPPING=1 on SIGTERM. dpkg -r keeps the config and the user; dpkg --purge removes the files, the unit's
# enablement, the config folder, the user and the group. systemd is not PID 1 in the test container, so
# the unit is checked with systemd-analyze verify (when present) instead of being started.
# Needs root and dpkg: exit 77 (skipped) otherwise. Everything started or installed is undone on exit.
# Usage: deb_package.sh <build dir> <work dir> <cpack> <1c-host-emulator> [portable: 1 or 0]
set -euo pipefail

build=$1
work=$2
cpack=$3
emulator=$4
portable=${5:-0}

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: installs a .deb and creates a system user: needs root"
  exit 77
fi
for tool in dpkg dpkg-deb setpriv curl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done
# The test purges what it installs: it must not take over a real installation.
if [[ $(dpkg-query -W -f='${db:Status-Status}' 1chserver 2>/dev/null || true) =~ ^(.+)$ &&
  ${BASH_REMATCH[1]} != not-installed ]]; then
  echo "SKIP: package 1chserver is already installed on this machine; this test would purge it"
  exit 77
fi
if getent passwd 1chserver >/dev/null || getent group 1chserver >/dev/null; then
  echo "SKIP: user or group 1chserver exists without the package; this test would delete it"
  exit 77
fi

mkdir -p "$work"
work=$(realpath "$work")
rm -rf "${work:?}"/*
tag="pkgtest-$$"
run_dir=/run/$tag                  # stands in for the unit's RuntimeDirectory
scratch=$(mktemp -d "/tmp/$tag.XXXXXX") # the add-in and the emulator, readable by the emulator's user
installed=0
pids=()

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((installed)); then dpkg --purge 1chserver >/dev/null 2>&1 || echo "cleanup: dpkg --purge failed" >&2; fi
  rm -rf "$run_dir" "$scratch"
  rm -f /dev/shm/"$tag".*
  exit "$status"
}
trap cleanup EXIT

# dpkg refuses at once while another dpkg or apt holds its lock: retry for up to 60 s.
dpkg_locked() {
  local out
  for _ in $(seq 1 60); do
    if out=$(dpkg "$@" 2>&1); then
      printf '%s\n' "$out"
      return 0
    fi
    grep -q "lock" <<<"$out" || {
      printf '%s\n' "$out" >&2
      return 1
    }
    sleep 1
  done
  printf '%s\n' "$out" >&2
  return 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- build the package -------------------------------------------------------------------------------
"$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$work/package" >"$work/cpack.log" 2>&1 ||
  fail "cpack: $(tail -20 "$work/cpack.log")"
debs=("$work"/package/1chserver_*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || fail "cpack made no single 1chserver_*.deb: ${debs[*]}"
deb=${debs[0]}
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/1chserver ./usr/bin/1chserverctl ./lib/systemd/system/1chserver.service \
  ./etc/1chserver/1chserver.json ./usr/share/1chserver/1chserver-addin.zip ./usr/share/doc/1chserver/README.md \
  ./usr/share/doc/1chserver/docs/operations.md; do
  grep -qx "$path" <<<"$contents" || fail "the package lacks $path"
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# dpkg-shlibdeps ran: the C library and libsystemd (sd_notify, journald) are there besides adduser.
dep_names=$(sed 's/ *([^)]*)//g; s/, */\n/g' <<<"$depends")
for dep in adduser libc6 libsystemd0; do
  grep -qxF "$dep" <<<"$dep_names" || fail "Depends lacks $dep"
done
# Portable build (docs/portability.md): the C++ runtime, OpenSSL, spdlog and fmt are linked in, so the
# package must not ask for libraries that the oldest supported systems lack.
if [[ $portable == 1 ]]; then
  for dep in libstdc++6 libgcc-s1 libssl3 libfmt9 libspdlog1.10; do
    if grep -qxF "$dep" <<<"$dep_names"; then fail "Depends names $dep, which the portable build links in"; fi
  done
fi
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/1chserver/1chserver.json ||
  fail "/etc/1chserver/1chserver.json is not a conffile"

# --- install, and again (the upgrade path of the maintainer scripts) -----------------------------------
installed=1
dpkg_locked -i "$deb" >"$work/install.log" || fail "dpkg -i failed"
dpkg_locked -i "$deb" >"$work/reinstall.log" || fail "dpkg -i over the installed package failed"
dpkg-query -W -f='${Status}\n' 1chserver | grep -qx "install ok installed" || fail "not installed: $(dpkg -s 1chserver)"
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd 1chserver) || fail "no user 1chserver"
((uid < 1000)) || fail "user 1chserver is not a system user (uid $uid)"
[[ $(getent group 1chserver | cut -d: -f3) == "$gid" ]] || fail "1chserver's primary group is not group 1chserver"
[[ $shell == */nologin && $home == /nonexistent ]] || fail "user 1chserver: shell $shell, home $home"
[[ $(stat -c '%U:%G %a' /etc/1chserver) == "root:1chserver 750" ]] ||
  fail "/etc/1chserver is $(stat -c '%U:%G %a' /etc/1chserver), expected root:1chserver 750"
[[ -L /etc/systemd/system/multi-user.target.wants/1chserver.service ]] || fail "the unit was not enabled"
echo "installed: user 1chserver (uid $uid), /etc/1chserver root:1chserver 750, unit enabled"

unit=/lib/systemd/system/1chserver.service
if command -v systemd-analyze >/dev/null; then
  # verify warns about the user name (it starts with a digit) and nothing else.
  verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $verify"
  if grep -v "Accepting user/group name '1chserver'" <<<"$verify" | grep -q .; then
    fail "systemd-analyze verify: $verify"
  fi
  echo "systemd-analyze verify: clean (but the warning that the user name starts with a digit)"
  if exposure=$(systemd-analyze security --offline=true "$unit" 2>/dev/null | tail -1); then
    echo "systemd-analyze security: ${exposure#→ }"
  fi
else
  echo "systemd-analyze not installed: unit not verified"
fi

# --- run the installed service as the unit would ------------------------------------------------------
# User=, Group=, NoNewPrivileges=, an empty CapabilityBoundingSet=, a clean environment with
# NOTIFY_SOCKET; the runtime directory as RuntimeDirectory= makes it. Ports, shm prefix and admin socket
# are this test's own, so a demo or another test on this machine is not disturbed; log.system journald
# becomes none (no journald in the container).
mkdir -m 0750 "$run_dir"
chown 1chserver:1chserver "$run_dir"
notify_name="hserver-$tag"
python3 - "$notify_name" "$work/notify.out" <<'PY' &
# Receives sd_notify datagrams on an abstract socket; each line of the output file is one datagram.
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1])
out = open(sys.argv[2], "ab", buffering=0)
out.write(b"LISTENING\n")
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    s.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        data = s.recv(4096)
    except socket.timeout:
        break
    out.write(data.replace(b"\n", b" ") + b"\n")
    if b"STOPPING=1" in data:
        break
PY
pids+=($!)
for _ in $(seq 1 50); do grep -q LISTENING "$work/notify.out" 2>/dev/null && break; sleep 0.1; done
grep -q LISTENING "$work/notify.out" || fail "the notify receiver did not start"

port=$(free_port)
metrics=$(free_port)
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET="@$notify_name" \
  setpriv --reuid=1chserver --regid=1chserver --init-groups --no-new-privs --inh-caps=-all --bounding-set=-all \
  /usr/bin/1chserver --config /etc/1chserver/1chserver.json --listen "127.0.0.1:$port" --shm-prefix "$tag" \
  --metrics-listen "127.0.0.1:$metrics" --admin-socket "$run_dir/$tag.sock" --attach-socket "$run_dir/$tag.attach" --log-system none \
  --no-worker-wait-ms 300 >"$work/service.log" 2>&1 &
service=$!
pids+=("$service")
for _ in $(seq 1 100); do
  grep -q "READY=1" "$work/notify.out" && break
  kill -0 "$service" 2>/dev/null || fail "the service exited: $(cat "$work/service.log")"
  sleep 0.1
done
grep -q "READY=1" "$work/notify.out" || fail "no READY=1 within 10 s; got: $(cat "$work/notify.out")"
echo "READY=1 received"
[[ $(ps -o uid= -p "$service" | tr -d ' ') == "$uid" ]] || fail "the service does not run as 1chserver"

# READY=1 promises a bound port: no retry here.
status=$(curl -s -o "$work/no_worker.body" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$port/hello") || true
[[ $status == 503 ]] || fail "with no worker: expected 503, got '$status'"
echo "no worker: 503 $(cat "$work/no_worker.body")"
[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$metrics/health/live") == 200 ]] ||
  fail "/health/live is not 200"
[[ $(stat -c '%U:%G %a' "$run_dir/$tag.attach") == "1chserver:1chserver 660" ]] ||
  fail "the attach socket is $(stat -c '%U:%G %a' "$run_dir/$tag.attach"), expected 1chserver:1chserver 660"
[[ -z $(find /dev/shm -maxdepth 1 -name "$tag*" -print -quit) ]] || fail "the service named objects in /dev/shm"

# The add-in from the installed zip, in a process of another user: nobody, in group 1chserver, as 1C's
# server user is once added to it (adduser usr1cv8 1chserver).
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  /usr/share/1chserver/1chserver-addin.zip "$scratch/addin"
addin=$(find "$scratch/addin" -name '*.so' | head -1)
[[ -n $addin ]] || fail "no .so in the installed 1chserver-addin.zip"
cp "$emulator" "$scratch/1c-host-emulator"
mkdir "$scratch/state"
chown nobody "$scratch/state"
chmod -R a+rX "$scratch"
as_nobody() { env -i PATH=/usr/bin:/bin HSERVER_SHM_PREFIX="$tag" HSERVER_ATTACH_SOCKET="$run_dir/$tag.attach" setpriv --reuid=nobody --regid=nogroup "$@"; }

# Without the group the attach socket stays closed.
if as_nobody --clear-groups "$scratch/1c-host-emulator" --addin "$addin" --port "$port" --run-seconds 2 \
  >"$work/outsider.log" 2>&1; then
  fail "a process outside group 1chserver attached: $(cat "$work/outsider.log")"
fi
grep -q "Permission denied" "$work/outsider.log" || fail "outside group 1chserver: $(cat "$work/outsider.log")"
echo "outside group 1chserver: attach refused"

as_nobody --groups 1chserver "$scratch/1c-host-emulator" --addin "$addin" --port "$port" --handler echo \
  --ready-file "$scratch/state/host.ready" --wait-attach --run-seconds 60 >"$work/host.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [[ -f $scratch/state/host.ready ]] && break; sleep 0.1; done
[[ -f $scratch/state/host.ready ]] || fail "the add-in did not attach: $(cat "$work/host.log")"
status=$(curl -s -o "$work/worker.body" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$port/hello") ||
  true
[[ $status == 200 ]] || fail "with a worker: expected 200, got '$status': $(cat "$work/worker.body")"
echo "with the add-in attached: 200"
/usr/bin/1chserverctl --socket "$run_dir/$tag.sock" status --json >"$work/ctl.json" || fail "1chserverctl status failed"
workers=$(python3 -c 'import json, sys
routes = json.load(open(sys.argv[1]))["routes"]
print(sum(len(r["workers"]) for r in routes if r["name"] == "default" and int(r["port"]) == int(sys.argv[2])))' \
  "$work/ctl.json" "$port") || fail "1chserverctl status --json: $(cat "$work/ctl.json")"
((workers == 1)) || fail "1chserverctl shows $workers worker(s) on route default: $(cat "$work/ctl.json")"
echo "1chserverctl status: route default on $port, 1 worker"

kill -TERM "$service"
code=0
wait "$service" || code=$?
((code == 0)) || fail "the service exited with $code after SIGTERM: $(tail -5 "$work/service.log")"
for _ in $(seq 1 50); do grep -q "STOPPING=1" "$work/notify.out" && break; sleep 0.1; done
grep -q "STOPPING=1" "$work/notify.out" || fail "no STOPPING=1; got: $(cat "$work/notify.out")"
echo "SIGTERM: STOPPING=1 received, exit code 0"

# --- remove, then purge -------------------------------------------------------------------------------
dpkg_locked -r 1chserver >"$work/remove.log" || fail "dpkg -r failed"
[[ ! -e /usr/bin/1chserver && ! -e $unit ]] || fail "dpkg -r left the program or the unit"
[[ -f /etc/1chserver/1chserver.json ]] || fail "dpkg -r removed the configuration (a conffile stays until purge)"
getent passwd 1chserver >/dev/null || fail "dpkg -r removed the user (only purge does)"
dpkg_locked --purge 1chserver >"$work/purge.log" || fail "dpkg --purge failed"
installed=0
left=()
for path in /usr/bin/1chserver /usr/bin/1chserverctl "$unit" /etc/1chserver /usr/share/1chserver \
  /usr/share/doc/1chserver /var/log/1chserver /etc/systemd/system/multi-user.target.wants/1chserver.service \
  /etc/systemd/system/1chserver.service /var/lib/systemd/deb-systemd-helper-enabled/1chserver.service.dsh-also; do
  [[ -e $path || -L $path ]] && left+=("$path")
done
((${#left[@]} == 0)) || fail "purge left: ${left[*]}"
! getent passwd 1chserver >/dev/null || fail "purge left the user 1chserver"
! getent group 1chserver >/dev/null || fail "purge left the group 1chserver"
! dpkg-statoverride --list /etc/1chserver >/dev/null 2>&1 || fail "purge left the statoverride of /etc/1chserver"
[[ $(dpkg-query -W -f='${db:Status-Status}' 1chserver 2>/dev/null || true) =~ ^(not-installed)?$ ]] ||
  fail "dpkg still knows 1chserver: $(dpkg-query -W -f='${db:Status-Status}' 1chserver)"
echo "purged: files, unit, enablement, /etc/1chserver, user and group gone"
echo PASS
