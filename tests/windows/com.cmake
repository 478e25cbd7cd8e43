# The COM add-in under Wine (label `windows`): the x64 dll is registered with regsvr32, driven by the COM
# host emulator (1c-com-host.exe) detached and attached to the Windows service, then unregistered
# (com_e2e.sh). Both architectures' dlls are checked for their four undecorated exports. The x86 dll
# cannot run here (no 32-bit Wine): it is built and its exports checked only.
set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X64_TARGETS hserver_addin_com 1c-com-host com_variant_tests 1chserver)
set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X86_TARGETS hserver_addin_com)  # the x86 build has no tests

foreach(arch x64 x86)
  string(TOUPPER ${arch} ARCH)
  if(arch STREQUAL x64)
    set(_objdump x86_64-w64-mingw32-objdump)
  else()
    set(_objdump i686-w64-mingw32-objdump)
  endif()
  add_test(NAME windows_com_exports_${arch}
    COMMAND ${CMAKE_COMMAND} -DOBJDUMP=${_objdump} -DDLL=${HSERVER_WINDOWS_${ARCH}_BIN}/1chserver_com.dll
            -DEXPORTS=DllCanUnloadNow,DllGetClassObject,DllRegisterServer,DllUnregisterServer
            -P ${CMAKE_CURRENT_SOURCE_DIR}/check-exports.cmake)
  set_tests_properties(windows_com_exports_${arch} PROPERTIES LABELS windows TIMEOUT 60)
endforeach()

hserver_add_wine_test(windows_com_variant_tests COMMAND com_variant_tests.exe --gtest_color=no TIMEOUT 120)

# Registration is per Wine prefix: RUN_SERIAL keeps another test from seeing a half-registered class.
hserver_add_wine_script_test(windows_com_e2e
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/com_e2e.sh ${HSERVER_WINDOWS_X64_BIN} ${CMAKE_CURRENT_BINARY_DIR}/com-e2e
  TIMEOUT 300)
set_tests_properties(windows_com_e2e PROPERTIES RUN_SERIAL ON)
