# Cross build for 64-bit Windows with Debian's MinGW-w64 (g++-mingw-w64-x86-64-posix).
#   cmake --preset mingw-x64    (or -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-x64.cmake)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(HSERVER_MINGW_TRIPLET x86_64-w64-mingw32)
include(${CMAKE_CURRENT_LIST_DIR}/mingw-common.cmake)

# x64 programs run here under Wine: lets ctest / try_run start the .exe files of this build directly.
find_program(HSERVER_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_DEFAULT_PATH)
find_program(HSERVER_WINE64 NAMES wine64)
if(HSERVER_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${HSERVER_WINE64})
endif()
