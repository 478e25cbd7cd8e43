#!/usr/bin/env bash
# ctest fixtures of the `windows` label: `init` creates the Wine prefix once (the first start takes ~10 s),
# `stop` ends the prefix's wineserver and every Windows process still running in it.
# Usage: wine-prefix.sh init|stop   Environment: WINE, WINESERVER, WINEPREFIX (set by ctest).
set -euo pipefail
: "${WINE:?}" "${WINESERVER:?}" "${WINEPREFIX:?}"
case $1 in
  init)
    mkdir -p "$WINEPREFIX"
    timeout 120 "$WINE" wineboot --init
    timeout 60 "$WINESERVER" --wait  # the prefix is complete once its wineserver has gone idle
    ;;
  stop)
    timeout 30 "$WINESERVER" --kill || true
    ;;
esac
