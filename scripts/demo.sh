#!/usr/bin/env bash
# Builds 1chserver and brings up the service on 127.0.0.1:3188 with a demo worker: the 1C host emulator
# loading the real add-in, answering every legacy request with the code it received.
#   scripts/demo.sh          build, start both in the background, print how to try it
#   scripts/demo.sh stop     stop them
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${HSERVER_BUILD_DIR:-$root/build/release}"
run="$build/demo"
port="${HSERVER_DEMO_PORT:-3188}"

stop() {
  for name in host service; do
    if [[ -f "$run/$name.pid" ]]; then
      kill "$(cat "$run/$name.pid")" 2>/dev/null || true
      rm -f "$run/$name.pid"
    fi
  done
}

if [[ "${1:-}" == "stop" ]]; then
  stop
  echo "demo stopped"
  exit 0
fi

"$root/scripts/install-deps.sh" --linux-only
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --parallel --target 1chserver 1c-host-emulator hserver_addin_native
mkdir -p "$run"
stop

"$build/service/1chserver" --listen "127.0.0.1:$port" --mode legacy >"$run/service.log" 2>&1 &
echo $! >"$run/service.pid"
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done

rm -f "$run/host.ready"
"$build/tests/host_emulator/1c-host-emulator" --addin "$build/addin/native/lib1chserver_addin.so" \
  --port "$port" --handler echo --ready-file "$run/host.ready" --wait-attach >"$run/host.log" 2>&1 &
echo $! >"$run/host.pid"
for _ in $(seq 100); do
  [[ -f "$run/host.ready" ]] && break
  sleep 0.1
done
if [[ ! -f "$run/host.ready" ]]; then
  echo "the demo worker did not attach; see $run/host.log and $run/service.log" >&2
  exit 1
fi

cat <<MSG
1chserver listens on 127.0.0.1:$port with a demo worker attached (logs in $run).
Try:
  curl 'http://127.0.0.1:$port/%D0%A1%D0%BE%D0%BE%D0%B1%D1%89%D0%B8%D1%82%D1%8C(1&&2)'
  -> Сообщить(1+2)
Stop with: scripts/demo.sh stop
MSG
