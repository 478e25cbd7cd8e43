#!/usr/bin/env bash
# Chaos under Wine (label `windows`): the Windows service (1chserver.exe, console mode) with two Windows
# 1C host emulators, steady load from Linux, and add-in hosts killed at random moments — half of them with
# TerminateProcess (`taskkill /F /PID`), half by killing the Wine process outright — each replaced by a
# new one. Checked: every request got an answer; only 200 and 502; exactly as many 502 as the service
# counted requests in hand at the kills; the service still serves.
# Usage: chaos.sh <bin dir of the x64 cross build> <work dir>
# Environment: WINE, WINEPREFIX, WINEDEBUG (set by ctest); HSERVER_WINE_CHAOS_KILLS (default 20: each
# Windows process start costs about a second under Wine, so fewer kills than the Linux chaos test).
set -uo pipefail
bin=$1
work=$2
: "${WINE:?}" "${WINEPREFIX:?}"
kills_wanted=${HSERVER_WINE_CHAOS_KILLS:-20}
rm -rf "$work" && mkdir -p "$work"

pids=()
cleanup() {
  touch "$work/stop"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 0.5
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log; do echo "--- $log" >&2; tail -n 20 "$log" >&2; done
  exit 1
}

port=0
for _ in $(seq 1 50); do
  # Below Linux's ephemeral range (32768+): polling a free ephemeral port can connect the probe to
  # itself (TCP simultaneous open), which then holds the port the service is about to bind.
  candidate=$((20000 + RANDOM % 12000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
((port != 0)) || fail "no free port found"
prefix="hschaos$$"

"$WINE" "$bin/1chserver.exe" --listen "127.0.0.1:$port" --mode legacy --shm-prefix "$prefix" \
  --request-timeout-ms 30000 --no-worker-wait-ms 20000 --metrics-listen "" >"$work/service.log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
up=0
for _ in $(seq 1 150); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
  sleep 0.2
done
((up)) || fail "the Windows service did not listen on $port within 30 s"

# Starts a host in slot $1; its Linux pid goes to host_linux[$1], its Windows pid (from the ready file)
# to host_win[$1].
declare -a host_linux host_win
hosts_started=0
start_host() {
  local slot=$1 ready="$work/host$hosts_started.ready"
  HSERVER_SHM_PREFIX=$prefix "$WINE" "$bin/1c-host-emulator.exe" --port "$port" --handler echo \
    --ready-file "Z:${ready//\//\\}" >"$work/host$hosts_started.log" 2>&1 &
  host_linux[slot]=$!
  pids+=("$!")
  hosts_started=$((hosts_started + 1))
  for _ in $(seq 1 150); do
    [[ -s $ready ]] && break
    sleep 0.2
  done
  [[ -s $ready ]] || fail "host $hosts_started did not attach within 30 s"
  host_win[slot]=$(tr -d '\r\n' <"$ready")
}
start_host 0
start_host 1

# Load: three clients, each request with its own code, one line per answer: "<code> <status> <body>".
client() {
  local n=0 code status body
  while [[ ! -e $work/stop ]] && ((n < 100000)); do
    code="c$1_$n"
    body=$(curl -s --max-time 40 -w '\n%{http_code}' "http://127.0.0.1:$port/$code")
    status=${body##*$'\n'}
    body=${body%$'\n'*}
    echo "$code $status ${body:0:60}" >>"$work/client$1.out"
    n=$((n + 1))
  done
}
for c in 0 1 2; do
  client "$c" &
  pids+=("$!")
done

kills=0
terminate=0
for _ in $(seq 1 "$kills_wanted"); do
  sleep "0.$((RANDOM % 5 + 3))"
  slot=$((RANDOM % 2))
  if ((kills % 2 == 0)); then
    timeout 30 "$WINE" taskkill /F /PID "${host_win[slot]}" >>"$work/taskkill.log" 2>&1 ||
      fail "taskkill /F /PID ${host_win[slot]} failed"
    terminate=$((terminate + 1))
  else
    kill -9 "${host_linux[slot]}"
  fi
  wait "${host_linux[slot]}" 2>/dev/null
  kills=$((kills + 1))
  start_host "$slot"
done
sleep 1
touch "$work/stop"
for job in $(jobs -p); do
  [[ $job == "$service_pid" ]] && continue
  [[ " ${host_linux[*]} " == *" $job "* ]] && continue
  wait "$job" 2>/dev/null
done

cat "$work"/client*.out >"$work/answers.txt"
total=$(wc -l <"$work/answers.txt")
ok=$(awk '$2 == 200' "$work/answers.txt" | wc -l)
failed=$(awk '$2 == 502' "$work/answers.txt" | wc -l)
other=$(awk '$2 != 200 && $2 != 502' "$work/answers.txt" | wc -l)
wrong=$(awk '$2 == 200 && $1 != $3' "$work/answers.txt" | wc -l)
in_hand=$(grep -o '[0-9]* request(s) failed' "$work/service.log" | awk '{s += $1} END {print s + 0}')
departed=$(grep -c 'left (' "$work/service.log")
echo "wine chaos: $kills add-in hosts killed ($terminate by TerminateProcess), $total requests: $ok x 200," \
  "$failed x 502, $other other; service: $departed departures, $in_hand requests failed in hand"
((other == 0)) || fail "answers other than 200/502: $(awk '$2 != 200 && $2 != 502' "$work/answers.txt" | head -5)"
((wrong == 0)) || fail "200 with a body that is not the code: $(awk '$2 == 200 && $1 != $3' "$work/answers.txt" | head -3)"
((failed == in_hand)) || fail "$failed clients got 502 but the service failed $in_hand requests in hand"
((departed == kills)) || fail "$kills kills but the service saw $departed departures"
((ok > 100)) || fail "too few requests served ($ok)"
body=$(curl -sS --max-time 20 "http://127.0.0.1:$port/after") || fail "the service does not answer after the chaos"
[[ $body == after ]] || fail "after the chaos: '$body'"
echo PASS
