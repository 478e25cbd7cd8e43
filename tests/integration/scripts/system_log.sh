#!/usr/bin/env bash
# The service's system-log sinks against stand-ins for journald and syslogd (ctest `system_log`, label
# integration): `--log-system journald` sends native journal datagrams (MESSAGE, PRIORITY,
# SYSLOG_IDENTIFIER) to /run/systemd/journal/socket, `--log-system syslog` sends RFC 3164 lines with
# facility daemon to /dev/log, and with either the console stays quiet when stderr is not a terminal.
# The test machine has neither daemon, so the script runs in a private mount namespace (root only) with
# its own /run and /dev, where a small receiver binds both sockets. Exit 77 (skipped) without root.
# Usage: system_log.sh <path of 1chserver> <work dir>
set -euo pipefail

if [[ "${1:-}" != --inside ]]; then
  if [[ $(id -u) -ne 0 ]] || ! unshare --mount true 2>/dev/null; then
    echo "SKIP: needs root and mount namespaces (unshare --mount)"
    exit 77
  fi
  exec unshare --mount --propagation private bash "$0" --inside "$@"
fi
shift
service=$(realpath "$1")
work=$2
mkdir -p "$work"
work=$(realpath "$work")
rm -rf "${work:?}"/*

fail() { echo "FAIL: $*" >&2; exit 1; }

# A private /run and /dev: the receivers' sockets and the service's shared memory stay in here.
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal "$work/hostdev"
mount --bind /dev "$work/hostdev"
mount -t tmpfs tmpfs /dev
for node in null zero urandom random; do
  touch "/dev/$node"
  mount --bind "$work/hostdev/$node" "/dev/$node"
done
mkdir /dev/shm
mount -t tmpfs tmpfs /dev/shm

# Receives datagrams on both sockets until killed; each datagram is written whole, then a separator.
python3 - "$work" <<'PY' &
import os, select, socket, sys
work = sys.argv[1]
socks = {}
for path, name in (("/run/systemd/journal/socket", "journal"), ("/dev/log", "syslog")):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    socks[s] = open(os.path.join(work, name + ".out"), "ab", buffering=0)
open(os.path.join(work, "receiver.ready"), "w").close()
while True:
    for s in select.select(list(socks), [], [], 60)[0]:
        socks[s].write(s.recv(1 << 20) + b"\n--\n")
PY
receiver=$!
trap 'kill $receiver 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do [[ -e $work/receiver.ready ]] && break; sleep 0.1; done
[[ -e $work/receiver.ready ]] || fail "the receiver did not start"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_service() {  # kind: start the service with --log-system kind, make one request, stop it
  local kind=$1 port
  port=$(free_port)
  "$service" --log-system "$kind" --listen "127.0.0.1:$port" --mode legacy --shm-prefix "syslog-test-$kind" \
    --no-worker-wait-ms 100 --metrics-listen "" --admin-socket "$work/admin-$kind.sock" \
    >"$work/$kind.stdout" 2>"$work/$kind.stderr" &
  local pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$port/1") || true
  [[ $status == 503 ]] || fail "$kind: expected 503 with no worker, got '$status'"
  kill -TERM "$pid"
  wait "$pid" || fail "$kind: the service exited with $?; stderr: $(cat "$work/$kind.stderr")"
  sleep 0.3  # the last datagrams reach the receiver
}

run_service journald
journal=$work/journal.out
grep -q "SYSLOG_IDENTIFIER=1chserver" "$journal" || fail "journald: no SYSLOG_IDENTIFIER=1chserver"
grep -q "^MESSAGE=.*1chserver .* starting: 1 route(s)" "$journal" || fail "journald: no start message"
# The start line is info (6); the legacy route's warning is warning (4): priorities are kept.
grep -A1 "starting: 1 route" "$journal" | grep -q "^PRIORITY=6" || fail "journald: info is not PRIORITY=6"
grep -A1 "executes any 1C code" "$journal" | grep -q "^PRIORITY=4" || fail "journald: warning is not PRIORITY=4"
grep -q "^MESSAGE=.*stopped" "$journal" || fail "journald: no stop message"
if grep -q "starting" "$work/journald.stderr"; then fail "journald: the console repeated the log with stderr not a terminal"; fi
echo "journald: $(grep -c '^MESSAGE=' "$journal") messages, priorities and identifier as expected"

run_service syslog
syslog=$work/syslog.out
# <30> = facility daemon (3) * 8 + info (6); <28> = daemon + warning (4).
grep -aq "^<30>.*1chserver\[[0-9]*\]: .*starting: 1 route(s)" "$syslog" || fail "syslog: no <30> start line: $(head -c 300 "$syslog")"
grep -aq "^<28>.*1chserver\[[0-9]*\]: .*executes any 1C code" "$syslog" || fail "syslog: no <28> warning line"
if grep -q "starting" "$work/syslog.stderr"; then fail "syslog: the console repeated the log with stderr not a terminal"; fi
echo "syslog: $(grep -ac '^<' "$syslog") lines, facility daemon, priorities as expected"

# An unknown kind is refused before anything starts, naming the key.
if out=$("$service" --log-system eventlog --listen 127.0.0.1:1 2>&1); then fail "--log-system eventlog accepted"; fi
grep -q 'log.system: "eventlog" is not one of none, syslog, journald' <<<"$out" || fail "unclear refusal: $out"
echo PASS
