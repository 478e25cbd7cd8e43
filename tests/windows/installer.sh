#!/usr/bin/env bash
# The Windows setup (installer/windows/1chserver.nsi) under Wine, silent, twice (ctest windows_installer):
#  1. a configuration written beforehand (free ports, log in the work dir): `setup.exe /S` keeps it
#     byte for byte; files, the service's registry key, the COM registration (64-bit view; the 32-bit view
#     when this Wine runs 32-bit programs), the Add/Remove Programs entry; the service runs and answers
#     curl from Linux, and later `wine` commands do not restart it; `uninstall.exe /S _?=<folder>` (waits)
#     removes the service, the COM keys, the files (all but uninstall.exe itself, which `_?=` leaves) and
#     the entry, and keeps the configuration;
#  2. no configuration: the default one is written (127.0.0.1 only) and the service starts with it (unless
#     its ports 3188/9188 are taken here: then the setup must say so with exit code 3); the setup run
#     again (an update) restarts the service and keeps its configuration, and leaves a stopped service
#     stopped; `uninstall.exe /S /PURGE` as Add/Remove Programs runs it (it copies itself to %TEMP% and
#     returns at once: polled, bounded) removes everything, the configuration and the uninstaller too.
# Usage: installer.sh <setup.exe> <work dir>
# Environment: WINE, WINESERVER, WINEPREFIX (required), WINEDEBUG (set by ctest). Every wait is bounded.
# The setup installs the service under its default name `1chserver` into this prefix: the test cleans up
# after itself (and before, after a failed run), since an automatic service left behind would be
# started with every new wineserver of the prefix.
set -euo pipefail

setup=$(realpath "$1")
work=$2
: "${WINEPREFIX:?WINEPREFIX must name the test prefix}"
WINE=${WINE:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver}
export WINEDEBUG=${WINEDEBUG:--all}
# Services need a wineserver that stays up between commands (see scm_service.sh); the ctest fixture
# started one, run by hand this starts it. Wine's system processes must not hold this script's pipes.
"$WINESERVER" -p </dev/null >/dev/null 2>&1 || true
timeout 60 "$WINE" cmd /c exit </dev/null >/dev/null 2>&1 || true
rm -rf "$work" && mkdir -p "$work"
work=$(realpath "$work")

service=1chserver
clsid='{48A3F686-1474-44AB-B56E-D93E70A46192}'
drive_c=$WINEPREFIX/drive_c
instdir=$drive_c/Program\ Files/1CHServer
datadir=$drive_c/ProgramData/1CHServer
win_instdir='C:\Program Files\1CHServer'
service_key="HKLM\\System\\CurrentControlSet\\Services\\$service"
eventlog_key="HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Application\\$service"
uninst_key='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\1CHServer'
clsid_key="HKLM\\Software\\Classes\\CLSID\\$clsid\\InprocServer32"  # /reg:32 reads the WOW6432Node one
progid_key='HKLM\Software\Classes\AddIn.1CHServer\CLSID'
installed_files=(1chserver.exe 1chserverctl.exe x64/1chserver_com.dll x86/1chserver_com.dll 1chserver-addin.zip
                 reg.bat unreg.bat README.md docs/windows.md docs/configuration.md examples/1chserver.json
                 uninstall.exe)
# This Wine runs 32-bit programs only with its 32-bit part installed (Debian: wine32), then the prefix has
# syswow64\regsvr32.exe - which is also what the setup looks for.
wow64=0
[[ -f $drive_c/windows/syswow64/regsvr32.exe ]] && wow64=1

fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log "$datadir"/logs/*.log; do
    [[ -f $log ]] && { echo "--- $log" >&2; tail -n 30 "$log" >&2; }
  done
  exit 1
}
step() { echo "--- $*"; }
ok() { echo "OK: $*"; }
winpath() { printf 'Z:%s' "${1//\//\\}"; }
# Every Windows command is bounded; Wine's console output has CRLF line ends.
w() { timeout 60 "$WINE" "$@" 2>&1 | tr -d '\r'; return "${PIPESTATUS[0]}"; }
has_key() { w reg query "$@" >/dev/null 2>&1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_status() { curl -s -o "$work/body" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$1/$2" || true; }
service_state() { w sc query "$service" | sed -n 's/.*STATE *: *[0-9]* *\([A-Z_]*\).*/\1/p'; }
service_stopped() { [[ $(service_state) == STOPPED ]]; }
wait_for() {  # <seconds> <command...>: polls every 0.2 s
  local limit=$(($1 * 5))
  shift
  for _ in $(seq 1 "$limit"); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}
ctl_status() {  # [options]: `1chserverctl status --json` of the installed service
  w "$win_instdir\\1chserverctl.exe" "$@" status --json
}
pe_machine() {  # the PE header's machine field: 8664 (x64) or 14c (x86)
  python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(4096); o=struct.unpack_from("<I",d,0x3c)[0]; print("%x" % struct.unpack_from("<H",d,o+4)[0])' "$1"
}
run_setup() {  # <log name> [args]: the exit code of setup.exe in `rc`
  local name=$1
  shift
  set +e
  timeout 300 "$WINE" "$setup" /S "$@" >"$work/$name.log" 2>&1 </dev/null
  rc=$?
  set -e
  ((rc != 124)) || fail "$name: setup.exe did not finish within 300 s"
}
# Leaves the prefix as it was: no service (it is automatic: a new wineserver would start it), no COM
# class, no files, no entry. Used before the test (after a failed run) and on failure.
scrub() {
  timeout 60 "$WINE" net stop "$service" >/dev/null 2>&1 || true
  timeout 60 "$WINE" sc delete "$service" >/dev/null 2>&1 || true
  timeout 60 "$WINE" reg delete "$eventlog_key" /f >/dev/null 2>&1 || true
  if [[ -f $instdir/x64/1chserver_com.dll ]]; then
    timeout 60 "$WINE" regsvr32 /u /s "$win_instdir\\x64\\1chserver_com.dll" >/dev/null 2>&1 || true
  fi
  timeout 60 "$WINE" reg delete "$uninst_key" /f /reg:64 >/dev/null 2>&1 || true
  rm -rf "$instdir" "$datadir"
}
trap scrub EXIT
scrub

check_installed() {  # files, service key, COM, Add/Remove entry
  local f
  for f in "${installed_files[@]}"; do
    [[ -f $instdir/$f ]] || fail "not installed: $win_instdir\\$f"
  done
  [[ $(pe_machine "$instdir/x64/1chserver_com.dll") == 8664 ]] || fail "x64\\1chserver_com.dll is not an x64 dll"
  [[ $(pe_machine "$instdir/x86/1chserver_com.dll") == 14c ]] || fail "x86\\1chserver_com.dll is not an x86 dll"
  [[ $(pe_machine "$instdir/1chserver.exe") == 8664 ]] || fail "1chserver.exe is not an x64 program"
  python3 -c 'import sys, zipfile; sys.exit("MANIFEST.XML" not in zipfile.ZipFile(sys.argv[1]).namelist())' "$instdir/1chserver-addin.zip" ||
    fail "1chserver-addin.zip has no MANIFEST.XML"

  local out
  out=$(w reg query "$service_key") || fail "no service key $service_key"
  grep -qiF "\"$win_instdir\\1chserver.exe\" --config \"C:\\ProgramData\\1CHServer\\1chserver.json\"" <<<"$out" ||
    fail "ImagePath is not the installed exe with the ProgramData config: $out"
  grep -qi "ObjectName.*NT SERVICE\\\\$service" <<<"$out" || fail "the service does not run as NT SERVICE\\$service"
  grep -qi 'Start.*0x2' <<<"$out" || fail "the service does not start automatically"
  has_key "$eventlog_key" || fail "no Event Log source"

  out=$(w reg query "$clsid_key" /reg:64) || fail "COM: no $clsid_key in the 64-bit view"
  grep -qiF "$win_instdir\\x64\\1chserver_com.dll" <<<"$out" || fail "COM (64-bit view) does not name the x64 dll: $out"
  grep -qi Apartment <<<"$out" || fail "COM (64-bit view): no ThreadingModel Apartment"
  w reg query "$progid_key" /reg:64 | grep -qiF "$clsid" || fail "COM: ProgID AddIn.1CHServer does not name $clsid"
  if ((wow64)); then
    out=$(w reg query "$clsid_key" /reg:32) || fail "COM: no $clsid_key in the 32-bit view"
    grep -qiF "$win_instdir\\x86\\1chserver_com.dll" <<<"$out" || fail "COM (32-bit view) does not name the x86 dll: $out"
    ok "COM registered in both views (x64 and x86 dll)"
  else
    # Wine without its 32-bit part cannot load the x86 dll: the setup skips it as on Windows without WoW64.
    if out=$(w reg query "$clsid_key" /reg:32) && grep -qiF 'x64\1chserver_com.dll' <<<"$out"; then
      fail "COM: the 32-bit view names the x64 dll"
    fi
    ok "COM registered in the 64-bit view; SKIP 32-bit view: this Wine has no 32-bit support (no syswow64\\regsvr32.exe)"
  fi

  out=$(w reg query "$uninst_key" /reg:64) || fail "no Add/Remove Programs entry $uninst_key"
  grep -q 'DisplayName.*1CHServer' <<<"$out" || fail "Add/Remove: no DisplayName"
  grep -qiF "UninstallString    REG_SZ    \"$win_instdir\\uninstall.exe\"" <<<"$out" || fail "Add/Remove: UninstallString: $out"
  grep -qiF "QuietUninstallString    REG_SZ    \"$win_instdir\\uninstall.exe\" /S" <<<"$out" || fail "Add/Remove: QuietUninstallString"
  grep -qiF "InstallLocation    REG_SZ    $win_instdir" <<<"$out" || fail "Add/Remove: InstallLocation"
  ok "files, service key (ImagePath, NT SERVICE\\$service, automatic), Event Log source, COM, Add/Remove entry"
}

check_removed() {  # <whether uninstall.exe may remain (the _?= way)>
  local keep_uninstaller=$1 left
  if has_key "$service_key"; then fail "the service key is still there"; fi
  if has_key "$eventlog_key"; then fail "the Event Log source is still there"; fi
  if [[ $(service_state) == RUNNING ]]; then fail "the service still runs"; fi
  if has_key "$clsid_key" /reg:64; then fail "COM: the 64-bit class is still registered"; fi
  if has_key "$clsid_key" /reg:32; then fail "COM: the 32-bit class is still registered"; fi
  if has_key 'HKLM\Software\Classes\AddIn.1CHServer' /reg:64; then fail "COM: the ProgID is still registered"; fi
  if has_key "$uninst_key" /reg:64; then fail "the Add/Remove Programs entry is still there"; fi
  if [[ -d $instdir ]]; then
    left=$(cd "$instdir" && find . -mindepth 1 | sort | tr '\n' ' ')
    if ((keep_uninstaller)); then
      [[ $left == "./uninstall.exe " ]] || fail "left in the installation folder: $left"
    else
      fail "the installation folder is still there: $left"
    fi
  fi
  ok "service, Event Log source, COM classes (both views) and ProgID, Add/Remove entry and files removed"
}

# ------------------------------------------------------------------------------------------------------
step "1: silent install over an existing configuration"
port=$(free_port)
metrics=$(free_port)
mkdir -p "$datadir"
cat >"$datadir/1chserver.json" <<JSON
{
  // written by tests/windows/installer.sh before the setup: the setup must keep it
  "shm_prefix": "hinst$$",
  "metrics_listen": "127.0.0.1:$metrics",
  "log": { "level": "info", "file": "$(winpath "$work/service.log" | sed 's/\\/\\\\/g')" },
  "routes": [ { "name": "legacy", "listen": "127.0.0.1:$port", "mode": "legacy", "no_worker_wait_ms": 200 } ]
}
JSON
cp "$datadir/1chserver.json" "$work/config.orig"
run_setup setup1
((rc == 0)) || fail "setup.exe /S exited with $rc"
cmp -s "$work/config.orig" "$datadir/1chserver.json" || fail "the setup changed the existing configuration"
ok "setup.exe /S: exit 0, existing configuration kept unchanged"
check_installed

step "1: the service runs and answers from Linux"
wait_for 30 port_open "$port" || fail "the service does not listen on 127.0.0.1:$port"
[[ $(service_state) == RUNNING ]] || fail "the service is not RUNNING: $(service_state)"
status=$(http_status "$port" "%D0%92%D0%B5%D1%80%D0%BD%D1%83%D1%82%D1%8C%201")
[[ $status == 503 ]] || fail "expected 503 from 127.0.0.1:$port (no add-in attached), got '$status'"
grep -q '^Error: ' "$work/body" || fail "503 body does not start with 'Error: ': $(head -c 200 "$work/body")"
answer=$(head -c 80 "$work/body")
[[ $(http_status "$metrics" health/live) == 200 ]] || fail "no 200 from /health/live on 127.0.0.1:$metrics"
ok "RUNNING; HTTP 503 $answer; /health/live 200"
# Later wine commands (the checks above ran several) must not have restarted it: its counters, read with
# the installed 1chserverctl.exe, still hold the one request made.
out=$(ctl_status --shm-prefix "hinst$$") || fail "1chserverctl status: $out"
grep -q '"responses":1,' <<<"$out" || fail "the service lost its counters (restarted?): $out"
ok "1chserverctl status: the one request counted, the service was not restarted"

step "1: silent uninstall in place (_?=, waits), configuration kept"
# `_?=` must be the last argument, unquoted: Wine would quote an argument with a space, so the command
# line is given through a batch file, as a Windows deployment script would.
printf '@echo off\r\n"%s\\uninstall.exe" /S _?=%s\r\nexit /b %%errorlevel%%\r\n' "$win_instdir" "$win_instdir" \
  >"$work/uninstall1.bat"
set +e
timeout 300 "$WINE" cmd /c "$(winpath "$work/uninstall1.bat")" >"$work/uninstall1.log" 2>&1 </dev/null
rc=$?
set -e
((rc == 0)) || fail "uninstall.exe /S _?=... exited with $rc"
check_removed 1
cmp -s "$work/config.orig" "$datadir/1chserver.json" || fail "the uninstaller did not keep the configuration"
grep -q "service stop: stopping" "$work/service.log" || fail "no graceful stop in the service log"
if port_open "$port"; then fail "port $port still answers after the uninstall"; fi
starts=$(grep -c 'starting:' "$work/service.log" || true)
((starts == 1)) || fail "the service started $starts times (expected once)"
ok "configuration kept; the service started once and stopped gracefully"
rm -rf "$instdir"  # what _?= leaves: the uninstaller itself

# ------------------------------------------------------------------------------------------------------
step "2: silent install with no configuration: the default one"
rm -rf "$datadir"
default_ports_free=1
if port_open 3188 || port_open 9188; then default_ports_free=0; fi
run_setup setup2
[[ -f $datadir/1chserver.json ]] || fail "no default configuration written"
config=$(tr -d '\r' <"$datadir/1chserver.json")
grep -q '"listen": "127.0.0.1:3188"' <<<"$config" || fail "the default route is not 127.0.0.1:3188: $config"
grep -q '"metrics_listen": "127.0.0.1:9188"' <<<"$config" || fail "the default metrics are not on 127.0.0.1"
if grep -E '"(listen|metrics_listen)": "' <<<"$config" | grep -qv '": "127\.0\.0\.1:'; then
  fail "the default configuration listens beyond 127.0.0.1: $config"
fi
grep -qF '"file": "C:\\ProgramData\\1CHServer\\logs\\1chserver.log"' <<<"$config" || fail "default log file: $config"
check_installed
if ((default_ports_free)); then
  ((rc == 0)) || fail "setup.exe /S (default configuration) exited with $rc"
  wait_for 30 port_open 9188 || fail "the service does not listen on 127.0.0.1:9188"
  [[ $(http_status 9188 health/live) == 200 ]] || fail "no 200 from /health/live on 127.0.0.1:9188"
  wait_for 30 port_open 3188 || fail "the service does not listen on 127.0.0.1:3188"
  [[ -f $datadir/logs/1chserver.log ]] || fail "no log in $datadir/logs"
  ok "default configuration (127.0.0.1 only) written; the service runs with it (/health/live 200)"
else
  # The start fails on taken ports: the setup must say so (exit code 3), with the rest installed.
  ((rc == 3)) || fail "ports 3188/9188 are taken here: expected exit code 3, got $rc"
  ok "default configuration (127.0.0.1 only) written; SKIP its start: 3188/9188 are taken here (exit 3 as expected)"
fi

step "2: the setup again (an update): service stopped, replaced, started; configuration kept"
cp "$datadir/1chserver.json" "$work/config2.orig"
if ((default_ports_free)); then
  # One request counted before the update; a restarted service counts none.
  http_status 3188 before-update >/dev/null
  out=$(ctl_status) || fail "1chserverctl status: $out"
  grep -q '"responses":1,' <<<"$out" || fail "1chserverctl status before the update: $out"
fi
run_setup setup3
if ((default_ports_free)); then
  ((rc == 0)) || fail "setup.exe /S (update) exited with $rc"
  [[ $(service_state) == RUNNING ]] || fail "the service is not RUNNING after the update: $(service_state)"
  grep -q "service stop: stopping" "$datadir/logs/1chserver.log" || fail "the update did not stop the service gracefully"
  wait_for 30 port_open 3188 || fail "the service does not listen on 127.0.0.1:3188 after the update"
  out=$(ctl_status) || fail "1chserverctl status: $out"
  grep -q '"responses":0,' <<<"$out" || fail "the update did not restart the service: $out"
  ok "update: exit 0, the service stopped gracefully and started again"
else
  ((rc == 3)) || fail "setup.exe /S (update) exited with $rc"
fi
cmp -s "$work/config2.orig" "$datadir/1chserver.json" || fail "the update changed the configuration"
check_installed

step "2: an update of a stopped service leaves it stopped"
w net stop "$service" >/dev/null || true
wait_for 30 service_stopped || fail "the service did not stop: $(service_state)"
run_setup setup4
((rc == 0)) || fail "setup.exe /S (update, service stopped) exited with $rc"
[[ $(service_state) == STOPPED ]] || fail "the update started a service that was stopped: $(service_state)"
check_installed
ok "update: exit 0, the stopped service left stopped"

step "2: uninstall /S /PURGE as Add/Remove Programs runs it (returns at once: polled)"
set +e
timeout 120 "$WINE" "$win_instdir\\uninstall.exe" /S /PURGE >"$work/uninstall2.log" 2>&1 </dev/null
rc=$?
set -e
((rc == 0)) || fail "uninstall.exe /S /PURGE exited with $rc"
gone() { [[ ! -e $instdir && ! -e $datadir ]]; }
wait_for 120 gone || fail "after 120 s still there: $(find "$instdir" "$datadir" 2>/dev/null | head -5 | tr '\n' ' ')"
check_removed 0
ok "/PURGE: configuration and logs removed; the uninstaller removed itself"

trap - EXIT
echo "PASS"
