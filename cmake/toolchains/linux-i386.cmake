# 32-bit Linux (i386) build with Debian's gcc-multilib/g++-multilib: the same compilers with -m32.
# Driven by the main Linux build (tests/x86, option HSERVER_X86_LINUX_BUILD) to run the add-in, its core
# and the host emulator as 32-bit code under qemu-i386, since this kernel refuses 32-bit executables.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)

set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)
set(CMAKE_C_FLAGS_INIT "-m32")
set(CMAKE_CXX_FLAGS_INIT "-m32")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-m32")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-m32")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-m32")
# Multiarch name of the i386 libraries; libc6-dev-i386 puts them in /usr/lib32, which gcc -m32 searches.
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)

# Debian ships no i386 CMake packages for Boost/fmt/spdlog/CLI11 (and the amd64 ones refuse a 32-bit
# build): cmake/HServerDependencies.cmake uses the host's header-only libraries instead.
set(HSERVER_CROSS_HOST_HEADERS ON)

# Programs of this build run here under qemu-user (ctest, try_run).
find_program(HSERVER_QEMU_I386 qemu-i386)
if(HSERVER_QEMU_I386)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${HSERVER_QEMU_I386})
endif()
