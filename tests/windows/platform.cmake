# Windows platform tests under Wine (label `windows`), registered by the Linux build from the two MinGW
# cross builds it drives (cmake/HServerWindows.cmake):
#  - the Wine prefix fixture (created once, stopped at the end);
#  - the x64 unit-test executables (common/, add-in) run under wine64;
#  - the Native API dll of both architectures: exactly the five undecorated exports, no runtime DLLs;
#  - end to end: 1chserver.exe + 1c-host-emulator.exe + 1chserver_addin.dll under Wine, curl from Linux.
# The x86 build cannot run here (no 32-bit Wine): its shared-memory and tVariant layouts are checked at
# compile time against common/include/hserver/common/shm/layout_table.hpp, so a drift fails the build.

set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X64_TARGETS
  common_unit_tests addin_unit_tests addin_native_load_tests 1chserver 1c-host-emulator)

set(_hserver_wine_env "WINE=${HSERVER_WINE64};WINESERVER=${HSERVER_WINESERVER};WINEPREFIX=${HSERVER_WINEPREFIX};WINEDEBUG=-all")
add_test(NAME windows_wine_prefix COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/wine-prefix.sh init)
set_tests_properties(windows_wine_prefix PROPERTIES LABELS windows TIMEOUT 200 FIXTURES_SETUP hserver_wine
  ENVIRONMENT "${_hserver_wine_env}")
add_test(NAME windows_wine_stop COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/wine-prefix.sh stop)
set_tests_properties(windows_wine_stop PROPERTIES LABELS windows TIMEOUT 60 FIXTURES_CLEANUP hserver_wine
  ENVIRONMENT "${_hserver_wine_env}")

# Unit tests as Windows programs. POSIX-only cases skip themselves (GTEST_SKIP, with the reason).
foreach(exe common_unit_tests addin_unit_tests addin_native_load_tests)
  hserver_add_wine_test(windows_${exe} COMMAND ${exe}.exe --gtest_color=no TIMEOUT 300)
endforeach()

# The dll 1C loads, both architectures: the five exports exactly as named (no @N stdcall decoration) and
# nothing but system DLLs imported (static libstdc++/libgcc/winpthread).
foreach(arch x64 x86)
  string(TOUPPER ${arch} ARCH)
  if(arch STREQUAL x64)
    set(_objdump x86_64-w64-mingw32-objdump)
  else()
    set(_objdump i686-w64-mingw32-objdump)
  endif()
  add_test(NAME windows_native_exports_${arch}
    COMMAND ${CMAKE_COMMAND} -DOBJDUMP=${_objdump} -DDLL=${HSERVER_WINDOWS_${ARCH}_BIN}/1chserver_addin.dll
            -DEXPORTS=DestroyObject,GetAttachType,GetClassNames,GetClassObject,SetPlatformCapabilities
            -P ${CMAKE_CURRENT_SOURCE_DIR}/check-exports.cmake)
  set_tests_properties(windows_native_exports_${arch} PROPERTIES LABELS windows TIMEOUT 60)
endforeach()

find_program(HSERVER_CURL curl)
if(HSERVER_CURL)
  hserver_add_wine_script_test(windows_e2e_native
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/wine-e2e-native.sh ${HSERVER_WINDOWS_X64_BIN}
            ${CMAKE_CURRENT_BINARY_DIR}/e2e-native
    TIMEOUT 180)
  # The Linux chaos test's Windows twin: add-in hosts killed under load (TerminateProcess and a hard
  # kill of the Wine process), with the same counts checked.
  hserver_add_wine_script_test(windows_chaos
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/chaos.sh ${HSERVER_WINDOWS_X64_BIN} ${CMAKE_CURRENT_BINARY_DIR}/chaos
    TIMEOUT 300)
else()
  message(STATUS "windows_e2e_native: curl not found, test not registered (scripts/install-deps.sh)")
endif()
