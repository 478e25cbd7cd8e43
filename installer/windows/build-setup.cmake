# cmake -P build-setup.cmake: stages the install layout and runs makensis on 1chserver.nsi, when an input
# is newer than the setup (installer/windows/CMakeLists.txt passes every variable below).
foreach(var MAKENSIS NSI VERSION X64_BIN X86_BIN ADDIN_ZIP SOURCE_DIR STAGE OUTFILE)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "build-setup.cmake: ${var} is not set")
  endif()
endforeach()

# install layout name -> built or source file
set(_layout
  1chserver.exe ${X64_BIN}/1chserver.exe
  1chserverctl.exe ${X64_BIN}/1chserverctl.exe
  x64/1chserver_com.dll ${X64_BIN}/1chserver_com.dll
  x86/1chserver_com.dll ${X86_BIN}/1chserver_com.dll
  1chserver-addin.zip ${ADDIN_ZIP}
  reg.bat ${SOURCE_DIR}/reg/reg.bat
  unreg.bat ${SOURCE_DIR}/reg/unreg.bat
  README.md ${SOURCE_DIR}/README.md
  examples/1chserver.json ${SOURCE_DIR}/examples/config/1chserver.json)
file(GLOB _docs RELATIVE ${SOURCE_DIR}/docs ${SOURCE_DIR}/docs/*.md)
foreach(doc IN LISTS _docs)
  list(APPEND _layout docs/${doc} ${SOURCE_DIR}/docs/${doc})
endforeach()

set(_outdated FALSE)
if(NOT EXISTS ${OUTFILE} OR ${NSI} IS_NEWER_THAN ${OUTFILE} OR ${CMAKE_CURRENT_LIST_FILE} IS_NEWER_THAN ${OUTFILE})
  set(_outdated TRUE)
endif()
set(_pairs ${_layout})
while(_pairs)
  list(POP_FRONT _pairs name from)
  if(NOT EXISTS ${from})
    message(FATAL_ERROR "build-setup.cmake: ${from} is missing (is it built by the cross build?)")
  endif()
  if(${from} IS_NEWER_THAN ${OUTFILE})
    set(_outdated TRUE)
  endif()
endwhile()
if(NOT _outdated)
  message(STATUS "Windows setup up to date: ${OUTFILE}")
  return()
endif()

file(REMOVE_RECURSE ${STAGE})
set(_pairs ${_layout})
while(_pairs)
  list(POP_FRONT _pairs name from)
  get_filename_component(_dir ${STAGE}/${name} DIRECTORY)
  file(MAKE_DIRECTORY ${_dir})
  set(_strip "")
  if(name MATCHES "\\.(exe|dll)$")
    if(name MATCHES "^x86/")
      set(_strip ${STRIP_X86})
    else()
      set(_strip ${STRIP_X64})
    endif()
  endif()
  if(_strip)
    execute_process(COMMAND ${_strip} --strip-debug -o ${STAGE}/${name} ${from} RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "build-setup.cmake: ${_strip} ${from} failed: ${_rc}")
    endif()
  else()
    file(COPY_FILE ${from} ${STAGE}/${name})
  endif()
endwhile()

# Written under a temporary name: an interrupted run leaves no setup that looks complete.
execute_process(
  COMMAND ${MAKENSIS} -V2 -INPUTCHARSET UTF8 -DVERSION=${VERSION} -DSTAGE=${STAGE} -DOUTFILE=${OUTFILE}.part ${NSI}
  RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  file(REMOVE ${OUTFILE}.part)
  message(FATAL_ERROR "build-setup.cmake: makensis failed: ${_rc}")
endif()
file(RENAME ${OUTFILE}.part ${OUTFILE})
message(STATUS "Windows setup: ${OUTFILE}")
