# Third-party dependencies, found the same way for every target of the project:
#   Boost::headers, fmt::fmt, spdlog::spdlog, CLI11::CLI11, Threads::Threads, and (tests) GTest::gtest,
#   GTest::gtest_main; on Linux PkgConfig::HSERVER_LIBSYSTEMD when libsystemd-dev is installed.
# Native builds (Linux, MSVC + vcpkg) use find_package. Cross builds (MinGW; the i386 Linux build, whose
# toolchain sets HSERVER_CROSS_HOST_HEADERS) use the Debian host's header-only libraries through imported
# INTERFACE targets of the same names, so the rest of the project does not know which way it was built.
include_guard(GLOBAL)

find_package(Threads REQUIRED)

if(NOT (CMAKE_CROSSCOMPILING AND (MINGW OR HSERVER_CROSS_HOST_HEADERS)))
  find_package(Boost 1.81 REQUIRED CONFIG)
  if(HSERVER_PORTABLE_LINUX)
    hserver_portable_header_only_logging()  # fmt::fmt, spdlog::spdlog header-only (cmake/HServerPortable.cmake)
  else()
    find_package(fmt REQUIRED)
    find_package(spdlog REQUIRED)
  endif()
  find_package(CLI11 REQUIRED)
  # libsystemd (Linux, optional): the service's journald log sink. Without it `log.system: journald` is
  # refused at start with a message saying so; syslog needs nothing.
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    find_package(PkgConfig)
    if(PkgConfig_FOUND)
      pkg_check_modules(HSERVER_LIBSYSTEMD IMPORTED_TARGET libsystemd)
    endif()
    if(NOT HSERVER_LIBSYSTEMD_FOUND)
      message(STATUS "libsystemd not found (Debian: libsystemd-dev): no journald log sink")
    endif()
  endif()
  # GoogleTest is looked up by hserver_find_gtest() when tests are enabled.
  macro(hserver_find_gtest)
    find_package(GTest REQUIRED)
  endmacro()
  return()
endif()

# --- Cross build (MinGW, i386 Linux) ---------------------------------------------------------------------
# The host's /usr/include must never be on the MinGW include path (glibc and Linux headers would be
# picked up instead of the MinGW ones). A build-tree folder holds links to just the header-only
# libraries' own folders, and that folder is what the imported targets expose.
set(HSERVER_HOST_INCLUDE_DIR /usr/include CACHE PATH
    "Host folder holding the boost, spdlog, fmt and CLI header folders (linked into the cross build)")
set(HSERVER_GTEST_SOURCE_DIR /usr/src/googletest CACHE PATH "GoogleTest sources built for the cross target")

set(_hserver_dep_include ${CMAKE_BINARY_DIR}/hserver-deps/include)
file(MAKE_DIRECTORY ${_hserver_dep_include})
foreach(_lib boost spdlog fmt CLI)
  if(NOT IS_DIRECTORY ${HSERVER_HOST_INCLUDE_DIR}/${_lib})
    message(FATAL_ERROR "Cross build: ${HSERVER_HOST_INCLUDE_DIR}/${_lib} not found (scripts/install-deps.sh)")
  endif()
  file(CREATE_LINK ${HSERVER_HOST_INCLUDE_DIR}/${_lib} ${_hserver_dep_include}/${_lib} SYMBOLIC)
endforeach()

file(STRINGS ${_hserver_dep_include}/boost/version.hpp _boost_version_line REGEX "^#define BOOST_VERSION [0-9]+")
string(REGEX REPLACE ".* ([0-9]+)$" "\\1" _boost_version "${_boost_version_line}")
if(_boost_version LESS 108100)
  message(FATAL_ERROR "Cross build: Boost ${_boost_version} found, 1.81 or newer needed")
endif()

# SYSTEM: third-party warnings are not ours to fix (-Wconversion would flood the log).
add_library(Boost::headers INTERFACE IMPORTED GLOBAL)
set_target_properties(Boost::headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${_hserver_dep_include}
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_hserver_dep_include})
# Winsock for Asio; mswsock for AcceptEx/ConnectEx; the header-only Boost parts never auto-link.
if(MINGW)
  target_link_libraries(Boost::headers INTERFACE ws2_32 mswsock)
endif()
target_compile_definitions(Boost::headers INTERFACE BOOST_ALL_NO_LIB)

add_library(fmt::fmt INTERFACE IMPORTED GLOBAL)
set_target_properties(fmt::fmt PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${_hserver_dep_include}
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_hserver_dep_include})
target_compile_definitions(fmt::fmt INTERFACE FMT_HEADER_ONLY)

# Debian's spdlog headers are configured for an external fmt (tweakme.h): fmt::fmt above.
add_library(spdlog::spdlog INTERFACE IMPORTED GLOBAL)
target_link_libraries(spdlog::spdlog INTERFACE fmt::fmt)
target_compile_definitions(spdlog::spdlog INTERFACE SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL)

add_library(CLI11::CLI11 INTERFACE IMPORTED GLOBAL)
set_target_properties(CLI11::CLI11 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${_hserver_dep_include}
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_hserver_dep_include})

# GoogleTest has no MinGW binaries in Debian: build it from its source package, gtest only (no gmock).
macro(hserver_find_gtest)
  if(NOT TARGET GTest::gtest)
    if(NOT EXISTS ${HSERVER_GTEST_SOURCE_DIR}/CMakeLists.txt)
      message(FATAL_ERROR "Cross build: GoogleTest sources not found in ${HSERVER_GTEST_SOURCE_DIR} (package googletest)")
    endif()
    set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    set(gtest_force_shared_crt ON CACHE BOOL "" FORCE)
    add_subdirectory(${HSERVER_GTEST_SOURCE_DIR} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL SYSTEM)
    if(NOT TARGET GTest::gtest)  # GoogleTest >= 1.11 defines these aliases itself
      add_library(GTest::gtest ALIAS gtest)
      add_library(GTest::gtest_main ALIAS gtest_main)
    endif()
  endif()
endmacro()
