#!/usr/bin/env bash
# Regression guard of the hot path, independent of wall time: how many system calls the service and the
# add-in's host make per request, counted by strace over a fixed number of requests sent one after another
# on one keep-alive connection through shared memory to an echo add-in. A change that adds a wake-up, a
# poll or a write to the path shows up as calls per request, however fast or slow the machine is.
#   syscalls.sh <1chserver> <1c-host-emulator> <add-in .so> <hserver-bench> <work dir>
# Exit 77 (skipped) without strace or when ptrace is not allowed.
set -euo pipefail
service_bin=$1 host_bin=$2 addin=$3 tool=$4 work=$5
requests=${HSERVER_GUARD_REQUESTS:-2000}
# Bounds: the figures measured (service 12.6-13.8, add-in host 6.7-7.1 per request: docs/benchmarks.md) with
# 20-30% of room for heartbeats and timers while strace slows the run down. Lower them when the path gets
# leaner.
max_service=${HSERVER_GUARD_MAX_SERVICE:-17}
max_host=${HSERVER_GUARD_MAX_HOST:-9}

command -v strace >/dev/null || { echo "strace is not installed: skipped"; exit 77; }
strace -qq -o /dev/null true 2>/dev/null || { echo "ptrace is not allowed here: skipped"; exit 77; }

rm -rf "$work" && mkdir -p "$work"
prefix="hsguard-$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/1chserver.json" <<EOF
{ "shm_prefix": "$prefix", "threads": 1, "metrics_listen": "", "admin_socket": "$work/admin.sock",
  "log": { "level": "warn" },
  "routes": [ { "name": "echo", "listen": "127.0.0.1:$port", "mode": "http" } ] }
EOF
"$service_bin" --config "$work/1chserver.json" >"$work/service.log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
HSERVER_SHM_PREFIX=$prefix "$host_bin" --addin "$addin" --port "$port" --handler echo --wait-attach \
  --ready-file "$work/host.ready" >"$work/host.log" 2>&1 &
host_pid=$!
pids+=("$host_pid")
for _ in $(seq 100); do
  [[ -f "$work/host.ready" ]] && break
  sleep 0.1
done
[[ -f "$work/host.ready" ]] || { echo "the add-in did not attach"; cat "$work/service.log" "$work/host.log"; exit 1; }
"$tool" requests --port "$port" --path /warm-up --count 200 >/dev/null  # first-use allocations, page faults

# count_calls FILE: the number in the `total` line of strace -c
count_calls() { awk '$NF == "total" {print $4}' "$1"; }

strace -f -c -qq -o "$work/service.strace" -p "$service_pid" &
strace_service=$!
strace -f -c -qq -o "$work/host.strace" -p "$host_pid" &
strace_host=$!
sleep 1  # let strace attach to every thread
"$tool" requests --port "$port" --path /guard --count "$requests" | tee "$work/requests.log"
kill -INT "$strace_service" "$strace_host"
wait "$strace_service" "$strace_host" || true

service_calls=$(count_calls "$work/service.strace")
host_calls=$(count_calls "$work/host.strace")
echo "--- service (strace -c -f, $requests requests):"
cat "$work/service.strace"
echo "--- add-in host:"
cat "$work/host.strace"
# Each request is at least a read and a write of the socket and of the ring's wake-up: fewer calls than
# requests means strace did not see the threads, and the figure would prove nothing.
if ((service_calls < requests || host_calls < requests)); then
  echo "FAILED: strace counted too few calls (service $service_calls, host $host_calls) to judge"
  exit 1
fi
per_request() { awk -v c="$1" -v n="$requests" 'BEGIN {printf "%.2f", c / n}'; }
service_per=$(per_request "$service_calls")
host_per=$(per_request "$host_calls")
echo "system calls per request: service $service_per (bound $max_service), add-in host $host_per (bound $max_host)"
awk -v s="$service_per" -v h="$host_per" -v ms="$max_service" -v mh="$max_host" 'BEGIN {exit !(s <= ms && h <= mh)}' || {
  echo "FAILED: the hot path makes more system calls than its bound"
  exit 1
}
