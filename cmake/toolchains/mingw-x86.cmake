# Cross build for 32-bit Windows (the 32-bit 1C client) with Debian's MinGW-w64
# (g++-mingw-w64-i686-posix). Programs of this build cannot run here: 32-bit Wine is not installable, so
# the x86 build is checked by compiling (layout static_asserts, export names), not by running.
set(CMAKE_SYSTEM_PROCESSOR x86)
set(HSERVER_MINGW_TRIPLET i686-w64-mingw32)
include(${CMAKE_CURRENT_LIST_DIR}/mingw-common.cmake)
