#!/usr/bin/env bash
# Fails when a C++ file differs from .clang-format. Fix with:
#   git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format --dry-run --Werror
