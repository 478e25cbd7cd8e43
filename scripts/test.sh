#!/usr/bin/env bash
# Builds 1chserver and runs the whole test suite: ctest (unit, integration, stress, windows, fuzz, x86,
# portability, lint: what the `full` preset builds), then the unit and integration tests again under
# AddressSanitizer+UBSan and under ThreadSanitizer.
# Usage: scripts/test.sh [ctest arguments], e.g. scripts/test.sh -L unit
#   With ctest arguments only that selection runs, without the sanitizer builds.
#   HSERVER_SANITIZERS=0 skips the sanitizer builds of a full run; a list ("address", "thread") picks them.
#   HSERVER_WINDOWS_BUILDS=OFF, HSERVER_FUZZ_TESTS=OFF, HSERVER_X86_LINUX_BUILD=OFF skip those families.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
build="${HSERVER_BUILD_DIR:-$root/build/release}"
# Every family, said explicitly: the presets build the Linux product only, and a build folder configured
# by one of them (or by scripts/demo.sh) keeps its OFF in the cache unless told otherwise here.
# HSERVER_WINDOWS_BUILDS=OFF (or HSERVER_FUZZ_TESTS, HSERVER_X86_LINUX_BUILD) in the environment skips one.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHSERVER_WARNINGS_AS_ERRORS=ON \
  -DHSERVER_WINDOWS_BUILDS="${HSERVER_WINDOWS_BUILDS:-ON}" -DHSERVER_FUZZ_TESTS="${HSERVER_FUZZ_TESTS:-ON}" \
  -DHSERVER_X86_LINUX_BUILD="${HSERVER_X86_LINUX_BUILD:-ON}" >/dev/null
cmake --build "$build" --parallel
ctest --test-dir "$build" --output-on-failure --timeout 900 "$@"

sanitizers=${HSERVER_SANITIZERS:-address thread}
if (($# > 0)) || [[ $sanitizers == 0 ]]; then
  exit 0
fi
# Sanitizer builds: Linux only (no Windows cross builds), Debug, warnings as errors; the same unit and
# integration tests, which start the service, the add-in and the host emulator as real processes.
# Every process (tests, service, add-in hosts) writes its reports to files: a report from a child process
# whose test did not notice it still fails the run.
for sanitizer in $sanitizers; do
  dir="$build-$sanitizer"
  reports="$dir/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:log_path=$reports/asan
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:log_path=$reports/tsan
  echo "=== unit and integration tests under the $sanitizer sanitizer ($dir)"
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHSERVER_SANITIZER="$sanitizer" \
    -DHSERVER_WINDOWS_BUILDS=OFF -DHSERVER_FUZZ_TESTS=OFF -DHSERVER_WARNINGS_AS_ERRORS=ON >/dev/null
  cmake --build "$dir" --parallel --target common_unit_tests service_unit_tests addin_unit_tests \
    addin_native_load_tests integration_tests
  status=0
  ctest --test-dir "$dir" --output-on-failure --timeout 900 \
    -R '^(common_unit_tests|service_unit_tests|addin_unit_tests|addin_native_load_tests|integration_tests)$' ||
    status=$?
  if compgen -G "$reports/*" >/dev/null; then
    echo "=== $sanitizer sanitizer reports:" >&2
    tail -n +1 "$reports"/* >&2
    status=1
  fi
  ((status == 0)) || exit "$status"
done
