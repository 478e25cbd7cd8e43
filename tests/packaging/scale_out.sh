#!/usr/bin/env bash
# Scale-out behind nginx (ctest `scale_out`, label integration): two 1chserver instances on their own
# ports and shared-memory prefixes, each with an echo worker (the 1C host emulator loading the real
# add-in), and nginx on 127.0.0.1 balancing them with passive health checks (max_fails/fail_timeout and
# proxy_next_upstream error timeout http_502 http_503: open-source nginx has no active checks). A bounded
# load (4 clients, at most 2000 requests or 20 s) runs while instance A gets SIGTERM midway. Passes when
# every request got 200, both instances served requests before the stop, and B alone served every request
# started after A had exited. Prints the counts. Exit 77 (skipped) without nginx.
# Usage: scale_out.sh <nginx> <work dir> <1chserver> <1c-host-emulator> <add-in .so>
set -euo pipefail

nginx=$1
work=$2
service=$3
emulator=$4
addin=$5

if [[ ! -x $nginx ]]; then
  echo "SKIP: nginx not found (Debian: apt-get install nginx, or scripts/install-deps.sh)"
  exit 77
fi
mkdir -p "$work"
work=$(realpath "$work")
rm -rf "${work:?}"/*
mkdir -p "$work/nginx/logs" "$work/nginx/temp"
tag="scaleout-$$"
pids=()

fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log "$work/nginx/logs/error.log"; do
    [[ -s $log ]] && { echo "--- $log" >&2; tail -5 "$log" >&2; }
  done
  exit 1
}

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f /dev/shm/"$tag"-*
  exit "$status"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {  # url expected_status: poll up to 10 s
  local status=""
  for _ in $(seq 1 100); do
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1") || true
    [[ $status == "$2" ]] && return 0
    sleep 0.1
  done
  fail "$1 answered '$status', expected $2"
}

# Two instances: their own port, metrics port, shm prefix (the add-in takes it from HSERVER_SHM_PREFIX)
# and admin socket. A short stop grace: A answers what it holds, then leaves.
declare -A port metrics pid
for name in a b; do
  port[$name]=$(free_port)
  metrics[$name]=$(free_port)
  "$service" --listen "127.0.0.1:${port[$name]}" --mode http --shm-prefix "$tag-$name" \
    --metrics-listen "127.0.0.1:${metrics[$name]}" --admin-socket "$work/$name.sock" --stop-grace-ms 2000 \
    >"$work/service-$name.log" 2>&1 &
  pid[$name]=$!
  pids+=("${pid[$name]}")
done
for name in a b; do
  wait_http "http://127.0.0.1:${metrics[$name]}/health/live" 200
  # Each answer takes 5 ms, so that A holds requests when SIGTERM comes (its stop grace answers them).
  HSERVER_SHM_PREFIX="$tag-$name" "$emulator" --addin "$addin" --port "${port[$name]}" --handler slow \
    --slow-ms 5 --wait-attach --run-seconds 150 >"$work/host-$name.log" 2>&1 &
  pids+=($!)
done
# /health/ready is 200 once every route has a worker.
for name in a b; do wait_http "http://127.0.0.1:${metrics[$name]}/health/ready" 200; done

front=$(free_port)
cat >"$work/nginx/nginx.conf" <<CONF
# The load balancer of docs/scale-out.md, with this test's ports and paths.
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log $work/nginx/logs/access.log;
    client_body_temp_path $work/nginx/temp/body;
    proxy_temp_path $work/nginx/temp/proxy;
    fastcgi_temp_path $work/nginx/temp/fastcgi;
    uwsgi_temp_path $work/nginx/temp/uwsgi;
    scgi_temp_path $work/nginx/temp/scgi;

    upstream hserver {
        # Passive health checks: one failure (refused, timeout, 502, 503) takes a server out for 10 s.
        server 127.0.0.1:${port[a]} max_fails=1 fail_timeout=10s;
        server 127.0.0.1:${port[b]} max_fails=1 fail_timeout=10s;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$front;
        location / {
            proxy_pass http://hserver;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 35s;
            # Which instance answered (both, comma-separated, when the first failed): the test counts it.
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
CONF
"$nginx" -t -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" >"$work/nginx-t.log" 2>&1 ||
  fail "nginx -t: $(cat "$work/nginx-t.log")"
"$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" >"$work/nginx.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$front/warmup" 200

# The load: 4 clients on keep-alive connections to nginx, 2000 requests or 20 s, whichever first. A
# controller sends SIGTERM to A once 800 requests are done (or 8 s have passed, on a slow machine) and
# notes when A has exited (its /proc entry gone or a zombie). Every request records start, end, status
# and X-Upstream.
python3 - "$front" "${pid[a]}" "127.0.0.1:${port[a]}" "127.0.0.1:${port[b]}" <<'PY' || fail "load"
import http.client, os, signal, sys, threading, time

front, pid_a, addr_a, addr_b = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
TOTAL, SECONDS, STOP_AT, STOP_SECONDS, CLIENTS = 2000, 20.0, 800, 8.0, 4
start = time.monotonic()
deadline = start + SECONDS
lock = threading.Lock()
issued = 0
done = 0
results = []  # (t_start, t_end, status, upstream)
t_stop = t_exit = None

def exited(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True

def client():
    global issued, done
    conn = http.client.HTTPConnection("127.0.0.1", front, timeout=30)
    while True:
        with lock:
            if issued >= TOTAL or time.monotonic() >= deadline:
                return
            n = issued
            issued += 1
        t0 = time.monotonic()
        try:
            conn.request("GET", f"/load/{n}")
            response = conn.getresponse()
            response.read()
            status, upstream = response.status, response.getheader("X-Upstream", "")
        except Exception as error:  # a broken connection is a failed request, and a new connection
            status, upstream = f"error: {error!r}", ""
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", front, timeout=30)
        with lock:
            results.append((t0, time.monotonic(), status, upstream))
            done += 1

def controller():
    global t_stop, t_exit
    while time.monotonic() < start + STOP_SECONDS:
        with lock:
            if done >= STOP_AT:
                break
        time.sleep(0.005)
    t_stop = time.monotonic()
    os.kill(pid_a, signal.SIGTERM)
    while time.monotonic() < t_stop + 15 and not exited(pid_a):
        time.sleep(0.01)
    if exited(pid_a):
        t_exit = time.monotonic()

threads = [threading.Thread(target=client) for _ in range(CLIENTS)] + [threading.Thread(target=controller)]
for t in threads:
    t.start()
for t in threads:
    t.join()

def last(upstream):  # the instance that gave the answer: the last one nginx tried
    return upstream.split(",")[-1].strip()

bad = [r for r in results if r[2] != 200]
before = [r for r in results if r[1] < t_stop]
after = [r for r in results if t_exit is not None and r[0] > t_exit]
during = len(results) - len(before) - len(after)
count = lambda rows, addr: sum(1 for r in rows if last(r[3]) == addr)
retried = sum(1 for r in results if "," in r[3])
print(f"requests: {len(results)} in {time.monotonic() - start:.1f} s, non-200: {len(bad)}, "
      f"retried on the other instance by nginx: {retried}")
print(f"before the stop: {len(before)} (A {count(before, addr_a)}, B {count(before, addr_b)})")
print(f"while A stopped: {during}")
print(f"after A exited ({'%.0f ms after SIGTERM' % ((t_exit - t_stop) * 1000) if t_exit else 'never'}): "
      f"{len(after)} (A {count(after, addr_a)}, B {count(after, addr_b)})")
problems = []
if bad:
    problems.append(f"{len(bad)} request(s) did not get 200, e.g. {bad[:3]}")
if t_exit is None:
    problems.append("instance A did not exit within 15 s of SIGTERM")
if count(before, addr_a) == 0 or count(before, addr_b) == 0:
    problems.append("before the stop, not both instances served requests")
if len(after) < 50:
    problems.append(f"only {len(after)} request(s) after A exited: too few to judge")
if count(after, addr_b) != len(after):
    problems.append("after A exited, not every request was served by B")
for p in problems:
    print("FAIL:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

code=0
wait "${pid[a]}" || code=$?
((code == 0)) || fail "instance A exited with $code after SIGTERM"
# What nginx's passive check saw of A leaving (a 503 of the stopping service, refused connections).
nginx_log=$work/nginx/logs/error.log
echo "nginx error log: $(grep -c "temporarily disabled" "$nginx_log" || true) 'upstream server temporarily disabled'," \
  "$(grep -c "Connection refused" "$nginx_log" || true) 'Connection refused'"
echo PASS
