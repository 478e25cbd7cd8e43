#!/usr/bin/env bash
# The COM add-in under Wine, end to end, as 1C on Windows uses it:
#  1. regsvr32 registers 1chserver_com.dll (x64): ProgID AddIn.1CHServer -> our CLSID, InprocServer32 with
#     ThreadingModel Apartment;
#  2. 1c-com-host.exe creates AddIn.1CHServer by ProgID and checks names, GetInfo, RegisterExtensionAs and
#     IErrorLog reports; with no service, Запустить fails with the add-in's message through IErrorLog;
#  3. with the Windows service (1chserver.exe, console mode) on 127.0.0.1: a legacy route (Execute event ->
#     ВернутьРезультат) and an http route (Request event -> ПолучитьЗапрос / ПолучитьТелоЗапроса /
#     ОтправитьОтвет) answer curl requests from Linux; the host fails (exit 1) if any event arrives off its
#     STA thread or any failure lacks an IErrorLog report;
#  4. regsvr32 /u removes the ProgID;
#  5. reg/reg.bat and reg/unreg.bat do the same from the layout they expect (x64\1chserver_com.dll).
# Usage: com_e2e.sh <bin dir of the x64 cross build> <work dir>
# Environment: WINE (the wine64 loader), WINEPREFIX, WINEDEBUG (set by ctest). Every wait is bounded.
# Step 3 is skipped (with a message) when 1chserver.exe or curl is missing.
set -uo pipefail
bin=$1
work=$2
: "${WINE:?}" "${WINEPREFIX:?}"
rm -rf "$work" && mkdir -p "$work"
winpath() { local p=$1; echo "Z:${p//\//\\}"; }  # Z: is the Linux root under Wine
dll=$(winpath "$bin/1chserver_com.dll")
clsid='{48A3F686-1474-44AB-B56E-D93E70A46192}'

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 0.5
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  timeout 60 "$WINE" regsvr32 /u /s "$dll" >/dev/null 2>&1
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log; do [[ -f $log ]] && { echo "--- $log" >&2; tail -n 40 "$log" >&2; }; done
  exit 1
}
ok() { echo "OK: $*"; }

free_port() {
  local candidate
  for _ in $(seq 1 50); do
    # Below Linux's ephemeral range (32768+): polling a free ephemeral port can connect the probe to
    # itself (TCP simultaneous open), which then holds the port the service is about to bind.
    candidate=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then echo "$candidate"; return; fi
  done
  echo 0
}

# Waits up to $2 seconds for process $1 (a child of this shell) to end; sets `rc` to its exit code (124
# when it did not end). Not run in $(...): a subshell cannot wait for this shell's children.
wait_exit() {
  local pid=$1 limit=$(($2 * 5))
  rc=124
  for _ in $(seq 1 "$limit"); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      rc=$?
      return
    fi
    sleep 0.2
  done
}

# --- 1. registration -------------------------------------------------------------------------------------
timeout 120 "$WINE" regsvr32 /s "$dll" >"$work/regsvr32.log" 2>&1 || fail "regsvr32 $dll failed"
timeout 60 "$WINE" reg query 'HKCR\AddIn.1CHServer\CLSID' >"$work/reg-progid.log" 2>&1
grep -qi "$clsid" "$work/reg-progid.log" || fail "HKCR\\AddIn.1CHServer\\CLSID does not name $clsid"
timeout 60 "$WINE" reg query "HKCR\\CLSID\\$clsid\\InprocServer32" >"$work/reg-inproc.log" 2>&1
grep -q "Apartment" "$work/reg-inproc.log" || fail "InprocServer32 has no ThreadingModel Apartment"
grep -qi "1chserver_com.dll" "$work/reg-inproc.log" || fail "InprocServer32 does not point at the dll"
ok "regsvr32 registered AddIn.1CHServer -> $clsid (InprocServer32, Apartment)"

# --- 2. detached: the surface, and Запустить failing through IErrorLog ------------------------------------
port=$(free_port)
((port != 0)) || fail "no free port found"
HSERVER_SHM_PREFIX="hscomnone$$" timeout 60 "$WINE" "$bin/1c-com-host.exe" --port "$port" --run-seconds 1 \
  >"$work/host-detached.log" 2>&1
rc=$?
grep -q "VIOLATION" "$work/host-detached.log" && fail "the COM host saw violations (detached)"
((rc == 3)) || fail "expected exit code 3 (attach failed) from the COM host with no service, got $rc"
grep -q "service is not running" "$work/host-detached.log" || fail "Запустить's error did not reach IErrorLog"
ok "COM host: names (Russian/English, any case), GetInfo 2000, RegisterExtensionAs, IErrorLog reports; \
Запустить without a service: $(grep -o 'attaching failed: .*' "$work/host-detached.log" | head -c 120)"

# --- 3. attached to the Windows service -------------------------------------------------------------------
attached_run() {  # <mode> <requests>  starts the service and the host; leaves their pids in service_pid/host_pid
  local mode=$1 requests=$2
  port=$(free_port)
  ((port != 0)) || fail "no free port found"
  prefix="hscom$mode$$"
  "$WINE" "$bin/1chserver.exe" --listen "127.0.0.1:$port" --mode "$mode" --shm-prefix "$prefix" \
    --log-level debug >"$work/service-$mode.log" 2>&1 &
  service_pid=$!
  pids+=("$service_pid")
  local up=0
  for _ in $(seq 1 150); do  # 30 s: the first Wine start of a process is slow
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
    sleep 0.2
  done
  ((up)) || fail "the Windows service ($mode) did not listen on $port within 30 s"
  HSERVER_SHM_PREFIX=$prefix "$WINE" "$bin/1c-com-host.exe" --port "$port" --handler echo \
    --max-requests "$requests" --run-seconds 60 --ready-file "$(winpath "$work/host-$mode.ready")" \
    >"$work/host-$mode.log" 2>&1 &
  host_pid=$!
  pids+=("$host_pid")
  for _ in $(seq 1 150); do
    [[ -f $work/host-$mode.ready ]] && break
    sleep 0.2
  done
  [[ -f $work/host-$mode.ready ]] || fail "the COM host did not attach ($mode) within 30 s"
}

if [[ ! -f $bin/1chserver.exe ]] || ! command -v curl >/dev/null; then
  echo "SKIP: attached runs (1chserver.exe or curl missing)"
else
  # Legacy: three requests at once; 1C's buffer is 1 deep, so the add-in must queue and pace them.
  attached_run legacy 3
  for word in One Two Three; do
    curl -sS --max-time 20 "http://127.0.0.1:$port/$word" >"$work/curl-$word.out" 2>"$work/curl-$word.log" &
  done
  wait_curl=0
  for job in $(jobs -p); do
    [[ " ${pids[*]} " == *" $job "* ]] && continue
    wait "$job" || wait_curl=1
  done
  ((wait_curl == 0)) || fail "a legacy curl failed"
  for word in One Two Three; do
    [[ $(cat "$work/curl-$word.out") == "$word" ]] || fail "legacy: expected '$word', got '$(cat "$work/curl-$word.out")'"
  done
  wait_exit "$host_pid" 30
  ((rc == 0)) || fail "the COM host (legacy) exited with $rc (1: violations, e.g. an event off the STA thread)"
  kill "$service_pid" 2>/dev/null
  ok "legacy: 3 concurrent curls -> 1chserver.exe -> Execute events on the host's STA thread -> ВернутьРезультат"

  # HTTP: a binary-safe POST echoed back with its method.
  attached_run http 1
  printf 'bin\001\002ary body' >"$work/body.bin"
  curl -sS --max-time 20 -X POST -H 'Content-Type: application/x-test' --data-binary "@$work/body.bin" \
    -D "$work/http.headers" -o "$work/http.out" "http://127.0.0.1:$port/echo?x=1" 2>"$work/curl-http.log" \
    || fail "http curl failed"
  cmp -s "$work/body.bin" "$work/http.out" || fail "http: the body did not come back unchanged"
  grep -qi '^X-Echo-Method: POST' "$work/http.headers" || fail "http: no X-Echo-Method: POST header"
  grep -qi '^Content-Type: application/x-test' "$work/http.headers" || fail "http: Content-Type not echoed"
  wait_exit "$host_pid" 30
  ((rc == 0)) || fail "the COM host (http) exited with $rc"
  kill "$service_pid" 2>/dev/null
  ok "http: POST with a binary body -> Request event -> ПолучитьЗапрос/ПолучитьТелоЗапроса/ОтправитьОтвет"
fi

# --- 4. unregistration ------------------------------------------------------------------------------------
timeout 60 "$WINE" regsvr32 /u /s "$dll" >"$work/unregsvr32.log" 2>&1 || fail "regsvr32 /u failed"
if timeout 60 "$WINE" reg query 'HKCR\AddIn.1CHServer' >/dev/null 2>&1; then fail "the ProgID is still registered"; fi
if timeout 60 "$WINE" reg query "HKCR\\CLSID\\$clsid" >/dev/null 2>&1; then fail "the CLSID is still registered"; fi
ok "regsvr32 /u removed AddIn.1CHServer and $clsid"

# --- 5. reg/reg.bat and reg/unreg.bat ---------------------------------------------------------------------
# Run from a copy of the layout they expect (the .bat files beside an x64 folder holding the dll).
reg_dir=$(cd "$(dirname "$0")/../../reg" && pwd)
mkdir -p "$work/layout/x64"
cp "$reg_dir/reg.bat" "$reg_dir/unreg.bat" "$work/layout/"
cp "$bin/1chserver_com.dll" "$work/layout/x64/"
timeout 60 "$WINE" cmd /c "$(winpath "$work/layout/reg.bat")" >"$work/reg-bat.log" 2>&1 || fail "reg.bat failed"
timeout 60 "$WINE" reg query "HKCR\\CLSID\\$clsid\\InprocServer32" >"$work/reg-bat-query.log" 2>&1
grep -qi "layout.x64.1chserver_com.dll" "$work/reg-bat-query.log" || fail "reg.bat did not register the x64 dll"
timeout 60 "$WINE" cmd /c "$(winpath "$work/layout/unreg.bat")" >"$work/unreg-bat.log" 2>&1 || fail "unreg.bat failed"
if timeout 60 "$WINE" reg query 'HKCR\AddIn.1CHServer' >/dev/null 2>&1; then fail "unreg.bat left the ProgID"; fi
ok "reg/reg.bat and reg/unreg.bat register and unregister the x64 dll"
