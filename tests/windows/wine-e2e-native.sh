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

# A smoke figure, not a Windows benchmark: requests one after another over one keep-alive connection.
# A wait on Windows that fell back to the system timer would round every hop up to ~15.6 ms; the channel's
# events must answer far below that, even under Wine (which routes every event through wineserver).
n=200
args=()
for i in $(seq 1 $n); do args+=(-o /dev/null "http://127.0.0.1:$port/r$i"); done
times=$(curl -sS --max-time 120 -w '%{http_code} %{time_total}\n' "${args[@]}") || fail "the smoke requests failed"
ok=$(grep -c '^200 ' <<<"$times")
((ok == n)) || fail "smoke: $ok of $n requests answered 200"
read -r p50 p99 total < <(awk '{print $2 * 1000}' <<<"$times" | sort -n |
  awk '{v[NR] = $1; s += $1} END {printf "%.3f %.3f %.3f\n", v[int(NR * 0.5)], v[int(NR * 0.99)], s / 1000}')
echo "Wine smoke (x64 build under wine64): $n sequential requests over one connection: p50 $p50 ms, p99 $p99 ms, $total s in all"
awk -v p50="$p50" 'BEGIN {exit !(p50 < 15)}' ||
  fail "smoke: p50 $p50 ms per request: waits rounded up to the system timer (15.6 ms)?"
