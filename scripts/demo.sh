#!/usr/bin/env bash
# Builds 1chserver, 1chserverctl and the add-in's zip, and brings up the service on 127.0.0.1:3188 with a
# demo worker: the 1C host emulator loading the real add-in, answering every legacy request with the code
# it received. The service runs from a config file in the demo folder, which 1chserverctl reads too.
#   scripts/demo.sh          build, start both in the background, print where things are and what to try
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
# The Linux product only (as the release preset): with the Windows builds on, the zip would wait for them.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHSERVER_WINDOWS_BUILDS=OFF \
  -DHSERVER_FUZZ_TESTS=OFF -DHSERVER_X86_LINUX_BUILD=OFF >/dev/null
cmake --build "$build" --parallel --target 1chserver 1chserverctl addin_package 1c-host-emulator hserver_addin_native
mkdir -p "$run"
stop

# A legacy route on the demo port; metrics on 127.0.0.1:9188; the admin socket in the demo folder, so
# that `1chserverctl --config` finds it without root's /run/1chserver.
config="$run/1chserver.json"
cat >"$config" <<JSON
{
  "metrics_listen": "127.0.0.1:${HSERVER_DEMO_METRICS_PORT:-9188}",
  "admin_socket": "$run/admin.sock",
  "log": {"file": "$run/1chserver.log"},
  "routes": [{"name": "default", "listen": "127.0.0.1:$port", "mode": "legacy"}]
}
JSON
"$build/service/1chserver" --config "$config" >"$run/service.log" 2>&1 &
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

ctl="$build/service/1chserverctl"
cat <<MSG
1chserver listens on 127.0.0.1:$port with a demo worker attached (logs in $run).
  service:      $build/service/1chserver   (config $config)
  admin tool:   $ctl
  1C add-in:    $build/1chserver-addin.zip
Try:
  curl 'http://127.0.0.1:$port/%D0%A1%D0%BE%D0%BE%D0%B1%D1%89%D0%B8%D1%82%D1%8C(1&&2)'
  -> Сообщить(1+2)
  $ctl --config $config status
  $ctl --config $config status --watch     (Ctrl-C stops)
  curl http://127.0.0.1:${HSERVER_DEMO_METRICS_PORT:-9188}/metrics
Then docs/operations.md. Stop with: scripts/demo.sh stop
MSG
