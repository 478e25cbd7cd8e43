#!/usr/bin/env bash
# Builds 1chserver and runs the whole test suite (ctest: unit, integration, ...).
# Usage: scripts/test.sh [ctest arguments], e.g. scripts/test.sh -L unit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
build="${HSERVER_BUILD_DIR:-$root/build/release}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHSERVER_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build "$build" --parallel
ctest --test-dir "$build" --output-on-failure --timeout 900 "$@"
