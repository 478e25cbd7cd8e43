# The service under Wine's service control manager (label `windows`): install/uninstall with the
# service's own commands and by hand with sc.exe, net start/stop, an HTTP answer from Linux, a second
# instance refused; and the admin channel (named pipe) with 1chserverctl.exe. Included by
# tests/windows/CMakeLists.txt; the cross build and Wine prefix come from cmake/HServerWindows.cmake
# (HSERVER_WINDOWS_X64_BIN, hserver_add_wine_script_test).

if(NOT DEFINED HSERVER_WINDOWS_X64_BIN OR NOT COMMAND hserver_add_wine_script_test)
  message(STATUS "windows_scm_service: no Windows cross build, test not registered")
  return()
endif()
find_program(HSERVER_CURL curl)
find_program(HSERVER_PYTHON3 python3)
if(NOT HSERVER_CURL OR NOT HSERVER_PYTHON3)
  message(STATUS "windows_scm_service: curl or python3 not found, test not registered")
  return()
endif()

set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X64_TARGETS 1chserver)
hserver_add_wine_script_test(windows_scm_service
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scm_service.sh ${HSERVER_WINDOWS_X64_BIN}/1chserver.exe
          ${CMAKE_CURRENT_BINARY_DIR}/scm
  TIMEOUT 300)
# Services live in the prefix's registry, so two tests starting services at once could meet there.
set_tests_properties(windows_scm_service PROPERTIES RESOURCE_LOCK hserver_wine_services)

# The admin channel over the named pipe: 1chserver.exe in the console and 1chserverctl.exe (status, pause,
# resume, drain, errors, Ctrl+C), then `1chserverctl install/uninstall` (tests/windows/admin_pipe.sh).
set_property(GLOBAL APPEND PROPERTY HSERVER_WINDOWS_X64_TARGETS 1chserverctl)
hserver_add_wine_script_test(windows_admin_pipe
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/admin_pipe.sh ${HSERVER_WINDOWS_X64_BIN} ${CMAKE_CURRENT_BINARY_DIR}/admin-pipe
  TIMEOUT 300)
# It installs a service too: same lock as windows_scm_service.
set_tests_properties(windows_admin_pipe PROPERTIES RESOURCE_LOCK hserver_wine_services)
