# The Windows floor and the static x86 checks (label `windows`; docs/windows.md). Nothing here runs under
# Wine: the shipped binaries of both cross builds are read with MinGW's objdump.
#  - windows_imports_floor_win7: every import of 1chserver.exe, 1chserverctl.exe, 1chserver_addin.dll and
#    1chserver_com.dll (x64; both dlls also x86) is in the reviewed table windows-imports.txt with a
#    minimum no newer than Windows 7 SP1 / Server 2008 R2 (NT 6.1), and the PE headers ask for no more.
#  - windows_x86_abi_native / windows_x86_abi_com: in the unstripped x86 dlls, every interface method 1C
#    calls pops exactly its declared parameters (`ret N`, __stdcall), the exports use their conventions,
#    and the vtable slots are in the x64 dll's order (x86_abi.py).
#  - windows_x86_reg_bat: reg/reg.bat and reg/unreg.bat use the regsvr32 of each dll's bitness.
find_program(HSERVER_PYTHON3 python3)
if(NOT HSERVER_PYTHON3)
  message(STATUS "Windows floor and x86 ABI tests: python3 not found, not registered (scripts/install-deps.sh)")
  return()
endif()

# The shipped binaries must be built in the cross builds even without the setup (makensis).
set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X64_TARGETS 1chserver 1chserverctl hserver_addin_native hserver_addin_com)
set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X86_TARGETS hserver_addin_native hserver_addin_com)

set(_x64 x86_64-w64-mingw32-objdump)
set(_x86 i686-w64-mingw32-objdump)
add_test(NAME windows_imports_floor_win7
  COMMAND ${HSERVER_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/check_imports.py
          ${CMAKE_CURRENT_SOURCE_DIR}/windows-imports.txt 6.1
          ${_x64}=${HSERVER_WINDOWS_X64_BIN}/1chserver.exe
          ${_x64}=${HSERVER_WINDOWS_X64_BIN}/1chserverctl.exe
          ${_x64}=${HSERVER_WINDOWS_X64_BIN}/1chserver_addin.dll
          ${_x64}=${HSERVER_WINDOWS_X64_BIN}/1chserver_com.dll
          ${_x86}=${HSERVER_WINDOWS_X86_BIN}/1chserver_addin.dll
          ${_x86}=${HSERVER_WINDOWS_X86_BIN}/1chserver_com.dll)
set_tests_properties(windows_imports_floor_win7 PROPERTIES LABELS windows TIMEOUT 120)

foreach(kind native com)
  if(kind STREQUAL native)
    set(_dll 1chserver_addin.dll)
  else()
    set(_dll 1chserver_com.dll)
  endif()
  add_test(NAME windows_x86_abi_${kind}
    COMMAND ${HSERVER_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/x86_abi.py ${kind}
            ${HSERVER_WINDOWS_X86_BIN}/${_dll} ${HSERVER_WINDOWS_X64_BIN}/${_dll})
  set_tests_properties(windows_x86_abi_${kind} PROPERTIES LABELS windows TIMEOUT 300)
endforeach()

add_test(NAME windows_x86_reg_bat
  COMMAND ${HSERVER_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/check_reg_bat.py
          ${PROJECT_SOURCE_DIR}/reg/reg.bat ${PROJECT_SOURCE_DIR}/reg/unreg.bat)
set_tests_properties(windows_x86_reg_bat PROPERTIES LABELS windows TIMEOUT 60)
