# Fuzzing with libFuzzer (tests/fuzz, ctest label `fuzz`). The main build uses GCC, libFuzzer needs
# clang, so the root build drives a second build of this same source tree with clang-14, like the MinGW
# cross builds of cmake/HServerWindows.cmake:
#
#  - Root build (GCC, HSERVER_FUZZ OFF): when clang++-14 and its libFuzzer runtime (Debian:
#    libclang-rt-14-dev) are found, an ExternalProject `hserver_fuzz` configures <build>/fuzz with
#    -DHSERVER_FUZZ=ON and builds the fuzzers there; each fuzzer becomes a ctest test `fuzz_<name>` that
#    runs for a bounded time on its seed corpus (tests/fuzz/run_fuzzer.cmake). Option HSERVER_FUZZ_TESTS.
#  - The fuzz build (clang, HSERVER_FUZZ ON): every target gets -fsanitize=fuzzer-no-link,address,undefined;
#    only the fuzzers (target hserver_fuzzers) and the libraries they link are built. Warnings are errors
#    in the fuzzers' own code only (HSERVER_FUZZ_WERROR): the GCC build already holds the libraries to
#    -Werror, and clang's extra warnings there must not fail the suite.
#
# Root CMakeLists: include(HServerFuzz) before the first add_subdirectory (the flags must reach every
# library), hserver_add_fuzzers() at the end (tests are enabled by then).
include_guard(GLOBAL)

option(HSERVER_FUZZ "This build is the clang/libFuzzer build of the fuzzers only (driven by the root build)" OFF)

# The fuzzers and their time in the test suite (seconds). All together stay under about 3 minutes.
include(${PROJECT_SOURCE_DIR}/tests/fuzz/fuzzers.cmake)

if(HSERVER_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "HSERVER_FUZZ=ON needs clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(NOT HSERVER_SANITIZER STREQUAL "")
    message(FATAL_ERROR "HSERVER_FUZZ=ON brings its own sanitizers: leave HSERVER_SANITIZER empty")
  endif()
  # Coverage instrumentation and ASan+UBSan on everything; UB aborts so that libFuzzer records it. -O1
  # after the build type's flags (Debug: asserts stay on) keeps the fuzzers fast enough.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -O1)
  add_link_options(-fsanitize=address,undefined)
  function(hserver_add_fuzzers)
    add_subdirectory(${PROJECT_SOURCE_DIR}/tests/fuzz ${CMAKE_BINARY_DIR}/tests/fuzz)
  endfunction()
  return()
endif()

# --- Root build: drive the clang build and register the tests ---------------------------------------------
set(_hserver_fuzz_default OFF)
set(_hserver_fuzz_why "")
if(CMAKE_CROSSCOMPILING OR WIN32 OR NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(_hserver_fuzz_why "Linux builds only")
elseif(NOT HSERVER_BUILD_TESTS)
  set(_hserver_fuzz_why "HSERVER_BUILD_TESTS is OFF")
else()
  find_program(HSERVER_FUZZ_CXX clang++-14)
  if(HSERVER_FUZZ_CXX)
    execute_process(COMMAND ${HSERVER_FUZZ_CXX} -print-file-name=libclang_rt.fuzzer-${CMAKE_SYSTEM_PROCESSOR}.a
                    OUTPUT_VARIABLE _hserver_fuzz_runtime OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  endif()
  if(NOT HSERVER_FUZZ_CXX)
    set(_hserver_fuzz_why "clang++-14 not found")
  elseif(NOT IS_ABSOLUTE "${_hserver_fuzz_runtime}" OR NOT EXISTS "${_hserver_fuzz_runtime}")
    set(_hserver_fuzz_why "libFuzzer runtime of clang-14 not found (libclang-rt-14-dev)")
  else()
    set(_hserver_fuzz_default ON)
  endif()
endif()
option(HSERVER_FUZZ_TESTS "Build the fuzzers with clang-14 (<build>/fuzz) and run each briefly (ctest -L fuzz)"
       ${_hserver_fuzz_default})
if(HSERVER_FUZZ_TESTS AND NOT _hserver_fuzz_default)
  message(FATAL_ERROR "HSERVER_FUZZ_TESTS=ON: ${_hserver_fuzz_why} (scripts/install-deps.sh)")
endif()
if(NOT HSERVER_FUZZ_TESTS)
  if(_hserver_fuzz_why)
    message(STATUS "Fuzz tests: OFF (${_hserver_fuzz_why}; scripts/install-deps.sh installs clang-14)")
  else()
    message(STATUS "Fuzz tests: OFF (HSERVER_FUZZ_TESTS)")
  endif()
  function(hserver_add_fuzzers)
  endfunction()
  return()
endif()
message(STATUS "Fuzz tests: ON (${HSERVER_FUZZ_CXX})")

set(HSERVER_FUZZ_DIR ${CMAKE_BINARY_DIR}/fuzz)
# Multiplies every fuzzer's time in the suite (1 = the times of tests/fuzz/fuzzers.cmake).
set(HSERVER_FUZZ_TIME_FACTOR 1 CACHE STRING "Factor on the run time of each fuzz test")

function(hserver_add_fuzzers)
  include(ExternalProject)
  ExternalProject_Add(hserver_fuzz
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${HSERVER_FUZZ_DIR}
    CMAKE_GENERATOR ${CMAKE_GENERATOR}
    CMAKE_ARGS
      -DCMAKE_CXX_COMPILER=${HSERVER_FUZZ_CXX}
      -DCMAKE_BUILD_TYPE=Debug
      -DHSERVER_FUZZ=ON
      -DHSERVER_BUILD_TESTS=OFF
      -DHSERVER_WINDOWS_BUILDS=OFF
      # clang warns where GCC does not (e.g. -Wmissing-field-initializers on partly initialised
      # aggregates): the GCC build holds the libraries to -Werror, here only the fuzzers are.
      -DHSERVER_WARNINGS_AS_ERRORS=OFF
      -DHSERVER_FUZZ_WERROR=${HSERVER_WARNINGS_AS_ERRORS}
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target hserver_fuzzers
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    LOG_CONFIGURE OFF LOG_BUILD OFF
    USES_TERMINAL_BUILD ON)

  foreach(name seconds IN ZIP_LISTS HSERVER_FUZZERS HSERVER_FUZZER_SECONDS)
    math(EXPR seconds "${seconds} * ${HSERVER_FUZZ_TIME_FACTOR}")
    math(EXPR timeout "${seconds} + 120")
    add_test(NAME fuzz_${name}
             COMMAND ${CMAKE_COMMAND}
                     -DFUZZER=${HSERVER_FUZZ_DIR}/tests/fuzz/${name}_fuzzer
                     -DSEEDS=${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name}
                     -DWORK=${HSERVER_FUZZ_DIR}/corpus/${name}
                     -DARTIFACTS=${HSERVER_FUZZ_DIR}/artifacts/${name}
                     -DSECONDS=${seconds}
                     -P ${PROJECT_SOURCE_DIR}/tests/fuzz/run_fuzzer.cmake)
    set_tests_properties(fuzz_${name} PROPERTIES LABELS fuzz TIMEOUT ${timeout})
  endforeach()
endfunction()
