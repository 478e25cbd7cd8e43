# Windows, two jobs:
#  1. Every Windows build (MinGW or MSVC): the Windows API level and header hygiene, project-wide.
#  2. The Linux build drives the two MinGW cross builds of this same source tree (ExternalProject), so the
#     single test command (scripts/test.sh) also builds the Windows programs and runs them under Wine
#     (ctest label `windows`, tests/windows/). Option HSERVER_WINDOWS_BUILDS.
#
# Other parts add what their Windows tests need to the cross builds, before hserver_add_windows_builds()
# runs at the end of the root CMakeLists (tests/windows/*.cmake are read before that):
#   set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X64_TARGETS <target>...)
#   set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X86_TARGETS <target>...)
# Every .exe/.dll of a cross build lands in ${HSERVER_WINDOWS_X64_BIN} / ${HSERVER_WINDOWS_X86_BIN}.
include_guard(GLOBAL)

if(WIN32)
  # The floor is Windows 7 SP1 / Server 2008 R2 (0x0601), where 1C:Enterprise 8.3 still runs at many
  # sites (docs/windows.md): the headers then hide newer APIs, and Boost.Asio picks its Windows APIs
  # from _WIN32_WINNT. tests/windows/check_imports.py checks the shipped binaries' import tables.
  # WIN32_LEAN_AND_MEAN keeps <windows.h> from pulling winsock 1 (which clashes with Asio's winsock2)
  # and OLE: COM code includes <objbase.h>/<oleauto.h> itself.
  add_compile_definitions(_WIN32_WINNT=0x0601 WINVER=0x0601 NOMINMAX WIN32_LEAN_AND_MEAN UNICODE _UNICODE)
endif()

if(MINGW AND CMAKE_CROSSCOMPILING)
  # One folder for every program and dll: Wine (and the tests of the Linux build) find them there, and a
  # test exe finds the dll it loads beside it.
  set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  set(CMAKE_LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()

if(CMAKE_CROSSCOMPILING OR WIN32)
  set(HSERVER_WINDOWS_BUILDS OFF)
  function(hserver_add_windows_builds)
  endfunction()
  return()
endif()

# --- Linux: drive the cross builds -----------------------------------------------------------------------
find_program(HSERVER_MINGW_X64_CXX x86_64-w64-mingw32-g++-posix)
find_program(HSERVER_MINGW_X86_CXX i686-w64-mingw32-g++-posix)
find_program(HSERVER_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_DEFAULT_PATH)
find_program(HSERVER_WINE64 NAMES wine64)
find_program(HSERVER_WINESERVER NAMES wineserver PATHS /usr/lib/wine NO_DEFAULT_PATH)
find_program(HSERVER_WINESERVER NAMES wineserver)
set(_hserver_windows_default OFF)
if(HSERVER_MINGW_X64_CXX AND HSERVER_MINGW_X86_CXX AND HSERVER_WINE64 AND HSERVER_WINESERVER)
  set(_hserver_windows_default ON)
endif()
option(HSERVER_WINDOWS_BUILDS "Also build the Windows x64/x86 programs with MinGW and test them under Wine"
       ${_hserver_windows_default})
if(HSERVER_WINDOWS_BUILDS AND NOT _hserver_windows_default)
  message(FATAL_ERROR "HSERVER_WINDOWS_BUILDS=ON needs i686/x86_64-w64-mingw32-g++-posix and wine64 "
                      "(scripts/install-deps.sh)")
endif()
if(NOT HSERVER_WINDOWS_BUILDS)
  if(NOT _hserver_windows_default)
    message(STATUS "Windows cross builds and Wine tests: OFF (MinGW-w64 g++-posix or /usr/lib/wine/wine64 "
                   "not found; scripts/install-deps.sh installs them)")
  else()
    message(STATUS "Windows cross builds and Wine tests: OFF (HSERVER_WINDOWS_BUILDS)")
  endif()
  function(hserver_add_windows_builds)
  endfunction()
  return()
endif()
message(STATUS "Windows cross builds and Wine tests: ON (${HSERVER_WINE64})")

set(HSERVER_WINDOWS_X64_DIR ${CMAKE_BINARY_DIR}/windows/x64)
set(HSERVER_WINDOWS_X86_DIR ${CMAKE_BINARY_DIR}/windows/x86)
set(HSERVER_WINDOWS_X64_BIN ${HSERVER_WINDOWS_X64_DIR}/bin)
set(HSERVER_WINDOWS_X86_BIN ${HSERVER_WINDOWS_X86_DIR}/bin)
# Only what the Windows tests use is built: no integration suite of the POSIX side, no fuzzers.
set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X64_TARGETS hserver_addin_native addin_package)
set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X86_TARGETS hserver_addin_native addin_package)

set(HSERVER_WINEPREFIX ${CMAKE_BINARY_DIR}/windows/wineprefix)
# The Windows setup program built from both cross builds (installer/windows, makensis).
set(HSERVER_WINDOWS_SETUP ${CMAKE_BINARY_DIR}/1chserver-${PROJECT_VERSION}-win64-setup.exe)

# hserver_add_wine_test(<name> COMMAND <program.exe> [args...] [TIMEOUT s] [WORKING_DIRECTORY dir])
# A ctest test (label `windows`) that runs a Windows program of the x64 cross build under wine64, in the
# build tree's own Wine prefix (created once by the fixture `hserver_wine`, see tests/windows/platform.cmake)
# with WINEDEBUG=-all. A program given without a folder is taken from ${HSERVER_WINDOWS_X64_BIN}.
# Use hserver_add_wine_script_test for a shell script that starts several Windows programs: it gets
# WINE, WINESERVER, WINEPREFIX and WINEDEBUG in its environment.
function(hserver_add_wine_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;WORKING_DIRECTORY" "COMMAND" ${ARGN})
  list(POP_FRONT ARG_COMMAND program)
  if(NOT IS_ABSOLUTE ${program})
    set(program ${HSERVER_WINDOWS_X64_BIN}/${program})
  endif()
  hserver_add_wine_script_test(${name} COMMAND ${HSERVER_WINE64} ${program} ${ARG_COMMAND}
                               TIMEOUT ${ARG_TIMEOUT} WORKING_DIRECTORY ${ARG_WORKING_DIRECTORY})
endfunction()

# hserver_add_wine_script_test(<name> COMMAND <command> [args...] [TIMEOUT s] [WORKING_DIRECTORY dir])
function(hserver_add_wine_script_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;WORKING_DIRECTORY" "COMMAND" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 180)
  endif()
  if(NOT ARG_WORKING_DIRECTORY)
    set(ARG_WORKING_DIRECTORY ${HSERVER_WINDOWS_X64_BIN})
  endif()
  add_test(NAME ${name} COMMAND ${ARG_COMMAND} WORKING_DIRECTORY ${ARG_WORKING_DIRECTORY})
  set_tests_properties(${name} PROPERTIES
    LABELS windows
    TIMEOUT ${ARG_TIMEOUT}
    FIXTURES_REQUIRED hserver_wine
    ENVIRONMENT "WINE=${HSERVER_WINE64};WINESERVER=${HSERVER_WINESERVER};WINEPREFIX=${HSERVER_WINEPREFIX};WINEDEBUG=-all")
endfunction()

# Called once at the end of the root CMakeLists, when every part has listed its targets.
function(hserver_add_windows_builds)
  include(ExternalProject)
  # First: it lists the targets the setup needs from the cross builds.
  add_subdirectory(${PROJECT_SOURCE_DIR}/installer/windows ${CMAKE_BINARY_DIR}/installer/windows)
  foreach(arch x64 x86)
    string(TOUPPER ${arch} ARCH)  # the variables and properties are spelt HSERVER_WINDOWS_X64_...
    # x86 programs cannot run here (no 32-bit Wine): that build compiles no tests at all.
    set(_tests ${HSERVER_BUILD_TESTS})
    if(arch STREQUAL x86)
      set(_tests OFF)
    endif()
    get_property(_targets GLOBAL PROPERTY HSERVER_WINDOWS_${ARCH}_TARGETS)
    list(REMOVE_DUPLICATES _targets)
    ExternalProject_Add(hserver_windows_${arch}
      SOURCE_DIR ${PROJECT_SOURCE_DIR}
      BINARY_DIR ${HSERVER_WINDOWS_${ARCH}_DIR}
      CMAKE_GENERATOR ${CMAKE_GENERATOR}
      CMAKE_ARGS
        -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/toolchains/mingw-${arch}.cmake
        -DCMAKE_BUILD_TYPE=RelWithDebInfo
        -DHSERVER_WARNINGS_AS_ERRORS=${HSERVER_WARNINGS_AS_ERRORS}
        -DHSERVER_BUILD_TESTS=${_tests}
      BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target ${_targets}
      BUILD_ALWAYS ON
      INSTALL_COMMAND ""
      # A build failure must show its compiler output in the Linux build's log.
      LOG_CONFIGURE OFF LOG_BUILD OFF
      USES_TERMINAL_BUILD ON)
  endforeach()
endfunction()
