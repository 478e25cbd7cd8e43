#!/usr/bin/env bash
# The service under Wine's service control manager (ctest label `windows`, tests/windows/scm.cmake):
#  A. `1chserver install` (config, virtual account, Event Log source, registry checked), a second install
#     refused, `net start`, an HTTP answer from Linux (503 "Error: ..." with no worker attached), a second
#     instance in the console refused, `net stop` (graceful: the log says "stopped"), `1chserver uninstall`,
#     the service and its Event Log source gone, a second uninstall says "not found";
#  B. the same life by hand: `sc create ... binPath= "...exe --listen ..."`, `net start`, HTTP, `net stop`,
#     `sc delete`.
# Usage: scm_service.sh <path of 1chserver.exe> <work dir>
# Environment: WINE (default /usr/lib/wine/wine64), WINESERVER (default /usr/lib/wine/wineserver),
# WINEPREFIX (required), WINEDEBUG (default -all).
#
# Services need a wineserver that stays up between commands: by default it exits 3 s after the last
# Windows program, taking services.exe and every service with it. The ctest fixture (wine-prefix.sh init)
# starts a persistent one; run by hand, this script starts one itself.
set -euo pipefail

exe=$(realpath "$1")
work=$2
: "${WINEPREFIX:?WINEPREFIX must name the test prefix}"
WINE=${WINE:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver}
export WINEDEBUG=${WINEDEBUG:--all}
"$WINESERVER" -p </dev/null >/dev/null 2>&1 || true  # fails when one runs already: the fixture's
# services.exe and friends must not hold this script's pipes open: start them with no stdio of ours.
timeout 60 "$WINE" cmd /c exit </dev/null >/dev/null 2>&1 || true
mkdir -p "$work"
work=$(realpath "$work")
suffix=$$
name_a=hscm_a_$suffix
name_b=hscm_b_$suffix

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }
# Wine maps the Linux root to Z:, so a Linux path is a Windows path after this.
winpath() { printf 'Z:%s' "${1//\//\\}"; }
# Every Windows command is bounded; Wine's console output has CRLF line ends.
w() { timeout 60 "$WINE" "$@" 2>&1 | tr -d '\r'; return "${PIPESTATUS[0]}"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_status() { curl -s -o "$work/body" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$1/$2" || true; }
wait_listening() {  # port
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
wait_stopped() {  # name
  for _ in $(seq 1 100); do
    w sc query "$1" | grep -q STOPPED && return 0
    sleep 0.2
  done
  return 1
}
expect_answer() {  # port: a legacy request with no add-in attached is answered 503 "Error: ..."
  local status
  status=$(http_status "$1" "%D0%92%D0%B5%D1%80%D0%BD%D1%83%D1%82%D1%8C%201")
  [[ $status == 503 ]] || fail "expected 503 from 127.0.0.1:$1, got '$status'"
  grep -q '^Error: ' "$work/body" || fail "503 body does not start with 'Error: ': $(head -c 200 "$work/body")"
  echo "HTTP $status: $(head -c 120 "$work/body")"
}
cleanup() {  # a failed run must not leave services behind in the prefix
  for name in "$name_a" "$name_b"; do
    timeout 30 "$WINE" net stop "$name" >/dev/null 2>&1 || true
    timeout 30 "$WINE" sc delete "$name" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------------------
step "A: install with the service's own command"
port_a=$(free_port)
log_a=$work/service_a.log
rm -f "$log_a"
cat >"$work/config_a.json" <<JSON
{
  // written by tests/windows/scm_service.sh
  "shm_prefix": "hscm$suffix",
  "shm": { "windows_users": "Users" },
  "log": { "level": "info", "file": "$(winpath "$log_a" | sed 's/\\/\\\\/g')" },
  "routes": [ { "name": "legacy", "listen": "127.0.0.1:$port_a", "mode": "legacy", "no_worker_wait_ms": 200 } ]
}
JSON
out=$(w "$exe" install --name "$name_a" --config "$(winpath "$work/config_a.json")") || fail "install: $out"
echo "$out"
key="HKLM\\System\\CurrentControlSet\\Services\\$name_a"
reg_out=$(w reg query "$key") || fail "service key missing after install"
echo "$reg_out"
grep -qi 'ImagePath.*1chserver.exe" --config "Z:' <<<"$reg_out" || fail "ImagePath lacks the quoted exe and --config"
grep -qi "ObjectName.*NT SERVICE\\\\$name_a" <<<"$reg_out" || fail "ObjectName is not NT SERVICE\\$name_a"
grep -qi 'Start.*0x2' <<<"$reg_out" || fail "not an automatic start"
grep -qi 'Description.*1CHServer' <<<"$reg_out" || fail "no description"
w reg query "HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Application\\$name_a" | grep -qi EventMessageFile ||
  fail "Event Log source not registered"

step "A: a second install of the same name is refused"
if out=$(w "$exe" install --name "$name_a"); then fail "second install succeeded"; fi
grep -q "already exists" <<<"$out" || fail "second install: unexpected message: $out"
echo "$out"

step "A: net start, HTTP from Linux"
w net start "$name_a" || fail "net start $name_a"
wait_listening "$port_a" || fail "service A does not listen on $port_a; log: $(cat "$log_a" 2>/dev/null)"
w sc query "$name_a" | grep -q RUNNING || fail "service A is not RUNNING"
expect_answer "$port_a"

step "A: a second instance (console mode, same port and shm prefix) is refused"
set +e
out=$(timeout 60 "$WINE" "$exe" --config "$(winpath "$work/config_a.json")" --log-file "" 2>&1 | tr -d '\r')
rc=${PIPESTATUS[0]}
set -e
echo "$out" | tail -3
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "second instance: exit code $rc"
grep -qiE "owns the shared memory|already in use" <<<"$out" || fail "second instance: no clear message"
expect_answer "$port_a"  # the first instance still serves

step "A: net stop (graceful)"
w net stop "$name_a" || true  # Wine's net returns before STOPPED on some versions: the state decides
wait_stopped "$name_a" || fail "service A did not reach STOPPED"
grep -q "service stop: stopping" "$log_a" || fail "no graceful stop in the log"
grep -q "stopped" "$log_a" || fail "the log does not end with 'stopped'"
[[ $(http_status "$port_a" x) == 000 ]] || fail "port $port_a still answers after the stop"

step "A: uninstall"
out=$(w "$exe" uninstall --name "$name_a") || fail "uninstall: $out"
echo "$out"
if w reg query "$key" >/dev/null; then fail "service key still there"; fi
if w reg query "HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Application\\$name_a" >/dev/null; then
  fail "Event Log source still there"
fi
if w sc query "$name_a" | grep -q RUNNING; then fail "service A still listed as running"; fi
if out=$(w "$exe" uninstall --name "$name_a"); then fail "second uninstall succeeded"; fi
grep -q "not found" <<<"$out" || fail "second uninstall: unexpected message: $out"
echo "$out"

# ------------------------------------------------------------------------------------------------------
step "B: sc create by hand"
port_b=$(free_port)
log_b=$work/service_b.log
rm -f "$log_b"
bin_path="\"$(winpath "$exe")\" --listen 127.0.0.1:$port_b --shm-prefix hscmb$suffix --no-worker-wait-ms 200 --log-file \"$(winpath "$log_b")\""
w sc create "$name_b" binPath= "$bin_path" || fail "sc create"
w net start "$name_b" || fail "net start $name_b"
wait_listening "$port_b" || fail "service B does not listen on $port_b; log: $(cat "$log_b" 2>/dev/null)"
expect_answer "$port_b"
w net stop "$name_b" || true
wait_stopped "$name_b" || fail "service B did not reach STOPPED"
grep -q "stopped" "$log_b" || fail "service B: no graceful stop in the log"
w sc delete "$name_b" || fail "sc delete"
if w reg query "HKLM\\System\\CurrentControlSet\\Services\\$name_b" >/dev/null; then fail "service B still there"; fi

trap - EXIT
echo "PASS"
