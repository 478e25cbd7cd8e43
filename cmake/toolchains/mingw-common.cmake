# Shared part of the MinGW-w64 cross toolchains (mingw-x64.cmake, mingw-x86.cmake set HSERVER_MINGW_TRIPLET
# and include this). Debian's posix-thread GCC is used because std::thread/std::mutex need winpthread.
# Everything is linked statically so that 1C (the Native API dll) and the SCM (the service exe) load a
# single file with no libstdc++/libgcc/libwinpthread DLLs next to it.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_VERSION 10.0)

set(CMAKE_C_COMPILER ${HSERVER_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${HSERVER_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${HSERVER_MINGW_TRIPLET}-windres)

# Only the MinGW sysroot is searched for libraries and headers; the host's /usr/include must never leak in
# (its glibc/Linux headers would be silently picked up). Programs (wine, python) still come from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${HSERVER_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# -static on a -shared link also takes libgcc, libstdc++ and libwinpthread from their static archives.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")
