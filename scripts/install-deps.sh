#!/usr/bin/env bash
# Installs what building and testing 1chserver needs, from Debian 12 packages only. Idempotent: packages
# already present are not downloaded again. Needs root (or sudo).
#   scripts/install-deps.sh               everything (the test suite builds Windows programs too)
#   scripts/install-deps.sh --linux-only  what the Linux service, add-in and demo need
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libspdlog-dev libfmt-dev libcli11-dev googletest libgtest-dev
  curl zip clang-format git libsystemd-dev libssl-dev
)
if [[ "${1:-}" != "--linux-only" ]]; then
  # Windows programs: cross-built with MinGW-w64 (posix threads) and tested under Wine (ctest -L windows)
  packages+=(g++-mingw-w64-x86-64-posix g++-mingw-w64-i686-posix mingw-w64-tools wine64 nsis)
  # Fuzzers: built with clang-14 and its libFuzzer runtime (ctest -L fuzz, tests/fuzz)
  packages+=(clang-14 libclang-rt-14-dev)
  # Scale-out test: nginx balancing two services (ctest scale_out, tests/packaging). Debian 12's
  # nginx-light is only nginx plus the echo module.
  packages+=(nginx)
  # The hot path's regression guard counts system calls per request (bench/guard/syscalls.sh)
  packages+=(strace)
  # Portability tests (tests/portability): readelf on the shipped binaries (python3), and an old Debian
  # root made with debootstrap to run them in. python3 also runs the Windows import-floor and static x86
  # ABI checks (tests/windows/*.py).
  packages+=(binutils python3 debootstrap)
  # 32-bit code executed (tests/x86): the add-in and host emulator built with -m32 (libc6-i386 gives the
  # i386 loader /lib/ld-linux.so.2) and run under qemu-user, since the kernel refuses 32-bit programs
  packages+=(gcc-multilib g++-multilib libc6-i386 qemu-user)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
