#!/usr/bin/env bash
# The admin channel on Windows under Wine (ctest label `windows`, tests/windows/scm.cmake): 1chserver.exe in
# console mode, 1chserverctl.exe over the named pipe \\.\pipe\<prefix>.admin:
#  - `status` (table), `status --json` (valid JSON naming the route), `pause`, `routes` showing it paused,
#    `resume`, `drain`, `pause nosuchroute` refused (exit 1, clear message, nothing changed);
#  - a second service claiming the same pipe name refused with "another 1chserver already listens";
#  - 1chserverctl against a prefix with no service: exit 3, "not running";
#  - Ctrl+C (SIGINT, which Wine turns into CTRL_C_EVENT) stops the service gracefully, and the pipe is gone;
#  - `1chserverctl install` / `uninstall` (the service's own installer, run through 1chserver.exe),
#    checked in the registry.
# Usage: admin_pipe.sh <bin dir of the x64 cross build> <work dir>
# Environment: WINE (default /usr/lib/wine/wine64), WINESERVER (default /usr/lib/wine/wineserver),
# WINEPREFIX (required), WINEDEBUG (default -all). Every wait is bounded; the service is stopped on exit
# whatever happens.
set -euo pipefail

bin=$(realpath "$1")
work=$2
: "${WINEPREFIX:?WINEPREFIX must name the test prefix}"
WINE=${WINE:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver}
export WINEDEBUG=${WINEDEBUG:--all}
# Run by hand (no ctest fixture), the services installed below need a wineserver that stays up.
"$WINESERVER" -p </dev/null >/dev/null 2>&1 || true
timeout 60 "$WINE" cmd /c exit </dev/null >/dev/null 2>&1 || true
rm -rf "$work" && mkdir -p "$work"
work=$(realpath "$work")
server=$bin/1chserver.exe
ctl=$bin/1chserverctl.exe
suffix=$$
prefix=hadmin$suffix
pipe="\\\\.\\pipe\\$prefix.admin"  # \\.\pipe\<prefix>.admin
service_name=hadmin_svc_$suffix

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  timeout 30 "$WINE" sc delete "$service_name" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log; do
    [[ -f $log ]] || continue
    echo "--- $log" >&2
    tail -n 30 "$log" >&2
  done
  exit 1
}
step() { echo "--- $*"; }
winpath() { printf 'Z:%s' "${1//\//\\}"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# A Windows command, bounded; Wine's console output has CRLF line ends. Sets $out and $rc, never fails.
run() {
  set +e
  out=$(timeout 60 "$WINE" "$@" 2>&1 </dev/null | tr -d '\r')
  rc=${PIPESTATUS[0]}
  set -e
}
ctl() { run "$ctl" --shm-prefix "$prefix" "$@"; }
expect_ok() {  # what
  [[ $rc -eq 0 ]] || fail "$1: exit code $rc: $out"
}
route_state() {  # sets $state: the STATE column of the route 'default' in `routes`
  ctl routes
  expect_ok "routes"
  state=$(awk '$1 == "default" { print $5 }' <<<"$out")
}
wait_log() {  # file, text, seconds
  for _ in $(seq 1 $(($3 * 5))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
wait_exit() {  # pid, seconds
  for _ in $(seq 1 $(($2 * 5))); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.2
  done
  return 1
}

# ------------------------------------------------------------------------------------------------------
step "the service in console mode, shm prefix $prefix"
port=$(free_port)
log=$work/service.log
"$WINE" "$server" --listen "127.0.0.1:$port" --mode legacy --shm-prefix "$prefix" --metrics-listen "" \
  --no-worker-wait-ms 200 </dev/null >"$log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
# 60 s: the first start of a Windows program in a fresh prefix is slow.
wait_log "$log" "running in the console" 60 || fail "the service did not start within 60 s"
grep -qF "admin channel at $pipe" "$log" || fail "no admin pipe $pipe in the log"
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || fail "the service does not listen on $port"

step "status (table)"
ctl status
expect_ok "status"
echo "$out"
grep -qE "^ROUTE +PORT" <<<"$out" || fail "status: no route table"
grep -qE "^default +$port +/ +legacy +serving" <<<"$out" || fail "status: route 'default' not serving on $port"
grep -qF "no worker attached" <<<"$out" || fail "status: the route's (absent) workers not shown"

step "status --json"
ctl status --json
expect_ok "status --json"
python3 -c '
import json, sys
answer = json.loads(sys.argv[1])
assert answer["ok"] is True, answer
routes = {r["name"]: r for r in answer["routes"]}
assert "default" in routes, answer
assert routes["default"]["port"] == int(sys.argv[2]) and routes["default"]["paused"] is False, answer
' "$out" "$port" || fail "status --json: not the expected JSON: $out"
echo "$out" | head -c 200 && echo

step "pause, routes, resume"
ctl pause
expect_ok "pause"
route_state
[[ $state == paused ]] || fail "routes after pause: $out"
echo "$out"
ctl resume
expect_ok "resume"
route_state
[[ $state == serving ]] || fail "routes after resume: $out"

step "drain (no add-in attached: drained at once), then resume"
ctl drain --timeout 5
expect_ok "drain"
route_state
[[ $state == paused ]] || fail "routes after drain: $out"
ctl resume
expect_ok "resume after drain"

step "workers"
ctl workers
expect_ok "workers"
grep -qE "^ROUTE +PID +SLOT" <<<"$out" || fail "workers: no table: $out"

step "pause nosuchroute is refused and changes nothing"
ctl pause nosuchroute
echo "$out"
[[ $rc -ne 0 ]] || fail "pause nosuchroute succeeded"
grep -q "no route named 'nosuchroute'" <<<"$out" || fail "pause nosuchroute: unclear message: $out"
route_state
[[ $state == serving ]] || fail "pause nosuchroute changed the route: $out"

step "a second service on the same admin pipe is refused"
run "$server" --listen "127.0.0.1:$(free_port)" --shm-prefix "${prefix}b" --metrics-listen "" \
  --admin-socket "$pipe"
echo "$out" | tail -2
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "second service: exit code $rc"
grep -qF "another 1chserver already listens on $pipe" <<<"$out" ||
  fail "second service: no clear message: $out"
ctl status
expect_ok "status after the refused second service"

step "no service behind a prefix: exit 3"
run "$ctl" --shm-prefix "nosuch$suffix" status
echo "$out"
[[ $rc -eq 3 ]] || fail "no service: exit code $rc, expected 3"
grep -qF "the 1chserver service is not running (nothing listens on \\\\.\\pipe\\nosuch$suffix.admin)" <<<"$out" ||
  fail "no service: unclear message: $out"

step "Ctrl+C stops the service gracefully"
kill -INT "$service_pid"
wait_exit "$service_pid" 30 || fail "the service did not exit within 30 s of Ctrl+C"
wait "$service_pid" && service_rc=0 || service_rc=$?
[[ $service_rc -eq 0 ]] || fail "the service exited with $service_rc"
grep -q "Ctrl+C: stopping" "$log" || fail "no graceful stop in the log"
grep -q "stopped" "$log" || fail "the log does not end with 'stopped'"
ctl status
[[ $rc -eq 3 ]] || fail "after the stop: exit code $rc, expected 3: $out"
echo "stopped; 1chserverctl: $out"

# ------------------------------------------------------------------------------------------------------
step "1chserverctl install / uninstall (the service's own installer)"
cat >"$work/config.json" <<JSON
{ "shm_prefix": "${prefix}i", "routes": [ { "name": "r", "listen": "127.0.0.1:$(free_port)" } ] }
JSON
run "$ctl" install --name "$service_name" --config "$(winpath "$work/config.json")"
echo "$out"
expect_ok "install"
key="HKLM\\System\\CurrentControlSet\\Services\\$service_name"
run reg query "$key"
expect_ok "reg query after install"
grep -qi 'ImagePath.*\\1chserver.exe" --config "Z:' <<<"$out" || fail "ImagePath is not 1chserver.exe --config: $out"
grep -qi "ObjectName.*NT SERVICE\\\\$service_name" <<<"$out" || fail "ObjectName is not NT SERVICE\\$service_name"
run "$ctl" install --name "$service_name"
[[ $rc -ne 0 ]] || fail "a second install succeeded"
grep -q "already exists" <<<"$out" || fail "second install: unexpected message: $out"
run "$ctl" uninstall --name "$service_name"
echo "$out"
expect_ok "uninstall"
run reg query "$key"
[[ $rc -ne 0 ]] || fail "service key still there after uninstall"
run "$ctl" uninstall --name "$service_name"
[[ $rc -ne 0 ]] || fail "a second uninstall succeeded"
grep -q "not found" <<<"$out" || fail "second uninstall: unexpected message: $out"

echo "PASS"
