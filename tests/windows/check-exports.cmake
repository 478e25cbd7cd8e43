# cmake -DOBJDUMP=<mingw objdump> -DDLL=<dll> -DEXPORTS=<name,name,...> -P check-exports.cmake
# Fails unless the dll exports exactly EXPORTS, undecorated (1C, regsvr32 and ole32 look them up by name;
# on x86 a stdcall name would otherwise carry @N), and imports no MinGW runtime DLL (1C loads the one
# file). Used for the Native API dll and the COM dll.
execute_process(COMMAND ${OBJDUMP} -p ${DLL} OUTPUT_VARIABLE dump RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${OBJDUMP} -p ${DLL} failed")
endif()
string(REGEX MATCH "\\[Ordinal/Name Pointer\\] Table\n([^\n]+\n)+" table "${dump}")
string(REGEX MATCHALL "\\[ *[0-9]+\\] [^\n]+" names "${table}")
list(TRANSFORM names REPLACE "^\\[ *[0-9]+\\] " "")
list(SORT names)
string(REPLACE "," ";" expected "${EXPORTS}")
list(SORT expected)
if(NOT names STREQUAL expected)
  message(FATAL_ERROR "${DLL} exports [${names}], expected exactly [${expected}]")
endif()
string(REGEX MATCHALL "DLL Name: [^\n]+" imports "${dump}")
foreach(import IN LISTS imports)
  if(import MATCHES "(libstdc\\+\\+|libgcc|libwinpthread)")
    message(FATAL_ERROR "${DLL} depends on ${import}: it must be linked statically")
  endif()
endforeach()
message(STATUS "${DLL}: exports [${names}]; imports [${imports}]")
