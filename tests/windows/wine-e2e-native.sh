#!/usr/bin/env bash
# End-to-end under Wine: the Windows service (1chserver.exe, console mode) on 127.0.0.1:<free port>, the
# Windows 1C host emulator loading the Windows Native API dll and attaching to it, and an HTTP request
# from Linux (curl) answered through Windows shared memory and kernel events.
# Usage: wine-e2e-native.sh <bin dir of the x64 cross build> <work dir>
# Environment: WINE (the wine64 loader), WINEPREFIX, WINEDEBUG (set by ctest, tests/windows/platform.cmake).
# Every wait is bounded; both Windows processes are stopped on exit whatever happens.
set -uo pipefail
bin=$1
work=$2
: "${WINE:?}" "${WINEPREFIX:?}"
rm -rf "$work" && mkdir -p "$work"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 0.5
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log; do echo "--- $log" >&2; tail -n 40 "$log" >&2; done
  exit 1
}

# A port nobody listens on (bash's /dev/tcp connect fails on a free port).
port=0
for _ in $(seq 1 50); do
  # Below Linux's ephemeral range (32768+): polling a free ephemeral port can connect the probe to
  # itself (TCP simultaneous open), which then holds the port the service is about to bind.
  candidate=$((20000 + RANDOM % 12000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
((port != 0)) || fail "no free port found"
prefix="hswine$$"

"$WINE" "$bin/1chserver.exe" --listen "127.0.0.1:$port" --mode legacy --shm-prefix "$prefix" \
  --log-level debug >"$work/service.log" 2>&1 &
pids+=($!)
up=0
for _ in $(seq 1 150); do  # 30 s: the first Wine start of a process is slow
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
  sleep 0.2
done
((up)) || fail "the Windows service did not listen on $port within 30 s"

# The host finds 1chserver_addin.dll beside itself; the ready file is a Windows path into $work (Z: is /).
HSERVER_SHM_PREFIX=$prefix "$WINE" "$bin/1c-host-emulator.exe" --port "$port" --handler echo \
  --ready-file "Z:${work//\//\\}\\host.ready" >"$work/host.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  [[ -f $work/host.ready ]] && break
  sleep 0.2
done
[[ -f $work/host.ready ]] || fail "the Windows host emulator did not attach within 30 s"

body=$(curl -sS --max-time 20 "http://127.0.0.1:$port/Message") || fail "curl failed"
[[ $body == "Message" ]] || fail "expected 'Message', got '$body'"
echo "OK: Linux curl -> 1chserver.exe -> shared memory -> 1c-host-emulator.exe + 1chserver_addin.dll -> '$body'"
