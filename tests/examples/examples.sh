#!/usr/bin/env bash
# The client examples against the real service and add-in (ctest `examples`, label integration):
# examples/clients/curl.sh and examples/clients/hserver_client.py call the service started with
# examples/config/1chserver.json (ports changed to free ones), whose routes are served by the 1C host
# emulator loading the real add-in (handler echo: a legacy request is answered with its code, an http
# request with its own body); then the same with examples/config/1chserver-secure.json (HTTP Basic, a
# bearer token, TLS with a certificate made here). Exit 77 (skipped) without python3 or curl.
# Usage: examples.sh <1chserver> <1c-host-emulator> <add-in library> <examples dir> <work dir>
set -euo pipefail

for tool in python3 curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done
[[ $# -eq 5 ]] || { echo "usage: $0 <1chserver> <1c-host-emulator> <add-in> <examples dir> <work dir>" >&2; exit 2; }
service_exe=$(realpath "$1")
host_exe=$(realpath "$2")
addin=$(realpath "$3")
examples=$(realpath "$4")
work=$5
mkdir -p "$work"
work=$(realpath "$work")
rm -rf "${work:?}"/*

curl_sh="$examples/clients/curl.sh"
py_client="$examples/clients/hserver_client.py"
# The clients honour proxy variables; the service is on loopback.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset HSERVER_URL HSERVER_USER HSERVER_PASSWORD HSERVER_TOKEN HSERVER_CACERT
export PYTHONDONTWRITEBYTECODE=1  # importing hserver_client must leave no __pycache__ in the source tree
prefix="examples-$$"  # shared-memory names of this run only (one prefix per service)

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  local log
  for log in "$work"/*.log; do
    [[ -f $log ]] || continue
    echo "--- $log" >&2
    tail -n 20 "$log" >&2
  done
  exit 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_service NAME CONFIG [options]: the service in the background; waits until its port answers.
start_service() {
  local name=$1 config=$2 port
  shift 2
  port=$(grep -o '"listen": "127.0.0.1:[0-9]*"' "$config" | head -n 1 | grep -o '[0-9]*"$' | tr -d '"')
  "$service_exe" --config "$config" --shm-prefix "$prefix" --metrics-listen "" \
    --admin-socket "$work/$name.sock" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "${pids[-1]}" 2>/dev/null || fail "$name exited at start: $(cat "$work/$name.log")"
    sleep 0.1
  done
  fail "$name did not listen on 127.0.0.1:$port within 10 s"
}

# start_worker NAME ROUTE [options]: the emulator attached to ROUTE by name; waits until attached.
start_worker() {
  local name=$1 route=$2
  shift 2
  HSERVER_SHM_PREFIX=$prefix "$host_exe" --addin "$addin" --route "$route" --handler echo --wait-attach \
    --ready-file "$work/$name.ready" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    [[ -f $work/$name.ready ]] && return 0
    sleep 0.1
  done
  fail "worker $name did not attach to route $route within 10 s"
}

# expect NAME WANT_EXIT WANT_STDOUT WANT_STDERR -- command...: runs it (10 s at most), compares.
expect() {
  local name=$1 want_code=$2 want_out=$3 want_err=$4 code=0 out err
  shift 5
  out=$(timeout 10 "$@" 2>"$work/stderr") || code=$?
  err=$(cat "$work/stderr")
  [[ $code -eq $want_code ]] || fail "$name: exit code $code, expected $want_code (stdout '$out', stderr '$err')"
  [[ $out == "$want_out" ]] || fail "$name: stdout '$out', expected '$want_out'"
  [[ $err == "$want_err" ]] || fail "$name: stderr '$err', expected '$want_err'"
  echo "ok: $name"
}

# --- examples/config/1chserver.json: legacy "/" and http "/api" on one port, http "jobs" on another.
port=$(free_port)
jobs_port=$(free_port)
config=$work/1chserver.json
sed -e "s/127\.0\.0\.1:3188/127.0.0.1:$port/g" -e "s/127\.0\.0\.1:3189/127.0.0.1:$jobs_port/g" \
  "$examples/config/1chserver.json" >"$config"
grep -q "127.0.0.1:$jobs_port" "$config" || fail "the example config no longer has the jobs route on 3189"
start_service service "$config"
start_worker legacy legacy
start_worker api api
start_worker jobs jobs --pull  # pull mode: ОжидатьЗапрос in a loop, as a background job does
export HSERVER_URL=http://127.0.0.1:$port

code='Сообщить("Привет, " + Строка(1+2)); // a b & c % d ?'
for client in curl python; do
  if [[ $client == curl ]]; then run=("$curl_sh"); else run=(python3 "$py_client"); fi
  expect "$client: legacy route, code with + space & % ?" 0 "$code" "" -- "${run[@]}" legacy "$code"
  # The original client's wire format: percent-encoded UTF-8, "&&" for "+".
  expect "$client: legacy route, && is +" 0 'Сообщить(1+2)' "" -- \
    "${run[@]}" get '/%D0%A1%D0%BE%D0%BE%D0%B1%D1%89%D0%B8%D1%82%D1%8C(1&&2)'
  expect "$client: http route, JSON echoed" 0 '{"n": 1, "text": "привет"}' "" -- \
    "${run[@]}" post /api/echo '{"n": 1, "text": "привет"}'
  expect "$client: error of the 1C code (Error: -> 500)" 1 "" "HTTP 500: Error: boom" -- \
    "${run[@]}" legacy 'Error: boom'
  expect "$client: error of the service (bad encoding -> 400)" 1 "" \
    'HTTP 400: Error: invalid percent-encoding "%G1" at offset 4 of the path' -- "${run[@]}" get '/abc%G1'
  HSERVER_URL=http://127.0.0.1:$jobs_port expect "$client: pull-mode worker on the second port" 0 '["ping"]' "" -- \
    "${run[@]}" post /jobs/x '["ping"]'
done
# hserver_client.py as a module: execute() on the legacy route, call() with JSON on the http route.
module_use='import sys; sys.path.insert(0, sys.argv[1]); from hserver_client import Client, ServiceError
c = Client(sys.argv[2])
print(c.execute("Сообщить(1+2)"))
print(c.call("POST", "/api/echo", {"n": 1, "t": "т"}))
try:
    c.execute("Error: boom")
except ServiceError as e:
    print(e.status, e.body)'
expect "python: as a module" 0 $'Сообщить(1+2)\n{\'n\': 1, \'t\': \'т\'}\n500 Error: boom' "" -- \
  python3 -c "$module_use" "$examples/clients" "$HSERVER_URL"
code=0
python3 "$py_client" post /api/echo 'x{' >/dev/null 2>"$work/stderr" || code=$?
if [[ $code -ne 64 ]] || ! grep -q '^not JSON: ' "$work/stderr"; then
  fail "python: not JSON: exit $code, $(cat "$work/stderr")"
fi
echo "ok: python: not JSON is refused before sending"
closed=$(free_port)
for client in curl python; do
  if [[ $client == curl ]]; then run=("$curl_sh"); else run=(python3 "$py_client"); fi
  code=0
  HSERVER_URL="http://127.0.0.1:$closed" "${run[@]}" get /x >/dev/null 2>"$work/stderr" || code=$?
  if [[ $code -ne 2 ]] || ! grep -q "^cannot reach http://127.0.0.1:$closed" "$work/stderr"; then
    fail "$client: no service: exit $code, $(cat "$work/stderr")"
  fi
  echo "ok: $client: no service -> exit 2"
done

# --- examples/config/1chserver-secure.json: https with HTTP Basic or a bearer token, and a legacy route.
if ! command -v openssl >/dev/null; then
  echo "SKIP (part): openssl is not installed, the TLS example is not checked"
  echo PASS
  exit 0
fi
prefix="examples-$$-secure"
unset HSERVER_URL
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" >"$work/openssl.out" 2>&1 || fail "openssl: $(cat "$work/openssl.out")"
password='Пароль для проверки'
password_hash=$(printf '%s' "$password" | "$service_exe" hash-secret) || fail "hash-secret failed"
"$service_exe" hash-secret --new-token >"$work/token.out" || fail "hash-secret --new-token failed"
token=$(sed -n 2p "$work/token.out")
token_hash=$(sed -n 4p "$work/token.out")
[[ $password_hash == pbkdf2-sha256\$* && $token_hash == sha256\$* ]] || fail "unexpected hash-secret output"
api_port=$(free_port)
legacy_port=$(free_port)
secure=$work/1chserver-secure.json
# The example's hashes (of secrets nobody knows) are replaced by the ones of this test's secrets.
python3 - "$examples/config/1chserver-secure.json" "$secure" "$api_port" "$legacy_port" "$work" \
  "$password_hash" "$token_hash" <<'PY'
import re, sys
source, target, api_port, legacy_port, work, password_hash, token_hash = sys.argv[1:]
text = open(source, encoding="utf-8").read()
replacements = [
    ('"0.0.0.0:8443"', f'"127.0.0.1:{api_port}"'),
    ('"127.0.0.1:3188"', f'"127.0.0.1:{legacy_port}"'),
    ('"/etc/1chserver/cert.pem"', f'"{work}/cert.pem"'),
    ('"/etc/1chserver/key.pem"', f'"{work}/key.pem"'),
]
for old, new in replacements:
    if text.count(old) != 1:
        sys.exit(f"the secure example has {text.count(old)} times {old}, expected once")
    text = text.replace(old, new)
text, n = re.subn(r'"pbkdf2-sha256\$[0-9]+\$[0-9a-f]+\$[0-9a-f]+"', f'"{password_hash}"', text)
text, m = re.subn(r'"sha256\$[0-9a-f]{64}"', f'"{token_hash}"', text)
if (n, m) != (1, 1):
    sys.exit(f"the secure example has {n} password hashes and {m} token hashes, expected one of each")
open(target, "w", encoding="utf-8").write(text)
PY
# The group grp1cv8 exists only where the 1C server is installed; journald may not run here.
start_service secure "$secure" --shm-group "" --log-system none
start_worker secure-api api
start_worker secure-legacy legacy

export HSERVER_URL=https://127.0.0.1:$api_port HSERVER_CACERT=$work/cert.pem
for client in curl python; do
  if [[ $client == curl ]]; then run=("$curl_sh"); else run=(python3 "$py_client"); fi
  expect "$client: https, no credentials -> 401" 1 "" "HTTP 401: Error: authentication required" -- \
    "${run[@]}" get /api/x
  expect "$client: https, HTTP Basic" 0 '{"secure": "да"}' "" -- \
    env HSERVER_USER=exchange HSERVER_PASSWORD="$password" "${run[@]}" post /api/echo '{"secure": "да"}'
  expect "$client: https, wrong password -> 401" 1 "" "HTTP 401: Error: authentication required" -- \
    env HSERVER_USER=exchange HSERVER_PASSWORD=wrong "${run[@]}" get /api/x
  expect "$client: https, bearer token" 0 '{"token": 1}' "" -- \
    env HSERVER_TOKEN="$token" "${run[@]}" post /api/echo '{"token": 1}'
  expect "$client: legacy route of the secure example, loopback" 0 'Сообщить(1+2)' "" -- \
    env HSERVER_URL="http://127.0.0.1:$legacy_port" "${run[@]}" legacy 'Сообщить(1+2)'
done
echo PASS
