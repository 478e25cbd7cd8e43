# The Debian package of the Linux service (CPack, DEB generator): `cpack -G DEB` in the build folder,
# after the build, gives 1chserver_<version>-1_<arch>.deb with
#   /usr/bin/1chserver, /usr/bin/1chserverctl          the service and its admin tool (stripped)
#   /lib/systemd/system/1chserver.service              the unit (installer/linux; Debian 12 ships units in
#                                                      /lib: bookworm keeps files out of the /usr-merged paths)
#   /etc/1chserver/1chserver.json                      the default configuration, a conffile
#   /usr/share/1chserver/1chserver-addin.zip           the add-in for 1C (target addin_package)
#   /usr/share/doc/1chserver/                          README, docs/, examples/
# and the maintainer scripts of installer/linux (system user 1chserver, unit enabled, purge). Dependencies
# come from dpkg-shlibdeps, or, for the portable build, from its glibc floor (see below). Native Linux
# builds only: the MinGW and fuzz builds of this tree skip it.
# The install() rules below write absolute paths (/etc, /lib): they are meant for cpack, not for
# `cmake --install` into a prefix.
include_guard(GLOBAL)

if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux" OR CMAKE_CROSSCOMPILING OR HSERVER_FUZZ)
  return()
endif()

set(_linux ${PROJECT_SOURCE_DIR}/installer/linux)

install(TARGETS 1chserver 1chserverctl RUNTIME DESTINATION bin)
install(FILES ${_linux}/1chserver.service DESTINATION /lib/systemd/system)
install(FILES ${_linux}/1chserver.json DESTINATION /etc/1chserver)
install(FILES ${CMAKE_BINARY_DIR}/1chserver-addin.zip DESTINATION share/1chserver)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/1chserver)
# Kept in their folders so that the README's and the docs' relative links still work.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs DESTINATION share/doc/1chserver FILES_MATCHING PATTERN "*.md")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples DESTINATION share/doc/1chserver)

set(HSERVER_PACKAGE_MAINTAINER "1CHServer maintainers <1chserver@localhost>"
    CACHE STRING "Maintainer field of the .deb (Name <email>)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME 1chserver)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR 1CHServer)
set(CPACK_PACKAGE_CONTACT ${HSERVER_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "HTTP requests to 1C:Enterprise sessions over shared memory")
# The extended description; cpack puts the summary above it and indents it as Debian wants.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "The 1chserver service owns an HTTP port and routes each request over
named shared memory to a thin Native API add-in inside a 1C:Enterprise
session, which answers it from 1C code. The port stays open while 1C
restarts. Includes the systemd unit, 1chserverctl and the add-in zip for 1C.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # 1chserver_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${HSERVER_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The maintainer scripts' tools; the libraries come from dpkg-shlibdeps and are appended.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers")
if(HSERVER_PORTABLE_LINUX)
  # The portable programs need glibc symbol versions up to the floor only (cmake/HServerPortable.cmake,
  # checked by tests/portability). dpkg-shlibdeps would say libc6 (>= 2.34): Debian's symbols file dates the
  # pthread, dl and rt functions by their move into libc.so.6, although the programs also load
  # libpthread.so.0, libdl.so.2 and librt.so.1, where older glibc keeps them. So the libraries are declared.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libc6 (>= ${HSERVER_GLIBC_FLOOR_PROGRAM})")
  if(TARGET PkgConfig::HSERVER_LIBSYSTEMD)
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libsystemd0")  # sd_notify, sd_journal_send: LIBSYSTEMD_209
  endif()
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_linux}/postinst ${_linux}/prerm ${_linux}/postrm ${_linux}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
set(HSERVER_DEB_PACKAGING ON)  # tests/packaging adds its tests only then
