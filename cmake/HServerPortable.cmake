# Portable Linux binaries (docs/portability.md): the shipped programs built on Debian 12 (glibc 2.36, GCC 12)
# run on glibc 2.17 and later (CentOS 7; the issue asks 2.17 for the add-in, 2.27 for the programs).
#
#   HSERVER_PORTABLE_LINUX           ON by default for the native x86_64 Linux GCC build without sanitizers
#   hserver_portable_link(<target> <ADDIN|PROGRAM>)
#       ADDIN:   glibc symbol versions <= 2.17 (HSERVER_GLIBC_FLOOR_ADDIN), for the 1C add-in .so
#       PROGRAM: glibc symbol versions <= 2.17 (HSERVER_GLIBC_FLOOR_PROGRAM), for the service and the ctl
#                (executables that keep the toolchain's start files: no -nostartfiles)
#   hserver_split_debug(<target>)   Release/RelWithDebInfo: strip, debug info to <file>.debug beside it
# Both do nothing where the option is OFF. cmake/HServerTarget.cmake's PORTABLE keyword calls both.
#
# How: at configure time, stub glibc libraries are made from this machine's own glibc (readelf of libc.so.6,
# libm.so.6, ld-linux, libpthread, libdl, librt): same sonames, each symbol defined only at the newest of its
# versions that is not above the floor, symbols newer than the floor left out. Their folder comes first on
# the link path (with libc.so/libm.so/... linker scripts), so every reference, from our objects and from the
# static libstdc++.a, libgcc_eh.a and libcrypto.a alike, is bound to a version the old glibc has; a
# reference with no such version fails the link, and cmake/portable/glibc_compat.cpp supplies it from older
# calls. At run time the real glibc of the machine is used: the stubs are never shipped.
include_guard(GLOBAL)

set(_hserver_portable_default OFF)
if(CMAKE_SYSTEM_NAME STREQUAL "Linux" AND NOT CMAKE_CROSSCOMPILING AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$"
   AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND HSERVER_SANITIZER STREQUAL "" AND NOT HSERVER_FUZZ)
  set(_hserver_portable_default ON)
endif()
option(HSERVER_PORTABLE_LINUX
       "Link the shipped Linux binaries for old glibc (2.17), libstdc++/libgcc/OpenSSL static"
       ${_hserver_portable_default})
set(HSERVER_GLIBC_FLOOR_ADDIN 2.17 CACHE STRING "Newest glibc symbol version the add-in may need")
# The programs run beside the add-in (shared memory): the same floor by default, so CentOS 7 can host both.
# The issue's ceiling for them is 2.27; raise it to that if a dependency ever needs more.
set(HSERVER_GLIBC_FLOOR_PROGRAM 2.17 CACHE STRING "Newest glibc symbol version 1chserver and 1chserverctl may need")

function(hserver_portable_link target kind)
endfunction()
function(hserver_split_debug target)
endfunction()
if(HSERVER_PORTABLE_LINUX AND NOT _hserver_portable_default)
  # A tree configured before, now with a sanitizer (whose runtime needs the real libraries), or another compiler.
  message(STATUS "HSERVER_PORTABLE_LINUX: off here (needs the native x86_64 Linux GCC build without sanitizers)")
  set(HSERVER_PORTABLE_LINUX OFF)
endif()
if(NOT HSERVER_PORTABLE_LINUX)
  return()
endif()

# spdlog and fmt compiled into the service (Debian has no static archives of them, and the old systems have
# neither libspdlog.so.1.10 nor libfmt.so.9): the header-only forms under the names the project links.
macro(hserver_portable_header_only_logging)
  find_path(HSERVER_SPDLOG_INCLUDE_DIR spdlog/spdlog.h REQUIRED)
  find_path(HSERVER_FMT_INCLUDE_DIR fmt/format.h REQUIRED)
  add_library(fmt::fmt INTERFACE IMPORTED GLOBAL)
  target_compile_definitions(fmt::fmt INTERFACE FMT_HEADER_ONLY)
  # Debian's spdlog headers are configured for an external fmt (tweakme.h): fmt::fmt above.
  add_library(spdlog::spdlog INTERFACE IMPORTED GLOBAL)
  target_link_libraries(spdlog::spdlog INTERFACE fmt::fmt)
  target_compile_definitions(spdlog::spdlog INTERFACE SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL)
endmacro()

# The service's libcrypto/libssl from Debian's libssl-dev static archives: libssl3 is not on the old systems.
# Set before service/ calls find_package(OpenSSL); FindOpenSSL then adds -ldl and Threads itself.
set(OPENSSL_USE_STATIC_LIBS TRUE)
foreach(_var OPENSSL_CRYPTO_LIBRARY OPENSSL_SSL_LIBRARY)  # a build tree configured before: found anew
  if(DEFINED CACHE{${_var}} AND NOT "$CACHE{${_var}}" MATCHES "\\.a$")
    unset(${_var} CACHE)
  endif()
endforeach()

# --- stub glibc --------------------------------------------------------------------------------------------
find_program(HSERVER_READELF NAMES readelf REQUIRED)

# The real library behind a soname, as the compiler's link search finds it.
function(_hserver_real_glibc out soname)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${soname} OUTPUT_VARIABLE path
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT IS_ABSOLUTE "${path}" AND soname STREQUAL "ld-linux-x86-64.so.2")
    set(path /lib64/ld-linux-x86-64.so.2)  # the x86_64 ABI's fixed interpreter path
  endif()
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "HSERVER_PORTABLE_LINUX: ${soname} not found (${path})")
  endif()
  set(${out} ${path} PARENT_SCOPE)
endfunction()

# One stub shared object: <dir>/<soname> with every GLIBC_x symbol of the real one at its newest version
# <= floor. Functions are one `ret` each; data objects keep their real size (executables take copy
# relocations of them) and the real aliasing (environ and __environ share one copy).
function(_hserver_glibc_stub dir floor soname)
  _hserver_real_glibc(real ${soname})
  execute_process(COMMAND ${HSERVER_READELF} --dyn-syms -W ${real} OUTPUT_VARIABLE dump RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "HSERVER_PORTABLE_LINUX: readelf ${real} failed")
  endif()
  # "  290: 00000000001db320     8 OBJECT  WEAK   DEFAULT   34 environ@@GLIBC_2.2.5" (undefined, ABS and
  # GLIBC_PRIVATE entries do not match)
  set(re "([0-9a-f]+) +(0x[0-9a-f]+|[0-9]+) +(FUNC|IFUNC|OBJECT) +(GLOBAL|WEAK) +DEFAULT +[0-9]+ +([A-Za-z0-9_]+)@@?GLIBC_([0-9.]+)")
  string(REGEX MATCHALL "${re}" entries "${dump}")
  set(names "")
  foreach(entry IN LISTS entries)
    string(REGEX MATCH "${re}" _ "${entry}")
    set(addr ${CMAKE_MATCH_1})
    set(size ${CMAKE_MATCH_2})
    set(kind ${CMAKE_MATCH_3})
    set(name ${CMAKE_MATCH_5})
    set(version ${CMAKE_MATCH_6})
    if(version VERSION_GREATER floor OR name MATCHES "_version_placeholder$")
      continue()
    endif()
    if(NOT DEFINED best_${name})
      list(APPEND names ${name})
    elseif(NOT version VERSION_GREATER best_${name})
      continue()
    endif()
    set(best_${name} ${version})
    set(kind_${name} ${kind})
    math(EXPR size_${name} "${size}")
    set(addr_${name} ${addr})
  endforeach()

  set(asm "# Generated by cmake/HServerPortable.cmake from ${real}: link-time stub, never loaded\n.text\n")
  set(objects "")
  set(versions "")
  foreach(name IN LISTS names)
    list(APPEND versions ${best_${name}})
    list(APPEND by_version_${best_${name}} ${name})
    if(kind_${name} STREQUAL "OBJECT")
      list(APPEND objects "${addr_${name}}|${name}")
    else()
      string(APPEND asm ".globl ${name}\n.type ${name},@function\n${name}: ret\n")
    endif()
  endforeach()
  # Data objects grouped by real address, so that aliases stay aliases in the stub.
  string(APPEND asm ".data\n")
  list(SORT objects)
  set(previous "")
  set(block 0)
  foreach(object IN LISTS objects)
    string(REPLACE "|" ";" object "${object}")
    list(GET object 0 addr)
    list(GET object 1 name)
    if(NOT addr STREQUAL previous)
      if(block GREATER 0)
        string(APPEND asm ".zero ${block}\n")
      endif()
      string(APPEND asm ".balign 64\n")
      set(previous ${addr})
      set(block 1)
    endif()
    if(size_${name} GREATER block)
      set(block ${size_${name}})
    endif()
    string(APPEND asm ".globl ${name}\n.type ${name},@object\n.size ${name},${size_${name}}\n${name}:\n")
  endforeach()
  if(block GREATER 0)
    string(APPEND asm ".zero ${block}\n")
  endif()

  # Each symbol's one version is its default version (name@@GLIBC_x), so plain references bind to it.
  list(REMOVE_DUPLICATES versions)
  list(SORT versions COMPARE NATURAL)
  set(map "")
  foreach(version IN LISTS versions)
    list(JOIN by_version_${version} ";\n  " list)
    string(APPEND map "GLIBC_${version} {\n  global:\n  ${list};\n};\n")
  endforeach()
  if(map STREQUAL "")
    set(map "GLIBC_2.2.5 { local: *; };\n")  # libpthread/libdl/librt since 2.34: only the soname matters
  endif()

  file(WRITE ${dir}/src/${soname}.s "${asm}")
  file(WRITE ${dir}/src/${soname}.map "${map}")
  execute_process(
    COMMAND ${CMAKE_CXX_COMPILER} -shared -nostdlib -x assembler ${dir}/src/${soname}.s -o ${dir}/${soname}
            -Wl,-soname,${soname} -Wl,--version-script,${dir}/src/${soname}.map
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "HSERVER_PORTABLE_LINUX: cannot build the ${soname} stub: ${err}")
  endif()
  list(LENGTH names count)
  message(STATUS "glibc ${floor} stub ${soname}: ${count} symbols")
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${real})
endfunction()

# The stub folder for one floor, with the linker scripts that -lc, -lm, -lpthread, -ldl, -lrt find first.
function(_hserver_glibc_stubs out floor)
  set(dir ${CMAKE_BINARY_DIR}/glibc-stubs/${floor})
  set(${out} ${dir} PARENT_SCOPE)
  get_property(done GLOBAL PROPERTY _hserver_glibc_stubs_done)
  if(floor IN_LIST done)
    return()
  endif()
  set_property(GLOBAL APPEND PROPERTY _hserver_glibc_stubs_done ${floor})
  foreach(soname libc.so.6 libm.so.6 ld-linux-x86-64.so.2 libpthread.so.0 libdl.so.2 librt.so.1)
    _hserver_glibc_stub(${dir} ${floor} ${soname})
  endforeach()
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libc_nonshared.a OUTPUT_VARIABLE nonshared
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  # libc_nonshared.a (atexit, pthread_atfork, __stack_chk_fail_local) is real: it is linked into the binary.
  file(WRITE ${dir}/libc.so "GROUP ( ${dir}/libc.so.6 ${nonshared} AS_NEEDED ( ${dir}/ld-linux-x86-64.so.2 ) )\n")
  file(WRITE ${dir}/libm.so "GROUP ( ${dir}/libm.so.6 )\n")
  foreach(lib pthread.so.0 dl.so.2 rt.so.1)
    string(REGEX REPLACE "\\.so\\..*" "" stem ${lib})
    file(WRITE ${dir}/lib${stem}.so "INPUT ( ${dir}/lib${lib} )\n")
  endforeach()
endfunction()

_hserver_glibc_stubs(HSERVER_GLIBC_STUBS_ADDIN ${HSERVER_GLIBC_FLOOR_ADDIN})
_hserver_glibc_stubs(HSERVER_GLIBC_STUBS_PROGRAM ${HSERVER_GLIBC_FLOOR_PROGRAM})

# The replacements for what the floors lack, one object library per floor (only what is missing there).
foreach(_kind ADDIN PROGRAM)
  string(TOLOWER ${_kind} _lower)
  add_library(hserver_glibc_compat_${_lower} OBJECT ${PROJECT_SOURCE_DIR}/cmake/portable/glibc_compat.cpp)
  hserver_configure_target(hserver_glibc_compat_${_lower})
  string(REPLACE "." ";" _floor "${HSERVER_GLIBC_FLOOR_${_kind}}")
  list(GET _floor 1 _minor)
  target_compile_definitions(hserver_glibc_compat_${_lower} PRIVATE HSERVER_GLIBC_FLOOR_MINOR=${_minor}
                             HSERVER_GLIBC_COMPAT_EXECUTABLE=$<STREQUAL:${_kind},PROGRAM>)
  set_target_properties(hserver_glibc_compat_${_lower} PROPERTIES CXX_VISIBILITY_PRESET hidden)
endforeach()

function(hserver_portable_link target kind)
  if(NOT kind MATCHES "^(ADDIN|PROGRAM)$")
    message(FATAL_ERROR "hserver_portable_link(${target} ${kind}): ADDIN or PROGRAM")
  endif()
  string(TOLOWER ${kind} lower)
  set(stubs ${HSERVER_GLIBC_STUBS_${kind}})
  # Objects, not an archive: libstdc++.a and libgcc_eh.a come after every archive on the driver's line.
  target_sources(${target} PRIVATE $<TARGET_OBJECTS:hserver_glibc_compat_${lower}>)
  add_dependencies(${target} hserver_glibc_compat_${lower})
  target_link_options(${target} PRIVATE
    -L${stubs} -static-libstdc++ -static-libgcc
    # Before glibc 2.34 the pthread, dl and rt functions lived in these libraries: the loader finds a
    # versioned symbol in whichever loaded glibc library has it, provided the library is loaded.
    LINKER:--push-state,--no-as-needed -lpthread -ldl -lrt LINKER:--pop-state)
  if(kind STREQUAL "PROGRAM")
    target_link_options(${target} PRIVATE
      # Scrt1.o of glibc >= 2.34 passes no init function; glibc_compat.cpp passes one (see there).
      LINKER:--wrap=__libc_start_main
      # libsystemd.so.0 is linked as it is, and its own needs are for the target's glibc, not the stubs.
      LINKER:--allow-shlib-undefined)
  endif()
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${stubs}/libc.so.6)
endfunction()

# Release and RelWithDebInfo: the binary that ships (and that the tests run) is stripped; its debug info
# goes to <file>.debug beside it (zlib-compressed), which gdb finds through the .gnu_debuglink section.
find_program(HSERVER_OBJCOPY NAMES objcopy REQUIRED)
function(hserver_split_debug target)
  if(NOT CMAKE_BUILD_TYPE MATCHES "^(Release|RelWithDebInfo)$")
    return()
  endif()
  set(file $<TARGET_FILE:${target}>)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${HSERVER_OBJCOPY} --only-keep-debug --compress-debug-sections=zlib ${file} ${file}.debug
    COMMAND ${HSERVER_OBJCOPY} --strip-all --remove-section=.comment --add-gnu-debuglink=${file}.debug ${file}
    VERBATIM)
endfunction()
