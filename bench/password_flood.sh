#!/usr/bin/env bash
# Password guessing, side by side in one run: the public route's p50/p99 alone and while 8 clients guess
# passwords on an authenticated route of the same port, and the time to refuse a wrong password against an
# unknown user. Runs the integration test that measures it (tests/integration/password_guessing_test.cpp),
# against this build and, when given, another build (an older one) first.
#
#   bench/password_flood.sh BUILD_DIR [BASELINE_BUILD_DIR]
#   e.g. bench/password_flood.sh build/linux ../older/build/linux   (its 1chserver, host emulator and add-in)
set -euo pipefail
build=${1:?usage: bench/password_flood.sh BUILD_DIR [BASELINE_BUILD_DIR]}
test_bin=$build/tests/integration/integration_tests
[[ -x $test_bin ]] || { echo "no $test_bin: build the integration_tests target first" >&2; exit 1; }
HSERVER_BASELINE_BUILD=${2:-} "$test_bin" \
  --gtest_filter='PasswordGuessing.PublicRouteKeepsAnsweringWhilePasswordsAreGuessed' | grep -E '^\[(baseline|this build)\]|OK|FAILED'
