#!/usr/bin/env bash
# The benchmark: 1chserver against nginx, nginx as a reverse proxy, plain loopback TCP and the machine's own
# wake-up floor, side by side in one run (docs/benchmarks.md). Builds in Release, starts nginx (1 worker,
# `return 200` and a reverse proxy to a second nginx answering like our echo), the service and echo workers
# (the 1C host emulator loading the real add-in), pins every server to one CPU and the load generator to
# another, runs each figure in turn, interleaved, for several rounds, and prints medians and the ratios
# against the anchors of ../docs/benchmarks.md. Writes results.md, results.tsv and benchmarks.png (gnuplot)
# to the output folder.
#
#   bench/run.sh                       3 rounds of 5 s per figure (about 5 minutes)
#   HSERVER_BENCH_ROUNDS=5 HSERVER_BENCH_SECONDS=10 bench/run.sh
#   HSERVER_BENCH_OUT=DIR              where the results go (default: <build>/results)
#   HSERVER_BENCH_SERVER_CPU / _CLIENT_CPU   the CPUs (default 0 and 1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${HSERVER_BENCH_BUILD:-$root/build/bench}
out=${HSERVER_BENCH_OUT:-$build/results}
rounds=${HSERVER_BENCH_ROUNDS:-3}
seconds=${HSERVER_BENCH_SECONDS:-5}
server_cpu=${HSERVER_BENCH_SERVER_CPU:-0}
client_cpu=${HSERVER_BENCH_CLIENT_CPU:-1}
base=${HSERVER_BENCH_PORT_BASE:-18400}
nginx_port=$((base + 1)) route_port=$((base + 2)) health_port=$((base + 3)) tcp_port=$((base + 4))
slow_port=$((base + 5)) window_port=$((base + 6)) proxy_port=$((base + 7)) upstream_port=$((base + 8))
big=$((10 * 1024 * 1024))

# --- dependencies and the Release build -------------------------------------------------------------------
if [[ ${HSERVER_BENCH_SKIP_DEPS:-0} != 1 ]]; then
  "$root/scripts/install-deps.sh" --linux-only
  missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
  command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
  if ((${#missing[@]})); then
    sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSERVER_WINDOWS_BUILDS=OFF \
  -DHSERVER_FUZZ_TESTS=OFF >/dev/null
cmake --build "$build" --parallel --target 1chserver 1c-host-emulator hserver_addin_native hserver-bench \
  wakeup-floor
service_bin=$build/service/1chserver
host_bin=$build/tests/host_emulator/1c-host-emulator
addin=$build/addin/native/lib1chserver_addin.so
tool=$build/bench/hserver-bench
floor_tool=$build/bench/wakeup-floor

run=$(mktemp -d "${TMPDIR:-/tmp}/1chserver-bench.XXXXXX")
mkdir -p "$out"
prefix="hsbench-$$"
pids=()
echo1_pid=""  # start_host sets <name>_pid
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((status == 0)); then rm -rf "$run"; else echo "logs kept in $run" >&2; fi
}
trap cleanup EXIT

# taskset execs the program, so $! of `"${on_server[@]}" prog &` is the program's own pid (a shell function
# in the background would leave the pid of a subshell).
on_server=(taskset -c "$server_cpu")
on_client() { taskset -c "$client_cpu" "$@"; }

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1; logs in $run" >&2
  exit 1
}

# --- the servers --------------------------------------------------------------------------------------------
ulimit -n "$(ulimit -Hn)"  # 10,000 connections need as many descriptors
# One nginx process (1 worker) with its own folder under $run: its config up to the servers, which come on
# standard input. $1: the name (folder, pid, logs), $2: worker_connections.
start_nginx() {
  local name=$1 connections=$2
  mkdir -p "$run/$name"
  {
    cat <<EOF
worker_processes 1;
daemon off;
pid $run/$name.pid;
error_log $run/$name-error.log warn;
events { worker_connections $connections; }
http {
  access_log off;
  client_body_temp_path $run/$name/body;
  proxy_temp_path $run/$name/proxy;
  fastcgi_temp_path $run/$name/fastcgi;
  uwsgi_temp_path $run/$name/uwsgi;
  scgi_temp_path $run/$name/scgi;
  keepalive_requests 100000000;
EOF
    cat
    echo "}"
  } >"$run/$name.conf"
  "${on_server[@]}" "$nginx_bin" -p "$run/$name" -c "$run/$name.conf" 2>"$run/$name.log" &
  pids+=($!)
}

start_nginx nginx 16384 <<EOF
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 200 "OK\n"; }
  }
  # The second anchor: what a user would otherwise put between a client and a worker process. Keep-alive
  # both ways, as our service keeps its add-ins attached.
  upstream echo_upstream {
    server 127.0.0.1:$upstream_port;
    keepalive 64;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$proxy_port;
    location / {
      proxy_pass http://echo_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
EOF
# The proxy's worker process: a second nginx (its own process, as 1C is), answering a GET as our echo
# handler does (200, empty body, the request's content type, the method and target echoed in headers).
start_nginx upstream 1024 <<EOF
  keepalive_timeout 600s;
  server {
    listen 127.0.0.1:$upstream_port;
    location / {
      default_type application/octet-stream;
      add_header X-Echo-Method \$request_method;
      add_header X-Echo-Target \$request_uri;
      return 200 "";
    }
  }
EOF

cat >"$run/1chserver.json" <<EOF
{
  "shm_prefix": "$prefix",
  "threads": 1,
  "metrics_listen": "127.0.0.1:$health_port",
  "admin_socket": "$run/admin.sock",
  "log": { "level": "warn" },
  "http": { "max_connections": 16384, "idle_timeout_ms": 600000, "max_pipelined": 16 },
  "routes": [
    { "name": "echo", "listen": "127.0.0.1:$route_port", "mode": "http",
      "http": { "max_connections": 16384, "idle_timeout_ms": 600000 } },
    { "name": "slow", "listen": "127.0.0.1:$slow_port", "mode": "http" },
    { "name": "window", "listen": "127.0.0.1:$window_port", "mode": "http", "worker_in_flight": 8 }
  ]
}
EOF
"${on_server[@]}" "$service_bin" --config "$run/1chserver.json" >"$run/service.log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
wait_port "$nginx_port"
wait_port "$proxy_port"
wait_port "$upstream_port"
wait_port "$route_port"
wait_port "$health_port"
service_rss_start=$(awk '/^VmRSS/ {print $2}' "/proc/$service_pid/status")

# start_host NAME PORT [handler options...]: an emulated 1C session with the real add-in, attached
start_host() {
  local name=$1 port=$2
  shift 2
  HSERVER_SHM_PREFIX=$prefix "${on_server[@]}" "$host_bin" --addin "$addin" --port "$port" --report-rss \
    --ready-file "$run/$name.ready" "$@" >"$run/$name.log" 2>&1 &
  pids+=($!)
  printf -v "${name}_pid" '%s' "$!"
  for _ in $(seq 100); do
    [[ -f "$run/$name.ready" ]] && return 0
    sleep 0.1
  done
  echo "the worker $name did not attach; see $run/$name.log" >&2
  exit 1
}
start_host echo1 "$route_port" --handler echo

cpu_ms() {  # run time of every thread of a process, in ms (schedstat: ns)
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.3f", s / 1e6}'
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
rss_parts() { awk '/^RssAnon/ {a = $2} /^RssShmem/ {s = $2} END {printf "anon %.1f + shm %.1f", a / 1024, s / 1024}' "/proc/$1/status"; }

# Idle: the service with one attached add-in, nothing else running, for 10 s.
echo "--- idle 10 s (one add-in attached)"
sleep 1
service_cpu0=$(cpu_ms "$service_pid") host_cpu0=$(cpu_ms "$echo1_pid")
sleep 10
service_idle_cpu=$(awk -v a="$service_cpu0" -v b="$(cpu_ms "$service_pid")" 'BEGIN {printf "%.2f", b - a}')
host_idle_cpu=$(awk -v a="$host_cpu0" -v b="$(cpu_ms "$echo1_pid")" 'BEGIN {printf "%.2f", b - a}')
service_rss_idle=$(rss_kib "$service_pid") service_rss_idle_parts=$(rss_parts "$service_pid")

start_host slow1 "$slow_port" --handler slow --slow-ms 5
start_host window1 "$window_port" --handler echo
"${on_server[@]}" "$tool" tcp-echo-server --port "$tcp_port" 2>"$run/tcp.log" &
pids+=($!)
wait_port "$tcp_port"

# --- measuring ----------------------------------------------------------------------------------------------
results=$run/figures.tsv  # figure <TAB> value, one line per round
: >"$results"
record() { printf '%s\t%s\n' "$1" "$2" >>"$results"; }

# wrk_figure NAME CONNECTIONS URL: requests/s, p50 and p99 in us; refuses a run with errors or non-2xx.
wrk_figure() {
  local name=$1 connections=$2 url=$3 output
  output=$(on_client wrk -t1 -c"$connections" -d"${seconds}s" --latency "$url")
  if grep -qE 'Non-2xx|Socket errors' <<<"$output"; then
    echo "wrk against $url reported errors:" >&2
    echo "$output" >&2
    exit 1
  fi
  record "$name.rps" "$(awk '/^Requests\/sec:/ {print $2}' <<<"$output")"
  record "$name.p50_us" "$(awk '$1 == "50%" {print $2}' <<<"$output" | to_us)"
  record "$name.p99_us" "$(awk '$1 == "99%" {print $2}' <<<"$output" | to_us)"
}
to_us() {
  awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); print v } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v * 1000 }
         else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000000 } }'
}
# floor_figure NAME MECHANISM CPU_A CPU_B: the raw two-process round trip, p50 and p99 in us
floor_figure() {
  local name=$1 output
  output=$("$floor_tool" --mechanism "$2" --cpus "$3,$4" --round-trips 10000 --seconds "$seconds")
  record "$name.p50_us" "$(sed 's/.*p50_us=\([0-9.]*\).*/\1/' <<<"$output")"
  record "$name.p99_us" "$(sed 's/.*p99_us=\([0-9.]*\).*/\1/' <<<"$output")"
}
median() {  # median FIGURE
  awk -F'\t' -v f="$1" '$1 == f {print $2}' "$results" | sort -g | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'
}
echo "=== $rounds rounds of $seconds s per figure; servers on CPU $server_cpu, load on CPU $client_cpu"
for round in $(seq "$rounds"); do
  echo "--- round $round"
  # The floor while the servers are idle: one process on each CPU, then both on the servers' CPU
  floor_figure floor.futex.cross futex "$server_cpu" "$client_cpu"
  floor_figure floor.eventfd.cross eventfd "$server_cpu" "$client_cpu"
  floor_figure floor.futex.same futex "$server_cpu" "$server_cpu"
  floor_figure floor.eventfd.same eventfd "$server_cpu" "$server_cpu"
  wrk_figure nginx.c50 50 "http://127.0.0.1:$nginx_port/"
  wrk_figure echo.c50 50 "http://127.0.0.1:$route_port/echo"
  wrk_figure proxy.c50 50 "http://127.0.0.1:$proxy_port/echo"
  wrk_figure window.c50 50 "http://127.0.0.1:$window_port/echo"
  wrk_figure health.c50 50 "http://127.0.0.1:$health_port/health/live"
  wrk_figure health.c1 1 "http://127.0.0.1:$health_port/health/live"
  wrk_figure echo.c1 1 "http://127.0.0.1:$route_port/echo"
  wrk_figure nginx.c1 1 "http://127.0.0.1:$nginx_port/"
  wrk_figure proxy.c1 1 "http://127.0.0.1:$proxy_port/echo"
  wrk_figure slow1.c50 50 "http://127.0.0.1:$slow_port/slow"
done

sleep 1
service_rss_after_small=$(rss_kib "$service_pid") service_rss_after_small_parts=$(rss_parts "$service_pid")
host_rss_before=$(sed -n 's/.*rss_before_load_kib=\([0-9]*\).*/\1/p' "$run/echo1.log")
host_rss_attached=$(sed -n 's/.*rss_attached_kib=\([0-9]*\).*/\1/p' "$run/echo1.log")
host_rss_after_load=$(rss_kib "$echo1_pid")

echo "--- 10 MiB bodies"
on_client "$tool" post --port "$route_port" --path /warm-up --bytes "$big" --count 1 >/dev/null  # first-use faults
for round in $(seq "$rounds"); do
  record tcp.big_s "$(on_client "$tool" tcp-echo --port "$tcp_port" --bytes "$big" --count 5 | sed 's/.*median_s=\([0-9.]*\).*/\1/')"
  record echo.big_s "$(on_client "$tool" post --port "$route_port" --path /big --bytes "$big" --count 5 |
    sed 's/.*median_s=\([0-9.]*\).*/\1/')"
done
sleep 1
service_rss_after_big=$(rss_kib "$service_pid")
host_rss_after_big=$(rss_kib "$echo1_pid")

echo "--- 10,000 keep-alive connections"
on_client "$tool" hold --port "$route_port" --path /hold --connections 10000 --seconds 120 \
  --ready-file "$run/hold.ready" >"$run/hold.log" 2>&1 &
hold_pid=$!
pids+=("$hold_pid")
for _ in $(seq 1200); do
  [[ -f "$run/hold.ready" ]] && break
  kill -0 "$hold_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -f "$run/hold.ready" ]] || { echo "hserver-bench hold failed: $(cat "$run/hold.log")" >&2; exit 1; }
sleep 1
service_rss_10k=$(rss_kib "$service_pid")
hold_line=$(head -1 "$run/hold.log")
kill "$hold_pid"
wait "$hold_pid" 2>/dev/null || true

echo "--- 4 workers on one route"
start_host echo2 "$route_port" --handler echo
start_host echo3 "$route_port" --handler echo
start_host echo4 "$route_port" --handler echo
start_host slow2 "$slow_port" --handler slow --slow-ms 5
start_host slow3 "$slow_port" --handler slow --slow-ms 5
start_host slow4 "$slow_port" --handler slow --slow-ms 5
for round in $(seq "$rounds"); do
  wrk_figure echo4.c50 50 "http://127.0.0.1:$route_port/echo"
  wrk_figure slow4.c50 50 "http://127.0.0.1:$slow_port/slow"
done

# --- the table ----------------------------------------------------------------------------------------------
m() { median "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
lower() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a - b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
hop_p50=$(minus "$(m echo.c1.p50_us)" "$(m health.c1.p50_us)")
hop_p99=$(minus "$(m echo.c1.p99_us)" "$(m health.c1.p99_us)")
big_ratio=$(ratio "$(m tcp.big_s)" "$(m echo.big_s)")
# The floor is the cheaper mechanism's round trip. The service and its add-ins share the servers' CPU here,
# so the hop is judged against the one-CPU floor; the two-CPU floor is what a hop across CPUs could reach.
floor_same=$(lower "$(m floor.futex.same.p50_us)" "$(m floor.eventfd.same.p50_us)")
floor_cross=$(lower "$(m floor.futex.cross.p50_us)" "$(m floor.eventfd.cross.p50_us)")
hop_floor_ratio=$(ratio "$hop_p50" "$floor_same")
hop_floor_cross_ratio=$(ratio "$hop_p50" "$floor_cross")
proxy_ratio=$(ratio "$(m echo.c50.rps)" "$(m proxy.c50.rps)")
verdict() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN { ok = dir == "ge" ? v >= t : v <= t; print ok ? "met" : "NOT met" }'; }

{
  echo "| figure | 1chserver | reference | ratio / value | target | |"
  echo "|---|---|---|---|---|---|"
  echo "| throughput, 50 keep-alive connections, echo through shared memory (req/s) | $(m echo.c50.rps) | nginx $(m nginx.c50.rps) | $(ratio "$(m echo.c50.rps)" "$(m nginx.c50.rps)") x | >= 0.5 x | $(verdict "$(ratio "$(m echo.c50.rps)" "$(m nginx.c50.rps)")" 0.5 ge) |"
  echo "| the same with worker_in_flight 8 (1C still answers one at a time) (req/s) | $(m window.c50.rps) | nginx $(m nginx.c50.rps) | $(ratio "$(m window.c50.rps)" "$(m nginx.c50.rps)") x | >= 0.5 x | $(verdict "$(ratio "$(m window.c50.rps)" "$(m nginx.c50.rps)")" 0.5 ge) |"
  echo "| throughput, 50 keep-alive connections, echo against nginx as a reverse proxy to a keep-alive upstream (req/s) | $(m echo.c50.rps) | proxy $(m proxy.c50.rps) | $proxy_ratio x | >= 1.0 x | $(verdict "$proxy_ratio" 1.0 ge) |"
  echo "| throughput, 50 connections, answered by the service (health) (req/s) | $(m health.c50.rps) | nginx $(m nginx.c50.rps) | $(ratio "$(m health.c50.rps)" "$(m nginx.c50.rps)") x | >= 0.8 x | $(verdict "$(ratio "$(m health.c50.rps)" "$(m nginx.c50.rps)")" 0.8 ge) |"
  echo "| latency, 1 connection, p50 / p99 (us): echo | $(m echo.c1.p50_us) / $(m echo.c1.p99_us) | health $(m health.c1.p50_us) / $(m health.c1.p99_us); nginx $(m nginx.c1.p50_us) / $(m nginx.c1.p99_us) | | | |"
  echo "| latency, 1 connection, p50 / p99 (us): echo against echo via the reverse proxy | $(m echo.c1.p50_us) / $(m echo.c1.p99_us) | proxy $(m proxy.c1.p50_us) / $(m proxy.c1.p99_us) | $(ratio "$(m echo.c1.p50_us)" "$(m proxy.c1.p50_us)") x at p50 | | |"
  echo "| latency added by the shared-memory hop, p50 / p99 (us) | $hop_p50 / $hop_p99 | | | <= 20 / <= 100 | $(verdict "$hop_p50" 20 le) / $(verdict "$hop_p99" 100 le) |"
  echo "| wake-up floor: a raw two-process round trip, both on the servers' CPU, p50 / p99 (us): futex; eventfd | $(m floor.futex.same.p50_us) / $(m floor.futex.same.p99_us); $(m floor.eventfd.same.p50_us) / $(m floor.eventfd.same.p99_us) | | | | |"
  echo "| the same, one process on each CPU, p50 / p99 (us): futex; eventfd | $(m floor.futex.cross.p50_us) / $(m floor.futex.cross.p99_us); $(m floor.eventfd.cross.p50_us) / $(m floor.eventfd.cross.p99_us) | | | | |"
  echo "| the shared-memory hop p50 as a multiple of the floor's round trip (one CPU, as the hop runs here) | $hop_p50 us | floor $floor_same us (on two CPUs $floor_cross us: $hop_floor_cross_ratio x) | $hop_floor_ratio x | <= 1.5 x | $(verdict "$hop_floor_ratio" 1.5 le) |"
  echo "| 10 MiB body each way (s per round trip) | $(m echo.big_s) | loopback TCP $(m tcp.big_s) | $big_ratio x | >= 0.5 x | $(verdict "$big_ratio" 0.5 ge) |"
  echo "| CPU while idle for 10 s, one add-in attached (ms): service / the add-in's host | $service_idle_cpu / $host_idle_cpu | | | < 10 each | $(verdict "$service_idle_cpu" 10 le) / $(verdict "$host_idle_cpu" 10 le) |"
  echo "| service RSS idle, one add-in attached (MiB) | $(mib "$service_rss_idle") ($service_rss_idle_parts; before any add-in $(mib "$service_rss_start")) | | | < 10 | $(verdict "$(mib "$service_rss_idle")" 10 le) |"
  echo "| service RSS idle after the small-request rounds, 3 add-ins (MiB) | $(mib "$service_rss_after_small") ($service_rss_after_small_parts) | | | | |"
  echo "| service RSS with 10,000 keep-alive connections (MiB) | $(mib "$service_rss_10k") | | | < 100 | $(verdict "$(mib "$service_rss_10k")" 100 le) |"
  echo "| RSS the add-in adds to its host (MiB): attached / after the small-request load | $(mib "$((host_rss_attached - host_rss_before))") / $(mib "$((host_rss_after_load - host_rss_before))") | host alone $(mib "$host_rss_before") | | < 4 | $(verdict "$(mib "$((host_rss_after_load - host_rss_before))")" 4 le) |"
  echo "| after the 10 MiB bodies (MiB): service RSS / what the host grew by | $(mib "$service_rss_after_big") / $(mib "$((host_rss_after_big - host_rss_before))") | | | | |"
  echo "| 4 echo workers on one route against 1 (req/s) | $(m echo4.c50.rps) | 1 worker $(m echo.c50.rps) | $(ratio "$(m echo4.c50.rps)" "$(m echo.c50.rps)") x | | |"
  echo "| 4 workers whose 1C code takes 5 ms, against 1 (req/s) | $(m slow4.c50.rps) | 1 worker $(m slow1.c50.rps) | $(ratio "$(m slow4.c50.rps)" "$(m slow1.c50.rps)") x | | |"
} >"$out/results.md"
{
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)),"
  echo "# $rounds rounds x $seconds s, servers on CPU $server_cpu, load on CPU $client_cpu; hold: $hold_line"
} >"$out/run.txt"
cp "$results" "$out/results.tsv"
{  # the derived figures, from the medians
  printf 'hop.p50_us\t%s\n' "$hop_p50"
  printf 'hop.p99_us\t%s\n' "$hop_p99"
  printf 'floor.same.p50_us\t%s\n' "$floor_same"
  printf 'floor.cross.p50_us\t%s\n' "$floor_cross"
  printf 'hop.over_floor_same_x\t%s\n' "$hop_floor_ratio"
  printf 'hop.over_floor_cross_x\t%s\n' "$hop_floor_cross_ratio"
  printf 'echo.over_proxy_x\t%s\n' "$proxy_ratio"
} >>"$out/results.tsv"

# --- the chart: throughput and latency against the anchors (log scales) -------------------------------------
cat >"$run/chart.dat" <<EOF
"nginx return 200" $(m nginx.c50.rps) $(m nginx.c1.p50_us)
"1chserver health" $(m health.c50.rps) $(m health.c1.p50_us)
"1chserver echo via 1C add-in" $(m echo.c50.rps) $(m echo.c1.p50_us)
"nginx proxy -> nginx upstream" $(m proxy.c50.rps) $(m proxy.c1.p50_us)
"the same, worker_in_flight 8" $(m window.c50.rps) NaN
"hop (echo - health)" NaN $hop_p50
"floor: futex round trip, 1 CPU" NaN $(m floor.futex.same.p50_us)
"anchor: 1C HTTP service (~30 ms)" 33 30000
"anchor: original 1CHServer (>=50 ms)" 20 50000
EOF
gnuplot <<EOF
set terminal pngcairo size 1200,620 font ",10" noenhanced
set bmargin 11
set output "$out/benchmarks.png"
set multiplot layout 1,2 title "1CHServer, $(date -u +%Y-%m-%d), $(nproc) CPUs: medians of $rounds rounds"
set style fill solid 0.8
set boxwidth 0.7
set logscale y
set grid ytics
set xtics rotate by -40 left
set title "throughput, 50 connections (req/s)"
plot "$run/chart.dat" using 0:2:xtic(1) with boxes notitle lc rgb "#3465a4", \
     "" using 0:2:(sprintf("%.0f", \$2)) with labels offset 0,0.7 notitle
set title "latency, 1 connection, p50 (us)"
plot "$run/chart.dat" using 0:3:xtic(1) with boxes notitle lc rgb "#cc6600", \
     "" using 0:3:(sprintf("%.0f", \$3)) with labels offset 0,0.7 notitle
unset multiplot
EOF

cat "$out/run.txt"
cat "$out/results.md"
echo "(results, raw figures and the chart: $out)"
