#!/usr/bin/env bash
# ctest fixtures of the `windows` label: `init` creates the Wine prefix once (the first start takes ~10 s),
# and starts the persistent wineserver every test shares; `stop` ends it and every Windows process still
# running in the prefix.
# Usage: wine-prefix.sh init|stop   Environment: WINE, WINESERVER, WINEPREFIX (set by ctest).
set -euo pipefail
: "${WINE:?}" "${WINESERVER:?}" "${WINEPREFIX:?}"
case $1 in
  init)
    mkdir -p "$WINEPREFIX"
    timeout 120 "$WINE" wineboot --init
    timeout 60 "$WINESERVER" --wait  # the prefix is complete once its wineserver has gone idle
    # One wineserver for the whole run. By default it exits 3 s after the last Windows program and takes
    # services.exe and every service with it, so a service started by `net start` would die between two
    # commands of a test. Wine's system processes (services.exe, winedevice.exe...) start with the first
    # program and live as long as the server: start them here with no stdio of a test, or a test's
    # output pipe would stay open until the end of the run.
    "$WINESERVER" --persistent </dev/null >/dev/null 2>&1
    timeout 60 "$WINE" cmd /c exit </dev/null >/dev/null 2>&1
    ;;
  stop)
    timeout 30 "$WINESERVER" --kill || true
    ;;
esac
